"""Scenes built by hand for renderer tests, and independent reference computations."""

from __future__ import annotations

import math

import numpy as np

from simdrive.render import blocks as B
from simdrive.render.camera import Camera
from simdrive.render.grain import GRAIN_SD
from simdrive.render.scene import Scene
from simdrive.world.actors import actor_kind, actor_kind_id
from simdrive.world.maps import build_map

ROAD = build_map({"type": "straight", "lanes": 2, "length": 300, "parking": "right",
                  "sidewalks": "both"})


def make_scene(actors, ego=(20.0, -1.75, 0.0), time_s: float = 0.0) -> Scene:
    """A Scene with an ego car at ``ego`` (x, y, heading) and ``actors``.

    actors: (kind, x, y, heading) tuples, or (kind, x, y, heading, (l, w, h)).
    """
    rows = [("car", *ego)] + list(actors)
    names = ["ego"] + [f"{a[0]}_{k}" for k, a in enumerate(actors)]
    dims = []
    for row in rows:
        kind = actor_kind(row[0])
        dims.append(row[4] if len(row) > 4 else (kind.length, kind.width, kind.height))
    dims = np.array(dims, float)
    return Scene(
        time_s=time_s, names=tuple(names),
        x=np.array([r[1] for r in rows], float), y=np.array([r[2] for r in rows], float),
        heading=np.array([r[3] for r in rows], float), speed=np.zeros(len(rows)),
        length=dims[:, 0], width=dims[:, 1], height=dims[:, 2],
        kind=np.array([actor_kind_id(r[0]) for r in rows], np.int64),
        moving=np.ones(len(rows), np.int64),
    )


def reference_amodal_box(camera: Camera, corners_world: np.ndarray, to_image: bool = True):
    """Independent amodal box: clip each of the 6 box faces (as polygons) at the near
    plane with Sutherland-Hodgman, project what is left; not ``to_image``: the extremes
    of all of it; else the bounds of the union of the projected faces (shapely polygons)
    intersected with the image rectangle. Returns None when nothing is in front of the
    camera or (clipped) in the image."""
    from shapely.geometry import Polygon, box
    from shapely.ops import unary_union

    near = camera.spec.near_m
    pts = camera.to_camera(corners_world)
    faces = []
    for axis in range(3):
        for side in (0, 1):
            idx = [i for i in range(8) if (i >> (2 - axis)) & 1 == side]
            # order around the face: corners differ in the other two bits
            a, b = [k for k in range(3) if k != axis]
            def bit(i, k):
                return (i >> (2 - k)) & 1
            ring = sorted(idx, key=lambda i: (bit(i, a), bit(i, b)))
            faces.append([pts[ring[0]], pts[ring[1]], pts[ring[3]], pts[ring[2]]])
    kept = []
    for poly in faces:
        out = []
        for k in range(len(poly)):
            p, q = poly[k], poly[(k + 1) % len(poly)]
            if p[2] >= near:
                out.append(p)
            if (p[2] >= near) != (q[2] >= near):
                f = (near - p[2]) / (q[2] - p[2])
                out.append(p + (q - p) * f)
        if out:
            kept.append(camera.project(np.array(out)))
    if not kept:
        return None
    uv = np.concatenate(kept)
    if not to_image:
        x0, y0 = uv.min(axis=0)
        x1, y1 = uv.max(axis=0)
        return (x0, y0, x1, y1)
    shapes = [Polygon(face) for face in kept if len(face) >= 3]
    shapes = [shape for shape in shapes if shape.area > 1e-9]  # (faces seen edge-on)
    inside = unary_union(shapes).intersection(box(0, 0, camera.width, camera.height))
    if inside.is_empty or inside.area <= 0:
        return None
    return inside.bounds



def analytic_ground_depth(camera: Camera, col: int, row: int) -> float:
    """Camera z (m) where the ray through pixel centre (col, row) meets the ground z = 0."""
    k = camera.intrinsics
    ray_cam = np.array([(col + 0.5 - k[0, 2]) / k[0, 0], (row + 0.5 - k[1, 2]) / k[1, 1], 1.0])
    ray_world = camera.rotation.T @ ray_cam
    if ray_world[2] >= 0:
        return math.inf
    return camera.position[2] / -ray_world[2]


MASK64 = (1 << 64) - 1


