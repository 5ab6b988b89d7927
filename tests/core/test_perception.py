"""Perception and metrics kernels against plain shapely/Python references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import LineString

from simdrive.core import layout as L
from simdrive.core.metrics import update_ego_metrics
from simdrive.core.perception import OCCLUDER_MIN_HEIGHT, corridor_obstacle, line_of_sight
from tests.core import naive


def random_world(rng, n):
    fstate = np.zeros((L.F_COUNT, n))
    istate = np.zeros((L.I_COUNT, n), np.int64)
    params = np.zeros((L.P_COUNT, n))
    fstate[L.F_X] = rng.uniform(-30, 30, n)
    fstate[L.F_Y] = rng.uniform(-30, 30, n)
    fstate[L.F_HEADING] = rng.uniform(-math.pi, math.pi, n)
    fstate[L.F_SPEED] = rng.uniform(0, 15, n)
    params[L.P_LENGTH] = rng.uniform(0.3, 8, n)
    params[L.P_WIDTH] = rng.uniform(0.3, 2.5, n)
    params[L.P_HEIGHT] = rng.uniform(0.3, 3.0, n)
    params[L.P_RADIUS] = 0.5 * np.hypot(params[L.P_LENGTH], params[L.P_WIDTH])
    istate[L.I_VALID] = rng.random(n) < 0.9
    return fstate, istate, params


def boxes(fstate, params):
    return [(fstate[L.F_X, k], fstate[L.F_Y, k], fstate[L.F_HEADING, k], params[L.P_LENGTH, k],
             params[L.P_WIDTH, k]) for k in range(fstate.shape[1])]


def test_line_of_sight_matches_shapely_occlusion():
    rng = np.random.default_rng(20)
    hidden = 0
    for _ in range(60):
        n = 12
        fstate, istate, params = random_world(rng, n)
        cos_h, sin_h = np.cos(fstate[L.F_HEADING]), np.sin(fstate[L.F_HEADING])
        polys = [naive.box_polygon(*b) for b in boxes(fstate, params)]
        for a in range(n):
            for b in range(n):
                if a == b:
                    continue
                # b is seen if a sight line to its centre or to a corner of its box
                # crosses no third box tall enough
                targets = [(fstate[L.F_X, b], fstate[L.F_Y, b]),
                           *list(polys[b].exterior.coords)[:4]]
                blocked = all(any(
                    k not in (a, b) and istate[L.I_VALID, k] and
                    params[L.P_HEIGHT, k] >= OCCLUDER_MIN_HEIGHT and
                    LineString([(fstate[L.F_X, a], fstate[L.F_Y, a]), point]).intersects(
                        polys[k]) for k in range(n)) for point in targets)
                hidden += blocked
                assert line_of_sight(fstate, istate, params, cos_h, sin_h, n, a, b) == (
                    not blocked)
    assert hidden > 500


def naive_corridor(fstate, params, i, j, curvature, max_range, margin=0.3, horizon=3.0):
    """The corridor rule written out in world coordinates: i's path is the circle through
    it along its heading (a straight line at curvature 0); j's box is seen from the
    path's point nearest j: its distance off the path there, how far round the path that
    point is, and j's heading against the path's direction there."""
    hi = fstate[L.F_HEADING, i]
    xi, yi = fstate[L.F_X, i], fstate[L.F_Y, i]
    xj, yj = fstate[L.F_X, j], fstate[L.F_Y, j]
    ahead = (xj - xi) * math.cos(hi) + (yj - yi) * math.sin(hi)
    if not (ahead > 0 and math.hypot(xj - xi, yj - yi) <= max_range):
        return math.inf
    if curvature == 0.0:
        arc = ahead
        lateral = -(xj - xi) * math.sin(hi) + (yj - yi) * math.cos(hi)
        path_heading = hi
    else:
        radius = 1.0 / abs(curvature)
        left = 1.0 if curvature > 0 else -1.0
        # the centre: radius m to i's left (a left bend) or right
        cx = xi - left * radius * math.sin(hi)
        cy = yi + left * radius * math.cos(hi)
        start = math.atan2(yi - cy, xi - cx)  # i's bearing from the centre
        bearing = math.atan2(yj - cy, xj - cx)
        swept = (left * (bearing - start)) % (2 * math.pi)  # round the path from i
        if swept >= math.pi / 2:
            return math.inf  # more than a quarter turn round (or behind)
        arc = radius * swept
        lateral = left * (radius - math.hypot(xj - cx, yj - cy))
        path_heading = hi + left * swept
    rel = fstate[L.F_HEADING, j] - path_heading
    corners = [(sl * params[L.P_LENGTH, j] / 2, sw * params[L.P_WIDTH, j] / 2)
               for sl in (-1, 1) for sw in (-1, 1)]
    along = [a * math.cos(rel) - b * math.sin(rel) for a, b in corners]
    across = [a * math.sin(rel) + b * math.cos(rel) for a, b in corners]
    reach = params[L.P_WIDTH, i] / 2 + max(across) + margin
    side_speed = fstate[L.F_SPEED, j] * math.sin(rel)
    t_reach = min(arc / max(fstate[L.F_SPEED, i], 1.0), horizon)
    now_in = abs(lateral) <= reach
    crossing = lateral * side_speed < 0 and abs(lateral + side_speed * t_reach) <= reach or (
        lateral * side_speed < 0 and (lateral + side_speed * t_reach) * lateral < 0)
    if not (now_in or crossing):
        return math.inf
    gap = arc - params[L.P_LENGTH, i] / 2 + min(along)
    if gap <= params[L.P_MIN_GAP, i] + 0.5 and reach - margin < abs(lateral) <= reach \
            and lateral * side_speed >= 0:
        return math.inf  # close or alongside, in the margin, not coming in: squeezed past
    return gap


def test_corridor_obstacle_matches_the_rule_written_out():
    rng = np.random.default_rng(21)
    found = 0
    for _ in range(3000):
        fstate, istate, params = random_world(rng, 2)
        cos_h, sin_h = np.cos(fstate[L.F_HEADING]), np.sin(fstate[L.F_HEADING])
        # gentle bends, and tight ones where much of the square is over a quarter turn
        curvature = rng.uniform(-0.02, 0.02) if rng.random() < 0.5 else rng.uniform(-0.1, 0.1)
        gap, _ = corridor_obstacle(fstate, params, cos_h, sin_h, 0, 1, curvature, 40.0)
        expected = naive_corridor(fstate, params, 0, 1, curvature, 40.0)
        if expected == math.inf:
            assert gap == math.inf
        else:
            found += 1
            assert gap == pytest.approx(expected, abs=1e-9)
    assert found > 100


@pytest.mark.parametrize("heading", [0.0, math.pi / 2, math.pi, -math.pi / 2, 0.7])
def test_a_near_zero_curvature_is_a_straight_path(heading):
    """A review: pure pursuit leaves a car driving west or north a curvature of ~1e-17;
    the circle's radius of 1e17 then rounded the offset of a car beside it away, and
    drivers braked for what they were passing."""
    fstate, _, params = random_world(np.random.default_rng(5), 2)
    fstate[L.F_HEADING] = heading
    fstate[L.F_X, 0], fstate[L.F_Y, 0] = 3.0, -7.0
    params[L.P_LENGTH], params[L.P_WIDTH] = 4.3, 1.8
    cos_h, sin_h = np.cos(fstate[L.F_HEADING]), np.sin(fstate[L.F_HEADING])
    for ahead, side in ((30.0, 3.5), (30.0, 0.5), (12.0, -2.9), (50.0, 1.95)):
        fstate[L.F_X, 1] = 3.0 + ahead * math.cos(heading) - side * math.sin(heading)
        fstate[L.F_Y, 1] = -7.0 + ahead * math.sin(heading) + side * math.cos(heading)
        straight = corridor_obstacle(fstate, params, cos_h, sin_h, 0, 1, 0.0, 200.0)
        for curvature in (1e-17, -1e-17, 2.2e-17, -9.4e-18, 1e-12, -1e-9):
            bent = corridor_obstacle(fstate, params, cos_h, sin_h, 0, 1, curvature, 200.0)
            assert bent[0] == pytest.approx(straight[0], abs=1e-6), (ahead, side, curvature)


def test_nothing_farther_than_sight_is_in_the_way_round_a_bend():
    # a review: sight was compared with the distance along the heading, shorter round a
    # bend: a car 90 m round a 60 m bend (81.8 m away) counted within 60 m of sight
    fstate, _, params = random_world(np.random.default_rng(6), 2)
    fstate[L.F_HEADING] = 0.0
    fstate[L.F_X, 0], fstate[L.F_Y, 0] = 0.0, 0.0
    radius, arc = 60.0, 90.0
    fstate[L.F_X, 1] = radius * math.sin(arc / radius)
    fstate[L.F_Y, 1] = radius * (1 - math.cos(arc / radius))
    fstate[L.F_HEADING, 1] = arc / radius
    cos_h, sin_h = np.cos(fstate[L.F_HEADING]), np.sin(fstate[L.F_HEADING])
    far = math.hypot(fstate[L.F_X, 1], fstate[L.F_Y, 1])
    assert corridor_obstacle(fstate, params, cos_h, sin_h, 0, 1, 1 / radius, 60.0)[0] == math.inf
    gap, _ = corridor_obstacle(fstate, params, cos_h, sin_h, 0, 1, 1 / radius, far + 0.1)
    assert gap == pytest.approx(arc - 0.5 * params[L.P_LENGTH, 0] - 0.5 * params[L.P_LENGTH, 1])


def test_an_obstacle_only_in_the_margin_is_braked_for_then_squeezed_past():
    """A car door open 0.1 m clear of a car's side (inside the 0.3 m margin a driver
    keeps): braked for while ahead, but within the car's minimum gap (2 m) plus 0.5 m, or
    alongside, the car squeezes past; a box that overlaps the car's side stays in its way."""
    fstate, istate, params = random_world(np.random.default_rng(0), 2)
    fstate[L.F_HEADING] = 0.0
    fstate[L.F_SPEED] = (3.0, 0.0)
    fstate[L.F_X, 0], fstate[L.F_Y, 0] = 0.0, 0.0
    params[L.P_LENGTH], params[L.P_WIDTH] = (4.0, 1.2), (1.8, 0.8)
    params[L.P_MIN_GAP] = 2.0
    cos_h, sin_h = np.cos(fstate[L.F_HEADING]), np.sin(fstate[L.F_HEADING])
    clear = 0.9 + 0.4 + 0.1  # half widths plus 0.1 m: inside the margin, not touching

    def gap_at(x, lateral):
        fstate[L.F_X, 1], fstate[L.F_Y, 1] = x, -lateral
        return corridor_obstacle(fstate, params, cos_h, sin_h, 0, 1, 0.0, 40.0)[0]

    assert gap_at(8.0, clear) == pytest.approx(8.0 - 2.0 - 0.6)  # ahead: braked for
    assert gap_at(5.2, clear) == pytest.approx(2.6)
    assert gap_at(5.0, clear) == math.inf  # 2.4 m: squeezed past
    assert gap_at(2.5, clear) == math.inf  # level with the bumper
    assert gap_at(0.5, clear) == math.inf
    assert gap_at(0.5, 1.2) == pytest.approx(0.5 - 2.0 - 0.6)  # overlapping: in the way
    assert gap_at(8.0, clear + 0.3) == math.inf  # outside the margin altogether
    # a pedestrian stepping in at 1.4 m/s, close ahead, in the margin or still outside the
    # corridor: in the way whatever the gap
    params[L.P_LENGTH, 1], params[L.P_WIDTH, 1] = 0.5, 0.5
    fstate[L.F_SPEED, 1] = 1.4
    fstate[L.F_HEADING, 1] = math.pi / 2  # walking left, towards the car's path from its right
    cos_h[:], sin_h[:] = np.cos(fstate[L.F_HEADING]), np.sin(fstate[L.F_HEADING])
    assert gap_at(4.5, 0.9 + 0.25 + 0.1) == pytest.approx(4.5 - 2.0 - 0.25)
    assert gap_at(4.5, 1.6) == pytest.approx(4.5 - 2.0 - 0.25)
    fstate[L.F_SPEED, 1] = 0.0  # standing still in the margin: squeezed past
    assert gap_at(4.5, 0.9 + 0.25 + 0.1) == math.inf


