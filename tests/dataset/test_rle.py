"""COCO RLE against pycocotools, the format's reference implementation."""

from __future__ import annotations

import numpy as np
from pycocotools import mask as coco_mask

from simdrive.dataset.rle import encode, encode_box


def test_rle_matches_pycocotools_on_random_masks():
    rng = np.random.default_rng(0)
    for _ in range(400):
        h, w = rng.integers(1, 50, 2)
        inst = rng.integers(-1, 3, (h, w)).astype(np.int32)
        if rng.random() < 0.3:
            inst[:] = -1
            y0, x0 = rng.integers(0, h), rng.integers(0, w)
            inst[y0:y0 + rng.integers(1, 9), x0:x0 + rng.integers(1, 9)] = 1
        mask = inst == 1
        expected = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
        assert encode(mask)["counts"] == expected["counts"].decode()
        if mask.any():
            rows, cols = np.nonzero(mask)
            box = (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)
            got = encode_box(inst, 1, box)
            assert got["counts"] == expected["counts"].decode()
            assert got["size"] == [h, w]
            decoded = coco_mask.decode({"size": got["size"], "counts": got["counts"].encode()})
            np.testing.assert_array_equal(decoded.astype(bool), mask)


def test_rle_of_the_most_fragmented_masks():
    """Boxes one or two rows high with alternating pixels: the most runs per pixel."""
    for h, w, rows in ((5, 40, slice(2, 3)), (6, 33, slice(0, 2)), (4, 25, slice(2, 4)),
                       (1, 30, slice(0, 1))):
        inst = np.full((h, w), -1, np.int32)
        band = inst[rows]
        band[:] = np.indices(band.shape).sum(axis=0) % 2  # checkerboard of 0 and 1
        mask = inst == 1
        rows_, cols = np.nonzero(mask)
        box = (cols.min(), rows_.min(), cols.max() + 1, rows_.max() + 1)
        expected = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))["counts"]
        assert encode_box(inst, 1, box)["counts"] == expected.decode()
        assert encode(mask)["counts"] == expected.decode()
    empty = encode_box(np.full((7, 9), -1, np.int32), 4, None)
    assert empty == {"size": [7, 9], "counts": coco_mask.encode(
        np.zeros((7, 9), np.uint8, order="F"))["counts"].decode()}
