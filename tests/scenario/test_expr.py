"""Specification of the expression language used by requirements and search objectives."""

from __future__ import annotations

import ast
import inspect
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simdrive.errors import ScenarioError
from simdrive.scenario import expr as expr_module
from simdrive.scenario import expr_tree as expr_tree_module
from simdrive.scenario.expr import MAX_DEPTH, MAX_LENGTH, Expr, parse

NAMES = {
    "min_ttc": ("smallest time to collision over the run, s", "number"),
    "collision": ("whether the ego collided", "bool"),
    "near_miss": ("whether any actor came within 0.5 m", "bool"),
    "ego.max_decel": ("ego's hardest braking, m/s^2", "number"),
    "ego.speed_at_impact": ("ego speed at the first impact, m/s", "number"),
}
FUNCTIONS = {"min_distance": 2, "min_ttc": 2}
ACTORS = {"ego", "child", "lead"}


def compile_expression(text: str, **options) -> Expr:
    return parse(text, names=NAMES, functions=FUNCTIONS, actors=ACTORS, **options)


def evaluate(text: str, **env) -> float | bool:
    env = {"min_ttc": 2.0, "collision": False, "near_miss": True, "ego.max_decel": 7.0,
           "ego.speed_at_impact": 9.0, **{k.replace("__", "."): v for k, v in env.items()}}
    return compile_expression(text).evaluate(env, lambda function, actors: 1.25)


# --- precedence, associativity and values ---

@pytest.mark.parametrize(("text", "value"), [
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("10 - 3 - 2", 5), ("2 - 3 + 4", 3),
    ("8 / 4 / 2", 1), ("6 / 3 * 2", 4), ("2 * 3 / 4", 1.5), ("-2 * 3", -6), ("2 * -3", -6),
    ("- 2 - 3", -5), ("--2", 2), ("-(2 - 3)", 1), ("1e-3 * 1000", 1), ("1.5e2 + .5", 150.5),
    ("2.", 2), ("1E+2", 100), ("min_ttc * 2 + ego.max_decel", 11),
    ("min_distance(ego, child) * 4", 5),
])
def test_arithmetic_follows_precedence_and_is_left_associative(text, value):
    assert evaluate(text) == value


@pytest.mark.parametrize(("text", "value"), [
    ("true or false and false", True),  # and binds tighter than or
    ("false and true or true", True),
    ("not false and false", False),  # not binds tighter than and
    ("not true or true", True),
    ("not 1 < 2", False),  # comparison binds tighter than not
    ("not not true", True),
    ("1 + 2 < 4", True),  # arithmetic binds tighter than comparison
    ("1 < 2 < 3", True), ("1 < 3 < 2", False), ("3 > 2 > 1", True), ("2 > 1 < 3", True),
    ("1 == 1 != 2", True), ("1 <= 1 >= 1", True),
    ("collision", False), ("not collision or min_ttc < 1", True),
    ("collision and ego.speed_at_impact > 8", False),
    ("near_miss and ego.max_decel > 6", True),
])
def test_boolean_operators_follow_precedence(text, value):
    assert evaluate(text) is value


@pytest.mark.parametrize(("min_ttc", "inside"), [(2.0, True), (0.5, False), (3.0, False)])
def test_chained_comparison_means_every_adjacent_pair_holds(min_ttc, inside):
    assert evaluate("1 < min_ttc < 3", min_ttc=min_ttc) is inside


def test_chained_comparison_stops_at_the_first_false_pair():
    calls = []
    expression = compile_expression("1 > 2 < min_distance(ego, child)")
    assert expression.evaluate({}, lambda *call: calls.append(call) or 0.0) is False
    assert calls == []


@pytest.mark.parametrize(("text", "value"), [
    ("1 / zero", math.inf), ("-1 / zero", -math.inf), ("1 / -zero", -math.inf),
    ("0 / zero", math.nan), ("min_ttc / zero", math.inf), ("1 / -0", -math.inf),
    ("1e308 * 10", math.inf), ("1e999 - 1e999", math.nan),
])
def test_division_by_zero_and_overflow_follow_ieee_without_raising(text, value):
    """A metric that is 0 in a run divides as IEEE 754 says (a divisor written as the
    number 0 is refused: test_a_written_zero_divisor_is_refused)."""
    expression = compile_expression(text.replace("zero", "ego.max_decel"))
    env = {"min_ttc": 2.0, "ego.max_decel": 0.0}
    single = expression.evaluate(env)
    many = expression.evaluate_many({name: np.array([v, v]) for name, v in env.items()})
    np.testing.assert_array_equal([single, *many], [value] * 3)


