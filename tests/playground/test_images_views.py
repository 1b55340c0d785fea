"""Sample grid, filters and feature maps on the real digits set and a briefly trained CNN."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine.graph import build_model
from engine.probes import feature_maps, filter_images, tile_images
from playground.images import FeatureMapsView, FiltersView, SampleGrid
from playground.images.screenshots import train_digits_cnn


@pytest.fixture(scope="module")
def trainer():
    """The digits CNN of the screenshots, trained for two epochs."""
    return train_digits_cnn(epochs=2)


def test_sample_grid_counts_filters_and_clicks(qtbot, trainer) -> None:
    dataset = trainer.dataset
    grid = SampleGrid(max_shown=50)
    qtbot.addWidget(grid)
    grid.set_data(dataset.x_train, dataset.y_train, dataset.classes)
    counts = np.bincount(dataset.y_train, minlength=10)
    np.testing.assert_array_equal(grid.class_counts(), counts)
    assert grid.count_label.text().startswith(f"0: {counts[0]}  1: {counts[1]}")
    assert grid.class_filter.count() == 11
    assert grid.class_filter.itemText(4) == f"3 ({counts[3]})"
    assert grid.grid.count() == 50
    assert grid.status_label.text() == f"50 of {len(dataset.y_train)} shown"
    grid.set_class_filter(7)
    assert grid.grid.count() == 50
    assert {grid.grid.item(k).text() for k in range(grid.grid.count())} == {"7"}
    assert (dataset.y_train[grid.shown_indices] == 7).all()
    grid.show()
    qtbot.waitExposed(grid)
    item = grid.grid.item(2)
    rect = grid.grid.visualItemRect(item)
    with qtbot.waitSignal(grid.sampleActivated) as blocker:
        qtbot.mouseClick(grid.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [int(grid.shown_indices[2])]
    grid.set_class_filter(-1)
    assert grid.grid.count() == 50
    with pytest.raises(ValueError):
        grid.set_class_filter(12)
    with pytest.raises(ValueError):
        grid.set_data(dataset.x_train[:3], dataset.y_train[:2])


def test_filters_view_shows_the_first_layer(qtbot, trainer) -> None:
    view = FiltersView()
    qtbot.addWidget(view)
    view.set_model(trainer.model)
    assert view.layer_id == "conv2d_1"
    expected = tile_images(filter_images(trainer.model), gap=1, fill=np.nan)
    np.testing.assert_allclose(view.image.image, expected, equal_nan=True)
    assert view.image.getLevels() == pytest.approx((-1.0, 1.0))
    assert "8 filters of 3×3" in view.caption.text()
    view.show()
    qtbot.waitExposed(view)
    picture = view.plot_widget.grab().toImage()
    colours = {picture.pixelColor(x, y).name() for x in range(0, picture.width(), 7)
               for y in range(0, picture.height(), 7)}
    assert len(colours) > 10  # the filters are drawn, not a blank plot
    # Snapshot path: the worker sends images; the view does not touch the model.
    view.update_filters(np.zeros((4, 5, 5), dtype=np.float32))
    assert view.image.image.shape == (11, 11)
    view.update_filters(None)
    assert view.image.image.shape == (11, 11)


def test_filters_view_without_conv_layers(qtbot) -> None:
    view = FiltersView()
    qtbot.addWidget(view)
    model = build_model([{"type": "flatten"}, {"type": "dense", "units": 10}], (1, 8, 8), 0)
    view.set_model(model)
    assert view.layer_id is None
    assert "no conv2d layer" in view.caption.text()


def test_feature_maps_view_follows_the_chosen_sample(qtbot, trainer) -> None:
    dataset = trainer.dataset
    view = FeatureMapsView()
    qtbot.addWidget(view)
    view.set_model(trainer.model, trainer.preprocessor)
    view.set_samples(dataset.x_test, dataset.y_test, dataset.classes)
    assert view.sample_spin.maximum() == len(dataset.x_test) - 1
    first = feature_maps(trainer.model, trainer.x_test[0])["conv2d_1"]
    np.testing.assert_allclose(view.maps["conv2d_1"], first, rtol=1e-5, atol=1e-6)
    with qtbot.waitSignal(view.sampleChanged) as blocker:
        view.select_sample(5)
    assert blocker.args == [5]
    assert f"class {dataset.y_test[5]}" in view.sample_label.text()
    np.testing.assert_allclose(view.input_image.image, dataset.x_test[5, 0])
    expected = feature_maps(trainer.model, trainer.x_test[5])
    assert list(view.maps) == ["conv2d_1", "conv2d_2"]
    for layer_id, maps in expected.items():
        np.testing.assert_allclose(view.maps[layer_id], maps, rtol=1e-5, atol=1e-6)
        _, image = view._layer_items[layer_id]
        np.testing.assert_allclose(image.image, tile_images(maps, gap=1, fill=np.nan),
                                   rtol=1e-5, atol=1e-6, equal_nan=True)
    assert view.maps["conv2d_1"].shape == (8, 8, 8)
    assert "conv2d_2 16×4×4" in view.caption.text()
    # While a worker trains, the view waits for snapshots instead of probing the model.
    view.compute_here = False
    view.select_sample(6)
    np.testing.assert_allclose(view.maps["conv2d_1"], expected["conv2d_1"], rtol=1e-5,
                               atol=1e-6)
    fresh = {"conv2d_1": np.ones((8, 8, 8), np.float32)}
    view.update_maps(fresh)
    assert list(view._layer_items) == ["conv2d_1"]
