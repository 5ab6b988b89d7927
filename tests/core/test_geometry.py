"""Geometry kernels against shapely on random inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simdrive.core import geometry as G
from tests.core import naive


def random_box(rng, spread=6.0):
    return (rng.uniform(-spread, spread), rng.uniform(-spread, spread),
            rng.uniform(-math.pi, math.pi), rng.uniform(0.2, 12.0), rng.uniform(0.2, 3.0))


def kernel_args(box):
    x, y, h, length, width = box
    return x, y, math.cos(h), math.sin(h), length / 2, width / 2


def test_separating_axis_overlap_matches_shapely_on_thousands_of_random_pairs():
    rng = np.random.default_rng(1)
    disagreements = 0
    overlaps = 0
    for _ in range(5000):
        b1, b2 = random_box(rng), random_box(rng)
        expected = naive.boxes_overlap(b1, b2)
        overlaps += expected
        got = G.boxes_overlap(*kernel_args(b1), *kernel_args(b2))
        if got != expected:
            # only a touching pair may differ by rounding
            assert naive.boxes_distance(b1, b2) < 1e-9
            disagreements += 1
    assert disagreements == 0
    assert 1000 < overlaps < 4000  # both outcomes well represented


def test_box_distance_matches_shapely():
    rng = np.random.default_rng(2)
    for _ in range(1000):
        b1, b2 = random_box(rng, 15.0), random_box(rng, 15.0)
        got = G.boxes_distance(*kernel_args(b1), *kernel_args(b2))
        assert got == pytest.approx(naive.boxes_distance(b1, b2), abs=1e-9)


def test_time_to_collision_matches_a_time_scan_of_translating_polygons():
    rng = np.random.default_rng(3)
    finite = 0
    for _ in range(120):
        b1, b2 = random_box(rng, 20.0), random_box(rng, 20.0)
        # aim b1 roughly at b2 so that about half of the pairs meet
        towards = np.array([b2[0] - b1[0], b2[1] - b1[1]]) / 4.0
        v1 = towards + rng.uniform(-3, 3, 2)
        v2 = rng.uniform(-3, 3, 2)
        got = G.boxes_time_to_collision(*kernel_args(b1), *v1, *kernel_args(b2), *v2)
        expected = naive.time_to_collision(b1, v1, b2, v2, horizon=8.0, step=2e-3)
        if expected == math.inf:
            assert got > 8.0 - 2e-3
        else:
            finite += 1
            assert got == pytest.approx(expected, abs=2.5e-3)
    assert finite > 30


def test_segment_box_intersection_matches_shapely():
    rng = np.random.default_rng(4)
    for _ in range(3000):
        box = random_box(rng, 5.0)
        a = rng.uniform(-10, 10, 2)
        b = rng.uniform(-10, 10, 2)
        got = G.segment_hits_box(*a, *b, *kernel_args(box))
        assert got == naive.segment_hits_box(a, b, box)


def test_point_in_polygon_matches_shapely_on_a_concave_polygon():
    pts = np.array([[0, 0], [10, 0], [10, 10], [6, 10], [6, 3], [4, 3], [4, 10], [0, 10]],
                   dtype=float)
    rng = np.random.default_rng(5)
    for p in rng.uniform(-1, 11, (3000, 2)):
        assert G.point_in_polygon(p[0], p[1], pts, 0, len(pts)) == naive.point_in_polygon(p, pts)


def _polyline():
    t = np.linspace(0, math.pi / 2, 40)
    pts = np.c_[50 * np.sin(t), 50 - 50 * np.cos(t)]
    cum = np.r_[0.0, np.cumsum(np.hypot(*np.diff(pts, axis=0).T))]
    return np.ascontiguousarray(pts), cum


@pytest.mark.parametrize("hint", [0, 10, 38])
def test_polyline_projection_matches_shapely_from_any_hint(hint):
    pts, cum = _polyline()
    rng = np.random.default_rng(6)
    for _ in range(300):
        s_true = rng.uniform(1, cum[-1] - 1)
        x, y, h, _ = G.polyline_pose(pts, cum, 0, len(pts), s_true, 0)
        offset = rng.uniform(-3, 3)
        px, py = x - offset * math.sin(h), y + offset * math.cos(h)
        s, d, seg = G.polyline_project(pts, cum, 0, len(pts), px, py, hint)
        s_ref, dist_ref = naive.polyline_project(pts, (px, py))
        assert s == pytest.approx(s_ref, abs=1e-6)
        assert abs(d) == pytest.approx(dist_ref, abs=1e-6)
        assert d == pytest.approx(offset, abs=0.02)  # the polyline is a chorded arc
        assert cum[seg] <= s + 1e-9 <= cum[seg + 1] + 1e-6


def test_polyline_pose_extrapolates_beyond_both_ends():
    pts = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]])
    cum = np.array([0.0, 10.0, 20.0])
    assert G.polyline_pose(pts, cum, 0, 3, -5.0, 1)[:2] == pytest.approx((-5.0, 0.0))
    assert G.polyline_pose(pts, cum, 0, 3, 25.0, 0)[:2] == pytest.approx((10.0, 15.0))
    assert G.polyline_pose(pts, cum, 0, 3, 15.0, 0)[2] == pytest.approx(math.pi / 2)


def test_projection_onto_a_single_segment_lane_extrapolates_like_the_line_it_lies_on():
    pts = np.array([[10.0, 5.0], [110.0, 25.0]])
    cum = np.array([0.0, math.hypot(100.0, 20.0)])
    rng = np.random.default_rng(7)
    for px, py in rng.uniform(-50, 200, (500, 2)):
        s, d, seg = G.polyline_project(pts, cum, 0, 2, px, py, 0)
        x, y, h, _ = G.polyline_pose(pts, cum, 0, 2, s, 0)
        # moving back from the projected point by d along the left normal returns the point
        assert (x - d * math.sin(h), y + d * math.cos(h)) == pytest.approx((px, py), abs=1e-9)
        assert seg == 0


def test_first_overlap_and_crossing_reach_match_shapely():
    rng = np.random.default_rng(8)
    boxes = [random_box(rng, 10.0) for _ in range(12)]
    table = np.array([[b[0], b[1], math.cos(b[2]), math.sin(b[2]), b[3] / 2, b[4] / 2]
                      for b in boxes])
    for _ in range(200):
        probe = random_box(rng, 10.0)
        expected = next((k for k, b in enumerate(boxes) if naive.boxes_overlap(probe, b)), -1)
        assert G.first_overlap(*kernel_args(probe), table, len(boxes)) == expected
    road = np.array([[0.0, -5.0], [100.0, -5.0], [100.0, 5.0], [0.0, 5.0]])
    reach = G.last_inside_along(50.0, -8.0, 0.0, 1.0, 40.0, 0.05, road, np.array([0]),
                                np.array([4]), np.array([0]), 0)
    assert reach == pytest.approx(13.0, abs=0.05)  # from y = -8 across to the edge at y = 5


def random_areas(rng):
    """Star-shaped polygons and axis-aligned rectangles, packed like MapArrays areas."""
    polys = []
    for _ in range(rng.integers(1, 4)):
        cx, cy = rng.uniform(-20, 20, 2)
        if rng.random() < 0.5:
            w, h = rng.uniform(1, 15, 2)
            polys.append([(cx - w, cy - h), (cx + w, cy - h), (cx + w, cy + h), (cx - w, cy + h)])
        else:
            n = int(rng.integers(3, 12))
            angles = np.sort(rng.uniform(0, 2 * math.pi, n))
            radii = rng.uniform(1, 15, n)
            polys.append([(cx + r * math.cos(a), cy + r * math.sin(a))
                          for a, r in zip(angles, radii, strict=True)])
    counts = np.array([len(p) for p in polys], dtype=np.int32)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
    kinds = rng.integers(0, 2, len(polys)).astype(np.int32)
    return np.array([pt for p in polys for pt in p], dtype=float), starts, counts, kinds


def test_crossing_reach_equals_testing_every_step():
    rng = np.random.default_rng(9)
    for _ in range(300):
        points, starts, counts, kinds = random_areas(rng)
        if rng.random() < 0.3:  # start on a vertex and run along an axis: rays along edges
            px, py = points[rng.integers(len(points))]
            heading = rng.integers(4) * math.pi / 2
        else:
            px, py = rng.uniform(-30, 30, 2)
            heading = rng.uniform(-math.pi, math.pi)
        ux, uy = math.cos(heading), math.sin(heading)
        args = (px, py, ux, uy, 40.0, 0.05, points, starts, counts, kinds, 0)
        assert G.last_inside_along(*args) == naive.last_inside_along(*args, G.point_in_polygon)
