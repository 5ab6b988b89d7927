"""Road maps and the static data of a world: lanes, areas, markings, packed arrays."""

# Importing the builder modules registers the built-in map types in MAP_BUILDERS.
from simdrive.world import junction, roads  # noqa: F401
from simdrive.world.lanes import (
    LANE_CONNECTOR,
    LANE_DRIVING,
    LANE_PARKING,
    LANE_SIDEWALK,
    Lane,
)
from simdrive.world.maps import (
    MAP_BUILDERS,
    MARKING_DASHED,
    MARKING_DOUBLE_SOLID,
    MARKING_SOLID,
    RoadMap,
    build_map,
    register_map_builder,
)
from simdrive.world.packed import (
    AREA_CROSSWALK,
    AREA_DRIVABLE,
    AREA_PARKING,
    AREA_SIDEWALK,
    MapArrays,
)

__all__ = [
    "AREA_CROSSWALK",
    "AREA_DRIVABLE",
    "AREA_PARKING",
    "AREA_SIDEWALK",
    "LANE_CONNECTOR",
    "LANE_DRIVING",
    "LANE_PARKING",
    "LANE_SIDEWALK",
    "MAP_BUILDERS",
    "MARKING_DASHED",
    "MARKING_DOUBLE_SOLID",
    "MARKING_SOLID",
    "Lane",
    "MapArrays",
    "RoadMap",
    "build_map",
    "register_map_builder",
]
