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
    False, having done nothing, when ``strip`` (int64 workspace) is too short for the
    row's path.

    Across the path the texel coordinate and its weight are the same for the whole
    row: the two texels across the path are blended once per texel along it into
    ``strip``, and every pixel then blends two neighbouring words of it (one weight)
    instead of four texels found through the tiled layout (three weights).
    """
    n = texels.shape[0]
    along_y = sxi == 0
    fa = ((txi if along_y else tyi) - HALF) >> (FRAC - 8)
    across = fa >> 8
    w_across = np.int64(fa & 255)
    start = (tyi if along_y else txi) - HALF
    step = syi if along_y else sxi
    first = (start >> (FRAC - 8)) >> 8
    last = ((start + (n - 1) * step) >> (FRAC - 8)) >> 8
    lo = min(first, last)
    m = max(first, last) - lo + 2
    if m > strip.shape[0]:
        return False
    # strip[j]: path texel lo + j, its two texels across the path blended, as 16-bit
    # lanes 0x00RR_00GG_00BB, with the semantic byte of the one under the path on top.
    # The strip is read back under a restrict scope, never with table_load (see
    # scratch_store); scopes 3 and 4: the ground kernel's light rows (ground_light) take 0-2.
    if along_y:  # across is x
        for j in range(m):
            i0 = base + tiled(tiles_w, lo + j, across)
            i1 = base + tiled(tiles_w, lo + j, across + 1)
            scratch_store(strip, j, _across(np.int64(table_load(tex, i0)),
                                            np.int64(table_load(tex, i1)), w_across))
    else:  # across is y
        for j in range(m):
            i0 = base + tiled(tiles_w, across, lo + j)
            i1 = base + tiled(tiles_w, across + 1, lo + j)
            scratch_store(strip, j, _across(np.int64(table_load(tex, i0)),
                                            np.int64(table_load(tex, i1)), w_across))
    for col in range(n):
        f = (start + col * step) >> (FRAC - 8)
        k = (f >> 8) - lo
        w = np.int64(f & 255)
        a = restrict_load(3, strip, k)
        b = restrict_load(3, strip, k + 1)
        x = ((a & LANES) * (256 - w) + (b & LANES) * w + LANES_HALF) >> 8
        under = (b if w >= 128 else a) >> 56
        restrict_store(4, texels, col, np.uint32((under << 24) | ((x >> 16) & 0xFF0000)
                                                 | ((x >> 8) & 0xFF00) | (x & 0xFF)))
    return True


LANES = 0x00FF_00FF_00FF  # three 8-bit channels in 16-bit lanes
LANES_HALF = 0x0080_0080_0080


@inline_kernel
def _across(p0, p1, w):
    """Texels p0 and p1 (0xSSRRGGBB) blended by weight w of p1 (1/256, rounded), as lanes
    0x00RR_00GG_00BB, with the semantic byte of the nearer one in the top byte."""
    lanes = (((_lanes(p0) * (256 - w) + _lanes(p1) * w + LANES_HALF) >> 8) & LANES)
    return (((p1 if w >= 128 else p0) >> 24) << 56) | lanes


@inline_kernel
def _lanes(p):
    """0x..RRGGBB as 16-bit lanes 0x00RR_00GG_00BB."""
    return ((p & 0xFF0000) << 16) | ((p & 0xFF00) << 8) | (p & 0xFF)


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
