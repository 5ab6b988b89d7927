"""Lane helpers on the packed map arrays (see simdrive.world.packed.MapArrays)."""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import inline_kernel, kernel
from simdrive.core.geometry import polyline_pose, polyline_project, segment_project


@inline_kernel
def successor(lane_successors, lane, turn):
    """Lane entered after ``lane``: the preferred slot ``turn`` if it exists, else the first."""
    nxt = lane_successors[lane, turn]
    if nxt >= 0:
        return nxt
    for k in range(3):
        if lane_successors[lane, k] >= 0:
            return lane_successors[lane, k]
    return -1


@inline_kernel
def lane_project(lane_points, lane_cum_s, lane_start, lane_npoints, lane, x, y, seg_hint):
    """(s, d, seg) of the point (x, y) m on lane ``lane``."""
    if lane_npoints[lane] == 2:  # a straight lane, the common case: no search, no call
        s, d = segment_project(lane_points, lane_cum_s, lane_start[lane], x, y)
        return s, d, np.int64(0)
    return polyline_project(
        lane_points, lane_cum_s, lane_start[lane], lane_npoints[lane], x, y, seg_hint
    )


@inline_kernel
def lane_target_point(lane_points, lane_cum_s, lane_start, lane_npoints, lane_length,
                      lane_successors, lane, turn, direction, s, seg, lookahead, offset):
    """Point (x, y) m ``lookahead`` m ahead in the direction of travel, ``offset`` m to the
    left of the lane centre (left of the lane's own direction).

    Going forward past the lane's end, the point is taken on the successor
    lane, so vehicles steer smoothly into a junction.
    """
    target_s = s + direction * lookahead
    if direction > 0 and target_s > lane_length[lane]:
        nxt = successor(lane_successors, lane, turn)
        if nxt >= 0:
            x, y, heading, _ = polyline_pose(
                lane_points, lane_cum_s, lane_start[nxt], lane_npoints[nxt],
                target_s - lane_length[lane], np.int64(0),
            )
            return _beside(x, y, heading, offset)
    x, y, heading, _ = polyline_pose(
        lane_points, lane_cum_s, lane_start[lane], lane_npoints[lane], target_s, seg
    )
    return _beside(x, y, heading, offset)


@inline_kernel
def lane_frame(lane_points, lane_start, lane_npoints, lane, seg, direction):
    """The unit tangent (tx, ty) of ``lane`` at its segment ``seg`` in the direction of
    travel (``direction`` -1: against the lane's own), and the lane's signed curvature
    there (1/m, positive turning left as travelled), from the turn between that segment
    and the next (the one before, at the lane's last)."""
    start = lane_start[lane]
    nseg = lane_npoints[lane] - 1
    k = start + min(max(seg, 0), nseg - 1)
    ax = lane_points[k + 1, 0] - lane_points[k, 0]
    ay = lane_points[k + 1, 1] - lane_points[k, 1]
    la = math.sqrt(ax * ax + ay * ay)
    tx = direction * ax / la
    ty = direction * ay / la
    if nseg < 2:  # a straight lane
        return tx, ty, 0.0
    m = k + 1 if k + 1 < start + nseg else k - 1
    bx = lane_points[m + 1, 0] - lane_points[m, 0]
    by = lane_points[m + 1, 1] - lane_points[m, 1]
    lb = math.sqrt(bx * bx + by * by)
    turn = (ax * by - ay * bx) / (la * lb)  # sine of the turn from segment k to m
    if m < k:
        turn = -turn
    return tx, ty, direction * turn / (0.5 * (la + lb))


@inline_kernel
def lane_bend(kappa, ahead):
    """How far (m, left positive) a lane of curvature kappa (lane_frame) has turned from
    its tangent ``ahead`` m along that tangent: exact for a circle; nan where the circle
    never gets that far along the tangent (more than a quarter turn on)."""
    if kappa == 0.0:
        return 0.0
    radius = 1.0 / abs(kappa)
    if abs(ahead) >= radius:
        return math.nan
    return math.copysign(radius - math.sqrt(radius * radius - ahead * ahead), kappa)


@inline_kernel
def _beside(x, y, heading, offset):
    """The point ``offset`` m to the left of (x, y) facing ``heading``."""
    if offset == 0.0:  # on the centre line, the common case: no trigonometry
        return x, y
    return x - math.sin(heading) * offset, y + math.cos(heading) * offset


@kernel
def signal_state(signal_plan, time_s, group):
    """State of signal ``group`` (0 or 1) at a time in s: 0 green, 1 yellow, 2 red.

    The plan is (green0, yellow0, all_red0, green1, yellow1, all_red1) in s,
    played in that order as one cycle; an all-zero plan means no signals.
    """
    cycle = 0.0
    for k in range(6):
        cycle += signal_plan[k]
    if cycle <= 0.0 or group < 0:
        return 0
    tc = time_s - cycle * (time_s // cycle)
    if group == 1:
        tc -= signal_plan[0] + signal_plan[1] + signal_plan[2]
        if tc < 0.0:
            return 2
        base = 3
    else:
        base = 0
    if tc < signal_plan[base]:
        return 0
    if tc < signal_plan[base] + signal_plan[base + 1]:
        return 1
    return 2
