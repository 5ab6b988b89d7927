"""The scenario format: YAML nodes checked into frozen dataclasses (ScenarioSpec).

This module reads the document: name, duration and step, map, environment, the actor
list (each entry read by simdrive.scenario.actor_spec), variants, cameras and render
options, and the checks that span them (grid axes, a weather change within the run).

Numbers and categories may be distributions; they are collected in
``ScenarioSpec.params`` by key path and stand in the dataclasses as
:class:`~simdrive.scenario.reader.Param` placeholders until a variant gives
them values. The vocabulary is documented in docs/scenarios.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simdrive.scenario import sampling
from simdrive.scenario.actor_spec import ActorT, check_references, parse_actor
from simdrive.scenario.cameras import CameraSpec, default_cameras, parse_cameras
from simdrive.scenario.content_hash import content_hash
from simdrive.scenario.reader import Param, Reader, suggest
from simdrive.scenario.render_options import RenderOptions, parse_render
from simdrive.scenario.sourcepos import node_at
from simdrive.scenario.yamlpos import Node
from simdrive.world.conditions import LIGHTINGS, WEATHERS

TOP_KEYS = {
    "name": "scenario name", "description": "what the scenario is about",
    "extends": "base scenario file", "duration": "s", "dt": "s", "map": "road map",
    "environment": "weather and lighting", "ego": "the ego vehicle", "actors": "other actors",
    "variants": "how to enumerate variants", "camera": "renderer camera", "render": "rendering",
}
VARYING_KEYS = ("environment", "ego", "actors")
"""The top-level keys whose values may be distributions (and so grid axes); the others
(name, duration, dt, map, camera, render, ...) hold one value for every variant."""
DURATION_RANGE = (0.1, 600.0)
"""s: the shortest and longest run."""
DT_RANGE = (0.001, 0.5)
"""s: the finest and coarsest step."""


@dataclass(frozen=True)
class ScenarioSpec:
    """A parsed, validated scenario file (after ``extends`` merging)."""

    name: str
    description: str
    file: str
    content_hash: str  # sha256 of what defines its worlds (scenario.content_hash)
    duration: float
    dt: float
    map_desc: object  # mapping or file path for build_map
    weather: object
    lighting: object
    change: dict | None  # {at, weather} or None
    ego: ActorT
    actors: tuple[ActorT, ...]
    grid: tuple[str, ...]
    samples: int
    seed: int
    method: str
    require: tuple[tuple[str, Node], ...]
    params: dict = field(repr=False)  # key path -> Distribution
    cameras: tuple[CameraSpec, ...] = field(default_factory=default_cameras)
    render: RenderOptions = field(default_factory=lambda: RenderOptions())
    map_node: Node | None = field(default=None, repr=False, compare=False)  # for errors

    @property
    def per_instance(self) -> frozenset[str]:
        """Parameter paths of the placements of actors with ``count`` > 1: each of them
        draws its own from the variant's random stream, so a variant's value there places
        nothing (search leaves them out, ``variants`` does not list them)."""
        return frozenset(value.path for t in self.actors if t.count > 1
                         for value in vars(t.placement).values() if isinstance(value, Param))


def _fixed_value(root: Node, path: str) -> bool:
    """Whether ``path`` (``environment.lighting``, ``actors[1].placement.s``) names a
    plain value written in the document: a grid axis over it has that one value."""
    node = node_at(root, path, whole=True)
    return node is not None and node.is_scalar


def parse_scenario(root: Node, file: str) -> ScenarioSpec:
    """Check a (merged) scenario document into a ScenarioSpec."""
    params: dict = {}
    found = root.get("found_variants_of") if root.is_mapping else None
    if found is not None:  # a found file where a scenario file is needed
        raise found.error("this is a found file of simdrive search, not a scenario file",
                          expected="the scenario file it names (found files are replayed by "
                          "validate, variants, simulate, frame, render and preview; they "
                          "cannot be searched or extended)")
    top = Reader(root, TOP_KEYS, params, "the scenario")
    name = top.name("name", "the scenario's name")
    env = _environment(top.child("environment"), params)
    ego_node = top.require("ego")
    ego = parse_actor(ego_node, params, default_name="ego", is_ego=True, top_file=file)
    actors = []
    seen = {"ego"}
    instances: dict[str, str] = {}  # the name of each instance of a count > 1: its id
    actors_node = top.child("actors")
    if actors_node is not None:
        if not actors_node.is_sequence:
            raise actors_node.error("actors must be a list", found=actors_node.plain())
        for k, node in enumerate(actors_node):
            actor = parse_actor(node, params, default_name=f"actor{k}", is_ego=False)
            if actor.name in seen:
                raise node.error(f"duplicate actor id {actor.name!r}")
            own = [f"{actor.name}_{i}" for i in range(actor.count)] if actor.count > 1 else []
            for clash in [actor.name, *own]:
                if clash in instances or (clash in seen and clash != actor.name):
                    count_id = instances.get(clash, actor.name)
                    raise node.error(
                        f"actor id {clash!r} is also the name of an instance of {count_id!r} "
                        f"(a count > 1 names its actors {count_id}_0, {count_id}_1, ...)",
                        expected="ids that no count's instances take")
            seen.add(actor.name)
            instances.update(dict.fromkeys(own, actor.name))
            actors.append(actor)
    check_references(ego, actors)
    variants = _variants(top.child("variants"), params)
    grid, samples, seed, method, require = variants
    for k, path in enumerate(grid):
        entry = top.require("variants").child("grid").child(k)  # the entry's own line
        if path not in params and _fixed_value(root, path) and \
                path.split(".")[0].split("[")[0] in VARYING_KEYS:
            continue  # set to one value (say, by a file extending this one): one cell
        if path.split(".")[0].split("[")[0] not in VARYING_KEYS:
            raise entry.error(f"grid axis {path!r}: {path.split('.')[0]} holds one value for "
                              "every variant, so it cannot be a grid axis",
                              expected="a choice or range under environment, ego or actors")
        if path not in params:
            known = sorted(params)
            raise entry.error(
                f"grid axis {path!r} is not a distribution in this scenario",
                expected="one of " + (", ".join(known) or "(none)"), hint=suggest(path, known))
        if not params[path].discrete:
            raise entry.error(f"grid axis {path!r} is continuous",
                                                expected="a choice or range distribution")
    grid = tuple(path for path in grid if path in params)
    try:  # the sampling plan's own checks (an axis listed twice, too many variants)
        sampling.variant_count(params, list(grid), samples, method, seed)
    except ValueError as error:
        raise top.require("variants").error(str(error)) from None
    map_node = top.require("map")
    map_desc = _map_desc(map_node)
    digest = content_hash(root.plain(), map_desc)
    duration = top.number("duration", low=DURATION_RANGE[0], high=DURATION_RANGE[1], unit="s",
                          varies=False)
    dt = top.number("dt", default=0.05, low=DT_RANGE[0], high=DT_RANGE[1], unit="s",
                    varies=False)
    at = env[2]["at"] if env[2] is not None else None
    if at is not None and _least(at, params) >= duration:  # a change that never comes
        node = top.require("environment").child("change").child("at")
        raise node.error("the weather changes only after the run has ended",
                         expected=f"a time before the end of the run ({duration:g} s)",
                         found=node.plain())
    for actor in (ego, *actors):
        for action in actor.actions:
            _check_trigger(action, params, duration)
    if duration < dt:  # a run of no step at all
        raise (top.child("dt") or top.require("duration")).error(
            "the duration is shorter than one time step", expected=f"dt <= duration "
            f"({duration:g} s)", found=dt)
    return ScenarioSpec(
        name=name, description=top.text("description", default=""), file=file,
        content_hash=digest,
        duration=duration, dt=dt,
        map_desc=map_desc, weather=env[0], lighting=env[1], change=env[2],
        ego=ego, actors=tuple(actors), grid=grid, samples=samples, seed=seed, method=method,
        require=require, params=params,
        # a camera rides on one actor: an id, or one instance of a count (id_0, id_1, ...,
        # as frames and labels name them; a count's id alone names no one actor)
        cameras=parse_cameras(top.child("camera"), {a.name for a in [ego, *actors]
                                                     if a.count == 1}
                              | {f"{a.name}_{k}" for a in actors if a.count > 1
                                 for k in range(a.count)}),
        render=parse_render(top.child("render")), map_node=map_node,
    )


def _check_trigger(action, params: dict, duration: float) -> None:
    """An action that could never start in the run is an error at its trigger (or delay):
    a time (plus its delay) at or after the run's end, a distance or time-to-collision
    'below' 0, which never holds."""
    body = action.node
    trigger = body.child("trigger").child(action.trigger)
    delay = _least(action.delay, params)
    if action.trigger == "time" and _least(action.trigger_value, params) + delay >= duration:
        late = body.child("delay") if body.get("delay") is not None and \
            _least(action.trigger_value, params) < duration else trigger
        raise late.error(f"{action.action} would start only after the run has ended",
                         expected=f"a time{' plus delay' if delay else ''} before the end of "
                         f"the run ({duration:g} s)", found=late.plain())
    if action.trigger != "time" and delay >= duration:
        node = body.child("delay")
        raise node.error(f"{action.action} would start only after the run has ended",
                         expected=f"a delay shorter than the run ({duration:g} s)",
                         found=node.plain())
    if action.trigger in ("ego_distance_below", "ego_time_below") and \
            _greatest(action.trigger_value, params) <= 0.0:
        raise trigger.error(f"{action.trigger} 0 never holds (a distance or time to "
                            "collision is never below 0), so the action would never start",
                            expected="a number above 0", found=trigger.plain())
    if action.trigger == "actor_distance_below" and \
            _greatest(action.trigger_value["distance"], params) <= 0.0:
        node = trigger.child("distance")
        raise node.error("a distance below 0 never holds (distances are between the two "
                         "actors' centres), so the action would never start",
                         expected="a number above 0", found=node.plain())


def _greatest(value, params: dict) -> float:
    """The greatest value a number field can take (a constant, or its distribution's)."""
    if not isinstance(value, Param):
        return float(value)
    dist = params[value.path]
    return float(max(dist.values())) if dist.discrete else float(dist.ppf(np.ones(1))[0])


def _least(value, params: dict) -> float:
    """The least value a number field can take (a constant, or its distribution's)."""
    if not isinstance(value, Param):
        return float(value)
    dist = params[value.path]
    return float(min(dist.values())) if dist.discrete else float(dist.ppf(np.zeros(1))[0])


def _map_desc(node: Node):
    if node.is_mapping:
        plain = node.plain()
        if "file" in plain:
            plain = dict(plain, file=str(Path(node.file).parent / plain["file"]))
        return plain
    if isinstance(node.value, str):
        return str(Path(node.file).parent / node.value)
    raise node.error("map must be a mapping or a file path", found=node.plain())


def _environment(node: Node | None, params: dict):
    if node is None:
        return "clear", "noon", None
    env = Reader(node, {"weather": "weather", "lighting": "lighting",
                        "change": "a change during the run"}, params, "environment")
    weather = env.text("weather", choices=tuple(WEATHERS), default="clear", varies=True)
    light = env.text("lighting", choices=tuple(LIGHTINGS), default="noon", varies=True)
    change = None
    if env.has("change"):
        ch = Reader(env.child("change"), {"at": "s", "weather": "weather after the change"},
                    params, "environment.change")
        change = {"at": ch.number("at", low=0.0, high=600.0, unit="s"),
                  "weather": ch.text("weather", choices=tuple(WEATHERS), varies=True)}
    return weather, light, change


def _variants(node: Node | None, params: dict):
    if node is None:
        return (), 1, 0, "random", ()
    r = Reader(node, {"grid": "discrete axes", "samples": "draws per grid cell",
                      "seed": "random seed", "method": "random, lhs or halton",
                      "require": "post-run conditions"}, params, "variants")
    grid = ()
    if r.has("grid"):
        g = r.child("grid")
        if not g.is_sequence or not all(isinstance(item.value, str) for item in g):
            raise g.error("grid is a list of parameter paths", found=g.plain())
        grid = tuple(item.value for item in g)
    require = ()
    if r.has("require"):
        req = r.child("require")
        items = list(req) if req.is_sequence else [req]
        for item in items:
            if not isinstance(item.value, str) and not isinstance(item.value, bool):
                raise item.error("a requirement is an expression", found=item.plain())
            require += ((str(item.value).lower() if isinstance(item.value, bool)
                         else item.value, item),)
    return (grid, r.integer("samples", default=1, low=1, high=100000),
            r.integer("seed", default=0, low=0, high=2**32 - 1),
            r.text("method", choices=("random", "lhs", "halton"), default="random"), require)


def resolve(value, values: dict):
    """A template value with its Param (if any) replaced by the variant's value."""
    if isinstance(value, Param):
        return values[value.path]
    return value


__all__ = ["TOP_KEYS", "ScenarioSpec", "parse_scenario", "resolve"]
