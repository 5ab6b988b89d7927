"""numba kernels of the rasterizer: actors (flat convex faces) and the ground (ray-plane per
pixel).

Buffers of one frame, all (H, W): ``colour`` uint32 packed 0x00RRGGBB,
``depth`` float32 camera z in m (inf for sky), ``inst`` int32 actor slot (-1
ground or sky, -2 scenery), ``sem`` uint8 semantic class, ``stamp`` int64 a
never-cleared buffer: an actor counts a pixel as "covered if nothing were in
front" the first time one of its faces covers it (stamp = frame base +
actor slot), which gives exact unoccluded pixel counts without rendering each
actor alone.

Camera block ``cam`` (CAM_COUNT,) float64: rotation R (row-major, world to
camera), translation t (camera = R @ world + t), intrinsics, projection. Camera
coordinates follow KITTI: x right, y down, z forward.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from simdrive.core._jit import (
    drop_stale_cache,
    inline_kernel,
    kernel,
    restrict_load,
    restrict_store,
)

# camera block
C_R, C_T, C_FX, C_FY, C_CX, C_CY, C_ORTHO, C_MPP, C_NEAR, C_FAR = 0, 9, 12, 13, 14, 15, 16, 17, \
    18, 19
C_COUNT = 20

# per-actor rows
A_X, A_Y, A_HEADING, A_LENGTH, A_WIDTH, A_HEIGHT, A_KIND, A_R, A_G, A_B, A_LIT, A_INST, \
    A_SEM, A_COUNTED = range(14)
A_COUNT = 14

# shading block
SH_AMBIENT, SH_SUN_DIR, SH_SUN_RGB, SH_FOG_RGB, SH_FOG_SCALE, SH_HEAD_RGB, SH_TAIL_RGB = \
    0, 3, 6, 9, 12, 13, 16
SH_COUNT = 19

# point/spot lights (headlights, street lights)
# L_RAMP: the light on the ground fades in over the first L_RAMP metres (a dipped
# beam is aimed down the road); 0 for lamps
L_X, L_Y, L_Z, L_DX, L_DY, L_DZ, L_COS, L_RANGE, L_R, L_G, L_B, L_RAMP = range(12)
L_COUNT = 12

# workspace rows of draw_actors
W_CX, W_CY, W_CZ, W_WX, W_WY, W_WZ, W_QX, W_QY, W_QZ, W_PX, W_PY, W_PZ = range(12)
WS_ROWS = 12

# restrict scopes of the arrays _raster_face reads and writes (all distinct)
_COLOUR, _DEPTH, _INST, _SEM, _STAMP, _FOG, _TABLE = range(7)

SUB = 16  # sub-pixel steps of the fixed-point edge functions
AHEAD = 1.0 - 1e-6
"""A face replaces a pixel's colour only when nearer than this share of its depth: faces
in one plane (a wheel flush with a body side) then keep the one drawn first, instead of
each pixel picking one by the rounding of its float32 depth (speckles)."""
_MAX_CLIP = 4


@inline_kernel
def pack_rgb(r, g, b):
    ri = min(255, max(0, int(r + 0.5)))
    gi = min(255, max(0, int(g + 0.5)))
    bi = min(255, max(0, int(b + 0.5)))
    return np.uint32((ri << 16) | (gi << 8) | bi)


@inline_kernel
def fog_factor(fog_lut, scale, z):
    k = int(z * scale)
    if k >= fog_lut.shape[0]:
        k = fog_lut.shape[0] - 1
    return fog_lut[k]


@inline_kernel
def _convex_on_grid(qx, qy, k):
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
def _raster_face(px, py, pz, n, colour_r, colour_g, colour_b, cam, shade, fog_lut, colour,
                 depth, inst, sem, stamp, stamp_value, counted, unoccluded, a, inst_value,
                 sem_value, extent, table):
    """Fill one projected flat convex face of n = 3 or 4 corners (px, py in px; pz = 1/z
    perspective or z orthographic, affine across the image for a flat face); widen
    extent[a] (col0, row0, col1, row1, inclusive) to the pixels it covers.

    A pixel is covered when its centre is inside every edge (integer edge functions on a
    1/SUB pixel grid, with the top-left rule on the edges themselves): faces that share
    an edge cover each pixel along it once. A quad is one face rather than two
    triangles, so a tall thin quad (a lamp post's side) costs one row set-up a row, not
    two.

    table: a (fog_lut.shape[0],) uint32 workspace: the face's packed colour in each fog
    bin its depths can fall in (computed once per face instead of once per pixel).
    colour, depth, inst, sem, stamp, fog_lut and table are accessed under restrict scopes
    (the span loop compiles to SIMD code): they must be distinct arrays, not views of one
    another."""
    h, w = colour.shape
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
    ortho = cam[C_ORTHO] != 0.0
    fog_scale = shade[SH_FOG_SCALE]
    fr, fg, fb = shade[SH_FOG_RGB], shade[SH_FOG_RGB + 1], shade[SH_FOG_RGB + 2]
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
        table[k - k0] = pack_rgb(colour_r + (fr - colour_r) * f, colour_g + (fg - colour_g) * f,
                                 colour_b + (fb - colour_b) * f)
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
            q = q0 + dq * i
            z = q if ortho else 1.0 / q
            if restrict_load(_INST, inst_row, col) == -1 or \
                    z < restrict_load(_DEPTH, depth_row, col) * AHEAD:
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


@kernel
def draw_actors(faces, sides, role, kind_start, kind_count, role_colours, actors, cam, shade,
                lights, fog_lut, colour, depth, inst, sem, stamp, stamp_base, unoccluded, extent,
                ws, near_lights, table):
    """Rasterize every actor's mesh into the frame buffers (see module doc).

    ws: (WS_ROWS, MAX_SIDES + 2) float64,
    near_lights: (max(K, 1),) int64 and table: (fog_lut.shape[0],) uint32 workspaces
    (kernels here never allocate).

    faces: (F, MAX_SIDES, 3) normalised mesh faces, sides: (F,) their vertex counts;
    role: (F,) colour roles; actors: (N, A_COUNT); lights: (K, L_COUNT); unoccluded: (N,)
    int64, add-to; extent: (N, 4) int64 screen rectangles col0, row0, col1, row1
    (inclusive) of the pixels each actor's faces cover, widened in place (start: (W, H,
    -1, -1)).
    """
    r00, r01, r02 = cam[C_R], cam[C_R + 1], cam[C_R + 2]
    r10, r11, r12 = cam[C_R + 3], cam[C_R + 4], cam[C_R + 5]
    r20, r21, r22 = cam[C_R + 6], cam[C_R + 7], cam[C_R + 8]
    tx, ty, tz = cam[C_T], cam[C_T + 1], cam[C_T + 2]
    ortho = cam[C_ORTHO] != 0.0
    near = cam[C_NEAR]
    cx_ = ws[W_CX]
    cy_ = ws[W_CY]
    cz_ = ws[W_CZ]
    wx = ws[W_WX]
    wy = ws[W_WY]
    wz = ws[W_WZ]
    qx = ws[W_QX]
    qy = ws[W_QY]
    qz = ws[W_QZ]
    px = ws[W_PX]
    py = ws[W_PY]
    pz = ws[W_PZ]
    for a in range(actors.shape[0]):
        kind = int(actors[a, A_KIND])
        if kind < 0:
            continue
        c = math.cos(actors[a, A_HEADING])
        s = math.sin(actors[a, A_HEADING])
        ln, wd, ht = actors[a, A_LENGTH], actors[a, A_WIDTH], actors[a, A_HEIGHT]
        ax, ay = actors[a, A_X], actors[a, A_Y]
        lit = actors[a, A_LIT] != 0.0
        inst_value = np.int32(actors[a, A_INST])
        sem_value = np.uint8(actors[a, A_SEM])
        counted = actors[a, A_COUNTED] != 0.0
        stamp_value = stamp_base + a
        radius = 0.5 * math.sqrt(ln * ln + wd * wd + ht * ht)
        if _outside_view(ax, ay, 0.5 * ht, radius, cam, colour.shape[1], colour.shape[0]):
            continue  # meshes lie inside their box: no face can cover a pixel
        # the lights whose range reaches the actor's bounding sphere (the others cannot
        # light any of its faces)
        n_near = 0
        for k in range(lights.shape[0]):
            dx = ax - lights[k, L_X]
            dy = ay - lights[k, L_Y]
            dz = 0.5 * ht - lights[k, L_Z]
            reach = lights[k, L_RANGE] + radius * 1.001 + 1e-6
            if dx * dx + dy * dy + dz * dz < reach * reach:
                near_lights[n_near] = k
                n_near += 1
        for t in range(kind_start[kind], kind_start[kind] + kind_count[kind]):
            n = sides[t]
            behind = True
            for k in range(n):
                lx = faces[t, k, 0] * ln
                ly = faces[t, k, 1] * wd
                wx[k] = ax + c * lx - s * ly
                wy[k] = ay + s * lx + c * ly
                wz[k] = faces[t, k, 2] * ht
                cx_[k] = r00 * wx[k] + r01 * wy[k] + r02 * wz[k] + tx
                cy_[k] = r10 * wx[k] + r11 * wy[k] + r12 * wz[k] + ty
                cz_[k] = r20 * wx[k] + r21 * wy[k] + r22 * wz[k] + tz
                behind = behind and cz_[k] <= near
            if behind:
                continue
            # back-face test in camera space (a face is flat: any three corners)
            ex1, ey1, ez1 = cx_[1] - cx_[0], cy_[1] - cy_[0], cz_[1] - cz_[0]
            ex2, ey2, ez2 = cx_[2] - cx_[0], cy_[2] - cy_[0], cz_[2] - cz_[0]
            nx = ey1 * ez2 - ez1 * ey2
            ny = ez1 * ex2 - ex1 * ez2
            nz = ex1 * ey2 - ey1 * ex2
            facing = nz if ortho else nx * cx_[0] + ny * cy_[0] + nz * cz_[0]
            if facing >= 0.0:
                continue
            r, g, b = _shade_face(wx, wy, wz, n, role[t], role_colours, actors[a], lit, shade,
                                  lights, near_lights, n_near)
            m = _clip_near(cx_, cy_, cz_, n, near, qx, qy, qz)
            for k in range(m):
                if ortho:
                    qx[k] = qx[k] / cam[C_MPP] + cam[C_CX]
                    qy[k] = qy[k] / cam[C_MPP] + cam[C_CY]
                else:
                    inv = 1.0 / qz[k]
                    qx[k] = cam[C_FX] * qx[k] * inv + cam[C_CX]
                    qy[k] = cam[C_FY] * qy[k] * inv + cam[C_CY]
                    qz[k] = inv
            # the (convex) face in pieces of up to four corners round corner 0: quads
            # (0, k, k + 1, k + 2), then a last triangle if one corner is left
            k = 1
            while k + 1 < m:
                p = min(4, m - k + 1)
                if p == 4 and not _convex_on_grid(qx, qy, k):
                    p = 3  # a sliver that rounding bent: (0, k, k + 1), then the rest
                px[0], py[0], pz[0] = qx[0], qy[0], qz[0]
                for j in range(1, p):
                    px[j], py[j], pz[j] = qx[k + j - 1], qy[k + j - 1], qz[k + j - 1]
                _raster_face(px, py, pz, p, r, g, b, cam, shade, fog_lut, colour, depth, inst,
                             sem, stamp, stamp_value, counted, unoccluded, a, inst_value,
                             sem_value, extent, table)
                k += p - 2


@kernel
def actor_rows(x, y, heading, length, width, height, kind, colours, vehicle, moving,
               lights_on, sem_base, camera, own_check, posts, post_mesh, post_size, post_rgb,
               posts_lit, post_sem, out):
    """Fill out ((N + P, A_COUNT)) with the rows of N actors then P lamp posts.

    An actor's row: its box and pose, kind, body colour (colours (N, 3)), lamps lit
    (lights_on, a vehicle (vehicle: by kind) that moves), instance = slot, semantic
    class sem_base + kind, counted. With own_check, an actor whose box holds the camera
    position (its own vehicle) gets kind -1 (not drawn). posts (P, 3): x, y, arm
    heading; post_size: length, width, height.
    """
    n = x.shape[0]
    for i in range(n):
        out[i, A_X], out[i, A_Y], out[i, A_HEADING] = x[i], y[i], heading[i]
        out[i, A_LENGTH], out[i, A_WIDTH], out[i, A_HEIGHT] = length[i], width[i], height[i]
        out[i, A_KIND] = kind[i]
        out[i, A_R], out[i, A_G], out[i, A_B] = colours[i, 0], colours[i, 1], colours[i, 2]
        out[i, A_LIT] = 1.0 if lights_on and vehicle[kind[i]] and moving[i] != 0 else 0.0
        out[i, A_INST] = i
        out[i, A_SEM] = sem_base + kind[i]
        out[i, A_COUNTED] = 1.0
        if own_check:
            c, s = math.cos(heading[i]), math.sin(heading[i])
            dx, dy = camera[0] - x[i], camera[1] - y[i]
            if abs(c * dx + s * dy) <= length[i] / 2 and abs(-s * dx + c * dy) <= width[i] / 2 \
                    and 0.0 <= camera[2] <= height[i]:
                out[i, A_KIND] = -1.0
    for k in range(posts.shape[0]):
        i = n + k
        out[i, A_X], out[i, A_Y], out[i, A_HEADING] = posts[k, 0], posts[k, 1], posts[k, 2]
        out[i, A_LENGTH], out[i, A_WIDTH], out[i, A_HEIGHT] = \
            post_size[0], post_size[1], post_size[2]
        out[i, A_KIND] = post_mesh
        out[i, A_R], out[i, A_G], out[i, A_B] = post_rgb[0], post_rgb[1], post_rgb[2]
        out[i, A_LIT] = 1.0 if posts_lit else 0.0
        out[i, A_INST] = -2.0
        out[i, A_SEM] = post_sem
        out[i, A_COUNTED] = 0.0


@inline_kernel
def _outside_view(x, y, z, radius, cam, w, h):
    """Whether the sphere (x, y, z world, radius m) lies wholly outside the view: behind
    the near plane or beyond an image edge (then it covers no pixel centre)."""
    px = cam[C_R] * x + cam[C_R + 1] * y + cam[C_R + 2] * z + cam[C_T]
    py = cam[C_R + 3] * x + cam[C_R + 4] * y + cam[C_R + 5] * z + cam[C_T + 1]
    pz = cam[C_R + 6] * x + cam[C_R + 7] * y + cam[C_R + 8] * z + cam[C_T + 2]
    r = radius * 1.001 + 1e-6
    if pz + r < cam[C_NEAR]:
        return True
    cx, cy = cam[C_CX], cam[C_CY]
    if cam[C_ORTHO] != 0.0:
        m = cam[C_MPP]
        return px - r > (w - cx) * m or px + r < -cx * m or py - r > (h - cy) * m or \
            py + r < -cy * m
    # signed distances to the four planes through the optical centre and the image edges
    fx, fy = cam[C_FX], cam[C_FY]
    return (fx * px - (w - cx) * pz > r * math.sqrt(fx * fx + (w - cx) ** 2)
            or -fx * px - cx * pz > r * math.sqrt(fx * fx + cx * cx)
            or fy * py - (h - cy) * pz > r * math.sqrt(fy * fy + (h - cy) ** 2)
            or -fy * py - cy * pz > r * math.sqrt(fy * fy + cy * cy))


@kernel
def _clip_near(x, y, z, n, near, ox, oy, oz):
    """Clip polygon (x, y, z)[:n] to z >= near (Sutherland-Hodgman); vertex count out (0
    or 3 to n + 1)."""
    m = 0
    for k in range(n):
        j = k + 1 if k + 1 < n else 0
        in_k = z[k] >= near
        in_j = z[j] >= near
        if in_k:
            ox[m], oy[m], oz[m] = x[k], y[k], z[k]
            m += 1
        if in_k != in_j:
            f = (near - z[k]) / (z[j] - z[k])
            ox[m] = x[k] + (x[j] - x[k]) * f
            oy[m] = y[k] + (y[j] - y[k]) * f
            oz[m] = near
            m += 1
    return m


@kernel
def _shade_face(wx, wy, wz, n, role, role_colours, actor, lit, shade, lights, near_lights,
                n_near):
    """Flat-shaded sRGB colour of one world-space face of n corners, lit at its centre by
    the lights near_lights[:n_near]."""
    if role == 0:
        br, bg, bb = actor[A_R], actor[A_G], actor[A_B]
    else:
        br, bg, bb = role_colours[role, 0], role_colours[role, 1], role_colours[role, 2]
    if lit and role == 5:
        return shade[SH_HEAD_RGB], shade[SH_HEAD_RGB + 1], shade[SH_HEAD_RGB + 2]
    if lit and role == 6:
        return shade[SH_TAIL_RGB], shade[SH_TAIL_RGB + 1], shade[SH_TAIL_RGB + 2]
    ex1, ey1, ez1 = wx[1] - wx[0], wy[1] - wy[0], wz[1] - wz[0]
    ex2, ey2, ez2 = wx[2] - wx[0], wy[2] - wy[0], wz[2] - wz[0]
    nx = ey1 * ez2 - ez1 * ey2
    ny = ez1 * ex2 - ex1 * ez2
    nz = ex1 * ey2 - ey1 * ex2
    norm = math.sqrt(nx * nx + ny * ny + nz * nz)
    if norm > 0.0:
        nx /= norm
        ny /= norm
        nz /= norm
    sky = 0.8 + 0.2 * nz
    sun = max(0.0, nx * shade[SH_SUN_DIR] + ny * shade[SH_SUN_DIR + 1]
              + nz * shade[SH_SUN_DIR + 2])
    lr = shade[SH_AMBIENT] * sky + shade[SH_SUN_RGB] * sun
    lg = shade[SH_AMBIENT + 1] * sky + shade[SH_SUN_RGB + 1] * sun
    lb = shade[SH_AMBIENT + 2] * sky + shade[SH_SUN_RGB + 2] * sun
    mx = my = mz = 0.0
    for k in range(n):
        mx += wx[k]
        my += wy[k]
        mz += wz[k]
    mx /= n
    my /= n
    mz /= n
    for i in range(n_near):
        k = near_lights[i]
        dx = mx - lights[k, L_X]
        dy = my - lights[k, L_Y]
        dz = mz - lights[k, L_Z]
        dist = math.sqrt(dx * dx + dy * dy + dz * dz)
        rng = lights[k, L_RANGE]
        if dist >= rng or dist < 1e-6:
            continue
        cosang = (dx * lights[k, L_DX] + dy * lights[k, L_DY] + dz * lights[k, L_DZ]) / dist
        if cosang < lights[k, L_COS]:
            continue
        facing = -(nx * dx + ny * dy + nz * dz) / dist
        if facing <= 0.0:
            continue
        fall = (1.0 - dist / rng)
        gain = fall * fall * facing
        lr += lights[k, L_R] * gain
        lg += lights[k, L_G] * gain
        lb += lights[k, L_B] * gain
    return br * lr, bg * lg, bb * lb


# the render kernels share helpers across their three modules (this one, ground_pass,
# finish): key their compiled cache on all of simdrive/render's sources
drop_stale_cache(draw_actors, Path(__file__).parent)
