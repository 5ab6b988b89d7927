"""How likely the critical event is under the scenario's own distributions.

A search draws most runs from proposals that favour the critical region, so the
share of critical runs says nothing about how rare the event is. Each run is
re-weighted by its importance weight ``w = p(x) / q(x)``: ``p`` the scenario's
density, ``q`` the *mixture of every proposal the search used*, weighted by the
runs drawn from each (the "balance heuristic" of multiple importance sampling,
Veach & Guibas 1995; as in AMIS, Cornuet et al. 2012). Then

    P(critical) ~= mean_i(w_i * critical_i),   standard error = std_i(w_i * critical_i) / sqrt(n)

The first batch of every search is drawn from ``p`` itself, so ``q >= p * n_0 / n``
and no weight exceeds ``n / n_0``. For ``random`` all weights are 1 (plain Monte
Carlo); for ``halton`` too, and the binomial standard error it reports is an upper
bound (quasi Monte Carlo usually does better).

Runs whose placement had to be re-drawn (an actor overlapped another, see
simdrive.scenario.build) took that placement from the scenario's distribution
under every method; the weights treat the first draw as the one used, which is
exact whenever no actor needed a second try.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simdrive.search.methods import PRIOR_SHARE, Trace
from simdrive.search.space import SearchSpace


@dataclass(frozen=True)
class Probability:
    """An estimate of P(critical) under the scenario's distributions, with its standard
    error and the effective sample size of the critical runs' weights; with no critical
    run, ``upper_bound_95``: the 95 % upper bound min(1, 3 / N) of the N runs drawn from
    the scenario's own distribution (the rule of three; for cem its first batch and
    PRIOR_SHARE of the others; None when there are critical runs)."""

    estimate: float
    standard_error: float
    effective_samples: float
    method: str
    upper_bound_95: float | None = None

    def to_dict(self) -> dict:
        return {"estimate": float(self.estimate), "standard_error": float(self.standard_error),
                "relative_error": (float(self.standard_error / self.estimate)
                                   if self.estimate > 0 else None),
                "effective_samples": round(float(self.effective_samples), 1),
                "upper_bound_95": self.upper_bound_95, "method": self.method}


def importance_weights(space: SearchSpace, trace: Trace) -> np.ndarray:
    """(n,) weights p(x) / q_mix(x) of every run (balance heuristic over the batches)."""
    n = len(trace.objective)
    if trace.method != "cem":
        return np.ones(n)
    shares = np.log(trace.batch_sizes / n)
    logs = np.stack([share + proposal.log_density(space, trace.samples)
                     for share, proposal in zip(shares, trace.proposals, strict=True)])
    log_mix = np.logaddexp.reduce(logs, axis=0)
    return np.exp(trace.log_prior - log_mix)


def estimate_probability(space: SearchSpace, trace: Trace) -> tuple[Probability, np.ndarray]:
    """The probability estimate and the weights it used."""
    weights = importance_weights(space, trace)
    terms = weights * trace.critical
    n = len(terms)
    estimate = float(terms.mean()) if n else 0.0
    if trace.method == "cem":
        error = float(terms.std(ddof=1) / math.sqrt(n)) if n > 1 else math.inf
        how = "importance sampling, balance-heuristic weights over the CEM proposals"
    else:
        error = math.sqrt(max(estimate * (1 - estimate), 0.0) / max(n - 1, 1))
        how = "Monte Carlo" if trace.method == "random" else "quasi Monte Carlo (Halton)"
    hit = terms[terms > 0]
    ess = float(hit.sum() ** 2 / (hit**2).sum()) if hit.size else 0.0
    bound = None
    if n and not hit.size:
        # the rule of three holds for draws from the scenario's own distribution: all of
        # random's and halton's runs, cem's first batch and PRIOR_SHARE of the later ones
        # (the proposals' draws may all lie away from the event)
        first = int(trace.batch_sizes[0]) if trace.method == "cem" else n
        bound = min(1.0, 3.0 / (first + PRIOR_SHARE * (n - first)))
    return Probability(estimate, error, ess, how, bound), weights


UNEVEN_SHARE = 0.1
"""An importance-sampled estimate whose critical runs' effective sample size is below this
share of their count rests on a few heavily weighted runs (uneven_weights)."""


def uneven_weights(p: Probability, critical: int) -> bool:
    """Whether the estimate ``p`` of ``critical`` weighted critical runs rests on a few of
    them: effective sample size under UNEVEN_SHARE of the count, or under half of it up to
    10 runs (so that one run carrying nearly all of 8 runs' weight is flagged too). On
    pileup_fog_highway's collisions two 3,000-run cem searches gave 0.62 % (effective
    sample size 461 of 1,355) and 0.29 % (67 of 1,648), ten standard errors apart; random
    sampling gave 0.6-0.67 %. Plain Monte Carlo (all weights 1: effective sample size =
    count) never is."""
    if critical < 2:
        return False
    return p.effective_samples < max(UNEVEN_SHARE * critical, 0.5 * min(critical, 10))


__all__ = ["Probability", "estimate_probability", "importance_weights", "uneven_weights"]
