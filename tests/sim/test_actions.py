"""Scripted actions, their triggers, and a road condition changing mid-run.

Every test builds small worlds through the public API (ActorSpec, ActionSpec,
WorldSpec, Simulation) and checks the recorded trajectories: recording k holds
the state at the start of step k, which is the state the triggers of that step see.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simdrive.core import layout as L
from simdrive.sim import ActionSpec, ActorSpec, Simulation, WorldSpec
from simdrive.world.environment import FRICTION, Environment
from simdrive.world.maps import build_map

G = L.GRAVITY
DT = 0.05
COMFORT_DECEL_CAR = 2.0  # m/s^2, the car kind's comfortable deceleration


@pytest.fixture(scope="module")
def long_road():
    """3 km of one-way single-lane road, nothing else."""
    return build_map({"type": "straight", "lanes": 1, "one_way": True, "length": 3000.0,
                      "sidewalks": "none"})


@pytest.fixture(scope="module")
def road():
    """600 m of two-way road, two lanes each way, sidewalks on both sides.

    fwd_0 (y = -5.25) and fwd_1 (y = -1.75) run towards +x, bwd_1 (y = 1.75) and
    bwd_0 (y = 5.25) towards -x; the sidewalks are centred on y = -8 and y = 8.
    """
    return build_map({"type": "straight", "lanes": 2, "length": 600.0, "sidewalks": "both"})


@pytest.fixture(scope="module")
def junction():
    """Signalised four-way junction; west_in_0 runs east along y = -1.75 to x = -13.5."""
    return build_map({"type": "intersection"})


def simulate(worlds, duration_s):
    sim = Simulation(worlds, threads=1)
    return sim, sim.run(duration_s, record_every=1)


def decelerations(rec, w, i):
    """Deceleration of actor i in world w during each step, m/s^2 (positive: slowing)."""
    return -np.diff(rec.speed[:, w, i]) / DT


def action_times(sim, w, action):
    return [e.time_s for e in sim.events(w) if e.kind == "action" and e.other == action]


def cruiser(name="ego", lane="fwd_0", s=50.0, speed=20.0, **kw):
    return ActorSpec("car", name, lane=lane, s=s, speed_mps=speed, desired_speed_mps=speed,
                     **kw)


# ---- hard_brake, stop, go, set_speed ------------------------------------------------


@pytest.mark.parametrize(("condition", "command", "expected"), [
    ("dry", 5.0, 5.0),
    ("dry", 12.0, FRICTION["dry"] * G),
    ("wet", 9.0, FRICTION["wet"] * G),
], ids=["dry_command_below_mu_g", "dry_command_above_mu_g", "wet_command_above_mu_g"])
def test_hard_brake_decelerates_at_the_lesser_of_its_command_and_mu_g_after_the_trigger(
    long_road, condition, command, expected
):
    world = WorldSpec(long_road, (cruiser(speed=25.0, ego=True),),
                      (ActionSpec("ego", "hard_brake", {"time_s": 1.0}, {"decel_mps2": command}),),
                      Environment(condition), dt=DT)
    sim, rec = simulate([world], 3.0)
    assert action_times(sim, 0, "hard_brake") == [pytest.approx(1.0)]
    decel = decelerations(rec, 0, 0)
    t = rec.time_s[:-1]
    assert np.all(decel[t < 1.0 - 1e-9] == 0.0)
    # after the brakes have built up (jerk-limited, < 0.5 s) and while still moving
    settled = (t > 1.5) & (rec.speed[1:, 0, 0] > 0.0)
    assert settled.sum() > 10
    assert decel[settled] == pytest.approx(expected, rel=1e-6)
    assert decel.max() <= expected * (1 + 1e-9)


def test_stop_brings_the_car_to_rest_without_exceeding_its_comfortable_deceleration(long_road):
    world = WorldSpec(long_road, (cruiser(speed=15.0, ego=True),),
                      (ActionSpec("ego", "stop", {"time_s": 1.0}),), dt=DT)
    sim, rec = simulate([world], 14.0)
    speed, t = rec.speed[:, 0, 0], rec.time_s
    assert np.all(speed[t <= 1.0 + 1e-9] == 15.0)
    assert speed[t > 1.5].max() < 15.0
    assert decelerations(rec, 0, 0).max() <= COMFORT_DECEL_CAR + 1e-9
    at_rest = t >= 10.0  # 15 m/s at 2 m/s^2 takes 7.5 s
    assert np.all(speed[at_rest] == 0.0)
    assert np.ptp(rec.x[at_rest, 0, 0]) == 0.0


@pytest.mark.parametrize("halt", [
    ActionSpec("ego", "stop", {"time_s": 0.0}),
    ActionSpec("ego", "hard_brake", {"time_s": 0.0}, {"decel_mps2": 6.0}),
], ids=["after_stop", "after_hard_brake"])
def test_go_resumes_a_halted_car_to_the_given_speed(long_road, halt):
    go = ActionSpec("ego", "go", {"time_s": 8.0}, {"speed_mps": 12.0})
    world = WorldSpec(long_road, (cruiser(speed=10.0, ego=True),), (halt, go), dt=DT)
    sim, rec = simulate([world], 30.0)
    speed, t = rec.speed[:, 0, 0], rec.time_s
    assert np.all(speed[(t > 6.0) & (t <= 8.0 + 1e-9)] == 0.0)
    assert speed[t > 8.5].min() >= 0.0 and speed[-1] == pytest.approx(12.0, abs=0.05)
    assert speed.max() <= 12.0 + 1e-6


def test_go_without_a_speed_resumes_the_speed_the_car_cruised_at(long_road):
    """(it set a desired speed of 0: the car never moved again)"""
    halt = ActionSpec("ego", "stop", {"time_s": 0.0})
    go = ActionSpec("ego", "go", {"time_s": 8.0})
    world = WorldSpec(long_road, (cruiser(speed=10.0, ego=True),), (halt, go), dt=DT)
    sim, rec = simulate([world], 30.0)
    assert rec.speed[rec.time_s <= 8.0, 0, 0].min() == 0.0
    assert rec.speed[-1, 0, 0] == pytest.approx(10.0, abs=0.05)


@pytest.mark.parametrize("new_speed", [8.0, 22.0])
def test_set_speed_changes_the_speed_the_car_settles_at(long_road, new_speed):
    world = WorldSpec(long_road, (cruiser(speed=15.0, ego=True),),
                      (ActionSpec("ego", "set_speed", {"time_s": 1.0},
                                  {"speed_mps": new_speed}),), dt=DT)
    sim, rec = simulate([world], 25.0)
    speed, t = rec.speed[:, 0, 0], rec.time_s
    assert np.all(speed[t <= 1.0 + 1e-9] == 15.0)
    assert speed[-1] == pytest.approx(new_speed, abs=0.05)


# ---- cut_in ---------------------------------------------------------------------------


def cut_in_world(road, lookahead_s=0.5, with_cut_in=True):
    actors = (
        cruiser("ego", "fwd_0", s=50.0, speed=15.0, ego=True),
        cruiser("cutter", "fwd_1", s=72.0, speed=13.0, lane_changes=False),
    )
    actions = (ActionSpec("cutter", "cut_in", {"time_s": 1.0},
                          {"lane": "fwd_0", "lookahead_s": lookahead_s}),) if with_cut_in else ()
    return WorldSpec(road, actors, actions, dt=DT)


def test_cut_in_puts_the_neighbour_into_the_ego_lane_ahead_and_the_ego_brakes(road):
    sim, rec = simulate([cut_in_world(road), cut_in_world(road, with_cut_in=False)], 8.0)
    fwd_0 = road.lane_index("fwd_0")
    fwd_0_y = road.lanes[fwd_0].to_world(0.0, 0.0)[1]
    assert action_times(sim, 0, "cut_in") == [pytest.approx(1.0)]
    assert sim.state.lane[0, 1] == fwd_0
    assert abs(rec.y[-1, 0, 1] - fwd_0_y) < 0.3
    assert np.all(rec.x[:, 0, 1] > rec.x[:, 0, 0])  # ahead of the ego throughout
    gap = rec.x[:, :, 1] - rec.x[:, :, 0]
    t = rec.time_s
    # the ego brakes and drops back behind its new leader; without the cut-in it
    # keeps its speed and closes in on the car in the next lane
    assert decelerations(rec, 0, 0)[t[:-1] > 1.0].max() > 1.0
    assert rec.speed[-1, 0, 0] < 13.5
    assert decelerations(rec, 1, 0).max() == 0.0
    assert gap[-1, 0] > gap[-1, 1]
    assert not sim.outcome(0).collision


def test_cut_in_with_a_shorter_look_ahead_reaches_the_ego_lane_sooner(road):
    sim, rec = simulate([cut_in_world(road, 0.3), cut_in_world(road, 2.0)], 3.0)
    fwd_0_y = road.lanes[road.lane_index("fwd_0")].to_world(0.0, 0.0)[1]
    k = int(round(2.5 / DT))  # 1.5 s after the cut-in began
    offset_sharp, offset_lazy = np.abs(rec.y[k, :, 1] - fwd_0_y)
    assert offset_sharp < offset_lazy


# ---- lateral offsets: placement d, swerve, cut_in offset ------------------------------


def lane_y(road, lane, d=0.0):
    """World y of the point d m left of the (straight, +x) lane's centre."""
    return road.lanes[road.lane_index(lane)].to_world(0.0, d)[1]


