"""Render the image views with real digits data and a briefly trained CNN into PNG files.

``python -m playground.images.screenshots docs/screenshots`` writes ``images_filters.png``,
``images_feature_maps.png``, ``images_confusion.png``, ``images_drawing_pad.png`` and
``images_samples.png`` (offscreen, no display needed).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

DIGITS_CNN = [
    {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "maxpool2d", "pool_size": 2},
    {"type": "conv2d", "filters": 16, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "maxpool2d", "pool_size": 2},
    {"type": "flatten"},
    {"type": "dense", "units": 10, "activation": "softmax"},
]


def train_digits_cnn(epochs: int = 3, seed: int = 1):
    """A digits CNN trained for a few epochs (about a second); returns the Trainer."""
    from engine.project import parse_project
    from engine.trainer import Trainer
    project = parse_project({"layerlab": 1, "name": "Digits CNN", "seed": seed,
                             "data": {"source": "digits"}, "network": {"layers": DIGITS_CNN},
                             "training": {"optimizer": {"type": "adam", "learning_rate": 0.01},
                                          "batch_size": 32}})
    trainer = Trainer(project)
    trainer.fit(epochs)
    return trainer


def draw_seven(canvas) -> None:
    """Write a 7 on the drawing canvas with two strokes."""
    from PySide6.QtCore import QPointF
    size = canvas.width()
    points = [(0.28, 0.22), (0.72, 0.22), (0.62, 0.45), (0.50, 0.80)]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        canvas.draw_line(QPointF(x0 * size, y0 * size), QPointF(x1 * size, y1 * size))


def render_all(folder: Path) -> list[Path]:
    """Build every view on real data, grab each one into ``folder``; returns the files."""
    from PySide6.QtWidgets import QApplication

    from playground.images import (ConfusionView, DrawingPad, FeatureMapsView, FiltersView,
                                   SampleGrid)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    trainer = train_digits_cnn()
    dataset, model = trainer.dataset, trainer.model
    folder.mkdir(parents=True, exist_ok=True)
    written = []

    def grab(widget, name: str, width: int, height: int) -> None:
        widget.resize(width, height)
        widget.show()
        app.processEvents()
        path = folder / f"images_{name}.png"
        widget.grab().save(str(path))
        written.append(path)

    grid = SampleGrid()
    grid.set_data(dataset.x_train, dataset.y_train, dataset.classes)
    grab(grid, "samples", 720, 480)

    filters = FiltersView()
    filters.set_model(model)
    grab(filters, "filters", 520, 420)

    maps = FeatureMapsView()
    maps.set_model(model, trainer.preprocessor)
    maps.set_samples(dataset.x_test, dataset.y_test, dataset.classes)
    maps.select_sample(3)
    grab(maps, "feature_maps", 900, 360)

    confusion = ConfusionView()
    confusion.set_samples(dataset.x_test, dataset.classes)
    report = confusion.evaluate(model, trainer.x_test, trainer.y_test)
    wrong = report.most_confidently_wrong(1)
    if len(wrong):
        confusion.select_cell(int(report.labels[wrong[0]]), int(report.predicted[wrong[0]]))
    grab(confusion, "confusion", 980, 640)

    pad = DrawingPad()
    pad.set_model(model, trainer.preprocessor, dataset.classes)
    draw_seven(pad.canvas)
    pad.predict_now()
    grab(pad, "drawing_pad", 860, 420)
    return written


def main(argv: list[str] | None = None) -> int:
    """Write the screenshots into the folder given (default ``docs/screenshots``)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    args = sys.argv[1:] if argv is None else argv
    for path in render_all(Path(args[0] if args else "docs/screenshots")):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
