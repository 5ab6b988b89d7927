"""Distributions a scenario number or category may take, and their YAML shapes.

Every distribution maps uniform numbers u in [0, 1) to values through ``ppf``
(its inverse CDF), so random, Latin hypercube and Halton sampling all share one
path. ``log_pdf`` gives the log density (continuous) or log probability mass
(discrete) of values, for importance weights. Discrete distributions (Constant,
Choice, Range) also list their ``values()``: the axes a variant grid may span.

Invalid parameters raise ValueError saying what was expected and what was found;
the YAML layer adds the file position.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import ClassVar

import numpy as np

MAX_RANGE_VALUES = 1_000_000
_BELOW_ONE = 1.0 - 2.0**-53  # largest double below 1
_GRID_TOLERANCE = 1e-9  # in steps: how close stop must be to the grid to be included
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
Scalar = str | bool | int | float


class Distribution:
    """Base of all distributions: ``kind`` names the YAML key, ``discrete`` the type."""

    kind: ClassVar[str]
    discrete: ClassVar[bool]

    def values(self) -> tuple:
        """The values a discrete distribution takes, in order."""
        raise TypeError(f"a {self.kind} distribution is continuous and has no value list")

    def describe(self) -> str:
        """The distribution as a scenario file writes it (``{uniform: [8, 12]}``)."""
        def text(v):
            return f"{v:g}" if isinstance(v, float) else str(v).lower() \
                if isinstance(v, bool) else str(v)

        if isinstance(self, Constant):
            return text(self.value)
        if isinstance(self, Uniform):
            return f"{{uniform: [{text(self.low)}, {text(self.high)}]}}"
        if isinstance(self, Range):
            return f"{{range: [{text(self.start)}, {text(self.stop)}, {text(self.step)}]}}"
        if isinstance(self, Choice):
            return "{choice: [" + ", ".join(text(o) for o in self.options) + "]}"
        bounds = "".join(f", {name}: {text(v)}" for name, v in (("min", self.low),
                                                                ("max", self.high))
                         if v is not None)
        return f"{{normal: {{mean: {text(self.mean)}, std: {text(self.std)}{bounds}}}}}"

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF: uniform numbers in [0, 1) (any shape) to values of that shape."""
        raise NotImplementedError

    def log_pdf(self, values) -> np.ndarray:
        """Log density (continuous) or log probability mass (discrete); -inf off support."""
        raise NotImplementedError

    def pdf(self, values) -> np.ndarray:
        """Density (continuous) or probability mass (discrete) of ``values``."""
        return np.exp(self.log_pdf(values))


def _number(value, what: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{what}: expected a number, found {value!r}")
    value = value.item() if isinstance(value, np.generic) else value
    if not math.isfinite(value):
        raise ValueError(f"{what}: expected a finite number, found {value!r}")
    return value


def _scalar(value, what: str) -> Scalar:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str | bool):
        return value
    if isinstance(value, numbers.Real):
        return _number(value, what)
    raise ValueError(f"{what}: expected a number, text or true/false, found {value!r}")


def _unit(u) -> np.ndarray:
    return np.clip(np.asarray(u, dtype=float), 0.0, _BELOW_ONE)


def _lookup_log_mass(values, masses: dict) -> np.ndarray:
    flat = np.asarray(values, dtype=object)
    logs = {value: math.log(p) if p > 0 else -math.inf for value, p in masses.items()}
    out = [logs.get(v, -math.inf) if isinstance(v, Scalar) else -math.inf for v in flat.ravel()]
    return np.array(out, dtype=float).reshape(flat.shape)


