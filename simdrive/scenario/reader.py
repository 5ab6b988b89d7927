"""Strict, positioned reading of YAML nodes into typed values.

A :class:`Reader` wraps one mapping node and the set of keys it may hold. It
turns each value into the expected type or raises a ScenarioError pointing at
the node (file, line, column, key path), with the closest valid key suggested
for a typo. Numeric and categorical fields may hold a distribution instead of
a constant: the reader registers it under its key path in ``params`` and
returns a :class:`Param` placeholder that a variant later fills in.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import unicodedata
from dataclasses import dataclass

from simdrive.errors import Words
from simdrive.scenario.distributions import Choice, Constant, Normal, Uniform, from_spec
from simdrive.scenario.yamlpos import Node

_MISSING = object()
DIST_KEYS = ("uniform", "normal", "choice", "range")


@dataclass(frozen=True)
class Param:
    """A value that varies between variants: the key path of its distribution."""

    path: str


def suggest(word: str, options) -> str | None:
    """'did you mean ...?' for the closest option, or None."""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


class Reader:
    """Typed access to a mapping node; every key must be read or it is an error."""

    def __init__(self, node: Node, allowed: dict[str, str], params: dict, what: str,
                 unlisted: tuple[str, ...] = ()) -> None:
        """``unlisted``: keys read (to refuse them with their own message, as the ego's
        id) but not offered in an unknown key's error."""
        if not node.is_mapping:
            raise node.error(f"{what} must be a mapping", expected="key: value pairs",
                             found=node.plain())
        offered = [k for k in allowed if k not in unlisted]
        for key, child in node.items():
            if key not in allowed:
                raise child.error(
                    f"unknown key {key!r} in {what}",
                    expected="one of " + ", ".join(offered), hint=suggest(key, offered),
                )
        self.node = node
        self.params = params
        self.what = what

    def has(self, key: str) -> bool:
        return self.node.get(key) is not None

    def child(self, key: str) -> Node | None:
        return self.node.get(key)

    def require(self, key: str) -> Node:
        child = self.node.get(key)
        if child is None:
            raise self.node.error(f"{self.what} needs the key {key!r}")
        return child

    # ---- scalars ---------------------------------------------------------------
    def number(self, key: str, *, default=_MISSING, low: float = -math.inf,
               high: float = math.inf, unit: str = "", varies: bool = True,
               why: str | None = None):
        """A float in [low, high] (unit for messages; ``why``: the bounds' reason, shown as
        the error's hint), or a Param if it is a distribution."""
        node = self.node.get(key)
        if node is None:
            if default is _MISSING:
                raise self.node.error(f"{self.what} needs {key!r}",
                                      expected=f"a number{_unit(unit)}")
            return default
        return read_number(node, self.params, low=low, high=high, unit=unit, varies=varies,
                           why=why)

    def integer(self, key: str, *, default=_MISSING, low: int = 0, high: int = 10**9) -> int:
        node = self.node.get(key)
        if node is None:
            if default is _MISSING:
                raise self.node.error(f"{self.what} needs {key!r}", expected="a whole number")
            return default
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int):
            raise node.error("not a whole number", expected="an integer", found=node.plain())
        if not low <= value <= high:
            raise node.error("out of range", expected=f"{low} to {high}", found=value)
        return value

    def text(self, key: str, *, choices=None, default=_MISSING, varies: bool = False):
        """A string (one of ``choices`` if given), or a Param for a choice distribution."""
        node = self.node.get(key)
        if node is None:
            if default is _MISSING:
                expected = "one of " + ", ".join(choices) if choices else "text"
                raise self.node.error(f"{self.what} needs {key!r}", expected=expected)
            return default
        return read_text(node, self.params, choices=choices, varies=varies)

    def name(self, key: str, what: str, *, default=_MISSING, identifier: bool = False,
             forbidden: str = "", reserved: tuple[str, ...] = ()) -> str:
        """A name (of the scenario, an actor, a camera): non-empty text without control or
        format characters (names are printed on terminals and written into datasets: an
        escape sequence would drive the terminal); ``identifier``: ASCII letters, digits
        and _, not starting with a digit (``require:`` expressions name actors); none of
        ``forbidden``'s characters."""
        value = self.text(key, default=default)
        node = self.node.get(key)
        if node is None:
            return value
        if not value.strip():
            raise node.error(f"{what} is empty", expected="a name, e.g. " + (
                "child" if identifier else "front_wide"))
        bad = next((ch for ch in value if unicodedata.category(ch)[0] == "C"
                    or unicodedata.category(ch) in ("Zl", "Zp")), None)
        if bad is not None:
            raise node.error(f"{what} holds the control character U+{ord(bad):04X} (names are "
                             "printed on terminals and written into datasets)",
                             expected="letters, digits, spaces and punctuation",
                             found=Words(json.dumps(value)))
        if identifier and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            fixed = re.sub(r"\W", "_", value, flags=re.ASCII)
            fixed = fixed if re.match(r"[A-Za-z_]", fixed) else "_" + fixed
            raise node.error(f"{what} {value!r} is not a name require: expressions can use",
                             expected="ASCII letters, digits and _, not starting with a digit",
                             found=value, hint=f"e.g. {fixed!r}")
        if value != value.strip():
            raise node.error(f"{what} {value!r} starts or ends with a space (the command line "
                             "strips them)", expected="a name without surrounding spaces",
                             found=value)
        if value in reserved:
            raise node.error(f"{what} {value!r} is also a class's or a weather's name, "
                             "which the box filter options use (--min-height 8,car=4 is the "
                             "class's value)", expected="a name that is no actor kind or "
                             f"weather, e.g. {value}_cam", found=value)
        used = sorted({ch for ch in value if ch in forbidden})
        if used:
            raise node.error(f"{what} {value!r} holds {' and '.join(map(repr, used))} (the "
                             "command line puts , and = between names, --cameras a,b and "
                             "--min-height 8,bev=0; / and \\ would make a saved file's name "
                             "a folder)", expected="a name without " + " ".join(forbidden),
                             found=value)
        return value

    def boolean(self, key: str, *, default: bool, varies: bool = False):
        """true or false, or (if ``varies``) a Param for a choice of them
        (``{choice: [true, false]}``: a variant dimension, griddable like any choice)."""
        node = self.node.get(key)
        if node is None:
            return default
        if node.is_mapping and varies:
            dist = _distribution(node)
            options = dist.values() if dist.discrete else ()
            if not isinstance(dist, (Choice, Constant)) or not all(
                    isinstance(o, bool) for o in options):
                raise node.error("a true-or-false value varies by a choice of true and false",
                                 expected="{choice: [true, false]}", found=node.plain())
            self.params[node.path] = dist
            return Param(node.path)
        if not isinstance(node.value, bool):
            raise node.error("not true or false", expected="true or false" + (
                " or {choice: [true, false]}" if varies else ""), found=node.plain())
        return node.value


