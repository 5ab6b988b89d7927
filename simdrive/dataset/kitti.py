"""KITTI object-detection writer: ``kitti/<split>/{image_2,label_2,calib}`` and ImageSets.

Files are named as KITTI's: a six-digit id per split (``000000``, ``000001``, ... in
the dataset's fixed frame order; KITTI tools read the ids as integers), listed in
``kitti/ImageSets/<split>.txt``; ``manifest.json`` gives each image's ``kitti_id``.

Label lines: ``type truncated occluded alpha x1 y1 x2 y2 h w l x y z rotation_y``;
the 2D box is the amodal box (what of the 3D box's projection lies in the image),
the 3D box is in the camera's level frame (KITTI's rectified frame) and
``calib`` holds P0-P3 (= P2, which folds the camera's pitch and roll in),
R0_rect = identity, and Tr_velo_to_cam: the mount actor's frame (x forward,
y left, z up, origin at its box centre on the ground) to the level frame, so
KITTI tools reproject the 3D boxes onto the image exactly. Actors the box
filter drops but that show some pixels become ``DontCare`` with their visible box, as
do kept actors whose box centre lies behind a perspective camera (z <= 0).
Images are hard links to ``images/<split>/``, and the calib files of one camera
within a shard hard links to one file (copies where links are impossible).
"""

from __future__ import annotations

import math
import os
import shutil
from array import array
from pathlib import Path

from simdrive.dataset.categories import ONE_PER_KIND, ClassMap
from simdrive.files import write_atomic


def _row(values) -> str:
    """Numbers to 10 significant digits, rounding noise below 1e-9 written as 0: the
    calib of one camera then reads the same in every frame (write_frame links those)."""
    return " ".join(f"{(v if abs(v) >= 1e-9 else 0.0):.10g}" for v in values)


def calib_text(camera: dict) -> str:
    """The calib file of a frame's camera record (plain Python: 3 x 3 products)."""
    p2 = [float(v) for row in camera["kitti_P2"] for v in row]
    level = camera["level_rotation"]
    x, y, heading = camera["mount_pose"]
    px, py, pz = camera["position"]
    c, s = math.cos(heading), math.sin(heading)
    # Tr_velo_to_cam = [level @ vehicle_to_world | level @ (mount - position)]
    tr = []
    for row in level:
        tr += [row[0] * c + row[1] * s, -row[0] * s + row[1] * c, row[2],
               row[0] * (x - px) + row[1] * (y - py) + row[2] * (0.0 - pz)]
    identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    imu_to_velo = [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    projection = _row(p2)
    lines = [f"P{k}: {projection}" for k in range(4)]
    lines += [f"R0_rect: {_row(identity)}", f"Tr_velo_to_cam: {_row(tr)}",
              f"Tr_imu_to_velo: {_row(imu_to_velo)}"]
    return "\n".join(lines) + "\n"


def _angle(value: float) -> str:
    """An angle in [-pi, pi] with 4 decimals: -pi itself rounds to -3.1416, past -pi (KITTI's
    range; found by a review), so it is cut to 3.1415 instead."""
    text = f"{value:.4f}"
    return text if abs(float(text)) <= math.pi else f"{math.copysign(3.1415, value):.4f}"


def label_text(frame: dict, classes: ClassMap = ONE_PER_KIND) -> str:
    """The label file of a frame record. A kept actor whose box centre lies behind a
    perspective camera (location z <= 0: a car alongside, seen only at the image's edge)
    is ``DontCare`` with its visible box: KITTI's 3D convention has objects in front of
    the camera, and monocular 3D loaders take z as depth. A visible actor of a kind no
    class takes (``--classes``; the shard keeps none) is ``DontCare`` too."""
    lines = []
    perspective = frame["camera"]["projection"] != "orthographic"
    for obj in frame["labels"]:
        if obj["keep"] and not (perspective and obj["location_xyz"][2] <= 0.0):
            x0, y0, x1, y1 = obj["amodal_box"]
            h, w, length = obj["dimensions_hwl"]
            lx, ly, lz = obj["location_xyz"]
            kind = classes.kitti_type(obj["kind"])
            lines.append(
                f"{kind} {obj['truncation']:.2f} {obj['kitti_occluded']} "
                f"{_angle(obj['alpha'])} {x0:.2f} {y0:.2f} {x1:.2f} {y1:.2f} {h:.4f} "
                f"{w:.4f} {length:.4f} {lx:.4f} {ly:.4f} {lz:.4f} "
                f"{_angle(obj['rotation_y'])}")
        elif obj["visible_box"] is not None:
            x0, y0, x1, y1 = obj["visible_box"]
            lines.append(f"DontCare -1 -1 -10 {x0:.2f} {y0:.2f} {x1:.2f} {y1:.2f} -1 -1 -1 "
                         "-1000 -1000 -1000 -10")
    return "".join(line + "\n" for line in lines)


def _link(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
        return
    except FileExistsError:  # a resumed run: replace it
        os.unlink(dst)
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    except OSError:
        pass
    folder, name = os.path.split(dst)  # links impossible here: an atomic copy
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def kitti_id(frame: dict) -> str:
    """A frame's KITTI file name: its index among its split's frames, six digits."""
    return f"{frame['split_index']:06d}"


def make_folders(out: Path, split: str) -> None:
    """The folders write_frame writes one split's files into."""
    for sub in ("image_2", "label_2", "calib"):
        (out / "kitti" / split / sub).mkdir(parents=True, exist_ok=True)


def write_frame(out: Path, frame: dict, shard_state: dict, classes: ClassMap) -> None:
    """The image link, label and calib files of one frame (written by its shard worker,
    after make_folders). A calib that reads the same as an earlier one of the shard
    (the same camera: every frame, in practice) is a hard link to it; creating a file
    costs 0.1-0.7 ms on a virtual disk, a link 0.01 ms. ``shard_state``: a dict kept
    by the shard for that."""
    base = os.path.join(out, "kitti", frame["split"])
    stem = kitti_id(frame)
    image = frame["image"]
    _link(os.path.join(out, image),
          os.path.join(base, "image_2", stem + os.path.splitext(image)[1]))
    write_atomic(os.path.join(base, "label_2", f"{stem}.txt"),
                 label_text(frame, classes).encode())
    text = calib_text(frame["camera"])
    calib = os.path.join(base, "calib", f"{stem}.txt")
    key = ("kitti calib", text)
    if key in shard_state:
        _link(shard_state[key], calib)
    else:
        write_atomic(calib, text.encode())
        shard_state[key] = calib


class Writer:
    """The KITTI files assembly writes, fed frame records in order: ImageSets (the
    per-frame files come from the shards, see write_frame)."""

    def __init__(self, out: Path, splits: list[str], spools: Path,
                 classes: ClassMap = ONE_PER_KIND):
        self.out = out
        self.splits = splits
        self._ids: dict[str, array] = {split: array("q") for split in splits}

    def add(self, frame: dict) -> None:
        index = frame["split_index"]
        if type(index) is not int or index < 0:
            raise ValueError("a frame's split_index is not a count")
        self._ids[frame["split"]].append(index)

    def finish(self, stats) -> list[str]:
        for split in self.splits:
            make_folders(self.out, split)
        (self.out / "kitti" / "ImageSets").mkdir(parents=True, exist_ok=True)
        for split in self.splits:
            stems = "".join(f"{index:06d}\n" for index in self._ids[split])
            write_atomic(self.out / "kitti" / "ImageSets" / f"{split}.txt", stems.encode())
        return ["kitti/"]

    def close(self) -> None:
        pass
