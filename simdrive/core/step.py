"""The fixed-step world update and the batch entry point.

One step of one world runs in four phases, each reading a consistent state so
that the result does not depend on actor order:

1. scripted actions whose triggers hold are carried out;
2. every actor chooses its commands (acceleration, steering) from the state
   at the start of the step: lane leader (IDM), signals, obstacles it can see
   (after its reaction time), MOBIL lane choice (core.controls);
3. every actor is integrated (jerk, steering-rate and friction-circle limits,
   bicycle or unicycle model) and re-projected onto its lane (core.motion);
4. collisions are detected on the swept boxes and the ego metrics updated.

``advance_worlds`` is the only compiled entry point: it runs many steps for
many worlds in one call. Worlds are independent, so the result is
bit-identical whatever the batch size or the way worlds are split over threads.
"""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import drop_stale_cache, inline_kernel, kernel
from simdrive.core.actions import run_actions
from simdrive.core.collision import detect_collisions
from simdrive.core.controls import (
    CURVE_GRIP_SHARE,
    CURVE_LATERAL_ACCEL,
    MOBIL_PERIOD_S,
    choose_controls,
)
from simdrive.core.dynamics import idm_interaction_scale
from simdrive.core.geometry import on_road
from simdrive.core.glare import find_glare
from simdrive.core.lanes import signal_state
from simdrive.core.layout import (
    F_HEADING,
    F_SPEED,
    F_X,
    F_Y,
    FLAG_KNOCKED_LOOSE,
    GRAVITY,
    I_FLAGS,
    I_MODE,
    I_MODEL,
    I_VALID,
    M_EGO_OFF_ROAD_TIME,
    MODE_STATIC,
    MODEL_BICYCLE,
    P_COMFORT_DECEL,
    P_LAMPS,
    P_MAX_ACCEL,
    S_GLARE_VEIL,
    S_IDM_SCALE,
    S_LIT,
    S_SEEN_AT,
    S_UNLIT_SIGHT,
    WF_CHANGE_TIME,
    WF_DT,
    WF_EXPECTED_FRICTION,
    WF_EXPECTED_FRICTION_AFTER,
    WF_FRICTION,
    WF_FRICTION_AFTER,
    WF_GLARE_BACKGROUND,
    WF_LAMP_VISIBILITY,
    WF_LAMP_VISIBILITY_AFTER,
    WF_SIGNAL_OFFSET,
    WF_TIME,
    WF_UNLIT_SIGHT,
    WF_VISIBILITY,
    WF_VISIBILITY_AFTER,
    WI_EGO,
    WI_STEP,
)
from simdrive.core.metrics import on_its_road, update_ego_metrics
from simdrive.core.motion import integrate
from simdrive.core.traffic import (
    sort_lane_order,
)


@inline_kernel
def _environment(wfloat_w):
    """(friction, visibility, how far lit lamps are seen, the friction drivers see) now."""
    if wfloat_w[WF_TIME] >= wfloat_w[WF_CHANGE_TIME]:
        return (wfloat_w[WF_FRICTION_AFTER], wfloat_w[WF_VISIBILITY_AFTER],
                wfloat_w[WF_LAMP_VISIBILITY_AFTER], wfloat_w[WF_EXPECTED_FRICTION_AFTER])
    return (wfloat_w[WF_FRICTION], wfloat_w[WF_VISIBILITY], wfloat_w[WF_LAMP_VISIBILITY],
            wfloat_w[WF_EXPECTED_FRICTION])


