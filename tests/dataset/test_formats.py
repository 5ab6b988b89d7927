"""Each format read back with an independent reader and checked against the renderer's labels.

COCO is read with pycocotools; YOLO and KITTI with the small parsers below, written
from the formats' specifications (Ultralytics' label format; the KITTI object
development kit's readme).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from collections import Counter, defaultdict
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from shapely.geometry import MultiPoint
from shapely.geometry import box as shapely_box

from simdrive.dataset.categories import KITTI_TYPES
from simdrive.render.frames import VariantRun, camera_spec
from simdrive.render.images import read_mark
from simdrive.scenario.build import variant_at
from simdrive.scenario.runner import load_scenario
from simdrive.world.actors import actor_kinds


def _records(ds: Path) -> list[dict]:
    frames = []
    for path in sorted((ds / ".simdrive" / "shards").glob("*.json")):
        frames += json.loads(path.read_text())["frames"]
    return frames


def ap_against_itself(gt: COCO, annotations: list[dict]) -> float:
    """COCOeval's bbox AP of ``annotations`` of ``gt`` given back as detections of score 1
    (the ignore regions among them neither help nor hurt)."""
    dets = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"],
             "score": 1.0} for a in annotations]
    with contextlib.redirect_stdout(io.StringIO()):
        ev = COCOeval(gt, gt.loadRes(dets), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats[0]


def parse_yolo(path: Path) -> list[tuple[int, float, float, float, float]]:
    rows = []
    for line in path.read_text().splitlines():
        c, x, y, w, h = line.split()
        rows.append((int(c), float(x), float(y), float(w), float(h)))
    return rows


def parse_kitti_label(path: Path) -> list[dict]:
    out = []
    for line in path.read_text().splitlines():
        f = line.split()
        assert len(f) == 15
        out.append({"type": f[0], "truncated": float(f[1]), "occluded": int(f[2]),
                    "alpha": float(f[3]), "bbox": [float(v) for v in f[4:8]],
                    "hwl": [float(v) for v in f[8:11]], "xyz": [float(v) for v in f[11:14]],
                    "ry": float(f[14])})
    return out


def parse_kitti_calib(path: Path) -> dict[str, np.ndarray]:
    out = {}
    for line in path.read_text().splitlines():
        key, values = line.split(":", 1)
        out[key] = np.array([float(v) for v in values.split()])
    return out


def test_every_frame_is_rendered_labelled_and_marked(dataset):
    frames = _records(dataset)
    manifest = json.loads((dataset / "manifest.json").read_text())
    expected = 0
    for source in manifest["sources"]:
        spec = load_scenario(source["path"])
        steps = len(range(0, int(round(spec.duration / spec.dt)) + 1, 20))
        expected += steps * len(source["variants_kept"])
    assert len(frames) == expected > 20
    assert manifest["sources"][0]["variants_dropped"]  # require: dropped some
    for f in frames:
        mark = read_mark((dataset / f["image"]).read_bytes())
        assert mark["synthetic"] is True and mark["variant"] == f["variant"]
    assert [m["file"] for m in manifest["images"]] == [f["image"] for f in frames]
    # the six parked cars each draw their own place: the variant's value there places
    # nothing and is not recorded as if it did (a review found it in every image's values)
    child = manifest["sources"][0]
    assert child["scenario"] == "child_between_parked_cars"
    assert child["drawn_per_instance"] == ["actors[2].placement.s"]
    assert all("actors[2].placement.s" not in m["values"] and "ego.speed" in m["values"]
               for m in manifest["images"] if m["scenario"] == child["scenario"])
    assert manifest["command"][:2] == ["simdrive", "render"] and "--workers" not in \
        manifest["command"]
    card = (dataset / "README.md").read_text()
    assert card.startswith("# Synthetic driving dataset")
    # each source with the cameras it was rendered through (a review missed them)
    assert "| scenario | file | cameras |" in card
    assert "| child_between_parked_cars | " in card and " | front | " in card


def test_labels_are_the_renderers_labels(dataset):
    frames = _records(dataset)
    f = next(fr for fr in frames if fr["scenario"] == "child_between_parked_cars"
             and fr["step"] == 80)
    spec = load_scenario(Path(__file__).resolve().parents[2] / "scenarios"
                         / "child_between_parked_cars.yaml")
    run = VariantRun(spec, variant_at(spec, f["variant"]))
    run.advance_to(80)
    frame = run.render(camera_spec(spec, None))
    assert [o["track_id"] for o in f["labels"]] == [lab.track_id for lab in frame.labels]
    for obj, lab in zip(f["labels"], frame.labels, strict=True):
        assert obj["visible_pixels"] == lab.visible_pixels
        assert tuple(obj["visible_box"] or ()) == tuple(lab.visible_box or ())
    # the COCO annotations (serialised by the shard that rendered the frame) carry every
    # extra field of those labels
    coco = json.loads((dataset / "annotations" / f"instances_{f['split']}.json").read_text())
    image_id = next(im["id"] for im in coco["images"]
                    if im["file_name"] == Path(f["image"]).name)
    anns = {a["track_id"]: a for a in coco["annotations"] if a["image_id"] == image_id}
    shown = [lab for lab in frame.labels if lab.visible_box is not None]
    assert sorted(anns) == sorted(lab.track_id for lab in shown) and shown
    for lab in shown:
        a = anns[lab.track_id]
        x0, y0, x1, y1 = lab.amodal_box
        assert a["amodal_bbox"] == pytest.approx([x0, y0, x1 - x0, y1 - y0], abs=1e-3)
        assert a["occlusion"] == pytest.approx(lab.occlusion, abs=1e-6)
        assert a["truncation"] == pytest.approx(lab.truncation, abs=1e-6)
        assert a["kitti_occluded"] == lab.kitti_occluded and a["actor"] == lab.name
        assert a["box3d"] == {"dimensions_hwl": pytest.approx(lab.dimensions_hwl),
                              "location_xyz": pytest.approx(lab.location_xyz),
                              "rotation_y": pytest.approx(lab.rotation_y),
                              "alpha": pytest.approx(lab.alpha)}
        assert a["distance_m"] == pytest.approx(lab.distance_m, abs=1e-4)
        assert a["visibility"] == pytest.approx(lab.visibility, abs=1e-6)
    image = cv2.imread(str(dataset / f["image"]))[..., ::-1].astype(int)
    assert np.abs(image - frame.image).mean() < 3.0  # JPEG quality 90 of the same pixels


def test_coco_loads_in_pycocotools_and_scores_one_against_itself(dataset):
    frames = _records(dataset)
    for split in ("train", "val"):
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO(str(dataset / "annotations" / f"instances_{split}.json"))
        mine = [f for f in frames if f["split"] == split]
        shown = [o for f in mine for o in f["labels"] if o["visible_box"] is not None]
        assert len(gt.getImgIds()) == len(mine)
        # every actor with pixels: the kept ones as objects, the dropped as ignore regions
        assert len(gt.getAnnIds()) == len(shown) > 0
        assert len(gt.getAnnIds(iscrowd=False)) == sum(o["keep"] for o in shown) > 0
        names = {c["id"]: c["name"] for c in gt.loadCats(gt.getCatIds())}
        for ann, obj in zip(gt.loadAnns(gt.getAnnIds()), shown, strict=True):
            x0, y0, x1, y1 = obj["visible_box"]
            assert ann["bbox"] == [x0, y0, x1 - x0, y1 - y0]
            assert ann["iscrowd"] == (0 if obj["keep"] else 1)
            assert names[ann["category_id"]] == obj["kind"]
            assert gt.annToMask(ann).sum() == ann["area"] == obj["visible_pixels"]
        # detections of the objects score 1.0; the ignore regions neither help nor hurt
        assert ap_against_itself(gt, gt.loadAnns(gt.getAnnIds())) == pytest.approx(1.0)


def test_coco_masks_equal_the_instance_images(dataset):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(dataset / "annotations" / "instances_train.json"))
    frames = {Path(f["image"]).name: f for f in _records(dataset)}
    checked = 0
    for img in gt.loadImgs(gt.getImgIds())[:6]:
        f = frames[img["file_name"]]
        inst = cv2.imread(str(dataset / f["extras"]["instance"]), cv2.IMREAD_UNCHANGED)
        for ann in gt.loadAnns(gt.getAnnIds(imgIds=img["id"])):
            np.testing.assert_array_equal(gt.annToMask(ann).astype(bool),
                                          inst == ann["track_id"] + 1)
            checked += 1
    assert checked > 0


def test_yolo_labels_round_trip(dataset):
    data = yaml.safe_load((dataset / "data.yaml").read_text())
    assert data["names"] == dict(enumerate(actor_kinds()))
    assert (dataset / data["train"]).is_dir() and (dataset / data["val"]).is_dir()
    for f in _records(dataset):
        rows = parse_yolo(dataset / "labels" / f["split"] / f"{f['stem']}.txt")
        kept = [o for o in f["labels"] if o["keep"]]
        assert len(rows) == len(kept)
        w, h = f["camera"]["width"], f["camera"]["height"]
        for (c, x, y, bw, bh), obj in zip(rows, kept, strict=True):
            x0, y0, x1, y1 = obj["visible_box"]
            assert data["names"][c] == obj["kind"]
            assert (x - bw / 2) * w == pytest.approx(x0, abs=0.01)
            assert (y + bh / 2) * h == pytest.approx(y1, abs=0.01)


def _kitti_ids(ds: Path) -> dict[str, str]:
    """{image file: KITTI id}, from the manifest."""
    images = json.loads((ds / "manifest.json").read_text())["images"]
    return {im["file"]: im["kitti_id"] for im in images}


def test_data_yaml_points_val_at_the_training_images_when_no_variant_fell_in_val(tmp_path):
    from simdrive.dataset.yolo import write_data_yaml

    write_data_yaml(tmp_path, Counter(train=2), ["train", "val", "test"])
    text = (tmp_path / "data.yaml").read_text()
    data = yaml.safe_load(text)
    assert data["train"] == data["val"] == "images/train" and "test" not in data
    assert "no variant fell in val" in text  # said in the file, not only in the warning
    write_data_yaml(tmp_path, Counter(train=2, val=1), ["train", "val", "test"])
    assert yaml.safe_load((tmp_path / "data.yaml").read_text())["val"] == "images/val"


@pytest.mark.parametrize("per_split", [Counter(val=1), Counter(test=3), Counter(val=1, test=1),
                                       Counter()])
def test_data_yaml_never_trains_on_val_or_test_images(tmp_path, per_split):
    from simdrive.dataset.yolo import write_data_yaml

    write_data_yaml(tmp_path, per_split, ["train", "val", "test"])
    text = (tmp_path / "data.yaml").read_text()
    data = yaml.safe_load(text)
    assert data["train"] == "images/train" and "no variant fell in train" in text
    assert data["val"] == ("images/val" if per_split["val"] else "images/train")
    assert data.get("test") == ("images/test" if per_split["test"] else None)


def test_empty_split_warnings_say_what_data_yaml_does():
    from simdrive.dataset.report import empty_splits_note

    no_train = empty_splits_note(["train"], 1, yolo=True)
    assert "YOLO cannot train on it" in no_train and "training images" not in no_train
    no_val = empty_splits_note(["val"], 3, yolo=True)
    assert "points YOLO's val at the training images" in no_val
    assert "data.yaml" not in empty_splits_note(["val"], 3, yolo=False)  # COCO only


def _kitti_frame(projection: str, z: float) -> dict:
    box = {"kind": "car", "keep": True, "visible_box": [600, 10, 640, 300],
           "amodal_box": [590.0, 0.0, 640.0, 360.0], "truncation": 1.0, "kitti_occluded": 0,
           "alpha": 3.1, "dimensions_hwl": [1.5, 1.8, 4.3], "location_xyz": [2.9, 1.3, z],
           "rotation_y": -1.57}
    return {"camera": {"projection": projection}, "labels": [box]}


def test_kitti_writes_a_kept_actor_behind_a_perspective_camera_as_dont_care(tmp_path):
    from simdrive.dataset.kitti import label_text

    for z, kind in ((-0.1, "DontCare"), (0.0, "DontCare"), (0.4, "Car")):
        path = tmp_path / f"{z}.txt"
        path.write_text(label_text(_kitti_frame("perspective", z)))
        (lab,) = parse_kitti_label(path)
        assert lab["type"] == kind
        if kind == "DontCare":  # with its visible box, as a dropped actor's
            assert lab["bbox"] == [600, 10, 640, 300] and lab["xyz"] == [-1000] * 3
    # the bird's-eye view's z is not depth (README): its boxes stay as they are
    path = tmp_path / "bev.txt"
    path.write_text(label_text(_kitti_frame("orthographic", -5.0)))
    assert parse_kitti_label(path)[0]["type"] == "Car"


@pytest.mark.parametrize("angle", [-math.pi, math.pi, -3.14159, 3.1415926, 1.0])
def test_kitti_angles_stay_within_minus_pi_to_pi_as_written(tmp_path, angle):
    """-pi printed with 4 decimals is -3.1416, past KITTI's range (found by a review)."""
    from simdrive.dataset.kitti import label_text

    frame = _kitti_frame("perspective", 5.0)
    frame["labels"][0]["rotation_y"] = frame["labels"][0]["alpha"] = angle
    path = tmp_path / "a.txt"
    path.write_text(label_text(frame))
    (lab,) = parse_kitti_label(path)
    for key in ("ry", "alpha"):
        assert -math.pi <= lab[key] <= math.pi and abs(lab[key] - angle) < 2e-4


