"""Bad requests and bad disks: one clear paragraph, exit code 2, nothing half-written."""

from __future__ import annotations

import errno
import os
import types
from pathlib import Path

import pytest

import simdrive.files as files
from tests.dataset.conftest import CHILD, SMALL, render, tree


def _no_temporaries(folder: Path) -> bool:
    return not [p for p in folder.rglob("*.tmp")]


def test_a_full_disk_stops_cleanly_and_the_run_resumes_once_there_is_space(
        tmp_path, monkeypatch, capsys):
    real_open = open
    writes = {"n": 0}

    def filling_disk(path, mode="r", *args, **kwargs):
        if "w" in mode:
            writes["n"] += 1
            if writes["n"] > 9:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(files, "open", filling_disk, raising=False)
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 2
    err = capsys.readouterr().err
    assert "the disk is full" in err and "Traceback" not in err
    # the folder is left as it is: says so (a review read it as half-written)
    assert "ds holds the shards finished so far and no partly written file: once the " \
        "cause is fixed, the same command resumes it" in err
    assert _no_temporaries(tmp_path / "ds")
    monkeypatch.undo()
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert render(fresh, *SMALL, "--workers", "1", "-o", "ds") == 0
    assert tree(tmp_path / "ds") == tree(fresh / "ds")


@pytest.mark.parametrize("fails", ["spool", "output"])
def test_a_disk_that_fills_during_assembly_stops_cleanly_and_the_rerun_completes(
        tmp_path, monkeypatch, capsys, fails):
    """Assembly streams COCO entries and manifest lines through spools on disk: a full
    disk there (writing a spool, or the file it is copied into) is the same clean error,
    leaves the earlier files as they were, and the rerun completes the dataset."""
    import io

    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
    reference = tree(tmp_path / "ds")
    manifest = (tmp_path / "ds" / "manifest.json").read_bytes()
    real_open = open

    class FullDisk:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    class FullRaw(io.RawIOBase):  # a disk that takes nothing: the buffer keeps its bytes
        def writable(self):
            return True

        def readable(self):
            return True

        def seekable(self):
            return True

        def seek(self, offset, whence=0):
            return 0

        def readinto(self, buffer):
            return 0

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    if fails == "spool":  # as on a real disk, buffered: the failure comes at a flush
        monkeypatch.setattr(files, "tempfile", types.SimpleNamespace(
            TemporaryFile=lambda **kw: io.BufferedRandom(FullRaw())))
    else:
        def filling(path, mode="r", *args, **kwargs):  # the COCO files and the manifest
            handle = real_open(path, mode, *args, **kwargs)
            name = os.path.basename(path)
            return FullDisk(handle) if name.startswith((".instances_", ".manifest")) \
                else handle

        monkeypatch.setattr(files, "open", filling, raising=False)
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 2
    err = capsys.readouterr().err
    assert "the disk is full" in err and "Traceback" not in err
    assert _no_temporaries(tmp_path / "ds")
    assert (tmp_path / "ds" / "manifest.json").read_bytes() == manifest
    monkeypatch.undo()
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
    assert tree(tmp_path / "ds") == reference


@pytest.mark.parametrize("damage, report_reads", [
    (lambda f: f["coco"].update(image=""), False),  # would go into the COCO file as it is
    (lambda f: f["coco"].update(annotations=["{}"]), False),  # '{"id":1,}' once numbered
    (lambda f: f["coco"].update(image='{"a" 1}'), False),
    (lambda f: f.pop("manifest"), False),
    (lambda f: f.update(weather="hail"), True),  # would trip the report's coverage grid
    (lambda f: f.pop("image"), True),
    (lambda f: f.update(split_index="7"), True),  # the report checks the KITTI files
    (lambda f: f["labels"].append(3), True),
    (lambda f: f.update(split="holdout"), False),
])
@pytest.mark.parametrize("command", ["render", "report"])
def test_a_damaged_shard_record_is_a_clear_error_for_render_and_report(
        tmp_path, capsys, damage, report_reads, command):
    import json

    from simdrive.cli import main

    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
    coco = (tmp_path / "ds" / "annotations" / "instances_train.json").read_bytes()
    record = sorted((tmp_path / "ds" / ".simdrive" / "shards").glob("*.json"))[0]
    data = json.loads(record.read_text())
    damage(data["frames"][0])
    record.write_text(json.dumps(data))
    capsys.readouterr()
    if command == "render":  # resuming: every shard is done, only assembly runs
        code = render(tmp_path, *SMALL, "--workers", "1", "-o", "ds")
    else:
        code = main(["report", str(tmp_path / "ds")])
    err = capsys.readouterr().err
    if command == "report" and not report_reads:
        assert code == 0  # a field only the format files read: the report does not need it
        return
    assert code == 2 and record.name in err and "Traceback" not in err, err
    assert "render command again" in err
    assert (tmp_path / "ds" / "annotations" / "instances_train.json").read_bytes() == coco
    assert _no_temporaries(tmp_path / "ds")


