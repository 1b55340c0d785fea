"""Loss curves (train per step, test per snapshot) and accuracy or R², updated in place."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from playground import theme
from playground.stepthrough.axes import LogAxis


MAX_POINTS = 5_000    # recorded steps kept per curve; beyond it every other one is dropped
LOSS_FLOOR = 1e-8     # the log axis cannot show 0; smaller losses sit on this floor
R2_FLOOR = -1.0       # lowest R² shown; worse values sit on it and the axis label says so
EMPTY_TEXT = "No training yet: press Step or Train."
# The batch-loss curve's opacity (0–255): noisy, so drawn faintly. Its pen is opaque (this
# colour pre-blended with the background), so overlapping segments no longer darken the dense
# part of the band; 110 gives the band about the shade the translucent 70 had there.
BATCH_ALPHA = 110
# Samples per pixel column the curves draw at most: peak downsampling keeps each column's
# minimum and maximum, so the batch loss's noise band looks the same with far fewer segments.
SAMPLES_PER_PIXEL = 1.0
# (label, colour, opacity 0–1, swatch) of the legend row; the same colours serve both plots.
LEGEND_ENTRIES: tuple[tuple[str, tuple[int, int, int], float, str], ...] = (
    ("batch loss", theme.LOSS_TRAIN, 0.55, "&#9472;&#9472;&#9472;"),
    ("train", theme.LOSS_TRAIN, 1.0, "&#9473;&#9473;&#9473;"),
    ("test", theme.LOSS_TEST, 1.0, "&#9473;&#9473;&#9473;"),
)
LEGEND_TIP = ("Line colours, the same in both plots:\n"
              "batch loss: each mini-batch's loss as it trains (noisy, drawn faintly)\n"
              "train: the whole training set, at each evaluation\n"
              "test: the held-out test set, at each evaluation")


class GrowingSeries:
    """An x/y buffer that doubles its capacity, so appends are amortised O(1).

    Past ``max_points`` it keeps every other point and from then on records every
    ``stride``-th step, so long runs keep a bounded, evenly spaced record.
    """

    def __init__(self, capacity: int = 4096, max_points: int = MAX_POINTS) -> None:
        self.x = np.empty(capacity)
        self.y = np.empty(capacity)
        self.size = 0
        self.stride = 1
        self.max_points = max_points
        self.revision = 0     # bumped by every change, so unchanged curves are not redrawn

    def extend(self, x, y) -> None:
        """Append points (thinned to the current stride)."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if self.stride > 1:
            keep = (x % self.stride) == 0
            x, y = x[keep], y[keep]
        need = self.size + len(x)
        if need > len(self.x):
            capacity = max(need, 2 * len(self.x))
            self.x = np.resize(self.x, capacity)
            self.y = np.resize(self.y, capacity)
        self.x[self.size:need] = x
        self.y[self.size:need] = y
        self.size = need
        self.revision += len(x) > 0
        while self.size > self.max_points:
            self.stride *= 2
            keep = (self.x[:self.size] % self.stride) == 0
            count = int(keep.sum())
            self.x[:count] = self.x[:self.size][keep]
            self.y[:count] = self.y[:self.size][keep]
            self.size = count

    def clear(self) -> None:
        """Forget every point."""
        self.size = 0
        self.stride = 1
        self.revision += 1

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        """The filled part (views, not copies)."""
        return self.x[:self.size], self.y[:self.size]


