"""Loss view legend: a row above the plots (never over the curves), readable when narrow."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QFontMetrics

from playground import theme
from playground.views.loss_view import LossView, summary_text


def trained_view(qtbot, width: int, height: int = 420) -> LossView:
    """A loss view with 2,000 noisy blobs-like steps and a few evaluations, shown at a size."""
    view = LossView()
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    rng = np.random.default_rng(0)
    steps = np.arange(1, 2001)
    losses = 1.2 * np.exp(-steps / 300) * rng.uniform(1e-4, 1.5, steps.size) + 1e-3
    view.add_steps(steps, losses)
    for step in range(0, 2001, 200):
        view.add_evaluation(step, {"train_loss": 0.01 + 1 / (step + 1), "test_loss": 0.13,
                                   "train_accuracy": 0.99, "test_accuracy": 0.95})
    view.refresh()
    qtbot.wait(10)
    return view


@pytest.mark.parametrize("width", [300, 500, 800])
def test_legend_is_a_row_above_the_plots_and_never_covers_them(qtbot, width) -> None:
    view = trained_view(qtbot, width)
    # No pyqtgraph legend inside either plot.
    assert view.loss_plot.getPlotItem().legend is None
    assert view.metric_plot.getPlotItem().legend is None
    legend = view.legend
    assert legend.isVisible()
    text = legend.text()
    for name in ("batch loss", "train", "test"):
        assert name in text
    assert legend.geometry().bottom() < view.loss_plot.geometry().top()
    assert not legend.geometry().intersects(view.metric_plot.geometry())
    # Wrapped, every line of it fits (nothing clipped at 300 px).
    assert legend.height() >= legend.heightForWidth(legend.width())


def test_legend_swatches_use_the_curve_colours_in_both_themes(qtbot) -> None:
    view = trained_view(qtbot, 400)
    try:
        for scheme in ("light", "dark"):
            theme.use_scheme(scheme)
            theme.restyle(view)
            image = view.legend.grab().toImage()
            colours = {image.pixelColor(x, y).getRgb()[:3]
                       for x in range(image.width()) for y in range(image.height())}

            def near(target: tuple[int, int, int]) -> bool:
                return any(sum(abs(a - b) for a, b in zip(c, target)) < 40 for c in colours)
            assert near(theme.LOSS_TRAIN) and near(theme.LOSS_TEST), scheme
    finally:
        theme.use_scheme("light")


def test_left_axes_fit_the_longest_log_tick_and_stay_aligned(qtbot) -> None:
    view = trained_view(qtbot, 320)
    loss_axis = view.loss_plot.getAxis("left")
    metric_axis = view.metric_plot.getAxis("left")
    tick = QFontMetrics(loss_axis.style.get("tickFont") or loss_axis.font())
    label = QFontMetrics(loss_axis.label.font())
    assert loss_axis.width() >= tick.horizontalAdvance("0.0001") + label.height()
    # Same width, so both plots' x axes start at the same pixel.
    assert loss_axis.width() == metric_axis.width()
    loss_left = view.loss_plot.getPlotItem().vb.sceneBoundingRect().left()
    metric_left = view.metric_plot.getPlotItem().vb.sceneBoundingRect().left()
    assert view.loss_plot.x() == view.metric_plot.x()
    assert loss_left == pytest.approx(metric_left)


def test_summary_line_reads_without_a_dangling_separator() -> None:
    text = summary_text(2099, {"train_loss": 0.0106, "test_loss": 0.13, "train_accuracy": 0.997,
                               "test_accuracy": 0.957})
    assert text.startswith("step 2,099  ·  train loss 0.0106")
    assert ":" not in text
    assert summary_text(0, {"test_loss": 1.4}, "loaded weights").startswith(
        "step 0 (loaded weights)  ·  test loss 1.4")
