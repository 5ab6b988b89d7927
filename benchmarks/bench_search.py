"""Critical variants found per 1,000 simulations: uniform random sampling against the
default search method (cross-entropy), same scenario, objective and budget, same run.

    python benchmarks/bench_search.py [--json] [--budget 10000] [--seed 1]

"Distinct" critical variants are those of a greedy thinning at the default minimum
spacing (0.05 in quantile units, see simdrive.search.diversity): finding the same
case many times counts once.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from simdrive.scenario.runner import load_scenario, simulate
from simdrive.search.objective import parse_objective
from simdrive.search.run import search

ROOT = Path(__file__).resolve().parent.parent
CASES = (  # (scenario, objective): rare critical events under the scenario's distributions
    ("lead_brake_black_ice", "collision"),  # about 2 % of blind draws
    ("red_light_runner", "collision"),  # under 0.1 %
    ("pileup_fog_highway", "min_ttc"),  # minimised; critical below 1 s (the default): ~1 %
)
METHODS = ("random", "cem")


def measure(name: str, objective_text: str, budget: int, seed: int) -> list[dict]:
    spec = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    simulate(spec, limit=2)  # load the compiled kernel before timing
    objective = parse_objective(spec, objective_text)
    rows = []
    for method in METHODS:
        t0 = time.perf_counter()
        result = search(spec, objective, budget=budget, method=method, seed=seed)
        wall = time.perf_counter() - t0
        p = result.probability
        rows.append({"scenario": name, "objective": objective_text,
                     "critical": objective.describe_critical(), "method": method,
                     "budget": budget, "seed": seed, "critical_found": result.critical_count,
                     "distinct_critical": int(len(result.distinct)),
                     "critical_per_1000": round(1000 * result.critical_count / budget, 2),
                     "distinct_per_1000": round(1000 * len(result.distinct) / budget, 2),
                     "clusters": result.cluster_count, "probability": p.estimate,
                     "probability_se": p.standard_error, "wall_s": round(wall, 2)})
    base, best = rows
    best["distinct_vs_random"] = (round(best["distinct_critical"] / base["distinct_critical"], 1)
                                  if base["distinct_critical"] else None)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--budget", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rows = [row for name, text in CASES for row in measure(name, text, args.budget, args.seed)]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return
    print(f"{'scenario':<26} {'method':<7} {'crit/1000':>9} {'distinct/1000':>13} "
          f"{'clusters':>8} {'P(critical)':>20} {'vs random':>9} {'wall s':>7}")
    for r in rows:
        ratio = r.get("distinct_vs_random")
        print(f"{r['scenario']:<26} {r['method']:<7} {r['critical_per_1000']:>9.1f} "
              f"{r['distinct_per_1000']:>13.1f} {r['clusters']:>8} "
              f"{r['probability']:>11.2e} +- {r['probability_se']:.1e} "
              f"{'' if ratio is None else f'{ratio}x':>9} {r['wall_s']:>7.1f}")


if __name__ == "__main__":
    main()
