"""Same input, same bits: batches, threads and repeats do not change results."""

from __future__ import annotations

import numpy as np
import pytest

from simdrive.sim import Simulation
from tests.sim.scenes import random_scene_worlds

FIELDS = ("fstate", "istate", "wfloat", "wint", "act_i", "act_f", "events", "metrics",
          "actor_metrics")


@pytest.fixture(scope="module")
def worlds():
    return random_scene_worlds(n_worlds=6, seed=3)


def run(worlds, threads, steps=120):
    sim = Simulation(worlds, threads=threads)
    sim.step(steps // 2)
    sim.step(steps - steps // 2)
    return sim


def world_arrays(sim, w, n):
    b = sim.blocks
    out = {}
    for name in FIELDS:
        arr = getattr(b, name)[w]
        if name in ("fstate", "istate", "actor_metrics"):
            arr = arr[..., :n]
        out[name] = arr
    return out


def test_a_batch_gives_bit_identical_results_to_one_world_at_a_time(worlds):
    batch = run(worlds, threads=1)
    for w, spec in enumerate(worlds):
        alone = run([spec], threads=1)
        n = len(spec.actors)
        got, expected = world_arrays(batch, w, n), world_arrays(alone, 0, n)
        for name in FIELDS:
            assert np.array_equal(got[name], expected[name], equal_nan=True), (w, name)


def test_thread_count_does_not_change_a_single_bit(worlds):
    one, two = run(worlds, threads=1), run(worlds, threads=2)
    for name in FIELDS:
        assert np.array_equal(getattr(one.blocks, name), getattr(two.blocks, name),
                              equal_nan=True), name


def test_step_granularity_does_not_change_results(worlds):
    chunked = run(worlds, threads=1)
    single = Simulation(worlds, threads=1)
    for _ in range(120):
        single.step(1)
    for name in FIELDS:
        assert np.array_equal(getattr(chunked.blocks, name), getattr(single.blocks, name),
                              equal_nan=True), name


def test_recording_matches_the_state_it_records(worlds):
    sim = Simulation(worlds[:2], threads=1)
    rec = sim.run(3.0, record_every=5)
    assert rec.x.shape[0] == len(rec.time_s) == int(round(3.0 / worlds[0].dt)) // 5 + 1
    assert np.array_equal(rec.x[-1], sim.state.x)
    assert np.array_equal(rec.speed[-1], sim.state.speed)
    assert rec.time_s[-1] == pytest.approx(sim.time_s[0])


def test_slicing_a_long_run_over_threads_does_not_change_a_single_bit(worlds, monkeypatch):
    import simdrive.sim as sim_module

    duration = 120 * worlds[0].dt
    one = Simulation(worlds, threads=1)
    expected = one.run(duration, record_every=7)
    monkeypatch.setattr(sim_module, "MIN_SLICE_AGENT_STEPS", 1)  # one world per slice
    sliced = Simulation(worlds, threads=2)
    got = sliced.run(duration, record_every=7)
    for name in FIELDS:
        assert np.array_equal(getattr(one.blocks, name), getattr(sliced.blocks, name),
                              equal_nan=True), name
    for name in ("x", "y", "heading", "speed"):  # each slice records its own worlds
        assert np.array_equal(getattr(expected, name), getattr(got, name)), name
    # each slice records into a contiguous array of its own: the kernel is compiled once,
    # for contiguous arrays (a strided record would compile it again, most of a minute)
    from simdrive.core.step import advance_worlds

    assert all(sig[14].layout == "C" for sig in advance_worlds.signatures)
