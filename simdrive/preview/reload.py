"""Hot reload: watch the scenario's files, re-validate on change, keep the last good version.

``source_files`` lists what a scenario (or found) file is made of: the file,
the scenario a found file names, and the ``extends`` chain. ``Reloader.poll``
compares their modification times and sizes (at most every ``interval_s`` of
wall time); on a change it re-reads the file at the viewer's variant position
and hands the new (spec, variant) to ``Playback.reload``, which re-simulates to
the same step. A validation error is kept in ``error`` for the window to show
(file, line, message) and the playback is left as it was.
"""

from __future__ import annotations

from pathlib import Path

from simdrive.errors import SimdriveError
from simdrive.preview.playback import Playback, variant_total
from simdrive.scenario.source import FOUND_KEY, is_found_file, select_variant
from simdrive.scenario.yamlpos import load_yaml_file

MAX_FILES = 16


def source_files(path: str | Path) -> list[Path]:
    """The file, the scenario a found file names, every ``extends`` base and map file (as far
    as they can be read: a broken file still lists itself)."""
    path = Path(path)
    out = [path]
    maps: list[Path] = []
    try:
        root = load_yaml_file(path)
        if is_found_file(root) and isinstance(root.child(FOUND_KEY).value, str):
            path = path.parent / root.child(FOUND_KEY).value
            out.append(path)
            root = load_yaml_file(path)
        while root.is_mapping and len(out) < MAX_FILES:
            map_node = root.get("map")
            if map_node is not None and isinstance(map_node.value, str):
                maps.append(path.parent / map_node.value)
            base = root.get("extends")
            if base is None or not isinstance(base.value, str):
                break
            path = path.parent / base.value
            out.append(path)
            root = load_yaml_file(path)
    except (SimdriveError, OSError):
        pass
    return out + [m for m in maps if m not in out]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class Reloader:
    """Reloads ``playback``'s file when it (or a file it builds on) changes on disk."""

    def __init__(self, playback: Playback, interval_s: float = 0.5) -> None:
        self.playback = playback
        self.interval_s = interval_s
        self.error: BaseException | None = None
        self.reloads = 0
        self._last_poll = -float("inf")
        self._watch()

    def _watch(self) -> None:
        self.files = source_files(self.playback.path)
        self._stamps = {p: _stamp(p) for p in self.files}

    def changed(self) -> bool:
        return any(_stamp(p) != stamp for p, stamp in self._stamps.items())

    def poll(self, now_s: float, force: bool = False) -> bool:
        """Check for changes (every ``interval_s``); True if a new version was loaded."""
        if not force and now_s - self._last_poll < self.interval_s:
            return False
        self._last_poll = now_s
        if not self.changed():
            return False
        self._watch()
        pb = self.playback
        try:
            spec, variant = select_variant(pb.path, pb.position)
            count = variant_total(pb.path)
            pb.reload(spec, variant)
        except Exception as error:  # noqa: BLE001 - shown in the window, never a crash
            self.error = error
            return False
        self.error = None
        pb.count = count
        self.reloads += 1
        return True
