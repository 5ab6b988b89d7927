"""A small dataset rendered once per test session, and helpers to compare folders."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from simdrive.cli import main

ROOT = Path(__file__).resolve().parents[2]
CHILD = str(ROOT / "scenarios" / "child_between_parked_cars.yaml")
KANGAROO = str(ROOT / "scenarios" / "kangaroo_crossing_rural_night.yaml")
SMALL = [CHILD, "--limit", "6", "--every", "40", "--quiet"]
"""A few frames: those of six child variants spread over its grid that require: keeps (4),
every 2 s."""


def tree(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under folder."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def render(cwd: Path, *args: str, monkeypatch=None) -> int:
    """Run ``simdrive render`` in-process with ``cwd`` as working folder (output ``ds``)."""
    import os

    old = os.getcwd()
    os.chdir(cwd)
    try:
        return main(["render", *args])
    finally:
        os.chdir(old)


@pytest.fixture(scope="session")
def dataset(tmp_path_factory) -> Path:
    """Two library scenarios (four variants each, spread over their grids; require: drops
    some), every format and extra, JPEG images."""
    cwd = tmp_path_factory.mktemp("dataset")
    code = render(cwd, CHILD, KANGAROO, "--limit", "4", "--every", "20", "--quiet",
                  "--extras", "depth,semantic,instance", "--split", "train=0.5,val=0.5",
                  "--workers", "1", "-o", "ds")
    assert code == 0
    return cwd / "ds"
