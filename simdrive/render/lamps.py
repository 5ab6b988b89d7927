"""Lamps and what they do to the picture: headlights, tail lights, street lamps, spray.

Built per frame by small kernels over all actors: the spot lights that light
the ground and the actors (``light_rows``, the raster kernels' L_* rows), the halo
points of lit lamps with their wet-road reflections and the veiling glare of oncoming
headlights (``glow_points``, finish.G_*; ``glare_gain``), and
road spray behind fast vehicles in rain (``spray_points``, finish.S_*). Lamp posts
stand along urban sidewalks (``street_lights``).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from shapely.geometry import Point

from simdrive.core._jit import inline_kernel, kernel
from simdrive.core.glare import HEADLIGHT_GLARE_CD
from simdrive.core.lanes import signal_state
from simdrive.render import blocks as B
from simdrive.render import finish as FN
from simdrive.render.camera import Camera
from simdrive.render.look import Look
from simdrive.render.scene import Scene
from simdrive.world.actors import ONE_LAMP_KINDS, actor_kind, actor_kinds, lamp_gain
from simdrive.world.lanes import LANE_SIDEWALK
from simdrive.world.maps import RoadMap

LIGHT_RANGE_M = 150.0  # lights and scenery farther from the camera are not drawn
HEADLIGHT_RANGE_M, HEADLIGHT_HALF_ANGLE_DEG, HEADLIGHT_GAIN = 70.0, 24.0, 0.9
SPRAY_MIN_MPS = 8.0  # vehicles throw up visible spray above about 30 km/h
GLARE_GAIN = 200.0
"""Veiling glare (grey levels x degrees^2) of a light giving 1 lux at the camera at night:
a third of a human eye's (Stiles and Holladay's 10 cd/m^2 per lux x degrees^-2, with a
night exposure showing the 1 cd/m^2 of a road under dipped beams at about 60 grey levels),
as a car camera's optics scatter less than an eye. finish.add_glare draws it."""
GLARE_EXPOSURE_LIGHT = 0.1
"""Ambient light (the renderer's multipliers) up to which a night exposure is set by the
headlights' own pool of light; above it the exposure, and the glare, fall as 1 / ambient."""
STREET_LIGHT_SPACING_M, STREET_LIGHT_HEIGHT_M, STREET_LIGHT_RANGE_M = 28.0, 8.0, 20.0


@dataclass(frozen=True)
class KindTables:
    """Per actor kind id: name, category and the flags the renderer needs."""

    names: tuple[str, ...]
    categories: tuple[str, ...]
    vehicle: np.ndarray  # (K,) bool
    one_lamp: np.ndarray  # (K,) bool: one head and one tail lamp, on the centre line
    low_lamps: np.ndarray  # (K,) bool: lamps low on the body (not a car or van)
    lamp_gain: np.ndarray  # (K,) float64: a headlight's strength (a bicycle's is weaker)


@lru_cache(maxsize=4)
def kind_tables_of(names: tuple[str, ...]) -> KindTables:
    categories = tuple(actor_kind(k).category for k in names)
    return KindTables(names, categories, np.array([c == "vehicle" for c in categories], bool),
                       np.array([k in ONE_LAMP_KINDS for k in names], bool),
                       np.array([k not in ("car", "van") for k in names], bool),
                       np.array([lamp_gain(actor_kind(k)) for k in names]))


def kind_tables() -> KindTables:
    return kind_tables_of(actor_kinds())


_POSTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def street_lights(road: RoadMap) -> np.ndarray:
    """(M, 3) x, y, arm heading (towards the road) of lamp posts along the sidewalks
    (read-only; computed once per road map: a dataset worker makes a renderer per shard)."""
    posts = _POSTS.get(road)
    if posts is None:
        posts = _street_lights(road)
        posts.flags.writeable = False
        _POSTS[road] = posts
    return posts


def _street_lights(road: RoadMap) -> np.ndarray:
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


_SIGNALS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
SIGNAL_SIZE = np.array([0.5, 0.4, 3.4])  # a signal's box: length (lamps at +x), width, height


def signal_heads(road: RoadMap) -> np.ndarray:
    """(S, 4) x, y, heading (of the lamps' side: towards the traffic), signal group of a
    traffic signal at the right of each signalised approach's stop line (read-only; once
    per road map)."""
    heads = _SIGNALS.get(road)
    if heads is None:
        out = []
        for k, lane in enumerate(road.lanes):
            group = road.signal_group[k]
            right = road.right[k]
            if group < 0 or (right >= 0 and road.signal_group[right] >= 0):
                continue  # not signalised, or not the rightmost lane of its approach
            x, y = lane.to_world(lane.length, -(lane.width / 2 + 1.0))[:2]
            out.append((float(x), float(y), float(lane.heading_at(lane.length)) + math.pi,
                        float(group)))
        heads = np.array(out, float).reshape(-1, 4)
        heads.flags.writeable = False
        _SIGNALS[road] = heads
    return heads


