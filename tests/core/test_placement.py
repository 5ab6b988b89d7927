"""The placement kernel against a shapely reference on random slot tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simdrive.core.placement import place_actors
from tests.core import naive


def random_lanes(rng, n_lanes=2):
    """Polylines of 1-4 segments, each 20-40 m."""
    lanes = []
    for _ in range(n_lanes):
        x, y, heading = rng.uniform(-10, 10), rng.uniform(-10, 10), rng.uniform(-math.pi, math.pi)
        points = [(x, y)]
        for _ in range(int(rng.integers(1, 5))):
            heading += rng.uniform(-0.5, 0.5)
            length = rng.uniform(20, 40)
            x, y = x + length * math.cos(heading), y + length * math.sin(heading)
            points.append((x, y))
        lanes.append(points)
    return lanes


def pack_lanes(lanes):
    points = np.array([p for lane in lanes for p in lane], dtype=float)
    cum = np.concatenate([np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(lane, axis=0).T))])
                          for lane in map(np.array, lanes)])
    counts = np.array([len(lane) for lane in lanes], dtype=np.int32)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
    return points, cum, starts, counts


def random_case(rng, lanes, n_var=12, n_slots=7, n_cand=6):
    """Slot tables and candidates: pose slots, lane slots, slots ahead of a lane slot."""
    slot_lane = rng.integers(-1, len(lanes), n_slots)
    slot_ref = np.full(n_slots, -1)
    for slot in range(1, n_slots):
        earlier = [k for k in range(slot) if slot_lane[k] >= 0 and slot_ref[k] < 0]
        if slot_lane[slot] >= 0 and earlier and rng.random() < 0.4:
            slot_ref[slot] = rng.choice(earlier)
            slot_lane[slot] = slot_lane[slot_ref[slot]]
    slot_tries = rng.integers(1, n_cand + 3, n_slots)
    slot_extent = np.column_stack([rng.uniform(0.2, 2.5, n_slots), rng.uniform(0.2, 1.0, n_slots),
                                   rng.uniform(0.0, 1.0, n_slots)])
    cand = np.empty((n_var, n_slots, n_cand, 5))
    ahead = (slot_ref >= 0)[None, :, None]
    # s within 0..10 m on a lane (>= 20 m long), 3..8 m beyond the reference when ahead
    cand[..., 0] = np.where(ahead, rng.uniform(3, 8, cand.shape[:3]),
                            rng.uniform(0, 10, cand.shape[:3]))
    cand[..., 1] = rng.uniform(-2, 2, cand.shape[:3])
    cand[..., 2:4] = rng.uniform(-30, 30, (*cand.shape[:3], 2))
    cand[..., 4] = rng.uniform(-math.pi, math.pi, cand.shape[:3])
    return cand, slot_lane, slot_ref, slot_tries, slot_extent


def test_placements_match_the_shapely_reference():
    rng = np.random.default_rng(1)
    outcomes = {"failed": 0, "placed": 0}
    for _ in range(20):
        lanes = random_lanes(rng)
        points, cum, starts, counts = pack_lanes(lanes)
        cand, slot_lane, slot_ref, slot_tries, slot_extent = random_case(rng, lanes)
        n_var, n_slots = cand.shape[:2]
        poses = np.zeros((n_var, n_slots, 7))
        failures = np.zeros((n_var, 3), dtype=np.int64)
        place_actors(cand, slot_lane, slot_ref, slot_tries, slot_extent,
                     np.zeros(n_slots, np.int64), points, cum, starts, counts,
                     np.zeros(len(lanes), np.int32), np.zeros((0, 2)), np.zeros(0, np.int32),
                     np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros((n_slots, 6)),
                     poses, failures)
        expected = naive.place_actors(cand, slot_lane, slot_ref, slot_tries, slot_extent, lanes)
        for v, want in enumerate(expected):
            if want[0] == "failed":
                assert tuple(failures[v, :2]) == want[1:]
                outcomes["failed"] += 1
            else:
                assert failures[v, 0] == -1
                assert poses[v, :, :5] == pytest.approx(np.array(want), abs=1e-9)
                assert np.isnan(poses[v, :, 5:]).all()  # no crossing asked for
                outcomes["placed"] += 1
    assert min(outcomes.values()) > 40, outcomes  # both outcomes well represented
