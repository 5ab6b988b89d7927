"""numba kernel of the ground and sky pass: one ray-plane intersection per pixel.

For pixel (u, v) the camera ray is origin o + t * d with o and d linear in
(u, v) (``ray`` block: o0, ou, ov, d0, du, dv, world frame). d is scaled so that
its camera-z component is 1: the hit parameter t is the pixel's depth. The
ground texture is a mip pyramid of packed colours; the level is picked per
pixel from the pixel's footprint on the ground (geometric mean of its extent
across and along the ray), so distant markings are averaged, not aliased.
"""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import inline_kernel, kernel
from simdrive.render.fill import pack_rgb
from simdrive.render.ground_light import LIGHT_SHIFT, LIGHT_STEP, light_gain, splat_row_lights
from simdrive.render.texels import (
    ONE,
    ONE_I,
    bilinear_row,
    bilinear_row_axis,
    bilinear_row_inside,
    nearest_row,
    nearest_row_inside,
    texel_index,
)

# ground parameter block
G_TEXEL, G_X0, G_Y0, G_ORTHO, G_FX, G_MPP, G_FAR, G_TINT, G_FOG_RGB, G_FOG_SCALE = \
    0, 1, 2, 3, 4, 5, 6, 7, 10, 13
G_COUNT = 14

SKY_LUT = 64  # sky colour by elevation, from the horizon (0) to the zenith
# rows where a texel spans at least 1 / MAGNIFIED_BELOW pixels are filtered; farther
# rows take the texel under the pixel centre from the mip level of their footprint
# (0.5 saved 0.18 ms a frame but made marking edges visibly step where it switches)
MAGNIFIED_BELOW = 1.0


@inline_kernel
def fog_factor(fog_lut, scale, z):
    """The fog fraction at depth z (m): fog_lut's entry of its bin, scale bins a metre."""
    k = int(z * scale)
    if k >= fog_lut.shape[0]:
        k = fog_lut.shape[0] - 1
    return fog_lut[k]


@inline_kernel
def _level(foot, inv_texel, n_levels):
    mant, ex = math.frexp(foot * inv_texel)
    level = ex if mant >= 0.7071 else ex - 1
    return min(max(level, 0), n_levels - 1)


@kernel
def draw_ground(ray, g, tex, lvl_off, lvl_w, lvl_h, sky_lut, sky_sem, lights, fog_lut,
                light_row, strip, texels, colour, depth, sem, row_depth):
    """Write ground or sky colour, depth (m, inf for sky) and semantic class (the instance
    buffer is not this pass's: the renderer keeps it -1 wherever no actor drew, see
    simdrive.render.raster.undraw).

    row_depth: (H,) float32, the depth each row of ``depth`` holds wherever no actor drew
    (nan: not known), kept up to date here. With no roll a row's ground (or sky) is at one
    depth, the same from frame to frame for a camera at a fixed height and pitch: a row
    whose depth ``depth`` already holds is not written again (the renderer has put the
    rows' depths back where the last frame's actors drew, see undraw).

    tex: uint32 0xSSRRGGBB texel words, level k at lvl_off[k], lvl_w[k] x
    lvl_h[k] texels in 8 x 8 tiles; sky_lut: (SKY_LUT,) packed sky colours;
    light_row: (3, (W - 1) // LIGHT_STEP + 2) float64 zeros, a workspace left zeroed; strip: (W +
    LIGHT_STEP,) uint32 (a row's texel strip, see bilinear_row_axis) and texels: (W,)
    uint32 workspaces
    (none may overlap tex: the fetches are table loads, see simdrive.core._jit). When the camera
    has no roll, a whole image row sees the ground at one depth: depth, fog and
    mip level are computed once per row and texture coordinates advance linearly.
    """
    h, w = colour.shape
    level_row = abs(ray[14]) < 1e-12 and abs(ray[5]) < 1e-12
    for row in range(h):
        if level_row:
            _ground_row(row, ray, g, tex, lvl_off, lvl_w, lvl_h, sky_lut, sky_sem, lights,
                        fog_lut, light_row, strip, texels, colour, depth, sem, row_depth)
        else:
            row_depth[row] = np.float32(math.nan)  # depth per pixel: no row holds one
            for col in range(w):
                _ground_pixel(row, col, ray, g, tex, lvl_off, lvl_w, lvl_h, sky_lut, sky_sem,
                              lights, fog_lut, colour, depth, sem)


@kernel
def _sky(row, c0, c1, dz, dnorm, sky_lut, sky_sem, colour, sem):
    """Sky colour and class over columns c0 .. c1 - 1 of a row (its depth, inf: the
    caller's)."""
    elev = max(0.0, dz / dnorm)
    k = min(SKY_LUT - 1, int(math.sqrt(elev) * SKY_LUT))
    colour[row, c0:c1] = sky_lut[k]
    sem[row, c0:c1] = sky_sem


