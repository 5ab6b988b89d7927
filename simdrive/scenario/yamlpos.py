"""YAML loading that keeps where every value came from.

:func:`load_yaml` parses one YAML document into a tree of :class:`Node`. Every node knows
its file, 1-based line and column, and key path (``actors[2].behavior.speed``), so later
stages raise ScenarioErrors that point at the exact spot.

Parsing is PyYAML's SafeLoader: scalars resolve exactly as ``yaml.safe_load`` resolves
them (int, float, bool, None, str, date/datetime, and bytes for ``!!binary``); no object
is ever constructed. Rules beyond plain YAML:

- any tag safe_load would not accept (``!!python/object``, ``!custom``) is an error;
  ``!!set``, ``!!omap`` and ``!!pairs`` are refused too (use a list or a mapping);
- mapping keys must be text, and a duplicate key is an error (safe_load keeps the last);
- merge keys (``<<``) are refused: nothing is ever merged silently (a scenario builds
  on another with ``extends``);
- an alias (``*name``) becomes a full copy of its anchor's tree, positioned at the alias;
- hostile input is cut short by the limits below, checked while parsing.

Positions: a mapping's child is placed at its key (where the entry starts), a sequence
item at the item, the root at the start of the document.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from simdrive.errors import ScenarioError, Words

MAX_FILE_BYTES = 1024 * 1024  # bytes of UTF-8 text in one file (1 MiB)
MAX_DEPTH = 64  # levels of nested mappings/sequences; the root collection is level 1
MAX_NODES = 100_000  # keys, values and items, each alias counted as its whole expansion
MAX_SCALAR_CHARS = 64 * 1024  # characters in one scalar, key or value (64 Ki)

_TAG_PREFIX = "tag:yaml.org,2002:"
_MAP_TAG, _SEQ_TAG, _STR_TAG = (_TAG_PREFIX + name for name in ("map", "seq", "str"))
_MERGE_TAG, _NULL_TAG = _TAG_PREFIX + "merge", _TAG_PREFIX + "null"
_SCALAR_TAGS = frozenset(
    _TAG_PREFIX + name for name in ("null", "bool", "int", "float", "str", "timestamp", "binary")
)
# tags a YAML 1.1 resolver knows; on the wrong kind of node (or '=' left bare) they are an error
_STANDARD_TAGS = _SCALAR_TAGS | {_MAP_TAG, _SEQ_TAG, _MERGE_TAG, _TAG_PREFIX + "value"}
_PLAIN_VALUES = "text, numbers, true/false, null, dates, lists and mappings"


@dataclass(frozen=True, eq=False)
class Node:
    """One YAML value and where it was written.

    ``value`` is a dict str -> Node (mapping, in file order), a tuple of Node (sequence)
    or a scalar as ``yaml.safe_load`` gives it. ``line`` and ``column`` are 1-based;
    ``path`` is the key path from the root (``"actors[2].behavior"``; the root is ``""``).
    ``quoted``: the scalar was written in quotes, so its text starts at ``column + 1``.
    Nodes compare by identity: compare ``plain()`` for content.
    """

    value: Any
    file: str
    line: int
    column: int
    path: str = ""
    quoted: bool = False  # a quoted scalar: its text starts one column after ``column``

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.value, Mapping)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.value, (tuple, list))

    @property
    def is_scalar(self) -> bool:
        return not (self.is_mapping or self.is_sequence)

    def plain(self) -> Any:
        """The value as plain Python data: dicts, lists and scalars, recursively."""
        if self.is_mapping:
            return {key: child.plain() for key, child in self.value.items()}
        if self.is_sequence:
            return [item.plain() for item in self.value]
        return self.value

    def error(self, message: str, expected: str | None = None, found: object = None,
              hint: str | None = None) -> ScenarioError:
        """A ScenarioError at this node (file, line, column, path); the caller raises it."""
        return ScenarioError(message, file=self.file, line=self.line, column=self.column,
                             path=self.path or None, expected=expected, found=found, hint=hint)

    def child(self, key: str | int) -> Node:
        """The value under ``key`` (mapping) or at index ``key`` (sequence); missing is an error."""
        if self.is_sequence and isinstance(key, int) and not isinstance(key, bool):
            if -len(self.value) <= key < len(self.value):
                return self.value[key]
            raise self.error(f"the list has no item {key}", found=f"{len(self.value)} items")
        child = self._mapping().get(key)
        if child is None:
            raise self.error(f"missing key {key!r}",
                             hint="the keys here are: " + (", ".join(self.value) or "none"))
        return child

    __getitem__ = child

    def get(self, key: str, default: Node | None = None) -> Node | None:
        """The value under ``key``, or ``default`` when the mapping lacks it."""
        return self._mapping().get(key, default)

    def keys(self):
        return self._mapping().keys()

    def items(self):
        return self._mapping().items()

    def __iter__(self) -> Iterator:
        """Items of a sequence (keys of a mapping); a scalar is an error."""
        if self.is_scalar:
            raise self.error("expected a list", found=self.value)
        return iter(self.value)

    def _mapping(self) -> Mapping[str, Node]:
        if not self.is_mapping:
            raise self.error("not a mapping", expected="key: value pairs",
                             found=self.value if self.is_scalar else Words("a list"))
        return self.value


def load_yaml(text: str, file: str) -> Node:
    """The single YAML document in ``text``; ``file`` names it in errors."""
    size_bytes = len(text.encode("utf-8", "surrogatepass"))  # about 1 ms per MiB
    if size_bytes > MAX_FILE_BYTES:
        raise _too_large(file, size_bytes)
    try:
        loader = _Loader(text, file)
    except yaml.reader.ReaderError as exc:  # raised at once for str input
        line, column = _line_column(text, exc.position)
        raise ScenarioError("the file holds a character YAML does not allow", file=file,
                            line=line, column=column, found=chr(exc.character),
                            hint="remove it or write it as an escape in double quotes") from None
    try:
        root = loader.get_single_node()
        if root is None or (root.tag == _NULL_TAG and root.value == ""):
            raise ScenarioError("the file is empty", file=file,
                                expected="a mapping with at least name, duration, map and ego")
        return _Converter(loader, file).convert(root, "", root.start_mark, 0)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file) from None
    finally:
        loader.dispose()


def file_sha256(path: str | Path) -> str | None:
    """The sha256 (hex) of a regular file of at most MAX_FILE_BYTES, or None for anything
    else (missing, unreadable, too large, a device or FIFO: /dev/zero never ends)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    return hashlib.sha256(data).hexdigest() if len(data) <= MAX_FILE_BYTES else None


