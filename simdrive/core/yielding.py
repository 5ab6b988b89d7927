"""Giving way at junctions: a left turn across the opposite approach's traffic waits for
a gap in it (gap acceptance).

The map lists, per left-turn connector, where it crosses the straight and right-turn
connectors of the opposite approach (simdrive.world.packed, ``yield_*``). A driver
heading into such a connector, or on it short of a crossing, looks at the vehicles it
can see on those connectors or on the lanes that lead into them: when one would reach
the crossing before the driver has cleared it, with its margin (``gap_margin``, 1.5 s by
default: with the time a car needs to clear the crossing from a standstill, a critical
gap of about 4-5 s, as observed at junctions; negative: a driver who misjudges and turns
into too short a gap), the driver stops short
of the crossing (at the stop line if it is still before it, else in the junction,
waiting to turn) and goes once the gap is there. A driver too close to stop
comfortably short of the crossing has committed and goes on.
"""

from __future__ import annotations

import math

from simdrive.core._jit import kernel
from simdrive.core.lanes import successor
from simdrive.core.layout import (
    F_S,
    F_SPEED,
    F_X,
    F_Y,
    I_LANE,
    I_MODE,
    I_MODEL,
    I_TURN,
    I_VALID,
    LANE_CONNECTOR,
    MODE_LANE,
    MODEL_BICYCLE,
    P_COMFORT_DECEL,
    P_GAP_MARGIN,
    P_LENGTH,
    P_MAX_ACCEL,
    S_COS,
    S_SIN,
)
from simdrive.core.perception import line_of_sight

WAIT_SHORT_M = 3.0
"""m: how far short of the crossing point a driver waits (half a lane and some room)."""
CLEAR_PAST_M = 3.0
"""m beyond its length a turning driver must have passed the crossing point to clear it."""


@kernel
def give_way_gap(fstate_w, istate_w, params_w, scratch_w, i, n, lane, nxt, to_end, sight,
                 lane_kind, lane_length, lane_successors, lane_yield_start, lane_yield_count,
                 yield_lane, yield_s):
    """The distance (m) from actor i's front to where it must stop to give way, or inf
    when it need not (no crossing ahead, a gap it can take, or committed).

    ``lane``: i's lane; ``nxt``: the lane it enters next (-1 none); ``to_end``: m from
    its front to its lane's end; ``sight``: how far it sees."""
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
    v = fstate_w[F_SPEED, i]
    a = max(params_w[P_MAX_ACCEL, i], 0.5)
    stop_decel = 1.5 * params_w[P_COMFORT_DECEL, i]
    length = params_w[P_LENGTH, i]
    first = lane_yield_start[con]
    for k in range(first, first + count):
        at = yield_s[k, 0]
        wait_gap = at - WAIT_SHORT_M - front
        if wait_gap < 0.0:
            continue  # past where it would wait for this crossing: it goes on
        if v * v > 2.0 * stop_decel * wait_gap:
            continue  # cannot stop short of it comfortably: committed
        # the time i needs to clear the crossing, speeding up from v at its acceleration
        clear = at - front + length + CLEAR_PAST_M
        t_clear = (math.sqrt(v * v + 2.0 * a * clear) - v) / a
        other = yield_lane[k]
        there = yield_s[k, 1]
        for j in range(n):
            if j == i or istate_w[I_VALID, j] == 0 or istate_w[I_MODEL, j] != MODEL_BICYCLE \
                    or istate_w[I_MODE, j] != MODE_LANE:
                continue
            lane_j = istate_w[I_LANE, j]
            half_j = 0.5 * params_w[P_LENGTH, j]
            if lane_j == other:
                if fstate_w[F_S, j] - half_j > there + CLEAR_PAST_M:
                    continue  # its rear is past the crossing
                d_j = there - fstate_w[F_S, j] - half_j
            elif successor(lane_successors, lane_j, istate_w[I_TURN, j]) == other:
                d_j = lane_length[lane_j] - fstate_w[F_S, j] - half_j + there
            else:
                continue
            dx = fstate_w[F_X, j] - fstate_w[F_X, i]
            dy = fstate_w[F_Y, j] - fstate_w[F_Y, i]
            if dx * dx + dy * dy > sight * sight or not line_of_sight(
                    fstate_w, istate_w, params_w, scratch_w[S_COS], scratch_w[S_SIN], n, i, j):
                continue  # not seen: a driver turning into fog or the dark takes the risk
            t_j = max(d_j, 0.0) / max(fstate_w[F_SPEED, j], 0.1)
            if t_j < t_clear + params_w[P_GAP_MARGIN, i]:
                return wait_gap
    return math.inf
