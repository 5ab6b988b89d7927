"""Camera rigs of a scenario: the ``camera:`` key, checked into plain ``CameraSpec`` data.

``camera:`` holds one camera (a mapping) or a list of them. Each names a
``preset`` (front, rear, left, right, bev) whose mounting it starts from and may
override any field. Without a ``camera:`` key a scenario has the front dashcam.
The renderer (simdrive.render.camera) turns a CameraSpec into the transforms.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from simdrive.dataset.names import CAMERA_STEM, safe_name
from simdrive.scenario.reader import Reader
from simdrive.scenario.yamlpos import Node
from simdrive.world.actors import actor_kinds
from simdrive.world.conditions import WEATHERS


@dataclass(frozen=True)
class CameraSpec:
    """One camera, as plain data.

    Mounting is relative to the ``mount`` actor's box centre on the ground, in
    its frame (x forward, y left, z up, m); ``yaw_deg`` turns left,
    ``pitch_deg`` tilts down, ``roll_deg`` turns clockwise as seen from behind.
    Perspective cameras take ``fov_deg`` (horizontal) or explicit ``fx``, ``fy``
    (px) and ``cx``, ``cy`` (px, default the image centre). The ``bev``
    projection is orthographic, looking straight down, ``metres_per_pixel`` m/px,
    image up = the mount actor's heading.
    """

    name: str = "front"
    mount: str = "ego"
    projection: str = "perspective"  # or "orthographic"
    width: int = 640
    height: int = 360
    x: float = 1.0
    y: float = 0.0
    z: float = 1.35
    yaw_deg: float = 0.0
    pitch_deg: float = 3.0
    roll_deg: float = 0.0
    fov_deg: float = 90.0
    fx: float | None = None
    fy: float | None = None
    cx: float | None = None
    cy: float | None = None
    metres_per_pixel: float = 0.1
    near_m: float = 0.1
    far_m: float = 1000.0


PRESETS = {
    "front": CameraSpec(),
    "rear": CameraSpec(name="rear", x=-1.0, yaw_deg=180.0, pitch_deg=8.0, fov_deg=110.0),
    "left": CameraSpec(name="left", x=0.3, y=0.9, z=1.0, yaw_deg=90.0, pitch_deg=10.0,
                       fov_deg=100.0),
    "right": CameraSpec(name="right", x=0.3, y=-0.9, z=1.0, yaw_deg=-90.0, pitch_deg=10.0,
                        fov_deg=100.0),
    "bev": CameraSpec(name="bev", projection="orthographic", width=480, height=480, x=10.0,
                      z=50.0, pitch_deg=90.0, metres_per_pixel=0.125),
}
"""Mountings users start from (Tesla/nuScenes-style dashcam, rear, side, bird's-eye)."""

_KEYS = {
    "name": "camera name (unique)", "preset": "front, rear, left, right or bev",
    "mount": "actor the camera rides on", "width": "image width, px",
    "height": "image height, px", "x": "forward offset, m", "y": "left offset, m",
    "z": "height above ground, m", "yaw_deg": "turn left, deg", "pitch_deg": "tilt down, deg",
    "roll_deg": "roll, deg", "fov_deg": "horizontal field of view, deg",
    "fx": "focal length x, px", "fy": "focal length y, px", "cx": "principal point x, px",
    "cy": "principal point y, px", "metres_per_pixel": "bird's-eye scale, m/px",
    "near_m": "near clipping plane, m", "far_m": "far plane, m",
}


def default_cameras() -> tuple[CameraSpec, ...]:
    return (PRESETS["front"],)


def parse_cameras(node: Node | None, actor_names: set[str]) -> tuple[CameraSpec, ...]:
    """The cameras of a ``camera:`` node (None: the front dashcam)."""
    if node is None:
        return default_cameras()
    items = list(node) if node.is_sequence else [node]
    if not items:
        raise node.error("needs at least one camera", expected="a mapping or a list")
    cameras: list[CameraSpec] = []
    for item in items:
        cam = _camera(item, actor_names)
        if any(c.name == cam.name for c in cameras):
            raise item.error(f"duplicate camera name {cam.name!r}",
                             hint="give each camera its own name, e.g. name: front_wide")
        stem = safe_name(cam.name, CAMERA_STEM)
        twin = [c.name for c in cameras if safe_name(c.name, CAMERA_STEM) == stem]
        if twin:  # found by a review: validate passed them, render refused them
            raise item.error(
                f"cameras {twin[0]!r} and {cam.name!r} would share a dataset's file names "
                f"({stem!r}: file names keep letters, digits, - and _ of the first "
                f"{CAMERA_STEM} characters)", hint="names that differ in those characters")
        cameras.append(cam)
    return tuple(cameras)


def _camera(node: Node, actor_names: set[str]) -> CameraSpec:
    r = Reader(node, _KEYS, {}, "a camera")
    preset_name = r.text("preset", choices=tuple(PRESETS), default="front")
    base = PRESETS[preset_name]
    values: dict = {"name": r.name("name", "a camera's name", default=base.name,
                                   forbidden=",=/\\",
                                   reserved=(*actor_kinds(), *WEATHERS))}
    mount = r.text("mount", default=base.mount)
    if mount not in actor_names:
        raise r.require("mount").error(f"camera mount {mount!r} is not an actor",
                                       expected="one of " + ", ".join(sorted(actor_names)))
    values["mount"] = mount
    for key in ("width", "height"):
        values[key] = r.integer(key, default=getattr(base, key), low=16, high=8192)
    bounds = {"x": (-50, 50), "y": (-50, 50), "z": (0.05, 500), "yaw_deg": (-360, 360),
              "pitch_deg": (-90, 90), "roll_deg": (-180, 180), "fov_deg": (5, 170),
              "metres_per_pixel": (0.001, 10), "near_m": (0.01, 10), "far_m": (10, 100000)}
    for key, (low, high) in bounds.items():
        values[key] = r.number(key, default=getattr(base, key), low=low, high=high,
                               varies=False)
    for key in ("fx", "fy", "cx", "cy"):  # a focal length under a pixel images nothing
        values[key] = r.number(key, default=getattr(base, key),
                               low=1.0 if key in ("fx", "fy") else 0.0, high=1e6,
                               varies=False)
    if (values["fx"] is None) != (values["fy"] is None):
        raise node.error("give both fx and fy, or neither (then fov_deg sets them)")
    if values["fx"] is not None and r.has("fov_deg"):  # one of them would be ignored
        raise r.require("fov_deg").error("give fov_deg or fx and fy, not both",
                                         hint="fx and fy set the field of view")
    ignored = (("fov_deg", "fx", "fy", "cx", "cy") if base.projection == "orthographic"
               else ("metres_per_pixel",))
    for key in ignored:  # keys the camera's projection has no use for
        if r.has(key):
            raise r.require(key).error(
                f"{key} does not apply to a{'n' if base.projection[0] == 'o' else ''} "
                f"{base.projection} camera (preset {preset_name!r})",
                expected="metres_per_pixel for the bird's-eye view (bev); fov_deg or fx, fy, "
                "cx, cy for a perspective camera")
    spec = dataclasses.replace(base, **values)
    if spec.far_m <= spec.near_m:
        raise node.error("far_m must be larger than near_m", found=[spec.near_m, spec.far_m])
    return spec


def focal_px(spec: CameraSpec) -> tuple[float, float, float, float]:
    """(fx, fy, cx, cy) in px of a perspective CameraSpec."""
    cx = spec.width / 2.0 if spec.cx is None else spec.cx
    cy = spec.height / 2.0 if spec.cy is None else spec.cy
    if spec.fx is not None:
        return float(spec.fx), float(spec.fy), cx, cy
    f = (spec.width / 2.0) / math.tan(math.radians(spec.fov_deg) / 2.0)
    return f, f, cx, cy
