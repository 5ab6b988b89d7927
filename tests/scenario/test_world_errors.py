"""Errors found only when a scenario's map and worlds are built (an unreadable map file,
an unknown lane in an action, a placement that cannot be met, an actor that cannot have
its behaviour): ``validate`` finds them, every command reports them at the file and line
of the entry that caused them, and ``render`` finds them before writing anything."""

from __future__ import annotations

import os
import textwrap

import pytest

from simdrive.cli import main
from simdrive.errors import ScenarioError
from simdrive.scenario.build import check_variants, variants
from simdrive.scenario.runner import load_scenario
from tests.dataset.conftest import SMALL, render, tree
from tests.scenario.test_spec_errors import GOOD as SPEC_GOOD

GOOD = SPEC_GOOD.replace("duration: 5", "duration: 2") + "variants: {samples: 2, seed: 1}\n"
"""test_spec_errors' good file, shorter, with two variants to build."""

BAD = {
    # (replace, with): the error, and the line it must name (an error about where an actor
    # is placed: its placement's line)
    "map file": (("map: {type: straight, lanes: 1, length: 200}", "map: nowhere.yaml"),
                 "cannot read map file", 3),
    "action lane": (("    speed: 8", "    speed: 8\n    actions:\n"
                     "      - cut_in: {trigger: {time: 1}, lane: 9}"),
                    "cut_in: lane 9: the index counts the road's forward lanes (fwd_0 to "
                    "fwd_0)", 11),  # at the action's lane (a review found it at the actor's
    # entry, five lines up)
    "placement": (("    placement: {lane: 0, s: 40}", "    count: 100\n"
                   "    placement: {lane: 0, s: {uniform: [30, 40]}}"),
                  "could not place", 9),
    "off the road": (("ego: {lane: 0, s: 5, speed: 10}", "ego: {lane: 0, s: 5000, speed: 10}"),
                     "is placed at s = 5000.0 m along lane fwd_0, which runs from 0 to", 4),
    "behaviour": (("ego: {lane: 0, s: 5, speed: 10}",
                   "ego: {kind: tyre, lane: 0, s: 5}"),
                  "a tyre cannot move", 4),
    "turn": (("ego: {lane: 0, s: 5, speed: 10}", "ego: {lane: 0, s: 5, speed: 10, turn: left}"),
             "turn 'left' does nothing on this map", 4),
    # a vehicle driving on the pavement, or off its lane (found by a review: they passed)
    "vehicle on a sidewalk": (("    placement: {lane: 0, s: 40}",
                               "    placement: {sidewalk: right, s: 40}"),
                              "a car cannot drive on sidewalk lane sidewalk_right", 8),
    "moving vehicle off its lane": (("    placement: {lane: 0, s: 40}",
                                     "    placement: {lane: 0, s: 40, d: 8}"),
                                    "d = 8 m puts a moving car off the road beside lane fwd_0",
                                    8),
    "moving vehicle on the verge": (("    placement: {lane: 0, s: 40}",
                                     "    placement: {lane: 0, s: 40, d: -3.2}"),
                                    "d = -3.2 m puts a moving car off the road", 8),
    "parked on the pavement, driving off": (
        ("    placement: {lane: 0, s: 40}\n    speed: 8",
         "    placement: {sidewalk: right, s: 40}\n"
         "    behavior: parked\n    actions:\n      - go: {trigger: {time: 1}, speed: 5}"),
        "a vehicle parked on sidewalk lane sidewalk_right cannot drive off along it", 11),
    "action onto a sidewalk": (("    speed: 8", "    speed: 8\n    actions:\n"
                                "      - wrong_way: {trigger: {time: 1}, lane: sidewalk_left}"),
                               "a car cannot drive onto sidewalk lane sidewalk_left", 11),
    # a walker, animal or debris past its lane's end (a review found them accepted: they
    # stood beyond the map's end and the variants were uneventful)
    "walker past the lane's end": (("    kind: car\n    placement: {lane: 0, s: 40}\n"
                                    "    speed: 8",
                                    "    kind: child\n    placement: {lane: 0, s: 260}"),
                                   "actor 'lead' is placed at s = 260.0 m along lane fwd_0, "
                                   "which runs from 0 to 200.0 m", 8),
    "debris before the lane's start": (("    kind: car\n    placement: {lane: 0, s: 40}\n"
                                        "    speed: 8",
                                        "    kind: tyre\n    placement: {lane: 0, s: -20}"),
                                       "placed at s = -20.0 m along lane fwd_0", 8),
    # a lane index past the lanes: their range, not an unknown name and 40 others (review)
    "lane index past the lanes": (("    placement: {lane: 0, s: 40}",
                                   "    placement: {lane: 3, s: 40}"),
                                  "placement: lane 3: the index counts the road's forward "
                                  "lanes (fwd_0 to fwd_0); expected an index from 0 to 0", 8),
    "far off the map": (("    placement: {lane: 0, s: 40}\n    speed: 8",
                         "    placement: {position: {x: 5000, y: 300}}\n    behavior: parked"),
                        "is more than 100 m off the map", 8),
}


