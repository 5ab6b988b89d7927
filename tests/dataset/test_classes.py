"""--classes: a dataset's classes mapped from the actor kinds, in every format.

The mapped dataset is rendered with the session dataset's own command plus a class map,
so its labels can be compared box for box with the unmapped one's."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import yaml
from pycocotools.coco import COCO

from simdrive.cli import main
from simdrive.dataset.categories import KITTI_TYPES, ClassMap, parse_classes
from simdrive.dataset.options import DatasetOptions
from simdrive.errors import SimdriveError
from tests.dataset.conftest import CHILD, KANGAROO, render
from tests.dataset.test_formats import (
    _records,
    ap_against_itself,
    parse_kitti_label,
    parse_yolo,
)

MAP = "vehicle=car+van+truck+bus,person=adult+child"
CLASS_OF = {"car": "vehicle", "van": "vehicle", "truck": "vehicle", "bus": "vehicle",
            "adult": "person", "child": "person"}


@pytest.fixture(scope="module")
def mapped(tmp_path_factory) -> Path:
    """The session dataset's command (tests/dataset/conftest.py) with a class map that
    leaves the kangaroos out."""
    cwd = tmp_path_factory.mktemp("mapped")
    code = render(cwd, CHILD, KANGAROO, "--limit", "4", "--every", "20", "--quiet",
                  "--extras", "depth,semantic,instance", "--split", "train=0.5,val=0.5",
                  "--workers", "1", "--classes", MAP, "-o", "ds")
    assert code == 0
    return cwd / "ds"


def test_the_map_changes_which_boxes_are_kept_and_nothing_else(dataset, mapped):
    plain, mine = _records(dataset), _records(mapped)
    assert [f["image"] for f in plain] == [f["image"] for f in mine]
    unmapped_shown = 0
    for a, b in zip(plain, mine, strict=True):
        for pa, pb in zip(a["labels"], b["labels"], strict=True):
            assert {k: v for k, v in pa.items() if k != "keep"} == \
                {k: v for k, v in pb.items() if k != "keep"}
            assert pb["keep"] == (pa["keep"] and pa["kind"] in CLASS_OF)
            unmapped_shown += pa["kind"] not in CLASS_OF and pa["visible_box"] is not None
    assert unmapped_shown > 0  # kangaroos showed and were left out
    for name in ("images", "extras"):  # the pictures are the same files
        for path in sorted((dataset / name).rglob("*.*")):
            assert (mapped / path.relative_to(dataset)).read_bytes() == path.read_bytes()


def test_coco_has_the_map_s_categories_and_scores_one_against_itself(mapped):
    frames = _records(mapped)
    for split in ("train", "val"):
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO(str(mapped / "annotations" / f"instances_{split}.json"))
        cats = gt.loadCats(gt.getCatIds())
        assert [(c["id"], c["name"], c["supercategory"]) for c in cats] == \
            [(1, "vehicle", "vehicle"), (2, "person", "vru")]
        shown = [o for f in frames if f["split"] == split for o in f["labels"]
                 if o["visible_box"] is not None and o["kind"] in CLASS_OF]
        anns = gt.loadAnns(gt.getAnnIds())
        assert len(anns) == len(shown) > 0
        for ann, obj in zip(anns, shown, strict=True):
            assert ann["kind"] == obj["kind"]
            assert gt.loadCats(ann["category_id"])[0]["name"] == CLASS_OF[obj["kind"]]
            assert ann["iscrowd"] == (0 if obj["keep"] else 1)
        assert ap_against_itself(gt, anns) == pytest.approx(1.0)


def test_yolo_and_kitti_carry_the_classes(dataset, mapped):
    data = yaml.safe_load((mapped / "data.yaml").read_text())
    assert data["nc"] == 2 and data["names"] == {0: "vehicle", 1: "person"}
    for f in _records(mapped):
        kept = [o for o in f["labels"] if o["keep"]]
        rows = parse_yolo(mapped / "labels" / f["split"] / f"{f['stem']}.txt")
        assert [data["names"][c] for c, *_ in rows] == [CLASS_OF[o["kind"]] for o in kept]
    # KITTI: line for line the unmapped dataset's, each type the class of its kind, and
    # a kangaroo's line a DontCare region of its visible box
    kangaroos = 0
    for path in sorted((dataset / "kitti").rglob("label_2/*.txt")):
        plain = parse_kitti_label(path)
        mine = parse_kitti_label(mapped / path.relative_to(dataset))
        assert len(plain) == len(mine)
        for a, b in zip(plain, mine, strict=True):
            kind = [k for k, t in KITTI_TYPES.items() if t == a["type"]]
            if a["type"] == "DontCare":
                assert b == a
            elif a["type"] == "Kangaroo":
                kangaroos += 1
                assert b["type"] == "DontCare" and b["hwl"] == [-1.0, -1.0, -1.0]
            else:
                assert b == {**a, "type": CLASS_OF[kind[0]]}
    assert kangaroos > 0


def test_manifest_card_and_report_name_the_classes(mapped, capsys):
    manifest = json.loads((mapped / "manifest.json").read_text())
    assert manifest["options"]["classes"] == [["vehicle", ["car", "van", "truck", "bus"]],
                                              ["person", ["adult", "child"]]]
    assert manifest["kitti_types"] == CLASS_OF
    card = (mapped / "README.md").read_text()
    assert "| vehicle | 0 | car+van+truck+bus |" in card
    assert "never labelled as objects" in card and "kangaroo" in card
    (mapped / "report" / "report.md").unlink()
    assert main(["report", str(mapped)]) == 0  # read back from the run state
    report = (mapped / "report" / "report.md").read_text()
    boxes = sum(o["keep"] for f in _records(mapped) for o in f["labels"]
                if o["kind"] in ("adult", "child"))
    assert f"| person (adult+child) | {boxes} |" in report


def test_the_summary_counts_boxes_per_class_and_a_resume_needs_the_same_map(tmp_path, capsys):
    args = [CHILD, "--limit", "2", "--every", "40", "--quiet", "--workers", "1",
            "--formats", "yolo", "-o", "ds"]
    assert render(tmp_path, *args, "--classes", "car,person=adult+child") == 0
    out = capsys.readouterr().out
    assert "boxes: car " in out and ", person " in out
    assert render(tmp_path, *args, "--classes", "car,person=adult+child") == 0
    assert "(0 shards rendered" in capsys.readouterr().out
    assert render(tmp_path, *args, "--classes", "car") == 2
    assert "other scenarios or settings" in capsys.readouterr().err
    assert render(tmp_path, *args) == 2  # a class per kind is another dataset too


@pytest.mark.parametrize("text, says", [
    ("vehicle=car+cat", "'cat' is not an actor kind"),
    ("vehicle=car,car", "kind car is in class vehicle and car"),
    ("a=car,a=van", "names class a twice"), ("Car=car,car=van", "names class Car twice"),
    ("car=van", "class car is named like the actor kind car but does not hold it"),
    ("2cars=car", "'2cars' is not a class name"),
    ("big vehicle=car", "is not a class name"),
    ("vehicle=", "lists an empty kind"),
    ("vehicle=car+", "lists an empty kind"),
    ("vehicle=car+car", "again in it"),
    # names YOLO's data.yaml would read as another value (a review: Ultralytics trained
    # classes called False, True and None), KITTI's own, a weather's, a camera preset's
    ("no=car", "reads as False in YAML"), ("On=car", "reads as True in YAML"),
    ("null=car", "reads as None in YAML"), ("DontCare=car", "KITTI's type for regions"),
    ("fog=car", "is a weather"), ("front=car", "is a camera preset"),
])
def test_a_bad_class_map_is_refused_before_anything_is_written(tmp_path, capsys, text, says):
    code = render(tmp_path, CHILD, "--limit", "1", "--quiet", "--classes", text, "-o", "ds")
    err = capsys.readouterr().err
    assert code == 2 and says in err and "--classes" in err and "Traceback" not in err
    assert "vehicle=car+van+truck+bus,person=adult+child,cyclist" in err  # an example
    assert not (tmp_path / "ds").exists()


def test_the_python_api_checks_and_normalises_a_map():
    options = DatasetOptions(classes=[("v", ["car", "van"]), ("bus", "bus")])
    assert options.classes == (("v", ("car", "van")), ("bus", ("bus",)))
    assert options.class_map.index("van") == 0 and options.class_map.index("bus") == 1
    assert options.class_map.index("truck") is None
    with pytest.raises(SimdriveError, match="not an actor kind"):
        DatasetOptions(classes=(("v", ("cat",)),))
    with pytest.raises(SimdriveError, match="not \\(class, kinds\\) pairs"):
        DatasetOptions(classes=("car",))
    assert parse_classes("") == () and parse_classes(None) == ()
    assert parse_classes(" car , p = adult + child ") == (("car", ("car",)),
                                                          ("p", ("adult", "child")))


def test_no_map_is_a_class_per_kind_as_before():
    default = ClassMap.of(())
    assert default.names == DatasetOptions().class_map.names
    assert [default.kitti_type(k) for k in default.names] == [KITTI_TYPES[k]
                                                               for k in default.names]
    assert [c["name"] for c in default.coco_categories()] == list(default.names)
    assert default.unlabelled() == ()
    assert "classes" not in DatasetOptions().to_dict()  # datasets from before still resume


def test_a_kind_left_out_of_the_classes_is_not_warned_about_as_filtered(tmp_path, capsys):
    """In the bird's-eye view the child (about 2 x 4 px) never passes the box filter, and
    the summary warns; with the child in no class there is nothing to keep, so no
    warning."""
    args = [CHILD, "--limit", "2", "--every", "10", "--quiet", "--workers", "1",
            "--cameras", "front,bev", "--formats", "yolo"]
    assert render(tmp_path, *args, "-o", "plain") == 0
    assert "camera bev: none of the" in capsys.readouterr().err
    assert render(tmp_path, *args, "--classes", "car,van", "-o", "mapped") == 0
    assert "none of the" not in capsys.readouterr().err


def test_box_filter_items_may_name_a_class_of_the_map(tmp_path):
    """--min-height 8,person=2,child=4 under person=adult+child: adults from 2 px, children
    from 4 (a kind's own value holds over its class's), every other kind from 8."""
    from simdrive.dataset.options import kind_filters, parse_box_filters

    classes = ClassMap.of(parse_classes("vehicle=car+van,person=adult+child"))
    parsed = parse_box_filters({"--min-height": "8,person=2,child=4"},
                               classes=("adult", "car", "child", "van", "person"))
    assert kind_filters(parsed[3], classes) == (
        ("adult", (("min_height_px", 2),)), ("child", (("min_height_px", 4),)))
    assert render(tmp_path, CHILD, "--limit", "1", "--every", "40", "--quiet", "--workers",
                  "1", "--formats", "yolo", "--classes", "vehicle=car+van,person=adult+child",
                  "--min-height", "8,person=2,child=4", "-o", "ds") == 0
    card = (tmp_path / "ds" / "README.md").read_text()
    assert "Kind adult, in every camera: visible height (px) >= 2." in card
    assert "Kind child, in every camera: visible height (px) >= 4." in card


def test_a_class_may_not_share_a_name_with_a_camera_the_run_renders(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(f"extends: {CHILD}\nname: dash\n"
                                     "camera: [{name: dash, preset: front}]\n")
    code = render(tmp_path, "s.yaml", "--limit", "1", "--quiet", "--classes", "dash=car",
                  "-o", "ds")
    assert code == 2 and "class 'dash' has the name of a camera" in capsys.readouterr().err
    assert not (tmp_path / "ds").exists()


def test_a_class_s_filter_in_the_python_api_holds_for_its_kinds(tmp_path):
    """A review: DatasetOptions(class_filters=((class, ...),)) was ignored (only the
    command line gave a class's values to its kinds) while the card claimed it."""
    from simdrive.dataset.runner import render_dataset

    options = DatasetOptions(classes=(("vehicle", ("car", "van")), ("person", ("child",))),
                             class_filters=(("vehicle", (("min_height_px", 30),)),),
                             limit=1, every=40, formats=("yolo",))
    assert options.class_filters == (("car", (("min_height_px", 30),)),
                                     ("van", (("min_height_px", 30),)))
    summary = render_dataset([CHILD], str(tmp_path / "ds"), options, workers=1, quiet=True)
    assert list(summary.class_boxes) == ["vehicle", "person"]  # every class, in order
    assert summary.class_boxes["vehicle"] == summary.boxes.get("car", 0) + \
        summary.boxes.get("van", 0)
    kept = [o for f in _records(tmp_path / "ds") for o in f["labels"] if o["keep"]]
    assert kept and all(o["visible_box"][3] - o["visible_box"][1] >= 30 for o in kept
                        if o["kind"] in ("car", "van"))
    with pytest.raises(SimdriveError, match="no actor kind or class"):
        DatasetOptions(class_filters=(("adlt", (("min_height_px", 3),)),))


def test_kinds_in_no_class_that_show_are_named_in_a_warning(tmp_path, capsys):
    """A review: a map that labels nothing the frames show passed with 0 boxes and no word:
    every car and truck then trains as background."""
    tyre = str(Path(CHILD).parent / "tyre_debris_highway.yaml")
    args = [tyre, "--limit", "1", "--every", "40", "--quiet", "--workers", "1",
            "--formats", "yolo"]
    assert render(tmp_path, *args, "--classes", "animal=dog+deer", "-o", "a") == 0
    err = capsys.readouterr().err
    assert "--classes gives no class to truck (" in err and "put them in a class" in err
    assert render(tmp_path, *args, "--classes", "vehicle=car+truck,tyre", "-o", "b") == 0
    assert "gives no class" not in capsys.readouterr().err


def test_the_kinds_of_a_class_in_any_order_are_the_same_dataset(tmp_path, capsys):
    args = [CHILD, "--limit", "1", "--every", "40", "--quiet", "--workers", "1",
            "--formats", "yolo", "-o", "ds"]
    assert render(tmp_path, *args, "--classes", "vehicle=van+car") == 0
    assert render(tmp_path, *args, "--classes", "vehicle=car+van") == 0
    assert "(0 shards rendered" in capsys.readouterr().out
    assert render(tmp_path, *args, "--classes", "vehicle=car") == 2
    assert "classes: vehicle=car+van before, vehicle=car now" in capsys.readouterr().err


def test_the_never_kept_warning_suggests_what_would_keep_the_boxes(tmp_path, capsys):
    """A review: with a kind's own minimum height, the warning suggested the camera's
    value, which the kind's own overrides (following it kept nothing)."""
    args = [CHILD, "--limit", "1", "--every", "20", "--quiet", "--workers", "1",
            "--formats", "yolo"]
    assert render(tmp_path, *args, "--min-height", "8,car=300", "-o", "a") == 0
    err = capsys.readouterr().err
    assert "none of the" in err and "car boxes" in err
    assert "--min-height 8,car=2 keeps small car boxes" in err
    assert "front=0 --min-pixels" not in err  # the camera's value would not help
    assert render(tmp_path, *args, "--min-height", "8,car=2", "-o", "b") == 0
    assert "none of the" not in capsys.readouterr().err


def test_a_filter_item_for_a_kind_in_no_class_is_warned_about(tmp_path, capsys):
    assert render(tmp_path, CHILD, "--limit", "1", "--every", "40", "--quiet", "--workers",
                  "1", "--formats", "yolo", "--classes", "vehicle=car+van",
                  "--min-height", "8,child=2", "-o", "ds") == 0
    assert "names child, which --classes puts in no class" in capsys.readouterr().err


def test_the_report_s_camera_table_counts_per_class(tmp_path):
    assert render(tmp_path, CHILD, "--limit", "1", "--every", "20", "--quiet", "--workers",
                  "1", "--formats", "yolo", "--cameras", "front,bev", "--classes",
                  "vehicle=car+van,person=adult+child", "-o", "ds") == 0
    report = (tmp_path / "ds" / "report" / "report.md").read_text()
    assert "| camera | images | boxes | vehicle | person | median distance" in report
    kept = [o for f in _records(tmp_path / "ds") if f["camera"]["name"] == "front"
            for o in f["labels"] if o["keep"]]
    row = next(line for line in report.splitlines() if line.startswith("| front |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert int(cells[3]) == sum(o["kind"] in ("car", "van") for o in kept)
    assert int(cells[4]) == sum(o["kind"] in ("adult", "child") for o in kept)
