"""The collision broad phase against the poses the narrow phase examines."""

from __future__ import annotations

import math

import numpy as np

from simdrive.core import layout as L
from simdrive.core.collision import swept_extents
from simdrive.core.dynamics import wrap_angle
from tests.core import naive


def test_swept_extents_hold_the_box_at_every_pose_of_the_step():
    """The narrow phase interpolates position and (wrapped) heading over the step; the
    broad phase's axis-aligned extents must contain every such box, for small turns as in
    traffic and for large ones."""
    rng = np.random.default_rng(31)
    n = 400
    fstate = np.zeros((L.F_COUNT, n))
    istate = np.zeros((L.I_COUNT, n), np.int64)
    params = np.zeros((L.P_COUNT, n))
    scratch = np.zeros((L.S_COUNT, n))
    istate[L.I_VALID] = 1
    fstate[L.F_X_PREV] = rng.uniform(-50, 50, n)
    fstate[L.F_Y_PREV] = rng.uniform(-50, 50, n)
    fstate[L.F_HEADING_PREV] = rng.uniform(-math.pi, math.pi, n)
    turn = np.where(rng.random(n) < 0.5, rng.uniform(-0.05, 0.05, n), rng.uniform(-3, 3, n))
    turn[:20] = 0.0
    fstate[L.F_HEADING] = [wrap_angle(h + t) for h, t in zip(fstate[L.F_HEADING_PREV], turn,
                                                               strict=True)]
    fstate[L.F_X] = fstate[L.F_X_PREV] + rng.uniform(-3, 3, n)
    fstate[L.F_Y] = fstate[L.F_Y_PREV] + rng.uniform(-3, 3, n)
    params[L.P_LENGTH] = rng.uniform(0.3, 12, n)
    params[L.P_WIDTH] = rng.uniform(0.3, 3, n)
    scratch[L.S_COS] = np.cos(fstate[L.F_HEADING])
    scratch[L.S_SIN] = np.sin(fstate[L.F_HEADING])
    swept_extents(fstate, istate, params, scratch, n)
    for i in range(n):
        dh = wrap_angle(fstate[L.F_HEADING, i] - fstate[L.F_HEADING_PREV, i])
        for f in np.linspace(0.0, 1.0, 33):
            x = fstate[L.F_X_PREV, i] + f * (fstate[L.F_X, i] - fstate[L.F_X_PREV, i])
            y = fstate[L.F_Y_PREV, i] + f * (fstate[L.F_Y, i] - fstate[L.F_Y_PREV, i])
            h = fstate[L.F_HEADING_PREV, i] + f * dh
            minx, miny, maxx, maxy = naive.box_polygon(
                x, y, h, params[L.P_LENGTH, i], params[L.P_WIDTH, i]).bounds
            # (1e-9 m: shapely's corners and the kernel's differ by rounding)
            assert scratch[L.S_MINX, i] <= minx + 1e-9 and maxx <= scratch[L.S_MAXX, i] + 1e-9
            assert scratch[L.S_MINY, i] <= miny + 1e-9 and maxy <= scratch[L.S_MAXY, i] + 1e-9


def test_swept_extents_of_a_lane_keeping_car_stay_within_its_lane():
    """A car steering a little on a straight lane sweeps about its own width sideways, not
    its diagonal: neighbours in the next lane (3.5 m apart) are not broad-phase pairs."""
    n = 2
    fstate = np.zeros((L.F_COUNT, n))
    istate = np.ones((L.I_COUNT, n), np.int64)
    params = np.zeros((L.P_COUNT, n))
    scratch = np.zeros((L.S_COUNT, n))
    fstate[L.F_HEADING_PREV] = [0.01, -0.02]
    fstate[L.F_HEADING] = [0.015, -0.025]
    fstate[L.F_X] = fstate[L.F_X_PREV] + 2.0
    params[L.P_LENGTH] = 4.5
    params[L.P_WIDTH] = 1.8
    scratch[L.S_COS] = np.cos(fstate[L.F_HEADING])
    scratch[L.S_SIN] = np.sin(fstate[L.F_HEADING])
    swept_extents(fstate, istate, params, scratch, n)
    assert np.all(scratch[L.S_MAXY] - scratch[L.S_MINY] < 2.1)