def _write(tmp_path, case: str):
    (old, new), _, _ = BAD[case]
    assert old in GOOD
    path = tmp_path / f"{case.replace(' ', '_')}.yaml"
    path.write_text(GOOD.replace(old, new))
    return path


def test_the_good_file_builds(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD)
    spec = load_scenario(path)
    check_variants(spec, variants(spec))
    assert main(["validate", str(path)]) == 0


@pytest.mark.parametrize("case", list(BAD))
def test_build_errors_name_the_file_and_line_of_their_entry(tmp_path, capsys, case):
    path = _write(tmp_path, case)
    _, message, line = BAD[case]
    spec = load_scenario(path)  # the file itself parses
    with pytest.raises(ScenarioError) as info:
        check_variants(spec, variants(spec))
    assert message in str(info.value)
    assert str(info.value).startswith(f"{path}:{line}:")
    assert main(["validate", str(path)]) == 2  # validate says so, not "ok"
    err = capsys.readouterr().err
    assert message in err and f"{path.name}:{line}:" in err and "Traceback" not in err
    assert main(["frame", str(path), "-o", str(tmp_path / "f.png")]) == 2
    assert f"{path.name}:{line}:" in capsys.readouterr().err
    assert not (tmp_path / "f.png").exists()


def test_render_finds_them_before_writing_and_force_keeps_the_old_dataset(tmp_path, capsys):
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
    before = tree(tmp_path / "ds")
    bad = _write(tmp_path, "map file")
    assert render(tmp_path, str(bad), "--quiet", "-o", "ds", "--force") == 2
    assert "cannot read map file" in capsys.readouterr().err
    assert tree(tmp_path / "ds") == before
    # a good file and a bad one: nothing of the good one is written either
    assert render(tmp_path, SMALL[0], str(_write(tmp_path, "action lane")), "--limit", "2",
                  "--quiet", "-o", "fresh") == 2
    assert not (tmp_path / "fresh").exists()


def test_grid_errors_of_the_sampling_plan_are_file_errors(tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text(GOOD.replace("variants: {samples: 2, seed: 1}", textwrap.dedent("""\
        environment: {weather: {choice: [clear, fog]}}
        variants: {grid: [environment.weather, environment.weather], samples: 2}""")))
    with pytest.raises(ScenarioError, match=r"grid\.yaml:\d+:\d+: variants: grid axis "
                                            "'environment.weather' is listed more than once"):
        load_scenario(path)


def test_files_that_are_no_regular_files_are_refused_without_blocking(tmp_path, capsys):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)  # a read would block forever
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    assert main(["validate", str(fifo), str(loop), str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "fifo.yaml: cannot read the file: it is not a regular file" in err
    assert "loop.yaml: cannot read the file: Too many levels of symbolic links" in err
    assert f"{tmp_path}: cannot read the file: it is a folder" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("text", ["8e0", "1e1", "1.0e1", "4.e0", "-2E-0"])
def test_a_number_yaml_reads_as_text_gets_a_hint_that_works(tmp_path, text):
    import yaml

    path = tmp_path / "exp.yaml"
    path.write_text(GOOD.replace("speed: 8", f"speed: {text}"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    fix = str(info.value).rsplit("; write ", 1)[1]
    assert isinstance(yaml.safe_load(fix), float) and float(fix) == float(text)


def test_an_error_of_an_entry_named_like_another_entrys_instance_names_its_own_line(tmp_path):
    # 'lead' with count 2 has instances lead_0 and lead_1; 'lead_7' is an entry of its own
    path = tmp_path / "names.yaml"
    text = GOOD.replace("    kind: car\n", "    kind: car\n    count: 2\n", 1)
    text = text.replace("    placement: {lane: 0, s: 40}",
                        "    placement: {lane: 0, s: {uniform: [40, 80]}}")
    path.write_text(text.replace("variants: {samples: 2, seed: 1}", textwrap.dedent("""\
          - id: lead_7
            kind: car
            placement: {lane: 0, s: 500}
        variants: {samples: 2, seed: 1}""")))
    spec = load_scenario(path)
    with pytest.raises(ScenarioError) as info:
        check_variants(spec, variants(spec))
    assert "actor 'lead_7' is placed at s = 500.0 m" in str(info.value)
    lines = path.read_text().splitlines()
    line = int(str(info.value).split(":")[1])
    # lead_7's own placement, the line after its id
    assert lines[line - 1].strip() == "placement: {lane: 0, s: 500}"
    assert lines[line - 3].strip() == "- id: lead_7"


def test_a_file_that_is_no_mapping_says_what_it_is(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ScenarioError, match=r"list\.yaml:1:1: a scenario file is a mapping; "
                                            r"expected key: value pairs, found a list$"):
        load_scenario(path)


def test_a_normal_with_no_mass_in_its_fields_range_is_a_file_error(tmp_path):
    # found by the mutation fuzz test: speeds are clipped to the field's range, where
    # normal(-12, 0.3) has no mass; that was a ValueError, not a ScenarioError
    path = tmp_path / "normal.yaml"
    path.write_text(GOOD.replace("    speed: 8", "    speed: {normal: [-12, 0.3]}"))
    with pytest.raises(ScenarioError, match=r"normal\.yaml:\d+:\d+: .*mean lies outside"):
        load_scenario(path)
