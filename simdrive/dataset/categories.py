"""Object classes of datasets: by default one per actor kind, with their names in each
format; ``--classes`` maps the kinds onto a training set's own classes (ClassMap)."""

from __future__ import annotations

import re
from functools import lru_cache

import yaml

from simdrive.errors import SimdriveError
from simdrive.world.actors import actor_kind, actor_kinds

KITTI_TYPES = {"car": "Car", "van": "Van", "truck": "Truck", "bus": "Bus",
               "motorcycle": "Motorcycle", "cyclist": "Cyclist", "adult": "Pedestrian",
               "child": "Pedestrian", "dog": "Dog", "deer": "Deer", "kangaroo": "Kangaroo",
               "tyre": "Tyre", "debris": "Debris", "ball": "Ball"}
"""KITTI type strings: KITTI's own where it has one (Car, Van, Truck, Pedestrian, Cyclist).

Children are ``Pedestrian``, as in KITTI's own labels (it has no child class), so KITTI
evaluation counts them; COCO and YOLO keep ``child``. Kinds KITTI has no class for keep
their own name, which KITTI's evaluation ignores."""

CLASS_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
"""A class name of ``--classes``: one word (KITTI's label lines split on spaces)."""

CLASSES_EXAMPLE = "vehicle=car+van+truck+bus,person=adult+child,cyclist"

Classes = tuple[tuple[str, tuple[str, ...]], ...]
"""(class name, its actor kinds) in class-index order; () means one class per kind."""


def parse_classes(text: str | None) -> Classes:
    """``--classes vehicle=car+van,person=adult+child,cyclist``: the classes in index order,
    each with its actor kinds (a bare KIND is the class KIND of that kind alone); None or
    "" give () (a class per kind). SimdriveError for anything else (check_classes)."""
    if text is None or not text.strip():
        return ()
    out = []
    for item in text.split(","):
        name, equals, kinds = (part.strip() for part in item.partition("="))
        members = tuple(k.strip() for k in kinds.split("+")) if equals else (name,)
        out.append((name, members))
    return check_classes(tuple(out), shown=text)


def check_classes(classes: Classes, shown: str | None = None) -> Classes:
    """``classes`` if it is a valid class map, else SimdriveError saying what is wrong:
    every class a one-word name, given once, with at least one actor kind; every kind a
    known one, in one class at most. Kinds in no class are not labelled."""
    where = "--classes" if shown is not None else "classes"
    found = shown if shown is not None else classes
    expected = (f"CLASS=KIND+KIND,... in class-index order, a bare KIND for a class of its "
                f"own, e.g. {CLASSES_EXAMPLE}; kinds: " + ", ".join(actor_kinds()))
    try:
        pairs = [(name, (kinds,) if isinstance(kinds, str) else tuple(kinds))
                 for name, kinds in classes]  # ("bus", "bus"): the one kind
    except (TypeError, ValueError):
        raise SimdriveError(f"{where} is not (class, kinds) pairs", expected=expected,
                            found=found) from None
    seen: dict[str, str] = {}
    for name, kinds in pairs:
        if not isinstance(name, str) or not CLASS_NAME.fullmatch(name):
            raise SimdriveError(f"{where}: {name!r} is not a class name", expected="a word "
                                "of letters, digits, _ and -, starting with a letter; "
                                + expected, found=found)
        taken = _taken_name(name)
        if taken:
            raise SimdriveError(f"{where}: class name {name!r} {taken}",
                                expected="another class name; " + expected, found=found)
        if [n.lower() for n, _ in pairs if isinstance(n, str)].count(name.lower()) > 1:
            # Car and car: twice for the tools that fold case (and for a reader)
            raise SimdriveError(f"{where} names class {name} twice (case aside)",
                                expected=expected, found=found)
        if not kinds or any(not k for k in kinds):
            raise SimdriveError(f"{where}: class {name} lists an empty kind",
                                expected=expected, found=found)
        if name in actor_kinds() and name not in kinds:
            # a filter item car= would mean the kind car, never this class
            raise SimdriveError(f"{where}: class {name} is named like the actor kind {name} "
                                "but does not hold it", expected=f"{name} among its kinds, or "
                                "another class name; " + expected, found=found)
        for kind in kinds:
            if kind not in actor_kinds():
                raise SimdriveError(f"{where}: class {name}: {kind!r} is not an actor kind",
                                    expected=expected, found=found)
            if kind in seen:
                raise SimdriveError(f"{where}: kind {kind} is in class {seen[kind]} and "
                                    f"{'again in it' if seen[kind] == name else name}",
                                    expected="each kind in one class at most; " + expected,
                                    found=found)
            seen[kind] = name
    if not pairs:
        raise SimdriveError(f"{where} names no class", expected=expected, found=found)
    order = actor_kinds()  # a class's kinds in the registry's order: car+van is van+car
    return tuple((name, tuple(sorted(kinds, key=order.index))) for name, kinds in pairs)


