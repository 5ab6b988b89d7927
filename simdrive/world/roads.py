"""Straight and curved roads: a cross-section of driving lanes, parking and sidewalks
swept along a straight or circular centre line (map types ``straight`` and ``curved``)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from shapely.geometry import LineString, MultiPolygon, Polygon

from simdrive.errors import MapError
from simdrive.world.lanes import LANE_DRIVING, LANE_PARKING, LANE_SIDEWALK, Lane
from simdrive.world.maps import (
    MARKING_DASHED,
    MARKING_DOUBLE_SOLID,
    MARKING_SOLID,
    REQUIRED,
    Option,
    RoadMap,
    read_options,
    register_map_builder,
)

CHORD_ERROR_M = 0.02
"""Largest distance between a sampled polyline and the arc it stands for, m."""

SIDEWALK_SPEED_LIMIT = 2.5
"""Speed limit of sidewalk lanes, m/s (a brisk walk; slow cycling)."""

_SIDES = ("none", "left", "right", "both")
_SIDE_SETS = {"none": set(), "left": {"left"}, "right": {"right"}, "both": {"left", "right"}}
CROSS_SECTION = {
    "lanes": Option(1, "int", 1, 4),
    "lane_width": Option(3.5, "number", 2.0, 6.0),
    "speed_limit": Option(13.9, "number", 0.0, 70.0, low_open=True),
    "sidewalks": Option("both", "choice", choices=_SIDES),
    "sidewalk_width": Option(2.0, "number", 0.5, 10.0),
    "parking": Option("none", "choice", choices=_SIDES),
    "parking_width": Option(2.5, "number", 1.5, 5.0),
    "one_way": Option(False, "bool"),
}
_STRAIGHT = {"length": Option(200.0, "number", 10.0, 100_000.0, low_open=True), **CROSS_SECTION}
_CURVED = {
    "radius": Option(REQUIRED, "number"),
    "length": Option(200.0, "number", 10.0, 100_000.0, low_open=True),
    **CROSS_SECTION,
}
_MIN_INNER_RADIUS_M = 5.0  # tightest edge radius a curved road may have


class _Centreline:
    """Reference line from (0, 0) heading +x, straight or a circular arc of ``radius`` m
    (positive turns left). Offsets y are in m, positive to the left."""

    def __init__(self, length: float, radius: float | None, max_offset: float) -> None:
        self.radius = radius
        n_seg = 1
        if radius is not None:
            step = 2.0 * math.acos(1.0 - CHORD_ERROR_M / (abs(radius) + max_offset))
            n_seg = math.ceil(length / abs(radius) / step)
        self.u = np.linspace(0.0, length, n_seg + 1)

    def offset(self, y: float) -> np.ndarray:
        """(P, 2) points of the line offset by y m, in the +u direction."""
        if self.radius is None:
            return np.stack([self.u, np.full_like(self.u, y)], axis=1)
        r = self.radius
        phi = self.u / r
        return np.stack([(r - y) * np.sin(phi), r - (r - y) * np.cos(phi)], axis=1)

    def line(self, y: float) -> LineString:
        return LineString(self.offset(y))

    def strip(self, y0: float, y1: float) -> Polygon:
        """Area between offsets y0 and y1 (m)."""
        return Polygon(np.concatenate([self.offset(y0), self.offset(y1)[::-1]]))


def _check_curve(radius: float, length: float, offsets, where: str) -> None:
    """MapError unless a curve of ``radius`` m fits the cross-section's outermost ``offsets``
    (m) and turns by at most 180 degrees over ``length`` m."""
    inner_radius = min((radius - y) * math.copysign(1.0, radius) for y in offsets)
    if abs(radius) < 20.0 or inner_radius < _MIN_INNER_RADIUS_M:
        needed = max(20.0, _MIN_INNER_RADIUS_M + abs(radius) - inner_radius)
        raise MapError("radius too tight", where=where, path="map.radius",
                       expected=f"|radius| >= {needed:g} m for this cross-section", found=radius)
    if length > math.pi * abs(radius):
        raise MapError("a curved road turns by at most 180 degrees", where=where,
                       path="map.length",
                       expected=f"a number <= pi * |radius| = {math.pi * abs(radius):.1f}",
                       found=length)


def link_neighbours(group: list[int], left: list[int], right: list[int]) -> None:
    """Link lanes listed kerbside first: each lane's left is the next one."""
    for inner, outer in zip(group[1:], group[:-1], strict=True):
        left[outer], right[inner] = inner, outer


