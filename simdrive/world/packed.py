"""A road map packed into flat arrays for the numba kernels (built once per map)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

import numpy as np
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.polygon import orient

from simdrive.errors import MapError
from simdrive.world.lanes import LANE_CONNECTOR, Lane

AREA_DRIVABLE = 0
AREA_SIDEWALK = 1
AREA_CROSSWALK = 2
AREA_PARKING = 3

_PLAN_KEYS = ("green_s", "yellow_s", "all_red_s")
_INT_FIELDS = frozenset({"lane_start", "lane_npoints", "lane_kind", "lane_left", "lane_right",
                         "lane_successors", "lane_signal_group", "area_start", "area_npoints",
                         "area_kind", "lane_yield_start", "lane_yield_count", "yield_lane"})
ONCOMING_COS = -0.7
"""Two approaches are opposite when their directions at the junction have a cosine below
this (a left turn yields to the straight and right turns of the opposite approach)."""
WAIT_HALF_WIDTH = 1.3
"""m: half the width of the widest vehicle (a bus, 2.55 m) that waits to turn left."""
WAIT_CLEARANCE = 0.3
"""m: how far the waiting vehicle's front edge stays from the band of a lane it yields to."""
WAIT_STEP = 0.1
"""m: the resolution of the wait point along the connector."""


@dataclass(frozen=True, eq=False)
class MapArrays:
    """Static map data as C-contiguous arrays. L lanes, P lane points, K areas, Q area points.

    Fields (shape, dtype, unit):
        lane_points: (P, 2) float64, m. All lane centrelines concatenated in
            lane order, each in its direction of travel.
        lane_cum_s: (P,) float64, m. Arc length of each point from its lane's start.
        lane_start: (L,) int32. Index of each lane's first point in lane_points.
        lane_npoints: (L,) int32. Number of points of each lane (>= 2).
        lane_length: (L,) float64, m.
        lane_width: (L,) float64, m.
        lane_speed_limit: (L,) float64, m/s.
        lane_kind: (L,) int32. ``simdrive.world.lanes.LANE_*``.
        lane_left: (L,) int32. Neighbour to the left with the same direction of
            travel, -1 none. lane_right likewise.
        lane_successors: (L, 3) int32. Lanes entered at the end: slot 0
            straight, 1 left turn, 2 right turn; -1 none.
        lane_signal_group: (L,) int32. Signal group (0 or 1) of the stop line
            where the lane ends, -1 none.
        lane_max_curvature: (L,) float64, 1/m. Sharpest bend of each lane
            (0 for a straight lane); drivers slow down for it.
        lane_s_scale_left: (L,) float64. Length of the left neighbour over this
            lane's length: multiplies s on this lane to give s on the neighbour
            (1.0 without neighbour). lane_s_scale_right likewise.
        area_points: (Q, 2) float64, m. Exterior vertices of every area polygon,
            counter-clockwise, the first not repeated at the end.
        area_start: (K,) int32. Index of each area's first vertex in area_points.
        area_npoints: (K,) int32. Number of vertices of each area.
        area_kind: (K,) int32. ``AREA_*``; multi-part areas are packed part by part.
        signal_plan: (6,) float64, s. green, yellow and all-red time of group 0,
            then of group 1, played in that order as one cycle; all zeros when
            the map has no signals.
        lane_yield_start: (L,) int32, lane_yield_count: (L,) int32. Each lane's
            stretch of the yield rows: a left-turn connector yields to the straight and
            right-turn connectors of the opposite approach that it crosses (Y rows).
        yield_lane: (Y,) int32. The connector given way to.
        yield_s: (Y, 3) float64, m. Where the two cross: s along the yielding lane, s
            along the other; and the s along the yielding lane where a vehicle's front
            waits so that its front edge (WAIT_HALF_WIDTH either side of its path)
            stay WAIT_CLEARANCE clear of the other lane's band.
    """

    lane_points: np.ndarray
    lane_cum_s: np.ndarray
    lane_start: np.ndarray
    lane_npoints: np.ndarray
    lane_length: np.ndarray
    lane_width: np.ndarray
    lane_speed_limit: np.ndarray
    lane_kind: np.ndarray
    lane_left: np.ndarray
    lane_right: np.ndarray
    lane_successors: np.ndarray
    lane_signal_group: np.ndarray
    lane_max_curvature: np.ndarray
    lane_s_scale_left: np.ndarray
    lane_s_scale_right: np.ndarray
    area_points: np.ndarray
    area_start: np.ndarray
    area_npoints: np.ndarray
    area_kind: np.ndarray
    signal_plan: np.ndarray
    lane_yield_start: np.ndarray
    lane_yield_count: np.ndarray
    yield_lane: np.ndarray
    yield_s: np.ndarray

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            expected = np.int32 if f.name in _INT_FIELDS else np.float64
            if value.dtype != expected or not value.flags.c_contiguous:
                raise TypeError(f"MapArrays.{f.name} must be a C-contiguous {expected.__name__}")


