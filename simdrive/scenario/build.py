"""Variants (plain, serialisable) and building worlds (WorldSpec) from them.

A variant is fully described by (scenario content hash, seed, index); its
``values`` are the drawn value of every distribution in the scenario. Building
solves the placements on the map geometry (simdrive.scenario.placement): actors
with ``count`` > 1 draw their own placements from the variant's random stream,
derived from the same triple, and every actor is kept clear of the others by
bounded rejection sampling. A constraint that cannot be met raises a
ScenarioError saying which and how often it failed. Variants are built in
batches (build_worlds); a variant's world does not depend on its batch.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from simdrive.core.placement import POSE_COLUMNS
from simdrive.errors import ScenarioError, SimdriveError
from simdrive.scenario import sampling
from simdrive.scenario.actor_spec import ActionSpecT, ActorT
from simdrive.scenario.locate import located, located_errors
from simdrive.scenario.placement import PlacementPlan, lane_name
from simdrive.scenario.reader import Param
from simdrive.scenario.spec import ScenarioSpec, resolve
from simdrive.sim import ActionSpec, ActorSpec, WorldSpec
from simdrive.world.actors import actor_kind
from simdrive.world.conditions import lighting, visibility_m, weather
from simdrive.world.environment import Environment
from simdrive.world.maps import RoadMap, build_map


@dataclass(frozen=True)
class Variant:
    """One concrete variant: plain data, reproducible from (content_hash, seed, index)."""

    scenario: str
    file: str
    content_hash: str
    seed: int
    index: int
    values: dict

    def to_dict(self) -> dict:
        return {"scenario": self.scenario, "file": self.file, "hash": self.content_hash,
                "seed": self.seed, "index": self.index, "values": dict(self.values)}


def _sampling_args(spec: ScenarioSpec):
    return dict(params=spec.params, grid=list(spec.grid), samples=spec.samples,
                method=spec.method, seed=spec.seed)


def variant_count(spec: ScenarioSpec) -> int:
    """How many variants the scenario declares."""
    return sampling.variant_count(**_sampling_args(spec))


def variants(spec: ScenarioSpec, limit: int | None = None) -> list[Variant]:
    """The scenario's variants in enumeration order; with ``limit``, that many spread
    over its grid (sampling.spread_indices), each keeping its own index."""
    if limit is None:
        indices = range(variant_count(spec))
        values = sampling.enumerate_variants(**_sampling_args(spec))
    else:
        indices = sampling.spread_indices(limit, **_sampling_args(spec))
        values = sampling.variants_at(indices, **_sampling_args(spec))
    return [Variant(spec.name, spec.file, spec.content_hash, spec.seed, k, v)
            for k, v in zip(indices, values, strict=True)]


def variant_at(spec: ScenarioSpec, index: int) -> Variant:
    """Variant ``index`` computed directly (same result as variants()[index])."""
    values = sampling.variant_at(index, **_sampling_args(spec))
    return Variant(spec.name, spec.file, spec.content_hash, spec.seed, index, values)


class WorldBuilder:
    """Builds the worlds of variants of ``spec`` on ``road``.

    Everything that does not depend on the variant is worked out once here: the
    placement slot tables, each actor instance's fixed ActorSpec fields, the
    environments already built.
    """

    def __init__(self, spec: ScenarioSpec, road: RoadMap) -> None:
        self.spec = spec
        self.road = road
        self.placement = PlacementPlan(spec, road)
        templates = (spec.ego, *spec.actors)
        first_names = {t.name: (t.name if t.count == 1 else f"{t.name}_0") for t in templates}
        own_lane = {}  # the lane each entry's first instance is placed on, if any
        for slot, lane in zip(self.placement.slots, self.placement.lane_names, strict=True):
            own_lane.setdefault(slot.template.name, lane)
        actions = {t.name: tuple(_plan_action(a, road, first_names, own_lane.get(t.name))
                                 for a in t.actions)
                   for t in templates}
        self.varying = {t.name: _varying_fields(t) for t in templates}
        self.instances = [
            _Instance(slot.name, slot.template.name,
                      _fixed_fields(slot.template, slot.name, slot.template is spec.ego, lane),
                      slot.template.placement.anchor != "position", actions[slot.template.name],
                      lane)
            for slot, lane in zip(self.placement.slots, self.placement.lane_names, strict=True)]
        self.environments: dict[tuple, Environment] = {}
        self.lane_lengths = {lane.name: lane.length for lane in road.lanes}

    def build(self, batch: Sequence[Variant]) -> list[WorldSpec]:
        """The WorldSpecs of ``batch``, in order; each as if built alone."""
        # one flat list, not a list per actor: fewer objects for the garbage collector to scan
        poses = self.placement.solve(batch).ravel().tolist()
        per_variant = len(self.instances) * POSE_COLUMNS
        worlds = []
        for w, variant in enumerate(batch):
            try:
                worlds.append(self._world(variant, poses, w * per_variant))
            except ScenarioError:
                raise
            except SimdriveError as error:
                raise located(self.spec, error, f"variant {variant.index}: ") from None
        return worlds

    def _world(self, variant: Variant, poses: list, start: int) -> WorldSpec:
        """The world of one variant from its poses: from ``poses[start]`` on, per instance
        in order, the columns simdrive.core.placement.POSE_*."""
        values = variant.values
        varied = {name: {f: convert(values[param.path]) for f, param, convert in fields}
                  for name, fields in self.varying.items() if fields}
        actors: list[ActorSpec] = []
        actions: list[ActionSpec] = []
        for k, instance in enumerate(self.instances):
            at = start + POSE_COLUMNS * k
            x, y, heading, s, d, target_x, target_y = poses[at:at + POSE_COLUMNS]
            actor = object.__new__(ActorSpec)
            fields = vars(actor)
            fields.update(instance.fixed)
            if instance.template in varied:
                fields.update(varied[instance.template])
            lane = fields["lane"] if fields["lane"] is not None else instance.lane
            if lane is not None:  # a walker, an animal or debris too: placed, then free
                length = self.lane_lengths[lane]
                if not -0.5 <= s <= length + 0.5:  # off the road's map
                    raise SimdriveError(
                        f"actor {instance.name!r} is placed at s = {s:.1f} m along lane "
                        f"{lane}, which runs from 0 to {length:.1f} m",
                        expected="a placement on the lane (" + (
                            "s, distance or count smaller)" if s > 0 else
                            "s larger, or a distance behind the actor it is placed by "
                            "smaller)"))
            if fields["lane"] is not None:
                fields["s"] = s
                fields["d"] = d
            else:
                if fields["direction"] < 0 and instance.on_lane:
                    heading += math.pi
                fields["x"] = x
                fields["y"] = y
                fields["heading"] = heading
            actors.append(actor if _ACTOR_SPEC_FAST else ActorSpec(**fields))
            for action in instance.actions:
                actions.append(action.spec(instance.name, values, (target_x, target_y)))
        return WorldSpec(self.road, tuple(actors), tuple(actions), self._environment(values),
                         dt=self.spec.dt)

    def _environment(self, values: dict) -> Environment:
        spec = self.spec
        key = (resolve(spec.weather, values), resolve(spec.lighting, values),
               *((resolve(spec.change["weather"], values), resolve(spec.change["at"], values))
                 if spec.change is not None else ()))
        env = self.environments.get(key)
        if env is None:
            env = self.environments[key] = _environment(spec, values)
        return env


def scenario_road(spec: ScenarioSpec) -> RoadMap:
    """The road map of ``spec`` (errors located in the scenario file)."""
    with located_errors(spec):
        return build_map(spec.map_desc, where=spec.file)


def check_variants(spec: ScenarioSpec, chosen: Sequence[Variant], road: RoadMap | None = None,
                   batch_size: int = 256) -> RoadMap:
    """Build the map and the worlds of ``chosen`` and load them into a simulation, without
    stepping it: every error the scenario can cause (a map file that cannot be read, an
    unknown lane, a placement that cannot be met, an actor that cannot have its behaviour)
    is raised here, located in the file, before a command writes anything. Returns the
    road."""
    from simdrive.sim import Simulation

    road = road if road is not None else scenario_road(spec)
    for start in range(0, len(chosen), batch_size):
        worlds = build_worlds(spec, chosen[start:start + batch_size], road)
        with located_errors(spec):
            Simulation(worlds, threads=1)
    return road


_BUILDERS: dict[tuple[int, int], WorldBuilder] = {}
_MAX_BUILDERS = 8


def world_builder(spec: ScenarioSpec, road: RoadMap) -> WorldBuilder:
    """The WorldBuilder of (spec, road), kept for the last few pairs built from."""
    key = (id(spec), id(road))
    builder = _BUILDERS.get(key)
    if builder is None or builder.spec is not spec or builder.road is not road:
        with located_errors(spec):
            builder = WorldBuilder(spec, road)
        while len(_BUILDERS) >= _MAX_BUILDERS:
            del _BUILDERS[next(iter(_BUILDERS))]
        _BUILDERS[key] = builder  # holds spec and road, so their ids stay theirs
    return builder


def build_worlds(spec: ScenarioSpec, batch: Sequence[Variant], road: RoadMap) -> list[WorldSpec]:
    """The WorldSpecs of ``batch`` on ``road`` (built from spec.map_desc once per run).

    Equal to building each variant alone with build_world; one call per batch spreads
    the fixed costs (drawing, the placement kernel) over its variants.
    """
    return world_builder(spec, road).build(batch) if batch else []


def build_world(spec: ScenarioSpec, variant: Variant, road: RoadMap) -> WorldSpec:
    """The WorldSpec of one variant on ``road``."""
    return world_builder(spec, road).build([variant])[0]


_ACTOR_FIELDS = frozenset(f.name for f in dataclasses.fields(ActorSpec))
_ACTOR_SPEC_FAST = not hasattr(ActorSpec, "__post_init__")
"""An ActorSpec is made by filling a new instance's __dict__ with all its fields: the same
object as ActorSpec(**fields) in under 1 us, where the frozen dataclass's __init__ takes
about 5 us (one object.__setattr__ per field), half the time there is per actor. Should
ActorSpec ever check its fields in __post_init__, the constructor is used instead."""


@dataclass(frozen=True)
class _Instance:
    """What every world shares of one actor instance."""

    name: str
    template: str  # the actor entry's id
    fixed: dict  # every ActorSpec field; placeholders where the variant decides
    on_lane: bool  # placed on a lane (a pose relative to it), not at a position
    actions: tuple[_ActionPlan, ...]
    lane: str | None = None  # the lane its placement names (not for one relative to another)


SETS_OFF = ("go", "set_speed")
"""Actions that set a cyclist, walker or animal standing on its lane off along it."""


def _fixed_fields(t: ActorT, name: str, is_ego: bool, lane: str | None) -> dict:
    """Every ActorSpec field of one instance of ``t`` (those that vary: placeholders)."""
    kind = actor_kind(t.kind)
    behavior = t.behavior or None
    if behavior is None and t.placement.anchor == "parking":
        behavior = "static"
    moving = isinstance(t.speed, Param) or float(t.speed) > 0.0 or t.desired_speed is not None
    desired = t.desired_speed
    if (behavior is None and lane is not None and kind.category not in ("vehicle", "static")):
        if moving or is_ego:
            behavior = "follow_lane"  # a cyclist or walker given a speed on a lane rides it
        elif any(a.action in SETS_OFF for a in t.actions):
            # one standing on its lane until a go or set_speed sets it off along it (placed
            # by its pose as a static actor, it had no lane to follow and never moved)
            behavior, desired = "follow_lane", 0.0
    opts = {k: None if isinstance(v, Param) else v for k, v in t.options.items()}
    static = behavior in ("static", None) and kind.category != "vehicle"
    placed = dict(lane=lane, s=0.0, d=0.0) if lane is not None and not static else \
        dict(x=0.0, y=0.0, heading=0.0)
    fields = vars(ActorSpec(
        t.kind, name, **placed,
        speed_mps=0.0 if isinstance(t.speed, Param) else float(t.speed),
        desired_speed_mps=None if desired is None or isinstance(desired, Param)
        else float(desired),
        behavior=behavior, ego=is_ego, direction=opts.get("direction", 1),
        turn=opts.get("turn", "straight"), lane_changes=opts.get("lane_changes", True),
        obeys_signals=opts.get("obeys_signals", True),
        watches_road=opts.get("watches_road", True), cautious=opts.get("cautious", False),
        reaction_time_s=opts.get("reaction_time"), vision_range_m=opts.get("vision_range", 200.0),
        time_headway_s=opts.get("time_headway"), min_gap_m=opts.get("min_gap"),
        politeness=opts.get("politeness", 0.3), gap_margin_s=opts.get("gap_margin", 1.5),
        lamps=opts.get("lamps")))
    if fields.keys() != _ACTOR_FIELDS:  # a field with an init=False or a property
        raise TypeError("ActorSpec's fields are not all set by its constructor")
    return dict(fields)


_OPTION_FIELDS = {"direction": "direction", "turn": "turn", "lane_changes": "lane_changes",
                  "obeys_signals": "obeys_signals", "watches_road": "watches_road",
                  "cautious": "cautious", "reaction_time": "reaction_time_s",
                  "vision_range": "vision_range_m", "time_headway": "time_headway_s",
                  "min_gap": "min_gap_m", "politeness": "politeness",
                  "gap_margin": "gap_margin_s", "lamps": "lamps"}


def _varying_fields(t: ActorT) -> list[tuple[str, Param, Callable]]:
    """(ActorSpec field, its Param, conversion) of each field of ``t`` that varies."""
    out = [(f, v, float) for f, v in (("speed_mps", t.speed), ("desired_speed_mps",
                                                              t.desired_speed))
           if isinstance(v, Param)]
    out += [(_OPTION_FIELDS[k], v, _same) for k, v in t.options.items() if isinstance(v, Param)]
    return out


def _same(value):
    return value


_TRIGGER_NAMES = {"time": "time_s", "ego_distance_below": "ego_distance_below_m",
                  "ego_time_below": "ego_time_below_s"}
_PARAM_NAMES = {"decel": "decel_mps2", "speed": "speed_mps", "lookahead": "lookahead_s",
                "offset": "offset_m"}


@dataclass(frozen=True)
class _ActionPlan:
    """An action of an actor entry as its ActionSpec, with every value that varies left
    as its Param; x and y of a cross_road without 'to' are None (the crossing target)."""

    action: str
    trigger: dict
    params: dict
    delay: object
    to_target: bool

    def spec(self, actor: str, values: dict, target: tuple[float, float]) -> ActionSpec:
        """The ActionSpec for instance ``actor``; ``target`` is where it crosses to (m)."""
        params = _resolved(self.params, values)
        if self.to_target:
            params["x"], params["y"] = target
        delay = self.delay if isinstance(self.delay, float) else float(values[self.delay.path])
        return ActionSpec(actor, self.action, _resolved(self.trigger, values), params,
                          delay_s=delay)


def _plan_action(a: ActionSpecT, road: RoadMap, first_names: dict,
                 own_lane: str | None) -> _ActionPlan:
    if a.trigger in _TRIGGER_NAMES:
        trigger = {_TRIGGER_NAMES[a.trigger]: _number(a.trigger_value)}
    elif a.trigger == "reach_point":
        trigger = {"reach_point": {k: _number(v) for k, v in a.trigger_value.items()}}
    else:
        tv = a.trigger_value
        trigger = {"actor_distance_below_m": {"actor": first_names[tv["actor"]],
                                              "distance": _number(tv["distance"])}}
    params = {}
    for key, value in a.params.items():
        if key == "lane":
            try:
                params["lane"] = lane_name(road, value, own_lane)
            except SimdriveError as error:  # an index past the lanes: at the action's lane
                node = a.node.get("lane") if a.node is not None else None
                if node is None:
                    raise
                raise node.error(f"{a.action}: {error.message}", expected=error.expected,
                                 found=error.found) from None
        elif key != "to":
            params[_PARAM_NAMES[key]] = _number(value)
    to_target = a.action == "cross_road" and "to" not in a.params
    if a.action == "cross_road":
        params["x"], params["y"] = (None, None) if to_target else map(_number, a.params["to"])
        params.setdefault("speed_mps", 1.4)
    return _ActionPlan(a.action, trigger, params, _number(a.delay), to_target)


def _number(value):
    """A constant as float (m, s, ...); a value that varies stays its Param."""
    return value if isinstance(value, Param) else float(value)


def _resolved(tree: dict, values: dict) -> dict:
    """A copy of ``tree`` (nested dicts) with each Param replaced by the variant's value."""
    return {k: float(values[v.path]) if isinstance(v, Param)
            else _resolved(v, values) if isinstance(v, dict) else v for k, v in tree.items()}


def _environment(spec: ScenarioSpec, values) -> Environment:
    w = resolve(spec.weather, values)
    lit = resolve(spec.lighting, values)
    # with headlights on (dawn, dusk, night) vehicles under way are seen by their lamps as
    # far as the weather lets anyone see; the dark hides the rest
    lamps = lighting(lit).headlights
    env = dict(road_condition=weather(w).road_condition, visibility_m=visibility_m(w, lit),
               lamp_visibility_m=weather(w).visibility_m if lamps else None,
               unlit_visibility_m=lighting(lit).unlit_visibility_m,
               glare_background_cd_m2=lighting(lit).glare_background_cd_m2)
    if spec.change is not None:
        after = resolve(spec.change["weather"], values)
        env.update(change_time_s=float(resolve(spec.change["at"], values)),
                   road_condition_after=weather(after).road_condition,
                   visibility_after_m=min(weather(after).visibility_m,
                                          lighting(lit).visibility_m),
                   lamp_visibility_after_m=weather(after).visibility_m if lamps else None)
    return Environment(**env)
