"""COCO run-length encoding of binary masks (the compressed string form pycocotools reads)."""

from __future__ import annotations

import numpy as np


def rle_counts(mask: np.ndarray) -> list[int]:
    """Run lengths of a (H, W) bool mask in column-major order, starting with zeros."""
    flat = np.asarray(mask, bool).T.ravel()
    if flat.size == 0:
        return [0]
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    return [0, *counts] if flat[0] else counts


def counts_to_string(counts: list[int]) -> str:
    """pycocotools' compressed counts string (rleToString)."""
    out = []
    for i, value in enumerate(counts):
        x = value - counts[i - 2] if i > 2 else value
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = x != -1 if c & 0x10 else x != 0
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def encode(mask: np.ndarray) -> dict:
    """{"size": [H, W], "counts": str}: a COCO RLE segmentation of ``mask``."""
    h, w = mask.shape
    return {"size": [int(h), int(w)], "counts": counts_to_string(rle_counts(mask))}


def encode_box(instance: np.ndarray, track_id: int, box) -> dict:
    """RLE of ``instance == track_id``, which is empty outside the visible box (x0, y0, x1, y1).

    Only the box's columns are scanned: the columns left and right of it are one
    zero run each, added to the first and last runs.
    """
    h, w = instance.shape
    if box is None:
        return encode(np.zeros((h, w), bool))
    x0, y0, x1, y1 = box
    columns = np.zeros((x1 - x0, h), bool)
    columns[:, y0:y1] = (instance[y0:y1, x0:x1] == track_id).T
    flat = columns.ravel()
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    counts = np.diff(np.concatenate([[0], change, [flat.size]])).tolist()
    if flat[0]:
        counts = [0, *counts]
    counts[0] += x0 * h
    if len(counts) % 2 == 1:  # ends with a zero run
        counts[-1] += (w - x1) * h
    elif (w - x1) * h:
        counts.append((w - x1) * h)
    return {"size": [int(h), int(w)], "counts": counts_to_string(counts)}
