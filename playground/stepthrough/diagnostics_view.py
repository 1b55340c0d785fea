"""Training health over time: per-layer gradient norms and update/weight ratios, dead and
saturated units, and plain warnings.

Feed it ``engine.diagnostics.Diagnostics`` objects (one per recorded step) with ``add`` from a
GUI-thread timer; curves are created once per layer and updated in place with ``setData``.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (QHeaderView, QLabel, QScrollArea, QSizePolicy, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from engine.diagnostics import RULE_OF_THUMB, Diagnostics
from playground.stepthrough.axes import IntegerAxis, LogAxis

TABLE_COLUMNS = ("layer", "gradient norm", "update / weight", "dead relu", "saturated")
COLUMN_TIPS = ("The layer's id, as on the network canvas",
               "‖∂L/∂θ‖: the size of the layer's gradient at this step",
               "‖Δθ‖/‖θ‖: how much this step changed the weights, relative to their size",
               "Share of ReLU units that output 0 for every sample of the batch",
               "Share of sigmoid/tanh outputs in the flat tails, where gradients vanish")
RULE_COLOUR = (200, 0, 0)
PLOT_MIN_HEIGHT = 110
PLOT_HINT_HEIGHT = 160
TABLE_MAX_HEIGHT = 150
LAYER_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                 (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def _positive(values: list[float]) -> np.ndarray:
    """Values for a log axis: zero, negative or non-finite become gaps (NaN)."""
    array = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(array) & (array > 0), array, np.nan)


class _Plot(pg.PlotWidget):
    """A plot that asks for a modest height, so the scrolled content fits a laptop dock."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Wide, and only PLOT_HINT_HEIGHT tall (the scroll area sizes its content from this)."""
        return QSize(600, PLOT_HINT_HEIGHT)


