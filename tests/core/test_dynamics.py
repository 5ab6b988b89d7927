"""Dynamics and traffic kernels against their textbook formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simdrive.core import dynamics as D
from simdrive.core import layout as L
from simdrive.core.lanes import signal_state
from simdrive.core.traffic import lane_leader, sort_lane_order
from tests.core import naive


def test_idm_matches_treiber_formula_on_random_inputs():
    rng = np.random.default_rng(10)
    for _ in range(2000):
        v, v0 = rng.uniform(0, 40), rng.uniform(5, 40)
        gap, dv = rng.uniform(0.5, 150), rng.uniform(-10, 10)
        a, b, T, s0 = rng.uniform(0.5, 3), rng.uniform(1, 4), rng.uniform(0.8, 2), rng.uniform(1, 3)
        got = D.idm_acceleration(v, v0, gap, dv, a, b, T, s0)
        assert got == pytest.approx(naive.idm(v, v0, gap, dv, a, b, T, s0), rel=1e-12, abs=1e-12)


def test_idm_is_zero_at_the_equilibrium_gap():
    for v in (5.0, 15.0, 25.0):
        gap = naive.idm_equilibrium_gap(v, 30.0, 1.5, 2.0)
        assert D.idm_acceleration(v, 30.0, gap, 0.0, 1.5, 2.0, 1.5, 2.0) == pytest.approx(
            0.0, abs=1e-12
        )


def test_idm_free_road_and_stop_request():
    assert D.idm_acceleration(0.0, 20.0, math.inf, 0.0, 2.0, 3.0, 1.5, 2.0) == 2.0
    assert D.idm_acceleration(10.0, 0.0, math.inf, 0.0, 2.0, 3.0, 1.5, 2.0) == -3.0
    assert D.idm_acceleration(10.0, 20.0, 0.0, 0.0, 2.0, 3.0, 1.5, 2.0) < -1e6


@pytest.mark.parametrize("speed,accel,dt", [(20.0, -7.848, 0.05), (3.0, -9.0, 0.5),
                                            (10.0, 2.0, 0.1), (0.0, -5.0, 0.1)])
def test_advance_speed_is_exact_for_constant_acceleration(speed, accel, dt):
    new_v, dist = D.advance_speed(speed, accel, dt)
    t_stop = -speed / accel if accel < 0 else math.inf
    t = min(dt, t_stop)
    assert new_v == pytest.approx(max(0.0, speed + accel * dt))
    assert dist == pytest.approx(speed * t + 0.5 * accel * t * t)


def test_friction_circle_shrinks_what_is_asked_onto_the_circle_keeping_its_direction():
    mu, g = 0.5, 9.81
    along, lat = D.friction_clamp(-10.0, 3.0, mu, g)
    assert math.hypot(along, lat) == pytest.approx(mu * g)  # on the circle
    assert lat / along == pytest.approx(3.0 / -10.0)  # in the direction asked for
    along, lat = D.friction_clamp(-3.0, 10.0, mu, g)
    assert math.hypot(along, lat) == pytest.approx(mu * g) and along < 0.0
    assert lat / -along == pytest.approx(10.0 / 3.0)
    assert D.friction_clamp(-10.0, 0.0, mu, g) == (pytest.approx(-mu * g), 0.0)  # straight
    assert D.friction_clamp(1.0, 0.5, mu, g) == (1.0, 0.5)  # inside: unchanged


def test_jerk_limit_ramps_the_acceleration():
    assert D.limit_jerk(-8.0, 0.0, 20.0, 0.1) == -2.0
    assert D.limit_jerk(1.0, 0.5, 20.0, 0.1) == 1.0


def test_pure_pursuit_matches_the_circle_through_the_target():
    rng = np.random.default_rng(11)
    for _ in range(500):
        x, y, h = rng.uniform(-50, 50), rng.uniform(-50, 50), rng.uniform(-math.pi, math.pi)
        tx, ty = x + rng.uniform(-20, 20), y + rng.uniform(-20, 20)
        got = D.pure_pursuit_steer(x, y, math.cos(h), math.sin(h), tx, ty, 2.7)
        assert got == pytest.approx(naive.pure_pursuit(x, y, h, tx, ty, 2.7), abs=1e-12)


def test_wrap_angle_and_pose_integration():
    assert D.wrap_angle(3 * math.pi / 2) == pytest.approx(-math.pi / 2)
    assert D.wrap_angle(-3 * math.pi / 2) == pytest.approx(math.pi / 2)
    assert D.integrate_pose(0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 10.0) == pytest.approx((10.0, 0.0))
    # one step along a 90 degree arc moves along the chord, at 45 degrees
    x, y = D.integrate_pose(0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 2.0)
    assert (x, y) == pytest.approx((math.sqrt(2.0), math.sqrt(2.0)))
    # a quarter circle of radius 10 in many small steps ends at (10, 10)
    x = y = h = 0.0
    n = 2000
    for _ in range(n):
        h_new = h + math.pi / 2 / n
        x, y = D.integrate_pose(x, y, math.cos(h), math.sin(h), math.cos(h_new),
                                math.sin(h_new), 10 * math.pi / 2 / n)
        h = h_new
    assert (x, y) == pytest.approx((10.0, 10.0), abs=1e-5)


def test_signal_plan_matches_reference_over_two_cycles():
    plan = np.array([20.0, 3.0, 2.0, 15.0, 3.0, 2.0])
    for t in np.arange(0.0, 90.0, 0.25):
        for group in (0, 1):
            assert signal_state(plan, t, group) == naive.signal_state(plan, t, group), (t, group)
    assert signal_state(np.zeros(6), 5.0, 0) == 0


def _traffic_state(lanes, s, valid=None, mode=None):
    n = len(lanes)
    istate = np.zeros((L.I_COUNT, n), np.int32)
    fstate = np.zeros((L.F_COUNT, n))
    istate[L.I_LANE] = lanes
    istate[L.I_VALID] = 1 if valid is None else valid
    istate[L.I_MODE] = L.MODE_LANE if mode is None else mode
    istate[L.I_ORDER] = np.arange(n)[::-1]
    fstate[L.F_S] = s
    return istate, fstate


def test_lane_order_sort_matches_python_sorted_and_finds_leaders():
    rng = np.random.default_rng(12)
    for _ in range(50):
        n = int(rng.integers(2, 40))
        lanes = rng.integers(0, 4, n)
        s = rng.uniform(0, 300, n).round(0)  # ties happen and break by index
        mode = np.where(rng.random(n) < 0.8, L.MODE_LANE, L.MODE_GOTO)
        istate, fstate = _traffic_state(lanes, s, mode=mode)
        first = np.zeros(4, np.int32)
        count = np.zeros(4, np.int32)
        n_bound = sort_lane_order(istate, fstate, n, first, count)
        bound = [k for k in range(n) if mode[k] == L.MODE_LANE]
        free = [k for k in range(n) if mode[k] != L.MODE_LANE]
        expected = sorted(bound, key=lambda k: (lanes[k], s[k], k)) + free
        assert list(istate[L.I_ORDER]) == expected
        assert n_bound == len(bound)
        params = np.ones((L.P_COUNT, n))
        params[L.P_LENGTH] = 0.0
        no_successors = np.full((4, 3), -1, np.int32)
        for pos, k in enumerate(expected[:n_bound]):
            ahead = [j for j in bound if lanes[j] == lanes[k] and (s[j], j) > (s[k], k)]
            leader, gap = lane_leader(istate, fstate, params, np.full(4, 1e3), no_successors,
                                      first, n_bound, pos, 0)
            if ahead:
                nearest = min(ahead, key=lambda j: (s[j], j))
                assert leader == nearest
                assert gap == s[nearest] - s[k]
            else:
                assert leader == -1
