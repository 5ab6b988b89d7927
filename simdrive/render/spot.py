"""What one lamp puts on an actor's face: the light at a point, and whether the lamp's cone
and range hold a whole face, miss it, or cross it (then the face is sampled on RINGS).

Shared by the actor pass (simdrive.render.raster, a face's colour) and the labels' light
factor (simdrive.render.lighting, a box side's light), so a label is as lit as its pixels.
"""

from __future__ import annotations

import math

from simdrive.core._jit import inline_kernel
from simdrive.render import blocks as B

RINGS = (1.0 / 6.0, 0.5, 5.0 / 6.0)
"""Where a face that a lamp's cone or range edge crosses is sampled: on three rings round
its centre (the middles of three equal steps out to its corners and edge midpoints),
weighted by their radius (a ring's share of the area)."""

MISSED, HELD, CROSSED = 0, 1, 2
"""How a lamp's cone and range meet a face (lamp_reach)."""


@inline_kernel
def lamp_at(lights, k, px, py, pz, nx, ny, nz):
    """What lamp k puts on a point (px, py, pz) of a face with unit normal n: range
    fall-off squared times the cosine of incidence, 0 outside its cone or range."""
    dx = px - lights[k, B.L_X]
    dy = py - lights[k, B.L_Y]
    dz = pz - lights[k, B.L_Z]
    dist = math.sqrt(dx * dx + dy * dy + dz * dz)
    rng = lights[k, B.L_RANGE]
    if dist >= rng or dist < 1e-6:
        return 0.0
    if (dx * lights[k, B.L_DX] + dy * lights[k, B.L_DY] + dz * lights[k, B.L_DZ]) \
            < lights[k, B.L_COS] * dist:
        return 0.0
    facing = -(nx * dx + ny * dy + nz * dz) / dist
    if facing <= 0.0:
        return 0.0
    fall = 1.0 - dist / rng
    return fall * fall * facing


@inline_kernel
def lamp_reach(lights, k, cx, cy, cz, nx, ny, nz, radius):
    """How lamp k meets a face (centre c, unit outward normal n, every point within
    ``radius`` m of c): MISSED (the lamp behind its plane, which holds for every point of
    it, or the face wholly out of range or cone), HELD (wholly inside both: lamp_at at the
    centre stands for the face) or CROSSED (an edge of the cone or range crosses it).

    The face's angular radius s seen from the lamp against the cone's half angle h: wholly
    outside when the angle a to its centre is >= h + s, wholly inside when a <= h - s,
    compared as cosines (no inverse trigonometry per face; h, s <= 90 deg)."""
    dx = cx - lights[k, B.L_X]
    dy = cy - lights[k, B.L_Y]
    dz = cz - lights[k, B.L_Z]
    dist = math.sqrt(dx * dx + dy * dy + dz * dz)
    rng = lights[k, B.L_RANGE]
    if dist < 1e-6 or nx * dx + ny * dy + nz * dz >= 0.0 or dist - radius >= rng:
        return MISSED
    cosang = (dx * lights[k, B.L_DX] + dy * lights[k, B.L_DY] + dz * lights[k, B.L_DZ]) / dist
    cos_h = lights[k, B.L_COS]
    sin_h = math.sqrt(max(0.0, 1.0 - cos_h * cos_h))
    sin_s = radius / dist
    cos_s = math.sqrt(1.0 - sin_s * sin_s) if sin_s < 1.0 else 0.0
    if sin_s < 1.0 and cosang <= cos_h * cos_s - sin_h * sin_s:
        return MISSED
    if sin_s <= sin_h and cosang >= cos_h * cos_s + sin_h * sin_s and dist + radius < rng:
        return HELD
    return CROSSED
