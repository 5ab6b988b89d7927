"""Geometry kernels: oriented boxes, polylines and polygons.

A box is given by its centre (x, y), the cosine and sine of its heading and its
half length / half width (m). Passing cos/sin instead of the heading keeps the
trigonometry out of the pair loops.
"""

from __future__ import annotations

import math

import numpy as np

from simdrive.core._jit import inline_kernel, kernel
from simdrive.core.layout import AREA_DRIVABLE, AREA_PARKING

INF = math.inf


@kernel
def boxes_overlap(x1, y1, c1, s1, hl1, hw1, x2, y2, c2, s2, hl2, hw2):
    """True if two oriented boxes intersect (separating-axis test, touching counts)."""
    dx = x2 - x1
    dy = y2 - y1
    for k in range(4):
        ux, uy, r = separating_axis(k, c1, s1, hl1, hw1, c2, s2, hl2, hw2)
        if abs(dx * ux + dy * uy) > r:
            return False
    return True


@inline_kernel
def separating_axis(k, c1, s1, hl1, hw1, c2, s2, hl2, hw2):
    """Candidate axis k (0-3: the two boxes' edge normals) and the boxes' summed
    half-extents along it."""
    if k == 0:
        ux, uy = c1, s1
    elif k == 1:
        ux, uy = -s1, c1
    elif k == 2:
        ux, uy = c2, s2
    else:
        ux, uy = -s2, c2
    r = (hl1 * abs(ux * c1 + uy * s1) + hw1 * abs(-ux * s1 + uy * c1)
         + hl2 * abs(ux * c2 + uy * s2) + hw2 * abs(-ux * s2 + uy * c2))
    return ux, uy, r


@inline_kernel
def _corner_box_distance2(ax, ay, ac, as_, ahl, ahw, bx, by, bc, bs, bhl, bhw):
    """Smallest squared distance (m^2) from a corner of box A to box B.

    Each corner goes into B's frame, where the distance to the box is that to an
    axis-aligned rectangle: no division, no square root.
    """
    best = INF
    for k in range(4):
        sl = ahl if (k == 0 or k == 3) else -ahl
        sw = ahw if (k == 0 or k == 1) else -ahw
        dx = ax + sl * ac - sw * as_ - bx
        dy = ay + sl * as_ + sw * ac - by
        ex = max(abs(dx * bc + dy * bs) - bhl, 0.0)
        ey = max(abs(-dx * bs + dy * bc) - bhw, 0.0)
        d2 = ex * ex + ey * ey
        if d2 < best:
            best = d2
    return best


@kernel
def boxes_distance(x1, y1, c1, s1, hl1, hw1, x2, y2, c2, s2, hl2, hw2):
    """Shortest distance between two oriented boxes in m (0 if they intersect).

    Two disjoint convex polygons are closest at a vertex of one of them, so the
    distance is the smaller of the corner-to-box distances both ways.
    """
    if boxes_overlap(x1, y1, c1, s1, hl1, hw1, x2, y2, c2, s2, hl2, hw2):
        return 0.0
    a = _corner_box_distance2(x1, y1, c1, s1, hl1, hw1, x2, y2, c2, s2, hl2, hw2)
    b = _corner_box_distance2(x2, y2, c2, s2, hl2, hw2, x1, y1, c1, s1, hl1, hw1)
    return math.sqrt(min(a, b))


@kernel
def boxes_time_to_collision(
    x1, y1, c1, s1, hl1, hw1, vx1, vy1, x2, y2, c2, s2, hl2, hw2, vx2, vy2
):
    """Time in s until two boxes moving at constant velocity (no rotation) touch.

    0 if they already intersect, inf if they never do. Exact for translating
    convex shapes: on every separating axis the projections overlap during an
    interval of time; contact is the latest entry if it precedes the earliest
    exit.
    """
    dx = x2 - x1
    dy = y2 - y1
    wx = vx2 - vx1
    wy = vy2 - vy1
    t_enter = -INF
    t_exit = INF
    for j in range(4):
        k = (j + 1) % 4  # lateral axes first: in traffic they separate most pairs
        ux, uy, r = separating_axis(k, c1, s1, hl1, hw1, c2, s2, hl2, hw2)
        p = dx * ux + dy * uy
        q = wx * ux + wy * uy
        if q == 0.0:
            if abs(p) > r:
                return INF
            continue
        ta = (-r - p) / q
        tb = (r - p) / q
        if ta > tb:
            ta, tb = tb, ta
        if ta > t_enter:
            t_enter = ta
        if tb < t_exit:
            t_exit = tb
        if t_enter > t_exit or t_exit < 0.0:  # the overlap intervals already miss
            return INF
    return max(t_enter, 0.0)


