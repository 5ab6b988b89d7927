"""Light falling on the ground from lamps (numba): headlight cones and street lamps.

Per image row of a level camera the ground points lie on a line; each light's reach
on it is solved in closed form (a quadratic for its range, narrowed to its cone) and
its gain sampled every LIGHT_STEP columns into a row buffer the ground pass
interpolates. ``light_gain`` is the exact gain at one ground point (the general,
rolled-camera path and the tests use it).
"""

from __future__ import annotations

import math

from simdrive.core._jit import inline_kernel, kernel, restrict_load, restrict_store
from simdrive.render.blocks import (
    L_B,
    L_COS,
    L_DX,
    L_DY,
    L_DZ,
    L_G,
    L_R,
    L_RAMP,
    L_RANGE,
    L_X,
    L_Y,
    L_Z,
)

LIGHT_SHIFT = 4
LIGHT_STEP = 1 << LIGHT_SHIFT  # ground light is sampled every LIGHT_STEP columns, interpolated
CONE_MARGIN_PX = 2.0  # slack of the light-cone span on a row (the per-pixel test is exact)


@kernel
def splat_row_lights(ax, bx, ay, by, w, lights, light_row):
    """Add each light's gain to light_row over the columns within its range and cone.

    The row's ground points are (ax + u bx, ay + u by) at pixel centre u; the
    columns a light can reach solve a quadratic. The gain is sampled at columns
    0, LIGHT_STEP, 2 LIGHT_STEP, ... into light_row[:, col // LIGHT_STEP] (light
    varies slowly along a row; the pixel loop interpolates). Returns whether
    any sample was lit.
    """
    lit = False
    a = bx * bx + by * by
    for k in range(lights.shape[0]):
        ex, ey = ax - lights[k, L_X], ay - lights[k, L_Y]
        reach2 = lights[k, L_RANGE] ** 2 - lights[k, L_Z] ** 2
        if reach2 <= 0.0:
            continue
        b = 2.0 * (bx * ex + by * ey)
        c = ex * ex + ey * ey - reach2
        if a <= 0.0:
            if c >= 0.0:
                continue
            u0, u1 = 0.0, float(w)
        else:
            disc = b * b - 4.0 * a * c
            if disc <= 0.0:
                continue
            root = math.sqrt(disc)
            u0 = (-b - root) / (2.0 * a)
            u1 = (-b + root) / (2.0 * a)
        u0, u1 = cone_span(ax, bx, ay, by, lights, k, u0, u1)
        if u0 > u1:
            continue
        c0 = max(0, int(math.ceil(u0 - 0.5)))
        c1 = min(w - 1, int(math.floor(u1 - 0.5)))
        if c0 > c1:
            continue
        inv_range, inv_edge, inv_ramp = _light_inverses(lights, k)
        # every sample of the span, branch-free (outside the light the gain is 0) and
        # with restrict-scoped channel rows, so the loop compiles to SIMD code; the same
        # arithmetic as _gain, and adding a zero gain changes nothing
        lx, ly, dz = lights[k, L_X], lights[k, L_Y], -lights[k, L_Z]
        rng = lights[k, L_RANGE]
        ldx, ldy, ldz, cos = lights[k, L_DX], lights[k, L_DY], lights[k, L_DZ], lights[k, L_COS]
        lr, lg, lb = lights[k, L_R], lights[k, L_G], lights[k, L_B]
        ramp = inv_ramp > 0.0
        row_r, row_g, row_b = light_row[0], light_row[1], light_row[2]
        hits = 0
        for j in range(c0 // LIGHT_STEP, c1 // LIGHT_STEP + 2):
            u = j * LIGHT_STEP + 0.5
            dx = ax + u * bx - lx
            dy = ay + u * by - ly
            dist2 = dx * dx + dy * dy + dz * dz
            dot = dx * ldx + dy * ldy + dz * ldz
            dist = math.sqrt(dist2)
            edge = min(1.0, (dot / dist - cos) * inv_edge)
            edge = edge * edge * (3.0 - 2.0 * edge)
            fall = 1.0 - dist * inv_range
            near = min(1.0, max(0.0, (dist - 1.0) * inv_ramp)) if ramp else 1.0
            gain = fall * fall * edge * near * near * (3.0 - 2.0 * near)
            if dist2 >= rng * rng or dot < cos * dist:
                gain = 0.0
            restrict_store(0, row_r, j, restrict_load(0, row_r, j) + lr * gain)
            restrict_store(1, row_g, j, restrict_load(1, row_g, j) + lg * gain)
            restrict_store(2, row_b, j, restrict_load(2, row_b, j) + lb * gain)
            hits += gain > 0.0  # an integer count: a float sum would stay scalar
        lit = lit or hits > 0
    return lit


@inline_kernel
def cone_span(ax, bx, ay, by, lights, k, u0, u1):
    """Narrow [u0, u1] (pixel u along the row) to the part inside light k's cone, plus a margin.

    Only saves work: light_gain still tests every pixel, so the span may be
    too wide but never too narrow (a margin of CONE_MARGIN_PX covers rounding).
    On the row, the light-to-point vector is e(u) = (ex + u bx, ey + u by, -z);
    inside the cone D.e >= cos |e|, i.e. s(u) = alpha + beta u >= 0 and
    q(u) = s(u)^2 - cos^2 |e(u)|^2 >= 0, a quadratic in u.
    """
    cos = lights[k, L_COS]
    if cos <= 0.0:
        return u0, u1
    ex, ey, ez = ax - lights[k, L_X], ay - lights[k, L_Y], -lights[k, L_Z]
    dx, dy, dz = lights[k, L_DX], lights[k, L_DY], lights[k, L_DZ]
    alpha = dx * ex + dy * ey + dz * ez
    beta = dx * bx + dy * by
    if beta > 0.0:
        u0 = max(u0, -alpha / beta - CONE_MARGIN_PX)
    elif beta < 0.0:
        u1 = min(u1, -alpha / beta + CONE_MARGIN_PX)
    elif alpha < 0.0:
        return 1.0, 0.0
    c2 = cos * cos
    a2 = beta * beta - c2 * (bx * bx + by * by)
    a1 = 2.0 * alpha * beta - c2 * 2.0 * (bx * ex + by * ey)
    a0 = alpha * alpha - c2 * (ex * ex + ey * ey + ez * ez)
    scale = beta * beta + c2 * (bx * bx + by * by)
    if abs(a2) <= 1e-9 * scale:
        return u0, u1  # nearly linear: no narrowing
    disc = a1 * a1 - 4.0 * a2 * a0
    if disc <= 0.0:
        return (u0, u1) if a2 > 0.0 else (1.0, 0.0)
    root = math.sqrt(disc)
    r1 = (-a1 - root) / (2.0 * a2)
    r2 = (-a1 + root) / (2.0 * a2)
    if r1 > r2:
        r1, r2 = r2, r1
    if a2 < 0.0:  # inside between the roots
        return max(u0, r1 - CONE_MARGIN_PX), min(u1, r2 + CONE_MARGIN_PX)
    # outside between the roots; the cone side is one of the two rays
    if r1 + CONE_MARGIN_PX <= u0:
        u0 = max(u0, r2 - CONE_MARGIN_PX)
    if r2 - CONE_MARGIN_PX >= u1:
        u1 = min(u1, r1 + CONE_MARGIN_PX)
    return u0, u1


@inline_kernel
def light_gain(wx, wy, lights, k):
    """(r, g, b) gain of light k on the ground point (wx, wy)."""
    inv_range, inv_edge, inv_ramp = _light_inverses(lights, k)
    return _gain(wx, wy, lights, k, inv_range, inv_edge, inv_ramp)


@inline_kernel
def _light_inverses(lights, k):
    """Reciprocals _gain needs (computed once per light and row, not per pixel)."""
    ramp = lights[k, L_RAMP]
    return (1.0 / lights[k, L_RANGE], 1.0 / ((1.0 - lights[k, L_COS]) * 0.85),
            1.0 / ramp if ramp > 0.0 else 0.0)


@inline_kernel
def _gain(wx, wy, lights, k, inv_range, inv_edge, inv_ramp):
    dx = wx - lights[k, L_X]
    dy = wy - lights[k, L_Y]
    dz = -lights[k, L_Z]
    rng = lights[k, L_RANGE]
    dist2 = dx * dx + dy * dy + dz * dz
    if dist2 >= rng * rng:
        return 0.0, 0.0, 0.0
    dot = dx * lights[k, L_DX] + dy * lights[k, L_DY] + dz * lights[k, L_DZ]
    dist = math.sqrt(dist2)
    if dot < lights[k, L_COS] * dist:
        return 0.0, 0.0, 0.0
    # soft beam edge over the outer part of the cone
    edge = min(1.0, (dot / dist - lights[k, L_COS]) * inv_edge)
    edge = edge * edge * (3.0 - 2.0 * edge)
    fall = 1.0 - dist * inv_range
    near = min(1.0, max(0.0, (dist - 1.0) * inv_ramp)) if inv_ramp > 0.0 else 1.0
    gain = fall * fall * edge * near * near * (3.0 - 2.0 * near)
    return lights[k, L_R] * gain, lights[k, L_G] * gain, lights[k, L_B] * gain
