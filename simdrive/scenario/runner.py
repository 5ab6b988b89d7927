"""Load scenario files and simulate their variants in batches; check ``require:``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from simdrive.errors import ScenarioError, SimdriveError
from simdrive.scenario import expr
from simdrive.scenario.build import Variant, build_worlds, scenario_road, variant_at, variants
from simdrive.scenario.locate import located_errors
from simdrive.scenario.merge import load_merged
from simdrive.scenario.sourcepos import scalar_locator
from simdrive.scenario.spec import ScenarioSpec, parse_scenario
from simdrive.sim import Event, Outcome, Simulation

METRIC_NAMES = {
    "collision": ("the ego collided", "bool"),
    "collisions": ("number of colliding pairs", "number"),
    "min_ttc": ("minimum time-to-collision of the ego, s", "number"),
    "min_distance": ("minimum distance between the ego and any actor, m", "number"),
    "ego.max_decel": ("harshest ego deceleration, m/s^2", "number"),
    "ego.speed_at_impact": ("ego speed when it first collided, m/s (0 without)", "number"),
    "ego.max_speed": ("highest ego speed, m/s", "number"),
    "collision_time": ("time of the ego's first collision, s (inf without)", "number"),
    "ego.off_road": ("the ego's centre left the road (carriageway and parking strips)",
                     "bool"),
    "ego.closing_speed_at_impact": ("how fast the ego and what it first hit closed along "
                                    "the contact normal, m/s (0 without)", "number"),
    "ego.hit_front": ("the ego's first collision was on the front of its box", "bool"),
    "ego.off_road_time": ("when the ego first left the road, s (inf if it never did)",
                          "number"),
}
METRIC_FUNCTIONS = {"min_distance": 2, "min_ttc": 2, "action_time": 1}
BATCH_SIZE = 256
"""Variants built and simulated together by default."""


def load_scenario(path: str | Path) -> ScenarioSpec:
    """Read, merge (``extends``) and check one scenario file."""
    try:
        root = load_merged(Path(path))  # a base's own syntax error included
        spec = parse_scenario(root, str(path))
        requirements(spec)  # parse the require: expressions now, so errors surface early
    except ScenarioError as error:
        raise _through_extends(error, Path(path)) from None
    return spec


def _through_extends(error: ScenarioError, path: Path) -> ScenarioError:
    """``error`` with a note naming the file read when it lies in a base that ``path``
    extends (the base's key may be wrong only for what this file lays over it)."""
    if not error.file or error.hint and "extends" in error.hint:
        return error
    try:
        if Path(error.file).resolve() == path.resolve():
            return error
    except (OSError, RuntimeError):
        return error
    note = f"it is read as a base that {path} extends"
    return ScenarioError(error.message, file=error.file, line=error.line,
                         column=error.column, path=error.path, expected=error.expected,
                         found=error.found,
                         hint=f"{error.hint}; {note}" if error.hint else note)


def metric_actors(spec: ScenarioSpec) -> tuple[set[str], dict]:
    """(the actor names the metric functions take, the ``restricted`` argument of
    expr.parse): an actor's id; for a count > 1, also each instance's own name (id_0,
    id_1, ..., as frames and labels name them), while the id means the nearest (or
    first) of them. ``action_time`` takes only actors with actions."""
    def names(actor, name: str) -> set[str]:
        return {name} | {f"{name}_{k}" for k in range(actor.count)} if actor.count > 1 \
            else {name}

    actors = {"ego"}.union(*(names(a, a.name) for a in spec.actors))
    acting = set().union(*(names(a, a.name) for a in spec.actors if a.actions),
                         {"ego"} if spec.ego.actions else set())
    return actors, {"action_time": (acting, "has no actions (its action_time would always "
                                            "be inf)")}


def requirements(spec: ScenarioSpec) -> list[expr.Expr]:
    """The scenario's ``require:`` conditions, parsed and type-checked."""
    actors, restricted = metric_actors(spec)
    out = []
    for text, node in spec.require:
        try:
            out.append(expr.parse(text, names=METRIC_NAMES, functions=METRIC_FUNCTIONS,
                                  actors=actors, file=node.file, line=node.line,
                                  column=node.column + node.quoted, path=node.path,
                                  want="bool", restricted=restricted))
        except ScenarioError:
            # where the text was written over several lines (a folded > or literal |
            # block, a plain or quoted scalar broken over lines) the offset into it is
            # not a column: parse again with offsets mapped back to the source
            locate = scalar_locator(node)
            if locate is not None:
                expr.parse(text, names=METRIC_NAMES, functions=METRIC_FUNCTIONS,
                           actors=actors, file=node.file, line=node.line,
                           column=node.column + node.quoted, path=node.path, want="bool",
                           locate=locate, restricted=restricted)
            raise
    return out


def metric_env(outcome: Outcome) -> dict:
    """Variable values of the expression language for one run."""
    return {
        "collision": outcome.collision,
        "collisions": float(outcome.collisions),
        "min_ttc": outcome.min_ttc_s,
        "min_distance": outcome.min_distance_m,
        "ego.max_decel": outcome.max_ego_decel_mps2,
        "ego.speed_at_impact": (0.0 if math.isnan(outcome.ego_speed_at_impact_mps)
                                else outcome.ego_speed_at_impact_mps),
        "ego.max_speed": outcome.ego_max_speed_mps,
        "collision_time": (math.inf if math.isnan(outcome.collision_time_s)
                           else outcome.collision_time_s),
        "ego.off_road": not math.isnan(outcome.ego_off_road_time_s),
        "ego.closing_speed_at_impact": (0.0 if math.isnan(outcome.ego_closing_speed_at_impact_mps)
                                        else outcome.ego_closing_speed_at_impact_mps),
        "ego.hit_front": outcome.ego_impact_face == "front",
        "ego.off_road_time": (math.inf if math.isnan(outcome.ego_off_road_time_s)
                              else outcome.ego_off_road_time_s),
    }


def metric_call(outcome: Outcome):
    """The function-call hook of the expression language for one run."""

    def call(name: str, args: tuple[str, ...]) -> float:
        if name == "action_time":
            return _of_actor(outcome.action_time_by_actor, args[0])
        a, b = args
        if "ego" not in (a, b):
            raise SimdriveError(f"{name}({a}, {b}): one of the two actors must be the ego")
        other = b if a == "ego" else a
        table = outcome.min_distance_by_actor if name == "min_distance" else \
            outcome.min_ttc_by_actor
        return _of_actor(table, other)

    return call


def _of_actor(table: dict[str, float], other: str) -> float:
    """``table``'s value of an actor; for a count's id, the least of its instances'
    (inf for an actor it does not hold)."""
    if other in table:  # an actor, or one instance of a count
        return table[other]
    # a count's id: the nearest (first) of its instances id_0, id_1, ...
    matches = [v for k, v in table.items()
               if k.startswith(f"{other}_") and k[len(other) + 1:].isdigit()]
    return min(matches) if matches else math.inf


@dataclass(frozen=True)
class RunResult:
    """The outcome of one simulated variant and whether ``require:`` kept it."""

    variant: Variant
    outcome: Outcome
    events: tuple[Event, ...]
    kept: bool


def simulate(spec: ScenarioSpec, *, limit: int | None = None,
             indices: Sequence[int] | None = None, batch_size: int = BATCH_SIZE,
             threads: int | None = None) -> list[RunResult]:
    """Simulate variants (all, the first ``limit``, or ``indices``) for spec.duration."""
    chosen = ([variant_at(spec, k) for k in indices] if indices is not None
              else variants(spec, limit))
    return simulate_variants(spec, chosen, batch_size=batch_size, threads=threads)


def simulate_variants(spec: ScenarioSpec, chosen: Sequence[Variant], *, batch_size: int = 256,
                      threads: int | None = None) -> list[RunResult]:
    """Simulate the given variants of ``spec`` (enumerated, or explicit ones such as a
    search's found variants) for spec.duration, in batches of ``batch_size`` worlds."""
    road = scenario_road(spec) if chosen else None
    conditions = requirements(spec)
    results: list[RunResult] = []
    for start in range(0, len(chosen), batch_size):
        group = chosen[start:start + batch_size]
        worlds = build_worlds(spec, group, road)
        with located_errors(spec):
            sim = Simulation(worlds, threads=threads)
        sim.step(int(round(spec.duration / spec.dt)))
        for w, v in enumerate(group):
            outcome = sim.outcome(w)
            env = metric_env(outcome)
            call = metric_call(outcome)
            kept = all(bool(c.evaluate(env, call)) for c in conditions)
            results.append(RunResult(v, outcome, tuple(sim.events(w)), kept))
    return results
