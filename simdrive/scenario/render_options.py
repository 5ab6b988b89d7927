"""The ``render:`` key of a scenario: which frames to emit and the optional camera effects."""

from __future__ import annotations

from dataclasses import dataclass

from simdrive.scenario.reader import Reader
from simdrive.scenario.yamlpos import Node

_KEYS = {
    "every": "emit a frame every K simulation steps",
    "sensor_noise": "add seeded sensor noise (true/false)",
    "vignette": "darken the image corners like a real lens (true/false)",
    "motion_blur": "blur by the camera's own motion, 1/50 s exposure (true/false)",
}


@dataclass(frozen=True)
class RenderOptions:
    """Frame stride (``every`` simulation steps) and the optional realism effects."""

    every: int = 2
    sensor_noise: bool = True
    vignette: bool = True
    motion_blur: bool = False


def parse_render(node: Node | None) -> RenderOptions:
    if node is None:
        return RenderOptions()
    r = Reader(node, _KEYS, {}, "render")
    base = RenderOptions()
    return RenderOptions(
        every=r.integer("every", default=base.every, low=1, high=100000),
        sensor_noise=r.boolean("sensor_noise", default=base.sensor_noise),
        vignette=r.boolean("vignette", default=base.vignette),
        motion_blur=r.boolean("motion_blur", default=base.motion_blur),
    )
