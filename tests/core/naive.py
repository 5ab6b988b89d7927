"""Plain-Python reference implementations the numba kernels are tested against.

Written for obviousness, not speed: shapely for geometry, the textbook formula
for each model.
"""

from __future__ import annotations

import math

from shapely.geometry import LineString, Point, Polygon


def box_polygon(x, y, heading, length, width):
    c, s = math.cos(heading), math.sin(heading)
    hl, hw = length / 2, width / 2
    corners = [(hl, hw), (-hl, hw), (-hl, -hw), (hl, -hw)]
    return Polygon([(x + a * c - b * s, y + a * s + b * c) for a, b in corners])


def boxes_overlap(b1, b2):
    return box_polygon(*b1).intersects(box_polygon(*b2))


def boxes_distance(b1, b2):
    return box_polygon(*b1).distance(box_polygon(*b2))


def time_to_collision(b1, v1, b2, v2, horizon=20.0, step=1e-3):
    """First time the translating boxes touch, by scanning time in small steps."""
    p1, p2 = box_polygon(*b1), box_polygon(*b2)
    if p1.intersects(p2):
        return 0.0
    from shapely.affinity import translate

    t = 0.0
    while t <= horizon:
        q1 = translate(p1, v1[0] * t, v1[1] * t)
        q2 = translate(p2, v2[0] * t, v2[1] * t)
        if q1.intersects(q2):
            return t
        t += step
    return math.inf


def segment_hits_box(a, b, box):
    return LineString([a, b]).intersects(box_polygon(*box))


def point_in_polygon(p, pts):
    return Polygon(pts).contains(Point(p))


def idm(v, v0, gap, dv, a, b, T, s0):
    """Treiber's IDM: a [1 - (v/v0)^4 - (s*/s)^2]."""
    s_star = s0 + max(0.0, v * T + v * dv / (2 * math.sqrt(a * b)))
    return a * (1 - (v / v0) ** 4 - (s_star / gap) ** 2)


def idm_equilibrium_gap(v, v0, T, s0):
    """Gap at which an IDM follower keeps a constant speed v behind a leader at v."""
    return (s0 + v * T) / math.sqrt(1 - (v / v0) ** 4)


def pure_pursuit(x, y, h, tx, ty, wheelbase):
    """Steering angle whose circle through the pose (tangent to h) passes through the target."""
    dx, dy = tx - x, ty - y
    alpha = math.atan2(dy, dx) - h
    ld = math.hypot(dx, dy)
    return math.atan(2 * wheelbase * math.sin(alpha) / ld)


def polyline_project(points, p):
    line = LineString(points)
    s = line.project(Point(p))
    return s, line.distance(Point(p))


def signal_state(plan, t, group):
    g0, y0, r0, g1, y1, r1 = plan
    cycle = sum(plan)
    tc = math.fmod(t, cycle)
    phases = [(0, g0, 0), (0, y0, 1), (None, r0, 2), (1, g1, 0), (1, y1, 1), (None, r1, 2)]
    start = 0.0
    for owner, length, colour in phases:
        if start <= tc < start + length:
            return colour if owner == group else 2
        start += length
    return 2


def last_inside_along(px, py, ux, uy, max_len, step, points, starts, counts, kinds, kind,
                      inside):
    """Every step tested, with the point test ``inside(qx, qy, points, start, count)``."""
    last = -1.0
    for k in range(int(max_len / step) + 1):
        t = k * step
        if any(kinds[a] == kind and inside(px + t * ux, py + t * uy, points, starts[a], counts[a])
               for a in range(len(starts))):
            last = t
    return last


def lane_pose(points, s):
    """Point and heading at arc length s (0 <= s <= length) m along a polyline."""
    line = LineString(points)
    p = line.interpolate(s)
    for a, b in zip(points[:-1], points[1:], strict=True):
        seg = LineString([a, b])
        if seg.distance(p) < 1e-9:
            return p.x, p.y, math.atan2(b[1] - a[1], b[0] - a[0])
    raise AssertionError("the point is on the line")


def place_actors(candidates, slot_lane, slot_ref, slot_tries, slot_extent, lanes):
    """Per variant: (x, y, heading, s, d) of each slot, or ('failed', slot, tries).

    Each slot takes its first candidate whose box, grown by the gap on every side, does
    not intersect the boxes placed before it (shapely); ``lanes`` are point lists.
    """
    out = []
    for cand in candidates:
        placed, poses = [], []
        for slot, slot_cands in enumerate(cand):
            hl, hw, gap = slot_extent[slot]
            tries = min(slot_tries[slot], len(slot_cands))
            for s, d, x, y, heading in slot_cands[:tries]:
                if slot_lane[slot] >= 0:
                    s = s + (poses[slot_ref[slot]][3] if slot_ref[slot] >= 0 else 0.0)
                    cx, cy, heading = lane_pose(lanes[slot_lane[slot]], s)
                    x, y = cx - d * math.sin(heading), cy + d * math.cos(heading)
                grown = box_polygon(x, y, heading, 2 * (hl + gap), 2 * (hw + gap))
                if not any(grown.intersects(box) for box in placed):
                    placed.append(box_polygon(x, y, heading, 2 * hl, 2 * hw))
                    poses.append((x, y, heading, s, d))
                    break
            else:
                poses = ("failed", slot, tries)
                break
        out.append(poses)
    return out