@kernel
def segment_hits_box(ax, ay, bx, by, x, y, c, s, hl, hw):
    """True if the segment A-B passes through the oriented box (slab test)."""
    # segment in the box frame
    px = (ax - x) * c + (ay - y) * s
    py = -(ax - x) * s + (ay - y) * c
    qx = (bx - x) * c + (by - y) * s
    qy = -(bx - x) * s + (by - y) * c
    t0 = 0.0
    t1 = 1.0
    for axis in range(2):
        if axis == 0:
            p, d, h = px, qx - px, hl
        else:
            p, d, h = py, qy - py, hw
        if d == 0.0:
            if abs(p) > h:
                return False
            continue
        ta = (-h - p) / d
        tb = (h - p) / d
        if ta > tb:
            ta, tb = tb, ta
        t0 = max(t0, ta)
        t1 = min(t1, tb)
        if t0 > t1:
            return False
    return True


@kernel
def point_in_polygon(px, py, points, start, count):
    """Even-odd rule test of (px, py) against the polygon points[start:start+count]."""
    inside = False
    j = start + count - 1
    for i in range(start, start + count):
        xi = points[i, 0]
        yi = points[i, 1]
        xj = points[j, 0]
        yj = points[j, 1]
        if (yi > py) != (yj > py):
            x_cross = xi + (py - yi) * (xj - xi) / (yj - yi)
            if px < x_cross:
                inside = not inside
        j = i
    return inside


@inline_kernel
def segment_project(points, cum_s, start, px, py):
    """(s, d) in m of (px, py) on a one-segment polyline (a straight lane): arc length,
    extrapolated at both ends, and signed lateral offset (left positive)."""
    ex = points[start + 1, 0] - points[start, 0]
    ey = points[start + 1, 1] - points[start, 1]
    seg_len = cum_s[start + 1] - cum_s[start]
    dx = px - points[start, 0]
    dy = py - points[start, 1]
    s = cum_s[start] + (dx * ex + dy * ey) / seg_len
    return s, (ex * dy - ey * dx) / seg_len


@kernel
def polyline_project(points, cum_s, start, count, px, py, seg_hint):
    """Project (px, py) onto a polyline, searching from a segment hint.

    Returns (s, d, seg): arc length s (m, extrapolated beyond the ends), signed
    lateral offset d (m, left of the direction of travel positive) and the
    segment index (0 .. count-2) of the nearest point. The search walks from
    ``seg_hint`` towards the point while its projection falls outside the
    current segment, then settles on the nearest of that segment and its two
    neighbours, so a point that moved a little costs O(1).
    """
    nseg = count - 1
    seg = min(max(seg_hint, 0), nseg - 1)
    if nseg == 1:
        s, d = segment_project(points, cum_s, start, px, py)
        return s, d, 0
    for _ in range(count + 1):
        i = start + seg
        ex = points[i + 1, 0] - points[i, 0]
        ey = points[i + 1, 1] - points[i, 1]
        t = ((px - points[i, 0]) * ex + (py - points[i, 1]) * ey) / (ex * ex + ey * ey)
        if t > 1.0 and seg < nseg - 1:
            seg += 1
        elif t < 0.0 and seg > 0:
            seg -= 1
        else:
            break
    best = INF
    best_seg = seg
    best_t = 0.0
    for k in range(max(seg - 1, 0), min(seg + 2, nseg)):
        i = start + k
        ex = points[i + 1, 0] - points[i, 0]
        ey = points[i + 1, 1] - points[i, 1]
        t = ((px - points[i, 0]) * ex + (py - points[i, 1]) * ey) / (ex * ex + ey * ey)
        if k > 0:  # only the end segments extend beyond the polyline
            t = max(t, 0.0)
        if k < nseg - 1:
            t = min(t, 1.0)
        qx = points[i, 0] + t * ex - px
        qy = points[i, 1] + t * ey - py
        dist2 = qx * qx + qy * qy
        if dist2 < best:
            best = dist2
            best_seg = k
            best_t = t
    i = start + best_seg
    ex = points[i + 1, 0] - points[i, 0]
    ey = points[i + 1, 1] - points[i, 1]
    s = cum_s[i] + best_t * (cum_s[i + 1] - cum_s[i])
    cross = ex * (py - points[i, 1]) - ey * (px - points[i, 0])
    d = math.sqrt(best)
    return s, (d if cross >= 0.0 else -d), best_seg


