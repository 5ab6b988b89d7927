"""The work of a dataset run: sources, the variants ``require:`` keeps, splits and shards.

A shard is one variant's frames over a range of simulation steps. Shards are
the unit of parallel work and of resuming: each writes its images and then, as
its last act, a record file; a rerun skips shards whose record exists.

Splits are drawn per variant (never per frame, so near-identical frames of one
run cannot leak between train and test), from a hash of (scenario content hash,
variant seed, variant index, split seed) only.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass

from simdrive.dataset.names import CAMERA_STEM, safe_name
from simdrive.dataset.options import DatasetOptions
from simdrive.errors import SimdriveError
from simdrive.render.frames import camera_spec
from simdrive.scenario.build import Variant, check_variants
from simdrive.scenario.runner import simulate_variants
from simdrive.scenario.source import input_paths, load_variants
from simdrive.scenario.spec import ScenarioSpec
from simdrive.scenario.yamlpos import file_sha256


@dataclass(frozen=True)
class Source:
    """One input file and what came of it."""

    path: str
    label: str  # unique, file-name-safe scenario name used in frame names
    file_sha256: str
    spec: ScenarioSpec
    cameras: tuple[str, ...]
    every: int
    kept: tuple[Variant, ...]
    dropped: tuple[Variant, ...]
    inputs: tuple[tuple[str, str], ...] = ()  # (path, sha256) of every file read: input_files
    # per kept variant, the last simulation step to render (--after-collision); () for all
    last_steps: tuple[int, ...] = ()


@dataclass(frozen=True)
class Shard:
    """Frames of one variant: ``steps`` (simulation step numbers) through ``cameras``."""

    shard_id: str
    source: int
    scenario_file: str  # the scenario file the variant belongs to
    content_hash: str
    label: str
    variant: Variant
    split: str
    steps: tuple[int, ...]
    cameras: tuple[str, ...]
    first_index: int = 0  # of its first frame among its split's frames, in plan order


def split_of(variant: Variant, options: DatasetOptions) -> str:
    """The split a variant falls in (deterministic in the variant's triple and split seed)."""
    key = f"{variant.content_hash}:{variant.seed}:{variant.index}:{options.split_seed}"
    u = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little") / 2.0 ** 64
    edge = 0.0
    for name, ratio in options.split:
        edge += ratio
        if u < edge:
            return name
    return options.split[-1][0]


def load_sources(paths: list[str], options: DatasetOptions, threads: int | None = None
                 ) -> list[Source]:
    """Read every input file, simulate its variants and keep those ``require:`` accepts."""
    sources: list[Source] = []
    labels: set[str] = set()
    rendered: set[str] = set()
    if options.cameras is not None:  # known before any simulation
        _check_filter_cameras(options, options.cameras)
    for path in paths:
        spec, chosen = load_variants(path, options.limit)
        cameras = options.cameras or (spec.cameras[0].name,)
        stems: dict[str, str] = {}
        for name in cameras:
            camera_spec(spec, name)  # an unknown camera is an error now, not in a worker
            stem = safe_name(name, CAMERA_STEM)
            if stems.setdefault(stem, name) != name:
                raise SimdriveError(
                    f"cameras {stems[stem]!r} and {name!r} would share file names "
                    f"({stem!r}: file names keep letters, digits, - and _ of the first "
                    f"{CAMERA_STEM} characters)", where=spec.file,
                    expected="camera names that differ in those", found=list(cameras))
        rendered.update(cameras)
        after = options.after_collision_s
        results = (simulate_variants(spec, chosen, threads=threads)
                   if spec.require or after is not None else None)
        kept = tuple(r.variant for r in results if r.kept) if results else tuple(chosen)
        last_steps = () if after is None else tuple(
            _last_step(spec, r.outcome.collision_time_s, after) for r in results if r.kept)
        if results is None:  # nothing simulated: build every world now, before any write
            check_variants(spec, kept)
        dropped = tuple(r.variant for r in results if not r.kept) if results else ()
        label = safe_name(spec.name)
        base, k = label, 2
        while label in labels:
            label, k = f"{base}_{k}", k + 1
        labels.add(label)
        digest = _digest(path)
        inputs = input_files(spec)
        if inputs[0][0] != os.path.normpath(path):  # a found file of simdrive search
            inputs = ((os.path.normpath(path), digest), *inputs)
        sources.append(Source(
            path=str(path), label=label, file_sha256=digest, spec=spec,
            cameras=tuple(cameras), every=options.every or spec.render.every,
            kept=kept, dropped=dropped, inputs=inputs, last_steps=last_steps))
    _check_filter_cameras(options, rendered)
    return sources


def _last_step(spec: ScenarioSpec, collision_time_s: float, after_s: float) -> int:
    """The last step to render of a run whose ego first collided at ``collision_time_s``
    (NaN: never; the whole run) when frames stop ``after_s`` s after it."""
    n_steps = int(round(spec.duration / spec.dt))
    if not math.isfinite(collision_time_s):
        return n_steps
    return min(n_steps, int(math.floor((collision_time_s + after_s) / spec.dt + 1e-9)))


def _check_filter_cameras(options: DatasetOptions, rendered) -> None:
    """A camera a box filter names must be one the run renders; a --classes class may not
    be named like one (a box filter's NAME= item would mean either)."""
    both = [name for name, _ in options.classes if name in rendered]
    if both:
        raise SimdriveError(
            f"--classes: class {both[0]!r} has the name of a camera this run renders",
            expected="class names that are no camera's", found=both[0])
    named = dict.fromkeys([*(name for name, _ in options.camera_filters), *options.filter_names])
    unknown = [name for name in named if name not in rendered]
    if unknown:
        raise SimdriveError(
            f"a box filter names camera{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))}, which no scenario renders here (a typo would "
            "leave that camera's boxes under the general filter)",
            expected="camera names among those rendered: " + ", ".join(sorted(rendered)),
            found=", ".join(unknown))


def input_files(spec: ScenarioSpec) -> tuple[tuple[str, str], ...]:
    """(path, sha256) of every file a scenario is read from: the scenario file, the base
    files of its ``extends`` chain and its map file; a dataset records them (manifest) and
    a change to any of them makes the folder another dataset's (never resumed into)."""
    return tuple((os.path.normpath(p), _digest(p)) for p in input_paths(spec))


def _digest(path) -> str:
    """sha256 of a scenario's file (read and checked by then: a regular file in the limit)."""
    digest = file_sha256(path)
    if digest is None:  # replaced since it was read
        raise SimdriveError(f"cannot read {path} again: it changed while the run started",
                            where=str(path), expected="a scenario file that stays put")
    return digest


def shards(sources: list[Source], options: DatasetOptions) -> list[Shard]:
    """Every shard of the run, in a fixed order."""
    out: list[Shard] = []
    in_split: dict[str, int] = {}  # frames so far per split (the KITTI ids)
    for s, source in enumerate(sources):
        spec = source.spec
        n_steps = int(round(spec.duration / spec.dt))
        steps = list(range(0, n_steps + 1, source.every))
        per = options.frames_per_shard
        for v, variant in enumerate(source.kept):
            split = split_of(variant, options)
            if source.last_steps:
                steps = [k for k in range(0, n_steps + 1, source.every)
                         if k <= source.last_steps[v]]
            for c, start in enumerate(range(0, len(steps), per)):
                part = tuple(steps[start:start + per])
                out.append(Shard(
                    shard_id=f"{s:03d}-{variant.index:07d}-{c:04d}", source=s,
                    scenario_file=spec.file, content_hash=spec.content_hash,
                    label=source.label, variant=variant, split=split,
                    steps=part, cameras=source.cameras,
                    first_index=in_split.get(split, 0)))
                in_split[split] = in_split.get(split, 0) + len(part) * len(source.cameras)
    return out
