"""The closed form of tests/search/braking_toward_obstacle.yaml: when the ego hits the debris.

The ego brakes from t = 0 with the brake force building up at its jerk limit j to
a = min(mu g, its max deceleration), so it stops after (tests/sim/test_physics.py)

    D(v) = v t_r - j t_r^3 / 6 + v_r^2 / (2 a),   t_r = a / j,   v_r = v - j t_r^2 / 2

and it collides iff the gap between the boxes, distance - (L_car + L_debris) / 2, is
shorter than D(v).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simdrive.core import layout as L
from simdrive.world.actors import actor_kind
from simdrive.world.conditions import weather
from simdrive.world.environment import FRICTION

SCENARIO = Path(__file__).with_name("braking_toward_obstacle.yaml")
SPEED = (10.0, 20.0)  # ego.speed uniform, m/s
DISTANCE = (30.0, 130.0)  # actors[0].placement.distance uniform, m
WEATHER = {"clear": 0.75, "rain": 0.25}


def stopping_distance_m(speed_mps, weather_name: str):
    car = actor_kind("car")
    mu = FRICTION[weather(weather_name).road_condition]
    a = min(mu * L.GRAVITY, car.max_decel)
    t_ramp = a / car.max_jerk
    v_ramp = np.asarray(speed_mps) - 0.5 * car.max_jerk * t_ramp**2
    return np.asarray(speed_mps) * t_ramp - car.max_jerk * t_ramp**3 / 6 + v_ramp**2 / (2 * a)


def collision_margin_m(values: dict) -> float:
    """Gap minus stopping distance: negative iff the ego hits the debris."""
    half_lengths = (actor_kind("car").length + actor_kind("debris").length) / 2
    gap = values["actors[0].placement.distance"] - half_lengths
    return float(gap - stopping_distance_m(values["ego.speed"], values["environment.weather"]))


def collision_probability() -> float:
    """P(collision) under the scenario's distributions (numerical integral over speed)."""
    half_lengths = (actor_kind("car").length + actor_kind("debris").length) / 2
    speeds = np.linspace(*SPEED, 200_001)
    total = 0.0
    for name, p in WEATHER.items():
        reach = stopping_distance_m(speeds, name) + half_lengths  # collide iff distance < reach
        share = np.clip((reach - DISTANCE[0]) / (DISTANCE[1] - DISTANCE[0]), 0.0, 1.0)
        integral = float(((share[1:] + share[:-1]) / 2 * np.diff(speeds)).sum())
        total += p * integral / (SPEED[1] - SPEED[0])
    return total
