"""The simdrive command: exit codes, output, and no tracebacks for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simdrive.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = str(ROOT / "scenarios" / "cut_in_fog.yaml")


def test_validate_prints_ok_per_file(capsys):
    assert main(["validate", SCENARIO, str(ROOT / "scenarios" / "red_light_runner.yaml")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(line.startswith("ok ") for line in lines)


def test_validate_reports_errors_with_position_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nduration: 5\nmap: {type: straight}\nego: {sped: 3}\n")
    assert main(["validate", SCENARIO, str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith("ok ")
    assert "bad.yaml:4:7" in captured.err and "did you mean 'speed'" in captured.err
    assert "Traceback" not in captured.err


def test_variants_json_lines_reproduce_the_same_values(capsys):
    assert main(["variants", SCENARIO, "--limit", "4", "--json"]) == 0
    first = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # cut_in_fog's grid is weather (fog, heavy_rain, clear) x lighting (noon, night), 5
    # samples a cell: the first sample of four cells covering every weather and both
    # lightings, not the first four samples of fog/noon
    assert [v["index"] for v in first] == [0, 5, 15, 20]
    cells = [(v["values"]["environment.weather"], v["values"]["environment.lighting"])
             for v in first]
    assert cells == [("fog", "noon"), ("fog", "night"), ("heavy_rain", "night"),
                     ("clear", "noon")]
    main(["variants", SCENARIO, "--json"])
    everything = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [everything[v["index"]] for v in first] == first  # each keeps its own index


@pytest.mark.parametrize("command", ["variants", "simulate"])
def test_json_leaves_out_the_placements_each_instance_draws_for_itself(capsys, command):
    child = str(ROOT / "scenarios" / "child_between_parked_cars.yaml")
    assert main([command, child, "--limit", "2", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    for line in lines:
        listed = json.loads(line)
        assert listed["drawn_per_instance"] == ["actors[2].placement.s"]  # 6 parked cars
        assert "actors[2].placement.s" not in listed["values"]
        assert "actors[0].placement.s" in listed["values"]  # the one parked van's


def test_simulate_one_variant_prints_what_happened_in_order(capsys):
    # a review had only --limit, which takes the first N (now spread) variants
    child = str(ROOT / "scenarios" / "child_between_parked_cars.yaml")
    assert main(["simulate", child, "--variant", "20", "--variant", "40", "--workers", "1",
                 "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[0] == "20" and "collision with child" in lines[0]
    assert lines[1].split()[-2:] == ["child:", "cross_road"]
    assert "collision ego x child (closing" in lines[2]
    assert lines[3].split()[0] == "40" and lines[-1].startswith("2 variants simulated")
    assert main(["simulate", child, "--variant", "2", "--limit", "3"]) == 2
    assert "--variant and --limit both choose the variants" in capsys.readouterr().err


def test_simulate_prints_outcomes_and_a_summary(capsys):
    assert main(["simulate", SCENARIO, "--limit", "3", "--workers", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4
    assert "min TTC" in out[0] and ("kept" in out[0] or "dropped" in out[0])
    assert out[-1].startswith("3 variants simulated")


def test_simulate_reports_collisions_between_other_actors_too(tmp_path, capsys):
    """A collision the ego is not in (traffic on traffic) is reported and counted, in the
    text and the JSON rows (it used to show as "no collision")."""
    path = tmp_path / "pileup.yaml"
    path.write_text("""\
name: rear_end_ahead
duration: 8
map: {type: straight, lanes: 1, one_way: true, length: 400, sidewalks: none}
ego: {lane: 0, s: 5, speed: 0, desired_speed: 0}
actors:
  - {id: lead, kind: car, placement: {lane: 0, s: 120}, speed: 20,
     actions: [{hard_brake: {trigger: {time: 1}, decel: 8}}]}
  - {id: dozer, kind: car, placement: {lane: 0, s: 95}, speed: 20, watches_road: false}