def test_a_lane_follower_keeps_the_lateral_offset_it_was_placed_at(road):
    actors = (ActorSpec("cyclist", "bike", lane="fwd_0", s=20.0, d=-0.9, speed_mps=5.0,
                        desired_speed_mps=5.0, behavior="traffic"),
              cruiser("car", "fwd_1", s=20.0, speed=12.0, d=0.6, lane_changes=False))
    sim, rec = simulate([WorldSpec(road, actors, (), dt=DT)], 10.0)
    assert np.all(np.abs(rec.y[:, 0, 0] - lane_y(road, "fwd_0", -0.9)) < 0.02)
    assert np.all(np.abs(rec.y[:, 0, 1] - lane_y(road, "fwd_1", 0.6)) < 0.02)
    assert sim.state.d[0, 0] == pytest.approx(-0.9, abs=0.02)
    assert rec.x[-1, 0, 0] > 60.0 and rec.x[-1, 0, 1] > 120.0


def swerve_world(road, offset=1.0, back_at=6.0, lookahead_s=None):
    params = {"offset_m": offset}
    if lookahead_s is not None:
        params["lookahead_s"] = lookahead_s
    actions = (ActionSpec("car", "swerve", {"time_s": 1.0}, params),
               ActionSpec("car", "swerve", {"time_s": back_at}, {"offset_m": 0.0}))
    return WorldSpec(road, (cruiser("car", "fwd_1", s=20.0, speed=10.0, lane_changes=False),),
                     actions, dt=DT)


