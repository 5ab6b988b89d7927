"""Where things are in a scenario's source: the node at a key path, and the line and
column each character of a scalar's value was written at (for errors inside a text
written over several lines, a ``require:`` expression).
"""

from __future__ import annotations

import re
from pathlib import Path

from simdrive.scenario.yamlpos import Node, _line_column


def node_at(node: Node, path: str, whole: bool = False) -> Node | None:
    """The node at key ``path`` under ``node`` (``lanes``, ``signal_plan.green_s``,
    ``actors[1].placement.s``), or the deepest one of it that exists (``whole``: None
    unless all of it does)."""
    for name, index in re.findall(r"([^.\[\]]+)(?:\[(\d+)\])?", path):
        if not node.is_mapping or node.get(name) is None:
            return None if whole else node
        node = node.get(name)
        if index:
            if not node.is_sequence or int(index) >= len(node.value):
                return None if whole else node
            node = node.value[int(index)]
    return node


def scalar_locator(node: Node):
    """A function from an offset into ``node``'s text value to the (line, column) it was
    written at, for a scalar that spans lines (plain, quoted, folded ``>`` or literal
    ``|``): YAML folding changes only whitespace, so the n-th non-space character of the
    value is the n-th of the source from the scalar's start (after a block's header line
    or the opening quote; a quote written twice, an escape sequence and a backslash line
    continuation count as the character they stand for). None when the source cannot be
    read again or does not match: the caller then counts from the node's column."""
    try:
        source = Path(node.file).read_text(encoding="utf-8-sig")
    except (OSError, ValueError):
        return None
    lines = source.split("\n")
    if not (isinstance(node.value, str) and 1 <= node.line <= len(lines)):
        return None
    start = sum(len(line) + 1 for line in lines[:node.line - 1]) + node.column - 1
    quote = source[start:start + 1]
    if quote in ("|", ">"):
        start = source.find("\n", start) + 1
    elif quote in ("'", '"'):
        start += 1
    marks = []  # the source offset of each non-space character of the value, in order
    at = start
    for char in node.value:
        if char.isspace():
            continue
        while at < len(source):
            if source[at].isspace():
                at += 1
            elif quote == '"' and source[at] == "\\" and \
                    source[at + 1:at + 2] in ("\n", "\r", "t", "\t", " ", "n", "r", "L", "P",
                                              "N", "_"):
                at += 2  # a line continued with a backslash, or an escaped space
            else:
                break
        if at >= len(source):
            return None
        width = 1
        if quote == "'" and source[at:at + 2] == "''":  # a quote written twice
            width = 2
        elif quote == '"' and source[at] == "\\":  # an escape sequence
            width = {"x": 4, "u": 6, "U": 10}.get(source[at + 1:at + 2], 2)
        elif source[at] != char:
            return None
        marks.append(at)
        at += width
    value = node.value

    def locate(offset: int) -> tuple[int, int]:
        count = sum(1 for char in value[:offset] if not char.isspace())
        where = marks[min(count, len(marks) - 1)] if marks else start
        if count >= len(marks) and marks:  # past the last character: just after it
            where = marks[-1] + 1
        return _line_column(source, where)

    return locate
