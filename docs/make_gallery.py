"""Render the README gallery: library scenarios across weather x lighting, labels drawn.

    python docs/make_gallery.py            # writes docs/gallery/*.jpg

For each scenario the first variant (or the one VARIANT names) is simulated; its
critical actor (the one with the smallest time-to-collision to the ego) picks the
instant: the one
before any collision (and between its first and last scripted actions, when it has
several) where that actor shows the most pixels. That instant is
rendered through the front camera under each look, with amodal (dashed) and
visible (solid) boxes, class, track id and occlusion drawn. A second image shows
the other channels of one frame: depth, semantic classes and instance ids.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import cv2
import numpy as np

from simdrive.render.frames import VariantRun
from simdrive.render.look import make_look
from simdrive.render.overlay import colourise_semantic, draw_labels
from simdrive.render.scene import scene_from_simulation
from simdrive.scenario.build import variant_at
from simdrive.scenario.runner import load_scenario, simulate
from simdrive.world.actors import actor_kinds

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "gallery"
SCENARIOS = ("child_between_parked_cars", "pedestrian_behind_stopped_bus", "cut_in_fog",
             "cyclist_door_swerve", "kangaroo_crossing_rural_night", "tyre_debris_highway",
             "pileup_fog_highway", "ball_then_child", "pedestrian_in_oncoming_glare")
# the variant shown, when not the first (a first variant that does not show the scenario's
# situation to the front camera: e.g. a clean overtake, the cyclist swerving behind)
VARIANT: dict[str, int] = {"pedestrian_in_oncoming_glare": 18}
# the instant shown, when not the critical actor's best (the glare scenario's is the walker
# stepping out beside the oncoming car's headlights, before the car, which passes the ego
# nearer than the walker, would be shown)
TIME: dict[str, float] = {"pedestrian_in_oncoming_glare": 3.4}
LOOKS = (("clear", "noon"), ("rain", "dusk"), ("fog", "noon"), ("snow", "night"))
THUMB = (480, 270)


def _critical_instant(spec, variant) -> tuple[int, str]:
    (result,) = simulate(spec, indices=[variant.index], threads=1)
    outcome = result.outcome
    probe = VariantRun(spec, variant)
    rec = probe.sim.run(spec.duration, record_every=10)
    moved = np.hypot(rec.x[-1, 0] - rec.x[0, 0], rec.y[-1, 0] - rec.y[0, 0]) > 0.5
    kinds = scene_from_simulation(probe.sim, 0).kind
    # the critical actor: smallest TTC to the ego, not counting parked scenery
    movers = {name for name, m, kind in zip(probe.sim.actor_names[0], moved, kinds, strict=True)
              if m or actor_kinds()[int(kind)] in ("tyre", "debris")}
    subject = min((k for k in outcome.min_ttc_by_actor if k in movers),
                  key=lambda k: (outcome.min_ttc_by_actor[k], outcome.min_distance_by_actor[k]))
    run = VariantRun(spec, variant)
    last = outcome.collision_time_s - 0.25 if outcome.collision else spec.duration
    first = 0.0
    # a subject scripted to do and undo something (swerve out, then back): its moment lies
    # between the first and the last of its actions
    acts = [e.time_s for e in result.events if e.kind == "action" and e.actor == subject]
    if len(acts) > 1:
        first, last = acts[0], min(last, acts[-1])
    cam = spec.cameras[0]
    best = (-1.0, 0)
    stride = max(1, int(round(0.25 / spec.dt)))
    for step in range(int(math.ceil(first / spec.dt)), int(last / spec.dt) + 1, stride):
        run.advance_to(step)
        frame = run.render(cam)
        for lab in frame.labels:
            if lab.name != subject or lab.amodal_box is None or lab.truncation > 0.05:
                continue
            height = (lab.amodal_box[3] - lab.amodal_box[1]) / cam.height
            # big enough to see, small enough to show its surroundings
            # a subject never seen: the moment it is hidden closest (largest amodal box)
            seen = lab.visible_pixels or lab.unoccluded_pixels / 1000.0
            score = seen * (1.0 if height < 0.35 else 0.2)
            if score > best[0]:
                best = (score, step)
    return best[1], subject


def _caption(img: np.ndarray, text: str) -> np.ndarray:
    out = img.copy()
    cv2.rectangle(out, (0, 0), (out.shape[1], 22), (0, 0, 0), -1)
    cv2.putText(out, text, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1,
                cv2.LINE_AA)
    return out


def _save(path: Path, rgb: np.ndarray) -> None:
    cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 85])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    channels = None
    for name in SCENARIOS:
        spec = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        variant = variant_at(spec, VARIANT.get(name, 0))
        if name in TIME:
            step, subject = int(round(TIME[name] / spec.dt)), "chosen by hand"
        else:
            step, subject = _critical_instant(spec, variant)
        run = VariantRun(spec, variant)
        run.advance_to(step)
        scene = scene_from_simulation(run.sim, 0)
        tiles = []
        for weather, lighting in LOOKS:
            frame = run.renderer.render(scene, spec.cameras[0], make_look(weather, lighting),
                                        frame_seed=step)
            drawn = draw_labels(frame.image, frame.labels)
            _save(OUT / f"{name}_{weather}_{lighting}.jpg", drawn)
            thumb = cv2.resize(drawn, THUMB, interpolation=cv2.INTER_AREA)
            tiles.append(_caption(thumb, f"{name}  {weather}/{lighting}  t={scene.time_s:.1f}s"))
            if channels is None and weather == "clear":
                channels = frame
        rows.append(np.hstack(tiles))
        print(f"{name}: t = {scene.time_s:.2f} s, critical actor {subject}", file=sys.stderr)
    _save(OUT / "grid.jpg", np.vstack(rows))
    depth = channels.depth.copy()
    depth[~np.isfinite(depth)] = 200.0
    depth_img = cv2.applyColorMap(
        np.clip(255 * np.log1p(depth) / math.log1p(200.0), 0, 255).astype(np.uint8),
        cv2.COLORMAP_TURBO)[..., ::-1]
    inst = channels.instance
    palette = np.random.default_rng(3).integers(60, 255, (max(1, inst.max() + 1), 3))
    inst_img = np.where(inst[..., None] >= 0, palette[np.maximum(inst, 0)], 0).astype(np.uint8)
    strip = [_caption(cv2.resize(im, THUMB, interpolation=cv2.INTER_AREA), text) for im, text in (
        (draw_labels(channels.image, channels.labels), "image + labels"),
        (depth_img, "depth (log scale)"),
        (colourise_semantic(channels.semantic), "semantic classes"),
        (inst_img, "instance ids"))]
    _save(OUT / "channels.jpg", np.hstack(strip))
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