def test_swerve_moves_the_actor_sideways_in_its_lane_and_back(road):
    sim, rec = simulate([swerve_world(road, 1.0), swerve_world(road, -1.0)], 12.0)
    t = rec.time_s
    centre = lane_y(road, "fwd_1")
    assert action_times(sim, 0, "swerve") == [pytest.approx(1.0), pytest.approx(6.0)]
    assert np.all(rec.y[t <= 1.0, :, 0] == centre)
    at_5 = np.argmin(np.abs(t - 5.0))
    assert rec.y[at_5, 0, 0] == pytest.approx(centre + 1.0, abs=0.05)
    assert rec.y[at_5, 1, 0] == pytest.approx(centre - 1.0, abs=0.05)
    assert np.all(np.abs(rec.y[-1, :, 0] - centre) < 0.05)  # back on the centre line
    assert np.all(sim.state.lane[:, 0] == road.lane_index("fwd_1"))  # never left its lane
    # a smooth manoeuvre: never beyond the offset by more than a hand's width, no sudden
    # sideways jump between steps
    assert rec.y[:, 0, 0].max() < centre + 1.1 and rec.y[:, 1, 0].min() > centre - 1.1
    assert np.abs(np.diff(rec.y[:, :, 0], axis=0)).max() < 0.05


def test_a_swerve_ends_the_actors_own_lane_changes(road):
    """A fast car behind a slow one would overtake by MOBIL; once it has swerved (a scripted
    manoeuvre, as a cut-in) it stays in its lane and at its offset behind it."""
    def world(swerve):
        actors = (cruiser("fast", "fwd_1", s=20.0, speed=20.0),
                  cruiser("slow", "fwd_1", s=80.0, speed=8.0, lane_changes=False))
        actions = (ActionSpec("fast", "swerve", {"time_s": 0.0}, {"offset_m": 0.5}),) \
            if swerve else ()
        return WorldSpec(road, actors, actions, dt=DT)

    sim, rec = simulate([world(True), world(False)], 12.0)
    assert sim.state.lane[1, 0] == road.lane_index("fwd_0")  # without it: it overtakes
    assert sim.state.lane[0, 0] == road.lane_index("fwd_1")
    assert rec.y[-1, 0, 0] == pytest.approx(lane_y(road, "fwd_1", 0.5), abs=0.05)
    assert not sim.outcome(0).collision


def test_a_swerve_with_a_shorter_look_ahead_is_sharper(road):
    sim, rec = simulate([swerve_world(road, 1.0, 20.0, 0.3),
                         swerve_world(road, 1.0, 20.0, 1.5)], 3.0)
    k = int(round(2.0 / DT))  # 1 s after the swerve began
    sharp, lazy = rec.y[k, :, 0] - lane_y(road, "fwd_1")
    assert sharp > lazy + 0.1


def test_cut_in_with_an_offset_ends_off_centre_in_the_new_lane(road):
    world = WorldSpec(road, (cruiser("car", "fwd_1", s=20.0, speed=10.0, lane_changes=False),),
                      (ActionSpec("car", "cut_in", {"time_s": 1.0},
                                  {"lane": "fwd_0", "offset_m": 0.7}),), dt=DT)
    sim, rec = simulate([world], 8.0)
    assert sim.state.lane[0, 0] == road.lane_index("fwd_0")
    assert rec.y[-1, 0, 0] == pytest.approx(lane_y(road, "fwd_0", 0.7), abs=0.05)


def test_a_lane_change_ends_on_the_new_lane_centre_whatever_the_old_offset(road):
    actors = (cruiser("fast", "fwd_1", s=20.0, speed=20.0, d=0.5),
              cruiser("slow", "fwd_1", s=60.0, speed=8.0, lane_changes=False))
    sim, rec = simulate([WorldSpec(road, actors, (), dt=DT)], 12.0)
    assert sim.state.lane[0, 0] == road.lane_index("fwd_0")  # overtook on the right
    assert rec.y[-1, 0, 0] == pytest.approx(lane_y(road, "fwd_0"), abs=0.05)


