"""The found file: written atomically, read back by load_variants, replayed exactly."""

from __future__ import annotations

import shutil

import pytest
import yaml

from simdrive.errors import ScenarioError
from simdrive.scenario.build import variants
from simdrive.scenario.runner import load_scenario, simulate_variants
from simdrive.scenario.source import load_variants
from simdrive.search.found import write_found
from simdrive.search.objective import metrics, parse_objective
from simdrive.search.run import search
from tests.search.analytic import SCENARIO


@pytest.fixture(scope="module")
def found_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("found")
    scenario = folder / "scenarios" / SCENARIO.name
    scenario.parent.mkdir()
    shutil.copy(SCENARIO, scenario)
    spec = load_scenario(scenario)
    result = search(spec, parse_objective(spec, "collision"), budget=600, seed=2, keep=8)
    out = folder / "out" / "found.yaml"
    out.parent.mkdir()
    write_found(result, out)
    return out, result


def test_found_file_records_provenance_parameters_and_metrics(found_file):
    path, result = found_file
    doc = yaml.safe_load(path.read_text())
    assert doc["found_variants_of"] == "../scenarios/braking_toward_obstacle.yaml"
    assert doc["scenario_hash"] == result.spec.content_hash
    assert (doc["seed"], doc["method"], doc["budget"]) == (2, "cem", 600)
    assert doc["objective"] == "collision" and doc["critical_found"] == result.critical_count
    assert doc["probability"]["estimate"] > 0 and doc["probability"]["standard_error"] > 0
    assert 1 <= len(doc["variants"]) <= 8
    first = doc["variants"][0]
    assert set(first["values"]) == set(result.spec.params)
    assert first["metrics"]["collision"] is True
    assert len({v["index"] for v in doc["variants"]}) == len(doc["variants"])


def test_load_variants_replays_the_found_variants_exactly(found_file):
    path, result = found_file
    spec, chosen = load_variants(path)
    assert spec.content_hash == result.spec.content_hash
    assert [v.values for v in chosen] == [f.variant.values for f in result.found]
    replayed = simulate_variants(spec, chosen, threads=1)
    assert [metrics(r.outcome) for r in replayed] == [f.metrics for f in result.found]
    assert len(load_variants(path, limit=2)[1]) == 2


def test_validate_and_variants_accept_a_found_file(found_file, capsys):
    import json

    from simdrive.cli import main

    path, result = found_file
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ok {path}: found file of {result.spec.name}")
    assert out.rstrip().endswith(f"{len(result.found)} variants")
    assert main(["variants", str(path), "--json", "--limit", "2"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [v["values"] for v in listed] == [f.variant.values for f in result.found[:2]]


def test_a_found_file_variant_given_by_its_scenario_index_says_its_place(found_file):
    # simulate and variants print the scenario's indices; frame and preview take places
    # (a review passed an index and got only "expected a number from 0 to 19")
    from simdrive.errors import SimdriveError
    from simdrive.scenario.source import select_variant

    path, result = found_file
    index = result.found[1].variant.index
    assert index >= len(result.found)
    with pytest.raises(SimdriveError, match=f"the scenario's variant {index} is at place 1"):
        select_variant(path, index)
    assert select_variant(path, 1)[1].index == index


def test_load_variants_of_a_scenario_file_enumerates_it():
    spec, chosen = load_variants(SCENARIO, limit=5)
    assert chosen == variants(spec, 5)


def test_a_changed_scenario_is_a_clear_error(found_file, tmp_path):
    path, _ = found_file
    scenario = path.parent.parent / "scenarios" / SCENARIO.name
    original = scenario.read_text()
    try:
        scenario.write_text(original.replace("duration: 6.0", "duration: 5.0"))
        with pytest.raises(ScenarioError, match="has changed since this search") as error:
            load_variants(path)
        assert error.value.file == str(path) and error.value.line == 5  # after the header
    finally:
        scenario.write_text(original)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["variants"][0]["values"].pop("ego.speed"), "missing ego.speed"),
    (lambda d: d["variants"][0]["values"].update({"ego.speed": 99.0}), "cannot come from"),
    (lambda d: d["variants"][0]["values"].update({"environment.weather": "hail"}),
     "cannot come from"),
    (lambda d: d["variants"][0]["values"].update({"environment.weather": ["snow"]}),
     "expected one value"),
    (lambda d: d["variants"][0]["values"].update({"ego.speed": {"a": 1}}),
     "expected one value"),
    (lambda d: d["variants"].append(dict(d["variants"][0])), "listed twice"),
    (lambda d: d.update({"found_variants_of": "nowhere.yaml"}), "does not exist"),
    (lambda d: d.update({"variants": []}), "lists no variants"),
])
def test_a_hand_edited_found_file_is_checked(found_file, tmp_path, edit, message):
    path, _ = found_file
    doc = yaml.safe_load(path.read_text())
    edit(doc)
    edited = path.parent / "edited.yaml"
    edited.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(ScenarioError, match=message):
        load_variants(edited)


def test_a_run_without_a_collision_has_no_impact_speeds_in_the_found_file(tmp_path):
    # expressions read them as 0 (documented), but a found file wrote 0.0 as if measured
    import math

    from simdrive.search.objective import metrics
    from simdrive.sim import Outcome

    def outcome(collision):
        return Outcome(collision=collision, collision_with="lead" if collision else None,
                       collision_time_s=2.0 if collision else math.nan,
                       ego_speed_at_impact_mps=7.0 if collision else math.nan, collisions=0,
                       min_ttc_s=math.inf, min_distance_m=3.0, max_ego_decel_mps2=1.0,
                       ego_max_speed_mps=10.0, min_ttc_by_actor={}, min_distance_by_actor={},
                       ego_closing_speed_at_impact_mps=6.5 if collision else math.nan,
                       ego_impact_face="front" if collision else None)

    clean, hit = metrics(outcome(False)), metrics(outcome(True))
    assert clean["ego.speed_at_impact"] is None and clean["ego.closing_speed_at_impact"] is None
    assert clean["min_ttc"] is None and clean["collision_time"] is None and not clean["collision"]
    assert hit["ego.speed_at_impact"] == 7.0 and hit["ego.closing_speed_at_impact"] == 6.5
    assert hit["ego.hit_front"] is True
