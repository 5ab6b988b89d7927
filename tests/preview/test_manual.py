"""Manual driving goes through the kernel's physics: limits and friction apply."""

from __future__ import annotations

import math

import pytest

from simdrive.core import layout as L
from simdrive.core.dynamics import pure_pursuit_steer
from simdrive.preview.manual import goal_for_steer
from simdrive.preview.playback import Playback
from tests.preview.conftest import SCENARIOS


@pytest.mark.parametrize("steer", [-0.5, -0.1, 0.0, 0.02, 0.3, 0.55])
@pytest.mark.parametrize("speed", [0.0, 5.0, 30.0])
def test_the_goal_point_makes_pure_pursuit_ask_for_the_held_wheel_angle(steer, speed):
    x, y, h, wheelbase = 3.0, -2.0, 0.7, 2.7
    gx, gy = goal_for_steer(x, y, h, steer, wheelbase, speed)
    got = pure_pursuit_steer(x, y, math.cos(h), math.sin(h), gx, gy, wheelbase)
    assert got == pytest.approx(steer, abs=1e-9)
    assert math.hypot(gx - x, gy - y) > 0.3  # never within the kernel's arrival radius


def _ego(pb):
    return int(pb.sim.blocks.wint[0, L.WI_EGO])


def _variant_with(path, weather):
    pb = Playback(path, 0)
    for k in range(pb.count):
        pb.set_variant(k)
        if pb.variant.values.get("environment.weather", weather) == weather:
            return pb
    raise AssertionError(f"no {weather} variant")


def test_brake_on_ice_is_limited_by_friction_and_on_dry_road_by_the_brakes():
    decel = {}
    for weather in ("ice", "clear"):
        pb = _variant_with(SCENARIOS / "lead_brake_black_ice.yaml", weather)
        e = _ego(pb)
        pb.step_forward(5)
        pb.set_manual(True)
        pb.driver.controls.brake = True
        v0 = pb.sim.blocks.fstate[0, L.F_SPEED, e]
        pb.step_forward(20)  # 1 s: jerk-limited ramp, then full braking
        decel[weather] = -pb.sim.blocks.fstate[0, L.F_ACCEL, e]
        assert pb.sim.blocks.fstate[0, L.F_SPEED, e] < v0
    mu_ice = pb.sim.blocks.wfloat[0, L.WF_FRICTION]  # the last variant's (clear) friction
    assert decel["ice"] <= 0.1 * L.GRAVITY + 1e-9  # ice: mu = 0.1
    assert decel["clear"] > 2 * decel["ice"] and mu_ice == pytest.approx(0.8)


def test_throttle_speeds_up_steering_left_turns_left_and_the_ego_is_not_teleported():
    pb = Playback(SCENARIOS / "child_between_parked_cars.yaml", 3)
    e = _ego(pb)
    f = pb.sim.blocks.fstate
    pb.set_manual(True)
    v0 = f[0, L.F_SPEED, e]
    pb.driver.controls.throttle = True
    pb.step_forward(10)
    accel = (f[0, L.F_SPEED, e] - v0) / (10 * pb.dt_s)
    assert 0 < accel <= pb.sim.blocks.params[0, L.P_MAX_ACCEL, e] + 1e-9
    pb.driver.controls.throttle = False
    pb.driver.controls.left = True
    h0, steer_limit = f[0, L.F_HEADING, e], pb.sim.blocks.params[0, L.P_MAX_STEER_RATE, e]
    previous = f[0, L.F_STEER, e]
    for _ in range(10):
        pb.step_forward()
        assert f[0, L.F_STEER, e] - previous <= steer_limit * pb.dt_s + 1e-12
        previous = f[0, L.F_STEER, e]
    assert f[0, L.F_HEADING, e] > h0 + 0.05
    assert pb.driven and pb.provenance()["preview_changes"] == {"manual_driving": True}


def test_handing_back_puts_the_ego_on_its_lane_model_again():
    pb = Playback(SCENARIOS / "child_between_parked_cars.yaml", 3)
    e = _ego(pb)
    mode = int(pb.sim.blocks.istate[0, L.I_MODE, e])
    pb.set_manual(True)
    assert pb.sim.blocks.istate[0, L.I_MODE, e] == L.MODE_GOTO
    pb.driver.controls.left = True  # towards the free oncoming lane
    pb.step_forward(8)
    pb.set_manual(False)
    assert pb.sim.blocks.istate[0, L.I_MODE, e] == mode
    off_centre = abs(pb.sim.blocks.fstate[0, L.F_D, e])
    pb.step_forward(80)
    assert off_centre > 0.2 and abs(pb.sim.blocks.fstate[0, L.F_D, e]) < 0.1  # back on its lane
    assert not pb.events() or all(ev.kind != "collision" for ev in pb.events())