def test_an_output_in_a_missing_folder_is_refused_not_created(tmp_path, capsys):
    # -o /typo/ds created /typo and everything under it; frame and search refuse that too
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "typo/ds") == 2
    err = capsys.readouterr().err
    assert "the folder" in err and "typo does not exist" in err
    assert not (tmp_path / "typo").exists()


def test_an_unwritable_folder_is_a_clean_error(tmp_path, capsys, locked_folder):
    assert render(tmp_path, *SMALL, "-o", "locked/ds") == 2
    err = capsys.readouterr().err
    assert "locked" in err and "Traceback" not in err
    assert _no_temporaries(locked_folder)


def test_a_foreign_folder_is_never_written_without_force(tmp_path, capsys):
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "thesis.tex").write_text("precious")
    assert render(tmp_path, *SMALL, "-o", "ds") == 2
    assert "not a simdrive dataset" in capsys.readouterr().err
    assert os.listdir(tmp_path / "ds") == ["thesis.tex"]
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds", "--force") == 0
    assert (tmp_path / "ds" / "thesis.tex").read_text() == "precious"


def test_spools_named_where_the_disk_has_no_unnamed_files_are_cleaned_up(tmp_path,
                                                                          monkeypatch):
    """Where a file system cannot make unnamed files (NFS), Python names the assembly's
    spools in the run-state folder for a moment; one a kill left there goes with the
    next run's clean-up, and the dataset is the same."""
    import tempfile

    made = []

    def named(**kwargs):  # the fallback's named file, as a kill before its deletion leaves it
        handle = tempfile.NamedTemporaryFile(delete=False, **kwargs)  # noqa: SIM115
        made.append(Path(handle.name))
        return handle

    monkeypatch.setattr(files, "tempfile", types.SimpleNamespace(TemporaryFile=named))
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
    monkeypatch.undo()
    assert made and all(p.parent == tmp_path / "ds" / ".simdrive" for p in made)
    assert all(p.name.startswith(".spool-") and p.name.endswith(".tmp") for p in made)
    reference = tree(tmp_path / "ds")  # as a kill between naming and deleting leaves it
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
    assert not any(p.exists() for p in made)
    assert tree(tmp_path / "ds") == {k: v for k, v in reference.items()
                                     if ".spool-" not in k}


@pytest.mark.parametrize("theirs", ["README.md", "data.yaml", "labels/train/x.txt"])
def test_force_never_writes_over_a_foreign_folders_files(tmp_path, capsys, theirs):
    (tmp_path / "ds" / theirs).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "ds" / theirs).write_text("mine")
    (tmp_path / "ds" / "notes").mkdir()
    (tmp_path / "ds" / "notes" / ".draft.tmp").write_text("mine too")
    before = tree(tmp_path / "ds")
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds", "--force") == 2
    assert "never over them" in capsys.readouterr().err
    assert tree(tmp_path / "ds") == before


def test_force_writes_beside_a_foreign_folders_files(tmp_path):
    (tmp_path / "ds" / "notes").mkdir(parents=True)
    (tmp_path / "ds" / "notes" / ".draft.tmp").write_text("mine")
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds", "--force") == 0
    assert (tmp_path / "ds" / "notes" / ".draft.tmp").read_text() == "mine"  # not ours


def test_force_never_mixes_a_foreign_folders_files_into_the_dataset(tmp_path, capsys):
    (tmp_path / "ds" / "images" / "train").mkdir(parents=True)
    (tmp_path / "ds" / "images" / "train" / "mine.jpg").write_bytes(b"a photo")
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds", "--force") == 2
    err = capsys.readouterr().err
    assert "already has images/" in err and "Traceback" not in err
    assert sorted(str(p.relative_to(tmp_path / "ds")) for p in (tmp_path / "ds").rglob("*")) \
        == ["images", "images/train", "images/train/mine.jpg"]