def test_kitti_files_are_numbered_per_split_as_kitti_tools_expect(dataset):
    ids = _kitti_ids(dataset)
    images = json.loads((dataset / "manifest.json").read_text())["images"]
    for split in {im["split"] for im in images}:
        listed = (dataset / "kitti" / "ImageSets" / f"{split}.txt").read_text().split()
        mine = [ids[im["file"]] for im in images if im["split"] == split]
        assert listed == mine == [f"{k:06d}" for k in range(len(mine))]  # int(line) works
        base = dataset / "kitti" / split
        for im in (im for im in images if im["split"] == split):
            kid = ids[im["file"]]
            assert (base / "label_2" / f"{kid}.txt").is_file()
            assert (base / "calib" / f"{kid}.txt").is_file()
            assert (base / "image_2" / (kid + Path(im["file"]).suffix)).read_bytes() == \
                (dataset / im["file"]).read_bytes()


def test_kitti_boxes_reproject_through_the_written_calib(dataset):
    checked = 0
    ids = _kitti_ids(dataset)
    for f in _records(dataset):
        base = dataset / "kitti" / f["split"]
        calib = parse_kitti_calib(base / "calib" / f"{ids[f['image']]}.txt")
        p2 = calib["P2"].reshape(3, 4)
        labels = parse_kitti_label(base / "label_2" / f"{ids[f['image']]}.txt")
        kept = [o for o in f["labels"] if o["keep"]]
        objects = [lab for lab in labels if lab["type"] != "DontCare"]
        assert len(objects) == len(kept)
        for lab, obj in zip(objects, kept, strict=True):
            assert lab["type"] == KITTI_TYPES[obj["kind"]]
            h, w, length = lab["hwl"]
            x, y, z = lab["xyz"]
            ry = lab["ry"]
            xs = np.array([1, 1, -1, -1, 1, 1, -1, -1]) * length / 2
            ys = np.array([0, 0, 0, 0, -1, -1, -1, -1]) * h
            zs = np.array([1, -1, -1, 1, 1, -1, -1, 1]) * w / 2
            rot = np.array([[np.cos(ry), 0, np.sin(ry)], [0, 1, 0], [-np.sin(ry), 0, np.cos(ry)]])
            pts = rot @ np.vstack([xs, ys, zs]) + np.array([[x], [y], [z]])
            if (pts[2] < 0.5).any():
                continue  # reaching behind the camera: KITTI tools skip these too
            img = p2 @ np.vstack([pts, np.ones(8)])
            u, v = img[0] / img[2], img[1] / img[2]
            # the amodal box: what of the corners' hull lies in the image
            inside = MultiPoint(np.column_stack([u, v])).convex_hull.intersection(
                shapely_box(0, 0, f["camera"]["width"], f["camera"]["height"]))
            np.testing.assert_allclose(lab["bbox"], inside.bounds, atol=1.0)
            checked += 1
    assert checked > 20


