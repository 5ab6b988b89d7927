"""YAML loading with positions: exact positions and paths, strictness, and hostile input."""

from __future__ import annotations

import dataclasses
import datetime
import time

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from simdrive.errors import ScenarioError
from simdrive.scenario import yamlpos
from simdrive.scenario.yamlpos import Node, load_yaml, load_yaml_file

SCENARIO = """\
name: crossing
actors:
  - kind: car
    speed: 10
  - kind: pedestrian
    behavior:
      cross_road:
        speed: 1.5
"""


def error_for(text: str, file: str = "s.yaml") -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_yaml(text, file)
    return info.value


def error_quickly(text: str) -> ScenarioError:
    """The error of a hostile text, found in seconds: ~0.25 s here, 1.0 s once in CI on a
    busy host; expanding the alias bomb, say, would take hours (9**9 nodes)."""
    start = time.perf_counter()
    error = error_for(text)
    assert time.perf_counter() - start < 10.0
    return error


# ---- positions and paths -----------------------------------------------------------------


def test_nested_key_is_positioned_at_its_key_with_1_based_line_and_column():
    speed = load_yaml(SCENARIO, "s.yaml")["actors"][1]["behavior"]["cross_road"]["speed"]
    assert (speed.value, speed.file, speed.line, speed.column) == (1.5, "s.yaml", 8, 9)


def test_mapping_valued_key_is_positioned_at_the_key_not_the_next_line():
    behavior = load_yaml(SCENARIO, "s.yaml")["actors"][1]["behavior"]
    assert (behavior.line, behavior.column) == (6, 5)


def test_list_items_are_positioned_after_their_dash():
    actors = load_yaml(SCENARIO, "s.yaml")["actors"]
    assert [(item.line, item.column) for item in actors] == [(3, 5), (5, 5)]


def test_flow_items_are_positioned_at_each_item():
    items = load_yaml("xs: [10, 20,   30]\n", "s.yaml")["xs"]
    assert [(item.value, item.column) for item in items] == [(10, 6), (20, 10), (30, 16)]


def test_key_paths_join_keys_with_dots_and_indices_with_brackets():
    root = load_yaml(SCENARIO, "s.yaml")
    assert root.path == ""
    assert root["actors"][1].path == "actors[1]"
    assert root["actors"][1]["behavior"]["cross_road"]["speed"].path == (
        "actors[1].behavior.cross_road.speed")


def test_root_sequence_paths_start_with_an_index():
    assert load_yaml("- a\n- b\n", "s.yaml")[1].path == "[1]"


def test_alias_is_a_copy_positioned_and_pathed_where_it_is_used():
    root = load_yaml("base: &car {kind: car}\nactors:\n  - *car\n", "s.yaml")
    item = root["actors"][0]
    assert item.plain() == {"kind": "car"}
    assert (item.line, item.column, item.path) == (3, 5, "actors[0]")
    assert item["kind"].path == "actors[0].kind"


def test_mapping_keeps_file_order():
    assert list(load_yaml("b: 1\na: 2\nc: 3\n", "s.yaml").keys()) == ["b", "a", "c"]


# ---- Node helpers ------------------------------------------------------------------------


def test_node_error_is_prefilled_with_file_line_column_and_path():
    speed = load_yaml(SCENARIO, "s.yaml")["actors"][0]["speed"]
    error = speed.error("too fast", expected="at most 5", found=10, hint="slow down")
    assert (error.file, error.line, error.column, error.path) == ("s.yaml", 4, 5, "actors[0].speed")
    assert str(error) == (
        "s.yaml:4:5: actors[0].speed: too fast; expected at most 5, found 10; slow down")


