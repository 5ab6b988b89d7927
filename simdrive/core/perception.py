"""What a simulated road user can see and where it must stop.

A driver or pedestrian reacts only to actors within its visibility range (its
own sight capped by the world's fog/rain/night visibility; an actor under way with its
lamps lit, a vehicle unless told otherwise, is seen further at night, see seen_within)
whose centre is not hidden behind another actor's box (line of sight in the ground
plane), and remembers the last two obstacles it saw in its way (seen_since, remember).
Beside oncoming headlights it sees unlit actors nearer (simdrive.core.glare); a turner
goes on across a lane whose vehicle has yet to reach it (simdrive.core.crossings).
"""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import inline_kernel, kernel
from simdrive.core.crossings import goes_first
from simdrive.core.geometry import segment_hits_box
from simdrive.core.glare import glare_sight
from simdrive.core.lanes import lane_bend
from simdrive.core.layout import (
    F_SEEN_LAST,
    F_SEEN_LAST2,
    F_SEEN_SINCE,
    F_SEEN_SINCE2,
    F_SPEED,
    F_X,
    F_Y,
    I_LANE,
    I_MODE,
    I_MODEL,
    I_ORDER,
    I_SEEN_ID,
    I_SEEN_ID2,
    I_VALID,
    MODE_LANE,
    MODEL_BICYCLE,
    P_HEIGHT,
    P_LENGTH,
    P_MIN_GAP,
    P_WIDTH,
    S_COS,
    S_INTRUDED,
    S_INTRUDERS,
    S_LIT,
    S_SEEN_AT,
    S_SIN,
    S_UNLIT_SIGHT,
)

OCCLUDER_MIN_HEIGHT = 0.8  # m: debris, tyres and dogs do not hide anything
CORRIDOR_MARGIN = 0.3  # m of lateral clearance a driver keeps to an obstacle
SQUEEZE_GAP = 0.5  # m beyond its minimum gap: where a driver squeezes past an obstacle
# that is only inside its margin (clear of its sides)
PREDICTION_HORIZON = 3.0  # s: crossing actors are projected this far ahead
KERB_GAP_RANGE = 10.0  # m: lateral reach of the kerb-side gap check of cautious walkers



@inline_kernel
def seen_within(scratch_w, fstate_w, i, j, sight):
    """How far observer i, whose sight reaches ``sight`` m (its own range, capped by the
    farthest anything is seen in its world now), sees actor j: that, cut to how far j is
    seen (scratch row S_SEEN_AT: the world's visibility, or for an actor under way with
    its lamps lit the farther distance its lamps are seen at) and, when j shows no lit
    lamps, to how far i sees such actors (S_UNLIT_SIGHT: nearer without lamps of its own
    in the dark, and nearer still beside oncoming headlights: glare_sight)."""
    if scratch_w[S_LIT, j] > 0.0:  # lit: its lamps show it, glare or not
        return min(sight, scratch_w[S_SEEN_AT, j])
    return min(sight, scratch_w[S_SEEN_AT, j],
               scratch_w[S_UNLIT_SIGHT, i] * glare_sight(scratch_w, fstate_w, i, j))

@kernel
def line_of_sight(fstate_w, istate_w, params_w, cos_h, sin_h, n, observer, target):
    """True if the observer sees some of the target: a sight line from its centre to the
    target's centre or to a corner of its box that no third actor's box (taller than
    OCCLUDER_MIN_HEIGHT) cuts. (The centre alone missed a car nosing out between two
    parked vans, its bonnet in the lane and in plain view.)"""
    ax = fstate_w[F_X, observer]
    ay = fstate_w[F_Y, observer]
    cx = fstate_w[F_X, target]
    cy = fstate_w[F_Y, target]
    hl = 0.5 * params_w[P_LENGTH, target]
    hw = 0.5 * params_w[P_WIDTH, target]
    for point in range(5):  # the centre first: the common case, one sight line
        bx = cx
        by = cy
        if point > 0:
            along = hl if point <= 2 else -hl
            across = hw if point % 2 == 1 else -hw
            bx += along * cos_h[target] - across * sin_h[target]
            by += along * sin_h[target] + across * cos_h[target]
        if _clear(fstate_w, istate_w, params_w, cos_h, sin_h, n, observer, target, ax, ay,
                  bx, by):
            return True
    return False


