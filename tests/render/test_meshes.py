"""The actor meshes: inside their boxes, and wheels that show."""

from __future__ import annotations

import numpy as np
import pytest

from simdrive.render.meshes import BODY, MAX_SIDES, PARTS, TYRE, build_mesh_table
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
