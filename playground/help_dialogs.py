"""The Help menu's dialogs: keyboard shortcuts, a short guided tour of the panels, About."""
from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, Signal, Slot, qVersion
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QStackedWidget, QTableWidget, QTableWidgetItem,
                               QTextBrowser, QVBoxLayout, QWidget)

from engine import __version__
from playground.appinfo import APP_NAME, app_icon

# (keys, what they do). Keys use Qt's portable names; on macOS Qt shows Ctrl as ⌘.
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Space", "Start or pause training"),
    ("→ or S", "One training step (one mini-batch)"),
    ("R", "Reset the weights and the step counter"),
    ("Ctrl+N", "New project"),
    ("Ctrl+O", "Open a project or a trained model"),
    ("Ctrl+S", "Save the project"),
    ("Ctrl+Shift+S", "Save the project under a new name"),
    ("Ctrl+Shift+M", "Save the trained model (.safetensors)"),
    ("Ctrl+E", "Export the trained model (ONNX, numpy, PyTorch)"),
    ("Ctrl+Z", "Undo the last edit"),
    ("Ctrl+Y or Ctrl+Shift+Z", "Redo"),
    ("Delete or Backspace", "Remove the selected layer or connection"),
    ("Ctrl+D", "Duplicate the selected layer"),
    ("Alt+← / Alt+→", "Move the selected layer earlier or later"),
    ("Ctrl+L", "Lay the network out again"),
    ("Ctrl+0", "Fit the whole network into view"),
    ("Ctrl++ / Ctrl+-", "Zoom the network in or out"),
    ("F1", "Show this list of shortcuts"),
    ("Ctrl+Q", "Quit"),
)

# (title, objectName of the panel described, body) of each tour page; the name lets the main
# window highlight that panel (see GuidedTour.pageShown).
TOUR_PAGES: tuple[tuple[str, str, str], ...] = (
    ("Welcome", "",
     "<p>LayerLab lets you build a neural network from layers, train it on the spot and watch "
     "every number change. This tour shows the five places you will use most. It takes a "
     "minute; leave it at any time with <b>Close</b>.</p>"),
    ("Layer palette", "layerPalette",
     "<p>The <b>palette</b> lists every layer type: dense, convolution, pooling, dropout, "
     "batch normalisation, merges and more. Add layers to your network from here; hover a "
     "layer type to read what it does.</p>"),
    ("Network canvas", "networkEditor",
     "<p>The <b>canvas</b> shows your network from input to output. Select a layer to edit its "
     "settings; <b>Delete</b> removes it and <b>Ctrl+D</b> duplicates it. <b>Ctrl+0</b> fits the "
     "whole network into view, and <b>Ctrl+Z</b> undoes any edit.</p>"),
    ("Data", "dataPanel",
     "<p>The <b>data panel</b> picks the dataset: the 2-D playground sets (circle, XOR, "
     "spiral…), the bundled handwritten digits, or your own CSV, NumPy or MNIST-style files. "
     "Noise, sample count, the train/test split and input features are set here.</p>"),
    ("Training", "trainingPanel",
     "<p>The <b>training panel</b> holds the loss, optimizer, learning rate, batch size and "
     "regularisation. <b>Space</b> starts and pauses, <b>→</b> takes a single mini-batch so "
     "you can follow one step, and <b>R</b> resets the weights. The learning rate can change "
     "while training runs.</p>"),
    ("Plots", "lossPlot",
     "<p>The <b>plots</b> show the training and test loss per step, the decision boundary "
     "over the data (2-D sets), and weights and activations per layer. Drag to pan, scroll "
     "to zoom, and right-click a plot for more.</p>"
     "<p>Panels can be moved and closed; the <i>View</i> menu restores the default layout. "
     "Press <b>F1</b> for every shortcut.</p>"),
)

LIBRARY_LICENCES: tuple[tuple[str, str, str], ...] = (
    ("Qt / PySide6", "LGPL-3.0", "https://www.qt.io/licensing/"),
    ("pyqtgraph", "MIT", "https://github.com/pyqtgraph/pyqtgraph"),
    ("NumPy", "BSD-3-Clause", "https://numpy.org/"),
    ("safetensors", "Apache-2.0", "https://github.com/huggingface/safetensors"),
    ("ONNX", "Apache-2.0", "https://onnx.ai/"),
    ("Matplotlib", "Matplotlib (PSF-based, BSD-compatible)", "https://matplotlib.org/"),
)