@inline_kernel
def _clear(fstate_w, istate_w, params_w, cos_h, sin_h, n, observer, target, ax, ay, bx, by):
    """Whether no third actor's box taller than OCCLUDER_MIN_HEIGHT cuts (ax, ay)-(bx, by)."""
    for k in range(n):
        if k in (observer, target) or istate_w[I_VALID, k] == 0:
            continue
        if params_w[P_HEIGHT, k] < OCCLUDER_MIN_HEIGHT:
            continue
        if segment_hits_box(
            ax, ay, bx, by, fstate_w[F_X, k], fstate_w[F_Y, k], cos_h[k], sin_h[k],
            0.5 * params_w[P_LENGTH, k], 0.5 * params_w[P_WIDTH, k],
        ):
            return False
    return True


@kernel
def corridor_obstacle(fstate_w, params_w, cos_h, sin_h, i, j, curvature, max_range):
    """Gap (m) and speed along i's path (m/s) of actor j if it is, or will be, in i's way.

    i's path is the circle of its current ``curvature`` (1/m) through it along its
    heading, and j is seen in the path's own frame: how far round it (the gap is along
    the path, as a lane's leader's is), how far off it, and at what angle to it there.
    (A parabola seen from i's heading lost a stopped car 50 m round a 60 m bend and read
    one 81 m round as 59 m away.) j counts if its box, now or at the time i would reach
    it (constant velocities, at most PREDICTION_HORIZON ahead), overlaps the corridor i
    sweeps. Returns (inf, 0) when j is not in the way, is behind i's front half-plane or
    farther than ``max_range``, or is more than a quarter turn round.
    """
    ci = cos_h[i]
    si = sin_h[i]
    dx = fstate_w[F_X, j] - fstate_w[F_X, i]
    dy = fstate_w[F_Y, j] - fstate_w[F_Y, i]
    ahead = dx * ci + dy * si
    # in front of i and within its sight (straight-line: round a bend the distance along
    # i's heading is shorter)
    if ahead <= 0.0 or dx * dx + dy * dy > max_range * max_range:
        return math.inf, 0.0
    side = -dx * si + dy * ci  # left of i's heading
    # the path's tangent where it passes j (cos, sin of its turn from i's heading)
    if curvature == 0.0:
        along = ahead
        lateral = side
        tc = 1.0
        ts = 0.0
    else:
        radius = 1.0 / abs(curvature)
        turn = math.copysign(1.0, curvature)  # the centre lies that side: left +
        inward = radius - turn * side  # j's distance from the centre, along i's normal
        if inward <= 0.0:  # level with the centre or past it: over a quarter turn round
            return math.inf, 0.0
        angle = math.atan2(ahead, inward)
        along = radius * angle
        # turn * (radius - distance from the centre), written so that it stays exact for
        # the near-zero curvature (1e-17) pure pursuit leaves a car driving along an axis:
        # the difference of two 1e17 numbers lost the whole offset
        distance = math.sqrt(ahead * ahead + inward * inward)
        lateral = (2.0 * radius * side - turn * (side * side + ahead * ahead)) \
            / (radius + distance)
        tc = math.cos(angle)
        ts = turn * math.sin(angle)
    # j's heading against the path's tangent there
    hc = cos_h[j] * ci + sin_h[j] * si
    hs = sin_h[j] * ci - cos_h[j] * si
    rel_c = hc * tc + hs * ts
    rel_s = hs * tc - hc * ts
    hl_j = 0.5 * params_w[P_LENGTH, j]
    hw_j = 0.5 * params_w[P_WIDTH, j]
    reach = 0.5 * params_w[P_WIDTH, i] + hl_j * abs(rel_s) + hw_j * abs(rel_c) + CORRIDOR_MARGIN
    speed_j = fstate_w[F_SPEED, j]
    lateral_speed = speed_j * rel_s
    if abs(lateral) > reach:
        # will j cross into the corridor by the time i gets there?
        if lateral * lateral_speed >= 0.0:
            return math.inf, 0.0
        t_reach = min(along / max(fstate_w[F_SPEED, i], 1.0), PREDICTION_HORIZON)
        future = lateral + lateral_speed * t_reach
        if lateral > 0.0 and future > reach or lateral < 0.0 and future < -reach:
            return math.inf, 0.0
    gap = along - 0.5 * params_w[P_LENGTH, i] - hl_j * abs(rel_c) - hw_j * abs(rel_s)
    if (gap <= params_w[P_MIN_GAP, i] + SQUEEZE_GAP
            and reach - CORRIDOR_MARGIN < abs(lateral) <= reach
            and lateral * lateral_speed >= 0.0):
        # close (or alongside), inside the margin but clear of i's sides and not moving
        # towards its path: i has slowed for it and now squeezes past (else it would wait
        # behind an open door for good); one on its way in stays in the way
        return math.inf, 0.0
    return gap, speed_j * rel_c