def test_ego_metrics_fold_in_ttc_and_box_distance_of_every_actor():
    rng = np.random.default_rng(22)
    n = 15
    fstate, istate, params = random_world(rng, n)
    istate[L.I_VALID] = 1
    scratch = np.zeros((8, n))
    scratch[0], scratch[1] = np.cos(fstate[L.F_HEADING]), np.sin(fstate[L.F_HEADING])
    metrics = np.zeros(L.M_COUNT)
    metrics[[L.M_MIN_TTC, L.M_MIN_DISTANCE]] = math.inf
    actor_metrics = np.full((L.AM_COUNT, n), math.inf)
    update_ego_metrics(fstate, istate, params, scratch, metrics, actor_metrics, 0, n)
    b = boxes(fstate, params)
    v = [(fstate[L.F_SPEED, k] * math.cos(fstate[L.F_HEADING, k]),
          fstate[L.F_SPEED, k] * math.sin(fstate[L.F_HEADING, k])) for k in range(n)]
    for j in range(1, n):
        assert actor_metrics[L.AM_MIN_DISTANCE, j] == pytest.approx(
            naive.boxes_distance(b[0], b[j]), abs=1e-9)
        expected_ttc = naive.time_to_collision(b[0], v[0], b[j], v[j], horizon=10.0, step=2e-3)
        if expected_ttc == math.inf:
            assert actor_metrics[L.AM_MIN_TTC, j] > 10.0 - 2e-3
        else:
            assert actor_metrics[L.AM_MIN_TTC, j] == pytest.approx(expected_ttc, abs=2.5e-3)
    assert metrics[L.M_MIN_DISTANCE] == actor_metrics[L.AM_MIN_DISTANCE, 1:].min()
    assert metrics[L.M_MIN_TTC] == actor_metrics[L.AM_MIN_TTC, 1:].min()


