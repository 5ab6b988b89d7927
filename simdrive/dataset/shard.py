"""Rendering one shard (in a worker process, local or on a Dask cluster).

A shard writes its images (and extras, and the YOLO and KITTI files of each frame)
one file at a time, atomically, then its
record ``.simdrive/shards/<id>.json``: every frame's image, split, scenario, variant,
weather and lighting, the report's fields of every actor's labels and whether the box
filter keeps it, and the frame's COCO entries (with the RLE masks) and manifest line,
serialised (_kept_record).
The record is written last, so a shard either has a record and all its files,
or is rendered again by the next run. Output depends only on the shard, never
on which worker ran it or when.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from simdrive.dataset import coco, kitti, rle, yolo
from simdrive.dataset.manifest import image_line
from simdrive.dataset.names import frame_stem
from simdrive.dataset.options import DatasetOptions
from simdrive.dataset.plan import Shard
from simdrive.files import write_atomic
from simdrive.render import images
from simdrive.render.export import frame_record
from simdrive.render.frames import VariantRun, camera_spec
from simdrive.render.images import encode_image
from simdrive.render.renderer import Renderer
from simdrive.scenario.build import scenario_road
from simdrive.scenario.runner import load_scenario

STATE_DIR = ".simdrive"
SHARD_DIR = f"{STATE_DIR}/shards"

PER_FRAME_WRITERS = {"yolo": (yolo.make_folders, yolo.write_frame),
                     "kitti": (kitti.make_folders, kitti.write_frame)}
"""Format files written per frame by the shard that renders it (the rest at assembly):
(make the split's folders, write one frame's files)."""

_SPECS: dict = {}  # per worker process: (file, content hash) -> (spec, road)
_RENDERERS = threading.local()  # per thread of a worker: .by_road {road: Renderer}


@dataclass(frozen=True)
class ShardResult:
    shard_id: str
    frames: int
    boxes: int


def record_path(out_dir: Path, shard_id: str) -> Path:
    return out_dir / SHARD_DIR / f"{shard_id}.json"


def _spec_and_road(shard: Shard):
    key = (shard.scenario_file, shard.content_hash)
    if key not in _SPECS:
        spec = load_scenario(shard.scenario_file)
        if spec.content_hash != shard.content_hash:
            raise RuntimeError(f"{shard.scenario_file} changed while the dataset was rendered")
        if len(_SPECS) > 8:
            _SPECS.clear()
        _SPECS[key] = (spec, scenario_road(spec))
    return _SPECS[key]


def _renderer(road) -> Renderer | None:
    """The renderer this thread last used for ``road``, if any (reused across shards:
    a new one costs ~1 ms of set-up and page faults; Renderer is not thread-safe)."""
    return getattr(_RENDERERS, "by_road", {}).get(road)


def _keep_renderer(road, renderer: Renderer) -> None:
    by_road = getattr(_RENDERERS, "by_road", None)
    if by_road is None or (road not in by_road and len(by_road) >= 4):
        by_road = _RENDERERS.by_road = {}
    by_road[road] = renderer


def _png(array: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", array, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return buf.tobytes()


DEPTH_MAX_M = 65.535
"""The farthest depth the depth extra holds (uint16 millimetres)."""


def depth_mm(depth: np.ndarray) -> np.ndarray:
    """A depth buffer (m, inf for sky) as the depth extra's uint16 millimetres: 0 where
    there is no depth to give, the sky and anything past 65.535 m (clipping it to
    65535 would pass for a real 65.5 m)."""
    mm = np.round(depth * 1000.0)
    return np.where(mm <= DEPTH_MAX_M * 1000.0, mm, 0.0).astype(np.uint16)  # inf and nan fail <=


def _extras(out_dir: Path, frame, split: str, stem: str, extras, provenance: dict) -> dict:
    """Write the frame's extra PNGs; each carries the synthetic mark like the image, with
    ``extra`` naming what it holds."""
    files = {}
    for kind in extras:
        if kind == "depth":
            data = _png(depth_mm(frame.depth))
        elif kind == "semantic":
            data = _png(frame.semantic)
        else:  # instance: track id + 1, 0 = no actor
            data = _png(np.where(frame.instance >= 0, frame.instance + 1, 0).astype(np.uint16))
        rel = f"extras/{kind}/{split}/{stem}.png"
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out_dir / rel,
                     images.insert_png_text(data, images.mark({**provenance, "extra": kind})))
        files[kind] = rel
    return files


RECORD_FIELDS = ("image", "stem", "split", "split_index", "scenario", "variant", "step",
                 "weather", "lighting", "extras")
RECORD_LABEL_FIELDS = ("track_id", "kind", "keep", "visible_box", "visible_pixels",
                       "occlusion", "truncation", "distance_m", "visibility")


def _kept_record(record: dict, options: DatasetOptions, classes) -> dict:
    """What a shard record keeps of a frame: what assembly and the report read.

    The COCO entries and the manifest line come serialised (in the shard workers, in
    parallel: assembly only numbers and joins them); of the labels, the fields the report,
    the summary and the dataset card count.
    """
    kept = {name: record[name] for name in RECORD_FIELDS}
    camera = record["camera"]
    kept["camera"] = {"name": camera["name"], "width": camera["width"],
                      "height": camera["height"]}
    kept["labels"] = [{name: obj[name] for name in RECORD_LABEL_FIELDS}
                      for obj in record["labels"]]
    if "coco" in options.formats:
        kept["coco"] = coco.fragments(record, classes)
    kept["manifest"] = image_line(record, "kitti" in options.formats)
    return kept


def _in_classes(keeps, classes):
    """A box filter's ``keeps`` that also drops the kinds no class of ``classes`` takes."""
    return lambda label: classes.index(label.kind) is not None and keeps(label)


