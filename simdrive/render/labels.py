"""Per-actor labels from geometry and the instance buffer: never estimated.

- amodal box: the projection of the actor's 3D box, clipped at the camera's
  near plane (box edges crossing it are cut there), then clipped to the image;
- visible box and visible pixels: from the instance buffer (its tight box);
- occlusion: 1 - visible / unoccluded pixels, where unoccluded pixels are the
  pixels the actor's shape covers in the image with nothing in front (counted
  exactly by the rasterizer's stamp buffer);
- truncation: the share of the (near-clipped) amodal box outside the image;
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


@kernel
def label_geometry(x, y, heading, length, width, height, cam, level, position, image_w,
                   image_h, visible, unoccluded, sight, corners, out):
    """The labels of N actors' 3D boxes in one camera, into out (N, LG_COUNT).

    cam: the raster camera block (Camera.block); level (3, 3): Camera.level_rotation;
    position (3,): the optical centre; image_w, image_h: the image size (px); visible,
    unoccluded (N,) int64: each actor's visible and unoccluded pixel counts; sight:
    the look's sight distance (m); corners: (8, 3) float64 workspace.

    Amodal box: the image box of the box corners in front of the near plane and of
    the points where box edges cross it (so a box reaching past the camera still
    projects to a finite box); nan when no corner is in front. KITTI 3D box: in
    the level frame (labels module doc), alpha wrapped to [-pi, pi).
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
        bx, by, bz = x[a] - position[0], y[a] - position[1], -position[2]
        for k in range(3):
            out[a, LG_LX + k] = level[k, 0] * bx + level[k, 1] * by + level[k, 2] * bz
        f0 = level[0, 0] * c + level[0, 1] * s
        f2 = level[2, 0] * c + level[2, 1] * s
        rotation_y = math.atan2(-f2, f0)
        alpha = rotation_y - math.atan2(out[a, LG_LX], out[a, LG_LZ])
        out[a, LG_ROTATION_Y] = rotation_y
        out[a, LG_ALPHA] = (alpha + math.pi) % (2.0 * math.pi) - math.pi
        _image_labels(u0, v0, u1, v1, image_w, image_h, visible[a], unoccluded[a], sight,
                      out[a])


@inline_kernel
def _image_labels(u0, v0, u1, v1, image_w, image_h, visible, unoccluded, sight, row):
    """Clipped box, truncation, occlusion, KITTI level and visibility of one actor."""
    cx0, cy0 = max(u0, 0.0), max(v0, 0.0)
    cx1, cy1 = min(u1, float(image_w)), min(v1, float(image_h))
    if u0 != u0 or not (cx1 > cx0 and cy1 > cy0):  # no box, or nothing of it inside
        row[LG_CX0] = row[LG_CY0] = row[LG_CX1] = row[LG_CY1] = math.nan
        row[LG_TRUNCATION] = 1.0
    else:
        row[LG_CX0], row[LG_CY0], row[LG_CX1], row[LG_CY1] = cx0, cy0, cx1, cy1
        area = (u1 - u0) * (v1 - v0)
        inside = (cx1 - cx0) * (cy1 - cy0)
        row[LG_TRUNCATION] = max(0.0, 1.0 - inside / area) if area > 0 else 0.0
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