def test_extras_hold_depth_in_millimetres_and_the_semantic_classes(dataset):
    f = _records(dataset)[3]
    depth = cv2.imread(str(dataset / f["extras"]["depth"]), cv2.IMREAD_UNCHANGED)
    semantic = cv2.imread(str(dataset / f["extras"]["semantic"]), cv2.IMREAD_UNCHANGED)
    assert depth.dtype == np.uint16 and semantic.dtype == np.uint8
    sky = semantic == 1
    assert sky.any() and (depth[sky] == 0).all()
    road = depth[semantic == 2]  # 0 past 65.5 m, see the next test
    assert (road > 0).any() and (road[road > 0] > 1000).all()
    legend = json.loads((dataset / "manifest.json").read_text())["semantic_legend"]
    assert {"id": 2, "name": "road"}.items() <= legend[2].items()
    image_mark = read_mark((dataset / f["image"]).read_bytes())
    for kind, rel in f["extras"].items():  # marked synthetic too, saying what they hold
        assert read_mark((dataset / rel).read_bytes()) == {**image_mark, "extra": kind}


def test_the_depth_extra_is_the_frames_depth_in_millimetres_and_0_where_out_of_range(dataset):
    f = next(fr for fr in _records(dataset) if fr["scenario"] == "child_between_parked_cars"
             and fr["step"] == 80)
    spec = load_scenario(Path(__file__).resolve().parents[2] / "scenarios"
                         / "child_between_parked_cars.yaml")
    run = VariantRun(spec, variant_at(spec, f["variant"]))
    run.advance_to(80)
    d = run.render(camera_spec(spec, None)).depth.astype(np.float64)
    png = cv2.imread(str(dataset / f["extras"]["depth"]), cv2.IMREAD_UNCHANGED)
    near = np.isfinite(d) & (d <= 65.535)
    far = np.isfinite(d) & (d > 65.5355)  # ground towards the horizon
    assert near.any() and far.any() and np.isinf(d).any()
    np.testing.assert_array_equal(png[near], np.round(d[near] * 1000.0))
    assert (png[far] == 0).all() and (png[np.isinf(d)] == 0).all()


