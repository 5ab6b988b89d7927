"""Draw labels on a frame: amodal box (thin, dashed), visible box (solid), class and occlusion."""

from __future__ import annotations

import cv2
import numpy as np

from simdrive.render.labels import ActorLabel
from simdrive.render.semantic import LEGEND_COLOURS, SEMANTIC

CATEGORY_COLOURS = {"vehicle": (255, 200, 40), "vru": (255, 60, 200), "animal": (60, 230, 255),
                    "static": (255, 140, 0)}


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


def draw_labels(image_rgb: np.ndarray, labels: tuple[ActorLabel, ...],
                min_visible_pixels: int = 1) -> np.ndarray:
    """A copy of the RGB image with every in-view actor's boxes and caption drawn."""
    img = np.ascontiguousarray(image_rgb.copy())
    scale = max(0.35, img.shape[1] / 1600)
    for lab in sorted(labels, key=lambda x: -x.distance_m):
        if not lab.in_view:
            continue
        colour = CATEGORY_COLOURS.get(lab.category, (255, 255, 255))
        if lab.amodal_box is not None:
            x0, y0, x1, y1 = lab.amodal_box
            _dashed_rect(img, x0, y0, x1 - 1, y1 - 1, (235, 235, 235))
        if lab.visible_box is None or lab.visible_pixels < min_visible_pixels:
            if lab.amodal_box is not None:
                cv2.putText(img, f"{lab.kind} hidden", (int(lab.amodal_box[0]),
                            max(8, int(lab.amodal_box[1]) - 3)), cv2.FONT_HERSHEY_SIMPLEX,
                            scale, (235, 235, 235), 1, cv2.LINE_AA)
            continue
        x0, y0, x1, y1 = lab.visible_box
        cv2.rectangle(img, (x0, y0), (x1 - 1, y1 - 1), colour, 1, cv2.LINE_AA)
        text = f"{lab.kind} #{lab.track_id} occ {lab.occlusion:.2f}"
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        ty = y0 - 3 if y0 - th - 4 >= 0 else y1 + th + 3
        cv2.rectangle(img, (x0, ty - th - 2), (x0 + tw + 2, ty + 2), (0, 0, 0), -1)
        cv2.putText(img, text, (x0 + 1, ty), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1,
                    cv2.LINE_AA)
    return img


def colourise_semantic(semantic: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB legend colours of a semantic class image."""
    lut = np.zeros((256, 3), np.uint8)
    for name, idx in SEMANTIC.items():
        lut[idx] = LEGEND_COLOURS[name]
    return lut[semantic]
