"""Make docs/dataset_samples.jpg: the sample mosaic of the README's main job.

    python docs/make_dataset_samples.py

Renders the dataset of the README's first command (the child between parked cars,
eight variants spread over its grid) into a temporary folder and keeps the mosaic of sample frames
with their boxes that ``simdrive report`` draws (``report/samples.jpg``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2

from simdrive.dataset.options import DatasetOptions
from simdrive.dataset.runner import render_dataset

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parent / "scenarios" / "child_between_parked_cars.yaml"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "dataset"
        render_dataset([str(SCENARIO)], str(out), DatasetOptions(limit=8), quiet=True)
        mosaic = cv2.imread(str(out / "report" / "samples.jpg"))
    target = HERE / "dataset_samples.jpg"
    cv2.imwrite(str(target), mosaic, [cv2.IMWRITE_JPEG_QUALITY, 90])
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