def _kept(obj: dict) -> bool:
    """The documented default box filter, written out from the README's definition."""
    box = obj["visible_box"]
    return (box is not None and obj["visible_pixels"] >= 25 and box[3] - box[1] >= 8
            and obj["occlusion"] <= 0.9 and obj["visibility"] >= 0.05)


def test_the_default_box_filter_decides_what_every_format_carries(dataset):
    frames = _records(dataset)
    kitti_ids = _kitti_ids(dataset)
    kept = dropped_visible = 0
    for split in ("train", "val"):
        coco = json.loads((dataset / "annotations" / f"instances_{split}.json").read_text())
        coco_ids = {(a["image_id"], a["track_id"]): a["iscrowd"] for a in coco["annotations"]}
        depth = {(a["image_id"], a["track_id"]): a["box3d"]["location_xyz"][2]
                 for a in coco["annotations"]}
        image_ids = {im["file_name"]: im["id"] for im in coco["images"]}
        for f in (fr for fr in frames if fr["split"] == split):
            image_id = image_ids[Path(f["image"]).name]
            yolo = parse_yolo(dataset / "labels" / split / f"{f['stem']}.txt")
            kitti = parse_kitti_label(dataset / "kitti" / split / "label_2"
                                      / f"{kitti_ids[f['image']]}.txt")
            wanted = [o for o in f["labels"] if _kept(o)]
            assert [o["keep"] for o in f["labels"]] == [_kept(o) for o in f["labels"]]
            assert len(yolo) == len(wanted)
            # KITTI: kept actors whose centre lies behind the camera are DontCare too
            behind = [o for o in wanted if depth[(image_id, o["track_id"])] <= 0.0]
            assert sum(lab["type"] != "DontCare" for lab in kitti) == len(wanted) - len(behind)
            # actors the filter drops but that show pixels: KITTI DontCare, COCO iscrowd
            # ignore regions
            shown = [o for o in f["labels"] if not _kept(o) and o["visible_box"] is not None]
            assert sum(lab["type"] == "DontCare" for lab in kitti) == len(shown) + len(behind)
            assert all(lab["xyz"][2] > 0.0 for lab in kitti if lab["type"] != "DontCare")
            for o in f["labels"]:
                crowd = coco_ids.get((image_id, o["track_id"]))
                assert crowd == (0 if _kept(o) else 1 if o["visible_box"] else None)
            kept += len(wanted)
            dropped_visible += len(shown)
    assert kept > 20 and dropped_visible > 5  # both sides of the filter occur


