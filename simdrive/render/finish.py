"""The last passes: light glows and wet-road reflections and spray on the packed colour
buffer; every actor's visible pixel count and tight visible box from the instance
buffer (visible_stats); the optional motion blur of the packed colours
(simdrive.render.effects then writes the RGB image of the packed buffer).

No pass here moves a label: the label statistics read the instance buffer, which no
effect touches.
"""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import inline_kernel, kernel, restrict_load, restrict_store
from simdrive.core.glare import GLARE_MIN_DEG
from simdrive.render import blocks as B
from simdrive.render.fill import pack_rgb

# glow points
G_U, G_V, G_Z, G_R, G_G, G_B, G_RADIUS, G_REFLECT, G_GLARE, G_ACTOR = range(10)
G_COUNT = 10


@kernel
def add_glows(colour, depth, sem, points, road_min, road_max):
    """Additive halo round each visible light, and its streak on a wet road below it.

    points: (M, G_COUNT): image position (px), camera depth (m), colour
    (0-255, scaled by intensity), halo radius (px), reflection length (px, 0:
    none), veiling glare strength (add_glare), the actor whose lamp it is (-1: a
    street lamp). A light hidden behind something nearer than itself, or outside the
    image, draws nothing, and its glare strength is set to 0 here (so add_glare and
    veil_at, which run after, leave it out). Reflections only fall on pixels whose
    class is in [road_min, road_max].
    """
    h, w = colour.shape
    for k in range(points.shape[0]):
        u, v, z = points[k, G_U], points[k, G_V], points[k, G_Z]
        cu, cv = int(math.floor(u)), int(math.floor(v))
        if not (0 <= cu < w and 0 <= cv < h) or depth[cv, cu] < z - 0.3:
            points[k, G_GLARE] = 0.0  # a hidden or unseen lamp dazzles nobody (veil_at)
            continue
        rad = points[k, G_RADIUS]
        lr, lg, lb = points[k, G_R], points[k, G_G], points[k, G_B]
        r0 = max(0, int(v - rad))
        r1 = min(h - 1, int(v + rad) + 1)
        c0 = max(0, int(u - rad))
        c1 = min(w - 1, int(u + rad) + 1)
        inv = 1.0 / (rad * rad)
        for row in range(r0, r1 + 1):
            for col in range(c0, c1 + 1):
                d2 = ((col + 0.5 - u) ** 2 + (row + 0.5 - v) ** 2) * inv
                if d2 >= 1.0:
                    continue
                a = (1.0 - d2) * (1.0 - d2)
                _add(colour, row, col, lr * a, lg * a, lb * a)
        length = points[k, G_REFLECT]
        if length <= 0.0:
            continue
        half = max(1.0, rad * 0.35)
        for row in range(cv + 1, min(h, int(v + length))):
            fall = 1.0 - (row - v) / length
            for col in range(max(0, int(u - half)), min(w, int(u + half) + 1)):
                if road_min <= sem[row, col] <= road_max:
                    a = 0.45 * fall * (1.0 - abs(col + 0.5 - u) / (half + 1.0))
                    _add(colour, row, col, lr * a, lg * a, lb * a)


DEG2_PER_RAD2 = (180.0 / math.pi) ** 2


@inline_kernel
def lamp_ray(u, v, cam):
    """The unit ray (camera frame) through image position (u, v) of perspective camera
    block ``cam``."""
    x = (u - cam[B.C_CX]) / cam[B.C_FX]
    y = (v - cam[B.C_CY]) / cam[B.C_FY]
    n = math.sqrt(x * x + y * y + 1.0)
    return x / n, y / n, 1.0 / n


@inline_kernel
def glare_angle2(cos):
    """The squared angle (degrees^2, at least GLARE_MIN_DEG^2) of the glare law from the
    cosine between two rays: the angle taken as its chord, 2 sin(theta / 2) (2% short at
    40 degrees, where a lamp's glare is down to a 1600th of its value at 1 degree), which
    keeps the pixel loops free of trigonometry."""
    return max(DEG2_PER_RAD2 * (2.0 - 2.0 * cos), GLARE_MIN_DEG * GLARE_MIN_DEG)


