"""Scenario throughput: variants enumerated and built into worlds per second, and
variants simulated per second (physics only, 8 s at 20 Hz), for three library scenarios.

    python benchmarks/bench_variants.py [--json] [--variants 2000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from simdrive.scenario.build import build_worlds, variants
from simdrive.scenario.runner import BATCH_SIZE, load_scenario, simulate
from simdrive.world.maps import build_map

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("child_between_parked_cars", "cut_in_fog", "red_light_runner")


def measure(name: str, n_variants: int) -> dict:
    spec = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    # physics: 8 s at 20 Hz, as many variants as asked (the sampling repeats with new seeds)
    spec = dataclasses.replace(spec, duration=8.0, dt=0.05, samples=max(
        1, n_variants // max(1, len(variants(spec)) // spec.samples)))
    t0 = time.perf_counter()
    chosen = variants(spec, n_variants)
    t_enum = time.perf_counter() - t0
    # load the compiled placement kernel (once per process, like the simulation kernel below)
    # with another road, so that the timed run still packs its map and plans its placements
    build_worlds(spec, chosen[:1], build_map(spec.map_desc, where=spec.file))
    road = build_map(spec.map_desc, where=spec.file)
    t0 = time.perf_counter()
    for start in range(0, len(chosen), BATCH_SIZE):  # as simulate() builds them
        build_worlds(spec, chosen[start:start + BATCH_SIZE], road)
    t_build = time.perf_counter() - t0
    simulate(spec, limit=4)  # compile / load the kernel
    t0 = time.perf_counter()
    simulate(spec, limit=n_variants)
    t_sim = time.perf_counter() - t0
    return {"scenario": name, "variants": len(chosen),
            "enumerated_per_s": round(len(chosen) / t_enum),
            "built_per_s": round(len(chosen) / (t_enum + t_build)),
            "simulated_per_s": round(len(chosen) / t_sim)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--variants", type=int, default=2000)
    args = parser.parse_args()
    rows = [measure(name, args.variants) for name in SCENARIOS]
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