def _build_road(o: dict, radius: float | None, where: str) -> RoadMap:
    """Road with the cross-section in ``o`` along a straight (radius None) or circular centreline.

    From the centre line outwards on each side: driving lanes, parking, sidewalk.
    """
    n, w, pw, sw = o["lanes"], o["lane_width"], o["parking_width"], o["sidewalk_width"]
    one_way, limit = o["one_way"], o["speed_limit"]
    parking, sidewalks = _SIDE_SETS[o["parking"]], _SIDE_SETS[o["sidewalks"]]
    edge = {"right": -n * w, "left": 0.0 if one_way else n * w}
    kerb = {"right": edge["right"] - pw * ("right" in parking),
            "left": edge["left"] + pw * ("left" in parking)}
    outer = {"right": kerb["right"] - sw * ("right" in sidewalks),
             "left": kerb["left"] + sw * ("left" in sidewalks)}
    if radius is not None:
        _check_curve(radius, o["length"], outer.values(), where)
    ref = _Centreline(o["length"], radius, max(abs(outer["right"]), abs(outer["left"])))
    lanes: list[Lane] = []

    def add(name: str, kind: int, y: float, width: float, reverse: bool, speed: float) -> int:
        points = ref.offset(y)
        lanes.append(Lane(name, kind, points[::-1] if reverse else points, width, speed))
        return len(lanes) - 1

    fwd = [add(f"fwd_{k}", LANE_DRIVING, -(n - k - 0.5) * w, w, False, limit) for k in range(n)]
    bwd = [] if one_way else [add(f"bwd_{k}", LANE_DRIVING, (n - k - 0.5) * w, w, True, limit)
                              for k in range(n)]
    for side, sign in (("right", -1.0), ("left", 1.0)):
        if side in parking:
            add(f"parking_{side}", LANE_PARKING, edge[side] + sign * pw / 2, pw,
                side == "left" and not one_way, limit)
    for side, sign in (("right", -1.0), ("left", 1.0)):
        if side in sidewalks:
            add(f"sidewalk_{side}", LANE_SIDEWALK, kerb[side] + sign * sw / 2, sw, False,
                SIDEWALK_SPEED_LIMIT)
    left, right = [-1] * len(lanes), [-1] * len(lanes)
    link_neighbours(fwd, left, right)
    link_neighbours(bwd, left, right)
    markings = [(ref.line(edge["right"]), MARKING_SOLID), (ref.line(edge["left"]), MARKING_SOLID)]
    if not one_way:
        markings.append((ref.line(0.0), MARKING_DOUBLE_SOLID))
    for k in range(1, n):
        markings.append((ref.line(-k * w), MARKING_DASHED))
        if not one_way:
            markings.append((ref.line(k * w), MARKING_DASHED))
    return RoadMap(
        lanes=tuple(lanes), left=tuple(left), right=tuple(right),
        successors=((-1, -1, -1),) * len(lanes), signal_group=(-1,) * len(lanes),
        drivable=ref.strip(edge["right"], edge["left"]),
        sidewalks=MultiPolygon([ref.strip(kerb[s], outer[s]) for s in sorted(sidewalks)]),
        parking=MultiPolygon([ref.strip(edge[s], kerb[s]) for s in sorted(parking)]),
        lane_markings=tuple(markings),
    )


def _build_straight(raw: Mapping[str, object], where: str) -> RoadMap:
    """Straight road from x = 0 to x = length m along the +x axis."""
    return _build_road(read_options(raw, _STRAIGHT, where=where, path="map"), None, where)


def _build_curved(raw: Mapping[str, object], where: str) -> RoadMap:
    """Circular road of ``radius`` m (positive turns left) from (0, 0) heading +x;
    ``length`` is the arc length of the centre line in m."""
    o = read_options(raw, _CURVED, where=where, path="map")
    return _build_road(o, o["radius"], where)


register_map_builder("straight", _build_straight)
register_map_builder("curved", _build_curved)
