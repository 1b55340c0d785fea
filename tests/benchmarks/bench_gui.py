"""GUI responsiveness while training at full speed (run on demand, never fails on timing).

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_gui.py [--seconds 6]

Prints: event-loop latency (p50/p99/max) measured by a 5 ms QTimer while a preset trains;
live-view refresh rate (snapshots drawn per second); the app's steps/s against a headless
Trainer on the same project in the same run (target ≥ 70%); and steps/s of TensorFlow
Playground's default network (2-4-2-1 tanh, batch 10; target ≥ 4,500).
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LAYERLAB_SETTINGS", os.path.join(tempfile.gettempdir(),
                                                        "layerlab-bench.ini"))

import numpy as np  # noqa: E402


def headless_steps_per_second(spec: dict, seconds: float) -> float:
    """Steps/s of a plain Trainer loop (what `layerlab train` does, without evaluation)."""
    from engine.project import parse_project
    from engine.trainer import Trainer
    trainer = Trainer(parse_project(copy.deepcopy(spec)))
    for _ in range(200):
        trainer.step()
    start, steps = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            trainer.step()
        steps += 100
    return steps / (time.perf_counter() - start)


def run_event_loop(seconds: float) -> None:
    """Run a real event loop for a while (app.quit() would also close the window)."""
    from PySide6.QtCore import QEventLoop, QTimer
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def app_run(spec: dict, seconds: float) -> dict:
    """Train in the real window; measure loop latency, view refresh rate and steps/s."""
    from PySide6.QtCore import QTimer
    from playground.app import create_main_window, ensure_application
    app = ensure_application()
    window = create_main_window(spec)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    lateness: list[float] = []
    expected = {"t": time.perf_counter()}
    probe = QTimer(interval=5)

    def tick() -> None:
        now = time.perf_counter()
        lateness.append(max(0.0, now - expected["t"]))
        expected["t"] = now + 0.005
    probe.timeout.connect(tick)
    # Time each GUI frame (the worker waits while one runs): the cost of watching.
    frames: list[float] = []
    original_frame = window.on_frame

    def timed_frame() -> None:
        begin = time.perf_counter()
        original_frame()
        frames.append(time.perf_counter() - begin)
    window.frame_timer.timeout.disconnect()
    window.frame_timer.timeout.connect(timed_frame)
    window.actions["Train"].trigger()
    run_event_loop(0.5)                        # warm-up
    lateness.clear()
    window.views.snapshot_times.clear()
    frames.clear()
    expected["t"] = time.perf_counter() + 0.005
    probe.start()
    start_step = window.worker.drain().step or 0
    start = time.perf_counter()
    steps = start_step
    run_event_loop(seconds)
    elapsed = time.perf_counter() - start
    probe.stop()
    text = window.step_counter.text()
    steps = int("".join(ch for ch in text if ch.isdigit()))
    refreshes = [t for t in window.views.snapshot_times if t >= start]
    window.close()
    app.processEvents()
    lat = np.array(lateness) * 1000
    return {"steps_per_second": (steps - start_step) / elapsed,
            "refresh_hz": len(refreshes) / elapsed,
            "latency_p50_ms": float(np.percentile(lat, 50)),
            "latency_p99_ms": float(np.percentile(lat, 99)),
            "latency_max_ms": float(lat.max()),
            "frame_share": sum(frames) / elapsed,
            "frame_p50_ms": float(np.percentile(np.array(frames) * 1000, 50)) if frames else 0.0}


def blas_info() -> str:
    """Which BLAS kernel ran (benchmarks report it next to their figures)."""
    try:
        from threadpoolctl import threadpool_info
        info = [f"{i.get('internal_api')} {i.get('architecture')} x{i.get('num_threads')}"
                for i in threadpool_info()]
        return ", ".join(info) or "unknown"
    except ImportError:
        return "threadpoolctl not installed"


def main() -> int:
    """Run the benchmark and print a small report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    from engine.resources import resource_path
    with open(resource_path("presets", "circle.json"), encoding="utf-8") as handle:
        spec = json.load(handle)
    spec["training"]["epochs"] = 1_000_000    # never finish during the run
    print(f"BLAS: {blas_info()}")
    # Headless before and after the app run: the machine's load drifts, the mean is fairer.
    before = headless_steps_per_second(spec, args.seconds / 3)
    result = app_run(spec, args.seconds)
    after = headless_steps_per_second(spec, args.seconds / 3)
    headless = (before + after) / 2
    ratio = result["steps_per_second"] / headless
    print(f"preset circle (TF Playground default network 2-4-2-1 tanh, batch 10)")
    print(f"  headless Trainer      {headless:9,.0f} steps/s "
          f"(before {before:,.0f}, after {after:,.0f})")
    print(f"  in the app            {result['steps_per_second']:9,.0f} steps/s "
          f"({ratio:.0%} of headless; target >= 70%, >= 4,500 steps/s)")
    print(f"  view refresh          {result['refresh_hz']:9.1f} Hz (target >= 15)")
    print(f"  event-loop latency    p50 {result['latency_p50_ms']:.1f} ms, "
          f"p99 {result['latency_p99_ms']:.1f} ms (target <= 50), "
          f"max {result['latency_max_ms']:.1f} ms")
    print(f"  GUI frames            {result['frame_share']:.0%} of wall time "
          f"(median frame {result['frame_p50_ms']:.1f} ms; training waits meanwhile)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
