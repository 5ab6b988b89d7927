"""Writing plain world data (WorldSpec) into the packed state blocks of a batch."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from simdrive.core import layout as L
from simdrive.core.layout import S_COS, S_SIN
from simdrive.errors import MapError, WorldError
from simdrive.state import Blocks
from simdrive.world.actors import (
    LAMP_KINDS,
    a_kind,
    actor_kind,
    actor_kind_id,
    actor_kinds,
    headlight_strength,
    lamps_by_default,
    may_carry_lamps,
)
from simdrive.world.lanes import LANE_SIDEWALK
from simdrive.world.maps import RoadMap
from simdrive.world.packed import MapArrays

if TYPE_CHECKING:
    from simdrive.sim import ActionSpec, ActorSpec, WorldSpec

BEHAVIORS = ("traffic", "follow_lane", "walk_to", "static")
"""How an actor moves: IDM+MOBIL lane traffic, a free lane follower (either
direction, e.g. a walker on a sidewalk or a wrong-way driver), heading for a
goal point, or not at all."""

TURNS = {"straight": 0, "left": 1, "right": 2}
OFF_MAP_M = 100.0
"""How far outside the box of a map's roads and sidewalks a position placement may lie (a
field beside the road); farther is a typo (an actor at x = 5000 beside a 200 m road)."""

ACTIONS = {
    "hard_brake": L.ACT_HARD_BRAKE,  # decel_mps2
    "stop": L.ACT_STOP,
    "go": L.ACT_GO,  # speed_mps
    "cut_in": L.ACT_CUT_IN,  # lane, lookahead_s, offset_m
    "run_red_light": L.ACT_RUN_RED_LIGHT,  # speed_mps
    "wrong_way": L.ACT_WRONG_WAY,  # lane
    "cross_road": L.ACT_CROSS_ROAD,  # x, y (m), speed_mps
    "set_speed": L.ACT_SET_SPEED,  # speed_mps
    "swerve": L.ACT_SWERVE,  # offset_m, lookahead_s
}
ACTION_PARAMS = {
    "hard_brake": ("decel_mps2",),
    "stop": (),
    "go": ("speed_mps",),
    "cut_in": ("lane", "lookahead_s", "offset_m"),
    "run_red_light": ("speed_mps",),
    "wrong_way": ("lane",),
    "cross_road": ("x", "y", "speed_mps"),
    "set_speed": ("speed_mps",),
    "swerve": ("offset_m", "lookahead_s"),
}

REQUIRED_PARAMS = {"cut_in": ("lane",), "wrong_way": ("lane",), "swerve": ("offset_m",)}
"""Action parameters without a default."""

TRIGGERS = {
    "time_s": L.TRIG_TIME,
    "ego_distance_below_m": L.TRIG_EGO_DISTANCE_BELOW,
    "reach_point": L.TRIG_REACH_POINT,
    "actor_distance_below_m": L.TRIG_ACTOR_DISTANCE_BELOW,
    "ego_time_below_s": L.TRIG_EGO_TIME_BELOW,
}


def _map_box(road_map: RoadMap) -> tuple[float, float, float, float]:
    """The box round a map's roads and sidewalks (x0, y0, x1, y1), m."""
    boxes = [area.bounds for area in (road_map.drivable, road_map.sidewalks)
             if not area.is_empty]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