_CV_LOCK = threading.Lock()
_cv_state = {"depth": 0, "before": 1}  # shards running in this process, and the setting to restore


@contextlib.contextmanager
def _opencv_single_threaded():
    """OpenCV's own thread pool off while shards run (the setting comes back when the last
    shard running in this process ends; shards may run in several threads of a Dask
    worker).

    Its colour conversions split a 640x360 image over threads that then wait by
    spinning: measured here, a one-worker run spent ~1 ms of CPU per frame in them
    for no gain in time, and with one worker per core they take CPU from the other
    workers. Shards are the parallel unit; each runs on one thread.
    """
    with _CV_LOCK:
        if _cv_state["depth"] == 0:
            _cv_state["before"] = cv2.getNumThreads()
            cv2.setNumThreads(1)
        _cv_state["depth"] += 1
    try:
        yield
    finally:
        with _CV_LOCK:
            _cv_state["depth"] -= 1
            if _cv_state["depth"] == 0:
                cv2.setNumThreads(_cv_state["before"])


def warm_up(shard: Shard, options: DatasetOptions) -> None:
    """Load what rendering ``shard`` calls (the numba kernels, its road's renderer and
    ground texture, OpenCV's encoder) by rendering its first frame, written nowhere:
    worker processes forked afterwards inherit them instead of each loading its own."""
    with _opencv_single_threaded():
        spec, road = _spec_and_road(shard)
        run = VariantRun(spec, shard.variant, road=road, renderer=_renderer(road))
        _keep_renderer(road, run.renderer)
        run.advance_to(shard.steps[0])
        frame = run.render(camera_spec(spec, shard.cameras[0]), bgr=True)
        encode_image(frame.image, f".{options.image_format}", None, bgr=True)
        for lab in frame.labels:
            if lab.visible_box is not None:
                rle.encode_box(frame.instance, lab.track_id, lab.visible_box)
                break


def render_shard(shard: Shard, options: DatasetOptions, out_dir: str) -> ShardResult:
    """Render and write one shard; returns its counts."""
    with _opencv_single_threaded():
        return _render_shard(shard, options, out_dir)


def _render_shard(shard: Shard, options: DatasetOptions, out_dir: str) -> ShardResult:
    out = Path(out_dir)
    spec, road = _spec_and_road(shard)
    run = VariantRun(spec, shard.variant, road=road, renderer=_renderer(road))
    _keep_renderer(road, run.renderer)
    cameras = [camera_spec(spec, name) for name in shard.cameras]
    (out / "images" / shard.split).mkdir(parents=True, exist_ok=True)
    writers = [PER_FRAME_WRITERS[name] for name in options.formats if name in PER_FRAME_WRITERS]
    for make_folders, _ in writers:
        make_folders(out, shard.split)
    writer_state: dict = {}  # what the writers keep between the frames of this shard
    classes = options.class_map
    frames = []
    boxes = 0
    # a count > 1 actor's placement values place nothing: each instance draws its own
    values = {k: v for k, v in shard.variant.values.items() if k not in spec.per_instance}
    provenance = {"scenario": spec.name, "scenario_hash": spec.content_hash,
                  "variant": shard.variant.index, "seed": shard.variant.seed}
    for step in shard.steps:
        run.advance_to(step)
        for cam in cameras:
            frame = run.render(cam, bgr=True)  # encoded with no conversion
            keeps = options.filter_for(cam.name, weather=frame.look.weather).keeps
            if options.classes:  # a kind no class takes is never a box
                keeps = _in_classes(keeps, classes)
            stem = frame_stem(shard.label, shard.variant.index, cam.name, step)
            rel = f"images/{shard.split}/{stem}.{options.image_format}"
            mark = {**provenance, "time_s": round(frame.time_s, 9), "camera": cam.name}
            write_atomic(os.path.join(out, rel),
                         encode_image(frame.image, f".{options.image_format}", mark,
                                      bgr=True))
            record = frame_record(frame)
            for obj, lab in zip(record["labels"], frame.labels, strict=True):
                obj["keep"] = keeps(lab)
                # kept boxes, and the ignore regions of dropped ones with pixels (COCO)
                obj["segmentation"] = (None if lab.visible_box is None else
                                       rle.encode_box(frame.instance, lab.track_id,
                                                      lab.visible_box))
                boxes += obj["keep"]
            record.update(stem=stem, split=shard.split, image=rel, step=step,
                          split_index=shard.first_index + len(frames),
                          source=shard.source, scenario=spec.name,
                          variant=shard.variant.index, seed=shard.variant.seed,
                          values=values,
                          extras=_extras(out, frame, shard.split, stem, options.extras,
                                         mark))
            for _, write_frame in writers:
                write_frame(out, record, writer_state, classes)
            frames.append(_kept_record(record, options, classes))
            # the renderer reuses the arrays of a frame nobody holds: the same set every
            # frame keeps them in cache (holding this one would alternate two sets)
            del frame
    data = json.dumps({"shard": shard.shard_id, "frames": frames}, sort_keys=True,
                      separators=(",", ":")).encode()
    path = record_path(out, shard.shard_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)
    return ShardResult(shard.shard_id, len(frames), boxes)
