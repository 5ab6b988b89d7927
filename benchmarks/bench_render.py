"""Rendering cost of a typical urban frame against JPEG-encoding it, measured in one run.

    python benchmarks/bench_render.py [--json] [--seconds 0.6] [--scene both|dense|scenario]
                                      [--skip-peer] [--skip-cold]

For each look (clear/noon, sensor noise + vignette on and off, fog, rain, snow,
night with headlights and street lights, motion blur) and each size (640x360,
1280x720) it reports, in ms per frame (median over interleaved timed blocks):

- ``raster_ms``: the rasterizer alone (ground and sky pass + actor pass);
- ``render_ms``: the full ``Renderer.render`` (passes, glows, finish pass with
  effects, labels), in BGR as ``simdrive render`` renders its frames;
- ``jpeg_ms``: ``cv2.imencode`` of that same image at quality 90 (BGR, contiguous);
- ``ratio``: render_ms / jpeg_ms (the target: <= 1.0 at 640x360, < 1.2 at 720p).

Scenes, through the front camera: ``scenario`` is
scenarios/child_between_parked_cars.yaml (variant 0, 10 actors) at t = 2 s;
``dense`` is the same street with ~30 actors (that frame plus traffic both ways,
parked cars, pedestrians and cyclists on the sidewalks), built as a Scene directly.
Then highway-env's own ``rgb_array`` render (its top-down view, no labels) at
640x360 and 1280x720 in its own venv (benchmarks/peers/setup.sh) as a subprocess,
and the cold start: import + first render in a fresh process with an empty numba
cache, then with the warm cache.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from coldstart import fresh_process_runs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIO = ROOT / "scenarios" / "child_between_parked_cars.yaml"
SIZES = ((640, 360), (1280, 720))
# (row name, weather, lighting, render option overrides)
CONFIGS = (
    ("clear/noon", "clear", "noon", {}),
    ("clear/noon, no noise/vignette", "clear", "noon", {"sensor_noise": False,
                                                         "vignette": False}),
    ("fog/noon", "fog", "noon", {}),
    ("rain/noon", "rain", "noon", {}),
    ("snow/noon", "snow", "noon", {}),
    ("clear/night", "clear", "night", {}),
    ("rain/dusk", "rain", "dusk", {}),
    ("clear/noon, motion blur", "clear", "noon", {"motion_blur": True}),
)


def scenario_frame(time_s: float = 2.0):
    """(road, scene, front camera spec, render options, frame seed) of the library scenario."""
    from simdrive.render.frames import VariantRun
    from simdrive.render.scene import scene_from_simulation
    from simdrive.scenario.build import variant_at
    from simdrive.scenario.runner import load_scenario

    spec = load_scenario(str(SCENARIO))
    run = VariantRun(spec, variant_at(spec, 0))
    run.advance_to(run.step_of(time_s))
    return run.road, scene_from_simulation(run.sim, 0), spec.cameras[0], spec.render, \
        run.step_index


def dense_frame():
    """The scenario frame plus 21 more actors on the same street: ~30 actors, many in view."""
    from simdrive.render.scene import Scene
    from simdrive.world.actors import actor_kind, actor_kind_id

    road, base, cam, options, frame_seed = scenario_frame()
    lanes = {lane.name: lane for lane in road.lanes}
    ego_s = float(base.x[base.index("ego")])
    rng = np.random.default_rng(3)
    extra = []  # (name, kind, lane, s, lateral offset, speed, moving, reverse)
    for k, ds in enumerate((14.0, 31.0, 52.0, 80.0)):
        extra.append((f"lead_{k}", "car" if k != 2 else "van", "fwd_0", ego_s + ds, 0.0, 11.0,
                      1, False))
    for k, ds in enumerate((9.0, 27.0, 45.0, 70.0, 95.0)):
        extra.append((f"oncoming_{k}", "car", "bwd_0", 200.0 - (ego_s + ds), 0.0, 12.0, 1,
                      False))
    for k, ds in enumerate((6.0, 100.0, 125.0)):
        extra.append((f"parked_x{k}", "car", "parking_right", ego_s + ds, 0.0, 0.0, 0, False))
    for k in range(6):
        side = "sidewalk_right" if k % 2 else "sidewalk_left"
        extra.append((f"walker_{k}", "adult", side, ego_s + 12.0 + 11.0 * k,
                      float(rng.uniform(-0.5, 0.5)), 1.4, 1, bool(k % 3 == 0)))
    for k in range(3):
        extra.append((f"cyclist_{k}", "cyclist", "sidewalk_left", ego_s + 20.0 + 25.0 * k,
                      0.0, 4.0, 1, False))
    cols = {f: list(getattr(base, f)) for f in ("x", "y", "heading", "speed", "length",
                                                   "width", "height", "kind", "moving")}
    names = list(base.names)
    for name, kind, lane_name, s, d, speed, moving, reverse in extra:
        lane = lanes[lane_name]
        x, y = lane.to_world(s, d)[:2]
        heading = float(lane.heading_at(s)) + (np.pi if reverse else 0.0)
        ln, wd, ht = actor_kind(kind).length, actor_kind(kind).width, actor_kind(kind).height
        names.append(name)
        for f, value in zip(("x", "y", "heading", "speed", "length", "width", "height",
                             "kind", "moving"),
                            (x, y, heading, speed, ln, wd, ht, actor_kind_id(kind), moving),
                            strict=True):
            cols[f].append(value)
    arrays = {f: np.array(v, np.int64 if f in ("kind", "moving") else float)
              for f, v in cols.items()}
    scene = Scene(time_s=base.time_s, names=tuple(names), **arrays)
    return road, scene, cam, options, frame_seed


def _median_ms(fn, seconds: float, reps: int = 7) -> float:
    """Median over ``reps`` blocks of the mean time of one call (ms); each block ~seconds/reps."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-6)
    per_block = max(1, int(seconds / reps / one))
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(per_block):
            fn()
        out.append((time.perf_counter() - t0) / per_block * 1e3)
    return statistics.median(out)