@pytest.mark.parametrize("field, value, keeps", [
    ("visible_pixels", 24, False), ("visible_pixels", 25, True),
    ("height", 7, False), ("height", 8, True),
    ("occlusion", 0.91, False), ("occlusion", 0.9, True),
    ("visibility", 0.049, False), ("visibility", 0.05, True),
    ("visible_box", None, False),
])
def test_box_filter_thresholds_are_the_documented_defaults(field, value, keeps):
    from types import SimpleNamespace

    from simdrive.dataset.options import BoxFilter

    label = dict(visible_pixels=400, visible_box=(10, 10, 50, 40), occlusion=0.3,
                 visibility=0.8)
    if field == "height":
        label["visible_box"] = (10, 10, 50, 10 + value)
    else:
        label[field] = value
    assert BoxFilter().keeps(SimpleNamespace(**label)) is keeps


def test_several_cameras_png_images_and_a_subset_of_formats(tmp_path):
    from tests.dataset.conftest import SMALL, render

    assert render(tmp_path, *SMALL, "--cameras", "front,bev", "--image-format", "png",
                  "--formats", "coco,yolo", "--workers", "1", "-o", "ds") == 0
    ds = tmp_path / "ds"
    assert not (ds / "kitti").exists()
    assert (ds / "data.yaml").is_file() and list((ds / "annotations").glob("*.json"))
    layout = next(line for line in (ds / "README.md").read_text().splitlines()
                  if line.startswith("Layout:"))  # the dataset card lists what is there
    assert "(YOLO)" in layout and "(COCO)" in layout
    assert "KITTI" not in layout and "extras" not in layout
    images = json.loads((ds / "manifest.json").read_text())["images"]
    by_step = defaultdict(dict)
    for im in images:
        assert im["file"].endswith(".png")
        data = (ds / im["file"]).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        mark = read_mark(data)
        assert mark["synthetic"] is True and mark["camera"] == im["camera"]["name"]
        pixels = cv2.imread(str(ds / im["file"]))
        assert pixels.shape[:2] == (im["camera"]["height"], im["camera"]["width"])
        by_step[(im["variant"], im["step"])][im["camera"]["name"]] = im
    assert by_step and all(set(cams) == {"front", "bev"} for cams in by_step.values())
    assert {im["camera"]["projection"] for im in images} == {"perspective", "orthographic"}


def test_a_kind_that_never_passes_the_box_filter_in_a_camera_is_reported():
    """Walkers in the bird's-eye view (about 2 x 4 px) never pass the default minimum
    height: the dataset then has none, silently (found by a review); the render summary
    warns with the counts DatasetStats gathers."""
    from simdrive.dataset.stats import DatasetStats

    def frame(camera, labels):
        return {"split": "train", "scenario": "s", "weather": "clear", "lighting": "noon",
                "image": "images/train/x.jpg", "variant": 0, "camera": {"name": camera},
                "labels": [{"kind": kind, "keep": keep, "visible_pixels": pixels,
                            "visible_box": [0, 0, 4, 4] if pixels else None,
                            "occlusion": 0.0, "truncation": 0.0, "distance_m": 5.0}
                           for kind, keep, pixels in labels]}

    stats = DatasetStats(12)
    for _ in range(6):
        stats.add(frame("bev", [("adult", False, 8), ("car", True, 300), ("dog", False, 0)]))
        stats.add(frame("front", [("adult", True, 400), ("adult", False, 3)]))
    assert stats.never_kept() == [("bev", "adult", 6)]  # the hidden dog shows no pixel
    assert stats.never_kept(at_least=7) == []


