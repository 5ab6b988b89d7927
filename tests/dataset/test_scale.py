"""Correct at scale: identical output for any worker count or backend, resume after SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.dataset.conftest import SMALL, render, tree


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, str]:
    cwd = tmp_path_factory.mktemp("one_worker")
    assert render(cwd, *SMALL, "--workers", "1", "-o", "ds") == 0
    return tree(cwd / "ds")


def test_two_workers_write_the_identical_dataset(tmp_path, reference):
    assert render(tmp_path, *SMALL, "--workers", "2", "-o", "ds") == 0
    assert tree(tmp_path / "ds") == reference


def test_a_dask_local_cluster_writes_the_identical_dataset(tmp_path, reference):
    assert render(tmp_path, *SMALL, "--cluster", "local", "--workers", "2", "-o", "ds") == 0
    assert tree(tmp_path / "ds") == reference


def test_rerunning_a_finished_dataset_skips_every_shard(tmp_path, reference, capsys):
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
    capsys.readouterr()
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
    assert "0 shards rendered" in capsys.readouterr().out
    assert tree(tmp_path / "ds") == reference


def test_a_run_killed_at_random_moments_resumes_to_the_identical_dataset(tmp_path):
    # enough frames (82) that a run takes several seconds, so the kills land mid-run
    longer = [*SMALL, "--every", "4"]
    ref = tmp_path / "reference"
    ref.mkdir()
    assert render(ref, *longer, "--workers", "1", "-o", "ds") == 0
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    work = tmp_path / "killed"
    work.mkdir()
    command = [sys.executable, "-m", "simdrive", "render", *longer, "--workers", "2", "-o",
               "ds"]
    rng = np.random.default_rng(7)
    kills = 0
    for _ in range(4):
        proc = subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(float(rng.uniform(0.6, 3.0)))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the command and its worker processes
            kills += 1
        proc.wait()
    assert kills >= 2
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert tree(work / "ds") == tree(ref / "ds")