def test_an_actor_swerving_over_the_lane_line_is_seen_by_the_traffic_of_the_next_lane(road):
    """A car in fwd_1 swerves 2 m or 3.5 m to the right, over the line into fwd_0, in front
    of a faster car there: that car slows behind it instead of driving into it (it still
    follows its own lane's order, where the swerving car is not)."""
    worlds = []
    for offset in (-2.0, -3.5, -1.0):
        actors = (cruiser("swerver", "fwd_1", s=60.0, speed=10.0, lane_changes=False),
                  cruiser("ego", "fwd_0", s=20.0, speed=15.0, lane_changes=False, ego=True))
        worlds.append(WorldSpec(road, actors, (ActionSpec("swerver", "swerve", {"time_s": 1.0},
                                                          {"offset_m": offset}),), dt=DT))
    sim, rec = simulate(worlds, 20.0)
    for w in range(3):
        assert not sim.outcome(w).collision
        assert sim.state.lane[w, 0] == road.lane_index("fwd_1")
    assert rec.speed[:, 0, 1].min() < 10.5 and rec.speed[:, 1, 1].min() < 10.5  # followed it
    assert rec.speed[:, 2, 1].min() == 15.0  # 1 m off centre it stays in its own lane


@pytest.mark.parametrize(("action", "params", "needs"), [
    ("swerve", {"lookahead_s": 0.5}, "offset_m"), ("cut_in", {"lookahead_s": 0.5}, "lane"),
    ("wrong_way", {}, "lane")])
def test_an_action_missing_what_it_cannot_do_without_is_an_error(road, action, params, needs):
    from simdrive.errors import WorldError

    world = WorldSpec(road, (cruiser("car", "fwd_1"),),
                      (ActionSpec("car", action, {"time_s": 1.0}, params),), dt=DT)
    with pytest.raises(WorldError, match=f"{action} needs {needs}"):
        Simulation([world], threads=1)


# ---- run_red_light, wrong_way, cross_road --------------------------------------------


def test_a_parked_car_told_to_go_pulls_out_of_its_bay_into_the_traffic_lane():
    """go (and cut_in, set_speed, run_red_light) set a parked or static actor off along
    its lane: here out of a parking bay, then into the traffic lane (both did nothing
    before, though the events said they took effect)."""
    road = build_map({"type": "straight", "lanes": 1, "length": 400.0, "sidewalks": "both",
                      "parking": "right"})
    bay = road.lanes[road.lane_index("parking_right")].to_world(100.0, 0.0)
    actors = (ActorSpec("car", "parked", lane="parking_right", s=100.0, behavior="static"),
              ActorSpec("car", "still", lane="parking_right", s=150.0, behavior="static"))
    actions = (ActionSpec("parked", "go", {"time_s": 1.0}, {"speed_mps": 6.0}),
               ActionSpec("parked", "cut_in", {"time_s": 2.0}, {"lane": "fwd_0"}))
    sim = Simulation([WorldSpec(road, actors, actions, dt=DT)], threads=1)
    rec = sim.run(12.0, record_every=1)
    start = int(round(1.0 / DT))
    assert np.all(rec.x[:start, 0, 0] == bay[0])  # parked until told
    lane_y = road.lanes[road.lane_index("fwd_0")].to_world(0.0, 0.0)[1]
    assert abs(rec.y[-1, 0, 0] - lane_y) < 0.2 and rec.x[-1, 0, 0] > 150.0
    assert rec.speed[-1, 0, 0] == pytest.approx(6.0, abs=0.2)
    assert np.all(rec.speed[:, 0, 1] == 0.0)  # the one not told stays
    assert sim.outcome(0).collisions == 0


def test_red_light_runner_crosses_while_a_signal_obeying_car_stops_at_the_line(junction):
    # offset 25 s: west/east (group 0) show red for the first 25 s
    env = Environment(signal_offset_s=25.0)
    stop_line_x = junction.lanes[junction.lane_index("west_in_0")].points[-1][0]
    obeying = ActorSpec("car", "car", lane="west_in_0", s=10.0, speed_mps=10.0)
    runner = ActionSpec("car", "run_red_light", {"time_s": 0.0}, {"speed_mps": 10.0})
    worlds = [WorldSpec(junction, (obeying,), (), env, dt=DT),
              WorldSpec(junction, (obeying,), (runner,), env, dt=DT)]
    sim, rec = simulate(worlds, 15.0)
    half_length = sim.state.length[0, 0] / 2
    assert np.all(rec.x[:, 0, 0] + half_length <= stop_line_x + 1e-6)
    assert sim.state.lane[0, 0] == junction.lane_index("west_in_0")
    assert rec.speed[-1, 0, 0] < 0.05
    assert sim.state.lane[1, 0] == junction.lane_index("east_out_0")
    assert rec.x[-1, 1, 0] > 20.0