@kernel
def polyline_pose(points, cum_s, start, count, s, seg_hint):
    """Point and heading at arc length s (m) on a polyline.

    Returns (x, y, heading, seg). Beyond the ends the first/last segment is
    extended in a straight line.
    """
    nseg = count - 1
    seg = min(max(seg_hint, 0), nseg - 1)
    while seg < nseg - 1 and s > cum_s[start + seg + 1]:
        seg += 1
    while seg > 0 and s < cum_s[start + seg]:
        seg -= 1
    i = start + seg
    ax = points[i, 0]
    ay = points[i, 1]
    ex = points[i + 1, 0] - ax
    ey = points[i + 1, 1] - ay
    seg_len = cum_s[i + 1] - cum_s[i]
    t = (s - cum_s[i]) / seg_len
    return ax + t * ex, ay + t * ey, math.atan2(ey, ex), seg


@kernel
def first_overlap(x, y, c, s, hl, hw, boxes, count):
    """Index of the first of ``boxes[:count]`` (rows x, y, cos, sin, half length, half
    width) that the given box overlaps, or -1."""
    for k in range(count):
        if boxes_overlap(x, y, c, s, hl, hw, boxes[k, 0], boxes[k, 1], boxes[k, 2],
                         boxes[k, 3], boxes[k, 4], boxes[k, 5]):
            return k
    return -1


@inline_kernel
def _inside_area_of_kind(qx, qy, points, starts, counts, kinds, kind):
    """True if (qx, qy) lies inside any area of ``kind``."""
    for a in range(starts.shape[0]):
        if kinds[a] == kind and point_in_polygon(qx, qy, points, np.int64(starts[a]),
                                                  np.int64(counts[a])):
            return True
    return False


@kernel
def last_inside_along(px, py, ux, uy, max_len, step, points, starts, counts, kinds, kind):
    """Largest distance t <= max_len (m, in ``step`` increments) at which the point
    (px, py) + t (ux, uy) lies inside an area of ``kind``; -1 if it never does.

    The same answer as testing every step, at the cost of a few: beyond the farthest
    projection of an edge that reaches the line (within 1 um) the point crosses no edge,
    so it is inside there exactly when it is inside at max_len. Only the steps up to
    that projection are tested, from the far end back.
    """
    n_steps = int(max_len / step)
    t = n_steps * step
    if _inside_area_of_kind(px + t * ux, py + t * uy, points, starts, counts, kinds, kind):
        return t
    far = -INF  # m along the line
    for a in range(starts.shape[0]):
        if kinds[a] != kind:
            continue
        j = starts[a] + counts[a] - 1
        for i in range(starts[a], starts[a] + counts[a]):
            ix = points[i, 0] - px
            iy = points[i, 1] - py
            jx = points[j, 0] - px
            jy = points[j, 1] - py
            side_i = ix * uy - iy * ux
            side_j = jx * uy - jy * ux
            j = i
            if (side_i > 1e-6 and side_j > 1e-6) or (side_i < -1e-6 and side_j < -1e-6):
                continue  # the edge stays on one side of the line
            far = max(far, ix * ux + iy * uy, jx * ux + jy * uy)
    if far < -step:
        return -1.0
    for k in range(min(n_steps - 1, int(far / step) + 2), -1, -1):
        t = k * step
        if _inside_area_of_kind(px + t * ux, py + t * uy, points, starts, counts, kinds, kind):
            return t
    return -1.0


@kernel
def on_road(x, y, area_points, area_start, area_npoints, area_kind):
    """Whether (x, y) lies on the road: a drivable area or a parking strip (True on a map
    with no drivable area, which has no road edge to leave)."""
    any_road = False
    for k in range(area_start.shape[0]):
        if area_kind[k] == AREA_DRIVABLE or area_kind[k] == AREA_PARKING:
            any_road = any_road or area_kind[k] == AREA_DRIVABLE
            if point_in_polygon(x, y, area_points, np.int64(area_start[k]),
                                np.int64(area_npoints[k])):
                return True
    return not any_road


@kernel
def on_drivable(x, y, area_points, area_start, area_npoints, area_kind):
    """Whether (x, y) lies in a drivable area (a parking strip is not one)."""
    for k in range(area_start.shape[0]):
        if area_kind[k] == AREA_DRIVABLE and point_in_polygon(
                x, y, area_points, np.int64(area_start[k]), np.int64(area_npoints[k])):
            return True
    return False