def _taken_name(name: str) -> str:
    """Why ``name`` cannot name a class ("" if it can): YAML would read it as another
    value in data.yaml (yes, no, on, null, ...: Ultralytics would train a class called
    True); KITTI's DontCare; a weather or a camera preset, which the box filters' NAME=
    items already name."""
    from simdrive.scenario.cameras import PRESETS
    from simdrive.world.conditions import WEATHERS

    if not isinstance(yaml.safe_load(name), str):
        return f"reads as {yaml.safe_load(name)!r} in YAML (data.yaml)"
    if name.lower() == "dontcare":
        return "is KITTI's type for regions its evaluation ignores"
    if name in WEATHERS:
        return "is a weather, which the box filters' NAME= items name"
    if name in PRESETS:
        return "is a camera preset, which the box filters' NAME= items name"
    return ""


class ClassMap:
    """The classes of a dataset's files: index (YOLO, from 0), COCO id (index + 1), name
    (the class's; KITTI's type string is KITTI_TYPES' for the kinds by default, the class
    name under a map) of each actor kind, or None for a kind no class takes."""

    def __init__(self, classes: Classes):
        self.classes = classes
        kinds = actor_kinds()
        if classes:
            self.names = tuple(name for name, _ in classes)
            self._index = {kind: k for k, (_, members) in enumerate(classes)
                           for kind in members}
            self._kitti = {kind: name for name, members in classes for kind in members}
        else:
            self.names = kinds
            self._index = {kind: k for k, kind in enumerate(kinds)}
            self._kitti = KITTI_TYPES

    @staticmethod
    @lru_cache(maxsize=16)
    def of(classes: Classes) -> ClassMap:
        return ClassMap(classes)

    def index(self, kind: str) -> int | None:
        """The class index of ``kind`` (None: not labelled)."""
        return self._index.get(kind)

    def kitti_type(self, kind: str) -> str | None:
        return self._kitti.get(kind)

    def members(self, name: str) -> tuple[str, ...]:
        """The actor kinds of class ``name``."""
        return dict(self.classes)[name] if self.classes else (name,)

    def coco_categories(self) -> list[dict]:
        """COCO categories: id = class index + 1, the class name, and as supercategory
        its kinds' category (vehicle, vru, animal, object, static; "mixed" when they differ)."""
        out = []
        for k, name in enumerate(self.names):
            groups = {actor_kind(kind).category for kind in self.members(name)}
            out.append({"id": k + 1, "name": name,
                        "supercategory": groups.pop() if len(groups) == 1 else "mixed"})
        return out

    def boxes(self, per_kind) -> list[tuple[str, str, int]]:
        """(class, its kinds joined by +, boxes) of every class, in index order, from the
        boxes per actor kind ``per_kind`` (a Counter)."""
        return [(name, "+".join(self.members(name)),
                 sum(per_kind[kind] for kind in self.members(name))) for name in self.names]

    def unlabelled(self) -> tuple[str, ...]:
        """The actor kinds no class takes (under a map; none by default)."""
        return tuple(kind for kind in actor_kinds() if kind not in self._index)


ONE_PER_KIND = ClassMap.of(())
"""The classes without a map: one per actor kind."""
