"""Safe file names derived from scenario and camera names: never a path outside the dataset."""

from __future__ import annotations

import re

CAMERA_STEM = 24
"""Characters of a camera's name kept in file names."""


def safe_name(text: str, limit: int = 60) -> str:
    """Letters, digits, '-' and '_' only; no leading dot; never empty."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_.-")[:limit]
    return cleaned or "unnamed"


def frame_stem(scenario: str, variant_index: int, camera: str, step: int) -> str:
    """e.g. child_between_parked_cars_v00003_front_s00040."""
    camera_part = safe_name(camera, CAMERA_STEM)
    return f"{safe_name(scenario)}_v{variant_index:05d}_{camera_part}_s{step:05d}"
