"""The compiled-kernel cache is dropped when any core source changes."""

from __future__ import annotations

from types import SimpleNamespace

from simdrive.core._jit import drop_stale_cache


def fake_dispatcher(path):
    return SimpleNamespace(_cache=SimpleNamespace(_cache_path=str(path)))


def test_cache_built_from_other_core_sources_is_dropped_once(tmp_path):
    (tmp_path / "step.advance_worlds-1.py311.nbi").write_text("old")
    (tmp_path / "step.advance_worlds-1.py311.1.nbc").write_text("old")
    (tmp_path / "simdrive-sources.sha256").write_text("digest of other sources")
    drop_stale_cache(fake_dispatcher(tmp_path))
    assert not list(tmp_path.glob("*.nb?"))
    # the digest now matches: fresh cache files survive the next start
    (tmp_path / "step.advance_worlds-1.py311.nbi").write_text("new")
    drop_stale_cache(fake_dispatcher(tmp_path))
    assert (tmp_path / "step.advance_worlds-1.py311.nbi").read_text() == "new"


def test_the_render_kernels_cache_is_keyed_on_the_render_sources(tmp_path):
    from pathlib import Path

    import simdrive.render.raster as raster

    render_dir = Path(raster.__file__).parent
    (tmp_path / "ground_pass.draw_ground-1.py311.nbi").write_text("old")
    drop_stale_cache(fake_dispatcher(tmp_path), render_dir)
    assert not list(tmp_path.glob("*.nb?"))
    stamp = (tmp_path / "simdrive-sources.sha256").read_text()
    drop_stale_cache(fake_dispatcher(tmp_path))  # the core's digest differs from render's
    assert (tmp_path / "simdrive-sources.sha256").read_text() != stamp
