"""Lane-bound traffic: the (lane, s) order, leaders, and MOBIL lane changes.

Actors in MODE_LANE are kept sorted by (lane, s) in ``istate[I_ORDER]`` with an
insertion sort: the order barely changes between steps, so the sort is close
to linear and allocates nothing. Free actors (pedestrians, parked cars,
wrong-way drivers) sort to the end of the order.
"""

from __future__ import annotations

import math

from simdrive.core._jit import inline_kernel, kernel
from simdrive.core.dynamics import idm_acceleration_scaled
from simdrive.core.lanes import successor
from simdrive.core.layout import (
    F_D,
    F_D_TARGET,
    F_DESIRED_SPEED,
    F_S,
    F_SPEED,
    FLAG_CRASHED,
    I_DIR,
    I_FLAGS,
    I_LANE,
    I_MODE,
    I_ORDER,
    I_VALID,
    MODE_LANE,
    MODE_STATIC,
    P_COMFORT_DECEL,
    P_LENGTH,
    P_MAX_ACCEL,
    P_MIN_GAP,
    P_TIME_HEADWAY,
    P_WIDTH,
)
from simdrive.core.perception import CORRIDOR_MARGIN, lane_free_obstacle

SETTLED_M = 0.2  # m from its offset target within which an actor keeps to its offset

MOBIL_THRESHOLD = 0.2  # m/s^2 of net advantage needed to change lane (Kesting et al. 2007)
MOBIL_SAFE_DECEL = 4.0  # m/s^2 the new follower may be asked to brake at most
MOBIL_KEEP_RIGHT_BIAS = 0.1  # m/s^2 in favour of the right lane (right-hand traffic)


@inline_kernel
def _bound(istate_w, i):
    return istate_w[I_VALID, i] == 1 and istate_w[I_MODE, i] == MODE_LANE


@kernel
def _before(istate_w, fstate_w, a, b):
    """Strict (lane, s, index) order; free actors after all bound ones, by index."""
    ba = _bound(istate_w, a)
    bb = _bound(istate_w, b)
    if ba != bb:
        return ba
    if not ba:
        return a < b
    la = istate_w[I_LANE, a]
    lb = istate_w[I_LANE, b]
    if la != lb:
        return la < lb
    sa = fstate_w[F_S, a]
    sb = fstate_w[F_S, b]
    if sa != sb:
        return sa < sb
    return a < b


@kernel
def sort_lane_order(istate_w, fstate_w, n, lane_first, lane_count):
    """Insertion-sort I_ORDER, fill lane_first/lane_count (positions in the order).

    Returns the number of lane-bound actors (they occupy order[0:count]).
    """
    order = istate_w[I_ORDER]
    for k in range(1, n):
        a = order[k]
        j = k - 1
        while j >= 0 and _before(istate_w, fstate_w, a, order[j]):
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = a
    lane_first[:] = -1
    lane_count[:] = 0
    n_bound = 0
    for p in range(n):
        i = order[p]
        if not _bound(istate_w, i):
            break
        lane = istate_w[I_LANE, i]
        if lane_first[lane] < 0:
            lane_first[lane] = p
        lane_count[lane] += 1
        n_bound += 1
    return n_bound


@inline_kernel
def lane_leader(istate_w, fstate_w, params_w, lane_length, lane_successors, lane_first,
                n_bound, position, turn):
    """Leader of the bound actor at ``position`` in the order: (index, gap m).

    The leader is the next actor ahead on the same lane, skipping those that keep to an
    offset from the lane's centre line that leaves them out of the actor's corridor
    (their widths' halves plus CORRIDOR_MARGIN apart, both at their offset targets: a
    motorcycle filtering past at the lane's edge, a car on the verge; one moving across
    the lane, a lane change under way, stays a leader), or, when none is, the first
    actor on the successor lane it will take. (-1, inf) if none.
    """
    order = istate_w[I_ORDER]
    i = order[position]
    lane = istate_w[I_LANE, i]
    half_i = 0.5 * params_w[P_LENGTH, i]
    d_i = fstate_w[F_D, i]
    settled_i = abs(fstate_w[F_D_TARGET, i] - d_i) < SETTLED_M
    half_w = 0.5 * params_w[P_WIDTH, i] + CORRIDOR_MARGIN
    q = position + 1
    while q < n_bound and istate_w[I_LANE, order[q]] == lane:
        j = order[q]
        d_j = fstate_w[F_D, j]
        if not (settled_i and abs(fstate_w[F_D_TARGET, j] - d_j) < SETTLED_M
                and abs(d_j - d_i) >= half_w + 0.5 * params_w[P_WIDTH, j]):
            return j, fstate_w[F_S, j] - fstate_w[F_S, i] - half_i - 0.5 * params_w[P_LENGTH, j]
        q += 1
    nxt = successor(lane_successors, lane, turn)
    if nxt >= 0 and lane_first[nxt] >= 0:
        j = order[lane_first[nxt]]
        gap = lane_length[lane] - fstate_w[F_S, i] + fstate_w[F_S, j]
        return j, gap - half_i - 0.5 * params_w[P_LENGTH, j]
    return -1, math.inf


