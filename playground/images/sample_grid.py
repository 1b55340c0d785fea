"""Browse an image data set: a grid of samples with their labels, per-class counts, a filter."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QListView, QListWidget,
                               QListWidgetItem, QVBoxLayout, QWidget)

from playground.images.imaging import display_images, gray_pixmap

ALL_CLASSES = -1


class SampleGrid(QWidget):
    """Thumbnails of samples with their class names; a class filter and per-class counts.

    Feed it with ``set_data(images, labels, classes, seed=None)`` (raw ``(N, C, H, W)`` images
    in [0, 1]; with a ``seed`` the shown samples are a seeded random choice rather than the
    first ones). Only shown thumbnails are converted, so a 60,000-image set costs nothing
    extra. ``sampleActivated(index)`` gives the index into those arrays of a clicked sample
    (e.g. to pick the sample whose feature maps are shown).
    """

    sampleActivated = Signal(int)

    def __init__(self, max_shown: int = 240, thumbnail: int = 48,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sampleGrid")
        self.max_shown = int(max_shown)
        self.thumbnail = int(thumbnail)
        self.images = np.zeros((0, 1, 1, 1), dtype=np.float32)
        self.order = np.zeros(0, dtype=np.int64)   # the order samples are shown in
        self.labels = np.zeros(0, dtype=np.int64)
        self.classes: list[str] = []
        self.shown_indices = np.zeros(0, dtype=np.int64)

        self.class_filter = QComboBox(objectName="sampleClassFilter")
        self.count_label = QLabel(objectName="sampleCounts", wordWrap=True)
        self.status_label = QLabel(objectName="sampleStatus")
        self.grid = QListWidget(objectName="sampleList")
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setUniformItemSizes(True)
        self.grid.setIconSize(QSize(self.thumbnail, self.thumbnail))
        self.grid.setGridSize(QSize(self.thumbnail + 18, self.thumbnail + 22))
        self.grid.setSpacing(2)

        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.class_filter, 1)
        top.addWidget(self.status_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.count_label)
        layout.addWidget(self.grid, 1)

        self.class_filter.currentIndexChanged.connect(self._filter_changed)
        self.grid.itemClicked.connect(self._item_clicked)

    def set_data(self, images: np.ndarray, labels: np.ndarray,
                 classes: list[str] | None = None, seed: int | None = None) -> None:
        """Show a new set: raw images ``(N, C, H, W)``, integer labels ``(N,)``, class names.

        ``seed`` shows a reproducible random selection (per class when filtered) instead of
        the first samples, which in a sorted data set would all be one class.
        """
        images = np.asarray(images)
        if images.ndim not in (3, 4):
            raise ValueError(f"expected images (N, C, H, W) or (N, H, W), got {images.shape}")
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images, self.labels = images, labels
        self.order = (np.arange(len(labels)) if seed is None
                      else np.random.default_rng(seed).permutation(len(labels)))
        n_classes = int(self.labels.max()) + 1 if len(self.labels) else 0
        self.classes = list(classes) if classes else [str(k) for k in range(n_classes)]
        counts = self.class_counts()
        self.count_label.setText("  ".join(f"{name}: {count}"
                                           for name, count in zip(self.classes, counts)))
        self.class_filter.blockSignals(True)
        self.class_filter.clear()
        self.class_filter.addItem(f"All classes ({len(self.labels)})", ALL_CLASSES)
        for index, (name, count) in enumerate(zip(self.classes, counts)):
            self.class_filter.addItem(f"{name} ({count})", index)
        self.class_filter.blockSignals(False)
        self._fill()

    def class_counts(self) -> np.ndarray:
        """Number of samples of each class."""
        return np.bincount(self.labels, minlength=len(self.classes))

    def set_class_filter(self, class_index: int) -> None:
        """Show only one class (``-1``: all classes)."""
        position = self.class_filter.findData(int(class_index))
        if position < 0:
            raise ValueError(f"no class {class_index}")
        self.class_filter.setCurrentIndex(position)

    @Slot(int)
    def _filter_changed(self, _position: int) -> None:
        self._fill()

    def _fill(self) -> None:
        chosen = self.class_filter.currentData()
        if chosen is None or chosen == ALL_CLASSES:
            matching = self.order
        else:
            matching = self.order[self.labels[self.order] == chosen]
        self.shown_indices = matching[:self.max_shown]
        self.status_label.setText(f"{len(self.shown_indices)} of {len(matching)} shown"
                                  if len(matching) > len(self.shown_indices)
                                  else f"{len(matching)} samples")
        self.grid.setUpdatesEnabled(False)
        self.grid.clear()
        pictures = display_images(self.images[self.shown_indices])
        for index, picture in zip(self.shown_indices, pictures):
            label = self.classes[self.labels[index]]
            item = QListWidgetItem(QIcon(gray_pixmap(picture, self.thumbnail)), label)
            item.setData(Qt.ItemDataRole.UserRole, int(index))
            item.setToolTip(f"sample {index}: {label}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.grid.addItem(item)
        self.grid.setUpdatesEnabled(True)

    @Slot(QListWidgetItem)
    def _item_clicked(self, item: QListWidgetItem) -> None:
        self.sampleActivated.emit(int(item.data(Qt.ItemDataRole.UserRole)))
