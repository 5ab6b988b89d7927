"""Lamps and what they do to the picture: headlights, tail lights, street lamps, spray.

Built per frame with array operations over all actors: the spot lights that light
the ground and the actors (``light_rows``, the raster kernels' L_* rows), the halo
points of lit lamps with their wet-road reflections (``glow_points``, finish.G_*), and
road spray behind fast vehicles in rain (``spray_points``, finish.S_*). Lamp posts
stand along urban sidewalks (``street_lights``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from shapely.geometry import Point

from simdrive.render import finish as FN
from simdrive.render import raster as R
from simdrive.render.camera import Camera
from simdrive.render.look import Look
from simdrive.render.scene import Scene
from simdrive.world.actors import actor_kind, actor_kinds
from simdrive.world.lanes import LANE_SIDEWALK
from simdrive.world.maps import RoadMap

LIGHT_RANGE_M = 150.0  # lights and scenery farther from the camera are not drawn
HEADLIGHT_RANGE_M, HEADLIGHT_HALF_ANGLE_DEG, HEADLIGHT_GAIN = 70.0, 24.0, 0.9
SPRAY_MIN_MPS = 8.0  # vehicles throw up visible spray above about 30 km/h
STREET_LIGHT_SPACING_M, STREET_LIGHT_HEIGHT_M, STREET_LIGHT_RANGE_M = 28.0, 8.0, 20.0
_LAMP_RGB = np.array([(255.0, 245.0, 220.0), (200.0, 20.0, 10.0)] * 2)
"""Halo colours of a vehicle's lamps: left head, left tail, right head, right tail."""


@dataclass(frozen=True)
class KindTables:
    """Per actor kind id: name, category and the flags the renderer needs."""

    names: tuple[str, ...]
    categories: tuple[str, ...]
    vehicle: np.ndarray  # (K,) bool
    motorcycle: np.ndarray  # (K,) bool: one headlight
    low_lamps: np.ndarray  # (K,) bool: lamps low on the body (not a car or van)


@lru_cache(maxsize=4)
def kind_tables_of(names: tuple[str, ...]) -> KindTables:
    categories = tuple(actor_kind(k).category for k in names)
    return KindTables(names, categories, np.array([c == "vehicle" for c in categories], bool),
                       np.array([k == "motorcycle" for k in names], bool),
                       np.array([k not in ("car", "van") for k in names], bool))


def kind_tables() -> KindTables:
    return kind_tables_of(actor_kinds())


def street_lights(road: RoadMap) -> np.ndarray:
    """(M, 3) x, y, arm heading (towards the road) of lamp posts along the sidewalks."""
    out = []
    for lane in road.lanes:
        if lane.kind != LANE_SIDEWALK or lane.length < 10:
            continue
        for s in np.arange(STREET_LIGHT_SPACING_M / 2, lane.length, STREET_LIGHT_SPACING_M):
            best = None
            for side in (1.0, -1.0):
                x, y = lane.to_world(s, side * (lane.width / 2 - 0.3))[:2]
                gap = road.drivable.distance(Point(x, y))
                if best is None or gap > best[0]:
                    best = (gap, float(x), float(y), side)
            _, x, y, side = best
            heading = float(lane.heading_at(s)) - side * math.pi / 2
            out.append((x, y, heading))
    return np.array(out, float).reshape(-1, 3)


def posts_near(street_lights: np.ndarray, cam: Camera) -> np.ndarray:
    """Lamp posts within LIGHT_RANGE_M of the camera."""
    p = cam.position
    near = np.hypot(street_lights[:, 0] - p[0], street_lights[:, 1] - p[1])
    return street_lights[near < LIGHT_RANGE_M]

