"""Build worlds from plain data, step them, and record what happened.

The plain data (``ActorSpec``, ``ActionSpec``, ``WorldSpec``) is what the
scenario DSL produces for one variant. ``Simulation`` packs a batch of worlds
that share one road map into the state blocks of :mod:`simdrive.core.layout`
and advances them with the compiled kernel.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from simdrive.core import layout as L
from simdrive.core.step import LANE_WS_COUNT, S_COS, S_COUNT, S_SIN, advance_worlds
from simdrive.errors import WorldError
from simdrive.state import WorldState, allocate_blocks
from simdrive.world.actors import actor_kind, actor_kind_id
from simdrive.world.environment import Environment
from simdrive.world.maps import RoadMap

BEHAVIORS = ("traffic", "follow_lane", "walk_to", "static")
"""How an actor moves: IDM+MOBIL lane traffic, a free lane follower (either
direction, e.g. a walker on a sidewalk or a wrong-way driver), heading for a
goal point, or not at all."""

_MAP_FIELDS = (
    "lane_points", "lane_cum_s", "lane_start", "lane_npoints", "lane_length", "lane_kind",
    "lane_left", "lane_right", "lane_successors", "lane_signal_group", "lane_max_curvature",
    "lane_s_scale_left", "lane_s_scale_right", "area_points", "area_start", "area_npoints",
    "area_kind", "signal_plan",
)
"""MapArrays fields in the order advance_worlds takes them."""

TURNS = {"straight": 0, "left": 1, "right": 2}

ACTIONS = {
    "hard_brake": L.ACT_HARD_BRAKE,  # decel_mps2
    "stop": L.ACT_STOP,
    "go": L.ACT_GO,  # speed_mps
    "cut_in": L.ACT_CUT_IN,  # lane, lookahead_s
    "run_red_light": L.ACT_RUN_RED_LIGHT,  # speed_mps
    "wrong_way": L.ACT_WRONG_WAY,  # lane
    "cross_road": L.ACT_CROSS_ROAD,  # x, y (m), speed_mps
    "set_speed": L.ACT_SET_SPEED,  # speed_mps
}
_ACTION_PARAMS = {
    "hard_brake": ("decel_mps2",),
    "stop": (),
    "go": ("speed_mps",),
    "cut_in": ("lane", "lookahead_s"),
    "run_red_light": ("speed_mps",),
    "wrong_way": ("lane",),
    "cross_road": ("x", "y", "speed_mps"),
    "set_speed": ("speed_mps",),
}

TRIGGERS = {
    "time_s": L.TRIG_TIME,
    "ego_distance_below_m": L.TRIG_EGO_DISTANCE_BELOW,
    "reach_point": L.TRIG_REACH_POINT,
    "actor_distance_below_m": L.TRIG_ACTOR_DISTANCE_BELOW,
    "ego_time_below_s": L.TRIG_EGO_TIME_BELOW,
}


@dataclass(frozen=True)
class ActorSpec:
    """One actor of a world, as plain data.

    Placement is either on a lane (``lane`` name, arc length ``s`` m, lateral
    offset ``d`` m, left positive) or a pose (``x``, ``y`` m, ``heading``
    rad). ``direction`` -1 drives/walks against the lane. Unset tuning values
    take the kind's defaults.
    """

    kind: str
    name: str = ""
    lane: str | None = None
    s: float = 0.0
    d: float = 0.0
    x: float | None = None
    y: float | None = None
    heading: float | None = None
    speed_mps: float = 0.0
    desired_speed_mps: float | None = None
    behavior: str | None = None
    direction: int = 1
    turn: str = "straight"
    goal: tuple[float, float] | None = None
    ego: bool = False
    lane_changes: bool = True
    obeys_signals: bool = True
    watches_road: bool = True  # False: never brakes for anything (a child running out)
    cautious: bool = False  # walkers: wait at the kerb for a gap of time_headway_s
    reaction_time_s: float | None = None
    vision_range_m: float = 200.0
    time_headway_s: float | None = None
    min_gap_m: float | None = None
    politeness: float = 0.3
    lookahead_s: float = 1.0


@dataclass(frozen=True)
class ActionSpec:
    """A scripted action: ``action`` on ``actor`` once ``trigger`` holds (+ ``delay_s``).

    ``trigger`` maps one name of TRIGGERS to its value; ``reach_point`` takes
    ``{x, y, radius}`` and ``actor_distance_below_m`` ``{actor, distance}``.
    ``params`` holds the action's parameters by name (see _ACTION_PARAMS).
    """

    actor: str
    action: str
    trigger: dict
    params: dict = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass(frozen=True)
class WorldSpec:
    """Everything needed to build one world: map, actors, actions, environment, step."""

    road_map: RoadMap
    actors: tuple[ActorSpec, ...]
    actions: tuple[ActionSpec, ...] = ()
    environment: Environment = Environment()
    dt: float = 0.05


@dataclass(frozen=True)
class Event:
    """Something that happened: a collision between two actors, or an action taking effect."""

    kind: str  # "collision" or "action"
    time_s: float
    actor: str
    other: str  # the other actor (collision) or the action name
    x: float
    y: float
    relative_speed_mps: float = 0.0
    speed_mps: float = 0.0
    other_speed_mps: float = 0.0


@dataclass(frozen=True)
class Outcome:
    """Safety metrics of one world's run, measured against the ego."""

    collision: bool
    collision_with: str | None
    collision_time_s: float
    ego_speed_at_impact_mps: float
    collisions: int
    min_ttc_s: float
    min_distance_m: float
    max_ego_decel_mps2: float
    ego_max_speed_mps: float
    min_ttc_by_actor: dict[str, float]
    min_distance_by_actor: dict[str, float]