@kernel
def advance_worlds(fstate, istate, params, wfloat, wint, act_i, act_f, events, metrics,
                   actor_metrics, scratch, lane_ws, n_steps, record_every, record,
                   lane_points, lane_cum_s, lane_start, lane_npoints, lane_length, lane_kind,
                   lane_left, lane_right, lane_successors, lane_signal_group, lane_max_curvature,
                   lane_s_scale_left, lane_s_scale_right, area_points, area_start, area_npoints,
                   area_kind, signal_plan, lane_width, lane_yield_start, lane_yield_count,
                   yield_lane, yield_s):
    """Advance every world by ``n_steps`` steps of its ``wfloat[w, WF_DT]`` seconds.

    With ``record_every`` k > 0, after every k-th step of this call the pose
    and speed of every actor go to ``record[step // k - 1, w]`` as rows
    (x, y, heading, speed); ``record`` is float64 (n_steps // k, W, 4, N).
    The step is written out here rather than in a function of its own: every
    level of compiled calls re-optimises everything below it, seconds of cold start.
    """
    n = fstate.shape[2]
    for w in range(fstate.shape[0]):
        fstate_w = fstate[w]
        istate_w = istate[w]
        params_w = params[w]
        wfloat_w = wfloat[w]
        wint_w = wint[w]
        events_w = events[w]
        metrics_w = metrics[w]
        scratch_w = scratch[w]
        lane_first = lane_ws[w, 0]
        lane_count = lane_ws[w, 1]
        ego = wint_w[WI_EGO]
        dt = wfloat_w[WF_DT]
        mobil_interval = max(1, int(MOBIL_PERIOD_S / dt + 0.5))
        for i in range(n):
            scratch_w[S_IDM_SCALE, i] = idm_interaction_scale(params_w[P_MAX_ACCEL, i],
                                                              params_w[P_COMFORT_DECEL, i])
        for k in range(1, n_steps + 1):
            time_s = wfloat_w[WF_TIME]
            step = wint_w[WI_STEP]
            friction, visibility, lamp_visibility, seen_friction = _environment(wfloat_w)
            unlit_sight = min(visibility, wfloat_w[WF_UNLIT_SIGHT])
            glare_background = wfloat_w[WF_GLARE_BACKGROUND]
            for i in range(n):  # how far each actor is seen (perception.seen_within): one
                # with lamps, not standing (as the renderer lights it), by its lamps; and
                # how far it sees those without: by its own lamps' light, else the dark's
                lit = params_w[P_LAMPS, i] != 0.0 and istate_w[I_MODE, i] != MODE_STATIC \
                    and not istate_w[I_FLAGS, i] & FLAG_KNOCKED_LOOSE
                scratch_w[S_SEEN_AT, i] = lamp_visibility if lit else visibility
                scratch_w[S_LIT, i] = math.inf if lit else 0.0
                scratch_w[S_UNLIT_SIGHT, i] = visibility if lit else unlit_sight
                scratch_w[S_GLARE_VEIL, i] = 0.0
            if 0.0 < glare_background < math.inf:  # headlights on: who dazzles whom
                find_glare(fstate_w, istate_w, params_w, scratch_w, n, lamp_visibility,
                           glare_background)
            signal_time = time_s + wfloat_w[WF_SIGNAL_OFFSET]
            signals = (signal_state(signal_plan, signal_time, np.int64(0)),
                       signal_state(signal_plan, signal_time, np.int64(1)))
            run_actions(act_i[w], act_f[w], fstate_w, istate_w, events_w, wint_w, ego, time_s,
                        lane_points, lane_cum_s, lane_start, lane_npoints)
            n_bound = sort_lane_order(istate_w, fstate_w, n, lane_first, lane_count)
            choose_controls(fstate_w, istate_w, params_w, scratch_w, lane_first, lane_count, n,
                            n_bound, time_s, dt, step, lamp_visibility, signals, lane_points,
                            lane_cum_s, lane_start, lane_npoints, lane_length, lane_kind,
                            lane_left, lane_right, lane_successors, lane_signal_group,
                            lane_max_curvature, lane_s_scale_left, lane_s_scale_right,
                            area_points, area_start, area_npoints, area_kind, mobil_interval,
                            lane_width, min(CURVE_LATERAL_ACCEL,
                                            CURVE_GRIP_SHARE * seen_friction * GRAVITY),
                            seen_friction * GRAVITY, lane_yield_start, lane_yield_count,
                            yield_lane, yield_s)
            integrate(fstate_w, istate_w, params_w, scratch_w, metrics_w, n, ego, time_s, dt,
                      friction, lane_points, lane_cum_s, lane_start, lane_npoints, lane_length,
                      lane_successors)
            detect_collisions(fstate_w, istate_w, params_w, scratch_w, events_w, wint_w,
                              metrics_w, ego, n, time_s, dt)
            update_ego_metrics(fstate_w, istate_w, params_w, scratch_w, metrics_w,
                               actor_metrics[w], ego, n)
            if ego >= 0 and math.isnan(metrics_w[M_EGO_OFF_ROAD_TIME]) and \
                    istate_w[I_VALID, ego] != 0 and istate_w[I_MODEL, ego] == MODEL_BICYCLE \
                    and on_its_road(fstate_w, istate_w, ego, lane_length, lane_kind) \
                    and not on_road(fstate_w[F_X, ego], fstate_w[F_Y, ego], area_points,
                                    area_start, area_npoints, area_kind):
                metrics_w[M_EGO_OFF_ROAD_TIME] = time_s + dt  # its centre off the road
            wint_w[WI_STEP] = step + 1
            wfloat_w[WF_TIME] = (step + 1) * dt
            if record_every > 0 and k % record_every == 0:
                r = k // record_every - 1
                for i in range(n):
                    record[r, w, 0, i] = fstate_w[F_X, i]
                    record[r, w, 1, i] = fstate_w[F_Y, i]
                    record[r, w, 2, i] = fstate_w[F_HEADING, i]
                    record[r, w, 3, i] = fstate_w[F_SPEED, i]


drop_stale_cache(advance_worlds)