def light_rows(scene: Scene, look: Look, cam: Camera, posts: np.ndarray) -> np.ndarray:
    """(K, L_COUNT) lights: two headlights per moving vehicle (one per motorcycle), in
    slot order, then the street lamps near the camera."""
    parts = []
    p = cam.position
    if look.lights_on:
        tables = kind_tables()
        k = np.flatnonzero(tables.vehicle[scene.kind] & (scene.moving != 0)
                           & (np.hypot(scene.x - p[0], scene.y - p[1]) <= LIGHT_RANGE_M))
        single = tables.motorcycle[scene.kind[k]]
        k = np.repeat(k, np.where(single, 1, 2))
        # side offsets (0.3, -0.3) of the width, 0 for a motorcycle's single lamp
        first = np.ones(len(k), bool)
        first[1:] = k[1:] != k[:-1]
        side = np.where(tables.motorcycle[scene.kind[k]], 0.0, np.where(first, 0.3, -0.3))
        heading = scene.heading[k]
        c, s = np.cos(heading), np.sin(heading)
        half = scene.length[k] / 2
        off = side * scene.width[k]
        cone = math.cos(math.radians(HEADLIGHT_HALF_ANGLE_DEG))
        # headlights stand out less in twilight than in the dark
        gain = HEADLIGHT_GAIN * max(0.15, 1.0 - sum(look.ambient) / 3 / 0.62)
        rows = np.empty((len(k), R.L_COUNT))
        rows[:, R.L_X] = scene.x[k] + c * half - s * off
        rows[:, R.L_Y] = scene.y[k] + s * half + c * off
        rows[:, R.L_Z] = 0.7
        rows[:, R.L_DX] = c * 0.995
        rows[:, R.L_DY] = s * 0.995
        rows[:, R.L_DZ] = -0.0999
        rows[:, R.L_COS] = cone
        rows[:, R.L_RANGE] = HEADLIGHT_RANGE_M
        rows[:, R.L_R:R.L_B + 1] = (gain, gain * 0.97, gain * 0.88)
        rows[:, R.L_RAMP] = 3.0
        parts.append(rows)
    if look.street_lights_on:
        rows = np.empty((len(posts), R.L_COUNT))
        rows[:, R.L_X] = posts[:, 0] + 0.8 * np.cos(posts[:, 2])
        rows[:, R.L_Y] = posts[:, 1] + 0.8 * np.sin(posts[:, 2])
        rows[:, R.L_Z] = STREET_LIGHT_HEIGHT_M - 0.3
        rows[:, R.L_DX:R.L_DZ + 1] = (0.0, 0.0, -1.0)
        rows[:, R.L_COS] = math.cos(math.radians(68))
        rows[:, R.L_RANGE] = STREET_LIGHT_RANGE_M
        rows[:, R.L_R:R.L_B + 1] = (1.5, 1.2, 0.8)
        rows[:, R.L_RAMP] = 0.0
        parts.append(rows)
    if not parts:
        return np.zeros((0, R.L_COUNT))
    return np.concatenate(parts) if len(parts) > 1 else parts[0]

