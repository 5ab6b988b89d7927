"""What a search looks for: an objective expression, the critical event and a guiding score.

The objective is written in the ``require:`` expression language over run metrics
(docs/scenarios.md).

- A **numeric** objective (``min_ttc``, ``min_distance(ego, child)``) is minimised;
  a run is critical when it is below ``threshold`` (default 1.0: a time-to-collision
  under 1 s, or a distance under 1 m). The score guiding the search is the objective.
- A **true/false** objective (``collision and ego.speed_at_impact > 8``) says which
  runs are critical. True/false gives the search no sense of "almost", so it is
  guided by a numeric ``score`` (minimised), by default ``DEFAULT_SCORE``: the ego's
  closest approach to any actor, and once it collides minus its speed at impact,
  i.e. "closer, then harder". Critical runs always rank before non-critical ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simdrive.errors import ScenarioError
from simdrive.scenario import expr
from simdrive.scenario.runner import (
    METRIC_FUNCTIONS,
    METRIC_NAMES,
    metric_actors,
    metric_call,
    metric_env,
)
from simdrive.scenario.spec import ScenarioSpec
from simdrive.sim import Outcome

DEFAULT_SCORE = "min_distance - ego.speed_at_impact"
DEFAULT_THRESHOLD = 1.0


@dataclass(frozen=True)
class Objective:
    """A parsed objective: ``text`` (numeric or true/false), ``score_text`` (numeric,
    minimised) and, for a numeric objective, the critical ``threshold``."""

    text: str
    score_text: str
    threshold: float | None
    boolean: bool
    _objective: expr.Expr
    _score: expr.Expr

    def evaluate(self, outcome: Outcome) -> tuple[float, float, bool]:
        """(objective value, score, critical) of one run; a true/false objective gives
        1.0 or 0.0. Infinite values (no conflict at all) stay infinite."""
        env, call = metric_env(outcome), metric_call(outcome)
        value = self._objective.evaluate(env, call)
        if self.boolean:
            critical = bool(value)
            score = float(self._score.evaluate(env, call))
            return float(critical), _ordered(score), critical
        value = _ordered(float(value))
        return value, value, value < self.threshold

    def describe_critical(self) -> str:
        """The critical event in words, e.g. ``min_ttc < 1``."""
        return self.text if self.boolean else f"{self.text} < {self.threshold:g}"


def _ordered(x: float) -> float:
    # nan (e.g. 0/0) would break the ranking: treat it as the least interesting value
    return math.inf if math.isnan(x) else x


def parse_objective(spec: ScenarioSpec, text: str, *, score: str | None = None,
                    threshold: float | None = None) -> Objective:
    """Parse ``text`` (and ``score``) against the scenario's actors, or raise a
    ScenarioError pointing into the expression."""
    actors, restricted = metric_actors(spec)
    common = dict(names=METRIC_NAMES, functions=METRIC_FUNCTIONS, actors=actors,
                  restricted=restricted)
    objective = expr.parse(text, path="--objective", **common)
    boolean = objective.type == expr.BOOL
    if boolean and threshold is not None:
        raise ScenarioError("a threshold applies to a numeric objective only, and this "
                            "--objective is true/false", path="--threshold", found=text,
                            hint="drop --threshold, or give a number to minimise")
    if not boolean and score is not None:
        raise ScenarioError("a score guides a true/false objective only; a numeric objective "
                            "is its own score", path="--score", found=score,
                            hint="drop --score, or make the objective a condition")
    if threshold is not None and not math.isfinite(threshold):
        raise ScenarioError("not a finite number", path="--threshold",
                            expected="a number such as 1.0", found=threshold)
    score_text = (score or DEFAULT_SCORE) if boolean else text
    score_expr = expr.parse(score_text, path="--score", want=expr.NUMBER, **common) \
        if boolean else objective
    return Objective(text, score_text, None if boolean else (
        DEFAULT_THRESHOLD if threshold is None else float(threshold)), boolean, objective,
        score_expr)


def evaluate_all(objective: Objective, outcomes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(objective, score, critical) arrays of shape (n,) for a list of outcomes."""
    rows = [objective.evaluate(o) for o in outcomes]
    if not rows:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    value, score, critical = zip(*rows, strict=True)
    return np.array(value, dtype=float), np.array(score, dtype=float), np.array(critical)


NO_VALUE_WITHOUT_COLLISION = ("ego.speed_at_impact", "ego.closing_speed_at_impact")
"""Metrics that expressions read as 0 without a collision, but that a run without one does
not have: the found file writes them as null then, as it writes inf."""


def metrics(outcome: Outcome) -> dict:
    """The run's metrics as plain data for the found file (inf, and an impact's speeds in
    a run without a collision, written as null)."""
    env = metric_env(outcome)
    out = {}
    for name, value in env.items():
        if isinstance(value, bool | np.bool_):
            out[name] = bool(value)
        elif name in NO_VALUE_WITHOUT_COLLISION and not outcome.collision:
            out[name] = None
        else:
            out[name] = float(value) if math.isfinite(value) else None
    out["collision_with"] = outcome.collision_with or None
    if outcome.action_time_by_actor:  # action_time(actor), null for none taken
        out["action_time"] = {name: round(t, 6) if math.isfinite(t) else None
                              for name, t in sorted(outcome.action_time_by_actor.items())}
    return out


__all__ = ["DEFAULT_SCORE", "DEFAULT_THRESHOLD", "Objective", "evaluate_all", "metrics",
           "parse_objective"]
