"""What a dataset run is asked to produce: formats, cameras, frames, filters, splits."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, replace

from simdrive.dataset.categories import Classes, ClassMap, check_classes
from simdrive.errors import SimdriveError
from simdrive.world.actors import actor_kinds

FORMATS = ("coco", "yolo", "kitti")
EXTRAS = ("depth", "semantic", "instance")
IMAGE_FORMATS = ("jpg", "png")


@dataclass(frozen=True)
class BoxFilter:
    """Which actors become boxes. An actor is kept when all hold:

    visible_pixels >= min_pixels, visible box height >= min_height_px,
    occlusion <= max_occlusion, visibility (fog and darkness at its distance,
    exp(-3 d / V)) >= min_visibility. Dropped actors with a visible box become
    ignore regions (COCO ``iscrowd`` 1, KITTI ``DontCare``); YOLO leaves them out.
    """

    min_pixels: int = 25
    min_height_px: int = 8
    max_occlusion: float = 0.9
    min_visibility: float = 0.05

    def keeps(self, label) -> bool:
        if label.visible_box is None or label.visible_pixels < self.min_pixels:
            return False
        height = label.visible_box[3] - label.visible_box[1]
        return (height >= self.min_height_px and label.occlusion <= self.max_occlusion
                and label.visibility >= self.min_visibility)


@dataclass(frozen=True)
class DatasetOptions:
    """Settings of one ``simdrive render`` run (everything that changes the output)."""

    formats: tuple[str, ...] = FORMATS
    cameras: tuple[str, ...] | None = None  # None: each scenario's first camera
    every: int | None = None  # None: each scenario's render.every
    limit: int | None = None  # variants per scenario file
    image_format: str = "jpg"
    extras: tuple[str, ...] = ()
    box_filter: BoxFilter = field(default_factory=BoxFilter)
    split: tuple[tuple[str, float], ...] = (("train", 0.8), ("val", 0.1), ("test", 0.1))
    split_seed: int = 0
    frames_per_shard: int = 20
    # (camera, its filter) for the cameras whose filter differs from box_filter, by name
    camera_filters: tuple[tuple[str, BoxFilter], ...] = ()
    # every camera a filter option names (checked against those rendered; not an output
    # setting, so not in to_dict: a no-op value for a camera changes nothing)
    filter_names: tuple[str, ...] = ()
    # (class, ((BoxFilter field, value), ...)) by class name: a class's own values, which
    # hold in every camera over the camera's and the general ones
    class_filters: tuple[tuple[str, tuple[tuple[str, int | float], ...]], ...] = ()
    # frames stop this long (s) after the ego's first collision (None: the whole run)
    after_collision_s: float | None = None
    # (weather, ((BoxFilter field, value), ...)) by weather name: the values of the frames
    # drawn in that weather, over the camera's and the general ones (a class's win)
    weather_filters: tuple[tuple[str, tuple[tuple[str, int | float], ...]], ...] = ()
    # the dataset's classes, (name, actor kinds) in index order (categories.parse_classes);
    # (): one class per actor kind
    classes: Classes = ()

    def __post_init__(self) -> None:
        if self.classes:  # as tuples (a ClassMap is kept per map)
            object.__setattr__(self, "classes", check_classes(self.classes))
        names = set(actor_kinds()) | {name for name, _ in self.classes}
        unknown = [name for name, _ in self.class_filters if name not in names]
        if unknown:
            raise SimdriveError(f"class_filters name {', '.join(map(repr, unknown))}, which "
                                "is no actor kind or class", expected="actor kinds ("
                                + ", ".join(actor_kinds()) + ") or the classes' names",
                                found=unknown)
        # a class's values given to its kinds (as the command line does)
        object.__setattr__(self, "class_filters", kind_filters(self.class_filters,
                                                               self.class_map))

    @property
    def class_map(self) -> ClassMap:
        return ClassMap.of(self.classes)

    def to_dict(self) -> dict:
        out = asdict(self)
        del out["filter_names"]
        for name in ("class_filters", "after_collision_s", "weather_filters",  # unset: as
                     "classes"):
            if not out[name] and out[name] != 0:  # datasets from before these recorded it
                del out[name]
        return out

    def filter_for(self, camera: str, kind: str | None = None,
                   weather: str | None = None) -> BoxFilter | KindFilters:
        """The box filter of the frames of ``camera`` (drawn in ``weather``): of the boxes
        of class ``kind``, or (None) one whose ``keeps`` takes each label's class into
        account. Precedence: a class's values, then the weather's, then the camera's, then
        the general ones."""
        base = dict(self.camera_filters).get(camera, self.box_filter)
        own = dict(self.weather_filters).get(weather) if weather is not None else None
        if own:
            base = replace(base, **dict(own))
        if not self.class_filters:
            return base
        per_kind = {name: replace(base, **dict(fields)) for name, fields in self.class_filters}
        if kind is not None:
            return per_kind.get(kind, base)
        return KindFilters(base, per_kind)


@dataclass(frozen=True)
class KindFilters:
    """A camera's box filter with some classes' own (DatasetOptions.filter_for)."""

    base: BoxFilter
    per_kind: dict

    def keeps(self, label) -> bool:
        return self.per_kind.get(label.kind, self.base).keeps(label)


FILTER_OPTIONS = (("--min-pixels", "min_pixels", int), ("--min-height", "min_height_px", int),
                  ("--max-occlusion", "max_occlusion", float),
                  ("--min-visibility", "min_visibility", float))
"""The box filter's command-line options: (option, BoxFilter field, type)."""


