"""Import MNIST, EMNIST or Fashion-MNIST from downloaded IDX files into the project's data."""
from __future__ import annotations

import html
import os
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from engine.data.idx import IDX_DOWNLOADS, IdxDownload
from playground.images.idx_detect import IdxInfo, companion_labels, detect_idx


def _download_item(download: IdxDownload) -> str:
    """One list item of the explanation, from the same facts the missing-file error uses."""
    files = " and ".join(f"<code>{html.escape(name)}</code>" for name in download.files)
    links = " or a mirror such as ".join(
        f"<a href='{html.escape(address)}'>{html.escape(text)}</a>"
        for text, address in download.links)
    note = f" ({html.escape(download.note)})" if download.note else ""
    return (f"<li><b>{html.escape(download.name)}</b> ({html.escape(download.about)}): "
            f"{files} from {links}{note}.</li>")


SOURCES_TEXT = (
    "<p>IDX is the simple binary format of the classic handwriting sets. They are not bundled "
    "with LayerLab: download the files once and pick them here (the <code>.gz</code> files "
    "work as they are):</p><ul>" + "".join(_download_item(d) for d in IDX_DOWNLOADS) +
    "</ul><p>The variant is recognised from the file names (keep them as downloaded) and the "
    "labels. A sample limit keeps training quick: 5,000 MNIST images already reach about 95% "
    "with a small CNN.</p>")


class IdxImportDialog(QDialog):
    """Pick an IDX image file and its labels, see what they hold, get ``data`` settings.

    After ``exec()`` returns Accepted, ``data_settings()`` is the project's new ``data``
    object (source ``idx``); paths inside ``base_dir`` (the project's folder) are relative.
    """

    def __init__(self, base_dir: str | Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("idxImportDialog")
        self.setWindowTitle("Import MNIST / EMNIST / Fashion-MNIST")
        self.base_dir = Path(base_dir) if base_dir else None
        self.info: IdxInfo | None = None
        self.start_folder: Path | None = None

        # Why the dialog opened on its own (a project whose files are missing); hidden otherwise.
        self.reason = QLabel(objectName="idxReason", wordWrap=True)
        self.reason.setVisible(False)
        explanation = QLabel(SOURCES_TEXT, objectName="idxExplanation", wordWrap=True)
        explanation.setOpenExternalLinks(True)
        self.images_edit = QLineEdit(objectName="idxImages")
        self.labels_edit = QLineEdit(objectName="idxLabels")
        self.limit_spin = QSpinBox(objectName="idxLimit")
        self.limit_spin.setRange(0, 10_000_000)
        self.limit_spin.setSingleStep(1000)
        self.limit_spin.setSpecialValueText("all samples")
        self.limit_spin.setValue(0)
        self.test_spin = QDoubleSpinBox(objectName="idxTestFraction")
        self.test_spin.setRange(0.0, 0.9)
        self.test_spin.setSingleStep(0.05)
        self.test_spin.setValue(0.2)
        self.detected = QLabel("Pick the image file first.", objectName="idxDetected",
                               wordWrap=True)
        form = QFormLayout()
        form.addRow("Images file", self._with_browse(self.images_edit, "idxBrowseImages",
                                                     self._browse_images))
        form.addRow("Labels file", self._with_browse(self.labels_edit, "idxBrowseLabels",
                                                     self._browse_labels))
        form.addRow("Use at most", self.limit_spin)
        form.addRow("Test fraction", self.test_spin)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.reason)
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addWidget(self.detected)
        layout.addWidget(self.buttons)
        self.images_edit.textChanged.connect(self._images_changed)
        self.labels_edit.textChanged.connect(self._detect)
        self._detect()

    def _with_browse(self, edit: QLineEdit, name: str, handler) -> QHBoxLayout:
        row = QHBoxLayout()
        button = QPushButton("Browse…", objectName=name)
        button.clicked.connect(handler)
        row.addWidget(edit, 1)
        row.addWidget(button)
        return row

    def set_files(self, images: str | Path, labels: str | Path | None = None) -> None:
        """Fill in the files (labels default to the usual companion of the image file)."""
        self.images_edit.setText(str(images))
        if labels is not None:
            self.labels_edit.setText(str(labels))

    def set_reason(self, text: str) -> None:
        """Say above the explanation why the files are asked for (plain text; empty hides)."""
        self.reason.setText(f"<b>{html.escape(text)}</b>" if text else "")
        self.reason.setVisible(bool(text))

    def set_sampling(self, limit: int | None, test_fraction: float | None) -> None:
        """Start from a project's sample limit and test fraction (None keeps the default)."""
        if limit is not None:
            self.limit_spin.setValue(int(limit))
        if test_fraction is not None:
            self.test_spin.setValue(float(test_fraction))

    def set_start_folder(self, folder: str | Path | None) -> None:
        """Where the Browse buttons open while no file is chosen (default: the project's)."""
        self.start_folder = Path(folder) if folder else None

    def data_settings(self) -> dict:
        """The project's ``data`` object for the chosen files (ValueError if none detected)."""
        if self.info is None:
            raise ValueError("no valid IDX files chosen")
        settings: dict = {"source": "idx", "images": self._project_path(self.images_edit),
                          "labels": self._project_path(self.labels_edit),
                          "limit": self.limit_spin.value() or None,
                          "test_fraction": round(self.test_spin.value(), 4),
                          "transpose": self.info.transpose,
                          "label_offset": self.info.label_offset}
        if self.info.from_labels:
            settings["class_names"] = list(self.info.class_names)
        return settings

    def _project_path(self, edit: QLineEdit) -> str:
        path = Path(edit.text().strip()).expanduser().resolve()
        if self.base_dir is not None:
            try:
                return Path(os.path.relpath(path, self.base_dir.resolve())).as_posix()
            except ValueError:  # another drive on Windows
                return str(path)
        return str(path)

    @Slot(str)
    def _images_changed(self, text: str) -> None:
        companion = companion_labels(text.strip()) if text.strip() else None
        if companion is not None and not self.labels_edit.text().strip():
            self.labels_edit.setText(str(companion))  # triggers _detect
        else:
            self._detect()

    @Slot()
    def _detect(self) -> None:
        images, labels = self.images_edit.text().strip(), self.labels_edit.text().strip()
        self.info = None
        if not images or not labels:
            self.detected.setText("Pick the image file and its label file.")
        else:
            try:
                self.info = detect_idx(images, labels)
            except ValueError as error:
                self.detected.setText(f"<span style='color:#b00020'>{error}</span>")
            else:
                self.detected.setText(self.info.describe())
                if self.limit_spin.value() == 0 and self.info.count > 20_000:
                    self.limit_spin.setValue(10_000)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.info is not None)

    @Slot()
    def _browse_images(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "IDX image file", self._start_folder(),
                                              "IDX images (*idx3-ubyte *idx3-ubyte.gz *.gz);;"
                                              "All files (*)")
        if path:
            self.labels_edit.clear()
            self.images_edit.setText(path)

    @Slot()
    def _browse_labels(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "IDX label file", self._start_folder(),
                                              "IDX labels (*idx1-ubyte *idx1-ubyte.gz *.gz);;"
                                              "All files (*)")
        if path:
            self.labels_edit.setText(path)

    def _start_folder(self) -> str:
        current = self.images_edit.text().strip()
        if current:
            return str(Path(current).parent)
        return str(self.start_folder or self.base_dir or Path.home())
