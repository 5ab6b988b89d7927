"""Exceptions raised for bad input.

Every error a user can cause derives from :class:`SimdriveError`. The CLI turns
them into a one-paragraph message and exit code 2; anything else is a bug.
"""

from __future__ import annotations


class SimdriveError(Exception):
    """Base class of every error caused by bad input.

    ``where`` names the file (and, when known, ``line:column``), ``path`` the
    location inside the document (``map.lanes``), ``expected`` what would have
    been valid and ``found`` what was there instead.
    """

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        path: str | None = None,
        expected: str | None = None,
        found: object = None,
    ) -> None:
        self.message = message
        self.where = where
        self.path = path
        self.expected = expected
        self.found = found
        super().__init__(self.render())

    def render(self) -> str:
        """The one-paragraph text shown to the user."""
        parts = []
        if self.where:
            parts.append(f"{self.where}:")
        if self.path:
            parts.append(f"{self.path}:")
        parts.append(self.message)
        text = " ".join(parts)
        if self.expected is not None:
            text += f"; expected {self.expected}"
        if self.found is not None:
            text += f", found {shown(self.found)}"
        return text


def shown(value: object, inner: bool = False) -> str:
    """A value after "found", as a scenario file would write it: true/false and null, not
    Python's True and None; {a: 1} and [1, 2]; a date as written; text quoted (not inside
    a mapping or list)."""
    import datetime

    if isinstance(value, Words):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"binary data ({len(value)} bytes)"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{shown(k, True)}: {shown(v, True)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(shown(v, True) for v in value) + "]"
    if isinstance(value, str) and inner and value and value.strip() == value and all(
            ch.isalnum() or ch in "_.-/" for ch in value):
        return value
    return repr(value)


class MapError(SimdriveError):
    """A road-map description is invalid."""


class WorldError(SimdriveError):
    """Plain world data (actors, actions, environment) is invalid."""


class ScenarioError(SimdriveError):
    """A scenario file is invalid: names the file, line and column, and the key path.

    ``line`` and ``column`` are 1-based (as editors show them); ``hint`` is an
    extra sentence such as "did you mean 'speed'?".
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        path: str | None = None,
        expected: str | None = None,
        found: object = None,
        hint: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.hint = hint
        # a position in text with no file still says so; an error about a command-line
        # option (path "--objective") has no file to name
        where = file or ("<scenario>" if line is not None else None)
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(message, where=where, path=path, expected=expected, found=found)

    def render(self) -> str:
        text = super().render()
        if getattr(self, "hint", None):
            text += f"; {self.hint}"
        return text


class Words(str):
    """Text shown as it is after "found" (not quoted like a value the user wrote)."""

    __repr__ = str.__str__


def yaml_kind(value: object) -> Words:
    """What a YAML value is, in the words of a scenario file's author (for "found ...")."""
    import datetime

    if value is None:
        return Words("nothing (null)")
    if isinstance(value, bool):
        return Words("true or false")
    if isinstance(value, int | float):
        return Words("a number")
    if isinstance(value, str):
        return Words("text")
    if isinstance(value, dict):
        return Words("a mapping")
    if isinstance(value, list | tuple):
        return Words("a list")
    if isinstance(value, datetime.date):
        return Words("a date")
    return Words(type(value).__name__)