@dataclass(frozen=True)
class Constant(Distribution):
    """A fixed value (number, text or true/false)."""

    value: Scalar
    kind: ClassVar[str] = "constant"
    discrete: ClassVar[bool] = True

    def __post_init__(self):
        object.__setattr__(self, "value", _scalar(self.value, "constant"))

    def values(self) -> tuple:
        return (self.value,)

    def ppf(self, u) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=object)

    def log_pdf(self, values) -> np.ndarray:
        return _lookup_log_mass(values, {self.value: 1.0})


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on [low, high]."""

    low: float
    high: float
    kind: ClassVar[str] = "uniform"
    discrete: ClassVar[bool] = False

    def __post_init__(self):
        low, high = _number(self.low, "uniform low"), _number(self.high, "uniform high")
        if not low < high:
            raise ValueError(f"uniform: expected low < high, found [{low}, {high}]")
        object.__setattr__(self, "low", float(low))
        object.__setattr__(self, "high", float(high))

    def ppf(self, u) -> np.ndarray:
        return np.minimum(self.low + _unit(u) * (self.high - self.low), self.high)

    def log_pdf(self, values) -> np.ndarray:
        x = np.asarray(values, dtype=float)
        inside = (x >= self.low) & (x <= self.high)
        return np.where(inside, -math.log(self.high - self.low), -math.inf)


def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


_erfc = np.vectorize(math.erfc, otypes=[float])

# Acklam's rational approximation of the standard normal inverse CDF (rel. error 1.2e-9),
# polished below by one Halley step against math.erfc.
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01, 1.0)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
      3.754408661907416e00, 1.0)


def norm_ppf(p: np.ndarray) -> np.ndarray:
    """Standard normal inverse CDF of probabilities p in (0, 1), to near double precision."""
    p = np.asarray(p, dtype=float)
    tail = np.minimum(p, 1.0 - p)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        q = np.sqrt(-2.0 * np.log(tail))
        x_tail = np.polyval(_C, q) / np.polyval(_D, q)
        x_tail = np.where(p < 0.5, x_tail, -x_tail)
        r = (p - 0.5) ** 2
        x_mid = (p - 0.5) * np.polyval(_A, r) / np.polyval(_B, r)
        x = np.where(tail < 0.02425, x_tail, x_mid)
        error = 0.5 * _erfc(-x / math.sqrt(2.0)) - p
        step = error * np.exp(0.5 * x * x + _LOG_SQRT_2PI)
        polished = x - step / (1.0 + 0.5 * x * step)
    return np.where(np.isfinite(polished), polished, x)


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal(mean, std), optionally truncated to [low, high] (truncated, not clipped)."""

    mean: float
    std: float
    low: float | None = None
    high: float | None = None
    kind: ClassVar[str] = "normal"
    discrete: ClassVar[bool] = False

    def __post_init__(self):
        mean, std = _number(self.mean, "normal mean"), _number(self.std, "normal std")
        if not std > 0:
            raise ValueError(f"normal: expected std > 0, found {std}")
        low = None if self.low is None else float(_number(self.low, "normal min"))
        high = None if self.high is None else float(_number(self.high, "normal max"))
        if low is not None and high is not None and not low < high:
            raise ValueError(f"normal: expected min < max, found min {low}, max {high}")
        for name, value in (("mean", float(mean)), ("std", float(std)), ("low", low),
                            ("high", high)):
            object.__setattr__(self, name, value)
        if not self._mass() > 0.0:
            raise ValueError(f"normal: [{low}, {high}] holds no probability mass for "
                             f"mean {mean}, std {std}")

    def _support(self) -> tuple[float, float]:
        low = -math.inf if self.low is None else self.low
        return low, math.inf if self.high is None else self.high

    def _standard_bounds(self) -> tuple[float, float]:
        low, high = self._support()
        return (low - self.mean) / self.std, (high - self.mean) / self.std

    def _reflected(self) -> bool:
        # the side of the mean holding the interval is mapped to the lower tail,
        # where the CDF keeps full relative precision
        alpha, beta = self._standard_bounds()
        return alpha + beta > 0  # nan (both unbounded) compares False

    def _mass(self) -> float:
        alpha, beta = self._standard_bounds()
        sign = -1.0 if self._reflected() else 1.0
        return abs(_norm_cdf(sign * beta) - _norm_cdf(sign * alpha))

    def ppf(self, u) -> np.ndarray:
        u = _unit(u)
        alpha, beta = self._standard_bounds()
        sign = -1.0 if self._reflected() else 1.0
        p = _norm_cdf(min(sign * alpha, sign * beta)) + (u if sign > 0 else 1.0 - u) * self._mass()
        z = sign * norm_ppf(np.clip(p, np.finfo(float).tiny, _BELOW_ONE))
        return np.clip(self.mean + self.std * np.clip(z, alpha, beta), *self._support())

    def log_pdf(self, values) -> np.ndarray:
        x = np.asarray(values, dtype=float)
        z = (x - self.mean) / self.std
        log_density = -0.5 * z * z - math.log(self.std) - _LOG_SQRT_2PI - math.log(self._mass())
        low, high = self._support()
        return np.where((x >= low) & (x <= high), log_density, -math.inf)


