"""One variant being previewed: stepping, exact step back, manual driving, looks, saving.

No pygame here: ``Playback`` owns a :class:`simdrive.render.frames.VariantRun`
and only calls its public API (step, render) plus the snapshot history; the
window (simdrive.preview.app) turns keys into calls on it and draws what it
returns. Time is counted in whole simulation steps of the scenario's ``dt``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from simdrive.errors import SimdriveError
from simdrive.preview.history import History, restore_snapshot
from simdrive.preview.manual import ManualDriver
from simdrive.render.export import save_frame
from simdrive.render.frames import VariantRun, camera_spec, variant_look
from simdrive.render.look import Look, make_look
from simdrive.render.renderer import Frame
from simdrive.render.scene import scene_from_simulation
from simdrive.scenario.build import Variant, variant_count
from simdrive.scenario.cameras import PRESETS, CameraSpec
from simdrive.scenario.runner import load_scenario
from simdrive.scenario.source import is_found_file, load_variants, select_variant
from simdrive.scenario.spec import ScenarioSpec
from simdrive.scenario.yamlpos import load_yaml_file
from simdrive.sim import Event, Outcome
from simdrive.world.conditions import LIGHTINGS, WEATHERS


def variant_total(path: str | Path) -> int:
    """How many variants ``path`` (a scenario or a found file) offers."""
    if is_found_file(load_yaml_file(path)):
        return len(load_variants(path)[1])
    return variant_count(load_scenario(path))


@dataclass(frozen=True)
class LookOverride:
    """Weather and lighting chosen live in the viewer (None: the variant's own)."""

    weather: str | None = None
    lighting: str | None = None


class Playback:
    """Variant ``position`` of the scenario or found file at ``path``, stepped on demand.

    ``position`` is the variant index of a scenario file, or the place in the
    list of a found file (as ``simdrive frame --variant``).
    """

    def __init__(self, path: str | Path, position: int = 0, camera: str | None = None) -> None:
        self.path = Path(path)
        spec, variant = select_variant(self.path, position)
        self.count = variant_total(self.path)
        self.camera_name = camera_spec(spec, camera).name  # SimdriveError if unknown
        self.position = position
        self.override = LookOverride()
        self.history = History()
        self.version = 0  # bumped whenever what a render would show changes
        self._frame_cache: tuple[tuple, Frame] | None = None
        self._install(spec, variant, 0)

    # ---- loading --------------------------------------------------------------
    def _install(self, spec: ScenarioSpec, variant: Variant, step: int,
                 same_map: bool = False) -> None:
        road = self.run.road if same_map else None
        run = VariantRun(spec, variant, road=road)  # first: a failure leaves everything as it was
        self.spec, self.variant, self.run = spec, variant, run
        self.driver = ManualDriver(self.run.sim)
        self.manual = False
        self.history.clear()
        self.history.record(self.run.sim.blocks, 0)
        try:  # a camera of the old file, or a preset (bev, rear, ...) on the ego
            camera_spec(spec, self.camera_name)
        except SimdriveError:
            self.camera_name = spec.cameras[0].name
        self.version += 1
        self.step_forward(min(step, self.n_steps))

    def reload(self, spec: ScenarioSpec, variant: Variant) -> None:
        """Switch to a re-read scenario, at the same variant and step (clamped to its run)."""
        self._install(spec, variant, self.step)  # the map may have changed: built afresh

    def set_variant(self, position: int) -> None:
        """Go to variant ``position`` (wrapping round), from its start."""
        position %= self.count
        spec, variant = select_variant(self.path, position)
        self.position = position
        self._install(spec, variant, 0, same_map=True)

    def restart(self) -> None:
        """Back to step 0 of the same variant (manual driving off)."""
        self._install(self.spec, self.variant, 0, same_map=True)

    # ---- time -----------------------------------------------------------------
    @property
    def sim(self):
        return self.run.sim

    @property
    def step(self) -> int:
        return self.run.step_index

    @property
    def n_steps(self) -> int:
        return self.run.n_steps

    @property
    def dt_s(self) -> float:
        return self.spec.dt

    @property
    def time_s(self) -> float:
        return float(self.sim.time_s[0])

    @property
    def at_end(self) -> bool:
        return self.step >= self.n_steps

    @property
    def driven(self) -> bool:
        """Manual driving has shaped the current state."""
        latest = self.history.latest
        return latest is not None and latest.driven

    def step_forward(self, n: int = 1) -> int:
        """Simulate up to ``n`` steps (not past the run's end); returns the steps taken."""
        taken = 0
        while taken < n and not self.at_end:
            if self.manual:
                self.driver.apply(self.dt_s)
            self.run.advance_to(self.step + 1)
            self.history.record(self.sim.blocks, self.step, self.manual,
                                self.manual or self.driven)
            taken += 1
        if taken:
            self.version += 1
        return taken

    def step_back(self) -> bool:
        """Restore the state one step earlier, exactly; False at the start of the history."""
        snapshot = self.history.back()
        if snapshot is None:
            return False
        restore_snapshot(self.sim.blocks, snapshot)
        self.run.step_index = snapshot.step
        self.manual = snapshot.manual
        if not self.manual:
            self.driver.controls.release()
        self.version += 1
        return True

    # ---- manual driving ---------------------------------------------------------
    def set_manual(self, on: bool) -> None:
        if on == self.manual:
            return
        if on:
            self.driver.engage()
        else:
            self.driver.disengage()
        self.manual = on
        self.version += 1

    # ---- looks and cameras -------------------------------------------------------
    def look(self) -> Look:
        own = variant_look(self.spec, self.variant, self.time_s)
        if self.override == LookOverride():
            return own
        return make_look(self.override.weather or own.weather,
                         self.override.lighting or own.lighting)

    def cycle_weather(self) -> str:
        names = list(WEATHERS)
        current = self.look().weather
        self.override = LookOverride(names[(names.index(current) + 1) % len(names)],
                                     self.override.lighting)
        self.version += 1
        return self.override.weather

    def cycle_lighting(self) -> str:
        names = list(LIGHTINGS)
        current = self.look().lighting
        self.override = LookOverride(self.override.weather,
                                     names[(names.index(current) + 1) % len(names)])
        self.version += 1
        return self.override.lighting

    @property
    def camera(self) -> CameraSpec:
        return camera_spec(self.spec, self.camera_name)

    def cycle_camera(self) -> str:
        """The next of the scenario's cameras, then the presets it does not define."""
        names = [c.name for c in self.spec.cameras]
        names += [p for p in PRESETS if p not in names]
        self.camera_name = names[(names.index(self.camera_name) + 1) % len(names)]
        self.version += 1
        return self.camera_name

    # ---- reading ----------------------------------------------------------------
    def render(self, camera: CameraSpec | None = None) -> Frame:
        """The current instant through ``camera`` (default: the chosen one); cached."""
        camera = camera if camera is not None else self.camera
        key = (self.version, camera)
        if self._frame_cache is not None and self._frame_cache[0] == key:
            return self._frame_cache[1]
        scene = scene_from_simulation(self.sim, 0)
        frame = self.run.renderer.render(scene, camera, self.look(), frame_seed=self.step)
        self._frame_cache = (key, frame)
        return frame

    def events(self) -> list[Event]:
        return self.sim.events(0)

    def outcome(self) -> Outcome:
        return self.sim.outcome(0)

    def provenance(self) -> dict:
        """What ``simdrive frame`` records, plus what the viewer changed (if anything)."""
        out = {"scenario": self.spec.name, "scenario_file": str(self.path),
               "scenario_hash": self.spec.content_hash, "variant": self.variant.index,
               "seed": self.variant.seed}
        changed = {}
        if self.override.weather is not None:
            changed["weather"] = self.override.weather
        if self.override.lighting is not None:
            changed["lighting"] = self.override.lighting
        if self.driven:
            changed["manual_driving"] = True
        if changed:
            out["preview_changes"] = changed
        return out

    def save(self, directory: str | Path = ".") -> Path:
        """Save the current frame and its labels as ``simdrive frame`` would; returns the image.

        Named by scenario, variant, time and camera, then what the preview changed (the
        weather and lighting it set, ``manual`` after driving by hand); a name already
        taken gets ``_2``, ``_3``, ...: a save never overwrites an earlier one."""
        frame = self.render()
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.spec.name)
        name = f"{stem}_v{self.variant.index}_t{self.time_s:06.2f}_{self.camera_name}"
        changed = self.provenance().get("preview_changes", {})
        for key in ("weather", "lighting"):
            if key in changed:
                name += f"_{changed[key]}"
        if changed.get("manual_driving"):
            name += "_manual"
        path = Path(directory) / f"{name}.png"
        number = 1
        while path.exists() or path.with_suffix(".json").exists():
            number += 1
            path = Path(directory) / f"{name}_{number}.png"
        save_frame(path, frame, provenance=self.provenance())
        return path
