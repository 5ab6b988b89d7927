"""Fetching ground texels (numba): the tiled layout, and whole image rows of texels.

A level of the ground texture (simdrive.render.ground) is stored in 8 x 8 tiles,
tiles row by row, one 0xSSRRGGBB word per texel. Along an image row of a level
camera the texel coordinates advance by a constant step; they are carried in fixed
point with FRAC fractional bits. A row is fetched nearest-texel (mip levels) or
filtered bilinearly (close up), with a faster variant for rows whose texels all lie
inside the level, and a faster one still for such rows whose path runs along a
texture axis (a camera facing along a map axis: most frames of the scenario library).
"""

from __future__ import annotations

import numpy as np

from simdrive.core._jit import (
    inline_kernel,
    kernel,
    restrict_load,
    restrict_store,
    scratch_store,
    table_load,
)

FRAC = 24  # fractional bits of the fixed-point texel coordinates along a row
ONE, ONE_I, HALF = float(1 << FRAC), 1 << FRAC, 1 << (FRAC - 1)


@inline_kernel
def texel_index(lvl_off, lvl_w, level, ri, ci):
    """Index in ``tex`` of texel (ri, ci) of ``level`` (8 x 8 tiles, tiles row by row)."""
    tiles_w = (lvl_w[level] + 7) >> 3
    return lvl_off[level] + ((((ri >> 3) * tiles_w + (ci >> 3)) << 6) | ((ri & 7) << 3)
                             | (ci & 7))


@inline_kernel
def nearest_row(tex, base, tiles_w, wmax, hmax, txi, tyi, sxi, syi, texels):
    """texels[col]: the texel word under pixel col (fixed-point coordinates, see FRAC)."""
    for col in range(texels.shape[0]):
        ci = min(max(txi >> FRAC, 0), wmax)
        ri = min(max(tyi >> FRAC, 0), hmax)
        scratch_store(texels, col, table_load(tex, base + tiled(tiles_w, ri, ci)))
        txi += sxi
        tyi += syi


@inline_kernel
def nearest_row_inside(tex, base, tiles_w, txi, tyi, sxi, syi, texels):
    """nearest_row for a row whose texels all lie inside the level (no clamping)."""
    for col in range(texels.shape[0]):
        ci = (txi + col * sxi) >> FRAC
        ri = (tyi + col * syi) >> FRAC
        scratch_store(texels, col, table_load(tex, base + tiled(tiles_w, ri, ci)))


@kernel
def bilinear_row_inside(tex, base, tiles_w, txi, tyi, sxi, syi, texels):
    """bilinear_row for a row whose 2 x 2 blocks all lie inside the level (no clamping)."""
    row_step = (tiles_w << 6) - 64  # from the last texel row of a tile to the next tile's
    for col in range(texels.shape[0]):
        fx = (txi + col * sxi - HALF) >> (FRAC - 8)
        fy = (tyi + col * syi - HALF) >> (FRAC - 8)
        x0 = fx >> 8
        y0 = fy >> 8
        wx = fx & 255
        wy = fy & 255
        i00 = base + tiled(tiles_w, y0, x0)
        dx = 57 if (x0 & 7) == 7 else 1
        dy = 8 + row_step if (y0 & 7) == 7 else 8
        scratch_store(texels, col, _filtered(tex, i00, dx, dy, wx, wy))


@kernel
def bilinear_row_axis(tex, base, tiles_w, txi, tyi, sxi, syi, strip, texels):
    """bilinear_row_inside for a row whose texel path runs along a texture axis (sxi or
    syi is 0), filtered separably: the same texels and weights, rounded after each of
    the two blends (so a channel may differ from the general path's by one). Returns
    False, having done nothing, when ``strip`` (uint32 workspace) is too short for the
    row's path.

    Across the path the texel coordinate and its weight are the same for the whole
    row: the two texels across the path are blended once per texel along it into
    ``strip``, and every pixel then blends two neighbouring words of it (one weight)
    instead of four texels found through the tiled layout (three weights). All in 32-bit
    words (red and blue share one, green takes another): twice the pixels a vector of
    64-bit lanes holds, and no 64-bit multiplies, which AVX2 lacks.
    """
    n = texels.shape[0]
    along_y = sxi == 0
    fa = ((txi if along_y else tyi) - HALF) >> (FRAC - 8)
    across = fa >> 8
    w_across = np.uint32(fa & 255)
    start = (tyi if along_y else txi) - HALF
    step = syi if along_y else sxi
    first = (start >> (FRAC - 8)) >> 8
    last = ((start + (n - 1) * step) >> (FRAC - 8)) >> 8
    lo = min(first, last)
    m = max(first, last) - lo + 2
    if m > strip.shape[0]:
        return False
    # strip[j]: path texel lo + j, its two texels across the path blended (rounded), as a
    # texel word 0xSSRRGGBB with the semantic byte of the one under the path.
    # The strip is read back under a restrict scope, never with table_load (see
    # scratch_store); scopes 3 and 4: the ground kernel's light rows (ground_light) take 0-2.
    if along_y:  # across is x
        for j in range(m):
            i0 = base + tiled(tiles_w, lo + j, across)
            i1 = base + tiled(tiles_w, lo + j, across + 1)
            scratch_store(strip, j, _lerp(table_load(tex, i0), table_load(tex, i1), w_across))
    else:  # across is y
        for j in range(m):
            i0 = base + tiled(tiles_w, across, lo + j)
            i1 = base + tiled(tiles_w, across + 1, lo + j)
            scratch_store(strip, j, _lerp(table_load(tex, i0), table_load(tex, i1), w_across))
    for col in range(n):
        f = (start + col * step) >> (FRAC - 8)
        k = (f >> 8) - lo
        a = restrict_load(3, strip, k)
        b = restrict_load(3, strip, k + 1)
        restrict_store(4, texels, col, _lerp(a, b, np.uint32(f & 255)))
    return True


