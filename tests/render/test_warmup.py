"""Compiling the render kernels ahead in a child process (simdrive.render.warmup)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from simdrive.dataset.options import DatasetOptions
from simdrive.dataset.runner import render_dataset
from simdrive.errors import SimdriveError
from simdrive.render import warmup

ROOT = Path(__file__).resolve().parents[2]

# renders frames of a hand-built scene (no simulation) in several looks, and reports
# whether the render kernels were cached beforehand
FRAMES = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from simdrive.render import warmup
    cached = warmup.render_kernels_cached()
    from simdrive.render.look import make_look
    from simdrive.render.renderer import Renderer
    from simdrive.scenario.cameras import PRESETS
    from tests.render.helpers import ROAD, make_scene
    scene = make_scene([("car", 40.0, 1.75, 3.14159), ("bus", 60.0, -1.75, 0.0),
                        ("child", 30.0, -4.5, 1.5)])
    renderer = Renderer(ROAD, seed=3)
    for look in (("clear", "noon"), ("fog", "dusk"), ("rain", "night"), ("snow", "night")):
        renderer.render(scene, PRESETS["front"], make_look(*look))
    from simdrive.dataset import rle
    frame = renderer.render(scene, PRESETS["front"], make_look("clear", "noon"))
    label = next(lab for lab in frame.labels if lab.visible_box is not None)
    rle.encode_box(frame.instance, label.track_id, label.visible_box)
    print("CACHED" if cached else "COLD")
""")


def _run(code_args, cache: Path, debug: bool = False) -> str:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    if debug:
        env["NUMBA_DEBUG_CACHE"] = "1"
    done = subprocess.run([sys.executable, *code_args], env=env, capture_output=True,
                          text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_child_caches_every_kernel_later_frames_need(tmp_path):
    cache = tmp_path / "numba"
    assert "COLD" in _run(["-c", "from simdrive.render import warmup; "
                                 "print('CACHED' if warmup.render_kernels_cached() else 'COLD')"],
                          cache)
    _run(["-m", "simdrive.render.warmup"], cache)
    out = _run(["-c", FRAMES, str(ROOT)], cache, debug=True)
    assert "CACHED" in out
    # a frame in another process loads every render kernel and compiles none, nor the
    # dataset's mask encoder (the parent would compile it on the way to its first frame)
    compiled = [line for line in out.splitlines()
                if "data saved" in line and ("render_" in line or "_rle" in line)]
    assert compiled == []
    assert any("data loaded" in line and "draw_ground" in line for line in out.splitlines())
    assert any("data loaded" in line and "_rle" in line for line in out.splitlines())


@pytest.fixture
def slow_children(monkeypatch):
    """warmup.start launches a child that would run for two minutes; waiting for it fails
    the test. Yields the list of children started."""
    children = []

    def slow_child():
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        children.append(child)
        return child

    monkeypatch.setattr(warmup, "start", slow_child)
    monkeypatch.setattr(warmup, "wait", lambda child: pytest.fail("waited for the child"))
    yield children
    for child in children:
        warmup.stop(child)


def test_a_bad_scenario_stops_the_child_at_once(tmp_path, slow_children):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: broken\nactors: [\n")
    with pytest.raises(SimdriveError):
        render_dataset([str(bad)], str(tmp_path / "out"), DatasetOptions(limit=1), quiet=True)
    (child,) = slow_children
    assert child.poll() is not None  # killed, not waited for
    assert not (tmp_path / "out").exists()


def test_an_unusable_folder_stops_the_child_at_once(tmp_path, slow_children):
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"not ours")
    scenario = ROOT / "scenarios" / "child_between_parked_cars.yaml"
    with pytest.raises(SimdriveError, match="not empty"):
        render_dataset([str(scenario)], str(foreign), DatasetOptions(limit=1), quiet=True)
    (child,) = slow_children
    assert child.poll() is not None
    assert sorted(p.name for p in foreign.iterdir()) == ["holiday.jpg"]


def test_wait_and_stop_accept_no_child():
    warmup.wait(None)
    warmup.stop(None)


def test_the_child_imports_this_simdrive_not_one_in_the_working_folder(tmp_path,
                                                                        monkeypatch):
    decoy = tmp_path / "simdrive"
    decoy.mkdir()
    (decoy / "__init__.py").write_text(
        f"open({str(tmp_path / 'decoy_imported')!r}, 'w').close()\nraise ImportError\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(warmup, "render_kernels_cached", lambda: False)
    child = warmup.start()
    assert child is not None
    warmup.wait(child)
    assert child.returncode == 0
    assert not (tmp_path / "decoy_imported").exists()
