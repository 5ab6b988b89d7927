"""Road maps: lanes, lane topology, areas and markings, built from a short description.

A description is a mapping such as ``{type: straight, lanes: 2, length: 200}``,
or a YAML file holding one (a path, or ``{file: path}``). ``type`` selects a
builder from ``MAP_BUILDERS``; each builder validates its own keys strictly.
The built-in builders live in ``simdrive.world.roads`` (straight, curved) and
``simdrive.world.junction`` (intersection); importing ``simdrive.world``
registers them.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from simdrive.errors import MapError, yaml_kind
from simdrive.world.lanes import Lane
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
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise MapError(f"unknown lane {name!r}{hint}", where="map",
                       expected="one of " + ", ".join(self._index), found=name)

    @cached_property
    def _arrays(self) -> MapArrays:
        areas = ((AREA_DRIVABLE, self.drivable), (AREA_SIDEWALK, self.sidewalks),
                 (AREA_CROSSWALK, self.crosswalks), (AREA_PARKING, self.parking))
        return pack_map(self.lanes, self.left, self.right, self.successors, self.signal_group,
                        areas, self.signal_plan)

    @cached_property
    def _road(self):
        from shapely.prepared import prep

        area = self.drivable.union(self.parking)
        return None if area.is_empty else prep(area)

    def on_road(self, x: float, y: float) -> bool:
        """Whether (x, y) lies on the road: the drivable area or a parking strip (True on
        a map with neither, which has no road edge)."""
        return self._road is None or self._road.covers(Point(x, y))

    def to_arrays(self) -> MapArrays:
        """The map packed for the kernels (computed once, then shared)."""
        return self._arrays


# ---- strict options ---------------------------------------------------------

REQUIRED = object()


@dataclass(frozen=True)
class Option:
    """One key of a map description: its default and what values are valid.

    kind: "int", "number" (int or float, stored as float), "bool", "choice"
    (one of ``choices``) or "mapping" (validated against ``fields``). low/high
    bound numbers, inclusive unless ``low_open``. A default of ``REQUIRED``
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
    if isinstance(value, bool) or not numeric:
        raise fail("wrong type")
    if not math.isfinite(value):
        raise fail("not a finite number")
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
                       found=yaml_kind(raw))
    for key in raw:
        if key not in schema:
            close = difflib.get_close_matches(str(key), list(schema), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise MapError(f"unknown key {key!r}{hint}", where=where, path=f"{path}.{key}",
                           expected="one of " + ", ".join(schema), found=key)
    values = {}
    for key, option in schema.items():
        if key not in raw and option.default is REQUIRED:
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


def _load_yaml(path: Path, where: str):
    """A map file's document (a yamlpos Node), read as strictly as a scenario file
    (simdrive.scenario.yamlpos: UTF-8, size, depth and node limits, no duplicate keys,
    positions in errors)."""
    from simdrive.errors import ScenarioError
    from simdrive.scenario.yamlpos import load_yaml_file

    try:
        os.stat(path)
    except OSError as exc:
        raise MapError(f"cannot read map file ({exc.strerror})", where=where, path="map.file",
                       expected="a readable YAML file", found=str(path)) from None
    try:
        return load_yaml_file(path)
    except ScenarioError as exc:
        if exc.message == "the file is empty":
            raise MapError("the map file is empty", where=exc.where,
                           expected="a mapping with a 'type' key") from None
        expected = exc.expected.replace("a scenario file", "a map file") if exc.expected \
            else exc.expected
        raise MapError(exc.message + (f"; {exc.hint}" if exc.hint else ""), where=exc.where,
                       path=exc.path, expected=expected, found=exc.found) from None


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
        root = _load_yaml(path, str(path))
        try:
            return _build(root.plain(), str(path))
        except MapError as error:  # an error about a key of the file: say where it is
            raise _positioned(error, root) from None
    return _build(desc, where)


def _positioned(error: MapError, root) -> MapError:
    """``error`` (about key path ``map.a.b``) with the file, line and column of that key
    in the map file's document ``root``, when it is there."""
    node = root
    for key in (error.path or "").split(".")[1:]:
        child = node.get(key) if node.is_mapping else None
        if child is None:
            break
        node = child
    if node is root:
        return error
    return MapError(error.message, where=f"{node.file}:{node.line}:{node.column}",
                    path=error.path, expected=error.expected, found=error.found)


def _build(desc, where: str) -> RoadMap:
    if isinstance(desc, Mapping) and "file" in desc:  # (an inline file: was resolved above)
        raise MapError("a map file cannot refer to another map file", where=where,
                       path="map.file")
    if not isinstance(desc, Mapping):
        raise MapError("wrong type", where=where, path="map",
                       expected="a mapping with a 'type' key, or a file path",
                       found=yaml_kind(desc))
    kind = desc.get("type", REQUIRED)
    if not isinstance(kind, str) or kind not in MAP_BUILDERS:
        close = difflib.get_close_matches(str(kind), list(MAP_BUILDERS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        message = "missing key 'type'" if kind is REQUIRED else f"unknown map type{hint}"
        raise MapError(message, where=where, path="map.type",
                       expected="one of " + ", ".join(MAP_BUILDERS),
                       found=None if kind is REQUIRED else kind)
    options = {key: value for key, value in desc.items() if key != "type"}
    return MAP_BUILDERS[kind](options, where)


