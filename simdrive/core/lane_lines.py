"""Lane-bound actors over a line of their lane, and what the traffic around makes of them.

An actor meaning to be over the line (a placement offset, a swerve, a cut-in's offset) is
an *intruder*: the lane it reaches into looks at it as an obstacle (perception). One over
the line without meaning to be is a *lane change under way* (or one stuck there): it
keeps clear of what it would hit in the lane it left (straddle_accel), and that lane's
traffic keeps following it (changer_accel). Obstacles are placed in lanes along the lane
(lanes.lane_frame, a bend as a circle), not along the path a driver's steering predicts.
"""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import inline_kernel, kernel
from simdrive.core.lanes import lane_bend, lane_frame
from simdrive.core.layout import (
    F_D,
    F_D_TARGET,
    F_S,
    F_SPEED,
    F_X,
    F_Y,
    I_LANE,
    I_MODE,
    I_SEG,
    I_VALID,
    MODE_LANE,
    P_LENGTH,
    P_WIDTH,
    S_CHANGED_FROM,
    S_CHANGERS,
    S_COS,
    S_INTRUDED,
    S_INTRUDERS,
    S_SIN,
)
from simdrive.core.perception import CORRIDOR_MARGIN, lane_free_obstacle, seen_within
from simdrive.core.traffic import idm_behind, neighbours_at

NEAR_CENTRE_M = 0.4  # m off its lane's centre line within which a vehicle counts as keeping
# to its lane, not over a line (in a lane 0.8 m wider than it, it is not)
STRADDLE_REACH_M = 10.0  # m and s of travel within which a lane changer still over the old
STRADDLE_REACH_S = 1.5  # line keeps clear of an obstacle there (beyond: it is out before)


@inline_kernel
def find_intruders(fstate_w, istate_w, params_w, scratch_w, n, lane_width, lane_left,
                    lane_right):
    """Write into scratch rows S_INTRUDERS and S_INTRUDED the lane-bound actors whose box
    crosses a line of their lane and is meant to (their lateral offset target, from a
    placement, a swerve or a cut-in, lies over the line), in slot order, and the lane each
    reaches into (-2 where that is no lane of the same direction: then every actor looks
    at it); and into S_CHANGERS and S_CHANGED_FROM those whose box is over a line of their
    lane though their offset target is not (a lane change under way, still over the line
    of the lane they left; or one stuck there), and that lane. Returns (intruders,
    changers)."""
    k = 0
    c = 0
    for i in range(n):
        target = fstate_w[F_D_TARGET, i]
        if target == 0.0 and abs(fstate_w[F_D, i]) <= NEAR_CENTRE_M:
            continue  # the common case: on its lane's centre line
        if istate_w[I_VALID, i] == 0 or istate_w[I_MODE, i] != MODE_LANE:
            continue
        lane = istate_w[I_LANE, i]
        if lane < 0:
            continue
        d = fstate_w[F_D, i]
        limit = 0.5 * lane_width[lane] - 0.5 * params_w[P_WIDTH, i]
        if abs(d) <= limit:
            continue
        into = lane_left[lane] if d > 0.0 else lane_right[lane]
        if abs(target) > limit:
            scratch_w[S_INTRUDERS, k] = i
            scratch_w[S_INTRUDED, k] = into if into >= 0 else -2
            k += 1
        elif into >= 0:  # over the line without meaning to be: a lane change under way
            scratch_w[S_CHANGERS, c] = i
            scratch_w[S_CHANGED_FROM, c] = into
            c += 1
    return k, c


@inline_kernel
def own_intrusion(scratch_w, n_intruders, i):
    """The lane of the same direction actor i's box reaches into as an intruder (see
    find_intruders), -1 if none: its traffic is in i's way too."""
    for k in range(n_intruders):
        if scratch_w[S_INTRUDERS, k] == i:
            return np.int64(scratch_w[S_INTRUDED, k]) if scratch_w[S_INTRUDED, k] >= 0 else -1
    return -1


@inline_kernel
def intruded_lane(scratch_w, n_intruders, lane):
    """Whether one of the first n_intruders intruders (see _find_intruders) reaches into
    ``lane``."""
    for k in range(n_intruders):
        into = scratch_w[S_INTRUDED, k]
        if into == lane or into == -2.0:
            return True
    return False


