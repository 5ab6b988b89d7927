"""Variants (plain, serialisable) and building a World (WorldSpec) from one.

A variant is fully described by (scenario content hash, seed, index); its
``values`` are the drawn value of every distribution in the scenario. Building
solves the placements on the map geometry: actors with ``count`` > 1 draw their
own placements from a generator derived from the same triple, and every actor is
kept clear of the others by bounded rejection sampling. A constraint that cannot
be met raises a ScenarioError saying which and how often it failed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simdrive.core.geometry import (
    first_overlap,
    last_inside_along,
    polyline_pose,
    polyline_project,
)
from simdrive.core.layout import AREA_DRIVABLE, LANE_DRIVING
from simdrive.errors import SimdriveError
from simdrive.scenario import sampling
from simdrive.scenario.distributions import Uniform
from simdrive.scenario.reader import Param
from simdrive.scenario.spec import ActionSpecT, ActorT, ScenarioSpec, resolve
from simdrive.sim import ActionSpec, ActorSpec, WorldSpec
from simdrive.world.actors import actor_kind
from simdrive.world.conditions import lighting, visibility_m, weather
from simdrive.world.environment import Environment
from simdrive.world.maps import RoadMap

MAX_PLACEMENT_TRIES = 200


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
    """The scenario's variants in enumeration order (at most ``limit``)."""
    all_values = sampling.enumerate_variants(**_sampling_args(spec))
    if limit is not None:
        all_values = all_values[:limit]
    return [Variant(spec.name, spec.file, spec.content_hash, spec.seed, k, values)
            for k, values in enumerate(all_values)]


def variant_at(spec: ScenarioSpec, index: int) -> Variant:
    """Variant ``index`` computed directly (same result as variants()[index])."""
    values = sampling.variant_at(index, **_sampling_args(spec))
    return Variant(spec.name, spec.file, spec.content_hash, spec.seed, index, values)


def _rng(variant: Variant, *keys: int) -> np.random.Generator:
    seed_words = [variant.seed, variant.index, int(variant.content_hash[:8], 16), *keys]
    return np.random.default_rng(np.random.SeedSequence(seed_words))


def _lane_name(road: RoadMap, ref) -> str:
    if isinstance(ref, str):
        return ref
    names = [lane.name for lane in road.lanes]
    for prefix in ("fwd_", "west_in_"):
        if f"{prefix}{ref}" in names:
            return f"{prefix}{ref}"
    return f"fwd_{ref}"


class _Placer:
    """Places actors one by one, keeping each clear of those already placed."""

    def __init__(self, road: RoadMap, spec: ScenarioSpec, variant: Variant) -> None:
        self.road = road
        self.spec = spec
        self.variant = variant
        self.arrays = road.to_arrays()
        self.boxes: list[tuple[str, float, float, float, float, float]] = []
        total = sum(t.count for t in (spec.ego, *spec.actors))
        self.box_array = np.zeros((total, 6))  # x, y, cos, sin, half length, half width
        self.lane_pos: dict[str, tuple[str, float]] = {}

    def draw(self, value, rng, count: int, attempt: int):
        """The value for one instance: the variant's own on the first attempt of a single
        actor, else a fresh draw from the same distribution with the variant's generator."""
        if isinstance(value, Param):
            if count == 1 and attempt == 0:
                return self.variant.values[value.path]
            dist = self.spec.params[value.path]
            if isinstance(dist, Uniform):  # the common case, without numpy's per-call cost
                return dist.low + rng.random() * (dist.high - dist.low)
            return dist.ppf(rng.random(1))[0].item()
        return value

    def pose(self, actor: ActorT, rng, count: int, previous: str | None, attempt: int):
        p = actor.placement
        s = float(self.draw(p.s, rng, count, attempt))
        d = float(self.draw(p.d, rng, count, attempt))
        if p.anchor == "position":
            return None, 0.0, 0.0, (float(self.draw(p.x, rng, count, attempt)),
                                    float(self.draw(p.y, rng, count, attempt)),
                                    float(self.draw(p.heading, rng, count, attempt)))
        if p.anchor == "ahead_of":
            ref = previous if previous is not None else p.target
            lane, ref_s = self.lane_pos[ref]
            return lane, ref_s + s, d, None
        if p.anchor == "lane":
            return _lane_name(self.road, p.target), s, d, None
        return f"{p.anchor}_{p.target}", s, d, None

    def place(self, actor: ActorT, name: str, k: int, rng, previous: str | None):
        kind = actor_kind(actor.kind)
        failures = {"overlaps another actor": 0}
        blocker = ""
        for attempt in range(MAX_PLACEMENT_TRIES):
            lane, s, d, pose = self.pose(actor, rng, actor.count, previous, attempt)
            if pose is None:
                try:
                    index = self.road.lane_index(lane)
                except SimdriveError as error:
                    raise actor.node.error(f"placement: {error.message}", expected=error.expected,
                                           found=error.found) from None
                x, y, heading = _lane_pose(self.arrays, index, s, d)
            else:
                x, y, heading = pose
            gap = actor.placement.min_gap
            hit = self._overlap(x, y, heading, kind.length + 2 * gap, kind.width + 2 * gap)
            if hit is None:
                k = len(self.boxes)
                self.box_array[k] = (x, y, math.cos(heading), math.sin(heading),
                                     kind.length / 2, kind.width / 2)
                self.boxes.append((name, x, y, heading, kind.length, kind.width))
                if lane is not None:
                    self.lane_pos[name] = (lane, s)
                return lane, s, d, (x, y, heading)
            failures["overlaps another actor"] += 1
            blocker = hit
            if not _varies(actor):
                break
        tries = failures["overlaps another actor"]
        where = f"instance {k + 1} of {actor.count} of " if actor.count > 1 else ""
        raise actor.node.error(
            f"could not place {where}actor {actor.name!r} clear of the others: it overlapped "
            f"another actor (last {blocker!r}) in {tries} of {tries} tries",
            hint="widen its placement distribution, lower count or min_gap, or move it")

    def _overlap(self, x, y, heading, length, width) -> str | None:
        hit = first_overlap(x, y, math.cos(heading), math.sin(heading), length / 2, width / 2,
                            self.box_array, len(self.boxes))
        return None if hit < 0 else self.boxes[hit][0]


