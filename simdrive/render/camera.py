"""The camera model: the one object that owns the world-to-image transforms.

A :class:`Camera` is a CameraSpec (simdrive.scenario.cameras) placed on its
mount actor's pose. Coordinates:

- world: x forward along the reference road, y left, z up (m);
- camera (KITTI convention): x right, y down, z forward (m);
- image: u right, v down, in px, pixel (col, row) covering [col, col + 1) x [row, row + 1).

``extrinsics`` (4x4) maps world to camera, ``intrinsics`` (3x3) maps camera
to image (for the orthographic bird's-eye camera: u = x / mpp + cx, v = y /
mpp + cy, written as an affine 3x3 with ``projection == "orthographic"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from simdrive.render import blocks as B
from simdrive.scenario.cameras import CameraSpec, focal_px

ISO_TO_KITTI = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])
"""Camera axes (x fwd, y left, z up) to KITTI camera axes (x right, y down, z fwd)."""


def _rot_z(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _rot_y(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _rot_x(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


class _once:
    """functools.cached_property without its lock (Python 3.11 takes one on every first
    read; a camera is made per frame, so every read of it was a first one): the value
    goes into the instance's dict, where later reads find it without calling this."""

    def __init__(self, compute):
        self.compute = compute
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


@dataclass(frozen=True)
class Camera:
    """A camera at one instant: spec + the world pose of its mount (x, y m, heading rad).

    The matrices are computed on first use and kept (read-only arrays).
    """

    spec: CameraSpec
    mount_x: float
    mount_y: float
    mount_heading: float

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def width(self) -> int:
        return self.spec.width

    @property
    def height(self) -> int:
        return self.spec.height

    @property
    def orthographic(self) -> bool:
        return self.spec.projection == "orthographic"

    @property
    def position(self) -> np.ndarray:
        """Optical centre in the world, m (for the bird's-eye camera: above the view centre)."""
        return self._placed[0]

    @_once
    def _placed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(position, block, ray block), computed together on first use: a frame needs all
        three, and one lookup of the (spec, heading) parts serves them."""
        off_x, off_y, rotation, block, ray = _placement(self.spec, self.mount_heading)
        position = _frozen(np.array([self.mount_x + off_x, self.mount_y + off_y, self.spec.z]))
        block = block.copy()
        block[B.C_T:B.C_T + 3] = -(rotation @ position)
        ray = ray.copy()
        ray[0:3] += position
        return position, _frozen(block), ray

    @property
    def rotation(self) -> np.ndarray:
        """R (3x3): camera = R @ (world - position)."""
        return _rotations(self.spec, self.mount_heading)[0]

    @property
    def level_rotation(self) -> np.ndarray:
        """World to the camera's level frame: KITTI axes with pitch and roll removed.

        This is the "rectified" frame of KITTI labels: y points straight down, so an
        upright box turns about y only (rotation_y).
        """
        return _rotations(self.spec, self.mount_heading)[1]

    @_once
    def kitti_projection(self) -> np.ndarray:
        """3x4 P: image = P @ [X; 1] for X in the level frame (KITTI's calib P2).

        The camera's pitch and roll are folded into P, so KITTI tools that project
        label boxes with P land exactly on the image. For the orthographic bird's-eye
        camera P is affine (its last row is 0 0 0 1: the image point needs no division
        by depth), which the same tools' ``P @ X`` then divide-by-the-third-row follow.
        """
        return _kitti_projection(self.spec, self.mount_heading)

    @_once
    def extrinsics(self) -> np.ndarray:
        """4x4 world-to-camera matrix (KITTI camera axes)."""
        m = np.zeros((4, 4))
        r = self.rotation
        m[:3, :3] = r
        m[:3, 3] = -(r @ self.position)
        m[3, 3] = 1.0
        return _frozen(m)

    @property
    def intrinsics(self) -> np.ndarray:
        """3x3 camera-to-image matrix (perspective: divide by z after it)."""
        return _intrinsics(self.spec)

    def to_camera(self, points_world: np.ndarray) -> np.ndarray:
        """(..., 3) world points (m) -> camera coordinates (m)."""
        return (np.asarray(points_world, float) - self.position) @ self.rotation.T

    def project(self, points_camera: np.ndarray) -> np.ndarray:
        """(..., 3) camera points -> (..., 2) image coordinates (px); z must be > 0."""
        k = self.intrinsics
        p = np.asarray(points_camera, float)
        if self.orthographic:
            return np.stack([k[0, 0] * p[..., 0] + k[0, 2], k[1, 1] * p[..., 1] + k[1, 2]], -1)
        return np.stack([k[0, 0] * p[..., 0] / p[..., 2] + k[0, 2],
                         k[1, 1] * p[..., 1] / p[..., 2] + k[1, 2]], -1)

    def block(self) -> np.ndarray:
        """The (C_COUNT,) float64 camera block of the raster kernels (read-only, kept)."""
        return self._placed[1]

    def ray_block(self) -> np.ndarray:
        """(18,) o0, ou, ov, d0, du, dv: pixel (u, v) sees o + t d with camera z = t (kept:
        do not modify; writable so the ground kernel keeps one compiled signature)."""
        return self._placed[2]

    def contains(self, x: float, y: float, heading: float, length: float, width: float,
                 height: float) -> bool:
        """Whether the optical centre lies inside a box (the camera's own vehicle)."""
        p = self.position
        c, s = math.cos(heading), math.sin(heading)
        dx, dy = p[0] - x, p[1] - y
        along, across = c * dx + s * dy, -s * dx + c * dy
        return abs(along) <= length / 2 and abs(across) <= width / 2 and 0 <= p[2] <= height


# A camera's orientation and intrinsics depend on its spec and its mount's heading only,
# which stay the same from frame to frame while the mount drives straight: computed once
# (numpy on 3 x 3 matrices costs ~10 us a frame) and shared, read-only.
@lru_cache(maxsize=256)
def _rotations(spec: CameraSpec, heading: float) -> tuple[np.ndarray, np.ndarray]:
    """(rotation, level_rotation) of Camera."""
    axes = (_rot_z(heading + math.radians(spec.yaw_deg))
            @ _rot_y(math.radians(spec.pitch_deg)) @ _rot_x(math.radians(spec.roll_deg)))
    return (_frozen(ISO_TO_KITTI @ axes.T),
            _frozen(ISO_TO_KITTI @ _rot_z(heading + math.radians(spec.yaw_deg)).T))


@lru_cache(maxsize=256)
def _kitti_projection(spec: CameraSpec, heading: float) -> np.ndarray:
    """Camera.kitti_projection (it depends on the spec and the mount's heading only)."""
    rotation, level = _rotations(spec, heading)
    rect_to_cam = rotation @ level.T
    k = _intrinsics(spec)
    if spec.projection == "orthographic":
        top = np.hstack([k[:2, :2] @ rect_to_cam[:2], k[:2, 2:3]])
        return _frozen(np.vstack([top, [0.0, 0.0, 0.0, 1.0]]))
    return _frozen(k @ np.hstack([rect_to_cam, np.zeros((3, 1))]))


@lru_cache(maxsize=256)
def _placement(spec: CameraSpec, heading: float):
    """The parts of a camera's position, block and ray block that depend on the spec and
    the mount's heading only: (offset x, offset y, rotation, block and ray templates)."""
    off_x, off_y = _mount_offset(spec, heading)
    return (off_x, off_y, _rotations(spec, heading)[0], _block_template(spec, heading),
            _ray_template(spec, heading))


@lru_cache(maxsize=256)
def _block_template(spec: CameraSpec, heading: float) -> np.ndarray:
    """Camera.block without its translation (zeros there; read-only)."""
    b = np.zeros(B.C_COUNT)
    b[B.C_R:B.C_R + 9] = _rotations(spec, heading)[0].ravel()
    k = _intrinsics(spec)
    b[B.C_FX], b[B.C_FY], b[B.C_CX], b[B.C_CY] = k[0, 0], k[1, 1], k[0, 2], k[1, 2]
    b[B.C_ORTHO] = 1.0 if spec.projection == "orthographic" else 0.0
    b[B.C_MPP] = spec.metres_per_pixel
    b[B.C_NEAR], b[B.C_FAR] = spec.near_m, spec.far_m
    return _frozen(b)


@lru_cache(maxsize=256)
def _ray_template(spec: CameraSpec, heading: float) -> np.ndarray:
    """Camera.ray_block with the camera at the origin (read-only)."""
    rt = _rotations(spec, heading)[0].T  # columns: camera x, y, z axes in the world
    out = np.zeros(18)
    if spec.projection == "orthographic":
        mpp = spec.metres_per_pixel
        cx, cy = spec.width / 2, spec.height / 2
        out[0:3] = -cx * mpp * rt[:, 0] - cy * mpp * rt[:, 1]
        out[3:6] = mpp * rt[:, 0]
        out[6:9] = mpp * rt[:, 1]
        out[9:12] = rt[:, 2]
    else:
        fx, fy, cx, cy = focal_px(spec)
        out[9:12] = rt[:, 2] - cx / fx * rt[:, 0] - cy / fy * rt[:, 1]
        out[12:15] = rt[:, 0] / fx
        out[15:18] = rt[:, 1] / fy
    return _frozen(out)


@lru_cache(maxsize=256)
def _mount_offset(spec: CameraSpec, heading: float) -> tuple[float, float]:
    """The camera's (x, y) offset from its mount's centre in the world, m."""
    off = _rot_z(heading) @ np.array([spec.x, spec.y, 0.0])
    return float(off[0]), float(off[1])


@lru_cache(maxsize=64)
def _intrinsics(spec: CameraSpec) -> np.ndarray:
    if spec.projection == "orthographic":
        k = 1.0 / spec.metres_per_pixel
        return _frozen(np.array([[k, 0.0, spec.width / 2], [0.0, k, spec.height / 2],
                                 [0.0, 0.0, 1.0]]))
    fx, fy, cx, cy = focal_px(spec)
    return _frozen(np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]]))
