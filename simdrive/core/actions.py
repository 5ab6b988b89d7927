"""Scripted actions and their triggers (hard brake, cut-in, cross the road, ...)."""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import inline_kernel, kernel
from simdrive.core.lanes import lane_project
from simdrive.core.layout import (
    ACT_CROSS_ROAD,
    ACT_CUT_IN,
    ACT_GO,
    ACT_HARD_BRAKE,
    ACT_RUN_RED_LIGHT,
    ACT_SET_SPEED,
    ACT_STOP,
    ACT_SWERVE,
    ACT_WRONG_WAY,
    AF_DELAY,
    AF_FIRE_TIME,
    AF_PARAM0,
    AF_PARAM1,
    AF_PARAM2,
    AF_TRIGGER_VALUE,
    AF_TRIGGER_X,
    AF_TRIGGER_Y,
    AI_ACTOR,
    AI_REF,
    AI_STATE,
    AI_TRIGGER,
    AI_TYPE,
    EV_A,
    EV_B,
    EV_COUNT,
    EV_TIME,
    EV_TYPE,
    EV_X,
    EV_Y,
    EVENT_ACTION,
    F_BRAKE_DECEL,
    F_D,
    F_D_TARGET,
    F_DESIRED_SPEED,
    F_GOAL_X,
    F_GOAL_Y,
    F_LANE_CHANGE_TIME,
    F_LOOKAHEAD_GAIN,
    F_S,
    F_SPEED,
    F_X,
    F_Y,
    FLAG_ARRIVED,
    FLAG_IGNORE_SIGNALS,
    FLAG_NO_LANE_CHANGE,
    I_DIR,
    I_FLAGS,
    I_LANE,
    I_LEADER_SEEN,
    I_MODE,
    I_MODEL,
    I_SEG,
    I_VALID,
    LEADER_KNOWN,
    MODE_GOTO,
    MODE_LANE,
    MODE_LANE_FREE,
    MODE_STATIC,
    MODEL_BICYCLE,
    TRIG_ACTOR_DISTANCE_BELOW,
    TRIG_EGO_DISTANCE_BELOW,
    TRIG_EGO_TIME_BELOW,
    TRIG_REACH_POINT,
    TRIG_TIME,
    WI_EVENT_COUNT,
    WI_EVENTS_DROPPED,
)


@inline_kernel
def _distance(fstate_w, a, b):
    dx = fstate_w[F_X, a] - fstate_w[F_X, b]
    dy = fstate_w[F_Y, a] - fstate_w[F_Y, b]
    return math.sqrt(dx * dx + dy * dy)


@kernel
def trigger_met(act_i_k, act_f_k, fstate_w, istate_w, ego, time_s):
    """True if the trigger of one action row holds at ``time_s``."""
    kind = act_i_k[AI_TRIGGER]
    value = act_f_k[AF_TRIGGER_VALUE]
    actor = act_i_k[AI_ACTOR]
    if kind == TRIG_TIME:
        return time_s >= value - 1e-9
    if kind == TRIG_REACH_POINT:
        dx = fstate_w[F_X, actor] - act_f_k[AF_TRIGGER_X]
        dy = fstate_w[F_Y, actor] - act_f_k[AF_TRIGGER_Y]
        return dx * dx + dy * dy < value * value
    if kind == TRIG_ACTOR_DISTANCE_BELOW:
        ref = act_i_k[AI_REF]
        return istate_w[I_VALID, ref] == 1 and _distance(fstate_w, actor, ref) < value
    if ego < 0 or istate_w[I_VALID, ego] == 0:
        return False
    if kind == TRIG_EGO_DISTANCE_BELOW:
        return _distance(fstate_w, actor, ego) < value
    if kind == TRIG_EGO_TIME_BELOW:
        return _distance(fstate_w, actor, ego) < value * max(fstate_w[F_SPEED, ego], 0.1)
    return False


@kernel
def _switch_lane(fstate_w, istate_w, lane_points, lane_cum_s, lane_start, lane_npoints, i, lane):
    s, d, seg = lane_project(lane_points, lane_cum_s, lane_start, lane_npoints, lane,
                             fstate_w[F_X, i], fstate_w[F_Y, i], np.int64(0))
    istate_w[I_LANE, i] = lane
    istate_w[I_SEG, i] = seg
    fstate_w[F_S, i] = s
    fstate_w[F_D, i] = d


