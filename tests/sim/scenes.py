"""Random but valid scenes used by the robustness and determinism tests."""

from __future__ import annotations

import math

import numpy as np

from simdrive.sim import ActionSpec, ActorSpec, WorldSpec
from simdrive.world.actors import actor_kind
from simdrive.world.environment import Environment
from simdrive.world.maps import build_map

KINDS = ("car", "van", "truck", "bus", "motorcycle", "cyclist", "adult", "child", "dog",
         "deer", "tyre", "debris")


def random_scene_worlds(n_worlds: int, seed: int, n_actors: int = 24, fast: bool = False):
    """Worlds on one 2+2-lane road with random kinds, placements and behaviours."""
    road = build_map({"type": "straight", "lanes": 2, "length": 600.0, "sidewalks": "both",
                      "parking": "right"})
    rng = np.random.default_rng(seed)
    driving = ["fwd_0", "fwd_1", "bwd_0", "bwd_1"]
    worlds = []
    for _ in range(n_worlds):
        actors = []
        count = int(rng.integers(n_actors // 2, n_actors + 1))
        for k in range(count):
            kind = "car" if k == 0 else str(rng.choice(KINDS))
            name = f"a{k}"
            speed = float(rng.uniform(0, 50 if fast else 25))
            speed = min(speed, actor_kind(kind).max_speed or speed)  # within its top speed
            if kind in ("tyre", "debris"):
                actors.append(ActorSpec(kind, name, lane=str(rng.choice(driving)),
                                        s=float(rng.uniform(20, 580)), behavior="static"))
            elif kind in ("adult", "child", "dog", "deer"):
                x, y = float(rng.uniform(20, 580)), float(rng.uniform(-12, 12))
                actors.append(ActorSpec(kind, name, x=x, y=y,
                                        heading=float(rng.uniform(-math.pi, math.pi)),
                                        behavior="walk_to", speed_mps=min(speed, 3.0),
                                        desired_speed_mps=min(speed, 3.0) + 0.5,
                                        goal=(x + float(rng.uniform(-20, 20)),
                                              -y + float(rng.uniform(-2, 2))),
                                        watches_road=bool(rng.random() < 0.5)))
            else:
                wrong_way = rng.random() < 0.15
                actors.append(ActorSpec(kind, name, lane=str(rng.choice(driving)),
                                        s=float(rng.uniform(5, 580)), speed_mps=speed,
                                        behavior="follow_lane" if wrong_way else "traffic",
                                        direction=-1 if wrong_way else 1,
                                        watches_road=bool(rng.random() < 0.8), ego=(k == 0)))
        actions = []
        if count > 3:
            actions.append(ActionSpec("a1", "set_speed", {"time_s": float(rng.uniform(0, 3))},
                                      {"speed_mps": float(rng.uniform(0, 30))}))
            actions.append(ActionSpec("a0", "stop", {"actor_distance_below_m":
                                                     {"actor": "a2", "distance": 30.0}}))
        env = Environment(str(rng.choice(["dry", "wet", "snow", "ice"])),
                          float(rng.uniform(15, 500)), change_time_s=float(rng.uniform(1, 5)),
                          road_condition_after="wet", visibility_after_m=80.0)
        worlds.append(WorldSpec(road, tuple(actors), tuple(actions), env, dt=0.05))
    return worlds
