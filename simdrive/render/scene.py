"""What the renderer reads from a world at one instant: a plain Scene.

A Scene is a copy, so rendering can never change the simulation state.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from simdrive.core import layout as L
from simdrive.world.actors import actor_kind, actor_kinds, lamps_by_default

CAR_COLOURS = ((235, 235, 232), (170, 172, 176), (28, 28, 32), (96, 98, 104), (170, 28, 30),
               (30, 60, 130), (38, 70, 50), (200, 185, 150), (120, 20, 30), (240, 240, 240))
"""Common car paints (white, silver, black, grey, red, blue, green, beige ...)."""
SHIRT_COLOURS = ((60, 90, 200), (200, 60, 60), (240, 240, 240), (40, 40, 44), (230, 180, 40),
                 (40, 140, 110), (150, 80, 160))


@dataclass(frozen=True)
class Scene:
    """Actors of one world at one time. Arrays are (N,) over actor slots.

    x, y: box centre on the ground (m); heading (rad); speed (m/s); length,
    width, height (m); kind: actor kind id; moving: 0 for parked/static actors
    (their lights stay off); accel: the acceleration its driver asked for in the last
    step (m/s^2, along the heading; a vehicle asking to brake harder than
    BRAKE_LIGHT_DECEL shows brake lights); lamps: 1 for an actor that carries head and
    tail lamps, lit when the light calls for them and it is moving (default: vehicles;
    a scenario's ``lamps:`` turns a vehicle's off or a cyclist's on);
    names: actor names by slot. time_s: simulated time.
    The columns are stored as contiguous float64 (kind, moving and lamps: int64).
    """

    time_s: float
    names: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    speed: np.ndarray
    length: np.ndarray
    width: np.ndarray
    height: np.ndarray
    kind: np.ndarray
    moving: np.ndarray
    accel: np.ndarray | None = None  # m/s^2 along the heading, last step (None: zeros)
    signal_time_s: float | None = None  # the traffic signals' clock (None: time_s)
    lamps: np.ndarray | None = None  # carries lamps (None: the vehicles, default_lamps)

    def __post_init__(self) -> None:
        # one array type per column (contiguous float64, int64 kind and moving flags)
        # whatever the caller built: the render kernels then compile once
        if self.accel is None:
            object.__setattr__(self, "accel", np.zeros(len(self.names)))
        if self.signal_time_s is None:
            object.__setattr__(self, "signal_time_s", self.time_s)
        if self.lamps is None:
            object.__setattr__(self, "lamps", default_lamps(self.kind))
        for name in ("x", "y", "heading", "speed", "length", "width", "height", "accel"):
            object.__setattr__(self, name, np.ascontiguousarray(getattr(self, name), np.float64))
        for name in ("kind", "moving", "lamps"):
            object.__setattr__(self, name, np.ascontiguousarray(getattr(self, name), np.int64))

    def index(self, name: str) -> int:
        return self.names.index(name)

    def colours(self) -> np.ndarray:
        """(N, 3) float64 body colour of each actor, deterministic from its name."""
        kinds = actor_kinds()
        out = np.empty((len(self.names), 3))
        for k, name in enumerate(self.names):
            kind = kinds[int(self.kind[k])]
            pick = zlib.crc32(name.encode())
            if kind == "car":
                out[k] = CAR_COLOURS[pick % len(CAR_COLOURS)]
            elif kind == "van":
                out[k] = CAR_COLOURS[(0, 1, 5, 3)[pick % 4]]
            elif kind == "adult":
                out[k] = SHIRT_COLOURS[pick % len(SHIRT_COLOURS)]
            else:
                out[k] = actor_kind(kind).colour
        return out


def default_lamps(kind) -> np.ndarray:
    """(N,) int64: 1 for the actors of ``kind`` (kind ids) that carry lamps by default (the
    vehicles, as in a simulation: simdrive.world.actors.lamps_by_default)."""
    table = np.array([lamps_by_default(actor_kind(k)) for k in actor_kinds()], np.int64)
    return table[np.asarray(kind, np.int64)]


def scene_from_simulation(sim, w: int = 0) -> Scene:
    """A copy of world ``w`` of a simdrive.sim.Simulation (valid actors only)."""
    b = sim.blocks
    valid = np.flatnonzero(b.istate[w, L.I_VALID] != 0)
    # one gather per block (its rows are then contiguous views of the copy)
    f = b.fstate[w][:, valid]
    p = b.params[w][:, valid]
    i = b.istate[w][:, valid]
    names = sim.actor_names[w]
    time_s = float(b.wfloat[w, L.WF_TIME])
    return Scene(
        time_s=time_s,
        names=tuple(names[k] for k in valid.tolist()),
        x=f[L.F_X], y=f[L.F_Y], heading=f[L.F_HEADING], speed=f[L.F_SPEED],
        length=p[L.P_LENGTH], width=p[L.P_WIDTH], height=p[L.P_HEIGHT], kind=i[L.I_KIND],
        # lamps on: not parked, nor a parked car knocked loose (as the simulation sees it)
        moving=((i[L.I_MODE] != L.MODE_STATIC)
                & (i[L.I_FLAGS] & L.FLAG_KNOCKED_LOOSE == 0)).astype(np.int64),
        # the driver's demand, not what the tyres gave: on ice the brake lights are on
        # though the car barely slows (a crashed vehicle's demand is -inf: brakes on)
        accel=np.maximum(b.scratch[w, L.S_ACCEL_CMD, valid], -100.0),
        signal_time_s=time_s + float(b.wfloat[w, L.WF_SIGNAL_OFFSET]),
        lamps=(p[L.P_LAMPS] != 0.0).astype(np.int64),
    )