def _polygon_parts(geometry: Polygon | MultiPolygon) -> list[Polygon]:
    if geometry.is_empty:
        return []
    if isinstance(geometry, Polygon):
        return [geometry]
    return list(geometry.geoms)


def _int32(values) -> np.ndarray:
    return np.ascontiguousarray(np.array(values, dtype=np.int32))


def _float64(values) -> np.ndarray:
    return np.ascontiguousarray(np.array(values, dtype=np.float64))


def _max_curvature(points: np.ndarray) -> float:
    """Largest heading change per metre at the polyline's interior vertices, 1/m."""
    if len(points) < 3:
        return 0.0
    seg = np.diff(points, axis=0)
    length = np.hypot(seg[:, 0], seg[:, 1])
    heading = np.arctan2(seg[:, 1], seg[:, 0])
    turn = np.abs(np.angle(np.exp(1j * np.diff(heading))))
    return float(np.max(turn / (0.5 * (length[:-1] + length[1:]))))


def _s_scale(lengths: np.ndarray, neighbours: Sequence[int]) -> np.ndarray:
    scale = np.ones(len(lengths))
    for i, j in enumerate(neighbours):
        if j >= 0:
            scale[i] = lengths[j] / lengths[i]
    return scale


def _wait_point(path: LineString, other: LineString, half_band: float, at: float) -> float:
    """The largest s <= at (and >= 0) along ``path`` where a vehicle's front edge, heading
    along it (WAIT_HALF_WIDTH either side of the path), keeps WAIT_CLEARANCE clear of
    ``other``'s band (half_band either side): the whole edge, so a curved band that
    comes nearest between the corners counts too."""
    s = at
    while s > 0.0:
        ahead = np.asarray(path.interpolate(min(s + WAIT_STEP, path.length)).coords[0])
        behind = np.asarray(path.interpolate(max(s - WAIT_STEP, 0.0)).coords[0])
        front = np.asarray(path.interpolate(s).coords[0])
        tangent = (ahead - behind) / np.hypot(*(ahead - behind))
        normal = WAIT_HALF_WIDTH * np.array([-tangent[1], tangent[0]])
        edge = LineString([front - normal, front + normal])
        if other.distance(edge) >= half_band + WAIT_CLEARANCE:
            return float(s)
        s -= WAIT_STEP
    return 0.0


