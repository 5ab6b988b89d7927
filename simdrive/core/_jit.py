"""The one place that sets numba compile flags for the whole package.

``fastmath`` stays off: it lets LLVM contract and reorder floating-point
operations differently per CPU, which would break the bit-identical output
contract. numba's cache key does not include these flags, so never read them
from the environment.

Worlds are spread over threads by the caller (simdrive.sim), not with
``parallel=True``: the kernels release the GIL, a parfor would add seconds of
cold-start compilation, and OpenMP workers spin erratically on a busy 2-core
machine (PERF_NOTES).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba
from llvmlite import ir
from numba.core import cgutils, types
from numba.core.errors import TypingError
from numba.extending import intrinsic

kernel = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy", _nrt=False)
"""Decorator for a serial kernel or helper.

numba compiles a kernel once per distinct argument types, and a constant argument at a
call site (``f(x, 0)``, ``f(x, True)``, or a variable first set to 0) is typed as that
literal: a version for it on top of the int64 one, a second or more of cold start each.
Pass ``np.int64(0)``, ``np.bool_(True)``, and int64 indices (``int(start[k])`` of an int32
array), so every call site shares one version.
"""

inline_kernel = numba.njit(
    cache=True, nogil=True, fastmath=False, error_model="numpy", inline="always", _nrt=False
)
"""Decorator for a tiny helper: inlined into its callers' IR, never compiled on its own.