class ShortcutsDialog(QDialog):
    """A two-column table of the keyboard shortcuts."""

    def __init__(self, parent: QWidget | None = None,
                 shortcuts: tuple[tuple[str, str], ...] = SHORTCUTS) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle(f"{APP_NAME} keyboard shortcuts")
        self.table = QTableWidget(len(shortcuts), 2, self)
        self.table.setHorizontalHeaderLabels(["Keys", "Action"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setToolTip("Shortcuts work whenever the main window has focus")
        for row, (keys, action) in enumerate(shortcuts):
            key_item = QTableWidgetItem(keys)
            font = key_item.font()
            font.setBold(True)
            key_item.setFont(font)
            self.table.setItem(row, 0, key_item)
            self.table.setItem(row, 1, QTableWidgetItem(action))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setToolTip("Close this list")
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(480, 520)


class GuidedTour(QDialog):
    """A few pages about the panels, with Back and Next; non-modal so the window stays visible.

    ``pageShown(int index, str objectName)`` fires on every page so the main window can
    highlight the panel being described (the name is empty for the welcome page).
    """

    pageShown = Signal(int, str)

    def __init__(self, parent: QWidget | None = None,
                 pages: tuple[tuple[str, str, str], ...] = TOUR_PAGES) -> None:
        super().__init__(parent)
        self.setObjectName("guidedTour")
        self.setWindowTitle(f"{APP_NAME} tour")
        self.setModal(False)
        self.pages = pages
        self.stack = QStackedWidget(self)
        for title, _target, body in pages:
            page = QLabel(f"<h3>{title}</h3>{body}", self)
            page.setWordWrap(True)
            page.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            page.setTextFormat(Qt.TextFormat.RichText)
            self.stack.addWidget(page)
        self.progress = QLabel(self)
        self.back_button = QPushButton("Back", self)
        self.back_button.setObjectName("tourBack")
        self.back_button.setToolTip("Previous page")
        self.next_button = QPushButton("Next", self)
        self.next_button.setObjectName("tourNext")
        self.next_button.setDefault(True)
        self.close_button = QPushButton("Close", self)
        self.close_button.setObjectName("tourClose")
        self.close_button.setToolTip("End the tour; it is in the Help menu whenever you want it")
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.advance)
        self.close_button.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.progress)
        row.addStretch(1)
        for button in (self.close_button, self.back_button, self.next_button):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack, 1)
        layout.addLayout(row)
        self.resize(440, 260)
        self._show_page(0)

    @property
    def index(self) -> int:
        """The page on show, from 0."""
        return self.stack.currentIndex()

    @Slot()
    def advance(self) -> None:
        """Next page; on the last page, Next reads Finish and closes the tour."""
        if self.index >= len(self.pages) - 1:
            self.accept()
        else:
            self._show_page(self.index + 1)

    @Slot()
    def back(self) -> None:
        """Previous page."""
        if self.index > 0:
            self._show_page(self.index - 1)

    def _show_page(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        last = index == len(self.pages) - 1
        self.back_button.setEnabled(index > 0)
        self.next_button.setText("Finish" if last else "Next")
        self.next_button.setToolTip("End the tour" if last else "Next page")
        self.progress.setText(f"{index + 1} of {len(self.pages)}")
        self.pageShown.emit(index, self.pages[index][1])


def about_html() -> str:
    """The About box's text: version, licence, bundled data and library licences."""
    libraries = "".join(f"<li>{name}: {licence} (<a href='{url}'>{url}</a>)</li>"
                        for name, licence, url in LIBRARY_LICENCES)
    return (
        f"<h2>{APP_NAME} {__version__}</h2>"
        "<p>A desktop neural-network playground with a from-scratch numpy engine.</p>"
        "<p>LayerLab is free software under the <b>MIT licence</b>.</p>"
        "<h4>Bundled data</h4><ul>"
        "<li>Optical Recognition of Handwritten Digits (UCI Machine Learning Repository, "
        "Alpaydin &amp; Kaynak, 1998): <b>CC BY 4.0</b>, "
        "<a href='https://doi.org/10.24432/C50P49'>doi:10.24432/C50P49</a></li>"
        "<li>The 2-D playground sets are generated on your computer, after TensorFlow "
        "Playground (Apache-2.0).</li></ul>"
        f"<h4>Libraries</h4><ul>{libraries}</ul>"
        f"<p><small>Python {platform.python_version()}, Qt {qVersion()}, "
        f"PySide6 {pyside_version}, {platform.system()} {platform.machine()}</small></p>")


class AboutDialog(QDialog):
    """About LayerLab: icon, version, licences; links open in the browser."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(f"About {APP_NAME}")
        icon = QLabel(self)
        icon.setPixmap(app_icon().pixmap(96))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.text = QTextBrowser(self)
        self.text.setOpenExternalLinks(True)
        self.text.setHtml(about_html())
        self.text.setToolTip("Version and licences; links open in your browser")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setToolTip("Close")
        row = QHBoxLayout()
        row.addWidget(icon)
        row.addWidget(self.text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(buttons)
        self.resize(560, 440)
