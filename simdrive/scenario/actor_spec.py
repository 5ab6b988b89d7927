"""One actor entry of a scenario file (``ego`` or an item of ``actors``): its kind, count,
placement, speeds, standing behaviour, scripted actions with their triggers, and driver
options, checked into frozen templates (ActorT) whose varying values are Params.

The vocabulary (actions, triggers, behaviours, placement anchors) is documented in
docs/scenarios.md; simdrive.scenario.spec reads the rest of the document.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from simdrive.errors import ScenarioError
from simdrive.scenario.reader import Param, Reader, read_text, suggest
from simdrive.scenario.yamlpos import Node
from simdrive.world.actors import (
    LAMP_KINDS,
    a_kind,
    actor_kind,
    actor_kinds,
    may_carry_lamps,
)

ACTIONS = {  # action -> {parameter: (unit, low, high)}
    "hard_brake": {"decel": ("m/s^2", 0.5, 15.0)},
    "stop": {},
    "go": {"speed": ("m/s", 0.0, 70.0)},
    "set_speed": {"speed": ("m/s", 0.0, 70.0)},
    "cut_in": {"lane": None, "lookahead": ("s", 0.1, 5.0), "offset": ("m", -5.0, 5.0)},
    "run_red_light": {"speed": ("m/s", 0.0, 70.0)},
    "wrong_way": {"lane": None},
    "cross_road": {"speed": ("m/s", 0.1, 15.0)},
    "swerve": {"offset": ("m", -5.0, 5.0), "lookahead": ("s", 0.1, 5.0)},
}
TUNING = {"reaction_time": (0.0, 5.0, "s"), "vision_range": (1.0, 2000.0, "m"),
          "time_headway": (0.1, 10.0, "s"), "min_gap": (0.0, 20.0, "m"),
          "politeness": (0.0, 2.0, ""), "gap_margin": (-5.0, 10.0, "s")}
"""An actor's tuning values: key -> (low, high, unit)."""
SPEED_MAX = 70.0
"""m/s: no speed above it (and none above the actor kind's top speed)."""
COUNT_MAX = 200
"""Instances one actor entry may place."""
DELAY_MAX = 600.0
"""s: the longest delay between an action's trigger and the action."""
PLACEMENT_D_MAX = 20.0
"""m: the largest lateral offset of a placement."""
MIN_GAP_MAX = 50.0
"""m: the largest spacing a placement may ask of the actors placed before it."""
TARGET_ACTIONS = ("cross_road",)
"""The actions that take a ``to:`` target point (any other refuses the key)."""
REQUIRED_ACTION_KEYS = {"cut_in": ("lane",), "wrong_way": ("lane",), "swerve": ("offset",)}
ACTION_DEFAULTS = {"hard_brake": {"decel": 8.0}}
"""Values of action keys left out (an emergency stop, about 0.8 g, where the road's grip
allows it; without it hard_brake would only set the desired speed to 0)."""
TRIGGERS = {  # trigger -> (unit, low, high) or None for structured ones
    "time": ("s", 0.0, 3600.0),
    "ego_distance_below": ("m", 0.0, 1000.0),
    "ego_time_below": ("s", 0.0, 60.0),
    "reach_point": None,
    "actor_distance_below": None,
}
BEHAVIORS = ("traffic", "follow_lane", "static", "parked")
"""What a scenario file's ``behavior:`` may name (the Python API's ``walk_to`` needs a
goal, which a file gives as a ``cross_road`` action's ``to:``)."""
PLACEMENT_ANCHORS = ("lane", "parking", "sidewalk", "ahead_of", "position")


@dataclass(frozen=True)
class ActionSpecT:
    """A scripted action template: values may be Params."""

    action: str
    trigger: str
    trigger_value: object  # number, Param, or dict for structured triggers
    params: dict
    delay: object = 0.0
    node: Node = field(repr=False, compare=False, default=None)  # its body, for errors


@dataclass(frozen=True)
class PlacementT:
    anchor: str  # one of PLACEMENT_ANCHORS
    target: object  # lane name/index, side, actor id, or None for position
    s: object = 0.0  # m along the lane (or distance ahead for ahead_of)
    d: object = 0.0  # m lateral offset
    x: object = 0.0
    y: object = 0.0
    heading: object = 0.0  # rad
    min_gap: float = 0.5  # m of clearance to every other actor


