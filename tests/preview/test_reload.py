"""Hot reload: a valid edit is picked up at the same variant and time; a broken one is shown."""

from __future__ import annotations

import os

import pygame

from simdrive.core import layout as L
from simdrive.errors import ScenarioError
from simdrive.preview.history import blocks_equal, take_snapshot
from simdrive.preview.playback import Playback
from simdrive.preview.reload import source_files
from tests.preview.conftest import ROOT

DT = 1 / 30


def _edit(path, old, new):
    text = path.read_text()
    assert old in text
    stamp = path.stat().st_mtime_ns
    path.write_text(text.replace(old, new))
    os.utime(path, ns=(stamp + 2_000_000_000, stamp + 2_000_000_000))  # a visibly newer file


def _oncoming_speed(pb):
    return pb.sim.blocks.fstate[0, L.F_SPEED, pb.sim.actor_names[0].index("oncoming")]


def test_the_watch_list_follows_extends_and_the_map_file(scenario_copy):
    base = scenario_copy.parent / "base" / "urban_two_lane.yaml"
    assert source_files(scenario_copy) == [
        scenario_copy, base, base.parent / "../../assets/maps/urban_two_lane.yaml"]


def test_a_valid_edit_reloads_at_the_same_variant_and_time(make_viewer, scenario_copy):
    viewer = make_viewer(scenario_copy, variant=5)
    pb = viewer.playback
    for _ in range(20):
        viewer.tick(DT)
    step, variant = pb.step, pb.variant
    assert _oncoming_speed(pb) > 10.0
    _edit(scenario_copy, "    speed: 11\n", "    speed: 4\n")
    viewer.tick(1.0)  # past the poll interval
    assert viewer.reloader.reloads == 1 and viewer.reloader.error is None
    assert pb.variant.index == variant.index and pb.spec.content_hash != variant.content_hash
    assert pb.step >= step and pb.step - step <= 8  # same time (plus this tick's own steps)
    assert _oncoming_speed(pb) < 8.0
    fresh = Playback(scenario_copy, 5)  # the edited scenario, simulated from the start
    fresh.step_forward(pb.step)
    assert blocks_equal(pb.sim.blocks, take_snapshot(fresh.sim.blocks, fresh.step))


def test_a_broken_edit_is_shown_with_file_and_line_and_the_last_good_version_plays(
        make_viewer, scenario_copy):
    viewer = make_viewer(scenario_copy, variant=5)
    pb = viewer.playback
    viewer.tick(DT)
    good = pb.spec
    _edit(scenario_copy, "    speed: 11\n", "    sped: 11\n")
    viewer.tick(1.0)
    error = viewer.reloader.error
    assert isinstance(error, ScenarioError)
    line = scenario_copy.read_text().splitlines().index("    sped: 11") + 1
    assert error.file.endswith(scenario_copy.name) and error.line == line
    assert pb.spec is good
    step = pb.step
    for _ in range(10):
        viewer.tick(DT)
    assert pb.step > step  # still playing
    viewer.screenshot(scenario_copy.parent / "error.png")  # drawn, no crash
    from simdrive.preview.hud import error_lines
    text = " ".join(t for t, _ in error_lines(error))
    assert f"line {line}" in text and "sped" in text
    _edit(scenario_copy, "    sped: 11\n", "    speed: 11\n")
    viewer.tick(1.0)
    assert viewer.reloader.error is None and viewer.reloader.reloads == 1


def test_an_edit_of_the_base_file_reloads_too(make_viewer, scenario_copy):
    viewer = make_viewer(scenario_copy, variant=0)
    base = scenario_copy.parent / "base" / "urban_two_lane.yaml"
    text = base.read_text()
    assert "duration: 8" in text
    _edit(base, "duration: 8", "duration: 6")
    viewer.tick(1.0)
    assert viewer.reloader.reloads == 1 and viewer.playback.spec.duration == 6
    pygame.event.pump()


def test_a_found_file_plays_its_listed_variants_and_watches_its_scenario():
    found = ROOT / "docs" / "search" / "lead_brake_black_ice.found.yaml"
    pb = Playback(found, 1)
    assert pb.spec.name == "lead_brake_black_ice" and pb.variant.index != 1
    files = [p.resolve() for p in source_files(found)]
    assert (ROOT / "scenarios" / "lead_brake_black_ice.yaml").resolve() in files
