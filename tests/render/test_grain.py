"""Ground texture building kernels against plain references."""

from __future__ import annotations

import numpy as np

from simdrive.render.grain import GRAIN_SD, grain_texels, pack_tiled

MASK64 = (1 << 64) - 1


def reference_grain(rgb, sem, coarse, blotched):
    """grain_texels in plain Python: splitmix64 of the texel index, four 16-bit
    uniforms summed, centred and scaled, plus the coarse field on the blotched class."""
    h, w = sem.shape
    out = np.empty_like(rgb)
    scale = np.float32(GRAIN_SD * 3.0 ** 0.5)
    for r in range(h):
        for c in range(w):
            z = (r * w + c + 0x9E3779B97F4A7C15) & MASK64
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            z ^= z >> 31
            s = sum((z >> shift) & 0xFFFF for shift in (0, 16, 32, 48))
            d = (np.float32(s) * np.float32(1 / 65536) - np.float32(2)) * scale
            if sem[r, c] == blotched:
                d = np.float32(d + coarse[r, c])
            for k in range(3):
                out[r, c, k] = int(min(max(np.float32(rgb[r, c, k]) + d, 0.0), 255.0))
    return out


def reference_tiled(rgb, sem):
    """The 8 x 8 tiled words of a level with numpy reshapes (padding texels 0)."""
    h, w = sem.shape
    th, tw = -(-h // 8), -(-w // 8)
    r, g, b = (rgb[..., k].astype(np.uint32) for k in range(3))
    words = np.zeros((th * 8, tw * 8), np.uint32)
    words[:h, :w] = (sem.astype(np.uint32) << 24) | (r << 16) | (g << 8) | b
    return words.reshape(th, 8, tw, 8).transpose(0, 2, 1, 3).ravel()


def test_grain_matches_its_plain_reference_including_clipping():
    rng = np.random.default_rng(3)
    for h, w in ((1, 1), (5, 13), (17, 9)):
        rgb = rng.choice(np.array([0, 1, 3, 100, 252, 255], np.uint8), (h, w, 3))
        sem = rng.integers(0, 3, (h, w)).astype(np.uint8)
        coarse = rng.normal(0, 30, (h, w)).astype(np.float32)
        out = np.empty_like(rgb)
        grain_texels(rgb, sem, coarse, np.uint8(1), out)
        np.testing.assert_array_equal(out, reference_grain(rgb, sem, coarse, 1))


def test_grain_has_zero_mean_and_the_documented_spread_without_pattern():
    h, w = 300, 400
    rgb = np.full((h, w, 3), 128, np.uint8)
    sem = np.zeros((h, w), np.uint8)
    out = np.empty_like(rgb)
    grain_texels(rgb, sem, np.zeros((h, w), np.float32), np.uint8(9), out)
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
    plain, blotched = np.empty_like(rgb), np.empty_like(rgb)
    grain_texels(rgb, sem, np.zeros((h, w), np.float32), np.uint8(7), plain)
    grain_texels(rgb, sem, np.full((h, w), 20.0, np.float32), np.uint8(7), blotched)
    np.testing.assert_array_equal(blotched[:, 3:], plain[:, 3:])
    assert (blotched[:, :3].astype(int) - plain[:, :3] == 20).all()


def test_pack_tiled_matches_numpy_tiling():
    rng = np.random.default_rng(5)
    for h, w in ((1, 1), (8, 8), (9, 17), (31, 6)):
        rgb = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
        sem = rng.integers(0, 256, (h, w)).astype(np.uint8)
        out = np.zeros(-(-h // 8) * 8 * -(-w // 8) * 8, np.uint32)
        pack_tiled(rgb, sem, out)
        np.testing.assert_array_equal(out, reference_tiled(rgb, sem))
