"""Make docs/preview.png: the preview window, headless, on a library scenario.

    SDL_VIDEODRIVER=dummy python docs/make_preview_screenshot.py

The child between parked cars (variant 20: rain at dusk) at the instant it steps out
from behind the parked van, label boxes on, the child selected in the bird's-eye view.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from simdrive.preview.app import Viewer  # noqa: E402
from simdrive.preview.playback import Playback  # noqa: E402

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parent / "scenarios" / "child_between_parked_cars.yaml"
VARIANT, TIME_S = 20, 4.8


def main() -> None:
    playback = Playback(SCENARIO, VARIANT)
    viewer = Viewer(playback, size=(1280, 720))
    viewer.birds_eye.transform.pixels_per_m = 12.0
    viewer.still(TIME_S, "child")
    out = viewer.screenshot(HERE / "preview.png")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
