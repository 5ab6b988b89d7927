"""Correct at scale: identical output for any worker count or backend, resume after SIGKILL."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.dataset.conftest import CHILD, SMALL, render, tree


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, str]:
    cwd = tmp_path_factory.mktemp("one_worker")
    assert render(cwd, *SMALL, "--workers", "1", "-o", "ds") == 0
    return tree(cwd / "ds")


def test_two_workers_write_the_identical_dataset(tmp_path, reference):
    assert render(tmp_path, *SMALL, "--workers", "2", "-o", "ds") == 0
    assert tree(tmp_path / "ds") == reference


def test_a_dask_local_cluster_writes_the_identical_dataset(tmp_path, reference,
                                                           monkeypatch):
    import os
    import subprocess
    import tempfile

    temp = tmp_path / "temp"  # the system's temporary folder, for this run
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    # what a killed run left (its process gone), a live run's, and somebody else's
    dead = subprocess.Popen(["true"])
    dead.wait()
    (temp / f"simdrive-dask-{dead.pid}-x1" / "dask-scratch-space").mkdir(parents=True)
    (temp / f"simdrive-dask-{os.getpid()}-x2").mkdir()
    (temp / "other").mkdir()
    assert render(tmp_path, *SMALL, "--cluster", "local", "--workers", "2", "-o", "ds") == 0
    assert tree(tmp_path / "ds") == reference
    # the workers' scratch space is gone with the run, and so is the killed run's
    assert sorted(p.name for p in temp.iterdir()) == ["other", f"simdrive-dask-{os.getpid()}-x2"]


def test_ctrl_c_stops_a_dask_local_cluster_run_with_one_clean_message(tmp_path):
    """Ctrl-C reaches the whole process group; the cluster's workers used to print a
    KeyboardInterrupt traceback each. Now only the run reports it (resuming an interrupted
    run is what the SIGKILL tests check)."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]),
               PYTHONUNBUFFERED="1")
    # thousands of frames: the run is still rendering when the signal comes
    command = [sys.executable, "-m", "simdrive", "render", CHILD, "--limit", "60", "-o",
               "big", "--cluster", "local", "--workers", "2"]
    # Ctrl-C as a terminal's foreground job gets it: a test run started in the background
    # of a non-interactive shell (CI=true bash .ci/run &) ignores SIGINT, and Python keeps
    # an ignored SIGINT ignored, so the run would finish and exit 0
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = proc.stderr.readline()  # the first progress line: the cluster is up
        assert first.startswith("rendered 0/"), first
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
        err = first + proc.stderr.read()
        assert proc.wait(timeout=60) == 130
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.strip().endswith("simdrive: interrupted (run the same command again to "
                                "resume)"), err


def test_rerunning_a_finished_dataset_skips_every_shard(tmp_path, reference, capsys):
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
    capsys.readouterr()
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
    assert "0 shards rendered" in capsys.readouterr().out
    assert tree(tmp_path / "ds") == reference


@pytest.mark.parametrize("pattern", ["images/*/*.jpg", "labels/*/*.txt",
                                     "kitti/*/label_2/*.txt", "kitti/*/calib/*.txt",
                                     "kitti/*/image_2/*.jpg"])
def test_files_deleted_from_a_finished_dataset_are_written_again(tmp_path, reference,
                                                                 capsys, pattern):
    # a missing YOLO label would read as an image without objects: a rerun repairs it
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
    sorted((tmp_path / "ds").glob(pattern))[0].unlink()
    capsys.readouterr()
    assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
    captured = capsys.readouterr()
    assert "1 shard rendered" in captured.out and "WARN" not in captured.err
    assert tree(tmp_path / "ds") == reference


