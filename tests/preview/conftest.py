"""The preview runs headless in tests: SDL's dummy video and audio drivers, no real clock."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
CHILD = SCENARIOS / "child_between_parked_cars.yaml"


@pytest.fixture
def scenario_copy(tmp_path) -> Path:
    """A private copy of the child-between-parked-cars scenario (its base and map) to edit."""
    shutil.copytree(SCENARIOS / "base", tmp_path / "scenarios" / "base")
    shutil.copytree(ROOT / "assets" / "maps", tmp_path / "assets" / "maps")
    path = tmp_path / "scenarios" / CHILD.name
    shutil.copy(CHILD, path)
    return path


@pytest.fixture
def make_viewer():
    """Build Viewers on a headless display; the display is closed afterwards."""
    from simdrive.preview.app import Viewer
    from simdrive.preview.playback import Playback

    def make(path=CHILD, variant=3, camera=None, **kwargs):
        return Viewer(Playback(path, variant, camera), **kwargs)

    yield make
    pygame.quit()


def key(code: int, down: bool = True, char: str = "") -> pygame.event.Event:
    return pygame.event.Event(pygame.KEYDOWN if down else pygame.KEYUP, key=code, mod=0,
                              unicode=char)


def press(viewer, code: int, char: str = "") -> None:
    """Post a key press and release to the event queue and let the viewer read it."""
    pygame.event.post(key(code, True, char))
    pygame.event.post(key(code, False, char))
    viewer.process_events()
