"""``simdrive render``: plan, run the shards (inline, local processes or Dask), assemble.

The output folder holds ``.simdrive/dataset.json`` (what was asked for); a folder
without it that is not empty is never written into without ``force``
(simdrive.dataset.folder claims it). A rerun of
the same command resumes: shards with a record are skipped, stale temporary files
of a killed run are removed, and the assembled files (COCO, YOLO, KITTI, manifest,
dataset card, report) are rewritten from the shard records in a fixed order, so
the dataset is byte-identical whatever the worker count, backend or interruptions.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simdrive import __version__
from simdrive.dataset import coco, kitti, yolo
from simdrive.dataset.folder import prepare_folder
from simdrive.dataset.manifest import ManifestWriter, write_card
from simdrive.dataset.names import frame_stem
from simdrive.dataset.options import DatasetOptions
from simdrive.dataset.plan import Shard, Source, load_sources, shards
from simdrive.dataset.progress import Progress
from simdrive.dataset.records import RECORD_DAMAGE, damaged_record, read_record
from simdrive.dataset.report import empty_splits
from simdrive.dataset.shard import (
    DEPTH_MAX_M,
    STATE_DIR,
    ShardResult,
    record_path,
    render_shard,
    warm_up,
)
from simdrive.dataset.stats import DatasetStats
from simdrive.files import OutputError
from simdrive.render import warmup

WRITERS = {"coco": coco.Writer, "yolo": yolo.Writer, "kitti": kitti.Writer}
"""Assembly's writer of each format: Writer(out, splits, spool folder, ClassMap), then
add(frame) for every frame record in order, finish(stats), close()."""


@dataclass(frozen=True)
class Summary:
    frames: int
    boxes: dict[str, int]  # kept boxes per actor kind
    class_boxes: dict[str, int]  # kept boxes per class of the dataset (its files' classes)
    kept: int
    dropped: int
    seconds: float
    shards_run: int
    shards_skipped: int
    empty_splits: tuple[str, ...] = ()  # asked for (ratio > 0) but given no variant
    never_kept: tuple[tuple[str, str, int], ...] = ()  # DatasetStats.never_kept
    # (kind, times it showed pixels) of the kinds --classes left out that showed
    unlabelled_shown: tuple[tuple[str, int], ...] = ()
    # (scenario, its cameras not rendered): without --cameras only the first renders
    cameras_left: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # (scenario, camera, height): bird's-eye cameras too high for the depth extra's range
    depth_too_far: tuple[tuple[str, str, float], ...] = ()


RECORD_FORMAT = 4
"""Version of the shard records' contents (2: KITTI ids, COCO ignore-region masks; 3: COCO
entries and manifest lines serialised by the shards, labels cut to the report's fields;
4: COCO annotations name their actor kind); a
folder whose records an older format wrote is another dataset (--force replaces it), never
resumed into a mix of both."""


def _settings(sources: list[Source], options: DatasetOptions) -> dict:
    """What defines the dataset. The frame step and cameras are recorded per scenario as
    they resolve (--every or the scenario's render.every; --cameras or its first camera),
    not as given: ``--every 2`` over a scenario whose render.every is 2 is the same
    dataset as no --every (a review found it refused as another)."""
    given = {k: v for k, v in options.to_dict().items() if k not in ("every", "cameras")}
    return {"simdrive": __version__, "record_format": RECORD_FORMAT,
            "options": given,
            "sources": [{"path": s.path, "sha256": s.file_sha256,
                         "inputs": [list(pair) for pair in s.inputs],
                         "every": s.every, "cameras": list(s.cameras)} for s in sources]}


def _done(out: Path, shard: Shard, options: DatasetOptions) -> bool:
    """Whether a shard of an earlier run is complete: its record (written last) and every
    file it writes per frame are there (files deleted since are written again, not
    reported done: a missing YOLO label would read as an image without objects)."""
    if not record_path(out, shard.shard_id).is_file():
        return False
    split, ext = shard.split, options.image_format
    kitti = out / "kitti" / split
    index = shard.first_index
    for step in shard.steps:
        for cam in shard.cameras:
            stem = frame_stem(shard.label, shard.variant.index, cam, step)
            kid = f"{index:06d}"
            index += 1
            files = [out / "images" / split / f"{stem}.{ext}"]
            if "yolo" in options.formats:
                files.append(out / "labels" / split / f"{stem}.txt")
            if "kitti" in options.formats:
                files += [kitti / "label_2" / f"{kid}.txt", kitti / "calib" / f"{kid}.txt",
                          kitti / "image_2" / f"{kid}.{ext}"]
            files += [out / "extras" / kind / split / f"{stem}.png" for kind in options.extras]
            if not all(path.is_file() for path in files):
                return False
    return True


def _execute(todo: list[Shard], options: DatasetOptions, out: Path, workers: int,
             backend, done: Callable) -> None:
    if not todo:
        return
    if backend is not None:
        backend.run(todo, options, str(out), done)
        return
    if workers <= 1 or len(todo) <= 1:
        for shard in todo:
            done(render_shard(shard, options, str(out)))
        return
    # one frame rendered here compiles (or loads) the kernels once, and the forked workers
    # inherit them instead of each compiling its own (rendering the whole first shard here
    # left the other cores idle meanwhile)
    warm_up(todo[0], options)
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    context = multiprocessing.get_context(method)
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(workers, mp_context=context, initializer=_die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(render_shard, shard, options, str(out)) for shard in todo]
        try:
            for future in as_completed(futures):
                done(future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _die_with_parent(parent: int) -> None:
    """A pool worker ends when the run's process dies, even by SIGKILL (on Linux; it
    would otherwise wait forever for shards that never come, holding its memory)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before that took effect
        os._exit(1)