def load_yaml_file(path: str | Path) -> Node:
    """The YAML document in the UTF-8 file at ``path``; errors name the path."""
    name = str(path)
    if not name:
        raise ScenarioError("no file given: the path is empty", expected="a scenario file path")
    try:
        # a FIFO would block the read, a device never end it: regular files only
        if not stat.S_ISREG(os.stat(path).st_mode):
            kind = "a folder" if os.path.isdir(path) else "not a regular file"
            raise ScenarioError(f"cannot read the file: it is {kind}", file=name,
                                expected="a scenario file (YAML text)")
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # never read more than the limit
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror or exc}", file=name) from None
    if len(data) > MAX_FILE_BYTES:
        size = Path(path).stat().st_size
        raise _too_large(name, size)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
        raise ScenarioError("the file is not UTF-8 text", file=name,
                            line=data.count(b"\n", 0, exc.start) + 1, column=column,
                            found=Words(f"the byte 0x{data[exc.start]:02x}, which no UTF-8 text "
                                        "holds there"), hint="save it as UTF-8") from None
    return load_yaml(text, name)


class _Loader(yaml.SafeLoader):
    """SafeLoader whose composer enforces the limits and positions aliases where used."""

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self.file = file
        self.depth = 0
        self.composed = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        self.composed += 1
        if self.composed > MAX_NODES:
            raise _too_many_nodes(self.file, event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            anchored = super().compose_node(parent, index)
            # a shallow copy (children shared, so nothing is expanded yet) placed at the alias
            return type(anchored)(anchored.tag, anchored.value, event.start_mark, event.end_mark)
        if isinstance(event, yaml.ScalarEvent):
            if len(event.value) > MAX_SCALAR_CHARS:
                raise _error(self.file, event.start_mark,
                             f"a value is longer than {MAX_SCALAR_CHARS} characters "
                             "(MAX_SCALAR_CHARS)", found=f"{len(event.value)} characters")
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _too_deep(self.file, event.start_mark)
        node = super().compose_node(parent, index)
        self.depth -= 1
        return node

    def get_single_node(self):
        self.get_event()  # stream start
        document = None
        if not self.check_event(yaml.StreamEndEvent):
            document = self.compose_document()
        if not self.check_event(yaml.StreamEndEvent):
            raise _error(self.file, self.peek_event().start_mark,
                         "the file holds more than one YAML document",
                         hint="a scenario is one document: remove the second '---'")
        self.get_event()
        return document


class _Converter:
    """Turns a composed YAML node graph into Nodes, counting every node (aliases expanded)."""

    def __init__(self, loader: _Loader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.count = 0
        self.open: set[int] = set()  # ids of the collections being converted (alias cycles)

    def convert(self, ynode, path: str, mark, depth: int) -> Node:
        """``ynode`` as a Node at ``mark``; ``depth`` counts the collections around it."""
        self._tick(mark)
        if isinstance(ynode, ScalarNode):
            value = self._scalar(ynode, path)
        else:
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(self.file, mark, path)
            if id(ynode.value) in self.open:
                raise _error(self.file, mark, "an alias refers to a collection that contains it",
                             path=path)
            self.open.add(id(ynode.value))
            if isinstance(ynode, MappingNode):
                value = self._mapping(ynode, path, depth)
            else:
                value = self._sequence(ynode, path, depth)
            self.open.discard(id(ynode.value))
        quoted = isinstance(ynode, ScalarNode) and ynode.style in ("'", '"')
        return Node(value, self.file, mark.line + 1, mark.column + 1, path, quoted)

    def _tick(self, mark) -> None:
        self.count += 1
        if self.count > MAX_NODES:
            raise _too_many_nodes(self.file, mark)

    def _mapping(self, ynode: MappingNode, path: str, depth: int) -> dict[str, Node]:
        if ynode.tag != _MAP_TAG:
            raise self._bad_tag(ynode, path)
        value: dict[str, Node] = {}
        for key_node, value_node in ynode.value:
            self._tick(key_node.start_mark)
            if key_node.tag == _MERGE_TAG:
                raise _error(self.file, key_node.start_mark, "merge keys (<<) are not supported",
                             path=path, hint="write the keys out, or build on a base "
                             "scenario with 'extends'")
            scalar_key = isinstance(key_node, ScalarNode)
            if not scalar_key or key_node.tag != _STR_TAG:
                found = _brief(key_node.value) if scalar_key else "a collection"
                raise _error(self.file, key_node.start_mark, "keys must be text", path=path,
                             found=found, hint="quote the key to make it text")
            key = key_node.value
            child_path = f"{path}.{key}" if path else key
            self._check_text(key, key_node.start_mark, child_path)
            if key in value:
                raise _error(self.file, key_node.start_mark,
                             f"duplicate key {key!r} (first on line {value[key].line})",
                             path=child_path, hint="each key may appear once in a mapping")
            value[key] = self.convert(value_node, child_path, key_node.start_mark, depth)
        return value

    def _sequence(self, ynode: SequenceNode, path: str, depth: int) -> tuple[Node, ...]:
        if ynode.tag != _SEQ_TAG:
            raise self._bad_tag(ynode, path)
        return tuple(self.convert(item, f"{path}[{index}]", item.start_mark, depth)
                     for index, item in enumerate(ynode.value))

    def _scalar(self, ynode: ScalarNode, path: str) -> Any:
        if ynode.tag not in _SCALAR_TAGS:
            raise self._bad_tag(ynode, path)
        try:
            value = self.loader.construct_object(ynode)
        except (yaml.YAMLError, ValueError, TypeError, KeyError, AttributeError,
                OverflowError):
            raise _error(self.file, ynode.start_mark,
                         f"the value is not a valid {_short_tag(ynode.tag)}", path=path,
                         found=_brief(ynode.value)) from None
        if isinstance(value, str):
            self._check_text(value, ynode.start_mark, path)
        return value

    def _check_text(self, text: str, mark, path: str) -> None:
        """Refuse text that is no Unicode: a lone surrogate (an escape like "\\ud800"),
        which no file, terminal or JSON encoder can write later."""
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _error(self.file, mark, "the text holds a lone surrogate escape, which is "
                         "no character", path=path,
                         found=text[exc.start:exc.end].encode("unicode_escape").decode(),
                         hint="write the character itself, or the \\U escape of a real "
                         "one") from None

    def _bad_tag(self, ynode, path: str) -> ScenarioError:
        tag = _short_tag(ynode.tag)
        if tag in ("!!set", "!!omap", "!!pairs"):
            return _error(self.file, ynode.start_mark, f"{tag} is not supported", path=path,
                          hint="use a plain list or mapping")
        if ynode.tag in _STANDARD_TAGS:
            # a standard tag on the wrong kind of node, or an implicit one like a bare '='
            found = _brief(ynode.value) if isinstance(ynode, ScalarNode) else None
            return _error(self.file, ynode.start_mark, f"cannot read this value as {tag}",
                          path=path, expected=_PLAIN_VALUES, found=found,
                          hint="quote it to make it text")
        return _error(self.file, ynode.start_mark, f"the tag {tag} is not allowed", path=path,
                      expected=_PLAIN_VALUES,
                      hint="scenario files never create objects; remove the tag")


def _brief(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters for an error message."""
    return text if len(text) <= limit else text[:limit] + "..."


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG_PREFIX):] if tag.startswith(_TAG_PREFIX) else tag


def _error(file: str, mark, message: str, *, path: str | None = None, **details) -> ScenarioError:
    """A ScenarioError at a yaml Mark (0-based line and column)."""
    return ScenarioError(message, file=file, line=mark.line + 1, column=mark.column + 1,
                         path=path or None, **details)


def _too_large(file: str, size_bytes: int) -> ScenarioError:
    return ScenarioError("the file is larger than the 1 MiB limit (MAX_FILE_BYTES)", file=file,
                         expected=f"at most {MAX_FILE_BYTES} bytes", found=f"{size_bytes} bytes")


def _too_deep(file: str, mark, path: str | None = None) -> ScenarioError:
    return _error(file, mark, f"nesting is deeper than {MAX_DEPTH} levels (MAX_DEPTH)", path=path)


def _too_many_nodes(file: str, mark) -> ScenarioError:
    return _error(file, mark, f"the document has more than {MAX_NODES} values (MAX_NODES, "
                  "each alias counted as everything it repeats)",
                  hint="aliases (*name) nested in aliases multiply quickly")


def _syntax_error(exc: yaml.MarkedYAMLError, file: str) -> ScenarioError:
    """yaml's own problem text at yaml's problem_mark; the context ("while parsing...") as hint."""
    mark, where = exc.problem_mark or exc.context_mark, exc.context_mark
    hint = exc.context and (f"{exc.context} at line {where.line + 1}, column {where.column + 1}"
                            if where else exc.context)
    if "'\\t'" in str(exc.problem):
        hint = "indent with spaces, not tabs"
    return ScenarioError(f"invalid YAML: {exc.problem or exc.context}", file=file,
                         line=mark.line + 1 if mark else None,
                         column=mark.column + 1 if mark else None, hint=hint)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of character ``offset`` in ``text``."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1
