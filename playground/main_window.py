"""The main window: wires session, canvas, panels, live views, worker and file actions.

It holds no training or plotting logic: the worker trains, the views draw, the session edits.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, Slot
from PySide6.QtWidgets import (QDockWidget, QLabel, QMainWindow, QStackedWidget, QVBoxLayout,
                               QWidget)

from engine.errors import ProjectError
from playground.actions import FileActions, HelpActions, make_actions
from playground.editor.analysis import Analyzer
from playground.editor.network_editor import NetworkEditor
from playground.panels.data_panel import DataPanel
from playground.panels.palette import LayerPalette
from playground.panels.properties import PropertyPanel
from playground.panels.training_panel import TrainingPanel
from playground.session import Session
from playground.settings import AppSettings
from playground.views.live import LiveViews
from playground.worker import TrainingWorker

FRAME_MS = 33          # GUI refresh: drain the worker ~30 times a second
ANALYSIS_DELAY_MS = 120


class MainWindow(QMainWindow):
    """LayerLab's window: canvas in the middle, panels and live views in docks."""

    def __init__(self, session: Session | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.resize(1560, 980)
        self.settings = AppSettings()
        self.session = session or Session(parent=self)
        self.analyzer = Analyzer()
        self.analysis = None
        self.trainer = None
        self.pending_weights: dict | None = None
        # Weights carried over a training-settings edit (epochs, batch size, optimizer…):
        # kept only while no network or data edit arrives before the rebuild.
        self._carried_weights: dict | None = None
        self._carried_progress: tuple[int, int, bool] | None = None   # steps, epoch, running
        self._sized = False
        self._sticky: str | None = None   # a worker failure stays shown until the next command
        self.worker = TrainingWorker(parent=self)
        self.worker.failed.connect(self.on_worker_failed)
        self.worker.finished.connect(self.on_worker_finished)
        self.actions = make_actions(self)
        self.views = LiveViews()
        self._build_widgets()
        self.files = FileActions(self)
        self._build_toolbar()
        self._connect()
        self._analysis_timer = QTimer(self, singleShot=True, interval=ANALYSIS_DELAY_MS)
        self._analysis_timer.timeout.connect(self.run_analysis)
        self.frame_timer = QTimer(self, interval=FRAME_MS)
        self.frame_timer.timeout.connect(self.on_frame)
        self.frame_timer.start()
        self.files.restore_layout()
        self.update_title()
        self.run_analysis()

    # ------------------------------------------------------------------ building
    def _build_widgets(self) -> None:
        self.editor = NetworkEditor(self.session)
        self.banner = QLabel()
        self.banner.setObjectName("trainingBlocked")
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        self.banner.setTextInteractionFlags(Qt.TextSelectableByMouse)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        self.central_stack = QStackedWidget()
        self.central_stack.addWidget(self.editor)
        layout.addWidget(self.central_stack, 1)
        self.setCentralWidget(central)
        self.palette = LayerPalette()
        self.data_panel = DataPanel(self.session)
        self.properties = PropertyPanel(self.session)
        self.training_panel = TrainingPanel(self.session)
        self.docks: dict[str, QDockWidget] = {}
        left, right, bottom = (Qt.LeftDockWidgetArea, Qt.RightDockWidgetArea,
                               Qt.BottomDockWidgetArea)
        self._dock("Layers", self.palette, left)
        self._dock("Data", self.data_panel, left)
        self._dock("Layer settings", self.properties, right)
        self._dock("Training", self.training_panel, right)
        self._dock("Loss", self.views.loss, bottom)
        from playground.stepthrough import TimelineView
        self.timeline = TimelineView(self.worker.store)
        self.timeline.stepChosen.connect(self.on_replay_step)
        boundary_host = QWidget()
        boundary_layout = QVBoxLayout(boundary_host)
        boundary_layout.setContentsMargins(0, 0, 0, 0)
        boundary_layout.addWidget(self.views.boundary, 1)
        boundary_layout.addWidget(self.timeline)     # the replay timeline under the boundary
        self._dock("Decision boundary", boundary_host, bottom)
        self._dock("Neurons", self.views.neurons, bottom)
        self._dock("Weights", self.views.weights, bottom)
        from playground.stepthrough import StepThroughPanel
        self.step_through = StepThroughPanel()
        self._dock("Step-through", self.step_through, bottom)
        self.tabifyDockWidget(self.docks["Neurons"], self.docks["Weights"])
        self.tabifyDockWidget(self.docks["Weights"], self.docks["Step-through"])
        self.docks["Neurons"].raise_()
        self.resizeDocks([self.docks["Layers"], self.docks["Data"]], [230, 560], Qt.Vertical)
        self.resizeDocks([self.docks["Layers"], self.docks["Layer settings"]], [300, 320],
                         Qt.Horizontal)
        self.resizeDocks([self.docks["Loss"]], [440], Qt.Vertical)
        self.resizeDocks([self.docks["Loss"], self.docks["Decision boundary"],
                          self.docks["Neurons"]], [520, 440, 600], Qt.Horizontal)

    def _dock(self, title: str, widget: QWidget, area) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock{title.replace(' ', '')}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
                         | QDockWidget.DockWidgetClosable)
        self.addDockWidget(area, dock)
        self.docks[title] = dock

    def _build_toolbar(self) -> None:
        a = self.actions
        bar = self.addToolBar("Training")
        bar.setObjectName("mainToolBar")
        bar.setToolButtonStyle(Qt.ToolButtonTextOnly)
        for key in ("New", "Open", "Save"):
            bar.addAction(a[key])
        bar.addSeparator()
        for key in ("Train", "Step", "Reset"):
            bar.addAction(a[key])
        bar.addSeparator()
        bar.addAction(a["Export"])
        bar.addSeparator()
        self.step_counter = QLabel("step 0")
        self.step_counter.setObjectName("stepCounter")
        self.epoch_counter = QLabel("epoch 0")
        self.epoch_counter.setObjectName("epochCounter")
        self.rate_label = QLabel("")
        self.rate_label.setObjectName("stepsPerSecond")
        for label, width in ((self.epoch_counter, 110), (self.step_counter, 130),
                             (self.rate_label, 130)):
            label.setContentsMargins(10, 0, 10, 0)
            # Fixed widths: counters change every frame and must not re-layout the window.
            label.setFixedWidth(width)
            bar.addWidget(label)
        edit = self.menuBar().addMenu("&Edit")
        edit.addAction(a["Undo"])
        edit.addAction(a["Redo"])
        edit.addSeparator()
        for key in ("Delete", "Duplicate", "MoveUp", "MoveDown"):
            edit.addAction(a[key])
        view = self.menuBar().addMenu("&View")
        for key in ("AutoLayout", "ZoomIn", "ZoomOut", "Fit"):
            view.addAction(a[key])
        view.addSeparator()
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        train = self.menuBar().addMenu("&Train")
        for key in ("Train", "Step", "Reset"):
            train.addAction(a[key])
        self.help = HelpActions(self)

    def _connect(self) -> None:
        a, s = self.actions, self.session
        a["Undo"].triggered.connect(s.undo_stack.undo)
        a["Redo"].triggered.connect(s.undo_stack.redo)
        s.undo_stack.canUndoChanged.connect(a["Undo"].setEnabled)
        s.undo_stack.canRedoChanged.connect(a["Redo"].setEnabled)
        a["Undo"].setEnabled(False)
        a["Redo"].setEnabled(False)
        a["Train"].triggered.connect(self.on_train_toggled)
        a["Step"].triggered.connect(self.on_step)
        a["Reset"].triggered.connect(self.on_reset)
        a["Delete"].triggered.connect(self.editor.delete_selected)
        a["Duplicate"].triggered.connect(self.editor.duplicate_selected)
        a["MoveUp"].triggered.connect(lambda: self.editor.move_selected(-1))
        a["MoveDown"].triggered.connect(lambda: self.editor.move_selected(1))
        a["AutoLayout"].triggered.connect(self.editor.auto_layout)
        a["ZoomIn"].triggered.connect(lambda: self.editor.zoom(1.2))
        a["ZoomOut"].triggered.connect(lambda: self.editor.zoom(1 / 1.2))
        a["Fit"].triggered.connect(self.editor.fit)
        self.palette.layerActivated.connect(self.editor.append_layer)
        for signal in (s.networkChanged, s.dataChanged, s.projectReplaced):
            signal.connect(self._forget_carried_weights)
            signal.connect(self.schedule_analysis)
        s.trainingChanged.connect(self.on_training_changed)
        a["Train"].toggled.connect(self._show_train_state)
        self._show_train_state(False)
        s.nameChanged.connect(self.schedule_analysis)
        s.learningRateChanged.connect(self.on_learning_rate)
        s.dirtyChanged.connect(lambda _: self.update_title())
        s.pathChanged.connect(lambda _: self.update_title())
        s.projectReplaced.connect(self.editor.auto_layout)

    # ------------------------------------------------------------------ analysis → trainer
    @Slot()
    def schedule_analysis(self) -> None:
        """An edit invalidates the trainer: pause now, re-check shortly (edits come in bursts)."""
        self.worker.pause()
        self.actions["Train"].setChecked(False)
        self._analysis_timer.start()

    @Slot()
    def _forget_carried_weights(self) -> None:
        self._carried_weights = None
        self._carried_progress = None

    @Slot()
    def on_training_changed(self) -> None:
        """Training-only edits rebuild the trainer but keep the trained weights."""
        running = self.worker.is_running or self.actions["Train"].isChecked()
        self.schedule_analysis()
        if self.trainer is not None and self.pending_weights is None:
            try:
                weights, steps, epoch = self.worker.call(
                    lambda t: (t.model.state_dict(), t.steps, t.epoch))
            except TimeoutError:
                self._carried_weights = None
                return
            self._carried_weights = weights
            # The step count, the curves and a running training go on from here.
            self._carried_progress = (steps, epoch, running)

    @Slot(bool)
    def _show_train_state(self, running: bool) -> None:
        """The Train action reads "Pause" (with a pause icon) while training runs."""
        from PySide6.QtWidgets import QStyle
        action = self.actions["Train"]
        action.setText("Pause" if running else "Train")
        action.setIcon(self.style().standardIcon(QStyle.SP_MediaPause if running
                                                 else QStyle.SP_MediaPlay))
        if action.isEnabled():
            tip = ("Pause training (Space)" if running
                   else "Train continuously / pause (Space)")
            action.setToolTip(tip)
            action.setStatusTip(tip)

    def run_analysis(self) -> None:
        """Check the network against the data; build a fresh trainer when it is valid."""
        self._analysis_timer.stop()
        self.analysis = analysis = self.analyzer.analyse(self.session)
        self.editor.set_analysis(analysis)
        ready = analysis.error is None and analysis.prepared is not None
        trainer = None
        carried, self._carried_weights = self._carried_weights, None
        progress, self._carried_progress = self._carried_progress, None
        kept = False
        loaded = self.pending_weights is not None
        if ready:
            try:
                from engine.trainer import Trainer
                trainer = Trainer(analysis.project, analysis.prepared)
                if self.pending_weights is not None:
                    trainer.model.load_state_dict(self.pending_weights)
                elif carried is not None:
                    kept = self._load_carried(trainer, carried)
                    if kept and progress is not None:
                        # The next step starts a fresh epoch: shuffling restarts, counts go on.
                        trainer.steps, trainer.epoch = progress[0], progress[1]
            except (ProjectError, ValueError, KeyError) as error:
                analysis.error, ready = str(error), False
        self.pending_weights = None
        self.trainer = trainer
        if carried is not None and trainer is not None:
            # The old "Finished N epochs" or rate message no longer describes this trainer.
            self.statusBar().showMessage(
                "Training settings changed: training goes on with the trained weights and "
                "the new settings." if kept else
                "Training settings changed: the weights did not fit, so training starts "
                "from fresh weights.", 10000)
        continued = kept and progress is not None
        data_ok = not (analysis.error or "").startswith("data")
        self.views.set_trainer(trainer, self.analyzer.last_dataset if data_ok else None,
                               keep_curves=continued)
        self.views.loss.origin = ("loaded weights" if loaded and trainer is not None
                                  else "kept weights" if kept else "fresh weights")
        self.step_through.clear()
        self._show_data_extras(analysis)
        if trainer is not None:
            self.worker.load(trainer)
        else:
            self.worker.unload()
        self.timeline.set_store(self.worker.store)
        for key in ("Train", "Step", "Reset"):
            self.actions[key].setEnabled(ready)
            self.actions[key].setToolTip(self.actions[key].statusTip() if ready else
                                         f"Training is disabled: {analysis.error}")
        if ready:
            self.show_banner(self._sticky, warning=True)
        else:
            self.show_banner(f"Cannot train yet — {analysis.error}")
        if continued:
            self.set_counters(trainer.steps, trainer.epoch, 0.0)
            if progress[2]:
                self.actions["Train"].setChecked(True)
                self.worker.start()
        else:
            self.set_counters(0, 0, 0.0)

    @staticmethod
    def _load_carried(trainer, weights: dict) -> bool:
        """Put carried-over weights into a new trainer; False when they do not fit."""
        try:
            trainer.model.load_state_dict(weights)
        except (KeyError, ValueError):
            return False
        return True

    def _show_data_extras(self, analysis) -> None:
        error = analysis.error if analysis.error and analysis.error.startswith("data") else None
        self.data_panel.show_error(error)
        dataset = self.analyzer.last_dataset if error is None else None
        # Image samples are browsed in the Samples dock; the panel offers augmentation.
        self.data_panel.set_image_data(dataset is not None and dataset.kind == "image")

    # ------------------------------------------------------------------ training controls
    @Slot(bool)
    def on_train_toggled(self, checked: bool) -> None:
        """Train/Pause toggle."""
        if self._analysis_timer.isActive():
            self.run_analysis()
        if self.trainer is None:
            self.actions["Train"].setChecked(False)
            return
        if checked:
            self._sticky = None
            self.show_banner(None)
            self.worker.start()
        else:
            self.worker.pause()

    @Slot()
    def on_step(self) -> None:
        """One mini-batch."""
        if self._analysis_timer.isActive():
            self.run_analysis()
        if self.trainer is not None:
            self.actions["Train"].setChecked(False)
            self._sticky = None
            self.worker.step(1)

    @Slot()
    def on_reset(self) -> None:
        """Fresh weights, empty curves."""
        if self.trainer is None:
            return
        self.actions["Train"].setChecked(False)
        self.worker.reset()
        self.views.reset_curves()
        self.show_banner(None)
        self.set_counters(0, 0, 0.0)

    @Slot(float)
    def on_learning_rate(self, rate: float) -> None:
        """Applies to the running trainer from its next batch."""
        if self.trainer is not None:
            self.worker.set_learning_rate(rate)
        self.statusBar().showMessage(f"Learning rate {rate:g}", 3000)

    @Slot()
    def on_frame(self) -> None:
        """Drain the worker's buffer and update counters and views.

        The worker waits from here until the event loop has handled the paints and layouts
        this frame caused (a zero timer runs after posted events), so painting does not
        compete with training for the GIL. The worker never waits longer than its limit.
        """
        self.worker.hold_for_gui()
        try:
            self._frame()
            # Paint now, inside the hold: scene updates arrive as queued calls, then the
            # window's UpdateRequest repaints. Layout events are left to the loop, where a
            # layout that keeps re-posting itself cannot trap this call.
            QCoreApplication.sendPostedEvents(None, QEvent.MetaCall)
            QCoreApplication.sendPostedEvents(None, QEvent.UpdateRequest)
        finally:
            QTimer.singleShot(0, self._release_worker)

    @Slot()
    def _release_worker(self) -> None:
        self.worker.release_gui()

    @Slot(int, dict)
    def on_replay_step(self, step: int, state: dict) -> None:
        """Show a stored step: its weights go into a separate replay model (never the trained
        one) and the boundary, neuron and weights views are redrawn from it while paused."""
        trainer = self.trainer
        if trainer is None or self.worker.is_running or not state:
            return
        from types import SimpleNamespace
        from engine.graph import build_model
        from playground.snapshots import SnapshotMaker
        replay = build_model(trainer.project.network, tuple(trainer.preprocessor.input_shape),
                             trainer.seed, dtype=trainer.dtype)
        replay.load_state_dict(state)
        view = SimpleNamespace(model=replay, dataset=trainer.dataset, steps=step, epoch=0,
                               preprocessor=trainer.preprocessor)
        snapshot = SnapshotMaker(view).make(evaluate=False)
        self.views.boundary.update_grid(snapshot.grid, snapshot.frame)
        if self.views.neurons.feature_images:
            self.views.neurons.update_snapshot(snapshot, self.views.layer_order,
                                               self.views.output_id)
        self.views.weights.update_snapshot(snapshot)
        self.statusBar().showMessage(f"Replaying step {step:,} (training is paused)", 4000)

    def _frame(self) -> None:
        drained = self.worker.drain()
        self.timeline.refresh_if_changed()
        self.views.apply(drained)
        if drained.capture is not None:
            self.step_through.show_capture(*drained.capture)
        for message in drained.messages:
            self.show_banner(message, warning=True)
            self.statusBar().showMessage(message, 10000)
        if len(drained.steps) or drained.snapshot is not None:
            self.set_counters(drained.step, drained.epoch, drained.steps_per_second)
        if self.actions["Train"].isChecked() and not drained.running \
                and not self.worker.has_pending_commands and drained.step > 0:
            self.actions["Train"].setChecked(False)

    def set_counters(self, step: int, epoch: int, rate: float) -> None:
        """Update the step and epoch counters and the steps/s figure."""
        self.step_counter.setText(f"step {step:,}")
        self.epoch_counter.setText(f"epoch {epoch:,}")
        self.rate_label.setText(f"{rate:,.0f} steps/s" if rate else "")

    @Slot(str)
    def on_worker_failed(self, message: str) -> None:
        """The worker hit an error: say so, keep the app usable."""
        self.actions["Train"].setChecked(False)
        self._sticky = message
        self.show_banner(message, warning=True)
        self.statusBar().showMessage(message, 15000)
        self.worker.stop(1.0)
        self.schedule_analysis()

    @Slot()
    def on_worker_finished(self) -> None:
        """Reached the configured number of epochs."""
        self.actions["Train"].setChecked(False)
        epochs = self.session.spec["training"].get("epochs")
        self.statusBar().showMessage(f"Finished {epochs} epochs; press Train to continue.", 8000)

    def show_banner(self, text: str | None, warning: bool = False) -> None:
        """A message above the canvas (why training is disabled, divergence, errors)."""
        self.banner.setVisible(bool(text))
        self.banner.setText(text or "")
        colour = "#8a4b00; background: #fff4e0" if warning else "#a8261f; background: #fdecea"
        self.banner.setStyleSheet(f"color: {colour}; padding: 6px 10px; "
                                  "border-bottom: 1px solid #e0c0b0;")

    def update_title(self) -> None:
        """Project name, file and the unsaved-changes marker."""
        path = self.session.path
        name = path.name if path else self.session.spec.get("name", "Untitled")
        self.setWindowTitle(f"{name}[*] — LayerLab")
        self.setWindowModified(self.session.dirty)

    def run_on_trainer(self, function):
        """Run ``function(trainer)`` between batches on the worker thread; returns its result."""
        return self.worker.call(function)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """First show without a saved layout: give the live views a fair share of height."""
        super().showEvent(event)
        if not self._sized and self.settings.window_state()[1] is None:
            self.resizeDocks([self.docks["Loss"]], [int(self.height() * 0.42)], Qt.Vertical)
            self.resizeDocks([self.docks["Layers"]], [int(self.height() * 0.22)], Qt.Vertical)
        self._sized = True

    def show_start_page(self) -> None:
        """Show the preset gallery in place of the canvas until something is chosen."""
        self.help.show_start_page()

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Ask about unsaved changes, then stop and join the worker."""
        if not self.files.confirm_discard():
            event.ignore()
            return
        self.frame_timer.stop()
        # A pending re-check would load a trainer and start a new thread after the stop.
        self._analysis_timer.stop()
        self.worker.release_gui()
        docks = getattr(self, "image_docks", None)    # installed by create_main_window
        if docks is not None:
            docks.shutdown()     # its thread may be waiting for the worker: stop it first
        self.worker.stop()
        self.files.save_layout()
        self.views.weights.shutdown()
        super().closeEvent(event)