variants: {samples: 1, seed: 1}
""")
    assert main(["simulate", str(path), "--workers", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "no collision" in out[0] and "+1 other collision (" in out[0]
    assert "dozer-lead at" in out[0] or "lead-dozer at" in out[0]
    assert out[-1].endswith("0 ego collisions, 1 others, 1 kept by require:, 0 dropped")
    assert main(["simulate", str(path), "--workers", "1", "--json"]) == 0
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert row["collision"] is False and row["collisions"] == 1
    (event,) = row["collision_events"]
    assert {event["actor"], event["other"]} == {"lead", "dozer"}
    assert event["relative_speed_mps"] > 5.0


@pytest.mark.parametrize("args, message", [
    (["variants", SCENARIO, "--limit", "-1"], "--limit must be at least 1"),
    (["simulate", SCENARIO, "--limit", "0"], "--limit must be at least 1"),
    (["simulate", SCENARIO, "--workers", "0"], "--workers must be at least 1"),
])
def test_counts_below_one_are_refused(capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_reader_that_stops_early_ends_the_command_quietly():
    # simdrive variants ... | head -1: the pipe closes before the command writes
    proc = subprocess.Popen([sys.executable, "-m", "simdrive", "variants", SCENARIO],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait() == 141
    assert err == ""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_or_closed_standard_output_is_a_clean_error_not_a_traceback():
    # simdrive schema > file.json on a full disk; simdrive schema >&-
    run = "import sys; from simdrive.cli import main; sys.exit(main(['schema']))"
    closed = "import os, sys; os.close(1); sys.stdout = None; " + run.split("; ", 1)[1]
    for script, expected in ((run, "No space left on device"),
                             (closed, "standard output is closed")):
        with open("/dev/full", "w") as full:
            result = subprocess.run([sys.executable, "-c", script], stdout=full,
                                    stderr=subprocess.PIPE, text=True)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert expected in result.stderr


def test_ctrl_c_ends_the_command_with_a_line_not_a_traceback(monkeypatch, capsys):
    import simdrive.scenario.source as source

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(source, "variants", interrupted)
    assert main(["simulate", SCENARIO]) == 130
    assert capsys.readouterr().err == "simdrive: interrupted\n"


def test_missing_file_is_a_clean_error_from_the_real_command(tmp_path):
    result = subprocess.run([sys.executable, "-m", "simdrive", "simulate",
                             str(tmp_path / "nope.yaml")], capture_output=True, text=True)
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("sim_cached, render_cached, args, noted", [
    (False, False, ["simulate", SCENARIO, "--limit", "1"], True),
    (True, False, ["simulate", SCENARIO, "--limit", "1"], False),  # needs no render kernel
    (True, False, ["frame", SCENARIO, "-o", "{tmp}/f.png"], True),
    (True, True, ["frame", SCENARIO, "-o", "{tmp}/f.png"], False),
    (True, False, ["frame", SCENARIO, "-o", "{tmp}/f.png", "--quiet"], False),
    (False, False, ["search", SCENARIO, "--objective", "collision", "--budget", "20",
                    "--quiet", "--no-plot", "-o", "{tmp}/found.yaml"], False),  # --quiet
    (False, False, ["validate", SCENARIO], False),  # compiles no step kernel
    (False, False, ["demo"], True),  # a review found it silent for a minute
    (True, False, ["demo"], False),
    (True, False, ["render", SCENARIO, "--limit", "1", "--every", "40", "--formats", "yolo",
                   "-o", "{tmp}/ds"], True),
    # a bad option is the one message (a review found the note before it)
    (False, False, ["render", SCENARIO, "--classes", "vehicle=cat", "-o", "{tmp}/ds"], False),
])
def test_a_first_run_says_it_is_compiling(monkeypatch, tmp_path, capsys, sim_cached,
                                          render_cached, args, noted):
    # an empty numba cache (a fresh install) makes the first command compile for up to
    # half a minute: it says so up front rather than sit silent
    from simdrive.render import warmup

    monkeypatch.setattr(warmup, "simulation_kernels_cached", lambda: sim_cached)
    monkeypatch.setattr(warmup, "render_kernels_cached", lambda: render_cached)
    bad = "--classes" in args
    assert main([a.format(tmp=tmp_path) for a in args]) == (2 if bad else 0)
    assert ("first run: compiling numba kernels" in capsys.readouterr().err) == noted


def test_an_empty_path_is_named_as_such(capsys):
    assert main(["validate", ""]) == 2
    assert "the path is empty" in capsys.readouterr().err


def test_simulate_json_gives_when_each_actors_first_action_took_effect(capsys):
    lead = str(ROOT / "scenarios" / "lead_brake_black_ice.yaml")
    assert main(["simulate", lead, "--variant", "0", "--json"]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    brake = next(e for e in row["events"] if e["kind"] == "action" and e["actor"] == "lead")
    assert row["action_time"] == {"lead": brake["time_s"]}
