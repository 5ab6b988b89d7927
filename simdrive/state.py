"""Structure-of-arrays world state: the packed blocks and named views into them.

Kernels take the blocks (few arguments, low call overhead); Python code reads
the same memory through the named (W, N) views of :class:`WorldState`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simdrive.core import layout as L


@dataclass(frozen=True)
class Blocks:
    """The packed arrays of a batch of W worlds with capacity N actors (see core.layout)."""

    fstate: np.ndarray  # float64 (W, F_COUNT, N)
    istate: np.ndarray  # int64 (W, I_COUNT, N)
    params: np.ndarray  # float64 (W, P_COUNT, N)
    wfloat: np.ndarray  # float64 (W, WF_COUNT)
    wint: np.ndarray  # int64 (W, WI_COUNT)
    act_i: np.ndarray  # int64 (W, A, AI_COUNT)
    act_f: np.ndarray  # float64 (W, A, AF_COUNT)
    events: np.ndarray  # float64 (W, E, EV_COUNT)
    metrics: np.ndarray  # float64 (W, M_COUNT)
    actor_metrics: np.ndarray  # float64 (W, AM_COUNT, N)
    scratch: np.ndarray  # float64 (W, S, N), kernel workspace
    lane_ws: np.ndarray  # int64 (W, 2, L), kernel workspace


def allocate_blocks(n_worlds: int, capacity: int, max_actions: int, event_capacity: int,
                    n_lanes: int, scratch_rows: int, lane_ws_rows: int) -> Blocks:
    """Blocks for an empty batch: every slot invalid, metrics at their neutral values."""
    istate = np.zeros((n_worlds, L.I_COUNT, capacity), np.int64)
    istate[:, L.I_ORDER] = np.arange(capacity, dtype=np.int64)
    istate[:, L.I_XORDER] = np.arange(capacity, dtype=np.int64)
    istate[:, L.I_LANE] = -1
    istate[:, L.I_SEEN_ID] = -1
    istate[:, L.I_SEEN_ID2] = -1
    istate[:, L.I_LANE_TARGET] = -1
    istate[:, L.I_LEADER_SEEN] = L.LEADER_KNOWN  # leaders present at the start are known
    act_i = np.zeros((n_worlds, max_actions, L.AI_COUNT), np.int64)
    act_i[:, :, L.AI_ACTOR] = -1
    metrics = np.zeros((n_worlds, L.M_COUNT))
    metrics[:, [L.M_MIN_TTC, L.M_MIN_DISTANCE]] = math.inf
    metrics[:, [L.M_EGO_COLLISION_TIME, L.M_EGO_SPEED_AT_IMPACT, L.M_FIRST_COLLISION_TIME,
                L.M_EGO_OFF_ROAD_TIME, L.M_EGO_IMPACT_CLOSING, L.M_EGO_IMPACT_FACE]] = math.nan
    metrics[:, L.M_EGO_COLLISION_OTHER] = -1
    return Blocks(
        fstate=np.zeros((n_worlds, L.F_COUNT, capacity)),
        istate=istate,
        params=np.ones((n_worlds, L.P_COUNT, capacity)),
        wfloat=np.zeros((n_worlds, L.WF_COUNT)),
        wint=np.zeros((n_worlds, L.WI_COUNT), np.int64),
        act_i=act_i,
        act_f=np.zeros((n_worlds, max_actions, L.AF_COUNT)),
        events=np.zeros((n_worlds, event_capacity, L.EV_COUNT)),
        metrics=metrics,
        actor_metrics=np.full((n_worlds, L.AM_COUNT, capacity), math.inf),
        scratch=np.zeros((n_worlds, scratch_rows, capacity)),
        lane_ws=np.zeros((n_worlds, lane_ws_rows, max(n_lanes, 1)), np.int64),
    )


@dataclass(frozen=True)
class WorldState:
    """Named views of the actor state; every field is (W, N) with a world axis first.

    x, y: box centre on the ground, m. heading: rad, counter-clockwise from
    +x. speed: m/s along the heading. accel: m/s^2 applied in the last step.
    steer: front-wheel angle, rad. s, d: arc length and lateral offset on the
    followed lane, m. lane: lane index (-1 none). kind: actor kind id.
    valid: 1 where a slot holds an actor. crashed: 1 once it collided.
    length, width, height: box size, m.
    """

    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    speed: np.ndarray
    accel: np.ndarray
    steer: np.ndarray
    s: np.ndarray
    d: np.ndarray
    lane: np.ndarray
    kind: np.ndarray
    valid: np.ndarray
    flags: np.ndarray
    length: np.ndarray
    width: np.ndarray
    height: np.ndarray

    @classmethod
    def from_blocks(cls, b: Blocks) -> WorldState:
        f, i, p = b.fstate, b.istate, b.params
        return cls(
            x=f[:, L.F_X], y=f[:, L.F_Y], heading=f[:, L.F_HEADING], speed=f[:, L.F_SPEED],
            accel=f[:, L.F_ACCEL], steer=f[:, L.F_STEER], s=f[:, L.F_S], d=f[:, L.F_D],
            lane=i[:, L.I_LANE], kind=i[:, L.I_KIND], valid=i[:, L.I_VALID],
            flags=i[:, L.I_FLAGS], length=p[:, L.P_LENGTH], width=p[:, L.P_WIDTH],
            height=p[:, L.P_HEIGHT],
        )

    @property
    def crashed(self) -> np.ndarray:
        return (self.flags & L.FLAG_CRASHED) != 0
