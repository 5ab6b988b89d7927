"""Weather and lighting do to pixels what they do in the world (measured on the images)."""

from __future__ import annotations

import numpy as np
import pytest

from simdrive.render.look import make_look
from simdrive.render.renderer import Renderer
from simdrive.render.semantic import SEMANTIC
from simdrive.scenario.cameras import PRESETS
from simdrive.scenario.render_options import RenderOptions
from tests.render.helpers import ROAD, make_scene

FRONT = PRESETS["front"]
# without sensor noise and vignette, whose pixel-to-pixel variation would blur the measures
RENDERER = Renderer(ROAD, RenderOptions(sensor_noise=False, vignette=False), seed=2)
SCENE = make_scene([("car", 45.0, -1.75, 0.0), ("car", 90.0, 1.75, np.pi),
                    ("adult", 35.0, -6.5, 1.57), ("bus", 140.0, -1.75, 0.0)])


def _render(weather, lighting):
    return RENDERER.render(SCENE, FRONT, make_look(weather, lighting), frame_seed=1)


def _luma(frame, mask=None):
    y = frame.image.astype(float) @ np.array([0.299, 0.587, 0.114])
    return y if mask is None else y[mask]


def test_fog_washes_out_distant_contrast_but_not_near_contrast():
    clear, fog = _render("clear", "noon"), _render("fog", "noon")
    far = np.isfinite(clear.depth) & (clear.depth > 60)
    near = clear.depth < 12
    assert _luma(fog, far).std() < 0.35 * _luma(clear, far).std()
    assert _luma(fog, near).std() > 0.6 * _luma(clear, near).std()


def test_night_is_dark_except_where_headlights_and_lamps_shine():
    noon, night = _render("clear", "noon"), _render("clear", "night")
    assert _luma(night).mean() < 0.35 * _luma(noon).mean()
    road = night.semantic == SEMANTIC["road"]
    rows = np.arange(night.depth.shape[0])[:, None]
    cols = np.arange(night.depth.shape[1])[None, :]
    ahead = road & (night.depth > 6) & (night.depth < 25) & (abs(cols - 320) < 60)
    aside = road & (night.depth > 6) & (night.depth < 25) & (abs(cols - 320) > 250)
    assert ahead.any() and (rows >= 0).all()
    assert _luma(night, ahead).mean() > 2.0 * _luma(night, aside).mean()


def test_dusk_and_dawn_sit_between_noon_and_night():
    means = {lit: _luma(_render("clear", lit)).mean() for lit in ("noon", "dawn", "dusk",
                                                                  "night")}
    assert means["noon"] > means["dawn"] > means["dusk"] > means["night"]


def test_rain_darkens_the_road_and_adds_streaks():
    clear, rain = _render("clear", "noon"), _render("rain", "noon")
    road = (clear.semantic == SEMANTIC["road"]) & (clear.depth < 30)
    assert _luma(rain, road).mean() < 0.85 * _luma(clear, road).mean()
    sky = clear.semantic == SEMANTIC["sky"]
    # streaks: the sky of a rainy frame has fine vertical structure the clear sky lacks
    grad = lambda f: np.abs(np.diff(_luma(f), axis=1))[sky[:, 1:]].mean()  # noqa: E731
    assert grad(rain) > 1.5 * grad(clear)


def test_snow_covers_the_verges_and_black_ice_looks_like_a_clear_day():
    clear, snow, ice = _render("clear", "noon"), _render("snow", "noon"), _render("ice", "noon")
    verge = (clear.semantic == SEMANTIC["vegetation"]) & (clear.depth < 40)
    assert _luma(snow, verge).mean() > _luma(clear, verge).mean() + 60
    assert abs(_luma(ice).mean() - _luma(clear).mean()) < 12


