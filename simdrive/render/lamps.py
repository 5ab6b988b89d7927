"""Lamps and what they do to the picture: headlights, tail lights, street lamps, spray.

Built per frame by small kernels over all actors: the spot lights that light
the ground and the actors (``light_rows``, the raster kernels' L_* rows), the halo
points of lit lamps with their wet-road reflections (``glow_points``, finish.G_*), and
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
from simdrive.core.lanes import signal_state
from simdrive.render import blocks as B
from simdrive.render import finish as FN
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
    """(K, L_COUNT) lights: two headlights per moving vehicle (one per motorcycle), in
    slot order, then the street lamps near the camera."""
    tables = kind_tables()
    n_cars = 2 * len(scene.names) if look.lights_on else 0
    out = np.empty((n_cars + (len(posts) if look.street_lights_on else 0), B.L_COUNT))
    # headlights stand out less in twilight than in the dark
    gain = HEADLIGHT_GAIN * max(0.15, 1.0 - sum(look.ambient) / 3 / 0.62)
    p = cam.position
    count = _light_rows(scene.kind, tables.vehicle, tables.motorcycle, scene.moving, scene.x,
                        scene.y, scene.heading, scene.length, scene.width, posts,
                        look.lights_on, look.street_lights_on, p[0], p[1], gain, out)
    return out[:count]


@kernel
def _light_rows(kind, vehicle, motorcycle, moving, x, y, heading, length, width, posts,
                cars_on, posts_on, cam_x, cam_y, gain, out):
    """Fill out with the light rows of light_rows; returns their count."""
    n = 0
    cone = math.cos(math.radians(HEADLIGHT_HALF_ANGLE_DEG))
    for i in range(kind.shape[0] if cars_on else 0):
        if not (vehicle[kind[i]] and moving[i] != 0):
            continue
        if math.hypot(x[i] - cam_x, y[i] - cam_y) > LIGHT_RANGE_M:
            continue
        c, s = math.cos(heading[i]), math.sin(heading[i])
        half = length[i] / 2
        for side in (0.3, -0.3):
            off = 0.0 if motorcycle[kind[i]] else side * width[i]
            out[n, B.L_X] = x[i] + c * half - s * off
            out[n, B.L_Y] = y[i] + s * half + c * off
            out[n, B.L_Z] = 0.7
            out[n, B.L_DX] = c * 0.995
            out[n, B.L_DY] = s * 0.995
            out[n, B.L_DZ] = -0.0999
            out[n, B.L_COS] = cone
            out[n, B.L_RANGE] = HEADLIGHT_RANGE_M
            out[n, B.L_R] = gain
            out[n, B.L_G] = gain * 0.97
            out[n, B.L_B] = gain * 0.88
            out[n, B.L_RAMP] = 3.0
            n += 1
            if motorcycle[kind[i]]:
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
    """Halo points of lit lamps (head, tail, street) in the image, except the camera's own.

    Per lit vehicle in slot order: left head, left tail, right head, right tail;
    then the street lamps.
    """
    if cam.orthographic or not (look.lights_on or look.street_lights_on):
        return np.zeros((0, FN.G_COUNT))
    tables = kind_tables()
    n_cars = 4 * len(scene.names) if look.lights_on else 0
    out = np.empty((n_cars + (len(posts) if look.street_lights_on else 0), FN.G_COUNT))
    count = _glow_points(scene.kind, tables.vehicle, tables.low_lamps, scene.moving, own,
                         scene.x, scene.y, scene.heading, scene.length, scene.width,
                         scene.height, posts, look.lights_on, look.street_lights_on,
                         cam.block(), float(cam.spec.near_m),
                         1.0 if look.lighting == "night" else 0.6, look.surface == "wet", out)
    return out[:count]


@kernel
def _glow_points(kind, vehicle, low_lamps, moving, own, x, y, heading, length, width, height,
                 posts, cars_on, posts_on, cam, near, dim, wet, out):
    """Fill out with the halo points of glow_points; returns their count."""
    n = 0
    for i in range(kind.shape[0] if cars_on else 0):
        if not (vehicle[kind[i]] and moving[i] != 0) or own[i]:
            continue
        c, s = math.cos(heading[i]), math.sin(heading[i])
        half = length[i] / 2 + 0.02
        z = 0.2 * height[i] + 0.3 if low_lamps[kind[i]] else 0.45 * height[i]
        for j in range(4):  # left head, left tail, right head, right tail
            off = (0.36 if j < 2 else -0.36) * width[i]
            sign = 1.0 if j % 2 == 0 else -1.0
            if j % 2 == 0:
                r, g, b = 255.0, 245.0, 220.0
            else:
                r, g, b = 200.0, 20.0, 10.0
            n = _glow(x[i] + sign * c * half - s * off, y[i] + sign * s * half + c * off, z,
                      r, g, b, 0.5, cam, near, dim, wet, out, n)
    for k in range(posts.shape[0] if posts_on else 0):
        n = _glow(posts[k, 0] + 0.8 * math.cos(posts[k, 2]),
                  posts[k, 1] + 0.8 * math.sin(posts[k, 2]), STREET_LIGHT_HEIGHT_M - 0.3,
                  255.0, 200.0, 130.0, 1.0, cam, near, dim, wet, out, n)
    return n


@inline_kernel
def _glow(wx, wy, wz, r, g, b, size, cam, near, dim, wet, out, n):
    """Append the halo of a lamp at world (wx, wy, wz) to out[n] if it is in front of the
    camera; returns the new count."""
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


DARK_LIGHT, LIT_LIGHT = 0.06, 0.3
"""Light on an actor (ambient + lamps, in the renderer's multipliers) at which it counts as
unseen (the night sky's ambient: 3-4 grey levels on a dark background) and as fully seen
(dusk's ambient); a label's visibility scales linearly in between (actor_light)."""


def actor_light(scene: Scene, look: Look, cam: Camera, lights: np.ndarray) -> np.ndarray:
    """(N,) float64 per actor: how well light shows it to ``cam``, 0-1 (a label's visibility
    is its fog transmission times this). 1 in daylight and at dusk (ambient light at least
    LIT_LIGHT) and for a vehicle with its lights on; otherwise the light on the actor's best
    lit box side that faces the camera (the top alone for the bird's-eye camera): ambient
    plus every lamp, headlight and street light, each taken as the renderer lights a face
    (at the side's centre when the lamp's cone and range hold all of it, else its mean over
    three rings of samples), mapped from DARK_LIGHT (0) to LIT_LIGHT (1). So a deer beside
    the road at night, out of every beam, is dark in the picture and in its label."""
    n = len(scene.names)
    out = np.ones(n)
    ambient = sum(look.ambient) / 3.0
    if ambient >= LIT_LIGHT:
        return out
    p = cam.position
    _actor_light(scene.x, scene.y, scene.heading, scene.length, scene.width, scene.height,
                 scene.kind, kind_tables().vehicle, scene.moving, look.lights_on, lights,
                 ambient, float(p[0]), float(p[1]), float(p[2]), cam.orthographic,
                 np.empty(lights.shape[0], np.int64), out)
    return out


SIDE_RINGS = (1.0 / 6.0, 0.5, 5.0 / 6.0)  # as raster.SPOT_RINGS


@inline_kernel
def _lamp_at(lights, k, px, py, pz, nx, ny, nz):
    """What lamp k puts on a point with unit normal n (raster._spot's formula)."""
    dx = px - lights[k, B.L_X]
    dy = py - lights[k, B.L_Y]
    dz = pz - lights[k, B.L_Z]
    dist = math.sqrt(dx * dx + dy * dy + dz * dz)
    rng = lights[k, B.L_RANGE]
    if dist >= rng or dist < 1e-6:
        return 0.0
    if (dx * lights[k, B.L_DX] + dy * lights[k, B.L_DY] + dz * lights[k, B.L_DZ]) \
            < lights[k, B.L_COS] * dist:
        return 0.0
    facing = -(nx * dx + ny * dy + nz * dz) / dist
    if facing <= 0.0:
        return 0.0
    fall = 1.0 - dist / rng
    return fall * fall * facing


@inline_kernel
def _side_lamp(lights, k, cx, cy, cz, nx, ny, nz, ax, ay, az, bx, by, bz):
    """Lamp k's light on a box side (centre c, unit outward normal n, half-extent vectors
    a and b), as the renderer lights a face: at the centre when the lamp's cone and range
    hold the whole side, 0 when they miss it, else the mean over SIDE_RINGS."""
    dx = cx - lights[k, B.L_X]
    dy = cy - lights[k, B.L_Y]
    dz = cz - lights[k, B.L_Z]
    dist = math.sqrt(dx * dx + dy * dy + dz * dz)
    rng = lights[k, B.L_RANGE]
    if dist < 1e-6 or nx * dx + ny * dy + nz * dz >= 0.0:
        return 0.0
    radius = math.sqrt(ax * ax + ay * ay + az * az + bx * bx + by * by + bz * bz)
    if dist - radius >= rng:
        return 0.0
    cosang = (dx * lights[k, B.L_DX] + dy * lights[k, B.L_DY] + dz * lights[k, B.L_DZ]) / dist
    cos_h = lights[k, B.L_COS]
    sin_h = math.sqrt(max(0.0, 1.0 - cos_h * cos_h))
    sin_s = radius / dist
    cos_s = math.sqrt(1.0 - sin_s * sin_s) if sin_s < 1.0 else 0.0
    if sin_s < 1.0 and cosang <= cos_h * cos_s - sin_h * sin_s:
        return 0.0
    if sin_s <= sin_h and cosang >= cos_h * cos_s + sin_h * sin_s and dist + radius < rng:
        return _lamp_at(lights, k, cx, cy, cz, nx, ny, nz)
    total = 0.0
    weights = 0.0
    for j in range(8):  # the 4 corners and 4 edge middles, round from +a+b
        u = (1.0, 1.0, 0.0, -1.0, -1.0, -1.0, 0.0, 1.0)[j]
        v = (0.0, 1.0, 1.0, 1.0, 0.0, -1.0, -1.0, -1.0)[j]
        ox = u * ax + v * bx
        oy = u * ay + v * by
        oz = u * az + v * bz
        for f in SIDE_RINGS:
            total += f * _lamp_at(lights, k, cx + f * ox, cy + f * oy, cz + f * oz, nx, ny, nz)
            weights += f
    return total / weights


@kernel
def _actor_light(x, y, heading, length, width, height, kind, vehicle, moving, lamps_on, lights,
                 ambient, cam_x, cam_y, cam_z, ortho, near, out):
    """Fill out (N,) with actor_light's factor (near: (K,) int64 scratch)."""
    for i in range(x.shape[0]):
        if lamps_on and vehicle[kind[i]] and moving[i] != 0:
            out[i] = 1.0  # its own lamps show it
            continue
        # the lights that can reach the actor's box (its bounding sphere)
        radius = 0.5 * math.sqrt(length[i] ** 2 + width[i] ** 2 + height[i] ** 2)
        n_near = 0
        for k in range(lights.shape[0]):
            dx = x[i] - lights[k, B.L_X]
            dy = y[i] - lights[k, B.L_Y]
            dz = 0.5 * height[i] - lights[k, B.L_Z]
            reach = lights[k, B.L_RANGE] + radius
            if dx * dx + dy * dy + dz * dz < reach * reach:
                near[n_near] = k
                n_near += 1
        c, s = math.cos(heading[i]), math.sin(heading[i])
        hl, hw, hh = 0.5 * length[i], 0.5 * width[i], 0.5 * height[i]
        best = ambient
        for side in range(5):  # front, back, left, right, top
            if side < 2:
                sign = 1.0 if side == 0 else -1.0
                nx, ny, nz = sign * c, sign * s, 0.0
                cx, cy, cz = x[i] + nx * hl, y[i] + ny * hl, hh
                ax, ay, az = -s * hw, c * hw, 0.0  # across the side
            elif side < 4:
                sign = 1.0 if side == 2 else -1.0
                nx, ny, nz = -sign * s, sign * c, 0.0
                cx, cy, cz = x[i] + nx * hw, y[i] + ny * hw, hh
                ax, ay, az = c * hl, s * hl, 0.0
            else:
                nx, ny, nz = 0.0, 0.0, 1.0
                cx, cy, cz = x[i], y[i], height[i]
                ax, ay, az = c * hl, s * hl, 0.0
            bx, by, bz = (-s * hw, c * hw, 0.0) if side == 4 else (0.0, 0.0, hh)
            # the camera must see the side: the bird's-eye camera the top alone
            if ortho:
                if side != 4:
                    continue
            elif (cam_x - cx) * nx + (cam_y - cy) * ny + (cam_z - cz) * nz <= 0.0:
                continue
            total = 0.0
            for j in range(n_near):
                k = near[j]
                total += _side_lamp(lights, k, cx, cy, cz, nx, ny, nz, ax, ay, az, bx, by,
                                    bz) * (lights[k, B.L_R] + lights[k, B.L_G]
                                           + lights[k, B.L_B]) / 3.0
            best = max(best, ambient + total)
        out[i] = min(1.0, max(0.0, (best - DARK_LIGHT) / (LIT_LIGHT - DARK_LIGHT)))