@kernel
def idm_towards(fstate_w, params_w, idm_scale, i, leader, gap):
    """IDM acceleration (m/s^2) of actor i behind ``leader`` (-1: free road) at ``gap`` m.

    ``idm_scale`` holds each actor's idm_interaction_scale (scratch row S_IDM_SCALE).
    """
    v = fstate_w[F_SPEED, i]
    if leader < 0:
        gap = math.inf
        closing = 0.0
    else:
        closing = v - fstate_w[F_SPEED, leader]
    return idm_acceleration_scaled(
        v, fstate_w[F_DESIRED_SPEED, i], gap, closing, params_w[P_MAX_ACCEL, i],
        params_w[P_COMFORT_DECEL, i], params_w[P_TIME_HEADWAY, i], params_w[P_MIN_GAP, i],
        idm_scale[i],
    )


@inline_kernel
def idm_behind(fstate_w, params_w, idm_scale, i, gap, speed_ahead):
    """IDM acceleration (m/s^2) of actor i ``gap`` m behind something moving at
    ``speed_ahead`` m/s along its way (an obstacle rather than a lane-mate)."""
    v = fstate_w[F_SPEED, i]
    return idm_acceleration_scaled(
        v, fstate_w[F_DESIRED_SPEED, i], gap, v - speed_ahead, params_w[P_MAX_ACCEL, i],
        params_w[P_COMFORT_DECEL, i], params_w[P_TIME_HEADWAY, i], params_w[P_MIN_GAP, i],
        idm_scale[i],
    )


@inline_kernel
def broken_down(fstate_w, istate_w, j):
    """Whether actor j will not move on by itself: static, crashed, or told to stop
    (desired speed 0) and at a standstill."""
    if istate_w[I_MODE, j] == MODE_STATIC or istate_w[I_FLAGS, j] & FLAG_CRASHED:
        return True
    return fstate_w[F_DESIRED_SPEED, j] <= 0.0 and fstate_w[F_SPEED, j] < 0.1


@kernel
def neighbours_at(istate_w, fstate_w, lane_first, lane_count, lane, s):
    """(follower, leader) on ``lane`` around arc length s by binary search; -1 if none."""
    first = lane_first[lane]
    if first < 0:
        return -1, -1
    order = istate_w[I_ORDER]
    lo = first
    hi = first + lane_count[lane]
    while lo < hi:  # first position whose s exceeds the given s
        mid = (lo + hi) // 2
        if fstate_w[F_S, order[mid]] > s:
            hi = mid
        else:
            lo = mid + 1
    follower = order[lo - 1] if lo > first else -1
    leader = order[lo] if lo < first + lane_count[lane] else -1
    return follower, leader


@inline_kernel
def _gap(fstate_w, params_w, back, front, s_back, s_front):
    return s_front - s_back - 0.5 * (params_w[P_LENGTH, back] + params_w[P_LENGTH, front])


