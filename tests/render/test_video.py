"""simdrive video: a variant's run as an MP4 clip with its labels per frame."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from simdrive.cli import main

CHILD = Path(__file__).resolve().parents[2] / "scenarios" / "child_between_parked_cars.yaml"


def test_a_clip_plays_the_run_in_real_time_with_each_frames_labels(tmp_path, capsys):
    clip = tmp_path / "clip.mp4"
    assert main(["video", str(CHILD), "--variant", "3", "--start", "4", "--end", "5",
                 "-o", str(clip)]) == 0
    assert "11 frames from 4.00 to 5.00 s at 10 frames/s" in capsys.readouterr().out
    video = cv2.VideoCapture(str(clip))
    assert video.get(cv2.CAP_PROP_FRAME_COUNT) == 11 and video.get(cv2.CAP_PROP_FPS) == 10
    ok, first = video.read()
    video.release()
    assert ok and first.shape == (360, 640, 3)
    record = json.loads(clip.with_suffix(".json").read_text())
    assert record["variant"] == 3 and record["synthetic"] is True and record["fps"] == 10
    assert [f["time_s"] for f in record["frames"]] == pytest.approx(
        [4.0 + 0.1 * k for k in range(11)])
    # the clip's first frame is simdrive frame's picture at 4 s, its labels the same
    still = tmp_path / "still.png"
    assert main(["frame", str(CHILD), "--variant", "3", "--time", "4", "-o", str(still)]) == 0
    picture = cv2.imread(str(still))
    assert np.abs(first.astype(int) - picture.astype(int)).mean() < 6  # mp4v is lossy
    assert record["frames"][0]["labels"] == json.loads(still.with_suffix(".json").read_text())[
        "labels"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("args, says", [
    (["-o", "{tmp}/clip.avi"], "the output video must end in .mp4"),
    (["-o", "{tmp}/clip.mp4", "--start", "99"], "--start lies outside the run"),
    (["-o", "{tmp}/clip.mp4", "--start", "3", "--end", "2"], "--end comes before --start"),
    (["-o", "{tmp}/clip.mp4", "--lighting", "midnight"], "unknown --lighting"),
    (["-o", "{tmp}/no/clip.mp4"], "does not exist"),
])
def test_bad_requests_are_refused_and_write_nothing(tmp_path, capsys, args, says):
    assert main(["video", str(CHILD), *(a.format(tmp=tmp_path) for a in args)]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_clip_the_writer_could_not_finish_is_an_error_that_leaves_nothing(
        tmp_path, capsys, monkeypatch):
    # OpenCV's writer reports no write error (a full disk): the clip is read back
    import simdrive.render.video as video

    class Short:
        def __init__(self, *args):
            pass

        def isOpened(self):  # noqa: N802 - OpenCV's name
            return True

        def get(self, what):
            return 3

        def release(self):
            pass

    monkeypatch.setattr(video.cv2, "VideoCapture", Short)
    assert main(["video", str(CHILD), "--end", "1", "-o", str(tmp_path / "c.mp4")]) == 2
    assert "the clip holds 3 of its 11 frames (is the disk full?)" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