def test_map_codes_in_the_kernel_layout_match_the_world_package():
    from simdrive.world import lanes, packed

    assert L.LANE_DRIVING == lanes.LANE_DRIVING
    assert L.LANE_SIDEWALK == lanes.LANE_SIDEWALK
    assert L.LANE_CONNECTOR == lanes.LANE_CONNECTOR
    assert L.AREA_DRIVABLE == packed.AREA_DRIVABLE
    assert L.AREA_PARKING == packed.AREA_PARKING


def test_ego_metrics_bounds_never_skip_a_new_minimum():
    """The cheap circle tests only skip exact tests that could not lower a minimum: over
    many moving steps the folded metrics equal those of testing every actor every step."""
    from simdrive.core.geometry import boxes_distance, boxes_time_to_collision
    from simdrive.core.metrics import TTC_HORIZON_S

    rng = np.random.default_rng(23)
    n = 12
    for _ in range(40):
        fstate, istate, params = random_world(rng, n)
        fstate[L.F_X] *= 4.0  # spread out: most pairs far apart, some closing in
        scratch = np.zeros((8, n))
        metrics = np.zeros(L.M_COUNT)
        metrics[[L.M_MIN_TTC, L.M_MIN_DISTANCE]] = math.inf
        actor_metrics = np.full((L.AM_COUNT, n), math.inf)
        expected = np.full((L.AM_COUNT, n), math.inf)
        for _ in range(30):
            scratch[0], scratch[1] = np.cos(fstate[L.F_HEADING]), np.sin(fstate[L.F_HEADING])
            update_ego_metrics(fstate, istate, params, scratch, metrics, actor_metrics, 0, n)
            if istate[L.I_VALID, 0]:
                e = (fstate[L.F_X, 0], fstate[L.F_Y, 0], scratch[0, 0], scratch[1, 0],
                     params[L.P_LENGTH, 0] / 2, params[L.P_WIDTH, 0] / 2)
                ev = fstate[L.F_SPEED, 0]
                for j in range(1, n):
                    if not istate[L.I_VALID, j]:
                        continue
                    o = (fstate[L.F_X, j], fstate[L.F_Y, j], scratch[0, j], scratch[1, j],
                         params[L.P_LENGTH, j] / 2, params[L.P_WIDTH, j] / 2)
                    v = fstate[L.F_SPEED, j]
                    ttc = boxes_time_to_collision(*e, ev * e[2], ev * e[3], *o, v * o[2],
                                                  v * o[3])
                    if ttc <= TTC_HORIZON_S:
                        expected[L.AM_MIN_TTC, j] = min(expected[L.AM_MIN_TTC, j], ttc)
                    expected[L.AM_MIN_DISTANCE, j] = min(expected[L.AM_MIN_DISTANCE, j],
                                                         boxes_distance(*e, *o))
            # move on: straight ahead with some turning, 0.2 s
            fstate[L.F_X] += 0.2 * fstate[L.F_SPEED] * scratch[0]
            fstate[L.F_Y] += 0.2 * fstate[L.F_SPEED] * scratch[1]
            fstate[L.F_HEADING] += rng.uniform(-0.1, 0.1, n)
        np.testing.assert_array_equal(actor_metrics[:, 1:], expected[:, 1:])
