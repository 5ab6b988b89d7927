"""Render a Scene through a camera into a Frame: image, depth, instance ids, classes, labels.

``Renderer.render`` is a pure function of (scene, camera spec, look, frame
seed): it reads a copy of the world (simdrive.render.scene) and returns new
arrays. The passes are: ground and sky (one ray-plane hit per pixel), actors
and scenery (z-buffered triangles), light halos and wet-road reflections,
then one pass writing the RGB image with precipitation, vignette and sensor
noise while collecting the visible-pixel statistics of every actor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from shapely.geometry import Point

from simdrive.render import finish as FN
from simdrive.render import raster as R
from simdrive.render.camera import Camera
from simdrive.render.ground import GroundTexture, build_ground_texture
from simdrive.render.ground_pass import G_COUNT, SKY_LUT, draw_ground
from simdrive.render.labels import (
    ActorLabel,
    amodal_boxes,
    box_corners_world,
    clip_box,
    kitti_box,
    kitti_occluded,
    truncation,
)
from simdrive.render.look import FOG_LUT_PER_M, Look
from simdrive.render.meshes import POLE_MESH, ROLE_COLOURS, build_mesh_table
from simdrive.render.scene import Scene
from simdrive.render.semantic import ACTOR_CLASS_BASE, SEMANTIC
from simdrive.scenario.cameras import CameraSpec
from simdrive.scenario.render_options import RenderOptions
from simdrive.world.actors import actor_kind, actor_kinds
from simdrive.world.lanes import LANE_SIDEWALK
from simdrive.world.maps import RoadMap

LIGHT_RANGE_M = 150.0  # lights and scenery farther from the camera are not drawn
HEADLIGHT_RANGE_M, HEADLIGHT_HALF_ANGLE_DEG, HEADLIGHT_GAIN = 70.0, 24.0, 0.9
EXPOSURE_S = 1.0 / 50.0  # for motion blur
STREET_LIGHT_SPACING_M, STREET_LIGHT_HEIGHT_M, STREET_LIGHT_RANGE_M = 28.0, 8.0, 20.0


@dataclass(frozen=True)
class Frame:
    """One rendered camera frame.

    image: (H, W, 3) uint8 RGB. depth: (H, W) float32 camera z in m (inf: sky).
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

    def mask(self, track_id: int) -> np.ndarray:
        """(H, W) bool instance mask of one actor."""
        return self.instance == track_id


def _street_lights(road: RoadMap) -> np.ndarray:
    """(M, 3) x, y, arm heading (towards the road) of lamp posts along the sidewalks."""
    out = []
    for lane in road.lanes:
        if lane.kind != LANE_SIDEWALK or lane.length < 10:
            continue
        for s in np.arange(STREET_LIGHT_SPACING_M / 2, lane.length, STREET_LIGHT_SPACING_M):
            best = None
            for side in (1.0, -1.0):
                x, y = lane.to_world(s, side * (lane.width / 2 - 0.3))[:2]
                gap = road.drivable.distance(Point(x, y))
                if best is None or gap > best[0]:
                    best = (gap, float(x), float(y), side)
            _, x, y, side = best
            heading = float(lane.heading_at(s)) - side * math.pi / 2
            out.append((x, y, heading))
    return np.array(out, float).reshape(-1, 3)