def test_a_run_killed_at_random_moments_resumes_to_the_identical_dataset(tmp_path):
    # enough frames (82) that a run takes a few seconds, so the kills land mid-run
    longer = [*SMALL, "--every", "4"]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    command = [sys.executable, "-m", "simdrive", "render", *longer, "--workers", "2", "-o",
               "ds"]
    warm = tmp_path / "warm"  # compiles and caches the kernels if no test did yet
    warm.mkdir()
    assert subprocess.run([*command[:-1], "warm"], cwd=warm, env=env).returncode == 0
    ref = tmp_path / "reference"
    ref.mkdir()
    t0 = time.perf_counter()
    assert subprocess.run(command, cwd=ref, env=env, capture_output=True).returncode == 0
    duration = time.perf_counter() - t0  # an uninterrupted run, kernels compiled and cached
    work = tmp_path / "killed"
    work.mkdir()
    rng = np.random.default_rng(7)
    kills = 0
    for _ in range(8):
        proc = subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        # anywhere from start-up to rendering to writing the formats; each resumed run
        # has less left to do, so the kill window shrinks with the kills already made
        time.sleep(float(rng.uniform(0.1, 0.9)) * duration / (1 + kills))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the command and its worker processes
            kills += 1
        proc.wait()
        if kills == 4:
            break
    assert kills >= 3
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert tree(work / "ds") == tree(ref / "ds")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG")
def test_pool_workers_end_when_the_run_is_killed_alone(tmp_path):
    """SIGKILL of only the render process (not its group) must not leave its worker
    processes waiting forever for shards, each holding hundreds of MB."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    command = [sys.executable, "-m", "simdrive", "render", *SMALL, "--every", "2",
               "--workers", "2", "-o", "ds"]
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)

    def children() -> list[int]:
        pids = []
        for task in Path(f"/proc/{proc.pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                pids += [int(p) for p in (task / "children").read_text().split()]
        return pids

    deadline = time.monotonic() + 120
    workers: list[int] = []
    while time.monotonic() < deadline and proc.poll() is None:
        workers = children()
        if len(workers) >= 2:  # the pool is up (the compile-ahead child is gone by then)
            break
        time.sleep(0.02)
    assert len(workers) >= 2 and proc.poll() is None
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()
                 and "Z" not in _state(pid)]
    for pid in alive:  # a failure must not leave them behind either
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert not alive


def _state(pid: int) -> str:
    """A process's state letter (Z: a zombie, which holds no memory)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


def test_shards_run_opencv_on_one_thread_and_restore_its_setting(tmp_path, monkeypatch):
    import cv2

    import simdrive.dataset.shard as shard_module

    seen = []
    encode = shard_module.encode_image

    def spy(*args, **kwargs):
        seen.append(cv2.getNumThreads())
        return encode(*args, **kwargs)

    monkeypatch.setattr(shard_module, "encode_image", spy)
    before = cv2.getNumThreads()
    cv2.setNumThreads(2)
    try:
        assert render(tmp_path, *SMALL, "--workers", "1", "-o", "ds") == 0
        assert seen and set(seen) == {1}
        assert cv2.getNumThreads() == 2
    finally:
        cv2.setNumThreads(before)


def test_shards_overlapping_in_threads_keep_opencv_on_one_thread_until_the_last_ends():
    import threading

    import cv2

    from simdrive.dataset.shard import _opencv_single_threaded

    before = cv2.getNumThreads()
    cv2.setNumThreads(3)
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = []

    def first():
        with _opencv_single_threaded():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second():
        first_in.wait(10)
        with _opencv_single_threaded():
            second_in.set()
            first_out.wait(10)
            seen.append(cv2.getNumThreads())  # the first shard has ended, this one runs on

    try:
        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert seen == [1]
        assert cv2.getNumThreads() == 3
    finally:
        cv2.setNumThreads(before)


def test_a_shard_renders_all_its_frames_into_one_set_of_arrays(tmp_path):
    # a frame the shard let go of is reused by the renderer for the next one: one set of
    # frame arrays stays warm in cache (holding the last frame would alternate two)
    from simdrive.dataset.options import DatasetOptions
    from simdrive.dataset.plan import load_sources, shards
    from simdrive.dataset.shard import _RENDERERS, _renderer, _spec_and_road, render_shard

    _RENDERERS.__dict__.clear()  # a renderer of this thread's earlier shards starts afresh
    options = DatasetOptions(limit=4, every=10)
    plan = shards(load_sources([CHILD], options), options)
    render_shard(plan[0], options, str(tmp_path))
    assert len(plan[0].steps) > 2
    renderer = _renderer(_spec_and_road(plan[0])[1])
    assert [len(sets) for sets in renderer._buffer_sets.values()] == [1]


