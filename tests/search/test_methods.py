"""Search methods and the probability estimate on synthetic events with a known probability
(no simulation: the evaluation is a formula)."""

from __future__ import annotations

import numpy as np
import pytest

from simdrive.scenario.distributions import Normal, Uniform
from simdrive.search import methods
from simdrive.search.estimate import estimate_probability
from simdrive.search.space import SearchSpace

SPACE = SearchSpace(
    order=("a", "b", "c"),
    continuous=(("a", Uniform(0.0, 10.0)), ("b", Normal(0.0, 1.0, -3.0, 3.0))),
    discrete=(("c", ("x", "y"), np.array([0.75, 0.25])),),
    constants={},
)
EXACT = 0.03 * 0.25  # a > 9.7 and c == "y"


def evaluate(samples, first):
    values = SPACE.values(samples)
    a = np.array([v["a"] for v in values])
    y = np.array([v["c"] == "y" for v in values])
    critical = (a > 9.7) & y
    score = (10.0 - a) + 5.0 * ~y
    return critical.astype(float), score, critical


@pytest.mark.parametrize("method", methods.METHODS)
def test_every_method_estimates_a_known_probability(method):
    trace = methods.run(SPACE, evaluate, method=method, budget=4000, seed=3)
    probability, _ = estimate_probability(SPACE, trace)
    assert probability.estimate == pytest.approx(EXACT, abs=4 * probability.standard_error)


def test_cem_estimate_is_unbiased_over_seeds_and_far_tighter_than_random():
    estimates, errors = [], []
    for seed in range(12):
        trace = methods.run(SPACE, evaluate, method="cem", budget=2000, seed=seed)
        probability, weights = estimate_probability(SPACE, trace)
        estimates.append(probability.estimate)
        errors.append(probability.standard_error)
        assert weights.max() <= len(weights) / trace.batch_sizes[0] + 1e-9
    assert np.mean(estimates) == pytest.approx(EXACT, rel=0.05)
    random_error = np.sqrt(EXACT * (1 - EXACT) / 2000)
    assert np.mean(errors) < random_error / 3
    assert np.std(estimates) < random_error / 3


def test_cem_concentrates_on_the_critical_region_and_is_deterministic():
    first = methods.run(SPACE, evaluate, method="cem", budget=1000, seed=4)
    again = methods.run(SPACE, evaluate, method="cem", budget=1000, seed=4)
    assert np.array_equal(first.samples.u, again.samples.u)
    assert np.array_equal(first.samples.k, again.samples.k)
    last = first.batch == first.batch.max()
    assert first.critical[last].mean() > 0.5  # versus 0.75 % for blind draws
    assert first.proposals[-1].probs[0][1] > 0.9


def test_batches_split_the_budget():
    assert methods.batch_sizes(10_000) == [1000] * 10
    assert methods.batch_sizes(250) == [100, 100, 50]
    assert methods.batch_sizes(7) == [7]
    assert sum(methods.batch_sizes(1234)) == 1234


def test_halton_points_map_to_every_category_in_proportion():
    trace = methods.run(SPACE, evaluate, method="halton", budget=1000, seed=0)
    assert abs(trace.samples.k[:, 0].mean() - 0.25) < 0.01
    assert abs(SPACE.quantiles(trace.samples)[:, 0].mean() - 0.5) < 0.01


CORNER = SearchSpace(order=("p", "q"), continuous=(("p", Uniform(0.0, 1.0)),
                                                   ("q", Uniform(0.0, 1.0))),
                     discrete=(), constants={})


def corner_evaluate(samples, first):
    """Critical in one corner (p, q < 0.1: 1 %); the score guides nowhere (it is highest
    near the middle: near misses everywhere but in the corner)."""
    p, q = samples.u[:, 0], samples.u[:, 1]
    critical = (p < 0.1) & (q < 0.1)
    return critical.astype(float), np.abs(p - 0.5) + np.abs(q - 0.5), critical


def test_cem_keeps_rare_critical_runs_of_every_batch_so_it_beats_random():
    # a rare event and a score that leads away from it: from two critical runs on, the
    # elites are the critical runs of every batch so far (the best near misses of the
    # latest batch pulled the proposal to the middle: fewer critical runs than blind draws)
    for seed in range(3):
        cem = methods.run(CORNER, corner_evaluate, method="cem", budget=3000, seed=seed)
        blind = methods.run(CORNER, corner_evaluate, method="random", budget=3000, seed=seed)
        assert cem.critical.sum() > 20 * blind.critical.sum()
        probability, _ = estimate_probability(CORNER, cem)
        assert probability.estimate == pytest.approx(0.01, abs=4 * probability.standard_error)
