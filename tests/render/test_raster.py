"""The actor rasterizer's per-pixel colour: fog by each pixel's depth bin."""

from __future__ import annotations

import numpy as np
import pytest

from simdrive.render import raster as R

H, W = 120, 160
BASE = (200.0, 120.0, 40.0)
FOG = (150.0, 160.0, 170.0)
FOG_PER_M = 4.0


def _pack(r, g, b):
    """raster.pack_rgb in numpy (round half up, clamp to 0-255)."""
    c = [np.clip(np.floor(np.asarray(x, float) + 0.5), 0, 255).astype(np.int64)
         for x in (r, g, b)]
    return (c[0] << 16) | (c[1] << 8) | c[2]


def _raster(px, py, pz, ortho):
    cam = np.zeros(R.C_COUNT)
    cam[R.C_ORTHO] = 1.0 if ortho else 0.0
    shade = np.zeros(R.SH_COUNT)
    shade[R.SH_FOG_RGB:R.SH_FOG_RGB + 3] = FOG
    shade[R.SH_FOG_SCALE] = FOG_PER_M
    # fog fractions far apart from bin to bin, so a colour from a wrong bin shows
    fog_lut = np.random.default_rng(99).uniform(0.0, 1.0, 8192)
    colour = np.zeros((H, W), np.uint32)
    depth = np.full((H, W), np.inf, np.float32)
    inst = np.full((H, W), -1, np.int32)
    sem = np.zeros((H, W), np.uint8)
    stamp = np.full((H, W), -1, np.int64)
    extent = np.array([[W, H, -1, -1]], np.int64)
    R._raster_triangle(np.array(px, float), np.array(py, float), np.array(pz, float), *BASE,
                       cam, shade, fog_lut, colour, depth, inst, sem, stamp, 7, True,
                       np.zeros(1, np.int64), 0, np.int32(3), np.uint8(9), extent,
                       np.empty(fog_lut.shape[0], np.uint32))
    return colour, depth, inst, fog_lut


@pytest.mark.parametrize("ortho", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_each_pixel_takes_the_fog_of_its_own_depth_bin(seed, ortho):
    """Random triangles spanning many fog bins (up to 200 m deep) or a few: every covered
    pixel's colour is the base colour fogged by the LUT entry of its depth's bin."""
    rng = np.random.default_rng(seed)
    checked = 0
    for _ in range(20):
        px = rng.uniform(-20, W + 20, 3)
        py = rng.uniform(-20, H + 20, 3)
        # deep triangles (many bins) and shallow ones (a few bins, most of them at the
        # ends of the triangle's depth range)
        z = (rng.uniform(0.5, 200.0, 3) if rng.integers(2)
             else rng.uniform(1.0, 50.0) + rng.uniform(0.0, 1.0, 3))
        colour, depth, inst, fog_lut = _raster(px, py, z if ortho else 1.0 / z, ortho)
        drawn = inst == 3
        d = depth[drawn].astype(float)
        # depth is stored as float32: skip the few pixels within rounding of a bin edge
        pos = d * FOG_PER_M
        clear = np.abs(pos - np.round(pos)) > 1e-3
        k = np.minimum(pos.astype(np.int64), fog_lut.shape[0] - 1)
        f = fog_lut[k]
        expected = _pack(*(c + (fc - c) * f for c, fc in zip(BASE, FOG, strict=True)))
        np.testing.assert_array_equal(colour[drawn][clear].astype(np.int64), expected[clear])
        checked += int(clear.sum())
    assert checked > 10_000
