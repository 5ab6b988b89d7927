"""Filling one face into the frame buffers: fog by each pixel's depth bin, exact row
spans, coverage without gaps or double cover, slivers bent by rounding."""

from __future__ import annotations

import numpy as np
import pytest

from simdrive.render import blocks as B
from simdrive.render import fill as F

H, W = 120, 160
BASE = (200.0, 120.0, 40.0)
FOG = (150.0, 160.0, 170.0)
FOG_PER_M = 4.0
NO_FOG = np.zeros(4)


def _pack(r, g, b):
    """fill.pack_rgb in numpy (round half up, clamp to 0-255)."""
    c = [np.clip(np.floor(np.asarray(x, float) + 0.5), 0, 255).astype(np.int64)
         for x in (r, g, b)]
    return (c[0] << 16) | (c[1] << 8) | c[2]


def _buffers() -> dict:
    """Empty frame buffers of one actor (slot 0): colour, depth, inst, sem, stamp, its
    drawn-pixel count and extent."""
    return {"colour": np.zeros((H, W), np.uint32), "depth": np.full((H, W), np.inf, np.float32),
            "inst": np.full((H, W), -1, np.int32), "sem": np.zeros((H, W), np.uint8),
            "stamp": np.full((H, W), -1, np.int64), "counts": np.zeros(1, np.int64),
            "extent": np.array([[W, H, -1, -1]], np.int64)}


def _face(px, py, pz, b, stamp_value=7, inst_value=1, ortho=True, fog_lut=NO_FOG,
          fog_per_m=0.0):
    """Fill one face (corners px, py, pz) into buffers b as actor 0, counted."""
    n = len(px)
    cam = np.zeros(B.C_COUNT)
    cam[B.C_ORTHO] = 1.0 if ortho else 0.0
    shade = np.zeros(B.SH_COUNT)
    shade[B.SH_FOG_RGB:B.SH_FOG_RGB + 3] = FOG
    shade[B.SH_FOG_SCALE] = fog_per_m
    F.fill_face(np.array(px, float), np.array(py, float), np.array(pz, float), n, *BASE, cam,
                shade, fog_lut, b["colour"], b["depth"], b["inst"], b["sem"], b["stamp"],
                stamp_value, True, b["counts"], 0, np.int32(inst_value), np.uint8(9),
                b["extent"], np.empty(fog_lut.shape[0], np.uint32))


def _fogged_face(px, py, pz, ortho):
    # fog fractions far apart from bin to bin, so a colour from a wrong bin shows
    fog_lut = np.random.default_rng(99).uniform(0.0, 1.0, 8192)
    b = _buffers()
    _face(px, py, pz, b, inst_value=3, ortho=ortho, fog_lut=fog_lut, fog_per_m=FOG_PER_M)
    return b["colour"], b["depth"], b["inst"], fog_lut


