"""Progress of a long run on stderr: a bar with frames/s and ETA on a terminal, plain
lines every few seconds otherwise, nothing when quiet."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, quiet: bool = False, stream=None, every_s: float = 5.0):
        self.total = max(1, total)
        self.done = 0
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every_s = every_s
        self.t0 = time.perf_counter()
        self.start_done = None
        self.last = 0.0

    def advance(self, frames: int) -> None:
        if self.start_done is None:  # frames already done before this run do not count
            self.start_done = frames
            self.t0 = time.perf_counter()
        self.done += frames
        now = time.perf_counter()
        if self.quiet or (not self.tty and now - self.last < self.every_s
                          and self.done < self.total):
            return
        self.last = now
        self._print(now)

    def _print(self, now: float) -> None:
        elapsed = max(1e-9, now - self.t0)
        rendered = self.done - (self.start_done or 0)
        rate = rendered / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else float("inf")
        eta_text = f"{eta:5.0f} s" if eta != float("inf") else "    ? s"
        share = self.done / self.total
        # frames of an earlier run, found done: no rate to give yet (or at all, resuming a
        # finished dataset)
        speed = (f"{rate:6.1f} frames/s  ETA {eta_text}" if rendered else
                 "already done" if self.done else "starting")
        if self.tty:
            bar = "#" * int(30 * share) + "-" * (30 - int(30 * share))
            self.stream.write(f"\r[{bar}] {self.done}/{self.total} frames  {speed}")
        else:
            speed = " ".join(speed.split()).replace(" ETA", ", ETA")
            self.stream.write(f"rendered {self.done}/{self.total} frames ({100 * share:.0f}%), "
                              f"{speed}\n")
        self.stream.flush()

    def close(self) -> None:
        if not self.quiet and self.tty:
            self.stream.write("\n")
            self.stream.flush()
