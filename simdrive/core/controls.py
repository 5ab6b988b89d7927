"""Phase 2 of a step: every actor chooses its commands (acceleration, steering) from the
state at the start of the step.

A driver follows its lane leader (IDM) within sight, stops for red and for yellow when
comfortable, gives way when turning left (simdrive.core.yielding), keeps clear of the
lane it leaves while a lane change is under way, brakes for the obstacles it sees in its
path after its reaction time (simdrive.core.perception), takes bends at the speed the
grip it sees allows, steers by pure pursuit and picks its lane with MOBIL, staggered over
actors; a walker heads for its goal or along its lane and, if cautious, waits at the kerb
for a gap. simdrive.core.step runs this for every world and step.
"""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import kernel
from simdrive.core.dynamics import (
    heading_error,
    idm_acceleration_scaled,
    pure_pursuit_steer,
)
from simdrive.core.geometry import on_drivable
from simdrive.core.lane_lines import (
    NEAR_CENTRE_M,
    changer_accel,
    find_intruders,
    in_own_lane,
    intruded_lane,
    own_intrusion,
    straddle_accel,
)
from simdrive.core.lanes import (
    lane_frame,
    lane_target_point,
    successor,
)
from simdrive.core.layout import (
    F_ACCEL,
    F_BRAKE_DECEL,
    F_D,
    F_D_TARGET,
    F_DESIRED_SPEED,
    F_GOAL_X,
    F_GOAL_Y,
    F_HEADING,
    F_LANE_CHANGE_TIME,
    F_LEADER_SINCE,
    F_LOOKAHEAD_GAIN,
    F_S,
    F_SPEED,
    F_STEER,
    F_X,
    F_Y,
    F_YAW_RATE,
    FLAG_ARRIVED,
    FLAG_CAUTIOUS,
    FLAG_CRASHED,
    FLAG_GIVING_WAY,
    FLAG_IGNORE_OBSTACLES,
    FLAG_IGNORE_SIGNALS,
    FLAG_NO_LANE_CHANGE,
    I_DIR,
    I_FLAGS,
    I_LANE,
    I_LANE_TARGET,
    I_LEADER_SEEN,
    I_MODE,
    I_MODEL,
    I_ORDER,
    I_SEG,
    I_TURN,
    I_VALID,
    LANE_CONNECTOR,
    LANE_DRIVING,
    LEADER_KNOWN,
    MODE_GOTO,
    MODE_LANE,
    MODE_STATIC,
    MODEL_BICYCLE,
    P_COMFORT_DECEL,
    P_LENGTH,
    P_MAX_ACCEL,
    P_MAX_DECEL,
    P_MAX_YAW_RATE,
    P_MIN_GAP,
    P_POLITENESS,
    P_REACTION_TIME,
    P_TIME_HEADWAY,
    P_VISION_RANGE,
    P_WHEELBASE,
    P_WIDTH,
    S_ACCEL_CMD,
    S_COS,
    S_IDM_SCALE,
    S_SIN,
    S_STEER_CMD,
)
from simdrive.core.perception import (
    kerb_gap_unsafe,
    nearest_obstacle,
    remember,
    seen_since,
    seen_within,
)
from simdrive.core.traffic import (
    broken_down,
    comfortable_stop_possible,
    idm_towards,
    lane_leader,
    mobil_choice,
)
from simdrive.core.yielding import committed_to, give_way_accel

MOBIL_PERIOD_S = 1.0  # s between an actor's lane-change decisions (staggered over actors)
CURVE_LATERAL_ACCEL = 2.0  # m/s^2 drivers accept in bends; sets their curve speed
CURVE_GRIP_SHARE = 0.5  # ... or this share of the grip they see (snow: 0.98 m/s^2)
LANE_CHANGE_COOLDOWN = 3.0  # s between two lane changes of one actor
PULL_OUT_ROOM = 2.0  # car lengths kept behind a vehicle that will not move on (to steer round)
LOOKAHEAD_MIN_VEHICLE = 4.0  # m
LOOKAHEAD_MIN_WALKER = 1.0  # m
HEADING_GAIN = 4.0  # 1/s: walkers turn towards their target at this rate per rad
JUNCTION_LOOK_RANGE = 40.0  # m: near junctions drivers watch cross traffic too


