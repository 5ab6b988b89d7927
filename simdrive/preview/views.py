"""The two pictures of the preview: the dashcam frame(s) and a bird's-eye map.

The dashcam view shows what the renderer made (simdrive.render), with the label
overlay of ``simdrive frame --overlay`` when boxes are on. The bird's-eye view
is drawn here with pygame from the road map's polygons and the actors' boxes,
so that zoom, pan and picking an actor share one world <-> screen transform
(:class:`BirdsEyeTransform`, the only owner of that mapping).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pygame
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.ops import substring

from simdrive.render.overlay import CATEGORY_COLOURS, draw_labels
from simdrive.render.renderer import Frame
from simdrive.render.scene import Scene
from simdrive.scenario.cameras import CameraSpec
from simdrive.world.actors import actor_kind, actor_kinds
from simdrive.world.maps import MARKING_DASHED, MARKING_DOUBLE_SOLID, RoadMap

GRASS = (74, 96, 62)
ASPHALT = (62, 64, 68)
PARKING = (78, 80, 86)
SIDEWALK = (150, 148, 142)
CROSSWALK = (196, 196, 190)
MARKING = (236, 236, 228)
EGO_OUTLINE = (60, 240, 110)
SELECTED = (255, 255, 255)
CRASHED = (255, 60, 60)
DASH_M, GAP_M = 3.0, 6.0  # dashed lane lines, m


# ---- dashcam -------------------------------------------------------------------------

def image_surface(image_rgb: np.ndarray) -> pygame.Surface:
    """A pygame surface holding a copy of an (H, W, 3) uint8 RGB image."""
    h, w = image_rgb.shape[:2]
    return pygame.image.frombytes(np.ascontiguousarray(image_rgb).tobytes(), (w, h), "RGB")


def dashcam_surface(frame: Frame, size: tuple[int, int], boxes: bool,
                    selected: str | None = None) -> pygame.Surface:
    """The frame scaled to ``size`` px, with labels drawn when ``boxes``; the selected actor's
    boxes are outlined in white whether boxes are on or not."""
    image = draw_labels(frame.rgb, frame.labels) if boxes else frame.rgb
    surface = image_surface(image)
    if surface.get_size() != size:
        surface = pygame.transform.smoothscale(surface, size)
    if selected is not None:
        sx = size[0] / frame.camera.width
        sy = size[1] / frame.camera.height
        for lab in frame.labels:
            if lab.name != selected or not lab.in_view:
                continue
            for box, width in ((lab.amodal_box, 1), (lab.visible_box, 3)):
                if box is not None:
                    x0, y0, x1, y1 = box
                    rect = pygame.Rect(round(x0 * sx), round(y0 * sy),
                                       max(1, round((x1 - x0) * sx)), max(1, round((y1 - y0) * sy)))
                    pygame.draw.rect(surface, SELECTED, rect, width)
    return surface


def fit_size(image_size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The largest size with the image's aspect ratio inside ``box`` (px)."""
    w, h = image_size
    scale = min(box[0] / w, box[1] / h)
    return max(1, int(w * scale)), max(1, int(h * scale))


# ---- bird's-eye ----------------------------------------------------------------------

@dataclass
class BirdsEyeTransform:
    """World (m, x right, y up) <-> screen (px) of the bird's-eye view.

    The view is centred on ``anchor`` (the ego's position, when following) plus
    ``offset`` (m, the pan); ``pixels_per_m`` is the zoom; ``rect`` is where the
    view sits in the window.
    """

    rect: pygame.Rect
    anchor: tuple[float, float] = (0.0, 0.0)
    offset: tuple[float, float] = (0.0, 0.0)
    pixels_per_m: float = 9.0
    MIN_ZOOM = 0.5
    MAX_ZOOM = 80.0

    @property
    def centre_m(self) -> tuple[float, float]:
        return self.anchor[0] + self.offset[0], self.anchor[1] + self.offset[1]

    def to_screen(self, xy_m: np.ndarray) -> np.ndarray:
        """(..., 2) world points in m to screen pixels (float)."""
        cx, cy = self.centre_m
        xy = np.asarray(xy_m, dtype=np.float64)
        out = np.empty_like(xy)
        out[..., 0] = self.rect.centerx + (xy[..., 0] - cx) * self.pixels_per_m
        out[..., 1] = self.rect.centery - (xy[..., 1] - cy) * self.pixels_per_m
        return out

    def to_world(self, px: tuple[float, float]) -> tuple[float, float]:
        """A screen pixel to world metres."""
        cx, cy = self.centre_m
        return (cx + (px[0] - self.rect.centerx) / self.pixels_per_m,
                cy - (px[1] - self.rect.centery) / self.pixels_per_m)

    def pan(self, dx_px: float, dy_px: float) -> None:
        """Move the picture by a mouse drag of (dx, dy) px."""
        self.offset = (self.offset[0] - dx_px / self.pixels_per_m,
                       self.offset[1] + dy_px / self.pixels_per_m)

    def zoom(self, factor: float, at_px: tuple[float, float] | None = None) -> None:
        """Zoom by ``factor`` keeping the world point under ``at_px`` (default: centre) still."""
        at_px = at_px if at_px is not None else self.rect.center
        before = self.to_world(at_px)
        self.pixels_per_m = min(max(self.pixels_per_m * factor, self.MIN_ZOOM), self.MAX_ZOOM)
        after = self.to_world(at_px)
        self.offset = (self.offset[0] + before[0] - after[0],
                       self.offset[1] + before[1] - after[1])