@dataclass(frozen=True)
class Recording:
    """Trajectories of a run: arrays (T, W, N) for x, y (m), heading (rad), speed (m/s)."""

    time_s: np.ndarray
    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    speed: np.ndarray


def _kind_defaults(spec: ActorSpec):
    kind = actor_kind(spec.kind)
    behavior = spec.behavior
    if behavior is None:
        behavior = "traffic" if kind.category == "vehicle" or spec.ego else "static"
    if behavior not in BEHAVIORS:
        raise WorldError("unknown behavior", path=f"actor {spec.name!r}",
                         expected=f"one of {', '.join(BEHAVIORS)}", found=behavior)
    if kind.category == "static" and behavior != "static":
        raise WorldError(f"a {kind.name} cannot move", path=f"actor {spec.name!r}",
                         expected="behavior 'static'", found=behavior)
    return kind, behavior


class Simulation:
    """A batch of worlds on one road map, advanced together with a fixed step.

    Worlds may have different numbers of actors (padded with invalid slots),
    environments and actions; each world's result is bit-identical to
    simulating it alone. ``threads`` (default: all cores) splits the worlds
    into that many slices stepped concurrently.
    """

    def __init__(self, worlds: Sequence[WorldSpec], *, event_capacity: int = 64,
                 threads: int | None = None) -> None:
        self.threads = max(1, threads if threads is not None else (os.cpu_count() or 1))
        if not worlds:
            raise WorldError("a simulation needs at least one world")
        road_map = worlds[0].road_map
        if any(w.road_map is not road_map for w in worlds):
            raise WorldError("all worlds of one batch must share one RoadMap object")
        if len({w.dt for w in worlds}) != 1:
            raise WorldError("all worlds of one batch must share one time step dt",
                             found=sorted({w.dt for w in worlds}))
        self.road_map = road_map
        self.map_arrays = road_map.to_arrays()
        # one integer type everywhere: numba compiles a helper once per argument-type mix
        self._kernel_map = tuple(
            np.ascontiguousarray(getattr(self.map_arrays, name), dtype=np.int64)
            if getattr(self.map_arrays, name).dtype.kind == "i"
            else getattr(self.map_arrays, name)
            for name in _MAP_FIELDS
        )
        self.worlds = tuple(worlds)
        capacity = max(1, max(len(w.actors) for w in worlds))
        max_actions = max(1, max(len(w.actions) for w in worlds))
        self.blocks = allocate_blocks(len(worlds), capacity, max_actions, event_capacity,
                                      len(road_map.lanes), S_COUNT, LANE_WS_COUNT)
        self.state = WorldState.from_blocks(self.blocks)
        self.actor_names: list[list[str]] = []
        for w, spec in enumerate(worlds):
            self.actor_names.append(self._pack_world(w, spec))

    # ---- building ------------------------------------------------------------
    def _pack_world(self, w: int, spec: WorldSpec) -> list[str]:
        b = self.blocks
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
        b.wint[w, L.WI_EGO] = egos[0] if egos else -1
        for k, actor in enumerate(spec.actors):
            self._pack_actor(f, i, p, b.scratch[w], k, actor, names[k])
        for k, action in enumerate(spec.actions):
            self._pack_action(w, k, action, names)
        # start the kernel's insertion sorts from sorted orders (they then stay nearly sorted)
        bound = (i[L.I_VALID] == 1) & (i[L.I_MODE] == L.MODE_LANE)
        index = np.arange(i.shape[1])
        i[L.I_ORDER] = np.lexsort((index, np.where(bound, f[L.F_S], 0.0),
                                   np.where(bound, i[L.I_LANE], 0), ~bound))
        minx = np.where(i[L.I_VALID] == 1, f[L.F_X], np.inf)
        i[L.I_XORDER] = np.lexsort((index, minx))
        return names

    def _pack_actor(self, f, i, p, scratch, k, a: ActorSpec, name: str) -> None:
        kind, behavior = _kind_defaults(a)
        where = f"actor {name!r}"
        lane_index = -1
        if a.lane is not None:
            lane_index = self.road_map.lane_index(a.lane)
            lane = self.road_map.lanes[lane_index]
            x, y, heading = lane.to_world(a.s, a.d)
            if a.direction < 0:
                heading = math.atan2(-math.sin(heading), -math.cos(heading))
            s, d = a.s, a.d
        elif a.x is not None and a.y is not None:
            x, y, heading = a.x, a.y, a.heading or 0.0
            s = d = 0.0
        else:
            raise WorldError("an actor needs a lane or an x, y position", path=where)
        if behavior in ("traffic", "follow_lane") and lane_index < 0:
            raise WorldError(f"behavior {behavior!r} needs a lane", path=where)
        if behavior == "walk_to" and a.goal is None:
            raise WorldError("behavior 'walk_to' needs a goal", path=where)
        if a.direction not in (1, -1):
            raise WorldError("direction must be 1 or -1", path=where, found=a.direction)
        if a.turn not in TURNS:
            raise WorldError("unknown turn", path=where, expected="straight, left or right",
                             found=a.turn)
        if a.speed_mps < 0:
            raise WorldError("speed must not be negative", path=where, found=a.speed_mps)
        seg = 0
        if lane_index >= 0:
            cum = self.map_arrays.lane_cum_s
            start = self.map_arrays.lane_start[lane_index]
            npts = self.map_arrays.lane_npoints[lane_index]
            seg = int(np.clip(np.searchsorted(cum[start:start + npts], s) - 1, 0, npts - 2))
        vehicle = kind.category == "vehicle" or kind.name == "cyclist"
        speed_limit = self.map_arrays.lane_speed_limit[lane_index] if lane_index >= 0 else 1.4
        desired = a.desired_speed_mps
        if desired is None:
            desired = float(speed_limit) if vehicle else (a.speed_mps or 1.4)
        mode = {"traffic": L.MODE_LANE, "follow_lane": L.MODE_LANE_FREE,
                "walk_to": L.MODE_GOTO, "static": L.MODE_STATIC}[behavior]
        flags = 0
        if not a.obeys_signals:
            flags |= L.FLAG_IGNORE_SIGNALS
        if not a.lane_changes or a.ego:
            flags |= L.FLAG_NO_LANE_CHANGE
        if not a.watches_road:
            flags |= L.FLAG_IGNORE_OBSTACLES
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
        p[L.P_REACTION_TIME, k] = (a.reaction_time_s if a.reaction_time_s is not None
                                   else human_reaction)
        p[L.P_VISION_RANGE, k] = a.vision_range_m
        p[L.P_MASS, k] = kind.mass_kg

    def _pack_action(self, w: int, k: int, a: ActionSpec, names: list[str]) -> None:
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
        ai = self.blocks.act_i[w, k]
        af = self.blocks.act_f[w, k]
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
        expected = _ACTION_PARAMS[a.action]
        unknown = set(a.params) - set(expected)
        if unknown:
            raise WorldError("unknown action parameter", path=where,
                             expected=", ".join(expected) or "none", found=sorted(unknown))
        for slot, pname in enumerate(expected):
            raw = a.params.get(pname, 0.0)
            if pname == "lane":
                raw = self.road_map.lane_index(raw) if isinstance(raw, str) else raw
            af[L.AF_PARAM0 + slot] = float(raw)

    # ---- stepping ------------------------------------------------------------
    def step(self, n_steps: int = 1) -> None:
        """Advance every world by ``n_steps`` fixed steps."""
        self._advance(n_steps, 0, np.empty((0, 0, 4, 0)))

    def run(self, duration_s: float, record_every: int = 1) -> Recording:
        """Advance by ``duration_s`` (rounded to whole steps of dt).

        Poses are recorded at the start and after every ``record_every`` steps.
        """
        dt = self.blocks.wfloat[0, L.WF_DT]
        n_steps = int(round(duration_s / dt))
        if record_every < 1:
            raise WorldError("record_every must be >= 1", found=record_every)
        w, n = self.blocks.fstate.shape[0], self.blocks.fstate.shape[2]
        record = np.empty((n_steps // record_every + 1, w, 4, n))
        record[0] = self.blocks.fstate[:, [L.F_X, L.F_Y, L.F_HEADING, L.F_SPEED], :]
        t0 = self.blocks.wfloat[0, L.WF_TIME]
        self._advance(n_steps, record_every, record[1:])
        times = t0 + dt * record_every * np.arange(record.shape[0])
        return Recording(times, record[:, :, 0], record[:, :, 1], record[:, :, 2],
                         record[:, :, 3])

    def _advance(self, n_steps: int, record_every: int, record: np.ndarray) -> None:
        b = self.blocks
        n_worlds = b.fstate.shape[0]
        chunks = min(self.threads, n_worlds)
        bounds = np.linspace(0, n_worlds, chunks + 1).astype(int)

        def run(lo: int, hi: int) -> None:
            rec = record[:, lo:hi] if record.shape[0] else record
            advance_worlds(
                b.fstate[lo:hi], b.istate[lo:hi], b.params[lo:hi], b.wfloat[lo:hi],
                b.wint[lo:hi], b.act_i[lo:hi], b.act_f[lo:hi], b.events[lo:hi],
                b.metrics[lo:hi], b.actor_metrics[lo:hi], b.scratch[lo:hi], b.lane_ws[lo:hi],
                n_steps, record_every, rec, *self._kernel_map,
            )

        if chunks <= 1:
            run(0, n_worlds)
            return
        # the kernel releases the GIL; each thread owns a disjoint slice of worlds
        with ThreadPoolExecutor(chunks) as pool:
            slices = zip(bounds[:-1], bounds[1:], strict=True)
            for future in [pool.submit(run, lo, hi) for lo, hi in slices]:
                future.result()

    # ---- reading results -----------------------------------------------------
    @property
    def time_s(self) -> np.ndarray:
        """Simulated time of each world, s."""
        return self.blocks.wfloat[:, L.WF_TIME].copy()

    def events(self, w: int) -> list[Event]:
        """Events of world ``w`` in the order they happened."""
        names = self.actor_names[w]
        action_names = {v: k for k, v in ACTIONS.items()}
        out = []
        for row in self.blocks.events[w, : self.blocks.wint[w, L.WI_EVENT_COUNT]]:
            a = names[int(row[L.EV_A])]
            if int(row[L.EV_TYPE]) == L.EVENT_COLLISION:
                out.append(Event("collision", float(row[L.EV_TIME]), a,
                                 names[int(row[L.EV_B])], float(row[L.EV_X]),
                                 float(row[L.EV_Y]), float(row[L.EV_REL_SPEED]),
                                 float(row[L.EV_SPEED_A]), float(row[L.EV_SPEED_B])))
            else:
                action = self.blocks.act_i[w, int(row[L.EV_B]), L.AI_TYPE]
                out.append(Event("action", float(row[L.EV_TIME]), a, action_names[action],
                                 float(row[L.EV_X]), float(row[L.EV_Y])))
        return sorted(out, key=lambda e: e.time_s)

    def outcome(self, w: int) -> Outcome:
        """Safety metrics of world ``w`` so far."""
        m = self.blocks.metrics[w]
        am = self.blocks.actor_metrics[w]
        names = self.actor_names[w]
        ego = int(self.blocks.wint[w, L.WI_EGO])
        other = int(m[L.M_EGO_COLLISION_OTHER])
        others = [k for k in range(len(names)) if k != ego]
        return Outcome(
            collision=bool(m[L.M_EGO_COLLISION]),
            collision_with=names[other] if other >= 0 else None,
            collision_time_s=float(m[L.M_EGO_COLLISION_TIME]),
            ego_speed_at_impact_mps=float(m[L.M_EGO_SPEED_AT_IMPACT]),
            collisions=int(m[L.M_COLLISIONS]),
            min_ttc_s=float(m[L.M_MIN_TTC]),
            min_distance_m=float(m[L.M_MIN_DISTANCE]),
            max_ego_decel_mps2=float(m[L.M_MAX_EGO_DECEL]),
            ego_max_speed_mps=float(m[L.M_EGO_MAX_SPEED]),
            min_ttc_by_actor={names[k]: float(am[L.AM_MIN_TTC, k]) for k in others},
            min_distance_by_actor={names[k]: float(am[L.AM_MIN_DISTANCE, k]) for k in others},
        )
