"""Scenario throughput: variants enumerated and built into worlds per second (median of
a few runs), and variants simulated per second (building + physics, 8 s at 20 Hz), for
three library scenarios.

    python benchmarks/bench_variants.py [--json] [--variants 2000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from pathlib import Path

from simdrive.scenario.build import build_worlds, variants
from simdrive.scenario.runner import BATCH_SIZE, load_scenario, simulate
from simdrive.world.maps import build_map

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("child_between_parked_cars", "cut_in_fog", "red_light_runner")


def time_building(spec, n_variants: int) -> tuple[float, float, int]:
    """(s enumerating, s building, variants) of one run: enumerate, then build into
    WorldSpecs on a freshly built road (which packs its map and plans its placements)
    in simulate()'s batches."""
    t0 = time.perf_counter()
    chosen = variants(spec, n_variants)
    t_enum = time.perf_counter() - t0
    road = build_map(spec.map_desc, where=spec.file)
    t0 = time.perf_counter()
    for start in range(0, len(chosen), BATCH_SIZE):
        build_worlds(spec, chosen[start:start + BATCH_SIZE], road)
    return t_enum, time.perf_counter() - t0, len(chosen)


def measure(name: str, n_variants: int, repeats: int) -> dict:
    spec = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    # physics: 8 s at 20 Hz, as many variants as asked (the sampling repeats with new seeds)
    spec = dataclasses.replace(spec, duration=8.0, dt=0.05, samples=max(
        1, n_variants // max(1, len(variants(spec)) // spec.samples)))
    time_building(spec, 1)  # load the compiled placement kernel, like the simulation's below
    runs = [time_building(spec, n_variants) for _ in range(repeats)]
    count = runs[0][2]
    simulate(spec, limit=4)  # compile / load the kernel
    t0 = time.perf_counter()
    simulate(spec, limit=n_variants)
    t_sim = time.perf_counter() - t0
    return {"scenario": name, "variants": count,
            "enumerated_per_s": round(count / statistics.median(e for e, _, _ in runs)),
            "built_per_s": round(count / statistics.median(e + b for e, b, _ in runs)),
            "simulated_per_s": round(count / t_sim)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--variants", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5,
                        help="enumerate-and-build runs; their median is reported")
    args = parser.parse_args()
    rows = [measure(name, args.variants, args.repeats) for name in SCENARIOS]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return
    print(f"{'scenario':<28} {'variants':>8} {'enumerated/s':>13} {'built/s':>9} "
          f"{'simulated/s':>12}")
    for r in rows:
        print(f"{r['scenario']:<28} {r['variants']:>8} {r['enumerated_per_s']:>13,} "
              f"{r['built_per_s']:>9,} {r['simulated_per_s']:>12,}")


if __name__ == "__main__":
    main()
