"""A small, safe expression language for post-run requirements and search objectives.

Scenario files state requirements (``require: [min_ttc < 2.0]``) and objectives
(``min_distance(ego, child)``) over a fixed set of run metrics. The text is
tokenized and parsed by hand (recursive descent; nothing ever reaches ``eval``),
type-checked at parse time, and evaluated on one run (:meth:`Expr.evaluate`) or
on many runs at once with numpy (:meth:`Expr.evaluate_many`); the tree and its
evaluation live in simdrive.scenario.expr_tree. Grammar, loosest
binding first::

    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)*
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | atom
    atom       := number | "true" | "false" | name | name "(" actors ")" | "(" or_expr ")"

Names may be dotted (``ego.max_decel``); ``1 < min_ttc < 3`` means
``1 < min_ttc and min_ttc < 3``. Division follows IEEE 754: ``x / 0`` is inf,
-inf or nan, never an exception (a divisor written as the number 0 is refused).
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import replace
from typing import NamedTuple

from simdrive.errors import ScenarioError
from simdrive.scenario.expr_tree import (
    BINDING,
    BOOL,
    LEVELS,
    NUMBER,
    Call,
    Chain,
    Expr,
    Literal,
    Node,
    Unary,
    Variable,
    render,
)

MAX_LENGTH = 1000  # characters of expression text
MAX_DEPTH = 50  # nested parentheses, 'not' and unary '-'

_KEYWORDS = ("and", "or", "not", "true", "false")
_NAME = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_TOKEN = re.compile(rf"(?P<space>\s+)|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
                    rf"|(?P<name>{_NAME})|(?P<op><=|>=|==|!=|[-+*/<>(),])", re.ASCII)
_IS_NAME = re.compile(_NAME + r"\Z", re.ASCII)
_CHARACTER_HINTS = {"&": "write 'and'", "|": "write 'or'", "!": "write 'not' (or '!=')",
                    "=": "compare with '=='", "'": "names are written without quotes",
                    '"': "names are written without quotes"}
COMPARE_HINT = "compare it with a number using <, <=, >, >=, == or !="


def _suggest(word: str, options: Collection[str]) -> str | None:
    if word.lower() in _KEYWORDS and word not in options:
        return f"did you mean {word.lower()!r}?"
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


class Token(NamedTuple):
    kind: str  # "number", "name", "keyword", "op" or "end"
    text: str
    offset: int  # 0-based, into the expression text


class _Parser:
    def __init__(self, text: str, names: dict[str, tuple[str, str]], functions: Mapping[str, int],
                 actors: Collection[str] | None, where: dict, column: int | None,
                 locate=None, restricted: Mapping[str, tuple[Collection[str], str]] | None = None
                 ) -> None:
        self.text, self.names, self.functions, self.where = text, names, functions, where
        self.restricted = dict(restricted or {})
        self.column = 1 if column is None else column
        self.locate = locate
        self.actors = sorted(actors) if actors is not None else None
        self.tokens: list[Token] = []
        self.position = self.depth = 0

    def error(self, message: str, offset: int, *, hint: str | None = None, caret: bool = True,
              **details) -> ScenarioError:
        """A ScenarioError at ``offset`` into the text, which it shows with a caret."""
        if caret:
            shown = re.sub(r"\s", " ", self.text)  # tabs and newlines would shift the caret
            hint = f"{hint or 'here:'}\n    {shown}\n    {' ' * offset}^"
        where = dict(self.where, column=self.column + offset)
        if self.locate is not None:  # a text written over several lines
            where["line"], where["column"] = self.locate(offset)
        return ScenarioError(message, **where, hint=hint, **details)

    def tokenize(self) -> None:
        offset = 0
        while offset < len(self.text):
            match = _TOKEN.match(self.text, offset)
            if match is None:
                char = self.text[offset]
                raise self.error(f"unexpected character {char!r}", offset,
                                 hint=_CHARACTER_HINTS.get(char))
            kind, offset = match.lastgroup, match.end()
            if kind != "space":
                kind = "keyword" if match.group() in _KEYWORDS else kind
                self.tokens.append(Token(kind, match.group(), match.start()))
        self.tokens.append(Token("end", "", len(self.text.rstrip())))

    @property
    def peek(self) -> Token:
        return self.tokens[self.position]

    def take(self) -> Token:
        self.position += 1
        return self.tokens[self.position - 1]

    def at(self, *texts: str) -> bool:
        return self.peek.kind in ("op", "keyword") and self.peek.text in texts

    @contextlib.contextmanager
    def nested(self, token: Token) -> Iterator[None]:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"expression is nested too deeply (more than {MAX_DEPTH} levels)",
                             token.offset)
        yield
        self.depth -= 1

    def unexpected(self, token: Token, expected: str) -> ScenarioError:
        message = "expression ends too early" if token.kind == "end" else (
            f"unexpected {token.text!r}")
        return self.error(message, token.offset, expected=expected)

    def check(self, node: Node, want: str, op: str) -> Node:
        if node.type == want:
            return node
        text = render(node)
        text = text if len(text) <= 40 else text[:37] + "..."
        if want == BOOL:
            raise self.error(f"{op!r} needs true/false operands, but {text!r} is a number",
                             node.offset, hint=COMPARE_HINT)
        raise self.error(f"{op!r} needs numbers, but {text!r} is true/false", node.offset,
                         hint=f"use a true/false value on its own or with 'not' ('not {text}')")

    def parse(self) -> Node:
        self.tokenize()
        if self.peek.kind == "end":
            raise self.error("empty expression", 0, expected="an expression such as 'min_ttc < 2'")
        node = self.expression()
        if self.at(")"):
            raise self.error("unmatched ')'", self.peek.offset, hint="remove it or add a '('")
        if self.peek.kind != "end":
            raise self.unexpected(self.peek, "an operator such as 'and', '<' or '+', or the end")
        return node

    def expression(self, level: int = 0) -> Node:
        """Operands joined by the operators of ``LEVELS[level]`` or tighter ones."""
        if level == len(LEVELS):  # unary minus, then an atom
            if self.at("-"):
                return self.prefix(NUMBER, functools.partial(self.expression, level))
            return self.atom()
        if LEVELS[level] == ("not",):
            if self.at("not"):
                return self.prefix(BOOL, functools.partial(self.expression, level))
            return self.expression(level + 1)
        want = BOOL if level < BINDING["not"] else NUMBER
        first = self.expression(level + 1)
        if not self.at(*LEVELS[level]):
            return first
        ops, operands = [], [self.check(first, want, self.peek.text)]
        while self.at(*LEVELS[level]):
            ops.append(self.take().text)
            operands.append(self.check(self.expression(level + 1), want, ops[-1]))
            divisor = operands[-1]
            if ops[-1] == "/" and isinstance(divisor, Literal) and divisor.value == 0:
                raise self.error("division by the constant 0: the value would be inf or nan "
                                 "in every run", divisor.offset,
                                 expected="a divisor other than 0")
        return Chain(tuple(ops), tuple(operands), first.offset)

    def prefix(self, want: str, parse_operand: Callable[[], Node]) -> Node:
        """``-`` or ``not`` and its operand."""
        token = self.take()
        with self.nested(token):
            return Unary(token.text, self.check(parse_operand(), want, token.text), token.offset)

    def atom(self) -> Node:
        token = self.peek
        if token.kind == "number":
            return Literal(float(self.take().text), NUMBER, token.offset)
        if self.at("true", "false"):
            return Literal(self.take().text == "true", BOOL, token.offset)
        if token.kind == "name":
            self.take()
            return self.call(token) if self.at("(") else self.variable(token)
        if not self.at("("):
            raise self.unexpected(token, "a number, a name, 'not', '-' or '('")
        self.take()
        with self.nested(token):
            inner = self.expression()
        self.close(token)
        return replace(inner, offset=token.offset)

    def close(self, opening: Token) -> None:
        if self.peek.kind == "end":
            raise self.error("'(' is never closed", opening.offset, hint="add a ')'")
        if not self.at(")"):
            raise self.unexpected(self.peek, "')' or an operator")
        self.take()

    def variable(self, token: Token) -> Node:
        name = token.text
        if name in self.names:
            return Variable(name, self.names[name][1], token.offset)
        if name in self.functions:
            raise self.error(f"{name!r} is a function", token.offset,
                             hint=f"call it with {_actor_count(self.functions[name])}: {name}(...)")
        listing = ", ".join(f"{n} ({description})" for n, (description, _) in self.names.items())
        raise self.error(f"unknown name {name!r}", token.offset, expected=f"one of {listing}",
                         hint=_suggest(name, [*self.names, *self.functions]))

    def call(self, token: Token) -> Node:
        name, opening = token.text, self.take()
        if name not in self.functions:
            message = f"{name!r} is not a function" if name in self.names else (
                f"unknown function {name!r}")
            listing = ", ".join(f"{f}({_actor_count(n)})" for f, n in self.functions.items())
            raise self.error(message, token.offset, expected=f"one of {listing}",
                             hint=_suggest(name, self.functions))
        arity, actors = self.functions[name], []
        while not self.at(")") and self.peek.kind != "end":
            if actors and not self.at(","):
                raise self.unexpected(self.peek, "',' or ')'")
            if actors:
                self.take()
            if len(actors) == arity:
                raise self.error(f"too many arguments to {name}()", self.peek.offset,
                                 expected=_actor_count(arity))
            actors.append(self.actor(name))
        closing = self.peek
        self.close(opening)
        if len(actors) < arity:
            raise self.error(f"too few arguments to {name}()", closing.offset,
                             expected=_actor_count(arity), found=len(actors))
        return Call(name, tuple(actors), token.offset)

    def actor(self, function: str) -> str:
        token = self.peek
        listing = f" (one of {', '.join(self.actors)})" if self.actors else ""
        if token.kind != "name" or "." in token.text:
            raise self.unexpected(token, "an actor name" + listing)
        if self.actors is not None and token.text not in self.actors:
            raise self.error(f"unknown actor {token.text!r} in {function}()", token.offset,
                             expected="an actor name" + listing,
                             hint=_suggest(token.text, self.actors))
        if function in self.restricted:
            allowed, why = self.restricted[function]
            if token.text not in allowed:
                listing = ", ".join(sorted(allowed)) or "none here"
                raise self.error(f"{function}({token.text}): {token.text} {why}",
                                 token.offset, expected=f"one of {listing}")
        return self.take().text


def _actor_count(n: int) -> str:
    return "1 actor name" if n == 1 else f"{n} actor names"


def parse(text: str, *, names: Mapping[str, str | tuple[str, str]],
          functions: Mapping[str, int] | None = None, actors: Collection[str] | None = None,
          want: str | None = None, file: str | None = None, line: int | None = None,
          column: int | None = None, path: str | None = None, locate=None,
          restricted: Mapping[str, tuple[Collection[str], str]] | None = None) -> Expr:
    """Parse and type-check an expression, or raise a ScenarioError pointing into it.

    ``names`` maps each variable to a description, or to ``(description, type)``
    with type "bool" or "number" (the default). ``functions`` maps function names
    to their number of actor arguments; they return numbers. ``actors`` limits
    those arguments (None: any name). ``want`` ("bool" or "number") requires the
    expression's type. ``line`` and ``column`` (1-based) say where the text
    starts in its file; an error's column is that column plus the offset of the
    offending token (without them, the column counts from 1 in the text); ``locate``, if
    given, maps an offset to its (line, column) instead (a text written over several
    lines: sourcepos.scalar_locator). ``restricted`` maps a function to (the actors it
    takes, why another is refused: "has no actions").
    """
    typed = {}
    for name, spec in names.items():
        description, kind = (spec, NUMBER) if isinstance(spec, str) else spec
        if kind not in (BOOL, NUMBER) or not _IS_NAME.match(name) or name in _KEYWORDS:
            raise ValueError(f"bad variable {name!r}: {spec!r}")
        typed[name] = (description, kind)
    if want not in (None, BOOL, NUMBER):
        raise ValueError(f"want must be None, 'bool' or 'number', not {want!r}")
    where = {"file": file, "line": line, "path": path}
    parser = _Parser(text if isinstance(text, str) else "", typed, dict(functions or {}), actors,
                     where, column, locate, restricted)
    if not isinstance(text, str):
        raise parser.error("an expression must be text", 0, caret=False, found=text,
                           expected="an expression such as 'min_ttc < 2'")
    if len(text) > MAX_LENGTH:
        raise parser.error(f"expression is too long ({len(text)} characters, the limit is "
                           f"{MAX_LENGTH})", 0, caret=False)
    expr = Expr(parser.parse(), text)
    if want == BOOL and expr.type == NUMBER:
        raise parser.error("this expression gives a number, but a true/false condition is "
                           "needed", 0, expected="a condition such as 'min_ttc < 2'",
                           hint=COMPARE_HINT)
    if want == NUMBER and expr.type == BOOL:
        raise parser.error("this expression gives true/false, but a number is needed", 0,
                           expected="a number to minimise, such as a metric or a distance")
    return expr


__all__ = ["BOOL", "MAX_DEPTH", "MAX_LENGTH", "NUMBER", "Expr", "parse"]
