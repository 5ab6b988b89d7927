"""Actor kinds: dimensions, kinematic limits and default colours, in one registry.

Dimensions are length x width x height of the bounding box in m (mirrors
excluded), chosen as a typical member of the class. Sources:

- car: VW Golf VIII hatchback, manufacturer data: 4.284 x 1.789 x 1.456 m,
  wheelbase 2.636 m.
- van: Ford Transit Custom L1H1, manufacturer data: 4.973 x 1.986 x 1.99 m,
  wheelbase 2.933 m.
- truck: 18 t rigid box truck (Mercedes-Benz Atego 1218 class), about
  8.6 x 2.55 x 3.5 m, wheelbase 4.8 m; 2.55 m is the EU width limit
  (Directive 96/53/EC).
- bus: 12 m city bus, Mercedes-Benz Citaro manufacturer data:
  12.135 x 2.55 x 3.12 m, wheelbase 5.845 m.
- motorcycle: Honda CB500F class, 2.08 x 0.80 m, 1.5 m tall with its rider,
  wheelbase 1.41 m.
- cyclist: Euro NCAP bicycle target (EBTa), about 1.8 x 0.6 x 1.75 m with rider.
- adult / child: Euro NCAP articulated pedestrian targets EPTa (1.80 m tall)
  and EPTc (1.154 m, a 6-year-old), AEB VRU test protocol; shoulder widths
  0.50 m / 0.30 m.
- dog: medium breed (Labrador), about 0.95 m long, 0.30 m wide, 0.65 m at the head.
- deer: white-tailed deer, body length 1.5-2.0 m, shoulder height 0.8-1.1 m,
  about 1.4 m at the head.
- kangaroo: eastern grey kangaroo, about 1.6 m from nose to tail tip when
  bounding, 1.5 m tall.
- tyre: truck tyre 315/80 R22.5 lying flat, diameter 1.08 m, section width 0.315 m.
- debris: a fallen load on a EUR pallet footprint (EN 13698-1), 1.2 x 0.8 x 0.5 m.
- ball: a size 5 football (FIFA Quality standard: circumference 68-70 cm, so 0.22 m
  across; 410-450 g), the child's ball that rolls out ahead of the child.

Masses (kg, laden as on the road): car 1,300 (Golf VIII kerb weight + driver),
van 2,300, truck 12,000 (18 t rigid, part-loaded), bus 13,000 (Citaro kerb weight
plus passengers), motorcycle 280 with rider, cyclist 90 with bicycle, adult 75,
child 21 (EPTc target mass is 6-year-old anthropometry), dog 30, deer 70
(white-tailed 45-100), kangaroo 55 (eastern grey 40-66), truck tyre with rim 80,
debris 150, ball 0.43.

Kinematic limits are representative values for simulation, not a vehicle
dynamics model: accelerations and braking are further limited by tyre-road
friction at run time. Pedestrian and animal top speeds: adult sprint ~6 m/s,
a 6-year-old ~4 m/s, white-tailed deer ~13 m/s, eastern grey kangaroo ~15 m/s. A ball
(category "object": it moves, but nobody steers it) rolls where an action sends it: it
gets up to speed within a step or two (a kick) and turns at once, and it never watches
the road.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simdrive.core.layout import MODEL_BICYCLE, MODEL_STATIC, MODEL_UNICYCLE
from simdrive.errors import WorldError


@dataclass(frozen=True)
class ActorKind:
    """One kind of road user or obstacle. Lengths in m, speeds in m/s, accelerations in m/s^2."""

    name: str
    category: str  # "vehicle", "vru" (vulnerable road user), "animal", "object" or "static"
    length: float
    width: float
    height: float
    model: int  # simdrive.core.layout.MODEL_*
    colour: tuple[int, int, int]  # default body colour, sRGB 0-255
    wheelbase: float = 0.0
    max_speed: float = 0.0
    max_accel: float = 0.0
    comfort_decel: float = 2.0
    max_decel: float = 0.0  # strongest braking the actor can command
    max_jerk: float = 10.0  # m/s^3
    max_steer: float = 0.0  # rad
    max_steer_rate: float = 0.0  # rad/s
    max_yaw_rate: float = 0.0  # rad/s, for the unicycle model
    mass_kg: float = 1000.0  # for the momentum exchange of a collision


_REGISTRY: dict[str, ActorKind] = {}


def register_actor_kind(kind: ActorKind) -> ActorKind:
    """Add a kind to the registry; a second kind with the same name is an error."""
    if kind.name in _REGISTRY:
        raise ValueError(f"actor kind {kind.name!r} is already registered")
    _REGISTRY[kind.name] = kind
    return kind


def actor_kind(name: str) -> ActorKind:
    """The kind called ``name``; WorldError listing the valid names otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise WorldError(
            "unknown actor kind", expected=f"one of {', '.join(sorted(_REGISTRY))}", found=name
        ) from None


def a_kind(name: str) -> str:
    """``name`` with its indefinite article, for messages: "a car", "an adult"."""
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"


LAMP_KINDS = ("cyclist",)
"""Kinds other than the vehicles that may carry head and tail lamps (off by default)."""


BICYCLE_LAMP_GAIN = 0.35
"""A bicycle headlight's strength against a car's (an LED bicycle lamp of ~70 lux at 10 m
against a dipped beam's several hundred)."""


ONE_LAMP_KINDS = ("motorcycle", "cyclist")
"""Kinds with one head and one tail lamp, on the centre line (the rest have two of each)."""


def lamp_gain(kind: ActorKind) -> float:
    """The strength of each of a lamp-carrying ``kind``'s headlights against a car's."""
    return BICYCLE_LAMP_GAIN if kind.name == "cyclist" else 1.0


