"""``simdrive report``: its numbers recounted from the dataset's own files, its coverage
flags from the images' conditions, its plots readable images."""

from __future__ import annotations

import json
import re
from collections import Counter

import cv2
import pytest

from simdrive.cli import main
from simdrive.dataset.report import THIN_SHARE, write_report
from simdrive.world.conditions import LIGHTINGS, WEATHERS

PLOTS = ("boxes_per_class.png", "coverage.png", "box_height.png", "occlusion.png",
         "truncation.png", "distance.png", "samples.jpg")


def test_the_report_counts_what_the_dataset_holds(small_dataset, capsys):
    dataset = small_dataset
    assert main(["report", str(dataset)]) == 0  # the command rewrites render's report
    assert "report.md" in capsys.readouterr().out
    folder = dataset / "report"
    for name in PLOTS:
        image = cv2.imread(str(folder / name))
        assert image is not None and image.size > 0, name
    text = (folder / "report.md").read_text()
    for name in PLOTS:
        assert f"({name})" in text  # every picture is shown in report.md

    manifest = json.loads((dataset / "manifest.json").read_text())
    coco = json.loads((dataset / "annotations" / "instances_train.json").read_text())
    coco_val = json.loads((dataset / "annotations" / "instances_val.json").read_text())
    annotations = [a for a in coco["annotations"] + coco_val["annotations"]
                   if not a["iscrowd"]]  # boxes, not the ignore regions
    names = {c["id"]: c["name"] for c in coco["categories"]}
    images = manifest["images"]
    variants = {(im["scenario"], im["variant"]) for im in images}
    assert f"{len(images)} images, {len(annotations)} boxes, {len(variants)} variants." in text
    rows = dict(re.findall(r"^\| (\w+) \| (\d+) \|$", text, re.M))
    assert {k: int(v) for k, v in rows.items()} == \
        dict(Counter(names[a["category_id"]] for a in annotations))

    cells = {(im["scenario"], im["weather"], im["lighting"]) for im in images}
    total = len({im["scenario"] for im in images}) * len(WEATHERS) * len(LIGHTINGS)
    assert f"with no image): {total - len(cells)} of {total}." in text


def _frame(scenario, weather, lighting, kind="car"):
    box = {"keep": True, "kind": kind, "visible_box": [10, 10, 40, 30], "visible_pixels": 600,
           "occlusion": 0.2, "truncation": 0.0, "distance_m": 20.0}
    return {"scenario": scenario, "variant": 0, "weather": weather, "lighting": lighting,
            "split": "train", "image": "images/train/missing.jpg", "camera": {"name": "front"},
            "labels": [box]}


def test_empty_and_thin_coverage_cells_are_flagged(tmp_path):
    frames = [_frame("a", "clear", "noon") for _ in range(10)]
    frames += [_frame("a", "rain", "night")]  # 1 image: under THIN_SHARE of the mean (17 / 3)
    frames += [_frame("b", "fog", "dusk") for _ in range(6)]
    assert THIN_SHARE * (17 / 3) > 1
    text = write_report(tmp_path, frames=frames).read_text()
    total = 2 * len(WEATHERS) * len(LIGHTINGS)
    assert f"with no image): {total - 3} of {total}." in text
    # a shows clear and rain, noon and night, but never clear at night nor rain at noon
    missing = re.search(r"^Missing \(.*\): (.*)$", text, re.M).group(1)
    assert missing.split("; ") == ["a in clear/night", "a in rain/noon"]
    assert "a never shows: weather fog; lighting dusk (other scenarios here do)" in text
    assert "b never shows: weather clear, rain; lighting noon, night" in text
    nowhere = re.search(r"^No image at all in: weather (.*); lighting (.*) \(", text, re.M)
    assert nowhere.group(1).split(", ") == [w for w in WEATHERS
                                            if w not in ("clear", "rain", "fog")]
    assert nowhere.group(2).split(", ") == [lit for lit in LIGHTINGS
                                            if lit not in ("noon", "night", "dusk")]
    thin = re.search(r"^Thin cells .*$", text, re.M).group(0)
    assert "a in rain/night (1)" in thin
    assert "clear/noon" not in thin and "fog/dusk" not in thin
    assert "| car | 17 |" in text
    assert cv2.imread(str(tmp_path / "report" / "samples.jpg")) is not None  # no images: blank


def test_requested_splits_that_received_no_image_are_flagged(tmp_path):
    frames = [dict(_frame("a", "clear", "noon"), split="train", variant=v) for v in range(3)]
    frames += [dict(_frame("a", "clear", "noon"), split="test", variant=3)]
    text = write_report(tmp_path, frames=frames,
                        splits=[("train", 0.8), ("val", 0.1), ("test", 0.1), ("extra", 0.0)]
                        ).read_text()
    assert "| train | 3 | 3 |" in text and "| val | 0 | 0 |" in text
    assert "| test | 1 | 1 |" in text
    from simdrive.dataset.report import empty_splits

    assert empty_splits(Counter(), [("train", 0.8), ("val", 0.2)]) == []  # nothing kept at all
    notes = re.findall(r"^\*\*split.*$", text, re.M)
    assert len(notes) == 1 and notes[0].startswith("**split val is empty: ")  # test has one
    assert "extra" not in notes[0]  # asked for no share of the variants


def test_report_of_a_folder_that_is_no_dataset_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not a dataset")
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "simdrive render" in err and "no .simdrive" in err
    assert not (tmp_path / "report").exists()
    for path, what in ((tmp_path / "nowhere", "does not exist"),
                       (tmp_path / "notes.txt", "is a file")):
        assert main(["report", str(path)]) == 2
        assert what in capsys.readouterr().err


