"""Collision detection: sweep-and-prune broad phase, swept separating-axis narrow phase.

The broad phase sorts actors by the min-x of the box they sweep during the
step (an insertion sort of ``istate[I_XORDER]``, nearly sorted from the last
step) and tests only pairs whose swept x and y extents overlap, so the cost
grows about linearly with the number of actors. The narrow phase sub-steps
fast pairs so that nothing tunnels through a thin box between two steps.
"""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import inline_kernel, kernel
from simdrive.core.actions import record_event
from simdrive.core.dynamics import wrap_angle
from simdrive.core.geometry import boxes_overlap
from simdrive.core.layout import (
    EV_A,
    EV_B,
    EV_REL_SPEED,
    EV_SPEED_A,
    EV_SPEED_B,
    EV_TIME,
    EV_TYPE,
    EVENT_COLLISION,
    F_GOAL_X,
    F_GOAL_Y,
    F_HEADING,
    F_HEADING_PREV,
    F_SPEED,
    F_X,
    F_X_PREV,
    F_Y,
    F_Y_PREV,
    FLAG_CRASHED,
    I_FLAGS,
    I_MODE,
    I_MODEL,
    I_VALID,
    I_XORDER,
    M_COLLISIONS,
    M_EGO_COLLISION,
    M_EGO_COLLISION_OTHER,
    M_EGO_COLLISION_TIME,
    M_EGO_SPEED_AT_IMPACT,
    M_FIRST_COLLISION_TIME,
    MODE_GOTO,
    MODE_STATIC,
    MODEL_STATIC,
    MODEL_UNICYCLE,
    P_LENGTH,
    P_MASS,
    P_WIDTH,
    S_COS,
    S_MAXX,
    S_MAXY,
    S_MINX,
    S_MINY,
    S_SIN,
    WI_EVENT_COUNT,
)

MAX_SUBSTEPS = 64
CONTACT_BISECTIONS = 12  # the contact time is found to 1/4096 of a sub-step
CONTACT_SWEEPS = 4
PUSH_SPEED = 0.5
"""m/s: a pair that already collided is in contact again (and pushed apart by another
impact, without a new event) when one drives into the other faster than this; slower,
they stay touching (a struck pedestrian carried by the car, both skidding)."""
EXTENT_MARGIN = 1e-6  # m added to a turning box's swept extents against rounding


@kernel
def swept_extents(fstate_w, istate_w, params_w, scratch_w, n):
    """Axis-aligned extents (m) of each box over the last step, into scratch rows."""
    for i in range(n):
        if istate_w[I_VALID, i] == 0:
            scratch_w[S_MINX, i] = math.inf
            scratch_w[S_MAXX, i] = math.inf
            continue
        c = abs(scratch_w[S_COS, i])
        s = abs(scratch_w[S_SIN, i])
        hl = 0.5 * params_w[P_LENGTH, i]
        hw = 0.5 * params_w[P_WIDTH, i]
        ex = hl * c + hw * s
        ey = hl * s + hw * c
        turn = abs(wrap_angle(fstate_w[F_HEADING, i] - fstate_w[F_HEADING_PREV, i]))
        if turn != 0.0:
            # every heading of the step (the narrow phase interpolates them) lies within
            # ``turn`` rad of the new one, and |cos| and |sin| change by at most the angle
            # they turn: a bound a few cm wide where the bounding circle was metres
            grow = (hl + hw) * turn + EXTENT_MARGIN
            r = math.sqrt(hl * hl + hw * hw) + EXTENT_MARGIN
            ex = min(ex + grow, r)
            ey = min(ey + grow, r)
        x0 = fstate_w[F_X_PREV, i]
        x1 = fstate_w[F_X, i]
        y0 = fstate_w[F_Y_PREV, i]
        y1 = fstate_w[F_Y, i]
        scratch_w[S_MINX, i] = min(x0, x1) - ex
        scratch_w[S_MAXX, i] = max(x0, x1) + ex
        scratch_w[S_MINY, i] = min(y0, y1) - ey
        scratch_w[S_MAXY, i] = max(y0, y1) + ey