def headlight_strength(kind: ActorKind) -> float:
    """All of a lamp-carrying ``kind``'s headlights together, in a car's headlights: 2 for a
    car, 1 for a motorcycle, 0.35 for a cyclist."""
    return lamp_gain(kind) * (1.0 if kind.name in ONE_LAMP_KINDS else 2.0)


def lamps_by_default(kind: ActorKind) -> bool:
    """Whether an actor of ``kind`` carries lamps unless told otherwise: the vehicles."""
    return kind.category == "vehicle"


def may_carry_lamps(kind: ActorKind) -> bool:
    """Whether an actor of ``kind`` can be given lamps: a vehicle or a LAMP_KINDS kind."""
    return kind.category == "vehicle" or kind.name in LAMP_KINDS


def actor_kinds() -> tuple[str, ...]:
    """Names of all registered kinds, in registration order (their integer ids)."""
    return tuple(_REGISTRY)


def actor_kind_id(name: str) -> int:
    """Stable integer id of a kind (its registration index), stored in the state arrays."""
    actor_kind(name)
    return actor_kinds().index(name)


_STEER = math.radians(35.0)
_BIG_STEER = math.radians(40.0)

for _kind in (
    ActorKind("car", "vehicle", 4.28, 1.79, 1.46, MODEL_BICYCLE, (200, 30, 30), wheelbase=2.64,
              max_speed=55.0, max_accel=3.0, comfort_decel=2.0, max_decel=9.5, max_jerk=25.0,
              max_steer=_STEER, max_steer_rate=0.7, mass_kg=1300.0),
    ActorKind("van", "vehicle", 4.97, 1.99, 1.99, MODEL_BICYCLE, (225, 225, 225), wheelbase=2.93,
              max_speed=45.0, max_accel=2.2, comfort_decel=2.0, max_decel=8.5, max_jerk=20.0,
              max_steer=_STEER, max_steer_rate=0.6, mass_kg=2300.0),
    ActorKind("truck", "vehicle", 8.6, 2.55, 3.5, MODEL_BICYCLE, (40, 80, 160), wheelbase=4.8,
              max_speed=25.0, max_accel=1.2, comfort_decel=1.5, max_decel=6.5, max_jerk=10.0,
              max_steer=_BIG_STEER, max_steer_rate=0.5, mass_kg=12000.0),
    ActorKind("bus", "vehicle", 12.1, 2.55, 3.12, MODEL_BICYCLE, (240, 190, 20), wheelbase=5.85,
              max_speed=25.0, max_accel=1.2, comfort_decel=1.5, max_decel=6.0, max_jerk=10.0,
              max_steer=_BIG_STEER, max_steer_rate=0.5, mass_kg=13000.0),
    ActorKind("motorcycle", "vehicle", 2.08, 0.8, 1.5, MODEL_BICYCLE, (20, 20, 20),
              wheelbase=1.41, max_speed=60.0, max_accel=5.0, comfort_decel=2.5, max_decel=9.0,
              max_jerk=30.0, max_steer=math.radians(30.0), max_steer_rate=1.0, mass_kg=280.0),
    ActorKind("cyclist", "vru", 1.8, 0.6, 1.75, MODEL_BICYCLE, (30, 140, 60), wheelbase=1.1,
              max_speed=12.0, max_accel=1.5, comfort_decel=1.5, max_decel=4.0, max_jerk=10.0,
              max_steer=math.radians(30.0), max_steer_rate=1.5, mass_kg=90.0),
    ActorKind("adult", "vru", 0.3, 0.5, 1.8, MODEL_UNICYCLE, (60, 90, 200), max_speed=6.0,
              max_accel=2.5, comfort_decel=2.5, max_decel=4.0, max_jerk=30.0, max_yaw_rate=4.0,
              mass_kg=75.0),
    ActorKind("child", "vru", 0.25, 0.3, 1.15, MODEL_UNICYCLE, (250, 120, 20), max_speed=4.0,
              max_accel=2.5, comfort_decel=2.5, max_decel=4.0, max_jerk=30.0, max_yaw_rate=5.0,
              mass_kg=21.0),
    ActorKind("dog", "animal", 0.95, 0.3, 0.65, MODEL_UNICYCLE, (120, 80, 40), max_speed=12.0,
              max_accel=6.0, comfort_decel=4.0, max_decel=8.0, max_jerk=50.0, max_yaw_rate=6.0,
              mass_kg=30.0),
    ActorKind("deer", "animal", 1.8, 0.45, 1.4, MODEL_UNICYCLE, (150, 100, 60), max_speed=13.0,
              max_accel=5.0, comfort_decel=4.0, max_decel=8.0, max_jerk=50.0, max_yaw_rate=4.0,
              mass_kg=70.0),
    ActorKind("kangaroo", "animal", 1.6, 0.5, 1.5, MODEL_UNICYCLE, (170, 120, 80),
              max_speed=15.0, max_accel=5.0, comfort_decel=4.0, max_decel=8.0, max_jerk=50.0,
              max_yaw_rate=4.0, mass_kg=55.0),
    ActorKind("tyre", "static", 1.08, 1.08, 0.32, MODEL_STATIC, (25, 25, 25), mass_kg=80.0),
    ActorKind("debris", "static", 1.2, 0.8, 0.5, MODEL_STATIC, (140, 110, 70), mass_kg=150.0),
    ActorKind("ball", "object", 0.22, 0.22, 0.22, MODEL_UNICYCLE, (215, 35, 40),
              max_speed=15.0, max_accel=8.0, comfort_decel=3.0, max_decel=8.0,
              max_jerk=2000.0, max_yaw_rate=60.0, mass_kg=0.43),
):
    register_actor_kind(_kind)