def _lane_pose(arrays, lane: int, s: float, d: float) -> tuple[float, float, float]:
    """Pose at (s, d) m on a lane, with the simulation's own polyline kernel."""
    start = int(arrays.lane_start[lane])
    count = int(arrays.lane_npoints[lane])
    x, y, heading, _ = polyline_pose(arrays.lane_points, arrays.lane_cum_s, start, count, s, 0)
    return x - d * math.sin(heading), y + d * math.cos(heading), heading


def _varies(actor: ActorT) -> bool:
    p = actor.placement
    return any(isinstance(v, Param) for v in (p.s, p.d, p.x, p.y, p.heading))


def _crossing_target(road: RoadMap, x: float, y: float, heading_hint: float):
    """Point 1 m beyond the far edge of the drivable area, straight across from (x, y)."""
    arrays = road.to_arrays()
    best = None
    for direction in (heading_hint, heading_hint + math.pi):
        ux, uy = math.cos(direction), math.sin(direction)
        reach = last_inside_along(x, y, ux, uy, 80.0, 0.05, arrays.area_points,
                                  arrays.area_start, arrays.area_npoints, arrays.area_kind,
                                  AREA_DRIVABLE)
        if reach >= 0.0 and (best is None or reach < best[0]):
            best = (reach, ux, uy)
    if best is None:
        return None
    reach, ux, uy = best
    return x + (reach + 1.0) * ux, y + (reach + 1.0) * uy


def build_world(spec: ScenarioSpec, variant: Variant, road: RoadMap) -> WorldSpec:
    """The WorldSpec of one variant on ``road`` (built from spec.map_desc once per batch)."""
    values = variant.values
    placer = _Placer(road, spec, variant)
    actors: list[ActorSpec] = []
    actions: list[ActionSpec] = []
    templates = [spec.ego, *spec.actors]
    first_names = {t.name: (t.name if t.count == 1 else f"{t.name}_0") for t in templates}
    rng = _rng(variant)  # one generator per variant, drawn from in a fixed order
    for template in templates:
        previous = None
        for k in range(template.count):
            name = template.name if template.count == 1 else f"{template.name}_{k}"
            lane, s, d, (x, y, heading) = placer.place(template, name, k, rng, previous)
            previous = name if template.placement.anchor == "ahead_of" else None
            actors.append(_actor_spec(template, name, lane, s, d, x, y, heading, values,
                                      road, template is spec.ego))
            for action in template.actions:
                actions.append(_action_spec(action, template, name, values, road, x, y,
                                            first_names))
    env = _environment(spec, values)
    return WorldSpec(road, tuple(actors), tuple(actions), env, dt=spec.dt)


