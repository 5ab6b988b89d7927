"""Syntax tree of the expression language (simdrive.scenario.expr): nodes, the
parsed ``Expr``, evaluation on one run or on many at once, and rendering.

Nodes are frozen and comparable; ``offset`` is where a node starts in the text.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

BOOL, NUMBER = "bool", "number"
COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
            "==": operator.eq, "!=": operator.ne}


def _divide(a: float, b: float) -> float:
    """a / b with IEEE 754 results for a zero divisor (inf, -inf or nan)."""
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": _divide}
_ARITHMETIC_MANY = {**_ARITHMETIC, "/": np.divide}
# Operators from loosest to tightest binding; unary '-' binds tighter still.
LEVELS = (("or",), ("and",), ("not",), tuple(COMPARE), ("+", "-"), ("*", "/"))
BINDING = {op: level + 1 for level, ops in enumerate(LEVELS) for op in ops}


# Syntax tree: frozen and comparable; ``offset`` is where a node starts in the text (0-based).

@dataclass(frozen=True)
class Literal:
    value: float | bool
    type: str
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    """``function(actor, ...)``; every function returns a number."""

    function: str
    actors: tuple[str, ...]
    offset: int = field(default=0, compare=False)
    type: ClassVar[str] = NUMBER


@dataclass(frozen=True)
class Unary:
    """``-operand`` or ``not operand``."""

    op: str
    operand: Node
    offset: int = field(default=0, compare=False)

    @property
    def type(self) -> str:
        return BOOL if self.op == "not" else NUMBER


@dataclass(frozen=True)
class Chain:
    """Operators of one level, flattened: ``a or b or c``, ``a + b - c``, ``a < b <= c``.

    Arithmetic runs left to right; a comparison chain holds when every adjacent pair does.
    """

    ops: tuple[str, ...]
    operands: tuple[Node, ...]
    offset: int = field(default=0, compare=False)

    @property
    def type(self) -> str:
        return NUMBER if self.ops[0] in _ARITHMETIC else BOOL


Node = Literal | Variable | Call | Unary | Chain
CallFn = Callable[[str, tuple[str, ...]], float]


def _no_call(function: str, actors: tuple[str, ...]):
    raise TypeError(f"the expression calls {function}() but no call function was given")


@dataclass(frozen=True)
class Expr:
    """A parsed, type-checked expression; ``str(expr)`` is its normalised text."""

    root: Node
    text: str = field(default="", compare=False)  # the source, as written

    @property
    def type(self) -> str:
        """'bool' for a condition, 'number' for a quantity."""
        return self.root.type

    def evaluate(self, env: Mapping[str, float | bool], call: CallFn = _no_call) -> float | bool:
        """The value for one run: ``env[name]`` gives variables, ``call(fn, actors)`` calls."""
        return _evaluate(self.root, env, call)

    def evaluate_many(self, env: Mapping[str, np.ndarray],
                      call: Callable[[str, tuple[str, ...]], np.ndarray] = _no_call,
                      *, size: int | None = None) -> np.ndarray:
        """Values for many runs at once: shape (n,), dtype bool or float64.

        ``env`` values and ``call`` results have shape (n,), one element per run.
        A constant expression is repeated ``size`` times (default: the length of
        the env arrays, or 1 when env is empty).
        """
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            result = _evaluate_many(self.root, env, call)
        result = np.asarray(result, dtype=bool if self.type == BOOL else np.float64)
        if result.ndim == 0 and size is None:
            size = len(next(iter(env.values()))) if env else 1
        return np.full(size, result) if result.ndim == 0 else result

    def variables(self) -> tuple[str, ...]:
        """Variable names used, in order of first appearance."""
        return tuple(dict.fromkeys(n.name for n in _walk(self.root) if isinstance(n, Variable)))

    def calls(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(function, actor names) pairs used, in order of first appearance."""
        return tuple(dict.fromkeys(
            (n.function, n.actors) for n in _walk(self.root) if isinstance(n, Call)))

    def __str__(self) -> str:
        return render(self.root)


