"""The window, driven by posted events and a virtual clock under SDL's dummy driver."""

from __future__ import annotations

import numpy as np
import pygame

from simdrive.core import layout as L
from simdrive.preview.keys import BINDINGS, command_for, help_lines
from simdrive.preview.views import BirdsEyeTransform
from simdrive.render.scene import scene_from_simulation
from tests.preview.conftest import key, press

DT = 1 / 30


def test_it_plays_in_real_time_in_whole_steps(make_viewer):
    viewer = make_viewer()
    pb = viewer.playback
    for _ in range(30):  # one wall second at x1
        viewer.tick(DT)
    assert pb.step == round(1.0 / pb.dt_s)
    press(viewer, pygame.K_PLUS, "+")  # x2
    for _ in range(15):
        viewer.tick(DT)
    assert viewer.speed == 2.0 and pb.step == round(2.0 / pb.dt_s)


def test_space_pauses_and_the_arrows_step_exactly(make_viewer):
    viewer = make_viewer()
    pb = viewer.playback
    for _ in range(12):
        viewer.tick(DT)
    press(viewer, pygame.K_SPACE)
    paused_at = pb.step
    for _ in range(10):
        viewer.tick(DT)
    assert not viewer.playing and pb.step == paused_at
    x_before = pb.sim.blocks.fstate.copy()
    press(viewer, pygame.K_RIGHT)
    press(viewer, pygame.K_RIGHT)
    assert pb.step == paused_at + 2
    press(viewer, pygame.K_LEFT)
    press(viewer, pygame.K_LEFT)
    assert pb.step == paused_at and np.array_equal(pb.sim.blocks.fstate, x_before)
    viewer.tick(DT)
    assert pb.step == paused_at


def test_next_and_previous_variant_wrap_round(make_viewer):
    viewer = make_viewer(variant=0)
    pb = viewer.playback
    press(viewer, pygame.K_n)
    assert pb.position == 1 and pb.variant.index == 1 and pb.step == 0
    press(viewer, pygame.K_p)
    press(viewer, pygame.K_p)
    assert pb.position == pb.count - 1
    viewer.tick(DT)


def test_boxes_help_weather_lighting_and_camera_keys(make_viewer):
    viewer = make_viewer()
    pb = viewer.playback
    viewer.tick(DT)
    assert viewer.boxes
    press(viewer, pygame.K_b)
    assert not viewer.boxes
    press(viewer, pygame.K_h)
    assert viewer.show_help
    own = pb.look()
    press(viewer, pygame.K_w)
    press(viewer, pygame.K_l)
    look = pb.look()
    assert look.weather != own.weather and look.lighting != own.lighting
    assert pb.provenance()["preview_changes"] == {"weather": look.weather,
                                                  "lighting": look.lighting}
    viewer.tick(DT)
    assert viewer.playback.render().look == look
    # c: the scenario's cameras (here one), then the presets it does not define, round
    seen = [pb.camera_name]
    for _ in range(5):
        press(viewer, pygame.K_c)
        seen.append(pb.camera_name)
    assert seen == ["front", "rear", "left", "right", "bev", "front"]
    press(viewer, pygame.K_q)
    assert not viewer.running


def test_manual_throttle_speeds_the_ego_up(make_viewer):
    viewer = make_viewer()
    pb = viewer.playback
    ego = int(pb.sim.blocks.wint[0, L.WI_EGO])
    press(viewer, pygame.K_m)
    assert pb.manual and viewer.playing
    pygame.event.post(key(pygame.K_UP))
    viewer.process_events()
    assert pb.driver.controls.throttle
    v0 = pb.sim.blocks.fstate[0, L.F_SPEED, ego]
    for _ in range(30):
        viewer.tick(DT)
    assert pb.sim.blocks.fstate[0, L.F_SPEED, ego] > v0 + 1.0
    pygame.event.post(key(pygame.K_UP, down=False))
    pygame.event.post(key(pygame.K_LEFT))  # steers in manual mode, does not step back
    viewer.process_events()
    step = pb.step
    assert not pb.driver.controls.throttle and pb.driver.controls.left and pb.step == step
    press(viewer, pygame.K_m)
    assert not pb.manual and pb.driven


