"""The ground pass's helpers against plain references."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simdrive.render import raster as R
from simdrive.render.ground_light import cone_span, light_gain
from simdrive.render.texels import bilinear_packed


def _random_light(rng) -> np.ndarray:
    light = np.zeros(R.L_COUNT)
    heading = rng.uniform(-math.pi, math.pi)
    tilt = rng.uniform(-1.0, -0.02)
    d = np.array([math.cos(heading), math.sin(heading), tilt])
    light[R.L_DX:R.L_DZ + 1] = d / np.linalg.norm(d)
    light[R.L_X], light[R.L_Y], light[R.L_Z] = rng.uniform(-30, 30, 2).tolist() + \
        [rng.uniform(0.3, 9.0)]
    light[R.L_COS] = math.cos(math.radians(rng.uniform(10, 80)))
    light[R.L_RANGE] = rng.uniform(10, 80)
    light[R.L_R:R.L_B + 1] = 1.0
    light[R.L_RAMP] = rng.choice([0.0, 3.0])
    return light


@pytest.mark.parametrize("seed", range(40))
def test_cone_span_never_drops_a_lit_column(seed):
    rng = np.random.default_rng(seed)
    lights = _random_light(rng)[None]
    w = 640
    for _ in range(20):
        ax, ay = rng.uniform(-60, 60, 2)
        angle = rng.uniform(-math.pi, math.pi)
        step = rng.uniform(0.002, 0.3)
        bx, by = step * math.cos(angle), step * math.sin(angle)
        u0, u1 = cone_span(ax, bx, ay, by, lights, 0, -1e9, 1e9)
        for col in range(w):
            u = col + 0.5
            gain = light_gain(ax + u * bx, ay + u * by, lights, 0)
            if gain[0] > 0.0:
                assert u0 <= u <= u1, (col, u0, u1)


@pytest.mark.parametrize("seed", range(5))
def test_bilinear_packed_blends_each_channel_like_floats(seed):
    rng = np.random.default_rng(seed)
    for _ in range(300):
        texels = [int(v) for v in rng.integers(0, 1 << 24, 4)]
        wx, wy = (int(v) for v in rng.integers(0, 256, 2))
        out = int(bilinear_packed(*(np.int64(t) for t in texels), wx, wy))
        ax, ay = wx / 256, wy / 256
        weights = ((1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay)
        for shift in (16, 8, 0):
            expected = sum(w * ((t >> shift) & 255) for w, t in zip(weights, texels, strict=True))
            # weights in 1/256 (the corner weight rounded, the others adjusted so they
            # sum to 256; each is off by at most half a step) and the final rounding
            assert abs(((out >> shift) & 255) - expected) <= 1.5
        assert out >> 24 == 0


def test_bilinear_packed_keeps_a_flat_colour():
    for colour in (0, 0x123456, 0xFFFFFF, 0x80FF01):
        for wx, wy in ((0, 0), (255, 255), (128, 17)):
            c = np.int64(colour)
            assert bilinear_packed(c, c, c, c, wx, wy) == colour