def _walk(node: Node) -> Iterator[Node]:
    yield node
    children = (node.operand,) if isinstance(node, Unary) else ()
    for child in node.operands if isinstance(node, Chain) else children:
        yield from _walk(child)


def _evaluate(node: Node, env: Mapping, call: CallFn) -> float | bool:
    """Plain-Python evaluation of one run: the reference for :func:`_evaluate_many`."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Variable):
        return bool(env[node.name]) if node.type == BOOL else float(env[node.name])
    if isinstance(node, Call):
        return float(call(node.function, node.actors))
    if isinstance(node, Unary):
        value = _evaluate(node.operand, env, call)
        return not value if node.op == "not" else -value
    if node.ops[0] in ("and", "or"):
        values = (_evaluate(operand, env, call) for operand in node.operands)
        return any(values) if node.ops[0] == "or" else all(values)
    left = _evaluate(node.operands[0], env, call)
    for op, operand in zip(node.ops, node.operands[1:], strict=True):
        right = _evaluate(operand, env, call)
        if op in _ARITHMETIC:
            right = _ARITHMETIC[op](left, right)
        elif not COMPARE[op](left, right):  # stop early, like Python's chained comparisons
            return False
        left = right
    return left if node.type == NUMBER else True


def _evaluate_many(node: Node, env: Mapping, call) -> np.ndarray:
    """Vectorised evaluation: one array element per run."""
    if isinstance(node, Literal):
        return np.asarray(node.value, dtype=bool if node.type == BOOL else np.float64)
    if isinstance(node, (Variable, Call)):
        value = env[node.name] if isinstance(node, Variable) else call(node.function, node.actors)
        return np.asarray(value, dtype=bool if node.type == BOOL else np.float64)
    if isinstance(node, Unary):
        value = _evaluate_many(node.operand, env, call)
        return np.logical_not(value) if node.op == "not" else np.negative(value)
    values = [_evaluate_many(operand, env, call) for operand in node.operands]
    if node.ops[0] in ("and", "or"):
        return functools.reduce(np.logical_or if node.ops[0] == "or" else np.logical_and, values)
    if node.type == BOOL:
        pairs = zip(node.ops, values, values[1:], strict=False)
        return functools.reduce(np.logical_and, (COMPARE[op](a, b) for op, a, b in pairs))
    result = values[0]
    for op, value in zip(node.ops, values[1:], strict=True):
        result = _ARITHMETIC_MANY[op](result, value)
    return result


def _level(node: Node) -> int:
    """How tightly a node binds: or 1, and 2, not 3, comparison 4, + - 5, * / 6, - 7, atom 8."""
    if isinstance(node, Chain):
        return BINDING[node.ops[0]]
    if isinstance(node, Unary):
        return BINDING["not"] if node.op == "not" else 7
    return 8


def render(node: Node) -> str:
    def wrap(child: Node, least: int) -> str:
        return render(child) if _level(child) >= least else f"({render(child)})"

    if isinstance(node, Literal):
        if node.type == BOOL:
            return "true" if node.value else "false"
        if math.isinf(node.value):
            return "1e999"
        integral = node.value.is_integer() and node.value < 1e16
        return str(int(node.value)) if integral else repr(node.value)
    if isinstance(node, Variable):
        return node.name
    if isinstance(node, Call):
        return f"{node.function}({', '.join(node.actors)})"
    if isinstance(node, Unary):
        return ("not " if node.op == "not" else "-") + wrap(node.operand, _level(node))
    least = _level(node) + 1  # an operand of the same level was parenthesised in the source
    rest = (f" {op} {wrap(operand, least)}" for op, operand in zip(
        node.ops, node.operands[1:], strict=True))
    return wrap(node.operands[0], least) + "".join(rest)
