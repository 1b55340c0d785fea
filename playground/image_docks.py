"""The image views as docks of the main window, fed live without touching the trained model.

``install_image_docks(window)`` adds Samples, Filters, Feature maps, Confusion and Draw docks
(tabified together, shown only for image data). A GUI timer notices a new trainer by identity
and asks a small background thread for probes at ~2 Hz. That thread only waits: through
``window.worker.call`` the probe runs on the training thread between batches, loading the
weights into a separate replay model and computing filters, feature maps and (within a time
budget) the confusion matrix there, so it never competes with training for the GIL or BLAS.
Results wait in a lock-protected slot that the timer drains: no Qt signal crosses threads.
"""
from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QDockWidget, QMenu

from engine.probes import ImageProbe, ImageProber, first_conv_id, image_probe
from playground.images import (ConfusionView, DrawingPad, FeatureMapsView, FiltersView,
                               SampleGrid)

TICK_MS = 125            # GUI timer: drain results, check the trainer (~8 Hz)
PROBE_INTERVAL = 1.0     # at most one probe a second while training runs
IDLE_INTERVAL = 0.25     # quicker answers to a paused network (sample choice, new tab)
CONFUSION_LIMIT = 1000   # test samples the confusion matrix is computed on
CALL_TIMEOUT = 30.0    # longest the probe thread waits for the training thread to answer
PAD_INTERVAL = 1.0       # the drawing pad's model copy is refreshed at most this often
SAMPLE_SEED_OFFSET = 0x5A  # the sample grid's selection differs from the training order


@dataclass
class _Job:
    """What the probe thread should compute next (the newest request replaces older ones)."""

    trainer: object
    sample: int
    confusion: bool      # take the confusion matrix now (not only when its budget allows)
    pad: bool            # hand back a copy of the model for the drawing pad
    evaluate: bool = True  # the confusion view is visible: evaluate within its budget


@dataclass
class _Result:
    """A finished probe for one trainer (dropped when that trainer is no longer current)."""

    trainer: object
    steps: int
    probe: ImageProbe
    layer_id: str | None
    weight_shape: tuple[int, ...] | None
    pad_model: object | None
    replay: object             # read for its layer ids only, never run on the GUI thread


