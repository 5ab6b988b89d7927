"""Provenance: ``manifest.json`` (machine-readable) and ``README.md`` (the dataset card).

The manifest records the simdrive version, the command (without options that only
change how it runs: workers, cluster, quiet, force), every input file with its
SHA-256 and scenario content hash, seeds, variants kept and dropped by
``require:``, the placements each instance of a ``count`` > 1 actor draws for itself
(``drawn_per_instance``), the settings, class and legend tables, and per image: its
file, split, scenario, variant index, seed and parameter values (but those), weather, lighting,
time, and camera intrinsics and extrinsics. It holds no dates, so reruns compare
byte for byte.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from simdrive import __version__
from simdrive.dataset.kitti import kitti_id
from simdrive.dataset.options import DatasetOptions
from simdrive.files import Spool, atomic_output, write_atomic
from simdrive.jsontext import json_writer
from simdrive.render.semantic import legend
from simdrive.world.actors import actor_kinds

RUN_ONLY_FLAGS = {"--workers": 1, "--cluster": 1, "--quiet": 0, "--force": 0}


def canonical_command(argv: list[str] | None) -> list[str] | None:
    """argv without the options that cannot change the dataset."""
    if argv is None:
        return None
    out, skip = [], 0
    for arg in argv:
        if skip:
            skip -= 1
            continue
        name = arg.split("=", 1)[0]
        if name in RUN_ONLY_FLAGS:
            skip = RUN_ONLY_FLAGS[name] if "=" not in arg else 0
            continue
        out.append(arg)
    return out


class ManifestWriter:
    """manifest.json, fed frame records in order (``add``: each with its ``manifest``
    line), written by ``finish``; the image lines wait in a spool on disk."""

    def __init__(self, out: Path, sources, options: DatasetOptions,
                 command: list[str] | None, spools: Path):
        """``spools``: the folder of the spool (the dataset's run-state folder)."""
        self.out, self.sources, self.options, self.command = out, sources, options, command
        self._lines = Spool(spools)

    def add(self, frame: dict) -> None:
        line = frame["manifest"]
        if not (isinstance(line, str) and line[:1] == "{" and line[-1:] == "}"
                and "\n" not in line):
            raise ValueError("a frame's manifest line is not one line of JSON")
        separator = ",\n  " if self._lines.count else ""
        self._lines.add(f"{separator}{line}".encode())

    def finish(self, stats) -> None:
        classes = self.options.class_map
        head = {
            "generator": f"simdrive {__version__}",
            "synthetic": True,
            "command": canonical_command(self.command),
            "options": self.options.to_dict(),
            "sources": [{
                "path": s.path, "sha256": s.file_sha256, "scenario": s.spec.name,
                "inputs": [{"path": path, "sha256": digest} for path, digest in s.inputs],
                "content_hash": s.spec.content_hash, "seed": s.spec.seed,
                "cameras": list(s.cameras), "every_steps": s.every,
                "variants_kept": [v.index for v in s.kept],
                "variants_dropped": [v.index for v in s.dropped],
                "require": [text for text, _ in s.spec.require],
                "drawn_per_instance": sorted(s.spec.per_instance),
            } for s in self.sources],
            "splits": dict(stats.per_split),
            "categories": classes.coco_categories(),
            "kitti_types": {kind: classes.kitti_type(kind) for kind in actor_kinds()
                            if classes.kitti_type(kind) is not None},
            "semantic_legend": legend(),
            "extras": {"depth": "uint16 PNG, millimetres, 0 = sky or beyond 65.535 m",
                       "semantic": "uint8 PNG, classes of semantic_legend",
                       "instance": "uint16 PNG, track id + 1, 0 = no actor"},
        }
        # indented JSON with sorted keys, then ``images`` last, one line per image
        # (json indents only in pure Python: ~0.7 ms per image, 50x the compact form)
        text = json.dumps(head, indent=1, sort_keys=True)
        with atomic_output(self.out / "manifest.json") as handle:
            if self._lines.count:
                handle.write(f'{text[:-2]},\n "images": [\n  '.encode())
                self._lines.copy_to(handle)
                handle.write(b"\n ]\n}")
            else:
                handle.write(f'{text[:-2]},\n "images": []\n}}'.encode())
        self.close()

    def close(self) -> None:
        self._lines.close()


def image_line(frame: dict, kitti: bool) -> str:
    """A frame's entry of the manifest's ``images``, as its one line of JSON (serialised by
    the shard worker that renders the frame, kept in its record); ``kitti``: whether the
    dataset has KITTI files (then the entry names the frame's ``kitti_id``)."""
    f = frame
    return _IMAGE_LINE({
        "file": f["image"], "split": f["split"], "scenario": f["scenario"],
        "source": f["source"], "variant": f["variant"], "seed": f["seed"],
        "values": f["values"], "weather": f["weather"], "lighting": f["lighting"],
        "time_s": f["time_s"], "step": f["step"], "camera": f["camera"],
        "extras": f["extras"], **({"kitti_id": kitti_id(f)} if kitti else {}),
    })


_IMAGE_LINE = json_writer((", ", ": "), sort_keys=True)


_FIELD_TEXT = {"min_pixels": "visible pixels >=", "min_height_px": "visible height (px) >=",
               "max_occlusion": "occlusion <=", "min_visibility": "visibility >="}


def _filter_text(bf) -> str:
    return (f"visible pixels >= {bf.min_pixels}, visible height >= {bf.min_height_px} px, "
            f"occlusion <= {bf.max_occlusion}, visibility >= {bf.min_visibility}")


def write_card(out: Path, stats, sources, options: DatasetOptions,
               command: list[str] | None) -> None:
    """The dataset card, README.md (stats: simdrive.dataset.stats.DatasetStats)."""
    boxes, splits, looks = stats.boxes, stats.per_split, stats.looks
    bf = options.box_filter
    lines = [
        "# Synthetic driving dataset (simdrive)",
        "",
        "**Every image here is synthetic**, rendered by simdrive "
        f"{__version__} from scenario files; each image carries this in its own metadata "
        "(JPEG comment / PNG text chunk `simdrive`: scenario hash, variant, time, camera).",
        "",
        "Command: `" + (shlex.join(canonical_command(command)) if command is not None
                        else "(library call)") + "`",
        "",
        "## Sources",
        "",
        "| scenario | file | cameras | variants kept | dropped by require | require |",
        "|---|---|---|---:|---:|---|",
    ]
    for s in sources:
        req = ", ".join(text for text, _ in s.spec.require) or "-"
        cameras = ", ".join(name.replace("|", "\\|") for name in s.cameras)  # table cells
        lines.append(f"| {s.spec.name} | `{s.path}` | {cameras} | "
                     f"{len(s.kept)} | {len(s.dropped)} | {req} |")
    lines += ["", "Files read (the scenario files, their `extends` bases and maps), SHA-256:", ""]
    lines += [f"- `{path}` {digest}" for s in sources for path, digest in s.inputs]
    lines += ["", "## Contents", "",
              f"{stats.frames} images "
              f"({', '.join(f'{k}: {v}' for k, v in sorted(splits.items()))});"
              f" formats: {', '.join(options.formats)}; images as {options.image_format}; "
              f"extras: {', '.join(options.extras) or 'none'}."
              + (f" Each variant's frames stop {options.after_collision_s:g} s after the "
                 "ego's first collision (--after-collision)."
                 if options.after_collision_s is not None else ""), "",
              *_class_lines(boxes, options)]
    lines += ["", "| weather | lighting | images |", "|---|---|---:|"]
    lines += [f"| {w} | {lit} | {n} |" for (w, lit), n in sorted(looks.items())]
    lines += ["", "## Labels", "",
              f"Boxes kept{' (every other camera)' if _others(options, sources) else ''}: "
              + _filter_text(bf) + " (fog and darkness). "
              + "".join(f"Camera {name}: {_filter_text(f)}. "
                        for name, f in options.camera_filters)
              + "".join(f"Kind {name}, in every camera: " + ", ".join(
                  f"{_FIELD_TEXT[field]} {value:g}" for field, value in fields) + ". "
                        for name, fields in options.class_filters)
              + "".join(f"Frames in {name}: " + ", ".join(
                  f"{_FIELD_TEXT[field]} {value:g}" for field, value in fields) + ". "
                        for name, fields in options.weather_filters)
              + " ".join(_boxes(options)), "",
              "Layout: " + ", ".join(_layout(options)) + ".", "",
              "Splits are drawn per variant, so frames of one simulated run never straddle "
              "splits.", ""]
    write_atomic(out / "README.md", "\n".join(lines).encode())


def _class_lines(boxes, options: DatasetOptions) -> list[str]:
    """The card's boxes per class: per actor kind, or under --classes per class with its
    kinds (and the kinds left unlabelled)."""
    if not options.classes:
        return ["| class | boxes |", "|---|---:|",
                *[f"| {k} | {v} |" for k, v in sorted(boxes.items())]]
    classes = options.class_map
    lines = ["| class | index | actor kinds | boxes |", "|---|---:|---|---:|",
             *[f"| {name} | {k} | {kinds} | {n} |"
               for k, (name, kinds, n) in enumerate(classes.boxes(boxes))]]
    if classes.unlabelled():
        lines += ["", "Actor kinds in no class, never labelled as objects (KITTI marks "
                  "their visible boxes `DontCare`): " + ", ".join(classes.unlabelled()) + "."]
    return lines


def _others(options: DatasetOptions, sources) -> bool:
    """Whether some camera rendered takes the general box filter beside ones with their
    own."""
    own = {name for name, _ in options.camera_filters}
    rendered = {name for s in sources for name in s.cameras}
    return bool(own) and bool(rendered - own)


def _layout(options: DatasetOptions) -> list[str]:
    """The card's list of what is where: the formats and extras this dataset has."""
    parts = ["`images/<split>/`"]
    if "yolo" in options.formats:
        parts.append("`labels/<split>/` + `data.yaml` (YOLO)")
    if "coco" in options.formats:
        parts.append("`annotations/instances_<split>.json` (COCO)")
    if "kitti" in options.formats:
        parts.append("`kitti/<split>/{image_2,label_2,calib}` (KITTI)")
    if options.extras:
        parts.append(f"`extras/<kind>/<split>/` ({', '.join(options.extras)} PNGs)")
    return [*parts, "`manifest.json` (provenance of every image)", "`report/` (statistics)"]


def _boxes(options: DatasetOptions) -> list[str]:
    """The card's sentences on which box each written format carries."""
    out = []
    if "coco" in options.formats:
        out.append("COCO `bbox` is the visible box; the amodal box is kept as `amodal_bbox`. "
                   "Annotations with `iscrowd: 1` are not crowds: they are the ignore regions "
                   "of actors the box filter dropped (too small, hidden, dark or in fog) but "
                   "that show pixels; drop them, or count them as ignore regions as COCOeval "
                   "does, never train on them as objects.")
    if "yolo" in options.formats:
        out.append("YOLO boxes are the visible box.")
    if "kitti" in options.formats:
        out.append("KITTI's 2D box is the amodal box; dropped actors with visible pixels, and "
                   "kept ones whose box centre lies behind a perspective camera, are "
                   "`DontCare`.")
    return out
