"""Frame rendering cost of the peer highway-env (run inside .venv-highway).

Usage (after ``bash benchmarks/peers/setup.sh``):

    SDL_VIDEODRIVER=offscreen benchmarks/peers/.venv-highway/bin/python \
        benchmarks/peers/highway_env_render_bench.py --seconds 1

Prints one JSON object per line and per image size:

    {"engine": "highway-env", "version": ..., "width": W, "height": H, "render_ms": X,
     "mean_pixel_std": S}

Method: ``highway-v0`` with ``render_mode="rgb_array"``, ``screen_width`` x
``screen_height`` set in its config (its default top-down view: the road, lane
markings and vehicle rectangles, no labels), 20 vehicles; ``env.render()`` timed
after a reset and a few warm-up frames, median of 7 blocks. Run with
``SDL_VIDEODRIVER=offscreen``: with ``dummy`` pygame's viewer silently draws
nothing. ``mean_pixel_std`` (the standard deviation of the image's pixel values)
shows that something was drawn.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def run_one(width: int, height: int, seconds: float) -> dict:
    import gymnasium
    import highway_env  # noqa: F401  (registers the environments)

    env = gymnasium.make("highway-v0", render_mode="rgb_array",
                         config={"screen_width": width, "screen_height": height,
                                 "vehicles_count": 20})
    env.reset(seed=0)
    for _ in range(3):
        img = env.render()
    assert img.shape == (height, width, 3), img.shape
    reps = 7
    t0 = time.perf_counter()
    env.render()
    per_block = max(1, int(seconds / reps / max(time.perf_counter() - t0, 1e-6)))
    blocks = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(per_block):
            env.render()
        blocks.append((time.perf_counter() - t0) / per_block * 1e3)
    env.close()
    from importlib.metadata import version

    return {"engine": "highway-env", "version": version("highway-env"), "width": width,
            "height": height, "render_ms": round(statistics.median(blocks), 3),
            "mean_pixel_std": round(float(img.std()), 1),
            "sdl_videodriver": os.environ["SDL_VIDEODRIVER"]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=1.0, help="timed wall time per size")
    p.add_argument("--sizes", nargs="+", default=["640x360", "1280x720"])
    args = p.parse_args(argv)
    for size in args.sizes:
        w, h = (int(v) for v in size.split("x"))
        print(json.dumps(run_one(w, h, args.seconds)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
