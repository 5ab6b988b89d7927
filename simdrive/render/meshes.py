"""Low-poly 3D shapes of the actor kinds, generated from part lists.

Every shape lives in the actor's normalised box: x in [-0.5, 0.5] times its
length (forward), y in [-0.5, 0.5] times its width (left), z in [0, 1] times
its height, so a shape scaled by an actor's dimensions never leaves its 3D
bounding box (the box the labels are computed from). Parts are boxes and
upright prisms (and a low-poly sphere, the ball); each has a colour role (the actor's
body colour, glass, tyres, skin, lights ...). Faces are flat convex polygons (box sides,
prism sides and caps, sphere panels), wound counter-clockwise seen from outside, so the
rasterizer can drop back faces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from simdrive.world.actors import actor_kinds

# colour roles
BODY, GLASS, TYRE, SKIN, TROUSERS, HEADLIGHT, TAILLIGHT, CARGO, HELMET, FUR_DARK, \
    SIGNAL_RED, SIGNAL_AMBER, SIGNAL_GREEN, HOUSING = range(14)

ROLE_COLOURS = np.array([
    (0, 0, 0),  # BODY: the actor's own colour
    (55, 70, 85),  # GLASS
    (28, 28, 30),  # TYRE
    (222, 170, 138),  # SKIN
    (42, 48, 72),  # TROUSERS (denim)
    (225, 225, 215),  # HEADLIGHT, lit: LIGHT_COLOURS
    (150, 20, 20),  # TAILLIGHT
    (215, 215, 208),  # CARGO (box body of a truck)
    (32, 32, 36),  # HELMET
    (70, 50, 35),  # FUR_DARK (legs, heads of animals)
    (70, 22, 20),  # SIGNAL_RED, off (on: raster.SIGNAL_ON_RGB)
    (70, 55, 18),  # SIGNAL_AMBER, off
    (18, 60, 30),  # SIGNAL_GREEN, off
    (32, 33, 35),  # HOUSING of a traffic signal head
], dtype=np.float64)
"""sRGB colour of each role; BODY takes the actor's colour."""

EMISSIVE_HEAD, EMISSIVE_TAIL = HEADLIGHT, TAILLIGHT


def _box(x0, x1, y0, y1, z0, z1, role):
    return ("box", (x0, x1, y0, y1, z0, z1), role)


def _prism(sides, z0, z1, role):
    return ("prism", (sides, z0, z1), role)


def _sphere(segments, bands, parity, role):
    """The faces of a low-poly sphere filling the box whose longitude segment k has
    k % 2 == parity (two parts of different roles make a ball of two-colour panels)."""
    return ("sphere", (segments, bands, parity), role)


def _wheels(front, rear, half_track, width, radius, z_top=None):
    z1 = radius if z_top is None else z_top
    return [_box(x - 0.08, x + 0.08, s * half_track - width / 2, s * half_track + width / 2,
                 0.0, z1, TYRE) for x in (front, rear) for s in (1, -1)]


def _lights(z0, z1, y_out, y_in):
    parts = []
    for s in (1, -1):
        y = sorted((s * y_in, s * y_out))
        parts.append(_box(0.49, 0.5, y[0], y[1], z0, z1, HEADLIGHT))
        parts.append(_box(-0.5, -0.49, y[0], y[1], z0, z1, TAILLIGHT))
    return parts


def _person(head_z0, head_half_width, torso_z0):
    return [
        _box(-0.3, 0.3, 0.06, 0.4, 0.0, torso_z0, TROUSERS),
        _box(-0.3, 0.3, -0.4, -0.06, 0.0, torso_z0, TROUSERS),
        _box(-0.45, 0.45, -0.4, 0.4, torso_z0, head_z0 - 0.03, BODY),
        _box(-0.35, 0.35, 0.4, 0.5, torso_z0 + 0.02, head_z0 - 0.06, BODY),
        _box(-0.35, 0.35, -0.5, -0.4, torso_z0 + 0.02, head_z0 - 0.06, BODY),
        _box(-0.4, 0.4, -head_half_width, head_half_width, head_z0, 1.0, SKIN),
    ]


