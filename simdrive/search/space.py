"""The search space of a scenario: its distributions as coordinates a search can move in.

Every non-constant parameter of the scenario is one dimension:

- a **continuous** one (uniform, normal) is searched in its *quantile* coordinate
  ``u`` in [0, 1): the value is ``dist.ppf(u)``. Under the scenario's distribution
  ``u`` is uniform, so the prior density of the continuous part is 1 and a proposal
  needs only a density on [0, 1] (bounded support: no proposal tail can be much
  lighter than the scenario's, which keeps importance weights tame);
- a **discrete** one (choice, range, grid axes included) is a category index with
  the scenario's own probabilities (choice weights; a range is uniform).

Distances between variants (for spacing and clusters) are measured in quantile
units: ``u`` for continuous dimensions (0.1 = a tenth of the parameter's probability
mass) and 1 for a different category.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simdrive.scenario.distributions import Choice, Constant, Distribution, Range
from simdrive.scenario.spec import ScenarioSpec

_BELOW_ONE = 1.0 - 2.0**-53
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF of ``z`` (any shape), float64."""
    z = np.asarray(z, dtype=float)
    return np.minimum(0.5 * _erfc(-z / math.sqrt(2.0)).astype(float), _BELOW_ONE)


def normal_log_pdf(z: np.ndarray, mean=0.0, std=1.0) -> np.ndarray:
    """Log density of N(mean, std^2) at ``z`` (elementwise)."""
    t = (np.asarray(z, dtype=float) - mean) / std
    return -0.5 * t * t - np.log(std) - _LOG_SQRT_2PI


@dataclass(frozen=True)
class Samples:
    """A batch of points of a SearchSpace.

    ``u``: (n, C) float64 quantiles in [0, 1) of the continuous dimensions;
    ``k``: (n, D) int64 category indices of the discrete dimensions.
    """

    u: np.ndarray
    k: np.ndarray

    def __len__(self) -> int:
        return len(self.u)


@dataclass(frozen=True)
class SearchSpace:
    """The free parameters of a scenario, split into continuous and discrete dimensions.

    ``continuous``: (path, Distribution) pairs; ``discrete``: (path, options, prior
    probabilities) triples; ``constants``: path -> value of parameters that do not vary.
    """

    order: tuple[str, ...]  # every parameter path, in the scenario's order
    continuous: tuple[tuple[str, Distribution], ...]
    discrete: tuple[tuple[str, tuple, np.ndarray], ...]
    constants: dict

    @property
    def names(self) -> tuple[str, ...]:
        """Dimension names: continuous ones first, then discrete ones."""
        return tuple(p for p, _ in self.continuous) + tuple(p for p, _, _ in self.discrete)

    @property
    def dims(self) -> int:
        return len(self.continuous) + len(self.discrete)

    def quantiles(self, samples: Samples) -> np.ndarray:
        """(n, C) quantile coordinates u in [0, 1) of the continuous dimensions."""
        return samples.u

    def prior_log_density(self, samples: Samples) -> np.ndarray:
        """(n,) log density of the scenario's own distribution, in (u, k) coordinates."""
        out = np.zeros(len(samples))
        for j, (_, _, probs) in enumerate(self.discrete):
            with np.errstate(divide="ignore"):
                out = out + np.log(probs[samples.k[:, j]])
        return out

    def draw_prior(self, rng: np.random.Generator, n: int) -> Samples:
        """``n`` points from the scenario's own distribution."""
        u = np.minimum(rng.random((n, len(self.continuous))), _BELOW_ONE)
        k = self.categories(rng.random((n, len(self.discrete))))
        return Samples(u, k)

    def from_unit(self, u: np.ndarray) -> Samples:
        """Points from uniform numbers u (n, dims) in [0, 1): quantiles, then categories."""
        c = len(self.continuous)
        return Samples(np.minimum(u[:, :c], _BELOW_ONE), self.categories(u[:, c:]))

    def categories(self, u: np.ndarray) -> np.ndarray:
        """Category indices from uniform numbers (n, D), by each dimension's prior."""
        k = np.zeros(u.shape, dtype=np.int64)
        for j, (_, _, probs) in enumerate(self.discrete):
            cumulative = np.cumsum(probs)
            cumulative[-1] = 1.0
            k[:, j] = np.minimum(np.searchsorted(cumulative, u[:, j], side="right"),
                                 len(probs) - 1)
        return k

    def values(self, samples: Samples) -> list[dict]:
        """Variant values (parameter path -> plain Python value), in scenario order."""
        n = len(samples)
        u = self.quantiles(samples)
        columns: dict[str, list] = {}
        for j, (path, dist) in enumerate(self.continuous):
            columns[path] = [float(x) for x in dist.ppf(u[:, j])]
        for j, (path, options, _) in enumerate(self.discrete):
            columns[path] = [options[i] for i in samples.k[:, j]]
        for path, value in self.constants.items():
            columns[path] = [value] * n
        return [{path: _plain(columns[path][i]) for path in self.order} for i in range(n)]

    def coordinates(self, samples: Samples) -> np.ndarray:
        """(n, dims) coordinates for distances: quantiles u, then category indices."""
        return np.concatenate([self.quantiles(samples), samples.k.astype(float)], axis=1)

    def distances(self, coords: np.ndarray, point: np.ndarray) -> np.ndarray:
        """Distance from each row of ``coords`` to ``point`` (quantile units; a different
        category counts 1)."""
        c = len(self.continuous)
        squared = ((coords[:, :c] - point[:c]) ** 2).sum(axis=1)
        squared += (coords[:, c:] != point[c:]).sum(axis=1)
        return np.sqrt(squared)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


def search_space(spec: ScenarioSpec) -> SearchSpace:
    """The search space of a scenario: every distribution in ``spec.params`` but those of
    ``spec.per_instance`` (the placements of an actor with ``count`` > 1, drawn per
    instance from each run's own random stream, are not the search's to choose).

    Grid axes are searched like any other discrete parameter, with their own
    distribution's probabilities (a grid enumerates them; a search samples them).
    """
    continuous, discrete, constants = [], [], {}
    per_instance = spec.per_instance
    for path, dist in spec.params.items():
        if isinstance(dist, Constant):
            constants[path] = dist.value
        elif path in per_instance:  # places nothing: a fixed, valid value to record
            constants[path] = _plain(dist.values()[0] if dist.discrete
                                     else float(dist.ppf(np.array([0.5]))[0]))
        elif isinstance(dist, Choice):
            discrete.append((path, dist.values(), np.array(dist.probabilities())))
        elif isinstance(dist, Range) or dist.discrete:
            options = dist.values()
            discrete.append((path, options, np.full(len(options), 1.0 / len(options))))
        else:
            continuous.append((path, dist))
    return SearchSpace(tuple(spec.params), tuple(continuous), tuple(discrete), constants)


__all__ = ["Samples", "SearchSpace", "normal_cdf", "normal_log_pdf", "search_space"]