@dataclass(frozen=True)
class Choice(Distribution):
    """One of ``options`` (distinct), with probabilities proportional to ``weights``."""

    options: tuple
    weights: tuple | None = None
    kind: ClassVar[str] = "choice"
    discrete: ClassVar[bool] = True

    def __post_init__(self):
        if isinstance(self.options, str | bytes) or not isinstance(self.options, list | tuple):
            raise ValueError(f"choice: expected a list of options, found {self.options!r}")
        options = tuple(_scalar(o, "choice option") for o in self.options)
        if not options:
            raise ValueError("choice: expected at least one option, found an empty list")
        if len(set(options)) != len(options):
            repeated = sorted({repr(o) for o in options if options.count(o) > 1})
            raise ValueError(f"choice: expected distinct options, found {', '.join(repeated)} "
                             "more than once (use weights to favour an option)")
        object.__setattr__(self, "options", options)
        if self.weights is None:
            return
        if not isinstance(self.weights, list | tuple):
            raise ValueError(f"choice: expected a list of weights, found {self.weights!r}")
        weights = tuple(float(_number(w, "choice weight")) for w in self.weights)
        if len(weights) != len(options):
            raise ValueError(f"choice: expected one weight per option ({len(options)}), "
                             f"found {len(weights)} weights")
        if any(w < 0 for w in weights) or not any(w > 0 for w in weights):
            raise ValueError(f"choice: expected weights >= 0, not all zero, found {list(weights)}")
        object.__setattr__(self, "weights", weights)

    def values(self) -> tuple:
        return self.options

    def probabilities(self) -> tuple[float, ...]:
        """Probability of each option, in order."""
        return tuple(np.diff(self._cumulative, prepend=0.0).tolist())

    @cached_property
    def _cumulative(self) -> np.ndarray:
        weights = np.ones(len(self.options)) if self.weights is None else np.array(self.weights)
        cumulative = np.cumsum(weights)
        return cumulative / cumulative[-1]  # last entry exactly 1.0

    def ppf(self, u) -> np.ndarray:
        # side="right": an option of weight zero has an empty interval and is never picked
        index = np.searchsorted(self._cumulative, _unit(u), side="right")
        return np.asarray(self.options, dtype=object)[np.minimum(index, len(self.options) - 1)]

    def log_pdf(self, values) -> np.ndarray:
        return _lookup_log_mass(values, dict(zip(self.options, self.probabilities(), strict=True)))


