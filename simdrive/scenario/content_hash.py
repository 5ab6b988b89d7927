"""The content hash of a scenario: the identity of the worlds it defines.

It seeds each variant's placement re-draws (scenario.streams), its frames' rain and
sensor noise (render.frames.variant_seed) and its dataset split (dataset.plan), and a
found file of simdrive search records it. It covers the merged document (``extends``
applied) without what changes no simulated world, and the map file's bytes: rewording
the description, adding a camera or changing ``require:`` keeps every variant's world,
frames and split; any other edit, or one to the map file, may move them.
"""

from __future__ import annotations

import hashlib

from simdrive.scenario.yamlpos import file_sha256


def content_hash(plain: dict, map_desc) -> str:
    """sha256 (hex) of a merged scenario document's plain data (world_content) and of the
    map file ``map_desc`` names, if any."""
    text = repr(_canonical(world_content(plain))) + _file_digest(map_desc)
    return hashlib.sha256(text.encode()).hexdigest()


NOT_WORLD_KEYS = ("name", "description", "camera", "render")
"""Top-level keys that change no simulated world (nor ``variants.require``, which only
filters them)."""


def world_content(plain: dict) -> dict:
    """The part of a merged scenario document that defines its worlds."""
    out = {k: v for k, v in plain.items() if k not in NOT_WORLD_KEYS}
    if isinstance(out.get("variants"), dict):
        out["variants"] = {k: v for k, v in out["variants"].items() if k != "require"}
    return out


def _file_digest(map_desc) -> str:
    """The sha256 of a map file the scenario names (its worlds are built on it), "" for an
    inline map or one that cannot be read (building it says why)."""
    path = map_desc.get("file") if isinstance(map_desc, dict) else map_desc
    if not isinstance(path, str):
        return ""
    return file_sha256(path) or ""  # read as the map loader does: never a device


def _canonical(data):
    if isinstance(data, dict):
        return tuple(sorted((k, _canonical(v)) for k, v in data.items()))
    if isinstance(data, list):
        return tuple(_canonical(v) for v in data)
    return data