@kernel
def lane_free_obstacle(fstate_w, istate_w, params_w, scratch_w, i, n, n_bound, tx, ty, kappa,
                       d_travel, offset, sight):
    """(gap m, speed along the lane m/s, index) of the nearest free actor (a walker, a parked or
    static vehicle, a wrong-way driver: order[n_bound:n]) within sight (seen_within) whose box lies
    across the corridor actor i would sweep driving along its lane ``offset`` m left of
    the lane's centre line; (inf, 0, -1) if none, (-inf, 0, it) if one is alongside i there.

    The lane runs ahead along its tangent (tx, ty) at i, bending with curvature kappa
    (lane_frame; as a circle: lanes.lane_bend); d_travel: i's own offset left of the
    centre line as it travels.
    """
    order = istate_w[I_ORDER]
    xi = fstate_w[F_X, i]
    yi = fstate_w[F_Y, i]
    half_len_i = 0.5 * params_w[P_LENGTH, i]
    half_w_i = 0.5 * params_w[P_WIDTH, i]
    best = math.inf
    best_speed = 0.0
    best_j = -1
    for p in range(n_bound, n):
        j = order[p]
        if j == i or istate_w[I_VALID, j] == 0:
            continue
        dx = fstate_w[F_X, j] - xi
        dy = fstate_w[F_Y, j] - yi
        ahead = dx * tx + dy * ty
        seen = seen_within(scratch_w, fstate_w, i, j, sight)
        if ahead > seen or ahead < -seen:
            continue
        bend = lane_bend(kappa, ahead)
        if math.isnan(bend):  # further round a tight bend than the tangent reaches
            continue
        lateral = -dx * ty + dy * tx + d_travel - bend - offset
        rel_c = scratch_w[S_COS, j] * tx + scratch_w[S_SIN, j] * ty
        rel_s = scratch_w[S_SIN, j] * tx - scratch_w[S_COS, j] * ty
        hl_j = 0.5 * params_w[P_LENGTH, j]
        hw_j = 0.5 * params_w[P_WIDTH, j]
        along_j = hl_j * abs(rel_c) + hw_j * abs(rel_s)
        if abs(lateral) > half_w_i + hl_j * abs(rel_s) + hw_j * abs(rel_c) + CORRIDOR_MARGIN:
            continue
        if ahead + half_len_i + along_j < 0.0:  # wholly behind i
            continue
        gap = ahead - half_len_i - along_j
        if gap <= 0.0:
            return -math.inf, 0.0, j
        if gap < best:
            best = gap
            best_speed = fstate_w[F_SPEED, j] * rel_c
            best_j = j
    return best, best_speed, best_j


@kernel
def kerb_gap_unsafe(fstate_w, istate_w, scratch_w, i, n, sight, gap_s):
    """True if a vehicle i can see would reach i's position within ``gap_s`` s."""
    for j in range(n):
        if j == i or istate_w[I_VALID, j] == 0 or istate_w[I_MODEL, j] != MODEL_BICYCLE:
            continue
        v = fstate_w[F_SPEED, j]
        if v < 0.5:
            continue
        dx = fstate_w[F_X, i] - fstate_w[F_X, j]
        dy = fstate_w[F_Y, i] - fstate_w[F_Y, j]
        seen = seen_within(scratch_w, fstate_w, i, j, sight)
        if dx * dx + dy * dy > seen * seen:
            continue
        ahead = dx * scratch_w[S_COS, j] + dy * scratch_w[S_SIN, j]
        lateral = -dx * scratch_w[S_SIN, j] + dy * scratch_w[S_COS, j]
        if ahead > 0.0 and ahead < v * gap_s and abs(lateral) < KERB_GAP_RANGE:
            return True
    return False


