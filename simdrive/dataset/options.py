"""What a dataset run is asked to produce: formats, cameras, frames, filters, splits."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from simdrive.errors import SimdriveError

FORMATS = ("coco", "yolo", "kitti")
EXTRAS = ("depth", "semantic", "instance")
IMAGE_FORMATS = ("jpg", "png")


@dataclass(frozen=True)
class BoxFilter:
    """Which actors become boxes. An actor is kept when all hold:

    visible_pixels >= min_pixels, visible box height >= min_height_px,
    occlusion <= max_occlusion, visibility (fog and darkness at its distance,
    exp(-3 d / V)) >= min_visibility. Dropped actors with a visible box become
    ignore regions (COCO ``iscrowd`` 1, KITTI ``DontCare``); YOLO leaves them out.
    """

    min_pixels: int = 25
    min_height_px: int = 8
    max_occlusion: float = 0.9
    min_visibility: float = 0.05

    def keeps(self, label) -> bool:
        if label.visible_box is None or label.visible_pixels < self.min_pixels:
            return False
        height = label.visible_box[3] - label.visible_box[1]
        return (height >= self.min_height_px and label.occlusion <= self.max_occlusion
                and label.visibility >= self.min_visibility)


@dataclass(frozen=True)
class DatasetOptions:
    """Settings of one ``simdrive render`` run (everything that changes the output)."""

    formats: tuple[str, ...] = FORMATS
    cameras: tuple[str, ...] | None = None  # None: each scenario's first camera
    every: int | None = None  # None: each scenario's render.every
    limit: int | None = None  # variants per scenario file
    image_format: str = "jpg"
    extras: tuple[str, ...] = ()
    box_filter: BoxFilter = field(default_factory=BoxFilter)
    split: tuple[tuple[str, float], ...] = (("train", 0.8), ("val", 0.1), ("test", 0.1))
    split_seed: int = 0
    frames_per_shard: int = 20

    def to_dict(self) -> dict:
        return asdict(self)


def parse_list(text: str | None, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    if text is None or text == "":
        return ()
    items = tuple(x.strip() for x in text.split(",") if x.strip())
    bad = [x for x in items if x not in allowed]
    if bad:
        raise SimdriveError(f"unknown {what} {', '.join(bad)}",
                            expected="a comma-separated list of " + ", ".join(allowed),
                            found=text)
    return tuple(dict.fromkeys(items))


def parse_split(text: str) -> tuple[tuple[str, float], ...]:
    """``train=0.8,val=0.1,test=0.1`` -> ratios (must be >= 0 and sum to 1)."""
    parts = []
    for item in text.split(","):
        match = re.fullmatch(r"\s*([a-z][a-z0-9_]*)\s*=\s*([0-9.]+)\s*", item)
        if not match:
            raise SimdriveError("bad --split", expected="name=ratio,... e.g. "
                                "train=0.8,val=0.1,test=0.1", found=text)
        parts.append((match.group(1), float(match.group(2))))
    total = sum(r for _, r in parts)
    if abs(total - 1.0) > 1e-6 or len({n for n, _ in parts}) != len(parts):
        raise SimdriveError("--split ratios must sum to 1 with distinct names", found=text)
    return tuple(parts)