def _actor_spec(t: ActorT, name, lane, s, d, x, y, heading, values, road, is_ego) -> ActorSpec:
    kind = actor_kind(t.kind)
    behavior = t.behavior or None
    if behavior is None and t.placement.anchor == "parking":
        behavior = "static"
    opts = {k: resolve(v, values) for k, v in t.options.items()}
    desired = resolve(t.desired_speed, values)
    common = dict(
        speed_mps=float(resolve(t.speed, values)),
        desired_speed_mps=None if desired is None else float(desired),
        behavior=behavior, ego=is_ego, direction=opts.get("direction", 1),
        turn=opts.get("turn", "straight"), lane_changes=opts.get("lane_changes", True),
        obeys_signals=opts.get("obeys_signals", True),
        watches_road=opts.get("watches_road", True), cautious=opts.get("cautious", False),
        reaction_time_s=opts.get("reaction_time"), vision_range_m=opts.get("vision_range", 200.0),
        time_headway_s=opts.get("time_headway"), min_gap_m=opts.get("min_gap"),
        politeness=opts.get("politeness", 0.3),
    )
    static = behavior in ("static", None) and kind.category != "vehicle"
    if lane is not None and not static:
        return ActorSpec(t.kind, name, lane=lane, s=s, d=d, **common)
    if common["direction"] < 0 and lane is not None:
        heading += math.pi
    return ActorSpec(t.kind, name, x=x, y=y, heading=heading, **common)


_TRIGGER_NAMES = {"time": "time_s", "ego_distance_below": "ego_distance_below_m",
                  "ego_time_below": "ego_time_below_s"}


def _action_spec(a: ActionSpecT, template: ActorT, actor: str, values, road, x, y,
                 first_names):
    if a.trigger in _TRIGGER_NAMES:
        trigger = {_TRIGGER_NAMES[a.trigger]: float(resolve(a.trigger_value, values))}
    elif a.trigger == "reach_point":
        trigger = {"reach_point": {k: float(resolve(v, values))
                                   for k, v in a.trigger_value.items()}}
    else:
        tv = a.trigger_value
        trigger = {"actor_distance_below_m": {"actor": first_names[tv["actor"]],
                                              "distance": float(resolve(tv["distance"], values))}}
    params = {}
    for key, value in a.params.items():
        if key == "to":
            continue
        if key == "lane":
            params["lane"] = _lane_name(road, value)
        else:
            suffix = {"decel": "decel_mps2", "speed": "speed_mps", "lookahead": "lookahead_s"}
            params[suffix[key]] = float(resolve(value, values))
    if a.action == "cross_road":
        if "to" in a.params:
            tx, ty = (float(resolve(v, values)) for v in a.params["to"])
        else:
            target = _crossing_target(road, x, y, _road_normal(road, x, y))
            if target is None:
                raise template.node.error(
                    f"{actor} has no road to cross from ({x:.1f}, {y:.1f}) m",
                    hint="place it beside the road or give cross_road a 'to' point")
            tx, ty = target
        params.update(x=tx, y=ty)
        params.setdefault("speed_mps", 1.4)
    return ActionSpec(actor, a.action, trigger, params, delay_s=float(resolve(a.delay, values)))


def _road_normal(road: RoadMap, x: float, y: float) -> float:
    """Direction (rad) perpendicular to the nearest driving lane at (x, y)."""
    arrays = road.to_arrays()
    best = None
    for lane in range(len(road.lanes)):
        if arrays.lane_kind[lane] != LANE_DRIVING:
            continue
        start = int(arrays.lane_start[lane])
        count = int(arrays.lane_npoints[lane])
        s, d, seg = polyline_project(arrays.lane_points, arrays.lane_cum_s, start, count, x, y, 0)
        if best is None or abs(d) < best[0]:
            heading = polyline_pose(arrays.lane_points, arrays.lane_cum_s, start, count, s, seg)[2]
            best = (abs(d), heading + math.pi / 2)
    return float(best[1]) if best else math.pi / 2


def _environment(spec: ScenarioSpec, values) -> Environment:
    w = resolve(spec.weather, values)
    lit = resolve(spec.lighting, values)
    env = dict(road_condition=weather(w).road_condition, visibility_m=visibility_m(w, lit))
    if spec.change is not None:
        after = resolve(spec.change["weather"], values)
        env.update(change_time_s=float(resolve(spec.change["at"], values)),
                   road_condition_after=weather(after).road_condition,
                   visibility_after_m=min(weather(after).visibility_m,
                                          lighting(lit).visibility_m))
    return Environment(**env)
