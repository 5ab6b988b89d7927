"""Ground texture building kernels against plain references."""

from __future__ import annotations

import numpy as np
import pytest

from simdrive.render.grain import GRAIN_SD, grain_texels, pack_tiled, tiled_size
from tests.render.helpers import reference_grain, reference_tiled


def test_grain_matches_its_plain_reference_including_clipping():
    rng = np.random.default_rng(3)
    for h, w in ((1, 1), (5, 13), (17, 9)):
        rgb = rng.choice(np.array([0, 1, 3, 100, 252, 255], np.uint8), (h, w, 3))
        sem = rng.integers(0, 3, (h, w)).astype(np.uint8)
        coarse = rng.normal(0, 30, (h, w)).astype(np.float32)
        out = grain_texels(rgb, sem, coarse, 1)
        np.testing.assert_array_equal(out, reference_grain(rgb, sem, coarse, 1))


def test_grain_has_zero_mean_and_the_documented_spread_without_pattern():
    h, w = 300, 400
    rgb = np.full((h, w, 3), 128, np.uint8)
    sem = np.zeros((h, w), np.uint8)
    out = grain_texels(rgb, sem, np.zeros((h, w), np.float32), 9)
    # truncation toward zero lowers the mean by ~0.5 level
    delta = out[..., 0].astype(np.float64) + 0.5 - 128
    assert abs(delta.mean()) < 0.05
    assert abs(delta.std() - GRAIN_SD) < 0.15
    assert (out[..., 0] == out[..., 2]).all()  # grey stays grey
    # neighbouring texels are uncorrelated (no stripes along rows or columns)
    for a, b in ((delta[:, 1:], delta[:, :-1]), (delta[1:], delta[:-1])):
        assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 0.02


def test_grain_blotches_only_the_blotched_class():
    h, w = 4, 6
    rgb = np.full((h, w, 3), 100, np.uint8)
    sem = np.zeros((h, w), np.uint8)
    sem[:, :3] = 7
    plain = grain_texels(rgb, sem, np.zeros((h, w), np.float32), 7)
    blotched = grain_texels(rgb, sem, np.full((h, w), 20.0, np.float32), 7)
    np.testing.assert_array_equal(blotched[:, 3:], plain[:, 3:])
    assert (blotched[:, :3].astype(int) - plain[:, :3] == 20).all()


def test_pack_tiled_matches_numpy_tiling():
    rng = np.random.default_rng(5)
    for h, w in ((1, 1), (8, 8), (9, 17), (31, 6)):
        rgb = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
        sem = rng.integers(0, 256, (h, w)).astype(np.uint8)
        out = np.zeros(tiled_size(h, w), np.uint32)
        pack_tiled(rgb, sem, out)
        np.testing.assert_array_equal(out, reference_tiled(rgb, sem))


def test_the_builders_refuse_arrays_of_the_wrong_shape_or_type():
    rgb, sem = np.zeros((9, 17, 3), np.uint8), np.zeros((9, 17), np.uint8)
    for bad in (np.zeros(tiled_size(9, 17) - 1, np.uint32),  # too short: out of bounds
                np.zeros(tiled_size(9, 17), np.int64)):
        with pytest.raises(ValueError, match="pack_tiled needs"):
            pack_tiled(rgb, sem, bad)
    with pytest.raises(ValueError, match="grain_texels needs"):
        grain_texels(rgb, sem, np.zeros((9, 16), np.float32), 1)
    with pytest.raises(ValueError, match="grain_texels needs"):
        grain_texels(rgb.astype(np.int16), sem, np.zeros((9, 17), np.float32), 1)