def test_helpers_expose_kinds_keys_items_and_iteration():
    root = load_yaml(SCENARIO, "s.yaml")
    assert root.is_mapping and root["actors"].is_sequence and root["name"].is_scalar
    assert list(root.keys()) == ["name", "actors"]
    assert [key for key, _ in root.items()] == ["name", "actors"]
    assert [actor["kind"].value for actor in root["actors"]] == ["car", "pedestrian"]
    assert root.get("missing") is None
    assert root.child("name").value == "crossing"


def test_plain_gives_dicts_lists_and_scalars():
    plain = load_yaml(SCENARIO, "s.yaml").plain()
    assert plain == yaml.safe_load(SCENARIO)
    assert isinstance(plain["actors"], list)


def test_missing_key_is_an_error_at_the_mapping_listing_its_keys():
    error = pytest.raises(ScenarioError, lambda: load_yaml(SCENARIO, "s.yaml")["nmae"]).value
    assert (error.line, error.column) == (1, 1)
    assert "missing key 'nmae'" in str(error) and "name, actors" in str(error)


def test_iterating_a_scalar_is_a_positioned_error():
    name = load_yaml(SCENARIO, "s.yaml")["name"]
    with pytest.raises(ScenarioError, match="s.yaml:1:1: name: expected a list"):
        list(name)


def test_nodes_can_be_rebuilt_with_dataclasses_replace():
    root = load_yaml(SCENARIO, "s.yaml")
    renamed = dataclasses.replace(root, value={"name": root["name"]})
    assert renamed.plain() == {"name": "crossing"} and renamed.line == 1


# ---- strictness --------------------------------------------------------------------------


def test_duplicate_key_points_at_the_second_and_names_the_line_of_the_first():
    error = error_for("name: a\nactors: []\nname: b\n")
    assert (error.line, error.column, error.path) == (3, 1, "name")
    assert "duplicate key 'name' (first on line 1)" in str(error)


def test_nested_duplicate_key_is_found_too():
    error = error_for("ego:\n  speed: 1\n  lane: 0\n  speed: 2\n")
    assert (error.line, error.column, error.path) == (4, 3, "ego.speed")
    assert "line 2" in str(error)


@pytest.mark.parametrize("text, tag", [
    ("a: !!python/object:os.system {}\n", "!!python/object:os.system"),
    ("a: !!python/name:os.system ''\n", "!!python/name:os.system"),
    ("a: !custom 3\n", "!custom"),
    ("a: !!python/tuple [1, 2]\n", "!!python/tuple"),
])
def test_tags_safe_load_refuses_are_refused_with_their_position(text, tag):
    error = error_for(text)
    assert (error.line, error.column, error.path) == (1, 4, "a")
    assert tag in str(error) and "not allowed" in str(error)


@pytest.mark.parametrize("tag", ["!!set", "!!omap", "!!pairs"])
def test_sets_ordered_maps_and_pairs_are_refused(tag):
    body = "{x, y}" if tag == "!!set" else "[{x: 1}]"
    assert f"{tag} is not supported" in str(error_for(f"a: {tag} {body}\n"))


def test_standard_tag_on_a_value_it_cannot_read_is_an_error():
    error = error_for("a:\n  b: !!int twelve\n")
    assert (error.line, error.column, error.path) == (2, 6, "a.b")
    assert "!!int" in str(error)


@pytest.mark.parametrize("key", ["1", "1.5", "true", "on", "null", "2020-01-01", "[a, b]"])
def test_keys_must_be_text(key):
    error = error_for(f"x: 0\n{key}: 1\n")
    assert "keys must be text" in str(error) and (error.line, error.column) == (2, 1)


def test_quoted_keys_are_text():
    assert load_yaml("'1': a\n'on': b\n", "s.yaml").plain() == {"1": "a", "on": "b"}


def test_merge_keys_are_refused():
    error = error_for("base: &b {speed: 1}\nego:\n  <<: *b\n  lane: 0\n")
    assert "merge keys (<<) are not supported" in str(error)
    assert (error.line, error.column) == (3, 3)


