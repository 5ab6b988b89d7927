"""Solving the placements of a batch of variants of one scenario on one road.

Every actor instance is a slot (ego first, then the actors in file order, ``count``
instances each). A ``PlacementPlan`` turns the scenario's placements into slot tables
once; ``solve`` then draws every slot's candidate placements for the whole batch as
arrays and runs the placement kernel (simdrive.core.placement) once.

Candidate ``a`` of a slot takes each placement value that varies from number
(slot, a, field) of the variant's random stream (simdrive.scenario.streams), through the
value's distribution, except that the first candidate of a single actor is the variant's
own value. So a variant's placements depend on its (content hash, seed, index) only.
The first FIRST_TRIES candidates are drawn for every variant; a variant that runs out of
them is solved again with all MAX_PLACEMENT_TRIES, which repeats the same first ones.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simdrive.core.placement import POSE_COLUMNS, POSE_TARGET_X, place_actors
from simdrive.errors import MapError, SimdriveError
from simdrive.scenario import streams
from simdrive.scenario.actor_spec import ActorT
from simdrive.scenario.reader import Param
from simdrive.scenario.spec import ScenarioSpec
from simdrive.world.actors import actor_kind
from simdrive.world.maps import RoadMap

MAX_PLACEMENT_TRIES = 200
"""Candidate placements an actor instance may try before its placement fails."""
FIRST_TRIES = 16
"""Candidates drawn up front per instance; enough for all but a few crowded variants."""
FIELDS = ("s", "d", "x", "y", "heading")
"""Placement values, in the order of the kernel's candidate columns."""


def _at_placement(t: ActorT):
    """The node of actor entry ``t``'s placement (its entry when it has none written: an
    ego placed by its shorthand): where an error about its placement points."""
    node = t.node
    if node is not None and node.is_mapping and node.get("placement") is not None:
        return node.get("placement")
    return node


@dataclass(frozen=True)
class Slot:
    """One actor instance: its template, its number among the template's and its name."""

    template: ActorT
    instance: int
    name: str


def lane_name(road: RoadMap, ref, own: str | None = None) -> str:
    """The lane a scenario means by ``ref``: a name, or the index of a forward lane; on a
    junction's map (lanes named per approach), of a lane of ``own``'s approach (the acting
    actor's lane, for an action), else of the west approach's."""
    if isinstance(ref, str):
        return ref
    names = {lane.name for lane in road.lanes}
    if f"fwd_{ref}" in names:
        return f"fwd_{ref}"
    if own is not None and "_" in own:
        own = own.split(">")[0]  # on a junction's connector: the lane it came from
        for sibling in (f"{own.rsplit('_', 1)[0]}_{ref}", f"{own.split('_')[0]}_in_{ref}"):
            if sibling in names:  # its own lanes; from a sidewalk, its arm's lanes in
                return sibling
    if f"west_in_{ref}" in names:
        return f"west_in_{ref}"
    prefix = "fwd_" if "fwd_0" in names else "west_in_" if "west_in_0" in names else None
    if prefix is None:  # no numbered lanes: names only
        raise MapError(f"lane {ref} is an index, but this map's lanes have names only",
                       where="map", expected="a lane name: " + ", ".join(sorted(names)),
                       found=ref)
    count = sum(1 for name in names if re.fullmatch(re.escape(prefix) + r"\d+", name))
    what = ("the road's forward lanes" if prefix == "fwd_" else
            "on a junction's map, the west approach's lanes in")
    example = "fwd_0" if prefix == "fwd_" else "north_in_0"
    raise MapError(f"lane {ref}: the index counts {what} ({prefix}0 to {prefix}{count - 1})",
                   where="map", expected=f"an index from 0 to {count - 1}, or a lane name "
                   f"such as {example}", found=ref)


