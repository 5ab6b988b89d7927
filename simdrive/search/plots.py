"""The search figure, drawn with OpenCV (no plotting library is a dependency).

One PNG, two panels:

- left, **objective over iterations**: every run's objective (the score, for a
  true/false objective) per batch, critical runs in red, the best so far as a line
  and the critical threshold dashed;
- right, **found cases over the two most influential parameters**
  (simdrive.search.diversity.influence): every run in grey, critical runs in red,
  the kept variants circled in black. A discrete parameter is drawn as one column
  (row) per category, the runs jittered within it.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from simdrive.plotting import BLACK, BLUE, FONT, GREY, LIGHT, RED, Axes, nice_ticks
from simdrive.search.diversity import MIN_RANKED
from simdrive.search.found import FIGURE_MARK, png_text_chunk, write_atomically

WIDTH, HEIGHT = 1400, 560


def _limits(values: np.ndarray, pad: float = 0.05) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(np.quantile(finite, 0.98))
    if high <= low:
        high = low + 1.0
    span = high - low
    return low - pad * span, high + pad * span


def _legend(image, x, y, items) -> None:
    for k, (text, color, filled) in enumerate(items):
        cy = y + 20 * k
        cv2.circle(image, (x, cy - 4), 4, color, -1 if filled else 1, cv2.LINE_AA)
        cv2.putText(image, text, (x + 10, cy), FONT, 0.42, BLACK, 1, cv2.LINE_AA)


def _objective_panel(image, result, box) -> None:
    trace = result.trace
    values = trace.score if result.objective.boolean else trace.objective
    label = result.objective.score_text if result.objective.boolean else result.objective.text
    batches = len(trace.batch_sizes)
    ylim = _limits(values)
    ax = Axes(image, box, (0.5, batches + 0.5), ylim, title="objective over iterations",
              xlabel="iteration (batch of runs)", ylabel=f"{label}  (lower is worse)")
    rng = np.random.default_rng(0)
    x = trace.batch + 1 + rng.uniform(-0.3, 0.3, len(values))
    y = np.clip(np.where(np.isfinite(values), values, ylim[1]), *ylim)
    ax.dots(x[~trace.critical], y[~trace.critical], GREY, 1)
    ax.dots(x[trace.critical], y[trace.critical], RED, 1)
    best = [np.min(np.where(trace.batch <= t, values, np.inf)) for t in range(batches)]
    ax.polyline(np.arange(1, batches + 1), np.clip(best, *ylim), BLUE)
    if result.objective.threshold is not None and ylim[0] < result.objective.threshold < ylim[1]:
        ax.polyline([0.5, batches + 0.5], [result.objective.threshold] * 2, BLACK, dashed=True)
    ax.frame()
    counts = np.bincount(trace.batch, weights=trace.critical, minlength=batches)
    share = ", ".join(f"{c / n:.0%}" for c, n in zip(counts, trace.batch_sizes, strict=True))
    ax.text(f"critical share per iteration: {share}"[:110], box[0], box[3] + 70, 0.4)
    _legend(image, box[2] - 190, box[1] + 18,
            [("run", GREY, True), ("critical run", RED, True), ("best so far", BLUE, True)])


def _axis(result, name: str, coords_column: np.ndarray, values_column: list):
    """(data values, limits, categories or None, label) for one parameter."""
    space = result.space
    discrete = {path: options for path, options, _ in space.discrete}
    if name in discrete:
        options = discrete[name]
        data = coords_column + np.random.default_rng(1).uniform(-0.3, 0.3, len(coords_column))
        return data, (-0.5, len(options) - 0.5), [str(o) for o in options], name
    data = np.array(values_column, dtype=float)
    low, high = float(data.min()), float(data.max())
    span = (high - low) or 1.0
    return data, (low - 0.03 * span, high + 0.03 * span), None, name


def _parameter_panel(image, result, box) -> None:
    space, trace = result.space, result.trace
    ranked = bool(result.influence)
    names = list(result.influence if ranked else space.names)[:2]
    if len(names) < 2:
        Axes(image, box, (0, 1), (0, 1), title="fewer than two parameters vary",
             xlabel="", ylabel="").frame()
        return

    def label(name: str, text: str) -> str:
        return f"{text}  (influence {result.influence[name]:.2f})" if ranked else text
    values = space.values(trace.samples)
    coords = space.coordinates(trace.samples)
    columns = [space.names.index(n) for n in names]
    xs, xlim, xcat, xlabel = _axis(result, names[0], coords[:, columns[0]],
                                   [v[names[0]] for v in values])
    ys, ylim, ycat, ylabel = _axis(result, names[1], coords[:, columns[1]],
                                   [v[names[1]] for v in values])
    title = "found cases over the two most influential parameters" if ranked else \
        f"the first two parameters (influence: under {MIN_RANKED} distinct critical)"
    ax = Axes(image, box, xlim, ylim, title=title, xlabel=label(names[0], xlabel),
              ylabel=label(names[1], ylabel), xcategories=xcat, ycategories=ycat)
    critical = trace.critical
    ax.dots(xs[~critical], ys[~critical], LIGHT, 1)
    ax.dots(xs[critical], ys[critical], RED, 2)
    kept = np.array([f.variant.index for f in result.found], dtype=np.int64)
    if kept.size:
        ax.dots(xs[kept], ys[kept], BLACK, 5, 1)
    ax.frame()
    _legend(image, box[2] - 190, box[1] + 18,
            [("run", GREY, True), ("critical run", RED, True), ("kept variant", BLACK, False)])


def search_figure(result) -> np.ndarray:
    """The figure as a BGR image (HEIGHT, WIDTH, 3) uint8."""
    image = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
    p = result.probability
    # two lines: a long objective pushed P off the figure's edge
    title = (f"{result.spec.name}: {result.method}, {len(result.trace.objective)} runs, "
             f"critical = {result.objective.describe_critical()}")
    counts = (f"{result.critical_count} critical found, {len(result.distinct)} distinct, "
              f"{result.cluster_count} cluster{'' if result.cluster_count == 1 else 's'}, "
              + (f"P = {p.estimate:.3g} +- {p.standard_error:.2g}" if p.upper_bound_95 is None
                 else f"P below {p.upper_bound_95:.2g} (95% bound)"))
    for y, line in ((24, title), (46, counts)):
        cv2.putText(image, _fitted(line, WIDTH - 40), (20, y), FONT, 0.5, BLACK, 1,
                    cv2.LINE_AA)
    _objective_panel(image, result, (100, 110, 660, 440))
    _parameter_panel(image, result, (810, 110, 1370, 440))
    return image


def _fitted(text: str, width: int) -> str:
    """``text``, cut short with '...' to fit ``width`` pixels in the title's font."""
    def fits(t: str) -> bool:
        return cv2.getTextSize(t, FONT, 0.5, 1)[0][0] <= width

    if fits(text):
        return text
    cut = len(text)
    while cut > 0 and not fits(text[:cut] + "..."):
        cut -= 1
    return text[:cut] + "..."


def search_figure_png(result) -> bytes:
    """The figure as PNG bytes, marked as a search figure (FIGURE_MARK: a rerun replaces
    only such a file, found.check_outputs)."""
    ok, encoded = cv2.imencode(".png", search_figure(result))
    if not ok:  # pragma: no cover - OpenCV always encodes a plain uint8 image
        raise RuntimeError("PNG encoding failed")
    data = encoded.tobytes()
    end_of_header = 8 + 25  # signature, then the IHDR chunk (length, type, 13 bytes, CRC)
    return data[:end_of_header] + png_text_chunk(*FIGURE_MARK) + data[end_of_header:]


def write_search_figure(result, path: str | Path) -> None:
    """Write the figure as a PNG, atomically."""
    write_atomically(path, search_figure_png(result))


__all__ = ["search_figure", "search_figure_png", "write_search_figure", "nice_ticks"]
