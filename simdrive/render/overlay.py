"""Draw labels on a frame: amodal box (thin, dashed), visible box (solid), class and occlusion."""

from __future__ import annotations

import cv2
import numpy as np

from simdrive.render.labels import ActorLabel
from simdrive.render.semantic import LEGEND_COLOURS, SEMANTIC

CATEGORY_COLOURS = {"vehicle": (255, 200, 40), "vru": (255, 60, 200), "animal": (60, 230, 255),
                    "object": (140, 255, 90), "static": (255, 140, 0)}


def _dashed_rect(img, x0, y0, x1, y1, colour, dash=4) -> None:
    for a, b in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)),
                 ((x0, y1), (x0, y0))):
        length = max(abs(b[0] - a[0]), abs(b[1] - a[1]))
        steps = max(1, int(length // dash))
        for k in range(0, steps, 2):
            p = (int(a[0] + (b[0] - a[0]) * k / steps), int(a[1] + (b[1] - a[1]) * k / steps))
            q = (int(a[0] + (b[0] - a[0]) * min(k + 1, steps) / steps),
                 int(a[1] + (b[1] - a[1]) * min(k + 1, steps) / steps))
            cv2.line(img, p, q, colour, 1, cv2.LINE_AA)


FOGGED = (150, 150, 150)
"""Colour of the visible box of an actor whose pixels fog or darkness wash out."""


def draw_labels(image_rgb: np.ndarray, labels: tuple[ActorLabel, ...],
                min_visible_pixels: int = 1, min_visibility: float = 0.05) -> np.ndarray:
    """A copy of the RGB image with every in-view actor's boxes and caption drawn.

    An actor whose fog/darkness visibility is under ``min_visibility`` (the dataset's
    default filter) is drawn grey and captioned with its visibility: its pixels are
    there, but they look like the fog around them.

    Boxes are drawn far to near; captions then go where they overlap no other caption
    (above the box, below it, stacked further out, or beside those), the nearest actors'
    first, so the captions of a distant cluster stay readable; one with no free place
    left is not drawn (its box is)."""
    img = np.ascontiguousarray(image_rgb.copy())
    scale = max(0.35, img.shape[1] / 1600)
    captions = []  # (distance, text, colour, box the caption belongs to)
    for lab in sorted(labels, key=lambda x: -x.distance_m):
        if not lab.in_view:
            continue
        colour = CATEGORY_COLOURS.get(lab.category, (255, 255, 255))
        if lab.amodal_box is not None:
            x0, y0, x1, y1 = lab.amodal_box
            _dashed_rect(img, x0, y0, x1 - 1, y1 - 1, (235, 235, 235))
        if lab.visible_box is None or lab.visible_pixels < min_visible_pixels:
            if lab.amodal_box is not None:
                box = tuple(int(v) for v in lab.amodal_box)
                captions.append((lab.distance_m, f"{lab.kind} #{lab.track_id} hidden",
                                 (235, 235, 235), box))
            continue
        x0, y0, x1, y1 = lab.visible_box
        text = f"{lab.kind} #{lab.track_id} occ {lab.occlusion:.2f}"
        if lab.visibility < min_visibility:
            colour, text = FOGGED, f"{text} vis {lab.visibility:.2f}"
        cv2.rectangle(img, (x0, y0), (x1 - 1, y1 - 1), colour, 1, cv2.LINE_AA)
        captions.append((lab.distance_m, text, colour, (x0, y0, x1, y1)))
    placed: list[tuple[int, int, int, int, str, tuple]] = []  # x0, y0, x1, y1, text, colour
    for _, text, colour, box in sorted(captions, key=lambda c: c[0]):  # nearest first
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        rect = _caption_rect(box, tw, th, img.shape, placed)
        if rect is not None:  # (no free place left: the box goes without its caption)
            placed.append((*rect, text, colour))
    for x0, y0, x1, y1, text, colour in reversed(placed):  # the nearest drawn last, on top
        cv2.rectangle(img, (x0, y0), (x1, y1), (0, 0, 0), -1)
        cv2.putText(img, text, (x0 + 1, y1 - 2), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1,
                    cv2.LINE_AA)
    return img


def _caption_rect(box, tw: int, th: int, shape, placed) -> tuple[int, int, int, int] | None:
    """Where a (tw x th) caption of ``box`` goes: just above it, else just below it, else
    stacked further out above or below, then the same a caption's width to the left or
    right, and only then inside the box from its top: the first place inside the image
    that overlaps no caption already placed; None if there is none (a crowd of distant
    boxes: the caption is left out rather than drawn over another)."""
    h, w = shape[:2]
    bx0, by0, _, by1 = box
    tall = th + 4  # rows top..bottom, both drawn: the next caption starts a row further
    above = [by0 - 1 - k * (tall + 1) for k in range(6)]  # the caption's bottom row
    below = [by1 + tall + k * (tall + 1) for k in range(6)]
    # last, inside the box from its top: a box as tall as the image (the truck just hit)
    # has no room above or below
    inside = [max(by0, 0) + tall + 1 + k * (tall + 1) for k in range(6)]
    home = min(max(0, bx0), max(0, w - tw - 3))
    for rows in ([y for pair in zip(above, below, strict=True) for y in pair], inside):
        for x0 in (home, home - tw - 4, home + tw + 4):
            if x0 < 0 or x0 + tw + 2 >= w:
                continue
            for bottom in rows:
                rect = (x0, bottom - tall, x0 + tw + 2, bottom)
                if rect[1] < 0 or rect[3] >= h:
                    continue
                if not any(rect[0] <= p[2] and p[0] <= rect[2] and rect[1] <= p[3]
                           and p[1] <= rect[3] for p in placed):
                    return rect
    return None


def colourise_semantic(semantic: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB legend colours of a semantic class image."""
    lut = np.zeros((256, 3), np.uint8)
    for name, idx in SEMANTIC.items():
        lut[idx] = LEGEND_COLOURS[name]
    return lut[semantic]