def test_sensor_effects_change_pixels_but_not_labels():
    import dataclasses

    moving = dataclasses.replace(SCENE, speed=np.full(len(SCENE.names), 14.0))
    plain = RENDERER.render(moving, FRONT, make_look("clear", "noon"), frame_seed=1)
    for options in (RenderOptions(sensor_noise=True, vignette=False),
                    RenderOptions(sensor_noise=False, vignette=True),
                    RenderOptions(sensor_noise=False, vignette=False, motion_blur=True)):
        other = Renderer(ROAD, options, seed=2).render(moving, FRONT, make_look("clear", "noon"),
                                                       frame_seed=1)
        assert not np.array_equal(other.image, plain.image)
        assert other.labels == plain.labels
        np.testing.assert_array_equal(other.instance, plain.instance)
    blurred = Renderer(ROAD, RenderOptions(sensor_noise=False, vignette=False,
                                           motion_blur=True), seed=2).render(
        moving, FRONT, make_look("clear", "noon"), frame_seed=1)
    near = plain.depth < 6  # the near road streams past fastest: blur shows there
    grad = lambda f: np.abs(np.diff(_luma(f), axis=0))[near[1:]].mean()  # noqa: E731
    assert grad(blurred) < 0.8 * grad(plain)
    # the sky does not move: its pixels are the unblurred frame's
    sharp = Renderer(ROAD, RenderOptions(sensor_noise=False, vignette=False), seed=2).render(
        moving, FRONT, make_look("clear", "noon"), frame_seed=1)
    sky = np.isinf(sharp.depth)
    assert sky.any() and np.array_equal(blurred.image[sky], sharp.image[sky])


def test_fast_vehicles_throw_up_spray_in_the_rain_only():
    import dataclasses

    fast = dataclasses.replace(SCENE, speed=np.full(len(SCENE.names), 25.0))
    for weather, expect_change in (("heavy_rain", True), ("clear", False)):
        look = make_look(weather, "noon")
        still = RENDERER.render(SCENE, FRONT, look, frame_seed=1)
        moving = RENDERER.render(fast, FRONT, look, frame_seed=1)
        changed = np.abs(moving.image.astype(int) - still.image.astype(int)).sum(axis=2) > 6
        assert changed.any() == expect_change
        assert moving.labels == still.labels