def test_paused_arrows_step_even_in_manual_mode_and_release_held_controls(make_viewer):
    # stepping back into a stretch driven by hand turns manual driving on again (as it
    # was then); paused, the arrows still step instead of steering, so one is never stuck
    viewer = make_viewer()
    pb = viewer.playback
    press(viewer, pygame.K_m)
    pygame.event.post(key(pygame.K_UP))
    viewer.process_events()
    for _ in range(10):
        viewer.tick(DT)
    press(viewer, pygame.K_SPACE)  # pause, throttle still held
    pygame.event.post(key(pygame.K_UP, down=False))
    viewer.process_events()
    assert not viewer.playing and not pb.driver.controls.throttle  # released while paused
    press(viewer, pygame.K_m)  # hand back (this resumes play), then pause again
    press(viewer, pygame.K_SPACE)
    step = pb.step
    for _ in range(3):
        press(viewer, pygame.K_LEFT)
    assert pb.step == step - 3 and pb.manual  # back in the hand-driven stretch
    assert not pb.driver.controls.left  # the arrow stepped, it did not steer


def test_a_preset_camera_is_kept_for_a_scenario_that_does_not_define_it(make_viewer):
    viewer = make_viewer(camera="bev")
    assert viewer.playback.camera_name == "bev"
    assert viewer.playback.render().camera.orthographic


def test_click_selects_an_actor_wheel_zooms_and_drag_pans(make_viewer):
    viewer = make_viewer()
    viewer.tick(DT)
    t = viewer.birds_eye.transform
    scene = scene_from_simulation(viewer.playback.sim, 0)
    on_screen = [(name, tuple(int(v) for v in t.to_screen(np.array([x, y]))))
                 for name, x, y in zip(scene.names, scene.x, scene.y, strict=True)]
    name, pos = next((n, p) for n, p in on_screen if n != "ego" and t.rect.collidepoint(p))
    for kind in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
        pygame.event.post(pygame.event.Event(kind, pos=pos, button=1))
    viewer.process_events()
    assert viewer.selected == name
    viewer.tick(DT)  # draws the selection panel
    zoom = t.pixels_per_m
    pygame.event.post(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=2, flipped=False))
    viewer.process_events()
    assert t.pixels_per_m == zoom * 1.25 ** 2
    start = t.centre_m
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=(pos[0] - 50, pos[1]),
                                         rel=(-50, 0), buttons=(1, 0, 0)))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(pos[0] - 50, pos[1]),
                                         button=1))
    viewer.process_events()
    assert not viewer.birds_eye.following and viewer.selected == name
    assert t.centre_m[0] == start[0] + 50 / t.pixels_per_m
    press(viewer, pygame.K_f)
    assert viewer.birds_eye.following


def test_the_transform_round_trips_and_zoom_keeps_the_cursor_point():
    t = BirdsEyeTransform(pygame.Rect(100, 0, 400, 300), anchor=(20.0, -3.0))
    p = t.to_screen(np.array([25.0, 1.0]))
    assert np.allclose(t.to_world(tuple(p)), (25.0, 1.0))
    before = t.to_world((150, 40))
    t.zoom(3.0, (150, 40))
    assert np.allclose(t.to_world((150, 40)), before)


def test_the_window_can_be_resized(make_viewer):
    viewer = make_viewer()
    pygame.display.set_mode((900, 600), pygame.RESIZABLE)
    viewer.tick(DT)
    layout = viewer.layout()
    assert layout.birds_eye.right == 900 and layout.dashcam.width <= 450


def test_every_command_is_bound_and_listed_in_the_help(make_viewer):
    viewer = make_viewer()
    for b in BINDINGS:
        assert hasattr(viewer, "_cmd_" + b.command)
        assert command_for(b.keys[0], "", manual=False) == b.command
    assert len(help_lines()) >= len(BINDINGS)
    assert command_for(pygame.K_RIGHT, manual=True) is None  # arrows drive in manual mode


def test_long_words_such_as_a_saved_files_path_wrap_inside_the_panel(make_viewer):
    # a review found the "saved ..." message cut off at the window's edge
    from simdrive.preview import hud

    viewer = make_viewer()
    path = "/tmp/" + "a_rather_long_folder_name/" * 4 + "child_v20_t004.80_front.png"
    lines = hud.wrap([(f"saved {path} and x.json", hud.GOOD)], viewer.font, 300)
    assert len(lines) > 2 and all(viewer.font.size(text)[0] <= 300 for text, _ in lines)
    assert "".join(text.strip() for text, _ in lines).replace(" ", "") == f"saved{path}andx.json"
    assert lines[1][0].strip().endswith("/")  # broken after a folder's slash