@pytest.mark.parametrize("ortho", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_each_pixel_takes_the_fog_of_its_own_depth_bin(seed, ortho):
    """Random triangles spanning many fog bins (up to 200 m deep) or a few: every covered
    pixel's colour is the base colour fogged by the LUT entry of its depth's bin."""
    rng = np.random.default_rng(seed)
    checked = 0
    for _ in range(20):
        px = rng.uniform(-20, W + 20, 3)
        py = rng.uniform(-20, H + 20, 3)
        # deep triangles (many bins) and shallow ones (a few bins, most of them at the
        # ends of the triangle's depth range)
        z = (rng.uniform(0.5, 200.0, 3) if rng.integers(2)
             else rng.uniform(1.0, 50.0) + rng.uniform(0.0, 1.0, 3))
        colour, depth, inst, fog_lut = _fogged_face(px, py, z if ortho else 1.0 / z, ortho)
        drawn = inst == 3
        d = depth[drawn].astype(float)
        # depth is stored as float32: skip the few pixels within rounding of a bin edge
        pos = d * FOG_PER_M
        clear = np.abs(pos - np.round(pos)) > 1e-3
        k = np.minimum(pos.astype(np.int64), fog_lut.shape[0] - 1)
        f = fog_lut[k]
        expected = _pack(*(c + (fc - c) * f for c, fc in zip(BASE, FOG, strict=True)))
        np.testing.assert_array_equal(colour[drawn][clear].astype(np.int64), expected[clear])
        checked += int(clear.sum())
    assert checked > 10_000


def test_span_bounds_equal_integer_division():
    """The span of a row (steps i with e + d i >= 0) from the float quotient, corrected,
    against floor division: exact multiples, off-by-one neighbours and edge values of
    clipped triangles far outside the image."""
    import numba

    span = numba.njit(lambda e, d, lo, hi: F._span(e, d, 1.0 / d if d else 0.0, lo, hi))
    rng = np.random.default_rng(5)
    cases = []
    for scale in (10, 10_000, 10**9, 10**14):
        d = rng.integers(-scale, scale, 400)
        e = rng.integers(-scale * 50, scale * 50, 400)
        k = rng.integers(-5_000, 5_000, 400)
        cases += list(zip(e, d, strict=True))
        cases += [(-kk * dd + off, dd) for kk, dd in zip(k, d, strict=True) for off in (-1, 0, 1)]
    cases += [(0, 0), (-1, 0), (5, 0), (0, 7), (0, -7), (-7, 7), (7, -7)]
    lo0, hi0 = -10**6, 10**6
    for e, d in cases:
        e, d = int(e), int(d)
        if d > 0:
            want = (max(lo0, -(e // d)), hi0)
        elif d < 0:
            want = (lo0, min(hi0, e // -d))
        else:
            want = (lo0, hi0) if e >= 0 else (lo0, lo0 - 1)
        assert span(e, d, lo0, hi0) == want, (e, d)


@pytest.mark.parametrize("quads", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_fans_of_faces_cover_each_pixel_centre_inside_exactly_once(seed, quads):
    """A convex polygon cut into a fan of triangles round an inner point, or of quads
    round its first corner (and a last triangle): every pixel whose centre lies inside
    the polygon is drawn by exactly one face (no gaps or double cover along the shared
    edges), and no pixel outside it is drawn."""
    rng = np.random.default_rng(seed)
    sides = int(rng.integers(3, 12))
    angles = np.sort(rng.uniform(0, 2 * np.pi, sides))
    cx, cy, radius = rng.uniform(50, 110), rng.uniform(40, 80), rng.uniform(10, 38)
    ring = np.stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)], 1)
    centre = ring.mean(axis=0) + rng.uniform(-1, 1, 2)
    b = _buffers()
    if quads:
        pieces = [[ring[0], *ring[k:k + 3]] for k in range(1, sides - 1, 2)]
    else:
        pieces = [[centre, ring[k], ring[(k + 1) % sides]] for k in range(sides)]
    for k, piece in enumerate(pieces):
        piece = np.array(piece)
        # each face counts every pixel it covers (its own stamp value)
        _face(piece[:, 0], piece[:, 1], [5.0] * len(piece), b, stamp_value=100 + k)
    # independent inside test of the pixel centres against the polygon's edges, with the
    # vertices on the fill's sub-pixel grid; centres exactly on the rim are left out
    snapped = np.round(ring * F.SUB).astype(np.int64)
    yy, xx = np.mgrid[0:H, 0:W] * F.SUB + F.SUB // 2
    inside = np.ones((H, W), bool)
    on_rim = np.zeros((H, W), bool)
    for k in range(sides):
        (x0, y0), (x1, y1) = snapped[k], snapped[(k + 1) % sides]
        edge = (x1 - x0) * (yy - y0) - (y1 - y0) * (xx - x0)
        inside &= edge > 0
        on_rim |= edge == 0
    drawn = b["inst"] == 1
    np.testing.assert_array_equal(drawn[~on_rim], inside[~on_rim])
    assert b["counts"][0] == drawn.sum()


def test_a_quad_with_two_corners_on_one_grid_point_is_drawn_as_its_triangle():
    """Snapped to the sub-pixel grid, two corners of a quad can coincide: the zero-length
    edge between them bounds nothing, and the quad covers what its triangle covers."""
    px, py = [10.2, 60.7, 35.3, 35.3001], [10.3, 12.1, 50.9, 50.9001]
    masks = []
    for n in (4, 3):
        b = _buffers()
        _face(px[:n], py[:n], [5.0] * n, b)
        masks.append(b["inst"] == 1)
    assert masks[1].sum() > 500
    np.testing.assert_array_equal(masks[0], masks[1])


def _cover(px, py, n_list):
    """Pixels drawn by faces of the corners px, py taken in the given index lists."""
    b = _buffers()
    for k, idx in enumerate(n_list):
        _face([px[i] for i in idx], [py[i] for i in idx], [5.0] * len(idx), b,
              stamp_value=10 + k)
    return b["inst"] == 1


@pytest.mark.parametrize("seed", range(3))
def test_a_quad_covers_what_its_two_triangles_cover_unless_rounding_bent_it(seed):
    """Random quads, many of them slivers seen almost edge-on: a quad still convex on
    the sub-pixel grid covers exactly the pixels of its triangles (0, 1, 2) and (0, 2,
    3); one that rounding bent is found (draw_actors then draws the two triangles: as
    one face it can bound less, and a far lamp post's mast, a pixel wide, vanished)."""
    import numba

    convex = numba.njit(lambda x, y: F.convex_on_grid(x, y, 1))
    rng = np.random.default_rng(seed)
    bent = 0
    for _ in range(300):
        centre = rng.uniform(20, 100, 2)
        length, width = rng.uniform(2, 60), 10.0 ** rng.uniform(-3.0, 0.5)
        angle = rng.uniform(0, 2 * np.pi)
        along = np.array([np.cos(angle), np.sin(angle)])
        across = np.array([-along[1], along[0]])
        skew = rng.uniform(-0.3, 0.3) * width
        corners = [centre - along * length / 2 - across * width / 2,
                   centre + along * length / 2 - across * (width / 2 + skew),
                   centre + along * length / 2 + across * (width / 2 - skew),
                   centre - along * length / 2 + across * width / 2]
        corners = [c + rng.uniform(-0.05, 0.05, 2) for c in corners]  # off the true plane
        px, py = [c[0] for c in corners], [c[1] for c in corners]
        if convex(np.array(px), np.array(py)):
            np.testing.assert_array_equal(_cover(px, py, [(0, 1, 2, 3)]),
                                          _cover(px, py, [(0, 1, 2), (0, 2, 3)]))
        else:
            bent += 1
    assert bent > 0  # the slivers reach the case
    # the lamp post's corners (in 1/16 px) that rounding bent: as one face it lost its mast
    px = [5431 / 16 - 300, 5432 / 16 - 300, 5433 / 16 - 300, 5433 / 16 - 300]
    py = [2699 / 16 - 100, 2700 / 16 - 100, 2176 / 16 - 100, 2177 / 16 - 100]
    assert not convex(np.array(px), np.array(py))
    assert not _cover(px, py, [(0, 1, 2, 3)]).any()
    assert _cover(px, py, [(0, 1, 2), (0, 2, 3)]).sum() >= 17
