"""Where a dataset frame's time goes: each stage of a warm one-worker ``simdrive render``
timed in-process (ms per frame).

    python benchmarks/dataset_stages.py [--scratch DIR]

Renders the README's main-command dataset (child_between_parked_cars, --limit 8) twice
with one worker into DIR (default /dev/shm, else the temporary folder; a tmpfs keeps file
costs out of it) and reports the second, warm run: the functions of
simdrive.dataset.shard wrapped with timers (rendering, encoding the image with its mark,
writing files, the label record, RLE, each format's writer). The total is the shard
function's; what the stages leave of it is the per-shard set-up (the variant's world and
renderer) and the loop itself. A profile for finding work, not a benchmark against a peer
(bench_dataset.py is that).
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = str(ROOT / "scenarios" / "child_between_parked_cars.yaml")
TOTALS: collections.Counter = collections.Counter()
CALLS: collections.Counter = collections.Counter()


def _timed(function, label: str):
    @functools.wraps(function)
    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            TOTALS[label] += time.perf_counter() - t0
            CALLS[label] += 1
    return timed


def _instrument() -> None:
    import simdrive.dataset.shard as shard
    from simdrive.render import frames

    for name in ("encode_image", "write_atomic", "frame_record", "_kept_record"):
        setattr(shard, name, _timed(getattr(shard, name), name))
    shard.rle.encode_box = _timed(shard.rle.encode_box, "rle.encode_box")
    frames.VariantRun.render = _timed(frames.VariantRun.render, "VariantRun.render")
    frames.VariantRun.advance_to = _timed(frames.VariantRun.advance_to, "simulation steps")
    for fmt, (folders, write_frame) in list(shard.PER_FRAME_WRITERS.items()):
        shard.PER_FRAME_WRITERS[fmt] = (folders, _timed(write_frame, f"writer {fmt}"))
    shard._render_shard = _timed(shard._render_shard, "total (shard function)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", default="/dev/shm" if os.path.isdir("/dev/shm")
                        else tempfile.gettempdir())
    args = parser.parse_args()
    _instrument()
    from simdrive.cli import main as simdrive

    with tempfile.TemporaryDirectory(dir=args.scratch) as scratch:
        out = os.path.join(scratch, "ds")
        command = ["render", SCENARIO, "--limit", "8", "-o", out, "--workers", "1", "--quiet",
                   "--force"]
        for _ in range(2):  # the first loads kernels and builds textures
            shutil.rmtree(out, ignore_errors=True)
            TOTALS.clear()
            CALLS.clear()
            t0 = time.perf_counter()
            if simdrive(command) != 0:
                sys.exit("simdrive render failed")
            wall = time.perf_counter() - t0
    frames = CALLS["VariantRun.render"]
    print(f"{frames} frames, {wall:.2f} s for the whole command (planning and report "
          "included)")
    print(f"{'stage':28s} {'ms/frame':>9s} {'calls':>6s}")
    for label, seconds in TOTALS.most_common():
        print(f"{label:28s} {seconds * 1e3 / frames:9.3f} {CALLS[label]:6d}")


if __name__ == "__main__":
    main()
