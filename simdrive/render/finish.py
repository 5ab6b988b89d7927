"""numba kernels of the last passes: light glows and wet-road reflections, then one
pass that applies precipitation, vignette and sensor noise to the packed colour
buffer and collects every actor's visible pixel count and tight visible box;
finish_image turns the packed buffer into the RGB image.

Image effects never move a label: the label statistics read the instance
buffer, which no effect touches.
"""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import inline_kernel, kernel
from simdrive.render.raster import pack_rgb

# glow points
G_U, G_V, G_Z, G_R, G_G, G_B, G_RADIUS, G_REFLECT = range(8)
G_COUNT = 8


@kernel
def add_glows(colour, depth, sem, points, road_min, road_max):
    """Additive halo round each visible light, and its streak on a wet road below it.

    points: (M, G_COUNT): image position (px), camera depth (m), colour
    (0-255, scaled by intensity), halo radius (px), reflection length (px, 0:
    none). A light hidden behind something nearer than itself draws nothing.
    Reflections only fall on pixels whose class is in [road_min, road_max].
    """
    h, w = colour.shape
    for k in range(points.shape[0]):
        u, v, z = points[k, G_U], points[k, G_V], points[k, G_Z]
        cu, cv = int(math.floor(u)), int(math.floor(v))
        if not (0 <= cu < w and 0 <= cv < h) or depth[cv, cu] < z - 0.3:
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


@kernel
def _add(colour, row, col, r, g, b):
    p = colour[row, col]
    colour[row, col] = pack_rgb(((p >> 16) & 255) + r, ((p >> 8) & 255) + g, (p & 255) + b)


@kernel
def finish(colour, inst, vis_box, vis_count, precip, precip_shift, precip_rgb, vig_x, vig_y,
           noise, noise_shift, precip_row, noise_row):
    """Apply the image effects to colour in place and collect per-actor visible statistics.

    colour: (H, W) uint32 0x00RRGGBB (its bytes are B, G, R, 0: finish_image
    turns it into RGB). precip: (P, P) uint8 streak/flake opacity tile, P a
    power of two (0 rows: none), shifted by precip_shift (2,) px; vig_x (W,),
    vig_y (H,) int64 gains in 1/256 (all 256: none); noise: (Q, Q) int16 tile,
    Q a power of two (0 rows: none), shifted by noise_shift (2,). precip_row,
    noise_row: (W,) int32 zeros, workspaces (the tiles' rows, rotated, so the
    pixel loop reads memory in order and has no branches). vis_box: (N, 4)
    int64 col0, row0, col1, row1 (inclusive), must come in as (w, h, -1, -1);
    vis_count: (N,) int64 zeros.
    """
    h, w = colour.shape
    pn = precip.shape[0]
    qn = noise.shape[0]
    pr, pg, pb = np.int32(precip_rgb[0]), np.int32(precip_rgb[1]), np.int32(precip_rgb[2])
    for row in range(h):
        if pn:
            prow = (row + precip_shift[1]) & (pn - 1)
            for col in range(w):
                precip_row[col] = precip[prow, (col + precip_shift[0]) & (pn - 1)]
        if qn:
            qrow = (row + noise_shift[1]) & (qn - 1)
            for col in range(w):
                noise_row[col] = noise[qrow, (col + noise_shift[0]) & (qn - 1)]
        gy = np.int32(vig_y[row])
        for col in range(w):
            p = colour[row, col]
            r = np.int32((p >> 16) & 255)
            g = np.int32((p >> 8) & 255)
            b = np.int32(p & 255)
            # streaks and flakes only ever lighten (they catch the light)
            a = precip_row[col]
            r += max(0, ((pr - r) * a) >> 8)
            g += max(0, ((pg - g) * a) >> 8)
            b += max(0, ((pb - b) * a) >> 8)
            gain = gy * np.int32(vig_x[col])
            n = noise_row[col]
            r = min(255, max(0, ((r * gain) >> 16) + n))
            g = min(255, max(0, ((g * gain) >> 16) + n))
            b = min(255, max(0, ((b * gain) >> 16) + n))
            colour[row, col] = np.uint32((r << 16) | (g << 8) | b)
        _row_stats(inst, row, vis_box, vis_count)