def _kind_defaults(spec: ActorSpec):
    kind = actor_kind(spec.kind)
    behavior = spec.behavior
    if behavior is None and (kind.category == "vehicle" or spec.ego):
        behavior = "traffic"
    elif behavior is None:
        # a cyclist or walker given a speed on a lane rides or walks it (as in scenario
        # files); else it stands (a speed then is an error, below)
        moving = spec.speed_mps > 0.0 or spec.desired_speed_mps is not None
        behavior = "follow_lane" if (spec.lane is not None and moving
                                     and kind.category != "static") else "static"
    if behavior not in BEHAVIORS:
        raise WorldError("unknown behavior", path=f"actor {spec.name!r}",
                         expected=f"one of {', '.join(BEHAVIORS)}", found=behavior)
    if kind.category == "static" and behavior != "static":
        raise WorldError(f"a {kind.name} cannot move", path=f"actor {spec.name!r}",
                         expected="behavior 'static'", found=behavior)
    for name, value in (("speed_mps", spec.speed_mps), ("desired_speed_mps",
                                                         spec.desired_speed_mps)):
        if value is None:
            continue
        if behavior == "static" and kind.category != "vehicle" and value != 0:
            # (it stayed put while its speed said otherwise: drivers behind took it for a
            # leader driving off)
            what = f"a {kind.name} is static:" if kind.category == "static" else \
                f"{a_kind(kind.name)} with behavior 'static'" + (
                    " (the default off a lane)" if spec.behavior is None else "")
            raise WorldError(f"{what} never moves, so it takes no {name}",
                             path=f"actor {spec.name!r}",
                             expected="0 or None" if kind.category == "static" else
                             "0 or None, or a behavior that moves it (follow_lane on a "
                             "lane, walk_to with a goal)", found=value)
        if behavior == "static" and kind.category == "vehicle" and name == "speed_mps" \
                and value != 0:
            # a parked car rolled off at it; desired_speed_mps is what a go sets off at
            raise WorldError("a parked vehicle (behavior 'static'"
                             + (", the default in a parking lane" if spec.behavior is None
                                else "") + ") stands until an action sets it off, so it "
                             "takes no speed_mps", path=f"actor {spec.name!r}",
                             expected="0 (desired_speed_mps is what a go action without a "
                             "speed sets it off at)", found=value)
        if kind.category != "static" and not 0.0 <= value <= kind.max_speed:
            raise WorldError(f"{name} is beyond a {kind.name}'s top speed",
                             path=f"actor {spec.name!r}",
                             expected=f"0 to {kind.max_speed:g} m/s", found=value)
    return kind, behavior


def pack_world(blocks: Blocks, w: int, spec: WorldSpec, road_map: RoadMap,
               map_arrays: MapArrays) -> list[str]:
    """Write world ``w`` of a batch into the state blocks; returns its actor names."""
    b = blocks
    f, i, p = b.fstate[w], b.istate[w], b.params[w]
    names = [a.name or f"{a.kind}_{k}" for k, a in enumerate(spec.actors)]
    if len(set(names)) != len(names):
        raise WorldError("actor names must be unique", found=names)
    egos = [k for k, a in enumerate(spec.actors) if a.ego]
    if len(egos) > 1:
        raise WorldError("a world has at most one ego", found=[names[k] for k in egos])
    if not spec.dt > 0:
        raise WorldError("the time step must be positive", path="dt", expected="dt > 0 s",
                         found=spec.dt)
    env = spec.environment
    b.wfloat[w] = 0.0
    b.wfloat[w, L.WF_DT] = spec.dt
    b.wfloat[w, L.WF_FRICTION] = env.friction
    b.wfloat[w, L.WF_VISIBILITY] = env.visibility_m
    b.wfloat[w, L.WF_CHANGE_TIME] = env.change_time_s
    b.wfloat[w, L.WF_FRICTION_AFTER] = env.friction_after
    b.wfloat[w, L.WF_VISIBILITY_AFTER] = env.visibility_after
    b.wfloat[w, L.WF_SIGNAL_OFFSET] = env.signal_offset_s
    b.wfloat[w, L.WF_EXPECTED_FRICTION] = env.expected_friction
    b.wfloat[w, L.WF_EXPECTED_FRICTION_AFTER] = env.expected_friction_after
    b.wfloat[w, L.WF_LAMP_VISIBILITY] = env.lamp_visibility
    b.wfloat[w, L.WF_LAMP_VISIBILITY_AFTER] = env.lamp_visibility_after
    b.wfloat[w, L.WF_UNLIT_SIGHT] = env.unlit_sight_cap
    b.wfloat[w, L.WF_GLARE_BACKGROUND] = env.glare_background
    b.wint[w, L.WI_EGO] = egos[0] if egos else -1
    for k, actor in enumerate(spec.actors):
        _pack_actor(road_map, map_arrays, f, i, p, b.scratch[w], k, actor, names[k])
    for k, action in enumerate(spec.actions):
        _pack_action(blocks, road_map, w, k, action, names)
    # start the kernel's insertion sorts from sorted orders (they then stay nearly sorted)
    bound = (i[L.I_VALID] == 1) & (i[L.I_MODE] == L.MODE_LANE)
    index = np.arange(i.shape[1])
    i[L.I_ORDER] = np.lexsort((index, np.where(bound, f[L.F_S], 0.0),
                               np.where(bound, i[L.I_LANE], 0), ~bound))
    minx = np.where(i[L.I_VALID] == 1, f[L.F_X], np.inf)
    i[L.I_XORDER] = np.lexsort((index, minx))
    return names