@inline_kernel
def _row_depth(row, value, depth, row_depth):
    """Row ``row`` of ``depth`` at ``value`` outside actors: written unless it holds it."""
    if row_depth[row] != value:  # (nan: never equal)
        depth[row].fill(value)
        row_depth[row] = value


@kernel
def _ground_row(row, ray, g, tex, lvl_off, lvl_w, lvl_h, sky_lut, sky_sem, lights, fog_lut,
                light_row, strip, texels, colour, depth, sem, row_depth):
    w = colour.shape[1]
    v = row + 0.5
    uc = w * 0.5
    dx_c = ray[9] + uc * ray[12] + v * ray[15]
    dy_c = ray[10] + uc * ray[13] + v * ray[16]
    dz = ray[11] + v * ray[17]
    oz = ray[2] + v * ray[8]
    dnorm = math.sqrt(dx_c * dx_c + dy_c * dy_c + dz * dz)
    t = -oz / dz if dz < -1e-12 else math.inf
    if not t <= g[G_FAR] or t <= 0.0:
        _sky(row, np.int64(0), w, dz, dnorm, sky_lut, sky_sem, colour, sem)
        _row_depth(row, np.float32(math.inf), depth, row_depth)
        return
    ortho = g[G_ORTHO] != 0.0
    # world point of pixel centre u: (ax + u * bx, ay + u * by)
    ax = ray[0] + v * ray[6] + t * (ray[9] + v * ray[15])
    bx = ray[3] + t * ray[12]
    ay = ray[1] + v * ray[7] + t * (ray[10] + v * ray[16])
    by = ray[4] + t * ray[13]
    inv_texel = 1.0 / g[G_TEXEL]
    foot = (g[G_MPP] if ortho else t * dnorm / g[G_FX]) / math.sqrt(-dz / dnorm)
    level = _level(foot, inv_texel, lvl_off.shape[0])
    scale = inv_texel / (1 << level)
    tx = (ax + 0.5 * bx - g[G_X0]) * scale
    ty = (ay + 0.5 * by - g[G_Y0]) * scale
    sx = bx * scale
    sy = by * scale
    wmax = lvl_w[level] - 1
    hmax = lvl_h[level] - 1
    f = fog_factor(fog_lut, g[G_FOG_SCALE], t)
    ar, ag, ab = g[G_TINT] * (1.0 - f), g[G_TINT + 1] * (1.0 - f), g[G_TINT + 2] * (1.0 - f)
    br, bg, bb = g[G_FOG_RGB] * f, g[G_FOG_RGB + 1] * f, g[G_FOG_RGB + 2] * f
    lit = splat_row_lights(ax, bx, ay, by, w, lights, light_row)
    depth_value = np.float32(t)
    keep = 1.0 - f
    # near the camera a texel covers several pixels: filter bilinearly there
    magnified = foot * inv_texel < MAGNIFIED_BELOW
    tiles_w = (lvl_w[level] + 7) >> 3
    base = lvl_off[level]
    # texel coordinates in fixed point (FRAC bits) advance by an integer step per pixel
    txi = int(math.floor(tx * ONE))
    tyi = int(math.floor(ty * ONE))
    sxi = int(round(sx * ONE))
    syi = int(round(sy * ONE))
    # unlit rows: colour = (texel * mul + add) >> 16 per channel, rounded
    mr, mg, mb = int(ar * 65536.0 + 0.5), int(ag * 65536.0 + 0.5), int(ab * 65536.0 + 0.5)
    add_r = int(br * 65536.0 + 32768.0)
    add_g = int(bg * 65536.0 + 32768.0)
    add_b = int(bb * 65536.0 + 32768.0)
    # texels first (one loop per filter, no branches inside), then their colour
    # the texel path is a straight line: when both ends keep clear of the level's
    # borders, no pixel of the row needs clamping (same texels, fewer instructions)
    row_texels = texels[:w]
    inside = _inside(txi, tyi, sxi, syi, w - 1, wmax, hmax)
    # strip: the texel strip of an axis-aligned row (bilinear_row_axis)
    if magnified and inside:
        if not ((sxi == 0 or syi == 0)
                and bilinear_row_axis(tex, base, tiles_w, txi, tyi, sxi, syi, strip,
                                      row_texels)):
            bilinear_row_inside(tex, base, tiles_w, txi, tyi, sxi, syi, row_texels)
    elif magnified:
        bilinear_row(tex, base, tiles_w, wmax, hmax, txi, tyi, sxi, syi, row_texels)
    elif inside:
        nearest_row_inside(tex, base, tiles_w, txi, tyi, sxi, syi, row_texels)
    else:
        nearest_row(tex, base, tiles_w, wmax, hmax, txi, tyi, sxi, syi, row_texels)
    # whole-row views: the loops below index contiguous 1-D arrays and compile to SIMD code
    sem_row, colour_row = sem[row], colour[row]
    for col in range(w):
        sem_row[col] = np.uint8(row_texels[col] >> 24)
    # colours in 32-bit lanes (twice the pixels a vector of 64-bit ones): a channel times
    # its multiplier (capped at 2**24, see _capped) plus the fog stays below 2**32
    ar32, ag32, ab32 = np.uint32(add_r), np.uint32(add_g), np.uint32(add_b)
    if lit:
        # light sampled every LIGHT_STEP columns, linear in between: per block of
        # LIGHT_STEP pixels the channel multipliers (tint + light) * (1 - fog) in 1/65536
        # ramp from one sample to the next (_lit_block: one loop in 32-bit lanes)
        r0 = _ramp_end(ar, light_row[0, 0], keep)
        g0 = _ramp_end(ag, light_row[1, 0], keep)
        b0 = _ramp_end(ab, light_row[2, 0], keep)
        for j in range((w - 1) // LIGHT_STEP + 1):
            r1 = _ramp_end(ar, light_row[0, j + 1], keep)
            g1 = _ramp_end(ag, light_row[1, j + 1], keep)
            b1 = _ramp_end(ab, light_row[2, j + 1], keep)
            c0 = j * LIGHT_STEP
            if r0 == r1 and g0 == g1 and b0 == b1:  # no ramp (unlit, or evenly lit)
                _flat_block(row_texels, colour_row, c0, min(LIGHT_STEP, w - c0),
                            _capped32(r0), _capped32(g0), _capped32(b0), ar32, ag32, ab32)
            elif c0 + LIGHT_STEP <= w:  # a whole block: a constant count, unrolled SIMD code
                _lit_block(row_texels, colour_row, c0, LIGHT_STEP, r0, g0, b0, r1, g1, b1,
                           ar32, ag32, ab32)
            else:
                _lit_block(row_texels, colour_row, c0, w - c0, r0, g0, b0, r1, g1, b1,
                           ar32, ag32, ab32)
            r0, g0, b0 = r1, g1, b1
        for j in range((w - 1) // LIGHT_STEP + 2):
            light_row[0, j] = 0.0
            light_row[1, j] = 0.0
            light_row[2, j] = 0.0
    else:
        mr32, mg32, mb32 = _capped(mr), _capped(mg), _capped(mb)
        for col in range(w):
            q = row_texels[col]
            colour_row[col] = (_scaled(q, 16, mr32, ar32) << np.uint32(16)) \
                | (_scaled(q, 8, mg32, ag32) << np.uint32(8)) | _scaled(q, 0, mb32, ab32)
    _row_depth(row, depth_value, depth, row_depth)


@inline_kernel
def _scaled(q, shift, mul, add):
    """min(255, (channel * mul + add) >> 16) of the channel at bit ``shift`` of texel word q,
    in uint32 arithmetic."""
    c = np.uint32((q >> np.uint32(shift)) & np.uint32(255))
    return min(np.uint32(255), np.uint32(np.uint32(c * mul) + add) >> np.uint32(16))


@inline_kernel
def _ramp_end(tint, light, keep):
    """A lit ground channel's colour multiplier (tint + light) * (1 - fog) in 1/65536 at a
    light sample, capped at 2**27 (a gain of 2048: any channel above 0 gives 255 long
    before) so that LIGHT_STEP times it still fits 32 bits."""
    return np.uint32(min(int((tint + light * keep) * 65536.0 + 0.5), 1 << 27))


@inline_kernel
def _lit_block(texels, colour_row, c0, n, r0, g0, b0, r1, g1, b1, add_r, add_g, add_b):
    """Colours of pixels c0 .. c0 + n - 1 of a lit row (n <= LIGHT_STEP): the multipliers
    ramp linearly from (r0, g0, b0) at c0 to (r1, g1, b1) at c0 + LIGHT_STEP, rounded,
    (r0 (LIGHT_STEP - i) + r1 i + LIGHT_STEP / 2) >> LIGHT_SHIFT, computed as a start plus
    i steps in 32-bit modular arithmetic (the true value is below 2**32, so the same)."""
    half = np.uint32(LIGHT_STEP >> 1)
    step = np.uint32(LIGHT_STEP)
    start_r, start_g, start_b = np.uint32(r0 * step + half), np.uint32(g0 * step + half), \
        np.uint32(b0 * step + half)
    dr = np.uint32((np.int64(r1) - np.int64(r0)) & 0xFFFFFFFF)
    dg = np.uint32((np.int64(g1) - np.int64(g0)) & 0xFFFFFFFF)
    db = np.uint32((np.int64(b1) - np.int64(b0)) & 0xFFFFFFFF)
    shift = np.uint32(LIGHT_SHIFT)
    for i in range(n):
        k = np.uint32(i)
        mr = _capped32(np.uint32(np.uint32(start_r + np.uint32(k * dr)) >> shift))
        mg = _capped32(np.uint32(np.uint32(start_g + np.uint32(k * dg)) >> shift))
        mb = _capped32(np.uint32(np.uint32(start_b + np.uint32(k * db)) >> shift))
        q = texels[c0 + i]
        colour_row[c0 + i] = (_scaled(q, 16, mr, add_r) << np.uint32(16)) \
            | (_scaled(q, 8, mg, add_g) << np.uint32(8)) | _scaled(q, 0, mb, add_b)


@inline_kernel
def _flat_block(texels, colour_row, c0, n, mr, mg, mb, add_r, add_g, add_b):
    """Colours of pixels c0 .. c0 + n - 1 of a lit row where the multipliers do not ramp
    (both light samples alike: _lit_block's values, in fewer operations)."""
    for i in range(c0, c0 + n):
        q = texels[i]
        colour_row[i] = (_scaled(q, 16, mr, add_r) << np.uint32(16)) \
            | (_scaled(q, 8, mg, add_g) << np.uint32(8)) | _scaled(q, 0, mb, add_b)


@inline_kernel
def _capped(mul):
    """A pixel's channel multiplier for the 32-bit colour loops: at most 2**24 (x256), where
    any channel above 0 already gives 255 (so the colour is the same) and 255 * 2**24 plus
    the fog still fits 32 bits."""
    return np.uint32(min(mul, 1 << 24))


@inline_kernel
def _capped32(mul):
    """_capped of a uint32 multiplier."""
    return np.uint32(min(mul, np.uint32(1 << 24)))


@inline_kernel
def _inside(txi, tyi, sxi, syi, span, wmax, hmax):
    """Whether pixels 0..span of a row (fixed-point texel path) keep clear of the level's
    borders (then no texel fetch needs clamping)."""
    end_x = txi + span * sxi
    end_y = tyi + span * syi
    return (min(txi, end_x) >= ONE_I and max(txi, end_x) < (wmax - 1) * ONE_I
            and min(tyi, end_y) >= ONE_I and max(tyi, end_y) < (hmax - 1) * ONE_I)


@kernel
def _ground_pixel(row, col, ray, g, tex, lvl_off, lvl_w, lvl_h, sky_lut, sky_sem, lights,
                  fog_lut, colour, depth, sem):
    """The general case (a rolled camera): everything per pixel."""
    u = col + 0.5
    v = row + 0.5
    dx = ray[9] + u * ray[12] + v * ray[15]
    dy = ray[10] + u * ray[13] + v * ray[16]
    dz = ray[11] + u * ray[14] + v * ray[17]
    oz = ray[2] + u * ray[5] + v * ray[8]
    dnorm = math.sqrt(dx * dx + dy * dy + dz * dz)
    t = -oz / dz if dz < -1e-12 else math.inf
    if not t <= g[G_FAR] or t <= 0.0:
        _sky(row, col, col + 1, dz, dnorm, sky_lut, sky_sem, colour, sem)
        depth[row, col] = np.float32(math.inf)
        return
    wx = ray[0] + u * ray[3] + v * ray[6] + t * dx
    wy = ray[1] + u * ray[4] + v * ray[7] + t * dy
    inv_texel = 1.0 / g[G_TEXEL]
    foot = (g[G_MPP] if g[G_ORTHO] != 0.0 else t * dnorm / g[G_FX]) / math.sqrt(-dz / dnorm)
    level = _level(foot, inv_texel, lvl_off.shape[0])
    scale = inv_texel / (1 << level)
    ci = min(max(int(math.floor((wx - g[G_X0]) * scale)), 0), lvl_w[level] - 1)
    ri = min(max(int(math.floor((wy - g[G_Y0]) * scale)), 0), lvl_h[level] - 1)
    p = tex[texel_index(lvl_off, lvl_w, level, ri, ci)]
    f = fog_factor(fog_lut, g[G_FOG_SCALE], t)
    lr = lg = lb = 0.0
    for k in range(lights.shape[0]):
        a, b, c = light_gain(wx, wy, lights, k)
        lr += a
        lg += b
        lb += c
    out_r = ((p >> 16) & 255) * (g[G_TINT] + lr) * (1.0 - f) + g[G_FOG_RGB] * f
    out_g = ((p >> 8) & 255) * (g[G_TINT + 1] + lg) * (1.0 - f) + g[G_FOG_RGB + 1] * f
    out_b = (p & 255) * (g[G_TINT + 2] + lb) * (1.0 - f) + g[G_FOG_RGB + 2] * f
    colour[row, col] = pack_rgb(out_r, out_g, out_b)
    depth[row, col] = np.float32(t)
    sem[row, col] = np.uint8(p >> 24)


