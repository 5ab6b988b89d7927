"""Compile the render kernels in a child process while this one does other work.

On a first run (an empty numba cache) ``simdrive render`` spends about half its
compilation on the simulation kernels, which planning needs (``require:``), and half
on the render kernels, which only the first frame needs. numba compiles one function
at a time per process, so the two halves would run one after the other. When the
render kernels are not cached yet, :func:`start` launches a child Python running
:func:`warm` (as ``python -m simdrive.render.warmup`` does): it renders a small
made-up frame that reaches every render kernel (rain at night, headlights and street
lamps, spray, motion blur), and RLE-encodes one of its masks as a dataset does, and so
writes those kernels to the cache, on the other core, while
the parent plans; :func:`wait` lets the parent, before its first frame, pick them up
from the cache instead of compiling them again. Anything going wrong in the child only
costs the parent the compilation it would have done anyway.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

WAIT_S = 300.0


def render_kernels_cached() -> bool:
    """Whether numba's cache holds the main render kernels (True when caching is off)."""
    from simdrive.render import effects, ground_pass, labels, raster

    return _cached((ground_pass.draw_ground, raster.draw_actors, effects.effects,
                    labels.label_geometry))


def simulation_kernels_cached() -> bool:
    """Whether numba's cache holds the simulation's step kernel (True when caching is off)."""
    from simdrive.core.step import advance_worlds

    return _cached((advance_worlds,))


def _cached(dispatchers) -> bool:
    for dispatcher in dispatchers:
        try:
            index = dispatcher._cache._cache_file._index_path
        except AttributeError:  # no cache (NUMBA_DISABLE_JIT, no cache locator)
            return True
        if not os.path.exists(index):
            return False
    return True


def start() -> subprocess.Popen | None:
    """Compile the render kernels in a child process if they are not cached; the child,
    or None when there is nothing to do."""
    if render_kernels_cached():
        return None
    if "python" not in os.path.basename(sys.executable or "").lower():
        return None  # an embedding program (sys.executable is not an interpreter)
    # the child must import this very copy of simdrive (its cache is where the kernels
    # go), not one that happens to be in the working folder
    root = str(Path(__file__).resolve().parents[2])
    code = f"import sys; sys.path.insert(0, {root!r}); import simdrive.render.warmup as w; w.warm()"
    try:
        return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        return None


def wait(child: subprocess.Popen | None) -> None:
    """Wait for a child of :func:`start` (at most WAIT_S; its outcome does not matter)."""
    if child is None:
        return
    try:
        child.wait(WAIT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def stop(child: subprocess.Popen | None) -> None:
    """Stop a child of :func:`start` now (numba writes each cache file whole, by rename)."""
    if child is not None and child.poll() is None:
        child.kill()
        child.wait()


def warm() -> None:
    """Render two frames that run every render kernel, and RLE-encode one mask."""
    from simdrive.render.look import make_look
    from simdrive.render.renderer import Renderer
    from simdrive.render.scene import Scene
    from simdrive.scenario.cameras import PRESETS
    from simdrive.scenario.render_options import RenderOptions
    from simdrive.world.actors import actor_kind, actor_kind_id
    from simdrive.world.maps import build_map

    road = build_map({"type": "straight", "lanes": 2, "length": 120, "sidewalks": "both"})
    # the camera's car, a car coming the other way with its lights on, and a walker
    rows = [("car", 20.0, -1.75, 0.0, 10.0), ("car", 45.0, 1.75, np.pi, 15.0),
            ("adult", 35.0, -5.0, 0.0, 0.0)]
    dims = np.array([[actor_kind(r[0]).length, actor_kind(r[0]).width,
                      actor_kind(r[0]).height] for r in rows])
    scene = Scene(time_s=0.0, names=("ego", "oncoming", "walker"),
                  x=np.array([r[1] for r in rows]), y=np.array([r[2] for r in rows]),
                  heading=np.array([r[3] for r in rows]), speed=np.array([r[4] for r in rows]),
                  length=dims[:, 0], width=dims[:, 1], height=dims[:, 2],
                  kind=np.array([actor_kind_id(r[0]) for r in rows], np.int64),
                  moving=np.array([1, 1, 0], np.int64))
    renderer = Renderer(road, RenderOptions(motion_blur=True), seed=0)
    for _ in range(2):  # the second reuses the first's arrays (and clears what it drew):
        # hold no frame meanwhile, or it would take new ones
        renderer.render(scene, PRESETS["front"], make_look("rain", "night"))
    # and the dataset's mask encoder, which the parent would otherwise compile after
    # planning, on the way to its first frame
    from simdrive.dataset import rle

    frame = renderer.render(scene, PRESETS["front"], make_look("rain", "night"))
    label = next(lab for lab in frame.labels if lab.visible_box is not None)
    rle.encode_box(frame.instance, label.track_id, label.visible_box)


if __name__ == "__main__":
    warm()