def _rings(area) -> list[tuple[np.ndarray, list[np.ndarray]]]:
    polygons = area.geoms if isinstance(area, MultiPolygon) else [area]
    return [(np.asarray(p.exterior.coords)[:, :2], [np.asarray(r.coords)[:, :2]
                                                     for r in p.interiors])
            for p in polygons if isinstance(p, Polygon) and not p.is_empty]


def _dashes(line: LineString) -> list[np.ndarray]:
    out = []
    s = 0.0
    while s < line.length:
        piece = substring(line, s, min(s + DASH_M, line.length))
        out.append(np.asarray(piece.coords)[:, :2])
        s += DASH_M + GAP_M
    return out


class MapPicture:
    """A road map's areas and markings as point arrays, drawn through a transform."""

    def __init__(self, road: RoadMap) -> None:
        self.areas = [(colour, ring) for colour, area in (
            (ASPHALT, road.drivable), (PARKING, road.parking), (SIDEWALK, road.sidewalks),
            (CROSSWALK, road.crosswalks)) for ring in _rings(area)]
        self.lines: list[np.ndarray] = []
        for line, style in road.lane_markings:
            if style == MARKING_DASHED:
                self.lines += _dashes(line)
            elif style == MARKING_DOUBLE_SOLID:
                self.lines += [np.asarray(line.offset_curve(o).coords)[:, :2] for o in (-.12, .12)]
            else:
                self.lines.append(np.asarray(line.coords)[:, :2])
        self.stop_lines = [np.asarray(s.coords)[:, :2] for s in road.stop_lines]

    def draw(self, surface: pygame.Surface, t: BirdsEyeTransform) -> None:
        for colour, (exterior, holes) in self.areas:
            pygame.draw.polygon(surface, colour, t.to_screen(exterior).tolist())
            for hole in holes:
                pygame.draw.polygon(surface, GRASS, t.to_screen(hole).tolist())
        width = max(1, round(0.15 * t.pixels_per_m))
        for pts in self.lines:
            if len(pts) >= 2:
                pygame.draw.lines(surface, MARKING, False, t.to_screen(pts).tolist(), width)
        for pts in self.stop_lines:
            pygame.draw.lines(surface, MARKING, False, t.to_screen(pts).tolist(),
                              max(1, round(0.4 * t.pixels_per_m)))


def box_corners(scene: Scene) -> np.ndarray:
    """(N, 4, 2) ground corners (m) of every actor's box: front-left, front-right, ..."""
    c, s = np.cos(scene.heading), np.sin(scene.heading)
    hl, hw = scene.length / 2, scene.width / 2
    local = np.stack([np.stack([hl, hw], -1), np.stack([hl, -hw], -1),
                      np.stack([-hl, -hw], -1), np.stack([-hl, hw], -1)], 1)  # (N, 4, 2)
    x = scene.x[:, None] + local[..., 0] * c[:, None] - local[..., 1] * s[:, None]
    y = scene.y[:, None] + local[..., 0] * s[:, None] + local[..., 1] * c[:, None]
    return np.stack([x, y], -1)


def actor_at(scene: Scene, point_m: tuple[float, float], margin_m: float) -> str | None:
    """Name of the actor whose box (grown by ``margin_m``) holds the point; the nearest centre
    if several do; None if none."""
    dx = point_m[0] - scene.x
    dy = point_m[1] - scene.y
    c, s = np.cos(scene.heading), np.sin(scene.heading)
    along = dx * c + dy * s
    across = -dx * s + dy * c
    inside = (np.abs(along) <= scene.length / 2 + margin_m) & \
             (np.abs(across) <= scene.width / 2 + margin_m)
    if not inside.any():
        return None
    candidates = np.flatnonzero(inside)
    best = candidates[np.argmin(np.hypot(dx, dy)[candidates])]
    return scene.names[int(best)]


