"""The search command: output files, progress, and clean errors with nothing half-written."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from simdrive.cli import main
from tests.search.analytic import SCENARIO


def test_search_writes_a_found_file_and_a_plot_that_simulate_accepts(tmp_path, capsys):
    out = tmp_path / "found.yaml"
    assert main(["search", str(SCENARIO), "--objective", "collision", "--budget", "400",
                 "--keep", "5", "--workers", "1", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "iteration 1/4" in captured.err and "sims/s" in captured.err
    assert "critical" in captured.out and "P(critical)" in captured.out
    doc = yaml.safe_load(out.read_text())
    assert doc["method"] == "cem" and len(doc["variants"]) <= 5
    image = cv2.imread(str(tmp_path / "found.png"))
    assert image is not None and image.shape[1] > 1000
    assert main(["simulate", str(out), "--workers", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(doc["variants"]) + 1
    assert all("collision with debris" in line for line in lines[:-1])


def test_quiet_numeric_objective_with_threshold_and_no_plot(tmp_path, capsys):
    out = tmp_path / "found.yaml"
    assert main(["search", str(SCENARIO), "--objective", "min_distance(ego, debris)",
                 "--threshold", "0.5", "--budget", "200", "--method", "halton", "--quiet",
                 "--no-plot", "-o", str(out)]) == 0
    assert capsys.readouterr().err == ""
    doc = yaml.safe_load(out.read_text())
    assert doc["critical"] == "min_distance(ego, debris) < 0.5" and doc["threshold"] == 0.5
    assert not (tmp_path / "found.png").exists()


@pytest.mark.parametrize("args, message", [
    (["--objective", "min_ttc <", "--budget", "10"], "expression ends too early"),
    (["--objective", "colision", "--budget", "10"], "did you mean 'collision'"),
    (["--objective", "collision", "--budget", "10", "--method", "annealing"],
     "unknown search method 'annealing'"),
    (["--objective", "collision", "--budget", "0"], "--budget"),
    (["--objective", "collision", "--budget", "10", "--threshold", "2"], "--threshold"),
    (["--objective", "min_ttc", "--budget", "10", "--score", "min_distance"], "--score"),
    (["--objective", "min_distance(ego, ghost)", "--budget", "10"], "unknown actor 'ghost'"),
    (["--objective", "collision", "--budget", "10", "--keep", "0"], "--keep"),
])
def test_bad_input_exits_2_with_a_message_and_writes_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "found.yaml"
    assert main(["search", str(SCENARIO), *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert "<scenario>" not in err  # an option's error names the option, no stand-in file
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_output_fails_before_simulating(tmp_path, capsys):
    out = tmp_path / "missing" / "found.yaml"
    assert main(["search", str(SCENARIO), "--objective", "collision", "--budget", "10",
                 "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "iteration" not in err
    assert list(tmp_path.iterdir()) == []


def test_outputs_that_would_overwrite_each_other_or_the_scenario_are_refused(tmp_path, capsys):
    import shutil

    scenario = tmp_path / "s.yaml"
    shutil.copy(SCENARIO, scenario)
    before = scenario.read_bytes()
    for outputs, message in ((["-o", str(scenario)], "is also the scenario searched"),
                             (["-o", str(tmp_path / "same.png")], "is also the -o path"),
                             (["-o", str(tmp_path / "f.yaml"), "--plot",
                               str(tmp_path / "f.yaml")], "expected a path ending in .png"),
                             (["-o", str(tmp_path / "f.yaml"), "--plot",
                               str(tmp_path / "f.pdf")], "the figure is a PNG image")):
        assert main(["search", str(scenario), "--objective", "collision", "--budget", "10",
                     *outputs]) == 2
        assert message in capsys.readouterr().err
    assert scenario.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) \
        == ["s.yaml"]


def test_a_plot_that_cannot_be_written_leaves_no_found_file(tmp_path, capsys, monkeypatch):
    import errno
    import os

    import simdrive.files as files

    real_open = open

    def full_for_png(path, mode="r", *args, **kwargs):
        if "w" in mode and str(path).endswith(f".png.{os.getpid()}.tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(files, "open", full_for_png, raising=False)
    out = tmp_path / "found.yaml"
    assert main(["search", str(SCENARIO), "--objective", "collision", "--budget", "100",
                 "--quiet", "-o", str(out)]) == 2
    assert "the disk is full" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_no_critical_run_reports_an_upper_bound_not_zero(tmp_path, capsys):
    out = tmp_path / "found.yaml"
    assert main(["search", str(SCENARIO), "--objective", "min_ttc < 0", "--budget", "200",
                 "--method", "random", "--quiet", "--no-plot", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "P(critical) below 0.015 (no critical run in 200: the 95% upper bound)" in text
    # the found file is written, and the message says why the replaying commands refuse it
    assert "kept 0" in text and "no variant to replay" in text
    found = yaml.safe_load(out.read_text())
    assert found["probability"]["upper_bound_95"] == 0.015
    assert found["influence"] == {}  # nothing critical: no parameter can be ranked
    # cem draws its first batch (100) from the scenario's distribution, then a tenth of
    # each later one: the bound counts those 110 draws, not all 200 (its proposals may all
    # lie away from the event)
    assert main(["search", str(SCENARIO), "--objective", "min_ttc < 0", "--budget", "200",
                 "--quiet", "--no-plot", "-o", str(out)]) == 0
    assert "P(critical) below 0.027 (no critical run in 200" in capsys.readouterr().out
    assert yaml.safe_load(out.read_text())["probability"]["upper_bound_95"] == \
        pytest.approx(3 / 110)
    # a bound is a probability: one run gives "below 1", not "below 3"
    assert main(["search", str(SCENARIO), "--objective", "min_ttc < 0", "--budget", "1",
                 "--quiet", "--no-plot", "-o", str(out)]) == 0
    assert "P(critical) below 1 (no critical run in 1:" in capsys.readouterr().out
    assert main(["simulate", str(out)]) == 2
    assert "lists no variants" in capsys.readouterr().err
    # but it is a true record: validate passes it (a review: a CI step validating found
    # files failed on one)
    assert main(["validate", str(out)]) == 0
    assert "no variants (its search found nothing critical" in capsys.readouterr().out
    # a file whose search found some but whose list was emptied since contradicts itself
    emptied = tmp_path / "emptied.found.yaml"
    emptied.write_text(out.read_text().replace("critical_found: 0", "critical_found: 5"))
    assert main(["validate", str(emptied)]) == 2
    assert "lists no variants, though its search found 5 critical" in capsys.readouterr().err


def test_plot_and_no_plot_together_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:  # argparse: mutually exclusive options
        main(["search", str(SCENARIO), "--objective", "collision", "--budget", "10",
              "--plot", str(tmp_path / "p.png"), "--no-plot", "-o", str(tmp_path / "f.yaml")])
    assert info.value.code == 2 and "not allowed with" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_search_never_writes_over_the_scenarios_inputs_or_other_files(tmp_path, capsys):
    """-o and --plot may not name a file the scenario is read from (an extends base, its
    map), and replace only an earlier search's found file or figure."""
    root = Path(__file__).resolve().parents[2]
    (tmp_path / "scenarios").mkdir()
    shutil.copytree(root / "scenarios" / "base", tmp_path / "scenarios" / "base")
    shutil.copytree(root / "assets", tmp_path / "assets")
    scenario = tmp_path / "scenarios" / "child.yaml"
    shutil.copy(root / "scenarios" / "child_between_parked_cars.yaml", scenario)
    base = tmp_path / "scenarios" / "base" / "urban_two_lane.yaml"
    map_file = tmp_path / "assets" / "maps" / "urban_two_lane.yaml"
    notes = tmp_path / "notes.yaml"
    notes.write_text("my: notes\n")
    picture = tmp_path / "picture.png"
    picture.write_bytes(b"not a png")
    real_png = tmp_path / "frame.png"  # a user's picture: a PNG, but no search figure
    real_png.write_bytes(cv2.imencode(".png", np.zeros((4, 4, 3), np.uint8))[1].tobytes())
    before = {p: p.read_bytes() for p in (base, map_file, notes, picture, real_png)}

    def search(*outputs):
        return main(["search", str(scenario), "--objective", "min_ttc", "--budget", "10",
                     "--quiet", *outputs])

    for outputs, message in (
            (["-o", str(base), "--no-plot"], "is also a file the scenario searched is read"),
            (["-o", str(tmp_path / "f.yaml"), "--plot", str(map_file.with_suffix(".png"))],
             None),
            (["-o", str(map_file), "--no-plot"], "is also a file the scenario searched"),
            (["-o", str(notes), "--no-plot"], "exists and is not a found file simdrive"),
            (["-o", str(tmp_path / "g.yaml"), "--plot", str(picture)],
             "exists and is not a figure simdrive search wrote"),
            (["-o", str(tmp_path / "h.yaml"), "--plot", str(real_png)],
             "exists and is not a figure simdrive search wrote")):
        if message is None:  # a new figure next to the map: allowed
            assert search(*outputs) == 0
            (tmp_path / "f.yaml").unlink()
            map_file.with_suffix(".png").unlink()
            continue
        assert search(*outputs) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert {p: p.read_bytes() for p in before} == before
    assert not (tmp_path / "g.yaml").exists()
    # an earlier search's found file and figure are replaced
    out = tmp_path / "found.yaml"
    assert search("-o", str(out)) == 0
    assert search("-o", str(out)) == 0