def test_a_scenario_path_spelled_another_way_resumes_and_a_refusal_names_what_differs(
        tmp_path, capsys):
    # the scenario files count by content: ./x.yaml, x.yaml and /abs/x.yaml are one file
    # (found by a review: the same command from another folder was refused)
    import shutil

    shutil.copytree(Path(CHILD).parent, tmp_path / "scenarios")
    shutil.copytree(Path(CHILD).parents[1] / "assets", tmp_path / "assets")
    small = ["--limit", "2", "--every", "40", "--quiet", "--workers", "1", "-o", "ds"]
    assert render(tmp_path, "scenarios/child_between_parked_cars.yaml", *small) == 0
    before = tree(tmp_path / "ds")
    capsys.readouterr()
    for spelling in ("./scenarios/child_between_parked_cars.yaml",
                     str(tmp_path / "scenarios" / "child_between_parked_cars.yaml")):
        assert render(tmp_path, spelling, *small) == 0
    # the same images and labels (the manifest, the card and the run state name the
    # scenario as typed last)
    def dataset_files(files):
        return {k: v for k, v in files.items()
                if k not in ("manifest.json", "README.md") and not k.startswith(".simdrive")}

    after = tree(tmp_path / "ds")
    assert dataset_files(after) == dataset_files(before) and len(dataset_files(after)) > 20
    assert render(tmp_path, "scenarios/child_between_parked_cars.yaml", "--limit", "2",
                  "--every", "20", *small[4:]) == 2
    err = capsys.readouterr().err
    assert "other scenarios or settings (every: 40 before, 20 now)" in err
    assert render(tmp_path, "scenarios/child_between_parked_cars.yaml", *small,
                  "--cameras", "rear,front") == 2
    assert "cameras: front before, rear,front now" in capsys.readouterr().err
    # the defaults given explicitly are the same dataset (a review: --cameras front, the
    # scenario's first, was "none before, front now")
    assert render(tmp_path, "scenarios/child_between_parked_cars.yaml", *small,
                  "--cameras", "front") == 0
    # an option left out is named too (a review got "its run state differs")
    assert render(tmp_path, "scenarios/child_between_parked_cars.yaml", *small, "-o", "ds3",
                  "--after-collision", "1", "--min-height", "8,tyre=2") == 0
    assert render(tmp_path, "scenarios/child_between_parked_cars.yaml", *small,
                  "-o", "ds3") == 2
    err = capsys.readouterr().err
    assert "after collision s: 1.0 before, none now" in err
    assert "class filters: tyre min_height_px 2 before, none now" in err
    # formats and extras are sets: listed in another order they are the same dataset
    # (found by a review: --extras depth,instance,semantic was refused)
    assert render(tmp_path, "scenarios/child_between_parked_cars.yaml", *small, "-o", "ds2",
                  "--extras", "depth,semantic", "--formats", "coco,yolo") == 0
    two = tree(tmp_path / "ds2")
    assert render(tmp_path, "scenarios/child_between_parked_cars.yaml", *small, "-o", "ds2",
                  "--extras", "semantic,depth", "--formats", "yolo,coco") == 0
    assert dataset_files(tree(tmp_path / "ds2")) == dataset_files(two)


def test_the_scenarios_own_frame_step_given_as_every_resumes_the_same_dataset(tmp_path,
                                                                              capsys):
    path = tmp_path / "sparse.yaml"
    path.write_text(f"extends: {CHILD}\nrender: {{every: 80}}\n")
    common = ["--limit", "1", "--quiet", "--workers", "1", "-o", "ds"]
    assert render(tmp_path, str(path), *common) == 0
    before = tree(tmp_path / "ds")
    capsys.readouterr()
    assert render(tmp_path, str(path), *common, "--every", "80") == 0  # resumed, unchanged
    after = tree(tmp_path / "ds")  # (the manifest and the card record the command line)
    assert {k: v for k, v in after.items() if k not in ("manifest.json", "README.md")} == \
        {k: v for k, v in before.items() if k not in ("manifest.json", "README.md")}
    assert render(tmp_path, str(path), *common, "--every", "40") == 2
    assert "(every: 80 before, 40 now)" in capsys.readouterr().err


