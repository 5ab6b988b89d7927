"""Exact step back: restoring a snapshot and stepping again reproduces the state bit for bit."""

from __future__ import annotations

import numpy as np

from simdrive.preview.history import History, blocks_equal, take_snapshot
from simdrive.preview.playback import Playback
from tests.preview.conftest import CHILD


def test_stepping_back_then_forward_returns_bit_identical_state():
    pb = Playback(CHILD, 3)
    pb.step_forward(80)
    at_80 = take_snapshot(pb.sim.blocks, pb.step)
    events_80 = pb.events()
    pb.step_forward(60)  # past the child's trigger (4.85 s): actions fire, metrics change
    at_140 = take_snapshot(pb.sim.blocks, pb.step)
    assert pb.events() != events_80
    for _ in range(60):
        assert pb.step_back()
    assert pb.step == 80 and pb.time_s == 80 * pb.dt_s
    assert blocks_equal(pb.sim.blocks, at_80)
    assert pb.events() == events_80
    pb.step_forward(60)
    assert blocks_equal(pb.sim.blocks, at_140)


def test_step_back_stops_at_the_start_and_forward_stops_at_the_end():
    pb = Playback(CHILD, 0)
    assert not pb.step_back() and pb.step == 0
    assert pb.step_forward(10_000) == pb.n_steps and pb.at_end
    assert pb.step_forward() == 0


def test_history_forgets_the_oldest_beyond_its_capacity():
    pb = Playback(CHILD, 0)
    history = History(capacity=3)
    for _ in range(5):
        pb.step_forward()
        history.record(pb.sim.blocks, pb.step)
    assert len(history) == 3 and history.latest.step == 5
    assert history.back().step == 4 and history.back().step == 3 and history.back() is None


def test_a_snapshot_is_a_copy_not_a_view():
    pb = Playback(CHILD, 0)
    snap = take_snapshot(pb.sim.blocks, 0)
    pb.sim.blocks.fstate[0, 0, 0] += 1.0
    assert not blocks_equal(pb.sim.blocks, snap)
    assert not np.shares_memory(snap.arrays[0], pb.sim.blocks.fstate)
