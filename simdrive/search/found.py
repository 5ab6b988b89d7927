"""The found file: a search's kept variants with their parameters, metrics and provenance.

A YAML mapping that ``simdrive simulate`` (and later ``render`` and ``preview``)
reads like a scenario file, through simdrive.scenario.source.load_variants:

```yaml
found_variants_of: ../scenarios/lead_brake_black_ice.yaml   # relative to this file
scenario_name: lead_brake_black_ice
scenario_hash: 6f1c...            # content hash of the scenario searched; checked on load
seed: 13                          # search seed: run i replays as (hash, seed, i)
method: cem
budget: 2000
objective: collision
critical: collision               # the critical event
score: min_distance - ego.speed_at_impact
threshold: null                   # numeric objectives: critical iff objective < threshold
simulations: 2000
critical_found: 903
distinct_critical: 870            # at least min_spacing apart (quantile units)
clusters: 2
min_spacing: 0.05
cluster_radius: 0.25
probability: {estimate: 0.0203, standard_error: 0.0006, ...}
influence: {environment.weather: 0.67, ego.speed: 0.66, ...}
seconds: 1.1
simdrive_version: 0.1.0
variants:
  - index: 1234                   # run number in the search: unique in the file
    seed: 13
    cluster: 0
    objective: 1.0
    score: -31.2
    values: {environment.weather: ice, ego.speed: 29.1, ...}
    metrics: {collision: true, min_ttc: 0.0, ..., collision_with: lead}
```

Written atomically (a temporary file in the same folder, then ``os.replace``), so a
failed or interrupted search never leaves a partial file.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import yaml

from simdrive import __version__
from simdrive.errors import SimdriveError
from simdrive.files import write_atomic
from simdrive.scenario.source import FOUND_KEY
from simdrive.scenario.yamlpos import MAX_FILE_BYTES

MAX_KEEP = 1000  # variants per found file (the YAML reader's size limit is 1 MiB)


def found_document(result, out_path: str | Path) -> dict:
    """The found file's content (plain data) for a SearchResult written to ``out_path``."""
    spec = result.spec
    scenario = os.path.relpath(Path(spec.file).resolve(), Path(out_path).resolve().parent)
    objective = result.objective
    return {
        FOUND_KEY: Path(scenario).as_posix(),
        "scenario_name": spec.name,
        "scenario_hash": spec.content_hash,
        "seed": result.seed,
        "method": result.method,
        "budget": result.budget,
        "objective": objective.text,
        "critical": objective.describe_critical(),
        "score": objective.score_text,
        "threshold": objective.threshold,
        "simulations": int(len(result.trace.objective)),
        "critical_found": result.critical_count,
        "distinct_critical": int(len(result.distinct)),
        "clusters": result.cluster_count,
        "min_spacing": result.min_spacing,
        "cluster_radius": result.cluster_radius,
        "probability": result.probability.to_dict(),
        "influence": dict(result.influence),
        # placements of count > 1 actors: each draws its own from the run's random stream,
        # whatever its value under variants (a fixed one), so they are not searched
        "drawn_per_instance": sorted(result.spec.per_instance),
        "seconds": round(result.seconds, 2),
        "simdrive_version": __version__,
        "variants": [
            {"index": f.variant.index, "seed": f.variant.seed, "cluster": f.cluster,
             "objective": _number(f.objective), "score": _number(f.score),
             "values": dict(f.variant.values), "metrics": f.metrics}
            for f in result.found
        ],
    }


def _number(x: float):
    return float(x) if x == x and abs(x) != float("inf") else None


