"""Fixtures shared by every test folder."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest


@pytest.fixture
def locked_folder(tmp_path, monkeypatch) -> Path:
    """A folder nothing can be written into.

    As an ordinary user its permission bits forbid it; root ignores those bits, so
    there the package's one file writer (simdrive.files) is refused inside it the
    way the system refuses it, with EACCES. Either way the test runs, in CI too.
    """
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() != 0:
        locked.chmod(0o500)
        yield locked
        locked.chmod(0o700)
        return
    import simdrive.files as files

    real_open = open

    def refusing(path, mode="r", *args, **kwargs):
        if "w" in mode and Path(path).resolve().is_relative_to(locked.resolve()):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(files, "open", refusing, raising=False)
    yield locked
