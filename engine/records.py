"""What the Trainer hands out: one StepRecord per mini-batch and history rows per epoch."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# The columns of metrics.csv (SPEC.md), in order; history rows carry exactly these keys.
METRICS_COLUMNS = ("epoch", "step", "seconds", "train_loss", "test_loss",
                   "train_accuracy", "test_accuracy")


@dataclass
class StepRecord:
    """One training step: cheap scalars always, per-layer arrays when recorded.

    ``loss`` is the batch's data loss plus the regularization penalty (the objective being
    minimised); ``data_loss`` and ``penalty`` are its two parts. Every array is a copy, so a
    record may cross threads and outlive later steps.
    """

    step: int                        # steps taken so far, this one included (1-based)
    epoch: int                       # 0-based epoch this batch belongs to
    loss: float
    data_loss: float
    penalty: float
    accuracy: float | None           # batch accuracy (classification), before the update
    learning_rate: float
    batch_size: int
    epoch_end: bool                  # this batch finished its epoch
    seconds: float                   # wall time of this step
    diverged: bool = False           # the loss or a weight stopped being finite: weights restored
    recorded: bool = False
    # Filled only by step(record=True); keyed by layer id or parameter name.
    batch_indices: np.ndarray | None = None        # rows of the (preprocessed) training set
    inputs: np.ndarray | None = None               # the batch as the network saw it
    targets: np.ndarray | None = None
    output: np.ndarray | None = None               # the network's output on the batch
    activations: dict[str, np.ndarray] = field(default_factory=dict)     # layer outputs
    preactivations: dict[str, np.ndarray] = field(default_factory=dict)  # before the activation
    output_grads: dict[str, np.ndarray] = field(default_factory=dict)    # d loss / d layer output
    preactivation_grads: dict[str, np.ndarray] = field(default_factory=dict)  # d loss / d pre
    param_grads: dict[str, np.ndarray] = field(default_factory=dict)     # incl. regularization
    updates: dict[str, np.ndarray] = field(default_factory=dict)         # Δw applied by the step
    optimizer_state: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


def history_row(epoch: int, step: int, seconds: float, evaluation: dict) -> dict:
    """One metrics.csv row from an ``evaluate()`` result."""
    return {"epoch": epoch, "step": step, "seconds": seconds,
            "train_loss": evaluation.get("train_loss"), "test_loss": evaluation.get("test_loss"),
            "train_accuracy": evaluation.get("train_accuracy"),
            "test_accuracy": evaluation.get("test_accuracy")}
