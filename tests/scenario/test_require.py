"""require: conditions naming the instances of a ``count``."""

from __future__ import annotations

import math
import re
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


ACTING = """\
name: acting
duration: 6
map: {type: straight, lanes: 1, length: 300, sidewalks: none}
ego: {lane: 0, s: 5, speed: 20}
actors:
  - id: lead
    kind: car
    placement: {lane: 0, s: 40}
    speed: 20
    actions:
      - hard_brake: {trigger: {time: 1.0}, delay: 0.5, decel: 8}
      - go: {trigger: {time: 3.0}, speed: 10, delay: 0.5}
  - id: late
    kind: car
    placement: {lane: 0, s: 250}
    speed: 20
    actions:
      - stop: {trigger: {time: 5.0}, delay: 0.99}
  - id: parked
    kind: car
    placement: {lane: 0, s: 290}
    speed: 0
variants:
  require: [REQUIRE]
"""


def test_action_time_is_when_an_actors_first_action_took_effect(tmp_path):
    """action_time(lead): the time of the lead's first action event (its trigger at 1 s
    plus the 0.5 s delay), whatever later actions do; an action triggered but still
    waiting out its delay when the run ends has not taken effect (inf)."""
    path = tmp_path / "acting.yaml"
    path.write_text(ACTING.replace("REQUIRE", '"action_time(lead) < collision_time"'))
    (result,) = simulate(load_scenario(path))
    (brake, *_) = [e for e in result.events if e.kind == "action" and e.actor == "lead"]
    call = metric_call(result.outcome)
    assert call("action_time", ("lead",)) == pytest.approx(brake.time_s) == pytest.approx(1.5)
    assert brake.other == "hard_brake"
    # stop is due at 5.99 s (5.0 + 0.99), the run ends at 6 s with its last step at 5.95
    assert not [e for e in result.events if e.actor == "late"]
    assert call("action_time", ("late",)) == math.inf
    # the ego, 35 m behind at 20 m/s, stops in time or hits it after it brakes: either way
    # the condition holds (a collision before 1.5 s would be impossible from 35 m)
    assert result.kept


@pytest.mark.parametrize("require, message", [
    ("action_time(parked) < 3", "action_time(parked): parked has no actions"),
    ("action_time(ego) < 3", "action_time(ego): ego has no actions"),
    ("action_time(lead, ego) < 3", "too many arguments to action_time()"),
    ("action_time < 3", "call it with 1 actor name: action_time(...)"),
])
def test_action_time_refuses_an_actor_without_actions(tmp_path, require, message):
    path = tmp_path / "acting.yaml"
    path.write_text(ACTING.replace("REQUIRE", f'"{require}"'))
    with pytest.raises(ScenarioError, match=re.escape(message)) as info:
        load_scenario(path)
    assert info.value.line == 24  # the require: line
