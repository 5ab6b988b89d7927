"""The map painted as a top-down ground texture: colour mip pyramid and semantic classes.

Built once per (road map, surface) from the shapely geometry of the map:
grass verges, asphalt, parking bays, sidewalks with kerbs, zebra crossings,
stop lines and lane markings (solid, dashed 3 m / 6 m, double solid). Colour
is drawn anti-aliased; the semantic layer is drawn with the same shapes
without anti-aliasing so classes have exact boundaries. ``surface`` (dry,
wet, snow) changes the paint: a wet road is darker, snow covers the verges and
sidewalks. Texture grain is a hash of each texel plus blotches on grass from a fixed
seed, so the ground is identical in every run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from shapely.geometry import LineString, MultiPolygon, Polygon, box
from shapely.ops import substring, unary_union

from simdrive.render.grain import grain_texels, pack_tiled, tiled_size
from simdrive.render.semantic import SEMANTIC
from simdrive.world.maps import MARKING_DASHED, MARKING_DOUBLE_SOLID, RoadMap

MAX_TEXELS = 12_000_000  # texel size grows for large maps so the base level stays under this
FINEST_TEXEL_M = 0.05
MARGIN_M = 40.0
MARKING_WIDTH_M = 0.15
STOP_LINE_WIDTH_M = 0.4
KERB_WIDTH_M = 0.2
DASH_M, GAP_M = 3.0, 6.0

PAINT = {  # sRGB per surface: dry, wet, snow
    "grass": ((84, 116, 58), (62, 92, 44), (232, 235, 240)),
    "asphalt": ((78, 78, 80), (46, 47, 51), (96, 96, 102)),
    "parking": ((88, 87, 86), (52, 52, 55), (200, 202, 208)),
    "sidewalk": ((168, 164, 156), (112, 110, 106), (225, 228, 233)),
    "kerb": ((200, 198, 192), (150, 148, 144), (215, 218, 222)),
    "paint": ((236, 236, 230), (196, 196, 192), (220, 222, 226)),
}
SURFACES = ("dry", "wet", "snow")


@dataclass(frozen=True, eq=False)
class GroundTexture:
    """Texture levels for the ground kernel.

    tex: uint32 words 0xSSRRGGBB (S: semantic class, R, G, B: sRGB colour);
    level k starts at level_offset[k] and is level_width[k] x level_height[k]
    texels, each texel_m * 2**k metres wide, stored in 8 x 8 tiles
    (see texel_index). semantic: (h0, w0) uint8 classes of level 0 (plain).
    Texel (row, col) of level 0 covers world x in [x0 + col * texel_m, ...) and
    y in [y0 + row * texel_m, ...).
    """

    tex: np.ndarray
    level_offset: np.ndarray
    level_width: np.ndarray
    level_height: np.ndarray
    semantic: np.ndarray
    x0: float
    y0: float
    texel_m: float


def _polys(geometry) -> list[Polygon]:
    if geometry is None or geometry.is_empty:
        return []
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    return [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon)]


class _Canvas:
    """World-coordinate drawing on the colour image (anti-aliased) and class image."""

    SHIFT = 4

    def __init__(self, x0: float, y0: float, texel: float, w: int, h: int, surface: int):
        self.x0, self.y0, self.texel = x0, y0, texel
        self.surface = surface
        self.rgb = np.empty((h, w, 3), np.uint8)
        # one row, then copied row by row (broadcasting a 3-tuple over the whole image
        # is ~10x slower)
        self.rgb[0] = PAINT["grass"][surface]
        self.rgb[1:] = self.rgb[0]
        self.sem = np.full((h, w), SEMANTIC["vegetation"], np.uint8)

    def _pts(self, coords) -> np.ndarray:
        xy = (np.asarray(coords)[:, :2] - (self.x0, self.y0)) / self.texel
        return np.round(xy * (1 << self.SHIFT)).astype(np.int32)

    def fill(self, geometry, paint: str, semantic: str) -> None:
        """Paint polygons; holes stay as they were (cv2.fillPoly fills even-odd)."""
        for poly in _polys(geometry):
            rings = [self._pts(poly.exterior.coords)] + [self._pts(r.coords)
                                                         for r in poly.interiors]
            cv2.fillPoly(self.rgb, rings, PAINT[paint][self.surface], cv2.LINE_AA, self.SHIFT)
            cv2.fillPoly(self.sem, rings, int(SEMANTIC[semantic]), cv2.LINE_8, self.SHIFT)


def _texture_frame(road: RoadMap) -> tuple[float, float, float, int, int]:
    parts = [road.drivable, road.sidewalks, road.parking, road.crosswalks]
    bounds = unary_union([p for p in parts if not p.is_empty]).bounds
    x0, y0 = bounds[0] - MARGIN_M, bounds[1] - MARGIN_M
    width_m, height_m = bounds[2] + MARGIN_M - x0, bounds[3] + MARGIN_M - y0
    texel = max(FINEST_TEXEL_M, math.sqrt(width_m * height_m / MAX_TEXELS))
    return x0, y0, texel, int(math.ceil(width_m / texel)), int(math.ceil(height_m / texel))


def _dashes(line: LineString, width: float) -> list:
    out = []
    s = 0.0
    while s < line.length:
        piece = substring(line, s, min(s + DASH_M, line.length))
        out.append(piece.buffer(width / 2, cap_style="flat"))
        s += DASH_M + GAP_M
    return out


def _stripes(area: Polygon, spacing: float, offset: float, width: float, reach: float,
             stop_pad: float) -> list:
    """Bars ``width`` m wide every ``spacing`` m along ``area``'s long axis, each across
    the area (``reach`` m to either side of the axis), cut to the area."""
    rect = area.minimum_rotated_rectangle
    xs, ys = rect.exterior.coords.xy
    edges = [(xs[k + 1] - xs[k], ys[k + 1] - ys[k]) for k in range(2)]
    long_edge = max(edges, key=lambda e: math.hypot(*e))
    length = math.hypot(*long_edge)
    ux, uy = long_edge[0] / length, long_edge[1] / length
    c = area.centroid
    bars = []
    for k in np.arange(-length / 2 - stop_pad, length / 2 + stop_pad + 0.01, spacing):
        bx, by = c.x + ux * (k + offset), c.y + uy * (k + offset)
        bar = LineString([(bx - uy * reach, by + ux * reach), (bx + uy * reach, by - ux * reach)])
        bars.append(bar.buffer(width / 2, cap_style="flat").intersection(area))
    return bars


def _zebra(crosswalk: Polygon) -> list:
    """Bars 0.5 m wide every 1 m across a crossing, parallel to the traffic."""
    return _stripes(crosswalk, 1.0, 0.25, 0.5, 20.0, 1.0)


def _bay_lines(parking: Polygon) -> list:
    """Thin lines across a parking strip every 6 m: one bay per car."""
    return _stripes(parking, 6.0, 0.0, 0.12, 10.0, 0.0)


def _paint(road: RoadMap, canvas: _Canvas) -> None:
    canvas.fill(road.sidewalks, "sidewalk", "sidewalk")
    kerbs = [p.exterior.buffer(KERB_WIDTH_M / 2).intersection(p) for p in _polys(road.sidewalks)]
    canvas.fill(unary_union(kerbs) if kerbs else None, "kerb", "kerb")
    canvas.fill(road.parking, "parking", "parking")
    for lot in _polys(road.parking):
        canvas.fill(unary_union(_bay_lines(lot)), "paint", "lane_marking")
    canvas.fill(road.drivable, "asphalt", "road")
    for line, style in road.lane_markings:
        if style == MARKING_DASHED:
            shapes = _dashes(line, MARKING_WIDTH_M)
        elif style == MARKING_DOUBLE_SOLID:
            shapes = [line.parallel_offset(o, "left").buffer(MARKING_WIDTH_M / 2 * 0.8,
                                                             cap_style="flat")
                      for o in (0.1, -0.1)] if line.length > 0 else []
        else:
            shapes = [line.buffer(MARKING_WIDTH_M / 2, cap_style="flat")]
        canvas.fill(unary_union(shapes).intersection(road.drivable), "paint", "lane_marking")
    for stop in road.stop_lines:
        canvas.fill(stop.buffer(STOP_LINE_WIDTH_M / 2, cap_style="flat"), "paint",
                    "lane_marking")
    for crossing in _polys(road.crosswalks):
        canvas.fill(crossing, "asphalt", "crosswalk")
        canvas.fill(unary_union(_zebra(crossing)), "paint", "crosswalk")


def _grain(rgb: np.ndarray, sem: np.ndarray) -> np.ndarray:
    """Texture grain, the same in every run: fine noise on every surface (a hash of the
    texel, see grain_texels), blotches on grass from a fixed-seed coarse field."""
    rng = np.random.default_rng(20261122)
    h, w = sem.shape
    coarse = cv2.resize(rng.normal(0.0, 10.0, (max(2, h // 40), max(2, w // 40)))
                        .astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    return grain_texels(rgb, sem, coarse, SEMANTIC["vegetation"])


def build_ground_texture(road: RoadMap, surface: str = "dry") -> GroundTexture:
    """Paint ``road`` into a GroundTexture for surface dry, wet or snow."""
    x0, y0, texel, w, h = _texture_frame(road)
    canvas = _Canvas(x0, y0, texel, w, h, SURFACES.index(surface))
    _paint(road, canvas)
    levels = [_grain(canvas.rgb, canvas.sem)]
    classes = [canvas.sem]
    while min(levels[-1].shape[:2]) > 8:
        prev = levels[-1]
        size = (max(1, prev.shape[1] // 2), max(1, prev.shape[0] // 2))
        levels.append(cv2.resize(prev, size, interpolation=cv2.INTER_AREA))
        # the class of a coarse texel is the class at one point inside it
        classes.append(np.ascontiguousarray(classes[-1][1::2, 1::2][:size[1], :size[0]]))
    sizes = np.array([tiled_size(*cls.shape) for cls in classes], np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    tex = np.zeros(int(sizes.sum()), np.uint32)
    for level, cls, start, size in zip(levels, classes, offsets, sizes, strict=True):
        pack_tiled(level, cls, tex[start:start + size])
    return GroundTexture(
        tex=tex, level_offset=offsets,
        level_width=np.array([lv.shape[1] for lv in levels], np.int64),
        level_height=np.array([lv.shape[0] for lv in levels], np.int64),
        semantic=np.ascontiguousarray(canvas.sem), x0=x0, y0=y0, texel_m=texel,
    )


def texture_extent(t: GroundTexture) -> Polygon:
    """The world rectangle the texture covers (m)."""
    h, w = t.semantic.shape
    return box(t.x0, t.y0, t.x0 + w * t.texel_m, t.y0 + h * t.texel_m)