def render_dataset(paths: list[str], out_dir: str, options: DatasetOptions, *,
                   workers: int | None = None, cluster: str | None = None,
                   force: bool = False, command: list[str] | None = None,
                   quiet: bool = False) -> Summary:
    """Render the dataset of ``paths`` into ``out_dir``; see the module doc."""
    t0 = time.perf_counter()
    out = Path(out_dir)
    workers = workers or os.cpu_count() or 1
    # on a first run, the render kernels compile in a child while planning compiles and
    # runs the simulation here (a local run renders a warm-up frame, or with one worker
    # every shard, in this process);
    # the child is waited for only when there is something to render, killed otherwise
    compiling = warmup.start() if cluster is None else None
    prepared: list[bool] = []  # set once the folder is the run's
    try:
        return _render(out, paths, options, workers, cluster, force, command, quiet, t0,
                       compiling, prepared)
    except OutputError as error:
        if not prepared:
            raise
        # the folder holds what was finished; no file is partly written
        raise OutputError(f"{error.message} ({out} holds the shards finished so far and no "
                          "partly written file: once the cause is fixed, the same command "
                          "resumes it)", where=error.where, path=error.path,
                          expected=error.expected, found=error.found) from None


def _render(out: Path, paths, options: DatasetOptions, workers: int, cluster, force: bool,
            command, quiet: bool, t0: float, compiling, prepared: list) -> Summary:
    try:
        sources = load_sources(paths, options)
        plan = shards(sources, options)
        backend = None
        if cluster is not None:
            from simdrive.dataset.cluster import DaskBackend

            backend = DaskBackend(cluster, workers)
        try:
            prepare_folder(out, _settings(sources, options), force)
            prepared.append(True)
            todo = [s for s in plan if not _done(out, s, options)]
            total_frames = sum(len(s.steps) * len(s.cameras) for s in plan)
            progress = Progress(total_frames, quiet=quiet)
            progress.advance(total_frames - sum(len(s.steps) * len(s.cameras) for s in todo))
            assembly = Assembly(out, plan, sources, options, command)
            try:
                rendering = {shard.shard_id for shard in todo}
                for shard in plan:  # the shards an earlier run finished
                    if shard.shard_id not in rendering:
                        assembly.ready(shard.shard_id)
                if todo:
                    warmup.wait(compiling)

                def done(result: ShardResult) -> None:
                    progress.advance(result.frames)
                    assembly.ready(result.shard_id)

                _execute(todo, options, out, workers, backend, done)
                progress.close()
            except BaseException:
                assembly.close()
                raise
        finally:
            if backend is not None:
                backend.close()
    finally:
        warmup.stop(compiling)  # still running: not needed (or an error); a no-op otherwise
    stats = assembly.finish()
    return Summary(frames=stats.frames, boxes=dict(sorted(stats.boxes.items())),
                   class_boxes={name: n for name, _, n in options.class_map.boxes(stats.boxes)
                                if n or options.classes},
                   kept=sum(len(s.kept) for s in sources),
                   dropped=sum(len(s.dropped) for s in sources),
                   seconds=time.perf_counter() - t0, shards_run=len(todo),
                   shards_skipped=len(plan) - len(todo),
                   empty_splits=tuple(empty_splits(stats.per_split, list(options.split))),
                   unlabelled_shown=tuple(
                       (kind, n) for kind in options.class_map.unlabelled()
                       if (n := sum(c for (_, k), c in stats.shown.items() if k == kind))),
                   never_kept=tuple((camera, kind, n) for camera, kind, n
                                    in stats.never_kept()  # not the kinds left unlabelled
                                    if options.class_map.index(kind) is not None),
                   cameras_left=tuple(
                       (s.spec.name, tuple(c.name for c in s.spec.cameras
                                           if c.name not in s.cameras))
                       for s in sources if options.cameras is None
                       and len(s.spec.cameras) > 1),
                   depth_too_far=tuple(
                       (s.spec.name, c.name, c.z) for s in sources if "depth" in options.extras
                       for c in s.spec.cameras if c.name in s.cameras
                       and c.projection == "orthographic" and c.z > DEPTH_MAX_M))


