"""Where variants come from: a scenario file, or a found file written by ``simdrive search``.

``load_variants(path)`` is the one entry point the commands that consume variants
use (``simdrive simulate`` today; ``render`` and ``preview`` are to use it too), so
each of them accepts either kind of file:

- a **scenario file**: its variants in enumeration order;
- a **found file** (a mapping with ``found_variants_of:``, see
  simdrive.search.found): the scenario it names (relative to the found file) and
  the variants it lists, each with its explicit ``values``, the search ``seed`` and
  its run ``index``, so it replays exactly. The scenario's content hash must still
  be the one searched, and every listed value must be one the scenario's
  distributions can produce; otherwise a ScenarioError says what changed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from simdrive.errors import yaml_kind
from simdrive.scenario.build import Variant, variants
from simdrive.scenario.merge import extends_chain
from simdrive.scenario.runner import load_scenario
from simdrive.scenario.spec import ScenarioSpec
from simdrive.scenario.yamlpos import Node, load_yaml_file

FOUND_KEY = "found_variants_of"


def is_found_file(root: Node) -> bool:
    """Whether a loaded YAML document is a found file."""
    return root.is_mapping and root.get(FOUND_KEY) is not None


def input_paths(spec: ScenarioSpec) -> list[Path]:
    """Every file a scenario is read from: the scenario file, the base files of its
    ``extends`` chain and its map file (a dataset records them; search never writes over
    them)."""
    paths = extends_chain(Path(spec.file))
    desc = spec.map_desc
    if isinstance(desc, dict) and isinstance(desc.get("file"), str):
        desc = desc["file"]
    if isinstance(desc, str):
        paths.append(Path(desc))
    return paths


def load_variants(path: str | Path, limit: int | None = None, *,
                  allow_empty: bool = False) -> tuple[ScenarioSpec, list[Variant]]:
    """The scenario and the variants (at most ``limit``) of a scenario or found file. A
    found file that lists none (its search found nothing critical) is an error, as there
    is nothing to replay, unless ``allow_empty`` (validate: a true record)."""
    root = load_yaml_file(path)
    if not is_found_file(root):
        spec = load_scenario(path)
        return spec, variants(spec, limit)
    return _load_found(Path(path), root, limit, allow_empty)


def _integer(node: Node, what: str) -> int:
    if isinstance(node.value, bool) or not isinstance(node.value, int) or node.value < 0:
        raise node.error(f"{what} must be an integer >= 0", found=node.plain())
    return node.value


def _load_found(path: Path, root: Node, limit: int | None,
                allow_empty: bool = False) -> tuple[ScenarioSpec, list[Variant]]:
    source = root.child(FOUND_KEY)
    if not isinstance(source.value, str):
        raise source.error("found_variants_of takes the scenario file's path",
                           found=source.plain())
    scenario_path = path.parent / source.value
    if not scenario_path.is_file():
        what = "is a folder" if scenario_path.is_dir() else "does not exist"
        raise source.error(f"the scenario this file was found in {what}",
                           expected="a path relative to the found file",
                           found=str(scenario_path))
    spec = load_scenario(scenario_path)
    recorded = root.child("scenario_hash")
    if recorded.value != spec.content_hash:
        raise recorded.error(
            f"the scenario {scenario_path} has changed since this search",
            expected=f"content hash {spec.content_hash[:12]}...",
            found=f"{str(recorded.value)[:12]}...",
            hint="run simdrive search again on the current scenario")
    default_seed = _integer(root.child("seed"), "seed")
    listed = root.child("variants")
    if not listed.is_sequence:
        raise listed.error("variants must be a list", found=yaml_kind(listed.value))
    if not listed.value:
        found = root.get("critical_found")
        if found is not None and isinstance(found.value, int) and found.value > 0:
            # a search keeps at least one of what it found: the list was emptied since
            raise listed.error(f"the found file lists no variants, though its search found "
                               f"{found.value} critical", expected="the variants the search "
                               "kept (run the search again to rewrite the file)")
        if not allow_empty:
            raise listed.error("the found file lists no variants",
                               hint="its search found nothing critical to replay")
    out: list[Variant] = []
    seen: set[int] = set()
    for item in listed:
        if limit is not None and len(out) >= limit:
            break
        index = _integer(item.child("index"), "index")
        if index in seen:
            raise item.child("index").error(f"variant index {index} is listed twice")
        seen.add(index)
        seed = _integer(item["seed"], "seed") if item.get("seed") is not None else default_seed
        values = _values(spec, item.child("values"))
        out.append(Variant(spec.name, spec.file, spec.content_hash, seed, index, values))
    return spec, out


def _values(spec: ScenarioSpec, node: Node) -> dict:
    if not node.is_mapping:
        raise node.error("values must map parameter paths to values", found=node.plain())
    missing = [p for p in spec.params if node.get(p) is None]
    unknown = [k for k in node if k not in spec.params]
    if missing or unknown:
        raise node.error("the values do not match the scenario's parameters",
                         expected="one value for each of " + ", ".join(spec.params),
                         found=("missing " + ", ".join(missing)) if missing else
                         ("unknown " + ", ".join(unknown)))
    values = {}
    for path, dist in spec.params.items():
        child = node.child(path)
        if not child.is_scalar:  # a parameter's value is one number or one choice
            raise child.error("expected one value", expected=f"a value of {dist.describe()}",
                              found=child.plain())
        value = child.value
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if not dist.discrete and not numeric:
            raise child.error("expected a number", found=child.plain())
        with np.errstate(invalid="ignore"):
            log_p = float(dist.log_pdf(np.array([value], dtype=object if not numeric
                                                else float))[0])
        if (numeric and not math.isfinite(float(value))) or log_p == -math.inf:
            raise child.error("this value cannot come from the scenario's distribution",
                              expected=f"a value of {dist.describe()}", found=child.plain())
        values[path] = float(value) if not dist.discrete and numeric else value
    return values


__all__ = ["FOUND_KEY", "is_found_file", "load_variants"]


def select_variant(path: str | Path, position: int) -> tuple[ScenarioSpec, Variant]:
    """Variant number ``position`` of a scenario file (its index) or of a found file (its
    place in the list); a SimdriveError naming the valid range otherwise."""
    from simdrive.errors import SimdriveError
    from simdrive.scenario.build import variant_at, variant_count

    root = load_yaml_file(path)
    if is_found_file(root):
        spec, found = _load_found(Path(path), root, None)
        count = len(found)
    else:
        spec = load_scenario(path)
        count = variant_count(spec)
    if not 0 <= position < count:
        if is_found_file(root):  # simulate and variants print the scenario's indices
            places = [k for k, v in enumerate(found) if v.index == position]
            hint = (f"; the scenario's variant {position} is at place {places[0]}" if places
                    else "")
            raise SimdriveError(f"no such variant: a found file's variants are taken by "
                                f"their place in its list{hint}", where=str(path),
                                expected=f"a place from 0 to {count - 1}", found=position)
        raise SimdriveError("no such variant", where=str(path),
                            expected=f"a number from 0 to {count - 1}", found=position)
    return spec, (found[position] if is_found_file(root) else variant_at(spec, position))
