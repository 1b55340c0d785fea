"""What each convolution layer makes of one chosen sample: its feature maps, side by side."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from engine.probes import conv_layer_ids, feature_maps, tile_images
from playground.images.imaging import (BACKGROUND, SEQUENTIAL, display_images, fit_image,
                                       hide_axes, image_plot)


class FeatureMapsView(QWidget):
    """The chosen sample next to the feature maps of every conv layer (bright = active).

    ``set_model(model, preprocessor)`` and ``set_samples(raw_images, labels, classes)`` set it
    up; ``refresh()`` computes the maps here (fine when training is paused), while during
    training the worker's snapshot feeds ``update_maps(probe.feature_maps)`` for the sample
    announced by ``sampleChanged``. Each layer's maps share one brightness scale, so strong and
    weak maps can be compared.
    """

    sampleChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("featureMapsView")
        self.model = None
        self.preprocessor = None
        self.samples = np.zeros((0, 1, 1, 1), dtype=np.float32)
        self.labels: np.ndarray | None = None
        self.classes: list[str] = []
        self.maps: dict[str, np.ndarray] = {}
        # Off while a worker trains the model: probing switches it to evaluation mode, which
        # must not happen between the worker's forward and backward passes.
        self.compute_here = True
        self._layer_items: dict[str, tuple[pg.PlotItem, pg.ImageItem]] = {}

        self.sample_spin = QSpinBox(objectName="featureSample")
        self.sample_spin.setRange(0, 0)
        self.sample_label = QLabel(objectName="featureSampleLabel")
        self.caption = QLabel("No network yet.", objectName="featureCaption", wordWrap=True)
        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot_widget.setBackground(BACKGROUND)
        self.input_plot, self.input_image = image_plot("input")
        hide_axes(self.input_plot)
        self.input_image.setLevels((0.0, 1.0))
        self.plot_widget.addItem(self.input_plot, row=0, col=0)

        top = QHBoxLayout()
        top.addWidget(QLabel("Sample"))
        top.addWidget(self.sample_spin)
        top.addWidget(self.sample_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot_widget, 1)
        self.sample_spin.valueChanged.connect(self._sample_changed)

    @property
    def sample_index(self) -> int:
        """Index of the chosen sample in the samples given to ``set_samples``."""
        return int(self.sample_spin.value())

    def set_model(self, model, preprocessor) -> None:
        """Use this built model and the preprocessor that turns raw samples into its input."""
        self.model, self.preprocessor = model, preprocessor
        self._build_layers(conv_layer_ids(model))
        if not self._layer_items:
            self.caption.setText("This network has no conv2d layer; add one to see feature "
                                 "maps.")
        self.refresh()

    def set_samples(self, images: np.ndarray, labels: np.ndarray | None = None,
                    classes: list[str] | None = None) -> None:
        """The raw samples ``(N, C, H, W)`` to choose from (e.g. the test split)."""
        self.samples = np.asarray(images, dtype=np.float32)
        self.labels = None if labels is None else np.asarray(labels, dtype=np.int64)
        self.classes = list(classes or [])
        self.sample_spin.blockSignals(True)
        self.sample_spin.setRange(0, max(0, len(self.samples) - 1))
        self.sample_spin.blockSignals(False)
        self._show_input()
        self.refresh()

    def select_sample(self, index: int) -> None:
        """Choose the sample whose maps are shown (emits ``sampleChanged``)."""
        self.sample_spin.setValue(int(index))

    def network_input(self) -> np.ndarray:
        """The chosen sample as the network sees it: ``(1, *input_shape)``."""
        return self.preprocessor.transform(self.samples[self.sample_index:self.sample_index + 1])

    @Slot()
    def refresh(self) -> None:
        """Compute the maps for the chosen sample on this thread and show them."""
        if (not self.compute_here or self.model is None or self.preprocessor is None
                or not len(self.samples) or not self._layer_items):
            return
        self.update_maps(feature_maps(self.model, self.network_input()[0]))

    def update_maps(self, maps: dict[str, np.ndarray]) -> None:
        """Show feature maps: conv layer id → ``(filters, H, W)`` for the chosen sample."""
        if not maps:
            return
        self.maps = {layer_id: np.asarray(value, dtype=np.float32)
                     for layer_id, value in maps.items()}
        if list(self.maps) != list(self._layer_items):
            self._build_layers(list(self.maps))
        shapes = []
        for layer_id, values in self.maps.items():
            plot, image = self._layer_items[layer_id]
            low, high = float(values.min(initial=0.0)), float(values.max(initial=0.0))
            mosaic = tile_images(values, gap=1, fill=np.nan)
            image.setImage(mosaic, autoLevels=False,
                           levels=(low, high if high > low else low + 1.0))
            fit_image(plot, mosaic.shape)
            shapes.append(f"{layer_id} {values.shape[0]}×{values.shape[1]}×{values.shape[2]}")
        self.caption.setText("Feature maps (bright = strongly active): " + ", ".join(shapes))

    def _build_layers(self, layer_ids: list[str]) -> None:
        """One plot per conv layer, created once and then updated in place."""
        for plot, _ in self._layer_items.values():
            self.plot_widget.removeItem(plot)
        self._layer_items = {}
        for column, layer_id in enumerate(layer_ids, start=1):
            plot, image = image_plot(layer_id)
            hide_axes(plot)
            image.setColorMap(SEQUENTIAL)
            self.plot_widget.addItem(plot, row=0, col=column)
            self._layer_items[layer_id] = (plot, image)

    def _show_input(self) -> None:
        if not len(self.samples):
            self.input_image.clear()
            self.sample_label.setText("no samples")
            return
        index = self.sample_index
        picture = display_images(self.samples[index:index + 1])[0]
        self.input_image.setImage(picture, autoLevels=False, levels=(0.0, 1.0))
        fit_image(self.input_plot, picture.shape)
        text = f"of {len(self.samples)}"
        if self.labels is not None:
            label = int(self.labels[index])
            name = self.classes[label] if label < len(self.classes) else str(label)
            text += f" · class {name}"
        self.sample_label.setText(text)

    @Slot(int)
    def _sample_changed(self, index: int) -> None:
        self._show_input()
        self.sampleChanged.emit(int(index))
        self.refresh()