class Assembly:
    """Writes the format files, manifest, card and report from the shard records, each
    record read once, in the plan's order, as soon as it and every shard before it are
    done (``ready``): while the workers render the rest, not after them. The frames are
    never all in memory (the writers keep what they need in spools on disk, see
    simdrive.dataset.coco.Writer)."""

    def __init__(self, out: Path, plan: list[Shard], sources: list[Source],
                 options: DatasetOptions, command: list[str] | None):
        self.out, self.plan, self.sources = out, plan, sources
        self.options, self.command = options, command
        self.splits = [name for name, _ in options.split]
        self.stats = DatasetStats(sum(len(s.steps) * len(s.cameras) for s in plan))
        self._ready: set[str] = set()
        self._next = 0  # plan index of the first shard not read yet
        self._writers: list = []
        try:
            spools = out / STATE_DIR  # spools named only where the disk cannot do without
            self._writers += [WRITERS[name](out, self.splits, spools, options.class_map)
                              for name in options.formats]
            self._writers.append(ManifestWriter(out, sources, options, command, spools))
        except BaseException:
            self.close()
            raise

    def ready(self, shard_id: str) -> None:
        """Shard ``shard_id`` has its record: read every record now next in line."""
        self._ready.add(shard_id)
        while self._next < len(self.plan) and self.plan[self._next].shard_id in self._ready:
            self._ready.discard(self.plan[self._next].shard_id)
            path = record_path(self.out, self.plan[self._next].shard_id)
            try:
                for frame in read_record(path):
                    self.stats.add(frame)
                    for writer in self._writers:
                        writer.add(frame)
            except RECORD_DAMAGE as error:
                raise damaged_record(path, error) from None
            self._next += 1

    def finish(self) -> DatasetStats:
        """Write the files (every shard must be ready); returns the dataset's counts."""
        if self._next < len(self.plan):
            raise RuntimeError(f"shard {self.plan[self._next].shard_id} has no record yet")
        try:
            for writer in self._writers:
                writer.finish(self.stats)
        finally:
            self.close()
        write_card(self.out, self.stats, self.sources, self.options, self.command)
        from simdrive.dataset.report import write_report

        write_report(self.out, splits=list(self.options.split), stats=self.stats,
                     classes=self.options.class_map)
        return self.stats

    def close(self) -> None:
        for writer in self._writers:
            writer.close()