@pytest.mark.parametrize("text", ["1 / 0", "min_ttc / 0.0 < 1", "min_ttc / (0)", "2 * (1 / 0)"])
def test_a_written_zero_divisor_is_refused(text):
    with pytest.raises(ScenarioError, match="division by the constant 0"):
        compile_expression(text)


def test_type_variables_and_calls_are_reported():
    expression = compile_expression(
        "collision and min_distance(ego, child) < 1.5 or min_ttc(ego, lead) < min_ttc"
        " and min_distance(ego, child) > 0")
    assert expression.type == "bool"
    assert expression.variables() == ("collision", "min_ttc")
    assert expression.calls() == (("min_distance", ("ego", "child")), ("min_ttc", ("ego", "lead")))
    assert compile_expression("ego.max_decel * 2").type == "number"


def test_a_name_given_only_a_description_is_a_number():
    assert parse("speed + 1", names={"speed": "ego speed, m/s"}, functions={}).type == "number"


def test_any_actor_name_is_accepted_when_actors_is_none():
    expression = parse("f(anyone, at_all)", names={}, functions={"f": 2})
    assert expression.evaluate({}, lambda function, actors: len(actors)) == 2.0


@pytest.mark.parametrize(("text", "normalised"), [
    ("min_ttc<2.0", "min_ttc < 2"), ("(1+2)*3", "(1 + 2) * 3"), ("1+(2*3)", "1 + 2 * 3"),
    ("1-(2-3)", "1 - (2 - 3)"), ("not(collision)or(near_miss)", "not collision or near_miss"),
    ("-(-(1))", "--1"), ("min_distance( ego ,child )>1e-3", "min_distance(ego, child) > 0.001"),
    ("1 < min_ttc<=3", "1 < min_ttc <= 3"), ("1e999 > 0", "1e999 > 0"),
])
def test_str_gives_a_normalised_form_that_parses_to_the_same_tree(text, normalised):
    expression = compile_expression(text)
    assert str(expression) == normalised
    assert compile_expression(str(expression)) == expression


# --- errors: kind, message and exact column ---