def reference_grain(rgb, sem, coarse, blotched):
    """grain_texels in plain Python: splitmix64 of the texel index, four 16-bit
    uniforms summed, centred and scaled, plus the coarse field on the blotched class."""
    h, w = sem.shape
    out = np.empty_like(rgb)
    scale = np.float32(GRAIN_SD * 3.0 ** 0.5)
    for r in range(h):
        for c in range(w):
            z = (r * w + c + 0x9E3779B97F4A7C15) & MASK64
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            z ^= z >> 31
            s = sum((z >> shift) & 0xFFFF for shift in (0, 16, 32, 48))
            d = (np.float32(s) * np.float32(1 / 65536) - np.float32(2)) * scale
            if sem[r, c] == blotched:
                d = np.float32(d + coarse[r, c])
            for k in range(3):
                out[r, c, k] = int(min(max(np.float32(rgb[r, c, k]) + d, 0.0), 255.0))
    return out


def reference_tiled(rgb, sem):
    """The 8 x 8 tiled words of a level with numpy reshapes (padding texels 0)."""
    h, w = sem.shape
    th, tw = -(-h // 8), -(-w // 8)
    r, g, b = (rgb[..., k].astype(np.uint32) for k in range(3))
    words = np.zeros((th * 8, tw * 8), np.uint32)
    words[:h, :w] = (sem.astype(np.uint32) << 24) | (r << 16) | (g << 8) | b
    return words.reshape(th, 8, tw, 8).transpose(0, 2, 1, 3).ravel()


def reference_light(scene: Scene, look, camera: Camera, lights: np.ndarray,
                    grid: int = 24, brightness: bool = False):
    """Independent per-actor light factor of a label's visibility, from its definition
    (README, Labels): 1 by day and at dusk; else the larger of a moving lit vehicle's lamp
    glow as a perspective camera sees it (min(1, max(0, 2 cos)) of the angle between the
    head or tail lamps' axis and the camera, from the lamp at the face's centre, 0.02 m
    out, at the lamp height) and the light on the best-lit box side the camera sees (the
    top alone for the bird's-eye camera): ambient plus each lamp's mean over the side
    (range fall-off squared, cone, cosine of incidence), here averaged over a fine
    ``grid`` x ``grid`` of the side where the renderer samples three rings; mapped from
    0.06 (0) to 0.3 (1). ``brightness``: also the actor's brightness against glare (the
    light on that best side; 2 where its lamps glow fully at the camera, else at least
    twice the glow; the ambient light by day, with no lamps on; at dusk and dawn the
    factor is 1 but the brightness is still worked out)."""
    from simdrive.render.lamps import kind_tables

    ambient = sum(look.ambient) / 3
    out = np.ones(len(scene.names))
    bright = np.full(len(scene.names), ambient)
    if ambient >= 0.3 and not look.lights_on:
        return (out, bright) if brightness else out
    eye = np.asarray(camera.position, float)
    steps = (np.arange(grid) + 0.5) / grid * 2 - 1  # cell centres over -1..1
    for i in range(len(scene.names)):
        h = scene.heading[i]
        fwd, left = np.array([np.cos(h), np.sin(h), 0.0]), np.array([-np.sin(h), np.cos(h), 0.0])
        up = np.array([0.0, 0.0, 1.0])
        glow = 0.0
        tables = kind_tables()
        if look.lights_on and tables.vehicle[scene.kind[i]] and scene.moving[i] \
                and not camera.orthographic:
            lamp_z = (0.2 * scene.height[i] + 0.3 if tables.low_lamps[scene.kind[i]]
                      else 0.45 * scene.height[i])
            for axis in (fwd, -fwd):
                lamp = np.array([scene.x[i], scene.y[i], lamp_z]) \
                    + axis * (scene.length[i] / 2 + 0.02)
                to_eye = (eye - lamp) / np.linalg.norm(eye - lamp)
                glow = max(glow, min(1.0, max(0.0, 2 * float(to_eye @ axis))))
        base = np.array([scene.x[i], scene.y[i], 0.0])
        hl, hw, hh = scene.length[i] / 2, scene.width[i] / 2, scene.height[i] / 2
        sides = [(fwd, base + fwd * hl + up * hh, left * hw, up * hh),
                 (-fwd, base - fwd * hl + up * hh, left * hw, up * hh),
                 (left, base + left * hw + up * hh, fwd * hl, up * hh),
                 (-left, base - left * hw + up * hh, fwd * hl, up * hh),
                 (up, base + up * 2 * hh, fwd * hl, left * hw)]
        best = ambient
        for k, (normal, centre, a, b) in enumerate(sides):
            seen = k == 4 if camera.orthographic else (eye - centre) @ normal > 0
            if not seen:
                continue
            points = (centre[None, None] + steps[:, None, None] * a[None, None]
                      + steps[None, :, None] * b[None, None]).reshape(-1, 3)
            light = 0.0
            for lamp in lights:
                d = points - lamp[B.L_X:B.L_Z + 1]
                dist = np.linalg.norm(d, axis=1)
                axis = lamp[B.L_DX:B.L_DZ + 1]
                incidence = -(d @ normal) / np.maximum(dist, 1e-9)
                lit = ((dist >= 1e-6) & (dist < lamp[B.L_RANGE])
                       & (d @ axis >= lamp[B.L_COS] * dist) & (incidence > 0))
                gain = np.where(lit, (1 - dist / lamp[B.L_RANGE]) ** 2 * incidence, 0.0)
                light += gain.mean() * lamp[B.L_R:B.L_B + 1].mean()
            best = max(best, ambient + light)
        out[i] = 1.0 if ambient >= 0.3 else max(glow, min(1.0, max(0.0, (best - 0.06)
                                                                    / (0.3 - 0.06))))
        bright[i] = 2.0 if glow >= 1.0 else max(best, 2.0 * glow)
    return (out, bright) if brightness else out


def reference_dazzle(scene: Scene, look, camera: Camera, frame, bright: np.ndarray) -> np.ndarray:
    """Independent per-actor share of visibility the veiling glare of oncoming headlights
    leaves (README, Labels): B / (B + V), B = 128 x the actor's brightness, V the sum over
    every other moving lit vehicle's headlights in the image and not hidden (the depth
    buffer at the lamp's pixel no nearer than 0.3 m in front of it) of
    200 x min(1, 0.1 / ambient) x (1 + rain) x E / theta^2, E = 500 cd x the
    lamp's gain (a bicycle's 0.35) x its facing x the air's transmission / d^2 (lux at the
    camera), theta the angle (degrees, at least 0.5) between the rays through the lamp and
    the centre of the actor's visible box, each term where it is half a grey level or more."""
    from simdrive.render.lamps import kind_tables

    out = np.ones(len(scene.names))
    if not look.lights_on or camera.orthographic:
        return out
    tables = kind_tables()
    eye = np.asarray(camera.position, float)
    h, w = frame.depth.shape
    gain = 200.0 * min(1.0, 0.1 / (sum(look.ambient) / 3)) * (1.0 + look.rain)
    own = scene.index(camera.spec.mount)
    sources = []  # (u, v, strength, actor)
    for i in range(len(scene.names)):
        if i == own or not (scene.lamps[i] and scene.moving[i]):
            continue
        k = scene.kind[i]
        c, s_ = np.cos(scene.heading[i]), np.sin(scene.heading[i])
        z = 0.2 * scene.height[i] + 0.3 if tables.low_lamps[k] else 0.45 * scene.height[i]
        for off in ((0.0,) if tables.one_lamp[k] else (0.36, -0.36)):
            lamp = np.array([scene.x[i] + c * (scene.length[i] / 2 + 0.02)
                             - s_ * off * scene.width[i],
                             scene.y[i] + s_ * (scene.length[i] / 2 + 0.02)
                             + c * off * scene.width[i], z])
            d = float(np.linalg.norm(eye - lamp))
            facing = min(1.0, max(0.0, 2.0 * float((eye - lamp)[:2] @ [c, s_]) / d))
            p = camera.to_camera(lamp)
            if facing <= 0.0 or p[2] <= camera.spec.near_m:
                continue
            u, v = camera.project(p)
            if not (0 <= u < w and 0 <= v < h) or frame.depth[int(v), int(u)] < p[2] - 0.3:
                continue
            lux = 500.0 * tables.lamp_gain[k] * facing * np.exp(
                -3.0 * d / look.fog_visibility_m) / max(d * d, 1.0)
            sources.append((u, v, gain * lux, i))
    k_inv = np.linalg.inv(camera.intrinsics)

    def ray(u, v):
        r = k_inv @ [u, v, 1.0]
        return r / np.linalg.norm(r)

    for lab in frame.labels:
        if lab.visible_box is None:
            continue
        x0, y0, x1, y1 = lab.visible_box
        centre = ray((x0 + x1) / 2, (y0 + y1) / 2)
        veil = 0.0
        for u, v, g, a in sources:
            theta = np.degrees(np.arccos(np.clip(centre @ ray(u, v), -1.0, 1.0)))
            term = g / max(theta * theta, 0.25)
            if a != lab.track_id and term >= 0.5:  # as far out as the picture draws it
                veil += term
        b = 128.0 * bright[lab.track_id]
        out[lab.track_id] = b / (b + veil)
    return out
