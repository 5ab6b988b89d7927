"""Small OpenCV plotting helpers (no plotting library is a dependency): axes with
nice ticks, labels, dots, lines and bars on a white BGR image."""

from __future__ import annotations

import math

import cv2
import numpy as np

FONT = cv2.FONT_HERSHEY_SIMPLEX
BLACK, GREY, LIGHT = (30, 30, 30), (150, 150, 150), (215, 215, 215)
RED, BLUE = (40, 40, 215), (200, 110, 30)


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Round tick values (1, 2, 5 x 10^k steps) covering [low, high]."""
    if not high > low:
        return [low]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def _label(value: float) -> str:
    return f"{value:.6g}" if abs(value) >= 1e-9 else "0"


class Axes:
    """A plotting area of an image: data ranges, the pixel transform, frame, ticks, labels.
    A discrete axis gets ``categories`` (names) and spans -0.5 .. len - 0.5."""

    def __init__(self, image, box, xlim, ylim, *, title, xlabel, ylabel, xcategories=None,
                 ycategories=None):
        self.image, (self.left, self.top, self.right, self.bottom) = image, box
        self.xlim, self.ylim = xlim, ylim
        self.xcategories, self.ycategories = xcategories, ycategories
        self.title, self.xlabel, self.ylabel = title, xlabel, ylabel

    def px(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        px = self.left + (np.asarray(x, float) - x0) / (x1 - x0) * (self.right - self.left)
        py = self.bottom - (np.asarray(y, float) - y0) / (y1 - y0) * (self.bottom - self.top)
        return np.round(px).astype(int), np.round(py).astype(int)

    def frame(self) -> None:
        img = self.image
        cv2.rectangle(img, (self.left, self.top), (self.right, self.bottom), BLACK, 1)
        xt = range(len(self.xcategories)) if self.xcategories else nice_ticks(*self.xlim)
        for i, t in enumerate(xt):
            x, _ = self.px(t, self.ylim[0])
            cv2.line(img, (int(x), self.bottom), (int(x), self.bottom + 5), BLACK, 1)
            text = str(self.xcategories[i]) if self.xcategories else _label(t)
            size = cv2.getTextSize(text, FONT, 0.45, 1)[0]
            cv2.putText(img, text, (int(x) - size[0] // 2, self.bottom + 22), FONT, 0.45,
                        BLACK, 1, cv2.LINE_AA)
        yt = range(len(self.ycategories)) if self.ycategories else nice_ticks(*self.ylim)
        for i, t in enumerate(yt):
            _, y = self.px(self.xlim[0], t)
            cv2.line(img, (self.left - 5, int(y)), (self.left, int(y)), BLACK, 1)
            text = str(self.ycategories[i]) if self.ycategories else _label(t)
            size = cv2.getTextSize(text, FONT, 0.45, 1)[0]
            cv2.putText(img, text, (self.left - 9 - size[0], int(y) + 5), FONT, 0.45, BLACK, 1,
                        cv2.LINE_AA)
        self.text(self.title, (self.left + self.right) // 2, self.top - 42, 0.6, center=True)
        self.text(self.xlabel, (self.left + self.right) // 2, self.bottom + 48, 0.5,
                  center=True)
        # the y label, written horizontally above the axis (OpenCV text does not rotate)
        cv2.putText(img, self.ylabel, (self.left - 60, self.top - 12), FONT, 0.45, BLACK, 1,
                    cv2.LINE_AA)

    def text(self, text, x, y, scale, center=False, color=BLACK) -> None:
        size = cv2.getTextSize(text, FONT, scale, 1)[0]
        origin = (x - size[0] // 2 if center else x, y)
        cv2.putText(self.image, text, origin, FONT, scale, color, 1, cv2.LINE_AA)

    def inside(self, px, py) -> np.ndarray:
        return (px >= self.left) & (px <= self.right) & (py >= self.top) & (py <= self.bottom)

    def dots(self, x, y, color, radius=2, thickness=-1) -> None:
        px, py = self.px(x, y)
        for a, b in zip(px[self.inside(px, py)], py[self.inside(px, py)], strict=True):
            cv2.circle(self.image, (int(a), int(b)), radius, color, thickness, cv2.LINE_AA)

    def polyline(self, x, y, color, dashed=False) -> None:
        px, py = self.px(x, y)
        py = np.clip(py, self.top, self.bottom)
        points = np.stack([px, py], axis=1)
        if not dashed:
            cv2.polylines(self.image, [points.reshape(-1, 1, 2)], False, color, 2, cv2.LINE_AA)
            return
        for (a, b), (c, d) in zip(points[:-1], points[1:], strict=True):
            length = max(1, int(math.hypot(c - a, d - b)))
            for s in range(0, length, 12):
                e = min(length, s + 6)
                cv2.line(self.image, (int(a + (c - a) * s / length), int(b + (d - b) * s / length)),
                         (int(a + (c - a) * e / length), int(b + (d - b) * e / length)), color, 1)



def bars(ax: Axes, xs, heights, color, width: float = 0.8) -> None:
    """Vertical bars centred on xs (data units), ``width`` in data units."""
    for x, hgt in zip(xs, heights, strict=True):
        x0, y0 = ax.px(x - width / 2, 0.0)
        x1, y1 = ax.px(x + width / 2, hgt)
        cv2.rectangle(ax.image, (int(x0), int(y1)), (int(x1), int(y0)), color, -1)


def canvas(width: int, height: int) -> np.ndarray:
    return np.full((height, width, 3), 255, np.uint8)