def check_writable(path: str | Path) -> None:
    """Raise a SimdriveError now if ``path`` cannot be written (before spending a budget)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise SimdriveError(f"cannot write {path}: it is a folder", expected="a file path")
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise SimdriveError(f"cannot write {path}: the folder {folder} {what}")
    if not os.access(folder, os.W_OK):
        raise SimdriveError(f"cannot write {path}: the folder {folder} is not writable")


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIGURE_MARK = ("Software", "simdrive search")  # a tEXt chunk every search figure carries


def png_text_chunk(keyword: str, text: str) -> bytes:
    """A PNG tEXt chunk (length, type, keyword NUL text, CRC-32)."""
    body = b"tEXt" + keyword.encode("latin-1") + b"\0" + text.encode("latin-1")
    return (len(body) - 4).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")


def is_search_figure(path: Path) -> bool:
    """Whether ``path`` is a PNG figure an earlier search wrote (it carries FIGURE_MARK
    right after its header)."""
    mark = png_text_chunk(*FIGURE_MARK)
    with open(path, "rb") as handle:
        head = handle.read(33 + len(mark))
    return head.startswith(PNG_SIGNATURE) and head[33:] == mark


def check_outputs(spec, output: str | Path, plot: Path | None) -> None:
    """Raise a SimdriveError now unless search may write the found file ``output`` and the
    figure ``plot``: each in a writable folder, neither one of the files the scenario is
    read from (itself, its extends bases, its map) nor the other, and an existing file
    there only the found file (or figure) of an earlier search, which a new search
    replaces; anything else is left alone (it was overwritten: a user's base file)."""
    from simdrive.scenario.source import input_paths, is_found_file
    from simdrive.scenario.yamlpos import load_yaml_file

    inputs = input_paths(spec)
    taken = {Path(inputs[0]).resolve(): "the scenario searched"}
    for path in inputs[1:]:
        taken.setdefault(Path(path).resolve(),
                         "a file the scenario searched is read from (an extends base or map)")
    if plot is not None and plot.suffix.lower() != ".png":
        raise SimdriveError(f"--plot {plot}: the figure is a PNG image",
                            expected="a path ending in .png", found=plot.name)
    for path, what in ((Path(output), "-o"), (plot, "--plot")):
        if path is None:
            continue
        check_writable(path)
        if path.resolve() in taken:
            raise SimdriveError(f"{what} {path} is also {taken[path.resolve()]}",
                                expected="output paths of their own")
        taken[path.resolve()] = f"the {what} path"
        if not path.exists():
            continue
        if what == "-o":
            try:
                root = load_yaml_file(path)
                earlier = is_found_file(root)
            except SimdriveError:  # not YAML, too large, unreadable
                earlier = False
        else:  # any PNG would be a user's picture: only a search's own figure goes
            earlier = path.is_file() and is_search_figure(path)
        if not earlier:
            kind = "found file" if what == "-o" else "figure"
            raise SimdriveError(
                f"{what} {path} exists and is not a {kind} simdrive search wrote: a search "
                f"replaces only an earlier search's {kind}",
                expected=f"a new path, or an earlier search's {kind}")


def write_atomically(path: str | Path, data: bytes) -> None:
    """Check the folder, then write ``data`` to ``path`` atomically (simdrive.files)."""
    check_writable(path)
    write_atomic(path, data)


def found_bytes(result, path: str | Path) -> bytes:
    """The found file of ``result`` as it is written to ``path``; a SimdriveError if it
    would be larger than the readers of scenario and found files accept."""
    document = found_document(result, path)
    header = (f"# Critical variants of {result.spec.name} found by `simdrive search` "
              f"({result.method}, {result.budget} simulations).\n"
              f"# Replay, from this file's folder: simdrive simulate {Path(path).name}\n")
    data = (header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True,
                                    width=100)).encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        raise SimdriveError(
            f"the found file would be {len(data):,} bytes, more than the {MAX_FILE_BYTES:,} "
            "that simulate, frame, render and preview read", where=str(path),
            expected=f"fewer kept variants (--keep; {len(result.found)} now)")
    return data


def write_found(result, path: str | Path) -> dict:
    """Write the found file of ``result`` to ``path`` atomically; returns its content."""
    write_atomically(path, found_bytes(result, path))
    return found_document(result, path)


__all__ = ["FOUND_KEY", "MAX_KEEP", "check_writable", "found_bytes", "found_document",
           "write_atomically", "write_found"]