@kernel
def veil_at(u, v, points, skip, cam):
    """Veiling glare (grey levels) at image position (u, v) of perspective camera block
    ``cam`` from the glare of every point but the lamps of actor ``skip``: the sum of
    G_GLARE / theta^2, theta the angle (glare_angle2) between the rays through (u, v) and
    the lamp, as Stiles and Holladay's disability glare L_v = 10 E / theta^2 falls off
    round a bright light; each lamp's term only where it reaches half a grey level, as
    add_glare draws it."""
    x0, y0, z0 = lamp_ray(u, v, cam)
    total = 0.0
    for k in range(points.shape[0]):
        strength = points[k, G_GLARE]
        if strength <= 0.0 or points[k, G_ACTOR] == skip:
            continue
        x1, y1, z1 = lamp_ray(points[k, G_U], points[k, G_V], cam)
        t = glare_angle2(x0 * x1 + y0 * y1 + z0 * z1)
        if t <= 2.0 * strength:
            total += strength / t
    return total


def add_glare(colour, points, cam):
    """Add the veiling glare of the points with a glare strength (veil_at) to the packed
    colours of perspective camera block ``cam`` (veil_at's grey levels in the lamp
    colour's brightest channel, the others in proportion): a haze round an oncoming car's
    headlights that lifts the dark and washes out what stands near them. Each lamp's is
    summed over the cone where it gives half a grey level or more (so a far, faint lamp
    costs a few hundred pixels, not the frame) and added where the sum of the three
    channels reaches 1.5."""
    lit = points[points[:, G_GLARE] > 0.0]
    if not lit.shape[0]:
        return
    h, w = colour.shape
    fx, fy, cx, cy = cam[B.C_FX], cam[B.C_FY], cam[B.C_CX], cam[B.C_CY]
    # per lamp: its unit ray, its colour over the brightest channel times its strength,
    # its strength, and the cosine of its half-level cone
    lamps = np.empty((lit.shape[0], 8))
    ray = np.stack([(lit[:, G_U] - cx) / fx, (lit[:, G_V] - cy) / fy,
                    np.ones(lit.shape[0])], axis=1)
    lamps[:, 0:3] = ray / np.sqrt((ray * ray).sum(axis=1))[:, None]
    rgb = lit[:, G_R:G_B + 1]
    lamps[:, 3:6] = rgb * (lit[:, G_GLARE] / rgb.max(axis=1))[:, None]
    lamps[:, 6] = lit[:, G_GLARE]
    lamps[:, 7] = 1.0 - lit[:, G_GLARE] / DEG2_PER_RAD2  # glare_angle2 = 2 strength there
    scratch = np.zeros((5, w))
    scratch[3] = (np.arange(w) + 0.5 - cx) / fx  # each column's ray x at z = 1
    _glare_rows(colour, lamps, cam, scratch, np.empty((lit.shape[0], 2), np.int64))


@inline_kernel
def _cone_span(a0, a1, a2, c, y, fx, cx, w):
    """Columns (first, last) of the image row whose rays (x, y, 1) have y, within the cone
    of axis (a0, a1, a2) and cosine c, with a pixel to spare each side: the interval of x
    where (x a0 + y a1 + a2)^2 >= c^2 (x^2 + y^2 + 1); the whole row when the cone is too
    wide for a bounded interval (a lamp a few metres away)."""
    if c <= 0.0:
        return 0, w - 1
    q = y * a1 + a2
    qa = a0 * a0 - c * c
    if qa >= 0.0:
        return 0, w - 1
    qb = 2.0 * a0 * q
    disc = qb * qb - 4.0 * qa * (q * q - c * c * (y * y + 1.0))
    if disc < 0.0:
        return 0, -1
    root = math.sqrt(disc)
    lo = cx + fx * (-qb + root) / (2.0 * qa) - 0.5  # qa < 0: the smaller root first
    hi = cx + fx * (-qb - root) / (2.0 * qa) - 0.5
    c0 = int(math.floor(max(-1.0, min(w + 0.0, lo)))) - 1
    c1 = int(math.floor(max(-1.0, min(w + 0.0, hi)))) + 2
    return max(0, c0), min(w - 1, c1)


