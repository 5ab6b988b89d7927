"""``search``: simulate a scenario's variants chosen by a search method and report the
critical ones, spread over the failure region, with the event's probability.

Run ``i`` of a search (0-based, in simulation order) is the variant
``Variant(spec.name, spec.file, spec.content_hash, seed, i, values)``: its
parameters are the searched values, and everything else drawn while building it
(extra instances of ``count`` actors, re-drawn placements) comes from the
(hash, seed, i) generator as for any variant, so it replays exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simdrive.errors import SimdriveError
from simdrive.scenario.build import Variant
from simdrive.scenario.runner import simulate_variants
from simdrive.scenario.spec import ScenarioSpec
from simdrive.search import diversity, methods
from simdrive.search.estimate import Probability, estimate_probability
from simdrive.search.methods import Progress, Trace
from simdrive.search.objective import Objective, evaluate_all, metrics
from simdrive.search.space import Samples, SearchSpace, search_space

MAX_BUDGET = 1_000_000


@dataclass(frozen=True)
class FoundVariant:
    """A kept critical run: its variant, objective value, score, metrics and cluster."""

    variant: Variant
    objective: float
    score: float
    metrics: dict
    cluster: int


@dataclass(frozen=True)
class SearchResult:
    """What a search found. ``distinct``: indices of the distinct critical runs;
    ``cluster_of_distinct``: their cluster labels; ``cluster_radius``: the linking distance
    used (diversity.cluster_radius of the requested one); ``influence``: parameter ->
    influence, empty when fewer than diversity.MIN_RANKED distinct critical runs were found
    (too few to tell the parameters apart)."""

    spec: ScenarioSpec
    space: SearchSpace
    objective: Objective
    method: str
    budget: int
    seed: int
    min_spacing: float
    cluster_radius: float
    trace: Trace
    probability: Probability
    weights: np.ndarray
    distinct: np.ndarray
    cluster_of_distinct: np.ndarray
    found: tuple[FoundVariant, ...]
    influence: dict
    seconds: float

    @property
    def critical_count(self) -> int:
        return int(self.trace.critical.sum())

    @property
    def cluster_count(self) -> int:
        return int(self.cluster_of_distinct.max() + 1) if len(self.cluster_of_distinct) else 0

    def best(self) -> float:
        """Best objective value (numeric) or best score (true/false objective)."""
        values = self.trace.score if self.objective.boolean else self.trace.objective
        order = np.lexsort((values, ~self.trace.critical))
        return float(values[order[0]]) if len(order) else float("nan")


def check_settings(*, method: str, budget: int, keep: int, min_spacing: float,
                   cluster_radius: float) -> None:
    """Raise a SimdriveError naming the first bad search setting."""
    if method not in methods.METHODS:
        raise SimdriveError(f"unknown search method {method!r}",
                            expected="one of " + ", ".join(methods.METHODS))
    if isinstance(budget, bool) or not isinstance(budget, int) or not 1 <= budget <= MAX_BUDGET:
        raise SimdriveError("--budget is the number of simulations to run",
                            expected=f"an integer from 1 to {MAX_BUDGET:,}", found=budget)
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise SimdriveError("--keep is how many variants to write", expected="an integer >= 1",
                            found=keep)
    if not min_spacing >= 0:
        raise SimdriveError("--min-spacing is a distance in quantile units",
                            expected="a number >= 0", found=min_spacing)
    if not cluster_radius > 0:
        raise SimdriveError("the cluster radius must be positive", expected="a number > 0",
                            found=cluster_radius)


def search(spec: ScenarioSpec, objective: Objective, *, budget: int, method: str = "cem",
           seed: int | None = None, keep: int = 50,
           min_spacing: float = diversity.DEFAULT_MIN_SPACING,
           cluster_radius: float = diversity.DEFAULT_CLUSTER_RADIUS,
           threads: int | None = None, progress: Progress | None = None) -> SearchResult:
    """Search ``spec`` for critical variants with ``budget`` simulations (see module and
    simdrive.search.methods). ``seed`` defaults to the scenario's ``variants.seed``."""
    check_settings(method=method, budget=budget, keep=keep, min_spacing=min_spacing,
                   cluster_radius=cluster_radius)
    seed = spec.seed if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SimdriveError("--seed must be an integer >= 0", found=seed)
    space = search_space(spec)
    outcomes = []

    def evaluate(samples, first):
        chosen = [Variant(spec.name, spec.file, spec.content_hash, seed, first + i, values)
                  for i, values in enumerate(space.values(samples))]
        results = simulate_variants(spec, chosen, threads=threads)
        outcomes.extend(r.outcome for r in results)
        return evaluate_all(objective, [r.outcome for r in results])

    trace = methods.run(space, evaluate, method=method, budget=budget, seed=seed,
                        progress=progress)
    probability, weights = estimate_probability(space, trace)
    coords = space.coordinates(trace.samples)
    critical = np.flatnonzero(trace.critical)
    distinct = critical[diversity.thin(space, coords[critical], min_spacing)]
    radius = diversity.cluster_radius(space, cluster_radius)
    labels = diversity.clusters(space, coords[distinct], radius)
    found = []
    if len(critical):
        best = int(np.argmin(trace.score[critical]))
        chosen = critical[diversity.farthest_points(space, coords[critical], best, keep,
                                                    max(min_spacing, 1e-12))]
        all_values = space.values(_subset(trace, chosen))
        for i, values in zip(chosen, all_values, strict=True):
            nearest = int(np.argmin(space.distances(coords[distinct], coords[i])))
            found.append(FoundVariant(
                Variant(spec.name, spec.file, spec.content_hash, seed, int(i), values),
                float(trace.objective[i]), float(trace.score[i]), metrics(outcomes[i]),
                int(labels[nearest])))
    ranked = diversity.influence(space, coords[critical], weights[critical]) \
        if len(distinct) >= diversity.MIN_RANKED else {}
    return SearchResult(spec, space, objective, method, budget, seed, min_spacing,
                        radius, trace, probability, weights, distinct, labels,
                        tuple(found), ranked, float(trace.seconds.sum()))


def _subset(trace: Trace, rows: np.ndarray) -> Samples:
    return Samples(trace.samples.u[rows], trace.samples.k[rows])


__all__ = ["FoundVariant", "MAX_BUDGET", "SearchResult", "check_settings", "search"]
