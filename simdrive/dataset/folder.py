"""The output folder of ``simdrive render``: claiming it for a dataset, and resuming.

The folder holds ``.simdrive/dataset.json``, the settings that define its dataset (what
runner._settings records). A folder with it is resumed when the settings are the same
(the scenario files by content, not by spelling), and refused with what differs
otherwise; a folder without it that is not empty is never written into without
``force``, and then only beside its own files. Temporary files a killed run left are
removed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from simdrive.dataset.shard import STATE_DIR
from simdrive.files import OutputError, write_atomic

LAYOUT_FOLDERS = ("images", "labels", "annotations", "kitti", "extras", "report")
"""Folders whose every file is the dataset's (a format reader takes whatever is in them)."""
OUR_FILES = (*LAYOUT_FOLDERS, STATE_DIR, "manifest.json", "README.md", "data.yaml")
"""Every entry of the folder that is the dataset's."""


def prepare_folder(out: Path, settings: dict, force: bool) -> None:
    """Claim ``out`` for this dataset, refusing foreign or different folders without force."""
    marker = out / STATE_DIR / "dataset.json"
    settings = json.loads(json.dumps(settings))  # as it reads back (tuples become lists)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a folder", where=str(out))
    if marker.is_file():
        try:
            previous = json.loads(marker.read_text())
        except (OSError, ValueError) as error:
            if not force:  # not "other settings": which ones cannot be known
                why = (error.strerror if isinstance(error, OSError) and error.strerror
                       else "it is damaged")
                raise OutputError(
                    f"{out} holds a simdrive dataset whose run state {marker} cannot be read "
                    f"({why})", where=str(out),
                    expected="a readable run state to resume from, another folder, or "
                    "--force to replace the dataset") from None
            previous = None
        differs = _differences(_as_resolved(previous, settings), settings)
        if differs:
            if not force:
                raise OutputError(
                    f"{out} holds a simdrive dataset made with other scenarios or settings "
                    f"({differs})", where=str(out),
                    expected="the same command to resume it, another folder, "
                    "or --force to replace it")
            for name in OUR_FILES:
                path = out / name
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
    elif out.is_dir() and any(out.iterdir()):
        if not force:
            raise OutputError(f"{out} is not empty and is not a simdrive dataset",
                              where=str(out),
                              expected="an empty or new folder, or --force to write into it")
        # --force writes beside the folder's files, but never over them nor mixed with them
        # (an image of theirs in images/train would be a YOLO image without labels)
        taken = [name for name in OUR_FILES if _taken(out / name)]
        if taken:
            raise OutputError(
                f"{out} is not a simdrive dataset and already has "
                + ", ".join(f"{name}/" if (out / name).is_dir() else name for name in taken)
                + ", where the dataset's own files go (--force writes beside a folder's files, "
                "never over them)", where=str(out),
                expected="another folder, or those entries moved away")
    parent = out.absolute().parent
    if not out.exists() and not parent.is_dir():  # /typo/ds: never a tree of new folders
        what = "is a file, not a folder" if parent.exists() else "does not exist"
        raise OutputError(f"cannot create {out}: the folder {parent} {what}", where=str(out),
                          expected="a new folder inside an existing one")
    try:
        (out / STATE_DIR / "shards").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        what = f"cannot write into {out}" if out.is_dir() else f"cannot create {out}"
        raise OutputError(f"{what}: {error.strerror}", where=str(out),
                          expected="a writable folder") from None
    write_atomic(marker, json.dumps(settings, sort_keys=True, indent=1).encode())
    _remove_temporaries(out)


def _as_resolved(previous, settings: dict):
    """The folder's run state as this simdrive records it: one written before the frame
    step and cameras were recorded per scenario as resolved (options every / cameras,
    None for the scenario's own) gets them per scenario, taken from ``settings`` where it
    holds the same file (the same content resolves alike) and from the option given."""
    if not isinstance(previous, dict) or not isinstance(previous.get("options"), dict) \
            or not isinstance(previous.get("sources"), list):
        return previous
    options = dict(previous["options"])
    if "every" not in options and "cameras" not in options:
        return previous
    every, cameras = options.pop("every", None), options.pop("cameras", None)
    by_hash = {s["sha256"]: s for s in settings["sources"]}
    sources = []
    for source in previous["sources"]:
        if not isinstance(source, dict):
            return previous
        now = by_hash.get(source.get("sha256"), {})
        sources.append({**source,
                        "every": every if every is not None else now.get("every"),
                        "cameras": list(cameras) if cameras else now.get("cameras")})
    return {**previous, "options": options, "sources": sources}


