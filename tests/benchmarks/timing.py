"""Timing helpers shared by the benchmark scripts: interleaved best-of rounds, BLAS and load.

Every benchmark here measures its contenders in the same run and keeps each one's best chunk
over rounds that interleave them, so a burst of other work on a shared machine hurts all
contenders alike instead of whichever happened to be running.
"""
from __future__ import annotations

import os
import time
from typing import Callable

Contender = Callable[[], tuple[float, float]]  # one timed chunk: (units done, seconds)


def timed_chunk(step: Callable[[], object], count: int, warm: int = 0) -> Contender:
    """A contender running ``warm`` untimed calls of ``step``, then ``count`` timed ones."""
    def run() -> tuple[float, float]:
        for _ in range(warm):
            step()
        start = time.perf_counter()
        for _ in range(count):
            step()
        return count, time.perf_counter() - start
    return run


def interleaved_best(contenders: dict[str, Contender], rounds: int,
                     warm_up: bool = True) -> dict[str, float]:
    """Best units per second of each contender over ``rounds`` interleaved rounds.

    With ``warm_up`` every contender first runs one untimed chunk (caches, allocator, BLAS
    threads).
    """
    best = {label: 0.0 for label in contenders}
    if warm_up:
        for run in contenders.values():
            run()
    for _ in range(rounds):
        for label, run in contenders.items():
            units, seconds = run()
            best[label] = max(best[label], units / seconds)
    return best


def blas_description() -> str:
    """Which BLAS library, kernel (architecture) and thread count numpy uses."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    parts = [f"{i.get('internal_api')} {i.get('version')} kernel={i.get('architecture')} "
             f"threads={i.get('num_threads')}" for i in threadpool_info()
             if i.get("user_api") == "blas"]
    return "; ".join(parts) or "no BLAS found"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (other work on the machine skews every figure)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min), {os.cpu_count()} CPUs"