def test_a_run_state_from_before_resolved_options_resumes(tmp_path, capsys):
    """A review: a dataset begun by the simdrive before this one recorded --every and
    --cameras as given (none) and no frame step or cameras per scenario; the same command
    must resume it, not call it another dataset."""
    import json

    common = ["--limit", "1", "--every", "80", "--quiet", "--workers", "1", "-o", "ds"]
    assert render(tmp_path, CHILD, *common) == 0
    state = tmp_path / "ds" / ".simdrive" / "dataset.json"
    settings = json.loads(state.read_text())
    for source in settings["sources"]:  # as the earlier simdrive wrote it
        del source["every"], source["cameras"]
    settings["options"].update(every=80, cameras=None)
    state.write_text(json.dumps(settings))
    capsys.readouterr()
    assert render(tmp_path, CHILD, *common) == 0
    assert "already done" in capsys.readouterr().out
    settings["options"].update(every=40)  # but one given differently is another dataset
    state.write_text(json.dumps(settings))
    assert render(tmp_path, CHILD, *common) == 2
    assert "every: 40 before, 80 now" in capsys.readouterr().err


def test_cameras_a_dataset_leaves_out_are_named(tmp_path, capsys):
    # a scenario with three cameras renders its first without --cameras: say so (found by
    # a review: 63 frames of front only, and no word of the other six)
    path = tmp_path / "three.yaml"
    path.write_text(f"extends: {CHILD}\ncamera:\n  - {{preset: front}}\n"
                    "  - {preset: rear}\n  - {preset: left, name: mirror}\n")
    assert render(tmp_path, str(path), "--limit", "1", "--every", "80", "--quiet",
                  "--workers", "1", "-o", "ds") == 0
    err = capsys.readouterr().err
    assert "also has cameras rear, mirror, not rendered" in err
    assert render(tmp_path, str(path), "--limit", "1", "--every", "80", "--quiet",
                  "--workers", "1", "--cameras", "front,rear", "-o", "ds2") == 0
    assert "not rendered" not in capsys.readouterr().err  # chosen: nothing to say


def test_a_different_dataset_is_not_mixed_in(tmp_path, capsys):
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
    assert render(tmp_path, *SMALL, "--every", "20", "-o", "ds") == 2
    assert "other scenarios or settings" in capsys.readouterr().err
    assert render(tmp_path, *SMALL, "--every", "20", "--workers", "1", "-o", "ds",
                  "--force") == 0
    other = tmp_path / "other"
    other.mkdir()
    assert render(other, *SMALL, "--every", "20", "--workers", "1", "-o", "ds") == 0
    # --every was given twice: the later wins, and the replaced dataset has no leftovers
    assert tree(tmp_path / "ds").keys() == tree(other / "ds").keys()


@pytest.mark.parametrize("edited", ["base", "map"])
def test_an_edited_base_or_map_file_makes_another_dataset(tmp_path, capsys, edited):
    """The manifest lists every file a scenario is read from, and a change to its extends
    base or its map is a change of dataset: never resumed into a mix of old and new."""
    import hashlib
    import json
    import shutil

    root = Path(CHILD).parent.parent
    shutil.copytree(root / "scenarios", tmp_path / "scenarios")
    shutil.copytree(root / "assets" / "maps", tmp_path / "assets" / "maps")
    scenario = str(tmp_path / "scenarios" / "child_between_parked_cars.yaml")
    args = [scenario, "--limit", "2", "--every", "40", "--quiet", "--workers", "1", "-o", "ds"]
    assert render(tmp_path, *args) == 0
    sources = json.loads((tmp_path / "ds" / "manifest.json").read_text())["sources"]
    inputs = sources[0]["inputs"]
    assert [Path(i["path"]).relative_to(tmp_path).as_posix() for i in inputs] == [
        "scenarios/child_between_parked_cars.yaml", "scenarios/base/urban_two_lane.yaml",
        "assets/maps/urban_two_lane.yaml"]
    for item in inputs:
        assert item["sha256"] == hashlib.sha256(Path(item["path"]).read_bytes()).hexdigest()
    assert inputs[0]["sha256"] == sources[0]["sha256"]
    card = (tmp_path / "ds" / "README.md").read_text()
    assert all(f"`{i['path']}` {i['sha256']}" in card for i in inputs)
    before = tree(tmp_path / "ds")
    path = Path(inputs[1 if edited == "base" else 2]["path"])
    path.write_text(path.read_text() + "\n# edited\n")  # any change of bytes counts
    assert render(tmp_path, *args) == 2
    assert "other scenarios or settings" in capsys.readouterr().err
    assert tree(tmp_path / "ds") == before  # nothing written


