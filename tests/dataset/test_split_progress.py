"""Splits by variant (ratios, seed, never by frame) and the progress output of a run."""

from __future__ import annotations

import io
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from simdrive.dataset import progress as progress_module
from simdrive.dataset.options import DatasetOptions
from simdrive.dataset.plan import split_of
from simdrive.dataset.progress import Progress
from simdrive.scenario.build import Variant


def _variants(n: int) -> list[Variant]:
    return [Variant(scenario="s", file="s.yaml", content_hash="abc123", seed=7, index=k,
                    values={}) for k in range(n)]


def test_variants_fall_into_splits_at_the_asked_ratios_and_by_seed():
    variants = _variants(4000)
    options = DatasetOptions(split=(("train", 0.7), ("val", 0.2), ("test", 0.1)))
    counts = Counter(split_of(v, options) for v in variants)
    # binomial standard deviations at n = 4000: ~29, ~25, ~19 variants
    assert abs(counts["train"] - 2800) < 120
    assert abs(counts["val"] - 800) < 100
    assert abs(counts["test"] - 400) < 80
    again = [split_of(v, options) for v in variants]
    assert again == [split_of(v, options) for v in variants]  # deterministic
    other_seed = DatasetOptions(split=options.split, split_seed=1)
    moved = sum(split_of(v, options) != split_of(v, other_seed) for v in variants)
    assert moved > 1000  # a new split seed reshuffles (about 46% expected to move)


def test_every_frame_of_a_variant_is_in_its_variants_split(dataset):
    images = json.loads((dataset / "manifest.json").read_text())["images"]
    splits = defaultdict(set)
    for image in images:
        splits[(image["scenario"], image["variant"])].add(image["split"])
        assert image["file"].startswith(f"images/{image['split']}/")
    assert len(splits) >= 2
    assert all(len(s) == 1 for s in splits.values())


def test_a_split_left_empty_by_too_few_variants_is_warned_of(tmp_path, capsys):
    from tests.dataset.conftest import SMALL, render

    # three variants kept; val's share is so small that none falls in it
    assert render(tmp_path, *SMALL, "--workers", "1", "--split", "train=0.999,val=0.001",
                  "-o", "ds") == 0
    assert "warning: split val is empty" in capsys.readouterr().err
    report = (tmp_path / "ds" / "report" / "report.md").read_text()
    assert "**split val is empty: " in report and "| val | 0 | 0 |" in report


def test_a_split_without_train_warns_that_yolo_cannot_train_on_it(tmp_path, capsys):
    # an audit found only "split val is empty ... val at the training images" here, and
    # no word that data.yaml's train (images/train) holds nothing
    from tests.dataset.conftest import SMALL, render

    assert render(tmp_path, *SMALL, "--workers", "1", "--split", "val=0.5,test=0.5",
                  "-o", "ds") == 0
    err = capsys.readouterr().err
    assert "warning: --split gives train no share, so YOLO cannot train on this dataset" in err
    assert "read through its val and test split" in err
    report = (tmp_path / "ds" / "report" / "report.md").read_text()
    assert "**--split gives train no share, so YOLO cannot train" in report
    assert render(tmp_path, *SMALL, "--workers", "1", "--split", "val=0.5,test=0.5",
                  "--formats", "coco", "-o", "coco") == 0
    assert "train no share" not in capsys.readouterr().err  # COCO has no train file to fail


def test_a_run_that_require_keeps_nothing_of_is_warned_of(tmp_path, capsys):
    from tests.dataset.conftest import CHILD, render

    text = Path(CHILD).read_text().replace("require: [min_ttc < 2.0]", "require: [min_ttc < 0]")
    assert "min_ttc < 0" in text
    scenario = tmp_path / "child_never.yaml"
    scenario.write_text(text.replace("extends: base/", f"extends: {Path(CHILD).parent}/base/"))
    assert render(tmp_path, str(scenario), "--limit", "2", "--quiet", "--workers", "1",
                  "-o", "ds") == 0
    err = capsys.readouterr().err
    assert "warning: require: kept none of the 2 variants simulated" in err
    assert "split" not in err  # no variant at all: not a split matter