def test_a_bird_s_eye_camera_too_high_for_the_depth_extra_is_warned_about(tmp_path, capsys):
    """The depth extra holds up to 65.535 m (uint16 millimetres): a bird's-eye camera 80 m
    up writes depth PNGs that are 0 on the ground; the summary says so (a review found
    them all zero without a word)."""
    from tests.dataset.conftest import CHILD, render

    (tmp_path / "high.yaml").write_text(
        f"extends: {CHILD}\nname: tall\ncamera:\n  - {{preset: front}}\n"
        "  - {preset: bev, z: 80, metres_per_pixel: 0.2}\n  - {name: low, preset: bev}\n")
    args = ["high.yaml", "--limit", "4", "--every", "80", "--quiet", "--workers", "1",
            "--formats", "yolo"]
    assert render(tmp_path, *args, "--cameras", "front,bev,low", "--extras", "depth",
                  "-o", "ds") == 0
    err = capsys.readouterr().err
    warned = [line for line in err.splitlines() if "depth extra's range" in line]
    assert len(warned) == 1 and "camera bev is 80 m above the ground" in warned[0]
    depth = cv2.imread(str(next((tmp_path / "ds" / "extras" / "depth").rglob("*bev*.png"))),
                       cv2.IMREAD_UNCHANGED)
    assert depth.dtype == np.uint16 and (depth == 0).mean() > 0.9  # what it warns about
    low = cv2.imread(str(next((tmp_path / "ds" / "extras" / "depth").rglob("*low*.png"))),
                     cv2.IMREAD_UNCHANGED)
    assert (low == 0).mean() < 0.1  # 50 m up: the ground at 50 m
    assert render(tmp_path, *args, "--cameras", "front,bev", "-o", "ds2") == 0
    assert "depth extra" not in capsys.readouterr().err  # no depth extra: nothing to say


def test_box_filters_for_one_camera(tmp_path, capsys):
    """--min-height 8,bev=0 --min-pixels 25,bev=1: the bird's-eye camera keeps its walkers
    (about 2 x 4 px) while the dashcam keeps its filter (before, one filter served every
    camera: a review found no way to keep both)."""
    from simdrive.dataset.options import BoxFilter, parse_box_filters
    from tests.dataset.conftest import SMALL, render

    base, cameras, named, classes, _ = parse_box_filters({
        "--min-height": "8,bev=0", "--min-pixels": "bev=1", "--max-occlusion": "0.8"})
    assert base == BoxFilter(max_occlusion=0.8) and named == ("bev",) and classes == ()
    assert cameras == (("bev", BoxFilter(min_pixels=1, min_height_px=0, max_occlusion=0.8)),)
    # no change for a camera: no filter of its own, but its name is still checked
    assert parse_box_filters({"--min-height": "8,bev=8"}) == (BoxFilter(), (), ("bev",), (), ())
    # the same filters in another order are the same (a review found a resume refused)
    assert parse_box_filters({"--min-height": "8,rear=4,bev=0"}) == \
        parse_box_filters({"--min-height": "8,bev=0,rear=4"})

    assert render(tmp_path, *SMALL, "--cameras", "front,bev", "--formats", "coco",
                  "--workers", "1", "--min-height", "8,bev=0", "--min-pixels", "25,bev=1",
                  "-o", "ds") == 0
    assert "passed its box filters" not in capsys.readouterr().err
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    camera_of = {im["file"].rsplit("/", 1)[-1]: im["camera"]["name"]
                 for im in manifest["images"]}
    kept = defaultdict(list)
    for split in ("train", "val", "test"):
        path = tmp_path / "ds" / "annotations" / f"instances_{split}.json"
        if not path.exists():
            continue
        coco = json.loads(path.read_text())
        names = {c["id"]: c["name"] for c in coco["categories"]}
        files = {im["id"]: im["file_name"] for im in coco["images"]}
        for a in coco["annotations"]:
            if not a["iscrowd"]:
                kept[camera_of[files[a["image_id"]]]].append((names[a["category_id"]],
                                                               a["bbox"][3], a["area"]))
    assert any(kind == "child" and h < 8 for kind, h, _ in kept["bev"])  # kept in bev only
    assert all(h >= 8 and area >= 25 for _, h, area in kept["front"])
    card = (tmp_path / "ds" / "README.md").read_text()
    assert "Boxes kept (every other camera): visible pixels >= 25, visible height >= 8 px" in card
    assert "Camera bev: visible pixels >= 1, visible height >= 0 px" in card