def _yields(lanes: Sequence[Lane], successors: Sequence[Sequence[int]]
            ) -> list[list[tuple[int, float, float, float]]]:
    """Per lane, the (other lane, s here, s there, wait s here) where a left-turn connector
    crosses a straight or right-turn connector of the opposite approach (the unprotected
    left turn gives way to them), in order along it."""
    source = {}  # connector -> (lane it leaves, turn slot)
    for src, slots in enumerate(successors):
        for turn, con in enumerate(slots):
            if con >= 0 and lanes[con].kind == LANE_CONNECTOR:
                source[con] = (src, turn)

    def arrival(src: int) -> np.ndarray:  # direction of travel where the lane ends
        d = lanes[src].points[-1] - lanes[src].points[-2]
        return d / np.hypot(*d)

    out: list[list[tuple[int, float, float, float]]] = [[] for _ in lanes]
    for con, (src, turn) in source.items():
        if turn != 1:
            continue
        path = LineString(lanes[con].points)
        for other, (src2, turn2) in source.items():
            if turn2 == 1 or float(arrival(src) @ arrival(src2)) > ONCOMING_COS:
                continue
            crossing = path.intersection(LineString(lanes[other].points))
            if crossing.is_empty:
                continue
            points = [crossing] if crossing.geom_type == "Point" else [
                g for g in getattr(crossing, "geoms", []) if g.geom_type == "Point"]
            if not points:
                continue
            first = min(points, key=path.project)
            other_path = LineString(lanes[other].points)
            at = float(path.project(first))
            out[con].append((other, at, float(other_path.project(first)),
                             _wait_point(path, other_path, 0.5 * lanes[other].width, at)))
        out[con].sort(key=lambda row: row[1])
    return out


def pack_map(
    lanes: Sequence[Lane],
    left: Sequence[int],
    right: Sequence[int],
    successors: Sequence[Sequence[int]],
    signal_group: Sequence[int],
    areas: Iterable[tuple[int, Polygon | MultiPolygon]],
    signal_plan: dict[int, dict[str, float]],
) -> MapArrays:
    """Pack lanes, topology, (area kind, geometry) pairs and the signal plan into MapArrays.

    Raises MapError if an area polygon has holes (the packed format has none).
    """
    lengths = _float64([lane.length for lane in lanes])
    npoints = [len(lane.points) for lane in lanes]
    area_rings, area_kinds = [], []
    for kind, geometry in areas:
        for part in _polygon_parts(geometry):
            if part.interiors:
                raise MapError("packed map areas cannot have holes", where="map",
                               found=f"area kind {kind} with {len(part.interiors)} hole(s)")
            area_rings.append(np.asarray(orient(part, 1.0).exterior.coords)[:-1])
            area_kinds.append(kind)
    yields = _yields(lanes, successors)
    rows = [row for per_lane in yields for row in per_lane]
    has_signals = any(group >= 0 for group in signal_group)
    plan = [signal_plan[g][k] if has_signals else 0.0 for g in (0, 1) for k in _PLAN_KEYS]
    return MapArrays(
        lane_points=_float64(np.concatenate([lane.points for lane in lanes])),
        lane_cum_s=_float64(np.concatenate([lane.cum_s for lane in lanes])),
        lane_start=_int32(np.concatenate([[0], np.cumsum(npoints)[:-1]])),
        lane_npoints=_int32(npoints),
        lane_length=lengths,
        lane_width=_float64([lane.width for lane in lanes]),
        lane_speed_limit=_float64([lane.speed_limit for lane in lanes]),
        lane_kind=_int32([lane.kind for lane in lanes]),
        lane_left=_int32(left),
        lane_right=_int32(right),
        lane_successors=_int32(np.reshape(successors, (len(lanes), 3))),
        lane_signal_group=_int32(signal_group),
        lane_max_curvature=_float64([_max_curvature(lane.points) for lane in lanes]),
        lane_s_scale_left=_s_scale(lengths, left),
        lane_s_scale_right=_s_scale(lengths, right),
        area_points=_float64(np.concatenate(area_rings) if area_rings else np.zeros((0, 2))),
        area_start=_int32(np.cumsum([0] + [len(r) for r in area_rings])[:-1]),
        area_npoints=_int32([len(r) for r in area_rings]),
        area_kind=_int32(area_kinds),
        signal_plan=_float64(plan),
        lane_yield_start=_int32(np.cumsum([0] + [len(y) for y in yields])[:-1]),
        lane_yield_count=_int32([len(y) for y in yields]),
        yield_lane=_int32([row[0] for row in rows]),
        yield_s=_float64(np.reshape([row[1:] for row in rows], (len(rows), 3))),
    )
