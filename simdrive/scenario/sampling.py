"""Enumerating concrete parameter sets (variants) from a scenario's distributions.

Enumeration order: the grid cells in row-major order of the ``grid`` list (the
last grid axis varies fastest, as ``itertools.product``), and within each cell
the sample indices 0 .. samples-1. So variant ``index`` is sample
``index % samples`` of cell ``index // samples``.

The non-grid, non-constant parameters (the *free* ones, in ``params`` order, one
dimension each) are drawn as uniform numbers in [0, 1) and mapped through each
distribution's ``ppf``. The uniform numbers of a cell come from one generator
seeded by ``SeedSequence([seed, cell])``, never from global state:

- ``random``: row s of ``rng.random((samples, dims))``; rows are filled in
  order, so row s does not depend on how many rows are drawn.
- ``lhs``: Latin hypercube over the cell's samples: in every dimension each of
  the ``samples`` strata [k/samples, (k+1)/samples) holds exactly one draw.
- ``halton``: scrambled Halton point s + 1 (primes 2, 3, 5, ... one per dimension,
  each dimension's digits through a random permutation; point 0 is skipped), rotated
  by a per-(seed, cell) uniform shift modulo 1 (Cranley-Patterson), so seeds and
  cells differ.

Hence ``variant_at(k)`` equals ``enumerate_variants()[k]`` and costs one cell.

A limited selection (``spread_indices``) takes the first sample of one cell after
another in an order that keeps every grid axis's values as evenly covered as it can
(``cell_order``), then the second sample of each, and so on: eight variants of a
4-weather x 3-lighting grid show every weather twice and every lighting two or three
times, where the first eight in enumeration order are all of one weather.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from simdrive.scenario.distributions import Constant, Distribution

MAX_VARIANTS = 1_000_000
METHODS = ("random", "lhs", "halton")
_BELOW_ONE = 1.0 - 2.0**-53
_CHUNK_ROWS = 65_536  # rows of uniforms mapped through ppf at once by enumerate_variants


@dataclass(frozen=True)
class _Plan:
    """A validated sampling request."""

    params: Mapping[str, Distribution]
    axes: tuple[tuple[str, tuple], ...]  # (grid path, its values), in grid order
    free: tuple[str, ...]  # sampled paths, in params order
    samples: int
    method: str
    seed: int

    @property
    def cells(self) -> int:
        return math.prod(len(values) for _, values in self.axes)

    @property
    def count(self) -> int:
        return self.cells * self.samples


def _plan(params: Mapping[str, Distribution], grid: Sequence[str], samples: int,
          method: str, seed: int) -> _Plan:
    for path, dist in params.items():
        if not isinstance(dist, Distribution):
            raise ValueError(f"parameter {path!r}: expected a distribution, found {dist!r}")
    if isinstance(grid, str):
        raise ValueError(f"grid: expected a list of parameter paths, found {grid!r}")
    axes = []
    for path in grid:
        if path not in params:
            known = ", ".join(params) or "(none)"
            raise ValueError(f"grid axis {path!r} is not a parameter; expected one of {known}")
        if not params[path].discrete:
            raise ValueError(f"grid axis {path!r} is a continuous {params[path].kind} "
                             "distribution; expected a discrete one (choice or range)")
        if any(path == other for other, _ in axes):
            raise ValueError(f"grid axis {path!r} is listed more than once")
        axes.append((path, params[path].values()))
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples: expected an integer >= 1, found {samples!r}")
    if method not in METHODS:
        raise ValueError(f"method: expected one of {', '.join(METHODS)}, found {method!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: expected an integer >= 0, found {seed!r}")
    free = tuple(p for p, d in params.items() if p not in grid and not isinstance(d, Constant))
    plan = _Plan(params, tuple(axes), free, samples, method, seed)
    if plan.count > MAX_VARIANTS:
        sizes = " x ".join(str(len(values)) for _, values in axes) or "1"
        raise ValueError(f"{plan.count:,} variants asked for ({sizes} grid cells x {samples} "
                         f"samples); expected at most {MAX_VARIANTS:,}")
    return plan


def first_primes(n: int) -> tuple[int, ...]:
    """The first ``n`` primes (2, 3, 5, ...)."""
    primes: list[int] = []
    candidate = 2
    while len(primes) < n:
        if all(candidate % p for p in primes if p * p <= candidate):
            primes.append(candidate)
        candidate += 1
    return tuple(primes)


def radical_inverse(indices: np.ndarray, base: int, digits: np.ndarray | None = None
                    ) -> np.ndarray:
    """Van der Corput radical inverse of non-negative integers in ``base`` (exact rational,
    rounded once): the base-``base`` digits of the index mirrored about the radix point,
    each digit d replaced by ``digits[d]`` when given (a permutation of 0 .. base - 1
    keeping 0: scrambling)."""
    rest = np.asarray(indices, dtype=np.int64).copy()
    numerator = np.zeros_like(rest)
    denominator = np.ones_like(rest)
    while np.any(rest > 0):
        active = rest > 0
        digit = rest % base if digits is None else digits[rest % base]
        numerator = np.where(active, numerator * base + digit, numerator)
        denominator = np.where(active, denominator * base, denominator)
        rest //= base
    return numerator / denominator


def halton_points(indices: np.ndarray, dimensions: int,
                  rng: np.random.Generator | None = None) -> np.ndarray:
    """Halton points, shape (len(indices), dimensions): dimension j uses prime j.

    With ``rng``, scrambled: each dimension's digits go through one random permutation of
    1 .. p - 1 (0 stays 0). Unscrambled, a dimension whose prime exceeds the number of
    points takes the values 1/p, 2/p, ... in order, so all such dimensions rise in
    lockstep (8 points of a 6-parameter scenario explored one line of its space)."""
    indices = np.asarray(indices, dtype=np.int64)
    columns = []
    for base in first_primes(dimensions):
        digits = None if rng is None else np.concatenate(([0], 1 + rng.permutation(base - 1)))
        columns.append(radical_inverse(indices, base, digits))
    return np.stack(columns, axis=-1) if columns else np.empty((len(indices), 0))


def _cell_uniforms(plan: _Plan, cell: int, rows: int) -> np.ndarray:
    """Uniform numbers in [0, 1) for samples 0 .. rows-1 of ``cell``: (rows, len(free))."""
    dims = len(plan.free)
    if dims == 0:
        return np.empty((rows, 0))
    rng = np.random.default_rng(np.random.SeedSequence([plan.seed, cell]))
    if plan.method == "random":
        u = rng.random((rows, dims))
    elif plan.method == "lhs":
        n = plan.samples
        jitter = rng.random((n, dims))
        strata = np.stack([rng.permutation(n) for _ in range(dims)], axis=1)
        u = ((strata + jitter) / n)[:rows]
    else:
        shift = rng.random(dims)
        u = (halton_points(np.arange(1, rows + 1), dims, rng) + shift) % 1.0
    return np.minimum(u, _BELOW_ONE)


def _grid_values(plan: _Plan, cell: int) -> dict:
    values = {}
    for path, axis in reversed(plan.axes):
        cell, position = divmod(cell, len(axis))
        values[path] = axis[position]
    return values


def _rows(plan: _Plan, cells: range, u: np.ndarray, per_cell: int) -> list[dict[str, object]]:
    """Variant dicts for ``per_cell`` samples of each of ``cells``, given their uniforms."""
    n = len(u)
    grid = [_grid_values(plan, cell) for cell in cells]
    columns = []
    for path, dist in plan.params.items():
        if path in plan.free:
            columns.append(dist.ppf(u[:, plan.free.index(path)]).tolist())
        elif isinstance(dist, Constant) and all(path != p for p, _ in plan.axes):
            columns.append([dist.value] * n)
        else:
            columns.append([g[path] for g in grid for _ in range(per_cell)])
    if not columns:
        return [{} for _ in range(n)]
    names = list(plan.params)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def variant_count(params: Mapping[str, Distribution], grid: Sequence[str] = (),
                  samples: int = 1, method: str = "random", seed: int = 0) -> int:
    """Number of variants: (product of grid axis sizes) x samples. Nothing is drawn."""
    return _plan(params, grid, samples, method, seed).count


def enumerate_variants(params: Mapping[str, Distribution], grid: Sequence[str] = (),
                       samples: int = 1, method: str = "random",
                       seed: int = 0) -> list[dict[str, object]]:
    """Every variant, in enumeration order (see module docstring).

    Each variant maps every parameter path (in ``params`` order, constants
    included) to a plain Python value: float, int, str or bool.
    """
    plan = _plan(params, grid, samples, method, seed)
    cells_per_chunk = max(1, _CHUNK_ROWS // plan.samples)
    variants: list[dict[str, object]] = []
    for start in range(0, plan.cells, cells_per_chunk):
        cells = range(start, min(plan.cells, start + cells_per_chunk))
        u = np.concatenate([_cell_uniforms(plan, c, plan.samples) for c in cells])
        variants.extend(_rows(plan, cells, u, plan.samples))
    return variants


def cell_order(sizes: Sequence[int], j: int) -> tuple[int, ...]:
    """The grid position (one value index per axis) of the ``j``-th cell in spread order.

    One axis: j itself. More: the axes before the last, as one axis of size n in their
    own spread order, paired with the last axis (size m) along diagonals: within block
    b = j // lcm(n, m), position t = j % lcm(n, m) takes cell t % n of the others and
    value (t + b) % m of the last. Every run of consecutive j covers each axis's values
    as evenly as a run that long can (one apart at most), and j = 0 .. n*m - 1 visits
    every cell once (the diagonals of the gcd(n, m) blocks are disjoint).
    """
    if len(sizes) == 1:
        return (j,)
    n, m = math.prod(sizes[:-1]), sizes[-1]
    period = math.lcm(n, m)
    block, t = divmod(j, period)
    return (*cell_order(sizes[:-1], t % n), (t + block) % m)


def spread_indices(limit: int, params: Mapping[str, Distribution],
                   grid: Sequence[str] = (), samples: int = 1, method: str = "random",
                   seed: int = 0) -> list[int]:
    """The indices, ascending, of ``limit`` variants spread over the grid (all when
    ``limit`` >= their count): pick p is sample p // cells of the cell that
    cell_order gives for p % cells. Without a grid: the first ``limit``."""
    plan = _plan(params, grid, samples, method, seed)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit: expected an integer >= 0, found {limit!r}")
    if limit >= plan.count:
        return list(range(plan.count))
    sizes = [len(values) for _, values in plan.axes] or [1]
    picked = []
    for p in range(limit):
        sample, j = divmod(p, plan.cells)
        cell = 0
        for size, position in zip(sizes, cell_order(sizes, j), strict=True):
            cell = cell * size + position
        picked.append(cell * plan.samples + sample)
    return sorted(picked)


def variants_at(indices: Sequence[int], params: Mapping[str, Distribution],
                grid: Sequence[str] = (), samples: int = 1, method: str = "random",
                seed: int = 0) -> list[dict[str, object]]:
    """Variants ``indices`` (ascending, distinct, in range), each equal to
    ``enumerate_variants(...)[index]``; one generator per cell they fall in."""
    plan = _plan(params, grid, samples, method, seed)
    by_cell: dict[int, list[int]] = {}
    for index in indices:
        by_cell.setdefault(index // plan.samples, []).append(index % plan.samples)
    out = []
    for cell, rows in by_cell.items():
        u = _cell_uniforms(plan, cell, rows[-1] + 1 if plan.method != "lhs" else plan.samples)
        out.extend(_rows(plan, range(cell, cell + 1), u[rows], len(rows)))
    return out


def variant_at(index: int, params: Mapping[str, Distribution], grid: Sequence[str] = (),
               samples: int = 1, method: str = "random", seed: int = 0) -> dict[str, object]:
    """Variant ``index`` alone, equal to ``enumerate_variants(...)[index]``."""
    plan = _plan(params, grid, samples, method, seed)
    if isinstance(index, bool) or not isinstance(index, int | np.integer) or not (
            0 <= index < plan.count):
        raise ValueError(f"variant index: expected an integer from 0 to {plan.count - 1}, "
                         f"found {index!r}")
    cell, sample = divmod(int(index), plan.samples)
    u = _cell_uniforms(plan, cell, sample + 1 if plan.method != "lhs" else plan.samples)
    return _rows(plan, range(cell, cell + 1), u[sample:sample + 1], 1)[0]


__all__ = ["MAX_VARIANTS", "METHODS", "variant_count", "enumerate_variants", "variant_at",
           "variants_at", "spread_indices", "cell_order",
           "halton_points", "radical_inverse", "first_primes"]