def _pack_actor(road_map: RoadMap, map_arrays: MapArrays, f, i, p, scratch, k, a: ActorSpec,
                name: str) -> None:
    kind, behavior = _kind_defaults(a)
    where = f"actor {name!r}"
    lane_index = -1
    if a.lane is not None:
        lane_index = road_map.lane_index(a.lane)
        lane = road_map.lanes[lane_index]
        if not -0.5 <= a.s <= lane.length + 0.5:  # (to_world would extrapolate off the map)
            raise WorldError(f"s = {a.s:g} m is off lane {lane.name}, which runs from 0 to "
                             f"{lane.length:.1f} m", path=where,
                             expected="an s along the lane")
        if kind.category == "vehicle" and behavior != "static" and lane.kind == LANE_SIDEWALK:
            raise WorldError(f"a {kind.name} cannot drive on sidewalk lane {lane.name}",
                             path=where, expected="a driving lane, or behavior: parked "
                             "for one standing on the pavement", found=a.lane)
        x, y, heading = lane.to_world(a.s, a.d)
        if kind.category == "vehicle" and behavior != "static" and (
                abs(a.d) > lane.width or not road_map.on_road(x, y)):
            raise WorldError(f"d = {a.d:g} m puts a moving {kind.name} off the road beside "
                             f"lane {lane.name} ({lane.width:g} m wide)", path=where,
                             expected="an offset that keeps its centre on the carriageway "
                             "or a parking strip, at most a lane's width (another lane's "
                             "traffic is placed on that lane), or behavior: parked for one "
                             "standing off the road", found=a.d)
        if a.direction < 0:
            heading = math.atan2(-math.sin(heading), -math.cos(heading))
        s, d = a.s, a.d
    elif a.x is not None and a.y is not None:
        x, y, heading = a.x, a.y, a.heading or 0.0
        s = d = 0.0
        x0, y0, x1, y1 = _map_box(road_map)
        if not (x0 - OFF_MAP_M <= x <= x1 + OFF_MAP_M and y0 - OFF_MAP_M <= y <= y1 + OFF_MAP_M):
            raise WorldError(f"({x:g}, {y:g}) is more than {OFF_MAP_M:g} m off the map",
                             path=where, expected=f"x within {x0:.0f} to {x1:.0f} m and y "
                             f"within {y0:.0f} to {y1:.0f} m, give or take {OFF_MAP_M:g} m")
    else:
        raise WorldError("an actor needs a lane or an x, y position", path=where)
    if behavior in ("traffic", "follow_lane") and lane_index < 0:
        raise WorldError(f"behavior {behavior!r} needs a lane", path=where,
                         expected="a lane placement (YAML: placement: {lane: 0, s: 40}), "
                                  "or, for a vehicle standing at a position, behavior "
                                  "static (YAML: behavior: parked)")
    if behavior == "walk_to" and a.goal is None:
        raise WorldError("behavior 'walk_to' needs a goal", path=where)
    if a.direction not in (1, -1):
        raise WorldError("direction must be 1 or -1", path=where, found=a.direction)
    if a.turn not in TURNS:
        raise WorldError("unknown turn", path=where, expected="straight, left or right",
                         found=a.turn)
    if a.turn != "straight" and all(succ[TURNS[a.turn]] < 0 for succ in road_map.successors):
        # (it validated and did nothing: found by a review)
        raise WorldError(f"turn {a.turn!r} does nothing on this map: no lane of it turns "
                         f"{a.turn}", path=where,
                         expected="a map with a junction (type: intersection), or no turn")
    if a.speed_mps < 0:
        raise WorldError("speed must not be negative", path=where, found=a.speed_mps)
    for flag in ("ego", "lane_changes", "obeys_signals", "watches_road", "cautious", "lamps"):
        value = getattr(a, flag)
        if not (isinstance(value, (bool, np.bool_)) or (flag == "lamps" and value is None)):
            raise WorldError(f"{flag} must be True or False", path=where,
                             expected="True or False" + (" (or None: the kind's default)"
                                                         if flag == "lamps" else ""),
                             found=repr(value))
    if a.lamps and not may_carry_lamps(kind):
        raise WorldError(f"{a_kind(kind.name)} carries no lamps", path=where,
                         expected="lamps only on a vehicle or a "
                                  f"{' or '.join(LAMP_KINDS)}", found=f"lamps={a.lamps!r}")
    seg = 0
    if lane_index >= 0:
        cum = map_arrays.lane_cum_s
        start = map_arrays.lane_start[lane_index]
        npts = map_arrays.lane_npoints[lane_index]
        seg = int(np.clip(np.searchsorted(cum[start:start + npts], s) - 1, 0, npts - 2))
    vehicle = kind.category == "vehicle" or kind.name == "cyclist"
    speed_limit = map_arrays.lane_speed_limit[lane_index] if lane_index >= 0 else 1.4
    desired = a.desired_speed_mps
    if desired is None:  # cruise at the speed given (as highway-env does), else the limit
        desired = a.speed_mps or (float(speed_limit) if vehicle else 1.4)
    mode = {"traffic": L.MODE_LANE, "follow_lane": L.MODE_LANE_FREE,
            "walk_to": L.MODE_GOTO, "static": L.MODE_STATIC}[behavior]
    flags = 0
    if not a.obeys_signals:
        flags |= L.FLAG_IGNORE_SIGNALS
    if not a.lane_changes or a.ego:
        flags |= L.FLAG_NO_LANE_CHANGE
    if not a.watches_road or kind.category == "object":  # nobody steers a ball
        flags |= L.FLAG_IGNORE_OBSTACLES
    if kind.category == "object":
        flags |= L.FLAG_ROLLS
    if a.cautious:
        flags |= L.FLAG_CAUTIOUS
    if a.ego:
        flags |= L.FLAG_EGO
    f[:, k] = 0.0
    f[L.F_X, k] = f[L.F_X_PREV, k] = x
    f[L.F_Y, k] = f[L.F_Y_PREV, k] = y
    f[L.F_HEADING, k] = f[L.F_HEADING_PREV, k] = heading
    f[L.F_SPEED, k] = a.speed_mps
    f[L.F_S, k] = s
    f[L.F_D, k] = d
    f[L.F_D_TARGET, k] = d  # a lane follower keeps to where it was placed in its lane
    f[L.F_DESIRED_SPEED, k] = desired
    if a.goal is not None:
        f[L.F_GOAL_X, k], f[L.F_GOAL_Y, k] = a.goal
    f[L.F_LOOKAHEAD_GAIN, k] = a.lookahead_s
    scratch[S_COS, k] = math.cos(heading)
    scratch[S_SIN, k] = math.sin(heading)
    f[L.F_LANE_CHANGE_TIME, k] = -math.inf
    i[L.I_VALID, k] = 1
    i[L.I_MODE, k] = mode
    i[L.I_LANE, k] = lane_index
    i[L.I_SEG, k] = seg
    i[L.I_DIR, k] = a.direction
    i[L.I_TURN, k] = TURNS[a.turn]
    i[L.I_FLAGS, k] = flags
    i[L.I_SEEN_ID, k] = -1
    i[L.I_SEEN_ID2, k] = -1
    i[L.I_KIND, k] = actor_kind_id(kind.name)
    i[L.I_MODEL, k] = kind.model
    i[L.I_LANE_TARGET, k] = -1
    i[L.I_LEADER_SEEN, k] = L.LEADER_KNOWN
    human_reaction = 1.0 if vehicle else 0.5
    p[L.P_LENGTH, k] = kind.length
    p[L.P_WIDTH, k] = kind.width
    p[L.P_HEIGHT, k] = kind.height
    p[L.P_WHEELBASE, k] = kind.wheelbase or kind.length
    p[L.P_MAX_SPEED, k] = max(kind.max_speed, desired, a.speed_mps)
    p[L.P_MAX_ACCEL, k] = kind.max_accel
    p[L.P_COMFORT_DECEL, k] = kind.comfort_decel
    p[L.P_MAX_DECEL, k] = kind.max_decel
    p[L.P_MAX_JERK, k] = kind.max_jerk
    p[L.P_MAX_STEER, k] = kind.max_steer
    p[L.P_MAX_STEER_RATE, k] = kind.max_steer_rate
    p[L.P_MAX_YAW_RATE, k] = kind.max_yaw_rate
    p[L.P_TIME_HEADWAY, k] = a.time_headway_s if a.time_headway_s is not None else (
        1.5 if vehicle else 3.0)
    p[L.P_MIN_GAP, k] = a.min_gap_m if a.min_gap_m is not None else (2.0 if vehicle else 0.5)
    p[L.P_POLITENESS, k] = a.politeness
    p[L.P_GAP_MARGIN, k] = a.gap_margin_s
    p[L.P_REACTION_TIME, k] = (a.reaction_time_s if a.reaction_time_s is not None
                               else human_reaction)
    p[L.P_VISION_RANGE, k] = a.vision_range_m
    p[L.P_MASS, k] = kind.mass_kg
    p[L.P_RADIUS, k] = 0.5 * math.hypot(kind.length, kind.width)
    # lamps, lit whenever the light calls for them and the actor is not parked (the step
    # reads its mode, as the renderer does: a parked car that pulls out lights up)
    lamps = lamps_by_default(kind) if a.lamps is None else bool(a.lamps)
    p[L.P_LAMPS, k] = headlight_strength(kind) if lamps else 0.0

