"""Rendering with numba's bounds checking on: no kernel reads or writes outside its arrays.

The render kernels run unchecked (and the scoped-access intrinsics of
simdrive.core._jit skip numba's indexing), so an overrun would corrupt memory
silently; here a fresh process compiles them with NUMBA_BOUNDSCHECK=1 and
renders tiny, odd-sized, rolled and bird's-eye frames in every look.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FRAMES = """
import dataclasses, sys
sys.path.insert(0, sys.argv[1])
from simdrive.render.look import make_look
from simdrive.render.renderer import Renderer
from simdrive.scenario.cameras import PRESETS
from simdrive.scenario.render_options import RenderOptions
from tests.render.helpers import ROAD, make_scene

scene = make_scene([("car", 40.0, 1.75, 3.14159), ("bus", 12.0, -1.75, 0.0),
                    ("child", 9.0, -4.5, 1.5), ("car", 3.0, 1.75, 3.14159)])
renderer = Renderer(ROAD, RenderOptions(motion_blur=True), seed=3)
specs = [dataclasses.replace(PRESETS["front"], width=w, height=h)
         for w, h in ((1, 1), (1, 2), (2, 1), (17, 5), (333, 187))]
specs += [dataclasses.replace(PRESETS["front"], width=64, height=48, roll_deg=35.0),
          dataclasses.replace(PRESETS["bev"], width=65, height=47)]
frames = 0
for spec in specs:
    for look in (("clear", "night"), ("rain", "dusk"), ("snow", "night"), ("fog", "noon")):
        renderer.render(scene, spec, make_look(*look))
        frames += 1
print("RENDERED", frames)
"""


def test_frames_render_within_their_arrays_with_bounds_checking_on(tmp_path):
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    done = subprocess.run([sys.executable, "-c", FRAMES, str(ROOT)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "RENDERED 28" in done.stdout
