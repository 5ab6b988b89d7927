"""Per-actor labels from geometry and the instance buffer: never estimated.

- amodal box: the part inside the image of the projection of the actor's 3D box,
  clipped at the camera's near plane (box edges crossing it are cut there): the box of
  each face's projection clipped to the image, over the faces (so a close car reaching
  past the image's edge gets the box of what of it falls inside, not the image-clipped
  box of its whole projection, which ran the image's full height);
- visible box and visible pixels: from the instance buffer (its tight box);
- occlusion: 1 - visible / unoccluded pixels, where unoccluded pixels are the
  pixels the actor's shape covers in the image with nothing in front (counted
  exactly by the rasterizer's stamp buffer);
- truncation: 1 - the amodal box's area / the area of the box of the whole
  (near-clipped) projection;
- 3D box in KITTI camera coordinates: dimensions (h, w, l), bottom-centre
  location, rotation_y, alpha = rotation_y - atan2(x, z), in the camera's
  level frame (pitch and roll removed, as KITTI's rectified frame; the
  camera's ``kitti_projection`` P2 folds them back in).

Boxes are (x0, y0, x1, y1) in px with pixel (col, row) covering
[col, col + 1) x [row, row + 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simdrive.core._jit import inline_kernel, kernel
from simdrive.render import blocks as B

# box corners: (+-l/2, +-w/2, 0 or h); edges join corners differing in one bit
_SIGNS = np.array([[(i >> 2) & 1, (i >> 1) & 1, i & 1] for i in range(8)], float)

KITTI_FULLY_VISIBLE_MAX = 0.1
KITTI_PARTLY_MAX = 0.5


@dataclass(frozen=True, init=False)
class ActorLabel:
    """The labels of one actor in one camera frame (see module doc for definitions)."""

    track_id: int
    name: str
    kind: str
    category: str
    in_view: bool
    amodal_box: tuple[float, float, float, float] | None
    visible_box: tuple[int, int, int, int] | None
    visible_pixels: int
    unoccluded_pixels: int
    occlusion: float
    truncation: float
    kitti_occluded: int
    dimensions_hwl: tuple[float, float, float]
    location_xyz: tuple[float, float, float]
    rotation_y: float
    alpha: float
    distance_m: float
    visibility: float

    def __init__(self, track_id: int, name: str, kind: str, category: str, in_view: bool,
                 amodal_box: tuple[float, float, float, float] | None,
                 visible_box: tuple[int, int, int, int] | None, visible_pixels: int,
                 unoccluded_pixels: int, occlusion: float, truncation: float,
                 kitti_occluded: int, dimensions_hwl: tuple[float, float, float],
                 location_xyz: tuple[float, float, float], rotation_y: float, alpha: float,
                 distance_m: float, visibility: float) -> None:
        # frozen: the fields go into the instance dict in one step (a frozen dataclass's
        # own __init__ sets them one by one through object.__setattr__, 4x slower; a
        # frame makes one label per actor)
        object.__setattr__(self, "__dict__", {
            "track_id": track_id, "name": name, "kind": kind, "category": category,
            "in_view": in_view, "amodal_box": amodal_box, "visible_box": visible_box,
            "visible_pixels": visible_pixels, "unoccluded_pixels": unoccluded_pixels,
            "occlusion": occlusion, "truncation": truncation,
            "kitti_occluded": kitti_occluded, "dimensions_hwl": dimensions_hwl,
            "location_xyz": location_xyz, "rotation_y": rotation_y, "alpha": alpha,
            "distance_m": distance_m, "visibility": visibility})

    def to_dict(self) -> dict:
        """Plain dict of every field (tuples stay tuples)."""
        return dict(self.__dict__)



def box_corners_world(x, y, heading, length, width, height) -> np.ndarray:
    """(N, 8, 3) world corners of N actors' 3D boxes (m)."""
    x, y, heading, length, width, height = (np.atleast_1d(np.asarray(v, float))
                                            for v in (x, y, heading, length, width, height))
    lx = (_SIGNS[:, 0] - 0.5)[None] * length[:, None]
    ly = (_SIGNS[:, 1] - 0.5)[None] * width[:, None]
    c, s = np.cos(heading)[:, None], np.sin(heading)[:, None]
    return np.stack([x[:, None] + c * lx - s * ly, y[:, None] + s * lx + c * ly,
                     _SIGNS[:, 2][None] * height[:, None]], -1)


# label_geometry output columns: amodal box (unclipped, nan when wholly behind the near
# plane), distance to the box centre, KITTI bottom-centre location, rotation_y, alpha;
# then the amodal box clipped to the image (nan when nothing of it is inside),
# truncation, occlusion, KITTI occlusion level and visibility factor
LG_X0, LG_Y0, LG_X1, LG_Y1, LG_DISTANCE, LG_LX, LG_LY, LG_LZ, LG_ROTATION_Y, LG_ALPHA, \
    LG_CX0, LG_CY0, LG_CX1, LG_CY1, LG_TRUNCATION, LG_OCCLUSION, LG_KITTI, LG_VISIBILITY = \
    range(18)