def test_an_unwritable_existing_folder_is_named_as_such(tmp_path, capsys, monkeypatch):
    import errno

    from tests.dataset.conftest import SMALL, render

    (tmp_path / "ds").mkdir()
    real_mkdir = Path.mkdir

    def refuse(self, *args, **kwargs):  # as a read-only folder does (root ignores chmod)
        if (tmp_path / "ds") in self.absolute().parents:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 2
    assert "cannot write into ds: Permission denied" in capsys.readouterr().err
    assert not any((tmp_path / "ds").iterdir())


class _Clock:
    def __init__(self):
        self.now = 100.0

    def perf_counter(self):
        return self.now


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def clock(monkeypatch):
    fake = _Clock()
    monkeypatch.setattr(progress_module, "time", fake)
    return fake


def test_a_terminal_gets_a_bar_with_rate_and_eta(clock):
    out = _Terminal()
    bar = Progress(100, stream=out)
    bar.advance(0)  # the run starts: nothing done before it
    clock.now += 2.0
    bar.advance(20)  # 20 frames in 2 s: 10 frames/s, 80 left: 8 s
    bar.close()
    last = out.getvalue().split("\r")[-1]
    assert last.startswith("[" + "#" * 6 + "-" * 24 + "] 20/100 frames")
    assert "10.0 frames/s" in last and "ETA     8 s" in last
    assert out.getvalue().endswith("\n")


def test_a_resumed_run_counts_only_its_own_frames_in_the_rate(clock):
    out = _Terminal()
    bar = Progress(100, stream=out)
    bar.advance(60)  # finished by an earlier run
    clock.now += 4.0
    bar.advance(20)
    last = out.getvalue().split("\r")[-1]
    assert "80/100 frames" in last and "5.0 frames/s" in last and "ETA     4 s" in last


def test_frames_found_done_are_said_to_be_so_without_a_rate(clock):
    # a review saw a finished dataset resumed report "324/324 frames (100%), 0.0
    # frames/s, ETA ? s"
    log = io.StringIO()
    Progress(324, stream=log).advance(324)
    assert log.getvalue() == "rendered 324/324 frames (100%), already done\n"
    out = _Terminal()
    Progress(100, stream=out).advance(60)
    assert out.getvalue().endswith("] 60/100 frames  already done")
    fresh = io.StringIO()  # a new run's first line: nothing done yet (not "already done")
    Progress(14, stream=fresh).advance(0)
    assert fresh.getvalue() == "rendered 0/14 frames (0%), starting\n"


def test_a_log_gets_plain_lines_every_few_seconds_and_quiet_gets_nothing(clock):
    log = io.StringIO()
    bar = Progress(100, stream=log, every_s=5.0)
    bar.advance(0)
    for _ in range(9):  # one second and 10 frames each
        clock.now += 1.0
        bar.advance(10)
    clock.now += 1.0
    bar.advance(10)  # the last frames: always reported
    lines = log.getvalue().splitlines()
    assert lines[-1].startswith("rendered 100/100 frames (100%), 10.0 frames/s")
    assert "\r" not in log.getvalue() and 2 <= len(lines) <= 4
    quiet = io.StringIO()
    silent = Progress(100, quiet=True, stream=quiet)
    silent.advance(50)
    silent.advance(50)
    silent.close()
    assert quiet.getvalue() == ""


def test_a_split_named_other_than_train_val_test_is_rendered_with_a_warning(tmp_path, capsys):
    from tests.dataset.conftest import SMALL, render

    assert render(tmp_path, *SMALL, "--workers", "1", "--split", "train=0.5,tst=0.5",
                  "-o", "ds") == 0
    err = capsys.readouterr().err
    assert "split tst is not train, val or test" in err
    assert not (tmp_path / "ds" / "images" / "test").exists()
    assert "YOLO's data.yaml does not list" in err
    # without YOLO there is no data.yaml to speak of (a review)
    assert render(tmp_path, *SMALL, "--workers", "1", "--split", "train=0.5,tst=0.5",
                  "--formats", "coco", "-o", "ds2") == 0
    err = capsys.readouterr().err
    assert "split tst is not train, val or test" in err and "YOLO" not in err
