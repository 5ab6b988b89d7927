"""How simulated road users behave on their own: traffic, junctions, perception, walkers.

Every test builds small worlds through the public API and checks the recorded
trajectories (recording k holds the state at the start of step k).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from shapely.geometry import LineString, Point, Polygon

from simdrive.packing import TURNS
from simdrive.sim import ActionSpec, ActorSpec, Simulation, WorldSpec
from simdrive.world.actors import actor_kind
from simdrive.world.environment import Environment
from simdrive.world.maps import build_map

DT = 0.05
CAR_LENGTH = 4.28  # m, the car kind


@pytest.fixture(scope="module")
def long_road():
    """3 km of one-way single-lane road along +x (fwd_0 at y = -1.75), nothing else."""
    return build_map({"type": "straight", "lanes": 1, "one_way": True, "length": 3000.0,
                      "sidewalks": "none"})


@pytest.fixture(scope="module")
def two_lane_road():
    """3 km of one-way road along +x: fwd_0 (right, y = -5.25) and fwd_1 (left, y = -1.75)."""
    return build_map({"type": "straight", "lanes": 2, "one_way": True, "length": 3000.0,
                      "sidewalks": "none"})


@pytest.fixture(scope="module")
def street():
    """600 m two-way street, one lane each way (|y| < 3.5), sidewalks centred on y = +-4.5."""
    return build_map({"type": "straight", "lanes": 1, "length": 600.0, "sidewalks": "both"})


@pytest.fixture(scope="module")
def junction():
    """Signalised four-way junction centred on (0, 0), arms 60 m long."""
    return build_map({"type": "intersection"})


@pytest.fixture(scope="module")
def bend():
    """One-way left-hand bend (R = 100 m) with a parking strip on its inside."""
    return build_map({"type": "curved", "radius": 100.0, "length": 250.0, "lanes": 1,
                      "one_way": True, "sidewalks": "left", "parking": "left"})


def simulate(worlds, duration_s):
    sim = Simulation(worlds, threads=1)
    return sim, sim.run(duration_s, record_every=1)


def decelerations(rec, w, i):
    """Deceleration of actor i in world w during each step, m/s^2 (positive: slowing)."""
    return -np.diff(rec.speed[:, w, i]) / DT


def braking_onset_s(rec, w, i, threshold=0.05):
    """Start time of the first step in which actor i slows by more than ``threshold`` m/s^2."""
    braking = decelerations(rec, w, i) > threshold
    assert braking.any(), "the actor never brakes"
    return float(rec.time_s[np.argmax(braking)])


def car(name, lane, s, speed, **kw):
    return ActorSpec("car", name, lane=lane, s=s, speed_mps=speed, desired_speed_mps=speed, **kw)


# ---- the speed a vehicle cruises at -----------------------------------------------------


def test_a_vehicle_cruises_at_its_given_speed_else_at_the_lane_limit(long_road):
    limit = float(long_road.lanes[long_road.lane_index("fwd_0")].speed_limit)
    actors = (ActorSpec("car", "given", lane="fwd_0", s=10.0, speed_mps=8.0),
              ActorSpec("car", "from_rest", lane="fwd_0", s=400.0),
              ActorSpec("car", "told", lane="fwd_0", s=800.0, speed_mps=8.0,
                        desired_speed_mps=12.0))
    _, rec = simulate([WorldSpec(long_road, actors, (), dt=DT)], 40.0)
    assert limit > 13.0
    assert np.all(np.abs(rec.speed[:, 0, 0] - 8.0) < 1e-9)  # highway-env's convention
    assert rec.speed[-1, 0, 1] == pytest.approx(limit, abs=0.3)
    assert rec.speed[-1, 0, 2] == pytest.approx(12.0, abs=0.2)


# ---- traffic: MOBIL and IDM ------------------------------------------------------------


def overtaking_world(road, lane_changes):
    actors = (
        ActorSpec("truck", "truck", lane="fwd_0", s=200.0, speed_mps=10.0, desired_speed_mps=10.0),
        ActorSpec("car", "car", lane="fwd_0", s=120.0, speed_mps=20.0, desired_speed_mps=25.0,
                  lane_changes=lane_changes),
    )
    return WorldSpec(road, actors, dt=DT)


def test_fast_car_behind_a_slow_truck_changes_to_the_left_lane_and_passes_it(two_lane_road):
    sim, rec = simulate([overtaking_world(two_lane_road, lane_changes=True)], 30.0)
    truck_x, car_x, car_y = rec.x[:, 0, 0], rec.x[:, 0, 1], rec.y[:, 0, 1]
    assert car_x[-1] > truck_x[-1] + 50.0
    alongside = np.argmax(car_x > truck_x)  # the moment the car draws level
    left_y = two_lane_road.lanes[two_lane_road.lane_index("fwd_1")].to_world(0.0, 0.0)[1]
    assert abs(car_y[alongside] - left_y) < 0.3
    assert np.all(np.abs(rec.y[:, 0, 0] - rec.y[0, 0, 0]) < 1e-9)  # the truck keeps its lane
    assert sim.outcome(0).collisions == 0
    assert rec.speed[-1, 0, 1] == pytest.approx(25.0, abs=0.1)


def test_car_with_lane_changes_disabled_stays_in_its_lane_behind_the_truck(two_lane_road):
    sim, rec = simulate([overtaking_world(two_lane_road, lane_changes=False)], 30.0)
    assert np.all(np.abs(rec.y[:, 0, 1] - rec.y[0, 0, 1]) < 1e-6)
    assert np.all(rec.x[:, 0, 1] < rec.x[:, 0, 0])
    assert sim.state.lane[0, 1] == two_lane_road.lane_index("fwd_0")
    assert rec.speed[-1, 0, 1] == pytest.approx(10.0, abs=0.2)
    assert sim.outcome(0).collisions == 0


def _three_lane_road():
    return build_map({"type": "straight", "lanes": 3, "one_way": True, "length": 1500.0,
                      "lane_width": 3.75, "sidewalks": "none"})


def test_traffic_merges_round_a_broken_down_van_and_never_into_it():
    """A static van blocks the middle of three lanes; platoons in all three lanes (MOBIL's
    keep-right bias draws the left lane's cars towards the middle) pass it without a
    crash, and the middle lane's cars leave it well before the van."""
    road = _three_lane_road()
    rng = np.random.default_rng(4)
    worlds = []
    for _ in range(8):
        actors = [ActorSpec("van", "wreck", lane="fwd_1", s=400.0, behavior="static")]
        for k, lane in enumerate(("fwd_0", "fwd_1", "fwd_2")):
            s = float(rng.uniform(0.0, 20.0))
            for m in range(5):
                speed = float(rng.uniform(20.0, 26.0)) + 2.0 * k
                actors.append(car(f"{lane}_{m}", lane, s, speed))
                s += float(rng.uniform(30.0, 60.0))
        worlds.append(WorldSpec(road, tuple(actors), dt=DT))
    sim, rec = simulate(worlds, 30.0)
    middle_y = road.lanes[road.lane_index("fwd_1")].to_world(0.0, 0.0)[1]
    van = actor_kind("van")
    level = 0.5 * (van.length + CAR_LENGTH)
    for w in range(len(worlds)):
        assert sim.outcome(w).collisions == 0  # it used to be hit in every world
        for i in range(1, 16):
            x, y = rec.x[:, w, i], rec.y[:, w, i]
            alongside = np.abs(x - 400.0) < level
            assert np.all(np.abs(y[alongside] - middle_y) > 0.5 * (van.width + 1.8))
        # most get past; one that the van came into view of late (its leader pulled out
        # at the last moment) may wait behind it with the next lanes busy
        assert (rec.x[-1, w, 1:] > 400.0 + level).sum() >= 12


def test_a_car_blocked_by_a_broken_down_van_pulls_out_early_and_passes_it(two_lane_road):
    actors = (ActorSpec("van", "wreck", lane="fwd_0", s=300.0, behavior="static"),
              car("car", "fwd_0", 50.0, 20.0))
    sim, rec = simulate([WorldSpec(two_lane_road, actors, dt=DT)], 25.0)
    x, y = rec.x[:, 0, 1], rec.y[:, 0, 1]
    left_y = two_lane_road.lanes[two_lane_road.lane_index("fwd_1")].to_world(0.0, 0.0)[1]
    moved = np.argmax(np.abs(y - y[0]) > 0.5)
    assert x[moved] < 300.0 - 40.0  # it pulls out well before the van, at speed
    assert rec.speed[moved, 0, 1] > 15.0
    assert abs(y[np.argmax(x > 300.0)] - left_y) < 0.3 and x[-1] > 320.0
    assert sim.outcome(0).collisions == 0


@pytest.mark.parametrize("speed", [6.0, 8.0, 9.0, 10.0])
def test_a_lone_car_passes_a_broken_down_van_without_stopping(two_lane_road, speed):
    """It pulls out and passes; it used to stop for good beside the van, braking for it
    along the path its steering back to its lane predicted (found by a review)."""
    actors = (ActorSpec("van", "wreck", lane="fwd_0", s=400.0, behavior="static"),
              car("car", "fwd_0", 150.0, speed))
    sim, rec = simulate([WorldSpec(two_lane_road, actors, dt=DT)], 60.0)
    assert sim.outcome(0).collisions == 0
    assert rec.x[-1, 0, 1] > 430.0 and rec.speed[-1, 0, 1] == pytest.approx(speed, abs=0.2)
    assert rec.speed[:, 0, 1].min() > 0.5 * speed  # never near a stop


@pytest.mark.parametrize("slow", [2.0, 3.0, 4.0])
def test_cars_close_behind_a_crawling_truck_overtake_it(two_lane_road, slow):
    """At a crawl the IDM gap is short; a vehicle that moves on needs no extra room to be
    overtaken (a first version of the pull-out room blocked every such overtake)."""
    actors = [ActorSpec("truck", "slow", lane="fwd_0", s=100.0, speed_mps=slow,
                        desired_speed_mps=slow, lane_changes=False)]
    actors += [ActorSpec("car", f"f{k}", lane="fwd_0", s=88.0 - 10.0 * k, speed_mps=slow,
                         desired_speed_mps=14.0) for k in range(3)]
    sim, rec = simulate([WorldSpec(two_lane_road, tuple(actors), dt=DT)], 60.0)
    assert sim.outcome(0).collisions == 0
    assert np.all(rec.x[-1, 0, 1:] > rec.x[-1, 0, 0] + 20.0)  # all three got past


def test_a_queue_behind_a_stopped_van_waits_with_room_to_pull_out_and_passes_it(
        two_lane_road):
    """Three cars come up behind a van that stopped for good in the right lane while a
    platoon passes on the left. The first two pull out in front of the platoon; the
    third finds the platoon beside it, so it waits two car lengths back (from closer, a
    car cannot steer round without reversing: it used to try from 2 m and drove into
    the van), and pulls out round the van once the platoon has passed."""
    actors = [ActorSpec("van", "stopped", lane="fwd_0", s=200.0, lane_changes=False)]
    actors += [car(f"q{k}", "fwd_0", 150.0 - 30.0 * k, 12.0) for k in range(3)]
    actors += [car(f"p{k}", "fwd_1", 5.0 + 15.0 * k, 12.0, lane_changes=False)
               for k in range(6)]
    stop = ActionSpec("stopped", "stop", {"time_s": 0.0})
    sim, rec = simulate([WorldSpec(two_lane_road, tuple(actors), (stop,), dt=DT)], 40.0)
    assert sim.outcome(0).collisions == 0
    assert np.all(rec.x[-1, 0, 1:4] > 230.0)  # all three got past
    van_length = actor_kind("van").length
    waiting = rec.speed[:, 0, 3] < 0.05
    assert waiting.sum() > 100  # the third one waited (for the platoon), 5 s or more
    gap = 200.0 - rec.x[waiting, 0, 3] - 0.5 * (van_length + CAR_LENGTH)
    assert np.all(gap > 2.0 * CAR_LENGTH)
    # the platoon, which may not change lanes, queued behind nobody: it kept its lane
    left_y = two_lane_road.lanes[two_lane_road.lane_index("fwd_1")].to_world(0.0, 0.0)[1]
    assert np.all(np.abs(rec.y[:, 0, 4:] - left_y) < 1e-6)


@pytest.mark.parametrize("watches_road", [True, False])
def test_a_driver_not_watching_the_road_rear_ends_the_braking_car_ahead(long_road,
                                                                         watches_road):
    """watches_road: false is a distracted driver: it brakes for nothing, the car ahead in
    its lane included (it used to follow it as any driver); one watching the road stops
    behind it."""
    actors = (car("lead", "fwd_0", 100.0, 20.0),
              car("follower", "fwd_0", 60.0, 20.0, watches_road=watches_road))
    brake = ActionSpec("lead", "hard_brake", {"time_s": 1.0}, {"decel_mps2": 6.0})
    sim, rec = simulate([WorldSpec(long_road, actors, (brake,), dt=DT)], 12.0)
    outcome_collisions = sim.outcome(0).collisions
    if watches_road:
        assert outcome_collisions == 0 and rec.speed[-1, 0, 1] < 0.5
        assert rec.x[-1, 0, 0] - rec.x[-1, 0, 1] > CAR_LENGTH + 1.0  # stopped behind it
    else:
        assert outcome_collisions == 1
        hit = np.argmax(rec.x[:, 0, 0] - rec.x[:, 0, 1] < CAR_LENGTH + 0.01)
        assert rec.speed[hit - 1, 0, 1] == pytest.approx(20.0)  # it never slowed


def test_idm_platoon_behind_a_hard_braking_leader_stops_without_collisions(long_road):
    n = 8
    actors = tuple(car(f"car_{k}", "fwd_0", s=300.0 - 25.0 * k, speed=16.0, ego=(k == n - 1))
                   for k in range(n))
    brake = ActionSpec("car_0", "hard_brake", {"time_s": 2.0}, {"decel_mps2": 9.0})
    sim, rec = simulate([WorldSpec(long_road, actors, (brake,), dt=DT)], 25.0)
    bumper_gaps = rec.x[:, 0, :-1] - rec.x[:, 0, 1:] - CAR_LENGTH
    assert bumper_gaps.min() > 1.0
    assert sim.outcome(0).collisions == 0
    assert not [e for e in sim.events(0) if e.kind == "collision"]
    assert np.all(rec.speed[-1, 0] < 0.5)


# ---- junctions -----------------------------------------------------------------------


@pytest.mark.parametrize(("turn", "exit_lane", "exit_heading"), [
    ("straight", "east_out_0", 0.0),
    ("left", "north_out_0", math.pi / 2),
    ("right", "south_out_0", -math.pi / 2),
])
def test_car_from_the_west_leaves_the_junction_on_the_arm_of_its_turn(
    junction, turn, exit_lane, exit_heading
):
    # the map agrees: west_in_0's successor slot for the turn leads to exit_lane
    connector = junction.successors[junction.lane_index("west_in_0")][TURNS[turn]]
    assert junction.successors[connector][0] == junction.lane_index(exit_lane)
    world = WorldSpec(junction, (ActorSpec("car", "car", lane="west_in_0", s=20.0,
                                           speed_mps=8.0, turn=turn),), dt=DT)
    sim, rec = simulate([world], 12.0)  # west/east have green for the first 20 s
    assert sim.state.lane[0, 0] == junction.lane_index(exit_lane)
    assert abs(sim.state.d[0, 0]) < 0.3
    assert math.cos(rec.heading[-1, 0, 0] - exit_heading) > 0.99
    assert math.hypot(rec.x[-1, 0, 0], rec.y[-1, 0, 0]) > 20.0  # out of the junction


def test_car_waits_at_the_stop_line_on_red_and_crosses_on_green(junction):
    # offset 40 s: west/east (group 0) are red until t = 10 s, then green
    stop_line_x = junction.lanes[junction.lane_index("west_in_0")].points[-1][0]
    world = WorldSpec(junction, (car("car", "west_in_0", s=10.0, speed=10.0),),
                      environment=Environment(signal_offset_s=40.0), dt=DT)
    sim, rec = simulate([world], 20.0)
    front_x = rec.x[:, 0, 0] + CAR_LENGTH / 2
    t = rec.time_s
    red = t <= 10.0 + 1e-9
    assert np.all(front_x[red] <= stop_line_x + 1e-6)
    assert front_x[red].max() > stop_line_x - 2.0  # it stopped at the line, not short of it
    assert rec.speed[np.argmin(np.abs(t - 10.0)), 0, 0] < 0.2
    assert rec.speed[-1, 0, 0] > 9.0
    assert sim.state.lane[0, 0] == junction.lane_index("east_out_0")


def _left_turn_world(junction, oncoming_s, margin=1.5, oncoming=True, environment=None):
    """A car turning left from the west (its front 5 m before the stop line at 8 m/s) and
    a car coming straight from the east at 12 m/s, on green."""
    west = junction.lanes[junction.lane_index("west_in_0")]
    actors = [ActorSpec("car", "turner", lane="west_in_0", s=west.length - 5.0 - CAR_LENGTH / 2,
                        speed_mps=8.0, desired_speed_mps=8.0, turn="left",
                        gap_margin_s=margin, ego=True)]
    if oncoming:
        actors.append(ActorSpec("car", "oncoming", lane="east_in_0", s=oncoming_s,
                                speed_mps=12.0, desired_speed_mps=12.0, watches_road=False))
    return WorldSpec(junction, tuple(actors), dt=DT,
                     **({} if environment is None else {"environment": environment}))


def test_a_left_turn_waits_for_a_gap_in_oncoming_traffic_then_turns(junction):
    """The map lists where the left turn crosses the opposite approach's straight lane;
    the turner stops short of the crossing while the oncoming car would reach it before
    the turner could clear it (with its 1.5 s margin), and turns once the car is past."""
    arrays = junction.to_arrays()
    turn = junction.lane_index("west_in_0>north_out_0")
    straight = junction.lane_index("east_in_0>west_out_0")
    k = arrays.lane_yield_start[turn]
    # the straight lane first; then the opposite right turn, which joins the same exit
    # lane (with one lane a side) and has the right of way too
    assert arrays.lane_yield_count[turn] == 2 and arrays.yield_lane[k] == straight
    assert arrays.yield_lane[k + 1] == junction.lane_index("east_in_0>north_out_0")
    crossing = LineString(junction.lanes[turn].points).intersection(
        LineString(junction.lanes[straight].points))
    assert arrays.yield_s[k, 0] == pytest.approx(
        LineString(junction.lanes[turn].points).project(crossing), abs=1e-6)
    assert arrays.lane_yield_count[straight] == 0  # straight traffic has the right of way

    sim, rec = simulate([_left_turn_world(junction, oncoming_s=25.0)], 14.0)
    assert not sim.outcome(0).collision
    at = Point(crossing.x, crossing.y)
    turner = [Point(rec.x[t, 0, 0], rec.y[t, 0, 0]) for t in range(len(rec.time_s))]
    other = [Point(rec.x[t, 0, 1], rec.y[t, 0, 1]) for t in range(len(rec.time_s))]
    # the oncoming car passes the crossing first, the turner after it
    first_other = next(t for t, p in enumerate(other) if p.distance(at) < 1.0)
    first_turner = next(t for t, p in enumerate(turner) if p.distance(at) < 1.0)
    assert first_turner > first_other
    assert rec.speed[:first_other, 0, 0].min() < 2.0  # it slowed to a crawl, waiting
    assert turner[first_other].distance(at) > 3.0  # short of the crossing as the car passed
    assert sim.state.lane[0, 0] == junction.lane_index("north_out_0")  # and turned
    # with no oncoming car it turns without stopping
    sim, rec = simulate([_left_turn_world(junction, 25.0, oncoming=False)], 14.0)
    assert rec.speed[:, 0, 0].min() > 3.0


def test_at_night_a_turner_sees_the_oncoming_cars_lamps_beyond_the_dark(junction):
    """A review: at night drivers saw other vehicles no further than the dark lets them see
    anything (60 m), so a turner pulled out in front of a car whose headlights were in
    plain view. A vehicle under way is seen by its lamps as far as lamp_visibility_m: the
    turner waits for it; with the lamps seen no further than the rest, it turns into it."""
    dark = 15.0  # the car is 56 m off at the start, when the turner slows to wait
    lit = _left_turn_world(junction, 25.0, environment=Environment(
        visibility_m=dark, lamp_visibility_m=1000.0))
    unlit = _left_turn_world(junction, 25.0, environment=Environment(visibility_m=dark))
    sim, rec = simulate([lit, unlit], 14.0)
    assert not sim.outcome(0).collision
    assert rec.speed[:, 0, 0].min() < 2.0  # it waited
    assert sim.outcome(1).collision and sim.outcome(1).collision_with == "oncoming"


def test_a_driver_who_misjudges_gaps_turns_in_front_of_the_oncoming_car(junction):
    # gap_margin -3 s: it takes a gap 3 s shorter than it needs
    sim, _ = simulate([_left_turn_world(junction, oncoming_s=25.0, margin=-3.0)], 14.0)
    assert sim.outcome(0).collision and sim.outcome(0).collision_with == "oncoming"


def _box(rec, t, w, i, length=CAR_LENGTH, width=1.85):
    x, y, h = rec.x[t, w, i], rec.y[t, w, i], rec.heading[t, w, i]
    c, s_ = math.cos(h), math.sin(h)
    return Polygon([(x + a * c - b * s_, y + a * s_ + b * c)
                    for a, b in ((length / 2, width / 2), (length / 2, -width / 2),
                                 (-length / 2, -width / 2), (-length / 2, width / 2))])


@pytest.mark.parametrize("lanes", [1, 2, 3])
def test_the_wait_point_keeps_a_waiting_turner_clear_of_the_lanes_it_gives_way_to(lanes):
    """Each yield row's wait point is the furthest point along the turn where a bus-wide
    front (1.3 m either side of the path) is still 0.3 m clear of the other lane's band,
    re-derived here with shapely's buffer, and a connector's wait point is its rows'
    earliest."""
    road = build_map({"type": "intersection", "lanes": lanes, "signals": False})
    arrays = road.to_arrays()
    turn = road.lane_index(f"west_in_{lanes - 1}>north_out_{lanes - 1}")
    path = LineString(road.lanes[turn].points)
    k0, count = arrays.lane_yield_start[turn], arrays.lane_yield_count[turn]
    assert count >= lanes  # it crosses every opposite straight lane

    def clear(s, band):
        p0, p1 = path.interpolate(max(s - 0.1, 0.0)), path.interpolate(s + 0.1)
        tx, ty = p1.x - p0.x, p1.y - p0.y
        norm = math.hypot(tx, ty)
        front = path.interpolate(s)
        edge = LineString([(front.x - 1.3 * ty / norm, front.y + 1.3 * tx / norm),
                           (front.x + 1.3 * ty / norm, front.y - 1.3 * tx / norm)])
        return not edge.intersects(band)

    for k in range(k0, k0 + count):
        other = road.lanes[arrays.yield_lane[k]]
        band = LineString(other.points).buffer(other.width / 2 + 0.3 - 1e-6)
        at, wait = arrays.yield_s[k, 0], arrays.yield_s[k, 2]
        assert 0.0 < wait < at
        assert clear(wait, band)
        assert not clear(wait + 0.15, band)  # the furthest such point, to the 0.1 m step
    # waiting for the first crossing the turner is clear of the later ones too
    assert arrays.yield_s[k0, 2] == arrays.yield_s[k0:k0 + count, 2].min()


def test_the_wait_point_keeps_the_whole_front_edge_clear_not_only_its_corners():
    """A band that comes nearest to the waiting front between its corners (a lane bending
    towards the path): the front edge, 1.3 m either side, stops 0.3 m short of the band,
    where the corners alone would have let it reach 0.2 m into it."""
    from simdrive.world.packed import WAIT_STEP, _wait_point

    path = LineString([(0.0, 0.0), (20.0, 0.0)])
    wedge = LineString([(14.0, -10.0), (12.0, 0.0), (14.0, 10.0)])  # its tip on the path
    wait = _wait_point(path, wedge, 1.0, 12.0)
    edge = LineString([(wait, -1.3), (wait, 1.3)])
    assert wedge.distance(edge) >= 1.3 - 1e-9
    assert wait == pytest.approx(12.0 - 1.3, abs=WAIT_STEP + 1e-9)
    corners = min(wedge.distance(Point(wait + WAIT_STEP * 3, y)) for y in (-1.3, 1.3))
    assert corners > 1.3  # the corners-only test would have waited there: 0.3 m further


def _stream_world(road, lanes, placements, margin=1.5, environment=None, follower=None):
    """A turner from the west at 8 m/s, 40 m before the junction; oncoming cars at 12
    m/s at (lane, s); optionally a straight car following the turner at ``follower`` m."""
    inner = f"west_in_{lanes - 1}"
    west = road.lanes[road.lane_index(inner)]
    actors = [ActorSpec("car", "turner", lane=inner, s=west.length - 40.0, speed_mps=8.0,
                        desired_speed_mps=8.0, turn="left", gap_margin_s=margin, ego=True)]
    if follower is not None:
        actors.append(car("follower", inner, west.length - 40.0 - follower, 8.0,
                          turn="straight", lane_changes=False))
    actors += [car(f"oncoming{k}", lane, s, 12.0, turn="straight", lane_changes=False)
               for k, (lane, s) in enumerate(placements)]
    return WorldSpec(road, tuple(actors), dt=DT, environment=environment or Environment())


@pytest.mark.parametrize("lanes", [1, 2])
def test_a_turner_facing_streams_of_oncoming_cars_waits_clear_of_them_and_nothing_deadlocks(
        lanes):
    """Random streams of two or three oncoming cars per opposite lane (a review found a
    turner waiting with its nose in the oncoming lane, the next car stopping for it and
    each waiting for the other for good; and on two lanes a turner stopped across the
    near lane, waiting for the far one): every car gets through, nobody collides, and
    whenever the turner stands it is clear of every lane it gives way to."""
    road = build_map({"type": "intersection", "lanes": lanes, "arm_length": 120.0,
                      "signals": False})
    east_len = road.lanes[road.lane_index("east_in_0")].length
    rng = np.random.default_rng(11)
    worlds = []
    for _ in range(24):
        placements = []
        for lane in range(lanes):
            s = east_len - rng.uniform(10.0, 30.0)
            for _car in range(int(rng.integers(2, 4))):
                placements.append((f"east_in_{lane}", s))
                s -= rng.uniform(12.0, 30.0)
        worlds.append(_stream_world(road, lanes, placements))
    sim, rec = simulate(worlds, 40.0)
    bands = []
    arrays = road.to_arrays()
    turn = road.lane_index(f"west_in_{lanes - 1}>north_out_{lanes - 1}")
    for k in range(arrays.lane_yield_start[turn],
                   arrays.lane_yield_start[turn] + arrays.lane_yield_count[turn]):
        other = road.lanes[arrays.yield_lane[k]]
        bands.append(LineString(other.points).buffer(other.width / 2))
    for w, world in enumerate(worlds):
        assert not sim.state.crashed[w].any(), w
        final = [road.lanes[sim.state.lane[w, i]].name for i in range(len(world.actors))]
        assert final[0].startswith("north_out"), (w, final)  # it turned
        assert all(name.startswith("west_out") for name in final[1:]), (w, final)
        for t in np.flatnonzero(rec.speed[:, w, 0] < 0.1):
            box = _box(rec, t, w, 0, width=1.79)
            assert not any(box.intersects(band) for band in bands), (w, rec.time_s[t])


def test_the_turners_clearing_time_counts_the_bend_and_the_grip_it_sees():
    """From a standstill at the stop line, facing a car at 13 m/s, on dry and snowy roads:
    the turner reckons its time through the turn at the speed it takes the bend at and
    the grip it sees (a review's turner assumed full acceleration all through the turn,
    took gaps it could not clear, stopped in the lane and was hit). No variant collides,
    and the turner takes the gaps it can."""
    road = build_map({"type": "intersection", "lanes": 1, "arm_length": 150.0,
                      "signals": False})
    west = road.lanes[road.lane_index("west_in_0")]
    east_len = road.lanes[road.lane_index("east_in_0")].length
    worlds = []
    for condition in ("dry", "snow"):
        for distance in np.linspace(20.0, 110.0, 16):
            actors = (ActorSpec("car", "turner", lane="west_in_0",
                                s=west.length - 0.5 * CAR_LENGTH - 0.5, speed_mps=0.0,
                                desired_speed_mps=13.0, turn="left", ego=True),
                      ActorSpec("car", "oncoming", lane="east_in_0", s=east_len - distance,
                                speed_mps=13.0, desired_speed_mps=13.0, turn="straight",
                                watches_road=False))
            worlds.append(WorldSpec(road, actors, dt=DT,
                                    environment=Environment(road_condition=condition)))
    sim, rec = simulate(worlds, 16.0)
    went_first = 0
    for w in range(len(worlds)):
        assert not sim.outcome(w).collision, w
        assert road.lanes[sim.state.lane[w, 0]].name == "north_out_0"
        went_first += sim.outcome(w).min_distance_by_actor["oncoming"] > 0 and \
            rec.speed[:, w, 0].min() == 0.0 and rec.speed[20, w, 0] > 1.0
    assert went_first > 0  # with the car far enough it goes before it


def test_a_turner_gives_way_to_an_oncoming_cyclist():
    """Cyclists follow their lane outside the vehicles' order (behavior follow_lane); a
    review found turners that did not give way to them (a bus turned into one)."""
    road = build_map({"type": "intersection", "lanes": 1, "arm_length": 120.0,
                      "signals": False})
    east_len = road.lanes[road.lane_index("east_in_0")].length
    worlds = [WorldSpec(road, (_stream_world(road, 1, []).actors[0], ActorSpec(
        "cyclist", "cyclist", lane="east_in_0", s=east_len - d, speed_mps=6.0,
        desired_speed_mps=6.0, turn="straight", watches_road=False, behavior="follow_lane")),
        dt=DT) for d in (20.0, 30.0, 40.0)]
    sim, rec = simulate(worlds, 20.0)
    for w in range(len(worlds)):
        assert not sim.outcome(w).collision, w
        assert rec.speed[:, w, 0].min() < 2.0  # it waited for the cyclist
        assert sim.outcome(w).min_distance_by_actor["cyclist"] > 1.5
        assert road.lanes[sim.state.lane[w, 0]].name == "north_out_0"


def test_a_committed_turner_stops_short_of_a_lane_whose_car_would_not_stop():
    """A turner past its wait point on two lanes, not yet in the far lane, and a car in
    that lane that does not watch the road: the turner cannot count on it stopping, so it
    stops short of its lane (a review: it went on and was hit); whereas a car that
    watches the road and can stop lets the committed turner go first."""
    road = build_map({"type": "intersection", "lanes": 2, "arm_length": 120.0,
                      "signals": False})
    arrays = road.to_arrays()
    turn = road.lane_index("west_in_1>north_out_1")
    k0 = arrays.lane_yield_start[turn]
    far = road.lane_index("east_in_0>west_out_0")
    row = next(k for k in range(k0, k0 + arrays.lane_yield_count[turn])
               if arrays.yield_lane[k] == far)
    front = arrays.yield_s[k0:k0 + 2, 2].min() + 1.5  # past the wait point and its slack
    east_len = road.lanes[road.lane_index("east_in_0")].length
    worlds = []
    for watches, short in ((False, 26.0), (True, 45.0)):
        turner = ActorSpec("car", "turner", lane="west_in_1>north_out_1",
                           s=front - CAR_LENGTH / 2, speed_mps=4.0, desired_speed_mps=8.0,
                           turn="left", ego=True)
        # 26 m short of the crossing the first could stop, had it watched the road
        other = ActorSpec("car", "far", lane="east_in_0",
                          s=east_len - (short - arrays.yield_s[row, 1]) - CAR_LENGTH / 2,
                          speed_mps=13.0, desired_speed_mps=13.0, turn="straight",
                          lane_changes=False, watches_road=watches)
        worlds.append(WorldSpec(road, (turner, other), dt=DT))
    sim, rec = simulate(worlds, 8.0)
    assert not sim.outcome(0).collision
    assert rec.speed[:, 0, 0].min() < 0.5  # it stopped for the car that would not
    assert not sim.outcome(1).collision
    assert rec.speed[:, 1, 0].min() > 2.0  # it went first; the other car waited


def test_a_car_behind_a_turner_that_stops_to_give_way_does_not_run_into_it():
    """A straight car following a left-turner that stops at its wait point, just inside
    the junction (the leader it loses to the turn stays in mind: a review's follower took
    the stopped turner for a new obstacle, reacted a second late and hit it)."""
    road = build_map({"type": "intersection", "lanes": 1, "arm_length": 150.0,
                      "signals": False})
    east_len = road.lanes[road.lane_index("east_in_0")].length
    worlds = [_stream_world(road, 1, [("east_in_0", east_len - d),
                                      ("east_in_0", east_len - d - 22.0)], follower=gap)
              for d in (50.0, 70.0, 90.0) for gap in (12.0, 16.0, 22.0)]
    sim, rec = simulate(worlds, 20.0)
    for w in range(len(worlds)):
        assert not sim.state.crashed[w].any(), w
        assert rec.speed[:, w, 0].min() < 1.0  # the turner (all but) stopped to give way
        assert rec.speed[:, w, 1].min() < 4.0  # the car behind it slowed down for it


# ---- perception ----------------------------------------------------------------------


def test_stopped_car_ahead_is_braked_for_only_once_within_the_world_visibility(long_road):
    worlds = [
        WorldSpec(long_road, (car("ego", "fwd_0", 50.0, 10.0, ego=True),
                              ActorSpec("car", "stopped", lane="fwd_0", s=250.0,
                                        desired_speed_mps=0.0)),
                  environment=Environment(visibility_m=visibility), dt=DT)
        for visibility in (30.0, 1000.0)
    ]
    sim, rec = simulate(worlds, 30.0)
    distance = rec.x[:, :, 1] - rec.x[:, :, 0]
    beyond_fog = distance[:-1] > 30.0 + 1e-6
    decel = np.stack([decelerations(rec, w, 0) for w in range(2)], axis=1)
    assert np.all(decel[beyond_fog[:, 0], 0] == 0.0)  # fog: full speed until 30 m
    assert decel[:, 0].max() > 2.0  # then it brakes
    assert rec.speed[np.argmax(distance[:, 1] <= 30.0), 1, 0] < 9.0  # clear: slowed down sooner
    assert sim.outcome(0).collisions == sim.outcome(1).collisions == 0


def test_at_night_a_stopped_car_in_traffic_is_seen_by_its_lamps_a_parked_one_is_not(
        long_road):
    """In the dark (30 m) a car stopped in the lane ahead shows its lamps: the ego brakes
    for it as early as in clear daylight; a parked car (behavior static, unlit) is seen
    only at 30 m, as in fog."""
    def world(behavior, env):
        return WorldSpec(long_road, (car("ego", "fwd_0", 50.0, 10.0, ego=True),
                                     ActorSpec("car", "stopped", lane="fwd_0", s=250.0,
                                               desired_speed_mps=0.0, behavior=behavior)),
                         environment=env, dt=DT)
    night = Environment(visibility_m=30.0, lamp_visibility_m=1000.0)
    sim, rec = simulate([world("traffic", night), world("static", night),
                         world("traffic", Environment())], 30.0)
    distance = rec.x[:, :, 1] - rec.x[:, :, 0]
    decel = np.stack([decelerations(rec, w, 0) for w in range(3)], axis=1)
    first = [float(distance[np.argmax(decel[:, w] > 0.0), w]) for w in range(3)]
    assert first[0] == pytest.approx(first[2], abs=1e-6) and first[0] > 60.0
    assert first[1] <= 30.0 + 1e-6  # the parked car: not before the dark lets it be seen
    assert all(sim.outcome(w).collisions == 0 for w in range(3))


def test_at_night_a_parked_car_that_pulls_out_is_seen_by_its_lamps_from_then_on(long_road):
    """A review: a parked car set off by `go` was drawn lit but stayed unseen beyond the
    dark (its lamps were fixed when the world was built): the ego came on at 20 m/s and
    braked at 7.9 m/s^2 from 12 m. Seen by its lamps once it moves, it is followed as
    the same car in traffic is."""
    night = Environment(visibility_m=30.0, lamp_visibility_m=1000.0)

    def world(parked):
        ahead = ActorSpec("car", "ahead", lane="fwd_0", s=400.0,
                          **({"behavior": "static"} if parked else {"speed_mps": 2.0}))
        actions = (ActionSpec("ahead", "go", {"time_s": 0.0}, {"speed_mps": 2.0}),) \
            if parked else ()
        return WorldSpec(long_road, (car("ego", "fwd_0", 50.0, 20.0, ego=True), ahead),
                         actions, environment=night, dt=DT)
    sim, rec = simulate([world(True), world(False)], 30.0)
    gap = rec.x[:, :, 1] - rec.x[:, :, 0]
    for w in range(2):
        decel = decelerations(rec, w, 0)
        first = float(gap[np.argmax(decel > 0.0), w])
        assert first > 150.0, (w, first)  # far beyond the dark's 30 m
        assert decel.max() < 3.0 and not sim.outcome(w).collision


def test_a_parked_car_knocked_loose_at_night_keeps_its_lamps_off(long_road):
    """A struck parked car slides (its mode leaves static) but its lamps stay off, for the
    drivers (seen no further than the dark) and in the picture (no headlights drawn),
    while the car that hit it, under way, stays lit."""
    from simdrive.core import layout as L
    from simdrive.render.scene import scene_from_simulation

    night = Environment(visibility_m=30.0, lamp_visibility_m=1000.0)
    world = WorldSpec(long_road, (ActorSpec("car", "blind", lane="fwd_0", s=50.0,
                                            speed_mps=12.0, watches_road=False),
                                  ActorSpec("car", "parked", lane="fwd_0", s=90.0,
                                            behavior="static")), environment=night, dt=DT)
    sim = Simulation([world], threads=1)
    sim.run(6.0)
    istate = sim.blocks.istate[0]
    assert istate[L.I_FLAGS, 0] & L.FLAG_CRASHED  # it ran into the parked car
    assert istate[L.I_MODE, 1] != L.MODE_STATIC  # knocked loose
    assert istate[L.I_FLAGS, 1] & L.FLAG_KNOCKED_LOOSE
    np.testing.assert_array_equal(sim.blocks.scratch[0, L.S_SEEN_AT, :2], [1000.0, 30.0])
    np.testing.assert_array_equal(scene_from_simulation(sim, 0).moving, [1, 0])


def test_at_night_lamps_are_the_actors_a_car_without_them_is_seen_as_late_as_a_cyclist(
        long_road):
    """Lamps belong to the actor (ActorSpec.lamps, a scenario's lamps:): behind a car
    driving without lights, or a cyclist without lamps (the default), the ego brakes only
    once the dark (30 m) shows it; a car with its lamps, or a cyclist given lamps, is
    followed from as far off as the lamps are seen."""
    from simdrive.core import layout as L
    from simdrive.render.scene import scene_from_simulation

    night = Environment(visibility_m=30.0, lamp_visibility_m=1000.0)

    def world(kind, lamps):
        ahead = ActorSpec(kind, "ahead", lane="fwd_0", s=400.0, speed_mps=3.0,
                          desired_speed_mps=3.0, lamps=lamps, lane_changes=False)
        return WorldSpec(long_road, (car("ego", "fwd_0", 50.0, 12.0, ego=True), ahead),
                         environment=night, dt=DT)
    cases = [("car", None, True), ("car", False, False), ("cyclist", None, False),
             ("cyclist", True, True)]
    sim, rec = simulate([world(kind, lamps) for kind, lamps, _ in cases], 40.0)
    gap = rec.x[:, :, 1] - rec.x[:, :, 0]
    for w, (kind, lamps, lit) in enumerate(cases):
        decel = decelerations(rec, w, 0)
        first = float(gap[np.argmax(decel > 0.0), w])
        if lit:
            assert first > 100.0, (kind, lamps, first)
        else:
            assert first <= 30.0 + 1e-6, (kind, lamps, first)
        assert (sim.blocks.params[w, L.P_LAMPS, 1] > 0.0) == lit
        # its headlights' strength in a car's two: a cyclist's one lamp is weaker
        assert sim.blocks.params[w, L.P_LAMPS, 1] == (
            0.0 if not lit else 2.0 if kind == "car" else 0.35)
        np.testing.assert_array_equal(scene_from_simulation(sim, w).lamps, [1, int(lit)])


NIGHT_GLARE = Environment(visibility_m=60.0, lamp_visibility_m=1000.0, unlit_visibility_m=25.0,
                          glare_background_cd_m2=1.0)


def _glare_world(street, oncoming_s, oncoming_lamps=None, env=NIGHT_GLARE, speed=15.0,
                 follower=False):
    """The ego in fwd_0 at s = 50, a walker standing still in its lane 80 m ahead, near the
    centre line, and an oncoming car in bwd_0 (its s counted from the far end) coming at
    12 m/s; ``follower``: a lit car 10 m behind the ego."""
    behind = (car("follower", "fwd_0", 40.0, speed),) if follower else ()
    return WorldSpec(street, (car("ego", "fwd_0", 50.0, speed, ego=True),
                              ActorSpec("adult", "walker", lane="fwd_0", s=130.0, d=1.2,
                                        speed_mps=0.0, desired_speed_mps=0.0,
                                        watches_road=False),
                              car("oncoming", "bwd_0", oncoming_s, 12.0,
                                  lamps=oncoming_lamps, lane_changes=False)) + behind,
                     environment=env, dt=DT)


def test_oncoming_headlights_shorten_the_sight_of_unlit_actors_beside_them_by_the_glare_law(
        street):
    """Stiles-Holladay glare, written out: the oncoming car's two headlights (500 cd each
    towards the ego, facing it fully, through clear air) give E lux at the ego's eyes and
    veil the walker theta degrees from them with 10 E / theta^2 cd/m^2; against the
    night road's 1 cd/m^2 the ego sees unlit actors there only sqrt(1 / (1 + veil)) of its
    headlights' 60 m. A lit actor is seen by its lamps whatever the glare."""
    from simdrive.core import layout as L
    from simdrive.core.glare import find_glare
    from simdrive.core.perception import seen_within

    sim = Simulation([_glare_world(street, 600.0 - 95.0)], threads=1)
    ego, walker, oncoming = 0, 1, 2
    # the step finds the glare from where everyone stands at its start
    start = sim.blocks.fstate[0].copy()
    sim.step(1)
    sc = sim.blocks.scratch[0]
    lamps = (start[L.F_X, oncoming] - CAR_LENGTH / 2, start[L.F_Y, oncoming])
    span = math.hypot(start[L.F_X, ego] - lamps[0], start[L.F_Y, ego] - lamps[1])
    assert (sc[L.S_GLARE_X, ego], sc[L.S_GLARE_Y, ego]) == pytest.approx(lamps)
    assert sc[L.S_GLARE_VEIL, ego] == pytest.approx(
        10.0 * 2 * 500.0 * math.exp(-3.0 * span / 1000.0) / span ** 2, rel=1e-9)
    # then, for the positions now
    f, i, p = sim.blocks.fstate[0], sim.blocks.istate[0], sim.blocks.params[0]
    find_glare(f, i, p, sc, 3, 1000.0, 1.0)
    front = np.array([f[L.F_X, oncoming] - CAR_LENGTH / 2, f[L.F_Y, oncoming]])
    eye = np.array([f[L.F_X, ego], f[L.F_Y, ego]])
    d = float(np.linalg.norm(eye - front))
    facing = min(1.0, 2.0 * float((eye - front) @ [-1.0, 0.0]) / d)
    assert facing == 1.0
    lux = 2 * 500.0 * facing * math.exp(-3.0 * d / 1000.0) / d ** 2
    to_walker = np.array([f[L.F_X, walker], f[L.F_Y, walker]]) - eye
    to_lamps = front - eye
    theta = math.degrees(math.acos(to_walker @ to_lamps
                                   / np.linalg.norm(to_walker) / np.linalg.norm(to_lamps)))
    assert 2.0 < theta < 5.0 and 40.0 < d < 50.0
    expected = 60.0 / math.sqrt(1.0 + 10.0 * lux / max(theta * theta, 0.25))
    assert seen_within(sc, f, ego, walker, 200.0) == pytest.approx(expected, rel=1e-9)
    assert expected < 54.0  # from 60 m: a tenth and more
    # the oncoming car itself, lit, is seen by its lamps: no cut
    assert seen_within(sc, f, ego, oncoming, 200.0) == 200.0
    # the ego's lamps dazzle the oncoming driver, not the walker they light from behind
    assert sc[L.S_GLARE_VEIL, oncoming] > 0.0 and sc[L.S_GLARE_VEIL, walker] == 0.0
    # a car following the ego shines on its back, not in its eyes: the same glare
    followed = Simulation([_glare_world(street, 600.0 - 95.0, follower=True)], threads=1)
    followed.step(1)
    fb = followed.blocks
    find_glare(fb.fstate[0], fb.istate[0], fb.params[0], fb.scratch[0], 4, 1000.0, 1.0)
    assert seen_within(fb.scratch[0], fb.fstate[0], ego, walker, 200.0) == pytest.approx(
        expected, rel=1e-9)
    # by day (no background given) nobody is dazzled
    day = Simulation([_glare_world(street, 505.0, env=Environment())], threads=1)
    day.step(1)
    assert not day.blocks.scratch[0, L.S_GLARE_VEIL, :3].any()


def test_a_driver_meeting_oncoming_headlights_brakes_later_for_a_walker_beside_them(street):
    """The walker stands in the ego's lane 80 m ahead; an oncoming car passes it about
    when the ego's headlights would show it. Dazzled, the ego sees the walker about 5 m
    later (a third of a second at 15 m/s) and brakes harder; with the oncoming car's
    lamps off, or a driver never dazzled (no glare background), it brakes alike, sooner."""
    cases = [_glare_world(street, 600.0 - 100.0),
             _glare_world(street, 600.0 - 100.0, oncoming_lamps=False),
             _glare_world(street, 600.0 - 100.0,
                          env=dataclasses.replace(NIGHT_GLARE, glare_background_cd_m2=None))]
    sim, rec = simulate(cases, 12.0)
    gap = rec.x[:, :, 1] - rec.x[:, :, 0]
    onset = [float(gap[np.argmax(decelerations(rec, w, 0) > 0.05), w]) for w in range(3)]
    peak = [decelerations(rec, w, 0).max() for w in range(3)]
    assert onset[1] == onset[2] and peak[1] == peak[2]
    assert onset[0] < onset[1] - 4.0, onset
    assert peak[0] > peak[1], peak
    assert not sim.outcome(1).collision and not sim.outcome(2).collision


def test_at_night_a_driver_without_its_own_lamps_sees_unlit_actors_only_at_the_darks_reach(
        long_road):
    """A review: a driver with lamps: false saw a dark cyclist as far as one with
    headlights (the night's 60 m is their reach). Without lamps of its own it sees what
    shows no lamps only as far as Environment.unlit_visibility_m (25 m); lit lamps it
    still sees from afar; by day nothing changes."""
    night = Environment(visibility_m=60.0, lamp_visibility_m=1000.0, unlit_visibility_m=25.0)

    def world(ego_lamps, bike_lamps, env):
        bike = ActorSpec("cyclist", "bike", lane="fwd_0", s=200.0, speed_mps=2.0,
                         lamps=bike_lamps, lane_changes=False)
        return WorldSpec(long_road, (car("ego", "fwd_0", 50.0, 8.0, ego=True,
                                         lamps=ego_lamps), bike), environment=env, dt=DT)
    cases = [(None, None, night, (39.0, 60.0)), (False, None, night, (10.0, 25.0)),
             (False, True, night, (60.0, 200.0)), (False, None, Environment(), (60.0, 200.0))]
    sim, rec = simulate([world(*case[:3]) for case in cases], 30.0)
    gap = rec.x[:, :, 1] - rec.x[:, :, 0] - 0.5 * (actor_kind("car").length
                                                  + actor_kind("cyclist").length)
    for w, (ego_lamps, bike_lamps, _, (low, high)) in enumerate(cases):
        decel = decelerations(rec, w, 0)
        first = float(gap[np.argmax(decel > 0.0), w])
        assert low <= first <= high, (ego_lamps, bike_lamps, first)
    assert not any(sim.outcome(w).collision for w in range(len(cases)))


@pytest.mark.parametrize("kind", ["adult", "deer", "tyre"])
def test_lamps_on_an_actor_that_cannot_carry_them_is_an_error(long_road, kind):
    from simdrive.errors import WorldError
    from simdrive.world.actors import a_kind

    actor = ActorSpec(kind, "x", x=100.0, y=5.0, lamps=True)
    with pytest.raises(WorldError, match=f"{a_kind(kind)} carries no lamps"):
        Simulation([WorldSpec(long_road, (car("ego", "fwd_0", 50.0, 10.0, ego=True), actor))])
    Simulation([WorldSpec(long_road, (car("ego", "fwd_0", 50.0, 10.0, ego=True),
                                      dataclasses.replace(actor, lamps=False)))])


@pytest.mark.parametrize("field,value", [("lamps", "false"), ("lamps", 1), ("cautious", "no"),
                                         ("lane_changes", None), ("watches_road", 0)])
def test_a_flag_that_is_not_a_bool_is_an_error(long_road, field, value):
    # a review: lamps="false" lit the car (any truthy value passed)
    from simdrive.errors import WorldError

    actor = dataclasses.replace(car("lead", "fwd_0", 80.0, 10.0), **{field: value})
    with pytest.raises(WorldError, match=f"{field} must be True or False"):
        Simulation([WorldSpec(long_road, (car("ego", "fwd_0", 50.0, 10.0, ego=True), actor))])


@pytest.mark.parametrize("radius", [60.0, 150.0])
def test_a_stopped_car_round_a_bend_is_braked_for_as_early_as_on_a_straight(radius):
    """A review: round a 60 m bend the ego first braked for a stopped car 48 m away (93 m
    on a straight) and needed 3.4 m/s^2 (1.65): the corridor bent as a parabola off the
    ego's heading left the car outside it. Seen along the circle of the ego's path, it is
    in the way as soon as it is in sight (up to a quarter turn round: 94 m here)."""
    def world(road_map):
        lane = road_map.lanes[0].name
        return WorldSpec(road_map, (car("ego", lane, 5.0, 11.1, ego=True, reaction_time_s=0.2),
                                    ActorSpec("car", "stopped", lane=lane, s=100.0,
                                              behavior="static")),
                         environment=Environment(), dt=DT)

    straight = build_map({"type": "straight", "lanes": 1, "one_way": True, "length": 250.0,
                          "sidewalks": "none"})
    bent = build_map({"type": "curved", "radius": radius, "length": 180.0, "lanes": 1,
                      "one_way": True, "sidewalks": "none"})
    runs = [simulate([world(road_map)], 14.0) for road_map in (straight, bent)]
    onset = [braking_onset_s(rec, 0, 0) for _, rec in runs]
    harshest = [decelerations(rec, 0, 0).max() for _, rec in runs]
    assert onset[1] <= onset[0] + 1.5  # 1.3 s at R = 60 (94 m round, ~10 m later); was 4.2
    assert harshest[1] < 1.2 * harshest[0]
    assert all(sim.outcome(0).collisions == 0 for sim, _ in runs)
    assert runs[1][1].speed[-1, 0, 0] < 0.5  # (nearly) stopped behind it


def box_polygon(x, y, heading, length, width):
    c, s = math.cos(heading), math.sin(heading)
    return Polygon([(x + a * c * length / 2 - b * s * width / 2,
                     y + a * s * length / 2 + b * c * width / 2)
                    for a, b in ((1, 1), (-1, 1), (-1, -1), (1, -1))])


def test_pedestrian_hidden_behind_a_parked_van_is_not_reacted_to_until_in_sight(bend):
    lane = bend.lanes[bend.lane_index("fwd_0")]
    x, y, heading = lane.to_world(120.0, 0.0)
    reaction = 1.0

    def world(with_van):
        # 55 m of sight: the walker 115 m round the bend is in plain view at first (the
        # van not yet between them), and a driver seeing along its bend would brake for
        # it then; from 55 m on, the van hides it until the ego is nearly level with it
        actors = [car("ego", "fwd_0", 5.0, 10.0, ego=True, reaction_time_s=reaction,
                      vision_range_m=55.0),
                  ActorSpec("adult", "pedestrian", x=x, y=y, heading=heading + math.pi / 2)]
        if with_van:  # on the inside of the bend, between the ego and the pedestrian
            actors.append(ActorSpec("van", "van", lane="parking_left", s=95.0,
                                    behavior="static"))
        return WorldSpec(bend, tuple(actors), dt=DT)

    sim, rec = simulate([world(True), world(False)], 12.0)
    van = box_polygon(rec.x[0, 0, 2], rec.y[0, 0, 2], rec.heading[0, 0, 2],
                      sim.state.length[0, 2], sim.state.width[0, 2])
    def walker_points(k):  # its centre and its box's corners: seen if any one is
        box = box_polygon(rec.x[k, 0, 1], rec.y[k, 0, 1], rec.heading[k, 0, 1],
                          sim.state.length[0, 1], sim.state.width[0, 1])
        return [(rec.x[k, 0, 1], rec.y[k, 0, 1]), *list(box.exterior.coords)[:4]]

    hidden = np.array([all(LineString([(rec.x[k, 0, 0], rec.y[k, 0, 0]), p]).intersects(van)
                           for p in walker_points(k)) for k in range(len(rec.time_s))])
    assert hidden.any()
    first_seen = float(rec.time_s[len(hidden) - np.argmax(hidden[::-1])])
    onset_hidden, onset_clear = braking_onset_s(rec, 0, 0), braking_onset_s(rec, 1, 0)
    assert onset_clear < first_seen  # without the van the ego brakes while it would be hidden
    assert onset_hidden == pytest.approx(first_seen + reaction, abs=DT / 2)
    assert not sim.outcome(0).collision and not sim.outcome(1).collision


@pytest.mark.parametrize("condition, bend_speed, slides_off", [
    ("dry", math.sqrt(2.0 * 150.0), False),   # 2 m/s^2 of lateral acceleration
    ("wet", math.sqrt(2.0 * 150.0), False),   # half of wet grip is more than that
    ("snow", math.sqrt(0.5 * 0.2 * 9.81 * 150.0), False),  # half the grip drivers see
    ("ice", math.sqrt(2.0 * 150.0), True),    # black ice looks dry: too fast, off the road
])
def test_drivers_take_bends_at_the_speed_the_grip_they_see_allows(condition, bend_speed,
                                                                    slides_off):
    """A review: drivers took bends at 2 m/s^2 on any surface, so on snow (1.96 m/s^2 of
    grip) they slid off; they now keep to half the grip they see, which black ice hides."""
    road = build_map({"type": "curved", "radius": 150.0, "length": 400.0, "lanes": 1,
                      "one_way": True, "sidewalks": "none"})
    world = WorldSpec(road, (ActorSpec("car", "ego", lane="fwd_0", s=5.0, speed_mps=12.0,
                                       desired_speed_mps=25.0, ego=True),),
                      environment=Environment(condition), dt=DT)
    sim, rec = simulate([world], 18.0)
    assert rec.speed[:, 0, 0].max() == pytest.approx(bend_speed, abs=0.4)
    assert (not math.isnan(sim.outcome(0).ego_off_road_time_s)) is slides_off


def test_a_car_nosing_out_between_parked_vans_is_seen_by_its_bonnet():
    """A review: a car nosing out of a bay between two parked vans, its bonnet in the
    ego's lane, was hit at 13 m/s: drivers looked only at its centre, which the first van
    hides until the ego is 5 m away. Its box's corners count too."""
    road = build_map({"type": "straight", "lanes": 1, "length": 300.0, "sidewalks": "none",
                      "parking": "right"})
    lane = road.lanes[road.lane_index("fwd_0")]
    bays = road.lanes[road.lane_index("parking_right")]
    _, lane_y, _ = lane.to_world(0.0, 0.0)
    length = actor_kind("car").length
    nose_y = lane_y - 0.75  # 0.15 m into the ego's path (its half width is 0.9 m)
    actors = (car("ego", "fwd_0", 20.0, 12.0, ego=True),
              ActorSpec("van", "van_a", lane="parking_right", s=100.0, behavior="static"),
              ActorSpec("van", "van_b", lane="parking_right", s=108.0, behavior="static"),
              ActorSpec("car", "nosing", x=104.0, y=nose_y - length / 2,
                        heading=math.pi / 2, behavior="static"))
    sim, rec = simulate([WorldSpec(road, actors, dt=DT)], 12.0)
    van = box_polygon(*bays.to_world(100.0, 0.0)[:2], 0.0, actor_kind("van").length,
                      actor_kind("van").width)
    onset = braking_onset_s(rec, 0, 0)
    k = int(round(onset / DT))
    # when the ego starts braking, the van hides the car's centre from it: only the bonnet
    assert LineString([(rec.x[k, 0, 0], rec.y[k, 0, 0]),
                       (rec.x[k, 0, 3], rec.y[k, 0, 3])]).intersects(van)
    assert rec.x[k, 0, 0] < 80.0
    assert not sim.outcome(0).collision


@pytest.mark.parametrize("obstacle", [
    ActorSpec("car", "obstacle", lane="fwd_0", s=250.0, behavior="static"),
    ActorSpec("car", "obstacle", lane="fwd_0", s=250.0, desired_speed_mps=0.0),
], ids=["broken_down_static_car", "stopped_car_in_traffic"])
def test_braking_for_an_obstacle_emerging_from_fog_starts_one_reaction_time_after_it_is_seen(
    long_road, obstacle
):
    visibility = 60.0
    worlds = [
        WorldSpec(long_road, (car("ego", "fwd_0", 50.0, 15.0, ego=True, reaction_time_s=r),
                              obstacle),
                  environment=Environment(visibility_m=visibility), dt=DT)
        for r in (0.3, 1.5)
    ]
    sim, rec = simulate(worlds, 20.0)
    for w, reaction in enumerate((0.3, 1.5)):
        seen = float(rec.time_s[np.argmax(rec.x[:, w, 1] - rec.x[:, w, 0] <= visibility)])
        assert braking_onset_s(rec, w, 0) == pytest.approx(seen + reaction, abs=DT / 2)
    late, early = braking_onset_s(rec, 1, 0), braking_onset_s(rec, 0, 0)
    assert late - early == pytest.approx(1.2, abs=DT / 2)


def test_an_obstacle_seen_behind_a_nearer_one_is_not_new_once_that_one_is_out_of_the_way(
    long_road
):
    """A cyclist rides ahead of the ego near the kerb, a pedestrian stands farther on,
    in sight past the cyclist. At 3 s the cyclist swerves out of the ego's path: the ego
    reacts to the pedestrian at once (seen for seconds), not one reaction time later. A
    world without the pedestrian is the baseline: the trajectories part where the ego first
    acts on the pedestrian."""
    def world(with_pedestrian):
        actors = [car("ego", "fwd_0", 0.0, 8.0, ego=True),
                  ActorSpec("cyclist", "cyclist", lane="fwd_0", s=25.0, d=-0.9, speed_mps=8.0,
                            behavior="follow_lane", watches_road=False)]
        if with_pedestrian:
            actors.append(ActorSpec("adult", "walker", lane="fwd_0", s=110.0, d=0.6))
        swerve = ActionSpec("cyclist", "swerve", {"time_s": 3.0},
                            {"offset_m": -1.7, "lookahead_s": 0.3})
        return WorldSpec(long_road, tuple(actors), (swerve,), dt=DT)

    sim, rec = simulate([world(True), world(False)], 6.0)
    # the cyclist (0.3 m half width) leaves the corridor (0.9 + 0.3 + 0.3 m) when its centre
    # is 1.5 m from the ego's
    clear_s = rec.time_s[np.argmax(np.abs(rec.y[:, 0, 1] - rec.y[:, 0, 0]) > 1.5)]
    parted = rec.time_s[np.argmax(rec.speed[:, 0, 0] != rec.speed[:, 1, 0])]
    assert 3.0 < clear_s < 4.5
    assert clear_s < parted <= clear_s + 0.25  # at once: not a reaction time (1 s) later
    assert not sim.outcome(0).collision


@pytest.mark.parametrize(("back_at", "reacts_within"), [(5.0, (0.0, 0.3)), (7.5, (1.0, 1.3))],
                         ids=["out_2s_remembered", "out_4.5s_forgotten"])
def test_an_obstacle_back_in_the_way_soon_after_leaving_it_is_not_new(long_road, back_at,
                                                                       reacts_within):
    """A cyclist ahead of the ego swerves out of its path at 3 s and back in at ``back_at``,
    where it brakes hard: the ego, which saw it before, brakes as soon as it is back in the
    way if it was out of it for 3 s at most (OBSTACLE_MEMORY_S), else one reaction time
    (1 s) later, as for an obstacle it never saw."""
    actors = (car("ego", "fwd_0", 0.0, 8.0, ego=True),
              ActorSpec("cyclist", "cyclist", lane="fwd_0", s=25.0, d=-0.9, speed_mps=8.0,
                        behavior="follow_lane", watches_road=False))
    actions = (ActionSpec("cyclist", "swerve", {"time_s": 3.0},
                          {"offset_m": -1.8, "lookahead_s": 0.3}),
               ActionSpec("cyclist", "swerve", {"time_s": back_at},
                          {"offset_m": -0.9, "lookahead_s": 0.3}),
               ActionSpec("cyclist", "hard_brake", {"time_s": back_at}, {"decel_mps2": 6.0}))
    sim, rec = simulate([WorldSpec(long_road, actors, actions, dt=DT)], back_at + 4.0)
    lateral = np.abs(rec.y[:, 0, 1] - rec.y[:, 0, 0])
    t = rec.time_s[:-1]
    assert lateral[(rec.time_s > 4.0) & (rec.time_s < back_at)].min() > 1.5  # out of the way
    # (coming back in, it is in the way as soon as it heads into the corridor)
    braking = t[np.argmax((t > back_at) & (decelerations(rec, 0, 0) > 0.3))]
    assert back_at + reacts_within[0] < braking <= back_at + reacts_within[1]
    assert not sim.outcome(0).collision


@pytest.mark.parametrize("ahead", [1.0, 2.0, 3.0])
def test_a_car_waiting_does_not_drive_into_a_pedestrian_stepping_out_close_ahead(street, ahead):
    """A car standing in its lane; a pedestrian 2.6 m to its right, ``ahead`` m beyond its
    bumper, walks across: the car waits for them (the squeeze past an obstacle only inside
    the margin is for ones that are not coming in)."""
    lane = street.lanes[street.lane_index("fwd_0")]
    x, y, h = lane.to_world(100.0, 0.0)
    right = (math.sin(h), -math.cos(h))
    px, py = x + math.cos(h) * (2.14 + ahead + 0.3), y + math.sin(h) * (2.14 + ahead + 0.3)
    actors = (ActorSpec("car", "ego", lane="fwd_0", s=100.0, speed_mps=0.0, desired_speed_mps=8.0,
                        ego=True, reaction_time_s=0.1),
              ActorSpec("adult", "ped", x=px + 2.6 * right[0], y=py + 2.6 * right[1],
                        heading=math.atan2(-right[1], -right[0]), speed_mps=1.4,
                        behavior="walk_to", goal=(px - 5 * right[0], py - 5 * right[1]),
                        watches_road=False))
    sim, rec = simulate([WorldSpec(street, actors, (), dt=DT)], 8.0)
    assert not sim.outcome(0).collision
    assert rec.x[-1, 0, 0] - rec.x[0, 0, 0] > 10.0  # and drives on once they are across


# ---- pedestrians -----------------------------------------------------------------------


@pytest.mark.parametrize(("lane", "direction"), [
    ("sidewalk_right", 1), ("sidewalk_right", -1), ("sidewalk_left", 1), ("sidewalk_left", -1),
])
def test_lane_following_walker_stays_on_the_sidewalk_and_walks_its_way(street, lane, direction):
    walker = ActorSpec("adult", "walker", lane=lane, s=100.0, behavior="follow_lane",
                       direction=direction, speed_mps=1.4)
    sim, rec = simulate([WorldSpec(street, (walker,), dt=DT)], 30.0)
    points = zip(rec.x[:, 0, 0], rec.y[:, 0, 0], strict=True)
    assert all(street.sidewalks.contains(Point(x, y)) for x, y in points)
    assert np.all(direction * np.diff(rec.x[1:, 0, 0]) > 0.0)
    assert rec.x[-1, 0, 0] - rec.x[0, 0, 0] == pytest.approx(direction * 1.4 * 30.0, rel=0.02)


@pytest.mark.parametrize(("lane", "s", "direction"), [
    ("west_sidewalk_left", 5.0, 1), ("north_sidewalk_right", 45.0, -1),
])
def test_lane_following_walker_stays_on_the_sidewalks_of_a_junction(junction, lane, s,
                                                                     direction):
    walker = ActorSpec("adult", "walker", lane=lane, s=s, behavior="follow_lane",
                       direction=direction, speed_mps=1.4)
    sim, rec = simulate([WorldSpec(junction, (walker,), dt=DT)], 25.0)
    points = zip(rec.x[:, 0, 0], rec.y[:, 0, 0], strict=True)
    assert all(junction.sidewalks.contains(Point(x, y)) for x, y in points)
    sidewalk = junction.lanes[junction.lane_index(lane)]
    s_end, _ = sidewalk.to_frenet(rec.x[-1, 0, 0], rec.y[-1, 0, 0])
    assert (s_end - s) * direction == pytest.approx(1.4 * 25.0, rel=0.02)


def crossing_world(street, walker):
    actors = (car("car", "fwd_0", 70.0, 12.0, ego=True), walker)
    cross = ActionSpec(walker.name, "cross_road", {"time_s": 0.0},
                       {"x": 100.0, "y": 4.5, "speed_mps": 1.4})
    return WorldSpec(street, actors, (cross,), dt=DT)


def test_cautious_pedestrian_waits_at_the_kerb_until_the_car_has_passed_then_crosses(street):
    walker = ActorSpec("adult", "walker", x=100.0, y=-4.5, heading=math.pi / 2, cautious=True)
    sim, rec = simulate([crossing_world(street, walker)], 15.0)
    car_x, walker_y = rec.x[:, 0, 0], rec.y[:, 0, 1]
    approaching = car_x < 100.0  # 30 m at 12 m/s: inside the walker's 3 s gap
    assert approaching[:40].all()
    assert np.all(walker_y[approaching] == -4.5)
    assert np.all(rec.speed[approaching, 0, 1] == 0.0)
    assert math.hypot(rec.x[-1, 0, 1] - 100.0, walker_y[-1] - 4.5) < 0.35
    assert not sim.outcome(0).collision


def test_child_not_watching_the_road_steps_out_at_once_in_front_of_the_car(street):
    child = ActorSpec("child", "child", x=100.0, y=-4.5, heading=math.pi / 2,
                      watches_road=False)
    sim, rec = simulate([crossing_world(street, child)], 15.0)
    kerb_y = -3.5
    on_road = np.argmax(rec.y[:, 0, 1] > kerb_y)
    assert on_road > 0 and rec.time_s[on_road] < 1.5
    assert rec.x[on_road, 0, 0] < 100.0 - 10.0  # the car is still coming
    assert decelerations(rec, 0, 0).max() > 2.0  # and has to brake for the child


def test_a_lane_mate_well_off_to_the_side_is_no_leader(two_lane_road):
    """A slow car of the ego's lane driving 3.4 m off its centre line (over the next lane) and a
    motorcycle at the lane's edge ahead are out of the ego's corridor: it keeps its speed
    past them; one only 1 m off its centre line is in its way and it slows (a review found
    the ego braking from 10 to 6.7 m/s behind a car on the grass: lane-mates were leaders
    whatever their offset)."""
    def world(offset, kind="car"):
        return WorldSpec(two_lane_road, (
            car("ego", "fwd_0", 20.0, 10.0, ego=True, lane_changes=False),
            ActorSpec(kind, "other", lane="fwd_0", s=70.0, d=offset, speed_mps=2.0,
                      desired_speed_mps=2.0, lane_changes=False)), dt=DT)

    sim, rec = simulate([world(3.4), world(-1.6, "motorcycle"), world(1.0)], 8.0)
    # half widths 0.895 (car) and 0.4 (motorcycle) + the 0.3 m margin: 1.595 m apart at most
    assert rec.speed[:, 0, 0].min() == pytest.approx(10.0, abs=1e-6)  # over the next lane
    assert rec.speed[:, 1, 0].min() == pytest.approx(10.0, abs=1e-6)  # the lane's edge
    assert rec.speed[:, 2, 0].min() < 5.0  # in its way: it slows behind it
    assert [sim.outcome(w).collisions for w in range(3)] == [0, 0, 0]


def test_a_vehicle_whose_box_reaches_into_the_next_lane_sees_its_traffic(two_lane_road):
    """A car swerves 2.8 m left, into the next lane, towards a slow van there: it brakes
    for the van rather than hitting it at full speed (a review found it blind to the lane it
    drove into: 8 m/s into the van's back). A motorcycle riding on the line between the
    lanes slows behind a car in the other lane whose box reaches its path."""
    swerve = ActionSpec("a", "swerve", {"time_s": 0.5}, {"offset_m": 2.8})
    into = WorldSpec(two_lane_road, (
        car("ego", "fwd_0", 5.0, 5.0, ego=True),
        ActorSpec("van", "slow", lane="fwd_1", s=60.0, speed_mps=2.0, desired_speed_mps=2.0,
                  lane_changes=False),
        ActorSpec("car", "a", lane="fwd_0", s=30.0, speed_mps=10.0, desired_speed_mps=10.0,
                  lane_changes=False)), (swerve,), dt=DT)
    line = WorldSpec(two_lane_road, (
        car("ego", "fwd_0", 40.0, 3.0, ego=True, lane_changes=False),
        ActorSpec("motorcycle", "moto", lane="fwd_1", s=0.0, d=-2.2, speed_mps=14.0,
                  desired_speed_mps=14.0, lane_changes=False)), dt=DT)
    sim, rec = simulate([into, line], 8.0)
    assert sim.outcome(0).collisions == 0 and sim.outcome(1).collisions == 0
    assert decelerations(rec, 0, 2).max() > 2.0  # the swerving car brakes for the van
    assert rec.speed[-1, 1, 1] < 4.0  # the motorcycle is held behind the ego
