"""Search methods: uniform random and Halton baselines, and the cross-entropy method.

All three spend the budget in batches (one batch = one "iteration") so progress,
plots and the probability estimate treat them alike:

- ``random``: every batch is drawn from the scenario's own distribution (plain
  Monte Carlo).
- ``halton``: the points of a scrambled, randomly shifted Halton sequence (quasi Monte
  Carlo) over the quantiles of every dimension, mapped through each distribution.
- ``cem`` (the default): the cross-entropy method for rare events (Rubinstein &
  Kroese, *The Cross-Entropy Method*, 2004, ch. 3). Batch 0 is drawn from the
  scenario's distribution; each later batch from a proposal fitted to the *elite*
  runs so far: a normal truncated to [0, 1] per continuous dimension (over its
  quantile, see simdrive.search.space) and a categorical per discrete dimension.
  Elites are every critical run so far once there are ``MIN_CRITICAL_ELITES`` of
  them, else the best ``ELITE_FRACTION`` of a batch by score among all runs so far
  (near misses lead only until the event is reached: on a rare event in one corner
  of the space, near misses elsewhere pulled the proposal away from it).
  Each elite counts with its likelihood ratio p(x)/q(x) (scenario density over the
  proposal that drew it), so once the event is reached the proposal approaches the
  scenario's distribution restricted to the critical region, which spreads the
  search over that region instead of collapsing it onto one worst case. Every
  proposal mixes in ``PRIOR_SHARE`` of the scenario's own distribution
  (defensive importance sampling): it keeps exploring, and no likelihood ratio can
  exceed 1 / PRIOR_SHARE.

Random numbers come from one generator seeded by the search seed and the method;
nothing depends on how the simulations are spread over threads.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simdrive.scenario.distributions import norm_ppf
from simdrive.scenario.sampling import halton_points
from simdrive.search.space import Samples, SearchSpace, normal_cdf, normal_log_pdf

METHODS = ("cem", "random", "halton")
ITERATIONS = 10  # batches a budget is split into (at least MIN_BATCH runs each)
MIN_BATCH = 100
ELITE_FRACTION = 0.1
MIN_CRITICAL_ELITES = 2  # critical runs from which on only they are elites
PRIOR_SHARE = 0.1  # share of every CEM proposal drawn from the scenario's distribution
SMOOTHING = 0.7  # weight of the new fit against the previous proposal
MIN_STD = 0.01  # floor of a proposal's std, in quantile units
_BELOW_ONE = 1.0 - 2.0**-53
MIN_PROBABILITY = 0.01  # floor of a category's proposal probability (if its prior is > 0)


@dataclass(frozen=True)
class Proposal:
    """A CEM sampling distribution: with probability ``prior_share`` the scenario's
    own, else independently per continuous dimension N(mean_j, std_j^2) truncated to
    the quantile range [0, 1] (mean_j in [0, 1]) and per discrete dimension the
    categorical ``probs[j]``."""

    mean: np.ndarray
    std: np.ndarray
    probs: tuple[np.ndarray, ...]
    prior_share: float

    @staticmethod
    def prior(space: SearchSpace) -> Proposal:
        c = len(space.continuous)
        return Proposal(np.full(c, 0.5), np.ones(c), tuple(p for _, _, p in space.discrete),
                        1.0)

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Standard normal CDF at the truncation bounds 0 and 1, per dimension."""
        return normal_cdf(-self.mean / self.std), normal_cdf((1.0 - self.mean) / self.std)

    def draw(self, space: SearchSpace, rng: np.random.Generator, n: int) -> Samples:
        from_prior = rng.random(n) < self.prior_share
        prior = space.draw_prior(rng, n)
        low, high = self._bounds()
        r = rng.random((n, len(self.mean)))
        t = norm_ppf(np.clip(low + r * (high - low), 1e-300, _BELOW_ONE))
        z = np.clip(self.mean + self.std * t, 0.0, _BELOW_ONE)  # quantiles
        u = rng.random((n, len(self.probs)))
        k = np.zeros((n, len(self.probs)), dtype=np.int64)
        for j, probs in enumerate(self.probs):
            cumulative = np.cumsum(probs)
            cumulative[-1] = 1.0
            k[:, j] = np.minimum(np.searchsorted(cumulative, u[:, j], side="right"),
                                 len(probs) - 1)
        return Samples(np.where(from_prior[:, None], prior.u, z),
                       np.where(from_prior[:, None], prior.k, k))

    def log_density(self, space: SearchSpace, samples: Samples) -> np.ndarray:
        """(n,) log density of the mixture at ``samples`` (same coordinates as the prior)."""
        log_prior = space.prior_log_density(samples)
        if self.prior_share >= 1.0:
            return log_prior
        low, high = self._bounds()
        own = (normal_log_pdf(samples.u, self.mean, self.std) - np.log(high - low)).sum(axis=1)
        for j, probs in enumerate(self.probs):
            with np.errstate(divide="ignore"):
                own = own + np.log(probs[samples.k[:, j]])
        return np.logaddexp(math.log(self.prior_share) + log_prior,
                            math.log1p(-self.prior_share) + own)

    def to_dict(self, space: SearchSpace) -> dict:
        """Plain data: mean and std per continuous dimension, probabilities per discrete."""
        out = {path: {"quantile_mean": round(float(m), 4), "quantile_std": round(float(s), 4)}
               for (path, _), m, s in zip(space.continuous, self.mean, self.std, strict=True)}
        for (path, options, _), probs in zip(space.discrete, self.probs, strict=True):
            out[path] = {str(o): round(float(p), 4) for o, p in zip(options, probs, strict=True)}
        return out


