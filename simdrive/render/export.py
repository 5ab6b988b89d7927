"""A rendered frame as files: the image (with its synthetic mark) and a JSON label record.

``save_frame`` is what ``simdrive frame`` and the preview's "save" key write: the
image at ``path`` and, next to it, ``<stem>.json`` holding ``frame_record``: time,
camera (name, size, intrinsics, extrinsics, KITTI P2), weather and lighting, and
every actor's labels (see simdrive.render.labels). Both files are written atomically.
Camera matrices: ``extrinsics`` world to camera (4x4), ``intrinsics`` (3x3),
``kitti_P2`` level frame to image (3x4), ``level_rotation`` world to level frame
(3x3, about ``position``), ``mount_pose`` the mount actor's x, y (m) and heading (rad).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from simdrive.files import write_atomic_together
from simdrive.render.images import encode_image
from simdrive.render.overlay import draw_labels
from simdrive.render.renderer import Frame


def frame_record(frame: Frame, provenance: dict | None = None) -> dict:
    """Plain, JSON-ready description of a frame and its labels."""
    cam = frame.camera
    return {
        **(provenance or {}),
        "time_s": round(frame.time_s, 9),
        "weather": frame.look.weather,
        "lighting": frame.look.lighting,
        "camera": {
            "name": cam.name, "projection": cam.spec.projection, "width": cam.width,
            "height": cam.height, "intrinsics": cam.intrinsics.tolist(),
            "extrinsics": cam.extrinsics.tolist(), "kitti_P2": cam.kitti_projection.tolist(),
            "level_rotation": cam.level_rotation.tolist(),
            "position": cam.position.tolist(),
            "mount": cam.spec.mount,
            "mount_pose": [cam.mount_x, cam.mount_y, cam.mount_heading],
        },
        "labels": [_plain(lab) for lab in frame.labels],
    }


def _plain(label) -> dict:
    """A label as a dict of JSON values: tuples become lists, numpy scalars Python ones."""
    out = label.to_dict()  # a new dict: its values are replaced in place
    for key, value in out.items():
        kind = type(value)
        if kind is tuple:
            out[key] = [v if type(v) in _PLAIN else _scalar(v) for v in value]
        elif kind not in _PLAIN and value is not None:
            out[key] = _scalar(value)
    return out


_PLAIN = frozenset((float, int, str, bool))


def _scalar(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return float(value)


def save_frame(path: str | Path, frame: Frame, provenance: dict | None = None,
               overlay: bool = False) -> Path:
    """Write the image (.png/.jpg) and its ``.json`` label record; returns the record path."""
    path = Path(path)
    image = draw_labels(frame.rgb, frame.labels) if overlay else frame.rgb
    mark = {**(provenance or {}), "time_s": round(frame.time_s, 9), "camera": frame.camera.name}
    record = path.with_suffix(".json")
    write_atomic_together([(path, encode_image(image, path.suffix, provenance=mark)),
                           (record, json.dumps(frame_record(frame, provenance),
                                               indent=1).encode())])
    return record