def test_placements_a_count_draws_per_instance_are_not_searched_or_listed(tmp_path, capsys):
    """child_between_parked_cars parks six cars (count: 6): each draws its own place from the
    run's stream, so their placement value under variants places nothing; search leaves it
    out of its space (a fixed value is recorded) and variants does not list it."""
    from simdrive.scenario.runner import load_scenario
    from simdrive.search.space import search_space

    root = Path(__file__).resolve().parents[2]
    scenario = root / "scenarios" / "child_between_parked_cars.yaml"
    spec = load_scenario(scenario)
    assert spec.per_instance == {"actors[2].placement.s"}
    space = search_space(spec)
    searched = {p for p, _ in space.continuous} | {p for p, _, _ in space.discrete}
    assert "actors[2].placement.s" not in searched and "actors[3].placement.s" in searched
    out = tmp_path / "found.yaml"
    assert main(["search", str(scenario), "--objective", "collision", "--budget", "100",
                 "--quiet", "--no-plot", "-o", str(out)]) == 0
    doc = yaml.safe_load(out.read_text())
    assert doc["drawn_per_instance"] == ["actors[2].placement.s"]
    assert "actors[2].placement.s" not in doc["influence"]
    assert len({v["values"]["actors[2].placement.s"] for v in doc["variants"]}) == 1
    capsys.readouterr()
    assert main(["variants", str(scenario), "--limit", "2"]) == 0
    listing = capsys.readouterr().out
    assert "actors[3].placement.s=" in listing and "actors[2].placement" not in listing


