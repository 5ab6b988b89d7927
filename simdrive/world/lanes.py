"""Lanes: centreline polylines with a Frenet frame (s along, d to the left).

The lateral direction at arc length s is the segment normal, blended between
the mitre vectors at the segment's two vertices. Offsetting by d therefore
moves a point exactly d m away from its segment (as in a plain projection) and
the map (s, d) -> (x, y) is continuous and one-to-one for |d| below the local
radius of curvature, so ``to_frenet(*to_world(s, d)[:2]) == (s, d)`` exactly.
A plain nearest-segment projection (``simdrive.core.geometry.polyline_project``)
gives the same d; its s differs from this one only near vertices, by at most
|d| * tan(kink / 2) (under 6 cm for a 3.5 m offset on the shipped maps).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simdrive.errors import MapError

LANE_DRIVING = 0
LANE_SIDEWALK = 1
LANE_PARKING = 2
LANE_CONNECTOR = 3  # a driving lane inside a junction
LANE_KINDS = (LANE_DRIVING, LANE_SIDEWALK, LANE_PARKING, LANE_CONNECTOR)

_MIN_SEGMENT_M = 1e-6
_BLEND_TOL = 1e-9  # fraction of a segment


def _left_normals(tangents: np.ndarray) -> np.ndarray:
    return np.stack([-tangents[:, 1], tangents[:, 0]], axis=1)


def _as_output(value: np.ndarray, scalar: bool) -> np.ndarray | float:
    return float(value) if scalar else value


@dataclass(frozen=True, eq=False)
class Lane:
    """One lane: a centreline polyline in its direction of travel.

    Fields:
        name: unique within its map.
        kind: one of ``LANE_DRIVING``, ``LANE_SIDEWALK``, ``LANE_PARKING``,
            ``LANE_CONNECTOR``.
        points: float64 (P, 2), P >= 2, world x/y of the centreline in m, in the
            direction of travel (sidewalks: along the road's +x or outwards).
        width: lane width, m.
        speed_limit: m/s.
        cum_s: float64 (P,), arc length of each point from the first, m (derived).

    Arrays are read-only.
    """

    name: str
    kind: int
    points: np.ndarray
    width: float
    speed_limit: float
    cum_s: np.ndarray = field(init=False, repr=False)
    _tangents: np.ndarray = field(init=False, repr=False)  # (P-1, 2) unit segment directions
    _normals: np.ndarray = field(init=False, repr=False)  # (P-1, 2) unit left normals
    _mitres: np.ndarray = field(init=False, repr=False)  # (P, 2) offset direction at vertices

    def __post_init__(self) -> None:
        points = np.array(self.points, dtype=np.float64)
        where = f"lane {self.name!r}"
        if points.ndim != 2 or points.shape[0] < 2 or points.shape[1] != 2:
            raise MapError("bad centreline", where=where, expected="a (P >= 2, 2) array",
                           found=points.shape)
        if not np.all(np.isfinite(points)):
            raise MapError("centreline has non-finite points", where=where)
        if self.kind not in LANE_KINDS:
            raise MapError("bad lane kind", where=where, expected=f"one of {LANE_KINDS}",
                           found=self.kind)
        if not self.width > 0.0 or not self.speed_limit >= 0.0:
            raise MapError("width must be > 0 m and speed_limit >= 0 m/s", where=where,
                           found=(self.width, self.speed_limit))
        deltas = np.diff(points, axis=0)
        seg_len = np.hypot(deltas[:, 0], deltas[:, 1])
        if np.any(seg_len < _MIN_SEGMENT_M):
            raise MapError("centreline has repeated points", where=where)
        tangents = deltas / seg_len[:, None]
        normals = _left_normals(tangents)
        mitres = np.empty_like(points)
        mitres[0] = normals[0]
        mitres[-1] = normals[-1]
        # The mitre m satisfies m . n = 1 for both adjacent normals: a point offset
        # by d * m lies exactly d away from both segments.
        cos_kink = np.sum(normals[:-1] * normals[1:], axis=1)
        if np.any(cos_kink <= 0.0):
            raise MapError("centreline turns by 90 degrees or more at a vertex", where=where)
        mitres[1:-1] = (normals[:-1] + normals[1:]) / (1.0 + cos_kink)[:, None]
        cum_s = np.concatenate([[0.0], np.cumsum(seg_len)])
        for name, value in (("points", points), ("cum_s", cum_s), ("_tangents", tangents),
                            ("_normals", normals), ("_mitres", mitres)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "width", float(self.width))
        object.__setattr__(self, "speed_limit", float(self.speed_limit))

    @property
    def length(self) -> float:
        """Arc length of the centreline, m."""
        return float(self.cum_s[-1])

    def _segment(self, s: np.ndarray) -> np.ndarray:
        """Index of the segment holding arc length s (end segments extend outwards)."""
        idx = np.searchsorted(self.cum_s, s, side="right") - 1
        return np.clip(idx, 0, len(self.cum_s) - 2)

    def heading_at(self, s: float | np.ndarray) -> float | np.ndarray:
        """Direction of travel (rad, counter-clockwise from +x) at arc length s (m)."""
        s_arr = np.asarray(s, dtype=np.float64)
        t = self._tangents[self._segment(s_arr)]
        return _as_output(np.arctan2(t[..., 1], t[..., 0]), s_arr.ndim == 0)

    def to_world(self, s: float | np.ndarray, d: float | np.ndarray,
                 ) -> tuple[float | np.ndarray, float | np.ndarray, float | np.ndarray]:
        """World pose of the Frenet point (s, d).

        s: arc length along the lane, m (beyond [0, length] the first/last
        segment is extended); d: lateral offset, m, positive to the left of the
        direction of travel. Returns (x, y, heading) in m, m, rad; arrays
        broadcast, scalars give floats.
        """
        s_arr, d_arr = np.broadcast_arrays(np.asarray(s, dtype=np.float64),
                                           np.asarray(d, dtype=np.float64))
        seg = self._segment(s_arr)
        seg_len = self.cum_s[seg + 1] - self.cum_s[seg]
        t = (s_arr - self.cum_s[seg]) / seg_len
        blend = np.clip(t, 0.0, 1.0)[..., None]
        offset_dir = (1.0 - blend) * self._mitres[seg] + blend * self._mitres[seg + 1]
        tangent = self._tangents[seg]
        xy = (self.points[seg] + (t * seg_len)[..., None] * tangent
              + d_arr[..., None] * offset_dir)
        heading = np.arctan2(tangent[..., 1], tangent[..., 0])
        scalar = s_arr.ndim == 0
        return (_as_output(xy[..., 0], scalar), _as_output(xy[..., 1], scalar),
                _as_output(heading, scalar))

    def to_frenet(self, x: float | np.ndarray,
                  y: float | np.ndarray) -> tuple[float | np.ndarray, float | np.ndarray]:
        """Frenet coordinates (s, d) in m of world points (x, y) in m; inverse of to_world.

        Each point is assigned to the segment whose offset region (bounded by
        the mitre lines at its ends) holds it, the nearest one if several do;
        points beyond the ends extrapolate along the first/last segment.
        Arrays broadcast, scalars give floats. Work and memory grow with
        points x segments: meant for setup and tests, the kernels have their own.
        """
        x_arr, y_arr = np.broadcast_arrays(np.asarray(x, dtype=np.float64),
                                           np.asarray(y, dtype=np.float64))
        shape = x_arr.shape
        rel = np.stack([x_arr.ravel(), y_arr.ravel()], axis=1)[:, None, :] - self.points[None, :-1]
        along = np.sum(rel * self._tangents[None], axis=2)  # (N, S)
        lateral = np.sum(rel * self._normals[None], axis=2)
        seg_len = np.diff(self.cum_s)
        start_shift = np.sum(self._mitres[:-1] * self._tangents, axis=1)  # along-shift per m of d
        end_shift = np.sum(self._mitres[1:] * self._tangents, axis=1)
        span = seg_len + lateral * (end_shift - start_shift)
        with np.errstate(divide="ignore", invalid="ignore"):
            blend = (along - lateral * start_shift) / span
        n_seg = seg_len.size
        # A point on the mitre line between two segments belongs to both; the
        # tolerance keeps rounding from pushing it out of both.
        inside = (span > 0.0) & (blend >= -_BLEND_TOL) & (blend <= 1.0 + _BLEND_TOL)
        s_on_seg = np.clip(blend, 0.0, 1.0) * seg_len
        before, after = along[:, 0] < 0.0, along[:, -1] > seg_len[-1]
        inside[:, 0] |= before
        inside[:, -1] |= after
        s_on_seg[before, 0] = along[before, 0]
        s_on_seg[after, -1] = along[after, -1]
        # Far from the lane no offset region may hold the point: fall back to the
        # nearest segment, clamping to its ends.
        low = np.zeros(n_seg)
        high = seg_len.copy()
        low[0] = -np.inf
        high[-1] = np.inf
        clamped = np.clip(along, low, high)
        dist = np.hypot(along - clamped, lateral)
        cost = np.where(inside, np.abs(lateral), np.inf)
        fallback = ~np.any(inside, axis=1)
        cost[fallback] = dist[fallback]
        s_on_seg[fallback] = clamped[fallback]
        best = np.argmin(cost, axis=1)
        rows = np.arange(best.size)
        s_out = (self.cum_s[best] + s_on_seg[rows, best]).reshape(shape)
        d_out = lateral[rows, best].reshape(shape)
        scalar = x_arr.ndim == 0
        return _as_output(s_out, scalar), _as_output(d_out, scalar)
