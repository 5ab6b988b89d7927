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
from simdrive.render.raster import (
    L_B,
    L_COS,
    L_DX,
    L_DY,
    L_DZ,
    L_G,
    L_R,
    L_RAMP,
    L_RANGE,
    L_X,
    L_Y,
    L_Z,
    fog_factor,
    pack_rgb,
)

# ground parameter block
G_TEXEL, G_X0, G_Y0, G_ORTHO, G_FX, G_MPP, G_FAR, G_TINT, G_FOG_RGB, G_FOG_SCALE = \
    0, 1, 2, 3, 4, 5, 6, 7, 10, 13
G_COUNT = 14

SKY_LUT = 64  # sky colour by elevation, from the horizon (0) to the zenith
FRAC = 24  # fractional bits of the fixed-point texel coordinates along a row
ONE, ONE_I, HALF = float(1 << FRAC), 1 << FRAC, 1 << (FRAC - 1)
LIGHT_STEP = 8  # ground light is sampled every LIGHT_STEP columns and interpolated
CONE_MARGIN_PX = 2.0  # slack of the light-cone span on a row (the per-pixel test is exact)


@inline_kernel
def texel_index(lvl_off, lvl_w, level, ri, ci):
    """Index in ``tex`` of texel (ri, ci) of ``level`` (8 x 8 tiles, tiles row by row)."""
    tiles_w = (lvl_w[level] + 7) >> 3
    return lvl_off[level] + ((((ri >> 3) * tiles_w + (ci >> 3)) << 6) | ((ri & 7) << 3)
                             | (ci & 7))


@inline_kernel
def _level(foot, inv_texel, n_levels):
    mant, ex = math.frexp(foot * inv_texel)
    level = ex if mant >= 0.7071 else ex - 1
    return min(max(level, 0), n_levels - 1)


@kernel
def draw_ground(ray, g, tex, lvl_off, lvl_w, lvl_h, sky_lut, sky_sem, lights, fog_lut,
                light_row, texels, colour, depth, inst, sem):
    """Write ground or sky colour, depth (m, inf for sky), inst -1 and semantic class.

    tex: uint32 0xSSRRGGBB texel words, level k at lvl_off[k], lvl_w[k] x
    lvl_h[k] texels in 8 x 8 tiles; sky_lut: (SKY_LUT,) packed sky colours;
    light_row: (W, 3) float64 zeros, a workspace left zeroed; texels: (W,)
    uint32 workspace. When the camera
    has no roll, a whole image row sees the ground at one depth: depth, fog and
    mip level are computed once per row and texture coordinates advance linearly.
    """
    h, w = colour.shape
    level_row = abs(ray[14]) < 1e-12 and abs(ray[5]) < 1e-12
    for row in range(h):
        if level_row:
            _ground_row(row, ray, g, tex, lvl_off, lvl_w, lvl_h, sky_lut, sky_sem, lights,
                        fog_lut, light_row, texels, colour, depth, inst, sem)
        else:
            for col in range(w):
                _ground_pixel(row, col, ray, g, tex, lvl_off, lvl_w, lvl_h, sky_lut, sky_sem,
                              lights, fog_lut, colour, depth, inst, sem)


@kernel
def _sky(row, c0, c1, dz, dnorm, sky_lut, sky_sem, colour, depth, inst, sem):
    elev = max(0.0, dz / dnorm)
    k = min(SKY_LUT - 1, int(math.sqrt(elev) * SKY_LUT))
    for col in range(c0, c1):
        colour[row, col] = sky_lut[k]
        depth[row, col] = np.float32(math.inf)
        inst[row, col] = -1
        sem[row, col] = sky_sem


