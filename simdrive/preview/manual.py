"""Manual driving: the arrow keys drive the ego through the same physics as every actor.

The ego is not moved by the viewer. Before each simulation step the driver
writes the ego's *intentions* into its state rows, exactly where scripted
actions write theirs (simdrive.core.actions), and the kernel does the rest:

- **steering**: the ego is switched to the kernel's ``MODE_GOTO`` (the mode a
  ``cross_road`` action uses) with a goal point chosen so that the kernel's own
  pure-pursuit law asks for the wheel angle the player holds: for a wanted
  angle delta the arc curvature is k = tan(delta) / wheelbase, and the point at
  distance D on that arc has lateral offset k D^2 / 2 (the pure-pursuit
  relation inverted). The steering-rate and steering-angle limits, the friction
  circle (a turn the tyres cannot hold widens) and the bicycle model apply as
  for any car;
- **throttle**: the desired speed becomes the ego's top speed, so the kernel's
  IDM free-road term accelerates it (at most its max acceleration, jerk-limited);
- **brake**: the scripted-brake row ``F_BRAKE_DECEL`` gets the ego's strongest
  braking; friction (wet, snow, ice) limits what it gets;
- **neither**: the desired speed is the current speed (a cruise: no
  acceleration), so the ego neither speeds up nor brakes on its own.

While driven, the ego ignores obstacles (the player brakes, not the driver
model). Handing back (``m`` again) restores its mode and flags and puts it back
on the lane it drove on before, projected from where it now is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simdrive.core import layout as L
from simdrive.sim import Simulation

STEER_INPUT_RATE = 1.5  # 1/s: holding an arrow key turns the wheel to full lock in 0.67 s
STEER_RETURN_RATE = 3.0  # 1/s: released, the wheel returns to centre
MIN_GOAL_DISTANCE_M = 6.0  # the goal point stays well beyond the kernel's arrival radius
GOAL_LOOKAHEAD_S = 1.0


@dataclass
class ManualControls:
    """What the player holds: pedals (bool) and the steering wheel in [-1, 1] (left +)."""

    throttle: bool = False
    brake: bool = False
    left: bool = False
    right: bool = False
    steer: float = 0.0

    def update_steer(self, dt_s: float) -> None:
        """Move the wheel towards the held direction (or back to centre) over ``dt_s``."""
        target = float(self.left) - float(self.right)
        rate = STEER_INPUT_RATE if target != 0.0 else STEER_RETURN_RATE
        step = rate * dt_s
        self.steer = min(max(target, self.steer - step), self.steer + step)

    def release(self) -> None:
        self.throttle = self.brake = self.left = self.right = False
        self.steer = 0.0


@dataclass(frozen=True)
class _Handback:
    mode: int
    flags: int
    desired_speed_mps: float


def goal_for_steer(x: float, y: float, heading: float, steer_rad: float, wheelbase_m: float,
                   speed_mps: float) -> tuple[float, float]:
    """World point (m) whose pure-pursuit steering angle from this pose is ``steer_rad``."""
    curvature = math.tan(steer_rad) / wheelbase_m
    distance = max(MIN_GOAL_DISTANCE_M, GOAL_LOOKAHEAD_S * speed_mps)
    if abs(curvature) * distance > 1.9:  # a point on the arc exists only up to D = 2 / k
        distance = 1.9 / abs(curvature)
    lateral = curvature * distance * distance / 2.0
    forward = math.sqrt(max(distance * distance - lateral * lateral, 0.0))
    c, s = math.cos(heading), math.sin(heading)
    return x + forward * c - lateral * s, y + forward * s + lateral * c


class ManualDriver:
    """Writes the player's controls into the ego's state rows of world 0 between steps."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.controls = ManualControls()
        self._handback: _Handback | None = None

    @property
    def ego(self) -> int:
        return int(self.sim.blocks.wint[0, L.WI_EGO])

    def engage(self) -> None:
        """Take over the ego (remembering how to hand it back)."""
        b, i = self.sim.blocks, self.ego
        if i < 0:
            return
        if self._handback is None:
            self._handback = _Handback(int(b.istate[0, L.I_MODE, i]),
                                       int(b.istate[0, L.I_FLAGS, i]) & ~L.FLAG_GIVING_WAY,
                                       float(b.fstate[0, L.F_DESIRED_SPEED, i]))
        self.controls.release()
        self.apply(0.0)

    def disengage(self) -> None:
        """Hand the ego back to its driver model on the lane it followed before."""
        b, i = self.sim.blocks, self.ego
        self.controls.release()
        if i < 0 or self._handback is None:
            return
        lane_index = int(b.istate[0, L.I_LANE, i])
        if self._handback.mode in (L.MODE_LANE, L.MODE_LANE_FREE) and lane_index >= 0:
            lane = self.sim.road_map.lanes[lane_index]
            s, d = lane.to_frenet(float(b.fstate[0, L.F_X, i]), float(b.fstate[0, L.F_Y, i]))
            b.fstate[0, L.F_S, i] = s
            b.fstate[0, L.F_D, i] = d
            segment = np.searchsorted(lane.cum_s, s, side="right") - 1
            b.istate[0, L.I_SEG, i] = int(np.clip(segment, 0, len(lane.cum_s) - 2))
        b.istate[0, L.I_MODE, i] = self._handback.mode
        crashed = int(b.istate[0, L.I_FLAGS, i]) & L.FLAG_CRASHED
        b.istate[0, L.I_FLAGS, i] = self._handback.flags | crashed
        b.fstate[0, L.F_DESIRED_SPEED, i] = self._handback.desired_speed_mps
        b.fstate[0, L.F_BRAKE_DECEL, i] = 0.0

    def apply(self, dt_s: float) -> None:
        """Write the controls for the next step of ``dt_s`` seconds into the ego's rows."""
        b, i = self.sim.blocks, self.ego
        if i < 0:
            return
        self.controls.update_steer(dt_s)
        f, p = b.fstate[0], b.params[0]
        b.istate[0, L.I_MODE, i] = L.MODE_GOTO
        flags = int(b.istate[0, L.I_FLAGS, i])
        b.istate[0, L.I_FLAGS, i] = (flags | L.FLAG_IGNORE_OBSTACLES) & ~L.FLAG_ARRIVED
        steer = self.controls.steer * p[L.P_MAX_STEER, i]
        f[L.F_GOAL_X, i], f[L.F_GOAL_Y, i] = goal_for_steer(
            f[L.F_X, i], f[L.F_Y, i], f[L.F_HEADING, i], steer, p[L.P_WHEELBASE, i],
            f[L.F_SPEED, i])
        if self.controls.brake:
            f[L.F_BRAKE_DECEL, i] = p[L.P_MAX_DECEL, i]
            f[L.F_DESIRED_SPEED, i] = 0.0
        else:
            f[L.F_BRAKE_DECEL, i] = 0.0
            f[L.F_DESIRED_SPEED, i] = p[L.P_MAX_SPEED, i] if self.controls.throttle \
                else f[L.F_SPEED, i]
