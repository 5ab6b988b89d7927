"""simdrive search on a scenario whose critical region is known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from simdrive.scenario.build import Variant
from simdrive.scenario.runner import load_scenario, simulate_variants
from simdrive.search.found import found_document
from simdrive.search.objective import parse_objective
from simdrive.search.run import search
from simdrive.search.space import search_space
from tests.search.analytic import (
    SCENARIO,
    collision_margin_m,
    collision_probability,
    stopping_distance_m,
)

TOLERANCE_M = 0.15  # the simulation's stopping distance at dt 0.01 s vs the closed form


@pytest.fixture(scope="module")
def spec():
    return load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def cem(spec):
    return search(spec, parse_objective(spec, "collision"), budget=2000, method="cem", seed=1)


def test_the_simulator_agrees_with_the_closed_form_collision_boundary(spec):
    chosen, expected = [], []
    for weather in ("clear", "rain"):
        for speed in np.linspace(10.0, 20.0, 6):
            for offset in (-1.0, -TOLERANCE_M, TOLERANCE_M, 1.0):
                distance = float(stopping_distance_m(speed, weather)) + 2.74 + offset
                if 30.0 <= distance <= 130.0:
                    values = {"environment.weather": weather, "environment.lighting": "noon",
                              "ego.speed": float(speed), "actors[0].placement.distance": distance}
                    chosen.append(Variant(spec.name, spec.file, spec.content_hash, 0,
                                          len(chosen), values))
                    expected.append(collision_margin_m(values) < 0)
    assert len(chosen) >= 12 and any(expected) and not all(expected)
    results = simulate_variants(spec, chosen, threads=1)
    assert [r.outcome.collision for r in results] == expected


def test_cem_finds_critical_variants_only_inside_the_critical_region(cem):
    values = cem.space.values(cem.trace.samples)
    margins = np.array([collision_margin_m(v) for v in values])
    assert cem.critical_count > 500  # half the runs, for an event of probability 0.8 %
    assert np.all(margins[cem.trace.critical] < TOLERANCE_M)
    assert np.all(margins[~cem.trace.critical] > -TOLERANCE_M)
    assert cem.found and all(collision_margin_m(f.variant.values) < TOLERANCE_M
                             for f in cem.found)
    assert all(f.metrics["collision"] for f in cem.found)


def test_cem_probability_estimate_is_within_20_percent_of_the_closed_form(cem):
    exact = collision_probability()
    assert 0.005 < exact < 0.012  # a rare event: about 16 hits in 2,000 blind draws
    assert cem.probability.estimate == pytest.approx(exact, rel=0.2)
    assert cem.probability.standard_error < 0.1 * exact


def test_cem_finds_far_more_critical_variants_than_random_sampling(spec, cem):
    blind = search(spec, parse_objective(spec, "collision"), budget=2000, method="random",
                   seed=1)
    assert cem.critical_count > 10 * blind.critical_count
    assert blind.probability.estimate == pytest.approx(collision_probability(), abs=4 * (
        blind.probability.standard_error))


def test_influence_ranks_the_parameters_that_decide_the_event(cem):
    top = list(cem.influence)[:3]
    assert set(top) == {"actors[0].placement.distance", "environment.weather", "ego.speed"}
    assert cem.influence["environment.lighting"] < 0.1  # the ego ignores what it sees


def test_kept_variants_are_spread_and_cover_every_cluster(cem):
    space = search_space(cem.spec)
    found = [f.variant.index for f in cem.found]
    coords = space.coordinates(cem.trace.samples)[found]
    for i in range(len(found)):
        others = np.delete(coords, i, axis=0)
        assert space.distances(others, coords[i]).min() >= cem.min_spacing
    assert {f.cluster for f in cem.found} == set(range(cem.cluster_count))
    # the critical region is one patch per (weather, lighting) cell (mostly rain: on a dry
    # road only the fastest ego meets the nearest debris); a category change splits clusters
    cells = {}
    for f in cem.found:
        v = f.variant.values
        cells.setdefault(f.cluster, set()).add((v["environment.weather"],
                                                v["environment.lighting"]))
    assert all(len(c) == 1 for c in cells.values())
    assert {("rain", "noon"), ("rain", "night")} <= set().union(*cells.values())
    assert 2 <= cem.cluster_count <= 4


@pytest.mark.parametrize("method", ["cem", "random", "halton"])
def test_search_is_reproducible_from_the_seed_whatever_the_threads(spec, method, tmp_path):
    objective = parse_objective(spec, "min_distance", threshold=1.0)
    runs = [search(spec, objective, budget=300, method=method, seed=5, threads=threads)
            for threads in (1, 2, 1)]
    documents = [found_document(r, tmp_path / "found.yaml") for r in runs]
    for d in documents:
        d.pop("seconds")
    assert documents[0] == documents[1] == documents[2]
    other = search(spec, objective, budget=300, method=method, seed=6, threads=1)
    assert other.trace.objective.tolist() != runs[0].trace.objective.tolist()
