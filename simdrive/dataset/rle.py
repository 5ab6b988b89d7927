"""COCO run-length encoding of binary masks (the compressed string form pycocotools reads).

pycocotools' RLE lists the lengths of alternating runs of 0s and 1s over the mask read
column by column, starting with 0s; its compressed string writes each length (from the
fourth on, its difference to the length two before) in 5-bit chunks, low first, as
chr(48 + chunk), with bit 0x20 set while more chunks follow. One small kernel does
both for an actor's mask straight from the instance buffer.
"""

from __future__ import annotations

import numpy as np

from simdrive.core._jit import kernel

_CHUNKS = 8  # string characters a length can take at most (40 bits)


@kernel
def _rle(instance, track_id, x0, y0, x1, y1, counts, chars):
    """The compressed RLE string of ``instance == track_id``, known to be empty outside the
    box columns [x0, x1) x rows [y0, y1), into chars (uint8); returns its length.

    counts: int64 workspace of at least (x1 - x0) * (y1 - y0 + 1) + 3 entries (a run can
    start at each pixel and at the top of each column, plus the first and the last).
    """
    h, w = instance.shape
    n = 0
    run = x0 * h  # the columns left of the box: zeros
    on = False
    for col in range(x0, x1):
        if on and y0 > 0:  # the rows above the box: zeros
            counts[n] = run
            n += 1
            run = 0
            on = False
        run += y0
        for row in range(y0, y1):
            bit = instance[row, col] == track_id
            if bit != on:
                counts[n] = run
                n += 1
                run = 0
                on = bit
            run += 1
        if on and y1 < h:  # the rows below: zeros
            counts[n] = run
            n += 1
            run = 0
            on = False
        run += h - y1
    tail = (w - x1) * h  # the columns right of the box: zeros
    if on:
        counts[n] = run
        n += 1
        if tail:
            counts[n] = tail
            n += 1
    else:
        counts[n] = run + tail
        n += 1
    m = 0
    for i in range(n):
        x = counts[i] - counts[i - 2] if i > 2 else counts[i]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = x != -1 if c & 0x10 else x != 0
            if more:
                c |= 0x20
            chars[m] = c + 48
            m += 1
    return m


def _encode(instance: np.ndarray, track_id: int, box) -> dict:
    h, w = instance.shape
    x0, y0, x1, y1 = (int(v) for v in box)
    counts = np.empty((x1 - x0) * (y1 - y0 + 1) + 3, np.int64)
    chars = np.empty(_CHUNKS * counts.size, np.uint8)
    size = _rle(instance, np.int64(track_id), x0, y0, x1, y1, counts, chars)
    return {"size": [int(h), int(w)], "counts": chars[:size].tobytes().decode("ascii")}


def encode(mask: np.ndarray) -> dict:
    """{"size": [H, W], "counts": str}: a COCO RLE segmentation of the (H, W) bool ``mask``."""
    mask = np.ascontiguousarray(mask, bool)
    h, w = mask.shape
    instance = mask.view(np.uint8).astype(np.int32)
    instance.flags.writeable = False  # as a Frame's instance buffer: one compiled _rle
    return _encode(instance, 1, (0, 0, w, h))


def encode_box(instance: np.ndarray, track_id: int, box) -> dict:
    """RLE of ``instance == track_id``, which is empty outside the visible box (x0, y0, x1, y1):
    only the box is scanned. ``box`` None: an empty mask."""
    if box is None:
        return _encode(instance, track_id, (0, 0, 0, 0))
    return _encode(instance, track_id, box)