class Renderer:
    """Renders scenes of one road map. Keeps the map's ground textures and scratch buffers."""

    def __init__(self, road: RoadMap, options: RenderOptions | None = None, seed: int = 0):
        self.road = road
        self.options = options if options is not None else RenderOptions()
        self.seed = seed
        self.meshes = build_mesh_table()
        self._textures: dict[str, GroundTexture] = {}
        self._stamps: dict[tuple[int, int], np.ndarray] = {}
        self._stamp_base = 0
        self.street_lights = _street_lights(road)
        rng = np.random.default_rng([seed, 7])
        self._noise = np.round(rng.normal(0.0, 2.5, (256, 256))).astype(np.int64)
        self._precip: dict[tuple[str, float], np.ndarray] = {}

    def texture(self, surface: str) -> GroundTexture:
        if surface not in self._textures:
            self._textures[surface] = build_ground_texture(self.road, surface)
        return self._textures[surface]

    def camera(self, scene: Scene, spec: CameraSpec) -> Camera:
        k = scene.index(spec.mount)
        return Camera(spec, float(scene.x[k]), float(scene.y[k]), float(scene.heading[k]))

    # ---- the passes ------------------------------------------------------------
    def render(self, scene: Scene, spec: CameraSpec, look: Look, frame_seed: int = 0) -> Frame:
        cam, colour, depth, inst, sem, actors, unoccluded = self._rasterize(scene, spec, look)
        h, w = spec.height, spec.width
        n = len(scene.names)
        glows = self._glows(scene, cam, look, own=actors[:n, R.A_KIND] < 0)
        if glows.shape[0]:
            FN.add_glows(colour, depth, sem, glows, SEMANTIC["road"], SEMANTIC["crosswalk"])
        image = np.empty((h, w, 3), np.uint8)
        vis_box = np.empty((n, 4), np.int64)
        vis_box[:] = (w, h, -1, -1)
        vis_count = np.zeros(n, np.int64)
        self._finish(colour, inst, image, vis_box, vis_count, cam, look, frame_seed)
        if self.options.motion_blur and not cam.orthographic:
            image = self._motion_blur(image, depth, scene, cam)
        labels = self._labels(scene, cam, look, actors, unoccluded, vis_box, vis_count)
        return Frame(image, depth, inst, sem, labels, cam, scene.time_s, look)

    def _rasterize(self, scene: Scene, spec: CameraSpec, look: Look):
        """The ground and actor passes: (camera, colour, depth, inst, sem, actor block,
        unoccluded pixel counts). benchmarks/bench_render.py times this alone."""
        cam = self.camera(scene, spec)
        h, w = spec.height, spec.width
        colour = np.empty((h, w), np.uint32)
        depth = np.empty((h, w), np.float32)
        inst = np.empty((h, w), np.int32)
        sem = np.empty((h, w), np.uint8)
        fog_lut = _fog_lut(look, not cam.orthographic)
        lights = self._lights(scene, look, cam)
        tex = self.texture(look.surface)
        draw_ground(cam.ray_block(), self._ground_block(cam, look, tex), tex.tex,
                    tex.level_offset, tex.level_width, tex.level_height,
                    _sky_lut(look), np.uint8(SEMANTIC["sky"]), lights, fog_lut,
                    np.zeros((w, 3)), colour, depth, inst, sem)
        n = len(scene.names)
        actors = self._actor_block(scene, cam, look)
        stamp = self._stamps.setdefault((h, w), np.full((h, w), -1, np.int64))
        unoccluded = np.zeros(n, np.int64)
        m = self.meshes
        draw_actors(m, actors, cam, look, lights, fog_lut, colour, depth, inst, sem, stamp,
                    self._stamp_base, unoccluded)
        self._stamp_base += actors.shape[0] + 1
        return cam, colour, depth, inst, sem, actors, unoccluded

    def _ground_block(self, cam: Camera, look: Look, tex: GroundTexture) -> np.ndarray:
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
        n = len(scene.names)
        kinds = actor_kinds()
        posts = self._posts_near(cam)
        out = np.zeros((n + len(posts), R.A_COUNT))
        out[:n, R.A_X], out[:n, R.A_Y], out[:n, R.A_HEADING] = scene.x, scene.y, scene.heading
        out[:n, R.A_LENGTH], out[:n, R.A_WIDTH] = scene.length, scene.width
        out[:n, R.A_HEIGHT] = scene.height
        out[:n, R.A_KIND] = scene.kind
        out[:n, R.A_R:R.A_B + 1] = scene.colours()
        vehicles = np.array([actor_kind(kinds[int(k)]).category == "vehicle" for k in scene.kind],
                            bool)
        out[:n, R.A_LIT] = (look.lights_on & vehicles & (scene.moving != 0)).astype(float)
        out[:n, R.A_INST] = np.arange(n)
        out[:n, R.A_SEM] = ACTOR_CLASS_BASE + scene.kind
        out[:n, R.A_COUNTED] = 1.0
        if not cam.orthographic:
            for k in range(n):
                if cam.contains(scene.x[k], scene.y[k], scene.heading[k], scene.length[k],
                                scene.width[k], scene.height[k]):
                    out[k, R.A_KIND] = -1  # the camera's own vehicle
        for j, (x, y, heading) in enumerate(posts):
            row = out[n + j]
            row[R.A_X], row[R.A_Y], row[R.A_HEADING] = x, y, heading
            row[R.A_LENGTH], row[R.A_WIDTH], row[R.A_HEIGHT] = 2.0, 0.2, STREET_LIGHT_HEIGHT_M
            row[R.A_KIND] = POLE_MESH
            row[R.A_R:R.A_B + 1] = (110, 112, 116)
            row[R.A_LIT] = 1.0 if look.street_lights_on else 0.0
            row[R.A_INST] = -2
            row[R.A_SEM] = SEMANTIC["pole"]
        return out

    def _posts_near(self, cam: Camera) -> np.ndarray:
        p = cam.position
        near = np.hypot(self.street_lights[:, 0] - p[0], self.street_lights[:, 1] - p[1])
        return self.street_lights[near < LIGHT_RANGE_M]

    def _lights(self, scene: Scene, look: Look, cam: Camera) -> np.ndarray:
        rows = []
        p = cam.position
        if look.lights_on:
            kinds = actor_kinds()
            cone = math.cos(math.radians(HEADLIGHT_HALF_ANGLE_DEG))
            # headlights stand out less in twilight than in the dark
            gain = HEADLIGHT_GAIN * max(0.15, 1.0 - sum(look.ambient) / 3 / 0.62)
            for k in range(len(scene.names)):
                kind = actor_kind(kinds[int(scene.kind[k])])
                if kind.category != "vehicle" or not scene.moving[k]:
                    continue
                if math.hypot(scene.x[k] - p[0], scene.y[k] - p[1]) > LIGHT_RANGE_M:
                    continue
                c, s = math.cos(scene.heading[k]), math.sin(scene.heading[k])
                half = scene.length[k] / 2
                for side in ((0.3, -0.3) if kind.name != "motorcycle" else (0.0,)):
                    off = side * scene.width[k]
                    rows.append((scene.x[k] + c * half - s * off, scene.y[k] + s * half + c * off,
                                 0.7, c * 0.995, s * 0.995, -0.0999, cone, HEADLIGHT_RANGE_M,
                                 gain, gain * 0.97, gain * 0.88, 3.0))
        if look.street_lights_on:
            for x, y, heading in self._posts_near(cam):
                lx, ly = x + 0.8 * math.cos(heading), y + 0.8 * math.sin(heading)
                rows.append((lx, ly, STREET_LIGHT_HEIGHT_M - 0.3, 0.0, 0.0, -1.0,
                             math.cos(math.radians(68)), STREET_LIGHT_RANGE_M, 1.5, 1.2, 0.8,
                             0.0))
        return np.array(rows, float).reshape(-1, R.L_COUNT)

    def _glows(self, scene: Scene, cam: Camera, look: Look, own: np.ndarray) -> np.ndarray:
        """Halo points of lit lamps (head, tail, street) in the image, except the camera's own."""
        pts = []
        if look.lights_on:
            kinds = actor_kinds()
            for k in range(len(scene.names)):
                kind = actor_kind(kinds[int(scene.kind[k])])
                if kind.category != "vehicle" or not scene.moving[k] or own[k]:
                    continue
                c, s = math.cos(scene.heading[k]), math.sin(scene.heading[k])
                half = scene.length[k] / 2 + 0.02
                z = 0.45 * scene.height[k] if kind.name in ("car", "van") else 0.2 * \
                    scene.height[k] + 0.3
                for side in (0.36, -0.36):
                    off = side * scene.width[k]
                    for sign, rgb in ((1.0, (255.0, 245.0, 220.0)), (-1.0, (200.0, 20.0, 10.0))):
                        pts.append((scene.x[k] + sign * c * half - s * off,
                                    scene.y[k] + sign * s * half + c * off, z, rgb, 0.5))
        if look.street_lights_on:
            for x, y, heading in self._posts_near(cam):
                pts.append((x + 0.8 * math.cos(heading), y + 0.8 * math.sin(heading),
                            STREET_LIGHT_HEIGHT_M - 0.3, (255.0, 200.0, 130.0), 1.0))
        if not pts or cam.orthographic:
            return np.zeros((0, FN.G_COUNT))
        world = np.array([(x, y, z) for x, y, z, _, _ in pts])
        pc = cam.to_camera(world)
        front = pc[:, 2] > cam.spec.near_m
        uv = cam.project(np.where(front[:, None], pc, 1.0))
        out = []
        strength = 1.0 if look.lighting == "night" else 0.6
        for j in np.flatnonzero(front):
            z = pc[j, 2]
            radius = float(np.clip(cam.intrinsics[0, 0] * 0.35 * pts[j][4] / z, 2.0, 40.0))
            rgb = np.array(pts[j][3]) * strength
            reflect = radius * 6.0 if look.surface == "wet" else 0.0
            out.append((uv[j, 0], uv[j, 1], z, *rgb, radius, reflect))
        return np.array(out, float).reshape(-1, FN.G_COUNT)

    def _finish(self, colour, inst, image, vis_box, vis_count, cam, look, frame_seed) -> None:
        h, w = colour.shape
        rng = np.random.default_rng([self.seed, frame_seed, 11])
        empty = np.zeros(0, np.int64)
        precip = np.zeros((0, 0), np.uint8)
        precip_rgb = np.zeros(3, np.int64)
        if not cam.orthographic and (look.rain > 0 or look.snow > 0):
            kind = "rain" if look.rain > 0 else "snow"
            key = (kind, look.rain or look.snow)
            if key not in self._precip:
                self._precip[key] = FN.precipitation_tile(kind, key[1], self.seed)
            precip = self._precip[key]
            brightness = sum(look.ambient) / 3 / 0.62
            precip_rgb[:] = int(230 * min(1.0, brightness + 0.25))
        shift = rng.integers(0, 256, 4)
        vig_x = vig_y = empty
        if self.options.vignette and not cam.orthographic:
            vig_x, vig_y = _vignette(w, h)
        noise = self._noise if self.options.sensor_noise and not cam.orthographic else \
            np.zeros((0, 0), np.int64)
        FN.finish(colour, inst, image, vis_box, vis_count, precip, shift[:2], precip_rgb,
                  vig_x, vig_y, noise, shift[2:])

    def _motion_blur(self, image, depth, scene: Scene, cam: Camera) -> np.ndarray:
        """Blur by the mount's motion during a 1/50 s exposure (labels are unchanged)."""
        k = scene.index(cam.spec.mount)
        step = scene.speed[k] * EXPOSURE_S
        move = cam.rotation @ np.array([math.cos(scene.heading[k]), math.sin(scene.heading[k]),
                                        0.0]) * step
        kk = cam.intrinsics
        out = np.empty_like(image)
        FN.motion_blur(image, out, depth, move[0], move[1], move[2], kk[0, 0], kk[1, 1],
                       kk[0, 2], kk[1, 2], 24.0)
        return out

    def _labels(self, scene, cam, look, actors, unoccluded, vis_box, vis_count):
        n = len(scene.names)
        kinds = actor_kinds()
        corners = box_corners_world(scene.x, scene.y, scene.heading, scene.length, scene.width,
                                    scene.height)
        corners_cam = cam.to_camera(corners)
        boxes = amodal_boxes(cam, corners_cam)
        out = []
        for k in range(n):
            if actors[k, R.A_KIND] < 0:
                continue
            box = boxes[k]
            has_box = bool(np.isfinite(box).all())
            clipped = clip_box(box, cam.width, cam.height) if has_box else None
            visible = int(vis_count[k])
            covered = int(unoccluded[k])
            occl = 1.0 - visible / covered if covered else 1.0
            dims, loc, rot_y, alpha = kitti_box(cam, scene.x[k], scene.y[k], scene.heading[k],
                                               scene.length[k], scene.width[k], scene.height[k])
            centre = corners_cam[k].mean(axis=0)
            distance = float(np.linalg.norm(centre))
            kind = kinds[int(scene.kind[k])]
            out.append(ActorLabel(
                track_id=k, name=scene.names[k], kind=kind, category=actor_kind(kind).category,
                in_view=clipped is not None and covered > 0,
                amodal_box=clipped,
                visible_box=(tuple(int(v) for v in (vis_box[k, 0], vis_box[k, 1],
                                                    vis_box[k, 2] + 1, vis_box[k, 3] + 1))
                             if visible else None),
                visible_pixels=visible, unoccluded_pixels=covered, occlusion=float(occl),
                truncation=truncation(box, clipped) if has_box else 1.0,
                kitti_occluded=kitti_occluded(visible, occl), dimensions_hwl=dims,
                location_xyz=loc, rotation_y=rot_y, alpha=alpha, distance_m=distance,
                visibility=look.visibility(distance),
            ))
        return tuple(out)