def _unit(unit: str) -> str:
    return f" in {unit}" if unit else ""


def _distribution(node: Node):
    try:
        return from_spec(node.plain())
    except ValueError as error:
        raise node.error(f"invalid distribution: {error}") from None


def read_number(node: Node, params: dict, *, low=-math.inf, high=math.inf, unit="",
                varies=True, why: str | None = None):
    """A constant number or (if ``varies``) a distribution registered under node.path."""
    value = node.value
    if node.is_mapping and varies:
        keys = list(node.keys())
        if len(keys) != 1 or keys[0] not in DIST_KEYS:
            several = len(keys) > 1 and all(k in DIST_KEYS for k in keys)
            unknown = [k for k in keys if k not in DIST_KEYS]
            raise node.error(
                "a distribution has exactly one key" if several
                else "not a number or a distribution",
                expected="a number or one of {uniform, normal, choice, range}",
                found=node.plain(), hint=suggest(unknown[0], DIST_KEYS) if unknown else None)
        dist = _distribution(node)
        if isinstance(dist, Normal):
            if dist.low is None and dist.high is None and not low <= dist.mean <= high:
                # (a tail on purpose names its bounds: {normal: {mean, std, min, max}})
                raise node.error(
                    "the normal's mean lies outside the field's valid range: clipped to it, "
                    "nearly every value would come out at its bound",
                    expected=f"a mean within {_range_text(low, high)}{_unit(unit)}, or "
                    "explicit min and max", found=node.plain())
            # an unclipped normal is clipped to the field's valid range
            clip_low = dist.low if dist.low is not None else (low if low > -math.inf else None)
            clip_high = dist.high if dist.high is not None else (
                high if high < math.inf else None)
            try:
                dist = Normal(dist.mean, dist.std, clip_low, clip_high)
            except ValueError as error:  # e.g. nothing of it within the field's range
                raise node.error(f"invalid distribution: {error}",
                                 expected=f"{_range_text(low, high)}{_unit(unit)}") from None
        _check_support(node, dist, low, high, unit, why)
        params[node.path] = dist
        return Param(node.path)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        quoted = (node.quoted and isinstance(value, str)
                  and re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)\s*", value))
        raise node.error("not a number", expected=f"a number{_unit(unit)}", found=node.plain(),
                         hint=_exponent_hint(value) or (
                             "a number in quotes is text: write it without them" if quoted
                             else None))
    if not math.isfinite(value) or not low <= value <= high:
        raise node.error("out of range", expected=f"{_range_text(low, high)}{_unit(unit)}",
                         found=value, hint=why)
    return float(value)


