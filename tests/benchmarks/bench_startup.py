"""Start-up time to a usable main window, measured in fresh processes (offscreen).

Run: ``python tests/benchmarks/bench_startup.py [--runs N]``. Each run starts a new Python,
builds the app the way ``layerlab gui`` does, shows the main window, and reports when the event
loop has drained everything the first show queued (two zero-delay timers later): that is when
the window reacts to input. The wall time is taken by the parent from process launch, so it
includes interpreter start-up and every import. A reference run in the same session opens a
bare QWidget, so the ratio says what LayerLab adds on top of Python + Qt. Target: < 2 s.
Timing never fails anything; this only prints.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET_SECONDS = 2.0

# Child program: mirrors playground.app.run_gui, with phase stamps, then quits when idle.
APP_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from playground.appinfo import apply_app_identity, apply_theme, configure_before_qapplication
configure_before_qapplication()
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from playground.app import create_main_window, ensure_application
from playground.logsetup import setup_logging
t_imports = time.perf_counter()
setup_logging()
app = ensure_application()
apply_app_identity(app)
apply_theme(app, "system")
t_app = time.perf_counter()
window = create_main_window()
t_window = time.perf_counter()
window.show()
stamps = {}
def idle():
    stamps["idle"] = time.perf_counter()
    print("READY", flush=True)
    app.quit()
QTimer.singleShot(0, lambda: QTimer.singleShot(0, idle))
app.exec()
print(json.dumps({"imports": t_imports - t0, "application": t_app - t_imports,
                  "build_window": t_window - t_app, "show_to_idle": stamps["idle"] - t_window,
                  "in_process": stamps["idle"] - t0}), flush=True)
"""

# Reference: the least a PySide6 program can do to show a window.
BARE_CHILD = r"""
import json, time
t0 = time.perf_counter()
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
window = QWidget()
window.resize(1200, 800)
window.show()
def idle():
    print("READY", flush=True)
    app.quit()
QTimer.singleShot(0, lambda: QTimer.singleShot(0, idle))
app.exec()
print(json.dumps({"in_process": time.perf_counter() - t0}), flush=True)
"""


def time_child(code: str, env: dict[str, str]) -> tuple[float, dict]:
    """Wall seconds from launch to the child's READY line, and the child's own phase times."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert process.stdout is not None
    wall = None
    phases: dict = {}
    for line in process.stdout:
        if line.startswith("READY") and wall is None:
            wall = time.perf_counter() - start
        elif line.startswith("{"):
            phases = json.loads(line)
    stderr = process.stderr.read() if process.stderr else ""
    if process.wait(timeout=120) != 0 or wall is None:
        raise RuntimeError(f"child failed (exit {process.returncode}):\n{stderr[-2000:]}")
    return wall, phases


def time_bundle(binary: Path, env: dict[str, str]) -> float:
    """Wall seconds for the built bundle to open its main window offscreen and exit."""
    start = time.perf_counter()
    result = subprocess.run([str(binary)], capture_output=True, text=True, timeout=120,
                            env={**env, "LAYERLAB_BUNDLE_SELFTEST": "1"})
    if result.returncode != 0:
        raise RuntimeError(f"bundle self-test failed:\n{result.stdout}{result.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> int:
    """Time several fresh start-ups of the app and of a bare Qt window; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="start-ups per program (default 5)")
    parser.add_argument("--bundle", type=Path, default=None,
                        help="also time a built bundle, e.g. dist/layerlab/layerlab")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as logs:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LAYERLAB_LOG_DIR": logs}
        # One untimed start each warms the OS file cache, as a second launch by a person would.
        time_child(BARE_CHILD, env)
        time_child(APP_CHILD, env)
        bare = [time_child(BARE_CHILD, env)[0] for _ in range(args.runs)]
        app_runs = [time_child(APP_CHILD, env) for _ in range(args.runs)]
        bundle = []
        if args.bundle is not None:
            time_bundle(args.bundle, env)
            bundle = [time_bundle(args.bundle, env) for _ in range(args.runs)]
    walls = [wall for wall, _ in app_runs]
    median = statistics.median(walls)
    print(f"start-up to usable main window (offscreen, {args.runs} fresh processes, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]})")
    print(f"  LayerLab    median {median:.2f} s  min {min(walls):.2f} s  max {max(walls):.2f} s")
    print(f"  bare QWidget median {statistics.median(bare):.2f} s (reference)")
    print(f"  ratio LayerLab / bare Qt: {median / statistics.median(bare):.1f}x")
    phase_names = ("imports", "application", "build_window", "show_to_idle")
    for name in phase_names:
        values = [phases[name] for _, phases in app_runs]
        print(f"    {name:<13} median {statistics.median(values):.3f} s")
    if bundle:
        print(f"  bundle      median {statistics.median(bundle):.2f} s to window, idle and exit "
              f"({args.bundle})")
    verdict = "meets" if median < TARGET_SECONDS else "MISSES"
    print(f"  {verdict} the {TARGET_SECONDS:.0f} s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