def test_the_parent_warms_up_on_one_frame_and_the_pool_renders_every_shard(tmp_path,
                                                                          monkeypatch):
    """With several workers the parent renders one frame, written nowhere (the forked
    workers inherit its loaded kernels and its road's renderer), then leaves every shard
    to the pool: none is rendered while the other cores wait."""
    import simdrive.dataset.runner as runner
    from simdrive.dataset.options import DatasetOptions
    from simdrive.dataset.plan import load_sources, shards
    from simdrive.dataset.shard import _RENDERERS, _renderer, _spec_and_road, warm_up

    _RENDERERS.__dict__.clear()
    options = DatasetOptions(limit=4, every=40)
    plan = shards(load_sources([CHILD], options), options)
    before = set(tmp_path.rglob("*"))
    warm_up(plan[0], options)
    assert set(tmp_path.rglob("*")) == before  # nothing written
    assert _renderer(_spec_and_road(plan[0])[1]) is not None  # kept for the workers

    in_parent = []
    monkeypatch.setattr(runner, "render_shard", lambda *a: in_parent.append(a))
    monkeypatch.setattr(runner, "warm_up", lambda *a: None)
    done = []

    class Pool:  # records what goes to the workers instead of forking
        def __init__(self, *a, **k):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, fn, shard, *args):
            from concurrent.futures import Future

            done.append(shard)
            future = Future()
            future.set_result(None)
            return future

    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", Pool)
    runner._execute(plan, options, tmp_path, 2, None, lambda result: None)
    assert in_parent == [] and done == plan


def test_assembly_reads_each_record_in_plan_order_as_soon_as_the_shards_before_it_are_done(
        tmp_path, monkeypatch):
    """Shards finish in any order; the assembly reads a record once it and every shard
    before it in the plan are done (while the others still render), and writes the same
    files whatever the order they finished in."""
    import simdrive.dataset.runner as runner
    from simdrive.dataset.options import DatasetOptions
    from simdrive.dataset.plan import load_sources, shards

    assert render(tmp_path, CHILD, "--limit", "4", "--every", "4", "--quiet", "--workers",
                  "1", "-o", "ds") == 0
    ds = tmp_path / "ds"
    written = tree(ds)
    options = DatasetOptions(limit=4, every=4)
    sources = load_sources([CHILD], options)
    plan = shards(sources, options)
    assert len(plan) >= 3
    read = []
    real_read = runner.read_record
    monkeypatch.setattr(runner, "read_record", lambda path: read.append(path.stem)
                        or real_read(path))
    assembly = runner.Assembly(ds, plan, sources, options,
                               ["simdrive", "render", CHILD, "--limit", "4", "--every", "4",
                                "--quiet", "--workers", "1", "-o", "ds"])
    ids = [s.shard_id for s in plan]
    assembly.ready(ids[2])
    assembly.ready(ids[1])
    assert read == []  # the first shard is not done: nothing can be written in order yet
    assembly.ready(ids[0])
    assert read == ids[:3]
    for shard_id in reversed(ids[3:]):
        assembly.ready(shard_id)
    assert read == ids
    assembly.finish()
    assert tree(ds) == written


def _fake_frame(k: int) -> dict:
    """A frame record as a shard writes it (one kept box), distinct per k."""
    from simdrive.dataset import coco
    from simdrive.dataset.manifest import image_line

    box = {"track_id": 1, "name": f"car_{k}", "kind": "car", "keep": True,
           "visible_box": [10, 20, 50, 60], "amodal_box": [9.5, 19.5, 50.5, 60.5],
           "visible_pixels": 1600, "occlusion": 0.1, "truncation": 0.0, "kitti_occluded": 0,
           "dimensions_hwl": [1.5, 1.8, 4.3], "location_xyz": [1.0, 1.5, 20.0 + k % 7],
           "rotation_y": 0.0, "alpha": 0.0, "distance_m": 20.0, "visibility": 0.9,
           "segmentation": {"size": [360, 640], "counts": "abc"}}
    full = {"image": f"images/train/f{k:06d}.jpg", "stem": f"f{k:06d}", "split": "train",
            "split_index": k, "scenario": "s", "source": "s.yaml", "variant": k // 20,
            "seed": 1, "values": {"x": k}, "step": k % 20, "time_s": 0.1 * k,
            "weather": "clear", "lighting": "noon", "extras": {}, "labels": [box],
            "camera": {"name": "front", "width": 640, "height": 360,
                       "intrinsics": [[320.0, 0.0, 320.0]] * 3}}
    return {**full, "coco": coco.fragments(full), "manifest": image_line(full, True)}


