"""The actor meshes: inside their boxes, and wheels that show."""

from __future__ import annotations

import numpy as np
import pytest

from simdrive.render.meshes import BODY, CARGO, MAX_SIDES, PARTS, TYRE, build_mesh_table
from simdrive.world.actors import actor_kinds


def test_every_face_lies_in_the_box_and_is_flat_and_convex():
    """Labels are the box's: no face may leave it; the rasterizer needs flat convex
    faces of at most MAX_SIDES corners, counter-clockwise seen from outside (their
    normal points away from the part's centre)."""
    table = build_mesh_table()
    for f in range(table.faces.shape[0]):
        n = table.sides[f]
        assert 3 <= n <= MAX_SIDES
        corners = table.faces[f, :n]
        assert (corners[:, :2] >= -0.5).all() and (corners[:, :2] <= 0.5).all()
        assert (corners[:, 2] >= 0.0).all() and (corners[:, 2] <= 1.0).all()
        normal = np.cross(corners[1] - corners[0], corners[2] - corners[0])
        assert np.abs((corners - corners[0]) @ normal).max() < 1e-12  # flat
        turns = [np.cross(corners[(k + 1) % n] - corners[k],
                          corners[(k + 2) % n] - corners[(k + 1) % n]) @ normal
                 for k in range(n)]
        assert min(turns) > 0  # convex, one winding


@pytest.mark.parametrize("kind", ["car", "van", "truck", "bus"])
def test_wheels_stand_out_of_the_body_sides(kind):
    """A wheel's outer side lies outside every body part it overlaps (seen from the
    side), so it shows instead of sharing a plane with the body (parts in one plane
    show the one drawn first, whatever the angle)."""
    assert kind in actor_kinds()
    boxes = [(args, role) for shape, args, role in PARTS[kind] if shape == "box"]
    wheels = [args for args, role in boxes if role == TYRE]
    bodies = [args for args, role in boxes if role == BODY]
    assert wheels and bodies
    for x0, x1, y0, y1, z0, z1 in wheels:
        for bx0, bx1, by0, by1, bz0, bz1 in bodies:
            if x1 <= bx0 or bx1 <= x0 or z1 <= bz0 or bz1 <= z0:
                continue  # no overlap seen from the side
            if y1 > 0:
                assert y1 > by1, (kind, (y0, y1), (by0, by1))
            else:
                assert y0 < by0, (kind, (y0, y1), (by0, by1))


def test_each_face_plane_and_centre_are_its_corners():
    """The actor pass drops back faces with each face's plane in normalised coordinates
    (before posing a corner) and lights a face at its centre: both must be the face's own."""
    table = build_mesh_table()
    for f in range(table.faces.shape[0]):
        corners = table.faces[f, :table.sides[f]]
        normal = np.cross(corners[1] - corners[0], corners[2] - corners[0])
        assert np.allclose(table.plane[f, :3], normal)
        assert np.allclose(corners @ normal, table.plane[f, 3])  # every corner on it
        assert np.allclose(table.centre[f], corners.mean(axis=0))


def test_the_normalised_back_face_test_agrees_with_the_camera_space_one():
    """Which side of a face the camera sees does not change under the affine map from
    normalised box to camera coordinates (positive determinant), so the plane test on the
    camera brought into the box equals the camera-space test on the posed corners."""
    rng = np.random.default_rng(5)
    table = build_mesh_table()
    for _ in range(40):
        ln, wd, ht = rng.uniform(0.3, 12.0, 3)
        heading = rng.uniform(-np.pi, np.pi)
        c, s = np.cos(heading), np.sin(heading)
        pose = np.array([[c * ln, -s * wd, 0.0], [s * ln, c * wd, 0.0], [0.0, 0.0, ht]])
        centre = np.array([*rng.uniform(-5, 5, 2), 0.0])
        camera = np.array([*rng.uniform(-30, 30, 2), rng.uniform(0.2, 20.0)])
        local = np.linalg.solve(pose, camera - centre)
        for f in range(table.faces.shape[0]):
            corners = table.faces[f, :table.sides[f]] @ pose.T + centre
            normal = np.cross(corners[1] - corners[0], corners[2] - corners[0])
            seen = normal @ (camera - corners[0]) > 0
            planar = table.plane[f, :3] @ local - table.plane[f, 3]
            if abs(planar) > 1e-9:
                assert seen == (planar > 0)


def test_the_ball_is_a_closed_round_two_colour_sphere():
    """The ball's mesh: every corner on the sphere filling its box (centre (0, 0, 0.5),
    radius 0.5), every face facing out, the faces closing the surface (their area vectors
    sum to zero) and its panels in two colours."""
    table = build_mesh_table()
    k = actor_kinds().index("ball")
    faces = range(table.start[k], table.start[k] + table.count[k])
    total = np.zeros(3)
    for f in faces:
        corners = table.faces[f, :table.sides[f]]
        assert np.allclose(np.linalg.norm(corners - (0.0, 0.0, 0.5), axis=1), 0.5)
        normal = table.plane[f, :3]
        assert normal @ (table.centre[f] - (0.0, 0.0, 0.5)) > 0.0  # outward
        area = np.zeros(3)  # the polygon's area vector: half the sum of its edge products
        for a, b in zip(corners, np.roll(corners, -1, axis=0), strict=True):
            area += 0.5 * np.cross(a, b)
        total += area
    assert np.abs(total).max() < 1e-12
    assert sorted(set(table.role[list(faces)].tolist())) == sorted({BODY, CARGO})
