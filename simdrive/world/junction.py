"""Four-way intersection with signals, crosswalks and turning connectors (map type
``intersection``)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shapely.ops import unary_union

from simdrive.errors import MapError
from simdrive.world.lanes import LANE_CONNECTOR, LANE_DRIVING, LANE_SIDEWALK, Lane
from simdrive.world.maps import (
    DEFAULT_SIGNAL_PLAN,
    MARKING_DASHED,
    MARKING_DOUBLE_SOLID,
    MARKING_SOLID,
    Option,
    RoadMap,
    read_options,
    register_map_builder,
)
from simdrive.world.roads import CROSS_SECTION, SIDEWALK_SPEED_LIMIT, link_neighbours

_PLAN = {
    "green_s": Option(DEFAULT_SIGNAL_PLAN["green_s"], "number", 0.0, 600.0, low_open=True),
    "yellow_s": Option(DEFAULT_SIGNAL_PLAN["yellow_s"], "number", 0.0, 60.0),
    "all_red_s": Option(DEFAULT_SIGNAL_PLAN["all_red_s"], "number", 0.0, 60.0),
}
_INTERSECTION = {
    "lanes": Option(1, "int", 1, 3),
    "arm_length": Option(60.0, "number", 0.0, 10_000.0, low_open=True),
    "lane_width": CROSS_SECTION["lane_width"],
    "speed_limit": CROSS_SECTION["speed_limit"],
    "sidewalk_width": CROSS_SECTION["sidewalk_width"],
    "crosswalk_width": Option(3.0, "number", 1.0, 10.0),
    "kerb_radius": Option(6.0, "number", 3.0, 30.0),
    "signals": Option(True, "bool"),
    "signal_plan": Option({}, "mapping", fields=_PLAN),
}
_ARMS = {"west": (-1.0, 0.0), "east": (1.0, 0.0), "south": (0.0, -1.0), "north": (0.0, 1.0)}
"""Unit vector from the junction centre outwards along each arm."""
_STOP_LINE_GAP_M = 1.0  # between the stop line and the crosswalk
_MIN_APPROACH_M = 10.0  # shortest incoming lane an arm may have
_KERB_CLEARANCE_M = 0.5  # right turns keep their lane's inner edge this far off the kerb
_TURN_CHORD_ERROR_M = 0.005  # finer than on roads: keeps kinks at lane joints small
TURN_LATERAL_ACCEL = 3.0
"""Lateral acceleration (m/s^2) that sets the speed limit of turning connectors, v = sqrt(a R)."""
_KERB_SEGMENTS = 32  # polygon segments per quarter circle of a kerb (sag < 3 mm at 30 m)


def _arm_point(arm: str, r: float, a: float) -> np.ndarray:
    """Point r m from the centre along ``arm`` and a m to the left of its outward direction."""
    ox, oy = _ARMS[arm]
    return np.array([r * ox - a * oy, r * oy + a * ox])


def _arm_box(arm: str, r0: float, r1: float, a0: float, a1: float) -> Polygon:
    corners = np.array([_arm_point(arm, r, a) for r in (r0, r1) for a in (a0, a1)])
    return box(*corners.min(axis=0), *corners.max(axis=0))


def _arm_segment(arm: str, r0: float, r1: float, a: float) -> np.ndarray:
    """(2, 2) points from r0 to r1 m along ``arm``, a m left of its outward direction."""
    return np.array([_arm_point(arm, r0, a), _arm_point(arm, r1, a)])


def _arm_line(arm: str, r0: float, r1: float, a: float) -> LineString:
    return LineString(_arm_segment(arm, r0, r1, a))


def _exit_arm(arm: str, turn: int) -> str:
    """Arm left by a vehicle entering from ``arm`` and going straight (0), left (1) or right (2)."""
    tx, ty = -_ARMS[arm][0], -_ARMS[arm][1]  # direction of travel on entry
    out = ((tx, ty), (-ty, tx), (ty, -tx))[turn]
    return next(name for name, o in _ARMS.items() if np.allclose(o, out))


def _connector_points(start: np.ndarray, start_dir: np.ndarray, end: np.ndarray,
                      end_dir: np.ndarray, radius: float) -> np.ndarray:
    """Polyline from ``start`` to ``end`` (m) leaving and arriving along the unit directions.

    Collinear lanes are joined by a segment; a right-angle turn by a straight
    run, a circular arc of ``radius`` m (at most the distance from either end
    to where the lane lines cross) tangent to both lanes, and a straight run.
    """
    if np.allclose(start_dir, end_dir):
        return np.array([start, end])
    cross = start + ((end - start) @ start_dir) * start_dir  # where the lane lines meet
    side = start_dir[0] * end_dir[1] - start_dir[1] * end_dir[0]  # +1 left turn, -1 right
    arc_start = cross - radius * start_dir
    centre = arc_start + side * radius * np.array([-start_dir[1], start_dir[0]])
    angle0 = math.atan2(arc_start[1] - centre[1], arc_start[0] - centre[0])
    step = 2.0 * math.acos(1.0 - _TURN_CHORD_ERROR_M / radius)
    n_seg = math.ceil(0.5 * math.pi / step)
    angles = angle0 + side * np.linspace(0.0, 0.5 * math.pi, n_seg + 1)
    arc = centre + radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    # The lane ends themselves are kept exactly; arc ends that coincide with them are dropped.
    head = [arc[0]] if np.linalg.norm(arc[0] - start) > 1e-6 else []
    tail = [arc[-1]] if np.linalg.norm(end - arc[-1]) > 1e-6 else []
    return np.array([start, *head, *arc[1:-1], *tail, end])


def _corner_areas(h: float, kerb: float, sidewalk: float) -> tuple[list[Polygon], list[Polygon]]:
    """Road fillets and sidewalk corners (m) at the four corners of the junction box |x|,|y| <= h.

    The kerb turns on a quarter circle of radius ``kerb``; the corner sidewalk
    is the band ``sidewalk`` wide behind it.
    """
    fillets, sidewalks = [], []
    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        corner, centre = np.array([sx * h, sy * h]), np.array([sx, sy]) * (h + kerb)
        square = box(*np.minimum(corner, centre), *np.maximum(corner, centre))
        disc = Point(centre).buffer(kerb, quad_segs=_KERB_SEGMENTS)
        fillets.append(square.difference(disc))
        band = disc.difference(Point(centre).buffer(kerb - sidewalk, quad_segs=_KERB_SEGMENTS))
        sidewalks.append(square.intersection(band if kerb > sidewalk else disc))
        if sidewalk > kerb:  # fill the notch between the two arms' sidewalks
            beyond = centre + np.array([sx, sy]) * (sidewalk - kerb)
            sidewalks.append(box(*np.minimum(centre, beyond), *np.maximum(centre, beyond)))
    return fillets, sidewalks


def _build_intersection(raw: Mapping[str, object], where: str) -> RoadMap:
    """Four-way junction centred on (0, 0) with arms west, east, south and north.

    Each arm reaches ``arm_length`` m from the centre. The roads meet in the
    junction box |x|, |y| <= h (h = lanes * lane_width), whose corners are
    rounded by kerbs of ``kerb_radius``. Crosswalks start where the kerb
    straightens; incoming lanes end at a stop line 1 m before the crosswalk
    and outgoing lanes start right after it.
    """
    if raw.get("signals", True) is False and "signal_plan" in raw:
        raise MapError("signal_plan given but signals is false", where=where,
                       path="map.signal_plan")
    o = read_options(raw, _INTERSECTION, where=where, path="map")
    n, w, sw, length = o["lanes"], o["lane_width"], o["sidewalk_width"], o["arm_length"]
    h, kerb = n * w, o["kerb_radius"]
    r_crosswalk = h + kerb
    r_out = r_crosswalk + o["crosswalk_width"]
    r_stop = r_out + _STOP_LINE_GAP_M
    if length < r_stop + _MIN_APPROACH_M:
        raise MapError("arms too short", where=where, path="map.arm_length",
                       expected=f"a number >= {r_stop + _MIN_APPROACH_M:g} for this cross-section",
                       found=length)
    lanes: list[Lane] = []
    left: list[int] = []
    right: list[int] = []
    groups: list[int] = []
    index: dict[str, int] = {}

    def add(name: str, kind: int, points: np.ndarray, width: float, speed: float,
            group: int = -1) -> int:
        index[name] = len(lanes)
        lanes.append(Lane(name, kind, points, width, speed))
        left.append(-1)
        right.append(-1)
        groups.append(group)
        return index[name]

    limit = o["speed_limit"]
    for arm in _ARMS:
        group = (0 if arm in ("west", "east") else 1) if o["signals"] else -1
        incoming = [add(f"{arm}_in_{k}", LANE_DRIVING,
                        _arm_segment(arm, length, r_stop, (n - k - 0.5) * w), w, limit, group)
                    for k in range(n)]
        outgoing = [add(f"{arm}_out_{k}", LANE_DRIVING,
                        _arm_segment(arm, r_out, length, -(n - k - 0.5) * w), w, limit)
                    for k in range(n)]
        link_neighbours(incoming, left, right)
        link_neighbours(outgoing, left, right)
        for side, a in (("left", h + sw / 2), ("right", -h - sw / 2)):
            add(f"{arm}_sidewalk_{side}", LANE_SIDEWALK, _arm_segment(arm, r_crosswalk, length, a),
                sw, SIDEWALK_SPEED_LIMIT)
    # Left turns sweep the widest arc that reaches the outgoing lane; right
    # turns hug the kerb.
    turn_radius = {0: math.inf, 1: r_out + w / 2, 2: kerb + w / 2 - _KERB_CLEARANCE_M}
    successors = [[-1, -1, -1] for _ in lanes]
    for arm in _ARMS:
        for turn, lane_numbers in ((0, range(n)), (1, [n - 1]), (2, [0])):
            exit_arm = _exit_arm(arm, turn)
            for k in lane_numbers:
                src, dst = index[f"{arm}_in_{k}"], index[f"{exit_arm}_out_{k}"]
                points = _connector_points(lanes[src].points[-1], -np.array(_ARMS[arm]),
                                           lanes[dst].points[0], np.array(_ARMS[exit_arm]),
                                           turn_radius[turn])
                turn_limit = math.sqrt(TURN_LATERAL_ACCEL * turn_radius[turn])
                con = add(f"{lanes[src].name}>{lanes[dst].name}", LANE_CONNECTOR, points, w,
                          min(limit, turn_limit))
                successors[src][turn] = con
                successors.append([dst, -1, -1])
    fillets, corner_sidewalks = _corner_areas(h, kerb, sw)
    markings = []
    for arm in _ARMS:
        markings += [(_arm_line(arm, r_out, length, h), MARKING_SOLID),
                     (_arm_line(arm, r_out, length, -h), MARKING_SOLID),
                     (_arm_line(arm, r_out, length, 0.0), MARKING_DOUBLE_SOLID)]
        markings += [(_arm_line(arm, r_stop, length, j * w), MARKING_DASHED) for j in range(1, n)]
        markings += [(_arm_line(arm, r_out, length, -j * w), MARKING_DASHED) for j in range(1, n)]
    arms = [_arm_box(arm, h, length, -h, h) for arm in _ARMS]
    arm_sidewalks = [_arm_box(arm, r_crosswalk, length, a0, a1) for arm in _ARMS
                     for a0, a1 in ((h, h + sw), (-h - sw, -h))]
    return RoadMap(
        lanes=tuple(lanes), left=tuple(left), right=tuple(right),
        successors=tuple(tuple(s) for s in successors), signal_group=tuple(groups),
        drivable=unary_union([box(-h, -h, h, h), *arms, *fillets]),
        sidewalks=unary_union(arm_sidewalks + corner_sidewalks),
        crosswalks=MultiPolygon([_arm_box(arm, r_crosswalk, r_out, -h, h) for arm in _ARMS]),
        stop_lines=tuple(LineString([_arm_point(arm, r_stop, 0.0), _arm_point(arm, r_stop, h)])
                         for arm in _ARMS),
        lane_markings=tuple(markings),
        signal_plan={0: dict(o["signal_plan"]), 1: dict(o["signal_plan"])},
    )


register_map_builder("intersection", _build_intersection)
