"""simdrive preview: bad input exits 2 before a window opens; the loop ends on quit."""

from __future__ import annotations

import pygame
import pytest

import simdrive.preview.app as app
from simdrive.cli import main
from tests.preview.conftest import CHILD


@pytest.mark.parametrize("args, says", [
    (["missing.yaml"], "missing.yaml"),
    ([str(CHILD), "--variant", "100000"], "no such variant"),
    ([str(CHILD), "--camera", "roof"], "no camera 'roof'"),
    ([str(CHILD), "--save-dir", "/no/such/folder"], "does not exist"),
    ([str(CHILD), "--time", "99"], "--time lies outside the run"),
    ([str(CHILD), "--time", "-1"], "--time lies outside the run"),
    ([str(CHILD), "--select", "ghost"], "no actor 'ghost'"),
    ([str(CHILD), "--screenshot", "shot.jpg"], "a path ending in .png"),
    ([str(CHILD), "--screenshot", "/no/such/folder/shot.png"], "does not exist"),
    # a review found --save-dir silently ignored beside --screenshot
    ([str(CHILD), "--screenshot", "shot.png", "--save-dir", "."],
     "one of --save-dir and --screenshot"),
])
def test_bad_input_is_a_clean_error_before_any_window(args, says, monkeypatch, capsys):
    def no_window(*a, **k):
        raise AssertionError("a window was opened")

    monkeypatch.setattr(app, "run_viewer", no_window)
    assert main(["preview", *args]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_the_command_runs_the_window_until_it_is_closed(monkeypatch, tmp_path):
    frames = []
    original = app.Viewer.process_events

    def quit_after_three(self):
        frames.append(self.playback.step)
        if len(frames) == 3:
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0,
                                                 unicode="\x1b"))
        original(self)

    monkeypatch.setattr(app.Viewer, "process_events", quit_after_three)
    assert main(["preview", str(CHILD), "--variant", "2", "--save-dir", str(tmp_path)]) == 0
    assert len(frames) == 3


def test_a_screenshot_draws_the_window_once_at_a_time_with_an_actor_selected(tmp_path, capsys):
    import cv2

    from simdrive.preview.app import Viewer
    from simdrive.preview.playback import Playback

    out = tmp_path / "shot.png"
    assert main(["preview", str(CHILD), "--variant", "2", "--time", "2.0", "--select",
                 "child", "--screenshot", str(out)]) == 0
    assert "at t=2.00 s" in capsys.readouterr().out
    shot = cv2.imread(str(out))
    assert shot is not None and shot.shape == (720, 1280, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["shot.png"]  # no temporary left
    # the same picture as the viewer drawn by hand at that step
    playback = Playback(CHILD, 2)
    viewer = Viewer(playback, size=(1280, 720))
    viewer.still(2.0, "child")
    assert playback.step == round(2.0 / playback.dt_s) and viewer.selected == "child"
    again = cv2.imread(str(viewer.screenshot(tmp_path / "again.png")))
    pygame.quit()
    assert (again == shot).all()


@pytest.mark.parametrize("args, playing", [([], True), (["--time", "0"], False),
                                           (["--time", "1.5"], False)])
def test_time_starts_the_window_paused_there(monkeypatch, tmp_path, args, playing):
    seen = []

    def quit_at_once(self):
        seen.append((self.playing, self.playback.step))
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0,
                                             unicode="\x1b"))
        original(self)

    original = app.Viewer.process_events
    monkeypatch.setattr(app.Viewer, "process_events", quit_at_once)
    assert main(["preview", str(CHILD), "--save-dir", str(tmp_path), *args]) == 0
    step = round(float(args[1]) / 0.05) if args else 0
    assert seen[0] == (playing, step)
