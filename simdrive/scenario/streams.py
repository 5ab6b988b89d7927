"""Counter-based random numbers: each uniform is a pure function of a key and a counter.

A variant's key is derived from its (scenario content hash, seed, index) triple only;
number ``c`` of its stream is output ``c`` of a SplitMix64 generator seeded with that
key (Steele, Lea and Flood 2014: a 64-bit finaliser applied to key + (c + 1) * golden
ratio). Nothing depends on which numbers were drawn before or on other variants, so a
variant draws the same numbers alone or in a batch, and whole blocks of numbers are
computed as one numpy expression. Integer arithmetic only: bit-identical everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_MASK = (1 << 64) - 1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_UNIT = 2.0**-53


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on a uint64 array (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * _MIX_1
    z = (z ^ (z >> np.uint64(27))) * _MIX_2
    return z ^ (z >> np.uint64(31))


def variant_keys(triples: Sequence[tuple[str, int, int]]) -> np.ndarray:
    """(V,) uint64 stream keys of variants given as (content hash hex, seed, index)."""
    words = np.array([[int(h[:16], 16), seed & _MASK, index & _MASK]
                      for h, seed, index in triples], dtype=np.uint64).reshape(-1, 3)
    key = _mix(words[:, 0] + _GOLDEN)
    key = _mix(key ^ _mix(words[:, 1] + _GOLDEN))
    return _mix(key ^ _mix(words[:, 2] + _GOLDEN))


def uniforms(keys: np.ndarray, counters: np.ndarray) -> np.ndarray:
    """Uniform numbers in [0, 1): shape keys.shape + counters.shape, float64.

    ``counters`` (uint64, any shape) picks the numbers of each key's stream.
    """
    counters = np.asarray(counters, dtype=np.uint64)
    state = keys.reshape(keys.shape + (1,) * counters.ndim) + (counters + np.uint64(1)) * _GOLDEN
    return (_mix(state) >> np.uint64(11)).astype(np.float64) * _UNIT