def fit(space: SearchSpace, previous: Proposal, elites: Samples, weights: np.ndarray) -> Proposal:
    """The proposal fitted to weighted elites (moments / frequencies), smoothed."""
    w = weights / weights.sum()
    mean = w @ elites.u if len(previous.mean) else previous.mean
    std = np.sqrt(w @ (elites.u - mean) ** 2) if len(previous.mean) else previous.std
    mean = SMOOTHING * mean + (1 - SMOOTHING) * previous.mean
    std = np.maximum(SMOOTHING * std + (1 - SMOOTHING) * previous.std, MIN_STD)
    probs = []
    for j, (_, _, prior) in enumerate(space.discrete):
        counts = np.bincount(elites.k[:, j], weights=w, minlength=len(prior))
        p = SMOOTHING * counts + (1 - SMOOTHING) * previous.probs[j]
        p = np.where(prior > 0, np.maximum(p, MIN_PROBABILITY), 0.0)
        probs.append(p / p.sum())
    return Proposal(mean, std, tuple(probs), PRIOR_SHARE)


@dataclass(frozen=True)
class Trace:
    """Everything a search simulated, in simulation order (n runs, T batches).

    ``samples`` (n points), ``objective``/``score`` (n,) float64, ``critical`` (n,)
    bool, ``batch`` (n,) int64 batch number, ``log_prior`` (n,) and ``log_own`` (n,):
    log density of the scenario's distribution and of the proposal that drew each
    run; ``proposals``: the T proposals (all the prior for random and halton),
    ``batch_sizes`` (T,), ``seconds`` (T,) wall time of each batch.
    """

    method: str
    samples: Samples
    objective: np.ndarray
    score: np.ndarray
    critical: np.ndarray
    batch: np.ndarray
    log_prior: np.ndarray
    log_own: np.ndarray
    proposals: tuple[Proposal, ...]
    batch_sizes: np.ndarray
    seconds: np.ndarray


Evaluate = Callable[[Samples, int], tuple[np.ndarray, np.ndarray, np.ndarray]]
Progress = Callable[[dict], None]


