"""Building ground texture levels (numba): seeded texel grain and the tiled layout.

A ground texture (simdrive.render.ground) is built once per road map and surface in
every process that renders, so its ~10 million texels are a fixed cost of each run;
these kernels do that work in one pass each instead of numpy's chains of temporaries.
The public functions check their arrays; the kernels trust them.
"""

from __future__ import annotations

import numpy as np

from simdrive.core._jit import kernel
from simdrive.render.texels import tiled

GRAIN_SD = 3.5
"""Standard deviation of the fine grain on every surface (sRGB levels)."""

TILE = 8
"""Texels are stored in TILE x TILE tiles (simdrive.render.texels.tiled)."""

_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9),
        np.uint64(0x94D049BB133111EB))
_SCALE = np.float32(GRAIN_SD * 3.0 ** 0.5)  # 4 uniforms summed have a variance of 1/3
_UNIT = np.float32(1.0 / 65536.0)


def grain_texels(rgb: np.ndarray, sem: np.ndarray, coarse: np.ndarray,
                 blotched: int) -> np.ndarray:
    """A new (h, w, 3) uint8 level: clip(rgb + fine + (coarse where sem == blotched),
    0, 255), truncated.

    rgb: (h, w, 3) uint8 paint; sem: (h, w) uint8 classes; coarse: (h, w) float32
    levels added to the ``blotched`` class only. The fine grain of texel (r, c) has
    mean 0 and standard deviation GRAIN_SD: four 16-bit uniforms from a splitmix64
    hash of its index r * w + c, summed, centred and scaled (close to normal, and the
    same in every run).
    """
    h, w = sem.shape
    if rgb.shape != (h, w, 3) or coarse.shape != (h, w) or rgb.dtype != np.uint8 \
            or sem.dtype != np.uint8 or coarse.dtype != np.float32:
        raise ValueError("grain_texels needs (h, w, 3) uint8 rgb, (h, w) uint8 sem and "
                         f"(h, w) float32 coarse; got {rgb.shape} {rgb.dtype}, {sem.shape} "
                         f"{sem.dtype}, {coarse.shape} {coarse.dtype}")
    out = np.empty((h, w, 3), np.uint8)
    _grain(np.ascontiguousarray(rgb), np.ascontiguousarray(sem),
           np.ascontiguousarray(coarse), np.uint8(blotched), out)
    return out


def tiled_size(h: int, w: int) -> int:
    """Words of an (h, w) level in TILE x TILE tiles (partial tiles padded)."""
    return -(-h // TILE) * TILE * -(-w // TILE) * TILE


def pack_tiled(rgb: np.ndarray, sem: np.ndarray, out: np.ndarray) -> None:
    """Write the 0xSSRRGGBB words (S: sem, R, G, B: rgb) of an (h, w) level into the
    uint32 ``out`` of tiled_size(h, w) words, in TILE x TILE tiles, tiles row by row
    (texel (r, c) at simdrive.render.texels.tiled(ceil(w / TILE), r, c)); padding words
    are left as they are."""
    h, w = sem.shape
    if rgb.shape != (h, w, 3) or rgb.dtype != np.uint8 or sem.dtype != np.uint8 \
            or out.dtype != np.uint32 or out.ndim != 1 or out.size != tiled_size(h, w):
        raise ValueError(f"pack_tiled needs (h, w, 3) uint8 rgb, (h, w) uint8 sem and "
                         f"{tiled_size(h, w)} uint32 words; got {rgb.shape} {rgb.dtype}, "
                         f"{sem.dtype}, {out.shape} {out.dtype}")
    _pack(np.ascontiguousarray(rgb), np.ascontiguousarray(sem), out)


@kernel
def _grain(rgb, sem, coarse, blotched, out):
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
def _pack(rgb, sem, out):
    h, w = sem.shape
    tiles_w = (w + TILE - 1) // TILE
    for r in range(h):
        for c in range(w):
            out[tiled(tiles_w, r, c)] = (np.uint32(sem[r, c]) << np.uint32(24)) \
                | (np.uint32(rgb[r, c, 0]) << np.uint32(16)) \
                | (np.uint32(rgb[r, c, 1]) << np.uint32(8)) | np.uint32(rgb[r, c, 2])
