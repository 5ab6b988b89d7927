"""YOLO writer in the layout Ultralytics reads directly.

``images/<split>/<stem>.jpg`` (shared with the other formats), ``labels/<split>/<stem>.txt``
with one ``class cx cy w h`` line per kept box (the visible box, normalised to
0-1 by the image size), and ``data.yaml`` (``path`` omitted so Ultralytics uses
the folder of data.yaml; ``names`` by class index = actor kind id).
"""

from __future__ import annotations

import os
from pathlib import Path

from simdrive.dataset.categories import ONE_PER_KIND, ClassMap
from simdrive.files import write_atomic


def label_lines(frame: dict, classes: ClassMap = ONE_PER_KIND) -> str:
    """A frame's label file: its kept boxes (the shard keeps none of a kind no class takes)."""
    w, h = frame["camera"]["width"], frame["camera"]["height"]
    lines = []
    for obj in frame["labels"]:
        if not obj["keep"]:
            continue
        x0, y0, x1, y1 = obj["visible_box"]
        lines.append(f"{classes.index(obj['kind'])} {(x0 + x1) / 2 / w:.6f} "
                     f"{(y0 + y1) / 2 / h:.6f} {(x1 - x0) / w:.6f} {(y1 - y0) / h:.6f}")
    return "".join(line + "\n" for line in lines)


def make_folders(out: Path, split: str) -> None:
    """The folders write_frame writes one split's files into."""
    (out / "labels" / split).mkdir(parents=True, exist_ok=True)
    (out / "images" / split).mkdir(parents=True, exist_ok=True)


def write_frame(out: Path, frame: dict, shard_state: dict, classes: ClassMap) -> None:
    """The label file of one frame (written by the shard worker that renders it, after
    make_folders; shard_state is not needed here)."""
    write_atomic(os.path.join(out, "labels", frame["split"], f"{frame['stem']}.txt"),
                 label_lines(frame, classes).encode())


class Writer:
    """data.yaml, written at assembly (the label files come from the shards, see
    write_frame)."""

    def __init__(self, out: Path, splits: list[str], spools: Path,
                 classes: ClassMap = ONE_PER_KIND):
        self.out = out
        self.splits = splits
        self.classes = classes

    def add(self, frame: dict) -> None:
        pass

    def finish(self, stats) -> list[str]:
        write_data_yaml(self.out, stats.per_split, self.splits, self.classes)
        return ["data.yaml", "labels/"]

    def close(self) -> None:
        pass


def write_data_yaml(out: Path, per_split, splits: list[str],
                    classes: ClassMap = ONE_PER_KIND) -> None:
    """data.yaml of a dataset whose splits hold per_split[split] images."""
    for split in splits:
        make_folders(out, split)
    names = "".join(f"  {k}: {name}\n" for k, name in enumerate(classes.names))
    # Ultralytics needs train and val. train is always the train split: pointing it at
    # val or test images would train on the frames meant to judge the model (with none in
    # train, Ultralytics stops with "no images found", and the render's warning says
    # why). A val split not asked for, or given no variant, points at the training images
    # (the render's warning says so when it was asked for).
    present = [name for name in splits if per_split.get(name, 0)]
    roles = {"train": "train", "val": "val" if "val" in present else "train",
             "test": "test" if "test" in present else None}
    lines = ["# YOLO dataset written by simdrive (synthetic data)\n"]
    if "train" not in present:
        lines.append("# no variant fell in train: images/train is empty, so YOLO cannot "
                     "train on this dataset (render more variants or change --split)\n")
    if "val" in splits and "val" not in present:
        lines.append("# no variant fell in val: val points at the train images\n")
    for role, split in roles.items():
        if split is not None:
            lines.append(f"{role}: images/{split}\n")
    lines.append(f"nc: {len(classes.names)}\nnames:\n{names}")
    write_atomic(out / "data.yaml", "".join(lines).encode())
