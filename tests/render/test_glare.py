"""Dazzle: the veiling glare of oncoming headlights, in the picture and in the labels'
visibility, against the Stiles-Holladay fall-off computed here."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from simdrive.render import blocks as B
from simdrive.render import finish as FN
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


def _cam(w, h, fx, fy=None, cx=None, cy=None):
    """A perspective camera block with these intrinsics (all the glare kernels read)."""
    cam = np.zeros(B.C_COUNT)
    cam[[B.C_FX, B.C_FY, B.C_CX, B.C_CY]] = (fx, fx if fy is None else fy,
                                             w / 2 if cx is None else cx,
                                             h / 2 if cy is None else cy)
    return cam


def _rays(cam, u, v):
    """Unit rays through image positions (u, v) (arrays), last axis xyz."""
    r = np.stack([(u - cam[B.C_CX]) / cam[B.C_FX], (v - cam[B.C_CY]) / cam[B.C_FY],
                  np.ones(np.broadcast(u, v).shape)], axis=-1)
    return r / np.linalg.norm(r, axis=-1, keepdims=True)


def _expected_glare(h, w, cam, points):
    """The glare add_glare should draw, from the law: per lamp, strength / theta^2 in its
    colour over its brightest channel, theta (degrees, at least 0.5) the chord of the angle
    between the rays, where that reaches half a grey level; summed and added where the
    three channels reach 1.5 levels. Returns (h, w, 3) float."""
    rows, cols = np.mgrid[0:h, 0:w]
    pix = _rays(cam, cols + 0.5, rows + 0.5)
    total = np.zeros((h, w, 3))
    for p in points:
        lamp = _rays(cam, np.array(p[FN.G_U]), np.array(p[FN.G_V]))
        chord = np.linalg.norm(pix - lamp, axis=-1)
        theta2 = np.maximum(np.degrees(chord) ** 2, 0.25)
        a = np.where(p[FN.G_GLARE] / theta2 >= 0.5, p[FN.G_GLARE] / theta2, 0.0)
        rgb = p[[FN.G_R, FN.G_G, FN.G_B]]
        total += a[..., None] * rgb / rgb.max()
    return np.where(total.sum(axis=-1, keepdims=True) >= 1.5, total, 0.0)


def _channels(colour):
    return np.stack([(colour >> 16) & 255, (colour >> 8) & 255, colour & 255],
                    axis=-1).astype(int)


def test_the_veil_falls_off_as_the_inverse_square_of_the_angle_to_the_lamp():
    h, w = 120, 200
    cam = _cam(w, h, 320.0, cx=100.3, cy=50.7)
    colour = np.zeros((h, w), np.uint32)
    rgb = np.array([200.0, 190.0, 160.0])  # a lamp seen at an angle: dimmer, same hue
    points = _point(100.3, 50.7, rgb, 300.0)[None]  # on the optical axis
    FN.add_glare(colour, points, cam)
    expected = np.floor(_expected_glare(h, w, cam, points) + 0.5).clip(0, 255)
    got = _channels(colour)
    # the same law computed another way: equal but for a rounding at a .5 boundary
    assert np.abs(got - expected).max() <= 1 and (got != expected).mean() < 1e-3
    assert got.sum() > 0
    # 2 degrees from the lamp: 300 / 4 = 75 grey levels in its brightest channel
    col = int(100.3 + 320.0 * math.tan(math.radians(2.0)))
    assert got[50, col, 0] == pytest.approx(75, abs=2)
    assert got[0, 0].max() <= 2  # far off: next to nothing


def test_many_lamps_each_to_its_half_level_cone_near_the_edges_and_non_square_pixels():
    h, w = 90, 160
    cam = _cam(w, h, 110.0, fy=150.0)  # a wide lens with taller-than-wide pixels
    rng = np.random.default_rng(4)
    points = np.stack([_point(u, v, (255, 245, 220) if k % 2 else (255, 200, 130), g)
                       for k, (u, v, g) in enumerate(zip(
                           rng.uniform(-5, w + 5, 9), rng.uniform(-5, h + 5, 9),
                           [2000.0, 400.0, 60.0, 8.0, 1.0, 0.3, 150.0, 25.0, 3.0],
                           strict=True))])
    base = rng.integers(0, 200, (h, w, 3))
    colour = ((base[..., 0] << 16) | (base[..., 1] << 8) | base[..., 2]).astype(np.uint32)
    FN.add_glare(colour, points, cam)
    added = _expected_glare(h, w, cam, points)
    expected = np.floor(base + added + 0.5).clip(0, 255)
    got = _channels(colour)
    assert np.abs(got - expected).max() <= 1 and (got != expected).mean() < 1e-3
    assert (got != base).mean() > 0.2  # the strong lamps reach far
    # the labels' veil is the picture's: at pixel centres veil_at is the law's sum, which
    # the picture adds in red (both lamp colours' brightest channel) where it adds anything
    for row, col in rng.integers(0, [h, w], (60, 2)):
        veil = FN.veil_at(col + 0.5, row + 0.5, points, -1, cam)
        assert veil == pytest.approx(_veil_of(cam, points, col + 0.5, row + 0.5), rel=1e-9)
        if added[row, col].sum() > 0:
            assert added[row, col, 0] == pytest.approx(veil, rel=1e-9)


def _veil_of(cam, points, u, v):
    """veil's expected value: every lamp's strength / theta^2 where it is 0.5 or more."""
    pix = _rays(cam, np.array(u), np.array(v))
    total = 0.0
    for p in points:
        chord = np.linalg.norm(pix - _rays(cam, np.array(p[FN.G_U]), np.array(p[FN.G_V])))
        term = p[FN.G_GLARE] / max(math.degrees(chord) ** 2, 0.25)
        total += term if term >= 0.5 else 0.0
    return total


def test_veil_at_sums_every_lamp_but_the_actors_own():
    cam = _cam(120, 80, 200.0, cx=55.0, cy=40.0)
    points = np.stack([_point(50.0, 40.0, (255, 245, 220), 100.0, actor=1),
                       _point(60.0, 40.0, (255, 245, 220), 100.0, actor=1),
                       _point(10.0, 40.0, (255, 245, 220), 500.0, actor=2),
                       _point(30.0, 40.0, (200, 20, 10), 0.0, actor=2)])  # a tail lamp

    def term(strength, u_lamp, u=55.0):  # on the row through the principal point
        theta = abs(math.atan((u - 55.0) / 200.0) - math.atan((u_lamp - 55.0) / 200.0))
        return strength / max(math.degrees(2.0 * math.sin(theta / 2.0)) ** 2, 0.25)

    both = term(100.0, 50.0) + term(100.0, 60.0)
    other = term(500.0, 10.0)
    assert min(term(100.0, 50.0), term(100.0, 60.0), other) >= 0.5
    assert FN.veil_at(55.0, 40.0, points, -1, cam) == pytest.approx(both + other)
    assert FN.veil_at(55.0, 40.0, points, 1, cam) == pytest.approx(other)
    # right on a lamp the angle stops at GLARE_MIN_DEG
    assert FN.veil_at(10.0, 40.0, points, 1, cam) == pytest.approx(500.0 / 0.25)
    # a term under half a grey level is left out, as the picture leaves it out
    assert FN.veil_at(119.0, 40.0, points, 2, cam) == 0.0
    assert term(100.0, 50.0, 119.0) < 0.5


def test_the_glare_angle_is_the_same_across_and_up_with_non_square_pixels():
    cam = _cam(400, 400, 300.0, fy=600.0, cx=200.0, cy=200.0)
    lamp = _point(200.0, 200.0, (255, 245, 220), 100.0)[None]
    side = FN.veil_at(200.0 + 300.0 * math.tan(math.radians(3.0)), 200.0, lamp, -1, cam)
    up = FN.veil_at(200.0, 200.0 - 600.0 * math.tan(math.radians(3.0)), lamp, -1, cam)
    assert side == pytest.approx(up) and side == pytest.approx(100.0 / 9.0, rel=1e-3)


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
    heads = points[points[:, FN.G_GLARE] > 0]
    assert len(heads) == 2
    u = int(heads[:, FN.G_U].mean())
    v = int(heads[:, FN.G_V].min()) - 30  # night sky 30 px above the headlights
    assert lit.semantic[v, u] == dark.semantic[v, u]
    veil = FN.veil_at(u + 0.5, v + 0.5, heads, -1, lit.camera.block())
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


@pytest.mark.parametrize("lighting", ["dusk", "dawn"])
def test_a_lit_car_is_dazzled_no_more_at_dusk_and_dawn_than_at_night(lighting):
    """Its own lamps show it at any light; the glare is weaker by a longer exposure."""
    def shares(light):
        out = []
        for lamps in (1, 0):
            scene = make_scene([("car", 40.0, 1.75, math.pi), ("car", 75.0, 4.0, math.pi)])
            scene = dataclasses.replace(scene, lamps=np.array([1, lamps, 1], np.int64))
            frame = RENDERER.render(scene, FRONT, make_look("clear", light))
            out.append({lab.track_id: lab.visibility for lab in frame.labels})
        return out[0][2] / out[1][2]

    night = shares("night")
    assert night < 0.99  # the near car's headlights veil the far one a little
    assert night <= shares(lighting) <= 1.0
