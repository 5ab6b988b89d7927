"""``extends:``: a scenario builds on a base file with a strict, documented merge.

Rules: mappings merge key by key (recursively); lists, scalars and distributions
(``{uniform: ...}``, ``{normal: ...}``, ...) in the extending file replace the base's;
``extends`` chains (a base may extend another) up to MAX_EXTENDS_DEPTH files, and a
cycle is an error. Every node keeps the file,
line and column it came from, so an error about a key points to the file that
has it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from simdrive.errors import ScenarioError, yaml_kind
from simdrive.scenario.reader import DIST_KEYS
from simdrive.scenario.yamlpos import Node, load_yaml_file

MAX_EXTENDS_DEPTH = 8


def load_merged(path: Path, _chain: tuple[Path, ...] = (), _via: Node | None = None) -> Node:
    """The document at ``path`` with its ``extends`` chain merged in (``_via``: the
    ``extends`` that names this file, for its errors)."""
    path = Path(path)
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as error:  # a loop of symbolic links
        raise ScenarioError(f"cannot read the file: {getattr(error, 'strerror', None) or error}",
                            file=str(path)) from None
    root = load_yaml_file(path)
    if not root.is_mapping:
        via = (f"it is the base scenario that {_via.file}:{_via.line} extends" if _via
               else None)
        raise ScenarioError("a scenario file is a mapping", file=root.file, line=root.line,
                            column=root.column, expected="key: value pairs",
                            found=yaml_kind(root.value), hint=via)
    base_node = root.get("extends")
    if base_node is None:
        return root
    if not isinstance(base_node.value, str):
        raise base_node.error("extends takes a file path", found=base_node.plain())
    if not base_node.value.strip():
        raise base_node.error("extends is empty", expected="the base scenario file's path, "
                              "relative to this file (or no extends)")
    base_path = path.parent / base_node.value
    if not base_path.is_file():
        what = ("is a folder, not a file" if base_path.is_dir() else "is not a regular file"
                if base_path.exists() else "does not exist")
        raise base_node.error(f"the base scenario file {what}",
                              expected="a path relative to this file", found=str(base_path))
    try:
        base_resolved = base_path.resolve()
    except (OSError, RuntimeError):  # a loop of symbolic links: reported when it is read
        base_resolved = None
    if base_resolved in (*_chain, resolved):  # at the extends that closes the loop
        cycle = " -> ".join(str(p) for p in (*_chain, resolved, base_resolved))
        raise base_node.error("extends forms a cycle", found=cycle)
    if len(_chain) + 1 >= MAX_EXTENDS_DEPTH:  # this file's extends makes the chain too long
        raise base_node.error(f"extends is nested deeper than {MAX_EXTENDS_DEPTH} files",
                              expected=f"a chain of at most {MAX_EXTENDS_DEPTH} files",
                              found=str(base_path))
    base = load_merged(base_path, (*_chain, resolved), base_node)
    own = {k: v for k, v in root.value.items() if k != "extends"}
    return merge(base, dataclasses.replace(root, value=own))


def extends_chain(path: Path) -> list[Path]:
    """The files a scenario file is read from: itself, then its ``extends`` chain, base by
    base (for a file load_merged has accepted)."""
    chain = [Path(path)]
    while len(chain) <= MAX_EXTENDS_DEPTH:
        root = load_yaml_file(chain[-1])
        base = root.get("extends") if root.is_mapping else None
        if base is None or not isinstance(base.value, str):
            break
        chain.append(chain[-1].parent / base.value)
    return chain


def merge(base: Node, over: Node) -> Node:
    """``over`` laid on ``base``: mappings merge, everything else is replaced (a
    distribution too: a mapping, but one value, so ``{normal: ...}`` over ``{uniform:
    ...}`` swaps the distribution rather than making a mapping of both)."""
    if not (base.is_mapping and over.is_mapping) or _distribution(over):
        return over
    merged = dict(base.value)
    for key, node in over.value.items():
        merged[key] = merge(merged[key], node) if key in merged else node
    return dataclasses.replace(over, value=merged)


def _distribution(node: Node) -> bool:
    """Whether a mapping node is a distribution: its one key names one."""
    return len(node.value) == 1 and next(iter(node.value)) in DIST_KEYS
