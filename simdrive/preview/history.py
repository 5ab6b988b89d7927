"""Exact step-back: snapshots of a simulation's state blocks, one per step.

A snapshot copies every array of ``Simulation.blocks`` (simdrive.state.Blocks:
actor state, parameters, actions, events, metrics and the kernel workspaces),
so restoring one and stepping again gives bit-identical results: the kernels
read nothing else. Restoring copies the arrays back in place, so the named
views of ``Simulation.state`` stay valid.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from simdrive.state import Blocks

BLOCK_FIELDS = tuple(f.name for f in dataclasses.fields(Blocks))


@dataclass(frozen=True)
class Snapshot:
    """Copies of every block array at one step, plus how the viewer was driving.

    step: the step index the arrays belong to. manual: manual driving was on
    (the ego's rows hold the player's controls; the viewer restores the mode
    too). driven: manual driving took part in some step up to this one, so the
    state is no longer the variant's own.
    """

    step: int
    arrays: tuple[np.ndarray, ...]
    manual: bool = False
    driven: bool = False


def take_snapshot(blocks: Blocks, step: int, manual: bool = False,
                  driven: bool = False) -> Snapshot:
    """Copy every array of ``blocks``."""
    arrays = tuple(getattr(blocks, name).copy() for name in BLOCK_FIELDS)
    return Snapshot(step, arrays, manual, driven)


def restore_snapshot(blocks: Blocks, snapshot: Snapshot) -> None:
    """Write ``snapshot`` back into ``blocks`` in place."""
    for name, saved in zip(BLOCK_FIELDS, snapshot.arrays, strict=True):
        np.copyto(getattr(blocks, name), saved)


def blocks_equal(blocks: Blocks, snapshot: Snapshot) -> bool:
    """Whether ``blocks`` hold exactly the snapshot's bits (NaNs compare equal)."""
    return all(
        np.array_equal(getattr(blocks, name).view(np.uint8), saved.view(np.uint8))
        for name, saved in zip(BLOCK_FIELDS, snapshot.arrays, strict=True)
    )


class History:
    """Snapshots of consecutive steps 0..k of one run, so the viewer can step back exactly.

    ``record`` appends the snapshot of the next step; stepping back drops the
    newest one and returns the one before. Stepping forward again simulates
    afresh (the kernels are deterministic, so an unchanged run reproduces the
    dropped snapshot bit for bit, while manual driving may take a new path).
    ``capacity`` bounds the memory: the oldest snapshots are forgotten first.
    """

    def __init__(self, capacity: int = 4000) -> None:
        self.capacity = capacity
        self._snapshots: list[Snapshot] = []

    def __len__(self) -> int:
        return len(self._snapshots)

    @property
    def latest(self) -> Snapshot | None:
        return self._snapshots[-1] if self._snapshots else None

    def clear(self) -> None:
        self._snapshots.clear()

    def record(self, blocks: Blocks, step: int, manual: bool = False,
               driven: bool = False) -> None:
        """Remember the state at ``step`` (after any newer snapshots are dropped)."""
        while self._snapshots and self._snapshots[-1].step >= step:
            self._snapshots.pop()
        self._snapshots.append(take_snapshot(blocks, step, manual, driven))
        if len(self._snapshots) > self.capacity:
            del self._snapshots[0]

    def back(self) -> Snapshot | None:
        """Drop the newest snapshot and return the one before it (None: nothing older)."""
        if len(self._snapshots) < 2:
            return None
        self._snapshots.pop()
        return self._snapshots[-1]
