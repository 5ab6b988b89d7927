"""A dataset folder's run records: the shard records a render writes (read with a clear
error when one is damaged), the statistics streamed from them, and what they say the
folder holds that it lacks. Read by the run's assembly (simdrive.dataset.runner), by
``simdrive report`` and by the report that ends a render."""

from __future__ import annotations

import json
from pathlib import Path

from simdrive.dataset.shard import SHARD_DIR, STATE_DIR
from simdrive.dataset.stats import DatasetStats
from simdrive.errors import SimdriveError


def record_files(out: Path) -> list[Path]:
    """The shard records of a dataset folder, in shard order."""
    folder = out / SHARD_DIR
    if not out.is_dir():
        what = "is a file" if out.exists() else "does not exist"
        raise SimdriveError(f"the dataset folder {out} {what}", where=str(out),
                            expected="a folder written by simdrive render")
    if not folder.is_dir():
        raise SimdriveError(f"{out} is not a simdrive dataset: it has no {SHARD_DIR} (the run "
                            "records the report reads; a copy without the hidden folder "
                            f"{STATE_DIR} lacks them)", where=str(out),
                            expected="a folder written by simdrive render")
    return sorted(folder.glob("*.json"))


def missing_files(out: Path) -> list[str]:
    """What the run records say the dataset folder holds but it does not (or holds
    damaged): manifest.json, images, and each format's files (per frame: the YOLO label,
    the KITTI image link, label and calib, the extras; per split: the COCO file and the
    KITTI ImageSets list; data.yaml). One line per kind of file, with a count and the first
    example; [] when everything is there."""
    try:
        settings = json.loads((out / STATE_DIR / "dataset.json").read_text())
        formats = set(settings["options"]["formats"])
        extras = list(settings["options"]["extras"])
    except (OSError, ValueError, KeyError, TypeError):
        formats, extras = set(), []
    problems: dict[str, list[str]] = {}
    try:
        json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError) as error:
        what = "missing" if isinstance(error, FileNotFoundError) else "unreadable or damaged"
        problems[f"manifest.json {what}"] = ["manifest.json"]
    splits = set()
    for path in record_files(out):
        for frame in read_record(path):
            try:
                split, stem = frame["split"], frame["stem"]
                wanted = [("image", frame["image"])]
                if "yolo" in formats:
                    wanted.append(("YOLO label", f"labels/{split}/{stem}.txt"))
                if "kitti" in formats:
                    base, ext = f"kitti/{split}", Path(frame["image"]).suffix
                    kid = f"{frame['split_index']:06d}"
                    wanted += [("KITTI image", f"{base}/image_2/{kid}{ext}"),
                               ("KITTI label", f"{base}/label_2/{kid}.txt"),
                               ("KITTI calib", f"{base}/calib/{kid}.txt")]
                wanted += [(f"{kind} extra", f"extras/{kind}/{split}/{stem}.png")
                           for kind in extras]
            except RECORD_DAMAGE as error:
                raise damaged_record(path, error) from None
            splits.add(split)
            for kind, rel in wanted:
                if not (out / rel).is_file():
                    problems.setdefault(f"{kind} files missing", []).append(rel)
    if "yolo" in formats and splits and not (out / "data.yaml").is_file():
        problems["YOLO data.yaml missing"] = ["data.yaml"]
    for split in sorted(splits) if "kitti" in formats else ():
        rel = f"kitti/ImageSets/{split}.txt"
        if not (out / rel).is_file():
            problems.setdefault("KITTI ImageSets missing", []).append(rel)
    if "coco" in formats:
        for split in sorted(splits):
            rel = f"annotations/instances_{split}.json"
            try:
                json.loads((out / rel).read_text())
            except (OSError, ValueError):
                problems.setdefault("COCO files missing or damaged", []).append(rel)
    return [f"{what}: {len(paths)} (first: {paths[0]})" for what, paths in problems.items()]


RECORD_DAMAGE = (KeyError, TypeError, IndexError, ValueError, AttributeError)
"""What reading a damaged frame record raises (a missing field, a value of the wrong type)."""


def damaged_record(path: Path, error: Exception) -> SimdriveError:
    """The clear error for a shard record that cannot be read or used."""
    if isinstance(error, KeyError):
        reason = f"the field {error} is missing"
    elif isinstance(error, json.JSONDecodeError):
        reason = "it is not whole JSON"
    else:
        reason = str(error)
    return SimdriveError(f"shard record {path} is unreadable or damaged ({reason}); delete "
                         "it and run the dataset's render command again to redo that shard",
                         where=str(path))


def read_record(path: Path) -> list[dict]:
    """The frames of one shard record (a clear error if it cannot be read)."""
    try:
        frames = json.loads(path.read_text())["frames"]
        if not isinstance(frames, list):
            raise TypeError("its frames are not a list")
        return frames
    except (OSError, *RECORD_DAMAGE) as error:  # ValueError: bad UTF-8 too
        raise damaged_record(path, error) from None


def stats_of_records(out: Path) -> DatasetStats:
    """A dataset folder's statistics, streamed from its shard records (read twice: the
    first pass counts the frames, which picks the mosaic's samples)."""
    paths = record_files(out)
    stats = DatasetStats(sum(len(read_record(path)) for path in paths))
    for path in paths:
        try:
            for frame in read_record(path):
                stats.add(frame)
        except RECORD_DAMAGE as error:
            raise damaged_record(path, error) from None
    return stats