def test_a_scenario_with_no_distribution_is_searched_with_a_warning(tmp_path, capsys):
    scenario = tmp_path / "fixed.yaml"
    scenario.write_text("name: t\nduration: 2\nmap: {type: straight, lanes: 2, length: 300}\n"
                        "ego: {lane: 0, s: 5, speed: 10}\n")
    assert main(["search", str(scenario), "--objective", "collision", "--budget", "10",
                 "--quiet", "--no-plot", "-o", str(tmp_path / "f.yaml")]) == 0
    assert "no distribution, so every run simulates the same world" in \
        capsys.readouterr().err


def test_an_estimate_resting_on_few_weighted_runs_is_warned_about(tmp_path, capsys):
    # a review found two 3,000-run cem searches of the pile-up ten standard errors apart,
    # the low one from an effective sample size of 67 of 1,648 critical runs, unflagged
    from simdrive.search.estimate import Probability, uneven_weights

    pileup = Path(__file__).resolve().parents[2] / "scenarios" / "pileup_fog_highway.yaml"
    assert main(["search", str(pileup), "--objective", "collision", "--budget", "3000",
                 "--seed", "2", "--no-plot", "--quiet", "-o", str(tmp_path / "f.yaml")]) == 0
    found = yaml.safe_load((tmp_path / "f.yaml").read_text())["probability"]
    err = capsys.readouterr().err
    assert found["effective_samples"] < 100
    assert "warning: P(critical) rests on a few heavily weighted runs (effective sample " \
        f"size {found['effective_samples']:.0f} of" in err
    # the rule: effective samples under a tenth of the critical runs; plain Monte Carlo's
    # equal weights never trip it
    assert uneven_weights(Probability(0.003, 0.0003, 67.0, "is"), 1648)
    assert not uneven_weights(Probability(0.006, 0.0003, 461.0, "is"), 1355)
    assert not uneven_weights(Probability(0.006, 0.0015, 20.0, "mc"), 20)
    # one run carrying nearly all of 8 runs' weight (a review found it never flagged)
    assert uneven_weights(Probability(0.01, 0.001, 1.01, "is"), 8)
    assert not uneven_weights(Probability(0.01, 0.001, 1.0, "mc"), 1)


def test_a_long_objective_is_cut_short_in_the_figure_title_not_off_its_edge():
    from simdrive.search.plots import FONT, WIDTH, _fitted
    long = "x: cem, 3000 runs, critical = " + " and ".join(["collision_time > 1.5"] * 12)
    cut = _fitted(long, WIDTH - 40)
    assert cut.endswith("...") and long.startswith(cut[:-3])
    assert cv2.getTextSize(cut, FONT, 0.5, 1)[0][0] <= WIDTH - 40
    assert _fitted("short", WIDTH - 40) == "short"


def test_a_first_run_does_not_report_its_compiling_as_a_simulation_rate(tmp_path, capsys,
                                                                       monkeypatch):
    # a review: "100 simulations in 40.9 s (2/s)" on an empty cache
    from simdrive.render import warmup

    monkeypatch.setattr(warmup, "simulation_kernels_cached", lambda: False)
    assert main(["search", str(SCENARIO), "--objective", "collision", "--budget", "100",
                 "--quiet", "--no-plot", "-o", str(tmp_path / "f.yaml")]) == 0
    out = capsys.readouterr().out
    assert "(compiling the kernels on this first run included)" in out and "/s)" not in out