@kernel
def _glare_rows(colour, lamps, cam, scratch, spans):
    """add_glare's loops; scratch: (5, W), rows 0-2 zeros (left zeros), row 3 each
    column's ray x, row 4 scratch; spans (M, 2) int64 scratch. Lamp-major within a row."""
    h, w = colour.shape
    fx, fy, cx, cy = cam[B.C_FX], cam[B.C_FY], cam[B.C_CX], cam[B.C_CY]
    floor = GLARE_MIN_DEG * GLARE_MIN_DEG
    acc_r, acc_g, acc_b, ray_x, inv = scratch[0], scratch[1], scratch[2], scratch[3], \
        scratch[4]
    for row in range(h):
        y = (row + 0.5 - cy) / fy
        r2 = y * y + 1.0
        lo, hi = w, -1
        for j in range(lamps.shape[0]):
            c0, c1 = _cone_span(lamps[j, 0], lamps[j, 1], lamps[j, 2], lamps[j, 7], y, fx, cx,
                                w)
            spans[j, 0], spans[j, 1] = c0, c1
            if c0 <= c1:
                lo, hi = min(lo, c0), max(hi, c1)
        for col in range(lo, hi + 1):  # 1 / the length of each pixel's ray (x, y, 1)
            x = restrict_load(3, ray_x, col)
            restrict_store(5, inv, col, 1.0 / math.sqrt(x * x + r2))
        for j in range(lamps.shape[0]):
            c0, c1 = spans[j, 0], spans[j, 1]
            a0 = DEG2_PER_RAD2 * 2.0 * lamps[j, 0]
            ya = DEG2_PER_RAD2 * 2.0 * (y * lamps[j, 1] + lamps[j, 2])
            lr, lg, lb = lamps[j, 3], lamps[j, 4], lamps[j, 5]
            limit = 2.0 * lamps[j, 6]
            for col in range(c0, c1 + 1):  # SIMD code: the rows never overlap
                x = restrict_load(3, ray_x, col)
                t = max(DEG2_PER_RAD2 * 2.0 - (x * a0 + ya) * restrict_load(5, inv, col),
                        floor)
                a = 1.0 / t if t <= limit else 0.0
                restrict_store(0, acc_r, col, restrict_load(0, acc_r, col) + a * lr)
                restrict_store(1, acc_g, col, restrict_load(1, acc_g, col) + a * lg)
                restrict_store(2, acc_b, col, restrict_load(2, acc_b, col) + a * lb)
        line = colour[row]
        for col in range(lo, hi + 1):  # no branch: add where the sum reaches 1.5 levels
            r = restrict_load(0, acc_r, col)
            g = restrict_load(1, acc_g, col)
            b = restrict_load(2, acc_b, col)
            restrict_store(0, acc_r, col, 0.0)
            restrict_store(1, acc_g, col, 0.0)
            restrict_store(2, acc_b, col, 0.0)
            p = restrict_load(4, line, col)
            q = pack_rgb(((p >> 16) & 255) + r, ((p >> 8) & 255) + g, (p & 255) + b)
            restrict_store(4, line, col, q if r + g + b >= 1.5 else p)


@kernel
def _add(colour, row, col, r, g, b):
    p = colour[row, col]
    colour[row, col] = pack_rgb(((p >> 16) & 255) + r, ((p >> 8) & 255) + g, (p & 255) + b)


@kernel
def visible_stats(inst, extent, vis_box, vis_count):
    """Every actor's visible pixel count and tight visible box, from the instance buffer.

    extent: (N, 4) int64 the rectangles the actor pass drew each actor into
    (col0, row0, col1, row1 inclusive; col1 < 0: none): an actor's pixels lie inside its
    own, so only that is scanned (a count loop per row, compiled to SIMD code; the
    first and last match of a row that has any give the box). vis_box: (N, 4) int64
    col0, row0, col1, row1 (inclusive), must come in as (W, H, -1, -1); vis_count: (N,)
    int64 zeros.
    """
    for a in range(extent.shape[0]):
        c0, r0, c1, r1 = extent[a, 0], extent[a, 1], extent[a, 2], extent[a, 3]
        if c1 < 0:
            continue
        value = np.int32(a)
        for row in range(r0, r1 + 1):
            line = inst[row, c0:c1 + 1]
            count = 0
            for col in range(line.shape[0]):
                count += line[col] == value
            if count == 0:
                continue
            vis_count[a] += count
            lo = 0
            while line[lo] != value:
                lo += 1
            hi = line.shape[0] - 1
            while line[hi] != value:
                hi -= 1
            vis_box[a, 0] = min(vis_box[a, 0], c0 + lo)
            vis_box[a, 2] = max(vis_box[a, 2], c0 + hi)
            vis_box[a, 1] = min(vis_box[a, 1], row)
            vis_box[a, 3] = row