@kernel
def nearest_obstacle(fstate_w, istate_w, params_w, scratch_w, i, n, n_bound, curvature,
                      sight, near_junction, n_intruders, into, lane_first, lane_count,
                      committed, lane_length, lane_successors, lane_yield_start,
                      lane_yield_count, yield_lane, yield_s):
    """(index, gap m, speed along the path m/s) of the nearest visible actor in i's way,
    and the index of the next nearest (-1 none: the driver keeps both in mind, so the one
    behind is not new to it once the nearer one is out of the way).

    Lane-bound actors of other lanes are looked at only near junctions, when their box
    crosses a line of their lane into i's (the first n_intruders of scratch rows
    S_INTRUDERS and S_INTRUDED), or when i's own box reaches into theirs (``into``, -1
    none: a swerve, a cut-in or an offset over the line; lane_first and lane_count give
    that lane's stretch of the order). ``committed``: the left-turn connector i has
    committed to turning across (-1 none): the opposite approach's vehicles that have
    not reached its crossings are not in its way (goes_first)."""
    order = istate_w[I_ORDER]
    lane = istate_w[I_LANE, i]
    bound = istate_w[I_MODE, i] == MODE_LANE
    best = -1
    best_gap = math.inf
    best_speed = 0.0
    second = -1
    second_gap = math.inf
    # lane-bound actors see their lane-mates through the order; outside junctions
    # only free actors (walkers, parked cars, wrong-way drivers) need a look
    first = n_bound if (bound and not near_junction) else 0
    extra = n_intruders if first > 0 else 0
    # the stretch of the order on the lane i reaches into (scanned after the rest)
    other = lane_count[into] if (first > 0 and into >= 0 and lane_first[into] >= 0) else 0
    for p in range(first, n + extra + other):
        if p < n:
            j = order[p]
        elif p < n + extra:
            reach = scratch_w[S_INTRUDED, p - n]
            if reach != lane and reach != -2.0:
                continue  # it reaches into another lane
            j = np.int64(scratch_w[S_INTRUDERS, p - n])
        else:
            j = order[lane_first[into] + p - n - extra]
        if j == i or istate_w[I_VALID, j] == 0:
            continue
        if bound and (p < n_bound or p >= n) and istate_w[I_LANE, j] == lane:
            continue  # a lane-mate: the lane's order gives i its leader
        if committed >= 0 and goes_first(fstate_w, istate_w, params_w, i, j, committed,
                                         lane_length, lane_successors, lane_yield_start,
                                         lane_yield_count, yield_lane, yield_s):
            continue
        seen = seen_within(scratch_w, fstate_w, i, j, sight)
        gap, speed = corridor_obstacle(fstate_w, params_w, scratch_w[S_COS], scratch_w[S_SIN],
                                       i, j, curvature, seen)
        if gap < second_gap and line_of_sight(fstate_w, istate_w, params_w, scratch_w[S_COS],
                                              scratch_w[S_SIN], n, i, j):
            if gap < best_gap:
                second, second_gap = best, best_gap
                best = j
                best_gap = gap
                best_speed = speed
            else:
                second, second_gap = j, gap
    return best, best_gap, best_speed, second


OBSTACLE_MEMORY_S = 3.0  # s a driver remembers an obstacle out of its way or out of sight


@inline_kernel
def seen_since(istate_w, fstate_w, i, j, time_s):
    """When actor i first perceived obstacle j in its way (now if j is new to it, or was
    last in its way more than OBSTACLE_MEMORY_S ago)."""
    if j >= 0 and j == istate_w[I_SEEN_ID, i] and \
            time_s - fstate_w[F_SEEN_LAST, i] <= OBSTACLE_MEMORY_S + 1e-9:
        return fstate_w[F_SEEN_SINCE, i]
    if j >= 0 and j == istate_w[I_SEEN_ID2, i] and \
            time_s - fstate_w[F_SEEN_LAST2, i] <= OBSTACLE_MEMORY_S + 1e-9:
        return fstate_w[F_SEEN_SINCE2, i]
    return time_s


@inline_kernel
def remember(istate_w, fstate_w, i, j, since, time_s):
    """Put obstacle j (perceived since ``since``, in i's way now) first in actor i's memory
    of the last two obstacles it perceived in its way (nothing for j = -1)."""
    if j < 0:
        return
    if j != istate_w[I_SEEN_ID, i]:
        istate_w[I_SEEN_ID2, i] = istate_w[I_SEEN_ID, i]
        fstate_w[F_SEEN_SINCE2, i] = fstate_w[F_SEEN_SINCE, i]
        fstate_w[F_SEEN_LAST2, i] = fstate_w[F_SEEN_LAST, i]
    istate_w[I_SEEN_ID, i] = j
    fstate_w[F_SEEN_SINCE, i] = since
    fstate_w[F_SEEN_LAST, i] = time_s
