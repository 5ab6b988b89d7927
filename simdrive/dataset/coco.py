"""COCO writer: ``annotations/instances_<split>.json`` per split.

``bbox`` is the visible box ([x, y, w, h] px), ``area`` the visible pixel count,
``segmentation`` the instance mask as compressed RLE. Actors the box filter drops but
that show pixels are ignore regions, ``iscrowd: 1`` (COCOeval and most trainers ignore
detections there, as KITTI's ``DontCare``), with the same fields. Extra fields per
annotation: ``track_id``, ``amodal_bbox`` (projection of the 3D box, clipped to
the image), ``occlusion``, ``truncation``, ``kitti_occluded``, ``box3d``
(KITTI camera-frame box), ``distance_m``, ``visibility``, ``actor`` (its name) and
``kind`` (its actor kind: under ``--classes`` the category is the class). Image
``file_name`` is relative to ``images/<split>/``.

A frame's image entry and annotations are serialised by the shard worker that renders
it (``fragments``, kept in its record), without the ids, which number the images and
annotations of a whole split; assembly only numbers and joins them.
"""

from __future__ import annotations

import json
from pathlib import Path

from simdrive import __version__
from simdrive.dataset.categories import ONE_PER_KIND, ClassMap
from simdrive.files import Spool, atomic_output
from simdrive.jsontext import compact_json

_SCAN = json.JSONDecoder().scan_once  # one JSON value at a position: (value, end)


def _xywh(box) -> list[float]:
    x0, y0, x1, y1 = box
    return [round(float(x0), 3), round(float(y0), 3), round(float(x1 - x0), 3),
            round(float(y1 - y0), 3)]


def fragments(frame: dict, classes: ClassMap = ONE_PER_KIND) -> dict:
    """A frame's COCO image entry and annotations as compact JSON objects without their
    ids: {"image": text, "annotations": [text, ...]} (see write). An actor of a kind no
    class takes is left out, ignore region or not (no category could hold it)."""
    image = {"file_name": Path(frame["image"]).name, "width": frame["camera"]["width"],
             "height": frame["camera"]["height"], "scenario": frame["scenario"],
             "variant": frame["variant"], "time_s": frame["time_s"],
             "camera": frame["camera"]["name"], "weather": frame["weather"],
             "lighting": frame["lighting"]}
    annotations = []
    for obj in frame["labels"]:
        index = classes.index(obj["kind"])
        if index is None or not obj["keep"] and obj["visible_box"] is None:
            continue
        annotations.append(compact_json({
            "category_id": index + 1, "bbox": _xywh(obj["visible_box"]),
            "area": obj["visible_pixels"], "iscrowd": 0 if obj["keep"] else 1,
            "segmentation": obj["segmentation"], "track_id": obj["track_id"],
            "actor": obj["name"], "kind": obj["kind"], "amodal_bbox": _xywh(obj["amodal_box"]),
            "occlusion": round(obj["occlusion"], 6),
            "truncation": round(obj["truncation"], 6),
            "kitti_occluded": obj["kitti_occluded"],
            "box3d": {"dimensions_hwl": obj["dimensions_hwl"],
                      "location_xyz": obj["location_xyz"],
                      "rotation_y": obj["rotation_y"], "alpha": obj["alpha"]},
            "distance_m": round(obj["distance_m"], 4),
            "visibility": round(obj["visibility"], 6),
        }))
    return {"image": compact_json(image), "annotations": annotations}


def _json_object(text) -> bool:
    """Whether a serialised entry is one compact JSON object with a field (the writer puts
    the ids before its first; a damaged record's would otherwise go into the COCO file as
    it is)."""
    if not (isinstance(text, str) and text[:2] == '{"'):
        return False
    try:
        value, end = _SCAN(text, 0)
    except (ValueError, StopIteration):
        return False
    return bool(value) and not text[end:].strip(" \t\n\r")  # as json.loads: whitespace after


class Writer:
    """The COCO files of a dataset, fed frame records in order (``add``, each with its
    ``coco`` fragments), written by ``finish``: the image ids number the dataset's frames
    and the annotation ids its annotations, from 1, in the frames' order across all splits,
    so each split's ids increase and no id is in two splits (train and val merge, for a
    final training on both, without clashes). The entries wait in spools on disk, so memory
    stays flat however many frames come."""

    def __init__(self, out: Path, splits: list[str], spools: Path,
                 classes: ClassMap = ONE_PER_KIND):
        """``spools``: the folder of the spools (the dataset's run-state folder)."""
        self.out = out
        self.classes = classes
        self.splits = splits
        (out / "annotations").mkdir(parents=True, exist_ok=True)
        self._images: dict[str, Spool] = {}
        self._annotations: dict[str, Spool] = {}
        self._image_ids = 0  # ids given so far, all splits
        self._annotation_ids = 0
        try:
            for split in splits:
                self._images[split] = Spool(spools)
                self._annotations[split] = Spool(spools)
        except BaseException:
            self.close()
            raise

    def add(self, frame: dict) -> None:
        parts = frame["coco"]
        if frame["split"] not in self._images:
            raise ValueError(f"split {frame['split']!r} is not one of the dataset's")
        if not (_json_object(parts["image"])
                and all(_json_object(text) for text in parts["annotations"])):
            raise ValueError("a frame's COCO entries are not JSON objects")
        images, annotations = self._images[frame["split"]], self._annotations[frame["split"]]
        self._image_ids += 1
        image_id = self._image_ids
        images.add(f'{"," if images.count else ""}{{"id":{image_id},'
                   f'{parts["image"][1:]}'.encode())
        for text in parts["annotations"]:
            self._annotation_ids += 1
            annotations.add(f'{"," if annotations.count else ""}'
                            f'{{"id":{self._annotation_ids},"image_id":{image_id},'
                            f'{text[1:]}'.encode())

    def finish(self, stats) -> list[str]:
        head = compact_json({
            "info": {"description": "simdrive synthetic dataset", "version": __version__,
                     "contributor": "simdrive (synthetic)"},
            "licenses": [], "categories": self.classes.coco_categories()})
        written = []
        for split in self.splits:
            rel = f"annotations/instances_{split}.json"
            with atomic_output(self.out / rel) as handle:
                handle.write(f'{head[:-1]},"images":['.encode())
                self._images[split].copy_to(handle)
                handle.write(b'],"annotations":[')
                self._annotations[split].copy_to(handle)
                handle.write(b"]}")
            written.append(rel)
        self.close()
        return written

    def close(self) -> None:
        for spool in (*self._images.values(), *self._annotations.values()):
            spool.close()
