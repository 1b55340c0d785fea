"""Walk through one recorded training step stage by stage (batch, forward, loss, backward, update).

Left/Right or PageUp/PageDown move between stages, Home/End jump to the ends. Each stage shows
its arrays as heatmaps with histograms; the loss stage adds one bar per sample and the batch stage
of a 2-D data set a scatter of its points. Showing a stage emits ``layerHighlighted`` with the
layer's id ("" for the batch and loss stages) so the network canvas can highlight it, and the
batch stage emits ``batchShown`` with the training-set rows so the data plot can mark them.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QVBoxLayout, QWidget)

from engine.stepthrough import Stage
from playground.stepthrough.panel_widget import PanelWidget

COLUMNS = 3
EXTRA_PLOT_MIN_HEIGHT = 150
EXTRA_PLOT_HINT_HEIGHT = 300
SCROLL_MIN_HEIGHT = 80
CLASS_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
                 (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
                 (188, 189, 34), (23, 190, 207)]


class _ExtraPlot(pg.PlotWidget):
    """The loss bars or batch scatter, asking for a modest height (the stage view scrolls)."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Wide and EXTRA_PLOT_HINT_HEIGHT tall."""
        return QSize(600, EXTRA_PLOT_HINT_HEIGHT)


class StageView(QWidget):
    """Shows the stages of a recorded step one at a time, navigated with the keyboard."""

    layerHighlighted = Signal(str)
    stageChanged = Signal(int)
    batchShown = Signal(object)       # np.ndarray of training-set row indices

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stageView")
        self.setFocusPolicy(Qt.StrongFocus)
        self.stages: list[Stage] = []
        self.current_index = -1

        self.previous_button = QPushButton("◀ Previous")
        self.previous_button.setObjectName("stagePrevious")
        self.previous_button.setToolTip("Show the previous stage of the step (Left or Page Up; "
                                        "Home jumps to the first)")
        self.next_button = QPushButton("Next ▶")
        self.next_button.setObjectName("stageNext")
        self.next_button.setToolTip("Show the next stage of the step (Right or Page Down; "
                                    "End jumps to the last)")
        self.stage_list = QComboBox()
        self.stage_list.setObjectName("stageList")
        self.stage_list.setToolTip("Jump to any stage of the recorded step: the batch, the "
                                   "forward pass per layer, the loss, the backward pass and the "
                                   "update")
        # Long stage names must not widen the dock: the list shrinks and elides instead.
        self.stage_list.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.stage_list.setMinimumContentsLength(10)
        self.position = QLabel()
        self.position.setToolTip("Which stage is shown, of how many")
        for widget in (self.previous_button, self.next_button, self.stage_list):
            widget.setFocusPolicy(Qt.NoFocus)  # the arrow keys belong to the view
        self.previous_button.clicked.connect(self.previous_stage)
        self.next_button.clicked.connect(self.next_stage)
        self.stage_list.activated.connect(self.show_stage)
        navigation = QHBoxLayout()
        navigation.addWidget(self.previous_button)
        navigation.addWidget(self.stage_list, 1)
        navigation.addWidget(self.position)
        navigation.addWidget(self.next_button)

        self.title = QLabel("No step recorded yet")
        self.title.setStyleSheet("font-size: 15px; font-weight: bold")
        self.title.setWordWrap(True)
        self.caption = QLabel("Press Step to train one mini-batch and see it here.")
        self.caption.setWordWrap(True)

        self.extra_plot = _ExtraPlot(background="w")
        self.extra_plot.setFocusPolicy(Qt.NoFocus)
        self.extra_plot.setMinimumHeight(EXTRA_PLOT_MIN_HEIGHT)
        self.extra_plot.setMouseEnabled(False, False)
        self.extra_plot.hideButtons()
        self.loss_bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=(214, 39, 40, 180))
        self.batch_points = pg.ScatterPlotItem(size=11, pen=pg.mkPen("k", width=1.2))
        self.background_points = pg.ScatterPlotItem(size=5, pen=None)
        self.extra_plot.addItem(self.loss_bars)
        self.extra_plot.addItem(self.background_points)
        self.extra_plot.addItem(self.batch_points)
        self.extra_plot.hide()

        self.panel_grid = QGridLayout()
        self.panel_grid.setSpacing(4)
        self.panels: list[PanelWidget] = []

        # The plots and panels scroll, so a stage with many panels never makes the dock (and
        # with it the main window) taller or wider than the screen.
        content = QWidget()
        content.setObjectName("stageContent")
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addWidget(self.extra_plot)
        content_layout.addLayout(self.panel_grid, 1)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("stageScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.NoFrame)
        self.scroll.setFocusPolicy(Qt.NoFocus)
        self.scroll.setWidget(content)
        self.scroll.setMinimumHeight(SCROLL_MIN_HEIGHT)

        layout = QVBoxLayout(self)
        layout.addLayout(navigation)
        layout.addWidget(self.title)
        layout.addWidget(self.caption)
        layout.addWidget(self.scroll, 1)
        self._update_navigation()

    # ------------------------------------------------------------------------- input
    def set_stages(self, stages: list[Stage], keep_position: bool = True) -> None:
        """Show a new step's stages; stay on the same kind of stage and layer when possible."""
        previous = self.current_stage
        self.stages = list(stages)
        self.stage_list.blockSignals(True)
        self.stage_list.clear()
        for stage in self.stages:
            self.stage_list.addItem(f"{stage.index + 1}. {stage.title}")
        self.stage_list.blockSignals(False)
        target = 0
        if keep_position and previous is not None:
            for stage in self.stages:
                if stage.kind == previous.kind and stage.layer_id == previous.layer_id:
                    target = stage.index
                    break
        self.current_index = -1
        if self.stages:
            self.show_stage(target)
        else:
            self.title.setText("Nothing recorded for this step")
            self.caption.setText("Training diverged, so the step was not applied. Lower the "
                                 "learning rate and reset.")
            for panel in self.panels:
                panel.hide()
            self.extra_plot.hide()
            self._update_navigation()

    def set_background_points(self, points: np.ndarray | None,
                              labels: np.ndarray | None = None) -> None:
        """Raw 2-D training points drawn faintly behind the batch (None to clear)."""
        if points is None or np.ndim(points) != 2 or np.shape(points)[1] < 2:
            self.background_points.setData([], [])
            return
        points = np.asarray(points, dtype=np.float64)
        self.background_points.setData(points[:, 0], points[:, 1],
                                       brush=_brushes(labels, len(points), alpha=60))

    @property
    def current_stage(self) -> Stage | None:
        """The stage on screen (None before any step)."""
        if 0 <= self.current_index < len(self.stages):
            return self.stages[self.current_index]
        return None

    # -------------------------------------------------------------------- navigation
    @Slot()
    def next_stage(self) -> None:
        """Show the following stage (stays on the last)."""
        if self.stages:
            self.show_stage(min(self.current_index + 1, len(self.stages) - 1))

    @Slot()
    def previous_stage(self) -> None:
        """Show the preceding stage (stays on the first)."""
        if self.stages:
            self.show_stage(max(self.current_index - 1, 0))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Left/PageUp back, Right/PageDown on, Home/End to the ends."""
        key = event.key()
        if key in (Qt.Key_Right, Qt.Key_PageDown):
            self.next_stage()
        elif key in (Qt.Key_Left, Qt.Key_PageUp):
            self.previous_stage()
        elif key == Qt.Key_Home and self.stages:
            self.show_stage(0)
        elif key == Qt.Key_End and self.stages:
            self.show_stage(len(self.stages) - 1)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    @Slot(int)
    def show_stage(self, index: int) -> None:
        """Draw stage ``index`` and tell the canvas which layer it is about."""
        if not 0 <= index < len(self.stages) or index == self.current_index:
            return
        self.current_index = index
        stage = self.stages[index]
        self.title.setText(stage.title)
        self.caption.setText(stage.caption)
        self._show_panels(stage)
        self._show_extra(stage)
        self._update_navigation()
        self.stageChanged.emit(index)
        self.layerHighlighted.emit(stage.layer_id or "")
        if stage.kind == "batch" and stage.batch_indices is not None:
            self.batchShown.emit(np.array(stage.batch_indices))

    def _update_navigation(self) -> None:
        count = len(self.stages)
        self.previous_button.setEnabled(count > 0 and self.current_index > 0)
        self.next_button.setEnabled(count > 0 and self.current_index < count - 1)
        self.position.setText(f"{self.current_index + 1} / {count}" if count else "")
        if count:
            self.stage_list.setCurrentIndex(self.current_index)

    # ------------------------------------------------------------------------ drawing
    def _show_panels(self, stage: Stage) -> None:
        """Reuse panel widgets (created the first time they are needed), hide the spare ones."""
        while len(self.panels) < len(stage.panels):
            widget = PanelWidget()
            position = len(self.panels)
            self.panel_grid.addWidget(widget, position // COLUMNS, position % COLUMNS)
            self.panels.append(widget)
        for widget, panel in zip(self.panels, stage.panels):
            widget.show_panel(panel)
            widget.show()
        for widget in self.panels[len(stage.panels):]:
            widget.hide()

    def _show_extra(self, stage: Stage) -> None:
        """Per-sample loss bars, or the batch's 2-D points coloured by class."""
        plot = self.extra_plot.getPlotItem()
        if stage.kind == "loss" and stage.per_sample is not None:
            values = np.nan_to_num(np.asarray(stage.per_sample, dtype=np.float64))
            self.batch_points.setData([], [])
            self.loss_bars.setOpts(x=np.arange(len(values)), height=values, width=0.8)
            self.background_points.setVisible(False)
            plot.setLabel("bottom", "sample in the batch")
            plot.setLabel("left", "loss")
            plot.setAspectLocked(False)
            plot.enableAutoRange()
            self.extra_plot.setToolTip("The loss of each sample in the batch; the step "
                                       "follows the gradient of their mean")
            self.extra_plot.show()
        elif stage.kind == "batch" and stage.points is not None and np.ndim(stage.points) == 2:
            points = np.asarray(stage.points, dtype=np.float64)
            self.loss_bars.setOpts(x=[], height=[])
            self.batch_points.setData(points[:, 0], points[:, 1],
                                      brush=_brushes(stage.labels, len(points)))
            self.background_points.setVisible(True)
            plot.setLabel("bottom", "x1")
            plot.setLabel("left", "x2")
            plot.setAspectLocked(True)
            plot.enableAutoRange()
            self.extra_plot.setToolTip("The batch's points (large, outlined) over the whole "
                                       "training set (faint), coloured by class")
            self.extra_plot.show()
        else:
            self.extra_plot.hide()


def _brushes(labels: np.ndarray | None, count: int, alpha: int = 255) -> np.ndarray:
    """One brush per point: the class colour for integer labels, else grey."""
    labels = None if labels is None else np.asarray(labels)
    if labels is not None and labels.ndim == 1 and labels.dtype.kind in "iu":
        palette = np.empty(len(CLASS_COLOURS), dtype=object)
        palette[:] = [pg.mkBrush(*colour, alpha) for colour in CLASS_COLOURS]
        return palette[labels % len(CLASS_COLOURS)]
    grey = np.empty(count, dtype=object)
    grey[:] = [pg.mkBrush(120, 120, 120, alpha)] * count
    return grey