def parse_box_filters(values: dict[str, str | None], classes: tuple[str, ...] = (),
                      weathers: tuple[str, ...] = ()
                      ) -> tuple[BoxFilter, tuple[tuple[str, BoxFilter], ...], tuple[str, ...],
                                 tuple[tuple[str, tuple[tuple[str, int | float], ...]], ...],
                                 tuple[tuple[str, tuple[tuple[str, int | float], ...]], ...]]:
    """The box filters of ``--min-pixels 25,bev=1,tyre=4``-style options (``values``:
    option -> text; a missing option keeps its default; a NAME in ``classes`` is a class,
    any other a camera): the filter of every camera; per camera named in an option whose
    filter then differs, the filter it gets instead, sorted by camera name (the same
    filters in any order are the same dataset); every camera named, sorted (a render
    checks they are cameras it renders); per class named, sorted, its own values
    (field, value), sorted, which hold in every camera; and likewise per weather named
    (a NAME in ``weathers``: the frames drawn in that weather)."""
    default = BoxFilter()
    general: dict[str, int | float] = {}
    per_camera: dict[str, dict[str, int | float]] = {}
    per_class: dict[str, dict[str, int | float]] = {}
    per_weather: dict[str, dict[str, int | float]] = {}
    for option, name, kind in FILTER_OPTIONS:
        text = values.get(option)
        if text is None:
            continue
        for item in text.split(","):
            camera, _, number = item.rpartition("=")
            shown = item.strip()  # the item at fault, not the whole list
            camera = camera.strip()
            if "=" in item and not camera:
                raise SimdriveError(f"{option}: an item has no camera or class name before "
                                    "'='", expected="a number, or CAMERA=, CLASS= and "
                                    "WEATHER=number items, e.g. 25,bev=1,tyre=4,fog=40", found=text)
            try:
                value = kind(number.strip())
            except ValueError:
                raise SimdriveError(f"{option}: {number.strip()!r} is not "
                                    f"{'a whole number' if kind is int else 'a number'}",
                                    expected="a number, or CAMERA=, CLASS= and WEATHER="
                                    "number items, e.g. 25,bev=1,tyre=4,fog=40",
                                    found=shown) from None
            if kind is int and value < 0:
                raise SimdriveError(f"{option} must be at least 0", expected="0 or more",
                                    found=shown)
            if kind is float and not 0.0 <= value <= 1.0:
                raise SimdriveError(f"{option} is a share", expected="a number from 0 to 1",
                                    found=shown)
            if not camera:
                target, whose = general, "the value for every camera"
            elif camera in classes:
                target, whose = per_class.setdefault(camera, {}), f"class {camera}'s value"
            elif camera in weathers:
                target, whose = (per_weather.setdefault(camera, {}),
                                 f"weather {camera}'s value")
            else:
                target, whose = per_camera.setdefault(camera, {}), f"camera {camera}'s value"
            if name in target:
                raise SimdriveError(f"{option} gives {whose} twice", found=text)
            target[name] = value
    base = replace(default, **general)
    filters = ((camera, replace(base, **fields)) for camera, fields in sorted(per_camera.items()))
    return (base, tuple((camera, f) for camera, f in filters if f != base),
            tuple(sorted(per_camera)),
            tuple((name, tuple(sorted(fields.items()))) for name, fields
                  in sorted(per_class.items())),
            tuple((name, tuple(sorted(fields.items()))) for name, fields
                  in sorted(per_weather.items())))