def batch_sizes(budget: int) -> list[int]:
    """How a budget is split into batches: ITERATIONS of them, each >= MIN_BATCH."""
    size = max(min(budget, MIN_BATCH), math.ceil(budget / ITERATIONS))
    sizes = [size] * (budget // size)
    if budget % size:
        sizes.append(budget % size)
    return sizes


def _rank(score: np.ndarray, critical: np.ndarray) -> np.ndarray:
    """Indices best first: critical runs before the others, then by score (stable)."""
    return np.lexsort((score, ~critical))


def run(space: SearchSpace, evaluate: Evaluate, *, method: str, budget: int, seed: int,
        progress: Progress | None = None) -> Trace:
    """Spend ``budget`` simulations with ``method``; ``evaluate(samples, first)`` simulates
    a batch whose runs are numbered first, first + 1, ... and returns its
    (objective, score, critical) arrays."""
    if method not in METHODS:
        raise ValueError(f"method: expected one of {', '.join(METHODS)}, found {method!r}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, METHODS.index(method)]))
    shift = rng.random(space.dims)  # Cranley-Patterson rotation of the Halton points
    # their scrambling, the same for every batch (its own stream: cem and random draw on)
    digits = np.random.SeedSequence([seed, METHODS.index(method), 1])
    proposal = Proposal.prior(space)
    parts: dict[str, list] = {k: [] for k in ("u", "k", "objective", "score", "critical",
                                              "batch", "log_prior", "log_own")}
    proposals, seconds = [], []
    sizes = batch_sizes(budget)
    done = 0
    for t, n in enumerate(sizes):
        started = time.perf_counter()
        if method == "halton":
            u = (halton_points(np.arange(done + 1, done + n + 1), space.dims,
                               np.random.default_rng(digits)) + shift) % 1.0
            samples = space.from_unit(u)
        else:
            samples = proposal.draw(space, rng, n)
        objective, score, critical = evaluate(samples, done)
        log_prior = space.prior_log_density(samples)
        for key, value in (("u", samples.u), ("k", samples.k), ("objective", objective),
                           ("score", score), ("critical", critical),
                           ("batch", np.full(n, t)), ("log_prior", log_prior),
                           ("log_own", proposal.log_density(space, samples))):
            parts[key].append(value)
        proposals.append(proposal)
        done += n
        if method == "cem" and t + 1 < len(sizes):
            proposal = _next_proposal(space, proposal, parts)
        seconds.append(time.perf_counter() - started)
        if progress is not None:
            all_score = np.concatenate(parts["score"])
            all_critical = np.concatenate(parts["critical"])
            progress({"batch": t + 1, "batches": len(sizes), "simulations": done,
                      "budget": budget, "best": float(all_score[_rank(
                          all_score, all_critical)[0]]),
                      "critical": int(all_critical.sum()), "seconds": float(sum(seconds)),
                      "batch_seconds": seconds[-1], "batch_size": n})
    joined = {k: np.concatenate(v) for k, v in parts.items()}
    return Trace(method, Samples(joined["u"], joined["k"]), joined["objective"],
                 joined["score"], joined["critical"], joined["batch"], joined["log_prior"],
                 joined["log_own"], tuple(proposals), np.array(sizes), np.array(seconds))


def _next_proposal(space: SearchSpace, proposal: Proposal, parts: dict) -> Proposal:
    critical = np.concatenate(parts["critical"])
    if critical.sum() >= MIN_CRITICAL_ELITES:
        chosen = np.flatnonzero(critical)  # every critical run so far
    else:  # the best-scored runs of every batch so far
        wanted = max(2, math.ceil(ELITE_FRACTION * len(parts["critical"][-1])))
        chosen = _rank(np.concatenate(parts["score"]), critical)[:wanted]
    u = np.concatenate(parts["u"])[chosen]
    k = np.concatenate(parts["k"])[chosen]
    log_ratio = (np.concatenate(parts["log_prior"]) - np.concatenate(parts["log_own"]))[chosen]
    weights = np.exp(log_ratio - log_ratio.max())
    return fit(space, proposal, Samples(u, k), weights)


__all__ = ["ELITE_FRACTION", "METHODS", "PRIOR_SHARE", "Proposal", "Trace", "batch_sizes",
           "fit", "run"]
