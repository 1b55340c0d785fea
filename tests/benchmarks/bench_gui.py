"""GUI responsiveness and training speed in the app (run on demand, never fails on timing).

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_gui.py [--rounds 3] [--seconds 6]
    QT_QPA_PLATFORM=xcb xvfb-run -a python tests/benchmarks/bench_gui.py --rounds 1

Two presets: ``circle`` (TensorFlow Playground's default network 2-4-2-1 tanh, batch 10) and
``digits_cnn`` (conv32-pool-conv64-pool-dense128-dense10 on 8x8 digits, batch 32). For each it
measures, in interleaved rounds (every contender once per round, the order rotating), the
steps/s of a headless Trainer loop (in a fresh interpreter, like `layerlab train`) and of the
real main window training the same project:

- ``app``: the window as it opens (2-D data: the image docks stay hidden);
- ``closed``: image docks closed (their probe thread gets no work): the app's own cost;
- ``hidden``: image docks open but behind a non-image tab (Neurons) of the same tab group;
- ``confusion`` / ``maps``: the Confusion / Feature maps tab in front.

Per app run it also prints the view refresh rate (snapshots drawn per second; target >= 15 Hz
on 2-D data), event-loop latency from a 5 ms QTimer (target p99 <= 50 ms), the share of wall
time spent in GUI frames (the worker waits meanwhile), CPU seconds per wall second of the GUI,
training and image-probe threads, and the probe thread's probes per second. Targets: app >= 70%
of headless; image views cost <= 20% (``confusion``/``maps`` against ``closed``).
"""
from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

