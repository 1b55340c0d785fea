"""The training worker: owns the engine Trainer on a Python thread.

Commands (start, pause, step, reset, stop, learning rate) go through a thread-safe deque and
are applied between batches. Every step appends a scalar record to a lock-protected buffer;
a snapshot (decision grid, neuron maps, weight copies) is made on this thread at most
``snapshot_hz`` times a second. The GUI drains the buffer from a QTimer; the only signals are
``finished`` and ``failed``, never one per step (see TOOLCHAIN.md).
"""
from __future__ import annotations

import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, Signal

from engine.snapshots import SnapshotStore
from playground.snapshots import LIVE_EVALUATION_LIMIT, Snapshot, SnapshotMaker

GUI_HOLD_LIMIT = 0.1    # longest the worker waits for a busy GUI before training anyway
EVALUATION_SHARE = 0.1  # evaluations (loss curve's train/test points) take at most this share
SNAPSHOT_SHARE = 0.1    # snapshot views (grid, neuron maps, weight copies) at most this share
STORE_RESOLUTION = 500  # replay store: every step for the first 2 × this, then gaps of 1/this
GIL_YIELD_INTERVAL = 0.005  # seconds of training between explicit GIL releases

DIVERGED_MESSAGE = ("Training diverged at step {step}: the loss stopped being a finite number. "
                    "Training is paused and the last finite weights are restored. "
                    "Lower the learning rate, then press Train (or Reset to start over).")


