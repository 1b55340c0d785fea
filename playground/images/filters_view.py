"""The first convolution layer's filters as small images (red positive, blue negative)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.probes import filter_images, first_conv_id, tile_images
from playground.images.imaging import BACKGROUND, DIVERGING, fit_image, hide_axes, image_plot


class FiltersView(QWidget):
    """A mosaic of one conv layer's filters, each scaled to its own largest weight.

    ``set_model(model)`` reads the first conv layer; during training the worker's throttled
    snapshot feeds ``update_filters(probe.filters)`` (``(F, k, k)`` in [-1, 1]) instead, so the
    GUI thread never touches the weights being trained.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filtersView")
        self.layer_id: str | None = None
        self.filters = np.zeros((0, 1, 1), dtype=np.float32)
        self.caption = QLabel(objectName="filtersCaption", wordWrap=True)
        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot_widget.setBackground(BACKGROUND)
        self.plot, self.image = image_plot()
        hide_axes(self.plot)
        self.image.setColorMap(DIVERGING)
        self.plot_widget.addItem(self.plot)
        colour_bar = pg.ColorBarItem(values=(-1.0, 1.0), colorMap=DIVERGING, interactive=False,
                                     width=12)
        colour_bar.setImageItem(self.image)
        self.plot_widget.addItem(colour_bar)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot_widget, 1)
        self.caption.setText("No network yet.")

    def set_model(self, model, layer_id: str | None = None) -> None:
        """Show the filters of ``layer_id`` (default: the first conv layer) of a built model."""
        self.layer_id = layer_id or first_conv_id(model)
        if self.layer_id is None:
            self.filters = np.zeros((0, 1, 1), dtype=np.float32)
            self.image.clear()
            self.caption.setText("This network has no conv2d layer, so there are no filters "
                                 "to show. Add one at the start of the network.")
            return
        weight_shape = model.layers[self.layer_id].weight.data.shape
        self.update_filters(filter_images(model, self.layer_id), weight_shape)

    def update_filters(self, filters: np.ndarray | None,
                       weight_shape: tuple[int, ...] | None = None) -> None:
        """Redraw from ``(F, k, k)`` filter images in [-1, 1] (``engine.probes.filter_images``)."""
        if filters is None:
            return
        self.filters = np.asarray(filters, dtype=np.float32)
        count, size = len(self.filters), self.filters.shape[-1]
        mosaic = tile_images(self.filters, gap=1, fill=np.nan)
        self.image.setImage(mosaic, autoLevels=False, levels=(-1.0, 1.0))
        fit_image(self.plot, mosaic.shape)
        channels = f", {weight_shape[1]} input channels averaged" if (
            weight_shape and weight_shape[1] > 1) else ""
        self.caption.setText(f"{self.layer_id or 'conv'}: {count} filters of {size}×{size}"
                             f"{channels}. Red weights respond to ink, blue to its absence; "
                             "each filter is scaled to its own largest weight.")