@kernel
def choose_controls(fstate_w, istate_w, params_w, scratch_w, lane_first, lane_count, n,
                     n_bound, time_s, dt, step, sight_world, signals,
                     lane_points, lane_cum_s, lane_start, lane_npoints, lane_length, lane_kind,
                     lane_left, lane_right, lane_successors, lane_signal_group,
                     lane_max_curvature, lane_s_scale_left, lane_s_scale_right, area_points,
                     area_start, area_npoints, area_kind, mobil_interval, lane_width,
                     bend_accel, grip_accel, lane_yield_start, lane_yield_count, yield_lane,
                     yield_s):
    """Phase 2: every actor chooses its acceleration and steering commands (bend_accel:
    the lateral acceleration, m/s^2, drivers take bends at; grip_accel: the acceleration
    the road seems to them to grant, mu_seen * g)."""
    order = istate_w[I_ORDER]
    idm_scale = scratch_w[S_IDM_SCALE]
    n_intruders, n_changers = find_intruders(fstate_w, istate_w, params_w, scratch_w, n,
                                              lane_width, lane_left, lane_right)
    for position in range(n):
        i = order[position]
        if istate_w[I_VALID, i] == 0:
            continue
        mode = istate_w[I_MODE, i]
        flags = istate_w[I_FLAGS, i]
        scratch_w[S_ACCEL_CMD, i] = 0.0
        scratch_w[S_STEER_CMD, i] = 0.0
        if mode == MODE_STATIC:
            continue
        if flags & FLAG_CRASHED:
            scratch_w[S_ACCEL_CMD, i] = -math.inf
            scratch_w[S_STEER_CMD, i] = fstate_w[F_STEER, i]
            continue
        bicycle = istate_w[I_MODEL, i] == MODEL_BICYCLE
        bound = mode == MODE_LANE
        v = fstate_w[F_SPEED, i]
        v0 = fstate_w[F_DESIRED_SPEED, i]
        # as far as it sees anything: each actor's own distance cuts it (seen_within)
        sight = min(sight_world, params_w[P_VISION_RANGE, i])
        lane = istate_w[I_LANE, i]
        turn = istate_w[I_TURN, i]
        direction = istate_w[I_DIR, i]
        a_max = params_w[P_MAX_ACCEL, i]
        b_comf = params_w[P_COMFORT_DECEL, i]
        scale = idm_scale[i]
        headway = params_w[P_TIME_HEADWAY, i]
        min_gap = params_w[P_MIN_GAP, i]

        # ---- longitudinal -------------------------------------------------------
        # a driver that may change lanes stops PULL_OUT_ROOM of its lengths further back
        # from a vehicle that will not move on (stopped for good, static, crashed), so
        # that it can steer round it later: from closer, no car could without reversing
        may_pull_out = (bound and bicycle and not (flags & FLAG_NO_LANE_CHANGE)
                        and (lane_left[lane] >= 0 or lane_right[lane] >= 0))
        own_leader = -1
        own_gap = math.inf
        block_accel = math.inf  # what an obstacle in its lane asks of it (for MOBIL)
        room_gap = math.inf  # gap to a vehicle in its lane that will not move on
        near_junction = False
        if mode == MODE_LANE:
            own_leader, own_gap = lane_leader(istate_w, fstate_w, params_w, lane_length,
                                              lane_successors, lane_first, n_bound, position, turn)
            if own_leader >= 0 and (own_gap + params_w[P_LENGTH, i]
                                    > seen_within(scratch_w, fstate_w, i, own_leader, sight)
                                    or flags & FLAG_IGNORE_OBSTACLES):
                # out of sight, or not looked at (watches_road: false: a distracted
                # driver does not brake for the car ahead either)
                own_leader = -1
                own_gap = math.inf
            # a leader that just appeared (out of fog, cutting in) is acted on only after
            # the reaction time; until then the driver keeps its last acceleration
            if own_leader != istate_w[I_LEADER_SEEN, i]:
                if istate_w[I_LEADER_SEEN, i] >= 0 and \
                        istate_w[I_LANE, istate_w[I_LEADER_SEEN, i]] != lane:
                    # the leader it loses to another lane (turning off into another
                    # connector, say) stays in mind as an obstacle: one that then stops
                    # across its way, waiting to turn, is not new to it
                    remember(istate_w, fstate_w, i, istate_w[I_LEADER_SEEN, i],
                             fstate_w[F_LEADER_SINCE, i], time_s)
                if istate_w[I_LEADER_SEEN, i] == LEADER_KNOWN or own_leader < 0:
                    fstate_w[F_LEADER_SINCE, i] = -math.inf
                else:
                    fstate_w[F_LEADER_SINCE, i] = time_s
                istate_w[I_LEADER_SEEN, i] = own_leader
            room = 0.0  # kept behind a vehicle that will not move on (to steer round it)
            if own_leader >= 0 and may_pull_out and broken_down(fstate_w, istate_w,
                                                                 own_leader):
                room = PULL_OUT_ROOM * params_w[P_LENGTH, i]
                room_gap = own_gap
            accel = idm_towards(fstate_w, params_w, idm_scale, i, own_leader, own_gap - room)
            if room > 0.0:  # MOBIL weighs what staying behind it costs
                block_accel = accel
            if time_s - fstate_w[F_LEADER_SINCE, i] < params_w[P_REACTION_TIME, i] - 1e-9:
                accel = min(idm_towards(fstate_w, params_w, idm_scale, i, np.int64(-1), math.inf),
                            fstate_w[F_ACCEL, i])
            to_end = lane_length[lane] - fstate_w[F_S, i] - 0.5 * params_w[P_LENGTH, i]
            nxt = successor(lane_successors, lane, turn)
            near_junction = lane_kind[lane] == LANE_CONNECTOR or (
                nxt >= 0 and lane_kind[nxt] == LANE_CONNECTOR and to_end < JUNCTION_LOOK_RANGE
            )
            # slow down for bends: on this lane, and ahead of a sharper next lane
            if bicycle and lane_max_curvature[lane] > 1e-4:
                v_curve = math.sqrt(bend_accel / lane_max_curvature[lane])
                accel = min(accel, idm_acceleration_scaled(v, min(v0, v_curve), math.inf, 0.0,
                                                           a_max, b_comf, headway, min_gap, scale))
            if bicycle and nxt >= 0 and lane_max_curvature[nxt] > 1e-4:
                v_next = math.sqrt(bend_accel / lane_max_curvature[nxt])
                if v > v_next:
                    accel = min(accel, (v_next * v_next - v * v) / (2.0 * max(to_end, 1.0)))
            group = lane_signal_group[lane]
            if group >= 0 and not (flags & FLAG_IGNORE_SIGNALS) and to_end > -1.0:
                state = signals[group]
                if state == 2 or (state == 1 and comfortable_stop_possible(v, to_end, b_comf)):
                    accel = min(accel, idm_acceleration_scaled(v, v0, max(to_end, 0.01), v, a_max,
                                                               b_comf, headway, 0.5, scale))
            # a left turn gives way to the opposite approach's traffic (gap acceptance)
            if bicycle and not (flags & FLAG_IGNORE_OBSTACLES) and (
                    lane_yield_count[lane] > 0 or nxt >= 0 and lane_yield_count[nxt] > 0):
                accel = give_way_accel(fstate_w, istate_w, params_w, scratch_w, i, n, lane, nxt,
                                       to_end, sight, bend_accel, grip_accel, accel, scale,
                                       lane_kind, lane_length, lane_successors,
                                       lane_max_curvature, lane_yield_start, lane_yield_count,
                                       yield_lane, yield_s)
            elif flags & FLAG_GIVING_WAY:
                istate_w[I_FLAGS, i] = flags & ~FLAG_GIVING_WAY
        else:
            accel = idm_towards(fstate_w, params_w, idm_scale, i, np.int64(-1), math.inf)
            if flags & FLAG_GIVING_WAY:  # (off its lane: by an action, under manual control)
                istate_w[I_FLAGS, i] = flags & ~FLAG_GIVING_WAY

        # a lane change under way: while the actor's box is still over the line of the
        # lane it left, it keeps clear of what it would hit there (its old leader, an
        # obstacle it is pulling out round), along the lane, without a reaction time
        if (bound and bicycle and not (flags & FLAG_IGNORE_OBSTACLES)
                and abs(fstate_w[F_D, i]) > NEAR_CENTRE_M
                and abs(fstate_w[F_D_TARGET, i]) <= 0.5 * (lane_width[lane]
                                                           - params_w[P_WIDTH, i])):
            accel = min(accel, straddle_accel(fstate_w, istate_w, params_w, scratch_w,
                                               idm_scale, lane_first, lane_count, n, n_bound,
                                               i, lane, direction, sight, lane_points,
                                               lane_start, lane_npoints, lane_left, lane_right,
                                               lane_s_scale_left, lane_s_scale_right,
                                               lane_width))

        if n_changers > 0 and bound and not (flags & FLAG_IGNORE_OBSTACLES):
            accel = min(accel, changer_accel(fstate_w, params_w, scratch_w, idm_scale,
                                              n_changers, i, lane))

        intruded = n_intruders > 0 and intruded_lane(scratch_w, n_intruders, lane)
        into = own_intrusion(scratch_w, n_intruders, i) if bound else -1
        if bound and into < 0 and lane >= 0:
            # heading over a line on purpose (a swerve, a cut-in under way): the lane it
            # moves into is looked at from the start, not once its box is over the line
            target = fstate_w[F_D_TARGET, i]
            if abs(target) > 0.5 * lane_width[lane] - 0.5 * params_w[P_WIDTH, i]:
                into = lane_left[lane] if target > 0.0 else lane_right[lane]
        if not (flags & FLAG_IGNORE_OBSTACLES) and (n_bound < n or near_junction or not bound
                                                    or intruded or into >= 0):
            if bicycle:
                curvature = math.tan(fstate_w[F_STEER, i]) / params_w[P_WHEELBASE, i]
            else:
                curvature = fstate_w[F_YAW_RATE, i] / max(v, 0.5)
            committed = -1  # a left turn under way across the opposite approach
            if bound and committed_to(fstate_w, params_w, i, lane, lane_yield_start,
                                      lane_yield_count, yield_s):
                committed = lane
            j, gap, speed_j, j2 = nearest_obstacle(fstate_w, istate_w, params_w, scratch_w, i,
                                                    n, n_bound, curvature, sight, near_junction,
                                                    n_intruders if intruded else np.int64(0),
                                                    into, lane_first, lane_count, committed,
                                                    lane_length, lane_successors,
                                                    lane_yield_start, lane_yield_count,
                                                    yield_lane, yield_s)
            # the reaction time runs from when an obstacle was first perceived in the way,
            # as the nearest or as the one behind it, even if out of the way or out of
            # sight for up to OBSTACLE_MEMORY_S since (the driver remembers the last two)
            since = seen_since(istate_w, fstate_w, i, j, time_s)
            if j >= 0 and into >= 0 and istate_w[I_LANE, j] == into and \
                    istate_w[I_MODE, j] == MODE_LANE:
                since = -math.inf  # traffic of the lane it moves into: in plain sight all along
            remember(istate_w, fstate_w, i, j2, seen_since(istate_w, fstate_w, i, j2, time_s),
                      time_s)
            remember(istate_w, fstate_w, i, j, since, time_s)
            if j >= 0 and time_s - since >= params_w[P_REACTION_TIME, i] - 1e-9:
                # one in the actor's own lane, along the lane (the path predicted from the
                # steering of a lane change bends into the next lane's obstacles), is what
                # MOBIL weighs, and one that will not move on is kept room behind
                own = bound and bicycle and in_own_lane(
                    fstate_w, params_w, scratch_w, i, j, lane_points, lane_start, lane_npoints,
                    lane, istate_w[I_SEG, i], direction, lane_width[lane])
                room = PULL_OUT_ROOM * params_w[P_LENGTH, i] if own and may_pull_out and \
                    broken_down(fstate_w, istate_w, j) else 0.0
                obstacle_accel = idm_acceleration_scaled(v, v0, gap - room, v - speed_j, a_max,
                                                         b_comf, headway, min_gap, scale)
                if own:
                    block_accel = min(block_accel, obstacle_accel)
                if room > 0.0:
                    room_gap = min(room_gap, gap)
                accel = min(accel, obstacle_accel)

        if mode == MODE_GOTO:
            if flags & FLAG_ARRIVED:
                accel = min(accel, -b_comf)
            elif flags & FLAG_CAUTIOUS and not on_drivable(
                fstate_w[F_X, i], fstate_w[F_Y, i], area_points, area_start, area_npoints, area_kind
            ) and kerb_gap_unsafe(fstate_w, istate_w, scratch_w, i, n, sight, headway):
                accel = min(accel, -params_w[P_MAX_DECEL, i])
        if fstate_w[F_BRAKE_DECEL, i] > 0.0:
            accel = min(accel, -fstate_w[F_BRAKE_DECEL, i])
        scratch_w[S_ACCEL_CMD, i] = min(max(accel, -params_w[P_MAX_DECEL, i]), a_max)

        # ---- lateral ------------------------------------------------------------
        x = fstate_w[F_X, i]
        y = fstate_w[F_Y, i]
        if mode == MODE_GOTO:
            tx = fstate_w[F_GOAL_X, i]
            ty = fstate_w[F_GOAL_Y, i]
        else:
            floor = LOOKAHEAD_MIN_VEHICLE if bicycle else LOOKAHEAD_MIN_WALKER
            lookahead = max(floor, fstate_w[F_LOOKAHEAD_GAIN, i] * v)
            tx, ty = lane_target_point(lane_points, lane_cum_s, lane_start, lane_npoints,
                                       lane_length, lane_successors, lane, turn, direction,
                                       fstate_w[F_S, i], istate_w[I_SEG, i], lookahead,
                                       fstate_w[F_D_TARGET, i])
        if bicycle:
            scratch_w[S_STEER_CMD, i] = pure_pursuit_steer(x, y, scratch_w[S_COS, i],
                                                           scratch_w[S_SIN, i], tx, ty,
                                                           params_w[P_WHEELBASE, i])
        else:
            err = heading_error(x, y, fstate_w[F_HEADING, i], tx, ty)
            limit = params_w[P_MAX_YAW_RATE, i]
            scratch_w[S_STEER_CMD, i] = min(max(HEADING_GAIN * err, -limit), limit)

        # ---- lane choice (MOBIL), staggered over actors --------------------------
        # (a car needs room ahead to steer round a vehicle that will not move on)
        istate_w[I_LANE_TARGET, i] = -1
        if (mode == MODE_LANE and bicycle and not (flags & FLAG_NO_LANE_CHANGE)
                and (step + i) % mobil_interval == 0 and lane_kind[lane] == LANE_DRIVING
                and time_s - fstate_w[F_LANE_CHANGE_TIME, i] > LANE_CHANGE_COOLDOWN
                and fstate_w[F_BRAKE_DECEL, i] == 0.0
                and not room_gap < PULL_OUT_ROOM * params_w[P_LENGTH, i]):
            tx, ty, kappa = lane_frame(lane_points, lane_start, lane_npoints, lane,
                                       istate_w[I_SEG, i], direction)
            istate_w[I_LANE_TARGET, i] = mobil_choice(
                istate_w, fstate_w, params_w, scratch_w, idm_scale, lane_first, lane_count,
                lane_left, lane_right, lane_s_scale_left, lane_s_scale_right, lane_width, n,
                n_bound, position, own_leader, own_gap, params_w[P_POLITENESS, i], block_accel,
                tx, ty, kappa, sight,
            )