def camera_outline(scene: Scene, camera: CameraSpec, reach_m: float = 40.0) -> np.ndarray:
    """Ground outline (M, 2) in m of what ``camera`` sees: a wedge or the bird's-eye footprint."""
    k = scene.index(camera.mount)
    h = float(scene.heading[k])
    c, s = math.cos(h), math.sin(h)
    x = float(scene.x[k]) + camera.x * c - camera.y * s
    y = float(scene.y[k]) + camera.x * s + camera.y * c
    if camera.projection == "orthographic":
        hw = camera.width * camera.metres_per_pixel / 2
        hh = camera.height * camera.metres_per_pixel / 2
        local = [(hh, hw), (hh, -hw), (-hh, -hw), (-hh, hw), (hh, hw)]
        return np.array([(x + a * c - b * s, y + a * s + b * c) for a, b in local])
    yaw = h + math.radians(camera.yaw_deg)
    half = math.radians(camera.fov_deg) / 2
    return np.array([(x + reach_m * math.cos(yaw + half), y + reach_m * math.sin(yaw + half)),
                     (x, y),
                     (x + reach_m * math.cos(yaw - half), y + reach_m * math.sin(yaw - half))])


class BirdsEyeView:
    """The map with every actor's box; follows the ego until the user pans."""

    def __init__(self, road: RoadMap, rect: pygame.Rect) -> None:
        self.map = MapPicture(road)
        self.transform = BirdsEyeTransform(rect)
        self.following = True
        self._font = None

    def set_road(self, road: RoadMap) -> None:
        self.map = MapPicture(road)

    def follow(self) -> None:
        self.following = True
        self.transform.offset = (0.0, 0.0)

    def draw(self, surface: pygame.Surface, scene: Scene, ego: str | None,
             selected: str | None, camera: CameraSpec | None, font: pygame.font.Font,
             crashed: frozenset[str] = frozenset()) -> None:
        t = self.transform
        if self.following and ego is not None:  # the ego a quarter view behind the centre
            k = scene.index(ego)
            ahead_m = 0.25 * min(t.rect.width, t.rect.height) / t.pixels_per_m
            h = float(scene.heading[k])
            t.anchor = (float(scene.x[k]) + ahead_m * math.cos(h),
                        float(scene.y[k]) + ahead_m * math.sin(h))
        surface.set_clip(t.rect)
        surface.fill(GRASS, t.rect)
        self.map.draw(surface, t)
        if camera is not None and camera.mount in scene.names:
            pygame.draw.lines(surface, (250, 250, 140), camera.projection == "orthographic",
                              t.to_screen(camera_outline(scene, camera)).tolist(), 1)
        corners = t.to_screen(box_corners(scene))
        colours = scene.colours()
        kinds = actor_kinds()
        for k, name in enumerate(scene.names):
            pts = corners[k].tolist()
            pygame.draw.polygon(surface, tuple(int(v) for v in colours[k]), pts)
            category = actor_kind(kinds[int(scene.kind[k])]).category
            outline = EGO_OUTLINE if name == ego else CATEGORY_COLOURS.get(category, MARKING)
            if name in crashed:  # crossed out: a red car's red outline alone hid it
                outline = CRASHED
                pygame.draw.line(surface, CRASHED, pts[0], pts[2], 2)
                pygame.draw.line(surface, CRASHED, pts[1], pts[3], 2)
            pygame.draw.polygon(surface, outline, pts, 2 if name == ego or name in crashed else 1)
            front = (corners[k, 0] + corners[k, 1]) / 2
            pygame.draw.line(surface, outline, corners[k].mean(0).tolist(), front.tolist(), 1)
            if name == selected:
                centre = corners[k].mean(0)
                radius = max(8, 0.6 * t.pixels_per_m * float(scene.length[k]))
                pygame.draw.circle(surface, SELECTED, centre.tolist(), radius, 2)
            if t.pixels_per_m >= 12 or name in (ego, selected):
                text = font.render(name, True, SELECTED if name == selected else (230, 230, 230))
                surface.blit(text, (corners[k, :, 0].max() + 3, corners[k, :, 1].min() - 2))
        surface.set_clip(None)