@kernel
def mobil_choice(istate_w, fstate_w, params_w, scratch_w, idm_scale, lane_first, lane_count,
                 lane_left, lane_right, lane_s_scale_left, lane_s_scale_right, lane_width, n,
                 n_bound, position, own_leader, own_gap, politeness, block_accel, tx, ty, kappa,
                 sight):
    """Lane that MOBIL (Kesting, Treiber, Helbing 2007) prefers for the actor at ``position``.

    Returns the target lane index, or -1 to stay. The incentive is the actor's
    own gain plus ``politeness`` times the gain of the old and new followers;
    the change is safe only if the new follower brakes at most MOBIL_SAFE_DECEL.
    Besides lane-mates, both lanes' free obstacles count (a broken-down van, a parked
    car sticking out, a walker: perception.lane_free_obstacle along the lane frame tx,
    ty, kappa within ``sight``): ``block_accel`` is what the actor's own obstacle asks
    of it (inf: none), and a target lane with one alongside is unsafe.
    """
    order = istate_w[I_ORDER]
    i = order[position]
    lane = istate_w[I_LANE, i]
    s_i = fstate_w[F_S, i]
    a_self = min(idm_towards(fstate_w, params_w, idm_scale, i, own_leader, own_gap), block_accel)
    direction = istate_w[I_DIR, i]
    d_travel = direction * fstate_w[F_D, i]
    # the follower left behind gains a new leader: i's leader
    old_follower = -1
    if (position > 0 and _bound(istate_w, order[position - 1])
            and istate_w[I_LANE, order[position - 1]] == lane):
        old_follower = order[position - 1]
    old_gain = 0.0
    if old_follower >= 0:
        s_o = fstate_w[F_S, old_follower]
        before = idm_towards(fstate_w, params_w, idm_scale, old_follower, i,
                             _gap(fstate_w, params_w, old_follower, i, s_o, s_i))
        if own_leader >= 0:
            half_sum = 0.5 * (params_w[P_LENGTH, i] + params_w[P_LENGTH, own_leader])
            s_leader = s_i + own_gap + half_sum
            after_gap = _gap(fstate_w, params_w, old_follower, own_leader, s_o, s_leader)
        else:
            after_gap = math.inf
        old_gain = idm_towards(fstate_w, params_w, idm_scale, old_follower, own_leader,
                               after_gap) - before
    best_lane = -1
    best_incentive = MOBIL_THRESHOLD
    for side in range(2):
        if side == 0:
            target = lane_left[lane]
            s_t = s_i * lane_s_scale_left[lane]
            bias = -MOBIL_KEEP_RIGHT_BIAS
        else:
            target = lane_right[lane]
            s_t = s_i * lane_s_scale_right[lane]
            bias = MOBIL_KEEP_RIGHT_BIAS
        if target < 0:
            continue
        follower, leader = neighbours_at(istate_w, fstate_w, lane_first, lane_count, target, s_t)
        new_gap = math.inf
        if leader >= 0:
            new_gap = _gap(fstate_w, params_w, i, leader, s_t, fstate_w[F_S, leader])
            if new_gap <= 0.0:
                continue
        a_new = idm_towards(fstate_w, params_w, idm_scale, i, leader, new_gap)
        if n_bound < n:  # free actors on the target lane
            offset = 0.5 * (lane_width[lane] + lane_width[target]) * (1.0 - 2.0 * side)
            gap_o, speed_o, j_o = lane_free_obstacle(fstate_w, istate_w, params_w, scratch_w, i,
                                                     n, n_bound, tx, ty, kappa, d_travel,
                                                     direction * offset, sight)
            if gap_o == -math.inf or (j_o >= 0 and broken_down(fstate_w, istate_w, j_o)):
                continue  # one alongside, or a lane blocked ahead (a broken-down van)
            if gap_o < math.inf:
                a_new = min(a_new, idm_behind(fstate_w, params_w, idm_scale, i, gap_o, speed_o))
        follower_gain = 0.0
        if follower >= 0:
            s_f = fstate_w[F_S, follower]
            back_gap = _gap(fstate_w, params_w, follower, i, s_f, s_t)
            if back_gap <= 0.0:
                continue
            a_follower_after = idm_towards(fstate_w, params_w, idm_scale, follower, i, back_gap)
            if a_follower_after < -MOBIL_SAFE_DECEL:
                continue
            before_gap = math.inf
            if leader >= 0:
                before_gap = _gap(fstate_w, params_w, follower, leader, s_f,
                                  fstate_w[F_S, leader])
            follower_gain = a_follower_after - idm_towards(
                fstate_w, params_w, idm_scale, follower, leader, before_gap
            )
        own_gain = a_new - a_self + bias
        if own_gain <= 0.0:  # nobody moves over only to please others
            continue
        incentive = own_gain + politeness * (follower_gain + old_gain)
        if incentive > best_incentive:
            best_incentive = incentive
            best_lane = target
    return best_lane


@inline_kernel
def comfortable_stop_possible(speed, distance, comfort_decel):
    """True if the actor can stop within ``distance`` m braking at most 1.5x comfortably."""
    return distance > 0.0 and speed * speed <= 3.0 * comfort_decel * distance