def _quadruped(body, head, leg_top):
    legs = [_box(x - 0.07, x + 0.07, s * 0.3 - 0.08, s * 0.3 + 0.08, 0.0, leg_top, FUR_DARK)
            for x in (0.18, -0.25) for s in (1, -1)]
    return [_box(*body, BODY), _box(*head, BODY), *legs]


PARTS = {
    "car": [
        _box(-0.49, 0.49, -0.49, 0.49, 0.12, 0.56, BODY),
        _box(-0.33, 0.2, -0.46, 0.46, 0.56, 0.93, GLASS),
        _box(-0.31, 0.15, -0.43, 0.43, 0.93, 1.0, BODY),
        *_wheels(0.31, -0.31, 0.43, 0.14, 0.32),
        *_lights(0.4, 0.5, 0.44, 0.28),
    ],
    "van": [
        _box(-0.49, 0.42, -0.49, 0.49, 0.1, 1.0, BODY),
        _box(0.42, 0.49, -0.49, 0.49, 0.1, 0.5, BODY),
        _box(0.05, 0.46, -0.5, 0.5, 0.52, 0.9, GLASS),
        *_wheels(0.3, -0.32, 0.42, 0.15, 0.3),
        *_lights(0.32, 0.42, 0.45, 0.3),
    ],
    "truck": [
        _box(0.22, 0.49, -0.48, 0.48, 0.1, 0.85, BODY),
        _box(0.3, 0.5, -0.5, 0.5, 0.5, 0.78, GLASS),
        _box(-0.49, 0.2, -0.5, 0.5, 0.14, 1.0, CARGO),
        *_wheels(0.36, -0.3, 0.42, 0.14, 0.3),
        *_lights(0.16, 0.24, 0.45, 0.3),
    ],
    "bus": [
        _box(-0.49, 0.49, -0.48, 0.48, 0.08, 1.0, BODY),
        _box(-0.46, 0.5, -0.5, 0.5, 0.42, 0.85, GLASS),
        *_wheels(0.33, -0.22, 0.42, 0.14, 0.3),
        *_lights(0.12, 0.2, 0.45, 0.32),
    ],
    "motorcycle": [
        _box(0.28, 0.5, -0.12, 0.12, 0.0, 0.42, TYRE),
        _box(-0.5, -0.28, -0.12, 0.12, 0.0, 0.42, TYRE),
        _box(-0.3, 0.3, -0.3, 0.3, 0.3, 0.6, BODY),
        _box(-0.22, 0.1, -0.5, 0.5, 0.6, 0.86, TROUSERS),
        _box(-0.14, 0.06, -0.2, 0.2, 0.86, 1.0, HELMET),
        _box(0.3, 0.34, -0.1, 0.1, 0.5, 0.58, HEADLIGHT),
        _box(-0.32, -0.28, -0.08, 0.08, 0.37, 0.43, TAILLIGHT),  # at its glow (lamps.lamp_height)
    ],
    "cyclist": [
        _box(0.22, 0.5, -0.06, 0.06, 0.0, 0.4, TYRE),
        _box(-0.5, -0.22, -0.06, 0.06, 0.0, 0.4, TYRE),
        _box(-0.22, 0.22, -0.06, 0.06, 0.25, 0.48, BODY),
        _box(-0.12, 0.08, -0.32, 0.32, 0.3, 0.56, TROUSERS),
        _box(-0.18, 0.1, -0.45, 0.45, 0.56, 0.86, BODY),
        _box(-0.08, 0.08, -0.16, 0.16, 0.87, 1.0, HELMET),
        # a lamp at the front and one at the back, just above the wheels and their glow
        # (lamps.lamp_height); unlit, a white and a red reflector
        _box(0.44, 0.5, -0.07, 0.07, 0.4, 0.46, HEADLIGHT),
        _box(-0.5, -0.44, -0.07, 0.07, 0.4, 0.46, TAILLIGHT),
    ],
    "adult": _person(head_z0=0.87, head_half_width=0.2, torso_z0=0.48),
    "child": _person(head_z0=0.8, head_half_width=0.26, torso_z0=0.45),
    "dog": [*_quadruped((-0.4, 0.3, -0.45, 0.45, 0.45, 0.8), (0.28, 0.5, -0.3, 0.3, 0.65, 1.0),
                        0.47), _box(-0.5, -0.38, -0.08, 0.08, 0.65, 0.75, BODY)],
    "deer": [*_quadruped((-0.38, 0.26, -0.45, 0.45, 0.5, 0.78), (0.3, 0.5, -0.22, 0.22, 0.84, 1.0),
                         0.52), _box(0.18, 0.32, -0.15, 0.15, 0.7, 0.9, BODY)],
    "kangaroo": [
        _box(-0.5, -0.08, -0.1, 0.1, 0.0, 0.16, BODY),
        _box(-0.1, 0.25, 0.1, 0.45, 0.0, 0.33, FUR_DARK),
        _box(-0.1, 0.25, -0.45, -0.1, 0.0, 0.33, FUR_DARK),
        _box(-0.16, 0.2, -0.42, 0.42, 0.3, 0.78, BODY),
        _box(0.02, 0.34, -0.24, 0.24, 0.8, 1.0, BODY),
    ],
    "tyre": [_prism(12, 0.0, 1.0, TYRE)],
    "debris": [_box(-0.5, 0.5, -0.5, 0.5, 0.0, 1.0, BODY)],
    "ball": [_sphere(10, 6, 0, BODY), _sphere(10, 6, 1, CARGO)],
    # scenery: a traffic signal, lamps facing +x (the traffic it controls): red on top
    "signal": [
        _box(-0.2, 0.2, -0.2, 0.2, 0.0, 0.7, BODY),
        _box(-0.5, 0.38, -0.5, 0.5, 0.7, 1.0, HOUSING),
        _box(0.38, 0.5, -0.35, 0.35, 0.91, 0.98, SIGNAL_RED),
        _box(0.38, 0.5, -0.35, 0.35, 0.815, 0.885, SIGNAL_AMBER),
        _box(0.38, 0.5, -0.35, 0.35, 0.72, 0.79, SIGNAL_GREEN),
    ],
    # scenery: a lamp post, 2 m arm towards +x, lamp head under the arm's end
    "pole": [
        _box(-0.5, -0.42, -0.4, 0.4, 0.0, 1.0, BODY),
        _box(-0.5, 0.5, -0.25, 0.25, 0.975, 1.0, BODY),
        _box(0.2, 0.5, -0.5, 0.5, 0.95, 0.975, HEADLIGHT),
    ],
}
SCENERY = ("pole", "signal")
POLE_MESH = len(actor_kinds())
"""Mesh index of the lamp post (scenery meshes follow the actor kinds)."""
SIGNAL_MESH = POLE_MESH + 1
"""Mesh index of the traffic signal (a mast, and a head of three lamps facing +x)."""


