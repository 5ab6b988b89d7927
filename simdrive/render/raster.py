"""numba kernels of the actor pass: each actor's mesh posed, culled, shaded, clipped at
the near plane and projected, face by face, for simdrive.render.fill to fill into the
frame buffers (described there); the parameter blocks it reads are laid out in
simdrive.render.blocks.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from simdrive.core._jit import drop_stale_cache, inline_kernel, kernel
from simdrive.render import blocks as B
from simdrive.render.blocks import (
    A_B,
    A_COUNTED,
    A_G,
    A_HEADING,
    A_HEIGHT,
    A_INST,
    A_KIND,
    A_LENGTH,
    A_LIT,
    A_R,
    A_SEM,
    A_WIDTH,
    A_X,
    A_Y,
    C_CX,
    C_CY,
    C_FX,
    C_FY,
    C_MPP,
    C_NEAR,
    C_ORTHO,
    C_R,
    C_T,
    SH_AMBIENT,
    SH_HEAD_RGB,
    SH_SUN_DIR,
    SH_SUN_RGB,
    SH_TAIL_RGB,
)
from simdrive.render.fill import SUB, convex_on_grid, fill_face
from simdrive.render.spot import HELD, MISSED, RINGS, lamp_at, lamp_reach

# workspace rows of draw_actors
W_CX, W_CY, W_CZ, W_QX, W_QY, W_QZ, W_PX, W_PY, W_PZ = range(9)
LIT_LAMPS, LIT_BRAKES = 1, 2  # bits of an actor row's A_LIT
LIT_RED, LIT_AMBER, LIT_GREEN = 4, 8, 16  # a traffic signal's lamp that is on
BRAKE_LIGHT_DECEL = 1.0
"""A vehicle whose driver asks to decelerate harder than this (m/s^2) shows brake lights,
by day too (Scene.accel)."""
WS_ROWS = 9
OWN_MARGIN_M = 0.5
"""A perspective camera this close to the box of the actor it is mounted on (m) sits on
it: that actor is its own vehicle (a chase camera farther out sees it)."""
GRID_MARGIN = 1.0 / SUB
"""How far fill_face's rounding of a corner to its 1/SUB pixel grid can move a face's
extent (px, with room to spare): a face whose corners' box, widened by this, holds no
pixel centre covers no pixel."""


@kernel
def undraw(inst, depth, row_depth, extent):
    """Take an actor pass's pixels back out of a frame's buffers: over every rectangle of
    ``extent`` (rows col0, row0, col1, row1, inclusive; col1 < col0: none), the screen
    extents the pass drew into, ``inst`` = -1 and ``depth`` = the row's ground depth
    ``row_depth`` (simdrive.render.ground_pass.draw_ground). The pass wrote nothing outside
    them, so the buffers then hold the ground pass's instance ids (none) and depths
    everywhere, and the next ground pass writes only the rows whose depth changed (a
    720p frame wrote 7.4 MB of them for nothing)."""
    for k in range(extent.shape[0]):
        c0, r0 = max(extent[k, 0], 0), max(extent[k, 1], 0)
        c1, r1 = min(extent[k, 2], inst.shape[1] - 1), min(extent[k, 3], inst.shape[0] - 1)
        for row in range(r0, r1 + 1):
            inst[row, c0:c1 + 1] = -1
            depth[row, c0:c1 + 1] = row_depth[row]


@kernel
def draw_actors(faces, sides, role, plane, centre, kind_start, kind_count, role_colours,
                actors, cam, shade, lights, fog_lut, colour, depth, inst, sem, stamp,
                stamp_base, unoccluded, extent, ws, near_lights, table):
    """Rasterize every actor's mesh into the frame buffers (see module doc).

    ws: (WS_ROWS, MAX_SIDES + 2) float64,
    near_lights: (max(K, 1),) int64 and table: (fog_lut.shape[0],) uint32 workspaces
    (kernels here never allocate).

    faces: (F, MAX_SIDES, 3) normalised mesh faces, sides: (F,) their vertex counts;
    role: (F,) colour roles; plane: (F, 4) and centre: (F, 3) the faces' planes and
    centres (simdrive.render.meshes.MeshTable); actors: (N, A_COUNT); lights: (K, L_COUNT);
    unoccluded: (N,) int64, add-to; extent: (N, 4) int64 screen rectangles col0, row0,
    col1, row1 (inclusive) of the pixels each actor's faces cover, widened in place
    (start: (W, H, -1, -1)).

    Per actor, one matrix takes normalised mesh corners straight to camera coordinates,
    and the camera (its position, or its viewing direction when orthographic) is taken
    into the normalised box, where a face's precomputed plane tells whether it faces the
    camera: back faces cost one dot product, no corner is posed for them. Faces whose
    projection holds no pixel centre (most faces of a distant actor) are not shaded.
    """
    h, w = colour.shape
    r00, r01, r02 = cam[C_R], cam[C_R + 1], cam[C_R + 2]
    r10, r11, r12 = cam[C_R + 3], cam[C_R + 4], cam[C_R + 5]
    r20, r21, r22 = cam[C_R + 6], cam[C_R + 7], cam[C_R + 8]
    tx, ty, tz = cam[C_T], cam[C_T + 1], cam[C_T + 2]
    ortho = cam[C_ORTHO] != 0.0
    near = cam[C_NEAR]
    # the camera's world position (camera = R @ world + t), or its viewing direction
    if ortho:
        vx, vy, vz = r20, r21, r22
    else:
        vx = -(r00 * tx + r10 * ty + r20 * tz)
        vy = -(r01 * tx + r11 * ty + r21 * tz)
        vz = -(r02 * tx + r12 * ty + r22 * tz)
    # a mirrored camera frame (det R < 0) would turn which side of a face the camera sees
    flip = r00 * (r11 * r22 - r12 * r21) - r01 * (r10 * r22 - r12 * r20) \
        + r02 * (r10 * r21 - r11 * r20) < 0.0
    cx_ = ws[W_CX]
    cy_ = ws[W_CY]
    cz_ = ws[W_CZ]
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
        lit = int(actors[a, A_LIT])  # bits: LIT_LAMPS, LIT_BRAKES
        inst_value = np.int32(actors[a, A_INST])
        sem_value = np.uint8(actors[a, A_SEM])
        counted = actors[a, A_COUNTED] != 0.0
        stamp_value = stamp_base + a
        radius = 0.5 * math.sqrt(ln * ln + wd * wd + ht * ht)
        if _outside_view(ax, ay, 0.5 * ht, radius, cam, w, h):
            continue  # meshes lie inside their box: no face can cover a pixel
        # the lights whose range reaches the actor's bounding sphere (the others cannot
        # light any of its faces)
        n_near = np.int64(0)
        for k in range(lights.shape[0]):
            dx = ax - lights[k, B.L_X]
            dy = ay - lights[k, B.L_Y]
            dz = 0.5 * ht - lights[k, B.L_Z]
            reach = lights[k, B.L_RANGE] + radius * 1.001 + 1e-6
            if dx * dx + dy * dy + dz * dz < reach * reach:
                near_lights[n_near] = k
                n_near += 1
        # camera = m @ (normalised corner) + o: the box's scale, the heading, the camera
        m00, m01, m02 = (r00 * c + r01 * s) * ln, (r01 * c - r00 * s) * wd, r02 * ht
        m10, m11, m12 = (r10 * c + r11 * s) * ln, (r11 * c - r10 * s) * wd, r12 * ht
        m20, m21, m22 = (r20 * c + r21 * s) * ln, (r21 * c - r20 * s) * wd, r22 * ht
        ox = r00 * ax + r01 * ay + tx
        oy = r10 * ax + r11 * ay + ty
        oz = r20 * ax + r21 * ay + tz
        # the camera in the normalised box: its position, or its viewing direction
        ex, ey = (vx, vy) if ortho else (vx - ax, vy - ay)
        lx = (c * ex + s * ey) / ln
        ly = (c * ey - s * ex) / wd
        lz = vz / ht
        for t in range(kind_start[kind], kind_start[kind] + kind_count[kind]):
            # a back face: the camera behind its plane (perspective), or looking along its
            # outward normal (orthographic); as the face's camera-space normal n would
            # tell from n . corner 0 or n.z, up to the positive factor det(m)
            toward = plane[t, 0] * lx + plane[t, 1] * ly + plane[t, 2] * lz
            facing = toward if ortho else plane[t, 3] - toward
            if flip:
                facing = -facing
            if facing >= 0.0:
                continue
            n = sides[t]
            behind = True
            for k in range(n):
                fx, fy, fz = faces[t, k, 0], faces[t, k, 1], faces[t, k, 2]
                cx_[k] = m00 * fx + m01 * fy + m02 * fz + ox
                cy_[k] = m10 * fx + m11 * fy + m12 * fz + oy
                cz_[k] = m20 * fx + m21 * fy + m22 * fz + oz
                behind = behind and cz_[k] <= near
            if behind:
                continue
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
            if m == 0 or not _holds_centre(qx, qy, m, w, h):
                continue
            r, g, b = _shade_face(t, faces, sides, plane, centre, c, s, ln, wd, ht, ax, ay,
                                  role[t], role_colours, actors[a], lit, shade, lights,
                                  near_lights, n_near)
            # the (convex) face in pieces of up to four corners round corner 0: quads
            # (0, k, k + 1, k + 2), then a last triangle if one corner is left
            k = 1
            while k + 1 < m:
                p = min(4, m - k + 1)
                if p == 4 and not convex_on_grid(qx, qy, k):
                    p = 3  # a sliver that rounding bent: (0, k, k + 1), then the rest
                px[0], py[0], pz[0] = qx[0], qy[0], qz[0]
                for j in range(1, p):
                    px[j], py[j], pz[j] = qx[k + j - 1], qy[k + j - 1], qz[k + j - 1]
                fill_face(px, py, pz, p, r, g, b, cam, shade, fog_lut, colour, depth, inst,
                          sem, stamp, stamp_value, counted, unoccluded, a, inst_value,
                          sem_value, extent, table)
                k += p - 2


@inline_kernel
def _holds_centre(qx, qy, m, w, h):
    """Whether the box of projected corners qx, qy[:m] (px), widened by GRID_MARGIN,
    holds the centre of a pixel of the (w, h) image (else the face covers none)."""
    x0, x1, y0, y1 = qx[0], qx[0], qy[0], qy[0]
    for k in range(1, m):
        x0, x1 = min(x0, qx[k]), max(x1, qx[k])
        y0, y1 = min(y0, qy[k]), max(y1, qy[k])
    col0 = max(0.0, math.ceil(x0 - 0.5 - GRID_MARGIN))
    col1 = min(w - 1.0, math.floor(x1 - 0.5 + GRID_MARGIN))
    row0 = max(0.0, math.ceil(y0 - 0.5 - GRID_MARGIN))
    row1 = min(h - 1.0, math.floor(y1 - 0.5 + GRID_MARGIN))
    return col0 <= col1 and row0 <= row1


@kernel
def actor_rows(x, y, heading, length, width, height, kind, colours, vehicle, carries_lamps,
               moving, accel, lights_on, sem_base, camera, own_check, mount, posts, post_mesh,
               post_size, post_rgb, posts_lit, post_sem, signals, signal_mesh, signal_size,
               signal_sem, out):
    """Fill out ((N + P, A_COUNT)) with the rows of N actors then P lamp posts.

    An actor's row: its box and pose, kind, body colour (colours (N, 3)), lamps lit
    (LIT_LAMPS: lights_on, an actor with lamps (carries_lamps) that moves; LIT_BRAKES: a
    vehicle (vehicle: by kind) whose accel is below -BRAKE_LIGHT_DECEL), instance = slot,
    semantic class sem_base + kind, counted. With own_check (a perspective camera), the camera's
    own vehicle gets kind -1 (not drawn, not labelled): any actor whose box holds the
    camera position, and the actor it is mounted on (slot ``mount``) when the camera is
    within OWN_MARGIN_M of its box (a mirror or roof camera; a side preset sits 5 mm
    outside a car, and turned towards it labelled it as a car beside itself).
    posts (P, 3): x, y, arm heading; post_size: length, width, height. Then S traffic
    signals (signals (S, 4): x, y, heading of the lamps' side, state 0 green, 1 amber, 2
    red; signal_size as post_size), drawn with post_rgb masts.
    """
    n = x.shape[0]
    for i in range(n):
        out[i, A_X], out[i, A_Y], out[i, A_HEADING] = x[i], y[i], heading[i]
        out[i, A_LENGTH], out[i, A_WIDTH], out[i, A_HEIGHT] = length[i], width[i], height[i]
        out[i, A_KIND] = kind[i]
        out[i, A_R], out[i, A_G], out[i, A_B] = colours[i, 0], colours[i, 1], colours[i, 2]
        lamps = LIT_LAMPS if lights_on and carries_lamps[i] != 0 and moving[i] != 0 else 0
        brakes = LIT_BRAKES if vehicle[kind[i]] and accel[i] < -BRAKE_LIGHT_DECEL else 0
        out[i, A_LIT] = float(lamps | brakes)
        out[i, A_INST] = i
        out[i, A_SEM] = sem_base + kind[i]
        out[i, A_COUNTED] = 1.0
        if own_check:
            margin = OWN_MARGIN_M if i == mount else 0.0
            c, s = math.cos(heading[i]), math.sin(heading[i])
            dx, dy = camera[0] - x[i], camera[1] - y[i]
            if abs(c * dx + s * dy) <= length[i] / 2 + margin \
                    and abs(-s * dx + c * dy) <= width[i] / 2 + margin \
                    and 0.0 <= camera[2] <= height[i] + margin:
                out[i, A_KIND] = -1.0
    for k in range(posts.shape[0]):
        i = n + k
        out[i, A_X], out[i, A_Y], out[i, A_HEADING] = posts[k, 0], posts[k, 1], posts[k, 2]
        out[i, A_LENGTH], out[i, A_WIDTH], out[i, A_HEIGHT] = \
            post_size[0], post_size[1], post_size[2]
        out[i, A_KIND] = post_mesh
        out[i, A_R], out[i, A_G], out[i, A_B] = post_rgb[0], post_rgb[1], post_rgb[2]
        out[i, A_LIT] = float(LIT_LAMPS) if posts_lit else 0.0
        out[i, A_INST] = -2.0
        out[i, A_SEM] = post_sem
        out[i, A_COUNTED] = 0.0
    for k in range(signals.shape[0]):
        i = n + posts.shape[0] + k
        out[i, A_X], out[i, A_Y], out[i, A_HEADING] = signals[k, 0], signals[k, 1], signals[k, 2]
        out[i, A_LENGTH], out[i, A_WIDTH], out[i, A_HEIGHT] = \
            signal_size[0], signal_size[1], signal_size[2]
        out[i, A_KIND] = signal_mesh
        out[i, A_R], out[i, A_G], out[i, A_B] = post_rgb[0], post_rgb[1], post_rgb[2]
        state = int(signals[k, 3])
        out[i, A_LIT] = float(LIT_GREEN if state == 0 else LIT_AMBER if state == 1 else LIT_RED)
        out[i, A_INST] = -2.0
        out[i, A_SEM] = signal_sem
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
def _shade_face(t, faces, sides, plane, centre, c, s, ln, wd, ht, ax, ay, role, role_colours,
                actor, lit, shade, lights, near_lights, n_near):
    """Flat-shaded sRGB colour of mesh face t of an actor (box ln, wd, ht at ax, ay,
    heading cos c, sin s), lit by the lights near_lights[:n_near]: a light whose cone and
    range hold the whole face is taken at its centre; one whose cone or range edge
    crosses it, as the mean over the face (simdrive.render.spot), so the big rear face of a truck
    just ahead, its centre above the headlights' cone, is lit where the beams reach it."""
    if role == 0:
        br, bg, bb = actor[A_R], actor[A_G], actor[A_B]
    else:
        br, bg, bb = role_colours[role, 0], role_colours[role, 1], role_colours[role, 2]
    if lit & LIT_LAMPS and role == 5:
        return shade[SH_HEAD_RGB], shade[SH_HEAD_RGB + 1], shade[SH_HEAD_RGB + 2]
    if lit != 0 and role == 6:  # tail lamps with the lights on, brake lamps when braking
        return shade[SH_TAIL_RGB], shade[SH_TAIL_RGB + 1], shade[SH_TAIL_RGB + 2]
    if lit & LIT_RED and role == 10:  # a traffic signal's lamp that is on
        return 255.0, 45.0, 35.0
    if lit & LIT_AMBER and role == 11:
        return 255.0, 175.0, 30.0
    if lit & LIT_GREEN and role == 12:
        return 70.0, 255.0, 140.0
    # the world normal: the normalised one through the box's scale (its cofactor,
    # diag(wd ht, ln ht, ln wd)), then the heading
    bx, by = plane[t, 0] * wd * ht, plane[t, 1] * ln * ht
    nx = c * bx - s * by
    ny = s * bx + c * by
    nz = plane[t, 2] * ln * wd
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
    fx, fy = centre[t, 0] * ln, centre[t, 1] * wd
    mx = ax + c * fx - s * fy
    my = ay + s * fx + c * fy
    mz = centre[t, 2] * ht
    radius = 0.0  # the face's reach from its centre, m (wanted only when a lamp is near)
    if n_near > 0:
        r2 = 0.0
        for j in range(sides[t]):
            ux, uy = faces[t, j, 0] * ln - fx, faces[t, j, 1] * wd - fy
            uz = (faces[t, j, 2] - centre[t, 2]) * ht
            r2 = max(r2, ux * ux + uy * uy + uz * uz)
        radius = math.sqrt(r2)
    for i in range(n_near):
        k = near_lights[i]
        reach = lamp_reach(lights, k, mx, my, mz, nx, ny, nz, radius)
        if reach == MISSED:
            continue
        if reach == HELD:
            gain = lamp_at(lights, k, mx, my, mz, nx, ny, nz)
        else:  # the cone's or range's edge crosses the face: its mean over the face
            total = 0.0
            weights = 0.0
            n = sides[t]
            for j in range(2 * n):
                a, b = j // 2, (j // 2 + j % 2) % n  # corner a, or the edge a -> b's middle
                ux = (faces[t, a, 0] + faces[t, b, 0]) * 0.5 * ln - fx
                uy = (faces[t, a, 1] + faces[t, b, 1]) * 0.5 * wd - fy
                uz = ((faces[t, a, 2] + faces[t, b, 2]) * 0.5 - centre[t, 2]) * ht
                wx, wy = c * ux - s * uy, s * ux + c * uy
                for f in RINGS:
                    total += f * lamp_at(lights, k, mx + f * wx, my + f * wy, mz + f * uz,
                                         nx, ny, nz)
                    weights += f
            gain = total / weights
        lr += lights[k, B.L_R] * gain
        lg += lights[k, B.L_G] * gain
        lb += lights[k, B.L_B] * gain
    return br * lr, bg * lg, bb * lb


# the render kernels share helpers across their three modules (this one, ground_pass,
# finish): key their compiled cache on all of simdrive/render's sources
drop_stale_cache(draw_actors, Path(__file__).parent)
