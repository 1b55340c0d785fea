"""The confusion view on the digits test split: matrix, clicks, per-class accuracy, mistakes."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from engine.probes import confusion_report, evaluate_confusion
from playground.images import ConfusionView
from playground.images.screenshots import train_digits_cnn


@pytest.fixture(scope="module")
def trainer():
    """A digits CNN trained for one epoch: good, but with mistakes to look at."""
    return train_digits_cnn(epochs=1, seed=2)


@pytest.fixture
def view(qtbot, trainer) -> ConfusionView:
    widget = ConfusionView()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.set_samples(trainer.dataset.x_test, trainer.dataset.classes)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def click_cell(qtbot, view: ConfusionView, row: int, column: int) -> None:
    """Click the middle of a matrix cell with the real mouse-event path."""
    scene_point = view.plot.getViewBox().mapViewToScene(QPointF(column + 0.5, row + 0.5))
    widget_point = view.plot_widget.mapFromScene(scene_point)
    qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=widget_point)


def test_matrix_counts_rates_and_summary(view, trainer) -> None:
    report = view.evaluate(trainer.model, trainer.x_test, trainer.y_test)
    assert report.matrix.sum() == len(trainer.y_test)
    rows = report.matrix.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(view.image.image, report.matrix / rows)
    texts = [text.textItem.toPlainText() for text in view._texts]
    assert len(texts) == 100
    assert texts[0] == str(report.matrix[0, 0])
    assert all(t == "" for t, c in zip(texts, report.matrix.reshape(-1)) if c == 0)
    heights = view.accuracy_bars.opts["height"]
    np.testing.assert_allclose(heights, report.per_class_accuracy())
    assert f"accuracy {report.accuracy:.1%}" in view.summary.text()
    wrong = report.most_confidently_wrong(16)
    assert view.wrong_list.count() == len(wrong) > 0
    first = view.wrong_list.item(0)
    index = int(first.data(Qt.ItemDataRole.UserRole))
    assert index == wrong[0]
    names = trainer.dataset.classes
    true_name, predicted_name = names[report.labels[index]], names[report.predicted[index]]
    assert first.text().startswith(f"{true_name}→{predicted_name}")


def test_clicking_a_cell_lists_its_samples_with_probabilities(qtbot, view, trainer) -> None:
    report = view.evaluate(trainer.model, trainer.x_test, trainer.y_test)
    wrong = report.most_confidently_wrong(1)[0]
    row, column = int(report.labels[wrong]), int(report.predicted[wrong])
    with qtbot.waitSignal(view.cellSelected, timeout=2000) as blocker:
        click_cell(qtbot, view, row, column)
    assert blocker.args == [row, column]
    members = report.cell_indices(row, column)
    assert view.cell_list.count() == len(members) == report.matrix[row, column]
    listed = [int(view.cell_list.item(k).data(Qt.ItemDataRole.UserRole))
              for k in range(view.cell_list.count())]
    assert listed == members.tolist()
    probability = report.probabilities[listed[0], column]
    assert view.cell_list.item(0).text().endswith(f"{probability:.0%}")
    assert f"True {row}, predicted {column}" in view.cell_caption.text()
    assert view.highlight.isVisible()
    assert view.highlight.rect().topLeft() == QPointF(column, row)
    # A diagonal cell lists correct samples; a new report keeps the selection.
    view.select_cell(3, 3)
    assert view.cell_list.count() == report.matrix[3, 3]
    view.update_report(evaluate_confusion(trainer.model, trainer.x_test[:40],
                                          trainer.y_test[:40], 10))
    assert view.selected == (3, 3)
    assert view.cell_list.count() == int(((trainer.y_test[:40] == 3)
                                          & (view.report.predicted == 3)).sum())


def test_many_classes_skip_cell_text_and_names_default(qtbot) -> None:
    view = ConfusionView()
    qtbot.addWidget(view)
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(26), size=200)
    labels = rng.integers(0, 26, 200)
    view.set_samples(rng.uniform(0, 1, (200, 1, 28, 28)), [chr(65 + k) for k in range(26)])
    view.update_report(confusion_report(probabilities, labels, 26))
    assert view._texts == []  # 676 numbers would not fit; colours carry the matrix
    assert view.image.image.shape == (26, 26)
    view.select_cell(0, 1)
    assert "True A, predicted B" in view.cell_caption.text()
    view.update_report(None)  # no evaluation yet: nothing changes
    assert view.report.n_classes == 26


def test_absent_classes_are_never_the_worst(qtbot) -> None:
    view = ConfusionView()
    qtbot.addWidget(view)
    view.set_samples(np.zeros((3, 1, 8, 8)), ["a", "b", "c"])
    probabilities = np.array([[0.9, 0.1, 0.0], [0.6, 0.4, 0.0], [0.2, 0.8, 0.0]])
    view.update_report(confusion_report(probabilities, np.array([0, 1, 1]), 3))
    assert view.summary.text().endswith("worst class b (50%)")
    assert view.accuracy_bars.opts["height"][2] == 0.0
    empty = confusion_report(np.zeros((0, 3)), np.zeros(0, dtype=np.int64), 3)
    view.update_report(empty)
    assert "wrong" in view.summary.text() and "worst" not in view.summary.text()
