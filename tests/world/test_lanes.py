"""Lane geometry: Frenet frame, extrapolation, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simdrive.errors import MapError
from simdrive.world import LANE_DRIVING, LANE_SIDEWALK, Lane


def arc_lane(radius: float, angle: float, n_seg: int, width: float = 3.5) -> Lane:
    """Lane on a circle of ``radius`` m centred at (0, radius), from (0, 0) heading +x."""
    phi = np.linspace(0.0, angle, n_seg + 1)
    points = np.stack([radius * np.sin(phi), radius * (1 - np.cos(phi))], axis=1)
    return Lane("arc", LANE_DRIVING, points, width, 13.9)


def test_straight_lane_frenet_is_distance_along_and_left_of_travel():
    lane = Lane("l", LANE_DRIVING, np.array([[0.0, 0.0], [100.0, 0.0]]), 3.5, 13.9)
    x, y, heading = lane.to_world(30.0, 1.0)
    assert (x, y, heading) == (30.0, 1.0, 0.0)
    assert lane.to_frenet(30.0, -2.0) == (30.0, -2.0)
    assert lane.length == 100.0


def test_reversed_lane_has_left_on_negative_y_and_heading_pi():
    lane = Lane("l", LANE_DRIVING, np.array([[100.0, 0.0], [0.0, 0.0]]), 3.5, 13.9)
    x, y, heading = lane.to_world(10.0, 1.0)
    assert (x, y) == pytest.approx((90.0, -1.0))
    assert abs(heading) == pytest.approx(math.pi)


def test_scalar_inputs_give_floats_and_arrays_broadcast():
    lane = arc_lane(50.0, 1.0, 40)
    assert isinstance(lane.to_world(1.0, 0.0)[0], float)
    assert isinstance(lane.to_frenet(1.0, 0.0)[1], float)
    assert isinstance(lane.heading_at(1.0), float)
    x, y, heading = lane.to_world(np.linspace(0, 40, 6).reshape(2, 3), 0.5)
    assert x.shape == y.shape == heading.shape == (2, 3)
    s, d = lane.to_frenet(x, y)
    assert s.shape == d.shape == (2, 3)


@pytest.mark.parametrize("radius", [30.0, -30.0, 150.0])
def test_roundtrip_on_arc_polyline_is_exact_for_offsets_within_the_lane_width(radius):
    lane = arc_lane(radius, 1.2 * math.copysign(1.0, radius), 60)
    rng = np.random.default_rng(1)
    s = rng.uniform(0.0, lane.length, 2000)
    d = rng.uniform(-lane.width, lane.width, 2000)
    s_back, d_back = lane.to_frenet(*lane.to_world(s, d)[:2])
    np.testing.assert_allclose(s_back, s, atol=1e-9)
    np.testing.assert_allclose(d_back, d, atol=1e-9)


def test_roundtrip_at_vertices_where_segments_meet():
    lane = arc_lane(40.0, 1.0, 20)
    s = np.repeat(lane.cum_s, 3)
    d = np.tile([-3.0, 0.0, 3.0], lane.cum_s.size)
    s_back, d_back = lane.to_frenet(*lane.to_world(s, d)[:2])
    np.testing.assert_allclose(s_back, s, atol=1e-9)
    np.testing.assert_allclose(d_back, d, atol=1e-9)


def test_offset_point_lies_exactly_d_from_its_segment():
    lane = arc_lane(40.0, 1.0, 20)
    x, y, _ = lane.to_world(13.0, 2.5)
    seg = np.searchsorted(lane.cum_s, 13.0) - 1
    a, b = lane.points[seg], lane.points[seg + 1]
    t = (b - a) / np.linalg.norm(b - a)
    assert t[0] * (y - a[1]) - t[1] * (x - a[0]) == pytest.approx(2.5)


def test_arc_length_matches_radius_times_angle():
    radius, angle = 80.0, 0.9
    lane = arc_lane(radius, angle, 200)
    assert lane.length == pytest.approx(radius * angle, rel=1e-5)


def test_positions_beyond_the_ends_extend_the_first_and_last_segments():
    lane = arc_lane(40.0, 1.0, 20)
    chord_heading = 0.5 / 20  # half the angle of one segment
    first = np.array([math.cos(chord_heading), math.sin(chord_heading)])
    x, y, heading = lane.to_world(-5.0, 0.0)
    np.testing.assert_allclose([x, y], -5.0 * first, atol=1e-9)
    assert heading == pytest.approx(chord_heading)
    last = np.array([math.cos(1.0 - chord_heading), math.sin(1.0 - chord_heading)])
    x, y, heading = lane.to_world(lane.length + 7.0, 0.0)
    np.testing.assert_allclose([x, y], lane.points[-1] + 7.0 * last, atol=1e-9)
    assert heading == pytest.approx(1.0 - chord_heading)
    assert lane.to_frenet(x, y) == pytest.approx((lane.length + 7.0, 0.0))
    assert lane.to_frenet(*lane.to_world(-5.0, 2.0)[:2]) == pytest.approx((-5.0, 2.0))


def test_far_points_project_to_the_nearest_segment():
    lane = Lane("l", LANE_DRIVING, np.array([[0.0, 0.0], [10.0, 0.0], [10.0 + 1e-3, 10.0]]),
                3.5, 13.9)
    s, d = lane.to_frenet(-100.0, 50.0)
    assert s == pytest.approx(-100.0)
    assert d == pytest.approx(50.0)


def test_heading_at_is_the_segment_direction():
    lane = Lane("l", LANE_SIDEWALK, np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 10.0]]), 2.0, 2.5)
    np.testing.assert_allclose(lane.heading_at(np.array([5.0, 15.0])), [0.0, math.pi / 4])


def test_cum_s_accumulates_segment_lengths():
    lane = Lane("l", LANE_DRIVING, np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 10.0]]), 3.5, 13.9)
    np.testing.assert_allclose(lane.cum_s, [0.0, 5.0, 11.0])


def test_lane_arrays_are_read_only():
    lane = arc_lane(40.0, 1.0, 20)
    with pytest.raises(ValueError):
        lane.points[0, 0] = 1.0
    with pytest.raises(ValueError):
        lane.cum_s[0] = 1.0


@pytest.mark.parametrize(
    "points, kind, width",
    [
        ([[0.0, 0.0]], LANE_DRIVING, 3.5),
        ([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]], LANE_DRIVING, 3.5),
        ([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]], LANE_DRIVING, 3.5),
        ([[0.0, 0.0], [1.0, 0.0]], 9, 3.5),
        ([[0.0, 0.0], [1.0, 0.0]], LANE_DRIVING, 0.0),
        ([[0.0, 0.0], [np.nan, 0.0]], LANE_DRIVING, 3.5),
    ],
    ids=["one_point", "repeated_point", "reversal", "bad_kind", "zero_width", "nan"],
)
def test_invalid_lanes_raise_map_error(points, kind, width):
    with pytest.raises(MapError):
        Lane("bad", kind, np.array(points), width, 13.9)