@pytest.mark.parametrize("args, message", [
    (["--formats", "coco,voc"], "unknown format voc"),
    (["--extras", "normals"], "unknown extra normals"),
    (["--split", "train=0.7,val=0.2"], "must sum to 1"),
    # a review's cases: a name with a slash, no '=', a ratio that is no number (an
    # exponent such as 1e-3 is one now)
    (["--split", "train=1e-3,val=1"], "must sum to 1"),
    (["--split", "a/b=1"], "the split name 'a/b' is no folder name a dataset can use"),
    (["--split", "train=0.5,train=0.5"], "--split names train more than once"),
    (["--split", "train"], "--split: 'train' has no '='"),
    (["--split", "train=x,val=1"], "train's ratio 'x' is not a number from 0 to 1"),
    (["--cameras", "roof"], "has no camera 'roof'"),
    (["--image-format", "gif"], "--image-format"),
    (["--every", "0"], "--every must be at least 1"),
    (["--min-pixels", "-5"], "--min-pixels must be at least 0"),
    (["--max-occlusion", "2"], "--max-occlusion is a share"),
    (["--cluster", "not a url"], "cannot reach the Dask scheduler at not a url"),
    (["--cameras", "front,rear,front"], "camera 'front' is listed twice"),
    (["--min-visibility", "-0.1"], "--min-visibility is a share"),
    (["--formats", ""], "--formats names nothing"),
    (["--cameras", " , "], "--cameras names nothing"),
    (["--extras", ","], "--extras names nothing"),
    (["--formats", "coco,yolo,coco"], "format coco is listed twice"),
    (["--extras", "depth,depth"], "extra depth is listed twice"),
    (["--min-height", "8,bev"], "--min-height: 'bev' is not a whole number"),
    (["--min-height", "=3"], "--min-height: an item has no camera or class name before '='"),
    (["--min-pixels", "25,front=1,front=2"], "--min-pixels gives camera front's value twice"),
    (["--min-pixels", "5,7"], "--min-pixels gives the value for every camera twice"),
    (["--max-occlusion", "front=1.5"], "--max-occlusion is a share"),
    # the item at fault is shown, not the whole list (a review)
    (["--max-occlusion", "0.9,tyre=2"], "--max-occlusion is a share; expected a number from 0 "
                                         "to 1, found 'tyre=2'"),
    (["--cameras", "front", "--min-height", "8,bev=0"],
     "a box filter names camera 'bev', which no scenario renders here"),
    (["--min-height", "8,rear=0"],  # without --cameras: the scenario's first camera, front
     "a box filter names camera 'rear', which no scenario renders here"),
    (["--cameras", "front,bev", "--min-height", "8,bevv=8"],  # a typo, even with no effect
     "a box filter names camera 'bevv', which no scenario renders here"),
])
def test_bad_options_are_refused_before_anything_is_written(tmp_path, capsys, args, message):
    assert render(tmp_path, CHILD, "--limit", "2", "-o", "ds", *args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "ds").exists()


def test_file_names_from_scenario_names_stay_inside_the_dataset(tmp_path):
    scenario = tmp_path / "evil.yaml"
    text = Path(CHILD).read_text().replace("name: child_between_parked_cars",
                                           "name: ../../escaped/..\\\\child")
    base = Path(CHILD).parent / "base"
    scenario.write_text(text.replace("extends: base/", f"extends: {base}/"))
    assert render(tmp_path, str(scenario), "--limit", "4", "--every", "80", "--workers", "1",
                  "--quiet", "-o", "ds") == 0
    assert not (tmp_path.parent / "escaped").exists()
    images = list((tmp_path / "ds" / "images").rglob("*.jpg"))
    assert images and all(p.resolve().is_relative_to((tmp_path / "ds").resolve())
                          for p in images)
    assert all(".." not in p.name and "\\" not in p.name for p in images)


def test_a_found_file_from_search_renders_its_variants(tmp_path):
    found = Path(CHILD).parents[1] / "docs" / "search" / "lead_brake_black_ice.found.yaml"
    assert render(tmp_path, str(found), "--limit", "2", "--every", "100", "--workers", "1",
                  "--quiet", "-o", "ds") == 0
    import json

    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    (source,) = manifest["sources"]
    assert source["path"].endswith(".found.yaml") and len(source["variants_kept"]) == 2
    assert {m["variant"] for m in manifest["images"]} == set(source["variants_kept"])


