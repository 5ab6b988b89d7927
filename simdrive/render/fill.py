"""numba kernel filling one projected face into the frame buffers (the actor pass,
simdrive.render.raster, hands it every face it draws).

Buffers of one frame, all (H, W): ``colour`` uint32 packed 0x00RRGGBB, ``depth``
float32 camera z in m (inf for sky), ``inst`` int32 actor slot (-1 ground or sky, -2
scenery), ``sem`` uint8 semantic class, ``stamp`` int64 a never-cleared buffer: an
actor counts a pixel as "covered if nothing were in front" the first time one of its
faces covers it (stamp = frame base + actor slot), which gives exact unoccluded pixel
counts without rendering each actor alone.

Coverage is exact: integer edge functions on a 1/SUB pixel grid with the top-left
rule, so faces sharing an edge cover each pixel along it once; depth comes from the
face's plane through its unrounded corners.
"""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import inline_kernel, kernel, restrict_load, restrict_store
from simdrive.render.blocks import C_ORTHO, SH_FOG_RGB, SH_FOG_SCALE

# restrict scopes of the arrays fill_face reads and writes (all distinct)
_COLOUR, _DEPTH, _INST, _SEM, _STAMP, _TABLE = range(6)

SUB = 16  # sub-pixel steps of the fixed-point edge functions
AHEAD = 1.0 - 1e-6
"""A face replaces a pixel's colour only when nearer than this share of its depth: faces
in one plane (a wheel flush with a body side) then keep the one drawn first, instead of
each pixel picking one by the rounding of its float32 depth (speckles)."""


@inline_kernel
def pack_rgb(r, g, b):
    ri = min(255, max(0, int(r + 0.5)))
    gi = min(255, max(0, int(g + 0.5)))
    bi = min(255, max(0, int(b + 0.5)))
    return np.uint32((ri << 16) | (gi << 8) | bi)


@inline_kernel
def convex_on_grid(qx, qy, k):
    """Whether quad (0, k, k + 1, k + 2) of the corners qx, qy (px) still turns one way
    at every corner once on the rasterizer's 1/SUB pixel grid (collinear corners
    allowed). A sliver seen edge-on can fold there: its four edges then bound less than
    the face (a far lamp post's mast vanished), so it is drawn as triangles."""
    x0, y0 = int(round(qx[0] * SUB)), int(round(qy[0] * SUB))
    x1, y1 = int(round(qx[k] * SUB)), int(round(qy[k] * SUB))
    x2, y2 = int(round(qx[k + 1] * SUB)), int(round(qy[k + 1] * SUB))
    x3, y3 = int(round(qx[k + 2] * SUB)), int(round(qy[k + 2] * SUB))
    c0 = (x1 - x0) * (y2 - y1) - (y1 - y0) * (x2 - x1)
    c1 = (x2 - x1) * (y3 - y2) - (y2 - y1) * (x3 - x2)
    c2 = (x3 - x2) * (y0 - y3) - (y3 - y2) * (x0 - x3)
    c3 = (x0 - x3) * (y1 - y0) - (y0 - y3) * (x1 - x0)
    return not (min(c0, c1, c2, c3) < 0 < max(c0, c1, c2, c3))


@inline_kernel
def _cross(px, py, i, j, k):
    """Twice the signed area of the image triangle of corners i, j, k."""
    return (px[j] - px[i]) * (py[k] - py[i]) - (py[j] - py[i]) * (px[k] - px[i])


@inline_kernel
def _bias(dx, dy):
    """Edge function bias of an edge (dx, dy): 0 on a top or left edge (pixel centres
    exactly on it are inside) and on a zero-length one (its function is 0 everywhere),
    else -1."""
    return 0 if dy < 0 or (dy == 0 and dx >= 0) else -1