@inline_kernel
def changer_accel(fstate_w, params_w, scratch_w, idm_scale, n_changers, i, lane):
    """What the lane changes under way out of ``lane`` ask of actor i on it (m/s^2; inf:
    nothing): a car leaving its lane ahead of i, still over the line, is followed until
    it is clear of i's path, as if it were still i's leader (it was: no reaction time)."""
    accel = math.inf
    ci = scratch_w[S_COS, i]
    si = scratch_w[S_SIN, i]
    for k in range(n_changers):
        if scratch_w[S_CHANGED_FROM, k] != lane:
            continue
        j = np.int64(scratch_w[S_CHANGERS, k])
        if j == i:
            continue
        dx = fstate_w[F_X, j] - fstate_w[F_X, i]
        dy = fstate_w[F_Y, j] - fstate_w[F_Y, i]
        ahead = dx * ci + dy * si
        if ahead <= 0.0:
            continue
        rel_s = scratch_w[S_SIN, j] * ci - scratch_w[S_COS, j] * si  # its angle to i's way
        rel_c = scratch_w[S_COS, j] * ci + scratch_w[S_SIN, j] * si
        across = 0.5 * params_w[P_LENGTH, j] * abs(rel_s) + 0.5 * params_w[P_WIDTH, j] * abs(
            rel_c)
        if abs(-dx * si + dy * ci) >= 0.5 * params_w[P_WIDTH, i] + across + CORRIDOR_MARGIN:
            continue
        gap = ahead - 0.5 * (params_w[P_LENGTH, i] + params_w[P_LENGTH, j])
        accel = min(accel, idm_behind(fstate_w, params_w, idm_scale, i, max(gap, 0.01),
                                      fstate_w[F_SPEED, j]))
    return accel


@inline_kernel
def in_own_lane(fstate_w, params_w, scratch_w, i, j, lane_points, lane_start, lane_npoints,
                 lane, seg, direction, width):
    """Whether actor j's box reaches into lane-bound actor i's own lane ahead, measured
    along the lane (lane_frame; a bend as a circle), not along i's steering."""
    tx, ty, kappa = lane_frame(lane_points, lane_start, lane_npoints, lane, seg, direction)
    dx = fstate_w[F_X, j] - fstate_w[F_X, i]
    dy = fstate_w[F_Y, j] - fstate_w[F_Y, i]
    ahead = dx * tx + dy * ty
    bend = lane_bend(kappa, ahead)
    if math.isnan(bend):
        return False
    lateral = -dx * ty + dy * tx + direction * fstate_w[F_D, i] - bend
    rel_c = scratch_w[S_COS, j] * tx + scratch_w[S_SIN, j] * ty
    rel_s = scratch_w[S_SIN, j] * tx - scratch_w[S_COS, j] * ty
    across = 0.5 * params_w[P_LENGTH, j] * abs(rel_s) + 0.5 * params_w[P_WIDTH, j] * abs(rel_c)
    return abs(lateral) < 0.5 * width + across


@kernel
def straddle_accel(fstate_w, istate_w, params_w, scratch_w, idm_scale, lane_first, lane_count,
                    n, n_bound, i, lane, direction, sight, lane_points, lane_start, lane_npoints,
                    lane_left, lane_right, lane_s_scale_left, lane_s_scale_right, lane_width):
    """What a lane change under way asks of actor i (m/s^2; inf: nothing) while its box is
    still over the line of the lane it came from: keep clear of that lane's actor ahead of
    it, where the two still overlap sideways, and of free obstacles (a static van it pulls
    out round) straight along the lane at its current offset."""
    d = fstate_w[F_D, i]
    half_w = 0.5 * params_w[P_WIDTH, i]
    if abs(d) <= 0.5 * lane_width[lane] - half_w:  # inside its new lane: done
        return math.inf
    tx, ty, kappa = lane_frame(lane_points, lane_start, lane_npoints, lane, istate_w[I_SEG, i],
                               direction)
    accel = math.inf
    old = lane_left[lane] if d > 0.0 else lane_right[lane]
    if old >= 0:
        scale_s = lane_s_scale_left[lane] if d > 0.0 else lane_s_scale_right[lane]
        _, leader = neighbours_at(istate_w, fstate_w, lane_first, lane_count, old,
                                   fstate_w[F_S, i] * scale_s)
        if leader >= 0 and leader != i:
            dx = fstate_w[F_X, leader] - fstate_w[F_X, i]
            dy = fstate_w[F_Y, leader] - fstate_w[F_Y, i]
            if abs(-dx * ty + dy * tx) < half_w + 0.5 * params_w[P_WIDTH, leader] + \
                    CORRIDOR_MARGIN:
                gap = dx * tx + dy * ty - 0.5 * (params_w[P_LENGTH, i]
                                                 + params_w[P_LENGTH, leader])
                if gap < seen_within(scratch_w, fstate_w, i, leader, sight):
                    accel = idm_behind(fstate_w, params_w, idm_scale, i, max(gap, 0.01),
                                       fstate_w[F_SPEED, leader])
    if n_bound < n:  # one it could reach before its box is out of the old lane
        d_travel = direction * d
        reach = max(STRADDLE_REACH_M, STRADDLE_REACH_S * fstate_w[F_SPEED, i])
        gap, speed, _ = lane_free_obstacle(fstate_w, istate_w, params_w, scratch_w, i, n,
                                           n_bound,
                                        tx, ty, kappa, d_travel, d_travel, min(sight, reach))
        if gap < math.inf:
            accel = min(accel, idm_behind(fstate_w, params_w, idm_scale, i, max(gap, 0.01),
                                          speed))
    return accel