def test_wrong_way_drives_the_car_against_the_direction_of_the_oncoming_lane(road):
    bwd_1 = road.lane_index("bwd_1")
    lane = road.lanes[bwd_1]
    world = WorldSpec(road, (cruiser("car", "fwd_1", s=100.0, speed=10.0),),
                      (ActionSpec("car", "wrong_way", {"time_s": 1.0}, {"lane": "bwd_1"}),),
                      dt=DT)
    sim = Simulation([world], threads=1)
    sim.run(5.0)
    assert sim.state.lane[0, 0] == bwd_1
    s_before = sim.state.s[0, 0]
    sim.run(3.0)
    s_after = sim.state.s[0, 0]
    x, y, heading = sim.state.x[0, 0], sim.state.y[0, 0], sim.state.heading[0, 0]
    s_lane, d_lane = lane.to_frenet(x, y)
    assert abs(d_lane) < 0.3
    assert math.cos(heading - lane.heading_at(s_lane)) < -0.95  # facing the oncoming traffic
    assert s_after < s_before - 20.0  # about 10 m/s against the lane's arc length


def test_cross_road_walks_the_pedestrian_to_the_point_and_stops_it_there(road):
    start = (100.0, -8.0)
    target = (100.0, 8.0)
    walker = ActorSpec("adult", "walker", x=start[0], y=start[1], heading=math.pi / 2)
    cross = ActionSpec("walker", "cross_road", {"time_s": 0.5},
                       {"x": target[0], "y": target[1], "speed_mps": 1.4})
    sim, rec = simulate([WorldSpec(road, (walker,), (cross,), dt=DT)], 20.0)
    t = rec.time_s
    assert np.all(rec.speed[t <= 0.5 + 1e-9, 0, 0] == 0.0)
    assert rec.speed[:, 0, 0].max() == pytest.approx(1.4, abs=0.01)
    assert math.hypot(rec.x[-1, 0, 0] - target[0], rec.y[-1, 0, 0] - target[1]) < 0.35
    resting = t >= 17.0  # 16 m at 1.4 m/s takes about 12 s
    assert np.all(rec.speed[resting, 0, 0] == 0.0)
    assert np.ptp(rec.x[resting, 0, 0]) == 0.0 and np.ptp(rec.y[resting, 0, 0]) == 0.0


