"""Scenario input that used to be accepted and then ignored or misread (found by a fuzz
run of 2,118 mutated library files): each is now refused at its own line."""

from __future__ import annotations

import pytest

from simdrive.errors import ScenarioError
from simdrive.scenario.runner import load_scenario
from tests.scenario.test_spec_errors import GOOD, error_for, write

COUNTED = GOOD + """\
  - id: p
    kind: car
    count: 2
    placement: {lane: 0, s: {uniform: [60, 150]}}
"""


@pytest.mark.parametrize("order", ["after", "before"])
def test_an_id_that_a_count_s_instance_also_takes_is_refused_at_its_entry(tmp_path, order):
    """A count of 2 named p names its actors p_0 and p_1: an actor with id p_1 made two
    actors of that name, refused by the world builder with the file but no line."""
    other = "  - {id: p_1, kind: car, placement: {lane: 0, s: 190}}\n"
    text = COUNTED + other if order == "after" else GOOD + other + COUNTED[len(GOOD):]
    err = error_for(tmp_path, text)
    assert err.path == "actors[2]" and err.line == (14 if order == "after" else 11)
    assert "'p_1' is also the name of an instance of 'p'" in str(err)


@pytest.mark.parametrize("behavior", ["parked", "static"])
def test_a_parked_actor_takes_no_speed(tmp_path, behavior):
    """A parked car given a speed rolled off at it (behavior parked: it never moves by
    itself); the speed it drives off at, on a go, is the go's or desired_speed."""
    text = GOOD + f"    behavior: {behavior}\n"
    err = error_for(tmp_path, text)
    assert err.path == "actors[0].speed" and err.line == 9
    assert f"behavior {behavior} stands still" in str(err)
    spec = load_scenario(write(tmp_path, text.replace("speed: 8", "desired_speed: 8")))
    assert spec.actors[0].desired_speed == 8.0 and spec.actors[0].speed == 0.0


@pytest.mark.parametrize("placement, key, says", [
    ("{lane: 0, s: 40, distance: 25}", "distance", "lane placements use s"),
    ("{parking: right, s: 40, distance: 25}", "distance", "parking placements use s"),
    ("{position: {x: 40, y: 0}, s: 3}", "s", "position placements use x, y and heading"),
    ("{position: {x: 40, y: 0}, d: 1}", "d", "position placements use x, y and heading"),
    ("{ahead_of: ego, distance: 20, s: 3}", "s", "ahead_of placements use distance"),
])
def test_a_placement_key_its_anchor_does_not_read_is_refused(tmp_path, placement, key, says):
    err = error_for(tmp_path, GOOD.replace("placement: {lane: 0, s: 40}",
                                           f"placement: {placement}"))
    assert err.path == f"actors[0].placement.{key}" and err.line == 8
    assert says in str(err) and f"not {key}" in str(err)


@pytest.mark.parametrize("axis", ["duration", "name", "map.length", "dt"])
def test_a_grid_axis_that_can_never_vary_is_refused(tmp_path, axis):
    """grid: [duration] ran as a grid of one cell, though no key outside environment, ego
    and actors can vary."""
    err = error_for(tmp_path, GOOD + f"variants: {{grid: [{axis}]}}\n")
    assert err.path == "variants.grid[0]" and err.line == 10
    assert "cannot be a grid axis" in str(err)


def test_a_division_by_a_written_zero_is_refused_where_it_is(tmp_path):
    """require: [min_ttc / 0 < 1] is inf or nan in every run: every variant was dropped."""
    err = error_for(tmp_path, GOOD + "variants: {require: [min_ttc / 0 < 1]}\n")
    assert "division by the constant 0" in str(err)
    assert (err.line, err.column) == (10, 32)  # at the 0
    load_scenario(write(tmp_path, GOOD + "variants: {require: [min_ttc / 2 < 1]}\n"))


def test_a_binary_file_names_the_byte_that_is_no_utf_8(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes(b"name: t\nduration: \xff\xfe\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert (info.value.line, info.value.column) == (2, 11)
    assert "the byte 0xff" in str(info.value) and "bytes)" not in str(info.value)


def test_a_syntax_error_in_a_base_names_the_file_that_extends_it(tmp_path):
    (tmp_path / "base.yaml").write_text("name: b\nduration: [5\n")
    err = error_for(tmp_path, GOOD + "extends: base.yaml\n")
    assert err.file.endswith("base.yaml") and "invalid YAML" in str(err)
    assert f"it is read as a base that {tmp_path / 's.yaml'} extends" in str(err)


def test_a_map_number_that_is_not_finite_says_so(tmp_path, capsys):
    from simdrive.cli import main

    path = write(tmp_path, GOOD.replace("length: 200}", "length: 200, lane_width: .nan}"))
    assert main(["validate", str(path)]) == 2
    assert "not a finite number" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["car", "adult"])
def test_an_actor_parked_by_its_parking_placement_takes_no_speed_either(tmp_path, kind):
    err = error_for(tmp_path, GOOD.replace("map: {type: straight, lanes: 1, length: 200}",
                                           "map: {type: straight, lanes: 1, length: 200, "
                                           "parking: [right]}")
                    .replace("placement: {lane: 0, s: 40}", "placement: {parking: right, s: 40}")
                    .replace("kind: car", f"kind: {kind}").replace("speed: 8", "speed: 1"))
    assert err.path == "actors[0].speed" and err.line == 9
    assert f"{kind} in a parking lane is parked" in str(err)


def test_the_python_api_refuses_a_speed_for_a_static_vehicle():
    from simdrive.errors import WorldError
    from simdrive.sim import ActorSpec, Simulation, WorldSpec
    from simdrive.world.maps import build_map

    road = build_map({"type": "straight", "lanes": 1, "length": 200})
    ego = ActorSpec("car", "ego", lane="fwd_0", s=5, speed_mps=10, ego=True)
    for speed, desired in ((5.0, None), (0.0, 8.0)):
        parked = ActorSpec("car", "p", lane="fwd_0", s=60, behavior="static",
                           speed_mps=speed, desired_speed_mps=desired)
        if speed:
            with pytest.raises(WorldError, match="takes no speed_mps"):
                Simulation([WorldSpec(road, (ego, parked))])
        else:  # the speed a go without one sets it off at
            Simulation([WorldSpec(road, (ego, parked))])
