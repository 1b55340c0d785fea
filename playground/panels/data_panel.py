"""Data: every source, TF Playground's controls for 2-D sets, drawing, image preview, files."""
from __future__ import annotations

import copy
import os
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QFileDialog, QFormLayout,
                               QGridLayout, QHBoxLayout, QLabel, QPushButton, QRadioButton,
                               QSlider, QSpinBox, QVBoxLayout, QWidget)

from engine.data import FEATURE_NAMES
from engine.registry import SOURCES
from playground import theme
from playground.panels.param_form import ParamForm
from playground.panels.points_plot import PointsPlot

NOISE = "Noise (TF Playground's 0–50 slider; 0.5 in the file = 50)"
NO_NOISE = "Hand-placed points have no noise"
REGENERATE = "Draw a new sample of the data (changes the project seed)"
NO_REGENERATE = "Hand-placed points are not generated; edit them on the plot or press Clear"
PLAYGROUND_KEYS = ("noise", "test_fraction", "features", "points", "samples")
FILE_SOURCES = ("csv", "npz", "idx", "folder")
FILE_FILTERS = {"csv": "CSV tables (*.csv)", "npz": "NumPy archives (*.npz)"}


class DataPanel(QWidget):
    """Edits ``spec["data"]`` (and the batch size, as TF Playground shows it here)."""

    openFileRequested = Signal(str)

    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("dataPanel")
        self.session = session
        self._quiet = False
        self._source = None
        layout = QVBoxLayout(self)
        top = QFormLayout()
        self.source = QComboBox()
        self.source.setObjectName("dataSource")
        self.source.setToolTip("Where the samples come from: a generated 2-D set, points you "
                               "place, a file or a built-in image set (hover an entry for more)")
        for i, name in enumerate(SOURCES.names()):
            self.source.addItem(name)
            self.source.setItemData(i, _help(SOURCES.entries[name]), 3)
        top.addRow("source", self.source)
        layout.addLayout(top)
        self.help = QLabel()
        self.help.setWordWrap(True)
        theme.mark_dim(self.help)
        layout.addWidget(self.help)

        # TF Playground's controls (2-D sources).
        self.playground = QWidget()
        grid = QFormLayout(self.playground)
        grid.setContentsMargins(0, 0, 0, 0)
        self.ratio = _slider(10, 100, "Share of the data used for training (the rest tests; "
                                      "100 trains on everything)")
        self.ratio_label = QLabel()
        self.noise = _slider(0, 50, NOISE)
        self.noise_label = QLabel()
        self.samples = QSpinBox()
        self.samples.setRange(10, 100_000)
        self.samples.setSingleStep(100)
        self.samples.setToolTip("How many points the generator draws (train and test together)")
        self.batch = QSpinBox()
        self.batch.setRange(1, 100_000)
        self.batch.setToolTip("Samples per mini-batch (one step)")
        self.regenerate = QPushButton("Regenerate")
        self.regenerate.setToolTip(REGENERATE)
        grid.addRow("train : test", _row(self.ratio, self.ratio_label))
        grid.addRow("noise", _row(self.noise, self.noise_label))
        grid.addRow("samples", self.samples)
        grid.addRow("batch size", self.batch)
        features = QWidget()
        features_grid = QGridLayout(features)
        features_grid.setContentsMargins(0, 0, 0, 0)
        self.features: dict[str, QCheckBox] = {}
        for i, name in enumerate(FEATURE_NAMES):
            box = QCheckBox(name)
            box.setObjectName(f"feature_{name}")
            box.setToolTip(f"Feed {name} to the network as an input")
            box.toggled.connect(self._on_features)
            self.features[name] = box
            features_grid.addWidget(box, i // 4, i % 4)
        grid.addRow("features", features)
        grid.addRow("", self.regenerate)
        layout.addWidget(self.playground)

        # Source-specific settings not covered above (blobs classes, image limits, paths ...).
        self.extra_host = QVBoxLayout()
        layout.addLayout(self.extra_host)
        self.extra: ParamForm | None = None

        # Draw your own.
        self.draw = QWidget()
        draw_layout = QVBoxLayout(self.draw)
        draw_layout.setContentsMargins(0, 0, 0, 0)
        class_row = QHBoxLayout()
        class_row.addWidget(QLabel("class"))
        self.class_group = QButtonGroup(self)
        for label, text in ((0, "0 (orange)"), (1, "1 (blue)"), (2, "2"), (3, "3")):
            button = QRadioButton(text)
            self.class_group.addButton(button, label)
            class_row.addWidget(button)
        self.class_group.button(1).setChecked(True)
        class_row.addStretch(1)
        self.clear_points = QPushButton("Clear")
        class_row.addWidget(self.clear_points)
        draw_layout.addLayout(class_row)
        self.points_plot = PointsPlot()
        draw_layout.addWidget(self.points_plot)
        layout.addWidget(self.draw)

        # Files.
        self.open_file = QPushButton("Open data file…")
        self.open_file.setToolTip("Choose the CSV, NPZ or IDX file(s) for this source")
        layout.addWidget(self.open_file)
        from playground.panels.augmentation_box import AugmentationBox
        self.augmentation = AugmentationBox(session)
        self.augmentation.hide()     # shown by set_image_data once the data is known
        layout.addWidget(self.augmentation)
        self.error = QLabel()
        self.error.setObjectName("dataError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d0342c;")
        layout.addWidget(self.error)
        layout.addStretch(1)

        self.source.currentTextChanged.connect(self._on_source)
        self.ratio.valueChanged.connect(self._on_ratio)
        self.noise.valueChanged.connect(self._on_noise)
        self.samples.valueChanged.connect(lambda v: self._set("samples", int(v), "samples"))
        self.batch.valueChanged.connect(self._on_batch)
        self.regenerate.clicked.connect(self._on_regenerate)
        self.class_group.idClicked.connect(self._on_class)
        self.points_plot.current_class = 1
        self.points_plot.pointsChanged.connect(lambda pts: self._set("points", pts))
        self.clear_points.clicked.connect(lambda: self._set("points", []))
        self.open_file.clicked.connect(self._on_open_file)
        session.dataChanged.connect(self.refresh)
        session.trainingChanged.connect(self.refresh)
        session.projectReplaced.connect(self.refresh)
        self.refresh()

    # ------------------------------------------------------------------ showing
    def refresh(self) -> None:
        """Show the session's data settings without writing back."""
        data = self.session.spec["data"]
        name = data.get("source", "circle")
        cls = SOURCES.entries.get(name)
        self._quiet = True
        try:
            self.source.setCurrentText(name)
            self.help.setText(_help(cls) if cls else "")
            is_2d = getattr(cls, "kind", "") == "2d"
            self.playground.setVisible(is_2d)
            self.draw.setVisible(name == "points")
            self.samples.setEnabled("samples" in data)
            self.open_file.setVisible(name in FILE_SOURCES)
            self.ratio.setValue(round(100 * (1 - float(data.get("test_fraction", 0.5)))))
            self.ratio_label.setText(f"{self.ratio.value()} : {100 - self.ratio.value()}")
            self.noise.setValue(round(100 * float(data.get("noise", 0.0))))
            self.noise.setEnabled("noise" in data)
            # Hand-placed points have no noise and nothing to redraw: say so on the controls.
            drawn = name == "points"
            self.regenerate.setEnabled(not drawn)
            self.regenerate.setToolTip(NO_REGENERATE if drawn else REGENERATE)
            self.noise.setToolTip(NO_NOISE if drawn else NOISE)
            self.noise_label.setText(str(self.noise.value()))
            self.samples.setValue(int(data.get("samples", 500)))
            self.batch.setValue(int(self.session.spec["training"].get("batch_size", 10)))
            chosen = data.get("features") or ["x1", "x2"]
            for feature, box in self.features.items():
                box.setChecked(feature in chosen)
            if name == "points":
                self.points_plot.set_points(data.get("points") or [])
            if name != self._source or self.extra is None:
                self._build_extra(cls, data)
            elif self.extra is not None:
                self.extra.set_values(data)
            self._source = name
        finally:
            self._quiet = False

    def _build_extra(self, cls, data: dict) -> None:
        if self.extra is not None:
            self.extra.setParent(None)
            self.extra.deleteLater()
            self.extra = None
        if cls is None:
            return
        skip = PLAYGROUND_KEYS if getattr(cls, "kind", "") == "2d" else ()
        params = tuple(p for p in cls.params if p.name not in skip)
        if params:
            self.extra = ParamForm(params, data)
            self.extra.changed.connect(lambda key, value: self._set(key, value, key))
            self.extra_host.addWidget(self.extra)

    def show_error(self, text: str | None) -> None:
        """Show a data problem (e.g. a file that cannot be read) in the panel."""
        source = self.session.spec["data"].get("source")
        if text and "file not found" in text and source in FILE_SOURCES:
            # The way out first: a short dock may cut the engine's long explanation off.
            chosen = "files" if source == "idx" else "file"
            text = f"Press “{self.open_file.text()}” to choose the {chosen}. {text}"
        self.error.setText(text or "")
        self.error.setToolTip(text or "")

    def set_image_data(self, images: bool) -> None:
        """Offer image augmentation only when the loaded data set holds images."""
        self.augmentation.setVisible(images)

    # ------------------------------------------------------------------ editing
    def _set(self, key: str, value, merge: str | None = None) -> None:
        if self._quiet:
            return
        data = copy.deepcopy(self.session.spec["data"])
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
        self.session.set_data(data, f"Change {key.replace('_', ' ')}", merge)

    def _on_source(self, name: str) -> None:
        if self._quiet:
            return
        cls = SOURCES.entries[name]
        old = self.session.spec["data"]
        data: dict = {"source": name}
        for param in cls.params:
            if param.name in old and param.name != "points":
                data[param.name] = copy.deepcopy(old[param.name])
            elif param.default is not None:
                data[param.name] = copy.deepcopy(param.default)
        if name == "points":
            # Enough points to learn from, all of them for training (a hand-made set is small).
            data["points"] = default_points()
            data["test_fraction"] = 0.0
        self.session.set_data(data, f"Data source {name}")

    def _on_ratio(self, value: int) -> None:
        self.ratio_label.setText(f"{value} : {100 - value}")
        self._set("test_fraction", round(1 - value / 100, 2), "test_fraction")

    def _on_noise(self, value: int) -> None:
        self.noise_label.setText(str(value))
        self._set("noise", value / 100, "noise")

    def _on_batch(self, value: int) -> None:
        if self._quiet:
            return
        training = copy.deepcopy(self.session.spec["training"])
        training["batch_size"] = int(value)
        self.session.set_training(training, "Change batch size", "batch")

    def _on_features(self) -> None:
        chosen = [name for name, box in self.features.items() if box.isChecked()]
        if not chosen and not self._quiet:
            # At least one input is needed: undo the uncheck on the spot.
            self.refresh()
            return
        self._set("features", chosen)

    def _on_regenerate(self) -> None:
        self.session.edit("seed", int(self.session.spec.get("seed", 0)) + 1, "Regenerate data")

    def _on_class(self, label: int) -> None:
        self.points_plot.current_class = label

    def _on_open_file(self) -> None:
        name = self.session.spec["data"].get("source")
        base = self.session.base_dir
        if name == "idx":
            from playground.images.idx_import_dialog import IdxImportDialog
            dialog = IdxImportDialog(base, self)
            data = self.session.spec["data"]
            dialog.set_sampling(data.get("limit"), data.get("test_fraction"))
            if dialog.exec():
                try:
                    settings = dialog.data_settings()
                except ValueError as error:
                    self.show_error(str(error))
                    return
                self.session.set_data({"source": "idx", **settings}, "Open IDX files")
            return
        if name == "folder":
            path = QFileDialog.getExistingDirectory(self, "Image folder", str(base or Path.home()))
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Open data file", str(base or Path.home()),
                                                  FILE_FILTERS.get(name, "All files (*)"))
        if path:
            self._set("path", _relative(path, base))


def default_points() -> list[list[float]]:
    """The starting set of the ``points`` source: XOR corners, five points each (20 in all)."""
    offsets = [(0.0, 0.0), (1.0, 0.6), (-0.8, 0.9), (0.7, -1.0), (-0.9, -0.7)]
    points = []
    for cx, cy, label in ((-3.0, -3.0, 0), (3.0, 3.0, 0), (-3.0, 3.0, 1), (3.0, -3.0, 1)):
        points += [[cx + dx, cy + dy, label] for dx, dy in offsets]
    return points


def _relative(path: str, base: Path | None) -> str:
    """Paths inside the project's folder are stored relative to it (portable projects)."""
    if base is not None:
        try:
            return os.path.relpath(path, base) if Path(path).resolve().is_relative_to(
                base.resolve()) else path
        except ValueError:
            return path
    return path


def _slider(low: int, high: int, tip: str) -> QSlider:
    from PySide6.QtCore import Qt
    slider = QSlider(Qt.Horizontal)
    slider.setRange(low, high)
    slider.setToolTip(tip)
    return slider


def _row(*widgets: QWidget) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return holder


def _help(cls) -> str:
    return (cls.__doc__ or "").strip().splitlines()[0] if cls is not None and cls.__doc__ else ""
