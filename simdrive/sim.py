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
from simdrive.core.layout import LANE_WS_COUNT, S_COUNT
from simdrive.core.step import advance_worlds
from simdrive.errors import WorldError
from simdrive.packing import ACTIONS, pack_world
from simdrive.state import WorldState, allocate_blocks
from simdrive.world.environment import Environment
from simdrive.world.maps import RoadMap

_MAP_FIELDS = (
    "lane_points", "lane_cum_s", "lane_start", "lane_npoints", "lane_length", "lane_kind",
    "lane_left", "lane_right", "lane_successors", "lane_signal_group", "lane_max_curvature",
    "lane_s_scale_left", "lane_s_scale_right", "area_points", "area_start", "area_npoints",
    "area_kind", "signal_plan", "lane_width", "lane_yield_start", "lane_yield_count",
    "yield_lane", "yield_s",
)
"""MapArrays fields in the order advance_worlds takes them."""

SLICES_PER_THREAD = 8
"""Long runs of a batch are cut into up to this many slices of worlds per thread."""
MIN_SLICE_AGENT_STEPS = 200_000
"""Agent-steps (about 20 ms) a slice keeps at least, if there are more slices than threads."""

@dataclass(frozen=True)
class ActorSpec:
    """One actor of a world, as plain data.

    Placement is either on a lane (``lane`` name, arc length ``s`` m, lateral
    offset ``d`` m, left positive: a lane follower keeps to it until a lane change,
    a ``swerve`` or a ``cut_in`` moves it) or a pose (``x``, ``y`` m, ``heading``
    rad). ``desired_speed_mps`` defaults to ``speed_mps`` (highway-env's convention), or
    with no speed to the lane's limit (vehicles) or 1.4 m/s (walkers). ``direction`` -1
    drives/walks against the lane. Unset tuning values take the kind's defaults.
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
    watches_road: bool = True  # False: never brakes for anything, the car ahead included
    cautious: bool = False  # walkers: wait at the kerb for a gap of time_headway_s
    reaction_time_s: float | None = None
    vision_range_m: float = 200.0
    time_headway_s: float | None = None
    min_gap_m: float | None = None
    politeness: float = 0.3
    gap_margin_s: float = 1.5  # a left turn clears the crossing this much sooner than
    # oncoming traffic reaches it (simdrive.core.yielding); negative: it misjudges gaps
    lookahead_s: float = 1.0
    lamps: bool | None = None  # head and tail lamps, lit at dawn, dusk and night while it
    # moves (None: the kind's default, vehicles only; a cyclist may carry them too)


@dataclass(frozen=True)
class ActionSpec:
    """A scripted action: ``action`` on ``actor`` once ``trigger`` holds (+ ``delay_s``).

    ``trigger`` maps one name of simdrive.packing.TRIGGERS to its value; ``reach_point`` takes
    ``{x, y, radius}`` and ``actor_distance_below_m`` ``{actor, distance}``.
    ``params`` holds the action's parameters by name (see simdrive.packing.ACTION_PARAMS).
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
    # collisions: how fast the two closed along the contact normal, and the face of each
    # one's box the contact is on (front, rear, left, right)
    closing_speed_mps: float = 0.0
    face: str = ""
    other_face: str = ""


FACES = ("front", "rear", "left", "right")
"""Face names by simdrive.core.layout FACE_* code."""


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
    # when the ego's centre first left the road (carriageway and parking strips), s; nan
    # if it never did (a walker ego is never off the road)
    ego_off_road_time_s: float = float("nan")
    # the ego's first impact: closing speed along the contact normal (m/s) and the face of
    # its box hit (front, rear, left, right); nan and None without one
    ego_closing_speed_at_impact_mps: float = float("nan")
    ego_impact_face: str | None = None
    # per actor (the ego included) with actions: when its first action took effect, s
    # (inf while none has)
    action_time_by_actor: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Recording:
    """Trajectories of a run: arrays (T, W, N) for x, y (m), heading (rad), speed (m/s)."""

    time_s: np.ndarray
    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    speed: np.ndarray


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
            self.actor_names.append(pack_world(self.blocks, w, spec, road_map, self.map_arrays))

    # ---- building ------------------------------------------------------------
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
        workers = min(self.threads, n_worlds)
        # Long runs are cut into more slices than threads, taken in turn by whichever
        # thread is free: on a shared machine one thread often runs slower than the other,
        # and with one slice each the faster one would sit idle at the end. A slice keeps
        # enough work that the Python side of a call (~20 us under the GIL) is negligible.
        work = n_worlds * b.fstate.shape[2] * n_steps
        chunks = min(n_worlds, workers * SLICES_PER_THREAD,
                     max(workers, work // MIN_SLICE_AGENT_STEPS)) if workers > 1 else 1

        def run(lo: int, hi: int) -> None:
            # a slice's poses go to a contiguous array of its own, copied in after: a
            # strided view would compile the kernel a second time (most of a minute)
            sliced = record.shape[0] and (lo, hi) != (0, n_worlds)
            rec = np.empty((record.shape[0], hi - lo) + record.shape[2:]) if sliced else record
            advance_worlds(
                b.fstate[lo:hi], b.istate[lo:hi], b.params[lo:hi], b.wfloat[lo:hi],
                b.wint[lo:hi], b.act_i[lo:hi], b.act_f[lo:hi], b.events[lo:hi],
                b.metrics[lo:hi], b.actor_metrics[lo:hi], b.scratch[lo:hi], b.lane_ws[lo:hi],
                n_steps, record_every, rec, *self._kernel_map,
            )
            if sliced:
                record[:, lo:hi] = rec

        if chunks <= 1:
            run(0, n_worlds)
            return
        bounds = np.linspace(0, n_worlds, chunks + 1).astype(int)
        # the kernel releases the GIL; each slice of worlds is stepped by one thread
        with ThreadPoolExecutor(workers) as pool:
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
                                 float(row[L.EV_SPEED_A]), float(row[L.EV_SPEED_B]),
                                 float(row[L.EV_CLOSING]), FACES[int(row[L.EV_FACE_A])],
                                 FACES[int(row[L.EV_FACE_B])]))
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
            ego_off_road_time_s=float(m[L.M_EGO_OFF_ROAD_TIME]),
            ego_closing_speed_at_impact_mps=float(m[L.M_EGO_IMPACT_CLOSING]),
            ego_impact_face=(None if math.isnan(m[L.M_EGO_IMPACT_FACE])
                             else FACES[int(m[L.M_EGO_IMPACT_FACE])]),
            action_time_by_actor=self._action_times(w),
        )

    def _action_times(self, w: int) -> dict[str, float]:
        """Per actor with actions in world ``w``: when the first of them took effect (its
        fire time, kept in the action block: events may overflow), inf while none has."""
        names = self.actor_names[w]
        out: dict[str, float] = {}
        for ai, af in zip(self.blocks.act_i[w], self.blocks.act_f[w], strict=True):
            k = int(ai[L.AI_ACTOR])
            if k < 0:
                continue
            # a triggered action waiting out its delay holds its due time there: not yet
            fired = float(af[L.AF_FIRE_TIME]) if ai[L.AI_STATE] == 2 else math.inf
            out[names[k]] = min(out.get(names[k], math.inf), fired)
        return out