@dataclass(frozen=True)
class ActorT:
    """One actor entry; ``count`` > 1 places that many, each drawing its own placement."""

    name: str
    kind: str
    count: int
    placement: PlacementT
    speed: object
    desired_speed: object
    behavior: str
    actions: tuple[ActionSpecT, ...]
    options: dict  # direction, turn, reaction_time, watches_road, ... (constants or Params)
    node: Node = field(repr=False, compare=False, default=None)


ACTOR_KEYS = {
    "id": "actor name", "kind": "actor kind", "count": "how many", "placement": "where",
    "lane": "lane (ego shorthand)", "s": "m along the lane (ego shorthand)",
    "d": "m lateral offset (ego shorthand)", "speed": "m/s", "desired_speed": "m/s",
    "behavior": "how it moves", "actions": "scripted actions", "direction": "1 or -1",
    "turn": "straight, left or right", "reaction_time": "s", "vision_range": "m",
    "time_headway": "s", "min_gap": "m", "watches_road": "bool", "cautious": "bool",
    "obeys_signals": "bool", "lane_changes": "bool", "politeness": "MOBIL p",
    "gap_margin": "s sooner than oncoming traffic a left turn clears the crossing",
    "lamps": "bool: head and tail lamps lit at dawn, dusk and night",
}


SHORTHAND = ("lane", "s", "d")  # the ego's place without a placement: {lane: 0, s: 10}


def _extends_order(file: str) -> tuple[str, ...]:
    """A scenario file and the bases of its extends chain, file first (normalised paths;
    () when it cannot be read again, as for a document parsed from text)."""
    from simdrive.scenario.merge import extends_chain

    try:
        return tuple(os.path.normpath(str(p)) for p in extends_chain(Path(file)))
    except (ScenarioError, OSError):
        return ()