def finish_image(colour: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a packed (H, W) uint32 0x00RRGGBB buffer (one SIMD shuffle)."""
    import cv2

    h, w = colour.shape
    return cv2.cvtColor(colour.view(np.uint8).reshape(h, w, 4), cv2.COLOR_BGRA2RGB)


@inline_kernel
def _row_stats(inst, row, vis_box, vis_count):
    """Visible pixel counts and boxes from one row of the instance buffer, run by run."""
    w = inst.shape[1]
    col = 0
    while col < w:
        i = inst[row, col]
        start = col
        col += 1
        while col < w and inst[row, col] == i:
            col += 1
        if i < 0:
            continue
        vis_count[i] += col - start
        if start < vis_box[i, 0]:
            vis_box[i, 0] = start
        if col - 1 > vis_box[i, 2]:
            vis_box[i, 2] = col - 1
        if row < vis_box[i, 1]:
            vis_box[i, 1] = row
        if row > vis_box[i, 3]:
            vis_box[i, 3] = row


def precipitation_tile(kind: str, intensity: float, seed: int, size: int = 256) -> np.ndarray:
    """Seeded, wrap-around (size, size) uint8 opacity tile of rain streaks or snow flakes."""
    import cv2

    rng = np.random.default_rng(seed)
    tile = np.zeros((size * 3, size * 3), np.uint8)
    if kind == "rain":
        count = int(260 * intensity)
        for _ in range(count):
            x, y = rng.uniform(size, 2 * size, 2)
            length = rng.uniform(10, 26)
            dx = length * 0.18
            cv2.line(tile, (int(x), int(y)), (int(x + dx), int(y + length)),
                     int(rng.uniform(50, 120)), 1, cv2.LINE_AA)
    else:
        count = int(700 * intensity)
        for _ in range(count):
            x, y = rng.uniform(size, 2 * size, 2)
            cv2.circle(tile, (int(x), int(y)), int(rng.choice([1, 1, 1, 2])),
                       int(rng.uniform(140, 230)), -1, cv2.LINE_AA)
    # fold the 3x3 canvas so shapes crossing the border wrap round
    out = np.zeros((size, size), np.uint16)
    for i in range(3):
        for j in range(3):
            out += tile[i * size:(i + 1) * size, j * size:(j + 1) * size]
    return np.minimum(out, 255).astype(np.uint8)


@kernel
def motion_blur(src, dst, depth, tx, ty, tz, fx, fy, cx, cy, max_px):
    """Blur src (H, W, 3) into dst along the image motion of the static scene.

    (tx, ty, tz): the camera's displacement during the exposure, m, in camera
    axes; a pixel at depth z moves by ((u - cx) tz - fx tx) / z px horizontally
    (and likewise vertically). Five taps along that motion, capped at max_px.
    """
    h, w = depth.shape
    for row in range(h):
        for col in range(w):
            z = depth[row, col]
            fu = 0.0
            fv = 0.0
            if z < 1e30:
                fu = ((col + 0.5 - cx) * tz - fx * tx) / z
                fv = ((row + 0.5 - cy) * tz - fy * ty) / z
                n = math.sqrt(fu * fu + fv * fv)
                if n > max_px:
                    fu *= max_px / n
                    fv *= max_px / n
            r = 0
            g = 0
            b = 0
            for k in range(5):
                f = (k - 2) / 4.0
                c = min(w - 1, max(0, int(col + f * fu)))
                q = min(h - 1, max(0, int(row + f * fv)))
                r += src[q, c, 0]
                g += src[q, c, 1]
                b += src[q, c, 2]
            dst[row, col, 0] = (r + 2) // 5
            dst[row, col, 1] = (g + 2) // 5
            dst[row, col, 2] = (b + 2) // 5


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
