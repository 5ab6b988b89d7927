"""COCO writer: ``annotations/instances_<split>.json`` per split.

``bbox`` is the visible box ([x, y, w, h] px), ``area`` the visible pixel count,
``segmentation`` the instance mask as compressed RLE. Actors the box filter drops but
that show pixels are ignore regions, ``iscrowd: 1`` (COCOeval and most trainers ignore
detections there, as KITTI's ``DontCare``), with the same fields. Extra fields per
annotation: ``track_id``, ``amodal_bbox`` (projection of the 3D box, clipped to
the image), ``occlusion``, ``truncation``, ``kitti_occluded``, ``box3d``
(KITTI camera-frame box), ``distance_m``, ``visibility``, ``actor``. Image
``file_name`` is relative to ``images/<split>/``.
"""

from __future__ import annotations

import json
from pathlib import Path

from simdrive import __version__
from simdrive.dataset.categories import categories
from simdrive.files import write_atomic


def _xywh(box) -> list[float]:
    x0, y0, x1, y1 = box
    return [round(float(x0), 3), round(float(y0), 3), round(float(x1 - x0), 3),
            round(float(y1 - y0), 3)]


def write(out: Path, frames: list[dict], splits: list[str]) -> list[str]:
    ids = {c["name"]: c["id"] for c in categories()}
    written = []
    for split in splits:
        images, annotations = [], []
        for frame in (f for f in frames if f["split"] == split):
            image_id = len(images) + 1
            images.append({"id": image_id, "file_name": Path(frame["image"]).name,
                           "width": frame["camera"]["width"],
                           "height": frame["camera"]["height"],
                           "scenario": frame["scenario"], "variant": frame["variant"],
                           "time_s": frame["time_s"], "camera": frame["camera"]["name"],
                           "weather": frame["weather"], "lighting": frame["lighting"]})
            for obj in frame["labels"]:
                if not obj["keep"] and obj["visible_box"] is None:
                    continue
                annotations.append({
                    "id": len(annotations) + 1, "image_id": image_id,
                    "category_id": ids[obj["kind"]], "bbox": _xywh(obj["visible_box"]),
                    "area": obj["visible_pixels"], "iscrowd": 0 if obj["keep"] else 1,
                    "segmentation": obj["segmentation"], "track_id": obj["track_id"],
                    "actor": obj["name"], "amodal_bbox": _xywh(obj["amodal_box"]),
                    "occlusion": round(obj["occlusion"], 6),
                    "truncation": round(obj["truncation"], 6),
                    "kitti_occluded": obj["kitti_occluded"],
                    "box3d": {"dimensions_hwl": obj["dimensions_hwl"],
                              "location_xyz": obj["location_xyz"],
                              "rotation_y": obj["rotation_y"], "alpha": obj["alpha"]},
                    "distance_m": round(obj["distance_m"], 4),
                    "visibility": round(obj["visibility"], 6),
                })
        doc = {"info": {"description": "simdrive synthetic dataset", "version": __version__,
                        "contributor": "simdrive (synthetic)"},
               "licenses": [], "categories": categories(), "images": images,
               "annotations": annotations}
        rel = f"annotations/instances_{split}.json"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out / rel, json.dumps(doc, separators=(",", ":")).encode())
        written.append(rel)
    return written
