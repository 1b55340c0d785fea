"""Step-through benchmark on the MNIST-sized MLP (784-256-128-10, batch 128).

Run on demand: ``python tests/benchmarks/bench_stepthrough.py`` (``--quick`` for fewer rounds).
It measures

1. one step with full recording: ``capture_step`` (the recorded Trainer step plus the derived
   gradients), ``build_stages``, and drawing the first stage in the StageView (offscreen),
   against the 150 ms budget; then every other stage as the keyboard would walk to it;
2. training speed with step-through off: plain ``Trainer.step()`` against the same steps while
   the snapshot store is fed the way the worker feeds it (``wants`` then ``add``), fed
   unconditionally every step, and against recorded steps (for scale).

Timings are the best of interleaved rounds (robust to other load); it never fails on timing.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from engine import catalog  # noqa: E402
from engine.project import parse_project, prepare  # noqa: E402
from engine.snapshots import SnapshotStore  # noqa: E402
from engine.stepthrough import build_stages, capture_step  # noqa: E402
from engine.trainer import Trainer  # noqa: E402
from timing import blas_description, interleaved_best, load_average, timed_chunk  # noqa: E402

BUDGET_MS = 150.0


def mnist_sized_trainer(folder: Path, optimizer: str = "adam") -> Trainer:
    """784-256-128-10 relu/softmax MLP on 4096 random 'images' (784 features), batch 128."""
    rng = np.random.default_rng(0)
    x = rng.random((4096, 784), dtype=np.float32)
    y = rng.integers(0, 10, 4096)
    np.savez(folder / "mnist_like.npz", x=x, y=y)
    raw = {"layerlab": 1, "name": "bench", "seed": 0,
           "data": {"source": "npz", "path": "mnist_like.npz", "test_fraction": 0.0},
           "network": {"layers": [{"type": "dense", "units": 256, "activation": "relu"},
                                  {"type": "dense", "units": 128, "activation": "relu"},
                                  {"type": "dense", "units": 10, "activation": "softmax"}]},
           "training": {"loss": "categorical_crossentropy", "batch_size": 128,
                        "optimizer": {"type": optimizer, "learning_rate": 0.001}}}
    catalog.load_all()
    project = parse_project(raw, None, folder)
    return Trainer(project, prepare(project))


def time_recorded_step(trainer: Trainer, view, app, rounds: int) -> dict[str, list[float]]:
    """Milliseconds of each part of one recorded, displayed step, per round."""
    names = ("capture_step", "build_stages", "first stage drawn", "total", "each further stage")
    parts: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):
        start = time.perf_counter()
        capture = capture_step(trainer)
        captured = time.perf_counter()
        stages = build_stages(capture)
        built = time.perf_counter()
        view.set_stages(stages, keep_position=False)
        app.processEvents()
        drawn = time.perf_counter()
        parts["capture_step"].append(1e3 * (captured - start))
        parts["build_stages"].append(1e3 * (built - captured))
        parts["first stage drawn"].append(1e3 * (drawn - built))
        parts["total"].append(1e3 * (drawn - start))
        for index in range(1, len(stages)):
            begin = time.perf_counter()
            view.show_stage(index)
            app.processEvents()
            parts["each further stage"].append(1e3 * (time.perf_counter() - begin))
    return parts


def training_speed(trainer: Trainer, rounds: int, steps: int) -> dict[str, float]:
    """Best steps/second of plain steps, steps feeding the snapshot store, recorded steps.

    Also returns ``copies`` and ``fed steps``: how often the worker-style feed copied weights.
    """
    store, store_all = SnapshotStore(cap_mb=64), SnapshotStore(cap_mb=64)

    def plain():
        trainer.step()

    copies = [0, 0]

    def with_snapshots():
        record = trainer.step()
        copies[1] += 1
        if store.wants(record.step):  # how the worker feeds the timeline
            store.add(record.step, trainer.model.state_dict(), copy=False)
            copies[0] += 1

    def every_snapshot():
        record = trainer.step()
        store_all.add(record.step, trainer.model.state_dict(), copy=False)

    def recorded():
        trainer.step(record=True)

    contenders = {"step() (step-through off)": plain,
                  "step() + snapshots (wants)": with_snapshots,
                  "step() + snapshot every step": every_snapshot,
                  "step(record=True)": recorded}
    for run in contenders.values():
        timed_chunk(run, 3)()  # warm-up
    chunks = {label: timed_chunk(run, steps) for label, run in contenders.items()}
    best = interleaved_best(chunks, rounds, warm_up=False)
    best["copies"], best["fed steps"] = copies
    return best


def main() -> None:
    """Print the step-through timings and the training-speed ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a rough figure)")
    args = parser.parse_args()
    rounds, steps = (5, 50) if args.quick else (15, 200)

    from PySide6.QtWidgets import QApplication

    from playground.stepthrough.stage_view import StageView
    app = QApplication.instance() or QApplication([])
    view = StageView()
    view.resize(1200, 800)
    view.show()
    with tempfile.TemporaryDirectory() as folder:
        trainer = mnist_sized_trainer(Path(folder))
        time_recorded_step(trainer, view, app, 2)  # warm-up: widgets, caches, BLAS threads
        parts = time_recorded_step(trainer, view, app, rounds)
        speed = training_speed(trainer, 3 if args.quick else 6, steps)

    print(f"BLAS: {blas_description()}")
    print(load_average())
    print("One recorded step on 784-256-128-10, batch 128 (ms; median and best of "
          f"{rounds} rounds):")
    for name, values in parts.items():
        print(f"  {name:<22} median {statistics.median(values):7.1f}   best {min(values):7.1f}")
    total = statistics.median(parts["total"])
    print(f"  budget {BUDGET_MS:.0f} ms: {'within' if total < BUDGET_MS else 'OVER'} "
          f"({total / BUDGET_MS:.0%} of it)")
    copies, fed = speed.pop("copies"), speed.pop("fed steps")
    plain = speed["step() (step-through off)"]
    print("Training speed (steps/s, best of interleaved rounds):")
    for label, rate in speed.items():
        print(f"  {label:<30} {rate:7.1f}   ratio to plain {rate / plain:5.2f}")
    print(f"  (the worker-style feed copied the weights on {copies} of {fed} steps)")


if __name__ == "__main__":
    main()