@kernel
def apply_action(act_i_k, act_f_k, fstate_w, istate_w, time_s, lane_points, lane_cum_s,
                 lane_start, lane_npoints):
    """Carry out one action on its actor."""
    i = act_i_k[AI_ACTOR]
    kind = act_i_k[AI_TYPE]
    p0 = act_f_k[AF_PARAM0]
    p1 = act_f_k[AF_PARAM1]
    p2 = act_f_k[AF_PARAM2]
    if kind in (ACT_GO, ACT_SET_SPEED, ACT_CUT_IN, ACT_RUN_RED_LIGHT) and \
            istate_w[I_MODE, i] == MODE_STATIC and istate_w[I_LANE, i] >= 0 and \
            istate_w[I_MODEL, i] == MODEL_BICYCLE:
        # a parked or static vehicle on a lane sets off along it (a car pulling out of a
        # parking bay: go, then cut_in to the traffic lane); against the lane's direction
        # as a lane follower, as a wrong-way driver (lane traffic all runs one way)
        istate_w[I_MODE, i] = MODE_LANE if istate_w[I_DIR, i] > 0 else MODE_LANE_FREE
    if kind == ACT_HARD_BRAKE:
        fstate_w[F_BRAKE_DECEL, i] = p0
        fstate_w[F_DESIRED_SPEED, i] = 0.0
    elif kind == ACT_STOP:
        fstate_w[F_DESIRED_SPEED, i] = 0.0
    elif kind == ACT_GO:
        fstate_w[F_BRAKE_DECEL, i] = 0.0
        fstate_w[F_DESIRED_SPEED, i] = p0
    elif kind == ACT_SET_SPEED:
        fstate_w[F_DESIRED_SPEED, i] = p0
    elif kind == ACT_CUT_IN:
        _switch_lane(fstate_w, istate_w, lane_points, lane_cum_s, lane_start, lane_npoints,
                     i, int(p0))
        istate_w[I_FLAGS, i] |= FLAG_NO_LANE_CHANGE
        istate_w[I_LEADER_SEEN, i] = LEADER_KNOWN  # the cutter chose its gap
        fstate_w[F_LANE_CHANGE_TIME, i] = time_s
        fstate_w[F_D_TARGET, i] = p2
        if p1 > 0.0:
            fstate_w[F_LOOKAHEAD_GAIN, i] = p1
    elif kind == ACT_SWERVE:
        fstate_w[F_D_TARGET, i] = p0
        istate_w[I_FLAGS, i] |= FLAG_NO_LANE_CHANGE  # as cut_in: the script steers it now
        if p1 > 0.0:
            fstate_w[F_LOOKAHEAD_GAIN, i] = p1
    elif kind == ACT_RUN_RED_LIGHT:
        istate_w[I_FLAGS, i] |= FLAG_IGNORE_SIGNALS
        if p0 > 0.0:
            fstate_w[F_DESIRED_SPEED, i] = p0
    elif kind == ACT_WRONG_WAY:
        _switch_lane(fstate_w, istate_w, lane_points, lane_cum_s, lane_start, lane_npoints,
                     i, int(p0))
        istate_w[I_MODE, i] = MODE_LANE_FREE
        istate_w[I_DIR, i] = -1
        fstate_w[F_D_TARGET, i] = 0.0
        istate_w[I_FLAGS, i] |= FLAG_NO_LANE_CHANGE
    elif kind == ACT_CROSS_ROAD:
        istate_w[I_MODE, i] = MODE_GOTO
        istate_w[I_FLAGS, i] &= ~FLAG_ARRIVED
        fstate_w[F_GOAL_X, i] = p0
        fstate_w[F_GOAL_Y, i] = p1
        fstate_w[F_DESIRED_SPEED, i] = p2


@kernel
def record_event(events_w, wint_w, kind, time_s, a, b, x, y):
    """Append an event row; returns its row index, or -1 if the buffer is full."""
    k = wint_w[WI_EVENT_COUNT]
    if k >= events_w.shape[0]:
        wint_w[WI_EVENTS_DROPPED] += 1
        return -1
    for f in range(EV_COUNT):
        events_w[k, f] = 0.0
    events_w[k, EV_TYPE] = kind
    events_w[k, EV_TIME] = time_s
    events_w[k, EV_A] = a
    events_w[k, EV_B] = b
    events_w[k, EV_X] = x
    events_w[k, EV_Y] = y
    wint_w[WI_EVENT_COUNT] = k + 1
    return k


@kernel
def run_actions(act_i_w, act_f_w, fstate_w, istate_w, events_w, wint_w, ego, time_s,
                lane_points, lane_cum_s, lane_start, lane_npoints):
    """Check every pending trigger and carry out the actions that are due."""
    for k in range(act_i_w.shape[0]):
        row_i = act_i_w[k]
        row_f = act_f_w[k]
        i = row_i[AI_ACTOR]
        if i < 0 or row_i[AI_STATE] == 2 or istate_w[I_VALID, i] == 0:
            continue
        if row_i[AI_STATE] == 0 and trigger_met(row_i, row_f, fstate_w, istate_w, ego, time_s):
            row_i[AI_STATE] = 1
            row_f[AF_FIRE_TIME] = time_s + row_f[AF_DELAY]
        if row_i[AI_STATE] == 1 and time_s >= row_f[AF_FIRE_TIME] - 1e-9:
            apply_action(row_i, row_f, fstate_w, istate_w, time_s, lane_points, lane_cum_s,
                         lane_start, lane_npoints)
            row_i[AI_STATE] = 2
            row_f[AF_FIRE_TIME] = time_s
            record_event(events_w, wint_w, np.float64(EVENT_ACTION), time_s, i, k,
                         fstate_w[F_X, i], fstate_w[F_Y, i])