def _decimals(x: int | float) -> int:
    exponent = Decimal(repr(x)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@dataclass(frozen=True)
class Range(Distribution):
    """The grid start, start + step, ..., stop (stop must lie on the grid, within float
    rounding)."""

    start: float
    stop: float
    step: float
    kind: ClassVar[str] = "range"
    discrete: ClassVar[bool] = True

    def __post_init__(self):
        start, stop = _number(self.start, "range start"), _number(self.stop, "range stop")
        step = _number(self.step, "range step")
        if not step > 0:
            raise ValueError(f"range: expected step > 0, found {step}")
        if not stop >= start:
            raise ValueError(f"range: expected start <= stop, found start {start}, stop {stop}")
        steps = (stop - start) / step
        count = math.floor(steps + _GRID_TOLERANCE) + 1
        if abs(steps - round(steps)) > _GRID_TOLERANCE and count <= MAX_RANGE_VALUES:
            # ({range: [10, 30, 7]} gave 10, 17, 24: whoever wrote 30 meant to reach it)
            last = start + (count - 1) * step
            raise ValueError(f"range: stop {stop:g} is not on the grid from {start:g} by "
                             f"{step:g} (its values would end at {last:g}); expected a stop "
                             f"that is start + k * step, e.g. {last:g} or {last + step:g}")
        if count > MAX_RANGE_VALUES:
            raise ValueError(f"range: expected at most {MAX_RANGE_VALUES:,} values, found "
                             f"{count:,} (from {start} to {stop} by {step})")
        for name, value in (("start", start), ("stop", stop), ("step", step)):
            object.__setattr__(self, name, value)

    @cached_property
    def _grid(self) -> tuple:
        start, stop, step = self.start, self.stop, self.step
        if all(isinstance(v, int) for v in (start, stop, step)):
            return tuple(range(start, stop + 1, step))
        steps = (stop - start) / step
        count = math.floor(steps + _GRID_TOLERANCE) + 1
        # round away float noise (0.1 * 3 -> 0.3) at the precision the user wrote
        decimals = max(_decimals(start), _decimals(step))
        grid = [round(float(start + k * step), decimals) for k in range(count)]
        if abs(steps - round(steps)) <= _GRID_TOLERANCE:
            grid[-1] = float(stop)
        return tuple(grid)

    def values(self) -> tuple:
        return self._grid

    def ppf(self, u) -> np.ndarray:
        grid = np.asarray(self._grid)
        return grid[np.minimum((_unit(u) * len(grid)).astype(np.int64), len(grid) - 1)]

    def log_pdf(self, values) -> np.ndarray:
        x = np.asarray(values, dtype=float)
        k = (x - self.start) / self.step
        on_grid = (np.abs(k - np.round(k)) <= _GRID_TOLERANCE) & (k > -0.5) & (
            k < len(self._grid) - 0.5)
        return np.where(on_grid, -math.log(len(self._grid)), -math.inf)


def _pair(body, key: str, names: str) -> list:
    if not isinstance(body, list | tuple) or len(body) != len(names.split(", ")):
        raise ValueError(f"{key}: expected [{names}], found {body!r}")
    return list(body)


def _fields(body: dict, key: str, required: tuple, optional: tuple) -> dict:
    unknown = sorted(str(k) for k in body if k not in required + optional)
    missing = [k for k in required if k not in body]
    if unknown or missing:
        allowed = ", ".join(required + optional)
        found = "unknown " + ", ".join(unknown) if unknown else "no " + ", ".join(missing)
        raise ValueError(f"{key}: expected keys {{{allowed}}}, found {found}")
    return body


def from_spec(obj) -> Distribution:
    """A distribution from its YAML shape.

    A bare number, text or true/false is a Constant; otherwise a mapping with
    exactly one key: ``{uniform: [low, high]}``, ``{normal: [mean, std]}``,
    ``{normal: {mean, std, min, max}}`` (min and max optional),
    ``{choice: [a, b, ...]}``, ``{choice: {options: [...], weights: [...]}}``
    or ``{range: [start, stop, step]}``.
    """
    if not isinstance(obj, dict):
        return Constant(_scalar(obj, "value"))
    kinds = "uniform, normal, choice or range"
    if len(obj) != 1:
        raise ValueError(f"expected a mapping with exactly one of {kinds}, "
                         f"found keys {sorted(map(str, obj))}")
    (key, body), = obj.items()
    if key == "uniform":
        return Uniform(*_pair(body, key, "low, high"))
    if key == "normal":
        if isinstance(body, dict):
            body = _fields(body, key, ("mean", "std"), ("min", "max"))
            return Normal(body["mean"], body["std"], body.get("min"), body.get("max"))
        return Normal(*_pair(body, key, "mean, std"))
    if key == "choice":
        if isinstance(body, dict):
            body = _fields(body, key, ("options",), ("weights",))
            return Choice(body["options"], body.get("weights"))
        return Choice(body)
    if key == "range":
        return Range(*_pair(body, key, "start, stop, step"))
    raise ValueError(f"expected one of {kinds}, found {key!r}")


__all__ = ["Distribution", "Constant", "Uniform", "Normal", "Choice", "Range", "from_spec",
           "norm_ppf", "MAX_RANGE_VALUES"]