@pytest.mark.parametrize("bgr", [False, True])
def test_effects_read_their_tiles_wrapped_round_at_any_shift(bgr):
    """The effects kernel (which unpacks the packed colours into the image first, in RGB
    or BGR order) against a numpy reference that tiles the noise and precipitation tiles
    over the image (odd sizes, shifts that wrap mid-row and mid-column) and rounds as
    documented (lift by opacity / 256, vignette gain (256 - shade) / 256, noise, each step
    rounded; the vignette's top half mirrored for the bottom rows), and within one level
    of the unrounded float result. Both of its paths: with precipitation (per-byte
    tables) and without (the vignette on the packed words, the noise in byte lanes); a BGR
    image of a width divisible by 4 both byte by byte and a word at a time."""
    from simdrive.render import effects as EF

    rng = np.random.default_rng(4)
    noise = EF.effect_tile(rng.integers(-9, 10, (16, 16)).astype(np.int8))
    precip = EF.effect_tile(rng.integers(0, 256, (8, 8)).astype(np.uint8))
    no_gains = np.zeros((0, 0), np.uint16)
    for h, w, with_precip in ((37, 29, True), (5, 61, False), (20, 3, True), (37, 29, False),
                              (2, 700, False), (9, 64, True), (9, 64, False)):
        image = rng.integers(0, 256, (h, 3 * w)).astype(np.uint8)
        # the top half of a vignette (the kernel mirrors it for the bottom rows); a pixel's
        # three channels darkened alike, as vignette_shade makes it
        pixel_shade = rng.integers(0, 110, ((h + 1) // 2, w)).astype(np.uint8)
        pixel_shade[0, 0] = 0  # no darkening: exactly 256 / 256
        shade = np.repeat(pixel_shade, 3, axis=1)
        gains = 256 - pixel_shade.astype(np.uint16)
        whole = np.concatenate([shade, shade[: h // 2][::-1]])
        nx, ny = int(rng.integers(0, 16)) * 3, int(rng.integers(0, 16))
        px, py = int(rng.integers(0, 8)) * 3, int(rng.integers(0, 8))
        rows, cols = np.arange(h)[:, None], np.arange(3 * w)[None, :]
        grain = noise[(rows + ny) % noise.shape[0], (cols + nx) % noise.shape[1]].astype(int)
        # the image bytes in the order written (the tiles apply per byte position)
        ordered = image.reshape(h, w, 3)[..., ::-1].reshape(h, 3 * w) if bgr else image
        v = ordered.astype(int)
        exact = ordered.astype(float)
        used = precip if with_precip else np.zeros((0, 0), np.uint8)
        if with_precip:
            opacity = precip[(rows + py) % precip.shape[0],
                             (cols + px) % precip.shape[1]].astype(int)
            v = v + ((np.maximum(0, 200 - v) * opacity + 128) >> 8)
            exact = exact + np.maximum(0, 200 - exact) * opacity / 256
        gain = 256 - whole.astype(int)
        vignetted = (v * gain + 128) >> 8
        expected = np.clip(vignetted + grain, 0, 255).astype(np.uint8)
        exact = np.clip(exact * gain / 256 + grain, 0, 255)
        rgb = image.reshape(h, w, 3).astype(np.uint32)
        colour = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
        work = np.empty(w, np.uint32)

        def effects(out, *rest, colour=colour, w=w):
            """EF.effects into ``out``; a BGR image both byte by byte and a word at a time
            (finish_image's word view), which must write the same bytes."""
            by_word = bgr and w % 4 == 0
            if by_word:
                words = np.zeros_like(out)
                EF.effects(colour, words, words.view(np.uint32), bgr, *rest)
            EF.effects(colour, out, np.zeros((0, 0), np.uint32), bgr, *rest)
            if by_word:
                np.testing.assert_array_equal(words, out)

        out = np.zeros_like(image)  # the kernel writes every byte from the packed colours
        effects(out, used, px, py, np.int32(200),
                   shade if with_precip else np.zeros((0, 0), np.uint8),
                   no_gains if with_precip else gains, noise, nx, ny, work)
        np.testing.assert_array_equal(out, expected)
        assert np.abs(out - exact).max() <= 1.5
        if with_precip:
            continue
        # each effect alone: no noise (vignette only), no vignette (noise only), neither
        lens = np.zeros_like(image)
        effects(lens, used, 0, 0, np.int32(0), np.zeros((0, 0), np.uint8),
                   gains, np.zeros((0, 0), np.int8), 0, 0, work)
        np.testing.assert_array_equal(lens, vignetted.astype(np.uint8))
        grainy = np.zeros_like(image)
        effects(grainy, used, 0, 0, np.int32(0), np.zeros((0, 0), np.uint8),
                   no_gains, noise, nx, ny, work)
        np.testing.assert_array_equal(grainy, np.clip(ordered.astype(int) + grain, 0, 255))
        plain = np.zeros_like(image)  # no effects: the packed colours unpacked, unchanged
        effects(plain, used, 0, 0, np.int32(0), np.zeros((0, 0), np.uint8),
                   no_gains, np.zeros((0, 0), np.int8), 0, 0, work)
        np.testing.assert_array_equal(plain, ordered)


def test_vignette_shade_is_the_lens_gain_rounded_in_256ths():
    """The cached vignette table against the separable float32 gains it is made from:
    darkest in the corners (~0.73 kept at 16:9), none at the centre, symmetric (the table
    holds the top half; the effects kernel mirrors it for the bottom)."""
    from simdrive.render import effects as EF

    def whole(half, h):
        return np.concatenate([half, half[: h // 2][::-1]])

    w, h = 64, 36
    shade = whole(EF.vignette_shade(w, h, True), h)
    gain_x, gain_y = EF.vignette_gains(w, h)
    gain = np.floor(gain_x[None, :] * (gain_y[:, None] * np.float32(256.0)) + np.float32(0.5))
    np.testing.assert_array_equal(256 - shade.astype(int), np.minimum(256, gain))
    assert 0.70 < (256 - int(shade[0, 0])) / 256 < 0.75 and shade[h // 2, 3 * (w // 2)] <= 1
    np.testing.assert_array_equal(shade, shade[::-1])
    off = EF.vignette_shade(w, h, False)
    assert off.shape == (1, 3 * w) and not off.any()  # one row, read for every row
    assert not EF.vignette_shade(w, h, True).flags.writeable
    # the packed-word path's table: the same gains per pixel
    np.testing.assert_array_equal(EF.vignette_gain(w, h),
                                  256 - shade[: (h + 1) // 2, ::3].astype(int))
    assert EF.vignette_gain(w, h).dtype == np.uint16 and not EF.vignette_gain(w, h).flags.writeable
    # any shape, tall ones too: the fall-off is measured along the longer side, so the
    # corners keep at least 0.6 (a portrait 300 x 640 frame's went black before)
    for w, h in ((300, 640), (36, 640), (640, 36), (64, 64), (65, 37)):
        half = EF.vignette_shade(w, h, True)
        assert half.shape == ((h + 1) // 2, 3 * w)
        assert (256 - half.astype(int)).min() >= 0.6 * 256
        gain_x, gain_y = EF.vignette_gains(w, h)
        gain = np.floor(gain_x[None, :] * (gain_y[:, None] * np.float32(256.0))
                        + np.float32(0.5))
        # the mirrored bottom half is what the gains give there, to the 256th
        np.testing.assert_array_equal(256 - whole(half, h).astype(int), np.minimum(256, gain))


def test_a_braking_vehicle_shows_brake_lights_by_day():
    # the one cue that a lead car brakes hard: its tail lamps light up, at noon too
    import dataclasses

    from simdrive.render.raster import BRAKE_LIGHT_DECEL

    scene = make_scene([("car", 32.0, -1.75, 0.0)])  # ahead of the ego, seen from behind
    noon = make_look("clear", "noon")
    lit = {}
    for accel in (0.0, -0.9 * BRAKE_LIGHT_DECEL, -4.0):
        braking = dataclasses.replace(scene, accel=np.array([0.0, accel]))
        frame = RENDERER.render(braking, PRESETS["front"], noon)
        mask = frame.mask(1)
        rgb = frame.image[mask].astype(int)
        lit[accel] = int(((rgb[:, 0] >= 240) & (rgb[:, 1] <= 70) & (rgb[:, 2] <= 70)).sum())
    assert lit[0.0] == 0 and lit[-0.9 * BRAKE_LIGHT_DECEL] == 0  # cruising, easing off
    assert lit[-4.0] >= 4  # both lamps, a few pixels each at 12 m


@pytest.mark.parametrize("gap", [1.6, 2.6, 3.6, 5.6])
def test_a_truck_just_ahead_at_night_is_lit_where_the_headlights_reach_it(gap):
    # the rear of a parked truck a few metres ahead: its centre is above the headlights'
    # cone, its lower half in the beams (a review found it black, mean 12 of 255, from
    # 3.6 m in: a face was lit at its centre only)
    from simdrive.world.actors import actor_kind

    ego_x, truck = 20.0, actor_kind("truck")
    scene = make_scene([("truck", ego_x + actor_kind("car").length / 2 + gap + truck.length / 2,
                         -1.75, 0.0)], ego=(ego_x, -1.75, 0.0))
    scene.moving[1] = 0  # parked: no lamps of its own
    frame = RENDERER.render(scene, FRONT, make_look("clear", "night"))
    rear = frame.instance == 1
    assert rear.sum() > 5000
    assert frame.image[rear].mean() > 60  # a grey body lit, not black
    (label,) = [lab for lab in frame.labels if lab.track_id == 1]
    assert label.visibility > 0.5
