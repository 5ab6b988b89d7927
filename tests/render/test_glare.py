"""Dazzle: the veiling glare of oncoming headlights, in the picture and in the labels'
visibility, against the Stiles-Holladay fall-off computed here."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from simdrive.render import finish as FN
from simdrive.render.fill import pack_rgb
from simdrive.render.lamps import glow_points, light_rows
from simdrive.render.look import make_look
from simdrive.render.renderer import Renderer
from simdrive.scenario.cameras import PRESETS
from simdrive.scenario.render_options import RenderOptions
from tests.render.helpers import ROAD, make_scene, reference_dazzle, reference_light

FRONT = PRESETS["front"]
RENDERER = Renderer(ROAD, RenderOptions(sensor_noise=False, vignette=False), seed=2)
NIGHT = make_look("clear", "night")


def _point(u, v, rgb, glare, actor=3, z=20.0):
    p = np.zeros(FN.G_COUNT)
    p[[FN.G_U, FN.G_V, FN.G_Z]] = u, v, z
    p[[FN.G_R, FN.G_G, FN.G_B]] = rgb
    p[[FN.G_RADIUS, FN.G_GLARE, FN.G_ACTOR]] = 3.0, glare, actor
    return p


def test_the_veil_falls_off_as_the_inverse_square_of_the_angle_to_the_lamp():
    h, w, deg = 120, 200, 0.18
    colour = np.zeros((h, w), np.uint32)
    rgb = np.array([200.0, 190.0, 160.0])  # a lamp seen at an angle: dimmer, same hue
    points = _point(100.3, 50.7, rgb, 300.0)[None]
    FN.add_glare(colour, points, deg)
    rows, cols = np.mgrid[0:h, 0:w]
    theta2 = np.maximum(((cols + 0.5 - 100.3) * deg) ** 2 + ((rows + 0.5 - 50.7) * deg) ** 2,
                        0.25)
    a = 300.0 / theta2
    expected = np.zeros((h, w), np.uint32)
    for row, col in zip(*np.nonzero(a * rgb.sum() / rgb.max() >= 1.5), strict=True):
        r, g, b = a[row, col] * rgb / rgb.max()
        expected[row, col] = pack_rgb(r, g, b)
    assert (colour == expected).all()
    # 2 degrees from the lamp: 300 / 4 = 75 grey levels in its brightest channel
    assert (colour[50, 100 + round(2 / deg)] >> 16) & 255 == pytest.approx(75, abs=2)
    assert colour[0, 0] == 0 or (colour[0, 0] >> 16) & 255 <= 2  # far off: next to nothing


def test_veil_at_sums_every_lamp_but_the_actors_own():
    points = np.stack([_point(50.0, 40.0, (255, 245, 220), 100.0, actor=1),
                       _point(60.0, 40.0, (255, 245, 220), 100.0, actor=1),
                       _point(10.0, 40.0, (255, 245, 220), 50.0, actor=2),
                       _point(30.0, 40.0, (200, 20, 10), 0.0, actor=2)])  # a tail lamp
    deg = 0.2
    both = 100.0 / (5 * deg) ** 2 + 100.0 / (5 * deg) ** 2
    other = 50.0 / (45 * deg) ** 2
    assert FN.veil_at(55.0, 40.0, points, -1, deg) == pytest.approx(both + other)
    assert FN.veil_at(55.0, 40.0, points, 1, deg) == pytest.approx(other)
    # right on a lamp the angle stops at GLARE_MIN_DEG
    assert FN.veil_at(10.0, 40.0, points, 1, deg) == pytest.approx(50.0 / 0.25)


def test_a_lamp_hidden_behind_something_nearer_dazzles_nobody():
    h, w = 60, 80
    colour = np.zeros((h, w), np.uint32)
    depth = np.full((h, w), 100.0)
    depth[20:40, 30:50] = 5.0  # a van between the camera and the lamp
    sem = np.zeros((h, w), np.uint8)
    points = np.stack([_point(40.0, 30.0, (255, 245, 220), 400.0, z=30.0),
                       _point(10.0, 30.0, (255, 245, 220), 400.0, z=30.0),
                       _point(-5.0, 30.0, (255, 245, 220), 400.0, z=30.0)])  # off the image
    FN.add_glows(colour, depth, sem, points, 1, 2)
    assert points[:, FN.G_GLARE].tolist() == [0.0, 400.0, 0.0]


def _scene(lamps: int):
    """An oncoming car 25 m ahead in the other lane (its lamps ``lamps``), a walker 1.5 m
    beside it and 6 m behind it (as the ego's camera sees them, just right of its
    headlights), and a parked van on the right."""
    scene = make_scene([("car", 45.0, 1.75, math.pi), ("adult", 51.0, 0.2, math.pi / 2),
                        ("van", 60.0, -5.5, 0.0)])
    scene.moving[3] = 0
    return dataclasses.replace(scene, lamps=np.array([1, lamps, 0, 0], np.int64))


def _oncoming(lamps: int, lighting: str = "night", weather: str = "clear"):
    """The frame of _scene and its labels by actor index."""
    frame = RENDERER.render(_scene(lamps), FRONT, make_look(weather, lighting))
    return frame, {lab.track_id: lab for lab in frame.labels}


def test_oncoming_headlights_wash_out_a_walker_beside_them_at_night():
    lit, on = _oncoming(1)
    dark, off = _oncoming(0)
    walker, car = 2, 1
    # the walker stays as lit (the car's beams point away from it) but loses most of its
    # contrast to the veil; the car, seen by its own lamps, keeps its visibility
    assert on[walker].visible_pixels == off[walker].visible_pixels > 0
    share = on[walker].visibility / off[walker].visibility
    cam = lit.camera
    _, bright = reference_light(_scene(1), NIGHT, cam,
                                light_rows(_scene(1), NIGHT, cam, RENDERER._posts(cam)),
                                brightness=True)
    # within the light's sampling (the renderer's rings against the reference's grid)
    assert share == pytest.approx(
        reference_dazzle(_scene(1), NIGHT, cam, lit, bright)[walker], abs=0.002)
    assert share < 0.9
    assert on[car].visibility == pytest.approx(NIGHT.transmission(on[car].distance_m))
    # in the picture: the veil lifts the dark round the lamps by what the labels count
    points = glow_points(_scene(1), lit.camera, NIGHT,
                         np.array([True, False, False, False]), np.zeros((0, 3)))
    deg = math.degrees(1.0 / lit.camera.intrinsics[0, 0])
    heads = points[points[:, FN.G_GLARE] > 0]
    assert len(heads) == 2
    u = int(heads[:, FN.G_U].mean())
    v = int(heads[:, FN.G_V].min()) - 30  # night sky 30 px above the headlights
    assert lit.semantic[v, u] == dark.semantic[v, u]
    veil = FN.veil_at(u + 0.5, v + 0.5, heads, -1, deg)
    lift = int(lit.image[v, u, 0]) - int(dark.image[v, u, 0])
    assert veil > 10 and lift == pytest.approx(veil, abs=1.5)
    # rain on the windscreen scatters more (twice as much in the heaviest)
    _, rain_on = _oncoming(1, weather="rain")
    _, rain_off = _oncoming(0, weather="rain")
    assert (rain_on[walker].visibility / rain_off[walker].visibility
            < on[walker].visibility / off[walker].visibility)


@pytest.mark.parametrize("lighting", ["noon", "dusk"])
def test_no_glare_by_day_and_less_at_dusk(lighting):
    _, on = _oncoming(1, lighting)
    _, off = _oncoming(0, lighting)
    ratio = on[2].visibility / off[2].visibility
    if lighting == "noon":
        assert ratio == 1.0  # no headlights on by day
    else:
        _, night_on = _oncoming(1)
        _, night_off = _oncoming(0)
        assert night_on[2].visibility / night_off[2].visibility < ratio < 1.0
