"""Training progress for the command line: a live bar on a terminal, plain lines otherwise."""
from __future__ import annotations

import math
import time
from typing import TextIO

BAR_WIDTH = 24
# Redraw the bar at most this often: printing every step would cost more than the step.
BAR_INTERVAL = 0.1
# In line mode, long runs print about this many epoch lines (plus the last epoch).
MAX_EPOCH_LINES = 25


def format_metric(value: float | None, digits: int = 4) -> str:
    """A metric for people: fixed digits, or ``-`` when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 1e5:
        return f"{value:.3g}"  # a diverging run's figures: keep the line readable
    return f"{value:.{digits}f}"


class Progress:
    """Reports training as it runs.

    ``mode`` is ``"bar"`` (one \\r-updated line, throttled), ``"lines"`` (one line per epoch, or
    every few epochs for long runs) or ``"quiet"`` (nothing until :meth:`final`).
    ``metric`` names the quality measure: ``"accuracy"`` or ``"r2"``.
    """

    def __init__(self, stream: TextIO, mode: str, epochs: int, steps_per_epoch: int,
                 metric: str = "accuracy", clock=time.perf_counter) -> None:
        if mode not in ("bar", "lines", "quiet"):
            raise ValueError(f"unknown progress mode {mode!r}")
        self.stream = stream
        self.mode = mode
        self.epochs = epochs
        self.steps_per_epoch = max(1, steps_per_epoch)
        self.metric = metric
        self.clock = clock
        self.started = clock()
        self.last_draw = -math.inf
        self.bar_drawn = False
        self.line_every = max(1, math.ceil(epochs / MAX_EPOCH_LINES))

    def step(self, epoch: int, steps_done: int, loss: float, quality: float | None) -> None:
        """Note one finished mini-batch (``epoch`` counts from 1, ``steps_done`` in total)."""
        if self.mode != "bar":
            return
        now = self.clock()
        if now - self.last_draw < BAR_INTERVAL and steps_done % self.steps_per_epoch != 0:
            return
        self.last_draw = now
        self._draw_bar(epoch, steps_done, loss, quality, now)

    def _draw_bar(self, epoch: int, steps_done: int, loss: float, quality: float | None,
                  now: float) -> None:
        total = self.epochs * self.steps_per_epoch
        fraction = min(1.0, steps_done / total) if total else 1.0
        filled = int(round(fraction * BAR_WIDTH))
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        elapsed = max(now - self.started, 1e-9)
        label = "acc" if self.metric == "accuracy" else "r2"
        text = (f"\repoch {epoch}/{self.epochs} [{bar}] step {steps_done}/{total} "
                f"loss {format_metric(loss)} {label} {format_metric(quality, 3)} "
                f"{steps_done / elapsed:.0f} steps/s")
        self.stream.write(text.ljust(100))
        self.stream.flush()
        self.bar_drawn = True

    def epoch_end(self, epoch: int, steps_done: int, metrics: dict) -> None:
        """Note a finished epoch with its evaluation (``train_loss``, ``test_loss``, ...)."""
        if self.mode != "lines":
            return
        if epoch % self.line_every != 0 and epoch != self.epochs:
            return
        self.stream.write(self.epoch_line(epoch, steps_done, metrics) + "\n")
        self.stream.flush()

    def epoch_line(self, epoch: int, steps_done: int, metrics: dict) -> str:
        """One plain line describing an epoch's evaluation."""
        seconds = self.clock() - self.started
        parts = [f"epoch {epoch}/{self.epochs}", f"step {steps_done}",
                 f"train_loss {format_metric(metrics.get('train_loss'))}",
                 f"test_loss {format_metric(metrics.get('test_loss'))}"]
        if self.metric == "accuracy":
            parts += [f"train_acc {format_metric(metrics.get('train_accuracy'))}",
                      f"test_acc {format_metric(metrics.get('test_accuracy'))}"]
        else:
            parts += [f"train_r2 {format_metric(metrics.get('train_r2'))}",
                      f"test_r2 {format_metric(metrics.get('test_r2'))}"]
        parts.append(f"{seconds:.1f}s")
        return "  ".join(parts)

    def final(self, text: str) -> None:
        """End the bar (if any) and print the closing line, whatever the mode."""
        if self.bar_drawn:
            self.stream.write("\n")
        self.stream.write(text + "\n")
        self.stream.flush()
