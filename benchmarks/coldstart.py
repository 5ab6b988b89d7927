"""Cold start: a code snippet timed in fresh processes sharing one new numba cache.

The first process finds the cache empty (it compiles), the next ones find it warm.
Each run's snippet prints its timings (s) on its last line, space-separated.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile


def fresh_process_runs(snippet: str, runs: int = 2) -> list[list[float]]:
    """Timings printed by ``snippet`` in ``runs`` fresh processes, first with an empty cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = []
        for _ in range(runs):
            done = subprocess.run([sys.executable, "-c", snippet], env=env, check=True,
                                  capture_output=True, text=True)
            out.append([float(v) for v in done.stdout.strip().splitlines()[-1].split()])
        return out
