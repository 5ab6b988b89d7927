"""Road condition and visibility: what weather and light do to the physics.

Friction coefficients are average peak values of the coefficient of road
adhesion for tyres on asphalt, from J.Y. Wong, *Theory of Ground Vehicles*,
4th ed., Wiley 2008, Table 1.3: dry 0.8-0.9, wet 0.5-0.7, hard-packed snow
0.2, ice 0.1. The lower end is used so braking distances are not optimistic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simdrive.errors import WorldError

FRICTION = {"dry": 0.8, "wet": 0.5, "snow": 0.2, "ice": 0.1}
"""Tyre-road friction coefficient mu by road condition."""
LOOKS_LIKE = {"ice": "dry"}
"""Road conditions drivers cannot see, and what they take them for (black ice)."""


def friction_coefficient(road_condition: str) -> float:
    """mu for a road condition name; WorldError for an unknown name."""
    try:
        return FRICTION[road_condition]
    except KeyError:
        raise WorldError("unknown road condition", expected=f"one of {', '.join(FRICTION)}",
                         found=road_condition) from None


@dataclass(frozen=True)
class Environment:
    """Physics-relevant environment of one world.

    ``visibility_m`` caps how far every simulated driver and pedestrian can
    see. ``lamp_visibility_m`` (None: the same) is how far they see an actor under way by
    its lamps (a vehicle unless its ``lamps`` are off, a cyclist given lamps): at night
    its headlights and tail lights show it well beyond what the dark lets them see of
    the rest (the weather still limits it). At ``change_time_s``
    (inf: never) the road condition and visibilities switch to the ``*_after`` values
    (rain starting, entering a fog bank).
    ``unlit_visibility_m`` (None: no nearer) caps how far a driver or walker without lamps
    of its own sees what shows no lamps either: at night the world's visibility is the
    reach of one's own headlights, and without them an unlit cyclist shows only at arm's
    length of the dark (scenario files: 25 m at night). At any time the nearer of it and
    the visibility applies.
    ``glare_background_cd_m2`` (None: no dazzle) is the luminance drivers' and walkers'
    eyes adapt to with headlights on (scenario files: 1 cd/m^2 at night, a road under
    dipped beams; 3 at dusk, 5.5 at dawn): oncoming headlights' veiling glare, set against
    it, shortens how far they see what shows no lamps near them (core.glare).
    ``signal_offset_s`` shifts the traffic-signal cycle.
    """

    road_condition: str = "dry"
    visibility_m: float = 1000.0
    change_time_s: float = math.inf
    road_condition_after: str | None = None
    visibility_after_m: float | None = None
    signal_offset_s: float = 0.0
    lamp_visibility_m: float | None = None
    lamp_visibility_after_m: float | None = None
    unlit_visibility_m: float | None = None
    glare_background_cd_m2: float | None = None

    def __post_init__(self) -> None:
        friction_coefficient(self.road_condition)
        if self.road_condition_after is not None:
            friction_coefficient(self.road_condition_after)
        for name in ("visibility_m", "visibility_after_m", "lamp_visibility_m",
                     "lamp_visibility_after_m", "unlit_visibility_m"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise WorldError("visibility must be positive", path=name,
                                 expected="a distance > 0 m", found=value)
        value = self.glare_background_cd_m2
        if value is not None and not value > 0:
            raise WorldError("glare background luminance must be positive",
                             path="glare_background_cd_m2",
                             expected="a luminance > 0 cd/m^2, or None (no dazzle)",
                             found=value)

    @property
    def friction(self) -> float:
        return friction_coefficient(self.road_condition)

    @property
    def friction_after(self) -> float:
        return friction_coefficient(self.road_condition_after or self.road_condition)

    @property
    def expected_friction(self) -> float:
        """mu drivers judge the road by: the road's own, but a dry road's on black ice."""
        return friction_coefficient(LOOKS_LIKE.get(self.road_condition, self.road_condition))

    @property
    def expected_friction_after(self) -> float:
        after = self.road_condition_after or self.road_condition
        return friction_coefficient(LOOKS_LIKE.get(after, after))

    @property
    def visibility_after(self) -> float:
        return self.visibility_m if self.visibility_after_m is None else self.visibility_after_m

    @property
    def lamp_visibility(self) -> float:
        """How far lit lamps are seen, m (never less than visibility_m)."""
        lamps = self.lamp_visibility_m
        return self.visibility_m if lamps is None else max(lamps, self.visibility_m)

    @property
    def unlit_sight_cap(self) -> float:
        """How far one without lamps of its own sees what shows no lamps, m, at most (inf:
        as far as the visibility; the step takes the nearer of this and the visibility)."""
        return math.inf if self.unlit_visibility_m is None else self.unlit_visibility_m

    @property
    def glare_background(self) -> float:
        """glare_background_cd_m2, inf for None (no dazzle)."""
        value = self.glare_background_cd_m2
        return math.inf if value is None else value

    @property
    def lamp_visibility_after(self) -> float:
        """lamp_visibility after the change (None: unchanged if the visibility does not
        change, else the visibility after it)."""
        lamps = self.lamp_visibility_after_m
        if lamps is None:
            lamps = self.lamp_visibility if self.visibility_after_m is None else 0.0
        return max(lamps, self.visibility_after)