@kernel
def _sort_by_minx(order, scratch_w, n):
    minx = scratch_w[S_MINX]
    for k in range(1, n):
        a = order[k]
        key = minx[a]
        j = k - 1
        while j >= 0 and (minx[order[j]] > key or (minx[order[j]] == key and order[j] > a)):
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = a


@inline_kernel
def _pose_at(fstate_w, i, f):
    """Pose of actor i at fraction f of the last step (linear in position and heading)."""
    x = fstate_w[F_X_PREV, i] + f * (fstate_w[F_X, i] - fstate_w[F_X_PREV, i])
    y = fstate_w[F_Y_PREV, i] + f * (fstate_w[F_Y, i] - fstate_w[F_Y_PREV, i])
    dh = wrap_angle(fstate_w[F_HEADING, i] - fstate_w[F_HEADING_PREV, i])
    h = fstate_w[F_HEADING_PREV, i] + f * dh
    return x, y, math.cos(h), math.sin(h)


@kernel
def first_contact(fstate_w, params_w, scratch_w, a, b):
    """Fraction of the last step (0..1] at which boxes a and b first touch, or -1."""
    hla = 0.5 * params_w[P_LENGTH, a]
    hwa = 0.5 * params_w[P_WIDTH, a]
    hlb = 0.5 * params_w[P_LENGTH, b]
    hwb = 0.5 * params_w[P_WIDTH, b]
    rx = (fstate_w[F_X, a] - fstate_w[F_X_PREV, a]) - (fstate_w[F_X, b] - fstate_w[F_X_PREV, b])
    ry = (fstate_w[F_Y, a] - fstate_w[F_Y_PREV, a]) - (fstate_w[F_Y, b] - fstate_w[F_Y_PREV, b])
    travel = math.sqrt(rx * rx + ry * ry)
    thinnest = min(min(hla, hwa), min(hlb, hwb))
    steps = 1 + int(travel / max(thinnest, 0.05))
    if steps > MAX_SUBSTEPS:
        steps = MAX_SUBSTEPS
    if steps == 1:
        if not boxes_overlap(fstate_w[F_X, a], fstate_w[F_Y, a], scratch_w[S_COS, a],
                             scratch_w[S_SIN, a], hla, hwa, fstate_w[F_X, b], fstate_w[F_Y, b],
                             scratch_w[S_COS, b], scratch_w[S_SIN, b], hlb, hwb):
            return -1.0
        hit = 1.0
    else:
        hit = -1.0
        for k in range(1, steps + 1):
            if _overlap_at(fstate_w, a, b, k / steps, hla, hwa, hlb, hwb):
                hit = k / steps
                break
        if hit < 0.0:
            return -1.0
    # bisect between the last clear sub-step and the first touching one
    lo = hit - 1.0 / steps
    hi = hit
    for _ in range(CONTACT_BISECTIONS):
        mid = 0.5 * (lo + hi)
        if _overlap_at(fstate_w, a, b, mid, hla, hwa, hlb, hwb):
            hi = mid
        else:
            lo = mid
    return hi


@kernel
def _overlap_at(fstate_w, a, b, f, hla, hwa, hlb, hwb):
    xa, ya, ca, sa = _pose_at(fstate_w, a, f)
    xb, yb, cb, sb = _pose_at(fstate_w, b, f)
    return boxes_overlap(xa, ya, ca, sa, hla, hwa, xb, yb, cb, sb, hlb, hwb)


@inline_kernel
def _face_normal(xi, yi, xj, yj, cj, sj, half_lj, half_wj):
    """Outward normal of the face of box j (centre xj, yj, heading cos/sin cj, sj) that
    the point (xi, yi) lies beyond the most: the contact normal of i against j."""
    lx = (xi - xj) * cj + (yi - yj) * sj
    ly = -(xi - xj) * sj + (yi - yj) * cj
    if abs(lx) - half_lj >= abs(ly) - half_wj:
        side = 1.0 if lx >= 0.0 else -1.0
        return side * cj, side * sj
    side = 1.0 if ly >= 0.0 else -1.0
    return -side * sj, side * cj


