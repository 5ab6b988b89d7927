"""Disability glare: how oncoming headlights dazzle simulated road users.

Each step at dawn, dusk and night (a world with a glare background luminance) every
actor finds the brightest lit vehicle ahead of it whose headlights face it (find_glare);
what shows no lamps beside those headlights it then sees only nearer (glare_sight,
which perception.seen_within applies). The law is Stiles and Holladay's, the same the
renderer draws (simdrive.render.finish.add_glare, which takes its constants from here).
"""

from __future__ import annotations

import math

from simdrive.core._jit import inline_kernel, kernel
from simdrive.core.layout import (
    F_X,
    F_Y,
    I_VALID,
    P_LAMPS,
    P_LENGTH,
    S_COS,
    S_GLARE_VEIL,
    S_GLARE_X,
    S_GLARE_Y,
    S_LIT,
    S_SIN,
)

HEADLIGHT_GLARE_CD = 500.0
"""A dipped headlight's luminous intensity towards an oncoming driver's eyes (cd; UN R112's
limit at its glare point B50L is 350-625 cd)."""
EYE_GLARE = 10.0
"""Stiles and Holladay's disability glare: a light giving E lux at the eye veils what lies
theta degrees from it with a luminance of EYE_GLARE E / theta^2 cd/m^2."""
GLARE_MIN_DEG = 0.5
"""Nearer to a light than this (degrees) the veiling glare stops rising."""


@kernel
def find_glare(fstate_w, istate_w, params_w, scratch_w, n, air_visibility, background):
    """Per actor, the brightest headlights ahead of it facing it this step (a lit
    vehicle's, P_LAMPS its headlights' strength in a car's, each HEADLIGHT_GLARE_CD towards
    it within 60 degrees of their axis, falling to none side-on, through the air's
    extinction exp(-3 d / V); a follower's lamps light its back, not its eyes): where they
    are (S_GLARE_X, S_GLARE_Y, the vehicle's front centre) and their veil over the
    ``background`` luminance its eyes adapt to at 1 degree (S_GLARE_VEIL = EYE_GLARE E /
    background, degrees^2; 0: none), for glare_sight."""
    for i in range(n):
        best, bx, by = 0.0, 0.0, 0.0
        xi, yi = fstate_w[F_X, i], fstate_w[F_Y, i]
        ci, si = scratch_w[S_COS, i], scratch_w[S_SIN, i]
        for k in range(n if istate_w[I_VALID, i] != 0 else 0):
            if k == i or istate_w[I_VALID, k] == 0 or scratch_w[S_LIT, k] == 0.0:
                continue
            c, s = scratch_w[S_COS, k], scratch_w[S_SIN, k]
            half = 0.5 * params_w[P_LENGTH, k]
            fx, fy = fstate_w[F_X, k] + c * half, fstate_w[F_Y, k] + s * half
            dx, dy = xi - fx, yi - fy
            if dx * ci + dy * si >= 0.0:  # behind it (a follower's lamps on its back)
                continue
            d = math.sqrt(dx * dx + dy * dy)
            facing = min(1.0, 2.0 * (c * dx + s * dy) / max(d, 1e-9))
            if facing <= 0.0:
                continue
            lux = (HEADLIGHT_GLARE_CD * params_w[P_LAMPS, k] * facing
                   * math.exp(-3.0 * d / air_visibility) / max(d * d, 1.0))
            if lux > best:
                best, bx, by = lux, fx, fy
        scratch_w[S_GLARE_VEIL, i] = EYE_GLARE * best / background
        scratch_w[S_GLARE_X, i] = bx
        scratch_w[S_GLARE_Y, i] = by


@inline_kernel
def glare_sight(scratch_w, fstate_w, i, j):
    """The share of its sight in the dark observer i keeps towards actor j beside the
    headlights find_glare found facing it: sqrt(L_b / (L_b + L_v)), L_v their veil at the
    angle theta (degrees, at least GLARE_MIN_DEG) between j and them, over the
    background L_b its eyes adapt to; what shows no lamps is seen where its lit
    luminance, falling as 1 / d^2 under headlights, keeps its contrast against the
    background and the veil (Weber's law), so the distance falls as the square root. 1
    with no glare."""
    veil = scratch_w[S_GLARE_VEIL, i]
    if not veil > 0.0:
        return 1.0
    xi, yi = fstate_w[F_X, i], fstate_w[F_Y, i]
    ax, ay = fstate_w[F_X, j] - xi, fstate_w[F_Y, j] - yi
    bx, by = scratch_w[S_GLARE_X, i] - xi, scratch_w[S_GLARE_Y, i] - yi
    theta = math.degrees(math.atan2(abs(ax * by - ay * bx), ax * bx + ay * by))
    return 1.0 / math.sqrt(1.0 + veil / max(theta * theta, GLARE_MIN_DEG * GLARE_MIN_DEG))
