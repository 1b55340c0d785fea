"""A bounded-memory store of weight snapshots over a run: dense early, sparser later.

Every ``add`` is kept (the newest snapshot is always there); ``wants(step)`` says beforehand
whether a snapshot would survive, so a worker can skip copying weights that would be dropped.
When the store would exceed its cap, it drops interior snapshots one at a time, each time the
one whose neighbours are closest together relative to its age: the crowding score
``(next - previous) / (step - first + offset)``. Keeping that score even makes the gap between
kept snapshots grow in proportion to ``step - first + offset``: every step is kept at the
start, then roughly logarithmic spacing, so the fast early changes of a run stay visible while
a long run still fits. The first snapshot (the starting weights) and the newest are never
dropped while the cap allows them.

The store is fed on the worker thread and read on the GUI thread, so every method takes a lock.
Stored arrays are copies marked read-only; ``nearest`` hands them out without copying.
"""
from __future__ import annotations

import bisect
import threading
from typing import Mapping

import numpy as np

MEGABYTE = 1024 * 1024
DEFAULT_CAP_MB = 64.0
DEFAULT_OFFSET = 64.0     # steps: below about this age every step is worth keeping
ENTRY_OVERHEAD = 256      # bytes of bookkeeping counted per snapshot (dict, ints)


def _owns_data(value) -> bool:
    """True for an ndarray that owns its memory (safe to keep without copying)."""
    return isinstance(value, np.ndarray) and value.flags.owndata


def nearest_index(steps: list[int], step: int) -> int:
    """Index of the entry of ascending, non-empty ``steps`` nearest to ``step`` (earlier on a tie)."""
    position = bisect.bisect_left(steps, step)
    if position == len(steps):
        return position - 1
    if position > 0 and step - steps[position - 1] <= steps[position] - step:
        return position - 1
    return position


class SnapshotStore:
    """Weights (name → array) by step, kept under ``cap_mb`` megabytes."""

    def __init__(self, cap_mb: float = DEFAULT_CAP_MB, offset: float = DEFAULT_OFFSET) -> None:
        if not cap_mb > 0:
            raise ValueError("the snapshot cap must be a positive number of megabytes")
        self.cap_bytes = int(cap_mb * MEGABYTE)
        self.offset = float(offset)
        self._lock = threading.Lock()
        self._steps: list[int] = []
        self._states: dict[int, dict[str, np.ndarray]] = {}
        self._sizes: dict[int, int] = {}
        self._total = 0
        self._threshold = 0.0   # crowding score of the last snapshot dropped to fit the cap
        self._revision = 0      # bumped by every change, so readers can skip an unchanged store

    # ------------------------------------------------------------------------- writing
    @property
    def cap_mb(self) -> float:
        """The cap in megabytes."""
        return self.cap_bytes / MEGABYTE

    def set_cap(self, cap_mb: float) -> None:
        """Change the cap; thins the store at once when it no longer fits."""
        if not cap_mb > 0:
            raise ValueError("the snapshot cap must be a positive number of megabytes")
        with self._lock:
            self.cap_bytes = int(cap_mb * MEGABYTE)
            self._shrink()

    def add(self, step: int, state: Mapping[str, np.ndarray], copy: bool = True) -> bool:
        """Keep the weights at ``step`` (copied unless ``copy=False``); False if none fit.

        Steps must grow; adding a step already stored replaces it (e.g. after a hand edit),
        and adding an earlier step first forgets every later snapshot (a reset or rewind).
        """
        step = int(step)
        # Arrays are frozen below, so a view (e.g. a live parameter) is always copied.
        stored = {name: np.array(value, copy=copy or not _owns_data(value))
                  for name, value in state.items()}
        for value in stored.values():
            value.flags.writeable = False
        size = sum(value.nbytes for value in stored.values()) + ENTRY_OVERHEAD
        with self._lock:
            while self._steps and self._steps[-1] >= step:
                self._drop(len(self._steps) - 1)
            if size > self.cap_bytes:
                return False
            self._steps.append(step)
            self._revision += 1
            self._states[step] = stored
            self._sizes[step] = size
            self._total += size
            self._shrink()
            return True

    def wants(self, step: int) -> bool:
        """Whether a snapshot at ``step`` would survive thinning (cheap; call before copying).

        While the store has room every step is wanted. Once it is full, a new snapshot only
        stays if it leaves the previous newest one less crowded than the last snapshot dropped;
        otherwise adding it would just push that one out. Feeding only wanted steps keeps the
        same spacing as adding every step without copying the weights each time.
        """
        with self._lock:
            if len(self._steps) < 3 or self._total + self._sizes[self._steps[-1]] <= self.cap_bytes:
                return True
            first, before_last, last = self._steps[0], self._steps[-2], self._steps[-1]
            if step <= last:
                return True  # a rewind or a replacement always goes in
            crowding = (step - before_last) / (last - first + self.offset)
            return crowding >= self._threshold

    def clear(self) -> None:
        """Forget every snapshot (a new run)."""
        with self._lock:
            self._steps.clear()
            self._states.clear()
            self._sizes.clear()
            self._total = 0
            self._threshold = 0.0
            self._revision += 1

    def _drop(self, position: int) -> None:
        self._revision += 1
        step = self._steps.pop(position)
        del self._states[step]
        self._total -= self._sizes.pop(step)

    def _shrink(self) -> None:
        """Drop the most crowded interior snapshots until the store fits its cap."""
        while self._total > self.cap_bytes:
            if len(self._steps) <= 2:
                self._drop(0)  # keep the newest alone when the first no longer fits beside it
                continue
            steps = np.asarray(self._steps, dtype=np.float64)
            crowding = (steps[2:] - steps[:-2]) / (steps[1:-1] - steps[0] + self.offset)
            position = int(np.argmin(crowding))
            self._threshold = float(crowding[position])
            self._drop(1 + position)

    # ------------------------------------------------------------------------- reading
    @property
    def revision(self) -> int:
        """A number that changes whenever a snapshot is added or dropped."""
        return self._revision

    def steps(self) -> list[int]:
        """The stored steps, ascending."""
        with self._lock:
            return list(self._steps)

    def __len__(self) -> int:
        with self._lock:
            return len(self._steps)

    def memory_bytes(self) -> int:
        """Bytes held by the stored arrays plus a small per-snapshot overhead."""
        with self._lock:
            return self._total

    def get(self, step: int) -> dict[str, np.ndarray] | None:
        """The snapshot taken exactly at ``step`` (read-only arrays), or None."""
        with self._lock:
            state = self._states.get(int(step))
            return dict(state) if state is not None else None

    def nearest(self, step: int) -> tuple[int, dict[str, np.ndarray]] | None:
        """(stored step, state) closest to ``step`` (the earlier one on a tie); None if empty."""
        with self._lock:
            if not self._steps:
                return None
            found = self._steps[nearest_index(self._steps, step)]
            return found, dict(self._states[found])

    def at_or_before(self, step: int) -> tuple[int, dict[str, np.ndarray]] | None:
        """(stored step, state) of the latest snapshot not after ``step``; None if there is none."""
        with self._lock:
            position = int(np.searchsorted(np.asarray(self._steps), step, side="right")) - 1
            if position < 0:
                return None
            found = self._steps[position]
            return found, dict(self._states[found])

    def summary(self) -> str:
        """One line for the UI: how many snapshots, memory used and the cap."""
        with self._lock:
            count, total, cap = len(self._steps), self._total, self.cap_bytes
        return f"{count} snapshots · {total / MEGABYTE:.1f} of {cap / MEGABYTE:.0f} MB"
