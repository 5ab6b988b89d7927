"""Render a Scene through a camera into a Frame: image, depth, instance ids, classes, labels.

``Renderer.render`` is a pure function of (scene, camera spec, look, frame
seed): it reads a copy of the world (simdrive.render.scene) and returns new
arrays. The passes are: ground and sky (one ray-plane hit per pixel), actors
and scenery (z-buffered flat faces), light halos, wet-road reflections and
spray, the visible-pixel statistics of every actor, the optional motion blur of
the packed colours, then one pass writing the RGB image of the packed colours
with precipitation, vignette and sensor noise. The kernels' per-actor inputs
(actor rows, lights, halos) and the labels' geometry are computed for all actors
at once.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from simdrive.render import blocks as B
from simdrive.render import finish as FN
from simdrive.render import labels as L
from simdrive.render import raster as R
from simdrive.render.camera import Camera
from simdrive.render.effects import finish_image
from simdrive.render.ground import GroundTexture, build_ground_texture
from simdrive.render.ground_light import LIGHT_STEP
from simdrive.render.ground_pass import G_COUNT, SKY_LUT, draw_ground
from simdrive.render.labels import ActorLabel
from simdrive.render.lamps import (
    SIGNAL_SIZE,
    STREET_LIGHT_HEIGHT_M,
    glow_points,
    kind_tables,
    light_rows,
    posts_near,
    signal_heads,
    signals_near,
    spray_points,
    street_lights,
)
from simdrive.render.lighting import actor_light, dazzle
from simdrive.render.look import FOG_LUT_PER_M, Look
from simdrive.render.meshes import (
    MAX_SIDES,
    POLE_MESH,
    ROLE_COLOURS,
    SIGNAL_MESH,
    build_mesh_table,
)
from simdrive.render.scene import Scene
from simdrive.render.semantic import ACTOR_CLASS_BASE, SEMANTIC
from simdrive.scenario.cameras import CameraSpec
from simdrive.scenario.render_options import RenderOptions
from simdrive.world.maps import RoadMap

EXPOSURE_S = 1.0 / 50.0  # for motion blur
BUFFER_SETS = 2  # output array sets kept per image size for reuse (Renderer._frame_buffers)


@dataclass(frozen=True)
class Frame:
    """One rendered camera frame.

    image: (H, W, 3) uint8 RGB (BGR, OpenCV's order, when ``bgr``: rendered so for
    encoding with OpenCV, see Renderer.render). depth: (H, W) float32 camera z in m (inf: sky).
    instance: (H, W) int32 actor slot of each pixel (-1 ground/sky, -2
    scenery). semantic: (H, W) uint8 class (simdrive.render.semantic).
    labels: one ActorLabel per actor of the scene (except the camera's own
    vehicle), in slot order.
    """

    image: np.ndarray
    depth: np.ndarray
    instance: np.ndarray
    semantic: np.ndarray
    labels: tuple[ActorLabel, ...]
    camera: Camera
    time_s: float
    look: Look
    bgr: bool = False

    @property
    def rgb(self) -> np.ndarray:
        """The image in RGB order whichever order it was rendered in (for a BGR frame a
        channel-swapped view, not a copy)."""
        return self.image[..., ::-1] if self.bgr else self.image

    def mask(self, track_id: int) -> np.ndarray:
        """(H, W) bool instance mask of one actor."""
        return self.instance == track_id


class Renderer:
    """Renders scenes of one road map. Keeps the map's ground textures and scratch buffers.

    Not thread-safe: its scratch buffers serve one frame at a time, so use one Renderer
    per thread (they can share a road's textures through ``textures``).
    """

    def __init__(self, road: RoadMap, options: RenderOptions | None = None, seed: int = 0,
                 textures: dict | None = None):
        """``textures``: a {surface: GroundTexture} cache of this road to share between
        renderers (building one takes a fraction of a second)."""
        self.road = road
        self.options = options if options is not None else RenderOptions()
        self.seed = seed
        self.meshes = build_mesh_table()
        self._textures: dict[str, GroundTexture] = {} if textures is None else textures
        self._stamps: dict[tuple[int, int], np.ndarray] = {}
        self._stamp_base = 0
        self.street_lights = street_lights(road)
        self.signal_heads = signal_heads(road)
        self._colour_cache: dict[tuple, np.ndarray] = {}
        self._colour_buffers: dict[tuple[int, int, bool], np.ndarray] = {}
        self._near_posts: tuple[Camera | None, np.ndarray] = (None, np.zeros((0, 3)))
        self._buffer_sets: dict[tuple[int, int], list[tuple[np.ndarray, ...]]] = {}
        self._drawn: dict[int, np.ndarray] = {}  # id(kept inst buffer): its actors' extents
        self._row_depth: dict[int, np.ndarray] = {}  # id(kept inst buffer): its row depths
        self._ground_scratches: dict[int, tuple[np.ndarray, ...]] = {}
        self._ground_blocks: dict[tuple, np.ndarray] = {}
        self._actor_ws = (np.empty((R.WS_ROWS, MAX_SIDES + 2)), np.empty(1, np.int64),
                          np.empty(0, np.uint32))

    def texture(self, surface: str) -> GroundTexture:
        if surface not in self._textures:
            self._textures[surface] = build_ground_texture(self.road, surface)
        return self._textures[surface]

    def camera(self, scene: Scene, spec: CameraSpec) -> Camera:
        k = scene.index(spec.mount)
        return Camera(spec, float(scene.x[k]), float(scene.y[k]), float(scene.heading[k]))

    # ---- the passes ------------------------------------------------------------
    def render(self, scene: Scene, spec: CameraSpec, look: Look, frame_seed: int = 0,
               seed: int | None = None, bgr: bool = False) -> Frame:
        """One frame of ``scene`` through the camera ``spec`` under ``look``. ``seed`` (default:
        the renderer's) and ``frame_seed`` pick the frame's rain, snow and noise. ``bgr``:
        the image's channels in OpenCV's order (a dataset encodes it with no conversion)."""
        cam, colour, depth, inst, sem, image, actors, unoccluded, extent, lights = \
            self._rasterize(scene, spec, look)
        h, w = spec.height, spec.width
        n = len(scene.names)
        own = actors[:n, B.A_KIND] < 0
        glows = glow_points(scene, cam, look, own, self._posts(cam))
        if glows.shape[0]:  # (perspective cameras only)
            FN.add_glows(colour, depth, sem, glows, SEMANTIC["road"], SEMANTIC["crosswalk"])
            if glows[:, FN.G_GLARE].any():  # add_glows left the glare of the lamps seen
                FN.add_glare(colour, glows, cam.block())
        spray = spray_points(scene, cam, look, own)
        if spray.shape[0]:
            FN.add_spray(colour, depth, spray)
        vis_box = np.empty((n, 4), np.int64)
        vis_box[:] = (w, h, -1, -1)
        vis_count = np.zeros(n, np.int64)
        FN.visible_stats(inst, extent[:n], vis_box, vis_count)
        if self.options.motion_blur and not cam.orthographic:
            colour = self._motion_blur(colour, depth, scene, cam)
        finish_image(colour, image, cam, look, self.options,
                     self.seed if seed is None else seed, frame_seed, bgr)
        labels = self._labels(scene, cam, look, actors, unoccluded, vis_box, vis_count,
                              lights, glows)
        # instance and depth read-only for the caller: the next frame into these buffers
        # puts back only what this one's actors drew (Renderer._frame_buffers)
        return Frame(image, _read_only(depth), _read_only(inst), sem, labels, cam, scene.time_s,
                     look, bgr)

    def _rasterize(self, scene: Scene, spec: CameraSpec, look: Look):
        """The ground and actor passes: (camera, colour, depth, inst, sem, the RGB image's
        buffer (not written yet), actor block, unoccluded pixel counts, screen extents
        drawn per actor, the light rows). benchmarks/bench_render.py times this alone."""
        cam = self.camera(scene, spec)
        h, w = spec.height, spec.width
        colour = self._colour_buffer(h, w)
        depth, inst, sem, image, row_depth = self._frame_buffers(h, w)
        fog_lut = _fog_lut(look, not cam.orthographic)
        lights = light_rows(scene, look, cam, self._posts(cam))
        tex = self.texture(look.surface)
        light_row, strip, texels = self._ground_scratch(w)
        draw_ground(cam.ray_block(), self._ground_block(cam, look, tex), tex.tex,
                    tex.level_offset, tex.level_width, tex.level_height,
                    _sky_lut(look), _SKY_SEM, lights, fog_lut, light_row, strip, texels,
                    colour, depth, sem, row_depth)
        n = len(scene.names)
        actors = self._actor_block(scene, cam, look)
        if (h, w) not in self._stamps:
            self._stamps[(h, w)] = np.full((h, w), -1, np.int64)
        stamp = self._stamps[(h, w)]
        unoccluded = np.zeros(n, np.int64)
        extent = np.empty((actors.shape[0], 4), np.int64)
        extent[:] = (w, h, -1, -1)
        m = self.meshes
        ws, near_lights, table = self._actor_workspaces(lights.shape[0], fog_lut.shape[0])
        # this pass's stamp values, taken before it runs (a pass that fails midway has
        # stamped some pixels: the next must not reuse its values)
        base = self._stamp_base
        self._stamp_base += actors.shape[0] + 1
        R.draw_actors(m.faces, m.sides, m.role, m.plane, m.centre, m.start, m.count,
                      ROLE_COLOURS, actors, cam.block(), _shade_block(look), lights, fog_lut,
                      colour, depth, inst, sem, stamp, np.int64(base), unoccluded,
                      extent, ws, near_lights, table)
        if id(inst) in self._drawn:  # a kept buffer: cleared where this frame drew, next
            self._drawn[id(inst)] = extent
        return cam, colour, depth, inst, sem, image, actors, unoccluded, extent, lights

    def _posts(self, cam: Camera) -> np.ndarray:
        """The lamp posts near ``cam`` (lamps.posts_near), found once per frame."""
        if self._near_posts[0] is not cam:
            self._near_posts = (cam, posts_near(self.street_lights, cam))
        return self._near_posts[1]

    def _colour_buffer(self, h: int, w: int, blurred: bool = False) -> np.ndarray:
        """The packed colour buffer (or the motion blur's): scratch, never handed out, kept
        between frames."""
        key = (h, w, blurred)
        if key not in self._colour_buffers:
            self._colour_buffers[key] = np.empty((h, w), np.uint32)
        return self._colour_buffers[key]

    def _frame_buffers(self, h: int, w: int) -> tuple[np.ndarray, ...]:
        """Depth, instance, semantic and image arrays for a new Frame, and the depth its
        rows hold outside actors (draw_ground's row_depth); the instance array is -1
        everywhere (what the actor pass expects).

        Fresh arrays of this size cost ~0.1-0.4 ms a frame in page faults (the memory
        of the frame before went back to the system), so the renderer keeps the
        arrays of its last frames and reuses a set once nothing else refers to any of
        its arrays (no Frame, view or copy of the caller's holds them). What the actors
        of its last frame drew is taken out of a reused set's instance and depth arrays
        (raster.undraw; a Frame hands both out read-only, so nothing else wrote into them).
        """
        sets = self._buffer_sets.setdefault((h, w), [])
        for arrays in sets:
            if _unreferenced(arrays):
                key = id(arrays[1])
                R.undraw(arrays[1], arrays[0], self._row_depth[key], self._drawn[key])
                self._drawing(arrays[1])
                return (*arrays, self._row_depth[key])
        arrays = (np.empty((h, w), np.float32), np.full((h, w), -1, np.int32),
                  np.empty((h, w), np.uint8), np.empty((h, w, 3), np.uint8))
        row_depth = np.full(h, np.nan, np.float32)  # nothing written yet
        if len(sets) < BUFFER_SETS:
            sets.append(arrays)
            self._row_depth[id(arrays[1])] = row_depth
            self._drawing(arrays[1])
        return (*arrays, row_depth)

    def _drawing(self, inst: np.ndarray) -> None:
        """Until the actor pass into a kept ``inst`` ends (and records its extents), the
        whole image counts as drawn: an error midway leaves nothing uncleared."""
        h, w = inst.shape
        self._drawn[id(inst)] = np.array([[0, 0, w - 1, h - 1]], np.int64)

    def _actor_workspaces(self, n_lights: int, n_fog: int) -> tuple[np.ndarray, ...]:
        """draw_actors' workspaces (kept between frames, grown when a frame needs more)."""
        ws, near_lights, table = self._actor_ws
        if near_lights.shape[0] < n_lights:
            near_lights = np.empty(2 * n_lights, np.int64)
        if table.shape[0] < n_fog:
            table = np.empty(n_fog, np.uint32)
        self._actor_ws = (ws, near_lights, table)
        return self._actor_ws

    def _ground_scratch(self, w: int) -> tuple[np.ndarray, ...]:
        """draw_ground's workspaces for an image width (its light row is left zeroed)."""
        if w not in self._ground_scratches:
            self._ground_scratches[w] = (np.zeros((3, (w - 1) // LIGHT_STEP + 2)),
                                         np.empty(w + LIGHT_STEP, np.uint32),
                                         np.empty(w, np.uint32))
        return self._ground_scratches[w]

    def _ground_block(self, cam: Camera, look: Look, tex: GroundTexture) -> np.ndarray:
        """draw_ground's parameters (read-only; kept per look, camera spec and texture)."""
        key = (look, cam.spec, look.surface)
        g = self._ground_blocks.get(key)
        if g is None:
            if len(self._ground_blocks) > 64:
                self._ground_blocks.clear()
            g = self._ground_blocks[key] = _frozen(self._new_ground_block(cam, look, tex))
        return g

    def _new_ground_block(self, cam: Camera, look: Look, tex: GroundTexture) -> np.ndarray:
        from simdrive.render import ground_pass as G

        g = np.zeros(G_COUNT)
        g[G.G_TEXEL], g[G.G_X0], g[G.G_Y0] = tex.texel_m, tex.x0, tex.y0
        g[G.G_ORTHO] = 1.0 if cam.orthographic else 0.0
        g[G.G_FX] = cam.intrinsics[0, 0]
        g[G.G_MPP] = cam.spec.metres_per_pixel
        g[G.G_FAR] = cam.spec.far_m
        ground_light = np.array(look.ambient) + np.array(look.sun_rgb) * max(0.0, look.sun_dir[2])
        g[G.G_TINT:G.G_TINT + 3] = ground_light
        g[G.G_FOG_RGB:G.G_FOG_RGB + 3] = look.fog_rgb
        g[G.G_FOG_SCALE] = FOG_LUT_PER_M
        return g

    def _actor_block(self, scene: Scene, cam: Camera, look: Look) -> np.ndarray:
        """The raster kernels' rows of the actors, then of the lamp posts and the traffic
        signals near the camera."""
        n = len(scene.names)
        posts = self._posts(cam)
        signals = signals_near(self.signal_heads, self.road, cam, scene.signal_time_s) \
            if self.signal_heads.shape[0] else _NO_SIGNALS
        out = np.empty((n + len(posts) + len(signals), B.A_COUNT))
        mount = np.int64(scene.index(cam.spec.mount))
        R.actor_rows(scene.x, scene.y, scene.heading, scene.length, scene.width, scene.height,
                     scene.kind, self._colours(scene), kind_tables().vehicle, scene.lamps,
                     scene.moving, scene.accel, look.lights_on, float(ACTOR_CLASS_BASE),
                     cam.position, not cam.orthographic, mount, posts, float(POLE_MESH), _POST_SIZE,
                     _POST_RGB, look.street_lights_on, float(SEMANTIC["pole"]), signals,
                     float(SIGNAL_MESH), SIGNAL_SIZE, float(SEMANTIC["traffic_light"]), out)
        return out

    def _colours(self, scene: Scene) -> np.ndarray:
        """Body colours by slot; a run renders the same actors frame after frame."""
        key = (scene.names, scene.kind.tobytes())
        if key not in self._colour_cache:
            if len(self._colour_cache) > 64:
                self._colour_cache.clear()
            self._colour_cache[key] = scene.colours()
        return self._colour_cache[key]

    def _motion_blur(self, colour, depth, scene: Scene, cam: Camera) -> np.ndarray:
        """The packed colours blurred by the mount's motion during a 1/50 s exposure, in a
        second scratch buffer (optics: before the sensor's noise; labels are unchanged)."""
        k = scene.index(cam.spec.mount)
        step = scene.speed[k] * EXPOSURE_S
        move = cam.rotation @ np.array([math.cos(scene.heading[k]), math.sin(scene.heading[k]),
                                        0.0]) * step
        kk = cam.intrinsics
        h, w = colour.shape
        out = self._colour_buffer(h, w, blurred=True)
        FN.motion_blur(colour.reshape(-1), out, depth, move[0], move[1], move[2], kk[0, 0],
                       kk[1, 1], kk[0, 2], kk[1, 2], 24.0)
        return out

    def _labels(self, scene, cam, look, actors, unoccluded, vis_box, vis_count, lights,
                glows):
        """One ActorLabel per actor except the camera's own vehicle (every number from
        one kernel call, then read as Python numbers); its visibility is dimmed by the
        glare of the lamps in ``glows`` (lighting.dazzle)."""
        n = len(scene.names)
        tables = kind_tables()
        geometry = np.empty((n, L.LG_COUNT))
        L.label_geometry(scene.x, scene.y, scene.heading, scene.length, scene.width,
                         scene.height, cam.block(), cam.level_rotation, cam.position,
                         cam.width, cam.height, vis_count, unoccluded,
                         math.inf if cam.orthographic else look.fog_visibility_m,
                         np.empty((8, 3)), np.empty((2, L.POLY_MAX, 3)), geometry)
        light, bright = actor_light(scene, look, cam, lights)
        visibility = geometry[:, L.LG_VISIBILITY] * light
        if glows.shape[0] and glows[:, FN.G_GLARE].any():
            dazzle(glows, vis_box, vis_count, bright, cam.block(), visibility)
        geometry[:, L.LG_VISIBILITY] = visibility
        names, categories = tables.names, tables.categories
        out = []
        # one zip over plain lists and each geometry row unpacked at once (the columns'
        # order is labels.LG_*): indexing per field cost half the labels' time
        for k, (own, g, vb, visible, covered, kind, name, dims) in enumerate(zip(
                (actors[:n, B.A_KIND] < 0).tolist(), geometry.tolist(), vis_box.tolist(),
                vis_count.tolist(), unoccluded.tolist(), scene.kind.tolist(), scene.names,
                zip(scene.height.tolist(), scene.width.tolist(), scene.length.tolist(),
                    strict=True), strict=True)):
            if own:
                continue
            (_, _, _, _, distance, lx, ly, lz, rotation_y, alpha, cx0, cy0, cx1, cy1,
             truncation, occlusion, kitti, visibility) = g
            clipped = (cx0, cy0, cx1, cy1) if cx0 == cx0 else None
            out.append(ActorLabel(
                k, name, names[kind], categories[kind], clipped is not None and covered > 0,
                clipped, (vb[0], vb[1], vb[2] + 1, vb[3] + 1) if visible else None, visible,
                covered, occlusion, truncation, int(kitti), dims, (lx, ly, lz), rotation_y,
                alpha, distance, visibility))
        return tuple(out)


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _unreferenced(arrays: tuple[np.ndarray, ...]) -> bool:
    """Whether only ``arrays`` (a renderer's buffer set) refers to each of its arrays."""
    return all(sys.getrefcount(a) == _ONLY_IN_A_TUPLE for a in arrays)


# the count sys.getrefcount reports, in the expression above, for an array held by the
# tuple alone (the tuple, the loop variable and the call's argument)
_ONLY_IN_A_TUPLE = next(sys.getrefcount(a) for a in (np.empty(0),))


@lru_cache(maxsize=32)
def _fog_lut(look: Look, enabled: bool) -> np.ndarray:
    return look.fog_lut(enabled)


@lru_cache(maxsize=32)
def _sky_lut(look: Look) -> np.ndarray:
    return look.sky_lut(SKY_LUT)


_POST_SIZE = np.array([2.0, 0.2, STREET_LIGHT_HEIGHT_M])  # lamp post box: length, width, height
_POST_RGB = np.array([110.0, 112.0, 116.0])
_NO_SIGNALS = np.zeros((0, 4))


@lru_cache(maxsize=32)
def _shade_block(look: Look) -> np.ndarray:
    """The actor pass's shading parameters of a look (read-only)."""
    shade = np.zeros(B.SH_COUNT)
    shade[B.SH_AMBIENT:B.SH_AMBIENT + 3] = look.ambient
    shade[B.SH_SUN_DIR:B.SH_SUN_DIR + 3] = look.sun_dir
    shade[B.SH_SUN_RGB:B.SH_SUN_RGB + 3] = look.sun_rgb
    shade[B.SH_FOG_RGB:B.SH_FOG_RGB + 3] = look.fog_rgb
    shade[B.SH_FOG_SCALE] = FOG_LUT_PER_M
    shade[B.SH_HEAD_RGB:B.SH_HEAD_RGB + 3] = (255.0, 250.0, 235.0)
    shade[B.SH_TAIL_RGB:B.SH_TAIL_RGB + 3] = (255.0, 40.0, 30.0)
    return _frozen(shade)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


_SKY_SEM = np.uint8(SEMANTIC["sky"])
