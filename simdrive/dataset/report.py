"""``simdrive report DIR``: what a dataset holds and what it lacks.

Writes ``report/report.md`` and PNG plots next to it: boxes per class; a coverage
heatmap of images per (scenario, weather x lighting) cell; histograms of box height,
occlusion, truncation and distance (one panel per camera, with a table of per-camera
counts, when the dataset has several); and a JPEG mosaic of sample frames with their boxes
(photographs: 1.6 ms and ~135 kB as JPEG against ~50 ms and ~770 kB as PNG). Cells
with no images or fewer than ``THIN_SHARE`` of the mean are flagged, so users see
which conditions their dataset lacks (empty cells sorted into gaps within the conditions
a scenario shows, conditions a scenario never shows, and conditions none shows), and
so are requested splits that received no image.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from simdrive.dataset.categories import ONE_PER_KIND, ClassMap, check_classes
from simdrive.dataset.records import stats_of_records
from simdrive.dataset.shard import STATE_DIR
from simdrive.dataset.stats import DatasetStats
from simdrive.errors import SimdriveError
from simdrive.files import OutputError, write_atomic
from simdrive.plotting import BLACK, BLUE, RED, Axes, bars, canvas
from simdrive.world.actors import actor_kinds
from simdrive.world.conditions import LIGHTINGS, WEATHERS

THIN_SHARE = 0.25


def _png(path: Path, image: np.ndarray) -> None:
    ok, buf = cv2.imencode(".png", image)
    write_atomic(path, buf.tobytes())


def _jpg(path: Path, image: np.ndarray) -> None:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    write_atomic(path, buf.tobytes())


def _bar_chart(title, names, values, ylabel) -> np.ndarray:
    img = canvas(900, 420)
    top = max(values) if values else 1
    ax = Axes(img, (90, 70, 870, 330), (-0.5, len(names) - 0.5), (0, top * 1.1 or 1),
              title=title, xlabel="", ylabel=ylabel, xcategories=names)
    ax.frame()
    bars(ax, range(len(names)), values, BLUE)
    return img


def _histogram(title, values, xlabel, bins, value_range, cameras=None, box_camera=None
               ) -> np.ndarray:
    """A histogram of ``values``; with several ``cameras`` (names, and ``box_camera``: each
    value's index into them) one panel a camera, stacked, on the same x range: a bird's-eye
    camera's distances and a dashcam's are not one distribution."""
    values = np.asarray(values, float)
    if not cameras or len(cameras) < 2:
        panels = [(title, values)]
    else:
        which = np.asarray(box_camera, int)
        panels = [(f"{title}: camera {name} ({int((which == i).sum())} boxes)",
                   values[which == i]) for i, name in enumerate(cameras)]
    step = 350
    img = canvas(700, 380 + step * (len(panels) - 1))
    for k, (name, part) in enumerate(panels):
        counts, edges = np.histogram(part, bins=bins, range=value_range)
        top = 70 + k * step
        ax = Axes(img, (90, top, 670, top + 230), (edges[0], edges[-1]),
                  (0, max(1, counts.max()) * 1.1), title=name, xlabel=xlabel, ylabel="boxes")
        ax.frame()
        centres = (edges[:-1] + edges[1:]) / 2
        bars(ax, centres, counts, BLUE, width=(edges[1] - edges[0]) * 0.9)
    return img


def _coverage(stats: DatasetStats) -> tuple[np.ndarray, list[str], list[str], np.ndarray]:
    scenarios = sorted({scenario for scenario, _, _ in stats.cells})
    looks = [f"{w}/{lit}" for w in WEATHERS for lit in LIGHTINGS]
    grid = np.zeros((len(scenarios), len(looks)), int)
    for (scenario, weather, lighting), n in stats.cells.items():
        grid[scenarios.index(scenario), looks.index(f"{weather}/{lighting}")] += n
    cell = 34
    left, top = 260, 80
    img = canvas(left + cell * len(looks) + 30, top + cell * len(scenarios) + 40)
    peak = max(1, int(grid.max(initial=0)))
    for i, name in enumerate(scenarios):
        cv2.putText(img, name[:34], (8, top + i * cell + 22), cv2.FONT_HERSHEY_SIMPLEX, 0.42,
                    BLACK, 1, cv2.LINE_AA)
        for j in range(len(looks)):
            v = grid[i, j]
            shade = int(255 - 200 * v / peak)
            x, y = left + j * cell, top + i * cell
            cv2.rectangle(img, (x, y), (x + cell - 2, y + cell - 2),
                          (255, shade, shade) if v else (235, 235, 235), -1)
            if v == 0:
                cv2.line(img, (x + 4, y + 4), (x + cell - 6, y + cell - 6), RED, 1)
                continue
            text = str(v) if v < 10_000 else f"{v // 1000}k"
            size = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.3, 1)[0]
            cv2.putText(img, text, (x + (cell - 2 - size[0]) // 2, y + (cell + size[1]) // 2 - 1),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.3, (255, 255, 255) if shade < 150 else BLACK,
                        1, cv2.LINE_AA)
    font = cv2.FONT_HERSHEY_SIMPLEX
    n_light = len(LIGHTINGS)
    for g, weather in enumerate(WEATHERS):  # weather over each group, lightings under it
        x = left + g * n_light * cell
        size = cv2.getTextSize(weather, font, 0.45, 1)[0]
        cv2.putText(img, weather, (x + (n_light * cell - size[0]) // 2, top - 34), font, 0.45,
                    BLACK, 1, cv2.LINE_AA)
        cv2.line(img, (x + 2, top - 28), (x + n_light * cell - 4, top - 28), BLACK, 1)
        for k, lighting in enumerate(LIGHTINGS):
            size = cv2.getTextSize(lighting, font, 0.32, 1)[0]
            cv2.putText(img, lighting, (x + k * cell + (cell - 2 - size[0]) // 2, top - 10),
                        font, 0.32, BLACK, 1, cv2.LINE_AA)
    cv2.putText(img, "images per scenario x weather/lighting (in each cell; darker: more; "
                "red cross: none)", (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, BLACK, 1,
                cv2.LINE_AA)
    return img, scenarios, looks, grid


def _mosaic(out: Path, picks: list[dict], classes: ClassMap = ONE_PER_KIND) -> np.ndarray:
    """The sample frames with their kept boxes drawn, each named by its class."""
    tiles = []
    for f in picks:
        path = out / f["image"]
        img = cv2.imread(str(path)) if path.is_file() else None  # (no OpenCV warning)
        if img is None:
            continue
        for obj in f["labels"]:
            if obj["keep"]:
                x0, y0, x1, y1 = obj["visible_box"]
                cv2.rectangle(img, (x0, y0), (x1 - 1, y1 - 1), (40, 200, 255), 1)
                index = classes.index(obj["kind"])
                name = classes.names[index] if index is not None else obj["kind"]
                cv2.putText(img, name, (x0, max(10, y0 - 3)), cv2.FONT_HERSHEY_SIMPLEX,
                            0.4, (40, 200, 255), 1, cv2.LINE_AA)
        tiles.append(cv2.resize(img, (320, 180), interpolation=cv2.INTER_AREA))
    if not tiles:
        return canvas(320, 180)
    while len(tiles) % 4:
        tiles.append(np.zeros_like(tiles[0]))
    return np.vstack([np.hstack(tiles[i:i + 4]) for i in range(0, len(tiles), 4)])


def requested_splits(out: Path) -> list[tuple[str, float]]:
    """The (split, ratio) pairs the dataset in ``out`` was rendered with ([] if unknown)."""
    try:
        settings = json.loads((out / STATE_DIR / "dataset.json").read_text())
        return [(str(name), float(ratio)) for name, ratio in settings["options"]["split"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def empty_splits(per_split: Counter, splits: list[tuple[str, float]]) -> list[str]:
    """Splits asked for (ratio > 0) that received no image (per_split: images per split): a
    split is drawn per variant, so a dataset of few variants can leave val or test empty."""
    if not sum(per_split.values()):  # nothing rendered (require: kept no variant): no split matter
        return []
    return [name for name, ratio in splits if ratio > 0 and not per_split[name]]


def empty_splits_note(names, variants: int, yolo: bool) -> str:
    """One sentence on requested splits left without images; ``yolo``: the dataset has a
    data.yaml (what it points at is said)."""
    which = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    if not yolo:
        effect = ""
    elif "train" in names:
        effect = ("; YOLO cannot train on it (data.yaml's train is the empty train split: it "
                  "never points at val or test images)")
    elif "val" in names:
        effect = "; data.yaml points YOLO's val at the training images meanwhile"
    else:
        effect = ""
    return (f"split{'s' if len(names) > 1 else ''} {which} "
            f"{'are' if len(names) > 1 else 'is'} empty: splits are drawn per variant and "
            f"the dataset has {variants} variant{'s' if variants != 1 else ''}{effect}; "
            "render more variants (--limit) or change --split")


def no_train_note(splits, yolo: bool) -> str | None:
    """The sentence for a YOLO dataset whose --split gives train no share (None otherwise):
    data.yaml's train is always the train split, so YOLO cannot train on it."""
    if not yolo or any(name == "train" and ratio > 0 for name, ratio in splits):
        return None
    return ("--split gives train no share, so YOLO cannot train on this dataset (data.yaml's "
            "train is images/train, which holds no image); an evaluation-only dataset is "
            "read through its " + " and ".join(name for name, ratio in splits if ratio > 0)
            + " split")


def requested_classes(out: Path) -> ClassMap:
    """The class map the dataset in ``out`` was rendered with (one class per kind when it
    had none, or when that is unknown)."""
    try:
        settings = json.loads((out / STATE_DIR / "dataset.json").read_text())
        given = settings["options"].get("classes", ())
        return ClassMap.of(check_classes(tuple((name, tuple(kinds)) for name, kinds in given))
                           if given else ())
    except (OSError, ValueError, KeyError, TypeError, AttributeError, SimdriveError):
        return ONE_PER_KIND


def requested_limit(out: Path) -> int | None:
    """The --limit the dataset in ``out`` was rendered with, when it left variants out
    (None: none, unknown, or every file had fewer variants: it cut nothing)."""
    try:
        settings = json.loads((out / STATE_DIR / "dataset.json").read_text())
        limit = settings["options"]["limit"]
        limit = int(limit) if limit is not None else None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:  # the manifest says how many variants each file had simulated
        sources = json.loads((out / "manifest.json").read_text())["sources"]
        simulated = [len(s["variants_kept"]) + len(s["variants_dropped"]) for s in sources]
    except (OSError, ValueError, KeyError, TypeError):
        return limit
    return limit if limit is not None and any(n >= limit for n in simulated) else None


def _coverage_lines(scenarios, grid, limit: int | None = None) -> list[str]:
    """The empty cells of the coverage grid, sorted by what they tell the user: gaps (a
    weather and a lighting the scenario shows, never together), then per scenario the
    weathers and lightings it never shows, then conditions no scenario shows."""
    lines = []
    shown = grid.reshape(len(scenarios), len(WEATHERS), len(LIGHTINGS)) > 0
    gaps = [f"{name} in {w}/{lit}" for i, name in enumerate(scenarios)
            for a, w in enumerate(WEATHERS) for b, lit in enumerate(LIGHTINGS)
            if not shown[i, a, b] and shown[i, a, :].any() and shown[i, :, b].any()]
    if gaps:
        lines += ["", "Missing (a weather and a lighting the scenario shows, never together): "
                  + "; ".join(gaps[:40]) + (" ..." if len(gaps) > 40 else "")]
    never_w = [w for a, w in enumerate(WEATHERS) if not shown[:, a, :].any()]
    never_l = [lit for b, lit in enumerate(LIGHTINGS) if not shown[:, :, b].any()]
    for i, name in enumerate(scenarios):
        lacks_w = [w for a, w in enumerate(WEATHERS)
                   if not shown[i, a, :].any() and w not in never_w]
        lacks_l = [lit for b, lit in enumerate(LIGHTINGS)
                   if not shown[i, :, b].any() and lit not in never_l]
        if lacks_w or lacks_l:
            lines += ["", f"{name} never shows: " + "; ".join(
                part for part in (("weather " + ", ".join(lacks_w)) if lacks_w else "",
                                  ("lighting " + ", ".join(lacks_l)) if lacks_l else "")
                if part) + " (other scenarios here do)"]
    if never_w or never_l:
        why = (f" (no variant rendered here has them; --limit {limit} rendered only {limit} "
               "variants of each scenario, spread over its grid: where a scenario varies "
               "weather or lighting outside its grid, or its grid has more cells than "
               "that, the variants left out may have them, so raise --limit; else add "
               "variants that have them)" if limit is not None else
               " (no scenario here renders them; add variants that do if the model needs them)")
        lines += ["", "No image at all in: " + "; ".join(
            part for part in (("weather " + ", ".join(never_w)) if never_w else "",
                              ("lighting " + ", ".join(never_l)) if never_l else "") if part)
            + why]
    return lines


def _camera_lines(stats: DatasetStats, classes: ClassMap = ONE_PER_KIND) -> list[str]:
    """report.md's per-camera table: a dataset rendered through several cameras holds
    several distributions (a bird's-eye camera's boxes are small and far), so the plots
    split by camera and this table gives each camera's counts and medians (per class: per
    actor kind, or per class of a --classes map)."""
    if classes.classes:
        columns = [(name, classes.members(name)) for name in classes.names]
    else:
        columns = [(k, (k,)) for k in actor_kinds() if stats.boxes[k]]
    which = np.asarray(stats.box_camera, int)
    lines = ["## Cameras", "",
             "The box plots below have one panel a camera.", "",
             "| camera | images | boxes | " + " | ".join(name for name, _ in columns)
             + " | median distance (m) | median box height (px) |",
             "|---|---:|---:|" + "---:|" * len(columns) + "---:|---:|"]
    for i, name in enumerate(stats.cameras):
        mine = which == i
        medians = [f"{np.median(np.asarray(values)[mine]):.1f}" if mine.any() else "-"
                   for values in (stats.distance, stats.heights)]
        lines.append(f"| {name} | {stats.per_camera[name]} | {int(mine.sum())} | "
                     + "".join(f"{sum(stats.camera_boxes[(name, k)] for k in kinds)} | "
                               for _, kinds in columns)
                     + " | ".join(medians) + " |")
    return [*lines, ""]


def write_report(out: Path, frames: list[dict] | None = None,
                 splits: list[tuple[str, float]] | None = None,
                 stats: DatasetStats | None = None, problems: list[str] = (),
                 classes: ClassMap | None = None) -> Path:
    """Write ``out/report/``; returns the path of report.md. The dataset's numbers come
    from ``stats``, else from ``frames`` (frame records), else from the folder's shard
    records. ``splits``: the requested (split, ratio) pairs (default: those the dataset's
    run state records). ``problems``: lines (records.missing_files) put first in report.md.
    ``classes``: the dataset's classes (default: those its run state records)."""
    out = Path(out)
    if stats is None:
        stats = stats_of_records(out) if frames is None else DatasetStats.of(frames)
    splits = requested_splits(out) if splits is None else splits
    folder = out / "report"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create {folder}: {error.strerror}", where=str(folder),
                          expected="a writable dataset folder") from None
    classes = requested_classes(out) if classes is None else classes
    if classes.classes:  # every class, empty ones too: a class with no box is news
        rows = [(f"{name} ({kinds})", name, n) for name, kinds, n in classes.boxes(stats.boxes)]
    else:
        rows = [(k, k, stats.boxes[k]) for k in actor_kinds() if stats.boxes[k]]
    names = [shown for _, shown, _ in rows] or ["(none)"]
    _png(folder / "boxes_per_class.png",
         _bar_chart("boxes per class", names, [n for *_, n in rows] or [0], "boxes"))
    split_by = (stats.cameras, stats.box_camera)
    heights = stats.heights
    _png(folder / "box_height.png", _histogram("visible box height", heights, "px", 20,
                                               (0, max([1, *heights])), *split_by))
    _png(folder / "occlusion.png", _histogram("occlusion", stats.occlusion,
                                              "occluded share", 10, (0, 1), *split_by))
    _png(folder / "truncation.png", _histogram("truncation", stats.truncation,
                                               "share outside the image", 10, (0, 1),
                                               *split_by))
    distances = stats.distance
    _png(folder / "distance.png", _histogram("distance", distances, "m", 20,
                                             (0, max([1.0, *distances])), *split_by))
    heat, scenarios, looks, grid = _coverage(stats)
    _png(folder / "coverage.png", heat)
    _jpg(folder / "samples.jpg", _mosaic(out, stats.samples, classes))
    mean = grid[grid > 0].mean() if (grid > 0).any() else 0.0
    empty = [(scenarios[i], looks[j]) for i, j in zip(*np.nonzero(grid == 0), strict=True)]
    thin = [(scenarios[i], looks[j], int(grid[i, j]))
            for i, j in zip(*np.nonzero((grid > 0) & (grid < THIN_SHARE * mean)), strict=True)]
    lines = ["# Dataset report", ""]
    if problems:
        lines += ["**The folder no longer holds what its run wrote** (the numbers below are "
                  "the run's; the dataset's render command, run again, writes what is "
                  "missing):", "", *[f"- {line}" for line in problems], ""]
    lines += [f"{stats.frames} images, {stats.kept_boxes} boxes, {len(stats.variants)} "
              f"variant{'s' if len(stats.variants) != 1 else ''}.", "",
             "| class | boxes |", "|---|---:|"]
    lines += [f"| {label} | {n} |" for label, _, n in rows]
    lines += ["", "![boxes per class](boxes_per_class.png)", ""]
    if len(stats.cameras) > 1:
        lines += _camera_lines(stats, classes)
    lines += [
              "## Coverage", "", "![coverage](coverage.png)", "",
              f"Empty cells (scenario x weather/lighting with no image): {len(empty)} of "
              f"{grid.size}."]
    if empty:
        lines += _coverage_lines(scenarios, grid, requested_limit(out))
    if thin:
        lines += ["", f"Thin cells (under {THIN_SHARE:.0%} of the mean {mean:.1f} images): "
                  + "; ".join(f"{s} in {lk} ({n})" for s, lk, n in thin[:40])]
    per_split = stats.per_split
    variants_per_split = Counter(split for split, *_ in stats.split_variants)
    lines += ["", "## Splits", "", "| split | images | variants |", "|---|---:|---:|"]
    lines += [f"| {name} | {per_split[name]} | {variants_per_split[name]} |"
              for name in [n for n, _ in splits] or sorted(per_split)]
    unfilled = empty_splits(per_split, splits)
    yolo = (out / "data.yaml").exists()
    if unfilled:
        lines += ["", "**" + empty_splits_note(unfilled, len(stats.variants), yolo) + "**"]
    no_train = no_train_note(splits, yolo) if sum(per_split.values()) else None
    if no_train:
        lines += ["", "**" + no_train[0].upper() + no_train[1:] + ".**"]
    lines += ["", "## Boxes", "", "![height](box_height.png) ![occlusion](occlusion.png)", "",
              "![truncation](truncation.png) ![distance](distance.png)", "",
              "## Samples", "", "![samples](samples.jpg)", ""]
    path = folder / "report.md"
    write_atomic(path, "\n".join(lines).encode())
    return path
