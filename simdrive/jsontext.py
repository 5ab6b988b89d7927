"""Compact JSON text of plain values, exactly as ``json.dumps`` writes it, without the
per-call set-up of ``json.dumps`` (which builds an encoder object and its C encoder on
every call with non-default separators: most of the cost of a small object, and a
dataset frame serialises several)."""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _encoder


def json_writer(separators: tuple[str, str], sort_keys: bool = False) -> Callable[[object], str]:
    """A function returning ``json.dumps(value, separators=separators, sort_keys=sort_keys)``
    for plain values (dicts, lists, tuples, str, int, float, bool, None; no cycles)."""
    make = getattr(_encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator (another Python): json's own encoder, kept
        return json.JSONEncoder(separators=separators, sort_keys=sort_keys).encode
    encode = make(None, json.JSONEncoder().default, _encoder.encode_basestring_ascii, None,
                  separators[1], separators[0], sort_keys, False, True)

    def dumps(value: object) -> str:
        if isinstance(value, str):
            return _encoder.encode_basestring_ascii(value)
        return "".join(encode(value, 0))

    return dumps


compact_json = json_writer((",", ":"))
"""json.dumps(value, separators=(",", ":"))."""
