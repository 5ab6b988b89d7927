"""Whole-simulation physics against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simdrive.core import layout as L
from simdrive.sim import ActionSpec, ActorSpec, Simulation, WorldSpec
from simdrive.world.environment import FRICTION, Environment
from simdrive.world.maps import build_map
from tests.core import naive

G = L.GRAVITY


@pytest.fixture(scope="module")
def long_road():
    return build_map({"type": "straight", "lanes": 1, "one_way": True, "length": 5000.0,
                      "sidewalks": "none"})


def blind_ego(s: float, speed: float) -> ActorSpec:
    """The ego car on fwd_0 at constant ``speed``, braking for nothing."""
    return ActorSpec("car", "ego", lane="fwd_0", s=s, speed_mps=speed, desired_speed_mps=speed,
                     watches_road=False, ego=True)


def crosser(road, kind: str, name: str, start_y: float, speed: float) -> ActorSpec:
    """A pedestrian or animal walking across fwd_0 at s = 200 m (towards +y), from
    ``start_y`` m off the lane centre, blind to the traffic."""
    x, y, _ = road.lanes[road.lane_index("fwd_0")].to_world(200.0, 0.0)
    return ActorSpec(kind, name, x=x, y=y + start_y, heading=math.pi / 2, behavior="walk_to",
                     goal=(x, y + 4.0), speed_mps=speed, desired_speed_mps=speed,
                     watches_road=False)


def coasting(road, actors, dt: float = 0.05, **kwargs) -> Simulation:
    """A simulation of one world whose actors never speed up (only impacts change speed)."""
    sim = Simulation([WorldSpec(road, actors, dt=dt)], **kwargs)
    sim.blocks.params[:, L.P_MAX_ACCEL] = 0.0
    return sim


def step_until_collision(sim: Simulation, max_steps: int) -> None:
    for _ in range(max_steps):
        sim.step(1)
        if sim.outcome(0).collision:
            return


def braking_world(road, condition, speed=25.0, dt=0.05):
    actors = (ActorSpec("car", "ego", lane="fwd_0", s=50.0, speed_mps=speed,
                        desired_speed_mps=speed, ego=True),)
    actions = (ActionSpec("ego", "hard_brake", {"time_s": 0.0}, {"decel_mps2": 50.0}),)
    return WorldSpec(road, actors, actions, Environment(condition), dt=dt)


def stop_distance(sim, w, n_steps=400):
    x0, y0 = sim.state.x[w, 0], sim.state.y[w, 0]
    sim.step(n_steps)
    assert sim.state.speed[w, 0] == 0.0
    assert sim.state.y[w, 0] == pytest.approx(y0, abs=1e-9)  # straight line
    return sim.state.x[w, 0] - x0


@pytest.mark.parametrize("condition", sorted(FRICTION))
def test_braking_distance_is_v2_over_2_mu_g_with_instant_brakes(long_road, condition):
    sim = Simulation([braking_world(long_road, condition)])
    sim.blocks.params[:, L.P_MAX_JERK] = 1e12  # isolate friction from brake build-up
    distance = stop_distance(sim, 0, n_steps=int(40 / 0.05))
    mu = FRICTION[condition]
    assert distance == pytest.approx(25.0**2 / (2 * mu * G), rel=1e-9)


@pytest.mark.parametrize("condition", sorted(FRICTION))
def test_braking_distance_with_brake_build_up_matches_the_jerk_limited_closed_form(
    long_road, condition
):
    sim = Simulation([braking_world(long_road, condition, dt=0.01)])
    jerk = sim.blocks.params[0, L.P_MAX_JERK, 0]
    distance = stop_distance(sim, 0, n_steps=int(40 / 0.01))
    v, a = 25.0, FRICTION[condition] * G
    t_ramp = a / jerk
    v_ramp = v - 0.5 * jerk * t_ramp**2
    expected = v * t_ramp - jerk * t_ramp**3 / 6 + v_ramp**2 / (2 * a)
    assert distance == pytest.approx(expected, rel=5e-3)
    assert distance > v**2 / (2 * a)


def test_ice_needs_eight_times_the_dry_braking_distance(long_road):
    sim = Simulation([braking_world(long_road, c) for c in ("dry", "ice")])
    sim.blocks.params[:, L.P_MAX_JERK] = 1e12
    x0 = sim.state.x[:, 0].copy()
    sim.step(1000)
    dry, ice = sim.state.x[:, 0] - x0
    assert ice / dry == pytest.approx(FRICTION["dry"] / FRICTION["ice"], rel=1e-9)


@pytest.mark.parametrize("leader_speed", [10.0, 20.0])
def test_idm_follower_settles_at_the_equilibrium_gap(long_road, leader_speed):
    actors = (
        ActorSpec("car", "follower", lane="fwd_0", s=20.0, speed_mps=leader_speed,
                  desired_speed_mps=30.0, ego=True),
        ActorSpec("car", "leader", lane="fwd_0", s=120.0, speed_mps=leader_speed,
                  desired_speed_mps=leader_speed),
    )
    sim = Simulation([WorldSpec(long_road, actors, dt=0.05)])
    sim.step(int(150 / 0.05))
    gap = sim.state.x[0, 1] - sim.state.x[0, 0] - sim.state.length[0, 0]
    T = sim.blocks.params[0, L.P_TIME_HEADWAY, 0]
    s0 = sim.blocks.params[0, L.P_MIN_GAP, 0]
    assert sim.state.speed[0, 0] == pytest.approx(leader_speed, rel=1e-4)
    assert gap == pytest.approx(naive.idm_equilibrium_gap(leader_speed, 30.0, T, s0), rel=1e-3)


def test_head_on_collision_at_high_speed_does_not_tunnel(long_road):
    # closing at 120 m/s with dt = 0.1 s: 12 m per step, almost six motorcycle lengths
    # (60 m/s: a motorcycle's top speed; a car's is 55)
    actors = (
        ActorSpec("motorcycle", "a", lane="fwd_0", s=100.0, speed_mps=60.0,
                  desired_speed_mps=60.0, watches_road=False, ego=True),
        ActorSpec("motorcycle", "b", lane="fwd_0", s=400.0, speed_mps=60.0,
                  desired_speed_mps=60.0,
                  direction=-1, behavior="follow_lane", watches_road=False),
    )
    sim = Simulation([WorldSpec(long_road, actors, dt=0.1)])
    sim.blocks.params[:, L.P_MAX_ACCEL] = 0.0  # keep the speeds constant
    sim.step(40)
    collisions = [e for e in sim.events(0) if e.kind == "collision"]
    assert len(collisions) == 1
    length = sim.state.length[0, 0]
    t_contact = (300.0 - length) / 120.0
    assert collisions[0].time_s == pytest.approx(t_contact, abs=0.1 / 12)
    assert collisions[0].relative_speed_mps == pytest.approx(120.0, rel=1e-6)
    assert sim.outcome(0).collision


def test_fast_car_hits_a_child_crossing_its_path(long_road):
    # the child reaches the lane centre at t = 2 s, when the car does
    sim = coasting(long_road, (blind_ego(100.0, 50.0),
                               crosser(long_road, "child", "child", -4.0, 2.0)), dt=0.1)
    sim.step(60)
    hits = [e for e in sim.events(0) if e.kind == "collision"]
    assert [(e.actor, e.other) for e in hits] == [("ego", "child")]


@pytest.mark.parametrize("kind", ["child", "deer"])
def test_a_struck_pedestrian_or_animal_is_carried_along_not_driven_through(long_road, kind):
    # struck by the car's front: plastic along the contact normal (the car's heading), the
    # child (21 kg) or deer (70 kg) keeps its own sideways walk and takes the car's
    # forward speed shared by momentum; it slides on facing as it did, both skid to a
    # halt, and the car never passes into it (the deer is 1.6 m long across the car)
    sim = coasting(long_road, (blind_ego(100.0, 20.0),
                               crosser(long_road, kind, "child", -4.0, 0.8)))
    step_until_collision(sim, 400)
    assert sim.outcome(0).collision_with == "child"
    m_car, m_child = sim.blocks.params[0, L.P_MASS, :2]
    forward = 20.0 * m_car / (m_car + m_child)  # momentum along the normal, shared
    assert sim.state.speed[0, 0] == pytest.approx(forward, rel=1e-9)
    assert sim.state.speed[0, 1] == pytest.approx(math.hypot(forward, 0.8), rel=1e-9)
    velocity = sim.blocks.fstate[0, [L.F_VX, L.F_VY], 1]
    np.testing.assert_allclose(velocity, (forward, 0.8), rtol=1e-9)
    assert sim.state.heading[0, 1] == pytest.approx(math.pi / 2)  # not spun round
    hit_x = sim.state.x[0, 1]
    car_front = sim.state.x[0, 0] + sim.state.length[0, 0] / 2
    sim.step(80)  # 4 s: both skid to a halt (20 m/s at ~8 m/s^2 takes 2.5 s, ~25 m)
    assert sim.state.speed[0].max() == 0.0
    assert sim.state.x[0, 1] - hit_x > 15.0  # carried, not left where it was struck
    moved_front = sim.state.x[0, 0] + sim.state.length[0, 0] / 2
    child_back = sim.state.x[0, 1] - sim.state.width[0, 1] / 2  # it faces +y
    assert moved_front - car_front > 15.0
    assert moved_front <= child_back + 1e-6  # in front of the car, not in it


def test_a_pedestrian_brushed_by_a_cars_flank_is_not_carried_along(long_road):
    # walking into the side of a passing car: the impulse is along the side's normal,
    # which takes away the walk towards the car; nothing pushes the walker forward
    sim = coasting(long_road, (blind_ego(198.0, 10.0),
                               crosser(long_road, "adult", "walker", -1.3, 1.5)))
    step_until_collision(sim, 100)
    assert sim.outcome(0).collision_with == "walker"
    x_hit = sim.state.x[0, 1]
    assert sim.state.speed[0, 1] < 0.2  # its walk into the car taken away
    assert sim.state.speed[0, 0] == pytest.approx(10.0, abs=0.05)  # the car drives on
    sim.step(40)
    assert abs(sim.state.x[0, 1] - x_hit) < 0.1  # left where it was, not carried 15 m


@pytest.mark.parametrize("kind, speed", [("tyre", 24.0), ("child", 15.0), ("car", 15.0)])
def test_an_actor_standing_still_is_struck_loose_not_a_wall(long_road, kind, speed):
    # a tyre on the road, a child standing in the lane, a parked car: momentum is shared,
    # both skid to a halt with the struck one ahead, and nothing stops the striking car
    # dead (a tyre did from 24 m/s, a standing child from 15 m/s, in one step)
    sim = coasting(long_road, (blind_ego(20.0, speed),
                               ActorSpec(kind, "still", lane="fwd_0", s=80.0, behavior="static")))
    step_until_collision(sim, 200)
    assert sim.outcome(0).collision_with == "still"
    m_car, m_still = sim.blocks.params[0, L.P_MASS, :2]
    shared = speed * m_car / (m_car + m_still)
    assert sim.state.speed[0, 0] == pytest.approx(shared, rel=1e-9)
    assert sim.state.speed[0, 1] == pytest.approx(shared, rel=1e-9)
    x_hit = sim.state.x[0, 1]
    sim.step(100)
    assert sim.state.speed[0].max() == 0.0
    slide = shared ** 2 / (2 * FRICTION["dry"] * G)  # both skid at the friction limit
    assert sim.state.x[0, 1] - x_hit == pytest.approx(slide, rel=0.05)
    front = sim.state.x[0, 0] + sim.state.length[0, 0] / 2
    assert front <= sim.state.x[0, 1] - sim.state.length[0, 1] / 2 + 0.01  # not inside it


def test_a_heavier_car_driving_into_a_stopped_one_is_stopped_at_contact(long_road):
    # head-on: the car (1,300 kg) cannot be pushed backwards (no reverse speed), so the
    # van (2,300 kg) that keeps the common velocity would drive on through it; every
    # further push is another impact, and the van stops against the car
    sim = coasting(long_road, (blind_ego(100.0, 12.0),
                               ActorSpec("van", "ghost", lane="fwd_0", s=160.0, speed_mps=12.0,
                                         desired_speed_mps=12.0, direction=-1,
                                         behavior="follow_lane", watches_road=False)))
    deepest = 0.0
    for _ in range(120):  # 6 s: the impact at ~2.3 s, then both at rest
        sim.step(1)
        front_car = sim.state.x[0, 0] + sim.state.length[0, 0] / 2
        front_van = sim.state.x[0, 1] - sim.state.length[0, 1] / 2
        deepest = max(deepest, front_car - front_van)
    assert [e.kind for e in sim.events(0)].count("collision") == 1
    assert sim.state.speed[0].max() == 0.0
    assert deepest < 0.05  # 0.7 m before the pushes were impacts


@pytest.mark.parametrize("event_capacity", [64, 1])
def test_a_car_shoved_into_a_stalled_truck_is_not_pushed_through_it(long_road, event_capacity):
    # a chain: the first car stops against the static truck, the second rear-ends it;
    # the impact that stops the first against the truck must stop the second too
    actors = (
        blind_ego(20.0, 25.0),
        ActorSpec("car", "first", lane="fwd_0", s=80.0, speed_mps=10.0, desired_speed_mps=10.0,
                  behavior="follow_lane", watches_road=False),
        ActorSpec("truck", "stalled", lane="fwd_0", s=110.0, behavior="static"),
    )
    # (with a one-event buffer the second impact is not recorded: contact must still hold)
    sim = coasting(long_road, actors, event_capacity=event_capacity)
    deepest = [0.0, 0.0]
    for _ in range(160):  # 8 s
        sim.step(1)
        x, half = sim.state.x[0], sim.state.length[0] / 2
        deepest[0] = max(deepest[0], (x[0] + half[0]) - (x[1] - half[1]))  # ego into first
        deepest[1] = max(deepest[1], (x[1] + half[1]) - (x[2] - half[2]))  # first into truck
    pairs = {(e.actor, e.other) for e in sim.events(0) if e.kind == "collision"}
    assert pairs == ({("first", "stalled"), ("ego", "first")} if event_capacity > 1
                     else {("first", "stalled")})
    assert sim.blocks.metrics[0, L.M_COLLISIONS] == 2  # counted, recorded or not
    assert deepest[0] < 0.02 and deepest[1] < 0.02  # ~1 m into each other before


def test_curve_is_held_on_dry_road_and_run_wide_on_ice():
    curve = build_map({"type": "curved", "radius": 60.0, "length": 150.0, "lanes": 1,
                       "one_way": True, "sidewalks": "none"})
    worlds = [
        WorldSpec(curve, (ActorSpec("car", "ego", lane="fwd_0", s=5.0, speed_mps=12.0,
                                    desired_speed_mps=12.0, ego=True),),
                  environment=Environment(condition))
        for condition in ("dry", "ice")
    ]
    sim = Simulation(worlds)
    offsets = []
    for _ in range(100):
        sim.step(1)
        offsets.append(np.abs(sim.state.d[:, 0]))
    worst = np.max(offsets, axis=0)
    # 12 m/s on R = 60 m needs 2.4 m/s^2: fine on dry asphalt, twice what ice gives
    assert worst[0] < 0.3
    assert worst[1] > 1.5


def test_a_car_hitting_a_static_obstacle_stops_at_the_point_of_contact(long_road):
    actors = (
        ActorSpec("car", "ego", lane="fwd_0", s=10.0, speed_mps=20.0, desired_speed_mps=20.0,
                  watches_road=False, ego=True),
        ActorSpec("truck", "stalled", lane="fwd_0", s=100.0, behavior="static"),
    )
    sim = Simulation([WorldSpec(long_road, actors, dt=0.1)])
    sim.step(80)
    gap = (sim.state.x[0, 1] - sim.state.length[0, 1] / 2) - (
        sim.state.x[0, 0] + sim.state.length[0, 0] / 2)
    assert sim.outcome(0).collision_with == "stalled"
    assert -0.01 <= gap <= 0.0  # stopped where it touched, not inside the truck
    assert sim.state.speed[0, 0] == 0.0


def test_a_rear_end_impact_conserves_momentum(long_road):
    actors = (
        ActorSpec("car", "ego", lane="fwd_0", s=10.0, speed_mps=25.0, desired_speed_mps=25.0,
                  watches_road=False, ego=True),
        ActorSpec("truck", "slow", lane="fwd_0", s=60.0, speed_mps=10.0, desired_speed_mps=10.0,
                  behavior="follow_lane"),
    )
    # the ego does not brake for the truck: the impact alone changes the speeds
    sim = Simulation([WorldSpec(long_road, actors, dt=0.05)])
    for _ in range(200):
        sim.step(1)
        if sim.outcome(0).collision:
            break
    m_car, m_truck = sim.blocks.params[0, L.P_MASS, :2]
    v_common = (m_car * 25.0 + m_truck * 10.0) / (m_car + m_truck)
    assert sim.state.speed[0, 0] == pytest.approx(v_common, rel=1e-9)
    assert sim.state.speed[0, 1] == pytest.approx(v_common, rel=1e-9)


def test_an_impact_says_which_face_it_is_on_and_how_fast_the_pair_closed(long_road):
    # a review could not tell a walker walking into the ego's flank (1.5 m/s) from a
    # frontal strike: both were "collision with walker" at the car's 10 m/s
    flank = coasting(long_road, (blind_ego(198.0, 10.0),
                                 crosser(long_road, "adult", "walker", -1.3, 1.5)))
    step_until_collision(flank, 100)
    side = flank.outcome(0)
    assert side.collision_with == "walker" and side.ego_impact_face == "right"
    # the normal is the car's side: only the walk closes along it, not the car's speed
    assert side.ego_closing_speed_at_impact_mps == pytest.approx(1.5, abs=0.05)
    (event,) = [e for e in flank.events(0) if e.kind == "collision"]
    assert (event.face, event.other_face) == ("right", "front")  # the walker faces +y
    assert event.relative_speed_mps == pytest.approx(math.hypot(10.0, 1.5), abs=0.05)

    front = Simulation([WorldSpec(long_road, (
        blind_ego(10.0, 20.0), ActorSpec("truck", "stalled", lane="fwd_0", s=100.0,
                                         behavior="static")), dt=0.1)])
    front.step(80)
    head_on = front.outcome(0)
    assert head_on.ego_impact_face == "front"
    assert head_on.ego_closing_speed_at_impact_mps == pytest.approx(20.0, abs=1e-6)
    (event,) = [e for e in front.events(0) if e.kind == "collision"]
    assert {(event.actor, event.face), (event.other, event.other_face)} == {
        ("ego", "front"), ("stalled", "rear")}