def _quad(a, b, c, d, outward):
    """Quad a-b-c-d as one face, wound counter-clockwise seen from ``outward``."""
    n = np.cross(np.subtract(b, a), np.subtract(c, a))
    if np.dot(n, outward) < 0:
        a, b, c, d = a, d, c, b
    return [(a, b, c, d)]


def _box_faces(x0, x1, y0, y1, z0, z1):
    v = {(i, j, k): (x1 if i else x0, y1 if j else y0, z1 if k else z0)
         for i in (0, 1) for j in (0, 1) for k in (0, 1)}
    faces = []
    for axis in range(3):
        for side in (0, 1):
            corners = [key for key in v if key[axis] == side]
            # order the 4 corners of the face around its rim
            other = [a for a in range(3) if a != axis]
            ring = sorted(corners, key=lambda c: (c[other[0]], c[other[1]]))
            ring = [ring[0], ring[1], ring[3], ring[2]]
            outward = np.zeros(3)
            outward[axis] = 1.0 if side else -1.0
            faces += _quad(*(v[c] for c in ring), outward)
    return faces


def _prism_faces(sides, z0, z1):
    ring = [(0.5 * math.cos(2 * math.pi * k / sides), 0.5 * math.sin(2 * math.pi * k / sides))
            for k in range(sides)]
    faces = []
    for k in range(sides):
        (xa, ya), (xb, yb) = ring[k], ring[(k + 1) % sides]
        mid = ((xa + xb) / 2, (ya + yb) / 2, 0.0)
        faces += _quad((xa, ya, z0), (xb, yb, z0), (xb, yb, z1), (xa, ya, z1), mid)
    # the caps: the ring counter-clockwise seen from above (top) or below (bottom)
    faces.append(tuple((x, y, z1) for x, y in ring))
    faces.append(tuple((x, y, z0) for x, y in reversed(ring)))
    return faces