class PlacementPlan:
    """The placements of ``spec``'s actors on ``road`` as slot tables (built once)."""

    def __init__(self, spec: ScenarioSpec, road: RoadMap) -> None:
        self.road = road
        self.arrays = road.to_arrays()
        self.slots: list[Slot] = []
        self.drawn: list[tuple[int, int, int, object, str | None]] = []
        """(first slot, slot after the last, field, distribution, the variant's own value's
        path for a single actor) of every placement value that varies."""
        first_slot: dict[str, int] = {}
        lanes, refs, rows = [], [], []
        for t in (spec.ego, *spec.actors):
            start = first_slot[t.name] = len(self.slots)
            p = t.placement
            lane, ref = self._anchor(t, first_slot, lanes)
            fixed = [getattr(p, name) for name in FIELDS]
            for f, value in enumerate(fixed):
                if isinstance(value, Param):
                    own = value.path if t.count == 1 else None
                    self.drawn.append((start, start + t.count, f, spec.params[value.path], own))
            kind = actor_kind(t.kind)
            row = (MAX_PLACEMENT_TRIES if any(isinstance(v, Param) for v in fixed) else 1,
                   kind.length / 2, kind.width / 2, p.min_gap,
                   any(a.action == "cross_road" and "to" not in a.params for a in t.actions),
                   *(0.0 if isinstance(v, Param) else v for v in fixed))
            for k in range(t.count):
                self.slots.append(Slot(t, k, t.name if t.count == 1 else f"{t.name}_{k}"))
                lanes.append(lane)
                chained = p.anchor == "ahead_of" and k > 0  # each ahead of the one before
                refs.append(start + k - 1 if chained else ref)
                rows.append(row)
        table = np.array(rows, dtype=np.float64).reshape(-1, 5 + len(FIELDS))
        self.lane_names = tuple(road.lanes[k].name if k >= 0 else None for k in lanes)
        self.slot_lane = np.array(lanes, dtype=np.int64)
        self.slot_ref = np.array(refs, dtype=np.int64)
        self.slot_tries = table[:, 0].astype(np.int64)
        self.slot_extent = np.ascontiguousarray(table[:, 1:4])
        self.slot_crossing = table[:, 4].astype(np.int64)
        self.crossing_slots = np.flatnonzero(self.slot_crossing).tolist()
        self.constants = np.ascontiguousarray(table[:, 5:])

    def _anchor(self, t: ActorT, first_slot: dict[str, int], lanes: list[int]):
        """(lane index or -1, reference slot or -1) of template ``t``'s first instance."""
        p = t.placement
        if p.anchor == "position":
            return -1, -1
        if p.anchor == "ahead_of":
            ref = first_slot.get(p.target, len(lanes))
            if ref >= len(lanes):
                raise _at_placement(t).error(
                    f"placement: {t.name!r} is placed ahead of {p.target!r}, which must come "
                    "before it in the file")
            if lanes[ref] < 0:
                raise _at_placement(t).error(f"placement: {p.target!r} has no lane to be ahead on",
                                             hint=f"place {p.target!r} on a lane, parking or "
                                             "sidewalk")
            return lanes[ref], ref
        try:
            name = (lane_name(self.road, p.target) if p.anchor == "lane"
                    else f"{p.anchor}_{p.target}")
            return self.road.lane_index(name), -1
        except SimdriveError as error:
            raise _at_placement(t).error(f"placement: {error.message}",
                                         expected=error.expected, found=error.found) from None

    def candidates(self, variants: Sequence, n_cand: int) -> np.ndarray:
        """(V, S, n_cand, 5) candidate placements of ``variants`` (see the module doc)."""
        shape = (len(variants), len(self.slots), n_cand, len(FIELDS))
        out = np.empty(shape)
        out[...] = self.constants[None, :, None, :]
        if not self.drawn:
            return out
        keys = streams.variant_keys([(v.content_hash, v.seed, v.index) for v in variants])
        attempt = np.arange(n_cand, dtype=np.uint64)
        for start, stop, field, dist, own in self.drawn:
            slot = np.arange(start, stop, dtype=np.uint64)[:, None]
            counters = (slot * MAX_PLACEMENT_TRIES + attempt) * len(FIELDS) + field
            values = np.asarray(dist.ppf(streams.uniforms(keys, counters)), dtype=np.float64)
            out[:, start:stop, :, field] = values
            if own is not None:
                out[:, start, 0, field] = [float(v.values[own]) for v in variants]
        return out

    def solve(self, variants: Sequence) -> np.ndarray:
        """(V, S, POSE_COLUMNS) poses of ``variants`` (columns: simdrive.core.placement.POSE_*).

        A ScenarioError names the first actor instance (in batch order) that could not be
        placed clear of the others, or that has no road to cross.
        """
        poses, failures = self._run(variants, min(FIRST_TRIES, MAX_PLACEMENT_TRIES))
        for w in np.flatnonzero(failures[:, 0] >= 0):
            if self.slot_tries[failures[w, 0]] > FIRST_TRIES:  # out of up-front candidates
                poses[w:w + 1], failures[w:w + 1] = self._run(variants[w:w + 1],
                                                              MAX_PLACEMENT_TRIES)
        for w in range(len(variants)):
            index = getattr(variants[w], "index", w)
            if failures[w, 0] >= 0:
                self._placement_error(index, *failures[w])
            self._check_crossings(index, poses[w])
        return poses

    def _run(self, variants: Sequence, n_cand: int) -> tuple[np.ndarray, np.ndarray]:
        cand = self.candidates(variants, n_cand)
        poses = np.zeros((len(variants), len(self.slots), POSE_COLUMNS))
        failures = np.zeros((len(variants), 3), dtype=np.int64)
        a = self.arrays
        place_actors(cand, self.slot_lane, self.slot_ref, self.slot_tries, self.slot_extent,
                     self.slot_crossing, a.lane_points, a.lane_cum_s, a.lane_start,
                     a.lane_npoints, a.lane_kind, a.area_points, a.area_start, a.area_npoints,
                     a.area_kind, np.zeros((len(self.slots), 6)), poses, failures)
        return poses, failures

    def _placement_error(self, variant: int, slot: int, tries: int, blocker: int):
        s = self.slots[slot]
        t = s.template
        where = f"instance {s.instance + 1} of {t.count} of " if t.count > 1 else ""
        raise _at_placement(t).error(
            f"variant {variant}: could not place {where}actor {t.name!r} clear of the others: "
            "it overlapped "
            f"another actor (last {self.slots[blocker].name!r}) in {tries} of {tries} tries",
            hint="widen its placement distribution, lower count or min_gap, or move it")

    def _check_crossings(self, variant: int, poses: np.ndarray) -> None:
        for slot in self.crossing_slots:
            if math.isnan(poses[slot, POSE_TARGET_X]):
                x, y = poses[slot, 0], poses[slot, 1]
                raise _at_placement(self.slots[slot].template).error(
                    f"variant {variant}: {self.slots[slot].name} has no road to cross from "
                    f"({x:.1f}, {y:.1f}) m",
                    hint="place it beside the road or give cross_road a 'to' point")
