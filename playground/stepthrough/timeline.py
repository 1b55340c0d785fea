"""A slider over the run's weight snapshots, with play/pause and export of the animation.

The timeline reads an ``engine.snapshots.SnapshotStore`` (fed on the worker thread; the store
locks itself). Call ``refresh()`` from the GUI timer that drains the worker's buffer: it picks
up new snapshots without emitting anything. Moving the slider or playing emits
``stepChosen(step, state)`` with the stored weights (read-only arrays, name → array) for the
boundary, neuron and weight views to draw.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (QDoubleSpinBox, QFileDialog, QHBoxLayout, QLabel, QMenu,
                               QMessageBox, QSlider, QSpinBox, QToolButton, QVBoxLayout,
                               QWidget)

from engine.snapshots import SnapshotStore, nearest_index
from playground.stepthrough.frame_export import export_animation

FrameRenderer = Callable[[int, dict], object]   # (step, state) -> QImage / PIL image / array
MAX_FRAMES = 300   # an export picks at most this many stored steps, evenly spread


def frame_steps(steps: list[int], max_frames: int = MAX_FRAMES) -> list[int]:
    """At most ``max_frames`` of ``steps``, evenly spread, always with the first and last."""
    if len(steps) <= max_frames:
        return list(steps)
    picks = np.unique(np.round(np.linspace(0, len(steps) - 1, max_frames)).astype(int))
    return [steps[i] for i in picks]


class TimelineView(QWidget):
    """Scrub or play back the stored snapshots; the memory cap is shown and can be changed."""

    stepChosen = Signal(int, dict)
    playingChanged = Signal(bool)

    def __init__(self, store: SnapshotStore | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineView")
        self.store = store or SnapshotStore()
        self.steps: list[int] = []
        self._seen_revision = -1
        self.current_step: int | None = None
        self.renderer: FrameRenderer | None = None
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._advance)

        self.play_button = QToolButton()
        self.play_button.setObjectName("timelinePlay")
        self.play_button.setText("▶ Play")
        self.play_button.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.play_button.setToolTip("Play the stored steps as an animation from the chosen step "
                                    "(from the start when at the end); press again to pause")
        self.play_button.clicked.connect(self.toggle_play)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setObjectName("timelineSlider")
        self.slider.setToolTip("Drag to replay the run: the views show the weights stored at "
                               "that step")
        self.slider.valueChanged.connect(self._slider_moved)
        self.step_label = QLabel()
        self.step_label.setMinimumWidth(110)
        self.step_label.setToolTip("The step shown, of the last stored step")
        self.fps_box = QSpinBox()
        self.fps_box.setRange(1, 60)
        self.fps_box.setValue(10)
        self.fps_box.setSuffix(" fps")
        self.fps_box.setObjectName("timelineFps")
        self.fps_box.setToolTip("Playback speed in frames (stored steps) per second; also the "
                                "speed of an exported GIF")
        self.fps_box.valueChanged.connect(self._fps_changed)
        self.cap_box = QDoubleSpinBox()
        self.cap_box.setObjectName("snapshotCap")
        self.cap_box.setRange(1.0, 4096.0)
        self.cap_box.setDecimals(0)
        self.cap_box.setSuffix(" MB cap")
        self.cap_box.setValue(self.store.cap_mb)
        self.cap_box.setToolTip("Memory kept for weight snapshots; older steps are thinned out "
                                "(every step early in the run, fewer later) to stay under it.")
        self.cap_box.valueChanged.connect(self._cap_changed)
        self.memory_label = QLabel()
        self.memory_label.setObjectName("snapshotMemory")
        self.memory_label.setToolTip("How many weight snapshots are stored and the memory they "
                                     "use, of the cap")
        self.export_button = QToolButton()
        self.export_button.setText("Export…")
        self.export_button.setObjectName("timelineExport")
        self.export_button.setToolTip("Save the replay as an animated GIF or as numbered PNG "
                                      "frames (at most 300 steps, evenly spread)")
        self.export_button.setPopupMode(QToolButton.InstantPopup)
        menu = QMenu(self.export_button)
        menu.addAction("Animated GIF…", self._ask_gif)
        menu.addAction("PNG frames…", self._ask_frames)
        self.export_button.setMenu(menu)

        top = QHBoxLayout()
        top.addWidget(self.play_button)
        top.addWidget(self.slider, 1)
        top.addWidget(self.step_label)
        bottom = QHBoxLayout()
        bottom.addWidget(self.fps_box)
        bottom.addWidget(self.cap_box)
        bottom.addWidget(self.memory_label, 1)
        bottom.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(bottom)
        self.refresh()

    # --------------------------------------------------------------------------- input
    def set_store(self, store: SnapshotStore) -> None:
        """Read another store (a new run)."""
        self.pause()
        self.store = store
        self.current_step = None
        self.cap_box.blockSignals(True)
        self.cap_box.setValue(store.cap_mb)
        self.cap_box.blockSignals(False)
        self.refresh()

    def set_frame_renderer(self, renderer: FrameRenderer | None) -> None:
        """The callable that draws one step for export (None disables export)."""
        self.renderer = renderer
        self.export_button.setEnabled(renderer is not None and bool(self.steps))

    def refresh_if_changed(self) -> None:
        """``refresh`` when the store gained or lost snapshots since the last one (per frame)."""
        if self.store.revision != self._seen_revision:
            self.refresh()

    def refresh(self) -> None:
        """Pick up new or thinned-out snapshots; keep the chosen step (or the nearest kept)."""
        self._seen_revision = self.store.revision
        self.steps = self.store.steps()
        position = 0
        if self.steps:
            if self.current_step is None:
                position = len(self.steps) - 1
            else:
                position = nearest_index(self.steps, self.current_step)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(self.steps) - 1))
        self.slider.setValue(position)
        self.slider.blockSignals(False)
        self.slider.setEnabled(bool(self.steps))
        self.play_button.setEnabled(len(self.steps) > 1)
        self.export_button.setEnabled(self.renderer is not None and bool(self.steps))
        if self.steps and self.current_step is None:
            self.current_step = self.steps[position]
        self._update_labels()

    def _update_labels(self) -> None:
        if self.steps:
            self.step_label.setText(f"step {self.current_step} of {self.steps[-1]}")
        else:
            self.step_label.setText("no snapshots yet")
        self.memory_label.setText(self.store.summary())

    # ----------------------------------------------------------------------- choosing
    def set_step(self, step: int) -> None:
        """Show the stored step nearest to ``step`` (emits ``stepChosen``)."""
        if not self.steps:
            return
        position = min(range(len(self.steps)), key=lambda i: (abs(self.steps[i] - step), i))
        if position == self.slider.value():
            self._emit(position)
        else:
            self.slider.setValue(position)

    @Slot(int)
    def _slider_moved(self, position: int) -> None:
        self._emit(position)

    def _emit(self, position: int) -> None:
        if not 0 <= position < len(self.steps):
            return
        step = self.steps[position]
        state = self.store.get(step)
        if state is None:  # thinned out since the last refresh
            self.refresh()
            found = self.store.nearest(step)
            if found is None:
                return
            step, state = found
        self.current_step = step
        self._update_labels()
        self.stepChosen.emit(step, state)

    # ------------------------------------------------------------------------ playing
    @property
    def is_playing(self) -> bool:
        """True while the animation runs."""
        return self.timer.isActive()

    @Slot()
    def toggle_play(self) -> None:
        """Play from the current step (from the start when at the end), or pause."""
        if self.is_playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        """Start the animation at the chosen frame rate."""
        if len(self.steps) < 2:
            return
        if self.slider.value() >= len(self.steps) - 1:
            self.slider.setValue(0)
        self.timer.start(int(1000 / self.fps_box.value()))
        self.play_button.setText("⏸ Pause")
        self.playingChanged.emit(True)

    def pause(self) -> None:
        """Stop the animation where it is."""
        if self.timer.isActive():
            self.timer.stop()
            self.playingChanged.emit(False)
        self.play_button.setText("▶ Play")

    @Slot()
    def _advance(self) -> None:
        self.refresh()
        if self.slider.value() >= len(self.steps) - 1:
            self.pause()
            return
        self.slider.setValue(self.slider.value() + 1)

    @Slot(int)
    def _fps_changed(self, fps: int) -> None:
        if self.is_playing:
            self.timer.start(int(1000 / fps))

    @Slot(float)
    def _cap_changed(self, cap_mb: float) -> None:
        self.store.set_cap(cap_mb)
        self.refresh()

    # ------------------------------------------------------------------------- export
    def _render(self, step: int):
        state = self.store.get(step)
        if state is None:
            step, state = self.store.nearest(step)
        return self.renderer(step, state)

    def export_animation(self, path: str | Path, max_frames: int = MAX_FRAMES) -> list[Path]:
        """Render the stored steps (at most ``max_frames``) as a GIF (``*.gif``) or PNG frames."""
        if self.renderer is None:
            raise RuntimeError("no frame renderer is set, so there is nothing to draw")
        self.pause()
        steps = frame_steps(self.store.steps(), max_frames)
        try:
            return export_animation(self._render, steps, path,
                                    fps=self.fps_box.value())
        finally:
            if self.current_step is not None:  # put the views back where they were
                self.set_step(self.current_step)

    @Slot()
    def _ask_gif(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export animation", "training.gif",
                                              "Animated GIF (*.gif)")
        if path:
            self._export_reporting(path if path.lower().endswith(".gif") else path + ".gif")

    @Slot()
    def _ask_frames(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the PNG frames")
        if folder:
            self._export_reporting(folder)

    def _export_reporting(self, path: str) -> None:
        """Export, telling the person what was written or what went wrong."""
        try:
            written = self.export_animation(path)
        except (OSError, ValueError, RuntimeError) as error:
            QMessageBox.warning(self, "Export failed", f"Could not export the animation: {error}")
            return
        self.memory_label.setText(f"wrote {len(written)} file(s) to {Path(written[0]).parent}")
