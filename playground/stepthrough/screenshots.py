"""Render the step-through screenshots (docs/screenshots/step_*.png) offscreen.

    QT_QPA_PLATFORM=offscreen python -m playground.stepthrough.screenshots [OUT_DIR]

Trains the spiral and digits CNN presets headless for a while, then grabs the stage view at
chosen stages, the neuron maths and the diagnostics of the run. The timeline and weight-editor
pictures need the main window's boundary view and are not redrawn here.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SPIRAL_STEPS = 1500
DIGITS_STEPS = 40
DIAGNOSE_EVERY = 5
STAGE_SIZE = (1200, 820)


def _trainer(preset: str):
    """A headless Trainer for a bundled preset."""
    from engine import catalog
    from engine.project import parse_project, prepare
    from engine.resources import resource_path
    from engine.trainer import Trainer
    catalog.load_all()
    project = parse_project(json.loads(resource_path("presets", f"{preset}.json").read_text()))
    return Trainer(project, prepare(project))


def _show(panel, page, size: tuple[int, int]) -> None:
    """Show ``page``'s tab with the page itself at ``size`` (the tab bar adds its height)."""
    from PySide6.QtWidgets import QApplication
    panel.setCurrentWidget(page)
    panel.show()
    QApplication.processEvents()
    extra_w, extra_h = panel.width() - page.width(), panel.height() - page.height()
    panel.resize(size[0] + extra_w, size[1] + extra_h)
    QApplication.processEvents()


def _grab(widget, path: Path) -> None:
    """Let Qt lay out and paint, then save the widget as a PNG."""
    from PySide6.QtWidgets import QApplication
    for _ in range(3):
        QApplication.processEvents()
    widget.grab().save(str(path))


def _shoot_stages(trainer, steps: int, shots: list[tuple[str, str, str | None]], out: Path,
                  panel) -> None:
    """Train ``steps`` steps (diagnosing some), record one, grab the listed stages."""
    from engine.diagnostics import diagnose
    from engine.stepthrough import build_stages, capture_step, stage_index
    for number in range(steps):
        if number % DIAGNOSE_EVERY == 0:
            panel.add_diagnostics(diagnose(capture_step(trainer)))
        else:
            trainer.step()
    capture = capture_step(trainer)
    stages = build_stages(capture)
    panel.show_capture(capture, stages)
    view = panel.stage_view
    raw = getattr(trainer.dataset, "x_train", None)
    if capture.kind == "2d" and raw is not None:
        labels = trainer.dataset.y_train
        view.set_background_points(np.asarray(raw)[:, :2],
                                   np.asarray(labels).reshape(len(labels), -1)[:, 0].astype(int))
    panel.setCurrentWidget(view)
    _show(panel, view, STAGE_SIZE)
    for name, kind, layer_id in shots:
        view.show_stage(stage_index(stages, kind, layer_id))
        _grab(view, out / f"{name}.png")


def main() -> int:
    """Write the step_*.png screenshots into OUT_DIR (default: docs/screenshots)."""
    from PySide6.QtWidgets import QApplication

    from playground.stepthrough import StepThroughPanel
    app = QApplication.instance() or QApplication(sys.argv[:1])
    default = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    out.mkdir(parents=True, exist_ok=True)

    spiral = StepThroughPanel()
    _shoot_stages(_trainer("spiral"), SPIRAL_STEPS, [
        ("step_1_batch", "batch", None), ("step_2_forward", "forward", "dense_1"),
        ("step_3_loss", "loss", None), ("step_4_backward", "backward", "dense_2"),
        ("step_5_update", "update", "dense_1")], out, spiral)
    _show(spiral, spiral.math_view, (1000, 760))
    spiral.math_view.set_neuron("dense_2", 3, sample=0)
    _grab(spiral.math_view, out / "step_math.png")
    _show(spiral, spiral.diagnostics_view, (900, 800))
    _grab(spiral.diagnostics_view, out / "step_diagnostics.png")

    digits = StepThroughPanel()
    _shoot_stages(_trainer("digits_cnn"), DIGITS_STEPS, [
        ("step_6_digits_batch", "batch", None), ("step_7_digits_conv", "forward", "conv2d_1"),
        ("step_8_digits_conv_update", "update", "conv2d_1")], out, digits)
    print(f"step-through screenshots written to {out}")
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
