"""Per-world safety metrics measured against the ego, updated every step."""

from __future__ import annotations

from simdrive.core._jit import inline_kernel, kernel
from simdrive.core.geometry import boxes_distance, boxes_time_to_collision
from simdrive.core.layout import (
    AM_MIN_DISTANCE,
    AM_MIN_TTC,
    F_S,
    F_SPEED,
    F_X,
    F_Y,
    I_LANE,
    I_VALID,
    LANE_SIDEWALK,
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
BOUND_MARGIN = 0.01  # m added to the bounding radii: the cheap tests never skip a contact


@inline_kernel
def _circles_meet_within(dx, dy, wx, wy, radius, horizon):
    """True if a point at (dx, dy) m moving at (wx, wy) m/s comes within ``radius`` m of
    the origin before ``horizon`` s (now included).

    Two boxes inside circles of radii summing to ``radius`` can touch only then, so the
    exact time-to-collision is needed only then. No square root and no division: the
    squared distance at time t is dd + 2 dw t + ww t^2.
    """
    dd = dx * dx + dy * dy
    r2 = radius * radius
    if dd <= r2:
        return True
    dw = dx * wx + dy * wy
    if dw >= 0.0:  # not closing: the distance only grows
        return False
    ww = wx * wx + wy * wy
    # closest approach dd - dw^2 / ww, scaled by ww
    if dd * ww - dw * dw > r2 * ww:
        return False
    # the circles meet at the smaller root t0 of ww t^2 + 2 dw t + dd - r2; t0 > horizon
    # when the parabola's vertex lies beyond the horizon and its value there is positive
    return -dw <= ww * horizon or dd + (2.0 * dw + ww * horizon) * horizon <= r2


@kernel
def update_ego_metrics(fstate_w, istate_w, params_w, scratch_w, metrics_w, actor_metrics_w,
                       ego, n):
    """Fold this step's time-to-collision and distance between the ego and each actor in.

    TTC assumes both keep their current velocity (translation only), up to
    TTC_HORIZON_S; distance is box to box. Each exact test runs only when the
    bounding circles could beat the actor's current minimum: for TTC, when they
    meet before it (swept circles); for distance, when they are closer than it.
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
        v = fstate_w[F_SPEED, j]
        dx = x - ex
        dy = y - ey
        dd = dx * dx + dy * dy
        # the boxes lie inside their bounding circles, widened a little against rounding
        reach_r = e_radius + params_w[P_RADIUS, j] + BOUND_MARGIN
        wx = v * c - ev * ec
        wy = v * s - ev * es
        horizon = min(TTC_HORIZON_S, actor_metrics_w[AM_MIN_TTC, j])
        if _circles_meet_within(dx, dy, wx, wy, reach_r, horizon):
            hl = 0.5 * params_w[P_LENGTH, j]
            hw = 0.5 * params_w[P_WIDTH, j]
            ttc = boxes_time_to_collision(ex, ey, ec, es, ehl, ehw, ev * ec, ev * es,
                                          x, y, c, s, hl, hw, v * c, v * s)
            if ttc < actor_metrics_w[AM_MIN_TTC, j] and ttc <= TTC_HORIZON_S:
                actor_metrics_w[AM_MIN_TTC, j] = ttc
                if ttc < metrics_w[M_MIN_TTC]:
                    metrics_w[M_MIN_TTC] = ttc
        # the box distance is at least the centre distance less both radii
        near = actor_metrics_w[AM_MIN_DISTANCE, j] + reach_r
        if dd < near * near:
            hl = 0.5 * params_w[P_LENGTH, j]
            hw = 0.5 * params_w[P_WIDTH, j]
            dist = boxes_distance(ex, ey, ec, es, ehl, ehw, x, y, c, s, hl, hw)
            if dist < actor_metrics_w[AM_MIN_DISTANCE, j]:
                actor_metrics_w[AM_MIN_DISTANCE, j] = dist
                if dist < metrics_w[M_MIN_DISTANCE]:
                    metrics_w[M_MIN_DISTANCE] = dist


@inline_kernel
def on_its_road(fstate_w, istate_w, i, lane_length, lane_kind):
    """Whether leaving the road polygon would mean actor i left the road: not when it is
    past either end of its lane (it drove off the map's end, not off the road) nor when
    its lane is a sidewalk (a cyclist put there: the pavement is its road)."""
    lane = istate_w[I_LANE, i]
    if lane < 0:
        return True
    s = fstate_w[F_S, i]
    return lane_kind[lane] != LANE_SIDEWALK and 0.1 < s < lane_length[lane] - 0.1