def test_cameras_whose_file_names_would_collide_are_refused(tmp_path, capsys):
    scenario = tmp_path / "cams.yaml"
    base = Path(CHILD).parent / "base"
    text = Path(CHILD).read_text().replace("extends: base/", f"extends: {base}/")
    # two of the scenario's own cameras: refused where the second is written
    scenario.write_text(text + "camera:\n  - {preset: front, name: a.b}\n"
                        "  - {preset: rear, name: a_b}\n")
    assert render(tmp_path, str(scenario), "--cameras", "a.b,a_b", "--limit", "2", "-o",
                  "ds") == 2
    err = capsys.readouterr().err
    line = len(text.splitlines()) + 3
    assert "cameras 'a.b' and 'a_b' would share a dataset's file names" in err
    assert f"cams.yaml:{line}:" in err
    assert not (tmp_path / "ds").exists()
    # one of its cameras and a preset named on the command line: refused by render
    scenario.write_text(text + "camera:\n  - {preset: front, name: rear!}\n")
    assert render(tmp_path, str(scenario), "--cameras", "rear!,rear", "--limit", "2", "-o",
                  "ds") == 2
    err = capsys.readouterr().err
    assert "cameras 'rear!' and 'rear' would share file names" in err and "cams.yaml" in err
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize("greeting", [b"", b"SSH-2.0-OpenSSH_9.6\r\n"])
def test_a_cluster_address_that_is_no_dask_scheduler_fails_cleanly_and_in_time(
        tmp_path, capsys, monkeypatch, greeting):
    # a server that accepts and stays silent hung the Dask client's handshake for good;
    # one that greets in another protocol made it allocate exabytes (a traceback)
    import socket
    import threading
    import time

    import simdrive.dataset.cluster as cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 2.0)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)
            conn.sendall(greeting)

    threading.Thread(target=serve, daemon=True).start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    t0 = time.perf_counter()
    try:
        assert render(tmp_path, CHILD, "--limit", "2", "-o", "ds", "--cluster", address) == 2
    finally:
        server.close()
        for conn in held:
            conn.close()
    err = capsys.readouterr().err
    assert f"cannot reach the Dask scheduler at {address}" in err and "Traceback" not in err
    assert time.perf_counter() - t0 < 20.0
    assert not (tmp_path / "ds").exists()


def test_a_file_given_twice_is_refused(tmp_path, capsys):
    assert render(tmp_path, CHILD, CHILD, "--limit", "2", "-o", "ds") == 2
    assert "a file is given twice" in capsys.readouterr().err
    assert not (tmp_path / "ds").exists()


def test_records_of_an_older_format_are_another_dataset_not_resumed(tmp_path, capsys):
    # a folder an older simdrive wrote (its records lack newer fields) is never resumed
    # into a mix: the run state names the record format
    import json

    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
    marker = tmp_path / "ds" / ".simdrive" / "dataset.json"
    settings = json.loads(marker.read_text())
    settings["record_format"] = 1
    marker.write_text(json.dumps(settings))
    capsys.readouterr()
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 2
    assert "other scenarios or settings" in capsys.readouterr().err


def test_the_scheduler_probe_works_under_a_running_event_loop(monkeypatch):
    # render_dataset called from a notebook, whose event loop is running: the probe must
    # still report an unreachable address as such (asyncio.run refuses to nest)
    import asyncio
    import socket

    import simdrive.dataset.cluster as cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1.0)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # closed again: nothing listens there

    async def inside_a_loop():
        with pytest.raises(OSError) as info:
            cluster._probe(f"tcp://127.0.0.1:{port}")
        return str(info.value)

    message = asyncio.run(inside_a_loop())
    assert "running event loop" not in message


def test_a_damaged_run_state_is_named_as_such(tmp_path, capsys):
    # a review found it reported as a dataset "made with other scenarios or settings"
    from simdrive.dataset.shard import STATE_DIR

    assert render(tmp_path, *SMALL, "--workers", "1", "--formats", "yolo", "-o", "ds") == 0
    (tmp_path / "ds" / STATE_DIR / "dataset.json").write_text("{not json")
    capsys.readouterr()
    assert render(tmp_path, *SMALL, "--workers", "1", "--formats", "yolo", "-o", "ds") == 2
    err = capsys.readouterr().err
    assert "whose run state" in err and "cannot be read (it is damaged)" in err
    assert "other scenarios or settings" not in err
    assert render(tmp_path, *SMALL, "--workers", "1", "--formats", "yolo", "--force",
                  "-o", "ds") == 0
