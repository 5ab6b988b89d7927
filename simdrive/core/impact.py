"""The impact of two actors whose boxes touched (simdrive.core.collision finds when):
their poses within the step, the contact normal and the faces it leaves through, their
world velocities, and the response, a perfectly plastic impulse along the normal after
which both are crashed and slide.

Pure functions of the state arrays, shared by the detection (which records the impact's
event and metrics with the same normal and velocities) and the response.
"""

from __future__ import annotations

import math

from simdrive.core._jit import inline_kernel, kernel
from simdrive.core.dynamics import wrap_angle
from simdrive.core.geometry import separating_axis
from simdrive.core.layout import (
    F_GOAL_X,
    F_GOAL_Y,
    F_HEADING,
    F_HEADING_PREV,
    F_SPEED,
    F_VX,
    F_VY,
    F_X,
    F_X_PREV,
    F_Y,
    F_Y_PREV,
    FACE_FRONT,
    FACE_LEFT,
    FACE_REAR,
    FACE_RIGHT,
    FLAG_CRASHED,
    FLAG_KNOCKED_LOOSE,
    I_FLAGS,
    I_MODE,
    I_MODEL,
    MODE_GOTO,
    MODE_STATIC,
    MODEL_STATIC,
    MODEL_UNICYCLE,
    P_LENGTH,
    P_MASS,
    P_WIDTH,
    S_COS,
    S_SIN,
)

SEPARATION_TOLERANCE = 1e-6  # m of overlap left alone (boxes that touch)


@inline_kernel
def pose_at(fstate_w, i, f):
    """Pose of actor i at fraction f of the last step (linear in position and heading)."""
    x = fstate_w[F_X_PREV, i] + f * (fstate_w[F_X, i] - fstate_w[F_X_PREV, i])
    y = fstate_w[F_Y_PREV, i] + f * (fstate_w[F_Y, i] - fstate_w[F_Y_PREV, i])
    dh = wrap_angle(fstate_w[F_HEADING, i] - fstate_w[F_HEADING_PREV, i])
    h = fstate_w[F_HEADING_PREV, i] + f * dh
    return x, y, math.cos(h), math.sin(h)


@inline_kernel
def contact_normal(xa, ya, ca, sa, hla, hwa, xb, yb, cb, sb, hlb, hwb):
    """Unit normal from box a towards box b at contact, and how deep they overlap along it
    (m): of the four separating-axis candidates (each box's two axes), the one they
    overlap least along, i.e. the face they touch across (at a corner too)."""
    dx = xb - xa
    dy = yb - ya
    best = math.inf
    nx = 1.0
    ny = 0.0
    for k in range(4):
        ux, uy, reach = separating_axis(k, ca, sa, hla, hwa, cb, sb, hlb, hwb)
        along = dx * ux + dy * uy
        overlap = reach - abs(along)
        if overlap < best:
            best = overlap
            side = 1.0 if along >= 0.0 else -1.0
            nx, ny = side * ux, side * uy
    return nx, ny, best


@inline_kernel
def impact_face(nx, ny, c, s):
    """The face (FACE_*) of a box (heading cos c, sin s) that the unit normal (nx, ny),
    pointing out of it towards what it touches, leaves through: the box axis the normal
    is nearest to (a corner contact goes to the face the normal is closer to square on)."""
    ahead = nx * c + ny * s
    left = -nx * s + ny * c
    if abs(ahead) >= abs(left):
        return FACE_FRONT if ahead > 0.0 else FACE_REAR
    return FACE_LEFT if left > 0.0 else FACE_RIGHT


@inline_kernel
def world_velocity(fstate_w, istate_w, i, c, s):
    """World velocity of actor i (heading cos/sin c, s): along its heading, or the sliding
    velocity of a crashed actor; zero for a static one."""
    if istate_w[I_MODE, i] == MODE_STATIC:
        return 0.0, 0.0
    if istate_w[I_FLAGS, i] & FLAG_CRASHED:
        return fstate_w[F_VX, i], fstate_w[F_VY, i]
    return fstate_w[F_SPEED, i] * c, fstate_w[F_SPEED, i] * s