ERRORS = [
    ("min_tcc < 2", 0, "unknown name 'min_tcc'", "did you mean 'min_ttc'?"),
    ("min_ttc < 2 and colision", 16, "unknown name 'colision'", "did you mean 'collision'?"),
    ("ego.max_decl > 6", 0, "unknown name 'ego.max_decl'", "did you mean 'ego.max_decel'?"),
    ("True", 0, "unknown name 'True'", "did you mean 'true'?"),
    ("min_distanse(ego, child) < 1", 0, "unknown function 'min_distanse'",
     "did you mean 'min_distance'?"),
    ("collision(ego)", 0, "'collision' is not a function", None),
    ("min_distance < 2", 0, "'min_distance' is a function", "call it with 2 actor names"),
    ("min_distance(ego) < 1", 16, "too few arguments to min_distance()", None),
    ("min_distance(ego, child, lead) < 1", 25, "too many arguments to min_distance()", None),
    ("min_distance(ego, chld) < 1", 18, "unknown actor 'chld'", "did you mean 'child'?"),
    ("min_distance(ego, 2) < 1", 18, "unexpected '2'", None),
    ("min_distance(ego child) < 1", 17, "unexpected 'child'", None),
    ("min_ttc < 2 )", 12, "unmatched ')'", None),
    ("(min_ttc < 2", 0, "'(' is never closed", None),
    ("min_ttc < (1 + 2", 10, "'(' is never closed", None),
    ("min_distance(ego, child", 12, "'(' is never closed", None),
    ("min_ttc 2", 8, "unexpected '2'", None),
    ("min_ttc < 2 collision", 12, "unexpected 'collision'", None),
    ("min_ttc <", 9, "expression ends too early", None),
    ("min_ttc < 2 and  ", 15, "expression ends too early", None),
    ("min_ttc < * 2", 10, "unexpected '*'", None),
    ("()", 1, "unexpected ')'", None),
    ("min_ttc < $", 10, "unexpected character '$'", None),
    ("min_ttc < 2 && collision", 12, "unexpected character '&'", "write 'and'"),
    ("min_ttc = 2", 8, "unexpected character '='", "compare with '=='"),
    ("", 0, "empty expression", None),
    ("   ", 0, "empty expression", None),
    ("collision and min_ttc", 14, "'and' needs true/false operands, but 'min_ttc' is a number",
     "compare it"),
    ("min_ttc or collision", 0, "'or' needs true/false operands", None),
    ("not min_ttc", 4, "'not' needs true/false operands", None),
    ("collision + 1 > 0", 0, "'+' needs numbers, but 'collision' is true/false", "not collision"),
    ("-collision", 1, "'-' needs numbers", None),
    ("collision < 2", 0, "'<' needs numbers", None),
    ("min_ttc < 2 < collision", 14, "'<' needs numbers", None),
    ("collision == true", 0, "'==' needs numbers", None),
    ("(min_ttc < 1) * 2 > 0", 0, "'*' needs numbers, but 'min_ttc < 1' is true/false", None),
    ("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1), MAX_DEPTH, "nested too deeply", None),
    ("not " * (MAX_DEPTH + 1) + "true", 4 * MAX_DEPTH, "nested too deeply", None),
    ("-" * (MAX_DEPTH + 1) + "1 > 0", MAX_DEPTH, "nested too deeply", None),
]


@pytest.mark.parametrize(("text", "offset", "message", "hint"), ERRORS)
def test_error_names_the_problem_and_points_at_its_exact_column(text, offset, message, hint):
    with pytest.raises(ScenarioError) as caught:
        compile_expression(text, file="scenario.yaml", line=7, column=12, path="require[0]")
    error = caught.value
    assert message in error.message
    assert (error.file, error.line, error.column, error.path) == (
        "scenario.yaml", 7, 12 + offset, "require[0]")
    if hint is not None:
        assert hint in error.hint
    *_, shown, caret = error.hint.splitlines()
    assert shown == "    " + text and caret == " " * (4 + offset) + "^"
    assert str(error).startswith(f"scenario.yaml:7:{12 + offset}: require[0]: ")


def test_error_column_counts_from_one_when_no_column_is_given():
    with pytest.raises(ScenarioError) as caught:
        compile_expression("min_ttc < 2 and colision")
    assert caught.value.column == 17


def test_unknown_name_lists_every_valid_name_with_its_description():
    with pytest.raises(ScenarioError) as caught:
        compile_expression("speed > 3")
    expected = caught.value.expected
    for name, (description, _) in NAMES.items():
        assert f"{name} ({description})" in expected
    assert caught.value.found is None and "did you mean" not in caught.value.hint


def test_unknown_actor_lists_the_actors():
    with pytest.raises(ScenarioError) as caught:
        compile_expression("min_ttc(ego, bus) < 1")
    assert caught.value.expected == "an actor name (one of child, ego, lead)"


def test_a_requirement_must_be_true_or_false():
    assert compile_expression("min_ttc < 2", want="bool").type == "bool"
    with pytest.raises(ScenarioError, match="gives a number, but a true/false condition"):
        compile_expression("min_ttc", want="bool", line=3, column=5)


def test_an_objective_must_be_a_number():
    assert compile_expression("min_distance(ego, child)", want="number").type == "number"
    with pytest.raises(ScenarioError, match="gives true/false, but a number is needed"):
        compile_expression("collision", want="number")


def test_expressions_longer_than_the_limit_are_refused():
    longest = "1 + " * ((MAX_LENGTH - 1) // 4) + "1"
    assert len(longest) <= MAX_LENGTH and compile_expression(longest).evaluate({}) == longest.count(
        "1")
    with pytest.raises(ScenarioError, match="too long") as caught:
        compile_expression(longest + " + 1", line=2, column=9)
    assert caught.value.column == 9


@pytest.mark.parametrize("text", [
    "(" * MAX_DEPTH + "1 > 0" + ")" * MAX_DEPTH,
    "not " * MAX_DEPTH + "true",
    "-" * MAX_DEPTH + "1 > 0",
    "(-" * (MAX_DEPTH // 2) + "1" + ")" * (MAX_DEPTH // 2) + " > 0",
    "(not " * (MAX_DEPTH // 2) + "collision" + ")" * (MAX_DEPTH // 2),
])
def test_nesting_up_to_the_limit_parses_evaluates_and_prints(text):
    expression = compile_expression(text)
    env = {"collision": True}
    assert expression.evaluate(env) == expression.evaluate_many({"collision": np.ones(3)})[0]
    assert compile_expression(str(expression)) == expression


def test_a_non_text_expression_is_an_error():
    with pytest.raises(ScenarioError, match="must be text"):
        compile_expression(True, line=1, column=3)


# --- vectorised evaluation agrees with the scalar reference ---

NUMBER_ATOMS = st.sampled_from([
    "0", "1", "2.5", "1e-3", "0.0", "min_ttc", "ego.max_decel", "ego.speed_at_impact",
    "min_distance(ego, child)", "min_ttc(ego, lead)",
])
BOOL_ATOMS = st.sampled_from(["true", "false", "collision", "near_miss"])


def _join(operator_strategy, operands):
    """``a op b``, sometimes parenthesised; the types stay sound either way."""
    return st.builds(lambda a, op, b, paren: f"({a} {op} {b})" if paren else f"{a} {op} {b}",
                     operands, operator_strategy, operands, st.booleans())


NUMBER_EXPRESSIONS = st.recursive(
    NUMBER_ATOMS,
    lambda inner: _join(st.sampled_from("+-*/"), inner) | inner.map(lambda text: f"-{text}"),
    max_leaves=8,
)
COMPARISONS = st.builds(
    lambda first, rest: first + "".join(f" {op} {operand}" for op, operand in rest),
    NUMBER_EXPRESSIONS,
    st.lists(st.tuples(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), NUMBER_EXPRESSIONS),
             min_size=1, max_size=2),
)
BOOL_EXPRESSIONS = st.recursive(
    BOOL_ATOMS | COMPARISONS,
    lambda inner: _join(st.sampled_from(["and", "or"]), inner) | inner.map(lambda t: f"not {t}"),
    max_leaves=6,
)
SPECIAL_VALUES = [0.0, -0.0, 1.0, -2.5, 3.0, 1e-3, 1e308, math.inf, -math.inf, math.nan]


@settings(max_examples=300, deadline=None)
@given(text=NUMBER_EXPRESSIONS | BOOL_EXPRESSIONS, seed=st.integers(0, 2**32 - 1))
def test_evaluate_many_equals_evaluate_row_by_row(text, seed):
    try:
        expression = compile_expression(text)
    except ScenarioError as error:  # the one parse error a generated text may meet
        assert "division by the constant 0" in str(error)
        assume(False)
    rows = 6
    rng = np.random.default_rng(seed)
    env = {name: (rng.random(rows) < 0.5) if kind == "bool" else rng.choice(SPECIAL_VALUES, rows)
           for name, (_, kind) in NAMES.items()}
    results = {call: rng.choice(SPECIAL_VALUES, rows)
               for call in [("min_distance", ("ego", "child")), ("min_ttc", ("ego", "lead"))]}
    many = expression.evaluate_many(env, lambda function, actors: results[function, actors])
    single = [
        expression.evaluate({name: values[row].item() for name, values in env.items()},
                            lambda function, actors, row=row: results[function, actors][row].item())
        for row in range(rows)
    ]
    assert many.shape == (rows,)
    assert many.dtype == (bool if expression.type == "bool" else np.float64)
    np.testing.assert_array_equal(many, single)
    assert compile_expression(str(expression)) == expression


def test_a_constant_expression_gives_one_value_per_run():
    expression = compile_expression("1 < 2")
    assert expression.evaluate_many({"min_ttc": np.zeros(4)}).tolist() == [True] * 4
    assert expression.evaluate_many({}, size=3).tolist() == [True] * 3


# --- safety: only ScenarioError, and nothing but the given names and functions ---

PIECES = st.sampled_from([
    "min_ttc", "collision", "ego.max_decel", "ego", "child", "min_distance", "min_ttc(",
    "(", ")", ",", ".", "and", "or", "not", "true", "false", "<", "<=", ">", ">=", "==", "!=",
    "=", "!", "+", "-", "*", "/", "**", "1", "2.5", "1e-3", "e", "0", "__import__", "'os'",
    " ", "\t", "\n", "x", "[", "]", "lambda", ":",
])


class RecordingEnv(dict):
    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


def _parse_and_evaluate_safely(text: str) -> None:
    try:
        expression = compile_expression(text)
    except ScenarioError:
        return
    env = RecordingEnv({name: 1.0 if kind == "number" else True
                        for name, (_, kind) in NAMES.items()})
    calls = []
    value = expression.evaluate(env, lambda *call: calls.append(call) or 2.0)
    assert env.read <= set(NAMES)
    assert all(function in FUNCTIONS and set(actors) <= ACTORS for function, actors in calls)
    assert isinstance(value, bool if expression.type == "bool" else float)


@settings(max_examples=500, deadline=None)
@given(st.lists(PIECES, max_size=40).map("".join) | st.lists(PIECES, max_size=40).map(" ".join))
def test_token_soup_only_ever_raises_scenario_error(text):
    _parse_and_evaluate_safely(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_only_ever_raises_scenario_error(text):
    _parse_and_evaluate_safely(text)


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "().__class__", "open('x')", "min_ttc.__class__",
    "exec('1')", "ego.max_decel.real", "(1).real", "1 if collision else 2", "lambda: 1",
    "[min_ttc]", "min_ttc ** 2", "9" * 5000,
])
def test_python_syntax_is_not_accepted(text):
    with pytest.raises(ScenarioError):
        compile_expression(text)


@pytest.mark.parametrize("module", [expr_module, expr_tree_module], ids=lambda m: m.__name__)
def test_module_never_uses_eval_exec_or_compile(module):
    source = inspect.getsource(module)
    for forbidden in ("eval(", "exec(", "literal_eval", "__import__", "getattr(", "globals("):
        assert forbidden not in source.replace("evaluate", "")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"eval", "exec", "compile", "__import__", "getattr"}
