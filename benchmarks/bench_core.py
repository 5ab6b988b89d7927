"""Core-loop throughput of simdrive against highway-env, measured in one run.

    python benchmarks/bench_core.py [--json] [--seconds 2] [--skip-peer]

Prints one row (or JSON object) per configuration: agent-steps per second for
N in {20, 50, 200} in a single world, simdrive also for 1024 worlds x 50, both
engines with dt = 1/15 s on a 4-lane highway with IDM/MOBIL traffic, timed over
the first 20 s of simulated traffic from a fresh placement. The
peer runs in its own virtual environment (benchmarks/peers/setup.sh, created on
first use) as a subprocess. Then the cold start: a fresh process's import +
first step with an empty numba cache, and with a warm one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

import numpy as np
from coldstart import fresh_process_runs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DT = 1.0 / 15.0  # s, highway-env's default simulation step
SIM_SECONDS = 20.0  # s of simulated traffic per timed run
LANES = 4


def highway_worlds(n_agents: int, n_worlds: int, seed: int = 0):
    """Worlds of n_agents cars on a 4-lane one-way highway, spread like highway-env's."""
    from simdrive.sim import ActorSpec, WorldSpec
    from simdrive.world.maps import build_map

    road = build_map({"type": "straight", "lanes": LANES, "one_way": True, "length": 20000.0,
                      "sidewalks": "none", "speed_limit": 30.0})
    rng = np.random.default_rng(seed)
    worlds = []
    for _ in range(n_worlds):
        actors = []
        # highway-env spaces vehicles about 12-40 m apart per lane (vehicles_density 1)
        per_lane = [0.0] * LANES
        for k in range(n_agents):
            lane = int(rng.integers(LANES))
            per_lane[lane] += rng.uniform(15.0, 40.0)
            actors.append(ActorSpec("car", f"car{k}", lane=f"fwd_{lane}", s=50.0 + per_lane[lane],
                                    speed_mps=float(rng.uniform(20.0, 30.0)),
                                    desired_speed_mps=float(rng.uniform(23.0, 30.0)),
                                    ego=(k == 0)))
        worlds.append(WorldSpec(road, tuple(actors), dt=DT))
    return worlds


def measure(n_agents: int, n_worlds: int, seconds: float) -> float:
    """Agent-steps per second over the first SIM_SECONDS of traffic, all steps in one call.

    Every run starts from freshly placed traffic (the costly part, before cars
    spread out) and simulates the same span, so rows are comparable; runs with
    new seeds repeat until ``seconds`` of wall time are spent.
    """
    from simdrive.sim import Simulation

    steps = int(round(SIM_SECONDS / DT))
    Simulation(highway_worlds(n_agents, 1)).step(1)  # compile or load the kernel
    total_steps = 0.0
    elapsed = 0.0
    seed = 0
    while elapsed < seconds:
        sim = Simulation(highway_worlds(n_agents, n_worlds, seed=seed))
        t0 = time.perf_counter()
        sim.step(steps)
        elapsed += time.perf_counter() - t0
        total_steps += n_agents * n_worlds * steps
        seed += 1
    return total_steps / elapsed


COLD_SNIPPET = """
import time; t0 = time.perf_counter()
import sys; sys.path.insert(0, {bench!r})
from bench_core import highway_worlds
from simdrive.sim import Simulation
sim = Simulation(highway_worlds(20, 1)); sim.step(1)
print(time.perf_counter() - t0)
"""


def cold_start() -> tuple[float, float]:
    """(empty cache, warm cache) seconds to import simdrive and take a first step."""
    (empty,), (warm,) = fresh_process_runs(COLD_SNIPPET.format(bench=str(HERE)))
    return empty, warm


def peer_rows(seconds: float) -> list[dict]:
    setup = subprocess.run(["bash", str(HERE / "peers" / "setup.sh")], check=True,
                           capture_output=True, text=True)
    python = setup.stdout.strip().splitlines()[-1]
    out = subprocess.run([python, str(HERE / "peers" / "highway_env_bench.py"), "--n-agents",
                          "20", "50", "200", "--seconds", str(seconds)],
                         check=True, capture_output=True, text=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--seconds", type=float, default=2.0, help="timed wall time per row")
    parser.add_argument("--skip-peer", action="store_true", help="do not run highway-env")
    parser.add_argument("--skip-cold", action="store_true", help="do not measure cold start")
    args = parser.parse_args()

    rows = []
    for n in (20, 50, 200):
        rows.append({"engine": "simdrive", "n_agents": n, "n_worlds": 1,
                     "agent_steps_per_s": round(measure(n, 1, args.seconds))})
    rows.append({"engine": "simdrive", "n_agents": 50, "n_worlds": 1024,
                 "agent_steps_per_s": round(measure(50, 1024, args.seconds))})
    if not args.skip_peer:
        for peer in peer_rows(args.seconds):
            rows.append({"engine": "highway-env", "n_agents": peer["n_agents"], "n_worlds": 1,
                         "agent_steps_per_s": round(peer["agent_steps_per_s"])})
    if not args.skip_cold:
        empty, warm = cold_start()
        rows.append({"engine": "simdrive", "cold_start_empty_cache_s": round(empty, 2),
                     "cold_start_warm_cache_s": round(warm, 2)})

    if args.json:
        for row in rows:
            print(json.dumps(row))
        return
    peer = {r["n_agents"]: r["agent_steps_per_s"] for r in rows if r["engine"] == "highway-env"}
    print(f"{'engine':<12} {'N':>5} {'worlds':>7} {'agent-steps/s':>15} {'x highway-env':>14}")
    for r in rows:
        if "agent_steps_per_s" not in r:
            continue
        ratio = ""
        if r["engine"] == "simdrive" and r["n_worlds"] == 1 and r["n_agents"] in peer:
            ratio = f"{r['agent_steps_per_s'] / peer[r['n_agents']]:.0f}x"
        print(f"{r['engine']:<12} {r['n_agents']:>5} {r['n_worlds']:>7} "
              f"{r['agent_steps_per_s']:>15,} {ratio:>14}")
    for r in rows:
        if "cold_start_empty_cache_s" in r:
            print(f"cold start (import + first step): empty numba cache "
                  f"{r['cold_start_empty_cache_s']} s, warm cache {r['cold_start_warm_cache_s']} s")


if __name__ == "__main__":
    main()
