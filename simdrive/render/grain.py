"""Building ground texture levels (numba): seeded texel grain and the tiled layout.

A ground texture (simdrive.render.ground) is built once per road map and surface in
every process that renders, so its ~10 million texels are a fixed cost of each run;
these kernels do that work in one pass each instead of numpy's chains of temporaries.
"""

from __future__ import annotations

import numpy as np

from simdrive.core._jit import kernel

GRAIN_SD = 3.5
"""Standard deviation of the fine grain on every surface (sRGB levels)."""

_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9),
        np.uint64(0x94D049BB133111EB))
_SCALE = np.float32(GRAIN_SD * 3.0 ** 0.5)  # 4 uniforms summed have a variance of 1/3
_UNIT = np.float32(1.0 / 65536.0)


@kernel
def grain_texels(rgb, sem, coarse, blotched, out):
    """out[r, c] = clip(rgb[r, c] + fine(r, c) + (coarse[r, c] if sem[r, c] == blotched),
    0, 255), truncated to uint8.

    rgb, out: (h, w, 3) uint8; sem: (h, w) uint8 classes; coarse: (h, w) float32 levels;
    blotched: the class that gets the coarse blotches. fine(r, c) is a fixed
    pseudo-random grain with mean 0 and standard deviation GRAIN_SD: the sum of four
    16-bit uniforms from a splitmix64 hash of the texel's index r * w + c, centred and
    scaled (close to normal, and the same in every run).
    """
    h, w = sem.shape
    m0, m1, m2 = _MIX
    lo = np.uint64(0xFFFF)
    for r in range(h):
        for c in range(w):
            z = np.uint64(r * w + c) + m0
            z = (z ^ (z >> np.uint64(30))) * m1
            z = (z ^ (z >> np.uint64(27))) * m2
            z = z ^ (z >> np.uint64(31))
            s = (z & lo) + ((z >> np.uint64(16)) & lo) + ((z >> np.uint64(32)) & lo) \
                + (z >> np.uint64(48))
            d = (np.float32(s) * _UNIT - np.float32(2.0)) * _SCALE
            if sem[r, c] == blotched:
                d += coarse[r, c]
            for k in range(3):
                v = min(max(np.float32(rgb[r, c, k]) + d, np.float32(0.0)),
                        np.float32(255.0))
                out[r, c, k] = np.uint8(v)


@kernel
def pack_tiled(rgb, sem, out):
    """Write 0xSSRRGGBB words (S: sem, R, G, B: rgb) of an (h, w) level into ``out`` in
    8 x 8 tiles, tiles row by row: texel (r, c) at
    ((r >> 3) * tiles_w + (c >> 3)) * 64 + (r & 7) * 8 + (c & 7), tiles_w = ceil(w / 8).

    rgb: (h, w, 3) uint8; sem: (h, w) uint8; out: uint32 of ceil(h / 8) * 8 *
    tiles_w * 8 words; its padding texels (beyond the level) are left as they are.
    """
    h, w = sem.shape
    tiles_w = (w + 7) >> 3
    for r in range(h):
        for c in range(w):
            i = (((r >> 3) * tiles_w + (c >> 3)) << 6) | ((r & 7) << 3) | (c & 7)
            out[i] = (np.uint32(sem[r, c]) << np.uint32(24)) \
                | (np.uint32(rgb[r, c, 0]) << np.uint32(16)) \
                | (np.uint32(rgb[r, c, 1]) << np.uint32(8)) | np.uint32(rgb[r, c, 2])
