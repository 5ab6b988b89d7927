"""Object classes of datasets: one per actor kind, with their names in each format."""

from __future__ import annotations

from simdrive.world.actors import actor_kind, actor_kinds

KITTI_TYPES = {"car": "Car", "van": "Van", "truck": "Truck", "bus": "Bus",
               "motorcycle": "Motorcycle", "cyclist": "Cyclist", "adult": "Pedestrian",
               "child": "Pedestrian", "dog": "Dog", "deer": "Deer", "kangaroo": "Kangaroo",
               "tyre": "Tyre", "debris": "Debris"}
"""KITTI type strings: KITTI's own where it has one (Car, Van, Truck, Pedestrian, Cyclist).

Children are ``Pedestrian``, as in KITTI's own labels (it has no child class), so KITTI
evaluation counts them; COCO and YOLO keep ``child``. Kinds KITTI has no class for keep
their own name, which KITTI's evaluation ignores."""


def categories() -> list[dict]:
    """COCO categories: id = kind id + 1, name = kind, supercategory = category."""
    return [{"id": k + 1, "name": name, "supercategory": actor_kind(name).category}
            for k, name in enumerate(actor_kinds())]


def class_index(kind: str) -> int:
    """YOLO class index (0-based kind id)."""
    return actor_kinds().index(kind)