def _sphere_faces(segments, bands, parity):
    """Longitude segments x latitude bands of the sphere inscribed in the box (centre
    (0, 0, 0.5), radius 0.5): triangles at the poles, quads between (an isosceles
    trapezoid: flat), wound counter-clockwise seen from outside."""
    def point(band, k):
        lat = -math.pi / 2 + math.pi * band / bands
        lon = 2 * math.pi * k / segments
        return (0.5 * math.cos(lat) * math.cos(lon), 0.5 * math.cos(lat) * math.sin(lon),
                0.5 + 0.5 * math.sin(lat))

    faces = []
    for k in range(parity, segments, 2):
        for band in range(bands):
            ring = [point(band, k), point(band, k + 1), point(band + 1, k + 1),
                    point(band + 1, k)]
            if band == 0:
                ring = ring[1:]  # the south pole once
            elif band == bands - 1:
                ring = ring[:3]  # the north pole once
            centre = np.mean(ring, axis=0) - (0.0, 0.0, 0.5)
            normal = np.cross(np.subtract(ring[1], ring[0]), np.subtract(ring[2], ring[0]))
            faces.append(tuple(ring) if np.dot(normal, centre) > 0 else tuple(reversed(ring)))
    return faces


MAX_SIDES = 12
"""The most vertices a mesh face has (a tyre's caps)."""


@dataclass(frozen=True)
class MeshTable:
    """Every kind's faces (flat convex polygons), concatenated; kind k owns rows start[k] :
    start[k] + count[k].

    faces: (F, MAX_SIDES, 3) float64, normalised box coordinates (see module doc), the
    first sides[f] rows used, counter-clockwise seen from outside. sides: (F,) int64.
    role: (F,) int64 colour role. start, count: (K,) int64, K = number of kinds in
    simdrive.world.actors order (the kind ids), then the SCENERY meshes.
    plane: (F, 4) float64, each face's plane in normalised coordinates: the cross product n
    of its edges from corner 0 to corners 1 and 2 (pointing outward, not unit length) and
    n . corner 0 (the actor pass drops back faces with it before posing any corner: an
    affine map keeps which side of a plane a point lies on). centre: (F, 3) float64, the
    mean of each face's corners (where its lights are sampled).
    """

    faces: np.ndarray
    sides: np.ndarray
    role: np.ndarray
    start: np.ndarray
    count: np.ndarray
    plane: np.ndarray
    centre: np.ndarray


@lru_cache(maxsize=1)
def build_mesh_table() -> MeshTable:
    """The mesh table of every kind (built once per process; its arrays are read-only)."""
    faces: list = []
    roles: list[int] = []
    start, count = [], []
    for name in (*actor_kinds(), *SCENERY):
        start.append(len(faces))
        for shape, args, role in PARTS[name]:
            part = {"box": _box_faces, "prism": _prism_faces,
                    "sphere": _sphere_faces}[shape](*args)
            faces += part
            roles += [role] * len(part)
        count.append(len(faces) - start[-1])
    table_faces = np.zeros((len(faces), MAX_SIDES, 3))
    plane = np.zeros((len(faces), 4))
    centre = np.zeros((len(faces), 3))
    for f, face in enumerate(faces):
        corners = np.asarray(face, dtype=np.float64)
        table_faces[f, :len(face)] = corners
        normal = np.cross(corners[1] - corners[0], corners[2] - corners[0])
        plane[f] = (*normal, normal @ corners[0])
        centre[f] = corners.mean(axis=0)
    table = MeshTable(table_faces, np.array([len(face) for face in faces], dtype=np.int64),
                      np.asarray(roles, dtype=np.int64), np.asarray(start, dtype=np.int64),
                      np.asarray(count, dtype=np.int64), plane, centre)
    for array in (table.faces, table.sides, table.role, table.start, table.count,
                  table.plane, table.centre):
        array.flags.writeable = False
    return table
