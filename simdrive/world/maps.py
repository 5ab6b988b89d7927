"""Road maps: lanes, lane topology, areas and markings, built from a short description.

A description is a mapping such as ``{type: straight, lanes: 2, length: 200}``,
or a YAML file holding one (a path, or ``{file: path}``). ``type`` selects a
builder from ``MAP_BUILDERS``; each builder validates its own keys strictly.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import yaml
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shapely.ops import unary_union

from simdrive.errors import MapError
from simdrive.world.lanes import LANE_CONNECTOR, LANE_DRIVING, LANE_PARKING, LANE_SIDEWALK, Lane
from simdrive.world.packed import (
    AREA_CROSSWALK,
    AREA_DRIVABLE,
    AREA_PARKING,
    AREA_SIDEWALK,
    MapArrays,
    pack_map,
)

MARKING_SOLID = "solid"
MARKING_DASHED = "dashed"
MARKING_DOUBLE_SOLID = "double_solid"

DEFAULT_SIGNAL_PLAN = {"green_s": 20.0, "yellow_s": 3.0, "all_red_s": 2.0}
"""Signal phase durations in s, the same for both signal groups unless given."""

Area = Polygon | MultiPolygon


def _default_signal_plan() -> dict[int, dict[str, float]]:
    return {0: dict(DEFAULT_SIGNAL_PLAN), 1: dict(DEFAULT_SIGNAL_PLAN)}


@dataclass(frozen=True, eq=False)
class RoadMap:
    """A built road map. Indices into ``lanes`` are the lane indices the kernels use.

    Fields:
        lanes: every lane, driving, connector, parking and sidewalk.
        left, right: per lane, the neighbour with the same direction of travel on
            that side, -1 none.
        successors: per lane, lanes entered at its end: (straight, left, right), -1 none.
        signal_group: per lane, group (0 or 1) of the signal at the stop line
            where it ends, -1 none.
        drivable, sidewalks, crosswalks, parking: areas (shapely, m); parking
            strips are not part of ``drivable``, crosswalks are.
        stop_lines: one LineString (m) per approach with a stop line.
        lane_markings: (LineString, style) pairs, style ``MARKING_*``.
        signal_plan: {group: {"green_s", "yellow_s", "all_red_s"}} in s.
    """

    lanes: tuple[Lane, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    successors: tuple[tuple[int, int, int], ...]
    signal_group: tuple[int, ...]
    drivable: Area
    sidewalks: Area = field(default_factory=MultiPolygon)
    crosswalks: Area = field(default_factory=MultiPolygon)
    parking: Area = field(default_factory=MultiPolygon)
    stop_lines: tuple[LineString, ...] = ()
    lane_markings: tuple[tuple[LineString, str], ...] = ()
    signal_plan: dict[int, dict[str, float]] = field(default_factory=_default_signal_plan)

    def __post_init__(self) -> None:
        n = len(self.lanes)
        names = [lane.name for lane in self.lanes]
        if len(set(names)) != n:
            duplicates = sorted({x for x in names if names.count(x) > 1})
            raise MapError("lane names must be unique", where="map", found=duplicates)
        per_lane = (self.left, self.right, self.signal_group, self.successors)
        if any(len(values) != n for values in per_lane):
            raise MapError("left, right, signal_group and successors need one entry per lane",
                           where="map")
        links = [*self.left, *self.right, *(j for slots in self.successors for j in slots)]
        if any(not -1 <= j < n for j in links) or any(len(s) != 3 for s in self.successors):
            raise MapError("lane links must be lane indices or -1, successors 3 per lane",
                           where="map")
        object.__setattr__(self, "_index", {name: i for i, name in enumerate(names)})

    def lane_index(self, name: str) -> int:
        """Index of the lane called ``name``; MapError listing the valid names if unknown."""
        if name in self._index:
            return self._index[name]
        close = difflib.get_close_matches(str(name), list(self._index), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise MapError(f"unknown lane {name!r}{hint}", where="map",
                       expected="one of " + ", ".join(self._index), found=name)

    @cached_property
    def _arrays(self) -> MapArrays:
        areas = ((AREA_DRIVABLE, self.drivable), (AREA_SIDEWALK, self.sidewalks),
                 (AREA_CROSSWALK, self.crosswalks), (AREA_PARKING, self.parking))
        return pack_map(self.lanes, self.left, self.right, self.successors, self.signal_group,
                        areas, self.signal_plan)

    def to_arrays(self) -> MapArrays:
        """The map packed for the kernels (computed once, then shared)."""
        return self._arrays


# ---- strict options ---------------------------------------------------------

_REQUIRED = object()


@dataclass(frozen=True)
class Option:
    """One key of a map description: its default and what values are valid.

    kind: "int", "number" (int or float, stored as float), "bool", "choice"
    (one of ``choices``) or "mapping" (validated against ``fields``). low/high
    bound numbers, inclusive unless ``low_open``. A default of ``_REQUIRED``
    makes the key mandatory.
    """

    default: object
    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] = ()
    fields: Mapping[str, Option] | None = None

    def describe(self) -> str:
        """What a valid value looks like, for error messages."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind in ("bool", "mapping"):
            return "true or false" if self.kind == "bool" else "a mapping"
        noun = "an integer" if self.kind == "int" else "a number"
        if self.low is not None and self.high is not None and not self.low_open:
            return f"{noun} in [{self.low:g}, {self.high:g}]"
        bounds = []
        if self.low is not None:
            bounds.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            bounds.append(f"<= {self.high:g}")
        return " ".join([noun, " and ".join(bounds)]).strip()


