"""The Help menu's dialogs: keyboard shortcuts, a guided tour that points at the panels, About."""
from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import (QEvent, QPoint, QRect, QRectF, QSize, Qt, QTimer, Signal, Slot,
                            qVersion)
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPen, QRegion, QShortcut
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QDockWidget, QFrame, QHBoxLayout,
                               QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem,
                               QTextBrowser, QVBoxLayout, QWidget)

from engine import __version__
from playground import theme
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

# (title, objectName of the widget described, body) of each tour page. The tour highlights
# that widget (its whole dock when it sits in one) and skips the page while it is missing or
# hidden (a closed dock, the image views with 2-D data, the canvas behind the start page).
TOUR_PAGES: tuple[tuple[str, str, str], ...] = (
    ("Welcome to LayerLab", "",
     "<p>Build a neural network from layers, train it on the spot and watch every number "
     "change. This tour points at each part of the window in turn.</p>"
     "<p><b>Next</b> or <b>→</b> goes on, <b>Back</b> or <b>←</b> goes back and <b>Esc</b> "
     "ends the tour. Panels can be dragged, floated and closed; the <i>View</i> menu brings "
     "a closed one back, and <b>F1</b> lists every shortcut.</p>"),
    ("Layers", "layerPalette",
     "<p>Every layer type, coloured as on the canvas: dense, convolution, pooling, flatten, "
     "reshape, dropout, batch normalisation, activation, add and concat. "
     "<b>Double-click</b> a type to add it after the selected layer, or <b>drag</b> it onto "
     "the canvas. Hover a type to read what it does.</p>"),
    ("Network canvas", "networkEditor",
     "<p>Your network from input to output. Each node shows its settings, parameter count "
     "and output shape, and turns red when the shapes do not fit (a banner then says why "
     "training is blocked).</p>"
     "<p>Click a layer to select it: <b>Delete</b> removes it, <b>Ctrl+D</b> duplicates it, "
     "<b>Alt+←/→</b> moves it. Drag from a node's output port (the circle on its right) onto "
     "another layer to connect them. The wheel zooms, <b>Ctrl+0</b> fits, <b>Ctrl+L</b> "
     "tidies the layout and <b>Ctrl+Z</b> undoes any edit.</p>"),
    ("Layer settings", "propertyPanel",
     "<p>The selected layer's settings (units, activation, kernel size, rate…) with a short "
     "description of each. Changes apply at once and <b>Ctrl+Z</b> undoes them. The "
     "optional <i>id</i> names the layer's weights.</p>"),
    ("Data", "dataPanel",
     "<p>Where the samples come from: the 2-D playground sets (circle, xor, gaussian, spiral, "
     "moons, blobs, plane, multigauss), points you place yourself, the bundled handwritten "
     "digits, or your own files (MNIST-style IDX, CSV, NumPy .npz, image folders).</p>"
     "<p>For 2-D sets, set the train : test split, noise, sample count, batch size and the "
     "input features (x1², sin(x1)…); <b>Regenerate</b> draws a new sample.</p>"),
    ("Training settings", "trainingPanel",
     "<p>The optimizer (sgd, rmsprop, adam, adamw) and its settings, including the "
     "<b>learning rate</b>, which applies at once, even while training runs. Below: the loss, "
     "batch size, epochs (training pauses after that many) and an l1 or l2 weight "
     "penalty.</p>"),
    ("Train, Step, Reset", "mainToolBar",
     "<p><b>Train</b> (<b>Space</b>) runs and pauses, <b>Step</b> (<b>→</b> or <b>S</b>) "
     "trains one mini-batch, <b>Reset</b> (<b>R</b>) draws fresh weights and sets the "
     "counters back to 0. The counters show the epoch, the step and the steps per "
     "second.</p><p>New, Open, Save and <b>Export Model</b> (ONNX, numpy, PyTorch) are here "
     "too.</p>"),
    ("Loss and accuracy", "lossPlot",
     "<p>The first line names the latest evaluation, the second the curves' colours. Upper "
     "plot: the loss per step on a log scale (each mini-batch faintly, the whole training set "
     "in blue, the test set in orange). Lower plot: accuracy, or R² for regression. A test "
     "curve that rises while the training curve falls means overfitting.</p>"
     "<p>Right-click a plot for <i>View All</i> and <i>Export</i>.</p>"),
    ("Decision boundary", "boundaryPlot",
     "<p>For 2-D data: the network's output over the plane, with the training points on top. "
     "<i>Show test data</i> adds the test points, <i>Discretize output</i> colours each "
     "region by its predicted class.</p><p>The timeline below replays the run: pause, then "
     "drag the slider to any stored step, <b>Play</b> it back or export a GIF.</p>"),
    ("Neurons and weights", "neuronView",
     "<p><b>Neurons</b> (2-D data, dense layers): every neuron as a heatmap over the input "
     "plane, joined by its weights. The <b>Weights</b> tab beside it shows every layer's "
     "weights as a heatmap, with histograms of one layer's weights and gradients.</p>"),
    ("Step-through", "stepThroughPanel",
     "<p>After a <b>Step</b>, the <i>Step</i> tab walks through that mini-batch stage by "
     "stage: batch, forward, loss, backward, update. <i>Neuron maths</i> shows one neuron's "
     "numbers, <i>Diagnostics</i> tracks gradient norms, update/weight ratios and dead or "
     "saturated units.</p>"),
    ("Image views", "samplesView",
     "<p>For image data: <b>Samples</b> browses the images with their labels, "
     "<b>Filters</b> shows the first convolution layer's kernels, <b>Feature maps</b> what "
     "each convolution makes of one sample, <b>Confusion</b> where the classifier goes "
     "wrong, and <b>Draw</b> classifies what you write.</p>"),
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


TOUR_KEYS_NEXT = (Qt.Key.Key_Right, Qt.Key.Key_PageDown, Qt.Key.Key_Return, Qt.Key.Key_Enter)
TOUR_KEYS_BACK = (Qt.Key.Key_Left, Qt.Key.Key_PageUp)
CARD_WIDTH = 340     # the tour card's width in pixels (less when the window is narrower)
CARD_GAP = 14        # between the highlighted panel and the card
EDGE_MARGIN = 8      # the card keeps this far inside the window
FRAME_WIDTH = 3      # the coloured frame drawn just outside the highlighted panel
# Dimming over everything but the highlighted panel: stronger on dark, where it shows less.
DIM_ALPHA = {"light": 105, "dark": 150}


class TourOverlay(QWidget):
    """Dims the window except a cut-out around the highlighted panel and frames that panel.

    The cut-out is also a hole in the widget's mask, so the highlighted panel stays usable
    while clicks on the dimmed rest are swallowed instead of editing something unseen.
    """

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self.setObjectName("tourOverlay")
        self.cutout: QRect | None = None
        self.setGeometry(host.rect())

    def set_cutout(self, rect: QRect | None) -> None:
        """Highlight ``rect`` (window coordinates), or dim everything when it is None."""
        self.cutout = QRect(rect) if rect is not None else None
        self.setGeometry(self.parentWidget().rect())
        region = QRegion(self.rect())
        if self.cutout is not None:
            region = region.subtracted(QRegion(self.cutout))
        self.setMask(region)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Translucent dimming with the hole left clear, and a rounded frame around it."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        dim = QColor(0, 0, 0, DIM_ALPHA.get(theme.SCHEME, DIM_ALPHA["light"]))
        painter.fillRect(self.rect(), dim)
        if self.cutout is not None:
            pen = QPen(QColor(theme.SELECTED), FRAME_WIDTH)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            half = FRAME_WIDTH / 2 + 1
            painter.drawRoundedRect(QRectF(self.cutout).adjusted(-half, -half, half, half), 5, 5)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Swallow clicks on the dimmed part of the window."""
        event.accept()


class GuidedTour(QFrame):
    """A tour card that walks through the window's panels, each highlighted in turn.

    Built with the main window (or any widget in it) as parent, it dims the window, cuts
    the described panel out of the dimming with a coloured frame (raising its dock's tab when
    the dock shares a tab group) and sits beside it. Pages whose widget is missing or hidden
    are skipped. → / Enter / PageDown go on, ← / PageUp go back, Esc ends the tour anywhere
    in the window; ending removes every highlight and restores the tabs it raised.
    ``pageShown(int index, str objectName)`` fires on every page (empty name: no target).
    """

    pageShown = Signal(int, str)
    finished = Signal()

    def __init__(self, parent: QWidget | None = None,
                 pages: tuple[tuple[str, str, str], ...] = TOUR_PAGES) -> None:
        host = parent.window() if parent is not None else None
        super().__init__(host)
        self.setObjectName("guidedTour")
        self.setWindowTitle(f"{APP_NAME} tour")
        self.host = host
        self.pages = pages
        self._index = 0
        self.running = False
        self.target: QWidget | None = None     # the widget of the page on show, if any
        self.highlight: QRect | None = None    # its highlighted rectangle in the window
        self._watched: list[QWidget] = []
        self._raised_tabs: dict[int, QDockWidget] = {}   # tab group → dock that was in front
        self.overlay = TourOverlay(host) if host is not None else None
        if self.overlay is not None:
            self.overlay.hide()
        self.title = QLabel(self)
        self.title.setObjectName("tourTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.body = QLabel(self)
        self.body.setObjectName("tourBody")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.progress = QLabel(self)
        self.progress.setObjectName("tourProgress")
        theme.mark_dim(self.progress)
        self.back_button = QPushButton("Back", self)
        self.back_button.setObjectName("tourBack")
        self.back_button.setToolTip("Previous page (←)")
        self.next_button = QPushButton("Next", self)
        self.next_button.setObjectName("tourNext")
        self.next_button.setDefault(True)
        self.close_button = QPushButton("Close", self)
        self.close_button.setObjectName("tourClose")
        self.close_button.setToolTip("End the tour (Esc); it is in the Help menu whenever you "
                                     "want it")
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.advance)
        self.close_button.clicked.connect(self.end)
        row = QHBoxLayout()
        row.addWidget(self.progress)
        row.addStretch(1)
        for button in (self.close_button, self.back_button, self.next_button):
            row.addWidget(button)
            button.installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(self.title)
        layout.addWidget(self.body, 1)
        layout.addLayout(row)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.installEventFilter(self)
        if host is not None:
            self._escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), host)
            self._escape.setContext(Qt.ShortcutContext.WindowShortcut)
            self._escape.setEnabled(False)
            self._escape.activated.connect(self.end)
            self._reflow = QTimer(self, singleShot=True, interval=0)
            self._reflow.timeout.connect(self._place)
        else:
            self._escape = None
            self._reflow = None
            self.resize(CARD_WIDTH + 100, 260)
        self._show_page(self._first_available())
        # Hidden until show(): a child of an already visible window would otherwise appear
        # with it, outside the tour's start.
        self.hide()

    # ------------------------------------------------------------------ paging
    @property
    def index(self) -> int:
        """The page on show, counted in ``pages`` from 0."""
        return self._index

    def available_pages(self) -> list[int]:
        """Indices of the pages whose widget is in the window and not hidden, in order."""
        return [i for i in range(len(self.pages)) if self._target_of(i) is not False]

    def setVisible(self, visible: bool) -> None:  # noqa: N802 - Qt's name
        """Showing starts the tour (dimming, highlight, Esc); hiding ends it."""
        super().setVisible(visible)
        if visible and not self.running:
            self._start()
        elif not visible and self.running:
            self.end()

    @Slot()
    def advance(self) -> None:
        """Next shown page; past the last one the tour ends (Next reads Finish there)."""
        later = [i for i in self.available_pages() if i > self._index]
        if later:
            self._show_page(later[0])
        else:
            self.end()

    @Slot()
    def back(self) -> None:
        """Previous shown page."""
        earlier = [i for i in self.available_pages() if i < self._index]
        if earlier:
            self._show_page(earlier[-1])

    @Slot()
    def end(self) -> None:
        """Close the card and remove every highlight; raised tabs go back to how they were."""
        was_running = self.running
        self.running = False
        self._unwatch()
        if self._escape is not None:
            self._escape.setEnabled(False)
        if self.overlay is not None:
            self.overlay.hide()
        for dock in self._raised_tabs.values():
            if _alive(dock) and not dock.isHidden():
                dock.raise_()
        self._raised_tabs.clear()
        self.target = None
        self.highlight = None
        if self.isVisible():
            super().setVisible(False)
        if was_running:
            self.finished.emit()

    # ------------------------------------------------------------------ internals
    def _start(self) -> None:
        self.running = True
        if self.host is not None:
            # A tour started again replaces the one already running.
            for other in self.host.findChildren(GuidedTour):
                if other is not self and other.running:
                    other.end()
            self._escape.setEnabled(True)
            self.overlay.show()
        self._show_page(self._first_available())
        self.next_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _first_available(self) -> int:
        pages = self.available_pages()
        return pages[0] if pages else 0

    def _target_of(self, index: int) -> QWidget | None | bool:
        """The page's widget; None for a page without one; False when missing or hidden."""
        name = self.pages[index][1]
        if not name:
            return None
        if self.host is None:
            return None     # a card on its own: every page, nothing to point at
        widget = self.host.findChild(QWidget, name)
        if widget is None or not widget.isVisibleTo(self.host):
            return False
        dock = _dock_of(widget)
        if dock is not None and dock.isHidden():
            return False
        return widget

    def _show_page(self, index: int) -> None:
        self._index = index
        title, name, body = self.pages[index]
        self.title.setText(title)
        self.body.setText(body)
        shown = self.available_pages()
        position = shown.index(index) + 1 if index in shown else 1
        last = not any(i > index for i in shown)
        self.back_button.setEnabled(any(i < index for i in shown))
        self.next_button.setText("Finish" if last else "Next")
        self.next_button.setToolTip("End the tour (Enter)" if last else "Next page (→)")
        self.progress.setText(f"{position} of {max(len(shown), 1)}")
        target = self._target_of(index)
        self.target = target if isinstance(target, QWidget) else None
        if self.running:
            if self.target is not None:
                self._bring_forward(self.target)
            self._watch(self.target)
            self._place()
            # Raising a tab or a fresh layout moves things only once Qt has laid them out.
            if self._reflow is not None:
                self._reflow.start()
        self.pageShown.emit(index, name)

    def _bring_forward(self, target: QWidget) -> None:
        """Raise the target's dock in its tab group (remembering what was in front)."""
        dock = _dock_of(target)
        if dock is None or self.host is None:
            return
        if dock.isFloating():
            dock.raise_()
            dock.activateWindow()
            return
        group = [dock, *self.host.tabifiedDockWidgets(dock)]
        if len(group) < 2:
            return
        key = min(id(d) for d in group)
        if key not in self._raised_tabs:
            front = next((d for d in group if not d.visibleRegion().isEmpty()), None)
            if front is not None and front is not dock:
                self._raised_tabs[key] = front
        dock.raise_()

    def _highlight_rect(self) -> QRect | None:
        """The target's rectangle (its dock's when in one) in window coordinates."""
        if self.target is None or self.host is None or not _alive(self.target):
            return None
        widget = _dock_of(self.target) or self.target
        if widget.window() is not self.host or not self.target.isVisible():
            return None    # floating or not on screen: nothing to cut out
        top_left = widget.mapTo(self.host, QPoint(0, 0))
        area = self.host.rect()
        rect = QRect(top_left, widget.size()).intersected(area)
        if rect.isEmpty():
            return None
        # Sides on the window's edge move in, so the frame drawn outside them stays visible.
        inset = FRAME_WIDTH + 2
        return rect.adjusted(inset if rect.left() <= area.left() else 0,
                             inset if rect.top() <= area.top() else 0,
                             -inset if rect.right() >= area.right() else 0,
                             -inset if rect.bottom() >= area.bottom() else 0)

    def _place(self) -> None:
        """Cut the highlight out of the dimming and put the card beside it."""
        if not self.running or self.host is None:
            return
        self.highlight = self._highlight_rect()
        self.overlay.set_cutout(self.highlight)
        self.overlay.raise_()
        area = self.host.rect()
        width = max(200, min(CARD_WIDTH, area.width() - 2 * EDGE_MARGIN))
        self.setFixedWidth(width)
        layout = self.layout()
        height = (layout.totalHeightForWidth(width) if layout.hasHeightForWidth()
                  else self.sizeHint().height())
        self.setFixedHeight(height)
        self.move(card_position(area, self.highlight, width, height))
        self.raise_()

    def _watch(self, target: QWidget | None) -> None:
        """Follow moves, resizes and hides of the window, the target and its dock."""
        self._unwatch()
        if self.host is None:
            return
        widgets = [self.host]
        if target is not None:
            widgets.append(target)
            dock = _dock_of(target)
            if dock is not None:
                widgets.append(dock)
        for widget in widgets:
            widget.installEventFilter(self)
        self._watched = widgets

    def _unwatch(self) -> None:
        for widget in self._watched:
            if _alive(widget):
                widget.removeEventFilter(self)
        self._watched = []

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        """Tour keys on the card (before the window's → step shortcut); follow layout moves."""
        kind = event.type()
        if watched is self or watched in (self.back_button, self.next_button, self.close_button):
            if kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
                key = event.key()
                if key in TOUR_KEYS_NEXT or key in TOUR_KEYS_BACK or key == Qt.Key.Key_Escape:
                    if kind == QEvent.Type.KeyPress:
                        if key in TOUR_KEYS_NEXT:
                            self.advance()
                        elif key in TOUR_KEYS_BACK:
                            self.back()
                        else:
                            self.end()
                    event.accept()
                    return True
            return False
        if self.running and kind in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show,
                                     QEvent.Type.Hide, QEvent.Type.LayoutRequest) \
                and self._reflow is not None:
            self._reflow.start()
        return False

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """A rounded card in the window colour with an accent border (follows the theme)."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(theme.SELECTED), 2))
        painter.setBrush(self.palette().window())
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 8, 8)


def card_position(area: QRect, highlight: QRect | None, width: int, height: int) -> QPoint:
    """Where the tour card goes: beside ``highlight`` (right, left, below, above: the first
    side with room), centred in ``area`` without a highlight, over its corner if no side fits."""
    def clamp(value: int, low: int, high: int) -> int:
        return max(low, min(value, high))

    low_x, high_x = area.left() + EDGE_MARGIN, area.right() - EDGE_MARGIN - width
    low_y, high_y = area.top() + EDGE_MARGIN, area.bottom() - EDGE_MARGIN - height
    if highlight is None:
        return QPoint(area.center().x() - width // 2, area.center().y() - height // 2)
    around = highlight.adjusted(-FRAME_WIDTH - 1, -FRAME_WIDTH - 1, FRAME_WIDTH + 1,
                                FRAME_WIDTH + 1)
    candidates = (
        QPoint(around.right() + CARD_GAP, clamp(highlight.top(), low_y, high_y)),
        QPoint(around.left() - CARD_GAP - width, clamp(highlight.top(), low_y, high_y)),
        QPoint(clamp(highlight.left(), low_x, high_x), around.bottom() + CARD_GAP),
        QPoint(clamp(highlight.left(), low_x, high_x), around.top() - CARD_GAP - height),
    )
    for point in candidates:
        card = QRect(point, QSize(width, height))
        inside = low_x <= card.left() <= high_x and low_y <= card.top() <= high_y
        if inside and not card.intersects(around):
            return point
    return QPoint(clamp(highlight.right() - width - CARD_GAP, low_x, high_x),
                  clamp(highlight.bottom() - height - CARD_GAP, low_y, high_y))


def _dock_of(widget: QWidget) -> QDockWidget | None:
    """The dock widget holding ``widget`` (itself included), if any."""
    while widget is not None:
        if isinstance(widget, QDockWidget):
            return widget
        widget = widget.parentWidget()
    return None


def _alive(widget: QWidget) -> bool:
    """False once Qt has deleted the C++ side of ``widget``."""
    try:
        widget.objectName()
    except RuntimeError:
        return False
    return True


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