LG_COUNT = 18


_FACES = np.array([[0, 1, 3, 2], [4, 5, 7, 6], [0, 1, 5, 4], [2, 3, 7, 6], [0, 2, 6, 4],
                   [1, 3, 7, 5]], np.int64)
"""The six faces of a box as rings of corner indices (corner bits x, y, z as _SIGNS)."""
POLY_MAX = 12  # vertices a face can have: 4, + 1 at the near plane, + 1 per image edge


@kernel
def label_geometry(x, y, heading, length, width, height, cam, level, position, image_w,
                   image_h, visible, unoccluded, sight, corners, poly, out):
    """The labels of N actors' 3D boxes in one camera, into out (N, LG_COUNT).

    cam: the raster camera block (Camera.block); level (3, 3): Camera.level_rotation;
    position (3,): the optical centre; image_w, image_h: the image size (px); visible,
    unoccluded (N,) int64: each actor's visible and unoccluded pixel counts; sight:
    the weather's visibility (m; inf: no fog), whose transmission the visibility column
    gets (the renderer multiplies in the light on each actor); corners: (8, 3) and
    poly: (2, POLY_MAX, 3) float64 workspaces.

    Unclipped amodal box: the image box of the box corners in front of the near plane
    and of the points where box edges cross it (so a box reaching past the camera still
    projects to a finite box); nan when no corner is in front. Amodal box (clipped): the
    union of the boxes of each face, clipped at the near plane, projected and clipped to
    the image (_face_box). KITTI 3D box: in the level frame (labels module doc), alpha
    wrapped to [-pi, pi).
    """
    near = cam[B.C_NEAR]
    ortho = cam[B.C_ORTHO] != 0.0
    for a in range(x.shape[0]):
        c, s = math.cos(heading[a]), math.sin(heading[a])
        mx = my = mz = 0.0
        for i in range(8):  # corner i: bits (x, y, z) of _SIGNS
            lx = (((i >> 2) & 1) - 0.5) * length[a]
            ly = (((i >> 1) & 1) - 0.5) * width[a]
            wx = x[a] + c * lx - s * ly
            wy = y[a] + s * lx + c * ly
            wz = (i & 1) * height[a]
            for k in range(3):
                corners[i, k] = (cam[B.C_R + 3 * k] * wx + cam[B.C_R + 3 * k + 1] * wy
                                 + cam[B.C_R + 3 * k + 2] * wz + cam[B.C_T + k])
            mx += corners[i, 0]
            my += corners[i, 1]
            mz += corners[i, 2]
        mx, my, mz = mx / 8.0, my / 8.0, mz / 8.0
        out[a, LG_DISTANCE] = math.sqrt(mx * mx + my * my + mz * mz)
        u0 = v0 = math.inf
        u1 = v1 = -math.inf
        for i in range(8):
            zi = corners[i, 2]
            if zi >= near:
                u, v = _project(cam, ortho, corners[i, 0], corners[i, 1], zi)
                u0, v0, u1, v1 = min(u0, u), min(v0, v), max(u1, u), max(v1, v)
            for bit in (4, 2, 1):  # the edges from corner i to corners differing in one bit
                if i & bit:
                    continue
                j = i | bit
                zj = corners[j, 2]
                if (zi < near) == (zj < near):
                    continue
                f = (near - zi) / (zj - zi)
                u, v = _project(cam, ortho, corners[i, 0] + (corners[j, 0] - corners[i, 0]) * f,
                                corners[i, 1] + (corners[j, 1] - corners[i, 1]) * f, near)
                u0, v0, u1, v1 = min(u0, u), min(v0, v), max(u1, u), max(v1, v)
        if u1 < u0:
            u0 = v0 = u1 = v1 = math.nan
        out[a, LG_X0], out[a, LG_Y0], out[a, LG_X1], out[a, LG_Y1] = u0, v0, u1, v1
        cx0 = cy0 = math.inf
        cx1 = cy1 = -math.inf
        if u0 == u0:  # something in front: the faces' parts inside the image
            for f in range(6):
                fx0, fy0, fx1, fy1 = _face_box(corners, _FACES[f], cam, ortho, near,
                                               float(image_w), float(image_h), poly)
                cx0, cy0, cx1, cy1 = min(cx0, fx0), min(cy0, fy0), max(cx1, fx1), \
                    max(cy1, fy1)
        bx, by, bz = x[a] - position[0], y[a] - position[1], -position[2]
        for k in range(3):
            out[a, LG_LX + k] = level[k, 0] * bx + level[k, 1] * by + level[k, 2] * bz
        f0 = level[0, 0] * c + level[0, 1] * s
        f2 = level[2, 0] * c + level[2, 1] * s
        rotation_y = math.atan2(-f2, f0)
        alpha = rotation_y - math.atan2(out[a, LG_LX], out[a, LG_LZ])
        out[a, LG_ROTATION_Y] = rotation_y
        out[a, LG_ALPHA] = (alpha + math.pi) % (2.0 * math.pi) - math.pi
        _image_labels(u0, v0, u1, v1, cx0, cy0, cx1, cy1, visible[a], unoccluded[a], sight,
                      out[a])


