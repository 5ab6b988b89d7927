"""Frames of a scenario variant: simulate it, and render chosen instants through its cameras.

This is the glue the commands use (``simdrive frame``, the dataset writer, the
preview): a variant fixes the weather and lighting (and a change of weather
during the run), the renderer's seed and the frame seeds, so the same
(scenario, variant, time, camera) always gives the same pixels.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Iterator

from simdrive.errors import SimdriveError
from simdrive.render.look import Look, make_look
from simdrive.render.renderer import Frame, Renderer
from simdrive.render.scene import scene_from_simulation
from simdrive.scenario.build import Variant, build_world, scenario_road
from simdrive.scenario.cameras import PRESETS, CameraSpec
from simdrive.scenario.locate import located_errors
from simdrive.scenario.spec import ScenarioSpec, resolve
from simdrive.sim import Simulation
from simdrive.world.maps import RoadMap


def variant_seed(variant: Variant) -> int:
    """A 63-bit seed derived from (scenario content hash, seed, index) only."""
    text = f"{variant.content_hash}:{variant.seed}:{variant.index}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little") >> 1


def variant_look(spec: ScenarioSpec, variant: Variant, time_s: float) -> Look:
    """Weather and lighting of a variant at ``time_s`` (after a weather change, if any)."""
    weather = resolve(spec.weather, variant.values)
    lighting = resolve(spec.lighting, variant.values)
    if spec.change is not None and time_s >= float(resolve(spec.change["at"], variant.values)):
        weather = resolve(spec.change["weather"], variant.values)
    return make_look(weather, lighting)


def camera_spec(spec: ScenarioSpec, name: str | None) -> CameraSpec:
    """The scenario's camera called ``name`` (None: its first camera); a preset name
    (front, rear, left, right, bev) the scenario does not define gives that preset on
    the ego."""
    if name is None:
        return spec.cameras[0]
    for cam in spec.cameras:
        if cam.name == name:
            return cam
    if name in PRESETS:
        return PRESETS[name]
    names = [c.name for c in spec.cameras] + [p for p in PRESETS if p not in
                                              {c.name for c in spec.cameras}]
    raise SimdriveError(f"scenario {spec.name!r} has no camera {name!r}", where=spec.file,
                        expected="one of " + ", ".join(names), found=name)


_TEXTURES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Ground textures per road map, shared by the renderers of all its variants."""


class VariantRun:
    """One variant, simulated step by step, rendered on demand."""

    def __init__(self, spec: ScenarioSpec, variant: Variant, road: RoadMap | None = None,
                 renderer: Renderer | None = None) -> None:
        """``renderer``: one to reuse (a dataset worker keeps one across its shards), taken
        if it draws this road with the scenario's render options; the variant's seed is
        handed to it frame by frame."""
        self.spec = spec
        self.variant = variant
        self.seed = variant_seed(variant)
        self.road = road if road is not None else scenario_road(spec)
        world = build_world(spec, variant, self.road)
        with located_errors(spec):
            self.sim = Simulation([world], threads=1)
        if renderer is None or renderer.road is not self.road or \
                renderer.options != spec.render:
            renderer = Renderer(self.road, spec.render, seed=self.seed,
                                textures=_TEXTURES.setdefault(self.road, {}))
        self.renderer = renderer
        self.step_index = 0

    @property
    def n_steps(self) -> int:
        """Steps of a full run (duration / dt)."""
        return int(round(self.spec.duration / self.spec.dt))

    def step_of(self, time_s: float) -> int:
        """The step index at ``time_s``; SimdriveError outside the scenario's duration."""
        if not 0.0 <= time_s <= self.spec.duration + 1e-9:
            raise SimdriveError("time outside the scenario's run", where=self.spec.file,
                                expected=f"0 to {self.spec.duration:g} s", found=time_s)
        return int(round(time_s / self.spec.dt))

    def advance_to(self, step: int) -> None:
        if step < self.step_index:
            raise SimdriveError("cannot step a simulation backwards; start a new VariantRun")
        self.sim.step(step - self.step_index)
        self.step_index = step

    def render(self, camera: CameraSpec, bgr: bool = False, weather: str | None = None,
               lighting: str | None = None) -> Frame:
        """Render the current instant through ``camera`` (``bgr``: see Renderer.render;
        ``weather``, ``lighting``: the picture's instead of the variant's)."""
        scene = scene_from_simulation(self.sim, 0)
        look = variant_look(self.spec, self.variant, scene.time_s)
        if weather is not None or lighting is not None:
            look = make_look(weather or look.weather, lighting or look.lighting)
        return self.renderer.render(scene, camera, look, frame_seed=self.step_index,
                                    seed=self.seed, bgr=bgr)

    def frames(self, every: int, cameras: tuple[CameraSpec, ...],
               start: int = 0, stop: int | None = None) -> Iterator[tuple[int, str, Frame]]:
        """(step, camera name, Frame) for steps start, start + every, ... up to stop."""
        stop = self.n_steps if stop is None else stop
        for step in range(start, stop + 1, every):
            self.advance_to(step)
            for cam in cameras:
                yield step, cam.name, self.render(cam)


def render_frame(spec: ScenarioSpec, variant: Variant, time_s: float,
                 camera: str | None = None, weather: str | None = None,
                 lighting: str | None = None) -> Frame:
    """One frame of ``variant`` at ``time_s`` (s) through the named camera; ``weather``
    and ``lighting`` replace the variant's in the picture (and the labels' visibility)
    only: the run, its road grip included, stays the variant's."""
    run = VariantRun(spec, variant)
    cam = camera_spec(spec, camera)
    run.advance_to(run.step_of(time_s))
    return run.render(cam, weather=weather, lighting=lighting)