def signals_near(heads: np.ndarray, road: RoadMap, cam: Camera, time_s: float) -> np.ndarray:
    """The signal heads near ``cam`` with their state at ``time_s`` (the signal plan's
    clock) in column 3: 0 green, 1 amber, 2 red."""
    near = posts_near(heads, cam)
    if not near.shape[0]:
        return np.zeros((0, 4))
    plan = road.signal_plan
    packed = np.array([plan[g][key] for g in (0, 1)
                       for key in ("green_s", "yellow_s", "all_red_s")], float)
    out = near.copy()
    for k in range(out.shape[0]):
        out[k, 3] = signal_state(packed, float(time_s), np.int64(out[k, 3]))
    return out


def posts_near(street_lights: np.ndarray, cam: Camera) -> np.ndarray:
    """Lamp posts within LIGHT_RANGE_M of the camera."""
    p = cam.position
    near = np.hypot(street_lights[:, 0] - p[0], street_lights[:, 1] - p[1])
    return street_lights[near < LIGHT_RANGE_M]

def light_rows(scene: Scene, look: Look, cam: Camera, posts: np.ndarray) -> np.ndarray:
    """(K, L_COUNT) lights: two headlights per moving actor with lamps (Scene.lamps; one per
    motorcycle or bicycle, a bicycle's weaker), in slot order, then the street lamps near
    the camera."""
    tables = kind_tables()
    n_cars = 2 * len(scene.names) if look.lights_on else 0
    out = np.empty((n_cars + (len(posts) if look.street_lights_on else 0), B.L_COUNT))
    # headlights stand out less in twilight than in the dark
    gain = HEADLIGHT_GAIN * max(0.15, 1.0 - sum(look.ambient) / 3 / 0.62)
    p = cam.position
    count = _light_rows(scene.kind, scene.lamps, tables.one_lamp, tables.lamp_gain,
                        scene.moving, scene.x, scene.y, scene.heading, scene.length,
                        scene.width, posts, look.lights_on, look.street_lights_on, p[0], p[1],
                        gain, out)
    return out[:count]


@kernel
def _light_rows(kind, lamps, one_lamp, lamp_gain, moving, x, y, heading, length, width, posts,
                cars_on, posts_on, cam_x, cam_y, gain, out):
    """Fill out with the light rows of light_rows; returns their count."""
    n = 0
    cone = math.cos(math.radians(HEADLIGHT_HALF_ANGLE_DEG))
    for i in range(kind.shape[0] if cars_on else 0):
        if not (lamps[i] != 0 and moving[i] != 0):
            continue
        if math.hypot(x[i] - cam_x, y[i] - cam_y) > LIGHT_RANGE_M:
            continue
        c, s = math.cos(heading[i]), math.sin(heading[i])
        half = length[i] / 2
        strength = gain * lamp_gain[kind[i]]
        for side in (0.3, -0.3):
            off = 0.0 if one_lamp[kind[i]] else side * width[i]
            out[n, B.L_X] = x[i] + c * half - s * off
            out[n, B.L_Y] = y[i] + s * half + c * off
            out[n, B.L_Z] = 0.7
            out[n, B.L_DX] = c * 0.995
            out[n, B.L_DY] = s * 0.995
            out[n, B.L_DZ] = -0.0999
            out[n, B.L_COS] = cone
            out[n, B.L_RANGE] = HEADLIGHT_RANGE_M
            out[n, B.L_R] = strength
            out[n, B.L_G] = strength * 0.97
            out[n, B.L_B] = strength * 0.88
            out[n, B.L_RAMP] = 3.0
            n += 1
            if one_lamp[kind[i]]:
                break
    lamp_cos = math.cos(math.radians(68))
    for k in range(posts.shape[0] if posts_on else 0):
        out[n, B.L_X] = posts[k, 0] + 0.8 * math.cos(posts[k, 2])
        out[n, B.L_Y] = posts[k, 1] + 0.8 * math.sin(posts[k, 2])
        out[n, B.L_Z] = STREET_LIGHT_HEIGHT_M - 0.3
        out[n, B.L_DX] = 0.0
        out[n, B.L_DY] = 0.0
        out[n, B.L_DZ] = -1.0
        out[n, B.L_COS] = lamp_cos
        out[n, B.L_RANGE] = STREET_LIGHT_RANGE_M
        out[n, B.L_R] = 1.5
        out[n, B.L_G] = 1.2
        out[n, B.L_B] = 0.8
        out[n, B.L_RAMP] = 0.0
        n += 1
    return n