PRESETS = {
    "circle": ("TF Playground default network 2-4-2-1 tanh, batch 10", ("app",)),
    "digits_cnn": ("conv32-pool-conv64-pool-dense128-dense10, 8x8 digits, batch 32",
                   ("closed", "hidden", "confusion", "maps")),
}
FRONT_TAB = {"hidden": "Neurons", "confusion": "Confusion", "maps": "Feature maps"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def load_spec(name: str) -> dict:
    """A preset's project, with epochs enough never to finish during a run."""
    from engine.resources import resource_path
    with open(resource_path("presets", f"{name}.json"), encoding="utf-8") as handle:
        spec = json.load(handle)
    spec["training"]["epochs"] = 1_000_000
    return spec


def headless_steps_per_second(spec: dict, seconds: float) -> float:
    """Steps/s of a plain Trainer loop (what `layerlab train` does, without evaluation)."""
    from engine.project import parse_project
    from engine.trainer import Trainer
    trainer = Trainer(parse_project(copy.deepcopy(spec)))
    warm = time.perf_counter()
    while time.perf_counter() - warm < min(0.5, seconds / 4) or trainer.steps < 5:
        trainer.step()
    start, steps = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        trainer.step()
        steps += 1
    return steps / (time.perf_counter() - start)


def headless_in_subprocess(name: str, seconds: float) -> float:
    """Headless steps/s in a fresh interpreter, as `layerlab train` runs: no Qt objects on
    the heap (they make each automatic collection slower) and the collector on."""
    output = subprocess.run([sys.executable, __file__, "--headless", name, str(seconds)],
                            capture_output=True, text=True, check=True).stdout
    return float(output.split()[-1])


def thread_cpu_seconds(thread: threading.Thread | None) -> float:
    """User + system CPU seconds of one thread of this process so far (Linux /proc)."""
    if thread is None or thread.native_id is None:
        return 0.0
    try:
        with open(f"/proc/self/task/{thread.native_id}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def run_event_loop(seconds: float) -> None:
    """Run a real event loop for a while (app.quit() would also close the window)."""
    from PySide6.QtCore import QEventLoop, QTimer
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def wait_until(condition, timeout: float) -> bool:
    """Run the event loop until ``condition()`` holds (True) or the timeout passes (False)."""
    from PySide6.QtCore import QCoreApplication
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        if condition():
            return True
        QCoreApplication.processEvents()
        time.sleep(0.005)
    return condition()


def arrange_image_docks(window, mode: str) -> None:
    """Close the image docks, or bring one tab of their group to the front."""
    docks = window.image_docks
    if mode == "app":
        return
    if mode == "closed":
        for dock in docks.docks.values():
            dock.close()
        return
    window.docks[FRONT_TAB[mode]].raise_()


def time_probes(window) -> list[float]:
    """Record how long each image probe computes (on whichever thread computes it)."""
    durations: list[float] = []
    probe_thread = window.image_docks.thread
    name = "_compute" if hasattr(probe_thread, "_compute") else "_probe"
    original = getattr(probe_thread, name)

    def timed(*args):
        begin = time.perf_counter()
        result = original(*args)
        durations.append(time.perf_counter() - begin)
        return result
    setattr(probe_thread, name, timed)
    return durations


def app_run(spec: dict, seconds: float, mode: str = "app") -> dict:
    """Train in the real window; measure loop latency, view refresh rate and steps/s."""
    from PySide6.QtCore import QCoreApplication, QEvent, QTimer
    from playground.app import create_main_window, ensure_application
    app = ensure_application()
    # A fresh settings file per run: a saved layout (docks closed or resized by an earlier
    # run) would change what is painted, e.g. a loss plot twice as wide costs twice as much.
    os.environ["LAYERLAB_SETTINGS"] = os.path.join(tempfile.mkdtemp(prefix="layerlab-bench-"),
                                                   "settings.ini")
    window = create_main_window(spec)
    window.resize(1600, 1000)
    window.show()
    images = spec["data"]["source"] in ("digits", "idx", "folder")
    wait_until(lambda: window.trainer is not None
               and (not images or window.image_docks.showing), 10.0)
    run_event_loop(0.2)                        # the docks' own raise runs first
    arrange_image_docks(window, mode)
    probes = time_probes(window)
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
    run_event_loop(max(0.5, min(2.0, seconds / 4)))     # warm-up
    lateness.clear()
    window.views.snapshot_times.clear()
    frames.clear()
    probes.clear()
    threads = {"gui": threading.main_thread(), "training": window.worker._thread,
               "probes": window.image_docks.thread._thread}
    cpu_before = {name: thread_cpu_seconds(thread) for name, thread in threads.items()}
    expected["t"] = time.perf_counter() + 0.005
    probe.start()
    start_step = window.trainer.steps
    start = time.perf_counter()
    run_event_loop(seconds)
    elapsed = time.perf_counter() - start
    steps = window.trainer.steps - start_step
    cpu = {name: (thread_cpu_seconds(thread) - cpu_before[name]) / elapsed
           for name, thread in threads.items()}
    probe.stop()
    refreshes = [t for t in window.views.snapshot_times if t >= start]
    visible = sorted(window.image_docks._visible_views()) if window.image_docks.showing else []
    loss_size = window.views.loss.loss_plot.size().toTuple()
    window.close()
    window.deleteLater()
    app.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    gc.collect()
    lat = np.array(lateness) * 1000
    return {"steps_per_second": steps / elapsed,
            "refresh_hz": len(refreshes) / elapsed,
            "latency_p50_ms": float(np.percentile(lat, 50)),
            "latency_p99_ms": float(np.percentile(lat, 99)),
            "latency_max_ms": float(lat.max()),
            "frame_share": sum(frames) / elapsed,
            "frame_p50_ms": float(np.percentile(np.array(frames) * 1000, 50)) if frames else 0.0,
            "cpu": cpu,
            "probes_per_second": len(probes) / elapsed,
            "probe_ms": 1000 * float(np.mean(probes)) if probes else 0.0,
            "probing_views": visible,
            "loss_plot_size": loss_size}


def blas_info() -> str:
    """Which BLAS kernel ran (benchmarks report it next to their figures)."""
    try:
        from threadpoolctl import threadpool_info
        info = [f"{i.get('internal_api')} {i.get('architecture')} x{i.get('num_threads')}"
                for i in threadpool_info()]
        return ", ".join(info) or "unknown"
    except ImportError:
        return "threadpoolctl not installed"


def load_average() -> str:
    """The 1/5/15-minute load averages, for judging a shared machine's figures."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def median(values: list[float]) -> float:
    """The median (of one value: that value)."""
    return statistics.median(values) if values else float("nan")


def report(name: str, headless: list[float], runs: dict[str, list[dict]]) -> None:
    """Print one preset's figures: medians over the rounds, per-round ratios in brackets."""
    description, modes = PRESETS[name]
    print(f"\npreset {name} ({description})")
    print(f"  headless Trainer        {median(headless):9,.1f} steps/s   "
          f"(rounds: {', '.join(f'{v:,.0f}' for v in headless)})")
    for mode in modes:
        results = runs[mode]
        ratios = [r["steps_per_second"] / h for r, h in zip(results, headless)]
        speeds = [r["steps_per_second"] for r in results]
        print(f"  app {mode:<10}          {median(speeds):9,.1f} steps/s = "
              f"{median(ratios):4.0%} of headless (rounds: "
              f"{', '.join(f'{v:.0%}' for v in ratios)}; target >= 70%)")
        cpu = {key: median([r["cpu"][key] for r in results]) for key in results[0]["cpu"]}
        print(f"      refresh {median([r['refresh_hz'] for r in results]):5.1f} Hz, "
              f"latency p50 {median([r['latency_p50_ms'] for r in results]):.1f} ms "
              f"p99 {median([r['latency_p99_ms'] for r in results]):.1f} ms "
              f"max {max(r['latency_max_ms'] for r in results):.1f} ms, "
              f"frames {median([r['frame_share'] for r in results]):.0%} of wall time "
              f"(median {median([r['frame_p50_ms'] for r in results]):.1f} ms)")
        print(f"      CPU s/s: GUI {cpu['gui']:.2f}, training {cpu['training']:.2f}, "
              f"probes {cpu['probes']:.2f}; probes "
              f"{median([r['probes_per_second'] for r in results]):.2f}/s of "
              f"{median([r['probe_ms'] for r in results]):.0f} ms; probing "
              f"{', '.join(results[-1]['probing_views']) or 'nothing'}; loss plot "
              f"{'x'.join(map(str, results[-1]['loss_plot_size']))} px")
    if "closed" in runs:
        base = median([r["steps_per_second"] for r in runs["closed"]])
        for mode in ("hidden", "confusion", "maps"):
            if mode in runs:
                cost = 1 - median([r["steps_per_second"] for r in runs[mode]]) / base
                print(f"  image views cost ({mode:<9} vs closed) {cost:6.1%} (target <= 20%)")


def main() -> int:
    """Run the benchmark and print a small report."""
    if len(sys.argv) == 4 and sys.argv[1] == "--headless":
        print(headless_steps_per_second(load_spec(sys.argv[2]), float(sys.argv[3])))
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=6.0,
                        help="measured seconds per app run (digits_cnn runs take 1.5x)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS))
    args = parser.parse_args()
    from playground.app import ensure_application
    app = ensure_application()
    print(f"BLAS: {blas_info()}; Qt platform: {app.platformName()}; "
          f"load average at start {load_average()}")
    contenders = [(name, mode) for name in args.presets
                  for mode in ("headless",) + PRESETS[name][1]]
    specs = {name: load_spec(name) for name in args.presets}
    headless: dict[str, list[float]] = {name: [] for name in args.presets}
    runs: dict[str, dict[str, list[dict]]] = {
        name: {mode: [] for mode in PRESETS[name][1]} for name in args.presets}
    for round_index in range(args.rounds):
        shift = round_index % len(contenders)
        for name, mode in contenders[shift:] + contenders[:shift]:
            seconds = args.seconds * (1.5 if name == "digits_cnn" else 1.0)
            if mode == "headless":
                headless[name].append(headless_in_subprocess(name, seconds / 2))
            else:
                runs[name][mode].append(app_run(specs[name], seconds, mode))
        print(f"round {round_index + 1}/{args.rounds} done, load average {load_average()}",
              flush=True)
    for name in args.presets:
        report(name, headless[name], runs[name])
    print(f"\nload average at end {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
