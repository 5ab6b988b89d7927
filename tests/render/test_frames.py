"""Frames of scenario variants: determinism, purity, the frame command, the synthetic mark."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest

from simdrive.cli import main
from simdrive.errors import ScenarioError
from simdrive.render.export import save_frame
from simdrive.render.frames import VariantRun, camera_spec, render_frame
from simdrive.render.images import encode_image, read_mark
from simdrive.scenario.build import variant_at
from simdrive.scenario.runner import load_scenario

ROOT = Path(__file__).resolve().parents[2]
CHILD = ROOT / "scenarios" / "child_between_parked_cars.yaml"


def test_the_same_variant_renders_bit_identical_frames_twice():
    spec = load_scenario(CHILD)
    v = variant_at(spec, 5)
    a = render_frame(spec, v, 2.5)
    b = render_frame(spec, v, 2.5)
    for name in ("image", "depth", "instance", "semantic"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.labels == b.labels


@pytest.mark.parametrize("weather", ["rain", "snow", "clear"])
def test_a_frame_rendered_in_opencv_order_is_the_rgb_frame_with_channels_swapped(
        tmp_path, weather):
    # rain and snow on the lens, vignette and sensor noise all act on the image bytes
    path = tmp_path / "weather.yaml"
    path.write_text(f"extends: {CHILD}\nenvironment:\n  weather: {{choice: [{weather}]}}\n"
                    "  lighting: {choice: [night]}\n"
                    "render: {vignette: true, sensor_noise: true}\n")
    spec = load_scenario(path)
    rgb = VariantRun(spec, variant_at(spec, 0))
    bgr = VariantRun(spec, variant_at(spec, 0))
    for step in (0, 30):
        rgb.advance_to(step)
        bgr.advance_to(step)
        cam = camera_spec(spec, None)
        a, b = rgb.render(cam), bgr.render(cam, bgr=True)
        assert not a.bgr and b.bgr and (a.look.weather, a.look.lighting) == (weather, "night")
        np.testing.assert_array_equal(b.image, a.image[..., ::-1])
        for name in ("depth", "instance", "semantic"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert a.labels == b.labels
        for suffix in (".jpg", ".png"):
            assert encode_image(b.image, suffix, {"v": 1}, bgr=True) == \
                encode_image(a.image, suffix, {"v": 1})
        # whatever reads a Frame's pixels through Frame.rgb sees the same image
        np.testing.assert_array_equal(b.rgb, a.image)
        assert a.rgb is a.image
        for overlay in (False, True):
            saved = [save_frame(tmp_path / f"{name}{step}{overlay}.png", frame,
                                overlay=overlay) for name, frame in (("a", a), ("b", b))]
            for suffix in (".png", ".json"):
                assert saved[0].with_suffix(suffix).read_bytes() == \
                    saved[1].with_suffix(suffix).read_bytes()


def test_a_frame_a_caller_holds_is_never_overwritten_by_later_frames():
    spec = load_scenario(CHILD)
    run = VariantRun(spec, variant_at(spec, 5))
    cam = spec.cameras[0]
    first = run.render(cam)
    held = run.render(cam)
    kept = {name: getattr(held, name).copy() for name in ("image", "depth", "instance",
                                                             "semantic")}
    view = first.image[..., ::-1]  # a view alone must keep the image's buffer too
    image = first.image.copy()
    del first
    for step in (10, 20, 30):
        run.advance_to(step)
        later = run.render(cam)
        assert not np.array_equal(later.image, image)
    np.testing.assert_array_equal(view[..., ::-1], image)
    for name, array in kept.items():
        np.testing.assert_array_equal(getattr(held, name), array)


def test_the_arrays_of_a_dropped_frame_are_reused():
    spec = load_scenario(CHILD)
    run = VariantRun(spec, variant_at(spec, 5))
    cam = spec.cameras[0]
    frame = run.render(cam)
    # (depth and instance come as read-only views of the renderer's arrays)
    ids = {id(frame.depth.base), id(frame.instance.base), id(frame.image)}
    reference = frame.image.copy()
    del frame
    run.advance_to(12)
    again = run.render(cam)
    assert {id(again.depth.base), id(again.instance.base), id(again.image)} == ids
    assert not np.array_equal(again.image, reference)  # and it holds the new frame


def test_reused_buffers_hold_only_the_new_frame_whatever_drew_into_them_before(monkeypatch):
    # a reused buffer set has only what its last frame's actors drew taken out (instance
    # ids, depths; the ground pass writes no instance ids, and only the depth rows that
    # change): every frame of a long run, through two cameras and after a frame that
    # failed midway, must equal one a new renderer draws
    from simdrive.render import renderer as renderer_module

    spec = load_scenario(CHILD)
    v = variant_at(spec, 5)
    run = VariantRun(spec, v)
    cams = [camera_spec(spec, None), camera_spec(spec, "rear")]
    real = renderer_module.R.draw_actors
    with_actors = 0
    for step in range(0, 121, 8):
        run.advance_to(step)
        if step == 48:  # the actor pass draws, then fails: that frame is never returned
            def failing(*args):
                real(*args)
                raise RuntimeError("disk on fire")

            monkeypatch.setattr(renderer_module.R, "draw_actors", failing)
            with pytest.raises(RuntimeError):
                run.render(cams[0])
            monkeypatch.setattr(renderer_module.R, "draw_actors", real)
        for cam in cams:
            fresh = VariantRun(spec, v, road=run.road)
            fresh.advance_to(step)
            a, b = run.render(cam), fresh.render(cam)
            for name in ("image", "depth", "instance", "semantic"):
                np.testing.assert_array_equal(getattr(a, name), getattr(b, name),
                                              err_msg=f"{name} at step {step}, {cam.name}")
            assert a.labels == b.labels
            with_actors += bool((a.instance >= 0).any())  # something to clear next
            del a, b
    assert with_actors >= 12


def test_a_frames_instance_and_depth_buffers_are_read_only():
    spec = load_scenario(CHILD)
    frame = VariantRun(spec, variant_at(spec, 5)).render(spec.cameras[0])
    for array in (frame.instance, frame.depth):
        assert not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            array[0, 0] = 3
        np.testing.assert_array_equal(array.copy(), array)  # a copy is the caller's


def test_rendering_does_not_change_the_world_state():
    spec = load_scenario(CHILD)
    run = VariantRun(spec, variant_at(spec, 1))
    run.advance_to(30)
    before = {k: v.copy() for k, v in vars(run.sim.blocks).items()}
    for cam in spec.cameras:
        run.render(cam)
    for k, v in vars(run.sim.blocks).items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def test_frames_of_a_run_match_frames_rendered_one_by_one():
    spec = load_scenario(CHILD)
    v = variant_at(spec, 2)
    run = VariantRun(spec, v)
    frames = list(run.frames(every=20, cameras=spec.cameras, stop=40))
    assert [step for step, _, _ in frames] == [0, 20, 40]
    single = render_frame(spec, v, 40 * spec.dt)
    np.testing.assert_array_equal(frames[-1][2].image, single.image)


def test_a_renderer_reused_for_another_variant_renders_what_a_new_one_does():
    # a dataset worker keeps one renderer across its shards: the variant's seed (noise,
    # rain) comes from the run, and nothing of the frames before may show
    spec = load_scenario(CHILD)
    cam = spec.cameras[0]
    first = VariantRun(spec, variant_at(spec, 3))
    first.advance_to(40)
    first.render(cam)
    for index in (5, 2):  # at dusk, at noon
        reused = VariantRun(spec, variant_at(spec, index), road=first.road,
                            renderer=first.renderer)
        assert reused.renderer is first.renderer
        fresh = VariantRun(spec, variant_at(spec, index))
        for run in (reused, fresh):
            run.advance_to(30)
        a, b = reused.render(cam), fresh.render(cam)
        for name in ("image", "depth", "instance", "semantic"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert a.labels == b.labels


def test_a_weather_change_during_the_run_changes_the_look(tmp_path):
    path = tmp_path / "change.yaml"
    path.write_text(f"extends: {CHILD}\nenvironment:\n  weather: {{choice: [clear, rain]}}\n"
                    "  change: {at: 1.0, weather: fog}\n")
    spec = load_scenario(path)
    v = variant_at(spec, 0)
    assert render_frame(spec, v, 0.5).look.weather != "fog"
    assert render_frame(spec, v, 1.5).look.weather == "fog"


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_images_carry_a_machine_readable_synthetic_mark(suffix):
    img = np.random.default_rng(0).integers(0, 255, (40, 60, 3), dtype=np.uint8)
    data = encode_image(img, suffix, {"scenario_hash": "abc", "variant": 3})
    mark = read_mark(data)
    assert mark["synthetic"] is True and mark["variant"] == 3
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == img.shape
    if suffix == ".png":
        np.testing.assert_array_equal(decoded[..., ::-1], img)
    else:  # still a JFIF file: its APP0 header stays the first segment, the comment after
        assert data[2:4] == b"\xff\xe0" and data[6:11] == b"JFIF\x00"
        assert data[4 + int.from_bytes(data[4:6], "big"):][:2] == b"\xff\xfe"


def test_frame_command_writes_the_image_with_its_mark(tmp_path, capsys):
    out = tmp_path / "f.png"
    assert main(["frame", str(CHILD), "--variant", "3", "--time", "2", "-o", str(out)]) == 0
    data = out.read_bytes()
    assert read_mark(data)["variant"] == 3
    spec = load_scenario(CHILD)
    expected = render_frame(spec, variant_at(spec, 3), 2.0).image
    np.testing.assert_array_equal(cv2.imread(str(out))[..., ::-1], expected)
    assert "actors in view" in capsys.readouterr().out
    overlay = tmp_path / "o.jpg"
    assert main(["frame", str(CHILD), "--variant", "3", "--time", "2", "-o", str(overlay),
                 "--overlay"]) == 0
    assert overlay.stat().st_size > 0
    # no temporary files left; each image has its label record
    assert sorted(os.listdir(tmp_path)) == ["f.json", "f.png", "o.jpg", "o.json"]
    record = json.loads((tmp_path / "f.json").read_text())
    assert record["variant"] == 3 and record["camera"]["width"] == 640
    assert [lab["track_id"] for lab in record["labels"]] == [lab.track_id for lab in
                                                             render_frame(spec, variant_at(
                                                                 spec, 3), 2.0).labels]


def test_frame_draws_a_variant_in_another_weather_and_lighting_on_request(tmp_path, capsys):
    # a review missed a way to see a variant at night without finding its index
    import json

    plain, dark = tmp_path / "plain.png", tmp_path / "dark.png"
    assert main(["frame", str(CHILD), "--variant", "3", "--time", "4.5", "-o", str(plain)]) == 0
    assert main(["frame", str(CHILD), "--variant", "3", "--time", "4.5", "--weather", "fog",
                 "--lighting", "night", "-o", str(dark)]) == 0
    assert "fog/night (drawn so; the run is the variant's own)" in capsys.readouterr().out
    ours, theirs = (json.loads(p.with_suffix(".json").read_text()) for p in (dark, plain))
    assert (ours["weather"], ours["lighting"]) == ("fog", "night")
    assert ours["preview_changes"] == {"weather": "fog", "lighting": "night"}
    assert "preview_changes" not in theirs
    # the same instant (the run is the variant's), seen worse
    for a, b in zip(ours["labels"], theirs["labels"], strict=True):
        assert a["box3d"] == b["box3d"] if "box3d" in a else a["distance_m"] == b["distance_m"]
        assert a["visibility"] <= b["visibility"]
    assert cv2.imread(str(dark)).mean() < cv2.imread(str(plain)).mean() * 0.5


def test_frame_records_only_look_changes_the_variant_does_not_have(tmp_path):
    import json

    out = tmp_path / "f.png"  # variant 3 of the child scenario is clear at noon
    assert main(["frame", str(CHILD), "--variant", "3", "--weather", "clear", "--lighting",
                 "night", "-o", str(out), "--quiet"]) == 0
    assert json.loads(out.with_suffix(".json").read_text())["preview_changes"] == {
        "lighting": "night"}


@pytest.mark.parametrize("args, message", [
    (["--weather", "hail"], "unknown --weather; expected one of clear, rain"),
    (["--lighting", "midnight"], "unknown --lighting; expected one of dawn, noon"),
    (["--variant", "100000"], "no such variant"),
    (["--time", "999"], "time outside the scenario's run"),
    (["--camera", "roof"], "has no camera 'roof'"),
])
def test_frame_command_rejects_bad_requests_with_exit_2(tmp_path, capsys, args, message):
    out = tmp_path / "f.png"
    assert main(["frame", str(CHILD), "-o", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_frame_command_rejects_a_missing_folder_and_a_bad_suffix(tmp_path, capsys):
    assert main(["frame", str(CHILD), "-o", str(tmp_path / "no" / "f.png")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["frame", str(CHILD), "-o", str(tmp_path / "f.gif")]) == 2
    assert ".png, .jpg" in capsys.readouterr().err
    (tmp_path / "afile").write_text("x")
    assert main(["frame", str(CHILD), "-o", str(tmp_path / "afile" / "f.png")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_frame_command_never_writes_over_the_scenario_it_reads(tmp_path, capsys):
    import shutil

    for name, out in (("scen.png", "scen.png"), ("shot.json", "shot.png")):
        scenario = tmp_path / name  # the image, or the label record beside it
        shutil.copy(CHILD, scenario)
        assert main(["frame", str(scenario), "-o", str(tmp_path / out)]) == 2
        assert "is the scenario file given" in capsys.readouterr().err
        assert scenario.read_bytes() == CHILD.read_bytes()


def test_frame_command_reports_an_unwritable_folder(capsys, locked_folder):
    assert main(["frame", str(CHILD), "-o", str(locked_folder / "f.png")]) == 2
    assert "not writable" in capsys.readouterr().err
    assert os.listdir(locked_folder) == []


@pytest.mark.parametrize("room, full", [(0, "f.png"), (1, "f.json")])
def test_a_full_disk_is_a_clean_error_and_leaves_neither_file(tmp_path, capsys, monkeypatch,
                                                              room, full):
    # the disk has room for ``room`` files: none, or the image but not its labels
    import errno

    import simdrive.files as files

    real_open = open
    writes = []

    def filling_open(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        if "w" in mode:
            writes.append(path)
            if len(writes) > room:
                handle.close()
                raise OSError(errno.ENOSPC, "No space left on device")
        return handle

    monkeypatch.setattr(files, "open", filling_open, raising=False)
    assert main(["frame", str(CHILD), "-o", str(tmp_path / "f.png")]) == 2
    assert f"{full}: the disk is full" in capsys.readouterr().err
    assert len(writes) == room + 1 and os.listdir(tmp_path) == []


def test_a_folder_named_like_the_label_file_is_refused_before_writing(tmp_path, capsys):
    (tmp_path / "f.json").mkdir()
    assert main(["frame", str(CHILD), "-o", str(tmp_path / "f.png")]) == 2
    assert "a folder has that name" in capsys.readouterr().err
    assert os.listdir(tmp_path) == ["f.json"]


def test_camera_errors_point_at_the_file_and_line(tmp_path):
    path = tmp_path / "cam.yaml"
    base = CHILD.read_text().replace("extends: base/", f"extends: {ROOT}/scenarios/base/")
    path.write_text(base + "camera:\n  - {preset: front}\n  - {preset: rear, fov_dgs: 90}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    assert "cam.yaml" in text and "fov_dgs" in text and "did you mean 'fov_deg'" in text
    path.write_text(base + "camera: {mount: nobody}\n")
    with pytest.raises(ScenarioError, match="camera mount 'nobody' is not an actor"):
        load_scenario(path)
    path.write_text(base + "camera: {fov_deg: 60, fx: 500, fy: 500}\n")  # one would be lost
    with pytest.raises(ScenarioError, match="fov_deg or fx and fy, not both"):
        load_scenario(path)


def test_several_cameras_render_from_one_scenario(tmp_path):
    path = tmp_path / "cams.yaml"
    base = CHILD.read_text().replace("extends: base/", f"extends: {ROOT}/scenarios/base/")
    path.write_text(base + "camera:\n  - {preset: front}\n  - {preset: rear}\n"
                    "  - {preset: bev, width: 200, height: 200}\n")
    spec = load_scenario(path)
    assert [c.name for c in spec.cameras] == ["front", "rear", "bev"]
    bev = render_frame(spec, variant_at(spec, 0), 1.0, "bev")
    assert bev.image.shape == (200, 200, 3)
    ego = [lab for lab in bev.labels if lab.name == "ego"]
    assert ego and ego[0].visible_pixels > 50  # the bird's-eye view shows its own car


def test_a_preset_camera_name_works_on_any_scenario():
    spec = load_scenario(CHILD)
    rear = render_frame(spec, variant_at(spec, 0), 2.0, "rear")
    assert rear.camera.name == "rear" and rear.image.shape == (360, 640, 3)
    assert rear.camera.spec.yaw_deg == 180.0


def test_the_overlay_greys_out_an_actor_the_fog_washes_out():
    import dataclasses

    from simdrive.render.look import make_look
    from simdrive.render.overlay import FOGGED, draw_labels
    from simdrive.render.renderer import Renderer
    from simdrive.scenario.cameras import PRESETS
    from tests.render.helpers import ROAD, make_scene

    frame = Renderer(ROAD, seed=1).render(make_scene([("car", 40.0, 1.75, 0.0)]),
                                          PRESETS["front"], make_look("clear", "noon"))
    (lab,) = frame.labels
    x0, y0, x1, y1 = lab.visible_box
    for visibility, grey in ((lab.visibility, False), (0.001, True)):
        out = draw_labels(frame.image, (dataclasses.replace(lab, visibility=visibility),))
        edge = out[y0 + (y1 - y0) // 2, x0].astype(int)  # the box's left side, halfway
        near_grey = np.abs(edge - np.array(FOGGED)).max() <= 8  # (anti-aliased)
        assert near_grey == grey


def test_the_overlay_draws_the_boxes_and_caption_and_nothing_else():
    from simdrive.render.look import make_look
    from simdrive.render.overlay import draw_labels
    from simdrive.render.renderer import Renderer
    from simdrive.scenario.cameras import PRESETS
    from tests.render.helpers import ROAD, make_scene

    frame = Renderer(ROAD, seed=1).render(make_scene([("car", 40.0, 1.75, 0.0)]),
                                          PRESETS["front"], make_look("clear", "noon"))
    (lab,) = frame.labels
    before = frame.image.copy()
    out = draw_labels(frame.image, frame.labels)
    assert np.array_equal(frame.image, before)  # a copy is drawn on
    changed = (out != frame.image).any(axis=-1)
    h, w = changed.shape
    allowed = np.zeros_like(changed)

    def ring(box, margin=2):
        """Pixels within ``margin`` of the outline drawn for ``box`` (its last pixel
        column and row are x1 - 1 and y1 - 1; anti-aliasing reaches a pixel further)."""
        x0, y0, x1, y1 = (int(np.floor(v)) for v in (box[0], box[1], box[2] - 1, box[3] - 1))
        band = np.zeros_like(changed)
        band[max(0, y0 - margin):y1 + margin + 1, max(0, x0 - margin):x1 + margin + 1] = True
        band[y0 + margin + 1:y1 - margin, x0 + margin + 1:x1 - margin] = False
        return band

    allowed |= ring(lab.visible_box) | ring(lab.amodal_box)
    x0, y0, x1, y1 = lab.visible_box
    allowed[max(0, y0 - 20):y0 + 1, x0:min(w, x0 + 260)] = True  # the caption above the box
    assert changed.any() and not (changed & ~allowed).any()
    # the solid visible box: its outline pixels are drawn (anti-aliased, so most of them)
    outline = np.zeros_like(changed)
    outline[y0, x0:x1] = outline[y1 - 1, x0:x1] = True
    outline[y0:y1, x0] = outline[y0:y1, x1 - 1] = True
    assert changed[outline].mean() > 0.8


def test_captions_of_a_cluster_of_boxes_do_not_overlap():
    from simdrive.render.overlay import _caption_rect

    placed = []
    for k in range(6):  # six distant actors whose boxes nearly coincide
        box = (300 + k, 150, 310 + k, 158)
        rect = _caption_rect(box, 90, 10, (360, 640, 3), placed)
        assert rect[0] >= 0 and rect[2] < 640 and rect[1] >= 0 and rect[3] < 360
        assert not any(rect[0] <= p[2] and p[0] <= rect[2] and rect[1] <= p[3]
                       and p[1] <= rect[3] for p in placed)
        placed.append(rect)
    # the first goes just above its box, the second just below
    assert placed[0][3] == 149 and placed[1][1] == 158  # the box covers rows 150-157
    for _ in range(100):  # a crowd: captions beside the stacks, then none, never over one
        rect = _caption_rect((300, 150, 310, 158), 90, 10, (360, 640, 3), placed)
        if rect is None:
            break
        assert not any(rect[0] <= p[2] and p[0] <= rect[2] and rect[1] <= p[3]
                       and p[1] <= rect[3] for p in placed)
        placed.append(rect)
    assert rect is None and len(placed) > 12  # stacked and beside, then left out


def test_a_box_as_tall_as_the_image_gets_its_caption_inside_it():
    """The truck the ego has just hit fills the image's height: no room above or below
    it, so its caption went missing (found by a review); now it goes inside, at the top."""
    from simdrive.render.overlay import _caption_rect

    rect = _caption_rect((0, 0, 360, 360), 90, 10, (360, 640, 3), [])
    assert rect is not None and rect[0] == 0 and 0 <= rect[1] <= 2 and rect[3] < 40
    # a caption placed there already: the next goes below it, still inside
    below = _caption_rect((0, 0, 360, 360), 90, 10, (360, 640, 3), [rect])
    assert below is not None and below[1] > rect[3]


def test_a_car_braking_on_black_ice_shows_brake_lights_though_it_barely_slows():
    # the tyres give ~1 m/s^2 on ice; the lights follow the driver's demand (8 m/s^2)
    from simdrive.render.raster import BRAKE_LIGHT_DECEL
    from simdrive.render.scene import scene_from_simulation

    spec = load_scenario(ROOT / "scenarios" / "lead_brake_black_ice.yaml")
    run = VariantRun(spec, variant_at(spec, 0))  # ice
    seen = []
    for step in range(0, 120, 4):
        run.advance_to(step)
        scene = scene_from_simulation(run.sim, 0)
        seen.append(scene.accel[scene.index("lead")])
    assert min(seen) < -BRAKE_LIGHT_DECEL * 4


def test_a_camera_rides_on_one_instance_of_a_count(tmp_path):
    """Frames and labels name a count's instances parked_0, parked_1, ...: a camera mounts
    on one of them (refused before; found by a review), and the count's id alone, which
    names no one car, is refused with the instances listed."""
    text = textwrap.dedent("""\
        name: m
        duration: 3
        map: {type: straight, lanes: 1, length: 200, parking: right}
        ego: {lane: 0, s: 5, speed: 10}
        actors:
          - {id: parked, kind: car, count: 3, placement: {parking: right, s: {uniform: [30, 90]}}}
        camera:
          - {name: pc, mount: MOUNT, z: 1.4}
        """)
    path = tmp_path / "m.yaml"
    path.write_text(text.replace("MOUNT", "parked_1"))
    spec = load_scenario(path)
    frame = render_frame(spec, variant_at(spec, 0), 1.0, "pc")
    assert "parked_1" not in {lab.name for lab in frame.labels}  # its own car
    assert {"parked_0", "parked_2", "ego"} <= {lab.name for lab in frame.labels}
    path.write_text(text.replace("MOUNT", "parked"))
    with pytest.raises(ScenarioError, match="expected one of ego, parked_0, parked_1"):
        load_scenario(path)
