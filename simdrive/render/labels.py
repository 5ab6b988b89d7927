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
from dataclasses import dataclass, fields

import numpy as np

from simdrive.render.camera import Camera

# box corners: (+-l/2, +-w/2, 0 or h); edges join corners differing in one bit
_SIGNS = np.array([[(i >> 2) & 1, (i >> 1) & 1, i & 1] for i in range(8)], float)
_EDGES = np.array([(a, b) for a in range(8) for b in range(a + 1, 8)
                   if bin(a ^ b).count("1") == 1])

KITTI_FULLY_VISIBLE_MAX = 0.1
KITTI_PARTLY_MAX = 0.5


@dataclass(frozen=True)
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

    def to_dict(self) -> dict:
        """Plain dict of every field (tuples stay tuples)."""
        return {name: getattr(self, name) for name in _LABEL_FIELDS}


_LABEL_FIELDS = tuple(f.name for f in fields(ActorLabel))


def box_corners_world(x, y, heading, length, width, height) -> np.ndarray:
    """(N, 8, 3) world corners of N actors' 3D boxes (m)."""
    x, y, heading, length, width, height = (np.atleast_1d(np.asarray(v, float))
                                            for v in (x, y, heading, length, width, height))
    lx = (_SIGNS[:, 0] - 0.5)[None] * length[:, None]
    ly = (_SIGNS[:, 1] - 0.5)[None] * width[:, None]
    c, s = np.cos(heading)[:, None], np.sin(heading)[:, None]
    return np.stack([x[:, None] + c * lx - s * ly, y[:, None] + s * lx + c * ly,
                     _SIGNS[:, 2][None] * height[:, None]], -1)


def amodal_boxes(camera: Camera, corners_cam: np.ndarray) -> np.ndarray:
    """(N, 4) unclipped image boxes of (N, 8, 3) camera-frame box corners; nan if behind.

    Corners behind the near plane are replaced by the points where the box
    edges cross it, so a box reaching past the camera still projects to a
    finite box.
    """
    near = camera.spec.near_m
    z = corners_cam[..., 2]
    a = corners_cam[:, _EDGES[:, 0]]
    b = corners_cam[:, _EDGES[:, 1]]
    za, zb = a[..., 2], b[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        f = (near - za) / (zb - za)
    crossing = (za < near) != (zb < near)
    cut = a + (b - a) * np.where(crossing, f, 0.0)[..., None]
    points = np.concatenate([corners_cam, cut], axis=1)
    keep = np.concatenate([z >= near, crossing], axis=1)
    safe = np.where(keep[..., None], points, np.array([0.0, 0.0, 1.0]))
    uv = camera.project(safe)
    big = np.where(keep[..., None], uv, np.nan)
    out = np.full((corners_cam.shape[0], 4), np.nan)
    some = keep.any(axis=1)
    with np.errstate(invalid="ignore"):
        out[some, 0:2] = np.nanmin(big[some], axis=1)
        out[some, 2:4] = np.nanmax(big[some], axis=1)
    return out


def clip_box(box, width: int, height: int):
    """A box clipped to the image, or None if nothing of it is inside."""
    x0, y0, x1, y1 = max(box[0], 0.0), max(box[1], 0.0), min(box[2], width), min(box[3], height)
    if not (x1 > x0 and y1 > y0):
        return None
    return (float(x0), float(y0), float(x1), float(y1))


def truncation(box, clipped) -> float:
    """Share of the amodal box's area outside the image (1.0 when out of view)."""
    if clipped is None:
        return 1.0
    area = (box[2] - box[0]) * (box[3] - box[1])
    inside = (clipped[2] - clipped[0]) * (clipped[3] - clipped[1])
    return float(max(0.0, 1.0 - inside / area)) if area > 0 else 0.0


def kitti_occluded(visible: int, occlusion: float) -> int:
    """KITTI occlusion state: 0 fully visible, 1 partly, 2 largely occluded, 3 hidden."""
    if visible == 0:
        return 3
    if occlusion <= KITTI_FULLY_VISIBLE_MAX:
        return 0
    return 1 if occlusion <= KITTI_PARTLY_MAX else 2


def kitti_box(camera: Camera, x, y, heading, length, width, height):
    """(dimensions (h, w, l), bottom-centre location (x, y, z), rotation_y, alpha).

    In the camera's level frame (Camera.level_rotation), KITTI's rectified frame:
    ``Camera.kitti_projection`` maps it to the image.
    """
    level = camera.level_rotation
    bottom = level @ (np.array([x, y, 0.0]) - camera.position)
    forward = level @ np.array([math.cos(heading), math.sin(heading), 0.0])
    rotation_y = math.atan2(-forward[2], forward[0])
    alpha = rotation_y - math.atan2(bottom[0], bottom[2])
    alpha = (alpha + math.pi) % (2 * math.pi) - math.pi
    return ((float(height), float(width), float(length)),
            tuple(float(v) for v in bottom), float(rotation_y), float(alpha))
