"""Distributions: YAML shapes, validation, inverse CDFs and densities."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simdrive.scenario.distributions import (
    Choice,
    Constant,
    Normal,
    Range,
    Uniform,
    from_spec,
    norm_ppf,
)

N = 200_000


def uniforms(seed: int = 1, n: int = N) -> np.ndarray:
    return np.random.default_rng(seed).random(n)


def norm_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def ks_statistic(draws: np.ndarray, cdf) -> float:
    """Largest gap between the empirical CDF of ``draws`` and ``cdf``."""
    x = np.sort(draws)
    f = np.array([cdf(v) for v in x])
    n = len(x)
    return float(max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n)))


KS_CRITICAL = 1.95 / math.sqrt(N)  # the 0.1 % level


def truncated_mean(mean, std, low, high):
    """mean + std (phi(a) - phi(b)) / Z, with Z taken in the tail where it is precise."""
    a, b = (low - mean) / std, (high - mean) / std
    density = [math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) for z in (a, b)]
    mass = norm_cdf(-a) - norm_cdf(-b) if a > 0 else norm_cdf(b) - norm_cdf(a)
    return mean + std * (density[0] - density[1]) / mass


# --- YAML shapes ---------------------------------------------------------------------------

@pytest.mark.parametrize("spec, expected", [
    (3.5, Constant(3.5)),
    (2, Constant(2)),
    ("rain", Constant("rain")),
    (True, Constant(True)),
    ({"uniform": [8, 14]}, Uniform(8.0, 14.0)),
    ({"normal": [2.8, 0.3]}, Normal(2.8, 0.3)),
    ({"normal": {"mean": 2.8, "std": 0.3, "min": 2.0}}, Normal(2.8, 0.3, 2.0, None)),
    ({"normal": {"mean": 2.8, "std": 0.3, "min": 2.0, "max": 3.5}}, Normal(2.8, 0.3, 2.0, 3.5)),
    ({"choice": ["clear", "rain"]}, Choice(("clear", "rain"))),
    ({"choice": {"options": ["a", "b"], "weights": [3, 1]}}, Choice(("a", "b"), (3.0, 1.0))),
    ({"choice": {"options": [1, 2]}}, Choice((1, 2))),
    ({"range": [0, 10, 2]}, Range(0, 10, 2)),
])
def test_from_spec_reads_every_yaml_shape(spec, expected):
    assert from_spec(spec) == expected


@pytest.mark.parametrize("spec, expected_fragments", [
    ({"uniform": [3, 1]}, ["low < high", "[3, 1]"]),
    ({"uniform": [1, 1]}, ["low < high"]),
    ({"uniform": [1]}, ["[low, high]", "[1]"]),
    ({"uniform": 5}, ["[low, high]", "5"]),
    ({"uniform": ["a", 2]}, ["expected a number", "'a'"]),
    ({"uniform": [True, 2]}, ["expected a number", "True"]),
    ({"uniform": [0, math.inf]}, ["finite", "inf"]),
    ({"normal": [0, 0]}, ["std > 0", "found 0"]),
    ({"normal": [0, -1]}, ["std > 0", "-1"]),
    ({"normal": [0, 1, 2]}, ["[mean, std]"]),
    ({"normal": {"mean": 0, "std": 1, "min": 2, "max": 1}}, ["min < max", "min 2"]),
    ({"normal": {"mean": 0, "sd": 1}}, ["{mean, std, min, max}", "unknown sd"]),
    ({"normal": {"mean": 0}}, ["{mean, std, min, max}", "no std"]),
    ({"normal": {"mean": 0, "std": 1, "min": 50}}, ["no probability mass"]),
    ({"choice": []}, ["at least one option", "empty"]),
    ({"choice": "abc"}, ["list of options", "'abc'"]),
    ({"choice": ["a", None]}, ["number, text or true/false", "None"]),
    ({"choice": ["a", "a"]}, ["distinct", "'a'"]),
    ({"choice": {"options": ["a", "b"], "weights": [1]}}, ["one weight per option (2)", "1 w"]),
    ({"choice": {"options": ["a", "b"], "weights": [-1, 2]}}, [">= 0", "-1.0"]),
    ({"choice": {"options": ["a", "b"], "weights": [0, 0]}}, ["not all zero", "[0.0, 0.0]"]),
    ({"choice": {"weights": [1]}}, ["{options, weights}", "no options"]),
    ({"range": [0, 10, 0]}, ["step > 0", "found 0"]),
    ({"range": [10, 0, 1]}, ["start <= stop", "start 10, stop 0"]),
    ({"range": [0, 1]}, ["[start, stop, step]", "[0, 1]"]),
    ({"range": [0, 1e9, 1]}, ["at most 1,000,000 values", "1,000,000,001"]),
    ({"uniform": [0, 1], "normal": [0, 1]}, ["exactly one", "['normal', 'uniform']"]),
    ({}, ["exactly one", "[]"]),
    ({"gaussian": [0, 1]}, ["uniform, normal, choice or range", "'gaussian'"]),
    (None, ["number, text or true/false", "None"]),
    ([1, 2], ["number, text or true/false", "[1, 2]"]),
])
def test_from_spec_rejects_invalid_shapes_saying_what_was_expected_and_found(
        spec, expected_fragments):
    with pytest.raises(ValueError) as error:
        from_spec(spec)
    for fragment in expected_fragments:
        assert fragment in str(error.value)


# --- discrete values -----------------------------------------------------------------------

def test_discrete_flags():
    assert Constant(1).discrete and Choice(("a",)).discrete and Range(0, 1, 1).discrete
    assert not Uniform(0, 1).discrete and not Normal(0, 1).discrete


def test_range_includes_stop_when_it_lands_on_the_grid():
    assert Range(0, 10, 2).values() == (0, 2, 4, 6, 8, 10)
    assert Range(0, 1, 0.1).values() == tuple(k / 10 for k in range(11))
    assert Range(0, 1 + 5e-11, 0.1).values()[-1] == 1 + 5e-11  # 5e-10 steps off


@pytest.mark.parametrize(("start", "stop", "step", "last"), [
    (0, 10, 3, "9"), (0.5, 1.9, 0.5, "1.5"), (10, 30, 7, "24"), (0, 1 - 1e-6, 0.1, "0.9")])
def test_a_range_whose_stop_is_off_its_grid_is_refused(start, stop, step, last):
    """{range: [10, 30, 7]} gave 10, 17, 24 and validated: whoever wrote 30 meant to reach
    it (found by a review); the error says where the grid would end."""
    with pytest.raises(ValueError, match=f"not on the grid .* would end at {last}\\b"):
        Range(start, stop, step)
    assert Range(0, 9, 3).values() == (0, 3, 6, 9)


def test_range_of_integers_gives_integers_and_float_noise_is_rounded_away():
    assert all(type(v) is int for v in Range(1, 4, 1).values())
    assert Range(0.1, 0.3, 0.1).values() == (0.1, 0.2, 0.3)
    assert Range(5, 5, 1).values() == (5,)


def test_choice_and_constant_values_are_their_options_in_order():
    assert Choice(("fog", "rain", "clear")).values() == ("fog", "rain", "clear")
    assert Constant("dusk").values() == ("dusk",)


def test_continuous_distributions_have_no_value_list():
    with pytest.raises(TypeError, match="continuous"):
        Uniform(0, 1).values()


# --- inverse CDFs ----------------------------------------------------------------------------

def test_norm_ppf_matches_known_quantiles():
    p = [0.5, 0.975, 0.8413447460685429, 1e-10, 1 - 1e-10]
    expected = [0.0, 1.959963984540054, 1.0, -6.361340902404056, 6.361340889697422]
    np.testing.assert_allclose(norm_ppf(p), expected, rtol=1e-9, atol=1e-12)


@given(st.floats(min_value=1e-300, max_value=0.999999))
def test_norm_ppf_inverts_the_normal_cdf(p):
    assert norm_cdf(float(norm_ppf(p))) == pytest.approx(p, rel=1e-11, abs=1e-300)


def test_uniform_draws_match_mean_std_and_cdf():
    dist = Uniform(8.0, 14.0)
    x = dist.ppf(uniforms())
    assert x.mean() == pytest.approx(11.0, abs=4 * math.sqrt(3.0 / N))
    assert x.std() == pytest.approx(6 / math.sqrt(12), rel=0.01)
    assert ks_statistic(x[:20_000], lambda v: (v - 8) / 6) < 1.95 / math.sqrt(20_000)


def test_normal_draws_match_mean_std_and_cdf():
    dist = Normal(2.8, 0.3)
    x = dist.ppf(uniforms())
    assert x.mean() == pytest.approx(2.8, abs=4 * 0.3 / math.sqrt(N))
    assert x.std() == pytest.approx(0.3, rel=0.01)
    assert ks_statistic(x, lambda v: norm_cdf((v - 2.8) / 0.3)) < KS_CRITICAL


@pytest.mark.parametrize("mean, std, low, high", [
    (2.8, 0.3, 2.5, 3.5),     # both sides cut
    (0.0, 1.0, 1.5, None),    # upper tail only
    (0.0, 1.0, None, -2.0),   # lower tail only
    (0.0, 1.0, 8.0, 9.0),     # far tail: a naive CDF difference would be 0
])
def test_truncated_normal_stays_in_bounds_and_matches_the_truncated_mean(mean, std, low, high):
    dist = Normal(mean, std, low, high)
    x = dist.ppf(uniforms())
    lo, hi = (-math.inf if low is None else low), (math.inf if high is None else high)
    assert np.all((x >= lo) & (x <= hi))
    analytic = truncated_mean(mean, std, lo, hi)
    spread = x.std() / math.sqrt(N)
    assert x.mean() == pytest.approx(analytic, abs=5 * spread)


def test_truncated_normal_does_not_pile_mass_at_the_bounds():
    x = Normal(0.0, 1.0, -0.5, 0.5).ppf(uniforms())
    assert np.mean((x == -0.5) | (x == 0.5)) < 1e-4
    a, b = norm_cdf(-0.5), norm_cdf(0.5)
    assert ks_statistic(x, lambda v: (norm_cdf(v) - a) / (b - a)) < KS_CRITICAL


def test_weighted_choice_frequencies_are_within_three_sigma():
    dist = Choice(("clear", "rain", "fog", "snow"), (5, 2, 0, 1))
    x = dist.ppf(uniforms())
    for option, p in zip(dist.options, dist.probabilities(), strict=True):
        count = np.sum(x == option)
        assert abs(count - N * p) <= 3 * math.sqrt(N * p * (1 - p))
    assert "fog" not in set(x)


def test_range_ppf_is_uniform_over_its_values():
    dist = Range(0.0, 1.0, 0.25)
    x = dist.ppf(uniforms())
    for value in dist.values():
        count = np.sum(x == value)
        assert abs(count - N / 5) <= 3 * math.sqrt(N * 0.2 * 0.8)


def test_ppf_of_constant_repeats_the_value():
    assert Constant("noon").ppf(np.zeros(3)).tolist() == ["noon"] * 3


distributions = st.sampled_from([
    Uniform(-3.0, 7.0), Normal(1.0, 2.0), Normal(1.0, 2.0, 0.0, 1.5), Normal(0, 1, 6, None),
    Choice((1, 5, 2), (1, 0, 3)), Range(0, 1, 0.1), Constant(4.0),
])


@given(distributions, st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=2, max_size=20))
def test_ppf_is_non_decreasing_and_lands_in_the_support(dist, us):
    u = np.sort(np.array(us))
    x = dist.ppf(u).astype(float)
    assert np.all(np.isfinite(x))
    assert np.all(np.diff(x) >= 0) or isinstance(dist, Choice)
    assert np.all(np.isfinite(dist.log_pdf(x)))


# --- densities --------------------------------------------------------------------------------

@pytest.mark.parametrize("dist, low, high", [
    (Uniform(2.0, 5.0), 1.0, 6.0),
    (Normal(0.0, 1.0), -12.0, 12.0),
    (Normal(2.8, 0.3, 2.5, 3.5), 2.5, 3.5),
    (Normal(0.0, 1.0, 8.0, None), 8.0, 20.0),
])
def test_continuous_densities_integrate_to_one(dist, low, high):
    x = np.linspace(low, high, 400_001)
    assert np.trapezoid(dist.pdf(x), x) == pytest.approx(1.0, abs=1e-3)


def test_discrete_masses_sum_to_one_and_are_zero_off_support():
    for dist in (Choice(("a", "b", "c"), (1, 2, 1)), Range(0, 1, 0.1), Constant("x")):
        assert dist.pdf(list(dist.values())).sum() == pytest.approx(1.0)
    assert Choice(("a", "b"), (3, 1)).pdf(["a", "b", "z"]).tolist() == [0.75, 0.25, 0.0]
    assert Range(0, 1, 0.25).log_pdf([0.3, 1.25]).tolist() == [-math.inf, -math.inf]
    assert Normal(0, 1, -1, 1).log_pdf([1.5])[0] == -math.inf