def test_the_report_says_when_the_folder_lacks_files_its_run_wrote(small_dataset, tmp_path,
                                                                   capsys):
    import shutil

    from tests.dataset.conftest import SMALL, render

    copy = tmp_path / "ds"
    shutil.copytree(small_dataset, copy)
    assert main(["report", str(copy)]) == 0
    assert "warning" not in capsys.readouterr().err  # a whole dataset: nothing to say
    image = sorted((copy / "images" / "train").iterdir())[0]
    image.unlink()
    (copy / "labels" / "train" / (image.stem + ".txt")).unlink()
    (copy / "annotations" / "instances_val.json").write_text('{"images": [')
    (copy / "manifest.json").unlink()
    (copy / "data.yaml").unlink()
    (copy / "kitti" / "ImageSets" / "train.txt").unlink()
    assert main(["report", str(copy)]) == 0
    captured = capsys.readouterr()
    assert "lacks files its run wrote" in captured.out
    for line in ("manifest.json missing: 1", "image files missing: 1", "YOLO label files "
                 "missing: 1", "COCO files missing or damaged: 1 (first: "
                 "annotations/instances_val.json)", "YOLO data.yaml missing: 1",
                 "KITTI ImageSets missing: 1 (first: kitti/ImageSets/train.txt)"):
        assert f"simdrive: warning: {line}" in captured.err
        assert line in (copy / "report" / "report.md").read_text()
    # the dataset's render command, run again, writes them: the report has nothing to say
    assert render(tmp_path, *SMALL, "--workers", "1", "--split", "train=0.5,val=0.5", "-o",
                  "ds") == 0
    capsys.readouterr()
    assert main(["report", str(copy)]) == 0
    assert "warning" not in capsys.readouterr().err and image.is_file()


@pytest.fixture
def small_dataset(tmp_path_factory):
    from tests.dataset.conftest import SMALL, render

    cwd = tmp_path_factory.mktemp("report")
    assert render(cwd, *SMALL, "--workers", "1", "--split", "train=0.5,val=0.5", "-o",
                  "ds") == 0
    return cwd / "ds"


@pytest.mark.parametrize("content", [b'{"trunc', bytes(range(200, 220))])
def test_report_on_a_corrupt_shard_record_is_a_clear_error(tmp_path, capsys, content):
    records = tmp_path / ".simdrive" / "shards"
    records.mkdir(parents=True)
    (records / "000-0000001-0000.json").write_bytes(content)
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "000-0000001-0000.json is unreadable" in err and "Traceback" not in err


def test_a_dataset_of_several_cameras_is_reported_per_camera(tmp_path):
    def boxed(frame, camera, distance, height):
        box = dict(frame["labels"][0], distance_m=distance, visible_box=[0, 0, 10, height])
        return dict(frame, camera={"name": camera}, labels=[box])

    frames = [boxed(_frame("a", "clear", "noon"), "front", 10.0 + k, 40) for k in range(3)]
    frames += [boxed(_frame("a", "clear", "noon", kind="bus"), "bev", 50.0, 4) for _ in range(2)]
    frames += [dict(_frame("a", "clear", "noon"), camera={"name": "bev"}, labels=[])]
    text = write_report(tmp_path, frames=frames).read_text()
    rows = re.findall(r"^\| (\w+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| ([\d.]+) \| ([\d.]+) \|$",
                      text, re.M)
    assert "| camera | images | boxes | car | bus |" in text
    assert rows == [("front", "3", "3", "3", "0", "11.0", "40.0"),
                    ("bev", "3", "2", "0", "2", "50.0", "4.0")]
    one = write_report(tmp_path / "one", frames=frames[:3]).read_text()
    assert "## Cameras" not in one
    # each box plot has one panel a camera: taller than the one-camera plot
    tall = cv2.imread(str(tmp_path / "report" / "distance.png"))
    short = cv2.imread(str(tmp_path / "one" / "report" / "distance.png"))
    assert tall.shape[0] > short.shape[0] * 1.5 and tall.shape[1] == short.shape[1]


def test_conditions_cut_off_by_limit_are_blamed_on_it(tmp_path):
    # --limit renders a few variants of each scenario: a grid with more cells than that,
    # or weather varied outside the grid, can lose whole weathers, which the scenario does
    # render (found by a review: the report said no scenario here renders them)
    from simdrive.dataset.shard import STATE_DIR

    frames = [_frame("a", "clear", lit) for lit in LIGHTINGS]
    plain = write_report(tmp_path / "plain", frames=frames).read_text()
    assert "(no scenario here renders them;" in plain
    (tmp_path / "cut" / STATE_DIR).mkdir(parents=True)
    (tmp_path / "cut" / STATE_DIR / "dataset.json").write_text(
        json.dumps({"options": {"limit": 4, "split": [["train", 1.0]]}}))
    cut = write_report(tmp_path / "cut", frames=frames).read_text()
    line = re.search(r"^No image at all in: .*$", cut, re.M).group(0)
    assert "no variant rendered here has them; --limit 4 rendered only 4 variants of each " \
        "scenario, spread over its grid" in line
    # a --limit above every file's variant count cut nothing: not blamed (a review found
    # "raise --limit" advised for --limit 50 of a 10-variant scenario)
    (tmp_path / "cut" / "manifest.json").write_text(json.dumps({"sources": [
        {"variants_kept": [0, 1], "variants_dropped": [2]}]}))
    whole = write_report(tmp_path / "cut", frames=frames).read_text()
    assert "(no scenario here renders them;" in whole and "--limit 4" not in whole
