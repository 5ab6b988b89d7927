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


_CHUNKS = 7  # 5-bit chunks per value: enough for counts and differences below 2**34
_SHIFTS = 5 * np.arange(_CHUNKS + 1)


def counts_to_string(counts: list[int]) -> str:
    """pycocotools' compressed counts string (rleToString), for all counts at once.

    Each value (from the fourth on, its difference to the value two before) is
    written in 5-bit chunks, low first, as chr(48 + chunk), with bit 0x20 set
    while more chunks follow; a value ends once the rest is 0 (or -1 when the
    chunk's sign bit 0x10 is set).
    """
    c = np.asarray(counts, np.int64)
    x = c.copy()
    x[3:] -= c[1:-2]
    rest = x[:, None] >> _SHIFTS[None, :]  # arithmetic shifts, like Python's
    chunk = rest[:, :-1] & 0x1F
    after = rest[:, 1:]
    more = np.where(chunk & 0x10, after != -1, after != 0)
    emit = np.ones(more.shape, bool)
    emit[:, 1:] = np.logical_and.accumulate(more, axis=1)[:, :-1]
    chars = (chunk | (more * 0x20)) + 48
    return chars[emit].astype(np.uint8).tobytes().decode("ascii")


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
