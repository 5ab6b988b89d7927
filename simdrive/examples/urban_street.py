"""A small urban street: a child runs out between parked cars in front of the ego.

    python -m simdrive.examples.urban_street      (or: simdrive demo)

Builds the world from plain data with the Python API, simulates 8 s and prints
what happened: every event, and the ego's safety metrics.
"""

from __future__ import annotations

import math

from simdrive.sim import ActionSpec, ActorSpec, Simulation, WorldSpec
from simdrive.world.environment import Environment
from simdrive.world.maps import RoadMap, build_map


def street_map() -> RoadMap:
    """200 m of two-lane street with sidewalks and a parking lane on the right."""
    return build_map({"type": "straight", "lanes": 1, "length": 200.0, "sidewalks": "both",
                      "parking": "right", "speed_limit": 13.9})


def urban_street(road: RoadMap, road_condition: str = "dry",
                 visibility_m: float = 1000.0) -> WorldSpec:
    """The example world: parked cars on the right, a child hidden between them."""
    parked = [ActorSpec("car", f"parked_{k}", lane="parking_right", s=s, behavior="static")
              for k, s in enumerate((30.0, 36.0, 42.0, 54.0, 60.0))]
    parked.append(ActorSpec("van", "parked_van", lane="parking_right", s=48.0, behavior="static"))
    # the child waits in the gap between the van and the next car, hidden from the ego
    child_x, child_y, _ = road.lanes[road.lane_index("parking_right")].to_world(51.0, -0.3)
    far_x, far_y, _ = road.lanes[road.lane_index("sidewalk_left")].to_world(51.0, 0.0)
    actors = [
        ActorSpec("car", "ego", lane="fwd_0", s=5.0, speed_mps=11.0, ego=True),
        ActorSpec("car", "lead", lane="fwd_0", s=70.0, speed_mps=11.0),
        ActorSpec("bus", "oncoming_bus", lane="bwd_0", s=20.0, speed_mps=10.0),
        ActorSpec("car", "oncoming_car", lane="bwd_0", s=60.0, speed_mps=12.0),
        ActorSpec("child", "child", x=child_x, y=child_y, heading=math.pi / 2,
                  watches_road=False),
        ActorSpec("adult", "walker", lane="sidewalk_right", s=80.0, behavior="follow_lane",
                  direction=-1, speed_mps=1.4),
        ActorSpec("cyclist", "cyclist", lane="fwd_0", s=120.0, speed_mps=5.0),
        *parked,
    ]
    actions = [
        ActionSpec("child", "cross_road", {"ego_distance_below_m": 30.0},
                   {"x": far_x, "y": far_y, "speed_mps": 3.0}),
    ]
    return WorldSpec(road, tuple(actors), tuple(actions),
                     Environment(road_condition, visibility_m), dt=0.05)


def describe(sim: Simulation, w: int = 0) -> str:
    """A short human-readable account of world w."""
    lines = []
    for event in sim.events(w):
        if event.kind == "collision":
            lines.append(f"  t={event.time_s:5.2f} s  COLLISION {event.actor} x {event.other} "
                         f"at ({event.x:.1f}, {event.y:.1f}) m, relative speed "
                         f"{event.relative_speed_mps:.1f} m/s")
        else:
            lines.append(f"  t={event.time_s:5.2f} s  {event.actor}: {event.other}")
    out = sim.outcome(w)
    lines.append(f"  ego collision: {out.collision}" + (
        f" with {out.collision_with} at {out.ego_speed_at_impact_mps:.1f} m/s"
        if out.collision else ""))
    lines.append(f"  min time-to-collision: {out.min_ttc_s:.2f} s, min distance: "
                 f"{out.min_distance_m:.2f} m, harshest ego braking: "
                 f"{out.max_ego_decel_mps2:.1f} m/s^2")
    return "\n".join(lines)


def main() -> None:
    road = street_map()
    conditions = [("dry", 1000.0), ("wet", 1000.0), ("ice", 1000.0)]
    sim = Simulation([urban_street(road, surface, vis) for surface, vis in conditions])
    sim.run(8.0)
    for w, (surface, _) in enumerate(conditions):
        print(f"urban street, child runs out between parked cars, {surface} road:")
        print(describe(sim, w))


if __name__ == "__main__":
    main()
