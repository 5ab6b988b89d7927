"""How well light shows each actor to a camera: the light factor of a label's visibility
(its fog transmission times this). By day every actor is seen; at night, what the lamps
(simdrive.render.lamps.light_rows) put on the box sides the camera sees, taken as the actor
pass lights a face (simdrive.render.spot), so a label is as dark as its pixels; a moving
vehicle's own lamps show it where the camera sees them glow (lamps.lamp_facing).
"""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import inline_kernel, kernel
from simdrive.render import blocks as B
from simdrive.render.camera import Camera
from simdrive.render.finish import veil_at
from simdrive.render.lamps import kind_tables, lamp_facing, lamp_height
from simdrive.render.look import Look
from simdrive.render.scene import Scene
from simdrive.render.spot import HELD, MISSED, RINGS, lamp_at, lamp_reach

DARK_LIGHT, LIT_LIGHT = 0.06, 0.3
"""Light on an actor (ambient + lamps, in the renderer's multipliers) at which it counts as
unseen (the night sky's ambient: 3-4 grey levels on a dark background) and as fully seen
(dusk's ambient); a label's visibility scales linearly in between (actor_light)."""


DAZZLE_GREY = 128.0
"""Grey levels of a mid-grey surface per unit of light on it (the renderer's multipliers): an
actor's brightness against the veiling glare of oncoming headlights (dazzle)."""


def actor_light(scene: Scene, look: Look, cam: Camera,
                lights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two (N,) float64 per actor: how well light shows it to ``cam``, 0-1 (a label's
    visibility is its fog transmission times this), and how bright it is (the light on its
    best lit side the camera sees, in the renderer's multipliers; 2 where its own lamps glow
    at the camera, as bright as a picture gets; the ambient light by day, when no lamps are
    on), which dazzle sets against the veiling glare of lamps. The first is 1 in daylight
    and at dusk and dawn (ambient light at least LIT_LIGHT). Otherwise the larger of, for a
    moving actor with its lamps on seen by a perspective camera, how much of its head or
    tail lamps' glow the camera sees (lamps.lamp_facing: 1 within 60 degrees of their axis,
    0 side-on), and the light on the actor's best lit box side that faces the camera (the
    top alone for the bird's-eye
    camera, which draws no glow: a car from above at night is as dark as its roof): ambient
    plus every lamp, headlight and street light, each taken as the renderer lights a face
    (at the side's centre when the lamp's cone and range hold all of it, else its mean over
    three rings of samples), mapped from DARK_LIGHT (0) to LIT_LIGHT (1). So a deer beside
    the road at night, out of every beam, is dark in the picture and in its label."""
    n = len(scene.names)
    out = np.ones(n)
    ambient = sum(look.ambient) / 3.0
    if ambient >= LIT_LIGHT and not look.lights_on:  # daylight: no lamps, so no glare
        return out, np.full(n, ambient)
    bright = np.empty(n)
    p = cam.position
    tables = kind_tables()
    _actor_light(scene.x, scene.y, scene.heading, scene.length, scene.width, scene.height,
                 scene.kind, scene.lamps, tables.low_lamps, scene.moving, look.lights_on,
                 lights,
                 ambient, float(p[0]), float(p[1]), float(p[2]), cam.orthographic,
                 np.empty(lights.shape[0], np.int64), out, bright)
    if ambient >= LIT_LIGHT:  # dusk and dawn: light enough to see everything
        out[:] = 1.0
    return out, bright


@kernel
def dazzle(points, vis_box, vis_count, bright, cam, out):
    """Multiply out (N,) by how much of each actor's contrast the veiling glare of the lamps
    in ``points`` (finish.G_*, glare strengths set) leaves: B / (B + V), B the actor's
    brightness (actor_light's second array, times DAZZLE_GREY) and V the glare at the centre
    of its visible box (finish.veil_at, its own lamps left out). A dark walker beside an
    oncoming car's headlights keeps a fraction of its visibility; the car, whose lamps
    show it, most of its own."""
    for i in range(out.shape[0]):
        if vis_count[i] == 0:
            continue
        u = 0.5 * (vis_box[i, 0] + vis_box[i, 2] + 1)
        v = 0.5 * (vis_box[i, 1] + vis_box[i, 3] + 1)
        veil = veil_at(u, v, points, i, cam)
        if veil > 0.0:
            b = DAZZLE_GREY * bright[i]
            out[i] *= b / (b + veil)


@inline_kernel
def _side_lamp(lights, k, cx, cy, cz, nx, ny, nz, ax, ay, az, bx, by, bz):
    """Lamp k's light on a box side (centre c, unit outward normal n, half-extent vectors
    a and b), as the renderer lights a face (simdrive.render.spot): at the centre when the
    lamp's cone and range hold the whole side, 0 when they miss it, else the mean over
    RINGS."""
    radius = math.sqrt(ax * ax + ay * ay + az * az + bx * bx + by * by + bz * bz)
    reach = lamp_reach(lights, k, cx, cy, cz, nx, ny, nz, radius)
    if reach == MISSED:
        return 0.0
    if reach == HELD:
        return lamp_at(lights, k, cx, cy, cz, nx, ny, nz)
    total = 0.0
    weights = 0.0
    for j in range(8):  # the 4 edge middles and 4 corners, round from +a
        u = (1.0, 1.0, 0.0, -1.0, -1.0, -1.0, 0.0, 1.0)[j]
        v = (0.0, 1.0, 1.0, 1.0, 0.0, -1.0, -1.0, -1.0)[j]
        ox = u * ax + v * bx
        oy = u * ay + v * by
        oz = u * az + v * bz
        for f in RINGS:
            total += f * lamp_at(lights, k, cx + f * ox, cy + f * oy, cz + f * oz, nx, ny, nz)
            weights += f
    return total / weights


@kernel
def _actor_light(x, y, heading, length, width, height, kind, lamps, low_lamps, moving,
                 lamps_on, lights, ambient, cam_x, cam_y, cam_z, ortho, near, out, bright):
    """Fill out and bright (N,) with actor_light's factor and brightness (near: (K,) int64
    scratch)."""
    for i in range(x.shape[0]):
        c, s = math.cos(heading[i]), math.sin(heading[i])
        glow = 0.0  # how much of its own lamps' glow the camera sees
        if lamps_on and lamps[i] != 0 and moving[i] != 0 and not ortho:
            z = lamp_height(height[i], low_lamps[kind[i]])
            half = 0.5 * length[i] + 0.02
            for sign in (1.0, -1.0):  # the head lamps, the tail lamps
                glow = max(glow, lamp_facing(sign * c, sign * s, x[i] + sign * c * half,
                                             y[i] + sign * s * half, z, cam_x, cam_y, cam_z))
        if glow >= 1.0:
            out[i] = 1.0
            bright[i] = 2.0
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
        out[i] = max(glow, min(1.0, max(0.0, (best - DARK_LIGHT) / (LIT_LIGHT - DARK_LIGHT))))
        bright[i] = max(best, 2.0 * glow)