@kernel
def _ground_row(row, ray, g, tex, lvl_off, lvl_w, lvl_h, sky_lut, sky_sem, lights, fog_lut,
                light_row, texels, colour, depth, inst, sem):
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
        _sky(row, 0, w, dz, dnorm, sky_lut, sky_sem, colour, depth, inst, sem)
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
    lit = _splat_row_lights(ax, bx, ay, by, w, lights, light_row)
    depth_value = np.float32(t)
    keep = 1.0 - f
    # near the camera a texel covers several pixels: filter bilinearly there
    magnified = foot * inv_texel < 1.0
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
    end_x = txi + (w - 1) * sxi
    end_y = tyi + (w - 1) * syi
    inside = (min(txi, end_x) >= ONE_I and max(txi, end_x) < (wmax - 1) * ONE_I
              and min(tyi, end_y) >= ONE_I and max(tyi, end_y) < (hmax - 1) * ONE_I)
    if magnified and inside:
        _bilinear_row_inside(tex, base, tiles_w, txi, tyi, sxi, syi, texels)
    elif magnified:
        _bilinear_row(tex, base, tiles_w, wmax, hmax, txi, tyi, sxi, syi, texels)
    elif inside:
        _nearest_row_inside(tex, base, tiles_w, txi, tyi, sxi, syi, texels)
    else:
        _nearest_row(tex, base, tiles_w, wmax, hmax, txi, tyi, sxi, syi, texels)
    for col in range(w):
        sem[row, col] = np.uint8(texels[col] >> 24)
    if lit:
        for col in range(w):  # light sampled every LIGHT_STEP columns, linear in between
            q = texels[col]
            j = col // LIGHT_STEP
            f = (col - j * LIGHT_STEP) * (1.0 / LIGHT_STEP)
            lr = light_row[j, 0] + (light_row[j + 1, 0] - light_row[j, 0]) * f
            lg = light_row[j, 1] + (light_row[j + 1, 1] - light_row[j, 1]) * f
            lb = light_row[j, 2] + (light_row[j + 1, 2] - light_row[j, 2]) * f
            colour[row, col] = pack_rgb(((q >> 16) & 255) * (ar + lr * keep) + br,
                                        ((q >> 8) & 255) * (ag + lg * keep) + bg,
                                        (q & 255) * (ab + lb * keep) + bb)
    else:
        for col in range(w):
            q = texels[col]
            r = min(255, (((q >> 16) & 255) * mr + add_r) >> 16)
            gg = min(255, (((q >> 8) & 255) * mg + add_g) >> 16)
            b = min(255, ((q & 255) * mb + add_b) >> 16)
            colour[row, col] = np.uint32((r << 16) | (gg << 8) | b)
    if lit:
        for j in range((w - 1) // LIGHT_STEP + 2):
            light_row[j, 0] = 0.0
            light_row[j, 1] = 0.0
            light_row[j, 2] = 0.0
    # constant per row: separate loops the compiler turns into vector stores
    for col in range(w):
        depth[row, col] = depth_value
    for col in range(w):
        inst[row, col] = -1


@inline_kernel
def _nearest_row(tex, base, tiles_w, wmax, hmax, txi, tyi, sxi, syi, texels):
    """texels[col]: the texel word under pixel col (fixed-point coordinates, see FRAC)."""
    for col in range(texels.shape[0]):
        ci = min(max(txi >> FRAC, 0), wmax)
        ri = min(max(tyi >> FRAC, 0), hmax)
        texels[col] = tex[base + _tiled(tiles_w, ri, ci)]
        txi += sxi
        tyi += syi


@inline_kernel
def _nearest_row_inside(tex, base, tiles_w, txi, tyi, sxi, syi, texels):
    """_nearest_row for a row whose texels all lie inside the level (no clamping)."""
    for col in range(texels.shape[0]):
        ci = (txi + col * sxi) >> FRAC
        ri = (tyi + col * syi) >> FRAC
        texels[col] = tex[base + _tiled(tiles_w, ri, ci)]


@kernel
def _bilinear_row_inside(tex, base, tiles_w, txi, tyi, sxi, syi, texels):
    """_bilinear_row for a row whose 2 x 2 blocks all lie inside the level (no clamping)."""
    row_step = (tiles_w << 6) - 64  # from the last texel row of a tile to the next tile's
    for col in range(texels.shape[0]):
        fx = (txi + col * sxi - HALF) >> (FRAC - 8)
        fy = (tyi + col * syi - HALF) >> (FRAC - 8)
        x0 = fx >> 8
        y0 = fy >> 8
        wx = fx & 255
        wy = fy & 255
        i00 = base + _tiled(tiles_w, y0, x0)
        dx = 57 if (x0 & 7) == 7 else 1
        dy = 8 + row_step if (y0 & 7) == 7 else 8
        p00, p01 = np.int64(tex[i00]), np.int64(tex[i00 + dx])
        p10, p11 = np.int64(tex[i00 + dy]), np.int64(tex[i00 + dy + dx])
        top = p01 if wx >= 128 else p00
        bottom = p11 if wx >= 128 else p10
        under = bottom if wy >= 128 else top
        texels[col] = np.uint32((under & 0xFF000000) | _bilinear_packed(p00, p01, p10, p11,
                                                                         wx, wy))


@kernel
def _bilinear_row(tex, base, tiles_w, wmax, hmax, txi, tyi, sxi, syi, texels):
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
        i00 = base + _tiled(tiles_w, y0, x0)
        dx = 0 if x0 >= wmax else (1 if (x0 & 7) != 7 else 57)
        dy = 0 if y0 >= hmax else (8 if (y0 & 7) != 7 else (tiles_w << 6) - 56)
        p00, p01 = np.int64(tex[i00]), np.int64(tex[i00 + dx])
        p10, p11 = np.int64(tex[i00 + dy]), np.int64(tex[i00 + dy + dx])
        # the texel under the pixel centre is the block's corner nearest to it
        top = p01 if wx >= 128 else p00
        bottom = p11 if wx >= 128 else p10
        under = bottom if wy >= 128 else top
        q = _bilinear_packed(p00, p01, p10, p11, wx, wy)
        texels[col] = np.uint32((under & 0xFF000000) | q)
        txi += sxi
        tyi += syi


@inline_kernel
def _tiled(tiles_w, ri, ci):
    """Offset of texel (ri, ci) inside a level (8 x 8 tiles, tiles row by row)."""
    return (((ri >> 3) * tiles_w + (ci >> 3)) << 6) | ((ri & 7) << 3) | (ci & 7)


@inline_kernel
def _spread(p):
    """0x00RRGGBB -> 0x0000_00RR_00GG_00BB: one 16-bit lane per channel."""
    p = np.int64(p)
    return (p & 0xFF) | ((p & 0xFF00) << 8) | ((p & 0xFF0000) << 16)


@inline_kernel
def _bilinear_packed(p00, p01, p10, p11, wx, wy):
    """Bilinear blend of four packed 0xRRGGBB texels, wx, wy in 1/256 (0-255), rounded.

    The weights are integers summing to 256, so each 16-bit lane of the
    spread words holds at most 255 * 256 + 128: one multiply per texel for all
    three channels, no carry between them.
    """
    w11 = (wx * wy + 128) >> 8
    w01 = wx - w11
    w10 = wy - w11
    w00 = 256 - wx - wy + w11
    acc = (_spread(p00) * w00 + _spread(p01) * w01 + _spread(p10) * w10 + _spread(p11) * w11
           + 0x0000_0080_0080_0080)
    return ((acc >> 24) & 0xFF0000) | ((acc >> 16) & 0xFF00) | ((acc >> 8) & 0xFF)


@kernel
def _splat_row_lights(ax, bx, ay, by, w, lights, light_row):
    """Add each light's gain to light_row over the columns within its range and cone.

    The row's ground points are (ax + u bx, ay + u by) at pixel centre u; the
    columns a light can reach solve a quadratic. The gain is sampled at columns
    0, LIGHT_STEP, 2 LIGHT_STEP, ... into light_row[col // LIGHT_STEP] (light
    varies slowly along a row; the pixel loop interpolates). Returns whether
    any sample was lit.
    """
    lit = False
    a = bx * bx + by * by
    for k in range(lights.shape[0]):
        ex, ey = ax - lights[k, L_X], ay - lights[k, L_Y]
        reach2 = lights[k, L_RANGE] ** 2 - lights[k, L_Z] ** 2
        if reach2 <= 0.0:
            continue
        b = 2.0 * (bx * ex + by * ey)
        c = ex * ex + ey * ey - reach2
        if a <= 0.0:
            if c >= 0.0:
                continue
            u0, u1 = 0.0, float(w)
        else:
            disc = b * b - 4.0 * a * c
            if disc <= 0.0:
                continue
            root = math.sqrt(disc)
            u0 = (-b - root) / (2.0 * a)
            u1 = (-b + root) / (2.0 * a)
        u0, u1 = _cone_span(ax, bx, ay, by, lights, k, u0, u1)
        if u0 > u1:
            continue
        c0 = max(0, int(math.ceil(u0 - 0.5)))
        c1 = min(w - 1, int(math.floor(u1 - 0.5)))
        if c0 > c1:
            continue
        inv_range, inv_edge, inv_ramp = _light_inverses(lights, k)
        for j in range(c0 // LIGHT_STEP, c1 // LIGHT_STEP + 2):
            u = j * LIGHT_STEP + 0.5
            gr, gg, gb = _gain(ax + u * bx, ay + u * by, lights, k, inv_range, inv_edge,
                               inv_ramp)
            if gr > 0.0 or gg > 0.0 or gb > 0.0:
                light_row[j, 0] += gr
                light_row[j, 1] += gg
                light_row[j, 2] += gb
                lit = True
    return lit


@inline_kernel
def _cone_span(ax, bx, ay, by, lights, k, u0, u1):
    """Narrow [u0, u1] (pixel u along the row) to the part inside light k's cone, plus a margin.

    Only saves work: _light_gain still tests every pixel, so the span may be
    too wide but never too narrow (a margin of CONE_MARGIN_PX covers rounding).
    On the row, the light-to-point vector is e(u) = (ex + u bx, ey + u by, -z);
    inside the cone D.e >= cos |e|, i.e. s(u) = alpha + beta u >= 0 and
    q(u) = s(u)^2 - cos^2 |e(u)|^2 >= 0, a quadratic in u.
    """
    cos = lights[k, L_COS]
    if cos <= 0.0:
        return u0, u1
    ex, ey, ez = ax - lights[k, L_X], ay - lights[k, L_Y], -lights[k, L_Z]
    dx, dy, dz = lights[k, L_DX], lights[k, L_DY], lights[k, L_DZ]
    alpha = dx * ex + dy * ey + dz * ez
    beta = dx * bx + dy * by
    if beta > 0.0:
        u0 = max(u0, -alpha / beta - CONE_MARGIN_PX)
    elif beta < 0.0:
        u1 = min(u1, -alpha / beta + CONE_MARGIN_PX)
    elif alpha < 0.0:
        return 1.0, 0.0
    c2 = cos * cos
    a2 = beta * beta - c2 * (bx * bx + by * by)
    a1 = 2.0 * alpha * beta - c2 * 2.0 * (bx * ex + by * ey)
    a0 = alpha * alpha - c2 * (ex * ex + ey * ey + ez * ez)
    scale = beta * beta + c2 * (bx * bx + by * by)
    if abs(a2) <= 1e-9 * scale:
        return u0, u1  # nearly linear: no narrowing
    disc = a1 * a1 - 4.0 * a2 * a0
    if disc <= 0.0:
        return (u0, u1) if a2 > 0.0 else (1.0, 0.0)
    root = math.sqrt(disc)
    r1 = (-a1 - root) / (2.0 * a2)
    r2 = (-a1 + root) / (2.0 * a2)
    if r1 > r2:
        r1, r2 = r2, r1
    if a2 < 0.0:  # inside between the roots
        return max(u0, r1 - CONE_MARGIN_PX), min(u1, r2 + CONE_MARGIN_PX)
    # outside between the roots; the cone side is one of the two rays
    if r1 + CONE_MARGIN_PX <= u0:
        u0 = max(u0, r2 - CONE_MARGIN_PX)
    if r2 - CONE_MARGIN_PX >= u1:
        u1 = min(u1, r1 + CONE_MARGIN_PX)
    return u0, u1


@kernel
def _ground_pixel(row, col, ray, g, tex, lvl_off, lvl_w, lvl_h, sky_lut, sky_sem, lights,
                  fog_lut, colour, depth, inst, sem):
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
        _sky(row, col, col + 1, dz, dnorm, sky_lut, sky_sem, colour, depth, inst, sem)
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
        a, b, c = _light_gain(wx, wy, lights, k)
        lr += a
        lg += b
        lb += c
    out_r = ((p >> 16) & 255) * (g[G_TINT] + lr) * (1.0 - f) + g[G_FOG_RGB] * f
    out_g = ((p >> 8) & 255) * (g[G_TINT + 1] + lg) * (1.0 - f) + g[G_FOG_RGB + 1] * f
    out_b = (p & 255) * (g[G_TINT + 2] + lb) * (1.0 - f) + g[G_FOG_RGB + 2] * f
    colour[row, col] = pack_rgb(out_r, out_g, out_b)
    depth[row, col] = np.float32(t)
    inst[row, col] = -1
    sem[row, col] = np.uint8(p >> 24)


@inline_kernel
def _light_gain(wx, wy, lights, k):
    """(r, g, b) gain of light k on the ground point (wx, wy)."""
    inv_range, inv_edge, inv_ramp = _light_inverses(lights, k)
    return _gain(wx, wy, lights, k, inv_range, inv_edge, inv_ramp)


@inline_kernel
def _light_inverses(lights, k):
    """Reciprocals _gain needs (computed once per light and row, not per pixel)."""
    ramp = lights[k, L_RAMP]
    return (1.0 / lights[k, L_RANGE], 1.0 / ((1.0 - lights[k, L_COS]) * 0.85),
            1.0 / ramp if ramp > 0.0 else 0.0)


@inline_kernel
def _gain(wx, wy, lights, k, inv_range, inv_edge, inv_ramp):
    dx = wx - lights[k, L_X]
    dy = wy - lights[k, L_Y]
    dz = -lights[k, L_Z]
    rng = lights[k, L_RANGE]
    dist2 = dx * dx + dy * dy + dz * dz
    if dist2 >= rng * rng:
        return 0.0, 0.0, 0.0
    dot = dx * lights[k, L_DX] + dy * lights[k, L_DY] + dz * lights[k, L_DZ]
    dist = math.sqrt(dist2)
    if dot < lights[k, L_COS] * dist:
        return 0.0, 0.0, 0.0
    # soft beam edge over the outer part of the cone
    edge = min(1.0, (dot / dist - lights[k, L_COS]) * inv_edge)
    edge = edge * edge * (3.0 - 2.0 * edge)
    fall = 1.0 - dist * inv_range
    near = min(1.0, max(0.0, (dist - 1.0) * inv_ramp)) if inv_ramp > 0.0 else 1.0
    gain = fall * fall * edge * near * near * (3.0 - 2.0 * near)
    return lights[k, L_R] * gain, lights[k, L_G] * gain, lights[k, L_B] * gain
