"""Interleaved render-time comparison of two checkouts on the street frame.

    python benchmarks/compare_render.py OLD_CHECKOUT [NEW_CHECKOUT] [--rounds 3]
        [--sizes 640,1280] [--looks clear/noon,clear/night] [--json]

Each (checkout, size, look) runs in its own fresh Python process, the checkouts taking
turns round after round, so a noisy minute slows both alike. A process renders the
street frame of bench_render (``scenario_frame``: child_between_parked_cars, variant 0
at t = 2 s, front camera) and JPEG-encodes it (quality 90), 15 timed blocks of each,
and reports the best block of each: on this shared host noise only ever adds time, so
the best block is the steadiest figure for a before/after comparison (bench_render's
medians answer a different question: the typical cost). NEW_CHECKOUT defaults to this
one. Each checkout compiles into its own numba cache under the system's temporary
folder (a first round is slow if that cache is empty; it is timed after a warm-up).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import sys, time, dataclasses
root, look_name, width = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, root)
sys.path.insert(0, root + "/benchmarks")
import cv2, numpy as np
from bench_render import scenario_frame
from simdrive.render.look import make_look
from simdrive.render.renderer import Renderer
road, scene, spec, options, seed = scenario_frame()
spec = dataclasses.replace(spec, width=width, height=width * 9 // 16)
renderer = Renderer(road, options, seed=1)
look = make_look(*look_name.split("/"))
for _ in range(30):
    frame = renderer.render(scene, spec, look, seed)
bgr = np.ascontiguousarray(frame.image[..., ::-1])
n = max(10, int(64000 / width))
best_render = best_jpeg = float("inf")
for _ in range(15):
    t = time.perf_counter()
    for _ in range(n):
        renderer.render(scene, spec, look, seed)
    best_render = min(best_render, (time.perf_counter() - t) / n * 1e3)
    t = time.perf_counter()
    for _ in range(n):
        cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
    best_jpeg = min(best_jpeg, (time.perf_counter() - t) / n * 1e3)
print(best_render, best_jpeg)
"""


def run(checkout: Path, look: str, width: int) -> tuple[float, float]:
    cache = Path(tempfile.gettempdir()) / (
        "simdrive-compare-" + hashlib.sha1(str(checkout).encode()).hexdigest()[:10])
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), SDL_VIDEODRIVER="dummy")
    out = subprocess.run([sys.executable, "-c", CHILD, str(checkout), look, str(width)],
                         env=env, check=True, capture_output=True, text=True)
    render_ms, jpeg_ms = map(float, out.stdout.split()[-2:])
    return render_ms, jpeg_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path, nargs="?", default=Path(__file__).resolve().parents[1])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default="640,1280")
    parser.add_argument("--looks", default="clear/noon,clear/night")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    looks = args.looks.split(",")
    for k in range(1, args.rounds + 1):
        for label, checkout in (("old", args.old.resolve()), ("new", args.new.resolve())):
            for width in sizes:
                for look in looks:
                    render_ms, jpeg_ms = run(checkout, look, width)
                    row = {"round": k, "code": label, "checkout": str(checkout),
                           "width": width, "look": look, "render_ms": round(render_ms, 3),
                           "jpeg_ms": round(jpeg_ms, 3),
                           "ratio": round(render_ms / jpeg_ms, 3)}
                    if args.json:
                        print(json.dumps(row), flush=True)
                    else:
                        print(f"round {k} {label:3s} {width:5d} {look:12s} render "
                              f"{render_ms:6.3f} ms  jpeg {jpeg_ms:6.3f} ms  ratio "
                              f"{render_ms / jpeg_ms:5.2f}", flush=True)


if __name__ == "__main__":
    main()
