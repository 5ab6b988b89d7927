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

import numba

kernel = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy", _nrt=False)
"""Decorator for a serial kernel or helper."""

inline_kernel = numba.njit(
    cache=True, nogil=True, fastmath=False, error_model="numpy", inline="always", _nrt=False
)
"""Decorator for a tiny helper: inlined into its callers' IR, never compiled on its own.

Every separately compiled function costs about a quarter of a second of cold
start; a one-liner is cheaper to type-check inside its caller.
"""
