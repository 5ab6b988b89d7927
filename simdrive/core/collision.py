"""Collision detection: sweep-and-prune broad phase, swept separating-axis narrow phase.

The broad phase sorts actors by the min-x of the box they sweep during the
step (an insertion sort of ``istate[I_XORDER]``, nearly sorted from the last
step) and tests only pairs whose swept x and y extents overlap, so the cost
grows about linearly with the number of actors. The narrow phase sub-steps
fast pairs so that nothing tunnels through a thin box between two steps. Each pair's first
impact is recorded (an event, the metrics) and answered by simdrive.core.impact, which
also gives the contact normal, faces and velocities the record holds.
"""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import inline_kernel, kernel
from simdrive.core.actions import record_event
from simdrive.core.dynamics import wrap_angle
from simdrive.core.geometry import boxes_overlap
from simdrive.core.impact import contact_normal, impact_face, pose_at, respond, world_velocity
from simdrive.core.layout import (
    EV_A,
    EV_B,
    EV_CLOSING,
    EV_FACE_A,
    EV_FACE_B,
    EV_REL_SPEED,
    EV_SPEED_A,
    EV_SPEED_B,
    EV_TIME,
    EV_TYPE,
    EVENT_COLLISION,
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
    I_VALID,
    I_XORDER,
    M_COLLISIONS,
    M_EGO_COLLISION,
    M_EGO_COLLISION_OTHER,
    M_EGO_COLLISION_TIME,
    M_EGO_IMPACT_CLOSING,
    M_EGO_IMPACT_FACE,
    M_EGO_SPEED_AT_IMPACT,
    M_FIRST_COLLISION_TIME,
    MODE_STATIC,
    P_LENGTH,
    P_WIDTH,
    S_COS,
    S_MAXX,
    S_MAXY,
    S_MINX,
    S_MINY,
    S_SIN,
    WI_EVENT_COUNT,
    WI_EVENTS_DROPPED,
)

MAX_SUBSTEPS = 64
CONTACT_BISECTIONS = 12  # the contact time is found to 1/4096 of a sub-step
CONTACT_SWEEPS = 8
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
    xa, ya, ca, sa = pose_at(fstate_w, a, f)
    xb, yb, cb, sb = pose_at(fstate_w, b, f)
    return boxes_overlap(xa, ya, ca, sa, hla, hwa, xb, yb, cb, sb, hlb, hwb)


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


@inline_kernel
def _collided_before(events_w, wint_w, a, b, time_s):
    """Whether a and b had their first impact before this step: its event says so, or
    (with a full event buffer, which no longer records pairs) both are already crashed
    and nothing can say otherwise."""
    t = _pair_time(events_w, wint_w, a, b)
    if math.isnan(t):
        return wint_w[WI_EVENTS_DROPPED] > 0
    return t <= time_s


@kernel
def _register(fstate_w, istate_w, params_w, scratch_w, events_w, wint_w, metrics_w, ego, a, b,
              f, time_s, dt):
    """Record the first impact of a and b (an event, the metrics) and respond to it;
    returns False, doing nothing, for a pair already recorded."""
    if a > b:
        a, b = b, a
    if _pair_recorded(events_w, wint_w, a, b):
        return False
    t_hit = time_s + f * dt
    va = fstate_w[F_SPEED, a]
    vb = fstate_w[F_SPEED, b]
    vax, vay = world_velocity(fstate_w, istate_w, a, scratch_w[S_COS, a], scratch_w[S_SIN, a])
    vbx, vby = world_velocity(fstate_w, istate_w, b, scratch_w[S_COS, b], scratch_w[S_SIN, b])
    rvx = vax - vbx
    rvy = vay - vby
    xa, ya, ca, sa = pose_at(fstate_w, a, f)
    xb, yb, cb, sb = pose_at(fstate_w, b, f)
    nx, ny, _ = contact_normal(xa, ya, ca, sa, 0.5 * params_w[P_LENGTH, a],
                                0.5 * params_w[P_WIDTH, a], xb, yb, cb, sb,
                                0.5 * params_w[P_LENGTH, b], 0.5 * params_w[P_WIDTH, b])
    closing = max(0.0, rvx * nx + rvy * ny)  # along the normal from a towards b
    face_a = impact_face(nx, ny, ca, sa)
    face_b = impact_face(-nx, -ny, cb, sb)
    k = record_event(events_w, wint_w, np.float64(EVENT_COLLISION), t_hit, a, b, 0.5 * (xa + xb),
                     0.5 * (ya + yb))
    if k >= 0:  # a full buffer drops the event (counted in WI_EVENTS_DROPPED)
        events_w[k, EV_REL_SPEED] = math.sqrt(rvx * rvx + rvy * rvy)
        events_w[k, EV_SPEED_A] = va
        events_w[k, EV_SPEED_B] = vb
        events_w[k, EV_CLOSING] = closing
        events_w[k, EV_FACE_A] = face_a
        events_w[k, EV_FACE_B] = face_b
    metrics_w[M_COLLISIONS] += 1.0
    if math.isnan(metrics_w[M_FIRST_COLLISION_TIME]):
        metrics_w[M_FIRST_COLLISION_TIME] = t_hit
    if (a == ego or b == ego) and metrics_w[M_EGO_COLLISION] == 0.0:
        metrics_w[M_EGO_COLLISION] = 1.0
        metrics_w[M_EGO_COLLISION_TIME] = t_hit
        metrics_w[M_EGO_COLLISION_OTHER] = b if a == ego else a
        metrics_w[M_EGO_SPEED_AT_IMPACT] = fstate_w[F_SPEED, ego]
        metrics_w[M_EGO_IMPACT_CLOSING] = closing
        metrics_w[M_EGO_IMPACT_FACE] = face_a if a == ego else face_b
    respond(fstate_w, istate_w, params_w, scratch_w, a, b, f, np.bool_(True))
    return True


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


@inline_kernel
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
            # a pair that already collided is recorded once; while in contact (not in the
            # step of its first impact) it gets another impact if one drives into the
            # other (a car stopped against a wall by the car behind it) and is moved
            # apart by its overlap
            if (_crashed_or_static(istate_w, a) and _crashed_or_static(istate_w, b)
                    and _collided_before(events_w, wint_w, a, b, time_s)):
                if (_touching(fstate_w, params_w, scratch_w, a, b)
                        and respond(fstate_w, istate_w, params_w, scratch_w, a, b, 1.0,
                                     np.bool_(False))):
                    impacts = True
                continue
            f = first_contact(fstate_w, params_w, scratch_w, a, b)
            if f >= 0.0 and _register(fstate_w, istate_w, params_w, scratch_w, events_w,
                                      wint_w, metrics_w, ego, a, b, f, time_s, dt):
                impacts = True
    return impacts


@inline_kernel
def _touching(fstate_w, params_w, scratch_w, a, b):
    """Whether boxes a and b touch or overlap where they are now."""
    return boxes_overlap(fstate_w[F_X, a], fstate_w[F_Y, a], scratch_w[S_COS, a],
                         scratch_w[S_SIN, a], 0.5 * params_w[P_LENGTH, a],
                         0.5 * params_w[P_WIDTH, a], fstate_w[F_X, b], fstate_w[F_Y, b],
                         scratch_w[S_COS, b], scratch_w[S_SIN, b], 0.5 * params_w[P_LENGTH, b],
                         0.5 * params_w[P_WIDTH, b])