@inline_kernel
def _pushing(fstate_w, params_w, scratch_w, a, b, least):
    """Whether a and b moved into each other by more than ``least`` (m) during the last
    step, along the contact normal (the face of the heavier's box the other is at)."""
    j, i = (a, b) if params_w[P_MASS, a] >= params_w[P_MASS, b] else (b, a)
    nx, ny = _face_normal(fstate_w[F_X, i], fstate_w[F_Y, i], fstate_w[F_X, j],
                          fstate_w[F_Y, j], scratch_w[S_COS, j], scratch_w[S_SIN, j],
                          0.5 * params_w[P_LENGTH, j], 0.5 * params_w[P_WIDTH, j])
    rx = (fstate_w[F_X, i] - fstate_w[F_X_PREV, i]) - (fstate_w[F_X, j] - fstate_w[F_X_PREV, j])
    ry = (fstate_w[F_Y, i] - fstate_w[F_Y_PREV, i]) - (fstate_w[F_Y, j] - fstate_w[F_Y_PREV, j])
    return -(rx * nx + ry * ny) > least


@inline_kernel
def _pair_recorded(events_w, wint_w, a, b):
    return not math.isnan(_pair_time(events_w, wint_w, a, b))


@inline_kernel
def _pair_time(events_w, wint_w, a, b):
    """Time of the pair's collision event, or NaN if it has none."""
    for k in range(wint_w[WI_EVENT_COUNT]):
        if events_w[k, EV_TYPE] == EVENT_COLLISION:
            ea = int(events_w[k, EV_A])
            eb = int(events_w[k, EV_B])
            if (ea == a and eb == b) or (ea == b and eb == a):
                return events_w[k, EV_TIME]
    return math.nan


@kernel
def _register(fstate_w, istate_w, params_w, scratch_w, events_w, wint_w, metrics_w, ego, a, b,
              f, time_s, dt):
    if a > b:
        a, b = b, a
    if _pair_recorded(events_w, wint_w, a, b):
        return
    t_hit = time_s + f * dt
    va = fstate_w[F_SPEED, a]
    vb = fstate_w[F_SPEED, b]
    rvx = va * scratch_w[S_COS, a] - vb * scratch_w[S_COS, b]
    rvy = va * scratch_w[S_SIN, a] - vb * scratch_w[S_SIN, b]
    xa, ya, _, _ = _pose_at(fstate_w, a, f)
    xb, yb, _, _ = _pose_at(fstate_w, b, f)
    k = record_event(events_w, wint_w, np.float64(EVENT_COLLISION), t_hit, a, b, 0.5 * (xa + xb),
                     0.5 * (ya + yb))
    if k >= 0:  # a full buffer drops the event (counted in WI_EVENTS_DROPPED)
        events_w[k, EV_REL_SPEED] = math.sqrt(rvx * rvx + rvy * rvy)
        events_w[k, EV_SPEED_A] = va
        events_w[k, EV_SPEED_B] = vb
        metrics_w[M_COLLISIONS] += 1.0
    if math.isnan(metrics_w[M_FIRST_COLLISION_TIME]):
        metrics_w[M_FIRST_COLLISION_TIME] = t_hit
    if (a == ego or b == ego) and metrics_w[M_EGO_COLLISION] == 0.0:
        metrics_w[M_EGO_COLLISION] = 1.0
        metrics_w[M_EGO_COLLISION_TIME] = t_hit
        metrics_w[M_EGO_COLLISION_OTHER] = b if a == ego else a
        metrics_w[M_EGO_SPEED_AT_IMPACT] = fstate_w[F_SPEED, ego]
    _respond(fstate_w, istate_w, params_w, scratch_w, a, b, f)


CARRIED_MASS_RATIO = 4.0
"""A pedestrian or animal this many times lighter than what strikes it is carried along."""