def measure(scene_name: str, frame, seconds: float) -> list[dict]:
    import cv2

    from simdrive.render.look import make_look
    from simdrive.render.renderer import Renderer

    road, scene, cam0, options0, frame_seed = frame
    rows = []
    for width, height in SIZES:
        cam = dataclasses.replace(cam0, width=width, height=height)
        for name, weather, lighting, overrides in CONFIGS:
            options = dataclasses.replace(options0, **overrides)
            renderer = Renderer(road, options, seed=12345)
            look = make_look(weather, lighting)
            # in BGR, as a dataset renders its frames (encoded as they are, no conversion)
            frame_out = renderer.render(scene, cam, look, frame_seed, bgr=True)
            bgr = frame_out.image
            params = [cv2.IMWRITE_JPEG_QUALITY, 90]

            def raster(renderer=renderer, cam=cam, look=look):
                renderer._rasterize(scene, cam, look)

            def render(renderer=renderer, cam=cam, look=look):
                renderer.render(scene, cam, look, frame_seed, bgr=True)

            def jpeg(bgr=bgr, params=params):
                cv2.imencode(".jpg", bgr, params)

            # interleave the three so a noisy neighbour slows them alike
            samples = {"raster": [], "render": [], "jpeg": []}
            for _ in range(3):
                samples["raster"].append(_median_ms(raster, seconds / 3))
                samples["render"].append(_median_ms(render, seconds / 3))
                samples["jpeg"].append(_median_ms(jpeg, seconds / 3))
            raster_ms, render_ms, jpeg_ms = (statistics.median(samples[k])
                                             for k in ("raster", "render", "jpeg"))
            in_view = sum(1 for lab in frame_out.labels if lab.visible_pixels > 0)
            rows.append({"engine": "simdrive", "scene": scene_name, "actors": len(scene.names),
                         "actors_visible": in_view, "config": name, "width": width,
                         "height": height, "raster_ms": round(raster_ms, 3),
                         "render_ms": round(render_ms, 3), "jpeg_ms": round(jpeg_ms, 3),
                         "ratio": round(render_ms / jpeg_ms, 2)})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def peer_rows(seconds: float) -> list[dict]:
    setup = subprocess.run(["bash", str(HERE / "peers" / "setup.sh")], check=True,
                           capture_output=True, text=True)
    python = setup.stdout.strip().splitlines()[-1]
    env = dict(os.environ, SDL_VIDEODRIVER="offscreen")
    out = subprocess.run([python, str(HERE / "peers" / "highway_env_render_bench.py"),
                          "--seconds", str(seconds)], env=env, check=True, capture_output=True,
                         text=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


COLD_SNIPPET = """
import time; t0 = time.perf_counter()
import sys; sys.path.insert(0, {bench!r})
from bench_render import scenario_frame
from simdrive.render.look import make_look
from simdrive.render.renderer import Renderer
road, scene, cam, options, seed = scenario_frame()
t1 = time.perf_counter()
Renderer(road, options, seed=1).render(scene, cam, make_look("rain", "night"), seed)
print(time.perf_counter() - t0, time.perf_counter() - t1)
"""


def cold_start() -> dict:
    """Seconds to a first rendered frame in a fresh process, empty and warm numba cache.

    ``*_total_s``: import, simulate the scenario to t = 2 s, first render; ``*_render_s``:
    the first render alone (compiling or loading the render kernels).
    """
    times = fresh_process_runs(COLD_SNIPPET.format(bench=str(HERE)))
    return {"engine": "simdrive", "cold_empty_cache_total_s": round(times[0][0], 2),
            "cold_empty_cache_render_s": round(times[0][1], 2),
            "cold_warm_cache_total_s": round(times[1][0], 2),
            "cold_warm_cache_render_s": round(times[1][1], 3)}


def print_table(rows: list[dict]) -> None:
    peer = {(r["width"], r["height"]): r["render_ms"] for r in rows
            if r["engine"] == "highway-env"}
    print(f"{'scene':<9} {'size':>9} {'look':<31} {'raster':>7} {'render':>7} {'jpeg':>6} "
          f"{'ratio':>6}")
    for r in rows:
        if r["engine"] != "simdrive" or "config" not in r:
            continue
        print(f"{r['scene']:<9} {r['width']:>4}x{r['height']:<4} {r['config']:<31} "
              f"{r['raster_ms']:>7.3f} {r['render_ms']:>7.3f} {r['jpeg_ms']:>6.3f} "
              f"{r['ratio']:>6.2f}")
    for (w, h), ms in sorted(peer.items()):
        print(f"highway-env rgb_array render (top-down, no labels) {w}x{h}: {ms:.3f} ms")
    for r in rows:
        if "cold_empty_cache_total_s" in r:
            print(f"first frame in a fresh process: empty numba cache "
                  f"{r['cold_empty_cache_total_s']} s (render {r['cold_empty_cache_render_s']}"
                  f" s), warm cache {r['cold_warm_cache_total_s']} s (render "
                  f"{r['cold_warm_cache_render_s']} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--seconds", type=float, default=0.6,
                        help="timed wall time per measurement and row")
    parser.add_argument("--scene", choices=("both", "scenario", "dense"), default="both")
    parser.add_argument("--skip-peer", action="store_true", help="do not run highway-env")
    parser.add_argument("--skip-cold", action="store_true", help="do not measure cold start")
    args = parser.parse_args()

    rows = []
    if args.scene in ("both", "scenario"):
        rows += measure("scenario", scenario_frame(), args.seconds)
    if args.scene in ("both", "dense"):
        rows += measure("dense", dense_frame(), args.seconds)
    if not args.skip_peer:
        rows += peer_rows(max(1.0, args.seconds))
    if not args.skip_cold:
        rows.append(cold_start())
    if args.json:
        for row in rows:
            print(json.dumps(row))
    else:
        print_table(rows)


if __name__ == "__main__":
    main()