def test_box_filters_for_one_class(tmp_path, capsys):
    """--min-height 8,tyre=2: a tyre on the road, under 8 px tall until the last metres,
    is kept in every camera while every other class keeps the 8 px minimum (a review found
    clearly visible tyres made ignore regions with no way to keep them alone)."""
    from simdrive.dataset.options import BoxFilter, DatasetOptions, parse_box_filters
    from simdrive.world.actors import actor_kinds
    from tests.dataset.conftest import ROOT, render

    kinds = actor_kinds()
    parsed = parse_box_filters({"--min-height": "8,bev=0,tyre=2", "--min-pixels": "tyre=10"},
                               classes=kinds)
    assert parsed == (BoxFilter(), (("bev", BoxFilter(min_height_px=0)),), ("bev",),
                      (("tyre", (("min_height_px", 2), ("min_pixels", 10))),), ())
    assert parse_box_filters({"--min-pixels": "tyre=10", "--min-height": "tyre=2,8,bev=0"},
                             classes=kinds) == parsed  # any order: the same dataset
    options = DatasetOptions(box_filter=parsed[0], camera_filters=parsed[1],
                             class_filters=parsed[3])
    # a class's values hold in every camera, over the camera's own
    assert options.filter_for("bev", "tyre") == BoxFilter(min_pixels=10, min_height_px=2)
    assert options.filter_for("bev", "car") == BoxFilter(min_height_px=0)
    assert options.filter_for("front", "tyre") == BoxFilter(min_pixels=10, min_height_px=2)

    tyre = str(ROOT / "scenarios" / "tyre_debris_highway.yaml")
    assert render(tmp_path, tyre, "--limit", "2", "--every", "10", "--formats", "coco",
                  "--quiet", "--workers", "1", "--min-height", "8,tyre=2", "-o", "ds") == 0
    kept = []
    for path in (tmp_path / "ds" / "annotations").glob("instances_*.json"):
        coco = json.loads(path.read_text())
        names = {c["id"]: c["name"] for c in coco["categories"]}
        kept += [(names[a["category_id"]], a["bbox"][3]) for a in coco["annotations"]
                 if not a["iscrowd"]]
    assert any(kind == "tyre" and h < 8 for kind, h in kept)
    assert all(h >= 8 for kind, h in kept if kind != "tyre")
    assert all(h >= 2 for kind, h in kept)
    card = (tmp_path / "ds" / "README.md").read_text()
    assert "Kind tyre, in every camera: visible height (px) >= 2." in card


def test_coco_ids_are_unique_across_splits(dataset):
    # training on train + val merges the two files: ids that restarted at 1 in every
    # split clashed (found by a review)
    images, annotations = [], []
    for path in sorted((dataset / "annotations").glob("instances_*.json")):
        coco = json.loads(path.read_text())
        ids = [im["id"] for im in coco["images"]]
        assert ids == sorted(ids) and coco["images"]
        images += ids
        annotations += [a["id"] for a in coco["annotations"]]
        assert {a["image_id"] for a in coco["annotations"]} <= set(ids)
    assert len(set(images)) == len(images) and sorted(images) == list(range(1, len(images) + 1))
    assert sorted(annotations) == list(range(1, len(annotations) + 1))


def test_frames_stop_after_the_ego_collides_on_request(tmp_path, capsys):
    """--after-collision 1: a review found five of six frames of a crashed variant showing
    the same two stuck cars; each variant's frames now stop 1 s after its ego's first
    collision (a variant without one keeps its whole run)."""
    from simdrive.scenario.runner import load_scenario, simulate_variants
    from simdrive.scenario.source import load_variants
    from tests.dataset.conftest import CHILD, render

    assert render(tmp_path, CHILD, "--limit", "6", "--every", "10", "--formats", "yolo",
                  "--quiet", "--workers", "1", "--after-collision", "1", "-o", "ds") == 0
    spec, chosen = load_variants(CHILD, 6)
    crash = {r.variant.index: r.outcome.collision_time_s
             for r in simulate_variants(load_scenario(CHILD), chosen) if r.kept}
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    times = defaultdict(list)
    for im in manifest["images"]:
        times[im["variant"]].append(im["time_s"])
    assert set(times) == set(crash) and any(t == t for t in crash.values())  # some crashed
    for index, at in crash.items():
        last = spec.duration if at != at else min(spec.duration, at + 1.0)
        assert max(times[index]) <= last + 1e-9
        assert max(times[index]) > last - 10 * spec.dt - 1e-9  # every 10 steps up to it
    assert "frames stop 1 s after the ego's first collision" in \
        (tmp_path / "ds" / "README.md").read_text()
    assert render(tmp_path, CHILD, "--after-collision", "-1", "-o", "x") == 2
    assert "--after-collision is a time after the collision" in capsys.readouterr().err


