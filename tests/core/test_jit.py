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


def test_table_load_and_scratch_store_read_and_write_like_indexing():
    import numba
    import numpy as np

    from simdrive.core._jit import scratch_store, table_load

    @numba.njit
    def gather(table, index, out):
        for k in range(index.shape[0]):
            scratch_store(out, k, table_load(table, index[k]))

    rng = np.random.default_rng(3)
    table = rng.integers(0, 2**32, 1000, dtype=np.uint32)
    index = rng.integers(0, 1000, 333)
    out = np.zeros(333, np.uint32)
    gather(table, index, out)
    np.testing.assert_array_equal(out, table[index])
    # an int64 value is stored cast to the array's type, like out[k] = value
    wide = np.zeros(333, np.uint8)
    gather(table.astype(np.int64), index, wide)
    np.testing.assert_array_equal(wide, table[index].astype(np.int64).astype(np.uint8))


def test_table_load_refuses_strided_arrays():
    import numba
    import numpy as np
    import pytest

    from simdrive.core._jit import table_load

    @numba.njit
    def first(table):
        return table_load(table, 1)

    assert first(np.arange(4.0)) == 1.0
    with pytest.raises(numba.TypingError, match="C-contiguous"):
        first(np.arange(8.0)[::2])


def test_restrict_accesses_read_and_write_like_indexing():
    import numba
    import numpy as np

    from simdrive.core._jit import restrict_load, restrict_store

    @numba.njit
    def z_test(z, depth, ids, new_id):
        drawn = 0
        for k in range(z.shape[0]):
            if z[k] < restrict_load(0, depth, k):
                restrict_store(0, depth, k, z[k])
                restrict_store(1, ids, k, new_id)
                drawn += 1
        return drawn

    rng = np.random.default_rng(5)
    z, depth = rng.uniform(0, 10, 257), rng.uniform(0, 10, 257).astype(np.float32)
    ids = np.full(257, -1, np.int32)
    want_depth = np.where(z < depth, z, depth).astype(np.float32)
    want_ids = np.where(z < depth, 7, -1)
    assert z_test(z, depth, ids, 7) == (want_ids == 7).sum()
    np.testing.assert_array_equal(depth, want_depth)
    np.testing.assert_array_equal(ids, want_ids)


def test_restrict_scope_must_be_a_constant_in_range():
    import numba
    import numpy as np
    import pytest

    from simdrive.core._jit import RESTRICT_SCOPES, restrict_load

    @numba.njit
    def out_of_range(a):
        return restrict_load(RESTRICT_SCOPES, a, 0)

    @numba.njit
    def variable(a, scope):
        return restrict_load(scope, a, 0)

    for call in (lambda: out_of_range(np.zeros(3)), lambda: variable(np.zeros(3), 1)):
        with pytest.raises(numba.TypingError, match="scope must be a constant"):
            call()


def test_scoped_stores_refuse_read_only_arrays_and_non_integer_indices():
    import numba
    import numpy as np
    import pytest

    from simdrive.core._jit import restrict_store, scratch_store, table_load

    @numba.njit
    def fill(a):
        scratch_store(a, 0, 1.0)

    @numba.njit
    def fill_scoped(a):
        restrict_store(0, a, 0, 1.0)

    @numba.njit
    def at(a, i):
        return table_load(a, i)

    frozen = np.zeros(3)
    frozen.flags.writeable = False
    for call in (lambda: fill(frozen), lambda: fill_scoped(frozen)):
        with pytest.raises(numba.TypingError, match="read-only"):
            call()
    with pytest.raises(numba.TypingError, match="integer index"):
        at(np.zeros(3), 1.0)


def test_scoped_accesses_are_bounds_checked_when_numba_checks_bounds(monkeypatch):
    import numba
    import numpy as np
    import pytest

    from simdrive.core._jit import restrict_load, table_load

    monkeypatch.setattr(numba.core.config, "BOUNDSCHECK", 1)

    @numba.njit(cache=False)
    def at(a, i):
        return table_load(a, i) + restrict_load(0, a, i)

    assert at(np.arange(3.0), 2) == 4.0
    for index in (3, -1):
        with pytest.raises(IndexError):
            at(np.arange(3.0), index)