def kind_filters(class_filters, class_map: ClassMap):
    """parse_box_filters' per-class values with each ``--classes`` class named (one that is
    no actor kind) given to its kinds: a kind's own values hold over its class's."""
    own = dict(class_filters)
    per_kind = {name: dict(fields) for name, fields in class_filters if name in actor_kinds()}
    for name, fields in own.items():
        if name in actor_kinds():
            continue
        for kind in class_map.members(name):
            per_kind[kind] = {**dict(fields), **dict(own.get(kind, ()))}
    return tuple((name, tuple(sorted(fields.items()))) for name, fields in sorted(per_kind.items()))


def parse_list(text: str | None, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    if text is None or text == "":
        return ()
    items = tuple(x.strip() for x in text.split(",") if x.strip())
    bad = [x for x in items if x not in allowed]
    twice = sorted({x for x in items if items.count(x) > 1})
    if twice:
        raise SimdriveError(f"{what} {', '.join(twice)} "
                            f"{'are' if len(twice) > 1 else 'is'} listed twice",
                            expected="each of " + ", ".join(allowed) + " at most once",
                            found=text)
    if bad:
        raise SimdriveError(f"unknown {what} {', '.join(bad)}",
                            expected="a comma-separated list of " + ", ".join(allowed),
                            found=text)
    return tuple(x for x in allowed if x in items)  # in a fixed order: a set of choices


def parse_split(text: str) -> tuple[tuple[str, float], ...]:
    """``train=0.8,val=0.1,test=0.1`` -> ratios (must be >= 0 and sum to 1)."""
    parts = []
    for item in text.split(","):
        name, equals, ratio = (x.strip() for x in item.partition("="))
        if not equals:
            raise SimdriveError(f"--split: {item.strip()!r} has no '='",
                                expected="name=ratio,... e.g. train=0.8,val=0.1,test=0.1",
                                found=text)
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise SimdriveError(f"--split: the split name {name!r} is no folder name a "
                                "dataset can use", expected="lower-case letters, digits and _, "
                                "starting with a letter (train, val, test)", found=text)
        try:
            value = float(ratio)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value >= 0):
            raise SimdriveError(f"--split: {name}'s ratio {ratio!r} is not a number from 0 "
                                "to 1", expected="name=ratio,... e.g. train=0.8,val=0.1,test=0.1",
                                found=text)
        parts.append((name, value))
    names = [n for n, _ in parts]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SimdriveError(f"--split names {', '.join(twice)} more than once",
                            expected="each split once", found=text)
    total = sum(r for _, r in parts)
    if abs(total - 1.0) > 1e-6:
        raise SimdriveError(f"--split ratios must sum to 1 (they sum to {total:g})",
                            found=text)
    return tuple(parts)