def next_evaluation_step(step: int, steps_per_epoch: int) -> int:
    """The step of the next evaluation: every step at first, gaps growing by a tenth of the
    step count, but never more than an epoch apart (dense where the learning happens)."""
    return step + max(1, min(step // 10, max(1, steps_per_epoch)))


class StoreFeed:
    """Offers the replay store the trained weights after steps, cheaply and log-spaced.

    Every step is offered for the first ``2 * resolution`` steps of a run, then steps at least
    ``(step - first) / resolution`` apart: the store's own thinning keeps a similar spacing
    once full, so offering every step only cost a state_dict walk and copy per step (a fifth
    of a tiny network's step) and a timeline tens of thousands of positions long.
    """

    def __init__(self, store: SnapshotStore, resolution: int = STORE_RESOLUTION) -> None:
        self.store = store
        self.resolution = max(1, int(resolution))
        self._first = 0
        self._last = None
        self._model = self._optimizer = None
        self._arrays: list[tuple[str, np.ndarray]] = []

    def record(self, trainer, force: bool = False) -> bool:
        """Offer the trainer's weights at its current step (always with ``force``); True if kept."""
        step = int(trainer.steps)
        if self._last is None or step <= self._last:
            self._first = step    # a new run (or a rewind) starts dense again
        elif not force and step - self._last < max(1, (step - self._first) // self.resolution):
            return False
        if not force and not self.store.wants(step):
            return False
        if trainer.model is not self._model or trainer.optimizer is not self._optimizer:
            self._bind(trainer)
        state = {name: array.copy() for name, array in self._arrays}
        self._last = step
        return self.store.add(step, state, copy=False)

    def _bind(self, trainer) -> None:
        """Remember the live arrays (parameters are views into the optimizer's flat buffer)."""
        model = trainer.model
        self._model, self._optimizer = model, trainer.optimizer
        self._arrays = [(name, p.data) for name, p in model.named_parameters()]
        self._arrays += [(name, b.data) for name, b in model.named_buffers()]

    def clear(self) -> None:
        """Forget the store's contents (a reset)."""
        self.store.clear()
        self._last = None


def budget_end(start: float, end: float, share: float) -> float:
    """When work that ran from ``start`` to ``end`` may run again to use ``share`` of the time."""
    return end + (end - start) * (1.0 / share - 1.0)


@dataclass
class Drained:
    """What the GUI takes from the worker once per frame."""

    steps: np.ndarray                 # step numbers of the new records
    losses: np.ndarray
    accuracies: np.ndarray            # NaN where there is none (regression)
    snapshot: Snapshot | None
    evaluations: list[tuple[int, dict]] = field(default_factory=list)
    capture: tuple | None = None      # (StepCapture, stages, diagnostics) of a single Step
    messages: list[str] = field(default_factory=list)
    running: bool = False
    step: int = 0
    epoch: int = 0
    steps_per_second: float = 0.0
    diverged: bool = False


class TrainingWorker(QObject):
    """Runs a Trainer on its own thread and publishes records and snapshots through a buffer."""

    finished = Signal()
    failed = Signal(str)

    def __init__(self, snapshot_hz: float = 17.0, evaluate_hz: float = 10.0,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.snapshot_interval = 1.0 / snapshot_hz
        self.evaluate_interval = 1.0 / evaluate_hz
        self._commands: deque = deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._records: list[tuple[int, float, float]] = []
        self._snapshot: Snapshot | None = None
        self._evaluations: list[tuple[int, dict]] = []
        self._capture: tuple | None = None
        self._messages: list[str] = []
        self._thread: threading.Thread | None = None
        self._state = {"running": False, "step": 0, "epoch": 0, "diverged": False}
        self._rate = (0.0, 0)    # (time, step) at the last rate measurement
        self._steps_per_second = 0.0
        self.trainer = None      # touched only on the worker thread once it runs
        self._generation = 0       # bumped by load/unload on the GUI thread
        self._published = 0        # the generation the worker thread is publishing for
        self._gui_idle = threading.Event()
        self._gui_idle.set()
        self._train_anyway_until = 0.0
        # One replay store per run: written on the worker thread, read by the GUI's timeline
        # (the store locks itself). A new trainer gets a new store; Reset clears it.
        self.store = SnapshotStore()

    # ------------------------------------------------------------------ GUI-thread API
    def load(self, trainer) -> None:
        """Hand a fresh Trainer to the worker (starts the thread on first use)."""
        if self._thread is None or not self._thread.is_alive():
            # A new thread starts clean: commands left for a dead one (e.g. "stop") go.
            self._commands.clear()
        self.store = SnapshotStore(self.store.cap_mb)
        self._send("load", (trainer, self._next_generation(), self.store))
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="layerlab-trainer",
                                            daemon=True)
            self._thread.start()

    def unload(self) -> None:
        """Drop the trainer (e.g. the network became invalid); nothing more is published."""
        self._send("load", (None, self._next_generation(), None))

    def _next_generation(self) -> int:
        """Start a new generation: whatever the old trainer still publishes is ignored."""
        with self._lock:
            self._generation += 1
            self._records, self._snapshot, self._evaluations = [], None, []
            self._capture = None
            self._state.update(running=False, step=0, epoch=0, diverged=False)
            return self._generation

    def start(self) -> None:
        """Train continuously."""
        self._send("start")

    def pause(self) -> None:
        """Stop after the current batch."""
        self._send("pause")

    def step(self, count: int = 1) -> None:
        """Train exactly ``count`` mini-batches, then pause."""
        self._send("step", int(count))

    def reset(self) -> None:
        """Fresh weights from the seed; counters to zero.

        A new generation: records the thread publishes before it applies the reset are
        dropped, so no pre-reset loss reaches the emptied curves.
        """
        self._send("reset", self._next_generation())

    def set_learning_rate(self, rate: float) -> None:
        """Change the learning rate from the next batch on."""
        self._send("rate", float(rate))

    def call(self, function, timeout: float = 30.0):
        """Run ``function(trainer)`` on the worker thread between batches and return its result.

        Used for saving and exporting: the trainer is only ever touched by one thread. When the
        thread is not running the function runs here.
        """
        if not self.alive:
            return function(self.trainer)
        done = threading.Event()
        box: dict = {}
        self._send("call", (function, done, box))
        if not done.wait(timeout):
            raise TimeoutError("the training thread did not answer")
        if "error" in box:
            raise box["error"]
        return box.get("result")

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread and wait for it."""
        thread = self._thread
        if thread is None:
            return
        self._send("stop")
        thread.join(timeout)
        self._thread = None
        self._commands.clear()

    @property
    def is_running(self) -> bool:
        """Whether the worker is training continuously."""
        return bool(self._state["running"])

    @property
    def has_pending_commands(self) -> bool:
        """Whether commands are queued that the thread has not applied yet."""
        return bool(self._commands)

    @property
    def alive(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def drain(self) -> Drained:
        """Everything published since the last call (records, newest snapshot, messages)."""
        with self._lock:
            records, self._records = self._records, []
            snapshot, self._snapshot = self._snapshot, None
            evaluations, self._evaluations = self._evaluations, []
            capture, self._capture = self._capture, None
            messages, self._messages = self._messages, []
            state = dict(self._state)
            rate = self._steps_per_second
        if records:
            table = np.array(records, dtype=np.float64)
            steps, losses, accuracies = table[:, 0], table[:, 1], table[:, 2]
        else:
            steps = losses = accuracies = np.empty(0)
        return Drained(steps, losses, accuracies, snapshot, evaluations, capture, messages,
                       state["running"],
                       state["step"], state["epoch"], rate if state["running"] else 0.0,
                       state["diverged"])

    def _send(self, command: str, value=None) -> None:
        self._commands.append((command, value))
        self._wake.set()

    # ------------------------------------------------------------------ worker thread
    def _run(self) -> None:
        try:
            self._loop()
        except Exception as error:  # noqa: BLE001 - any failure must reach the person
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            with self._lock:
                self._state["running"] = False
            self.failed.emit(f"Training stopped because of an error: {detail}")

    def _loop(self) -> None:
        trainer = None
        maker: SnapshotMaker | None = None
        running = False
        pending = 0
        last_snapshot = last_eval = 0.0
        snapshot_gap = self.snapshot_interval
        feed: StoreFeed | None = None
        want_snapshot = False
        target_steps = 0
        next_eval = 0          # step of the next step-count evaluation (dense early)
        eval_ready = 0.0       # no unforced evaluation before this time (the budget)
        last_yield = 0.0       # when the GUI thread last had a chance at the GIL
        while True:
            while self._commands:
                command, value = self._commands.popleft()
                if command == "stop":
                    return
                if command == "load":
                    trainer, self._published, store = value
                    running, pending, want_snapshot = False, 0, trainer is not None
                    self.trainer = trainer
                    if trainer is None:
                        maker = feed = None
                        continue
                    feed = StoreFeed(store)
                    feed.record(trainer, force=True)
                    maker = SnapshotMaker(trainer)
                    next_eval, eval_ready = 0, 0.0
                    target_steps = trainer.steps_per_epoch * int(trainer.project.training["epochs"])
                elif command == "call":
                    function, done, box = value
                    try:
                        box["result"] = function(trainer)
                    except Exception as error:  # noqa: BLE001 - handed back to the caller
                        box["error"] = error
                    done.set()
                    continue
                elif trainer is None:
                    continue
                elif command == "start":
                    if trainer.diverged:
                        trainer.resume()
                    if trainer.steps >= target_steps:
                        target_steps = trainer.steps + trainer.steps_per_epoch * int(
                            trainer.project.training["epochs"])
                    running, pending = True, 0
                    self._rate = (time.perf_counter(), trainer.steps)
                elif command == "pause":
                    running, pending, want_snapshot = False, 0, True
                    feed.record(trainer, force=True)
                elif command == "step":
                    if trainer.diverged:
                        trainer.resume()
                    running, pending = False, pending + value
                elif command == "reset":
                    trainer.reset()
                    self._published = value
                    feed.clear()
                    feed.record(trainer, force=True)
                    next_eval, eval_ready = 0, 0.0
                    maker = SnapshotMaker(trainer)
                    running, pending, want_snapshot = False, 0, True
                    target_steps = trainer.steps_per_epoch * int(trainer.project.training["epochs"])
                elif command == "rate":
                    trainer.set_learning_rate(value)
                self._publish_state(trainer, running)
            if trainer is None or not (running or pending or want_snapshot):
                self._wake.wait(0.1)
                self._wake.clear()
                continue
            if running or pending:
                if not self._gui_idle.is_set():
                    self._yield_to_gui()
                    last_yield = time.perf_counter()
                elif time.perf_counter() - last_yield >= GIL_YIELD_INTERVAL:
                    # Release the GIL outright now and then. The switch interval alone does
                    # not help the GUI thread: numpy drops and retakes the GIL inside steps,
                    # which resets the interpreter's starvation timer, so without this the
                    # GUI got the GIL only at frames (event-loop lateness ~26 ms median).
                    time.sleep(0)
                    last_yield = time.perf_counter()
                if pending and not running:
                    record = self._captured_step(trainer)
                else:
                    record = trainer.step()
                accuracy = record.accuracy if record.accuracy is not None else np.nan
                feed.record(trainer, force=bool(pending) and not running)
                with self._lock:
                    if self._published == self._generation:
                        self._records.append((record.step, record.loss, accuracy))
                        self._state["step"] = record.step
                        self._state["epoch"] = trainer.epoch
                if pending:
                    pending -= 1
                    want_snapshot = want_snapshot or pending == 0
                if record.diverged:
                    running, pending, want_snapshot = False, 0, True
                    self._message(DIVERGED_MESSAGE.format(step=record.step))
                elif running and trainer.steps >= target_steps:
                    running, want_snapshot = False, True
                    feed.record(trainer, force=True)
                    self._publish_state(trainer, running)
                    self.finished.emit()
            now = time.perf_counter()
            if (running or pending) and not want_snapshot and trainer.steps >= next_eval \
                    and now >= eval_ready:
                # Evaluations by step count as well as by time: a fast run still gets its
                # learning phase plotted, within the evaluation budget.
                next_eval = next_evaluation_step(trainer.steps, trainer.steps_per_epoch)
                evaluation = dict(trainer.evaluate(LIVE_EVALUATION_LIMIT))
                last_eval = time.perf_counter()
                eval_ready = budget_end(now, last_eval, EVALUATION_SHARE)
                with self._lock:
                    if self._published == self._generation:
                        self._evaluations.append((trainer.steps, evaluation))
                now = last_eval
            if want_snapshot or now - last_snapshot >= snapshot_gap:
                # Forced snapshots (pause, finish, reset, single steps) always evaluate.
                evaluate = want_snapshot or (now - last_eval >= self.evaluate_interval
                                             and now >= eval_ready)
                snapshot = maker.make(evaluate)
                done = time.perf_counter()
                # Slow models refresh their views less often instead of training less.
                view_seconds = snapshot.seconds - snapshot.evaluation_seconds
                last_snapshot = now
                snapshot_gap = max(self.snapshot_interval, view_seconds / SNAPSHOT_SHARE)
                if evaluate:
                    last_eval = done
                    eval_ready = budget_end(done - snapshot.evaluation_seconds, done,
                                            EVALUATION_SHARE)
                    next_eval = max(next_eval,
                                    next_evaluation_step(trainer.steps, trainer.steps_per_epoch))
                want_snapshot = False
                with self._lock:
                    if self._published != self._generation:
                        continue
                    # Only the newest snapshot is drawn, but every evaluation is plotted.
                    self._snapshot = snapshot
                    if snapshot.evaluation:
                        self._evaluations.append((snapshot.step, snapshot.evaluation))
                self._publish_state(trainer, running)

    def _captured_step(self, trainer):
        """A single Step records everything the step-through panel explains."""
        from engine.diagnostics import diagnose
        from engine.stepthrough import build_stages, capture_step
        capture = capture_step(trainer)
        published = (capture, build_stages(capture), diagnose(capture))
        with self._lock:
            if self._published == self._generation:
                self._capture = published
        return capture.record

    def _yield_to_gui(self) -> None:
        """Wait (GIL released) while the GUI thread handles events, within a fair share.

        PySide releases and retakes the GIL around every Qt call; with this thread training,
        each retake would wait up to a switch interval (5 ms), so a frame of painting took
        hundreds of milliseconds. Waiting here while the GUI draws a frame avoids that.
        A GUI that holds on too long still leaves this thread half of the time.
        """
        now = time.perf_counter()
        if now < self._train_anyway_until:
            return
        if not self._gui_idle.wait(GUI_HOLD_LIMIT):
            self._train_anyway_until = time.perf_counter() + GUI_HOLD_LIMIT

    def hold_for_gui(self) -> None:
        """The GUI is about to draw a frame: pause between batches until ``release_gui``."""
        self._gui_idle.clear()

    def release_gui(self) -> None:
        """The frame is drawn: train freely."""
        self._gui_idle.set()

    def _publish_state(self, trainer, running: bool) -> None:
        now = time.perf_counter()
        then, steps_then = self._rate
        if running and now - then >= 0.5:
            rate = (trainer.steps - steps_then) / (now - then)
            self._rate = (now, trainer.steps)
        else:
            rate = None
        with self._lock:
            if self._published != self._generation:
                return
            self._state.update(running=running, step=trainer.steps, epoch=trainer.epoch,
                               diverged=trainer.diverged)
            if rate is not None:
                self._steps_per_second = rate

    def _message(self, text: str) -> None:
        with self._lock:
            if self._published == self._generation:
                self._messages.append(text)
