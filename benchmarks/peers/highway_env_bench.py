"""Throughput benchmark of the peer simulator highway-env (run inside .venv-highway).

Usage (after ``bash benchmarks/peers/setup.sh``):

    benchmarks/peers/.venv-highway/bin/python benchmarks/peers/highway_env_bench.py \
        --n-agents 20 50 200 --seconds 3

Prints one JSON object per line and per N:

    {"engine": "highway-env", "version": ..., "n_agents": N, "n_worlds": 1,
     "agent_steps_per_s": X, "import_and_reset_s": Y, "env_step_agent_steps_per_s": Z, ...}

Method: ``highway-v0`` (no rendering) with ``vehicles_count = N - 1`` (the ego is an
agent too, so N vehicles in total), 15 Hz simulation and policy frequency (dt = 1/15 s),
4 lanes, other vehicles are highway-env's IDM/MOBIL ``IDMVehicle``.

* ``agent_steps_per_s``: the pure simulation loop ``road.act(); road.step(1/15)`` on
  ``env.unwrapped.road`` -- exactly what ``AbstractEnv._simulate`` does per simulation
  step, minus observation, reward and termination checks.  agent-steps = vehicles on
  the road x steps.
* ``env_step_agent_steps_per_s``: full ``env.step(IDLE)`` on a fresh reset (same seed);
  with policy_frequency == simulation_frequency each env.step is one simulation step.
  If the ego crashes the env is reset outside the timed region.
* ``import_and_reset_s``: from before ``import highway_env`` (which imports gymnasium)
  to the end of the first ``reset``; each N runs in its own subprocess so every N pays
  a cold import.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

# No display, no audio: highway-env imports pygame(-ce) for its viewer.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

FREQ = 15  # Hz, simulation and policy frequency
LONG_DURATION = 1e9  # [s] never truncate during the benchmark


def _timed_loop(step_fn, seconds: float, min_steps: int) -> tuple[int, float, int]:
    """Call step_fn() until both ``seconds`` of wall time and ``min_steps`` have passed.

    step_fn returns the number of agent-steps it performed and the seconds to exclude
    from the timing (e.g. a reset after a crash).  Returns (agent_steps, elapsed_s, steps).
    """
    agent_steps = 0
    steps = 0
    excluded = 0.0
    t0 = time.perf_counter()
    while True:
        n, skip = step_fn()
        agent_steps += n
        excluded += skip
        steps += 1
        elapsed = time.perf_counter() - t0 - excluded
        if elapsed >= seconds and steps >= min_steps:
            return agent_steps, elapsed, steps


def run_one(n_agents: int, seconds: float, min_steps: int, warmup: int, seed: int) -> dict:
    t_import = time.perf_counter()
    import gymnasium
    import highway_env

    env = gymnasium.make(
        "highway-v0",
        render_mode=None,
        config={
            "vehicles_count": n_agents - 1,
            "controlled_vehicles": 1,
            "lanes_count": 4,
            "simulation_frequency": FREQ,
            "policy_frequency": FREQ,
            "duration": LONG_DURATION,
            "other_vehicles_type": "highway_env.vehicle.behavior.IDMVehicle",
        },
    )
    env.reset(seed=seed)
    import_and_reset_s = time.perf_counter() - t_import

    base = env.unwrapped
    cfg = base.config
    assert cfg["simulation_frequency"] == FREQ and cfg["policy_frequency"] == FREQ, cfg
    assert cfg["vehicles_count"] == n_agents - 1 and cfg["lanes_count"] == 4, cfg
    try:
        from importlib.metadata import version as _pkg_version

        version = getattr(highway_env, "__version__", None) or _pkg_version("highway-env")
    except Exception:  # pragma: no cover - metadata missing
        version = "unknown"

    # --- pure simulation loop: road.act(); road.step(dt) -----------------------
    road = base.road
    n_on_road = len(road.vehicles)
    if n_on_road != n_agents:
        print(
            f"warning: requested {n_agents} agents, {n_on_road} vehicles on the road",
            file=sys.stderr,
        )
    dt = 1.0 / FREQ

    def sim_step():
        road.act()
        road.step(dt)
        return len(road.vehicles), 0.0

    for _ in range(warmup):
        sim_step()
    agent_steps, elapsed, sim_steps = _timed_loop(sim_step, seconds, min_steps)
    crashed = sum(1 for v in road.vehicles if v.crashed)
    vehicles_after = len(road.vehicles)

    # --- full env.step(IDLE) on a fresh reset -------------------------------------
    env.reset(seed=seed)
    idle = base.action_type.actions_indexes["IDLE"]
    resets = 0

    def env_step():
        nonlocal resets
        n = len(base.road.vehicles)
        _obs, _r, terminated, truncated, _info = env.step(idle)
        if terminated or truncated:
            t = time.perf_counter()
            env.reset()
            resets += 1
            return n, time.perf_counter() - t
        return n, 0.0

    for _ in range(warmup):
        env_step()
    resets = 0
    env_agent_steps, env_elapsed, env_steps = _timed_loop(env_step, seconds, min_steps)
    env.close()

    return {
        "engine": "highway-env",
        "version": version,
        "n_agents": n_agents,
        "n_worlds": 1,
        "agent_steps_per_s": round(agent_steps / elapsed, 1),
        "import_and_reset_s": round(import_and_reset_s, 4),
        "env_step_agent_steps_per_s": round(env_agent_steps / env_elapsed, 1),
        "vehicles_on_road": n_on_road,
        "dt": dt,
        "sim_steps": sim_steps,
        "sim_wall_s": round(elapsed, 3),
        "crashed_after_sim": crashed,
        "env_steps": env_steps,
        "env_resets": resets,
        "vehicles_after_sim": vehicles_after,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-agents", type=int, nargs="+", default=[20, 50, 200])
    p.add_argument("--seconds", type=float, default=3.0, help="min timed wall time per loop")
    p.add_argument("--min-steps", type=int, default=10, help="min timed steps per loop")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps before timing")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--in-process",
        action="store_true",
        help="run every N in this process (import cost then only paid by the first N)",
    )
    p.add_argument("--_single", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    for n in args.n_agents:
        if n < 1:
            p.error("--n-agents values must be >= 1")

    if args._single or args.in_process:
        for n in args.n_agents:
            res = run_one(n, args.seconds, args.min_steps, args.warmup, args.seed)
            print(json.dumps(res), flush=True)
        return 0

    # One fresh interpreter per N so import_and_reset_s is a cold import every time.
    rc = 0
    for n in args.n_agents:
        cmd = [
            sys.executable,
            os.path.abspath(__file__),
            "--_single",
            "--n-agents",
            str(n),
            "--seconds",
            str(args.seconds),
            "--min-steps",
            str(args.min_steps),
            "--warmup",
            str(args.warmup),
            "--seed",
            str(args.seed),
        ]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        sys.stdout.write(proc.stdout)
        sys.stdout.flush()
        if proc.returncode != 0:
            print(f"error: N={n} exited with {proc.returncode}", file=sys.stderr)
            rc = proc.returncode
    return rc


if __name__ == "__main__":
    sys.exit(main())
