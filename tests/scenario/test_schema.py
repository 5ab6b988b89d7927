"""`simdrive schema` stays in sync with the checker and accepts the whole library."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from simdrive.cli import main
from simdrive.errors import ScenarioError
from simdrive.scenario import actor_spec, spec
from simdrive.scenario.json_schema import scenario_schema
from simdrive.scenario.runner import load_scenario

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "scenarios").rglob("*.yaml"))


def test_schema_is_valid_json_schema_and_printed_by_the_cli(capsys):
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == scenario_schema()
    jsonschema.Draft202012Validator.check_schema(printed)


def test_schema_lists_exactly_the_keys_the_checker_accepts():
    schema = scenario_schema()
    assert set(schema["properties"]) == set(spec.TOP_KEYS)
    actor = schema["properties"]["actors"]["items"]
    assert set(actor["properties"]) == set(actor_spec.ACTOR_KEYS) - set(actor_spec.SHORTHAND)
    ego = schema["properties"]["ego"]
    assert set(ego["properties"]) == set(actor_spec.ACTOR_KEYS) - {"id", "count"}
    assert set(schema["$defs"]["action"]["properties"]) == set(actor_spec.ACTIONS)
    assert set(schema["$defs"]["trigger"]["properties"]) == set(actor_spec.TRIGGERS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_library_file_satisfies_the_schema(path):
    jsonschema.validate(yaml.safe_load(path.read_text()), scenario_schema())


@pytest.mark.parametrize("doc", [
    {"ego": {"lane": 0, "id": "bob"}},  # the ego is one actor named ego
    {"ego": {"lane": 0, "count": 3}},
    {"ego": {"lane": 1, "placement": {"lane": 0, "s": 50}}},  # shorthand and placement
    {"ego": {"lane": 0}, "actors": [{"kind": "car", "placement": {"lane": 1}, "s": 80}]},
])
def test_schema_and_checker_refuse_keys_that_would_be_ignored(doc, tmp_path):
    doc = {"name": "x", "duration": 5, "map": {"type": "straight", "lanes": 2}, **doc}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, scenario_schema())
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ScenarioError, match="the ego|ego's shorthand"):
        load_scenario(path)


def test_schema_rejects_a_typo_an_editor_should_flag():
    doc = {"name": "x", "duration": 5, "ego": {"lane": 0, "sped": 3}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, scenario_schema())


@pytest.mark.parametrize(("action", "needs"), [("swerve", "offset"), ("cut_in", "lane"),
                                               ("wrong_way", "lane")])
def test_schema_requires_what_an_action_cannot_do_without(action, needs):
    schema = scenario_schema()
    body = schema["$defs"]["action"]["properties"][action]
    assert set(body["required"]) == {"trigger", needs}
    doc = {"name": "t", "map": "m.yaml",
           "actors": [{"id": "a", "kind": "car", "placement": {"lane": 0, "s": 10},
                       "actions": [{action: {"trigger": {"time": 1}}}]}]}
    with pytest.raises(jsonschema.ValidationError, match=needs):
        jsonschema.validate(doc, schema)


def test_a_placement_replaces_the_ego_shorthand_of_a_base_it_extends(tmp_path):
    # the library bases place the ego with lane and s: a file extending one gives it a
    # placement instead (ahead_of, position, parking...), which replaces them
    base = tmp_path / "base.yaml"
    base.write_text("name: b\nduration: 4\nmap: {type: straight, lanes: 2, length: 300}\n"
                    "ego: {lane: 0, s: 5, speed: 10}\n")
    child = tmp_path / "child.yaml"
    child.write_text("name: c\nextends: base.yaml\nego:\n  placement: {lane: 1, s: 40}\n")
    spec = load_scenario(child)
    assert spec.ego.placement.target == 1 and spec.ego.placement.s == 40
    # but a shorthand cannot replace a base's placement (it would be left unused)
    grandchild = tmp_path / "grandchild.yaml"
    grandchild.write_text("name: g\nextends: child.yaml\nego:\n  lane: 0\n")
    with pytest.raises(ScenarioError, match="cannot replace the placement a base file"):
        load_scenario(grandchild)


@pytest.mark.parametrize("change", [
    {"duration": 601}, {"dt": 0.6},
    {"ego": {"lane": 0, "speed": 80}}, {"ego": {"lane": 0, "reaction_time": 6}},
    {"actors": [{"kind": "car", "placement": {"lane": 0, "s": 40},
                 "actions": [{"hard_brake": {"trigger": {"time": 1}, "decel": 20}}]}]},
    {"actors": [{"kind": "adult", "placement": {"lane": 0, "s": 40},
                 "behavior": "walk_to"}]},
    # a second review's: triggers, delays, count, placement offset and spacing
    {"actors": [{"kind": "car", "placement": {"lane": 0, "s": 40},
                 "actions": [{"stop": {"trigger": {"time": -1}}}]}]},
    {"actors": [{"kind": "car", "placement": {"lane": 0, "s": 40},
                 "actions": [{"stop": {"trigger": {"ego_distance_below": 100000}}}]}]},
    {"actors": [{"kind": "car", "placement": {"lane": 0, "s": 40},
                 "actions": [{"stop": {"trigger": {"time": 1}, "delay": -1}}]}]},
    {"actors": [{"kind": "car", "count": 1000, "placement": {"lane": 0, "s": 40}}]},
    {"actors": [{"kind": "car", "placement": {"lane": 0, "s": 40, "d": 25}}]},
    {"actors": [{"kind": "car", "placement": {"lane": 0, "s": 40, "min_gap": -1}}]},
    # a review of the lamps option: the kinds that carry none
    {"actors": [{"kind": "adult", "placement": {"sidewalk": "right", "s": 40},
                 "lamps": True}]},
    {"ego": {"lane": 0, "kind": "deer", "lamps": True}},
])
def test_schema_flags_what_the_checker_refuses_a_review_found_it_passed(change, tmp_path):
    doc = {"name": "x", "duration": 5, "map": {"type": "straight", "lanes": 2},
           "ego": {"lane": 0}, **change}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, scenario_schema())
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ScenarioError):
        load_scenario(path)
    # a distribution stays allowed where a plain number has a range
    ok = {"name": "x", "duration": 5, "map": {"type": "straight", "lanes": 2},
          "ego": {"lane": 0, "speed": {"uniform": [5, 10]}}}
    jsonschema.validate(ok, scenario_schema())
    # and lamps where a kind carries them, lamps: false anywhere
    ok["actors"] = [{"kind": "cyclist", "placement": {"lane": 0, "s": 40}, "lamps": True},
                    {"kind": "adult", "placement": {"lane": 0, "s": 60}, "lamps": False},
                    {"kind": "car", "placement": {"lane": 0, "s": 80}, "lamps": True}]
    jsonschema.validate(ok, scenario_schema())
    ok["actors"][0]["lamps"] = {"choice": [True, False]}  # a true-or-false key may vary
    jsonschema.validate(ok, scenario_schema())
