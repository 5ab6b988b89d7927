"""Every scenario in scenarios/ validates, enumerates and simulates."""

from __future__ import annotations

from pathlib import Path

import pytest

from simdrive.scenario.build import variant_at, variant_count, variants
from simdrive.scenario.runner import load_scenario, simulate

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted(p for p in (ROOT / "scenarios").glob("*.yaml"))


def test_the_library_has_the_edge_cases_the_project_promises():
    assert len(LIBRARY) >= 1


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_library_scenario_validates_and_simulates(path):
    spec = load_scenario(path)
    assert spec.description.strip()
    count = variant_count(spec)
    assert count == len(variants(spec))
    indices = sorted({0, count // 2, count - 1})
    results = simulate(spec, indices=indices, threads=1)
    assert [r.variant.index for r in results] == indices
    for r in results:
        assert r.variant == variant_at(spec, r.variant.index)
        assert r.outcome.ego_max_speed_mps >= 0.0
