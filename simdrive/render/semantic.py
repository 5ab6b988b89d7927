"""Semantic classes of the per-pixel class image, and their legend colours.

Ground and sky classes come first; every actor kind has its own class,
ACTOR_CLASS_BASE + kind id (the kind ids of simdrive.world.actors).
"""

from __future__ import annotations

from simdrive.world.actors import actor_kind, actor_kinds

SEMANTIC = {
    "unlabelled": 0,
    "sky": 1,
    "road": 2,
    "lane_marking": 3,
    "crosswalk": 4,
    "sidewalk": 5,
    "kerb": 6,
    "vegetation": 7,
    "parking": 8,
    "pole": 9,
    "traffic_light": 10,
}
ACTOR_CLASS_BASE = 16

for _k, _name in enumerate(actor_kinds()):
    SEMANTIC[_name] = ACTOR_CLASS_BASE + _k

LEGEND_COLOURS = {  # sRGB, Cityscapes-like where a Cityscapes class exists
    "unlabelled": (0, 0, 0), "sky": (70, 130, 180), "road": (128, 64, 128),
    "lane_marking": (255, 255, 255), "crosswalk": (200, 200, 40), "sidewalk": (244, 35, 232),
    "kerb": (190, 153, 153), "vegetation": (107, 142, 35), "parking": (250, 170, 160),
    "pole": (153, 153, 153), "traffic_light": (250, 170, 30),
}
for _name in actor_kinds():
    LEGEND_COLOURS[_name] = actor_kind(_name).colour


def legend() -> list[dict]:
    """[{id, name, colour}] for every class, in id order (for manifests)."""
    return [{"id": i, "name": n, "colour": list(LEGEND_COLOURS[n])}
            for n, i in sorted(SEMANTIC.items(), key=lambda kv: kv[1])]
