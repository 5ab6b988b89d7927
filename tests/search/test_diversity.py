"""Distinct variants, clusters, the kept set and influence, on hand-made points."""

from __future__ import annotations

import numpy as np

from simdrive.scenario.distributions import Uniform
from simdrive.search import diversity
from simdrive.search.space import SearchSpace

SPACE = SearchSpace(order=("a", "b", "w"),
                    continuous=(("a", Uniform(0, 1)), ("b", Uniform(0, 1))),
                    discrete=(("w", ("dry", "ice"), np.array([0.5, 0.5])),), constants={})


def blob(center, n, spread, category, rng):
    xy = np.clip(center + spread * rng.standard_normal((n, 2)), 0, 0.999)
    return np.column_stack([xy, np.full(n, category)])


def test_a_category_change_counts_one_and_distances_are_euclidean_in_quantiles():
    d = SPACE.distances(np.array([[0.1, 0.1, 0.0], [0.4, 0.5, 0.0], [0.1, 0.1, 1.0]]),
                        np.array([0.1, 0.1, 0.0]))
    assert np.allclose(d, [0.0, 0.5, 1.0])


def test_thinning_keeps_points_at_least_min_spacing_apart():
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.random((500, 2)), np.zeros(500)])
    kept = diversity.thin(SPACE, points, 0.1)
    chosen = points[kept]
    for i in range(len(chosen)):
        others = np.delete(chosen, i, axis=0)
        assert SPACE.distances(others, chosen[i]).min() >= 0.1
    # maximal: every point is within 0.1 of a kept one
    assert all(SPACE.distances(chosen, p).min() < 0.1 for p in points)


def test_clusters_separate_blobs_and_categories():
    rng = np.random.default_rng(1)
    points = np.concatenate([blob([0.2, 0.2], 40, 0.02, 0, rng),
                             blob([0.8, 0.7], 40, 0.02, 0, rng),
                             blob([0.2, 0.2], 40, 0.02, 1, rng)])
    labels = diversity.clusters(SPACE, points, 0.25)
    assert labels.max() == 2
    assert [len(set(labels[k * 40:(k + 1) * 40])) for k in range(3)] == [1, 1, 1]


def test_farthest_points_cover_every_cluster_before_refining_one():
    rng = np.random.default_rng(2)
    points = np.concatenate([blob([0.2, 0.2], 300, 0.03, 0, rng),
                             blob([0.8, 0.8], 5, 0.01, 0, rng),
                             blob([0.5, 0.5], 5, 0.01, 1, rng)])
    chosen = diversity.farthest_points(SPACE, points, 0, 3, 0.05)
    assert sorted(int(c) // 300 if c < 300 else (1 if c < 305 else 2) for c in chosen) == [
        0, 1, 2]
    assert len(diversity.farthest_points(SPACE, points[:1], 0, 10, 0.05)) == 1


def test_influence_is_zero_for_an_irrelevant_parameter_and_large_for_a_decisive_one():
    rng = np.random.default_rng(3)
    n = 4000
    points = np.column_stack([rng.random(n), rng.random(n), rng.integers(0, 2, n)])
    critical = (points[:, 0] < 0.1) & (points[:, 2] == 1)
    score = diversity.influence(SPACE, points[critical], np.ones(critical.sum()))
    assert list(score)[:2] == ["a", "w"] or list(score)[:2] == ["w", "a"]
    assert score["a"] > 0.85 and score["w"] > 0.45 and score["b"] < 0.15


def test_the_cluster_radius_grows_with_the_continuous_dimensions_as_the_spacing_does():
    # a critical region of sparse points (100 uniform in a box): at the fixed radius 0.25,
    # in ten dimensions nearly every point was a cluster of its own; scaled as sqrt(d / 2)
    # the box is one cluster, and a second box beside it another
    rng = np.random.default_rng(0)
    for d in (6, 10):
        space = SearchSpace(order=tuple(f"p{k}" for k in range(d)),
                            continuous=tuple((f"p{k}", Uniform(0, 1)) for k in range(d)),
                            discrete=(), constants={})
        radius = diversity.cluster_radius(space, 0.25)
        assert radius == 0.25 * np.sqrt(d / 2)
        boxes = [rng.uniform(low, low + 0.45, (100, d)) for low in (0.0, 0.55)]
        one = boxes[0][diversity.thin(space, boxes[0], 0.05)]
        assert diversity.clusters(space, one, radius).max() == 0, d
        two = np.vstack(boxes)
        assert diversity.clusters(space, two, radius).max() == 1, d
        assert diversity.clusters(space, one, 0.25).max() >= 2, d
    assert diversity.cluster_radius(SPACE, 0.25) == 0.25  # two dimensions: as given