def glow_points(scene: Scene, cam: Camera, look: Look, own: np.ndarray,
                posts: np.ndarray) -> np.ndarray:
    """Halo points of lit lamps (head, tail, street) in the image, except the camera's own;
    a vehicle lamp's glow dimmed as the camera leaves its axis (lamp_facing). A headlight
    also carries its veiling glare strength (finish.G_GLARE): glare_gain times the
    illuminance it gives at the camera (HEADLIGHT_GLARE_CD times the kind's lamp gain and
    lamp_facing, over the squared distance, through the fog's extinction); tail and
    street lamps carry none.

    Per lit actor in slot order: left head, left tail, right head, right tail (a motorcycle
    or bicycle: head, tail); then the street lamps.
    """
    if cam.orthographic or not (look.lights_on or look.street_lights_on):
        return np.zeros((0, FN.G_COUNT))
    tables = kind_tables()
    n_cars = 4 * len(scene.names) if look.lights_on else 0
    out = np.empty((n_cars + (len(posts) if look.street_lights_on else 0), FN.G_COUNT))
    p = cam.position
    dim = 1.0 if look.lighting == "night" else 0.6
    count = _glow_points(scene.kind, scene.lamps, tables.one_lamp, tables.low_lamps,
                         tables.lamp_gain, scene.moving, own,
                         scene.x, scene.y, scene.heading, scene.length, scene.width,
                         scene.height, posts, look.lights_on, look.street_lights_on,
                         cam.block(), float(p[0]), float(p[1]), float(p[2]),
                         float(cam.spec.near_m), dim, look.surface == "wet",
                         glare_gain(look), look.fog_visibility_m, out)
    return out[:count]


def glare_gain(look: Look) -> float:
    """The veiling glare strength (grey levels x degrees^2) of a headlight giving 1 lux at
    the camera: GLARE_GAIN at night, less as the ambient light shortens the exposure (in
    proportion above GLARE_EXPOSURE_LIGHT: a third at dusk, a fifth at dawn), and up to
    twice as strong in rain (water on the windscreen scatters the light)."""
    ambient = sum(look.ambient) / 3.0
    return GLARE_GAIN * min(1.0, GLARE_EXPOSURE_LIGHT / ambient) * (1.0 + look.rain)


@inline_kernel
def lamp_height(height, low):
    """Height (m) of a vehicle's head and tail lamps above the road."""
    return 0.2 * height + 0.3 if low else 0.45 * height


@inline_kernel
def lamp_facing(ax, ay, wx, wy, wz, cam_x, cam_y, cam_z):
    """How much of a vehicle lamp's glow a camera sees, 0-1: all of it within 60 degrees
    of the lamp's axis (ax, ay: unit, level; forward for a headlight, back for a tail
    light), fading to none side-on (90 degrees) and behind; (wx, wy, wz) the lamp."""
    dx, dy, dz = cam_x - wx, cam_y - wy, cam_z - wz
    d = math.sqrt(dx * dx + dy * dy + dz * dz)
    if d <= 0.0:
        return 0.0
    return min(1.0, max(0.0, 2.0 * (ax * dx + ay * dy) / d))


@kernel
def _glow_points(kind, lamps, one_lamp, low_lamps, lamp_gain, moving, own, x, y, heading,
                 length, width, height, posts, cars_on, posts_on, cam, cam_x, cam_y, cam_z,
                 near, dim, wet, glare, sight, out):
    """Fill out with the halo points of glow_points; returns their count."""
    n = 0
    for i in range(kind.shape[0] if cars_on else 0):
        if not (lamps[i] != 0 and moving[i] != 0) or own[i]:
            continue
        c, s = math.cos(heading[i]), math.sin(heading[i])
        half = length[i] / 2 + 0.02
        z = lamp_height(height[i], low_lamps[kind[i]])
        single = one_lamp[kind[i]]
        for j in range(2 if single else 4):  # left head, left tail, right head, right tail
            off = 0.0 if single else (0.36 if j < 2 else -0.36) * width[i]
            sign = 1.0 if j % 2 == 0 else -1.0
            wx, wy = x[i] + sign * c * half - s * off, y[i] + sign * s * half + c * off
            seen = lamp_facing(sign * c, sign * s, wx, wy, z, cam_x, cam_y, cam_z)
            if seen <= 0.0:
                continue
            dazzle = 0.0
            if j % 2 == 0:
                r, g, b = 255.0 * seen, 245.0 * seen, 220.0 * seen
                # the illuminance at the camera (lux) through the air, times glare's gain
                d2 = (cam_x - wx) ** 2 + (cam_y - wy) ** 2 + (cam_z - z) ** 2
                dazzle = (glare * HEADLIGHT_GLARE_CD * lamp_gain[kind[i]] * seen
                          * math.exp(-3.0 * math.sqrt(d2) / sight) / max(d2, 1.0))
            else:
                r, g, b = 200.0 * seen, 20.0 * seen, 10.0 * seen
            n = _glow(wx, wy, z, r, g, b, 0.35 if single else 0.5, cam, near, dim, wet,
                      dazzle, i, out, n)
    for k in range(posts.shape[0] if posts_on else 0):
        n = _glow(posts[k, 0] + 0.8 * math.cos(posts[k, 2]),
                  posts[k, 1] + 0.8 * math.sin(posts[k, 2]), STREET_LIGHT_HEIGHT_M - 0.3,
                  255.0, 200.0, 130.0, 1.0, cam, near, dim, wet, 0.0, -1, out, n)
    return n