@kernel
def respond(fstate_w, istate_w, params_w, scratch_w, a, b, f, first):
    """Perfectly plastic impact along the contact normal (frictionless across it): the
    impulse that stops the pair closing along the normal, shared by their masses (an
    actor that stood still, parked or static, is struck loose: see _loosen). Both are
    then crashed and slide with their new world velocities (simdrive.core.motion),
    keeping their headings: a car struck side-on slides sideways, a pedestrian hit by a
    car's front is carried along ahead of it while one walking into a passing car's
    flank only stops.

    ``first``: the pair's first impact, found at fraction f of the step: both go back to
    their poses at that moment. A later contact of the pair (f = 1: where they are) takes
    the impulse if they still close, and moves them apart by their overlap. Returns
    whether anything changed.
    """
    ma = params_w[P_MASS, a]
    mb = params_w[P_MASS, b]
    _loosen(fstate_w, istate_w, a)
    _loosen(fstate_w, istate_w, b)
    xa, ya, ca, sa = pose_at(fstate_w, a, f)
    xb, yb, cb, sb = pose_at(fstate_w, b, f)
    vax, vay = world_velocity(fstate_w, istate_w, a, ca, sa)
    vbx, vby = world_velocity(fstate_w, istate_w, b, cb, sb)
    nx, ny, depth = contact_normal(xa, ya, ca, sa, 0.5 * params_w[P_LENGTH, a],
                                    0.5 * params_w[P_WIDTH, a], xb, yb, cb, sb,
                                    0.5 * params_w[P_LENGTH, b], 0.5 * params_w[P_WIDTH, b])
    closing = (vbx - vax) * nx + (vby - vay) * ny  # < 0: approaching
    inv_a = 0.0 if istate_w[I_MODE, a] == MODE_STATIC else 1.0 / ma
    inv_b = 0.0 if istate_w[I_MODE, b] == MODE_STATIC else 1.0 / mb
    changed = first
    if closing < 0.0 and inv_a + inv_b > 0.0:
        changed = True
        impulse = -closing / (inv_a + inv_b)
        vax -= impulse * inv_a * nx
        vay -= impulse * inv_a * ny
        vbx += impulse * inv_b * nx
        vby += impulse * inv_b * ny
    if not first and depth > SEPARATION_TOLERANCE and inv_a + inv_b > 0.0:
        changed = True
        # a later impact finds them overlapping by this step's motion: apart, by masses
        share_a = depth * inv_a / (inv_a + inv_b)
        share_b = depth * inv_b / (inv_a + inv_b)
        fstate_w[F_X, a] -= share_a * nx
        fstate_w[F_Y, a] -= share_a * ny
        fstate_w[F_X, b] += share_b * nx
        fstate_w[F_Y, b] += share_b * ny
    if inv_a > 0.0:
        _slide_from(fstate_w, istate_w, scratch_w, a, xa, ya, ca, sa, vax, vay, first)
    if inv_b > 0.0:
        _slide_from(fstate_w, istate_w, scratch_w, b, xb, yb, cb, sb, vbx, vby, first)
    return changed


@inline_kernel
def _loosen(fstate_w, istate_w, i):
    """An actor standing still (a parked car, a stalled truck, a waiting pedestrian, a
    tyre) is no wall when struck: it becomes movable (and then slides, crashed)."""
    if istate_w[I_MODE, i] == MODE_STATIC:
        istate_w[I_MODE, i] = MODE_GOTO
        istate_w[I_FLAGS, i] |= FLAG_KNOCKED_LOOSE  # (a parked car's lamps stay off)
        if istate_w[I_MODEL, i] == MODEL_STATIC:
            istate_w[I_MODEL, i] = MODEL_UNICYCLE
        fstate_w[F_GOAL_X, i] = fstate_w[F_X, i]
        fstate_w[F_GOAL_Y, i] = fstate_w[F_Y, i]


@inline_kernel
def _slide_from(fstate_w, istate_w, scratch_w, i, x, y, c, s, vx, vy, first):
    """Actor i after an impact: crashed, sliding with (vx, vy); at the impact's pose if it
    is the pair's first."""
    if first:
        fstate_w[F_X, i] = x
        fstate_w[F_Y, i] = y
        fstate_w[F_HEADING, i] = math.atan2(s, c)
        scratch_w[S_COS, i] = c
        scratch_w[S_SIN, i] = s
    fstate_w[F_VX, i] = vx
    fstate_w[F_VY, i] = vy
    fstate_w[F_SPEED, i] = math.sqrt(vx * vx + vy * vy)
    istate_w[I_FLAGS, i] |= FLAG_CRASHED
