"""Measure the preview's frame rate headless: ``python -m simdrive.preview.fps [PATH]``.

The worst case is timed: every displayed frame shows a new simulation step, so
every frame simulates, renders the 640x360 dashcam frame (labels included),
draws the overlay, the bird's-eye view and the HUD, and flips the display.
The renderer alone is timed too. Run with ``SDL_VIDEODRIVER=dummy`` for a
figure without a display (a real window adds the cost of presenting it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame  # noqa: E402

from simdrive.preview.app import Viewer  # noqa: E402
from simdrive.preview.playback import Playback  # noqa: E402
from simdrive.render.scene import scene_from_simulation  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "scenarios" / "child_between_parked_cars.yaml"


def measure(path: str | Path, variant: int = 0, frames: int = 150) -> dict:
    """Median milliseconds per frame of the full loop and of the renderer alone."""
    playback = Playback(path, variant)
    viewer = Viewer(playback)
    viewer.tick(0.0)  # textures and first-call costs out of the way
    loop, render = [], []
    for _ in range(frames):
        if playback.at_end:
            playback.restart()
            viewer.playing = True
            viewer.tick(0.0)
        t0 = time.perf_counter()
        viewer.process_events()
        viewer.tick(playback.dt_s)  # exactly one new step: one new render
        pygame.display.flip()
        loop.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        scene = scene_from_simulation(playback.sim, 0)
        playback.run.renderer.render(scene, playback.camera, playback.look(), playback.step)
        render.append(time.perf_counter() - t0)
    pygame.quit()
    loop_ms = 1000 * statistics.median(loop)
    return {"loop_ms": loop_ms, "fps": 1000 / loop_ms,
            "render_ms": 1000 * statistics.median(render),
            "loop_p90_ms": 1000 * sorted(loop)[int(0.9 * len(loop))]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--variant", type=int, default=0)
    parser.add_argument("--frames", type=int, default=150)
    args = parser.parse_args()
    r = measure(args.path, args.variant, args.frames)
    print(f"{Path(args.path).name} variant {args.variant}: full frame (step, render 640x360, "
          f"overlay, bird's-eye, HUD, flip) median {r['loop_ms']:.1f} ms = {r['fps']:.0f} "
          f"frames/s (p90 {r['loop_p90_ms']:.1f} ms); renderer alone {r['render_ms']:.1f} ms")


if __name__ == "__main__":
    main()