@inline_kernel
def _lerp(p0, p1, w):
    """Texel words p0 and p1 (uint32 0xSSRRGGBB) blended by weight w (uint32, 0-255) of p1
    in 1/256, each channel rounded, with the semantic byte of the nearer one (p1 from w =
    128). Red and blue share a word (16-bit lanes: at most 255 * 256 + 128, no carry)."""
    # (numba computes integers in 64 bits: each sum is cut back to 32 bits before the
    # shift, so LLVM keeps the loop in 32-bit lanes)
    keep = np.uint32(np.uint32(256) - w)
    rb = np.uint32(np.uint32(np.uint32((p0 & _RB) * keep) + np.uint32((p1 & _RB) * w))
                   + np.uint32(0x800080)) >> np.uint32(8)
    g = np.uint32(np.uint32(np.uint32((p0 & _G) * keep) + np.uint32((p1 & _G) * w))
                  + np.uint32(0x8000)) >> np.uint32(8)
    under = (p1 if w >= np.uint32(128) else p0) & np.uint32(0xFF000000)
    return np.uint32(under | (rb & _RB) | (g & _G))


_RB = np.uint32(0xFF00FF)
_G = np.uint32(0xFF00)


@kernel
def bilinear_row(tex, base, tiles_w, wmax, hmax, txi, tyi, sxi, syi, texels):
    """texels[col]: semantic byte of the texel under pixel col, colour filtered bilinearly
    over the 2 x 2 texels round it (texel centres at k + 0.5; 8-bit weights)."""
    for col in range(texels.shape[0]):
        fx = max(txi - HALF, 0) >> (FRAC - 8)
        fy = max(tyi - HALF, 0) >> (FRAC - 8)
        x0 = min(fx >> 8, wmax)
        y0 = min(fy >> 8, hmax)
        wx = fx & 255
        wy = fy & 255
        # neighbours at +dx and +dy words (across a tile edge: in the next tile)
        i00 = base + tiled(tiles_w, y0, x0)
        dx = 0 if x0 >= wmax else (1 if (x0 & 7) != 7 else 57)
        dy = 0 if y0 >= hmax else (8 if (y0 & 7) != 7 else (tiles_w << 6) - 56)
        scratch_store(texels, col, _filtered(tex, i00, dx, dy, wx, wy))
        txi += sxi
        tyi += syi


@inline_kernel
def _filtered(tex, i00, dx, dy, wx, wy):
    """The texel word of a pixel: the 2 x 2 block at i00 (neighbours at +dx and +dy
    words) blended, see _blend."""
    return _blend(np.int64(table_load(tex, i00)), np.int64(table_load(tex, i00 + dx)),
                  np.int64(table_load(tex, i00 + dy)), np.int64(table_load(tex, i00 + dy + dx)),
                  wx, wy)


@inline_kernel
def _blend(p00, p01, p10, p11, wx, wy):
    """The texel word of a pixel from its 2 x 2 block (p01: the +x neighbour of p00,
    p10 its +y neighbour) blended bilinearly (weights wx, wy in 1/256), with the
    semantic byte of the block's corner nearest the pixel centre (the texel under it)."""
    top = p01 if wx >= 128 else p00
    bottom = p11 if wx >= 128 else p10
    under = bottom if wy >= 128 else top
    return np.uint32((under & 0xFF000000) | bilinear_packed(p00, p01, p10, p11, wx, wy))


@inline_kernel
def tiled(tiles_w, ri, ci):
    """Offset of texel (ri, ci) inside a level (8 x 8 tiles, tiles row by row)."""
    return (((ri >> 3) * tiles_w + (ci >> 3)) << 6) | ((ri & 7) << 3) | (ci & 7)


@inline_kernel
def bilinear_packed(p00, p01, p10, p11, wx, wy):
    """Bilinear blend of four packed 0xRRGGBB texels, wx, wy in 1/256 (0-255), rounded.

    The weights are integers summing to 256: red and blue share one word (16-bit
    lanes hold at most 255 * 256 + 128, no carry between them) and green takes
    another, so a texel costs two masks and two multiplies for its three channels.
    """
    w11 = (wx * wy + 128) >> 8
    w01 = wx - w11
    w10 = wy - w11
    w00 = 256 - wx - wy + w11
    rb = ((p00 & 0xFF00FF) * w00 + (p01 & 0xFF00FF) * w01 + (p10 & 0xFF00FF) * w10
          + (p11 & 0xFF00FF) * w11 + 0x800080)
    g = ((p00 & 0xFF00) * w00 + (p01 & 0xFF00) * w01 + (p10 & 0xFF00) * w10
         + (p11 & 0xFF00) * w11 + 0x8000)
    return ((rb >> 8) & 0xFF00FF) | ((g >> 8) & 0xFF00)