def test_box_filters_for_one_weather(tmp_path):
    """--min-visibility 0.05,fog=0.25: a mixed dataset drops the boxes fog has washed out
    without dropping dim ones at night (a review: the README's advice for fog sets, a
    higher minimum, could not be given to the fog frames alone)."""
    from simdrive.dataset.options import BoxFilter, DatasetOptions, parse_box_filters
    from simdrive.world.actors import actor_kinds
    from simdrive.world.conditions import WEATHERS
    from tests.dataset.conftest import CHILD, render

    parsed = parse_box_filters({"--min-visibility": "0.05,fog=0.25", "--min-height": "tyre=2"},
                               classes=actor_kinds(), weathers=tuple(WEATHERS))
    assert parsed[4] == (("fog", (("min_visibility", 0.25),)),)
    options = DatasetOptions(box_filter=parsed[0], class_filters=parsed[3],
                             weather_filters=parsed[4])
    assert options.filter_for("front", "car", "fog") == BoxFilter(min_visibility=0.25)
    assert options.filter_for("front", "car", "rain") == BoxFilter()
    assert options.filter_for("front", "tyre", "fog") == BoxFilter(min_visibility=0.25,
                                                                   min_height_px=2)
    assert render(tmp_path, CHILD, "--limit", "8", "--every", "20", "--formats", "coco",
                  "--quiet", "--workers", "1", "--min-visibility", "0.05,fog=0.25",
                  "-o", "ds") == 0
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    weather = {im["file"].rsplit("/", 1)[-1]: im["weather"] for im in manifest["images"]}
    seen, washed_out = set(), 0
    for path in (tmp_path / "ds" / "annotations").glob("instances_*.json"):
        coco = json.loads(path.read_text())
        files = {im["id"]: im["file_name"] for im in coco["images"]}
        for a in coco["annotations"]:
            w = weather[files[a["image_id"]]]
            seen.add(w)
            if not a["iscrowd"]:
                assert a["visibility"] >= (0.25 if w == "fog" else 0.05)
            elif w == "fog" and 0.05 <= a["visibility"] < 0.25 and a["occlusion"] <= 0.9:
                washed_out += 1  # kept by the general filter, an ignore region in fog
    assert "fog" in seen and len(seen) > 1 and washed_out > 0
    assert "Frames in fog: visibility >= 0.25." in (tmp_path / "ds" / "README.md").read_text()


def test_a_ball_is_labelled_in_every_format_under_its_own_small_object_filter(tmp_path):
    """The library's ball (0.22 m) with its own box filter (the defaults, 8 px tall and
    25 pixels, keep it only from ~9 m): a class of its own in YOLO's names and COCO's
    categories, ``Ball`` in KITTI, and each written box is the shard's label record's."""
    from tests.dataset.conftest import ROOT, render

    ball = str(ROOT / "scenarios" / "ball_then_child.yaml")
    assert render(tmp_path, ball, "--limit", "1", "--every", "5", "--quiet", "--workers",
                  "1", "--min-height", "8,ball=3", "--min-pixels", "25,ball=4",
                  "-o", "ds") == 0
    ds = tmp_path / "ds"
    names = yaml.safe_load((ds / "data.yaml").read_text())["names"]
    index = actor_kinds().index("ball")
    assert names[index] == "ball"
    gt = COCO(str(ds / "annotations" / "instances_train.json"))
    assert gt.loadCats(index + 1)[0]["name"] == "ball"
    balls = [a for a in gt.dataset["annotations"] if a["kind"] == "ball" and not a["iscrowd"]]
    kept = [(f, o) for f in _records(ds) for o in f["labels"] if o["kind"] == "ball" and o["keep"]]
    assert len(balls) == len(kept) > 3
    assert all(o["visible_box"][3] - o["visible_box"][1] >= 3 and o["visible_pixels"] >= 4
               for _, o in kept)
    assert any(o["visible_box"][3] - o["visible_box"][1] < 8 for _, o in kept)  # own filter
    for f, o in kept:
        yolo_rows = [r for r in parse_yolo(ds / "labels" / f["split"] / f"{f['stem']}.txt")
                     if r[0] == index]
        x0, y0, x1, y1 = o["visible_box"]
        w, h = f["camera"]["width"], f["camera"]["height"]
        assert any(abs((r[1] - r[3] / 2) * w - x0) < 0.01 and abs((r[2] + r[4] / 2) * h - y1)
                   < 0.01 for r in yolo_rows)
        kitti = parse_kitti_label(ds / "kitti" / f["split"] / "label_2"
                                  / f"{f['split_index']:06d}.txt")
        lines = [k for k in kitti if k["type"] == "Ball"]
        assert len(lines) == 1 and lines[0]["hwl"] == [0.22, 0.22, 0.22]