@kernel
def fill_face(px, py, pz, n, colour_r, colour_g, colour_b, cam, shade, fog_lut, colour, depth,
              inst, sem, stamp, stamp_value, counted, unoccluded, a, inst_value, sem_value,
              extent, table):
    """Fill one projected flat convex face of n = 3 or 4 corners (px, py in px; pz = 1/z
    perspective or z orthographic, affine across the image for a flat face); widen
    extent[a] (col0, row0, col1, row1, inclusive) to the pixels it covers.

    A pixel is covered when its centre is inside every edge (integer edge functions on a
    1/SUB pixel grid, with the top-left rule on the edges themselves): faces that share
    an edge cover each pixel along it once. A quad is one face rather than two
    triangles, so a tall thin quad (a lamp post's side) costs one row set-up a row, not
    two.

    cam, shade: the camera and shading blocks (simdrive.render.blocks; the camera's
    projection, the fog's scale and colour, blended into the face's colour by fog_lut at
    each pixel's depth; passing the blocks rather than those five numbers keeps the call
    cheap enough for LLVM to inline it into the actor pass: 0.15 against 0.20 ms a street
    frame). table: a (fog_lut.shape[0],) uint32 workspace: the face's packed colour in each fog
    bin its depths can fall in (computed once per face instead of once per pixel).
    colour, depth, inst, sem, stamp, fog_lut and table are accessed under restrict scopes
    (the span loop compiles to SIMD code): they must be distinct arrays, not views of one
    another."""
    h, w = colour.shape
    ortho = cam[C_ORTHO] != 0.0
    fog_scale = shade[SH_FOG_SCALE]
    fog_r, fog_g, fog_b = shade[SH_FOG_RGB], shade[SH_FOG_RGB + 1], shade[SH_FOG_RGB + 2]
    x0 = int(round(px[0] * SUB))
    y0 = int(round(py[0] * SUB))
    x1 = int(round(px[1] * SUB))
    y1 = int(round(py[1] * SUB))
    x2 = int(round(px[2] * SUB))
    y2 = int(round(py[2] * SUB))
    if n == 4:
        x3 = int(round(px[3] * SUB))
        y3 = int(round(py[3] * SUB))
    else:  # a triangle: a fourth corner on the first, its two edges from it bound nothing
        x3, y3 = x0, y0
    area = x0 * y1 - x1 * y0 + x1 * y2 - x2 * y1 + x2 * y3 - x3 * y2 + x3 * y0 - x0 * y3
    if area == 0:
        return
    if area < 0:  # wound the other way on screen: walk it backwards
        if n == 4:
            x1, y1, x3, y3 = x3, y3, x1, y1
        else:
            x1, y1, x2, y2 = x2, y2, x1, y1
    cmin = max(0, (min(x0, x1, x2, x3) - SUB // 2) // SUB)
    cmax = min(w - 1, (max(x0, x1, x2, x3) - SUB // 2) // SUB + 1)
    rmin = max(0, (min(y0, y1, y2, y3) - SUB // 2) // SUB)
    rmax = min(h - 1, (max(y0, y1, y2, y3) - SUB // 2) // SUB + 1)
    if cmin > cmax or rmin > rmax:
        return
    # edge k runs from corner k to k + 1; bias excludes pixels exactly on non-preferred
    # edges; a zero-length edge (a triangle's fourth) bounds nothing
    bias0 = _bias(x1 - x0, y1 - y0)
    bias1 = _bias(x2 - x1, y2 - y1)
    bias2 = _bias(x3 - x2, y3 - y2)
    bias3 = _bias(x0 - x3, y0 - y3)
    d0 = -(y1 - y0) * SUB
    d1 = -(y2 - y1) * SUB
    d2 = -(y3 - y2) * SUB
    d3 = -(y0 - y3) * SUB
    inv0 = 1.0 / d0 if d0 != 0 else 0.0
    inv1 = 1.0 / d1 if d1 != 0 else 0.0
    inv2 = 1.0 / d2 if d2 != 0 else 0.0
    inv3 = 1.0 / d3 if d3 != 0 else 0.0
    # depth: 1/z (z orthographic) is affine across the image for a flat face: its plane
    # through three corners, from their unrounded positions (corners 0, 1 and the one of
    # 2, 3 that spans the larger triangle, so a sliver's plane stays well defined)
    j = 3 if n == 4 and abs(_cross(px, py, 0, 1, 3)) > abs(_cross(px, py, 0, 1, 2)) else 2
    nz = _cross(px, py, 0, 1, j)
    if nz == 0.0:
        return
    ux, uy, uq = px[1] - px[0], py[1] - py[0], pz[1] - pz[0]
    vx, vy, vq = px[j] - px[0], py[j] - py[0], pz[j] - pz[0]
    dq = -(uy * vq - uq * vy) / nz  # per column
    dq_row = -(uq * vx - ux * vq) / nz  # per row
    q_origin = pz[0] - dq * px[0] - dq_row * py[0]  # at image position (0, 0)
    last_bin = fog_lut.shape[0] - 1
    # the fog bins of the face's depth range (interpolated depths lie between the
    # corners'), widened by a bin either side against rounding: each pixel then looks its
    # colour up, the same colour it would compute from its bin
    qa, qb = pz[0], pz[0]
    for k in range(1, n):
        qa, qb = min(qa, pz[k]), max(qb, pz[k])
    za, zb = (qa, qb) if ortho else (1.0 / qb, 1.0 / qa)
    k0 = max(0, min(int(za * fog_scale), last_bin) - 1)
    k1 = min(last_bin, min(int(zb * fog_scale), last_bin) + 1)
    for k in range(k0, k1 + 1):
        f = fog_lut[k]
        table[k - k0] = pack_rgb(colour_r + (fog_r - colour_r) * f,
                                 colour_g + (fog_g - colour_g) * f,
                                 colour_b + (fog_b - colour_b) * f)
    n_table = k1 - k0
    px_s = cmin * SUB + SUB // 2
    row_lo, row_hi, col_lo, col_hi = h, -1, w, -1
    for row in range(rmin, rmax + 1):
        py_s = row * SUB + SUB // 2
        e0 = (x1 - x0) * (py_s - y0) - (y1 - y0) * (px_s - x0)
        e1 = (x2 - x1) * (py_s - y1) - (y2 - y1) * (px_s - x1)
        e2 = (x3 - x2) * (py_s - y2) - (y3 - y2) * (px_s - x2)
        e3 = (x0 - x3) * (py_s - y3) - (y0 - y3) * (px_s - x3)
        # the row's covered columns: where every biased edge function is >= 0 (exact)
        lo, hi = _span(e0 + bias0, d0, inv0, 0, cmax - cmin)
        lo, hi = _span(e1 + bias1, d1, inv1, lo, hi)
        lo, hi = _span(e2 + bias2, d2, inv2, lo, hi)
        lo, hi = _span(e3 + bias3, d3, inv3, lo, hi)
        if lo > hi:
            continue
        row_lo, row_hi = min(row_lo, row), row
        col_lo, col_hi = min(col_lo, cmin + lo), max(col_hi, cmin + hi)
        # whole-row views and scoped accesses: the span loop compiles to SIMD code; one
        # loop for the stamps and the pixels (two cost a second loop set-up a row:
        # spans are short, ~6 pixels on average)
        c0 = cmin + lo
        colour_row, depth_row, inst_row, sem_row = colour[row], depth[row], inst[row], sem[row]
        stamp_row = stamp[row]
        # the interpolated 1/z (z orthographic) is linear along the row
        q0 = q_origin + dq * (c0 + 0.5) + dq_row * (row + 0.5)
        fresh = 0
        for i in range(hi - lo + 1):
            col = c0 + i
            if counted:
                fresh += restrict_load(_STAMP, stamp_row, col) != stamp_value
                restrict_store(_STAMP, stamp_row, col, stamp_value)
            # (within the corners' range: a face seen nearly edge-on has a steep plane, and
            # a pixel centre just past its unrounded edge, inside the rounded one, took a
            # depth metres off; found by a review)
            q = min(max(q0 + dq * i, qa), qb)
            # nearer: z < depth * AHEAD, for perspective as 1 < q * depth * AHEAD (q = 1/z >
            # 0): a pixel behind what it holds (overdraw) costs no division
            d = restrict_load(_DEPTH, depth_row, col) * AHEAD
            if restrict_load(_INST, inst_row, col) == -1 or \
                    (q < d if ortho else q * d > 1.0):
                z = q if ortho else 1.0 / q
                k = min(max(min(int(z * fog_scale), last_bin) - k0, 0), n_table)
                restrict_store(_COLOUR, colour_row, col, restrict_load(_TABLE, table, k))
                restrict_store(_DEPTH, depth_row, col, z)
                restrict_store(_INST, inst_row, col, inst_value)
                restrict_store(_SEM, sem_row, col, sem_value)
        if counted:  # (scenery rows lie past the end of unoccluded)
            unoccluded[a] += fresh
    if row_hi >= 0:
        extent[a, 0] = min(extent[a, 0], col_lo)
        extent[a, 1] = min(extent[a, 1], row_lo)
        extent[a, 2] = max(extent[a, 2], col_hi)
        extent[a, 3] = max(extent[a, 3], row_hi)


@inline_kernel
def _span(e, d, inv, lo, hi):
    """Narrow [lo, hi] to the steps i with e + d * i >= 0 (integers; empty: lo > hi).

    inv = 1 / d: the bound is the float quotient corrected by one step where rounding
    put it on the wrong side (an integer division per edge and row cost more than the
    short spans it bounds).
    """
    if d > 0:
        i = int(math.ceil(-e * inv))
        if e + d * i < 0:
            i += 1
        elif e + d * (i - 1) >= 0:
            i -= 1
        lo = max(lo, i)
    elif d < 0:
        i = int(math.floor(-e * inv))
        if e + d * i < 0:
            i -= 1
        elif e + d * (i + 1) >= 0:
            i += 1
        hi = min(hi, i)
    elif e < 0:
        hi = lo - 1
    return lo, hi
