"""Mutated scenario files: whatever the damage, only ScenarioError escapes."""

from __future__ import annotations

import contextlib
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simdrive.errors import SimdriveError
from simdrive.scenario.build import build_world, variants
from simdrive.scenario.runner import load_scenario
from simdrive.world.maps import build_map

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {p.name: p.read_text() for p in sorted((ROOT / "scenarios").glob("*.yaml"))}
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.lists(st.integers(-5, 5), max_size=4),
    st.dictionaries(st.sampled_from(["uniform", "normal", "choice", "range", "x", "lane"]),
                    st.lists(st.floats(-100, 100), max_size=3), max_size=2),
)


BUILT: list[str] = []  # how many mutated files still built (the fuzzing reached build_world)


def paths(doc, prefix=()):
    """Every key path in a plain document."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield (*prefix, key)
            yield from paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield (*prefix, i)
            yield from paths(value, (*prefix, i))


def mutate(doc, path, action, junk):
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "replace":
        parent[key] = junk
    elif isinstance(parent, dict):
        parent[f"{key}x"] = junk


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(SOURCES)), data=st.data())
def test_mutated_library_files_raise_only_scenario_errors(tmp_path_factory, name, data):
    doc = yaml.safe_load(SOURCES[name])
    candidates = list(paths(doc))
    for _ in range(data.draw(st.integers(1, 3))):
        if not candidates:
            break
        path = data.draw(st.sampled_from(candidates))
        action = data.draw(st.sampled_from(["delete", "replace", "add"]))
        try:
            mutate(doc, path, action, data.draw(JUNK))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the path
        candidates = list(paths(doc))
    top = tmp_path_factory.mktemp("fuzz")
    (top / "assets").symlink_to(ROOT / "assets")  # relative map paths keep working
    folder = top / "scenarios"
    folder.mkdir()
    (folder / "base").symlink_to(ROOT / "scenarios" / "base")
    target = folder / name
    target.write_text(yaml.safe_dump(doc))
    try:
        spec = load_scenario(target)
        chosen = variants(spec, 2)
        road = build_map(spec.map_desc, where=spec.file)
        for v in chosen:
            build_world(spec, v, road)
        BUILT.append(name)
    except SimdriveError:
        pass


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=300))
def test_arbitrary_text_raises_only_scenario_errors(tmp_path_factory, text):
    target = tmp_path_factory.mktemp("fuzz") / "s.yaml"
    target.write_text(text)
    with contextlib.suppress(SimdriveError):
        load_scenario(target)


def test_fuzzing_reached_world_building():
    assert len(BUILT) >= 5