def _assemble_fake(out: Path, n: int) -> int:
    """Stream n fabricated frames through assembly's writers; returns the peak traced memory
    (bytes) while they take the frames (writing the files out then copies the spools in
    chunks of a fixed size)."""
    import tracemalloc

    from simdrive.dataset import coco, kitti, yolo
    from simdrive.dataset.manifest import ManifestWriter
    from simdrive.dataset.options import DatasetOptions
    from simdrive.dataset.stats import DatasetStats

    tracemalloc.start()
    try:
        stats = DatasetStats(n)
        writers = [coco.Writer(out, ["train"], out), yolo.Writer(out, ["train"], out),
                   kitti.Writer(out, ["train"], out),
                   ManifestWriter(out, [], DatasetOptions(), None, out)]
        for k in range(n):
            frame = _fake_frame(k)  # made, used and dropped: as one read from a record
            stats.add(frame)
            for writer in writers:
                writer.add(frame)
        peak = tracemalloc.get_traced_memory()[1]
        for writer in writers:
            writer.finish(stats)
        return peak
    finally:
        tracemalloc.stop()


def _peak_in_a_fresh_process(out: Path, n: int) -> int:
    """_assemble_fake(out, n) in a new interpreter: tracemalloc traces every thread, and in
    one clean-clone CI run the in-process measurement counted 4 MB (0.27 MB in every other
    run), most likely another thread's (an earlier test's Dask client), not the writers'."""
    code = ("import sys; from pathlib import Path; "
            "from tests.dataset.test_scale import _assemble_fake; "
            "print(_assemble_fake(Path(sys.argv[1]), int(sys.argv[2])))")
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p))
    run = subprocess.run([sys.executable, "-c", code, str(out), str(n)], cwd=root, env=env,
                         capture_output=True, text=True, check=True, timeout=300)
    return int(run.stdout.split()[-1])


def test_assembly_streams_the_records_in_flat_memory(tmp_path):
    """The parent writes COCO, manifest and ImageSets without holding the frames: 8x the
    frames costs no more than the compact per-box statistics (holding the records
    would cost ~10 kB a frame)."""
    import json

    small, large = tmp_path / "small", tmp_path / "large"
    small.mkdir()
    large.mkdir()
    peak_small = _peak_in_a_fresh_process(small, 500)
    peak_large = _peak_in_a_fresh_process(large, 4000)
    assert peak_large - peak_small < 300_000  # 3,500 more frames: < 100 bytes each
    doc = json.loads((large / "annotations" / "instances_train.json").read_text())
    assert [im["id"] for im in doc["images"]] == list(range(1, 4001))
    assert [a["id"] for a in doc["annotations"]] == list(range(1, 4001))
    assert [a["image_id"] for a in doc["annotations"]] == list(range(1, 4001))
    assert doc["images"][1234]["file_name"] == "f001234.jpg"
    manifest = json.loads((large / "manifest.json").read_text())
    assert [im["file"] for im in manifest["images"]] == \
        [f"images/train/f{k:06d}.jpg" for k in range(4000)]
    assert manifest["splits"] == {"train": 4000}
    ids = (large / "kitti" / "ImageSets" / "train.txt").read_text().split()
    assert ids == [f"{k:06d}" for k in range(4000)]
    # the spools were unnamed files: nothing is left beside the outputs
    assert sorted(p.name for p in (large / "annotations").iterdir()) == \
        ["instances_train.json"]
