"""Phase 3 of a step: move every actor under its limits and re-project it onto its lane.

Jerk, steering-angle and steering-rate limits, the friction circle (braking
first; a turn the tyres cannot hold widens; not for a ball), the bicycle or unicycle model,
lane changes chosen by MOBIL, and successor lanes at a lane's end. A crashed actor
slides instead, with the world velocity its impact left it (simdrive.core.collision).
"""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import inline_kernel, kernel
from simdrive.core.dynamics import (
    advance_speed,
    friction_clamp,
    integrate_pose,
    limit_jerk,
    wrap_angle,
)
from simdrive.core.lanes import lane_project, successor
from simdrive.core.layout import (
    F_ACCEL,
    F_D,
    F_D_TARGET,
    F_GOAL_X,
    F_GOAL_Y,
    F_HEADING,
    F_HEADING_PREV,
    F_LANE_CHANGE_TIME,
    F_S,
    F_SPEED,
    F_STEER,
    F_VX,
    F_VY,
    F_X,
    F_X_PREV,
    F_Y,
    F_Y_PREV,
    F_YAW_RATE,
    FLAG_ARRIVED,
    FLAG_CRASHED,
    FLAG_ROLLS,
    GRAVITY,
    I_DIR,
    I_FLAGS,
    I_LANE,
    I_LANE_TARGET,
    I_LEADER_SEEN,
    I_MODE,
    I_MODEL,
    I_SEG,
    I_TURN,
    I_VALID,
    LEADER_KNOWN,
    M_MAX_EGO_DECEL,
    MODE_GOTO,
    MODE_STATIC,
    MODEL_BICYCLE,
    P_MAX_JERK,
    P_MAX_SPEED,
    P_MAX_STEER,
    P_MAX_STEER_RATE,
    P_WHEELBASE,
    S_ACCEL_CMD,
    S_COS,
    S_SIN,
    S_STEER_CMD,
)

ARRIVAL_RADIUS = 0.3  # m: a walker this close to its goal has arrived


@inline_kernel
def _slide(fstate_w, i, x, y, friction, dt):
    """A crashed actor's new position, sliding with its world velocity (F_VX, F_VY), which
    friction slows to a halt; its heading stays. Returns (x, y, acceleration)."""
    vx = fstate_w[F_VX, i]
    vy = fstate_w[F_VY, i]
    v = math.sqrt(vx * vx + vy * vy)
    if v == 0.0:
        fstate_w[F_SPEED, i] = 0.0
        return x, y, 0.0
    decel = friction * GRAVITY
    new_v, dist = advance_speed(v, -decel, dt)
    fstate_w[F_VX, i] = vx / v * new_v
    fstate_w[F_VY, i] = vy / v * new_v
    fstate_w[F_SPEED, i] = new_v
    return x + vx / v * dist, y + vy / v * dist, -decel


