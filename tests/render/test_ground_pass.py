"""The ground pass's helpers against plain references."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simdrive.render import blocks as B
from simdrive.render.ground_light import cone_span, light_gain
from simdrive.render.texels import bilinear_packed


def _random_light(rng) -> np.ndarray:
    light = np.zeros(B.L_COUNT)
    heading = rng.uniform(-math.pi, math.pi)
    tilt = rng.uniform(-1.0, -0.02)
    d = np.array([math.cos(heading), math.sin(heading), tilt])
    light[B.L_DX:B.L_DZ + 1] = d / np.linalg.norm(d)
    light[B.L_X], light[B.L_Y], light[B.L_Z] = rng.uniform(-30, 30, 2).tolist() + \
        [rng.uniform(0.3, 9.0)]
    light[B.L_COS] = math.cos(math.radians(rng.uniform(10, 80)))
    light[B.L_RANGE] = rng.uniform(10, 80)
    light[B.L_R:B.L_B + 1] = 1.0
    light[B.L_RAMP] = rng.choice([0.0, 3.0])
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


def _random_level(rng, h, w):
    """A random level in the tiled layout (tex, tiles_w) and its plain (h, w) words."""
    from tests.render.helpers import reference_tiled

    rgb = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
    sem = rng.integers(0, 12, (h, w)).astype(np.uint8)
    plain = ((sem.astype(np.int64) << 24) | (rgb[..., 0].astype(np.int64) << 16)
             | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 2])
    return reference_tiled(rgb, sem), (w + 7) // 8, plain


def _blocks(plain, txi, tyi, sxi, syi, n):
    """Per pixel of a row: its 2 x 2 texel block (p00, p01: +x, p10: +y, p11) from the
    plain texel image (texel centres at k + 0.5), its 8-bit weights wx, wy and the texel
    under the pixel."""
    from simdrive.render.texels import FRAC, HALF

    for col in range(n):
        fx = (txi + col * sxi - HALF) >> (FRAC - 8)
        fy = (tyi + col * syi - HALF) >> (FRAC - 8)
        x0, y0, wx, wy = fx >> 8, fy >> 8, fx & 255, fy & 255
        block = [int(plain[y0 + dy, x0 + dx]) for dy in (0, 1) for dx in (0, 1)]
        yield block, wx, wy, block[(2 if wy >= 128 else 0) + (1 if wx >= 128 else 0)]


def _reference_row(plain, txi, tyi, sxi, syi, n):
    """Bilinear texel words of a row (8-bit weights, the semantic byte of the texel under
    the pixel)."""
    return np.array([(under & 0xFF000000)
                     | int(bilinear_packed(*(np.int64(b & 0xFFFFFF) for b in block), wx, wy))
                     for block, wx, wy, under in _blocks(plain, txi, tyi, sxi, syi, n)],
                    np.uint32)


def _separable_reference_row(plain, txi, tyi, sxi, syi, n):
    """The axis path's texel words: the two texels across the path blended and rounded,
    then the two such blends along it."""
    across_x = sxi == 0  # the path runs along y: across it is x
    out = []
    for block, wx, wy, under in _blocks(plain, txi, tyi, sxi, syi, n):
        pairs = ((block[0], block[1]), (block[2], block[3])) if across_x else \
            ((block[0], block[2]), (block[1], block[3]))
        w_across, w_along = (wx, wy) if across_x else (wy, wx)
        word = under & 0xFF000000
        for shift in (16, 8, 0):
            a, b = (((p >> shift) & 255) * (256 - w_across) + ((q >> shift) & 255) * w_across
                    + 128 >> 8 for p, q in pairs)
            word |= (a * (256 - w_along) + b * w_along + 128 >> 8) << shift
        out.append(word)
    return np.array(out, np.uint32)


def _exact_bilinear(plain, txi, tyi, sxi, syi, n):
    """(n, 3) float red, green, blue of a row's pixels, blended without rounding (with the
    same 8-bit weights)."""
    out = np.zeros((n, 3))
    for col, (block, wx, wy, _) in enumerate(_blocks(plain, txi, tyi, sxi, syi, n)):
        wx, wy = wx / 256, wy / 256
        for p, weight in zip(block, ((1 - wx) * (1 - wy), wx * (1 - wy), (1 - wx) * wy,
                                     wx * wy), strict=True):
            out[col] += weight * np.array([(p >> 16) & 255, (p >> 8) & 255, p & 255])
    return out


@pytest.mark.parametrize("seed", range(4))
def test_bilinear_rows_match_plain_references_and_each_other(seed):
    """Close-up ground rows: the general row fetch against a reference on the untiled
    texels, and the axis-aligned fast path (texel strips, separable) against its own
    reference, within one level per channel of the unrounded blend and with the general
    path's classes, along x and along y, forwards and backwards, across tile borders."""
    from simdrive.render.texels import ONE, bilinear_row_axis, bilinear_row_inside

    rng = np.random.default_rng(seed)
    h, w, n = 131, 150, 97
    tex, tiles_w, plain = _random_level(rng, h, w)
    strip = np.zeros(n + 8, np.uint32)
    for _ in range(60):
        along_y = bool(rng.integers(2))
        step = rng.uniform(0.02, 0.99) * rng.choice([-1.0, 1.0])
        span = abs(step) * (n - 1)
        across = rng.uniform(2.0, (w if along_y else h) - 3.0)
        first = rng.uniform(2.0 + (span if step < 0 else 0.0),
                            (h if along_y else w) - 3.0 - (span if step > 0 else 0.0))
        sxi, syi = (0, int(round(step * ONE))) if along_y else (int(round(step * ONE)), 0)
        txi, tyi = ((int(across * ONE), int(first * ONE)) if along_y
                    else (int(first * ONE), int(across * ONE)))
        expected = _reference_row(plain, txi, tyi, sxi, syi, n)
        general = np.zeros(n, np.uint32)
        bilinear_row_inside(tex, 0, tiles_w, txi, tyi, sxi, syi, general)
        np.testing.assert_array_equal(general, expected)
        fast = np.zeros(n, np.uint32)
        assert bilinear_row_axis(tex, 0, tiles_w, txi, tyi, sxi, syi, strip, fast)
        np.testing.assert_array_equal(fast, _separable_reference_row(plain, txi, tyi, sxi,
                                                                     syi, n))
        np.testing.assert_array_equal(fast >> 24, expected >> 24)
        exact = _exact_bilinear(plain, txi, tyi, sxi, syi, n)
        for c, shift in enumerate((16, 8, 0)):  # two roundings: within one level of exact
            assert np.abs(((fast >> shift) & 255) - exact[:, c]).max() <= 1.0
    # a strip too short for the path: nothing written, the caller takes the general path
    untouched = np.full(n, 7, np.uint32)
    assert not bilinear_row_axis(tex, 0, tiles_w, int(3.0 * ONE), int(3.0 * ONE), 0,
                                 int(0.9 * ONE), np.zeros(4, np.uint32), untouched)
    assert (untouched == 7).all()
