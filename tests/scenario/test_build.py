"""Building worlds from variants: determinism, batches, placement constraints, errors."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

from simdrive.core import geometry as G
from simdrive.core.layout import AREA_DRIVABLE, LANE_DRIVING
from simdrive.errors import ScenarioError
from simdrive.scenario import placement, streams
from simdrive.scenario.build import build_world, build_worlds, variants
from simdrive.scenario.runner import load_scenario
from simdrive.sim import ActorSpec
from simdrive.world.actors import actor_kind
from simdrive.world.maps import build_map

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "scenarios").glob("*.yaml"))
STREET = ROOT / "scenarios" / "child_between_parked_cars.yaml"


def loaded(path):
    spec = load_scenario(path)
    return spec, build_map(spec.map_desc, where=spec.file)


def write(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def crowded(tmp_path, cars: int, gap: float = 0.5) -> Path:
    return write(tmp_path, f"""\
        name: crowded
        duration: 5
        map: {{type: straight, lanes: 1, length: 200}}
        ego: {{lane: 0, s: 5, speed: 10}}
        actors:
          - id: queue
            kind: car
            count: {cars}
            placement: {{lane: 0, s: {{uniform: [40, 110]}}, min_gap: {gap}}}
        variants: {{samples: 12, seed: 3}}
        """)


def same_world(a, b) -> bool:
    return (a.actors, a.actions, a.environment, a.dt) == (b.actors, b.actions, b.environment,
                                                          b.dt)


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_a_batch_builds_the_same_worlds_as_one_variant_at_a_time(path):
    spec, road = loaded(path)
    chosen = variants(spec, 12)
    alone = [build_world(spec, v, road) for v in chosen]
    assert all(same_world(a, b) for a, b in zip(alone, build_worlds(spec, chosen, road),
                                                strict=True))
    shuffled = chosen[::-1][:7]  # another batch, another order
    assert all(same_world(build_world(spec, v, road), w)
               for v, w in zip(shuffled, build_worlds(spec, shuffled, road), strict=True))


def test_the_same_variant_gives_the_same_world_in_a_fresh_run():
    spec, road = loaded(STREET)
    first = build_worlds(spec, variants(spec, 8), road)
    spec2, road2 = loaded(STREET)  # new objects: nothing is shared but the file
    again = build_worlds(spec2, variants(spec2, 8), road2)
    assert all(same_world(a, b) for a, b in zip(first, again, strict=True))
    assert len({w.actors for w in first}) == 8  # and variants differ


def _street_copy(tmp_path, edit=lambda text: text) -> Path:
    """The street scenario, its extends base and map copied into tmp_path, edited."""
    import shutil

    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    shutil.copytree(ROOT / "assets" / "maps", tmp_path / "assets" / "maps")
    path = tmp_path / "scenarios" / STREET.name
    path.write_text(edit(path.read_text()))
    return path


@pytest.mark.parametrize("edit", [
    lambda t: t.replace("description: >", "description: >\n  Reworded entirely.\n  "),
    lambda t: t.replace("require: [min_ttc < 2.0]", "require: [min_ttc < 100]"),
    lambda t: t + "camera:\n  - {preset: front}\n  - {preset: bev}\n",
    lambda t: t.replace("name: child_between_parked_cars", "name: renamed"),
], ids=["description", "require", "camera", "name"])
def test_what_changes_no_world_leaves_every_variant_and_placement_as_it_was(tmp_path, edit):
    """The content hash seeds the placements' re-draws (and the frames' grain and the
    dataset splits): it covers what defines the worlds, not the description, the
    cameras, require: or the name (editing those moved every parked car)."""
    spec, road = loaded(_street_copy(tmp_path / "a"))
    edited, _ = loaded(_street_copy(tmp_path / "b", edit))
    assert edited.content_hash == spec.content_hash
    worlds = build_worlds(spec, variants(spec, 8), road)
    again = build_worlds(edited, variants(edited, 8), road)
    assert all(same_world(a, b) for a, b in zip(worlds, again, strict=True))


def test_an_edited_map_file_or_step_is_another_scenario(tmp_path):
    spec, _ = loaded(_street_copy(tmp_path / "a"))
    faster, _ = loaded(_street_copy(tmp_path / "c", lambda t: t + "dt: 0.04\n"))
    assert faster.content_hash != spec.content_hash
    moved = _street_copy(tmp_path / "d")
    map_file = tmp_path / "d" / "assets" / "maps" / "urban_two_lane.yaml"
    map_file.write_text(map_file.read_text() + "\n# a comment: other bytes\n")
    assert load_scenario(moved).content_hash != spec.content_hash


def test_variants_needing_many_tries_place_as_if_all_were_drawn_up_front(tmp_path, monkeypatch):
    spec, road = loaded(crowded(tmp_path, 10))
    chosen = variants(spec)
    built = build_worlds(spec, chosen, road)
    plan = placement.PlacementPlan(spec, road)
    _, failures = plan._run(chosen, placement.FIRST_TRIES)
    assert (failures[:, 0] >= 0).any()  # some variants did run out of the first candidates
    monkeypatch.setattr(placement, "FIRST_TRIES", placement.MAX_PLACEMENT_TRIES)
    fresh = build_worlds(spec, chosen, build_map(spec.map_desc, where=spec.file))
    assert all(same_world(a, b) for a, b in zip(built, fresh, strict=True))


def pose(road, actor):
    """(x, y, heading) of an ActorSpec placed on a lane or by pose."""
    if actor.lane is None:
        return actor.x, actor.y, actor.heading
    a = road.to_arrays()
    k = road.lane_index(actor.lane)
    x, y, h, _ = G.polyline_pose(a.lane_points, a.lane_cum_s, a.lane_start[k], a.lane_npoints[k],
                                 actor.s, 0)
    return x - actor.d * math.sin(h), y + actor.d * math.cos(h), h


def test_street_placements_keep_their_constraints():
    spec, road = loaded(STREET)
    own = {t.name: t.placement.s.path for t in spec.actors if t.name == "oncoming"}
    for v, world in zip(variants(spec), build_worlds(spec, variants(spec), road), strict=True):
        actors = {a.name: a for a in world.actors}
        parked = [actors[f"parked_{k}"] for k in range(6)]
        assert all(a.lane == "parking_right" and 20.0 <= a.s <= 120.0 for a in parked)
        assert len({a.s for a in parked}) == 6  # every instance draws its own placement
        van, child = pose(road, actors["parked_van"]), pose(road, actors["child"])
        assert 3.2 <= math.hypot(child[0] - van[0], child[1] - van[1]) <= 3.9
        # a single actor keeps the variant's own value when that is clear of the others
        assert actors["oncoming"].s == v.values[own["oncoming"]]
        boxes = []
        for a in world.actors:
            x, y, h = pose(road, a)
            kind = actor_kind(a.kind)
            gap = next(t for t in (spec.ego, *spec.actors) if a.name == t.name or
                       (t.count > 1 and a.name.rsplit("_", 1)[0] == t.name)).placement.min_gap
            box = (x, y, math.cos(h), math.sin(h), kind.length / 2, kind.width / 2)
            grown = (*box[:4], box[4] + gap, box[5] + gap)
            assert G.first_overlap(*grown, np.array(boxes).reshape(-1, 6), len(boxes)) == -1
            boxes.append(box)


def reference_crossing(road, x, y):
    """Where a walker at (x, y) crosses to: composed from the geometry kernels."""
    arrays = road.to_arrays()
    best, normal = math.inf, math.pi / 2
    for lane in range(len(road.lanes)):
        if arrays.lane_kind[lane] == LANE_DRIVING:
            start, count = arrays.lane_start[lane], arrays.lane_npoints[lane]
            s, d, seg = G.polyline_project(arrays.lane_points, arrays.lane_cum_s, start, count,
                                           x, y, 0)
            if abs(d) < best:
                best = abs(d)
                normal = G.polyline_pose(arrays.lane_points, arrays.lane_cum_s, start, count, s,
                                         seg)[2] + math.pi / 2
    reaches = []
    for direction in (normal, normal + math.pi):
        ux, uy = math.cos(direction), math.sin(direction)
        reach = G.last_inside_along(x, y, ux, uy, 80.0, 0.05, arrays.area_points,
                                    arrays.area_start, arrays.area_npoints, arrays.area_kind,
                                    AREA_DRIVABLE)
        if reach >= 0.0:
            reaches.append((reach, x + (reach + 1.0) * ux, y + (reach + 1.0) * uy))
    return min(reaches)[1:]


def test_a_walker_crosses_to_just_beyond_the_far_edge_of_the_road():
    spec, road = loaded(STREET)
    for world in build_worlds(spec, variants(spec, 10), road):
        child = next(a for a in world.actors if a.name == "child")
        cross = next(a for a in world.actions if a.action == "cross_road")
        assert (cross.params["x"], cross.params["y"]) == reference_crossing(road, child.x, child.y)
        assert cross.params["y"] > child.y + 5.0  # across both lanes


def test_actor_specs_equal_those_made_by_their_constructor():
    spec, road = loaded(STREET)
    for a in build_world(spec, variants(spec, 1)[0], road).actors:
        assert a == ActorSpec(**vars(a)) and hash(a) == hash(ActorSpec(**vars(a)))
        assert all(type(v) in (int, float, str, bool, type(None)) for v in vars(a).values())


@pytest.mark.parametrize(("gap", "tries"), [(0.5, 200), (None, 1)])
def test_an_impossible_placement_says_which_instance_failed_and_how_often(tmp_path, gap, tries):
    if gap is None:  # a fixed placement is tried once
        path = write(tmp_path, """\
            name: t
            duration: 5
            map: {type: straight, lanes: 1, length: 200}
            ego: {lane: 0, s: 5, speed: 10}
            actors:
              - {id: lead, kind: car, placement: {lane: 0, s: 40}}
              - {id: twin, kind: car, placement: {lane: 0, s: 41}}
            """)
        where = "actor 'twin'"
    else:
        path = crowded(tmp_path, 30, gap)
        where = "of 30 of actor 'queue'"
    spec, road = loaded(path)
    with pytest.raises(ScenarioError, match=f"variant 0: .*{where}.*in {tries} of {tries} "
                                            "tries"):
        build_worlds(spec, variants(spec, 3), road)
    last = variants(spec, 3)[-1]
    with pytest.raises(ScenarioError, match=f"variant {last.index}: "):  # the one it was
        build_worlds(spec, [last], road)


def test_ahead_of_an_actor_placed_later_is_an_error(tmp_path):
    path = write(tmp_path, """\
        name: t
        duration: 5
        map: {type: straight, lanes: 1, length: 200}
        ego: {lane: 0, s: 5, speed: 10}
        actors:
          - {id: first, kind: car, placement: {ahead_of: second, distance: 10}}
          - {id: second, kind: car, placement: {lane: 0, s: 40}}
        """)
    spec, road = loaded(path)
    with pytest.raises(ScenarioError, match="ahead of 'second', which must come before"):
        build_world(spec, variants(spec)[0], road)


def splitmix64(key: int, counter: int) -> float:
    """Output ``counter`` of SplitMix64 seeded with ``key``, as a double in [0, 1)."""
    mask = (1 << 64) - 1
    z = (key + (counter + 1) * 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return ((z ^ (z >> 31)) >> 11) * 2.0**-53


def test_streams_are_splitmix64_of_a_key_from_the_variant_triple():
    triples = [("ab" * 32, 7, 0), ("ab" * 32, 7, 1), ("ab" * 32, 8, 0), ("cd" * 32, 7, 0)]
    keys = streams.variant_keys(triples)
    assert len(set(keys.tolist())) == 4
    counters = np.array([[0, 1, 2], [5000, 2**40, 17]], dtype=np.uint64)
    u = streams.uniforms(keys, counters)
    assert u.shape == (4, 2, 3)
    for v, key in enumerate(keys.tolist()):
        for (i, j), c in np.ndenumerate(counters):
            assert u[v, i, j] == splitmix64(key, int(c))
    many = streams.uniforms(keys[:1], np.arange(100_000, dtype=np.uint64))
    assert many.min() >= 0.0 and many.max() < 1.0 and abs(many.mean() - 0.5) < 0.005


def test_a_cyclist_given_a_speed_on_a_lane_rides_it_without_a_behaviour(tmp_path):
    from simdrive.sim import Simulation

    path = write(tmp_path, """\
        name: riders
        duration: 4
        map: {type: straight, lanes: 1, length: 200, sidewalks: both}
        ego: {lane: 0, s: 5, speed: 0}
        actors:
          - {id: cyclist, kind: cyclist, placement: {lane: 0, s: 40, d: -0.9}, speed: 5,
             desired_speed: 5}
          - {id: walker, kind: adult, placement: {lane: sidewalk_right, s: 60}, speed: 1.4,
             desired_speed: 1.4}
          - {id: bystander, kind: adult, placement: {lane: sidewalk_right, s: 90}}
        """)
    spec, road = loaded(path)
    world = build_world(spec, variants(spec)[0], road)
    behaviour = {a.name: a.behavior for a in world.actors}
    assert behaviour["cyclist"] == behaviour["walker"] == "follow_lane"
    assert behaviour["bystander"] in (None, "static")
    sim = Simulation([world], threads=1)
    start = dict(zip(sim.actor_names[0], sim.state.x[0].copy(), strict=False))
    sim.step(40)  # 2 s
    moved = {n: sim.state.x[0, k] - start[n] for k, n in enumerate(sim.actor_names[0])}
    assert moved["cyclist"] == pytest.approx(10.0, abs=1.5)
    assert moved["walker"] == pytest.approx(2.8, abs=0.6)
    assert moved["bystander"] == 0.0


def test_a_lane_index_in_an_action_at_a_junction_means_a_lane_of_the_actors_approach(
        tmp_path):
    """A junction's lanes are named per approach: `cut_in: {lane: 0}` by a car coming from
    the south means south_in_0 (it meant west_in_0, and the car drove across the junction
    to the west approach's lane). On a straight road an index is still a forward lane."""
    path = write(tmp_path, """\
        name: t
        duration: 5
        map: {type: intersection, lanes: 2}
        ego: {lane: west_in_0, s: 5, speed: 5}
        actors:
          - id: car
            kind: car
            placement: {lane: south_in_1, s: 10}
            speed: 5
            actions: [{cut_in: {trigger: {time: 1}, lane: 0}}]
        """)
    spec, road = loaded(path)
    (world,) = build_worlds(spec, variants(spec, 1), road)
    assert world.actions[0].params["lane"] == "south_in_0"
    spec, road = loaded(STREET)
    assert placement.lane_name(road, 0, "bwd_0") == "fwd_0"


@pytest.mark.parametrize("kind, speed", [("cyclist", 5.0), ("cyclist", None), ("adult", 1.4)])
def test_a_cyclist_or_walker_ego_on_a_lane_rides_it(tmp_path, kind, speed):
    # it was built standing (no lane) and then given the ego's traffic behaviour, which
    # needs a lane: "behavior 'traffic' needs a lane" for an ego on lane 0
    from simdrive.sim import Simulation

    path = tmp_path / "s.yaml"
    path.write_text(f"name: t\nduration: 4\nmap: {{type: straight, lanes: 2, length: 300}}\n"
                    f"ego: {{kind: {kind}, lane: 0, s: 5"
                    + ("" if speed is None else f", speed: {speed}") + "}\n")
    spec = load_scenario(path)
    (world,) = build_worlds(spec, variants(spec, 1), build_map(spec.map_desc))
    assert world.actors[0].lane is not None and world.actors[0].behavior == "follow_lane"
    sim = Simulation([world], threads=1)
    y0 = float(sim.state.y[0][0])
    sim.run(4.0)
    assert sim.state.x[0][0] > 5.0 + 3.0 and abs(sim.state.y[0][0] - y0) < 0.5


@pytest.mark.parametrize("weather_name,lighting_name,seen,lamps,glare", [
    ("clear", "noon", 1000.0, 1000.0, None),  # daylight: lamps do not stand out
    ("clear", "night", 60.0, 1000.0, 1.0),  # the dark hides the rest, not the lamps
    ("fog", "night", 50.0, 50.0, 1.0),  # the fog hides both
    ("rain", "dusk", 200.0, 400.0, 3.0),
    ("clear", "dawn", 400.0, 1000.0, 5.5),
])
def test_lamps_are_seen_as_far_as_the_weather_allows_when_the_light_calls_for_them(
        tmp_path, weather_name, lighting_name, seen, lamps, glare):
    """A world's visibility is the weather's and the light's (the nearer); with headlights
    on (dawn, dusk, night) vehicles under way are seen by their lamps as far as the
    weather alone allows, before and after a change of weather, and their glare dazzles
    against the light's background luminance."""
    path = write(tmp_path, f"""\
        name: lamps
        duration: 5
        map: {{type: straight, lanes: 1, length: 200}}
        ego: {{lane: 0, s: 5, speed: 10}}
        environment:
          weather: {weather_name}
          lighting: {lighting_name}
          change: {{at: 2, weather: fog}}
        """)
    spec, road = loaded(path)
    env = build_world(spec, variants(spec)[0], road).environment
    assert (env.visibility_m, env.lamp_visibility) == (seen, lamps)
    assert env.visibility_after == 50.0 and env.lamp_visibility_after == 50.0
    assert env.glare_background_cd_m2 == glare


def test_an_environment_without_lamp_visibility_sees_lamps_no_further_than_the_rest():
    from simdrive.world.environment import Environment

    env = Environment(visibility_m=60.0)
    assert env.lamp_visibility == 60.0 and env.lamp_visibility_after == 60.0
    env = Environment(visibility_m=60.0, lamp_visibility_m=900.0)
    assert env.lamp_visibility == env.lamp_visibility_after == 900.0  # nothing changes
    env = Environment(visibility_m=60.0, lamp_visibility_m=900.0, change_time_s=3.0,
                      visibility_after_m=40.0)
    assert env.lamp_visibility_after == 40.0  # a change that does not say: no further
    env = Environment(visibility_m=60.0, lamp_visibility_m=20.0)
    assert env.lamp_visibility == 60.0  # never nearer than the rest
    with pytest.raises(Exception, match="visibility must be positive"):
        Environment(lamp_visibility_m=0.0)
    with pytest.raises(Exception, match="glare background luminance must be positive"):
        Environment(glare_background_cd_m2=-1.0)
    assert Environment().glare_background == math.inf  # no dazzle unless given


def test_lamps_in_a_scenario_file_reach_the_world(tmp_path):
    """lamps: false turns a vehicle's lamps off, lamps: true gives a cyclist lamps; the
    rest keep their kind's default (vehicles lit, cyclists and walkers not)."""
    from simdrive.core import layout as L
    from simdrive.sim import Simulation

    path = write(tmp_path, """\
        name: lamps
        duration: 5
        map: {type: straight, lanes: 2, length: 200, sidewalks: both}
        ego: {lane: 0, s: 5, speed: 10}
        actors:
          - {id: dark_car, kind: car, placement: {lane: 0, s: 60}, speed: 8, lamps: false}
          - {id: lit_bike, kind: cyclist, placement: {lane: 0, s: 40}, speed: 4, lamps: true}
          - {id: bike, kind: cyclist, placement: {lane: 0, s: 90}, speed: 4}
          - {id: walker, kind: adult, placement: {sidewalk: right, s: 50}, lamps: false}
        """)
    spec, road = loaded(path)
    world = build_world(spec, variants(spec)[0], road)
    assert [a.lamps for a in world.actors] == [None, False, True, None, False]
    sim = Simulation([world], threads=1)
    # their headlights' strength in a car's two (world.actors.headlight_strength)
    np.testing.assert_array_equal(sim.blocks.params[0, L.P_LAMPS, :5], [2, 0, 0.35, 0, 0])


def test_a_true_or_false_key_varies_by_a_choice_and_grids(tmp_path):
    """lamps: {choice: [true, false]} (any true-or-false key) is a variant parameter: a
    grid over it gives worlds with and without the cyclist's lamps, otherwise alike."""
    from simdrive.core import layout as L
    from simdrive.sim import Simulation

    path = write(tmp_path, """\
        name: lamps_vary
        duration: 5
        map: {type: straight, lanes: 1, length: 300, sidewalks: none}
        ego: {lane: 0, s: 5, speed: 10, watches_road: {choice: [true, false]}}
        actors:
          - {id: bike, kind: cyclist, placement: {lane: 0, s: 60}, speed: 3,
             lamps: {choice: [true, false]}}
        variants:
          grid: ["actors[0].lamps", ego.watches_road]
          seed: 1
        """)
    spec, road = loaded(path)
    found = []
    for variant in variants(spec):
        world = build_world(spec, variant, road)
        bike = world.actors[1]
        assert bike.lamps is variant.values["actors[0].lamps"]
        assert world.actors[0].watches_road is variant.values["ego.watches_road"]
        sim = Simulation([world], threads=1)
        assert sim.blocks.params[0, L.P_LAMPS, 1] == (0.35 if bike.lamps else 0.0)
        found.append((bike.lamps, world.actors[0].watches_road))
    assert sorted(found) == [(False, False), (False, True), (True, False), (True, True)]


@pytest.mark.parametrize("kind,anchor", [("cyclist", "lane: 0"), ("adult", "sidewalk: right")])
def test_a_cyclist_or_walker_standing_on_its_lane_sets_off_on_go(tmp_path, kind, anchor):
    """A review: a cyclist placed on a lane with no speed and a go action never moved
    (placed by its pose as a static actor, it had no lane to follow). It now stands on
    its lane until the go, then rides (walks) along it at the go's speed."""
    from simdrive.sim import Simulation

    path = write(tmp_path, f"""\
        name: sets_off
        duration: 5
        map: {{type: straight, lanes: 1, length: 300, sidewalks: both}}
        ego: {{lane: 0, s: 5, speed: 0}}
        actors:
          - id: rider
            kind: {kind}
            placement: {{{anchor}, s: 60}}
            actions:
              - go: {{trigger: {{time: 1.0}}, speed: 2.0}}
        """)
    spec, road = loaded(path)
    world = build_world(spec, variants(spec)[0], road)
    assert world.actors[1].lane is not None and world.actors[1].behavior == "follow_lane"
    sim = Simulation([world], threads=1)
    x0, y0 = float(sim.state.x[0][1]), float(sim.state.y[0][1])
    sim.run(0.9)
    assert float(sim.state.x[0][1]) == x0  # standing until the go
    sim.run(3.0)
    assert float(sim.state.x[0][1]) > x0 + 3.0 and abs(float(sim.state.y[0][1]) - y0) < 0.3
    # a go without a speed has nothing to go back to: refused, naming the action's line
    path.write_text(path.read_text().replace(", speed: 2.0}", "}"))
    with pytest.raises(ScenarioError, match="given none") as info:
        load_scenario(path)
    assert info.value.line == 10