def parse_actor(node: Node, params: dict, default_name: str, is_ego: bool,
                top_file: str = "") -> ActorT:
    """One entry of ``ego`` (``is_ego``) or of ``actors``, its distributions added to
    ``params``; ``top_file``: the scenario file, whose extends chain decides whether an
    ego's placement replaces a base's lane/s shorthand."""
    what = "ego" if is_ego else f"actor {node.path}"
    r = Reader(node, ACTOR_KEYS, params, what, unlisted=("id", "count") if is_ego else ())
    for key in (("id", "count") if is_ego else ()) + SHORTHAND:
        if not r.has(key) or (key in SHORTHAND and is_ego and not r.has("placement")):
            continue
        if key in ("id", "count"):
            raise r.child(key).error(f"{key} does not apply to the ego: it is one actor, "
                                     "named ego", expected="no id or count on the ego")
        if not is_ego:
            raise r.child(key).error(
                f"{key} is the ego's shorthand for its place, and this actor is not the ego",
                expected=f"{key} inside placement, e.g. placement: {{lane: 0, s: 40}}")
        order = _extends_order(top_file)  # the scenario file first, then its bases
        here, there = r.child(key).file, r.child("placement").file
        rank = {f: k for k, f in enumerate(order)}
        if rank.get(os.path.normpath(there), 0) < rank.get(os.path.normpath(here), 0):
            continue  # a file's placement replaces the shorthand of a base it extends
        if here == there:
            raise r.child(key).error(
                f"{key} is the ego's shorthand for its place, and this ego has a placement "
                "too", expected=f"{key} inside placement, e.g. placement: {{lane: 0, s: 40}}")
        raise r.child(key).error(
            f"{key} is the ego's shorthand for its place, which cannot replace the placement "
            f"a base file ({there}) gives the ego",
            expected="a placement here (it replaces the base's), e.g. placement: {lane: 0, "
                     "s: 40}")
    # an id names the actor in actions, require: and labels
    name = "ego" if is_ego else r.name("id", "an actor's id", default=default_name,
                                       identifier=True)
    kinds = actor_kinds()
    kind = r.text("kind", choices=kinds, default="car") if is_ego else r.text("kind", choices=kinds)
    count = 1 if is_ego else r.integer("count", default=1, low=1, high=COUNT_MAX)
    if r.has("placement"):
        placement = _placement(r.child("placement"), params)
    elif is_ego:
        lane = r.child("lane")
        placement = PlacementT(
            "lane", _lane_ref(lane) if lane is not None else 0,
            s=r.number("s", default=10.0, low=-1e4, high=1e5, unit="m"),
            d=r.number("d", default=0.0, low=-10.0, high=10.0, unit="m"))
    else:
        raise node.error(f"{what} needs a placement",
                         expected="placement: {lane|parking|sidewalk|ahead_of|position: ...}")
    behavior, actions = _behavior(r.child("behavior"), params)
    if r.has("actions"):
        seq = r.child("actions")
        if not seq.is_sequence:
            raise seq.error("actions must be a list", found=seq.plain())
        actions = actions + tuple(_action(item, params) for item in seq)
    options = {}
    for key, (low, high, unit) in TUNING.items():
        if r.has(key):
            options[key] = r.number(key, low=low, high=high, unit=unit)
    for key in ("watches_road", "cautious", "obeys_signals", "lane_changes", "lamps"):
        if r.has(key):
            options[key] = r.boolean(key, default=True, varies=True)
    watches = options.get("watches_road")
    if watches is not None and actor_kind(kind).category == "object" and (
            any(params[watches.path].values()) if isinstance(watches, Param) else watches):
        raise r.child("watches_road").error(
            f"{a_kind(kind)} does not watch the road: nobody steers it",
            expected="no watches_road (or watches_road: false)", found=True)
    if r.has("lamps"):
        lamps = options["lamps"]
        lit = any(params[lamps.path].values()) if isinstance(lamps, Param) else lamps
        if lit and not may_carry_lamps(actor_kind(kind)):
            raise r.child("lamps").error(
                f"{a_kind(kind)} carries no lamps",
                expected=f"lamps only on a vehicle or a {' or '.join(LAMP_KINDS)} (or "
                         "lamps: false)", found=True)
    if r.has("direction"):
        options["direction"] = r.integer("direction", low=-1, high=1)
        if options["direction"] == 0:
            raise r.child("direction").error("direction is 1 or -1", found=0)
    if r.has("turn"):
        options["turn"] = r.text("turn", choices=("straight", "left", "right"), varies=True)
    speed, desired_speed = _speeds(r, kind)
    given = r.node.get("speed")
    parked = not behavior and placement.anchor == "parking"  # static by default there
    if (behavior == "static" or parked) and given is not None and given.value != 0:
        # a parked car given a speed rolled off at it, though parked never moves by itself
        what = f"{a_kind(kind)} in a parking lane is parked: it" if parked else \
            f"behavior {r.node.get('behavior').value}"
        raise given.error(f"{what} stands still until "
                          "something hits it or an action sets it off, so it takes no speed",
                          expected="no speed (or 0); a go action's speed (or desired_speed, "
                          "which a go without one sets off at) to drive off",
                          found=given.plain())
    standing = (not behavior and speed == 0.0 and desired_speed is None and not is_ego
                and placement.anchor in ("lane", "sidewalk")
                and actor_kind(kind).category not in ("vehicle", "static"))
    for action in actions if standing else ():
        if action.action == "go" and "speed" not in action.params:
            raise action.node.error(
                f"go sets {a_kind(kind)} standing on its lane off at the speed it was given, "
                "and it was given none", expected="go with a speed, e.g. go: {trigger: "
                "{time: 1}, speed: 4}")
    return ActorT(
        name=name, kind=kind, count=count, placement=placement, speed=speed,
        desired_speed=desired_speed, behavior=behavior, actions=actions, options=options,
        node=node,
    )


def _speeds(r: Reader, kind: str):
    """(speed, desired_speed) of an actor of ``kind``: within the kind's top speed (a deer
    at 40 m/s would be driven so); none for a static kind (a tyre given a speed stayed
    put while the drivers behind took it for a leader driving off)."""
    top = actor_kind(kind).max_speed
    if top <= 0.0:
        for key in ("speed", "desired_speed"):
            value = r.node.get(key)
            if value is not None and value.value != 0:
                raise value.error(f"a {kind} is static: it never moves, so it takes no {key}",
                                  expected=f"no {key} (or 0)", found=value.plain())
        return 0.0, None
    why = f"a {kind}'s top speed is {top:g} m/s (simdrive.world.actors)"
    high = min(SPEED_MAX, top)
    return (r.number("speed", default=0.0, low=0.0, high=high, unit="m/s", why=why),
            r.number("desired_speed", default=None, low=0.0, high=high, unit="m/s", why=why))