@kernel
def _respond(fstate_w, istate_w, params_w, scratch_w, a, b, f):
    """Perfectly plastic impact: both go back to their poses at first contact and are
    marked crashed (they then skid to a halt, both at the road's friction limit).

    Vehicles (and pedestrians among themselves) share the momentum-weighted velocity,
    each keeping the part along its own heading (the bicycle model has no sideways
    velocity; a vehicle is never spun round); a static actor is immovable, except a loose
    object struck by something much heavier (see _loosen). A pedestrian
    or animal (the unicycle model, which turns on the spot) struck by something at least
    CARRIED_MASS_RATIO times heavier takes the impulse along the contact normal only (see
    _carry): hit by a car's front it is carried along ahead of it, brushed by its flank
    it is not."""
    ma = params_w[P_MASS, a]
    mb = params_w[P_MASS, b]
    _loosen(fstate_w, istate_w, a, mb >= CARRIED_MASS_RATIO * ma)
    _loosen(fstate_w, istate_w, b, ma >= CARRIED_MASS_RATIO * mb)
    static_a = istate_w[I_MODE, a] == MODE_STATIC
    static_b = istate_w[I_MODE, b] == MODE_STATIC
    if not (static_a or static_b):
        if istate_w[I_MODEL, a] == MODEL_UNICYCLE and mb >= CARRIED_MASS_RATIO * ma:
            _carry(fstate_w, istate_w, params_w, scratch_w, a, b, f)
            return
        if istate_w[I_MODEL, b] == MODEL_UNICYCLE and ma >= CARRIED_MASS_RATIO * mb:
            _carry(fstate_w, istate_w, params_w, scratch_w, b, a, f)
            return
    vx = 0.0
    vy = 0.0
    if not (static_a or static_b):
        va = fstate_w[F_SPEED, a]
        vb = fstate_w[F_SPEED, b]
        vx = (ma * va * scratch_w[S_COS, a] + mb * vb * scratch_w[S_COS, b]) / (ma + mb)
        vy = (ma * va * scratch_w[S_SIN, a] + mb * vb * scratch_w[S_SIN, b]) / (ma + mb)
    for k in range(2):
        i = a if k == 0 else b
        if istate_w[I_MODE, i] == MODE_STATIC:
            continue
        x, y, c, s = _pose_at(fstate_w, i, f)
        _set_pose(fstate_w, istate_w, scratch_w, i, x, y, c, s, max(0.0, vx * c + vy * s))


@inline_kernel
def _loosen(fstate_w, istate_w, i, struck_by_heavier):
    """A loose object (a tyre, debris: the static motion model) struck by something at
    least CARRIED_MASS_RATIO times heavier is pushed, not a wall: it moves from now on as
    a pedestrian does (then is carried along, see _carry). A parked vehicle stays put."""
    if (struck_by_heavier and istate_w[I_MODE, i] == MODE_STATIC
            and istate_w[I_MODEL, i] == MODEL_STATIC):
        istate_w[I_MODE, i] = MODE_GOTO
        istate_w[I_MODEL, i] = MODEL_UNICYCLE
        fstate_w[F_GOAL_X, i] = fstate_w[F_X, i]
        fstate_w[F_GOAL_Y, i] = fstate_w[F_Y, i]


@kernel
def _carry(fstate_w, istate_w, params_w, scratch_w, i, j, f):
    """Impact of pedestrian or animal i with a much heavier j: plastic along the contact
    normal n (the face of j's box that i touches), frictionless across it. i then moves
    with its new velocity (its heading turns to it, its extent towards j kept where it
    was, so a long animal turned on the spot does not reach into the car); j keeps the
    part of its new velocity along its heading."""
    xi, yi, ci, si = _pose_at(fstate_w, i, f)
    xj, yj, cj, sj = _pose_at(fstate_w, j, f)
    mi = params_w[P_MASS, i]
    mj = params_w[P_MASS, j]
    vix = fstate_w[F_SPEED, i] * ci
    viy = fstate_w[F_SPEED, i] * si
    vjx = fstate_w[F_SPEED, j] * cj
    vjy = fstate_w[F_SPEED, j] * sj
    nx, ny = _face_normal(xi, yi, xj, yj, cj, sj, 0.5 * params_w[P_LENGTH, j],
                          0.5 * params_w[P_WIDTH, j])
    closing = (vix - vjx) * nx + (viy - vjy) * ny
    if closing < 0.0:
        vix -= nx * closing * mj / (mi + mj)
        viy -= ny * closing * mj / (mi + mj)
        vjx += nx * closing * mi / (mi + mj)
        vjy += ny * closing * mi / (mi + mj)
    _set_pose(fstate_w, istate_w, scratch_w, j, xj, yj, cj, sj, max(0.0, vjx * cj + vjy * sj))
    v = math.sqrt(vix * vix + viy * viy)
    if v > 0.0:
        ux, uy = vix / v, viy / v
        half_l, half_w = 0.5 * params_w[P_LENGTH, i], 0.5 * params_w[P_WIDTH, i]
        before = half_l * abs(ci * nx + si * ny) + half_w * abs(ci * ny - si * nx)
        after = half_l * abs(ux * nx + uy * ny) + half_w * abs(ux * ny - uy * nx)
        xi += (after - before) * nx
        yi += (after - before) * ny
        ci, si = ux, uy
    _set_pose(fstate_w, istate_w, scratch_w, i, xi, yi, ci, si, v)