def _pack_action(blocks: Blocks, road_map: RoadMap, w: int, k: int, a: ActionSpec,
                 names: list[str]) -> None:
    where = f"action {k} ({a.action})"
    if a.actor not in names:
        raise WorldError("action refers to an unknown actor", path=where,
                         expected=f"one of {', '.join(names)}", found=a.actor)
    if a.action not in ACTIONS:
        raise WorldError("unknown action", path=where, expected=", ".join(ACTIONS),
                         found=a.action)
    if len(a.trigger) != 1 or next(iter(a.trigger)) not in TRIGGERS:
        raise WorldError("a trigger is one of " + ", ".join(TRIGGERS), path=where,
                         found=a.trigger)
    trig_name, value = next(iter(a.trigger.items()))
    ai = blocks.act_i[w, k]
    af = blocks.act_f[w, k]
    ai[L.AI_ACTOR] = names.index(a.actor)
    ai[L.AI_TYPE] = ACTIONS[a.action]
    ai[L.AI_TRIGGER] = TRIGGERS[trig_name]
    ai[L.AI_REF] = -1
    ai[L.AI_STATE] = 0
    af[:] = 0.0
    af[L.AF_FIRE_TIME] = math.nan
    af[L.AF_DELAY] = a.delay_s
    if trig_name == "reach_point":
        af[L.AF_TRIGGER_X] = value["x"]
        af[L.AF_TRIGGER_Y] = value["y"]
        af[L.AF_TRIGGER_VALUE] = value.get("radius", 1.0)
    elif trig_name == "actor_distance_below_m":
        if value["actor"] not in names:
            raise WorldError("trigger refers to an unknown actor", path=where,
                             found=value["actor"])
        ai[L.AI_REF] = names.index(value["actor"])
        af[L.AF_TRIGGER_VALUE] = value["distance"]
    else:
        af[L.AF_TRIGGER_VALUE] = float(value)
    actor = names.index(a.actor)
    lane = blocks.istate[w, L.I_LANE, actor]
    if a.action in ("go", "set_speed") and lane >= 0 and \
            road_map.lanes[lane].kind == LANE_SIDEWALK and \
            actor_kind(actor_kinds()[blocks.istate[w, L.I_KIND, actor]]).category == "vehicle":
        raise WorldError(f"{a.action} of actor {a.actor!r}: a vehicle parked on sidewalk lane "
                         f"{road_map.lanes[lane].name} cannot drive off along it", path=where,
                         expected="a vehicle on a driving lane or a parking strip")
    expected = ACTION_PARAMS[a.action]
    unknown = set(a.params) - set(expected)
    if unknown:
        raise WorldError("unknown action parameter", path=where,
                         expected=", ".join(expected) or "none", found=sorted(unknown))
    missing = [p for p in REQUIRED_PARAMS.get(a.action, ()) if p not in a.params]
    if missing:
        raise WorldError(f"{a.action} needs {', '.join(missing)}", path=where,
                         expected=", ".join(expected), found=sorted(a.params))
    for slot, pname in enumerate(expected):
        raw = a.params.get(pname, 0.0)
        if a.action == "go" and pname == "speed_mps" and pname not in a.params:
            # no speed given: back to the speed the actor was set to cruise at
            raw = blocks.fstate[w, L.F_DESIRED_SPEED, names.index(a.actor)]
        if pname == "lane" and isinstance(raw, str):
            try:
                raw = road_map.lane_index(raw)
            except MapError as error:  # named after its actor: the scenario's entry
                raise WorldError(f"{a.action} of actor {a.actor!r}: {error.message}",
                                 path=where, expected=error.expected,
                                 found=error.found) from None
            kind = actor_kinds()[blocks.istate[w, L.I_KIND, names.index(a.actor)]]
            if road_map.lanes[raw].kind == LANE_SIDEWALK and \
                    actor_kind(kind).category == "vehicle":
                raise WorldError(f"{a.action} of actor {a.actor!r}: a {kind} cannot drive "
                                 f"onto sidewalk lane {road_map.lanes[raw].name}",
                                 path=where, expected="a driving lane",
                                 found=a.params[pname])
        af[L.AF_PARAM0 + slot] = float(raw)
