"""The Export dialog (ONNX, numpy, PyTorch) and small helpers to save plots and metrics.

The dialog shows what will be written before anything is: the files with their sizes, the ONNX
opset, and the input and output shapes. "Check" exports if needed, runs the exported model on a
few samples and shows the largest difference from LayerLab's own prediction.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QApplication, QComboBox, QDialog, QDialogButtonBox,
                               QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from engine.errors import ProjectError
from engine.export import (DEFAULT_NAMES, FORMATS, build_plan, export_model, output_path,
                           prepare_export, verify_export)
from engine.fileio import atomic_write_bytes, atomic_write_text
from engine.records import METRICS_COLUMNS

FORMAT_LABELS = {"onnx": "ONNX (.onnx)", "numpy": "numpy module (.py + .npz)",
                 "pytorch": "PyTorch module (.py + weights)"}
FILE_FILTERS = {"onnx": "ONNX model (*.onnx)", "numpy": "Python module (*.py)",
                "pytorch": "Python module (*.py)"}
CHECK_SAMPLES = 8
# Exported models compute in float32 like the engine; differences above this mean a mismatch.
CHECK_TOLERANCE = 1e-4


def check_samples(saved_model: Any, count: int = CHECK_SAMPLES, seed: int = 0) -> np.ndarray:
    """A few raw samples of the shape the model takes (images in [0, 1], points around 0)."""
    plan = build_plan(saved_model)
    rng = np.random.default_rng(seed)
    if len(plan.raw_shape) == 3:
        return rng.uniform(0.0, 1.0, size=(count, *plan.raw_shape)).astype(np.float32)
    return rng.normal(0.0, 2.0, size=(count, *plan.raw_shape)).astype(np.float32)


class ExportDialog(QDialog):
    """Export a trained model: format, path, a summary of the files, and a check run."""

    exported = Signal(list)

    def __init__(self, saved_model: Any, samples: np.ndarray | None = None,
                 folder: str | Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export model")
        self.saved_model = saved_model
        self.samples = samples
        self.written: list[Path] = []
        self._written_format: str | None = None
        self._folder = Path(folder) if folder else Path.cwd()
        self._build()
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        self.path_edit.textChanged.connect(self._refresh_summary)
        self._format_changed()

    def _build(self) -> None:
        self.format_combo = QComboBox(objectName="exportFormat")
        for fmt in FORMATS:
            self.format_combo.addItem(FORMAT_LABELS[fmt], fmt)
        self.path_edit = QLineEdit(objectName="exportPath")
        browse = QPushButton("Browse…", objectName="exportBrowse")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Format", self.format_combo)
        form.addRow("File", path_row)
        self.summary = QPlainTextEdit(objectName="exportSummary", readOnly=True)
        self.summary.setMinimumHeight(140)
        self.result_label = QLabel(objectName="checkResult", wordWrap=True)
        self.export_button = QPushButton("Export", objectName="exportButton")
        self.check_button = QPushButton("Check", objectName="checkButton")
        self.check_button.setToolTip(f"Run the exported model on {CHECK_SAMPLES} samples and "
                                     "compare with LayerLab's prediction")
        self.export_button.clicked.connect(self.export)
        self.check_button.clicked.connect(self.check)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.check_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Will write:"))
        layout.addWidget(self.summary)
        layout.addWidget(self.result_label)
        layout.addWidget(buttons)
        self.resize(560, 360)

    def current_format(self) -> str:
        """The chosen format: ``onnx``, ``numpy`` or ``pytorch``."""
        return self.format_combo.currentData()

    def set_format(self, fmt: str) -> None:
        """Choose a format by name."""
        self.format_combo.setCurrentIndex(FORMATS.index(fmt))

    def set_path(self, path: str | Path) -> None:
        """Set the file to write."""
        self.path_edit.setText(str(path))

    @Slot()
    def _format_changed(self) -> None:
        fmt = self.current_format()
        current = self.path_edit.text().strip()
        folder = Path(current).parent if current else self._folder
        stem = Path(current).stem if current else "model"
        suffix = Path(DEFAULT_NAMES[fmt]).suffix
        self.path_edit.setText(str(folder / f"{stem}{suffix}"))
        self._refresh_summary()

    @Slot()
    def _browse(self) -> None:
        fmt = self.current_format()
        chosen, _ = QFileDialog.getSaveFileName(self, "Export model", self.path_edit.text(),
                                                FILE_FILTERS[fmt])
        if chosen:
            self.set_path(chosen)

    def summary_text(self) -> str:
        """What the export would write, as shown in the dialog."""
        fmt = self.current_format()
        text = self.path_edit.text().strip()
        if not text:
            return "Choose a file to write."
        files = prepare_export(self.saved_model, fmt, text)
        plan = build_plan(self.saved_model)
        lines = [f"{path}  ({_size(len(data))})" for path, data in files.items()]
        lines.append("")
        shape = ", ".join(str(n) for n in plan.raw_shape)
        lines.append(f"Input: (batch, {shape}) raw samples, float32"
                     + (" — named 'input'" if fmt == "onnx" else ""))
        if plan.task == "classification":
            names = f": {', '.join(plan.classes)}" if plan.classes else ""
            lines.append(f"Output: (batch, {plan.result_width}) class probabilities{names}")
        else:
            lines.append(f"Output: (batch, {plan.result_width}) predicted values")
        if fmt == "onnx":
            from engine.export.onnx_export import IR_VERSION, OPSET
            lines.append(f"ONNX opset {OPSET}, IR version {IR_VERSION}; batch axis is dynamic")
        lines.append(f"{len(plan.steps)} layers; preprocessing"
                     + (f" (features {', '.join(plan.features)})" if plan.features else "")
                     + " and standardisation are included")
        return "\n".join(lines)

    @Slot()
    def _refresh_summary(self) -> None:
        try:
            self.summary.setPlainText(self.summary_text())
            self.export_button.setEnabled(bool(self.path_edit.text().strip()))
        except ProjectError as error:
            self.summary.setPlainText(f"Cannot export: {error.what}")
            self.export_button.setEnabled(False)
        self.written, self._written_format = [], None

    @Slot()
    def export(self) -> list[Path]:
        """Write the files; show what was written or why not."""
        fmt = self.current_format()
        try:
            self.written = export_model(self.saved_model, fmt, self.path_edit.text().strip())
        except (ProjectError, OSError) as error:
            self._show(f"Export failed: {_message(error)}", ok=False)
            self.written = []
            return []
        self._written_format = fmt
        self._show(f"Wrote {', '.join(path.name for path in self.written)} in "
                   f"{self.written[0].parent}.", ok=True)
        self.exported.emit(list(self.written))
        return self.written

    @Slot()
    def check(self) -> float | None:
        """Export if needed, run the exported model on a few samples, show the difference."""
        fmt = self.current_format()
        expected = output_path(fmt, self.path_edit.text().strip()) if self.path_edit.text() \
            else None
        if not self.written or self._written_format != fmt or self.written[0] != expected:
            if not self.export():
                return None
        samples = self.samples if self.samples is not None else check_samples(self.saved_model)
        # Importing onnxruntime or torch the first time takes a moment: show that we are busy.
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            difference = verify_export(self.saved_model, fmt, self.written, samples)
        except ImportError as error:
            self._show(f"Cannot check: {error.name or 'a runtime'} is not installed "
                       f"({_runtime(fmt)} runs {fmt} models).", ok=False)
            return None
        except Exception as error:  # the exported code runs here; report, never crash the app
            self._show(f"Check failed: {type(error).__name__}: {error}", ok=False)
            return None
        finally:
            QApplication.restoreOverrideCursor()
        good = difference < CHECK_TOLERANCE
        verdict = "matches" if good else "DIFFERS from"
        self._show(f"Largest difference on {len(samples)} samples: {difference:.2e} — the "
                   f"exported model {verdict} LayerLab's prediction.", ok=good)
        return difference

    def _show(self, text: str, ok: bool) -> None:
        self.result_label.setText(text)
        self.result_label.setStyleSheet("" if ok else "color: #b00020;")


def _runtime(fmt: str) -> str:
    return {"onnx": "onnxruntime", "numpy": "numpy", "pytorch": "torch"}[fmt]


def _message(error: Exception) -> str:
    return error.what if isinstance(error, ProjectError) else str(error)


def _size(count: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if count < 1024 or unit == "MB":
            return f"{count} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"


PLOT_FILE_FILTER = "PNG image (*.png);;SVG drawing (*.svg)"


def export_plot(plot: Any, path: str | Path, width: int | None = None) -> Path:
    """Save a pyqtgraph plot (PlotWidget, PlotItem or other scene item) as PNG or SVG.

    The format follows the file suffix (``.png`` or ``.svg``); ``width`` sets a PNG's width in
    pixels (default: as on screen). The file is written atomically.
    """
    path = Path(path)
    item = plot.getPlotItem() if hasattr(plot, "getPlotItem") else plot
    suffix = path.suffix.lower()
    if suffix == ".png":
        import pyqtgraph.exporters as exporters
        exporter = exporters.ImageExporter(item)
        if width:
            exporter.parameters()["width"] = int(width)
        image = exporter.export(toBytes=True)
        data = _encode(lambda device: image.save(device, "PNG"))
    elif suffix == ".svg":
        data = _svg_bytes(item, path.stem)
    else:
        raise ValueError(f"plots are saved as .png or .svg, not {path.suffix or 'no suffix'!r}")
    atomic_write_bytes(path, data)
    return path


def _svg_bytes(item: Any, title: str) -> bytes:
    """Render a scene item through Qt's SVG paint engine.

    pyqtgraph's SVGExporter cannot parse the path data Qt 6.11 writes (pyqtgraph issue
    #3485), so the item's part of the scene is painted into a QSvgGenerator directly.
    """
    from PySide6.QtCore import QRectF, QSize
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator
    source = item.sceneBoundingRect()
    size = QSize(max(1, round(source.width())), max(1, round(source.height())))

    def render(device) -> None:
        generator = QSvgGenerator()
        generator.setOutputDevice(device)
        generator.setSize(size)
        generator.setViewBox(QRectF(0, 0, size.width(), size.height()))
        generator.setTitle(title)
        # pyqtgraph's axes replay QPictures recorded at the screen's resolution; the SVG
        # device must use the same one or the axes shrink against the data (72/96).
        generator.setResolution(_screen_dpi())
        painter = QPainter(generator)
        views = item.scene().views()
        if views:   # the plot's background colour, as on screen and in PNG exports
            painter.fillRect(QRectF(0, 0, size.width(), size.height()),
                             views[0].backgroundBrush())
        item.scene().render(painter, QRectF(0, 0, size.width(), size.height()), source)
        painter.end()

    return _encode(render)


def _screen_dpi() -> int:
    from PySide6.QtGui import QGuiApplication
    screen = QGuiApplication.primaryScreen()
    return round(screen.logicalDotsPerInch()) if screen is not None else 96


def _encode(write) -> bytes:
    """Bytes that ``write(device)`` puts into an in-memory QBuffer."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    write(buffer)
    buffer.close()
    return bytes(array.data())


def metrics_csv_text(rows: Iterable[Mapping[str, Any]]) -> str:
    """History rows as metrics.csv text (the columns of ``layerlab train``'s file)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(METRICS_COLUMNS)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row.get(name)
                         for name in METRICS_COLUMNS])
    return buffer.getvalue()


def export_metrics_csv(rows: Iterable[Mapping[str, Any]], path: str | Path) -> Path:
    """Write the metrics history (``Trainer.history``) as CSV, atomically."""
    path = Path(path)
    atomic_write_text(path, metrics_csv_text(rows))
    return path