class LossView(QWidget):
    """``lossPlot``: its first data item is the training loss of every recorded step."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.loss_plot = pg.PlotWidget(background="w", axisItems={"left": LogAxis("left")})
        self.loss_plot.setObjectName("lossPlot")
        self.loss_plot.setLabel("left", "loss (log scale)")
        # Log y: a diverging run (loss 1e27) and a converged one (1e-3) stay readable together.
        self.loss_plot.setLogMode(x=False, y=True)
        self.loss_plot.setLabel("bottom", "step")
        # No grid and hand-set ranges: pyqtgraph's grid and per-frame autorange cost ~25 ms
        # a paint, which would steal that time from training.
        self.loss_plot.enableAutoRange(False)
        # First item: every step's batch loss (noisy, so drawn faintly under the others). Its
        # pen is opaque, pre-blended with the background (``_match_background``): a translucent
        # pen makes Qt blend every pixel of thousands of segments.
        self.train_curve = self.loss_plot.plot([], [], name="batch loss")
        self._batch_background = ""
        self._match_background()
        self.full_train_curve = self.loss_plot.plot(
            [], [], pen=pg.mkPen(theme.LOSS_TRAIN, width=2), name="train loss")
        self.test_curve = self.loss_plot.plot(
            [], [], pen=pg.mkPen(theme.LOSS_TEST, width=2), name="test loss")
        self.metric_plot = pg.PlotWidget(background="w")
        self.metric_plot.setObjectName("metricPlot")
        self.metric_plot.setLabel("left", "accuracy")
        self.metric_plot.setLabel("bottom", "step")
        self.metric_plot.enableAutoRange(False)
        # No setXLink: with axis labels changing width it can ping-pong resizes forever;
        # _fit_ranges gives both plots the same x range instead. One fixed width, wide enough
        # for the longest log tick ("0.0001") beside the rotated label, keeps the two x axes
        # aligned without re-layouts.
        width = left_axis_width(self.loss_plot.getAxis("left"))
        for plot in (self.loss_plot, self.metric_plot):
            plot.getAxis("left").enableAutoSIPrefix(False)
            plot.getAxis("left").setWidth(width)
        self.train_metric = self.metric_plot.plot([], [], pen=pg.mkPen(theme.LOSS_TRAIN, width=2),
                                                  name="train")
        self.test_metric = self.metric_plot.plot([], [], pen=pg.mkPen(theme.LOSS_TEST, width=2),
                                                 name="test")
        self.summary = QLabel(EMPTY_TEXT)
        self.summary.setObjectName("lossSummary")
        self.summary.setWordWrap(True)
        self.summary.setToolTip("The latest evaluation of the whole training and test sets")
        # The legend is a row of its own above the plots, so it never covers a curve, whatever
        # the dock's width or the loss range.
        self.legend = QLabel(legend_html())
        self.legend.setObjectName("lossLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setToolTip(LEGEND_TIP)
        layout.addWidget(self.summary)
        layout.addWidget(self.legend)
        layout.addWidget(self.loss_plot, 3)
        layout.addWidget(self.metric_plot, 2)
        self.train = GrowingSeries()
        self.test = GrowingSeries(256)
        self.full_train = GrowingSeries(256)
        self.train_score = GrowingSeries(256)
        self.test_score = GrowingSeries(256)
        for curve in self.curves():
            thin_for_screen(curve)
        self._drawn: dict[int, tuple[int, str]] = {}   # id(curve) → (revision, task) drawn
        self._dirty = False
        self._x_limit = 0.0
        self._y_limit: tuple | float = 0.0
        self.task = "classification"
        self.origin = "fresh weights"   # named in the summary while the step count is 0

    def curves(self) -> tuple[pg.PlotDataItem, ...]:
        """Every data item of both plots (batch loss first)."""
        return (self.train_curve, self.full_train_curve, self.test_curve, self.train_metric,
                self.test_metric)

    def _match_background(self) -> None:
        """Give the batch-loss pen the faint colour it would have over the current background."""
        background = theme.PLOT_BACKGROUND
        if background == self._batch_background:
            return
        self._batch_background = background
        colour = faint_colour(theme.LOSS_TRAIN, BATCH_ALPHA, pg.mkColor(background).getRgb()[:3])
        self.train_curve.setPen(pg.mkPen(colour, width=1))

    def set_task(self, task: str) -> None:
        """Label the metric plot for classification (accuracy) or regression (R²)."""
        self.task = task
        self.metric_plot.setLabel("left", "accuracy" if task == "classification" else "R²")
        self.metric_plot.setYRange(0, 1.02, padding=0)

    def clear(self) -> None:
        """Empty every curve (after a reset or a new network)."""
        for series in (self.train, self.test, self.full_train, self.train_score, self.test_score):
            series.clear()
        self._x_limit = self._y_limit = 0.0
        self.summary.setText(EMPTY_TEXT)
        self._dirty = True
        self.refresh()

    def add_steps(self, steps: np.ndarray, losses: np.ndarray) -> None:
        """Append per-step training losses (drawn on the next ``refresh``)."""
        if len(steps):
            self.train.extend(steps, losses)
            self._dirty = True

    def add_evaluation(self, step: int, evaluation: dict) -> None:
        """Append a test loss and train/test accuracy (or R²) point."""
        if evaluation.get("train_loss") is not None:
            self.full_train.extend([step], [evaluation["train_loss"]])
        test_loss = evaluation.get("test_loss")
        if test_loss is not None:
            self.test.extend([step], [test_loss])
        for key, series in (("train", self.train_score), ("test", self.test_score)):
            value = evaluation.get(f"{key}_accuracy")
            if value is None:
                value = evaluation.get(f"{key}_r2")
            if value is not None:
                series.extend([step], [value])
        self.summary.setText(summary_text(step, evaluation, self.origin))
        self._dirty = True

    def refresh(self) -> None:
        """Push changed buffers into their plot items (one setData per changed curve)."""
        self._match_background()
        if not self._dirty:
            return
        self._dirty = False
        x, y = self.train.view()
        finite = np.isfinite(y)
        if not finite.all():
            x, y = x[finite], y[finite]
        if self._changed(self.train_curve, self.train):
            self.train_curve.setData(x, np.maximum(y, LOSS_FLOOR))
        for curve, series in ((self.test_curve, self.test),
                              (self.full_train_curve, self.full_train),
                              (self.train_metric, self.train_score),
                              (self.test_metric, self.test_score)):
            if not self._changed(curve, series):
                continue
            sx, sy = series.view()
            if curve in (self.test_curve, self.full_train_curve):
                sy = np.maximum(np.nan_to_num(sy, nan=np.nan, posinf=np.nan), LOSS_FLOOR)
            elif self.task != "classification":
                # Worse R² sits on the bottom edge, which the axis label calls clipped.
                sy = np.maximum(sy, R2_FLOOR)
            # A few evaluations (a loaded model, a short run) need markers to be seen at all.
            symbol = "o" if 0 < series.size <= 20 else None
            if curve.opts["symbol"] != symbol:
                curve.setSymbolSize(6)
                curve.setSymbolBrush(curve.opts["pen"].color())
                curve.setSymbolPen(None)
                curve.setSymbol(symbol)
            curve.setData(sx, sy)
        self._fit_ranges(x, y)

    def _changed(self, curve: pg.PlotDataItem, series: GrowingSeries) -> bool:
        """Whether ``series`` changed since ``curve`` was last given its data (and note it)."""
        drawn = (series.revision, self.task)
        if self._drawn.get(id(curve)) == drawn:
            return False
        self._drawn[id(curve)] = drawn
        return True

    def _fit_ranges(self, x: np.ndarray, y: np.ndarray) -> None:
        """Grow the axes in steps (x by half again, y to the largest loss) so they rarely move."""
        last = float(x[-1]) if len(x) else 0.0
        if last > self._x_limit or self._x_limit == 0.0:
            self._x_limit = max(10.0, last * 1.5)
            # A little room left of 0, so a step-0 evaluation is not half under the axis.
            start = -0.02 * self._x_limit
            self.loss_plot.setXRange(start, self._x_limit, padding=0)
            self.metric_plot.setXRange(start, self._x_limit, padding=0)
        values = [series.view()[1] for series in (self.test, self.full_train)]
        if len(y):
            values.append(y[-500:])
        finite = np.concatenate([np.asarray(v, dtype=float) for v in values])
        finite = finite[np.isfinite(finite) & (finite > 0)]
        if finite.size:
            low = float(np.log10(max(finite.min(), LOSS_FLOOR)))
            high = float(np.log10(finite.max()))
        else:
            low, high = -2.0, 0.0
        # Whole decades with a margin, changed only when the data leaves them (few re-layouts).
        low, high = np.floor(low - 0.1), np.ceil(high + 0.1)
        if (low, high) != self._y_limit:
            self._y_limit = (low, high)
            self.loss_plot.setYRange(low, high, padding=0)
        if self.task != "classification":
            self._fit_r2_range()

    def _fit_r2_range(self) -> None:
        """R² from its worst value to 1, floored at −1; the label says when values are clipped
        (the summary line above the plots names the real values)."""
        scores = np.concatenate([self.train_score.view()[1], self.test_score.view()[1]])
        scores = scores[np.isfinite(scores)]
        worst = float(scores.min()) if scores.size else 0.0
        self.metric_plot.setYRange(max(min(0.0, worst), R2_FLOOR), 1.02, padding=0)
        label = "R²" if worst >= R2_FLOOR else "R² (clipped at −1)"
        self.metric_plot.setLabel("left", label)


def faint_colour(colour: tuple[int, int, int], alpha: int,
                 background: tuple[int, int, int]) -> tuple[int, int, int]:
    """The opaque colour ``colour`` at opacity ``alpha`` (0–255) shows over ``background``."""
    share = alpha / 255
    return tuple(int(round(b + (c - b) * share)) for c, b in zip(colour, background))


def thin_for_screen(curve: pg.PlotDataItem) -> None:
    """Draw at most ``SAMPLES_PER_PIXEL`` min/max pairs per pixel, only the part in view.

    The item keeps every point (``xData``); only what is painted is reduced.
    """
    curve.setDownsampling(auto=True, method="peak")
    curve.setClipToView(True)
    # pyqtgraph 0.14 draws ~5 samples per pixel by default; one min/max pair per pixel column
    # already paints every pixel the full data would.
    if "autoDownsampleFactor" in curve.opts:
        curve.opts["autoDownsampleFactor"] = SAMPLES_PER_PIXEL


def legend_html() -> str:
    """The legend row: a coloured line sample and a name per curve."""
    entries = [f"<span style='color: rgba({r}, {g}, {b}, {alpha})'>{swatch}</span>&nbsp;{name}"
               for name, (r, g, b), alpha, swatch in LEGEND_ENTRIES]
    return "&nbsp;&nbsp;&nbsp; ".join(entries)


def left_axis_width(axis: pg.AxisItem) -> int:
    """Pixels the left axis needs for the widest tick text plus the rotated label."""
    metrics = QFontMetrics(axis.style.get("tickFont") or axis.font())
    label = QFontMetrics(axis.label.font())
    return metrics.horizontalAdvance("0.0001") + label.height() + 14


def summary_text(step: int, evaluation: dict, origin: str = "fresh weights") -> str:
    """One line naming the latest evaluation's losses and accuracy or R²."""
    parts = [f"step {step:,}" if step else f"step 0 ({origin})"]
    for key, name in (("train_loss", "train loss"), ("test_loss", "test loss")):
        if evaluation.get(key) is not None:
            parts.append(f"{name} {evaluation[key]:.4g}")
    for split in ("train", "test"):
        accuracy = evaluation.get(f"{split}_accuracy")
        r2 = evaluation.get(f"{split}_r2")
        if accuracy is not None:
            parts.append(f"{split} accuracy {100 * accuracy:.1f}%")
        elif r2 is not None:
            parts.append(f"{split} R² {r2:.3g}")
    return "  ·  ".join(parts)