def glow_points(scene: Scene, cam: Camera, look: Look, own: np.ndarray,
            posts: np.ndarray) -> np.ndarray:
    """Halo points of lit lamps (head, tail, street) in the image, except the camera's own.

    Per lit vehicle in slot order: left head, left tail, right head, right tail;
    then the street lamps.
    """
    if cam.orthographic or not (look.lights_on or look.street_lights_on):
        return np.zeros((0, FN.G_COUNT))
    world, rgb, size = [], [], []
    if look.lights_on:
        tables = kind_tables()
        k = np.flatnonzero(tables.vehicle[scene.kind] & (scene.moving != 0) & ~own)
        c, s = np.cos(scene.heading[k]), np.sin(scene.heading[k])
        half = scene.length[k] / 2 + 0.02
        height = scene.height[k]
        z = np.where(tables.low_lamps[scene.kind[k]], 0.2 * height + 0.3, 0.45 * height)
        pts = np.empty((len(k), 4, 3))
        for j, (side, sign) in enumerate(((0.36, 1.0), (0.36, -1.0), (-0.36, 1.0),
                                          (-0.36, -1.0))):
            off = side * scene.width[k]
            pts[:, j, 0] = scene.x[k] + sign * c * half - s * off
            pts[:, j, 1] = scene.y[k] + sign * s * half + c * off
            pts[:, j, 2] = z
        world.append(pts.reshape(-1, 3))
        rgb.append(np.tile(_LAMP_RGB, (len(k), 1)))
        size.append(np.full(4 * len(k), 0.5))
    if look.street_lights_on:
        world.append(np.stack([posts[:, 0] + 0.8 * np.cos(posts[:, 2]),
                               posts[:, 1] + 0.8 * np.sin(posts[:, 2]),
                               np.full(len(posts), STREET_LIGHT_HEIGHT_M - 0.3)], -1))
        rgb.append(np.tile((255.0, 200.0, 130.0), (len(posts), 1)))
        size.append(np.ones(len(posts)))
    world, rgb, size = np.concatenate(world), np.concatenate(rgb), np.concatenate(size)
    if not len(world):
        return np.zeros((0, FN.G_COUNT))
    pc = cam.to_camera(world)
    front = pc[:, 2] > cam.spec.near_m
    uv = cam.project(np.where(front[:, None], pc, 1.0))
    z = pc[front, 2]
    radius = np.clip(cam.intrinsics[0, 0] * 0.35 * size[front] / z, 2.0, 40.0)
    out = np.empty((len(z), FN.G_COUNT))
    out[:, FN.G_U], out[:, FN.G_V] = uv[front, 0], uv[front, 1]
    out[:, FN.G_Z] = z
    out[:, FN.G_R:FN.G_B + 1] = rgb[front] * (1.0 if look.lighting == "night" else 0.6)
    out[:, FN.G_RADIUS] = radius
    out[:, FN.G_REFLECT] = radius * 6.0 if look.surface == "wet" else 0.0
    return out

def spray_points(scene: Scene, cam: Camera, look: Look, own: np.ndarray) -> np.ndarray:
    """Spray thrown up behind the rear wheels of vehicles faster than SPRAY_MIN_MPS on a
    wet road in rain, denser with speed and rain (FN.add_spray points)."""
    if cam.orthographic or look.rain <= 0.0:
        return np.zeros((0, FN.S_COUNT))
    k = np.flatnonzero(kind_tables().vehicle[scene.kind] & (scene.speed > SPRAY_MIN_MPS)
                       & ~own)
    if not len(k):
        return np.zeros((0, FN.S_COUNT))
    c, s = np.cos(scene.heading[k]), np.sin(scene.heading[k])
    back = scene.length[k] / 2 + 0.8
    world = np.empty((len(k), 2, 3))
    for j, side in enumerate((0.35, -0.35)):
        off = side * scene.width[k]
        world[:, j, 0] = scene.x[k] - c * back - s * off
        world[:, j, 1] = scene.y[k] - s * back + c * off
        world[:, j, 2] = 0.45
    world = world.reshape(-1, 3)
    speed = np.repeat(scene.speed[k], 2)
    pc = cam.to_camera(world)
    front = pc[:, 2] > 1.0
    if not front.any():
        return np.zeros((0, FN.S_COUNT))
    uv = cam.project(pc[front])
    z = pc[front, 2]
    out = np.empty((len(z), FN.S_COUNT))
    out[:, FN.S_U], out[:, FN.S_V], out[:, FN.S_Z] = uv[:, 0], uv[:, 1], z
    out[:, FN.S_RADIUS] = np.clip(cam.intrinsics[0, 0] * 1.1 / z, 2.0, 120.0)
    out[:, FN.S_ALPHA] = np.clip(look.rain * speed[front] / 45.0, 0.0, 0.55)
    grey = np.array(look.fog_rgb) * 0.5 + 110.0 * (sum(look.ambient) / 3 / 0.62)
    out[:, FN.S_R:FN.S_B + 1] = np.clip(grey, 0, 255)
    return out

