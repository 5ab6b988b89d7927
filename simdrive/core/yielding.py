"""Giving way at junctions: a left turn across the opposite approach's traffic waits for
a gap in it (gap acceptance).

The map lists, per left-turn connector, where it crosses the straight and right-turn
connectors of the opposite approach (simdrive.world.packed, ``yield_*``). A driver
heading into such a connector, or on it short of its wait point, looks at the vehicles
it can see on those connectors or on the lanes that lead into them: when one would
reach a crossing before the driver has cleared it, with its margin (``gap_margin``, 1.5
s by default: with the time a car needs to clear the crossing from a standstill, a
critical gap of about 4-5 s, as observed at junctions; negative: a driver who misjudges
and turns into too short a gap), the driver stops at the wait point, its front edge
clear of every lane it gives way to (at the stop line if it is still before that point,
else in the junction, waiting to turn), and goes once the gap is there. A driver too
close to stop there braking firmly has committed and goes on (one already stopping for
it goes on stopping unless it no longer can); committed, it goes on across the lanes of
opposite vehicles that have not reached its path rather than stop in front of them
(crossings.goes_first). The time it needs to clear a crossing is reckoned as a free
driver speeds up, no faster than the bend lets it take the turn and than the road seems
to grip.
"""

from __future__ import annotations

import math

from simdrive.core._jit import kernel
from simdrive.core.crossings import CLEAR_PAST_M, crossing_distance
from simdrive.core.dynamics import idm_acceleration_scaled
from simdrive.core.layout import (
    F_DESIRED_SPEED,
    F_S,
    F_SPEED,
    F_X,
    F_Y,
    FLAG_GIVING_WAY,
    I_FLAGS,
    LANE_CONNECTOR,
    P_COMFORT_DECEL,
    P_GAP_MARGIN,
    P_LENGTH,
    P_MAX_ACCEL,
    P_MAX_DECEL,
    P_TIME_HEADWAY,
    S_COS,
    S_SIN,
)
from simdrive.core.perception import line_of_sight, seen_within

FIRM_BRAKING = 0.5
"""Share of its hardest braking a driver uses to stop where it gives way; a driver who
would need more to stop there has committed to going on."""
WAIT_SLACK_M = 1.0
"""m past its wait point a driver that saw the need late may still stop (its front
edge is still clear of the lanes it gives way to)."""
CLEAR_STEP_S = 0.05
"""s: the time step of the driver's estimate of how long clearing a crossing takes."""
CLEAR_HORIZON_S = 30.0
"""s: beyond this a crossing counts as never cleared."""


@kernel
def clear_time(v, accel, top_speed, distance):
    """Seconds a driver at ``v`` m/s needs to drive ``distance`` m, speeding up as a free
    IDM driver does (accel * (1 - (v / top_speed)^4)) towards ``top_speed`` (one faster
    than that slows to it before the turn: it drives it at top_speed)."""
    v = min(v, top_speed)
    t = 0.0
    x = 0.0
    while x < distance and t < CLEAR_HORIZON_S:
        ratio = v / top_speed
        r2 = ratio * ratio
        gain = max(accel * (1.0 - r2 * r2), 0.0)
        v_next = v + gain * CLEAR_STEP_S
        x += 0.5 * (v + v_next) * CLEAR_STEP_S
        v = v_next
        t += CLEAR_STEP_S
        if v <= 0.0:
            return CLEAR_HORIZON_S
    return t


@kernel
def wait_point(con, lane_yield_start, lane_yield_count, yield_s):
    """m along left-turn connector ``con`` (with yield rows) where a turner's front waits."""
    first = lane_yield_start[con]
    at = yield_s[first, 2]
    for k in range(first + 1, first + lane_yield_count[con]):
        at = min(at, yield_s[k, 2])
    return at


@kernel
def committed_to(fstate_w, params_w, i, lane, lane_yield_start, lane_yield_count, yield_s):
    """True when actor i, on left-turn connector ``lane``, is past where it would stop
    to give way: it turns across the opposite approach whatever comes."""
    return lane_yield_count[lane] > 0 and \
        fstate_w[F_S, i] + 0.5 * params_w[P_LENGTH, i] > wait_point(
            lane, lane_yield_start, lane_yield_count, yield_s) + WAIT_SLACK_M