def _lane_ref(node: Node):
    if isinstance(node.value, bool) or not isinstance(node.value, (int, str)):
        raise node.error("a lane is a forward lane index or a lane name",
                         expected="0, 1, ... or a name such as fwd_0", found=node.plain())
    return node.value


def _placement(node: Node, params: dict) -> PlacementT:
    keys = {a: "anchor" for a in PLACEMENT_ANCHORS}
    keys.update({"s": "m", "d": "m", "distance": "m", "min_gap": "m"})
    r = Reader(node, keys, params, "placement")
    anchors = [a for a in PLACEMENT_ANCHORS if r.has(a)]
    if len(anchors) != 1:
        raise node.error("a placement has exactly one anchor",
                         expected="one of " + ", ".join(PLACEMENT_ANCHORS),
                         found=anchors or node.plain())
    anchor = anchors[0]
    # a key the anchor does not read would be ignored without a word: refused
    unused = {"position": ("s", "d", "distance"), "ahead_of": ("s",)}.get(anchor, ("distance",))
    for key in unused:
        if r.has(key):
            uses = {"position": "x, y and heading inside position",
                    "ahead_of": "distance (along the lane from the actor it is ahead of) and d"
                    }.get(anchor, "s (along the lane) and d")
            raise r.child(key).error(f"{anchor} placements use {uses}, not {key}",
                                     found=r.child(key).plain())
    gap = r.number("min_gap", default=0.5, low=0.0, high=MIN_GAP_MAX, unit="m", varies=False)
    if anchor == "position":
        pos = Reader(r.child("position"), {"x": "m", "y": "m", "heading": "rad"}, params,
                     "placement.position")
        return PlacementT("position", None, x=pos.number("x", unit="m"),
                          y=pos.number("y", unit="m"),
                          heading=pos.number("heading", default=0.0, low=-7.0, high=7.0,
                                             unit="rad"), min_gap=gap)
    if anchor in ("parking", "sidewalk"):
        target = r.text(anchor, choices=("left", "right"))
    elif anchor == "lane":
        target = _lane_ref(r.child("lane"))
    else:
        target = r.text("ahead_of")
    along = "distance" if anchor == "ahead_of" else "s"
    return PlacementT(anchor, target,
                      s=r.number(along, default=0.0, low=-1e4, high=1e5, unit="m"),
                      d=r.number("d", default=0.0, low=-PLACEMENT_D_MAX, high=PLACEMENT_D_MAX,
                                 unit="m"),
                      min_gap=gap)


def _behavior(node: Node | None, params: dict):
    """(standing behaviour, actions) from ``behavior: name`` or ``behavior: {action: {...}}``."""
    if node is None:
        return "", ()
    if isinstance(node.value, str):
        if node.value == "walk_to":
            raise node.error("behavior 'walk_to' needs a goal, which a scenario file gives "
                             "as a cross_road action", expected="one of " + ", ".join(BEHAVIORS),
                             found=node.plain(),
                             hint="actions: [{cross_road: {trigger: {time: 0}, to: {x: 60, "
                                  "y: 10}}}] walks there from the start")
        read_text(node, params, choices=BEHAVIORS)
        return ("static" if node.value == "parked" else node.value), ()
    if node.is_mapping:
        actions = []
        for key, child in node.items():
            if key in BEHAVIORS:
                raise child.error(f"behavior {key!r} takes no parameters",
                                  expected=f"behavior: {key}")
            actions.append(_action_body(key, child, params))
        return "", tuple(actions)
    raise node.error("behavior is a name or an action with a trigger",
                     expected="one of " + ", ".join(BEHAVIORS) + " or {action: {trigger: ...}}",
                     found=node.plain())


def _action(node: Node, params: dict) -> ActionSpecT:
    if not node.is_mapping or len(list(node.keys())) != 1:
        raise node.error("an action is one key: the action's name",
                         expected="{hard_brake: {trigger: ..., decel: 8}}", found=node.plain())
    key, body = next(iter(node.items()))
    return _action_body(key, body, params)