class DiagnosticsView(QWidget):
    """Two log plots over steps (gradient norms; update ratios with the 1e-3 line) and a table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diagnosticsView")
        self.grad_plot = self._make_plot(
            "gradient norm ‖∂L/∂θ‖ per layer",
            "How large each layer's gradient is, step by step (log scale). Vanishing gradients "
            "fall towards 0; exploding ones climb by decades.")
        self.ratio_plot = self._make_plot(
            "update / weight ratio ‖Δθ‖/‖θ‖ per layer",
            "How much each step changes a layer's weights relative to their size (log scale). "
            "About 1e-3 (the dashed red line) is healthy; far below learns slowly, far above "
            "is unstable.")
        self.ratio_plot.setXLink(self.grad_plot)
        self.rule_line = pg.InfiniteLine(
            pos=np.log10(RULE_OF_THUMB), angle=0, movable=False,
            pen=pg.mkPen(RULE_COLOUR, width=1.5, style=Qt.DashLine))
        self.ratio_plot.addItem(self.rule_line)
        # The legend lives outside the plots, so it never covers a curve or the 1e-3 line.
        self.legend = QLabel()
        self.legend.setObjectName("diagnosticsLegend")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.RichText)
        self.legend.setToolTip("Line colours: one per layer, the same in both plots")
        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setObjectName("diagnosticsTable")
        self.table.setHorizontalHeaderLabels(TABLE_COLUMNS)
        for column, tip in enumerate(COLUMN_TIPS):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        self.table.setToolTip("The latest recorded step's numbers for every layer")
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setMinimumHeight(60)
        self.table.setMaximumHeight(TABLE_MAX_HEIGHT)
        self.table.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.warnings = QLabel()
        self.warnings.setObjectName("diagnosticsWarnings")
        self.warnings.setWordWrap(True)
        self.warnings.setTextFormat(Qt.RichText)
        self.warnings.setToolTip("Plain-language warnings about the latest recorded step")
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.legend)
        layout.addWidget(self.grad_plot, 1)
        layout.addWidget(self.ratio_plot, 1)
        layout.addWidget(self.table)
        layout.addWidget(self.warnings)
        # Scrolls instead of forcing the dock (and the main window) to grow.
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.NoFrame)
        self.scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)
        self.clear()

    @staticmethod
    def _make_plot(title: str, tip: str) -> pg.PlotWidget:
        axes = {"left": LogAxis("left"), "bottom": IntegerAxis("bottom")}
        plot = _Plot(background="w", title=title, axisItems=axes)
        plot.setLogMode(False, True)
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setLabel("bottom", "step")
        # Wide enough for labels such as 0.0001, which pyqtgraph drops when they do not fit.
        plot.getAxis("left").setWidth(56)
        plot.setDownsampling(auto=True, mode="peak")
        plot.setClipToView(True)
        plot.setMinimumHeight(PLOT_MIN_HEIGHT)
        plot.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        plot.setToolTip(tip)
        return plot

    def clear(self) -> None:
        """Forget every step (a reset or a new project)."""
        for plot in (self.grad_plot, self.ratio_plot):
            for curve in list(getattr(self, "_curves", {}).get(id(plot), {}).values()):
                plot.removeItem(curve)
        self._curves: dict[int, dict[str, pg.PlotDataItem]] = {id(self.grad_plot): {},
                                                                id(self.ratio_plot): {}}
        self.steps: dict[str, list[int]] = {}
        self.grad_norms: dict[str, list[float]] = {}
        self.update_ratios: dict[str, list[float]] = {}
        self.latest: Diagnostics | None = None
        self.table.setRowCount(0)
        self._update_legend()
        self.warnings.setText("<i>No recorded steps yet.</i>")

    def _update_legend(self) -> None:
        """One coloured entry per layer plus the dashed 1e-3 line, above the plots."""
        entries = [f"<span style='color: {_hex(LAYER_COLOURS[i % len(LAYER_COLOURS)])}'>"
                   f"&#9473;&#9473;</span>&nbsp;{_escape(layer_id)}"
                   for i, layer_id in enumerate(self._curves[id(self.grad_plot)])]
        entries.append(f"<span style='color: {_hex(RULE_COLOUR)}'>&#9548;&#9548;</span>"
                       f"&nbsp;1e-3 rule of thumb (lower plot)")
        self.legend.setText("&nbsp;&nbsp;&nbsp; ".join(entries))

    def _curve(self, plot: pg.PlotWidget, layer_id: str) -> pg.PlotDataItem:
        """The layer's curve on ``plot``, created (with the layer's colour) the first time."""
        curves = self._curves[id(plot)]
        if layer_id not in curves:
            colour = LAYER_COLOURS[len(curves) % len(LAYER_COLOURS)]
            curves[layer_id] = plot.plot([], [], name=layer_id, pen=pg.mkPen(colour, width=1.5),
                                         connect="finite")
            if plot is self.grad_plot:
                self._update_legend()
        return curves[layer_id]

    def add(self, diagnostics: Diagnostics) -> None:
        """Append one step's diagnostics and update the curves, table and warnings."""
        self.latest = diagnostics
        for layer_id, layer in diagnostics.layers.items():
            if layer.grad_norm is None:
                continue
            self.steps.setdefault(layer_id, []).append(diagnostics.step)
            self.grad_norms.setdefault(layer_id, []).append(layer.grad_norm)
            self.update_ratios.setdefault(layer_id, []).append(
                layer.update_ratio if layer.update_ratio is not None else np.nan)
            steps = np.asarray(self.steps[layer_id], dtype=np.float64)
            self._curve(self.grad_plot, layer_id).setData(
                steps, _positive(self.grad_norms[layer_id]))
            self._curve(self.ratio_plot, layer_id).setData(
                steps, _positive(self.update_ratios[layer_id]))
        self._fill_table(diagnostics)
        self._show_warnings(diagnostics)

    def _fill_table(self, diagnostics: Diagnostics) -> None:
        self.table.setRowCount(len(diagnostics.layers))
        # As tall as its rows (up to TABLE_MAX_HEIGHT): no blank space stolen from the plots.
        rows = self.table.horizontalHeader().height() + 2 * self.table.frameWidth() + sum(
            self.table.rowHeight(row) for row in range(self.table.rowCount()))
        self.table.setMaximumHeight(min(TABLE_MAX_HEIGHT, rows + 2))
        for row, layer in enumerate(diagnostics.layers.values()):
            cells = (layer.layer_id, _format(layer.grad_norm), _format(layer.update_ratio),
                     _percent(layer.dead_fraction), _percent(layer.saturated_fraction))
            for column, text in enumerate(cells):
                item = self.table.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(row, column, item)
                item.setText(text)

    def _show_warnings(self, diagnostics: Diagnostics) -> None:
        if diagnostics.warnings:
            items = "".join(f"<li>{_escape(text)}</li>" for text in diagnostics.warnings)
            self.warnings.setText(f"<b style='color: #b00'>Step {diagnostics.step}: "
                                  f"warnings</b><ul style='margin: 0'>{items}</ul>")
        else:
            self.warnings.setText(f"<span style='color: #070'>Step {diagnostics.step}: "
                                  f"no warnings.</span>")


def _format(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