Every separately compiled function costs about a quarter of a second of cold
start; a one-liner is cheaper to type-check inside its caller.
"""


def _table_scope(module: ir.Module):
    """The alias scope of table loads (string-named, so equal in every module)."""
    domain = module.add_metadata([ir.MetaDataString(module, "simdrive.tables")])
    scope = module.add_metadata([ir.MetaDataString(module, "simdrive.table"), domain])
    return module.add_metadata([scope])


def _check(array, index, name: str, store: bool) -> None:
    """Typing checks of the scoped-access intrinsics (TypingError on anything else)."""
    if not (isinstance(array, types.Array) and array.ndim == 1 and array.layout == "C"
            and array.aligned and isinstance(array.dtype, (types.Integer, types.Float))):
        raise TypingError(f"{name} needs a 1-D C-contiguous aligned array of numbers, got "
                          f"{array}")
    if store and not array.mutable:
        raise TypingError(f"{name} cannot write into a read-only array")
    if not isinstance(index, types.Integer):
        raise TypingError(f"{name} needs an integer index, got {index}")


def _element(context, builder, array_type, array, index_type, index):
    """Pointer to array[index] (no wrap-around of negative indices; bounds-checked when
    numba's bounds checking is on, like plain indexing then)."""
    row = context.make_array(array_type)(context, builder, array)
    index = context.cast(builder, index, index_type, types.intp)
    if numba.core.config.BOUNDSCHECK:
        size = cgutils.unpack_tuple(builder, row.shape, 1)[0]
        cgutils.do_boundscheck(context, builder, index, size, 0)
    return builder.gep(row.data, [index], inbounds=True)


def _load(context, builder, sig, args, scope_kind, scopes):
    pointer = _element(context, builder, sig.args[-2], args[-2], sig.args[-1], args[-1])
    value = builder.load(pointer)
    value.set_metadata(scope_kind, scopes[0])
    if len(scopes) > 1:
        value.set_metadata("noalias", scopes[1])
    return value


def _store(context, builder, sig, args, scopes):
    array_type, index_type, value_type = sig.args[-3:]
    pointer = _element(context, builder, array_type, args[-3], index_type, args[-2])
    value = context.cast(builder, args[-1], value_type, array_type.dtype)
    store = builder.store(value, pointer)
    store.set_metadata("alias.scope" if len(scopes) > 1 else "noalias", scopes[0])
    if len(scopes) > 1:
        store.set_metadata("noalias", scopes[1])
    return context.get_dummy_value()


@intrinsic
def table_load(typingctx, table, index):
    """``table[index]`` (1-D contiguous array) from a read-only table.

    With ``scratch_store`` it lets LLVM turn a loop of scattered table reads into SIMD
    gathers: without it LLVM must assume a store in the loop may change the table and
    keeps the loop scalar (texture fetches ran 1.8x faster this way). The promise, which
    the calling kernel's callers must keep: nothing the kernel stores with
    ``scratch_store`` lies inside a table read with ``table_load``. A negative index is
    not wrapped round; with numba's bounds checking on, indices are checked.
    """
    _check(table, index, "table_load", store=False)

    def codegen(context, builder, sig, args):
        return _load(context, builder, sig, args, "alias.scope",
                     [_table_scope(builder.module)])
    return table.dtype(table, index), codegen


@intrinsic
def scratch_store(typingctx, array, index, value):
    """``array[index] = value`` (1-D contiguous array), promised never to write into a
    table read with ``table_load`` (see there)."""
    _check(array, index, "scratch_store", store=True)

    def codegen(context, builder, sig, args):
        return _store(context, builder, sig, args, [_table_scope(builder.module)])
    return types.none(array, index, value), codegen


RESTRICT_SCOPES = 8


def _restrict_scopes(module: ir.Module, k: int):
    """(scope k, every other scope) metadata lists of the restrict domain."""
    domain = module.add_metadata([ir.MetaDataString(module, "simdrive.restrict")])
    scopes = [module.add_metadata([ir.MetaDataString(module, f"simdrive.restrict.{j}"), domain])
              for j in range(RESTRICT_SCOPES)]
    return (module.add_metadata([scopes[k]]),
            module.add_metadata([x for j, x in enumerate(scopes) if j != k]))


def _scope_of(scope) -> int:
    if not isinstance(scope, types.IntegerLiteral) or not 0 <= scope.literal_value < \
            RESTRICT_SCOPES:
        raise TypingError(f"the scope must be a constant 0..{RESTRICT_SCOPES - 1}, got {scope}")
    return scope.literal_value


@intrinsic(prefer_literal=True)
def restrict_load(typingctx, scope, array, index):
    """``array[index]`` (1-D contiguous array) under a restrict scope: C's ``restrict``.

    The promise, which the calling kernel's callers must keep: memory accessed under one
    scope (a constant 0..RESTRICT_SCOPES - 1) is never accessed under another scope in the
    same kernel. Scope numbers are shared by everything compiled into one kernel
    (inlined helpers included), so a kernel numbers its arrays once. With it LLVM
    vectorizes a loop over several output rows (a z-buffer span writes colour, depth,
    instance and class) without run-time overlap checks, which it gives up on past a
    handful of arrays or for indirect reads. Indices as in ``table_load``.
    """
    k = _scope_of(scope)
    _check(array, index, "restrict_load", store=False)

    def codegen(context, builder, sig, args):
        return _load(context, builder, sig, args, "alias.scope",
                     _restrict_scopes(builder.module, k))
    return array.dtype(scope, array, index), codegen


@intrinsic(prefer_literal=True)
def restrict_store(typingctx, scope, array, index, value):
    """``array[index] = value`` under a restrict scope (see restrict_load)."""
    k = _scope_of(scope)
    _check(array, index, "restrict_store", store=True)

    def codegen(context, builder, sig, args):
        return _store(context, builder, sig, args, _restrict_scopes(builder.module, k))
    return types.none(scope, array, index, value), codegen


def drop_stale_cache(dispatcher, sources: Path | None = None) -> None:
    """Delete cached machine code compiled from other versions of a kernel package.

    numba keys a cached function on its own file only: a change in a helper that
    lives in another module leaves the caller's cached code stale. The cache
    directory of a package's kernels (``dispatcher``'s) therefore carries a
    digest of all the package's sources (``sources``, default simdrive/core)
    and of this file; when it differs, every cached kernel there is dropped and
    recompiled.
    """
    try:
        cache_dir = Path(dispatcher._cache._cache_path)
    except AttributeError:  # caching off (NUMBA_DISABLE_JIT, or no cache locator)
        return
    folder = Path(__file__).parent if sources is None else Path(sources)
    files = sorted({*folder.glob("*.py"), Path(__file__)})
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()
    stamp = cache_dir / "simdrive-sources.sha256"
    try:
        if stamp.read_text() == digest:
            return
    except OSError:
        pass
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in list(cache_dir.glob("*.nbi")) + list(cache_dir.glob("*.nbc")):
            old.unlink(missing_ok=True)
        tmp = stamp.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(digest)
        tmp.replace(stamp)
    except OSError:  # a read-only cache: numba then compiles in memory anyway
        pass