def test_alias_to_a_collection_containing_it_is_an_error():
    assert "contains it" in str(error_for("a: &a [1, *a]\n"))


def test_undefined_alias_is_a_yaml_error():
    assert "undefined alias 'nope'" in str(error_for("a: *nope\n"))


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_document_is_an_error(text):
    assert str(error_for(text)) == (
        "s.yaml: the file is empty; expected a mapping with at least name, duration, map and "
        "ego")


def test_more_than_one_document_is_an_error_at_the_second():
    error = error_for("name: a\n---\nname: b\n")
    assert "more than one YAML document" in str(error) and error.line == 2


# ---- syntax errors -----------------------------------------------------------------------


def test_syntax_error_carries_yaml_position_and_problem_text():
    text = "name: a\nactors: [1, 2\nduration: 3\n"
    try:
        yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        expected = exc
    error = error_for(text)
    assert (error.line, error.column) == (
        expected.problem_mark.line + 1, expected.problem_mark.column + 1)
    assert expected.problem in str(error)


def test_tab_indentation_gets_a_hint():
    assert "indent with spaces" in str(error_for("a:\n\tb: 1\n"))


def test_control_character_is_an_error_at_its_position():
    error = error_for("a: 1\nb: x\x07y\n")
    assert (error.line, error.column) == (2, 5)


def test_error_text_contains_file_name_line_and_column():
    text = str(error_for("a: 1\nb: [\n", file="scenarios/cut_in.yaml"))
    assert text.startswith("scenarios/cut_in.yaml:3:1:")


# ---- files -------------------------------------------------------------------------------