def test_a_ball_is_kicked_across_on_ice_at_once_and_stops_for_nobody(road):
    """A ball sent across takes no grip to get going (on ice, mu 0.1, a walker gains at
    most 0.98 m/s a second; the ball has its 4 m/s within a second, as a kick gives it)
    and, nobody steering it, rolls on into a car crossing its way where a walker slows
    for the car."""
    runs = {}
    for kind in ("ball", "adult"):
        mover = ActorSpec(kind, "m", x=100.0, y=-8.0, heading=math.pi / 2)
        car = ActorSpec("car", "car", lane="fwd_0", s=70.0, speed_mps=10.0)
        cross = ActionSpec("m", "cross_road", {"time_s": 2.0},
                           {"x": 100.0, "y": 8.0, "speed_mps": 4.0 if kind == "ball" else 2.0})
        runs[kind] = simulate([WorldSpec(road, (mover, car), (cross,), Environment("ice"),
                                         dt=DT)], 6.0)
    sim, rec = runs["ball"]
    t, speed = rec.time_s, rec.speed[:, 0, 0]
    mu_g = FRICTION["ice"] * G
    assert speed[t <= 2.0 + 1e-9].max() == 0.0
    assert speed[np.argmin(np.abs(t - 3.0))] > 3.8 > 3.0 * mu_g * 1.0  # 1 s after the kick
    hit = [e.time_s for e in sim.events(0) if e.kind == "collision"]
    assert hit, "the ball rolled on into the car"
    before = (t > 3.0) & (t < hit[0])
    assert np.all(np.diff(speed[before]) >= -1e-9)  # it never slowed for the car
    walker_sim, walker = runs["adult"]
    assert not [e for e in walker_sim.events(0) if e.kind == "collision"]
    slow = walker.speed[:, 0, 0]
    assert slow[np.argmin(np.abs(t - 3.0))] <= mu_g * 1.0 + 1e-9  # grip-bound
    assert np.diff(slow[t < 4.0]).min() < -0.01  # it slowed for the car


# ---- triggers ---------------------------------------------------------------------------


def first_time(rec, holds):
    """Recorded time of the first frame where the boolean array ``holds`` is True."""
    assert holds.any(), "the trigger condition never held"
    return float(rec.time_s[np.argmax(holds)])


def trigger_world(road, trigger, actor="parked", delay_s=0.0):
    actors = (
        cruiser("ego", "fwd_0", s=20.0, speed=10.0, ego=True),
        ActorSpec("car", "parked", lane="fwd_1", s=120.0, desired_speed_mps=0.0),
        cruiser("oncoming", "bwd_1", s=380.0, speed=12.0),
    )
    action = ActionSpec(actor, "set_speed", trigger, {"speed_mps": 5.0}, delay_s=delay_s)
    return WorldSpec(road, actors, (action,), dt=DT)


def distance(rec, a, b):
    return np.hypot(rec.x[:, 0, a] - rec.x[:, 0, b], rec.y[:, 0, a] - rec.y[:, 0, b])


EGO, PARKED, ONCOMING = 0, 1, 2

TRIGGER_CASES = {
    "time_s": ({"time_s": 2.0}, "parked", lambda rec: rec.time_s >= 2.0 - 1e-9),
    "ego_distance_below_m": ({"ego_distance_below_m": 40.0}, "parked",
                             lambda rec: distance(rec, PARKED, EGO) < 40.0),
    "reach_point": ({"reach_point": {"x": 80.0, "y": -5.25, "radius": 2.0}}, "ego",
                    lambda rec: np.hypot(rec.x[:, 0, EGO] - 80.0,
                                         rec.y[:, 0, EGO] + 5.25) < 2.0),
    "actor_distance_below_m": ({"actor_distance_below_m": {"actor": "oncoming",
                                                           "distance": 30.0}}, "parked",
                               lambda rec: distance(rec, PARKED, ONCOMING) < 30.0),
    "ego_time_below_s": ({"ego_time_below_s": 3.0}, "parked",
                         lambda rec: distance(rec, PARKED, EGO) < 3.0 * rec.speed[:, 0, EGO]),
}


@pytest.mark.parametrize("delay_s", [0.0, 1.5])
@pytest.mark.parametrize("name", sorted(TRIGGER_CASES))
def test_action_takes_effect_at_the_first_step_its_trigger_holds_plus_its_delay(
    road, name, delay_s
):
    trigger, actor, condition = TRIGGER_CASES[name]
    sim, rec = simulate([trigger_world(road, trigger, actor, delay_s)], 12.0)
    expected = first_time(rec, condition(rec)) + delay_s
    assert expected > 0.5  # the condition does not hold from the start
    assert action_times(sim, 0, "set_speed") == [pytest.approx(expected, abs=1e-9)]
    actor_index = sim.actor_names[0].index(actor)
    speed = rec.speed[:, 0, actor_index]
    fired = rec.time_s > expected + 1e-9
    assert np.all(speed[~fired] == speed[0])  # nothing changes before the action
    assert speed[-1] != pytest.approx(speed[0], abs=0.5)