@kernel
def motion_blur(src, dst, depth, tx, ty, tz, fx, fy, cx, cy, max_px):
    """Blur the packed colours src (H * W,) into dst (H, W) along the image motion of the
    static scene.

    (tx, ty, tz): the camera's displacement during the exposure, m, in camera
    axes; a pixel at depth z moves by ((u - cx) tz - fx tx) / z px horizontally
    (and likewise vertically). Five taps along that motion, capped at max_px.
    Red and blue are summed in one word and green in another (at most 5 x 255 a
    channel: no carries). Every access is scoped (restrict_load), so rows compile
    to SIMD gathers: src, dst and depth must not overlap in memory.
    """
    h, w = depth.shape
    if src.shape[0] != h * w or dst.shape[0] != h or dst.shape[1] != w:
        raise ValueError("motion_blur: src must be (H * W,) and dst (H, W), depth's size")
    for row in range(h):
        depth_row = depth[row]
        out = dst[row]
        for col in range(w):
            z = restrict_load(0, depth_row, col)
            if not z < 1e30:  # sky: no motion, the pixel as it is (its five taps' mean)
                restrict_store(2, out, col, restrict_load(1, src, row * w + col))
                continue
            fu = ((col + 0.5 - cx) * tz - fx * tx) / z
            fv = ((row + 0.5 - cy) * tz - fy * ty) / z
            n = math.sqrt(fu * fu + fv * fv)
            scale = max_px / n if n > max_px else 1.0
            fu *= scale
            fv *= scale
            rb = np.int64(0)
            g = np.int64(0)
            for k in range(5):
                f = (k - 2) / 4.0
                c = min(w - 1, max(0, int(col + f * fu)))
                q = min(h - 1, max(0, int(row + f * fv)))
                p = np.int64(restrict_load(1, src, q * w + c))
                rb += p & 0xFF00FF
                g += p & 0xFF00
            r = ((rb >> 16) + 2) // 5
            b = ((rb & 0xFFFF) + 2) // 5
            gg = ((g >> 8) + 2) // 5
            restrict_store(2, out, col, np.uint32((r << 16) | (gg << 8) | b))


# spray points
S_U, S_V, S_Z, S_RADIUS, S_ALPHA, S_R, S_G, S_B = range(8)
S_COUNT = 8


@kernel
def add_spray(colour, depth, points):
    """Veil of road spray: blend towards a grey round each point, in front of what lies
    behind it only (a nearer actor or the ground closer than it stays clear).

    points: (M, S_COUNT): image position (px), camera depth (m), radius (px),
    peak opacity (0-1) and colour (0-255).
    """
    h, w = colour.shape
    for k in range(points.shape[0]):
        u, v, z = points[k, S_U], points[k, S_V], points[k, S_Z]
        rad = points[k, S_RADIUS]
        peak = points[k, S_ALPHA]
        sr, sg, sb = points[k, S_R], points[k, S_G], points[k, S_B]
        r0 = max(0, int(v - rad))
        r1 = min(h - 1, int(v + rad * 0.6) + 1)  # flatter below: the spray hugs the road
        c0 = max(0, int(u - rad))
        c1 = min(w - 1, int(u + rad) + 1)
        inv = 1.0 / (rad * rad)
        for row in range(r0, r1 + 1):
            for col in range(c0, c1 + 1):
                if depth[row, col] < z - 1.0:
                    continue
                d2 = ((col + 0.5 - u) ** 2 + (row + 0.5 - v) ** 2) * inv
                if d2 >= 1.0:
                    continue
                a = peak * (1.0 - d2) * (1.0 - d2)
                p = colour[row, col]
                r = (p >> 16) & 255
                g = (p >> 8) & 255
                b = p & 255
                colour[row, col] = pack_rgb(r + (sr - r) * a, g + (sg - g) * a, b + (sb - b) * a)