def test_load_yaml_file_names_the_path(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: a\nspeed: [\n", encoding="utf-8")
    error = pytest.raises(ScenarioError, load_yaml_file, path).value
    assert error.file == str(path) and error.line == 3


def test_load_yaml_file_reads_utf8(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: Straße\n", encoding="utf-8")
    node = load_yaml_file(path)
    assert node["name"].value == "Straße" and node["name"].file == str(path)


def test_missing_file_is_an_error_naming_the_path(tmp_path):
    error = pytest.raises(ScenarioError, load_yaml_file, tmp_path / "nope.yaml").value
    assert error.file == str(tmp_path / "nope.yaml") and "cannot read" in str(error)


def test_non_utf8_file_is_an_error_at_the_bad_byte(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes("name: a\nstreet: Straße ".encode() + b"\xff\n")
    error = pytest.raises(ScenarioError, load_yaml_file, path).value
    assert (error.file, error.line, error.column) == (str(path), 2, 16)
    assert "not UTF-8" in str(error)


# ---- limits against hostile input --------------------------------------------------------


def test_file_over_1_mib_is_refused_before_parsing(tmp_path):
    text = "a: " + "x" * (2 * 1024 * 1024) + "\n"
    assert "1 MiB" in str(error_quickly(text))
    path = tmp_path / "big.yaml"
    path.write_text(text)
    start = time.perf_counter()
    error = pytest.raises(ScenarioError, load_yaml_file, path).value
    assert time.perf_counter() - start < 1.0
    assert "1 MiB" in str(error) and error.file == str(path)


def test_file_size_counts_utf8_bytes_not_characters():
    text = "a: " + "é" * (600 * 1024) + "\n"  # 600 Ki characters, 1.2 MiB
    assert "1 MiB" in str(error_for(text))


def test_flow_nesting_deeper_than_64_is_refused():
    error = error_quickly("[" * 100_000 + "]" * 100_000)
    assert "deeper than 64" in str(error) and (error.line, error.column) == (1, 65)


def test_block_nesting_deeper_than_64_is_refused():
    text = "".join(" " * level + f"k{level}:\n" for level in range(200))
    error = error_quickly(text)
    assert "deeper than 64" in str(error)


def test_nesting_of_exactly_64_is_allowed():
    assert load_yaml("[" * 64 + "]" * 64, "s.yaml").is_sequence


def test_nesting_built_from_aliases_is_limited_too():
    deep = "[" * 40 + "]" * 40  # fine alone, too deep inside 30 more levels
    error = error_for(f"a: &a {deep}\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n")
    assert "deeper than 64" in str(error) and error.path.startswith("b[0]")


def test_alias_bomb_of_9_levels_of_9_aliases_is_refused_while_expanding():
    lines = ["l0: &l0 [" + ", ".join(["lol"] * 9) + "]"]
    for level in range(1, 9):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    error = error_quickly("\n".join(lines) + "\n")
    assert "more than 100000" in str(error)


def test_more_values_than_max_nodes_are_refused_while_parsing(monkeypatch):
    # the pure-Python parser needs ~3 s for 100,000 values, so the test lowers the limit
    monkeypatch.setattr(yamlpos, "MAX_NODES", 1000)
    error = error_for("[" + "1," * 1500 + "1]")
    # the root list and 999 items make 1000 values; the 1000th item (column 2000) is one too many
    assert "more than 1000 values" in str(error) and (error.line, error.column) == (1, 2000)


def test_scalar_longer_than_64_kib_is_refused():
    error = error_quickly("name: a\nnote: " + "x" * 100_000 + "\n")
    assert "longer than 65536 characters" in str(error)
    assert (error.line, error.column) == (2, 7)


def test_limits_are_module_constants():
    assert yamlpos.MAX_FILE_BYTES == 1024 * 1024
    assert (yamlpos.MAX_DEPTH, yamlpos.MAX_NODES, yamlpos.MAX_SCALAR_CHARS) == (
        64, 100_000, 64 * 1024)


# ---- scalars resolve exactly like yaml.safe_load -----------------------------------------


@pytest.mark.parametrize("scalar", [
    "12", "0x1F", "0o17", "017", "1_000", "-3", "1.5", "1e3", "6.02e+23", ".inf", "-.Inf", "yes",
    "No", "on", "true", "FALSE", "~", "null", "", "2020-01-02", "2020-01-02 03:04:05",
    "2020-01-02T03:04:05.5+01:00", "'12'", '"yes"', "12:30", "1:20:30", "!!binary aGVsbG8=",
    "!!str 12", "!!float 3", "plain text", "|\n  block\n  text",
])
def test_scalar_resolves_like_safe_load(scalar):
    text = f"v: {scalar}\n"
    assert load_yaml(text, "s.yaml")["v"].value == yaml.safe_load(text)["v"]


def test_timestamps_are_dates_and_datetimes():
    root = load_yaml("d: 2020-01-02\nt: 2020-01-02 03:04:05\n", "s.yaml")
    assert root["d"].value == datetime.date(2020, 1, 2)
    assert root["t"].value == datetime.datetime(2020, 1, 2, 3, 4, 5)


_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=30) | st.dates() | st.datetimes()
)
_documents = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(data=_documents, flow=st.sampled_from([None, True, False]))
def test_plain_equals_safe_load_for_any_safe_dump(data, flow):
    text = yaml.safe_dump(data, default_flow_style=flow)
    assert load_yaml(text, "s.yaml").plain() == yaml.safe_load(text)


def test_node_is_the_exported_type():
    assert isinstance(load_yaml("a: 1\n", "s.yaml"), Node)


@pytest.mark.parametrize("text, where", [
    ('name: "\\ud800"\n', (1, 7)),  # a value
    ('"a\\udc80b": 1\n', (1, 1)),  # a key
])
def test_a_lone_surrogate_escape_is_refused_where_it_is(text, where):
    # a valid YAML escape that is no character: accepted, it crashed whatever later wrote
    # the text out (validate's own "ok" line, the dataset card)
    with pytest.raises(ScenarioError, match="lone surrogate") as info:
        load_yaml(text, "s.yaml")
    assert (info.value.line, info.value.column) == where