# ---- environment change ---------------------------------------------------------------


def test_braking_after_the_road_freezes_is_limited_to_a_tenth_of_g(long_road):
    env = Environment("dry", change_time_s=2.0, road_condition_after="ice")
    world = WorldSpec(long_road, (cruiser(speed=30.0, ego=True),),
                      (ActionSpec("ego", "hard_brake", {"time_s": 0.5}, {"decel_mps2": 9.0}),),
                      env, dt=DT)
    sim, rec = simulate([world], 5.0)
    decel, t = decelerations(rec, 0, 0), rec.time_s[:-1]
    dry = (t > 1.0) & (t < 2.0 - 1e-9)
    icy = t >= 2.0 - 1e-9
    assert decel[dry] == pytest.approx(FRICTION["dry"] * G, rel=1e-6)
    assert decel[icy] == pytest.approx(FRICTION["ice"] * G, rel=1e-6)
    assert rec.speed[-1, 0, 0] > 0.0


@pytest.mark.parametrize(("actor", "match"), [
    (ActorSpec("car", "ego", lane="fwd_0", s=3500.0, ego=True), "s = 3500 m is off lane fwd_0"),
    (ActorSpec("car", "ego", lane="fwd_0", s=-50.0, ego=True), "s = -50 m is off lane"),
    (ActorSpec("tyre", "tyre", lane="fwd_0", s=50.0, speed_mps=20.0), "a tyre is static"),
    (ActorSpec("deer", "deer", x=5.0, y=3.0, speed_mps=40.0, behavior="walk_to",
               goal=(50.0, 3.0)), "beyond a deer's top speed"),
    (ActorSpec("cyclist", "bike", lane="fwd_0", s=5.0, desired_speed_mps=25.0),
     "desired_speed_mps is beyond a cyclist's top speed"),
    (ActorSpec("adult", "walker", x=5.0, y=8.0, heading=0.0, speed_mps=1.4),
     r"an adult with behavior 'static' \(the default off a lane\) never moves"),
    (ActorSpec("deer", "deer", lane="fwd_0", s=50.0, speed_mps=3.0, behavior="static"),
     "a deer with behavior 'static' never moves, so it takes no speed_mps")])
def test_actors_off_their_lane_or_beyond_their_kinds_speeds_are_errors(long_road, actor,
                                                                        match):
    """The Python API refuses what a scenario file is refused for: a lane position off the
    map (it was extrapolated past the road's end), a static actor with a speed (it stayed
    put while drivers behind took it for a leader driving off), a speed above the kind's
    top speed (a deer ran at 40 m/s)."""
    from simdrive.errors import WorldError

    with pytest.raises(WorldError, match=match):
        Simulation([WorldSpec(long_road, (actor,), (), dt=DT)], threads=1)


def test_a_cyclist_given_a_speed_on_a_lane_rides_it_as_in_a_scenario_file(long_road):
    """A review: through the Python API a cyclist placed on a lane with a speed and no
    behavior stood still (static, the default of walkers and animals) while reporting its
    speed; a scenario file makes it a lane follower, and so does the API now."""
    world = WorldSpec(long_road, (ActorSpec("car", "ego", lane="fwd_0", s=5.0, speed_mps=10.0,
                                            ego=True),
                                  ActorSpec("cyclist", "bike", lane="fwd_0", s=60.0,
                                            speed_mps=5.0)), (), dt=DT)
    sim, rec = simulate([world], 4.0)
    assert rec.x[-1, 0, 1] - rec.x[0, 0, 1] == pytest.approx(5.0 * 4.0, rel=0.02)
    assert sim.state.speed[0, 1] == pytest.approx(5.0, abs=0.05)
