"""What a dataset's card, report, data.yaml and the render summary count, gathered frame by
frame as the assembly streams the shard records (none of them needs the frames kept: the
parent's memory stays flat however many frames a dataset has).
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from simdrive.world.conditions import LIGHTINGS, WEATHERS

MOSAIC_TILES = 12  # sample frames of the report's mosaic


def sample_indices(total: int) -> list[int]:
    """The frames (by index in record order) the report's mosaic shows: MOSAIC_TILES
    spread evenly over ``total``, first and last included."""
    return [int(k) for k in np.linspace(0, total - 1, min(MOSAIC_TILES, total))] \
        if total else []


@dataclass
class DatasetStats:
    """Counts of a dataset's frames, fed one frame record at a time (``add``), in record
    order. ``total``: how many frames will come (it picks the mosaic's samples)."""

    total: int
    frames: int = 0
    per_split: Counter = field(default_factory=Counter)  # images per split
    looks: Counter = field(default_factory=Counter)  # images per (weather, lighting)
    cells: Counter = field(default_factory=Counter)  # images per (scenario, weather, lighting)
    boxes: Counter = field(default_factory=Counter)  # kept boxes per kind
    variants: set = field(default_factory=set)  # (scenario, variant)
    split_variants: set = field(default_factory=set)  # (split, scenario, variant)
    # one entry per kept box, in record order
    heights: array = field(default_factory=lambda: array("d"))
    occlusion: array = field(default_factory=lambda: array("d"))
    truncation: array = field(default_factory=lambda: array("d"))
    distance: array = field(default_factory=lambda: array("d"))
    box_camera: array = field(default_factory=lambda: array("H"))  # index into cameras
    cameras: list = field(default_factory=list)  # camera names, in order of first frame
    per_camera: Counter = field(default_factory=Counter)  # images per camera
    camera_boxes: Counter = field(default_factory=Counter)  # kept boxes per (camera, kind)
    samples: list = field(default_factory=list)  # the frames sample_indices picks
    # (camera, kind): actors showing pixels, and how many of them the box filter kept
    shown: Counter = field(default_factory=Counter)
    shown_kept: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._sample_at = set(sample_indices(self.total))

    def add(self, frame: dict) -> None:
        """Count one frame record (ValueError, KeyError or TypeError if it is damaged)."""
        split, scenario = frame["split"], frame["scenario"]
        weather, lighting = frame["weather"], frame["lighting"]
        if weather not in WEATHERS or lighting not in LIGHTINGS:
            raise ValueError(f"a frame's weather/lighting {weather}/{lighting} is not one "
                             "simdrive renders")
        if not (isinstance(frame["image"], str) and isinstance(split, str)
                and isinstance(scenario, str)):
            raise TypeError("a frame's image, split or scenario is not a string")
        self.per_split[split] += 1
        self.looks[(weather, lighting)] += 1
        self.cells[(scenario, weather, lighting)] += 1
        self.variants.add((scenario, frame["variant"]))
        self.split_variants.add((split, scenario, frame["variant"]))
        camera = frame["camera"]["name"]
        if not isinstance(camera, str):
            raise TypeError("a frame's camera name is not a string")
        if camera not in self.per_camera:
            self.cameras.append(camera)
        self.per_camera[camera] += 1
        index = self.cameras.index(camera)
        for obj in frame["labels"]:
            if obj["visible_pixels"] > 0:
                self.shown[(camera, obj["kind"])] += 1
                self.shown_kept[(camera, obj["kind"])] += obj["keep"]
            if obj["keep"]:
                self.boxes[obj["kind"]] += 1
                self.camera_boxes[(camera, obj["kind"])] += 1
                self.box_camera.append(index)
                box = obj["visible_box"]
                self.heights.append(box[3] - box[1])
                self.occlusion.append(obj["occlusion"])
                self.truncation.append(obj["truncation"])
                self.distance.append(obj["distance_m"])
        if self.frames in self._sample_at:
            self.samples.append(frame)
        self.frames += 1

    def never_kept(self, at_least: int = 5) -> list[tuple[str, str, int]]:
        """(camera, kind, count) of the kinds that showed pixels at least ``at_least``
        times in a camera and never passed the box filter there (walkers in the
        bird's-eye view, ~2 x 4 px, under the default minimum height)."""
        return [(camera, kind, n) for (camera, kind), n in sorted(self.shown.items())
                if n >= at_least and self.shown_kept[(camera, kind)] == 0]

    @classmethod
    def of(cls, frames: list[dict]) -> DatasetStats:
        stats = cls(len(frames))
        for frame in frames:
            stats.add(frame)
        return stats

    @property
    def kept_boxes(self) -> int:
        return len(self.heights)