@kernel
def give_way_gap(fstate_w, istate_w, params_w, scratch_w, i, n, lane, nxt, to_end, sight,
                 bend_accel, grip_accel, lane_kind, lane_length, lane_successors,
                 lane_max_curvature, lane_yield_start, lane_yield_count, yield_lane, yield_s):
    """The distance (m) from actor i's front to where it must stop to give way, or inf
    when it need not (no crossing ahead, a gap it can take, or committed).

    A driver waits at the connector's first wait point (``yield_s[:, 2]``: its front
    edge clear of every lane it yields to) until every crossing ahead is clear; past
    it, or too close to stop there comfortably, it has committed to all of them (waiting
    at a later crossing would leave it standing across an earlier one's lane).

    ``lane``: i's lane; ``nxt``: the lane it enters next (-1 none); ``to_end``: m from
    its front to its lane's end; ``sight``: how far it sees; ``bend_accel``: the lateral
    acceleration it takes bends at, ``grip_accel``: the acceleration the road seems to
    grant it (both m/s^2, from the grip it sees)."""
    if lane_kind[lane] == LANE_CONNECTOR:
        con = lane
        front = fstate_w[F_S, i] + 0.5 * params_w[P_LENGTH, i]
    elif nxt >= 0 and lane_kind[nxt] == LANE_CONNECTOR:
        con = nxt
        front = -to_end
    else:
        return math.inf
    count = lane_yield_count[con]
    if count == 0:
        return math.inf
    first = lane_yield_start[con]
    wait_gap = wait_point(con, lane_yield_start, lane_yield_count, yield_s) - front
    room = wait_gap + WAIT_SLACK_M
    if room < 0.0:
        return math.inf  # past where it would wait: it goes on
    v = fstate_w[F_SPEED, i]
    # one that has not begun to stop commits if it cannot stop in time braking firmly
    # (half its hardest); one already stopping for it goes on unless it no longer can
    decel = params_w[P_MAX_DECEL, i]
    if not istate_w[I_FLAGS, i] & FLAG_GIVING_WAY:
        decel *= FIRM_BRAKING
    if v * v > 2.0 * decel * room:
        return math.inf  # committed
    if v * v > 2.0 * decel * max(wait_gap, 0.0):
        wait_gap = room  # it stops as soon as it can, past the wait point
    accel = min(max(params_w[P_MAX_ACCEL, i], 0.5), grip_accel)
    # through the turn at the speed it takes the bend at (and no faster than it wants)
    top = max(fstate_w[F_DESIRED_SPEED, i], 1.0)
    if lane_max_curvature[con] > 1e-4:
        top = min(top, math.sqrt(bend_accel / lane_max_curvature[con]))
    length = params_w[P_LENGTH, i]
    for k in range(first, first + count):
        t_clear = -1.0  # the time i needs to clear the crossing (reckoned when needed)
        for j in range(n):
            if j == i:
                continue
            d_j = crossing_distance(fstate_w, istate_w, params_w, j, yield_lane[k],
                                    yield_s[k, 1], lane_length, lane_successors)
            if d_j == math.inf:
                continue
            dx = fstate_w[F_X, j] - fstate_w[F_X, i]
            dy = fstate_w[F_Y, j] - fstate_w[F_Y, i]
            seen = seen_within(scratch_w, fstate_w, i, j, sight)
            if dx * dx + dy * dy > seen * seen or not line_of_sight(
                    fstate_w, istate_w, params_w, scratch_w[S_COS], scratch_w[S_SIN], n, i, j):
                continue  # not seen: a driver turning into fog or the dark takes the risk
            if t_clear < 0.0:  # speeding up from v
                t_clear = clear_time(v, accel, top, yield_s[k, 0] - front + length
                                     + CLEAR_PAST_M)
            t_j = max(d_j, 0.0) / max(fstate_w[F_SPEED, j], 0.1)
            if t_j < t_clear + params_w[P_GAP_MARGIN, i]:
                return wait_gap
    return math.inf


@kernel
def give_way_accel(fstate_w, istate_w, params_w, scratch_w, i, n, lane, nxt, to_end, sight,
                   bend_accel, grip_accel, accel, scale, lane_kind, lane_length,
                   lane_successors, lane_max_curvature, lane_yield_start, lane_yield_count,
                   yield_lane, yield_s):
    """Actor i's acceleration (``accel``: what the rest of its lane asks of it) once it
    gives way where it must (give_way_gap: IDM towards the wait point, as towards a stop
    line); sets FLAG_GIVING_WAY while the wait is what slows it down. ``scale``: its
    idm_interaction_scale."""
    giving_way = False
    wait = give_way_gap(fstate_w, istate_w, params_w, scratch_w, i, n, lane, nxt, to_end,
                        sight, bend_accel, grip_accel, lane_kind, lane_length, lane_successors,
                        lane_max_curvature, lane_yield_start, lane_yield_count, yield_lane,
                        yield_s)
    if wait < math.inf:
        v = fstate_w[F_SPEED, i]
        wait_accel = idm_acceleration_scaled(
            v, fstate_w[F_DESIRED_SPEED, i], max(wait, 0.01), v, params_w[P_MAX_ACCEL, i],
            params_w[P_COMFORT_DECEL, i], params_w[P_TIME_HEADWAY, i], 0.5, scale)
        giving_way = wait_accel < 0.0 and wait_accel <= accel
        accel = min(accel, wait_accel)
    flags = istate_w[I_FLAGS, i]
    if giving_way != bool(flags & FLAG_GIVING_WAY):
        istate_w[I_FLAGS, i] = flags ^ FLAG_GIVING_WAY
    return accel
