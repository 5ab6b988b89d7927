"""Who goes first where a left turn crosses the opposite approach's lane.

A turner committed to its turn goes on across a vehicle's lane when that vehicle has
not reached the crossing and can still stop before it (goes_first); how far a vehicle is
short of a crossing point, counting the lane before it, is crossing_distance (also what
simdrive.core.yielding reckons its gaps with).
"""

from __future__ import annotations

import math

from simdrive.core._jit import kernel
from simdrive.core.lanes import successor
from simdrive.core.layout import (
    F_S,
    F_SPEED,
    FLAG_IGNORE_OBSTACLES,
    I_DIR,
    I_FLAGS,
    I_LANE,
    I_MODE,
    I_MODEL,
    I_TURN,
    I_VALID,
    MODE_LANE,
    MODE_LANE_FREE,
    MODEL_BICYCLE,
    P_LENGTH,
    P_MAX_DECEL,
    P_REACTION_TIME,
)

CLEAR_PAST_M = 3.0
"""m beyond its length a turning driver must have passed a crossing point to clear it."""
SHORT_OF_CROSSING_M = 3.0
"""m: a vehicle whose front is further than this short of a crossing point has not yet
reached a turner crossing its path there (a car's width at 45 degrees, and a margin)."""


@kernel
def crossing_distance(fstate_w, istate_w, params_w, j, other, there, lane_length,
                      lane_successors):
    """How far (m) vehicle j's front is short of the point ``there`` m along lane ``other``
    (negative: past it, with its rear not yet CLEAR_PAST_M beyond), or inf when j is
    neither on that lane nor heading into it from the lane before."""
    mode = istate_w[I_MODE, j]
    if istate_w[I_VALID, j] == 0 or istate_w[I_MODEL, j] != MODEL_BICYCLE or not (
            mode == MODE_LANE or mode == MODE_LANE_FREE and istate_w[I_DIR, j] > 0):
        return math.inf  # (a cyclist follows its lane outside the order, MODE_LANE_FREE)
    lane_j = istate_w[I_LANE, j]
    half_j = 0.5 * params_w[P_LENGTH, j]
    if lane_j == other:
        if fstate_w[F_S, j] - half_j > there + CLEAR_PAST_M:
            return math.inf  # its rear is past the crossing
        return there - fstate_w[F_S, j] - half_j
    if successor(lane_successors, lane_j, istate_w[I_TURN, j]) == other:
        return lane_length[lane_j] - fstate_w[F_S, j] - half_j + there
    return math.inf


@kernel
def goes_first(fstate_w, istate_w, params_w, i, j, con, lane_length, lane_successors,
               lane_yield_start, lane_yield_count, yield_lane, yield_s):
    """True when actor i, committed to its left turn on connector ``con``, is to go on
    across the lane of vehicle j of the opposite approach rather than stop in front of
    it: j has not reached the crossing i has yet to clear (j, seeing i across its way,
    waits; had both stopped, neither would ever go), and can stop before its path."""
    front = fstate_w[F_S, i] + 0.5 * params_w[P_LENGTH, i]
    length = params_w[P_LENGTH, i]
    first = lane_yield_start[con]
    for k in range(first, first + lane_yield_count[con]):
        if front > yield_s[k, 0] + length + CLEAR_PAST_M:
            continue  # cleared
        d_j = crossing_distance(fstate_w, istate_w, params_w, j, yield_lane[k], yield_s[k, 1],
                                lane_length, lane_successors)
        if d_j < math.inf:
            if d_j <= SHORT_OF_CROSSING_M:
                return False  # it is there: in the way
            if front > yield_s[k, 2]:
                return True  # i is into j's lane already: going on is its way out
            # short of j's lane i can still stop; one that does not watch the road, or
            # cannot stop short of i's path (reacting, then braking its hardest), will not
            # stop for i
            v_j = fstate_w[F_SPEED, j]
            return not istate_w[I_FLAGS, j] & FLAG_IGNORE_OBSTACLES and \
                v_j * params_w[P_REACTION_TIME, j] + v_j * v_j / (
                    2.0 * params_w[P_MAX_DECEL, j]) < d_j - SHORT_OF_CROSSING_M
    return False
