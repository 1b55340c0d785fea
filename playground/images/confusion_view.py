"""Where the classifier goes wrong: confusion matrix, per-class accuracy, surest mistakes."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPen
from PySide6.QtWidgets import (QGraphicsRectItem, QLabel, QListView, QListWidget,
                               QListWidgetItem, QSplitter, QVBoxLayout, QWidget)

from engine.probes import ConfusionReport, evaluate_confusion
from playground.images.imaging import BLUES, display_images, gray_pixmap, image_plot

MAX_CELL_TEXT = 20      # above this many classes the counts would not fit in the cells
MAX_LISTED = 48         # thumbnails listed for one cell
WRONG_LISTED = 16       # most confidently wrong samples listed
THUMBNAIL = 40


def sample_list(name: str) -> QListWidget:
    """An icon-mode list of sample thumbnails with two-line captions."""
    widget = QListWidget(objectName=name)
    widget.setViewMode(QListView.ViewMode.IconMode)
    widget.setResizeMode(QListView.ResizeMode.Adjust)
    widget.setMovement(QListView.Movement.Static)
    widget.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
    widget.setGridSize(QSize(THUMBNAIL + 34, THUMBNAIL + 36))
    widget.setWordWrap(True)
    return widget


class ConfusionView(QWidget):
    """A confusion matrix heatmap (rows: true class, columns: predicted class).

    Cell colour is the share of the row's samples (so rare classes show as clearly as common
    ones) and the text is the count. Clicking a cell lists its samples, surest prediction
    first, with their predicted probabilities. Below: per-class accuracy; at the side: the most
    confidently wrong samples. Feed it with ``set_samples(raw_images, classes)`` (the evaluated
    samples, in order) and ``update_report(report)`` from ``engine.probes``.
    """

    cellSelected = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confusionView")
        self.images = np.zeros((0, 1, 1), dtype=np.float32)
        self.classes: list[str] = []
        self.report: ConfusionReport | None = None
        self.selected: tuple[int, int] | None = None
        self._texts: list[pg.TextItem] = []

        self.summary = QLabel("No evaluation yet.", objectName="confusionSummary")
        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot, self.image = image_plot()
        self.plot.setLabel("left", "true class")
        self.plot.setLabel("bottom", "predicted class")
        self.image.setColorMap(BLUES)
        self.plot_widget.addItem(self.plot, row=0, col=0)
        self.highlight = QGraphicsRectItem(QRectF(0, 0, 1, 1))
        self.highlight.setPen(QPen(QColor(230, 120, 0), 0.12))
        self.highlight.setVisible(False)
        self.plot.addItem(self.highlight)
        self.accuracy_plot = self.plot_widget.addPlot(row=1, col=0)
        self.accuracy_plot.setMenuEnabled(False)
        self.accuracy_plot.hideButtons()
        self.accuracy_plot.setMouseEnabled(False, False)
        self.accuracy_plot.setLabel("left", "accuracy")
        self.accuracy_plot.setTitle("per-class accuracy")
        self.accuracy_plot.setYRange(0.0, 1.0, padding=0.02)
        self.accuracy_plot.setMaximumHeight(120)
        self.accuracy_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=(31, 86, 160))
        self.accuracy_plot.addItem(self.accuracy_bars)

        self.cell_caption = QLabel("Click a cell to see its samples.", objectName="cellCaption",
                                   wordWrap=True)
        self.cell_list = sample_list("cellSamples")
        # Wrapped: an unwrapped caption's width would squeeze the matrix in narrow docks.
        self.wrong_caption = QLabel("Most confidently wrong", objectName="wrongCaption",
                                    wordWrap=True)
        self.wrong_list = sample_list("confidentlyWrong")
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.cell_caption)
        side_layout.addWidget(self.cell_list, 1)
        side_layout.addWidget(self.wrong_caption)
        side_layout.addWidget(self.wrong_list, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.plot_widget)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        self.plot.scene().sigMouseClicked.connect(self._scene_clicked)

    def set_samples(self, images: np.ndarray, classes: list[str]) -> None:
        """The evaluated raw samples ``(N, C, H, W)`` (same order as the report) and names."""
        self.images = display_images(images)
        if list(classes) != self.classes:
            self.classes = list(classes)
            self._build_axes()

    def evaluate(self, model, inputs: np.ndarray, labels: np.ndarray) -> ConfusionReport:
        """Predict preprocessed ``inputs`` here and show the result (when no worker runs)."""
        report = evaluate_confusion(model, inputs, labels, len(self.classes) or None)
        self.update_report(report)
        return report

    def update_report(self, report: ConfusionReport | None) -> None:
        """Show a new report (e.g. each throttled snapshot during training)."""
        if report is None:
            return
        self.report = report
        if report.n_classes != len(self.classes):
            self.classes = [str(k) for k in range(report.n_classes)]
            self._build_axes()
        matrix = report.matrix
        rows = matrix.sum(axis=1, keepdims=True)
        shares = np.divide(matrix, rows, out=np.zeros(matrix.shape), where=rows > 0)
        self.image.setImage(shares, autoLevels=False, levels=(0.0, 1.0))
        self.image.setRect(QRectF(0, 0, report.n_classes, report.n_classes))
        for text, count, share in zip(self._texts, matrix.reshape(-1), shares.reshape(-1)):
            text.setText(str(int(count)) if count else "")
            text.setColor((255, 255, 255) if share > 0.55 else (30, 30, 30))
        recall = report.per_class_accuracy()
        self.accuracy_bars.setOpts(x=np.arange(report.n_classes), height=np.nan_to_num(recall))
        wrong = int((report.labels != report.predicted).sum())
        text = f"{report.matrix.sum()} samples · accuracy {report.accuracy:.1%} · {wrong} wrong"
        if np.isfinite(recall).any():
            # Classes absent from the evaluated samples have no accuracy: never "worst".
            worst = int(np.nanargmin(recall))
            text += f" · worst class {self.classes[worst]} ({recall[worst]:.0%})"
        self.summary.setText(text)
        self._fill_wrong()
        if self.selected is not None:
            self._fill_cell(*self.selected)

    def select_cell(self, true_class: int, predicted_class: int) -> None:
        """Show the samples of one cell (as a click on it does) and emit ``cellSelected``."""
        self.selected = (int(true_class), int(predicted_class))
        self.highlight.setRect(QRectF(predicted_class, true_class, 1, 1))
        self.highlight.setVisible(True)
        self._fill_cell(*self.selected)
        self.cellSelected.emit(*self.selected)

    def _build_axes(self) -> None:
        """Class-name ticks and one text item per cell, made once per set of classes."""
        count = len(self.classes)
        ticks = [[(k + 0.5, name) for k, name in enumerate(self.classes)]]
        self.plot.getAxis("left").setTicks(ticks)
        self.plot.getAxis("bottom").setTicks(ticks)
        self.accuracy_plot.getAxis("bottom").setTicks([list(enumerate(self.classes))])
        self.accuracy_plot.setXRange(-0.5, count - 0.5, padding=0.02)
        for text in self._texts:
            self.plot.removeItem(text)
        self._texts = []
        if count <= MAX_CELL_TEXT:
            for row in range(count):
                for column in range(count):
                    text = pg.TextItem("", anchor=(0.5, 0.5))
                    text.setPos(column + 0.5, row + 0.5)
                    self.plot.addItem(text)
                    self._texts.append(text)
        self.plot.setRange(xRange=(0, count), yRange=(0, count), padding=0.02)

    def _caption(self, index: int) -> tuple[str, str]:
        """Thumbnail text (predicted class and probability) and a tooltip with the top three."""
        report = self.report
        probabilities = report.probabilities[index]
        predicted = int(report.predicted[index])
        top = np.argsort(-probabilities)[:3]
        tooltip = (f"sample {index}, true {self.classes[int(report.labels[index])]}\n"
                   + "\n".join(f"{self.classes[k]}: {probabilities[k]:.1%}" for k in top))
        true_name = self.classes[int(report.labels[index])]
        return (f"{true_name}→{self.classes[predicted]} {probabilities[predicted]:.0%}",
                tooltip)

    def _add_samples(self, widget: QListWidget, indices: np.ndarray) -> None:
        widget.setUpdatesEnabled(False)
        widget.clear()
        for index in indices:
            text, tooltip = self._caption(int(index))
            image = self.images[index] if index < len(self.images) else np.zeros((1, 1))
            item = QListWidgetItem(QIcon(gray_pixmap(image, THUMBNAIL)), text)
            item.setToolTip(tooltip)
            item.setData(Qt.ItemDataRole.UserRole, int(index))
            widget.addItem(item)
        widget.setUpdatesEnabled(True)

    def _fill_cell(self, true_class: int, predicted_class: int) -> None:
        if self.report is None:
            return
        indices = self.report.cell_indices(true_class, predicted_class)
        kind = "correct" if true_class == predicted_class else "misclassified"
        self.cell_caption.setText(
            f"True {self.classes[true_class]}, predicted {self.classes[predicted_class]}: "
            f"{len(indices)} {kind} samples, surest prediction first (hover for the top "
            "three probabilities)"
            + (f"; first {MAX_LISTED} shown" if len(indices) > MAX_LISTED else ""))
        self._add_samples(self.cell_list, indices[:MAX_LISTED])

    def _fill_wrong(self) -> None:
        indices = self.report.most_confidently_wrong(WRONG_LISTED)
        self.wrong_caption.setText(f"Most confidently wrong ({len(indices)}): true → predicted "
                                   "class and its probability; hover for the top three")
        self._add_samples(self.wrong_list, indices)

    @Slot(object)
    def _scene_clicked(self, event) -> None:
        if self.report is None or event.button() != Qt.MouseButton.LeftButton:
            return
        if not self.plot.sceneBoundingRect().contains(event.scenePos()):
            return
        point = self.plot.getViewBox().mapSceneToView(event.scenePos())
        column, row = int(np.floor(point.x())), int(np.floor(point.y()))
        if 0 <= row < self.report.n_classes and 0 <= column < self.report.n_classes:
            self.select_cell(row, column)