def _check_value(value: object, option: Option, where: str, path: str) -> object:
    def fail(message: str) -> MapError:
        return MapError(message, where=where, path=path, expected=option.describe(), found=value)

    if option.kind == "mapping":
        return read_options(value, option.fields or {}, where=where, path=path)
    if option.kind == "bool":
        if not isinstance(value, bool):
            raise fail("wrong type")
        return value
    if option.kind == "choice":
        if value not in option.choices:
            raise fail("invalid value")
        return value
    numeric = isinstance(value, int) if option.kind == "int" else isinstance(value, int | float)
    if isinstance(value, bool) or not numeric or not math.isfinite(value):
        raise fail("wrong type")
    too_low = option.low is not None and (
        value <= option.low if option.low_open else value < option.low)
    if too_low or (option.high is not None and value > option.high):
        raise fail("out of range")
    return value if option.kind == "int" else float(value)


def read_options(raw: object, schema: Mapping[str, Option], *, where: str,
                 path: str) -> dict[str, object]:
    """Validate the mapping ``raw`` against ``schema`` and fill in defaults.

    Unknown keys (with the closest valid key suggested), missing required keys,
    wrong types and out-of-range values raise MapError naming ``where`` (file or
    "map") and the key path (``map.lanes``).
    """
    if not isinstance(raw, Mapping):
        raise MapError("wrong type", where=where, path=path, expected="a mapping",
                       found=type(raw).__name__)
    for key in raw:
        if key not in schema:
            close = difflib.get_close_matches(str(key), list(schema), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise MapError(f"unknown key {key!r}{hint}", where=where, path=f"{path}.{key}",
                           expected="one of " + ", ".join(schema), found=key)
    values = {}
    for key, option in schema.items():
        if key not in raw and option.default is _REQUIRED:
            raise MapError(f"missing key {key!r}", where=where, path=f"{path}.{key}",
                           expected=option.describe())
        value = raw.get(key, option.default)
        values[key] = _check_value(value, option, where, f"{path}.{key}")
    return values


# ---- builder registry -------------------------------------------------------

MapBuilder = Callable[[Mapping[str, object], str], RoadMap]
"""fn(options, where) -> RoadMap: options is the description without ``type``;
``where`` names its source for errors (validate with ``read_options``)."""

MAP_BUILDERS: dict[str, MapBuilder] = {}


def register_map_builder(name: str, fn: MapBuilder) -> None:
    """Make ``fn`` the builder for ``{type: name, ...}``; a name can be registered once."""
    if name in MAP_BUILDERS:
        raise ValueError(f"map builder {name!r} is already registered")
    MAP_BUILDERS[name] = fn


def _load_yaml(path: Path, where: str) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MapError(f"cannot read map file ({exc.strerror})", where=where, path="map.file",
                       expected="a readable YAML file", found=str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise MapError(f"invalid YAML ({getattr(exc, 'problem', exc)})",
                       where=f"{path}{position}") from None


def build_map(desc: Mapping[str, object] | str | os.PathLike, *,
              base_dir: str | os.PathLike | None = None, where: str = "map") -> RoadMap:
    """Build a RoadMap from a description, a YAML file path, or ``{file: path}``.

    Relative file paths are resolved against ``base_dir`` (default: the working
    directory). ``where`` names the description's source in errors.
    """
    if isinstance(desc, Mapping) and "file" in desc:
        if len(desc) != 1:
            raise MapError("'file' cannot be combined with other keys", where=where,
                           path="map", found=sorted(map(str, desc)))
        desc = desc["file"]
        if not isinstance(desc, str):
            raise MapError("wrong type", where=where, path="map.file", expected="a file path",
                           found=desc)
    if isinstance(desc, str | os.PathLike):
        path = Path(base_dir or ".") / desc
        where = str(path)
        desc = _load_yaml(path, where)
        if isinstance(desc, Mapping) and "file" in desc:
            raise MapError("a map file cannot refer to another map file", where=where,
                           path="map.file")
    if not isinstance(desc, Mapping):
        raise MapError("wrong type", where=where, path="map",
                       expected="a mapping with a 'type' key, or a file path",
                       found=type(desc).__name__)
    kind = desc.get("type", _REQUIRED)
    if not isinstance(kind, str) or kind not in MAP_BUILDERS:
        close = difflib.get_close_matches(str(kind), list(MAP_BUILDERS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        message = "missing key 'type'" if kind is _REQUIRED else f"unknown map type{hint}"
        raise MapError(message, where=where, path="map.type",
                       expected="one of " + ", ".join(MAP_BUILDERS),
                       found=None if kind is _REQUIRED else kind)
    options = {key: value for key, value in desc.items() if key != "type"}
    return MAP_BUILDERS[kind](options, where)


# ---- straight and curved roads ----------------------------------------------

CHORD_ERROR_M = 0.02
"""Largest distance between a sampled polyline and the arc it stands for, m."""

SIDEWALK_SPEED_LIMIT = 2.5
"""Speed limit of sidewalk lanes, m/s (a brisk walk; slow cycling)."""

_SIDES = ("none", "left", "right", "both")
_SIDE_SETS = {"none": set(), "left": {"left"}, "right": {"right"}, "both": {"left", "right"}}
_CROSS_SECTION = {
    "lanes": Option(1, "int", 1, 4),
    "lane_width": Option(3.5, "number", 2.0, 6.0),
    "speed_limit": Option(13.9, "number", 0.0, 70.0, low_open=True),
    "sidewalks": Option("both", "choice", choices=_SIDES),
    "sidewalk_width": Option(2.0, "number", 0.5, 10.0),
    "parking": Option("none", "choice", choices=_SIDES),
    "parking_width": Option(2.5, "number", 1.5, 5.0),
    "one_way": Option(False, "bool"),
}
_STRAIGHT = {"length": Option(200.0, "number", 10.0, 100_000.0, low_open=True), **_CROSS_SECTION}
_CURVED = {
    "radius": Option(_REQUIRED, "number"),
    "length": Option(200.0, "number", 10.0, 100_000.0, low_open=True),
    **_CROSS_SECTION,
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


def _link_neighbours(group: list[int], left: list[int], right: list[int]) -> None:
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
    _link_neighbours(fwd, left, right)
    _link_neighbours(bwd, left, right)
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


# ---- four-way intersection --------------------------------------------------

_PLAN = {
    "green_s": Option(DEFAULT_SIGNAL_PLAN["green_s"], "number", 0.0, 600.0, low_open=True),
    "yellow_s": Option(DEFAULT_SIGNAL_PLAN["yellow_s"], "number", 0.0, 60.0),
    "all_red_s": Option(DEFAULT_SIGNAL_PLAN["all_red_s"], "number", 0.0, 60.0),
}
_INTERSECTION = {
    "lanes": Option(1, "int", 1, 3),
    "arm_length": Option(60.0, "number", 0.0, 10_000.0, low_open=True),
    "lane_width": _CROSS_SECTION["lane_width"],
    "speed_limit": _CROSS_SECTION["speed_limit"],
    "sidewalk_width": _CROSS_SECTION["sidewalk_width"],
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
        _link_neighbours(incoming, left, right)
        _link_neighbours(outgoing, left, right)
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


register_map_builder("straight", _build_straight)
register_map_builder("curved", _build_curved)
register_map_builder("intersection", _build_intersection)