def _differences(previous, settings: dict) -> str:
    """What makes the dataset ``settings`` describe another than the folder's (its
    ``previous`` settings, None when unreadable), in words; "" when it is the same. The
    scenario files count by content (sha256), not by how their paths are spelled:
    ``./scenarios/a.yaml`` and ``scenarios/a.yaml`` resume the same dataset."""
    if not isinstance(previous, dict):
        return "its run state cannot be read"
    if _unspelled(previous) == _unspelled(settings):
        return ""
    found = []
    if previous.get("simdrive") != settings["simdrive"] \
            or previous.get("record_format") != settings["record_format"]:
        found.append(f"simdrive {previous.get('simdrive')} wrote it "
                     f"(record format {previous.get('record_format')})")
    old_options = previous.get("options") if isinstance(previous.get("options"), dict) else {}
    new_options = settings["options"]
    for key in [*new_options, *(k for k in old_options if k not in new_options)]:
        if old_options.get(key) != new_options.get(key):  # given, changed or left out
            shown = _classes if key == "classes" else _brief
            found.append(f"{key.replace('_', ' ')}: {shown(old_options.get(key))} before, "
                         f"{shown(new_options.get(key))} now")
    old_sources, new_sources = (_unspelled(x).get("sources") for x in (previous, settings))
    if isinstance(old_sources, list) and len(old_sources) == len(new_sources) and all(
            isinstance(a, dict) and a.get("sha256") == b["sha256"]
            for a, b in zip(old_sources, new_sources, strict=True)):
        for key in ("every", "cameras"):  # the same files: how they were rendered
            if any(a.get(key) != b[key] for a, b in zip(old_sources, new_sources, strict=True)):
                found.append(f"{key}: " + ", ".join(_brief(a.get(key)) for a in old_sources)
                             + " before, " + ", ".join(_brief(b[key]) for b in new_sources)
                             + " now")
    elif old_sources != new_sources:
        found.append("other scenario files, or files whose content changed (their sha256)")
    return "; ".join(found) or "its run state differs"


def _unspelled(settings: dict) -> dict:
    """Settings without the spelling of the scenario paths (their contents' hashes stay)."""
    out = dict(settings)
    sources = settings.get("sources")
    if isinstance(sources, list):
        out["sources"] = [
            {"sha256": s.get("sha256"), "inputs": [i[1:] if isinstance(i, list) else i
                                                   for i in s.get("inputs", [])],
             "every": s.get("every"), "cameras": s.get("cameras")}
            if isinstance(s, dict) else s for s in sources]
    return out


def _brief(value) -> str:
    """An option's value in a message: "none" when unset, lists without JSON's brackets
    of brackets (class filters: tyre min_height_px 2)."""
    if value is None:
        return "none"
    text = json.dumps(value)
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        text = "; ".join(" ".join(str(x) for x in _flat(v)) for v in value)
    elif isinstance(value, list):  # as the command line takes it: rear,front
        text = ",".join(str(v) for v in value)
    return text if len(text) <= 60 else text[:57] + "..."


def _classes(value) -> str:
    """A --classes map in a message as the command line takes it (vehicle=car+van,...);
    none: a class per kind."""
    try:
        return ",".join(f"{name}={'+'.join(kinds)}" for name, kinds in value) if value else \
            "none (a class per actor kind)"
    except (TypeError, ValueError):
        return _brief(value)


def _flat(value) -> list:
    if isinstance(value, dict):
        return [f"{k}={v}" for k, v in value.items()]
    return [y for x in value for y in (_flat(x) if isinstance(x, list | dict) else [x])]


def _taken(path: Path) -> bool:
    """Whether ``path`` holds something: a file, or a folder with anything in it."""
    try:
        return path.is_file() or path.is_symlink() or (path.is_dir() and any(path.iterdir()))
    except OSError:  # a folder that cannot be read is taken too
        return True


def _remove_temporaries(out: Path) -> None:
    """Delete the temporary files a killed run may have left (simdrive.files names them
    ``.<name>.<pid>.tmp``), in the dataset's own files and folders only."""
    for name in OUR_FILES:
        path = out / name
        if path.is_dir():
            for tmp in path.rglob(".*.tmp"):
                tmp.unlink(missing_ok=True)
    ours = {f".{name}." for name in OUR_FILES}
    for tmp in out.glob(".*.tmp"):  # .<file>.<pid>.tmp beside manifest.json and the others
        if tmp.name[:tmp.name.rfind(".", 0, len(tmp.name) - 4) + 1] in ours:
            tmp.unlink(missing_ok=True)