def _action_body(name: str, body: Node, params: dict) -> ActionSpecT:
    if name not in ACTIONS:
        raise body.error(f"unknown action {name!r}", expected="one of " + ", ".join(ACTIONS),
                         hint=suggest(name, ACTIONS))
    spec = ACTIONS[name]
    keys = {"trigger": "when", "delay": "s after the trigger"}
    if name in TARGET_ACTIONS:
        keys["to"] = "target point"
    keys.update({k: "" for k in spec})
    r = Reader(body, keys, params, f"action {name}")
    values = {}
    for key, rule in spec.items():
        if rule is None:
            if r.has(key):
                values[key] = _lane_ref(r.child(key))
            elif key in REQUIRED_ACTION_KEYS.get(name, ()):
                raise body.error(f"{name} needs a lane")
        elif r.has(key):
            unit, low, high = rule
            values[key] = r.number(key, low=low, high=high, unit=unit)
        elif key in REQUIRED_ACTION_KEYS.get(name, ()):
            raise body.error(f"{name} needs an {key}",
                             expected="offset: the lateral offset in the lane, m (left of the "
                             "lane's direction positive)")
        elif key in ACTION_DEFAULTS.get(name, {}):
            values[key] = ACTION_DEFAULTS[name][key]
    if r.has("to"):
        to = Reader(r.child("to"), {"x": "m", "y": "m"}, params, f"{name}.to")
        values["to"] = (to.number("x", unit="m"), to.number("y", unit="m"))
    trig_node = r.require("trigger")
    trig = Reader(trig_node, {k: "" for k in TRIGGERS}, params, "trigger")
    present = [k for k in TRIGGERS if trig.has(k)]
    if len(present) != 1:
        raise trig_node.error("a trigger has exactly one condition",
                              expected="one of " + ", ".join(TRIGGERS), found=trig_node.plain())
    kind = present[0]
    if TRIGGERS[kind] is not None:
        unit, low, high = TRIGGERS[kind]
        value = trig.number(kind, low=low, high=high, unit=unit)
    elif kind == "reach_point":
        pt = Reader(trig.child(kind), {"x": "m", "y": "m", "radius": "m"}, params, kind)
        value = {"x": pt.number("x", unit="m"), "y": pt.number("y", unit="m"),
                 "radius": pt.number("radius", default=1.0, low=0.01, high=100.0, unit="m")}
    else:
        ad = Reader(trig.child(kind), {"actor": "id", "distance": "m"}, params, kind)
        value = {"actor": ad.text("actor"),
                 "distance": ad.number("distance", low=0.0, high=1000.0, unit="m"),
                 "node": trig.child(kind)}
    return ActionSpecT(name, kind, value, values,
                       delay=r.number("delay", default=0.0, low=0.0, high=DELAY_MAX, unit="s"),
                       node=body)


def check_references(ego: ActorT, actors: list[ActorT]) -> None:
    names = {"ego"} | {a.name for a in actors}
    for actor in [ego, *actors]:
        for action in actor.actions:
            if action.trigger == "actor_distance_below":
                ref = action.trigger_value["actor"]
                if ref not in names:
                    raise action.trigger_value["node"].error(
                        f"trigger refers to an unknown actor {ref!r}",
                        expected="one of " + ", ".join(sorted(names)), hint=suggest(ref, names))
                if ref == actor.name:
                    raise action.trigger_value["node"].error(
                        f"the trigger measures {ref}'s distance to itself, which is 0: it "
                        "would fire at once", expected="another actor (or trigger: {time: 0} "
                        "to start at once)", found=ref)
        if actor.placement.anchor == "ahead_of" and actor.placement.target not in names:
            raise actor.node.error(f"placement refers to an unknown actor "
                                   f"{actor.placement.target!r}",
                                   expected="one of " + ", ".join(sorted(names)),
                                   hint=suggest(actor.placement.target, names))


__all__ = ["ACTIONS", "ACTOR_KEYS", "BEHAVIORS", "PLACEMENT_ANCHORS", "REQUIRED_ACTION_KEYS",
           "COUNT_MAX", "DELAY_MAX", "MIN_GAP_MAX", "PLACEMENT_D_MAX", "SPEED_MAX", "TUNING",
           "SHORTHAND", "TARGET_ACTIONS", "TRIGGERS", "ActionSpecT", "ActorT", "PlacementT",
           "check_references", "parse_actor"]
