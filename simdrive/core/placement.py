"""Placement kernel: the actors' poses of a batch of variants, by bounded rejection.

A variant places its actors one slot (actor instance) after the other. Each slot has
candidate placements drawn beforehand; the first candidate whose box, grown by the
slot's gap, overlaps none of the boxes already placed is kept. Walkers that cross the
road also get the point where they head: 1 m beyond the far edge of the drivable area,
straight across the nearest driving lane.
"""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import drop_stale_cache, kernel
from simdrive.core.geometry import (
    first_overlap,
    last_inside_along,
    polyline_pose,
    polyline_project,
)
from simdrive.core.layout import AREA_DRIVABLE, LANE_DRIVING

CROSSING_REACH_M = 80.0
"""How far across (m) the far edge of the road is searched for."""
CROSSING_STEP_M = 0.05
"""Resolution (m) of that search."""

_NO_HINT = np.int64(0)
"""Segment hint of a polyline search from the start; typed, not a literal 0, so that the
callees reuse the machine code compiled for the simulation's calls."""

# columns of ``candidates``
CAND_S, CAND_D, CAND_X, CAND_Y, CAND_HEADING = range(5)
# columns of ``poses``
POSE_X, POSE_Y, POSE_HEADING, POSE_S, POSE_D, POSE_TARGET_X, POSE_TARGET_Y = range(7)
POSE_COLUMNS = 7


@kernel
def place_actors(candidates, slot_lane, slot_ref, slot_tries, slot_extent, slot_crossing,
                 lane_points, lane_cum_s, lane_start, lane_npoints, lane_kind,
                 area_points, area_start, area_npoints, area_kind, boxes, poses, failures):
    """Place every slot of every variant; fill ``poses`` and ``failures``.

    Inputs (V variants, S slots, T candidates per slot):
        candidates: (V, S, T, 5) float64: s (m along the lane, or m beyond the reference
            slot's s), d (m, left positive), x, y (m), heading (rad).
        slot_lane: (S,) int. Lane the slot is placed on, -1 for a pose (x, y, heading).
        slot_ref: (S,) int. Earlier slot whose s is added to the candidate s, -1 none.
        slot_tries: (S,) int. Candidates the slot may use (those beyond T are ignored).
        slot_extent: (S, 3) float64, m: half length, half width, clearance to others.
        slot_crossing: (S,) int. 1: find where the actor crosses the road to.
        lane_* and area_*: the map (simdrive.world.packed.MapArrays).
        boxes: (S, 6) float64 scratch.
    Outputs:
        poses: (V, S, 7) float64: x, y (m), heading (rad), s, d (m; lane slots), crossing
            target x, y (m; NaN if none or not asked for).
        failures: (V, 3) int. The slot that could not be placed (-1: all were), the
            candidates it tried, the slot its last candidate overlapped. Slots after a
            failed one are not placed.
    """
    n_slots = candidates.shape[1]
    n_cand = candidates.shape[2]
    for v in range(candidates.shape[0]):
        failures[v, 0] = -1
        for slot in range(n_slots):
            tries = min(slot_tries[slot], n_cand)
            half_length = slot_extent[slot, 0]
            half_width = slot_extent[slot, 1]
            gap = slot_extent[slot, 2]
            lane = slot_lane[slot]
            blocker = -1
            for attempt in range(tries):
                s = candidates[v, slot, attempt, CAND_S]
                d = candidates[v, slot, attempt, CAND_D]
                if lane >= 0:
                    if slot_ref[slot] >= 0:
                        s += poses[v, slot_ref[slot], POSE_S]
                    cx, cy, heading, _ = polyline_pose(lane_points, lane_cum_s,
                                                       np.int64(lane_start[lane]),
                                                       np.int64(lane_npoints[lane]), s, _NO_HINT)
                    x = cx - d * math.sin(heading)
                    y = cy + d * math.cos(heading)
                else:
                    x = candidates[v, slot, attempt, CAND_X]
                    y = candidates[v, slot, attempt, CAND_Y]
                    heading = candidates[v, slot, attempt, CAND_HEADING]
                c = math.cos(heading)
                sn = math.sin(heading)
                blocker = first_overlap(x, y, c, sn, half_length + gap, half_width + gap,
                                        boxes, slot)
                if blocker < 0:
                    boxes[slot, 0] = x
                    boxes[slot, 1] = y
                    boxes[slot, 2] = c
                    boxes[slot, 3] = sn
                    boxes[slot, 4] = half_length
                    boxes[slot, 5] = half_width
                    poses[v, slot, POSE_X] = x
                    poses[v, slot, POSE_Y] = y
                    poses[v, slot, POSE_HEADING] = heading
                    poses[v, slot, POSE_S] = s
                    poses[v, slot, POSE_D] = d
                    break
            if blocker >= 0 or tries == 0:
                failures[v, 0] = slot
                failures[v, 1] = tries
                failures[v, 2] = blocker
                break
        if failures[v, 0] >= 0:
            continue
        for slot in range(n_slots):
            poses[v, slot, POSE_TARGET_X] = math.nan
            poses[v, slot, POSE_TARGET_Y] = math.nan
            if slot_crossing[slot] == 0:
                continue
            x = poses[v, slot, POSE_X]
            y = poses[v, slot, POSE_Y]
            normal = _road_normal(x, y, lane_points, lane_cum_s, lane_start, lane_npoints,
                                  lane_kind)
            best = math.inf
            for side in range(2):
                ux = math.cos(normal + side * math.pi)
                uy = math.sin(normal + side * math.pi)
                reach = last_inside_along(x, y, ux, uy, CROSSING_REACH_M, CROSSING_STEP_M,
                                          area_points, area_start, area_npoints, area_kind,
                                          AREA_DRIVABLE)
                if reach >= 0.0 and reach < best:
                    best = reach
                    poses[v, slot, POSE_TARGET_X] = x + (reach + 1.0) * ux
                    poses[v, slot, POSE_TARGET_Y] = y + (reach + 1.0) * uy


@kernel
def _road_normal(x, y, lane_points, lane_cum_s, lane_start, lane_npoints, lane_kind):
    """Direction (rad) perpendicular to the driving lane nearest to (x, y) m, pi/2 if none."""
    best = math.inf
    normal = math.pi / 2
    for lane in range(lane_start.shape[0]):
        if lane_kind[lane] != LANE_DRIVING:
            continue
        # int64 like the simulation's calls (the map packs int32): one compiled version
        start = np.int64(lane_start[lane])
        count = np.int64(lane_npoints[lane])
        s, d, seg = polyline_project(lane_points, lane_cum_s, start, count, x, y, _NO_HINT)
        if abs(d) < best:
            best = abs(d)
            normal = polyline_pose(lane_points, lane_cum_s, start, count, s, seg)[2] + math.pi / 2
    return normal


drop_stale_cache(place_actors)