@lru_cache(maxsize=32)
def _fog_lut(look: Look, enabled: bool) -> np.ndarray:
    return look.fog_lut(enabled)


@lru_cache(maxsize=32)
def _sky_lut(look: Look) -> np.ndarray:
    return look.sky_lut(SKY_LUT)


@lru_cache(maxsize=8)
def _vignette(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Separable lens fall-off, gains in 1/256 per column and per row (corners ~0.6)."""
    xs = ((np.arange(w) + 0.5) / w - 0.5) * 2
    ys = ((np.arange(h) + 0.5) / h - 0.5) * 2 * h / w
    return (np.round(256 * (1.0 - 0.22 * xs ** 2)).astype(np.int64),
            np.round(256 * (1.0 - 0.22 * ys ** 2)).astype(np.int64))


def draw_actors(m, actors, cam: Camera, look: Look, lights, fog_lut, colour, depth, inst, sem,
                stamp, stamp_base, unoccluded) -> None:
    shade = np.zeros(R.SH_COUNT)
    shade[R.SH_AMBIENT:R.SH_AMBIENT + 3] = look.ambient
    shade[R.SH_SUN_DIR:R.SH_SUN_DIR + 3] = look.sun_dir
    shade[R.SH_SUN_RGB:R.SH_SUN_RGB + 3] = look.sun_rgb
    shade[R.SH_FOG_RGB:R.SH_FOG_RGB + 3] = look.fog_rgb
    shade[R.SH_FOG_SCALE] = FOG_LUT_PER_M
    shade[R.SH_HEAD_RGB:R.SH_HEAD_RGB + 3] = (255.0, 250.0, 235.0)
    shade[R.SH_TAIL_RGB:R.SH_TAIL_RGB + 3] = (255.0, 40.0, 30.0)
    R.draw_actors(m.triangles, m.role, m.start, m.count, ROLE_COLOURS, actors, cam.block(),
                  shade, lights, fog_lut, colour, depth, inst, sem, stamp, np.int64(stamp_base),
                  unoccluded, np.zeros((R.WS_ROWS, 4)))
