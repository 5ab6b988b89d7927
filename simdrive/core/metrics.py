"""Per-world safety metrics measured against the ego, updated every step."""

from __future__ import annotations

from simdrive.core._jit import kernel
from simdrive.core.geometry import boxes_distance, boxes_time_to_collision
from simdrive.core.layout import (
    AM_MIN_DISTANCE,
    AM_MIN_TTC,
    F_SPEED,
    F_X,
    F_Y,
    I_VALID,
    M_EGO_MAX_SPEED,
    M_MIN_DISTANCE,
    M_MIN_TTC,
    P_LENGTH,
    P_RADIUS,
    P_WIDTH,
    S_COS,
    S_SIN,
)

TTC_HORIZON_S = 30.0  # s: a conflict further ahead than this counts as none (inf)



@kernel
def update_ego_metrics(fstate_w, istate_w, params_w, scratch_w, metrics_w, actor_metrics_w,
                       ego, n):
    """Fold this step's time-to-collision and distance between the ego and each actor in.

    TTC assumes both keep their current velocity (translation only), up to
    TTC_HORIZON_S; distance is box to box. Each exact test runs only when a
    bounding-circle lower bound could beat the actor's current minimum.
    """
    if ego < 0 or istate_w[I_VALID, ego] == 0:
        return
    ex = fstate_w[F_X, ego]
    ey = fstate_w[F_Y, ego]
    ec = scratch_w[S_COS, ego]
    es = scratch_w[S_SIN, ego]
    ehl = 0.5 * params_w[P_LENGTH, ego]
    ehw = 0.5 * params_w[P_WIDTH, ego]
    ev = fstate_w[F_SPEED, ego]
    e_radius = params_w[P_RADIUS, ego]
    if ev > metrics_w[M_EGO_MAX_SPEED]:
        metrics_w[M_EGO_MAX_SPEED] = ev
    for j in range(n):
        if j == ego or istate_w[I_VALID, j] == 0:
            continue
        x = fstate_w[F_X, j]
        y = fstate_w[F_Y, j]
        c = scratch_w[S_COS, j]
        s = scratch_w[S_SIN, j]
        hl = 0.5 * params_w[P_LENGTH, j]
        hw = 0.5 * params_w[P_WIDTH, j]
        v = fstate_w[F_SPEED, j]
        dx = x - ex
        dy = y - ey
        lower = (dx * dx + dy * dy) ** 0.5 - e_radius - params_w[P_RADIUS, j]
        wx = v * c - ev * ec
        wy = v * s - ev * es
        # no gap closes faster than the relative speed: compare squares, no root
        reach = min(TTC_HORIZON_S, actor_metrics_w[AM_MIN_TTC, j])
        if lower <= 0.0 or lower * lower <= (wx * wx + wy * wy) * reach * reach:
            ttc = boxes_time_to_collision(ex, ey, ec, es, ehl, ehw, ev * ec, ev * es,
                                          x, y, c, s, hl, hw, v * c, v * s)
            if ttc < actor_metrics_w[AM_MIN_TTC, j] and ttc <= TTC_HORIZON_S:
                actor_metrics_w[AM_MIN_TTC, j] = ttc
                if ttc < metrics_w[M_MIN_TTC]:
                    metrics_w[M_MIN_TTC] = ttc
        if lower < actor_metrics_w[AM_MIN_DISTANCE, j]:
            dist = boxes_distance(ex, ey, ec, es, ehl, ehw, x, y, c, s, hl, hw)
            if dist < actor_metrics_w[AM_MIN_DISTANCE, j]:
                actor_metrics_w[AM_MIN_DISTANCE, j] = dist
                if dist < metrics_w[M_MIN_DISTANCE]:
                    metrics_w[M_MIN_DISTANCE] = dist
