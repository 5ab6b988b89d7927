"""Diversity of what a search found: distinct variants, clusters, the kept set, influence.

Distances are measured in the search space's quantile units (simdrive.search.space):
0.1 along a continuous parameter is a tenth of its probability mass; a different
category (weather, lighting, ...) counts 1.

- **distinct** critical variants: a greedy thinning of the critical runs (in
  simulation order) keeping a run only if it is at least ``min_spacing`` from
  every run kept before. Counts of the same event found a thousand times nearly in
  the same place count once.
- **clusters**: connected groups of distinct critical variants, two variants being
  linked when closer than the cluster radius (single linkage). The radius given (0.25 by
  default) is the radius in two continuous dimensions and grows as sqrt(d / 2) with d
  continuous dimensions, as the typical spacing of points does: at a fixed radius, in
  six or more dimensions nearly every distinct variant was a cluster of its own.
- **kept** variants (the found file): farthest-point selection among the critical
  runs, starting from the best by score, then always the run farthest from those
  kept, until ``keep`` variants or nothing at least ``min_spacing`` away remains.
  So the kept set covers every cluster before it refines any.
- **influence** of a parameter: total variation distance between its distribution
  over the critical runs (importance-weighted, i.e. under the scenario's own
  distribution) and the scenario's distribution (10 quantile bins, or categories).
  0: the parameter does not matter to the event; near 1: it decides it. It is ranked
  only from ``MIN_RANKED`` distinct critical variants on: from two, every parameter
  scored 0.8-0.9 and noise decided which two the figure plotted.
"""

from __future__ import annotations

import numpy as np

from simdrive.search.space import SearchSpace

DEFAULT_MIN_SPACING = 0.05
DEFAULT_CLUSTER_RADIUS = 0.25
MIN_RANKED = 10  # distinct critical variants needed to rank the parameters' influence
INFLUENCE_BINS = 10


def thin(space: SearchSpace, coords: np.ndarray, min_spacing: float) -> np.ndarray:
    """Indices (into coords) of a greedy min-spacing subset, in input order."""
    kept: list[int] = []
    chosen = np.empty_like(coords)
    for i in range(len(coords)):
        if not kept or space.distances(chosen[:len(kept)], coords[i]).min() >= min_spacing:
            chosen[len(kept)] = coords[i]
            kept.append(i)
    return np.array(kept, dtype=np.int64)


def cluster_radius(space: SearchSpace, radius: float) -> float:
    """The linking distance for ``radius`` given for two continuous dimensions, in the
    space's d continuous dimensions: radius * sqrt(max(d, 2) / 2)."""
    return float(radius * np.sqrt(max(len(space.continuous), 2) / 2))


def clusters(space: SearchSpace, coords: np.ndarray, radius: float) -> np.ndarray:
    """(n,) cluster label of each point (single linkage at ``radius``), labels 0, 1, ...
    numbered in order of first appearance."""
    n = len(coords)
    label = np.full(n, -1, dtype=np.int64)
    next_label = 0
    for start in range(n):
        if label[start] >= 0:
            continue
        label[start] = next_label
        frontier = [start]
        while frontier:
            i = frontier.pop()
            near = np.flatnonzero((label < 0) & (space.distances(coords, coords[i]) < radius))
            label[near] = next_label
            frontier.extend(near.tolist())
        next_label += 1
    return label


def farthest_points(space: SearchSpace, coords: np.ndarray, first: int, count: int,
                    min_spacing: float) -> np.ndarray:
    """Indices of up to ``count`` points chosen by farthest-point selection from ``first``,
    stopping when the farthest remaining point is closer than ``min_spacing``."""
    if len(coords) == 0 or count < 1:
        return np.zeros(0, dtype=np.int64)
    chosen = [first]
    nearest = space.distances(coords, coords[first])
    while len(chosen) < count:
        i = int(np.argmax(nearest))
        if nearest[i] < min_spacing:
            break
        chosen.append(i)
        nearest = np.minimum(nearest, space.distances(coords, coords[i]))
    return np.array(chosen, dtype=np.int64)


def influence(space: SearchSpace, coords: np.ndarray, weights: np.ndarray) -> dict[str, float]:
    """Parameter path -> influence on the event (see module docstring), largest first.

    ``coords``/``weights``: the critical runs' coordinates and importance weights."""
    out = {}
    if len(coords) == 0 or weights.sum() <= 0:
        return {name: 0.0 for name in space.names}
    w = weights / weights.sum()
    c = len(space.continuous)
    for j, name in enumerate(space.names):
        if j < c:
            bins = np.minimum((coords[:, j] * INFLUENCE_BINS).astype(np.int64),
                              INFLUENCE_BINS - 1)
            observed = np.bincount(bins, weights=w, minlength=INFLUENCE_BINS)
            expected = np.full(INFLUENCE_BINS, 1.0 / INFLUENCE_BINS)
        else:
            expected = space.discrete[j - c][2]
            observed = np.bincount(coords[:, j].astype(np.int64), weights=w,
                                   minlength=len(expected))
        out[name] = round(float(0.5 * np.abs(observed - expected).sum()), 4)
    return dict(sorted(out.items(), key=lambda item: -item[1]))


__all__ = ["DEFAULT_CLUSTER_RADIUS", "DEFAULT_MIN_SPACING", "MIN_RANKED", "cluster_radius",
           "clusters", "farthest_points", "influence", "thin"]