@inline_kernel
def _set_pose(fstate_w, istate_w, scratch_w, i, x, y, c, s, speed):
    """Actor i after an impact: its pose, speed, and the crashed flag."""
    fstate_w[F_X, i] = x
    fstate_w[F_Y, i] = y
    fstate_w[F_HEADING, i] = math.atan2(s, c)
    scratch_w[S_COS, i] = c
    scratch_w[S_SIN, i] = s
    fstate_w[F_SPEED, i] = speed
    istate_w[I_FLAGS, i] |= FLAG_CRASHED


@inline_kernel
def _crashed_or_static(istate_w, i):
    return (istate_w[I_FLAGS, i] & FLAG_CRASHED) != 0 or istate_w[I_MODE, i] == MODE_STATIC


@kernel
def detect_collisions(fstate_w, istate_w, params_w, scratch_w, events_w, wint_w, metrics_w,
                      ego, n, time_s, dt):
    """Find pairs whose boxes touched during the step; record each pair once (a pair in
    contact again, one driving into the other, gets another impact, not another event).

    An impact moves its pair back to where they touched, which can leave an actor behind
    them already checked in contact again (a car pushed into a wall by the car behind):
    the pairs are checked again, at most CONTACT_SWEEPS times, while impacts happen."""
    for _ in range(CONTACT_SWEEPS):
        if not _contact_sweep(fstate_w, istate_w, params_w, scratch_w, events_w, wint_w,
                              metrics_w, ego, n, time_s, dt):
            break


@kernel
def _contact_sweep(fstate_w, istate_w, params_w, scratch_w, events_w, wint_w, metrics_w,
                   ego, n, time_s, dt):
    """One pass over the pairs whose swept boxes meet; returns whether any got an impact."""
    swept_extents(fstate_w, istate_w, params_w, scratch_w, n)
    order = istate_w[I_XORDER]
    _sort_by_minx(order, scratch_w, n)
    impacts = False
    for p in range(n):
        a = order[p]
        max_x = scratch_w[S_MAXX, a]
        if max_x == math.inf:
            break
        for q in range(p + 1, n):
            b = order[q]
            if scratch_w[S_MINX, b] > max_x:
                break
            if scratch_w[S_MINY, b] > scratch_w[S_MAXY, a]:
                continue
            if scratch_w[S_MAXY, b] < scratch_w[S_MINY, a]:
                continue
            if istate_w[I_MODE, a] == MODE_STATIC and istate_w[I_MODE, b] == MODE_STATIC:
                continue
            # a pair that already collided is recorded once; it gets another impact only
            # when one drives into the other (else the one that cannot be pushed back, a
            # stopped car or a static obstacle, would be driven through)
            # (not in the step of its first impact: that impact already set both moving)
            again = (_crashed_or_static(istate_w, a) and _crashed_or_static(istate_w, b)
                     and _pair_time(events_w, wint_w, a, b) <= time_s)
            if again and not _pushing(fstate_w, params_w, scratch_w, a, b, PUSH_SPEED * dt):
                continue
            f = first_contact(fstate_w, params_w, scratch_w, a, b)
            if f >= 0.0 and again:
                _respond(fstate_w, istate_w, params_w, scratch_w, a, b, f)
                impacts = True
            elif f >= 0.0:
                _register(fstate_w, istate_w, params_w, scratch_w, events_w, wint_w, metrics_w,
                          ego, a, b, f, time_s, dt)
                impacts = True
    return impacts