class _ProbeThread:
    """Background thread that has the worker compute probes between batches and keeps the newest."""

    def __init__(self, worker) -> None:
        self.worker = worker
        self._condition = threading.Condition()
        self._job: _Job | None = None
        self._result: _Result | None = None
        self._error: str | None = None
        self._stopping = False
        self._replay = None          # (trainer, model): built once per trainer
        self._prober = ImageProber(interval=0.0, budget=0.1, limit=CONFUSION_LIMIT)
        self._thread = threading.Thread(target=self._run, name="layerlab-image-probes",
                                        daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        """Whether the thread still runs."""
        return self._thread.is_alive()

    def request(self, job: _Job) -> None:
        """Queue a job (replacing one not yet started); returns at once."""
        with self._condition:
            if self._job is not None:
                # Keep a pending wish for the confusion matrix or a pad copy.
                job.confusion = job.confusion or self._job.confusion
                job.pad = job.pad or self._job.pad
                job.evaluate = job.evaluate or self._job.evaluate
            self._job = job
            self._condition.notify()

    def take(self) -> tuple[_Result | None, str | None]:
        """The newest result and error since the last call (GUI thread, never blocks long)."""
        with self._condition:
            result, error = self._result, self._error
            self._result, self._error = None, None
        return result, error

    @property
    def busy(self) -> bool:
        """A job is waiting (the GUI need not queue another)."""
        with self._condition:
            return self._job is not None

    def stop(self, timeout: float = 3.0) -> None:
        """End the thread and wait for it (a probe in progress finishes first)."""
        with self._condition:
            self._stopping = True
            self._condition.notify()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._condition:
                while self._job is None and not self._stopping:
                    self._condition.wait()
                if self._stopping:
                    return
                job, self._job = self._job, None
            try:
                result = self._probe(job)
            except Exception as error:  # noqa: BLE001 - shown in the views, thread lives on
                result, message = None, f"Image views: {type(error).__name__}: {error}"
                with self._condition:
                    self._error = message
            if result is not None:
                with self._condition:
                    self._result = result

    def _probe(self, job: _Job) -> _Result | None:
        trainer = job.trainer

        def probe_between_batches(current):
            # Runs on the training thread between batches, so the probe's forward passes never
            # compete with training for the GIL or the BLAS threads: its cost is exactly the
            # training time it takes, which the prober's budget keeps small.
            if current is not trainer:
                return None
            return self._compute(job, current.steps, current.model.state_dict())

        try:
            return self.worker.call(probe_between_batches, timeout=CALL_TIMEOUT)
        except TimeoutError:
            return None

    def _compute(self, job: _Job, steps: int, state: dict) -> _Result:
        trainer = job.trainer
        model = self._replay_model(trainer)
        model.load_state_dict(state)
        if job.confusion:
            self._prober.request_confusion()
        n_classes = len(trainer.dataset.classes) or None
        sample = (trainer.x_test[min(job.sample, len(trainer.x_test) - 1)]
                  if len(trainer.x_test) else None)
        if job.evaluate:
            probe = self._prober.maybe_probe(model, trainer.x_test, trainer.dataset.y_test,
                                             n_classes, sample)
        else:
            # Nobody looks at the matrix: skip its forward pass (a forced one stays pending).
            probe = image_probe(model, trainer.x_test, None, n_classes, sample)
        layer_id = first_conv_id(model)
        shape = tuple(model.layers[layer_id].weight.data.shape) if layer_id else None
        pad_model = copy.deepcopy(model) if job.pad else None
        return _Result(trainer, steps, probe, layer_id, shape, pad_model, model)

    def _replay_model(self, trainer):
        if self._replay is None or self._replay[0] is not trainer:
            from engine.graph import build_model
            model = build_model(trainer.project.network, tuple(trainer.preprocessor.input_shape),
                                trainer.seed, dtype=trainer.dtype)
            model.eval()
            self._replay = (trainer, model)
        return self._replay[1]


class ImageDocks(QObject):
    """The image docks of one main window and the timer and thread that keep them current."""

    TITLES = ("Samples", "Filters", "Feature maps", "Confusion", "Draw")

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.samples = SampleGrid(max_shown=240, thumbnail=40)
        self.samples.setObjectName("samplesView")
        self.filters = FiltersView()
        self.feature_maps = FeatureMapsView()
        self.feature_maps.compute_here = False   # only the probe thread computes maps
        self.confusion = ConfusionView()
        self.pad = DrawingPad()
        self.docks: dict[str, QDockWidget] = {}
        self.trainer = None
        self.dataset = None
        self.showing = False
        self._hid_boundary = False
        self._sized = False
        self._probed_steps = -1
        self._probed_views: frozenset[str] = frozenset()
        self._last_request = 0.0
        self._last_pad = 0.0
        self._pad_stale = True
        self._build_docks()
        self.feature_maps.sampleChanged.connect(self._sample_changed)
        self.thread = _ProbeThread(window.worker)
        self.timer = QTimer(self, interval=TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self._stop_on_destroy(window, self.thread)
        self.tick()

    # ------------------------------------------------------------------ docks
    def _build_docks(self) -> None:
        window = self.window
        widgets = (self.samples, self.filters, self.feature_maps, self.confusion, self.pad)
        previous = None
        for title, widget in zip(self.TITLES, widgets):
            dock = QDockWidget(title, window)
            dock.setObjectName(f"dock{title.replace(' ', '')}")
            dock.setWidget(widget)
            dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
                             | QDockWidget.DockWidgetClosable)
            anchor = previous or window.docks.get("Neurons")
            if anchor is not None and window.dockWidgetArea(anchor) != Qt.NoDockWidgetArea:
                # Beside the views that do not apply to images, which keep their places.
                window.tabifyDockWidget(anchor, dock)
            else:
                window.addDockWidget(Qt.BottomDockWidgetArea, dock)
            window.restoreDockWidget(dock)
            dock.hide()
            window.docks[title] = dock
            self.docks[title] = dock
            previous = dock
        view_menu = next((action.menu() for action in window.menuBar().actions()
                          if isinstance(action.menu(), QMenu)
                          and action.text().replace("&", "") == "View"), None)
        if view_menu is not None:
            for dock in self.docks.values():
                view_menu.addAction(dock.toggleViewAction())

    def _show_docks(self, show: bool) -> None:
        if show == self.showing:
            return
        self.showing = show
        for dock in self.docks.values():
            dock.setVisible(show)
        boundary = self.window.docks.get("Decision boundary")
        if boundary is not None:
            # A decision boundary needs 2-D inputs: for images its room goes to these docks.
            # It comes back with 2-D data unless the person closed it themselves meanwhile.
            if show and not boundary.isHidden():
                boundary.hide()
                self._hid_boundary = True
            elif not show and self._hid_boundary:
                boundary.show()
                self._hid_boundary = False
        if not show:
            return
        # Raise once Qt has placed the shown tabs (the last one shown would be in front).
        QTimer.singleShot(0, self.docks["Confusion"].raise_)

    def _give_room(self) -> None:
        """First time shown: widen the image tabs, whose mosaics and matrix need the space."""
        window = self.window
        neighbours = [window.docks.get(title) for title in ("Loss", "Decision boundary")]
        neighbours = [dock for dock in neighbours if dock is not None and dock.isVisible()
                      and window.dockWidgetArea(dock) == window.dockWidgetArea(
                          self.docks["Confusion"])]
        if not neighbours:
            return
        width = max(window.width(), 900)
        shares = [0.30, 0.15][:len(neighbours)]
        sizes = [int(width * share) for share in shares]
        window.resizeDocks(neighbours + [self.docks["Confusion"]],
                           sizes + [width - sum(sizes)], Qt.Horizontal)
        # A chain of layers needs little height; the matrix and mosaics need it more.
        window.resizeDocks([self.docks["Confusion"]], [int(window.height() * 0.55)],
                           Qt.Vertical)

    # ------------------------------------------------------------------ GUI timer
    @Slot()
    def tick(self) -> None:
        """Follow the window's trainer, drain probe results, ask for new ones (~2 Hz)."""
        if not self.thread.alive:
            if not self.window.isVisible():
                return
            # Shown again after a close: a new thread (a stopped one cannot start again).
            self.thread = _ProbeThread(self.window.worker)
            self._stop_on_destroy(self.window, self.thread)
        if self.window.trainer is not self.trainer:
            self._new_trainer(self.window.trainer)
        self._drain()
        if self.showing and not self._sized and self.window.isVisible():
            self._sized = True    # dock sizes only take effect once the window is laid out
            self._give_room()
        trainer = self.trainer
        if trainer is None or not self.showing:
            return
        visible = self._visible_views()
        if not visible:
            return    # every image tab is hidden behind another: nothing to compute
        now = time.perf_counter()
        running = self.window.worker.is_running
        moved = trainer.steps != self._probed_steps   # an int read: a harmless race
        newly = visible - self._probed_views
        pad_due = self._pad_stale and "pad" in visible and now - self._last_pad >= PAD_INTERVAL
        interval = PROBE_INTERVAL if running else IDLE_INTERVAL
        if (running or moved or newly or pad_due) and not self.thread.busy \
                and now - self._last_request >= interval:
            self._request(confusion=not running or "confusion" in newly, pad=pad_due)

    def _visible_views(self) -> frozenset[str]:
        """Which probed views are on screen (not hidden behind another tab)."""
        views = {"filters": self.filters, "maps": self.feature_maps,
                 "confusion": self.confusion, "pad": self.pad}
        # A tab behind another stays "visible" to Qt (it is only moved off screen), so ask
        # whether any of it can be seen.
        return frozenset(name for name, widget in views.items()
                         if widget.isVisible() and not widget.visibleRegion().isEmpty())

    def _request(self, confusion: bool, pad: bool) -> None:
        self._last_request = time.perf_counter()
        self._probed_steps = self.trainer.steps
        self._probed_views = self._visible_views()
        if pad:
            self._last_pad = self._last_request
        self.thread.request(_Job(self.trainer, self.feature_maps.sample_index, confusion, pad,
                                 evaluate="confusion" in self._probed_views
                                 or not self.window.isVisible()))

    def _new_trainer(self, trainer) -> None:
        self.trainer = trainer
        self._probed_steps = -1
        self._last_request = 0.0
        self._pad_stale = True
        dataset = trainer.dataset if trainer is not None else self.window.analyzer.last_dataset
        images = dataset is not None and dataset.kind == "image"
        self._show_docks(images)
        if not images:
            self.dataset = None
            return
        if dataset is not self.dataset:
            self.dataset = dataset
            seed = (trainer.seed if trainer is not None else 0) + SAMPLE_SEED_OFFSET
            self.samples.set_data(dataset.x_train, dataset.y_train, dataset.classes, seed=seed)
            self.feature_maps.set_samples(dataset.x_test, dataset.y_test, dataset.classes)
            self.confusion.set_samples(dataset.x_test[:CONFUSION_LIMIT], dataset.classes)
        if trainer is None:
            self.filters.caption.setText("Fix the network to see its filters.")
            self.feature_maps.caption.setText("Fix the network to see its feature maps.")
            return
        self._request(confusion=True, pad=True)

    def _drain(self) -> None:
        result, error = self.thread.take()
        if error:
            self.window.statusBar().showMessage(error, 8000)
        if result is None or result.trainer is not self.trainer:
            return
        probe = result.probe
        if probe is None:
            return
        if self.feature_maps.model is not result.replay:
            # A new network: lay out one plot per conv layer (nothing is computed here).
            self.feature_maps.set_model(result.replay, self.trainer.preprocessor)
        if result.layer_id is None:
            self.filters.layer_id = None
            self.filters.image.clear()
            self.filters.caption.setText("This network has no conv2d layer, so there are no "
                                         "filters to show. Add one at the start of the network.")
            self.feature_maps.caption.setText("This network has no conv2d layer; add one to see "
                                              "feature maps.")
        else:
            self.filters.layer_id = result.layer_id
            self.filters.update_filters(probe.filters, result.weight_shape)
            self.feature_maps.update_maps(probe.feature_maps)
        if probe.confusion is not None:
            self.confusion.update_report(probe.confusion)
        if result.pad_model is not None:
            self._pad_stale = False
            self.pad.set_model(result.pad_model, self.trainer.preprocessor,
                               self.trainer.dataset.classes)
        if result.steps != self._probed_steps:
            self._pad_stale = True

    @Slot(int)
    def _sample_changed(self, _index: int) -> None:
        if self.trainer is not None and self.showing:
            self._request(confusion=False, pad=False)

    # ------------------------------------------------------------------ closing
    def shutdown(self) -> None:
        """Join the probe thread (safe twice); MainWindow.closeEvent calls this before it stops
        the worker, which the thread may be waiting on."""
        self.thread.stop()

    @staticmethod
    def _stop_on_destroy(window, thread: _ProbeThread) -> None:
        # A window deleted without a Close event still ends the thread; destroyed passes the
        # object, hence the wrapper, which holds only the thread.
        window.destroyed.connect(lambda *_: thread.stop(0.5))


def install_image_docks(window) -> ImageDocks:
    """Add the image docks to a MainWindow (once; a second call returns the same docks)."""
    existing = getattr(window, "image_docks", None)
    if isinstance(existing, ImageDocks):
        return existing
    docks = ImageDocks(window)
    window.image_docks = docks
    return docks
