"""The s key writes what simdrive frame writes for the same variant and time."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pygame

from simdrive.cli import main
from tests.preview.conftest import CHILD, press


def test_a_saved_frame_matches_simdrive_frame(make_viewer, tmp_path):
    viewer = make_viewer(CHILD, variant=3, save_dir=tmp_path)
    pb = viewer.playback
    press(viewer, pygame.K_SPACE)
    press(viewer, pygame.K_b)  # the overlay is the viewer's; the saved image has none
    for _ in range(int(4.5 / pb.dt_s)):
        press(viewer, pygame.K_RIGHT)
    press(viewer, pygame.K_s)
    assert len(viewer.saved) == 1
    saved = viewer.saved[0]
    out = tmp_path / "frame.png"
    assert main(["frame", str(CHILD), "--variant", "3", "--time", f"{pb.time_s}", "-o",
                 str(out)]) == 0
    assert np.array_equal(cv2.imread(str(saved)), cv2.imread(str(out)))
    assert saved.read_bytes() == out.read_bytes()  # the synthetic mark included
    ours = json.loads(saved.with_suffix(".json").read_text())
    theirs = json.loads(out.with_suffix(".json").read_text())
    assert ours == theirs
    assert any(lab["name"] == "child" and lab["in_view"] for lab in ours["labels"])


def test_saves_never_overwrite_and_name_what_the_preview_changed(make_viewer, tmp_path):
    # a review found a save after changing the weather overwrite the one before it
    viewer = make_viewer(CHILD, variant=3, save_dir=tmp_path)
    press(viewer, pygame.K_SPACE)  # paused at the same time throughout
    press(viewer, pygame.K_s)
    press(viewer, pygame.K_s)
    press(viewer, pygame.K_w)  # the next weather
    press(viewer, pygame.K_s)
    first, again, rained = viewer.saved
    assert len({first, again, rained}) == 3 and all(p.exists() for p in viewer.saved)
    assert again.name == first.stem + "_2.png"
    weather = json.loads(rained.with_suffix(".json").read_text())["preview_changes"]["weather"]
    assert rained.stem.endswith(f"_{weather}")
    assert "preview_changes" not in json.loads(first.with_suffix(".json").read_text())
