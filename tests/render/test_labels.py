"""Labels are exact: every one is re-derived here from geometry or from the buffers."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from shapely.geometry import MultiPoint
from shapely.geometry import box as shapely_box

from simdrive.render.labels import box_corners_world
from simdrive.render.lamps import light_rows
from simdrive.render.look import make_look
from simdrive.render.renderer import Renderer
from simdrive.render.semantic import ACTOR_CLASS_BASE
from simdrive.scenario.cameras import PRESETS
from simdrive.world.actors import actor_kinds
from tests.render.helpers import (
    ROAD,
    analytic_ground_depth,
    make_scene,
    reference_amodal_box,
    reference_dazzle,
    reference_light,
)

FRONT = PRESETS["front"]
NOON = make_look("clear", "noon")
RENDERER = Renderer(ROAD, seed=1)


def _random_scene(rng: np.random.Generator, n: int = 24):
    kinds = [k for k in actor_kinds()]
    actors = []
    for _ in range(n):
        kind = str(rng.choice(kinds))
        x = 20.0 + rng.uniform(-50.0, 70.0)
        y = rng.uniform(-9.0, 9.0)
        if abs(x - 20.0) < 3.0 and abs(y + 1.75) < 2.0:
            continue  # not inside the ego
        actors.append((kind, x, y, rng.uniform(-math.pi, math.pi)))
    return make_scene(actors)


def _random_camera(rng: np.random.Generator):
    preset = PRESETS[str(rng.choice(["front", "rear", "left", "right"]))]
    return dataclasses.replace(preset, width=int(rng.integers(200, 500)),
                               height=int(rng.integers(120, 300)),
                               pitch_deg=float(rng.uniform(-5, 15)),
                               roll_deg=float(rng.choice([0.0, rng.uniform(-8, 8)])),
                               fov_deg=float(rng.uniform(50, 120)))


@pytest.mark.parametrize("seed", range(12))
def test_visible_box_is_the_tight_box_of_the_mask_on_random_frames(seed):
    rng = np.random.default_rng(seed)
    scene = _random_scene(rng)
    frame = RENDERER.render(scene, _random_camera(rng), NOON, frame_seed=seed)
    for lab in frame.labels:
        mask = frame.mask(lab.track_id)
        assert mask.sum() == lab.visible_pixels
        if lab.visible_pixels == 0:
            assert lab.visible_box is None
            continue
        rows, cols = np.nonzero(mask)
        assert lab.visible_box == (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)
        # every visible pixel carries the actor's semantic class
        kind_id = int(scene.kind[lab.track_id])
        assert (frame.semantic[mask] == ACTOR_CLASS_BASE + kind_id).all()


def test_amodal_box_matches_an_independent_projection_with_near_clipping():
    checked = 0
    for seed in range(16):
        rng = np.random.default_rng(100 + seed)
        scene = _random_scene(rng)
        frame = RENDERER.render(scene, _random_camera(rng), NOON)
        corners = box_corners_world(scene.x, scene.y, scene.heading, scene.length, scene.width,
                                    scene.height)
        checked += _check_amodal(frame, corners)
    assert checked > 50


def _check_amodal(frame, corners) -> int:
    checked = 0
    for lab in frame.labels:
        ref = reference_amodal_box(frame.camera, corners[lab.track_id])
        if ref is None:
            assert lab.amodal_box is None
            continue
        assert lab.amodal_box is not None
        np.testing.assert_allclose(lab.amodal_box, ref, atol=0.5)
        checked += 1
    return checked


def test_the_amodal_box_holds_the_visible_box_and_hugs_a_car_at_the_image_edge():
    """Every visible box lies inside its amodal box (to a pixel), and a close car reaching
    past the image's edge and behind the camera gets the box of what of its projection
    falls inside the image: the box of its whole projection clipped to the image ran the
    image's full height there (from y = 0 for a car whose roof shows at y = 141; found by
    a review)."""
    checked = 0
    for seed in range(12):
        rng = np.random.default_rng(700 + seed)
        scene = _random_scene(rng)
        frame = RENDERER.render(scene, _random_camera(rng), NOON)
        for lab in frame.labels:
            if lab.visible_box is None:
                continue
            (x0, y0, x1, y1), (vx0, vy0, vx1, vy1) = lab.amodal_box, lab.visible_box
            assert x0 <= vx0 + 1 and y0 <= vy0 + 1 and x1 >= vx1 - 1 and y1 >= vy1 - 1, \
                (seed, lab.name, lab.amodal_box, lab.visible_box)
            checked += 1
    assert checked > 40
    # beside the camera (ego at x = 20 m), in the lane to the left
    (lab,) = RENDERER.render(make_scene([("car", 23.0, 0.6, 0.0)]), FRONT, NOON).labels
    assert lab.visible_box == (0, 141, 206, 360) and lab.truncation > 0.9
    np.testing.assert_allclose(lab.amodal_box, (0.0, 139.0, 209.3, 360.0), atol=0.1)


@pytest.mark.parametrize("spec, own_seen", [
    (dataclasses.replace(PRESETS["left"], yaw_deg=60.0), False),  # a mirror camera, turned
    (dataclasses.replace(PRESETS["right"], yaw_deg=-120.0), False),
    (dataclasses.replace(PRESETS["front"], x=0.0, z=1.6, pitch_deg=20.0), False),  # roof
    (dataclasses.replace(PRESETS["front"], x=-9.0, z=3.0, pitch_deg=12.0), True),  # chase
])
def test_a_camera_on_its_car_never_labels_it_and_a_chase_camera_does(spec, own_seen):
    # the left preset sits 5 mm outside a car's side: turned towards the car it labelled
    # the camera's own car as a car beside it (found by a review); a camera 9 m behind
    # is a chase camera, and its car is a car in view
    scene = make_scene([("car", 40.0, 1.75, math.pi)])
    frame = RENDERER.render(scene, spec, NOON)
    ego = scene.index("ego")
    assert any(lab.track_id == ego for lab in frame.labels) == own_seen
    assert ((frame.instance == ego).any()) == own_seen
    if own_seen:
        (lab,) = [lab for lab in frame.labels if lab.track_id == ego]
        assert lab.visible_pixels > 1000


def test_derived_label_numbers_follow_their_definitions_on_random_frames():
    """Occlusion, KITTI level, truncation, distance and visibility, recomputed here from
    the pixel counts, an independent projection and the box centre."""
    looks = [NOON, make_look("fog", "dusk"), make_look("rain", "night")]
    truncated = 0
    light_errors = []
    partly_lit = dazzled = 0
    for seed in range(12):
        rng = np.random.default_rng(300 + seed)
        scene = _random_scene(rng)
        # parked vehicles (no lamps) among moving ones: the night's light factor varies
        scene.moving[:] = np.random.default_rng(seed).integers(0, 2, len(scene.names))
        look = looks[seed % 3]
        frame = RENDERER.render(scene, _random_camera(rng), look)
        cam = frame.camera
        corners = box_corners_world(scene.x, scene.y, scene.heading, scene.length, scene.width,
                                    scene.height)
        light, bright = reference_light(scene, look, cam,
                                        light_rows(scene, look, cam, RENDERER._posts(cam)),
                                        brightness=True)
        # times the share the glare of other cars' headlights leaves (night, dusk)
        dazzle = reference_dazzle(scene, look, cam, frame, bright)
        dazzled += int((dazzle < 0.98).sum())
        for lab in frame.labels:
            visible, covered = lab.visible_pixels, lab.unoccluded_pixels
            assert lab.occlusion == (1.0 - visible / covered if covered else 1.0)
            expected_level = 3 if visible == 0 else (
                0 if lab.occlusion <= 0.1 else (1 if lab.occlusion <= 0.5 else 2))
            assert lab.kitti_occluded == expected_level
            assert lab.in_view == (lab.amodal_box is not None and covered > 0)
            centre = cam.to_camera(corners[lab.track_id]).mean(axis=0)
            assert lab.distance_m == pytest.approx(float(np.linalg.norm(centre)), rel=1e-9)
            # the fog's transmission exactly; the light within the renderer's sampling of
            # a side (three rings where a beam's edge crosses it) against a fine grid
            transmission = look.transmission(lab.distance_m)
            assert lab.visibility <= transmission * (1 + 1e-12)
            light_error = abs(lab.visibility / transmission
                              - light[lab.track_id] * dazzle[lab.track_id])
            assert light_error <= 0.15
            light_errors.append(light_error)
            partly_lit += 0.05 < light[lab.track_id] < 0.95
            if lab.amodal_box is None:
                assert lab.truncation == 1.0
                continue
            x0, y0, x1, y1 = reference_amodal_box(cam, corners[lab.track_id], to_image=False)
            if (x1 - x0) * (y1 - y0) < 2000.0:
                continue  # the reference is exact to ~0.5 px: compare areas of large boxes
            cx0, cy0, cx1, cy1 = reference_amodal_box(cam, corners[lab.track_id])
            expected = 1.0 - (cx1 - cx0) * (cy1 - cy0) / ((x1 - x0) * (y1 - y0))
            assert lab.truncation == pytest.approx(expected, abs=0.02)
            truncated += lab.truncation > 0.05
    assert truncated >= 3
    assert np.mean(light_errors) < 0.01
    assert partly_lit >= 5  # night actors neither dark nor fully lit were checked
    assert dazzled >= 3  # and actors in the glare of headlights


def test_labels_are_frozen_and_built_from_their_fields_in_order():
    lab = RENDERER.render(make_scene([("car", 40.0, 1.75, 0.0)]), FRONT, NOON).labels[0]
    names = [f.name for f in dataclasses.fields(lab)]
    assert list(lab.to_dict()) == names
    values = [getattr(lab, name) for name in names]
    assert type(lab)(*values) == lab
    assert type(lab)(**dict(zip(names, values, strict=True))) == lab
    assert dataclasses.replace(lab, occlusion=0.5).occlusion == 0.5
    with pytest.raises(dataclasses.FrozenInstanceError):
        lab.occlusion = 0.5


def test_an_actor_reaching_behind_the_camera_gets_a_finite_near_clipped_box():
    # a bus beside the ego, reaching from behind the camera to in front of it
    scene = make_scene([("bus", 22.0, 1.75, 0.0)])
    frame = RENDERER.render(scene, FRONT, NOON)
    (lab,) = frame.labels
    assert lab.amodal_box is not None and lab.truncation > 0.3
    corners = box_corners_world(scene.x, scene.y, scene.heading, scene.length, scene.width,
                                scene.height)
    np.testing.assert_allclose(lab.amodal_box, reference_amodal_box(frame.camera, corners[1]),
                               atol=0.5)


def test_a_car_fully_behind_a_bus_has_occlusion_one_and_no_visible_box():
    scene = make_scene([("bus", 45.0, -1.75, 0.0), ("car", 60.0, -1.75, 0.0)])
    frame = RENDERER.render(scene, FRONT, NOON)
    bus, car = frame.labels
    assert bus.occlusion == 0.0 and bus.kitti_occluded == 0
    assert car.unoccluded_pixels > 100
    assert car.visible_pixels == 0 and car.visible_box is None
    assert car.occlusion == 1.0 and car.kitti_occluded == 3
    assert car.amodal_box is not None and car.in_view  # still reported, hidden


def _silhouette(camera, corners):
    return MultiPoint([tuple(p) for p in camera.project(camera.to_camera(corners))]).convex_hull


@pytest.mark.parametrize("shift", [-0.9, -0.5, 0.0, 0.4])
def test_a_half_hidden_box_has_the_analytic_occlusion(shift):
    # two crates (boxes: their silhouettes are convex hulls of the projected corners)
    size = (1.2, 1.2, 1.2)
    scene = make_scene([("debris", 30.0, -1.75 + shift, 0.0, size),
                        ("debris", 40.0, -1.75, 0.0, (1.2, 2.4, 2.4))])
    frame = RENDERER.render(scene, FRONT, NOON)
    near, far = frame.labels
    corners = box_corners_world(scene.x, scene.y, scene.heading, scene.length, scene.width,
                                scene.height)
    front = _silhouette(frame.camera, corners[1])
    back = _silhouette(frame.camera, corners[2])
    analytic = front.intersection(back).area / back.area
    assert near.occlusion == 0.0
    # pixel sampling error: about one pixel row round the silhouette
    tolerance = 1.5 * back.length / back.area
    assert far.occlusion == pytest.approx(analytic, abs=tolerance)
    assert 0.05 < far.occlusion < 0.95


def test_unoccluded_pixels_equal_the_pixels_of_the_actor_rendered_alone():
    rng = np.random.default_rng(5)
    scene = _random_scene(rng, n=18)
    frame = RENDERER.render(scene, FRONT, NOON)
    for lab in frame.labels:
        keep = [0, lab.track_id]
        alone = dataclasses.replace(
            scene, names=tuple(scene.names[k] for k in keep),
            **{f: getattr(scene, f)[keep] for f in ("x", "y", "heading", "speed", "length",
                                                     "width", "height", "kind", "moving")})
        solo = RENDERER.render(alone, FRONT, NOON)
        assert solo.labels[0].visible_pixels == lab.unoccluded_pixels


def test_an_actor_half_outside_the_frame_has_truncation_one_half():
    cam = FRONT
    fx = (cam.width / 2) / math.tan(math.radians(cam.fov_deg) / 2)
    depth = 25.0
    # centre the crate's projection on the left image edge (u = 0)
    lateral = (cam.width / 2) * depth / fx
    camera_x = 20.0 + cam.x
    scene = make_scene([("debris", camera_x + depth, -1.75 + lateral, 0.0, (0.1, 2.0, 1.5))])
    frame = RENDERER.render(scene, cam, NOON)
    (lab,) = frame.labels
    assert lab.truncation == pytest.approx(0.5, abs=0.02)


def test_ground_depth_is_the_analytic_plane_depth():
    scene = make_scene([])
    for spec in (FRONT, PRESETS["rear"], dataclasses.replace(FRONT, roll_deg=6.0, pitch_deg=9.0)):
        frame = RENDERER.render(scene, spec, NOON)
        rng = np.random.default_rng(0)
        for row, col in zip(rng.integers(0, spec.height, 300), rng.integers(0, spec.width, 300),
                            strict=True):
            expected = analytic_ground_depth(frame.camera, col, row)
            got = float(frame.depth[row, col])
            if math.isinf(expected) or expected > spec.far_m:
                assert math.isinf(got)
            else:
                assert got == pytest.approx(expected, rel=1e-5)


def test_the_bird_eye_view_is_not_dimmed_by_fog_but_is_by_night():
    # the bird's-eye view is drawn without fog, and its camera's 50 m height is no sight
    # distance: a fog visibility filter must not drop what it shows; at night it is drawn
    # dark, and an actor no lamp lights from above is dark in its label too (a review
    # found them black in the picture and at visibility 1)
    scene = make_scene([("car", 12.0, -1.75, 0.0), ("adult", 35.0, -5.0, 0.0)])
    fog = make_look("fog", "noon")
    assert all(lab.visibility == 1.0 for lab in RENDERER.render(scene, PRESETS["bev"],
                                                                 fog).labels)
    assert all(lab.visibility < 1.0 for lab in RENDERER.render(scene, PRESETS["front"],
                                                                fog).labels)
    from simdrive.world.maps import build_map

    unlit = Renderer(build_map({"type": "straight", "lanes": 2, "length": 300,
                                "sidewalks": "none"}), seed=1)  # no street lamps
    night = unlit.render(scene, PRESETS["bev"], make_look("clear", "night"))
    by_id = {lab.track_id: lab for lab in night.labels}
    car, adult = by_id[1], by_id[2]
    # a moving car too: the view draws no lamp glows, and its roof is dark (a review found
    # moving cars black from above at visibility 1)
    for lab in (car, adult):
        assert lab.visibility < 0.05 and night.image[night.instance == lab.track_id].mean() < 25


def test_the_bird_eye_view_top_face_covers_exactly_the_pixels_inside_it():
    # an orthographic camera looking down: a crate's top is an axis-aligned rectangle
    bev = PRESETS["bev"]
    scene = make_scene([("debris", 33.3, -0.37, 0.0, (2.6, 1.3, 0.5))])
    frame = RENDERER.render(scene, bev, NOON)
    cam = frame.camera
    top = cam.project(cam.to_camera(box_corners_world(33.3, -0.37, 0.0, 2.6, 1.3, 0.5)[0]))
    u0, v0 = top.min(axis=0)
    u1, v1 = top.max(axis=0)
    cols = np.arange(cam.width) + 0.5
    rows = np.arange(cam.height) + 0.5
    inside = ((cols >= u0) & (cols < u1))[None, :] & ((rows >= v0) & (rows < v1))[:, None]
    crate = frame.labels[1]
    assert crate.visible_pixels == int(inside.sum())
    assert (frame.mask(crate.track_id) == inside).all()


@pytest.mark.parametrize("camera", ["pitched_front", "rear", "bev"])
def test_kitti_3d_box_reprojects_onto_the_amodal_box(camera):
    # the rear camera looks back (yaw 180); the bird's-eye camera is orthographic
    scene = make_scene([("car", 40.0, 1.75, math.pi), ("truck", 35.0, -5.0, 0.4),
                        ("adult", 28.0, 4.0, 1.2), ("van", 12.0, -1.75, 0.1),
                        ("dog", 22.0, 3.0, 2.0),
                        ("adult", 8.0, 3.5, 0.3)])
    spec = (dataclasses.replace(FRONT, pitch_deg=7.0, roll_deg=-3.0)
            if camera == "pitched_front" else PRESETS[camera])
    frame = RENDERER.render(scene, spec, NOON)
    p2 = frame.camera.kitti_projection
    checked = 0
    for lab in frame.labels:
        if lab.amodal_box is None:
            continue  # out of this camera's view
        checked += 1
        h, w, length = lab.dimensions_hwl
        x, y, z = lab.location_xyz
        ry = lab.rotation_y
        # KITTI devkit construction of the 8 corners
        xs = np.array([1, 1, -1, -1, 1, 1, -1, -1]) * length / 2
        ys = np.array([0, 0, 0, 0, -1, -1, -1, -1]) * h
        zs = np.array([1, -1, -1, 1, 1, -1, -1, 1]) * w / 2
        rot = np.array([[math.cos(ry), 0, math.sin(ry)], [0, 1, 0],
                        [-math.sin(ry), 0, math.cos(ry)]])
        pts = rot @ np.vstack([xs, ys, zs]) + np.array([[x], [y], [z]])
        img = p2 @ np.vstack([pts, np.ones(8)])
        uv = img[:2] / img[2]
        # the amodal box: what of the corners' hull lies inside the image
        inside = MultiPoint(uv.T).convex_hull.intersection(
            shapely_box(0, 0, frame.camera.width, frame.camera.height))
        np.testing.assert_allclose(lab.amodal_box, inside.bounds, atol=1e-6)
        assert lab.alpha == pytest.approx(
            (ry - math.atan2(x, z) + math.pi) % (2 * math.pi) - math.pi)
    assert checked >= 2


def test_weather_and_light_change_pixels_but_never_labels():
    rng = np.random.default_rng(9)
    scene = _random_scene(rng)
    base = RENDERER.render(scene, FRONT, NOON)
    for weather, light in (("fog", "night"), ("heavy_rain", "dusk"), ("snow", "dawn")):
        other = RENDERER.render(scene, FRONT, make_look(weather, light))
        assert not np.array_equal(other.image, base.image)
        np.testing.assert_array_equal(other.instance, base.instance)
        for a, b in zip(base.labels, other.labels, strict=True):
            assert (a.amodal_box, a.visible_box, a.visible_pixels, a.unoccluded_pixels) == \
                (b.amodal_box, b.visible_box, b.visible_pixels, b.unoccluded_pixels)
            assert b.visibility <= a.visibility


def test_visibility_falls_with_distance_in_fog():
    scene = make_scene([("adult", 30.0, -1.75, 0.0), ("adult", 100.0, -1.75, 0.0)])
    frame = RENDERER.render(scene, FRONT, make_look("fog", "noon"))
    near, far = frame.labels
    assert near.visibility == pytest.approx(math.exp(-3 * near.distance_m / 50.0))
    assert far.visibility < 0.01 < near.visibility


@pytest.mark.parametrize("seed", range(3))
def test_actor_depth_is_the_analytic_ray_box_depth(seed):
    """A one-box actor (debris) of random size and heading near the camera: each pixel's
    depth is where the pixel's ray enters the box (slab test in the box's frame); inside
    the silhouette to 0.5 % (a pixel next to a box edge may take the other face's plane),
    and to a few centimetres on the silhouette itself."""
    rng = np.random.default_rng(seed)
    worst_inside = worst = 0.0
    for _ in range(12):
        x, y = 20.0 + rng.uniform(5, 30), -1.75 + rng.uniform(-4, 4)
        heading = rng.uniform(-math.pi, math.pi)
        size = (rng.uniform(0.5, 5), rng.uniform(0.5, 2.5), rng.uniform(0.5, 3))
        frame = RENDERER.render(make_scene([("debris", x, y, heading, size)]), FRONT, NOON)
        drawn = frame.instance == 1
        rows, cols = np.nonzero(drawn)
        if rows.size == 0:
            continue
        cam, k = frame.camera, frame.camera.intrinsics
        rays = np.stack([(cols + 0.5 - k[0, 2]) / k[0, 0], (rows + 0.5 - k[1, 2]) / k[1, 1],
                         np.ones(rows.size)], 1) @ cam.rotation  # world, per metre of depth
        c, s = math.cos(heading), math.sin(heading)
        o = cam.position - np.array([x, y, 0.0])
        origin = np.array([c * o[0] + s * o[1], -s * o[0] + c * o[1], o[2]])
        local = np.stack([c * rays[:, 0] + s * rays[:, 1], -s * rays[:, 0] + c * rays[:, 1],
                          rays[:, 2]], 1)
        low = np.array([-size[0] / 2, -size[1] / 2, 0.0])
        high = np.array([size[0] / 2, size[1] / 2, size[2]])
        with np.errstate(divide="ignore", invalid="ignore"):
            t1, t2 = (low - origin) / local, (high - origin) / local
        entry = np.nanmax(np.minimum(t1, t2), axis=1)
        error = np.abs(frame.depth[rows, cols] - entry)
        inside = np.zeros_like(drawn)
        inside[1:-1, 1:-1] = (drawn[1:-1, 1:-1] & drawn[:-2, 1:-1] & drawn[2:, 1:-1]
                              & drawn[1:-1, :-2] & drawn[1:-1, 2:])
        keep = inside[rows, cols]
        worst = max(worst, error.max())
        if keep.any():
            worst_inside = max(worst_inside, (error[keep] / entry[keep]).max())
    assert worst_inside < 0.005
    assert worst < 0.05


def test_flush_parts_of_one_actor_do_not_speckle():
    """Every kind alone, close up, from eight sides, with flat colours (no noise,
    vignette or fog): a face is one colour, so a pixel of the actor whose four
    neighbours, all of the same actor, all differ from it comes from a part a pixel thin
    (a few a frame) or from two parts in one plane taking pixels in turn by the rounding
    of their depths (hundreds: a wheel flush with a car's side did)."""
    from simdrive.scenario.render_options import RenderOptions

    flat = Renderer(ROAD, RenderOptions(sensor_noise=False, vignette=False), seed=1)
    worst = {}
    for kind in actor_kinds():
        for heading in np.linspace(0, 2 * math.pi, 8, endpoint=False):
            frame = flat.render(make_scene([(kind, 28.0, -1.0, heading)]), FRONT, NOON)
            mine = frame.instance == 1
            img = frame.image.astype(int)
            centre = img[1:-1, 1:-1]
            inner = mine[1:-1, 1:-1]
            lonely = inner.copy()
            for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                near = img[1 + dy:img.shape[0] - 1 + dy, 1 + dx:img.shape[1] - 1 + dx]
                same_actor = mine[1 + dy:mine.shape[0] - 1 + dy, 1 + dx:mine.shape[1] - 1 + dx]
                lonely &= same_actor & (np.abs(near - centre).sum(axis=2) > 0)
            worst[kind] = max(worst.get(kind, 0), int(lonely.sum()))
    assert max(worst.values()) <= 20, worst


def test_every_actor_pixel_lies_at_a_depth_within_its_3d_box():
    """Each pixel of an actor takes its depth from a face of its mesh, which lies inside
    its box: between the box's nearest and farthest corner depth. A face seen nearly
    edge-on has a steep depth plane, and a pixel centre just past its unrounded edge took
    a depth metres off (11.9 m on one of these 40 street scenes, 39.9 m on a car at
    42.3-46.8 m in a review's frame)."""
    rolled = dataclasses.replace(FRONT, yaw_deg=12.0, pitch_deg=8.0, roll_deg=10.0,
                                 fov_deg=70.0)
    kinds = [k for k in actor_kinds() if k not in ("tyre", "debris")]
    worst = 0.0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        scene = make_scene([(str(rng.choice(kinds)), 25.0 + rng.uniform(0, 60),
                             rng.uniform(-9, 9), rng.uniform(-math.pi, math.pi))
                            for _ in range(14)])
        for spec in (FRONT, rolled):
            frame = RENDERER.render(scene, spec, NOON)
            for slot in range(1, len(scene.names)):
                rows, cols = np.nonzero(frame.instance == slot)
                if rows.size == 0:
                    continue
                z = frame.camera.to_camera(box_corners_world(
                    scene.x[slot], scene.y[slot], scene.heading[slot], scene.length[slot],
                    scene.width[slot], scene.height[slot])[0])[:, 2]
                depth = frame.depth[rows, cols].astype(float)
                worst = max(worst, (z.min() - depth).max(), (depth - z.max()).max())
    assert worst < 1e-3


def test_at_night_visibility_follows_the_light_on_the_actor():
    # a review found unlit deer at night, 3-4 grey levels in the picture, kept at
    # visibility 0.5: the darkness was a sight distance, whatever lit the actor
    look = make_look("clear", "night")
    scene = make_scene([("deer", 35.0, -1.75, 1.57),  # 15 m ahead in the ego's beams
                        ("deer", 21.0, -7.0, 0.0),  # beside the road, in no beam
                        ("car", 60.0, 8.0, 0.0),  # moving, its lamps on, in no beam
                        ("car", 19.0, -9.5, 0.0)])  # parked beside the road: no lamps
    scene.moving[4] = 0
    ahead, _, lamps, _ = RENDERER.render(scene, FRONT, look).labels
    assert ahead.visibility > 0.8 * look.transmission(ahead.distance_m)
    assert lamps.visibility == pytest.approx(look.transmission(lamps.distance_m))
    side = RENDERER.render(scene, PRESETS["right"], look)
    _, beside, _, parked = side.labels
    assert beside.visible_pixels > 500 and parked.visible_pixels > 500
    assert beside.visibility < 0.05 and parked.visibility < 0.05  # dropped by default
    for lab in (beside, parked):  # and dark in the picture
        assert side.image[side.instance == lab.track_id].mean() < 20
    day = RENDERER.render(scene, PRESETS["right"], make_look("clear", "dusk")).labels
    assert all(lab.visibility == pytest.approx(make_look("clear", "dusk").transmission(
        lab.distance_m)) for lab in day)


def test_at_night_a_moving_car_shows_by_its_lamps_only_where_the_camera_sees_them():
    # a review found a moving car crossing side-on at night, black in the picture, at
    # visibility 0.99: its lamps counted, and glowed, from every side
    from simdrive.world.maps import build_map

    look = make_look("clear", "night")
    unlit = Renderer(build_map({"type": "straight", "lanes": 2, "length": 300,
                                "sidewalks": "none"}), seed=1)  # no street lamps
    seen = {}
    for heading in (0.0, math.pi / 2):  # driving away (tail lamps to us), across the road
        # 80 m ahead of the ego, past its headlights' reach
        scene = make_scene([("car", 100.0, -1.75, heading)])
        frame = unlit.render(scene, FRONT, look)
        label = frame.labels[0]
        seen[heading] = label.visibility / look.transmission(label.distance_m)
        x0, y0, x1, y1 = (int(v) for v in label.amodal_box)
        around = frame.image[y0 - 10:y1 + 10, x0 - 10:x1 + 10].astype(int)
        red = ((around[..., 0] > 100) & (around[..., 0] > 2 * around[..., 1])).sum()
        if heading == 0.0:
            assert red > 0  # the tail lamps' glow
        else:
            assert red == 0  # none side-on
            assert frame.image[frame.instance == label.track_id].mean() < 20
    assert seen[0.0] == pytest.approx(1.0)
    # side-on, each lamp's axis points away from the line of sight to the camera: as dark
    # as in the picture, dropped by the default filter (it was 1)
    assert seen[math.pi / 2] == 0.0


def test_lamps_belong_to_the_actor_a_car_without_them_is_dark_a_lit_cyclist_shows():
    # Scene.lamps (a scenario's lamps:) decides, not the kind: a car driving without
    # lights at night is as dark as a parked one, a cyclist with lamps shows its tail lamp
    from simdrive.render import blocks as B
    from simdrive.world.actors import BICYCLE_LAMP_GAIN
    from simdrive.world.maps import build_map

    look = make_look("clear", "night")
    unlit = Renderer(build_map({"type": "straight", "lanes": 2, "length": 300,
                                "sidewalks": "none"}), seed=1)  # no street lamps
    # both riding away 80 m ahead, past the ego's headlights
    base = make_scene([("car", 100.0, -1.75, 0.0), ("cyclist", 100.0, 1.75, 0.0)])
    np.testing.assert_array_equal(base.lamps, [1, 1, 0])  # the default: vehicles
    for lamps in ([1, 1, 0], [1, 0, 1]):
        scene = dataclasses.replace(base, lamps=np.array(lamps))
        frame = unlit.render(scene, FRONT, look)
        for label, lit in zip(frame.labels, lamps[1:], strict=True):
            ratio = label.visibility / look.transmission(label.distance_m)
            x0, y0, x1, y1 = (int(v) for v in label.amodal_box)
            around = frame.image[y0 - 6:y1 + 6, x0 - 6:x1 + 6].astype(int)
            red = ((around[..., 0] > 100) & (around[..., 0] > 2 * around[..., 1])).sum()
            if lit:
                assert ratio == pytest.approx(1.0) and red > 0, (label.kind, lamps)
            else:
                assert ratio < 0.05 and red == 0, (label.kind, lamps)
                assert frame.image[frame.instance == label.track_id].mean() < 20
        cam = unlit.camera(scene, FRONT)
        rows = light_rows(scene, look, cam, unlit._posts(cam))
        if lamps[2]:  # the ego's two headlights, then the bicycle's one, weaker
            assert rows.shape[0] == 3
            rgb = slice(B.L_R, B.L_B + 1)
            np.testing.assert_allclose(rows[2, rgb], BICYCLE_LAMP_GAIN * rows[0, rgb])
        else:
            assert rows.shape[0] == 4