@kernel
def integrate(fstate_w, istate_w, params_w, scratch_w, metrics_w, n, ego, time_s, dt,
               friction, lane_points, lane_cum_s, lane_start, lane_npoints, lane_length,
               lane_successors):
    """Phase 3: limits, friction circle, motion model and lane re-projection of every actor."""
    for i in range(n):
        if istate_w[I_VALID, i] == 0:
            continue
        x = fstate_w[F_X, i]
        y = fstate_w[F_Y, i]
        h = fstate_w[F_HEADING, i]
        fstate_w[F_X_PREV, i] = x
        fstate_w[F_Y_PREV, i] = y
        fstate_w[F_HEADING_PREV, i] = h
        mode = istate_w[I_MODE, i]
        if mode == MODE_STATIC:
            continue
        target = istate_w[I_LANE_TARGET, i]
        if target >= 0:
            s, d, seg = lane_project(lane_points, lane_cum_s, lane_start, lane_npoints, target,
                                     x, y, istate_w[I_SEG, i])
            istate_w[I_LANE, i] = target
            istate_w[I_SEG, i] = seg
            fstate_w[F_S, i] = s
            fstate_w[F_D, i] = d
            fstate_w[F_D_TARGET, i] = 0.0  # a lane change ends at the new lane's centre
            fstate_w[F_LANE_CHANGE_TIME, i] = time_s
            istate_w[I_LANE_TARGET, i] = -1
            istate_w[I_LEADER_SEEN, i] = LEADER_KNOWN  # it chose the gap: it knows the leader
        v = fstate_w[F_SPEED, i]
        crashed = istate_w[I_FLAGS, i] & FLAG_CRASHED
        if crashed:  # it slides on: its world velocity decays at the friction limit
            x, y, along = _slide(fstate_w, i, x, y, friction, dt)
            if i == ego and v > 0.0 and -along > metrics_w[M_MAX_EGO_DECEL]:
                metrics_w[M_MAX_EGO_DECEL] = -along
            fstate_w[F_ACCEL, i] = along
            fstate_w[F_YAW_RATE, i] = 0.0
            fstate_w[F_X, i] = x
            fstate_w[F_Y, i] = y
        else:
            accel = limit_jerk(scratch_w[S_ACCEL_CMD, i], fstate_w[F_ACCEL, i],
                               params_w[P_MAX_JERK, i], dt)
            if istate_w[I_MODEL, i] == MODEL_BICYCLE:
                wheelbase = params_w[P_WHEELBASE, i]
                max_steer = params_w[P_MAX_STEER, i]
                rate = params_w[P_MAX_STEER_RATE, i] * dt
                prev = fstate_w[F_STEER, i]
                steer = min(max(scratch_w[S_STEER_CMD, i], prev - rate), prev + rate)
                steer = min(max(steer, -max_steer), max_steer)
                tan_steer = math.tan(steer) if steer != 0.0 else 0.0
                demand = v * v * tan_steer / wheelbase
                along, lat_max = friction_clamp(accel, demand, friction, GRAVITY)
                if abs(demand) > lat_max:  # the tyres cannot hold the turn: it widens
                    tan_steer = math.copysign(lat_max * wheelbase / (v * v), tan_steer)
                    steer = math.atan(tan_steer)
                new_v, dist = advance_speed(v, along, dt)
                yaw = dist * tan_steer / wheelbase
                fstate_w[F_STEER, i] = steer
                fstate_w[F_YAW_RATE, i] = yaw / dt
            else:
                yaw_rate = scratch_w[S_STEER_CMD, i]
                along = accel  # a ball is kicked off at once: no tyre, no grip to wait for
                if not istate_w[I_FLAGS, i] & FLAG_ROLLS:
                    along, lat_max = friction_clamp(accel, yaw_rate * v, friction, GRAVITY)
                    if abs(yaw_rate * v) > lat_max:
                        yaw_rate = math.copysign(lat_max / v, yaw_rate)
                new_v, dist = advance_speed(v, along, dt)
                yaw = yaw_rate * dt
                fstate_w[F_YAW_RATE, i] = yaw_rate
            vmax = params_w[P_MAX_SPEED, i]
            if new_v > vmax:
                new_v = vmax
                dist = 0.5 * (v + vmax) * dt
            if i == ego and v > 0.0 and -along > metrics_w[M_MAX_EGO_DECEL]:
                metrics_w[M_MAX_EGO_DECEL] = -along
            fstate_w[F_ACCEL, i] = along
            fstate_w[F_SPEED, i] = new_v
            cos_new = scratch_w[S_COS, i]
            sin_new = scratch_w[S_SIN, i]
            if yaw != 0.0:  # straight on: the heading and its sine and cosine stay as they are
                h = wrap_angle(h + yaw)
                cos_new = math.cos(h)
                sin_new = math.sin(h)
            x, y = integrate_pose(x, y, scratch_w[S_COS, i], scratch_w[S_SIN, i], cos_new,
                                  sin_new, dist)
            scratch_w[S_COS, i] = cos_new
            scratch_w[S_SIN, i] = sin_new
            fstate_w[F_X, i] = x
            fstate_w[F_Y, i] = y
            fstate_w[F_HEADING, i] = h
        if mode == MODE_GOTO:
            dx = fstate_w[F_GOAL_X, i] - x
            dy = fstate_w[F_GOAL_Y, i] - y
            if dx * dx + dy * dy < ARRIVAL_RADIUS * ARRIVAL_RADIUS:
                istate_w[I_FLAGS, i] |= FLAG_ARRIVED
            continue
        lane = istate_w[I_LANE, i]
        s, d, seg = lane_project(lane_points, lane_cum_s, lane_start, lane_npoints, lane, x, y,
                                 istate_w[I_SEG, i])
        if istate_w[I_DIR, i] > 0 and s > lane_length[lane]:
            nxt = successor(lane_successors, lane, istate_w[I_TURN, i])
            if nxt >= 0:
                lane = nxt
                istate_w[I_LANE, i] = lane
                s, d, seg = lane_project(lane_points, lane_cum_s, lane_start, lane_npoints, lane,
                                         x, y, np.int64(0))
        fstate_w[F_S, i] = s
        fstate_w[F_D, i] = d
        istate_w[I_SEG, i] = seg