@inline_kernel
def _glow(wx, wy, wz, r, g, b, size, cam, near, dim, wet, glare, actor, out, n):
    """Append the halo of a lamp at world (wx, wy, wz) to out[n] if it is in front of the
    camera, with its veiling glare strength and the actor whose lamp it is; returns the
    new count."""
    px = cam[B.C_R] * wx + cam[B.C_R + 1] * wy + cam[B.C_R + 2] * wz + cam[B.C_T]
    py = cam[B.C_R + 3] * wx + cam[B.C_R + 4] * wy + cam[B.C_R + 5] * wz + cam[B.C_T + 1]
    pz = cam[B.C_R + 6] * wx + cam[B.C_R + 7] * wy + cam[B.C_R + 8] * wz + cam[B.C_T + 2]
    if not pz > near:
        return n
    radius = min(40.0, max(2.0, cam[B.C_FX] * 0.35 * size / pz))
    out[n, FN.G_U] = cam[B.C_FX] * px / pz + cam[B.C_CX]
    out[n, FN.G_V] = cam[B.C_FY] * py / pz + cam[B.C_CY]
    out[n, FN.G_Z] = pz
    out[n, FN.G_R] = r * dim
    out[n, FN.G_G] = g * dim
    out[n, FN.G_B] = b * dim
    out[n, FN.G_RADIUS] = radius
    out[n, FN.G_REFLECT] = radius * 6.0 if wet else 0.0
    out[n, FN.G_GLARE] = glare
    out[n, FN.G_ACTOR] = actor
    return n + 1


def spray_points(scene: Scene, cam: Camera, look: Look, own: np.ndarray) -> np.ndarray:
    """Spray thrown up behind the rear wheels of vehicles faster than SPRAY_MIN_MPS on a
    wet road in rain, denser with speed and rain (FN.add_spray points)."""
    if cam.orthographic or look.rain <= 0.0:
        return np.zeros((0, FN.S_COUNT))
    out = np.empty((2 * len(scene.names), FN.S_COUNT))
    grey = np.clip(np.array(look.fog_rgb) * 0.5 + 110.0 * (sum(look.ambient) / 3 / 0.62), 0, 255)
    count = _spray_points(scene.kind, kind_tables().vehicle, scene.speed, own, scene.x, scene.y,
                          scene.heading, scene.length, scene.width, cam.block(), look.rain,
                          grey, out)
    return out[:count]


@kernel
def _spray_points(kind, vehicle, speed, own, x, y, heading, length, width, cam, rain, grey,
                  out):
    """Fill out with the spray points of spray_points; returns their count."""
    n = 0
    for i in range(kind.shape[0]):
        if not (vehicle[kind[i]] and speed[i] > SPRAY_MIN_MPS) or own[i]:
            continue
        c, s = math.cos(heading[i]), math.sin(heading[i])
        back = length[i] / 2 + 0.8
        for side in (0.35, -0.35):
            off = side * width[i]
            wx = x[i] - c * back - s * off
            wy = y[i] - s * back + c * off
            wz = 0.45
            px = cam[B.C_R] * wx + cam[B.C_R + 1] * wy + cam[B.C_R + 2] * wz + cam[B.C_T]
            py = cam[B.C_R + 3] * wx + cam[B.C_R + 4] * wy + cam[B.C_R + 5] * wz + cam[B.C_T + 1]
            pz = cam[B.C_R + 6] * wx + cam[B.C_R + 7] * wy + cam[B.C_R + 8] * wz + cam[B.C_T + 2]
            if not pz > 1.0:
                continue
            out[n, FN.S_U] = cam[B.C_FX] * px / pz + cam[B.C_CX]
            out[n, FN.S_V] = cam[B.C_FY] * py / pz + cam[B.C_CY]
            out[n, FN.S_Z] = pz
            out[n, FN.S_RADIUS] = min(120.0, max(2.0, cam[B.C_FX] * 1.1 / pz))
            out[n, FN.S_ALPHA] = min(0.55, max(0.0, rain * speed[i] / 45.0))
            out[n, FN.S_R] = grey[0]
            out[n, FN.S_G] = grey[1]
            out[n, FN.S_B] = grey[2]
            n += 1
    return n