def _exponent_hint(value) -> str | None:
    """PyYAML (YAML 1.1) reads a number with an exponent as text unless it has a decimal
    point and a signed exponent (1e-9, 1.0e5 are text; 1.0e-9, 1.0e+5 are numbers): say
    how to write it."""
    match = re.fullmatch(r"\s*([-+]?[0-9]+)(\.[0-9]*)?[eE]([-+]?)([0-9]+)\s*", str(value))
    if not isinstance(value, str) or match is None:
        return None
    whole, fraction, sign, exponent = match.groups()
    fix = f"{whole}{fraction if fraction and fraction != '.' else '.0'}e{sign or '+'}{exponent}"
    if not math.isfinite(float(fix)):  # 1e400: no way to write it helps
        return f"YAML reads {value.strip()} as text, and it is beyond any float besides"
    return f"YAML reads {value.strip()} as text; write {fix}"


def read_text(node: Node, params: dict, *, choices=None, varies=False):
    """A string (from ``choices``), or (if ``varies``) a choice distribution of them."""
    if node.is_mapping and varies:
        dist = _distribution(node)
        options = dist.values() if dist.discrete else ()
        if not isinstance(dist, (Choice, Constant)):
            raise node.error("a categorical value takes a choice",
                             expected="{choice: [...]}", found=node.plain())
        for option in options:
            if choices is not None and option not in choices:
                raise node.error(f"unknown option {option!r}",
                                 expected="one of " + ", ".join(choices),
                                 hint=suggest(option, choices))
        params[node.path] = dist
        return Param(node.path)
    if not isinstance(node.value, str):
        raise node.error("not text", expected="one of " + ", ".join(choices) if choices else
                         "text", found=node.plain())
    if choices is not None and node.value not in choices:
        raise node.error(f"unknown value {node.value!r}", expected="one of " + ", ".join(choices),
                         hint=suggest(node.value, choices))
    return node.value


def _range_text(low, high) -> str:
    if low > -math.inf and high < math.inf:
        return f"a number from {low:g} to {high:g}"
    if low > -math.inf:
        return f"a number >= {low:g}"
    if high < math.inf:
        return f"a number <= {high:g}"
    return "a finite number"


def _check_support(node: Node, dist, low, high, unit, why: str | None = None) -> None:
    if isinstance(dist, Uniform):
        lo, hi = dist.low, dist.high
    elif isinstance(dist, Normal):
        lo = dist.low if dist.low is not None else -math.inf
        hi = dist.high if dist.high is not None else math.inf
    elif dist.discrete:
        values = list(dist.values())
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise node.error("a number field takes numbers", found=node.plain())
        lo, hi = min(values), max(values)
    else:
        return
    if lo < low or hi > high:
        raise node.error("distribution reaches outside the valid range",
                         expected=f"{_range_text(low, high)}{_unit(unit)}",
                         found=node.plain(), hint=why)
