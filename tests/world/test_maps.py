"""Road maps: builders, topology, areas, packing and strict validation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Point, Polygon, box

from simdrive.errors import MapError
from simdrive.world import (
    AREA_CROSSWALK,
    AREA_DRIVABLE,
    AREA_PARKING,
    AREA_SIDEWALK,
    LANE_CONNECTOR,
    LANE_DRIVING,
    LANE_PARKING,
    LANE_SIDEWALK,
    MAP_BUILDERS,
    build_map,
    register_map_builder,
)

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "maps"
STRAIGHT = {"type": "straight", "lanes": 2, "parking": "both", "sidewalks": "both"}
CURVED = {"type": "curved", "radius": 60.0, "length": 150.0, "lanes": 2, "parking": "right"}
CURVED_RIGHT = {"type": "curved", "radius": -45.0, "length": 100.0, "lanes": 1}
JUNCTION = {"type": "intersection", "lanes": 2}
ALL_MAPS = [STRAIGHT, CURVED, CURVED_RIGHT, JUNCTION, {"type": "intersection", "lanes": 3},
            {"type": "intersection", "sidewalk_width": 5.0, "kerb_radius": 3.0},
            {"type": "straight", "one_way": True, "lanes": 3, "parking": "left"}]
MAP_IDS = ["straight", "curved_left", "curved_right", "junction2", "junction3",
           "junction_wide_sidewalk", "one_way"]


def names(road_map) -> list[str]:
    return [lane.name for lane in road_map.lanes]


def lanes_of(road_map, kinds):
    return [lane for lane in road_map.lanes if lane.kind in kinds]


def assert_roundtrip(lane, fraction_of_width=1.0, seed=0):
    rng = np.random.default_rng(seed)
    s = rng.uniform(0.0, lane.length, 300)
    d = rng.uniform(-1.0, 1.0, 300) * lane.width * fraction_of_width
    s_back, d_back = lane.to_frenet(*lane.to_world(s, d)[:2])
    np.testing.assert_allclose(s_back, s, atol=1e-6, err_msg=lane.name)
    np.testing.assert_allclose(d_back, d, atol=1e-6, err_msg=lane.name)


# ---- straight ----------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_straight_road_names_lanes_kerbside_first_in_both_directions(n):
    road_map = build_map({"type": "straight", "lanes": n, "sidewalks": "none"})
    assert names(road_map) == [f"fwd_{k}" for k in range(n)] + [f"bwd_{k}" for k in range(n)]


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_straight_lane_centres_sit_at_half_widths_from_the_centre_line(n):
    road_map = build_map({"type": "straight", "lanes": n, "lane_width": 3.0, "length": 80})
    for k in range(n):
        fwd = road_map.lanes[road_map.lane_index(f"fwd_{k}")]
        bwd = road_map.lanes[road_map.lane_index(f"bwd_{k}")]
        np.testing.assert_allclose(fwd.points, [[0, -(n - k - 0.5) * 3], [80, -(n - k - 0.5) * 3]])
        np.testing.assert_allclose(bwd.points, [[80, (n - k - 0.5) * 3], [0, (n - k - 0.5) * 3]])


def test_straight_neighbours_link_same_direction_lanes_only():
    road_map = build_map({"type": "straight", "lanes": 2})
    i = {name: road_map.lane_index(name) for name in names(road_map)}
    assert road_map.left[i["fwd_0"]] == i["fwd_1"] and road_map.right[i["fwd_1"]] == i["fwd_0"]
    assert road_map.left[i["bwd_0"]] == i["bwd_1"] and road_map.right[i["bwd_1"]] == i["bwd_0"]
    assert road_map.left[i["fwd_1"]] == -1 and road_map.left[i["bwd_1"]] == -1
    assert road_map.right[i["fwd_0"]] == -1 and road_map.right[i["bwd_0"]] == -1
    assert all(s == (-1, -1, -1) for s in road_map.successors)


def test_parking_and_sidewalks_lie_outside_the_driving_lanes():
    road_map = build_map({**STRAIGHT, "lane_width": 3.5, "parking_width": 2.5,
                          "sidewalk_width": 2.0})
    lane = {name: road_map.lanes[road_map.lane_index(name)] for name in names(road_map)}
    assert lane["parking_right"].points[0, 1] == pytest.approx(-(7.0 + 1.25))
    assert lane["parking_left"].points[0, 1] == pytest.approx(7.0 + 1.25)
    assert lane["sidewalk_right"].points[0, 1] == pytest.approx(-(9.5 + 1.0))
    assert lane["sidewalk_left"].points[0, 1] == pytest.approx(9.5 + 1.0)
    assert lane["parking_right"].heading_at(0.0) == pytest.approx(0.0)
    assert abs(lane["parking_left"].heading_at(0.0)) == pytest.approx(math.pi)
    for side in ("left", "right"):
        assert lane[f"sidewalk_{side}"].heading_at(0.0) == pytest.approx(0.0)
        assert lane[f"parking_{side}"].kind == LANE_PARKING
        assert lane[f"sidewalk_{side}"].kind == LANE_SIDEWALK


def test_one_way_road_has_forward_lanes_only_with_solid_left_edge():
    road_map = build_map({"type": "straight", "lanes": 2, "one_way": True, "sidewalks": "none"})
    assert names(road_map) == ["fwd_0", "fwd_1"]
    assert "double_solid" not in [style for _, style in road_map.lane_markings]
    assert road_map.drivable.bounds == pytest.approx((0.0, -7.0, 200.0, 0.0))


def test_straight_markings_are_dashed_between_lanes_double_solid_in_the_centre_solid_at_edges():
    road_map = build_map({"type": "straight", "lanes": 3, "lane_width": 3.0})
    by_y = {round(line.coords[0][1], 6): style for line, style in road_map.lane_markings}
    assert by_y == {-9.0: "solid", -6.0: "dashed", -3.0: "dashed", 0.0: "double_solid",
                    3.0: "dashed", 6.0: "dashed", 9.0: "solid"}


# ---- curved ------------------------------------------------------------------

@pytest.mark.parametrize("desc", [CURVED, CURVED_RIGHT], ids=["left", "right"])
def test_curved_lane_lengths_equal_offset_radius_times_angle(desc):
    road_map = build_map(desc)
    radius, angle = desc["radius"], desc["length"] / desc["radius"]
    for lane in road_map.lanes:
        start = lane.points[0] if lane.points[0, 0] == 0.0 else lane.points[-1]  # at x = 0
        assert start[0] == 0.0
        arc = abs((radius - start[1]) * angle)  # start[1] is the lateral offset y
        # chords are shorter than their arcs: by at most angle * chord error / 3
        assert 0.0 <= arc - lane.length <= abs(angle) * 0.02 / 3 + 1e-9, lane.name


@pytest.mark.parametrize("desc", [CURVED, CURVED_RIGHT], ids=["left", "right"])
def test_curved_polylines_stay_within_two_centimetres_of_their_arcs(desc):
    road_map = build_map(desc)
    centre = np.array([0.0, desc["radius"]])
    for lane in road_map.lanes:
        radius = np.linalg.norm(lane.points[0] - centre)
        np.testing.assert_allclose(np.linalg.norm(lane.points - centre, axis=1), radius)
        mids = (lane.points[:-1] + lane.points[1:]) / 2
        assert np.max(radius - np.linalg.norm(mids - centre, axis=1)) < 0.02


def test_curve_starts_at_origin_heading_x_and_turns_towards_positive_radius():
    road_map = build_map({"type": "curved", "radius": 100.0, "length": 100.0,
                          "sidewalks": "none"})
    centre_line = [line for line, style in road_map.lane_markings if style == "double_solid"][0]
    assert centre_line.coords[0] == pytest.approx((0.0, 0.0))
    end = np.array(centre_line.coords[-1])
    np.testing.assert_allclose(end, [100 * math.sin(1.0), 100 * (1 - math.cos(1.0))], atol=1e-9)


@pytest.mark.parametrize("desc", [STRAIGHT, CURVED, CURVED_RIGHT], ids=["straight", "left",
                                                                         "right"])
def test_road_lanes_roundtrip_between_world_and_frenet(desc):
    for lane in build_map(desc).lanes:
        assert_roundtrip(lane)


def test_packed_s_scale_is_the_neighbour_length_ratio_on_curves_and_one_on_straights():
    arrays = build_map(CURVED).to_arrays()
    for i in range(arrays.lane_length.size):
        for neighbour, scale in ((arrays.lane_left, arrays.lane_s_scale_left),
                                 (arrays.lane_right, arrays.lane_s_scale_right)):
            j = neighbour[i]
            expected = arrays.lane_length[j] / arrays.lane_length[i] if j >= 0 else 1.0
            assert scale[i] == pytest.approx(expected)
    assert arrays.lane_s_scale_left[0] != pytest.approx(1.0)
    straight = build_map(STRAIGHT).to_arrays()
    np.testing.assert_array_equal(straight.lane_s_scale_left, 1.0)
    np.testing.assert_array_equal(straight.lane_s_scale_right, 1.0)


# ---- intersection ------------------------------------------------------------

def test_junction_lanes_roundtrip_between_world_and_frenet():
    for lane in build_map(JUNCTION).lanes:
        assert_roundtrip(lane)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_every_incoming_lane_has_a_straight_connector_and_connectors_lead_to_outgoing_lanes(n):
    road_map = build_map({"type": "intersection", "lanes": n})
    for i, lane in enumerate(road_map.lanes):
        if "_in_" in lane.name and ">" not in lane.name:
            connector = road_map.lanes[road_map.successors[i][0]]
            assert connector.kind == LANE_CONNECTOR
            assert connector.name.startswith(lane.name + ">")
        if lane.kind == LANE_CONNECTOR:
            target, *rest = road_map.successors[i]
            assert rest == [-1, -1]
            assert road_map.lanes[target].name == lane.name.split(">")[1]


def test_turns_go_from_innermost_lane_left_and_from_kerbside_lane_right():
    road_map = build_map({"type": "intersection", "lanes": 3})
    succ = {lane.name: road_map.successors[i] for i, lane in enumerate(road_map.lanes)}

    def target(name, slot):
        return road_map.lanes[succ[name][slot]].name if succ[name][slot] >= 0 else None

    assert target("west_in_2", 1) == "west_in_2>north_out_2"
    assert target("west_in_0", 2) == "west_in_0>south_out_0"
    assert target("south_in_2", 1) == "south_in_2>west_out_2"
    assert target("north_in_0", 2) == "north_in_0>west_out_0"
    assert target("west_in_1", 0) == "west_in_1>east_out_1"
    assert target("west_in_1", 1) is None and target("west_in_1", 2) is None


def test_single_lane_approach_has_straight_left_and_right_connectors_from_lane_zero():
    road_map = build_map({"type": "intersection", "lanes": 1})
    slots = road_map.successors[road_map.lane_index("east_in_0")]
    assert [road_map.lanes[j].name for j in slots] == [
        "east_in_0>west_out_0", "east_in_0>south_out_0", "east_in_0>north_out_0"]


@pytest.mark.parametrize("n", [1, 3])
def test_lanes_join_continuously_in_position_and_heading(n):
    road_map = build_map({"type": "intersection", "lanes": n})
    for i, lane in enumerate(road_map.lanes):
        for j in road_map.successors[i]:
            if j < 0:
                continue
            nxt = road_map.lanes[j]
            assert np.linalg.norm(nxt.points[0] - lane.points[-1]) < 0.01
            turn = nxt.heading_at(0.0) - lane.heading_at(lane.length)
            assert abs(math.remainder(turn, 2 * math.pi)) < 0.05, (lane.name, nxt.name)


def test_connectors_turn_by_a_right_angle_in_small_steps():
    for lane in lanes_of(build_map(JUNCTION), {LANE_CONNECTOR}):
        mids = (lane.cum_s[:-1] + lane.cum_s[1:]) / 2
        kinks = np.diff(np.unwrap(lane.heading_at(mids)))
        assert np.abs(kinks).max(initial=0.0) < 0.08, lane.name
        expected = 0.0 if len(lane.points) == 2 else math.pi / 2
        assert abs(kinks.sum()) == pytest.approx(expected, abs=0.05), lane.name


def test_right_turns_are_arcs_that_clear_the_kerb():
    road_map = build_map({"type": "intersection", "lanes": 1, "lane_width": 3.5,
                          "kerb_radius": 6.0})
    lane = road_map.lanes[road_map.lane_index("west_in_0>south_out_0")]
    kerb_centre = np.array([-3.5 - 6.0, -3.5 - 6.0])
    turn_centre = np.array([-1.75 - 7.25, -1.75 - 7.25])  # radius kerb + width / 2 - 0.5
    arc = lane.points[1:-1]
    np.testing.assert_allclose(np.linalg.norm(arc - turn_centre, axis=1), 7.25)
    inner = np.stack(lane.to_world(lane.cum_s, -lane.width / 2)[:2], axis=1)  # right edge
    assert np.all(np.linalg.norm(inner - kerb_centre, axis=1) > 6.0)


def test_turning_connectors_are_limited_to_a_comfortable_lateral_acceleration():
    road_map = build_map({"type": "intersection", "lanes": 1, "lane_width": 3.5,
                          "kerb_radius": 6.0, "crosswalk_width": 3.0, "speed_limit": 13.9})
    limit = {lane.name: lane.speed_limit for lane in road_map.lanes}
    assert limit["west_in_0>east_out_0"] == pytest.approx(13.9)
    assert limit["west_in_0>south_out_0"] == pytest.approx(math.sqrt(3.0 * 7.25))
    assert limit["west_in_0>north_out_0"] == pytest.approx(math.sqrt(3.0 * (12.5 + 1.75)))


def test_crosswalks_start_where_the_kerb_straightens_and_do_not_overlap_the_junction():
    road_map = build_map({"type": "intersection", "lanes": 2, "lane_width": 3.5,
                          "kerb_radius": 6.0, "crosswalk_width": 3.0})
    junction = box(-7.0, -7.0, 7.0, 7.0)
    assert len(road_map.crosswalks.geoms) == 4
    for crosswalk in road_map.crosswalks.geoms:
        assert crosswalk.intersection(junction).area == 0.0
        assert crosswalk.area == pytest.approx(3.0 * 14.0)
        assert crosswalk.distance(junction) == pytest.approx(6.0)
        assert road_map.drivable.contains(crosswalk)
        assert crosswalk.intersection(road_map.sidewalks).area == 0.0
        assert crosswalk.buffer(1e-6).intersection(road_map.sidewalks).area > 0.0


def test_stop_lines_are_one_metre_before_the_crosswalk_across_the_incoming_lanes():
    road_map = build_map({"type": "intersection", "lanes": 2, "lane_width": 3.5,
                          "kerb_radius": 6.0, "crosswalk_width": 3.0})
    r_out = 7.0 + 6.0 + 3.0
    assert len(road_map.stop_lines) == 4
    for line in road_map.stop_lines:
        assert line.length == pytest.approx(7.0)
        centre = np.abs(line.centroid.coords[0])
        assert sorted(centre) == pytest.approx([3.5, r_out + 1.0])
    west_in = road_map.lanes[road_map.lane_index("west_in_0")]
    assert west_in.points[-1] == pytest.approx([-(r_out + 1.0), -5.25])
    west_out = road_map.lanes[road_map.lane_index("west_out_0")]
    assert west_out.points[0] == pytest.approx([-r_out, 5.25])


def test_signal_groups_split_east_west_from_north_south_approaches():
    road_map = build_map(JUNCTION)
    for i, lane in enumerate(road_map.lanes):
        expected = -1
        if "_in_" in lane.name and ">" not in lane.name:
            expected = 0 if lane.name.split("_")[0] in ("west", "east") else 1
        assert road_map.signal_group[i] == expected, lane.name
    plan = {"green_s": 15.0, "yellow_s": 4.0, "all_red_s": 1.0}
    packed = build_map({**JUNCTION, "signal_plan": plan}).to_arrays().signal_plan
    np.testing.assert_array_equal(packed, [15, 4, 1, 15, 4, 1])


def test_junction_without_signals_packs_an_all_zero_plan():
    road_map = build_map({**JUNCTION, "signals": False})
    assert set(road_map.signal_group) == {-1}
    np.testing.assert_array_equal(road_map.to_arrays().signal_plan, 0.0)


def test_sidewalks_run_along_both_sides_of_every_arm_with_corner_areas():
    road_map = build_map(JUNCTION)
    sidewalks = sorted(lane.name for lane in lanes_of(road_map, {LANE_SIDEWALK}))
    assert sidewalks == sorted(f"{arm}_sidewalk_{side}" for arm in ("west", "east", "south",
                                                                       "north")
                               for side in ("left", "right"))
    kerb_centre = 7.0 + 6.0  # half road width + kerb radius
    for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
        behind_kerb = kerb_centre - (6.0 - 1.0) / math.sqrt(2)  # mid-sidewalk at 45 degrees
        assert road_map.sidewalks.contains(Point(sx * behind_kerb, sy * behind_kerb))
        assert road_map.drivable.contains(Point(sx * 7.5, sy * 7.5))  # rounded road corner
    assert road_map.sidewalks.intersection(road_map.drivable).area == pytest.approx(0.0)


# ---- areas -------------------------------------------------------------------

@pytest.mark.parametrize("desc", ALL_MAPS, ids=MAP_IDS)
def test_lanes_lie_inside_their_areas(desc):
    road_map = build_map(desc)
    area = {LANE_DRIVING: road_map.drivable, LANE_CONNECTOR: road_map.drivable,
            LANE_SIDEWALK: road_map.sidewalks, LANE_PARKING: road_map.parking}
    for lane in road_map.lanes:
        region = area[lane.kind].buffer(1e-6)
        # lane ends on curves are cut square to the end chord, areas radially: skip 5 cm
        s = np.linspace(0.05, lane.length - 0.05, 50)
        for d in (-lane.width / 2 + 1e-3, 0.0, lane.width / 2 - 1e-3):
            x, y, _ = lane.to_world(s, d)
            assert all(region.contains(Point(p)) for p in zip(x, y, strict=True)), lane.name


@pytest.mark.parametrize("desc", ALL_MAPS, ids=MAP_IDS)
def test_drivable_area_is_one_polygon_without_holes(desc):
    drivable = build_map(desc).drivable
    assert isinstance(drivable, Polygon) and drivable.is_valid and not drivable.interiors


# ---- packing -----------------------------------------------------------------

@pytest.mark.parametrize("desc", ALL_MAPS, ids=MAP_IDS)
def test_packed_lane_arrays_equal_the_lane_objects(desc):
    road_map = build_map(desc)
    a = road_map.to_arrays()
    for i, lane in enumerate(road_map.lanes):
        rows = slice(a.lane_start[i], a.lane_start[i] + a.lane_npoints[i])
        np.testing.assert_array_equal(a.lane_points[rows], lane.points)
        np.testing.assert_array_equal(a.lane_cum_s[rows], lane.cum_s)
        assert a.lane_length[i] == lane.length
        assert a.lane_width[i] == lane.width
        assert a.lane_speed_limit[i] == lane.speed_limit
        assert a.lane_kind[i] == lane.kind
        assert (a.lane_left[i], a.lane_right[i]) == (road_map.left[i], road_map.right[i])
        assert tuple(a.lane_successors[i]) == road_map.successors[i]
        assert a.lane_signal_group[i] == road_map.signal_group[i]
    assert a.lane_points.shape[0] == sum(len(lane.points) for lane in road_map.lanes)


@pytest.mark.parametrize("desc", ALL_MAPS, ids=MAP_IDS)
def test_packed_areas_rebuild_the_map_polygons(desc):
    road_map = build_map(desc)
    a = road_map.to_arrays()
    geometry = {AREA_DRIVABLE: road_map.drivable, AREA_SIDEWALK: road_map.sidewalks,
                AREA_CROSSWALK: road_map.crosswalks, AREA_PARKING: road_map.parking}
    for kind, expected in geometry.items():
        parts = [Polygon(a.area_points[s:s + n])
                 for s, n, k in zip(a.area_start, a.area_npoints, a.area_kind, strict=True)
                 if k == kind]
        assert sum(p.area for p in parts) == pytest.approx(expected.area)
        assert all(p.exterior.is_ccw for p in parts)


def test_packed_arrays_have_the_kernel_dtypes_and_are_c_contiguous():
    a = build_map(JUNCTION).to_arrays()
    ints = {"lane_start", "lane_npoints", "lane_kind", "lane_left", "lane_right",
            "lane_successors", "lane_signal_group", "area_start", "area_npoints", "area_kind",
            "lane_yield_start", "lane_yield_count", "yield_lane"}
    for name, value in vars(a).items():
        assert value.dtype == (np.int32 if name in ints else np.float64), name
        assert value.flags.c_contiguous, name
    assert a.lane_successors.shape == (a.lane_length.size, 3)
    assert a.signal_plan.shape == (6,)


def test_to_arrays_is_built_once_per_map():
    road_map = build_map(STRAIGHT)
    assert road_map.to_arrays() is road_map.to_arrays()


# ---- descriptions, files and errors ------------------------------------------

@pytest.mark.parametrize("path", sorted(ASSETS.glob("*.yaml")), ids=lambda p: p.name)
def test_each_shipped_map_file_builds(path):
    road_map = build_map(str(path))
    assert road_map.lanes and road_map.drivable.area > 0


def test_shipped_map_files_cover_the_documented_examples():
    shipped = {p.name for p in ASSETS.glob("*.yaml")}
    assert {"urban_two_lane.yaml", "highway.yaml", "rural_curve.yaml", "four_way.yaml"} <= shipped


def test_file_reference_resolves_against_base_dir():
    road_map = build_map({"file": "highway.yaml"}, base_dir=ASSETS)
    assert len(lanes_of(road_map, {LANE_DRIVING})) == 6
    assert road_map.lanes[0].speed_limit == pytest.approx(30.6)


def error_of(desc, **kwargs) -> MapError:
    with pytest.raises(MapError) as info:
        build_map(desc, **kwargs)
    return info.value


def test_unknown_key_names_the_path_and_suggests_the_closest_key():
    err = error_of({"type": "straight", "lane": 2})
    assert err.path == "map.lane" and err.where == "map"
    assert "did you mean 'lanes'" in str(err)


def test_too_many_lanes_is_out_of_range():
    err = error_of({"type": "straight", "lanes": 5})
    assert err.path == "map.lanes" and err.found == 5 and err.expected == "an integer in [1, 4]"


def test_negative_length_is_out_of_range():
    err = error_of({"type": "straight", "length": -20})
    assert err.path == "map.length" and err.expected == "a number > 10 and <= 100000"


def test_bad_sidewalks_value_lists_the_valid_choices():
    err = error_of({"type": "straight", "sidewalks": "both_sides"})
    assert err.path == "map.sidewalks" and err.expected == "one of none, left, right, both"


def test_missing_file_names_the_file():
    err = error_of({"file": "no_such_map.yaml"}, base_dir=ASSETS)
    assert err.path == "map.file" and err.where.endswith("no_such_map.yaml")


@pytest.mark.parametrize(
    "desc, path",
    [
        ({"type": "straight", "lanes": 2.0}, "map.lanes"),
        ({"type": "straight", "lanes": True}, "map.lanes"),
        ({"type": "straight", "one_way": "yes"}, "map.one_way"),
        ({"type": "straight", "length": float("nan")}, "map.length"),
        ({"type": "curved", "length": 100}, "map.radius"),
        ({"type": "curved", "radius": 15}, "map.radius"),
        ({"type": "curved", "radius": 22, "length": 60, "lanes": 4, "parking": "both"},
         "map.radius"),
        ({"type": "curved", "radius": 30, "length": 200}, "map.length"),
        ({"type": "intersection", "lanes": 4}, "map.lanes"),
        ({"type": "intersection", "arm_length": 15}, "map.arm_length"),
        ({"type": "intersection", "signal_plan": {"green": 10}}, "map.signal_plan.green"),
        ({"type": "intersection", "signal_plan": {"green_s": 0}}, "map.signal_plan.green_s"),
        ({"type": "intersection", "signals": False, "signal_plan": {}}, "map.signal_plan"),
        ({"type": "roundabout"}, "map.type"),
        ({"lanes": 2}, "map.type"),
        ({"file": "highway.yaml", "lanes": 2}, "map"),
        (["straight"], "map"),
    ],
)
def test_invalid_descriptions_raise_map_error_with_the_key_path(desc, path):
    assert error_of(desc).path == path


def test_errors_in_a_file_name_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("type: straight\nlanes: 7\n")
    err = error_of(str(bad))
    assert err.where == f"{bad}:2:1" and err.path == "map.lanes"  # the key's line, column


@pytest.mark.parametrize("content, message", [
    ("type: straight\n# caf\xe9\n".encode("latin-1"), "not UTF-8"),
    (b"type: straight\nx: " + b"[" * 3000 + b"]" * 3000 + b"\n", "deeper"),
    (b"type: straight\nlanes: 1\nlanes: 2\n", "lanes"),
    (b"type: straight\nname: \"\\ud800\"\n", "surrogate"),
    (b"", "empty"),
])
def test_map_files_are_read_as_strictly_as_scenario_files(tmp_path, content, message):
    # non-UTF-8 text, runaway nesting, a key given twice, an unencodable string, nothing
    bad = tmp_path / "bad_map.yaml"
    bad.write_bytes(content)
    err = error_of(str(bad))
    assert isinstance(err, MapError) and message in str(err) and str(bad) in str(err)


def test_a_device_as_map_file_is_refused_without_reading_it():
    assert "not a regular file" in str(error_of("/dev/zero"))


def test_invalid_yaml_reports_file_line_and_column(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("type: straight\nlanes: [1\n")
    assert error_of(str(bad)).where.startswith(f"{bad}:")


def test_unknown_lane_name_lists_the_valid_names():
    road_map = build_map({"type": "straight", "sidewalks": "none"})
    with pytest.raises(MapError) as info:
        road_map.lane_index("fwd_3")
    assert info.value.expected == "one of fwd_0, bwd_0" and "fwd_0" in str(info.value)


def test_map_builders_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="already registered"):
        register_map_builder("straight", MAP_BUILDERS["straight"])