@inline_kernel
def _face_box(corners, ring, cam, ortho, near, image_w, image_h, poly):
    """(x0, y0, x1, y1): the image box of one face (corner indices ``ring``, in order round
    it) clipped at the near plane, projected and clipped to the image [0, image_w] x [0,
    image_h]; (inf, inf, -inf, -inf) when nothing of it is left. Sutherland-Hodgman, one
    boundary at a time, between the two rows of poly."""
    for k in range(4):
        for j in range(3):
            poly[0, k, j] = corners[ring[k], j]
    n = _clip(poly, 0, 4, 2, near, True)  # camera z >= near, into poly[1]
    for k in range(n):  # projected, into poly[0]
        poly[0, k, 0], poly[0, k, 1] = _project(cam, ortho, poly[1, k, 0], poly[1, k, 1],
                                                poly[1, k, 2])
        poly[0, k, 2] = 0.0
    n = _clip(poly, 0, n, 0, 0.0, True)  # the image's four sides, back into poly[0]
    n = _clip(poly, 1, n, 0, image_w, False)
    n = _clip(poly, 0, n, 1, 0.0, True)
    n = _clip(poly, 1, n, 1, image_h, False)
    x0 = y0 = math.inf
    x1 = y1 = -math.inf
    for k in range(n):
        x0, x1 = min(x0, poly[0, k, 0]), max(x1, poly[0, k, 0])
        y0, y1 = min(y0, poly[0, k, 1]), max(y1, poly[0, k, 1])
    return x0, y0, x1, y1


@inline_kernel
def _clip(poly, src, n, axis, bound, above):
    """The polygon of n vertices in poly[src] cut to the side of ``bound`` on coordinate
    ``axis`` (at or above it when ``above``, else at or below) into poly[1 - src]; returns
    its vertex count."""
    dst = 1 - src
    m = 0
    for k in range(n):
        j = k + 1 if k + 1 < n else 0
        p, q = poly[src, k, axis], poly[src, j, axis]
        p_in = p >= bound if above else p <= bound
        q_in = q >= bound if above else q <= bound
        if p_in:
            for c in range(3):
                poly[dst, m, c] = poly[src, k, c]
            m += 1
        if p_in != q_in:
            f = (bound - p) / (q - p)
            for c in range(3):
                poly[dst, m, c] = poly[src, k, c] + (poly[src, j, c] - poly[src, k, c]) * f
            m += 1
    return m


@inline_kernel
def _image_labels(u0, v0, u1, v1, cx0, cy0, cx1, cy1, visible, unoccluded, sight, row):
    """Amodal box, truncation, occlusion, KITTI level and visibility of one actor (u: the
    box of the whole near-clipped projection, nan when none; c: the amodal box, empty
    when nothing of it is inside the image)."""
    if u0 != u0 or not (cx1 > cx0 and cy1 > cy0):  # no box, or nothing of it inside
        row[LG_CX0] = row[LG_CY0] = row[LG_CX1] = row[LG_CY1] = math.nan
        row[LG_TRUNCATION] = 1.0
    else:
        row[LG_CX0], row[LG_CY0], row[LG_CX1], row[LG_CY1] = cx0, cy0, cx1, cy1
        area = (u1 - u0) * (v1 - v0)
        inside = (cx1 - cx0) * (cy1 - cy0)
        row[LG_TRUNCATION] = min(1.0, max(0.0, 1.0 - inside / area)) if area > 0 else 0.0
    occlusion = 1.0 - visible / unoccluded if unoccluded else 1.0
    row[LG_OCCLUSION] = occlusion
    if visible == 0:
        level = 3
    elif occlusion <= KITTI_FULLY_VISIBLE_MAX:
        level = 0
    else:
        level = 1 if occlusion <= KITTI_PARTLY_MAX else 2
    row[LG_KITTI] = level
    row[LG_VISIBILITY] = math.exp(-3.0 * row[LG_DISTANCE] / sight)


@inline_kernel
def _project(cam, ortho, x, y, z):
    if ortho:
        return x / cam[B.C_MPP] + cam[B.C_CX], y / cam[B.C_MPP] + cam[B.C_CY]
    return cam[B.C_FX] * x / z + cam[B.C_CX], cam[B.C_FY] * y / z + cam[B.C_CY]
