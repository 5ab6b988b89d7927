"""The simdrive command: exit codes, output, and no tracebacks for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    assert [v["index"] for v in first] == [0, 1, 2, 3]
    main(["variants", SCENARIO, "--limit", "4", "--json"])
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == first


def test_simulate_prints_outcomes_and_a_summary(capsys):
    assert main(["simulate", SCENARIO, "--limit", "3", "--workers", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4
    assert "min TTC" in out[0] and ("kept" in out[0] or "dropped" in out[0])
    assert out[-1].startswith("3 variants simulated")


def test_missing_file_is_a_clean_error_from_the_real_command(tmp_path):
    result = subprocess.run([sys.executable, "-m", "simdrive", "simulate",
                             str(tmp_path / "nope.yaml")], capture_output=True, text=True)
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr
