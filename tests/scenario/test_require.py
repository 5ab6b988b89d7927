"""require: conditions naming the instances of a ``count``."""

from __future__ import annotations

import math
import textwrap

import pytest

from simdrive.errors import ScenarioError
from simdrive.scenario import expr
from simdrive.scenario.runner import load_scenario, metric_call, requirements, simulate

SCENARIO = """\
name: c
duration: 4
map: {type: straight, lanes: 1, length: 200, sidewalks: both}
ego: {lane: 0, s: 5, speed: 10}
actors:
  - id: kids
    kind: child
    count: 2
    placement: {sidewalk: right, s: {uniform: [40, 120]}}
  - id: kids_bus
    kind: bus
    placement: {lane: 0, s: 190}
variants:
  samples: 4
  require: [REQUIRE]
"""


def _load(tmp_path, require: str):
    path = tmp_path / "c.yaml"
    path.write_text(textwrap.dedent(SCENARIO).replace("REQUIRE", f'"{require}"'))
    return load_scenario(path)


def test_an_instance_of_a_count_can_be_named_and_its_id_means_the_nearest(tmp_path):
    """Frames and labels name a count's instances kids_0, kids_1: require: accepts those
    names too (it refused them; found by a review), and the id alone is the nearer of the
    two, not an actor whose name merely starts with it (kids_bus)."""
    spec = _load(tmp_path, "min_distance(ego, kids_1) < 1000")
    for result in simulate(spec):
        call = metric_call(result.outcome)
        table = result.outcome.min_distance_by_actor
        assert call("min_distance", ("ego", "kids_1")) == table["kids_1"]
        assert call("min_distance", ("ego", "kids")) == min(table["kids_0"], table["kids_1"])
        assert call("min_distance", ("kids_bus", "ego")) == table["kids_bus"]
    assert len(requirements(spec)) == 1 and isinstance(requirements(spec)[0], expr.Expr)


def test_an_instance_past_the_count_is_an_unknown_actor(tmp_path):
    with pytest.raises(ScenarioError, match="unknown actor 'kids_2'"):
        _load(tmp_path, "min_distance(ego, kids_2) < 1000")


BEND = """\
name: bend
duration: 6
map: {type: curved, lanes: 1, length: 150, radius: 60, sidewalks: none}
environment: {weather: WEATHER}
ego: {lane: 0, s: 5, speed: SPEED}
variants:
  require: [REQUIRE]
"""


@pytest.mark.parametrize("weather, speed, off", [("snow", 25, True), ("clear", 10, False)])
def test_an_ego_that_leaves_the_road_is_reported_and_can_be_required(tmp_path, weather, speed,
                                                                     off):
    # a review found an ego sliding off a snowy bend into a field reported as "no
    # collision": nothing said it left the road. 25 m/s on a 60 m bend needs 10.4 m/s^2 of
    # grip, snow gives about 2: it slides off the outside within a second or two
    path = tmp_path / "bend.yaml"
    path.write_text(BEND.replace("WEATHER", weather).replace("SPEED", str(speed))
                    .replace("REQUIRE", '"ego.off_road and ego.off_road_time < 3"'))
    (result,) = simulate(load_scenario(path))
    outcome = result.outcome
    assert result.kept is off
    assert (outcome.ego_off_road_time_s < 3.0) is off
    if not off:
        assert math.isnan(outcome.ego_off_road_time_s)


@pytest.mark.parametrize("ego", ["{lane: 0, s: 0, speed: 13}",  # drives off the map's end
                                 "{kind: cyclist, lane: sidewalk_right, s: 5, speed: 4}"])
def test_driving_past_the_map_s_end_or_cycling_on_the_pavement_is_not_off_the_road(tmp_path,
                                                                                   ego):
    # found by a review: both were reported off the road (at 15.4 s and at once)
    path = tmp_path / "end.yaml"
    path.write_text("name: end\nduration: 30\nmap: {type: straight, lanes: 1, length: 200, "
                    f"sidewalks: both, parking: right}}\nego: {ego}\n")
    (result,) = simulate(load_scenario(path))
    assert math.isnan(result.outcome.ego_off_road_time_s)
