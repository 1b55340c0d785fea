"""The Trainer: a plain, synchronous state machine that the CLI and the GUI worker both drive.

``step()`` trains on one mini-batch and returns a StepRecord; ``evaluate()`` measures the train
and test splits; ``run_epoch()``/``fit()`` loop and keep the per-epoch history (metrics.csv rows).

Reported losses (step records, ``evaluate()``, history) are the data loss plus the
regularization penalty, as Keras reports them; StepRecord also carries the two parts.

Divergence: before updating, the loss and the gradients must be finite, otherwise the step is
not applied; after updating, the weights must be finite, otherwise the last snapshot of the
optimizer's flat buffer (weights and moments) is put back. Snapshots are one memcpy, taken every
step for small models and every ``snapshot_every`` steps for large ones. Either way the Trainer
sets ``diverged``/``diverged_step``, the step's record says ``diverged=True``, and further steps
do nothing until ``reset()`` or ``resume()``.
"""
from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable

import numpy as np

from engine.errors import ProjectError

from engine import metrics
from engine.optim import Optimizer, make_optimizer
from engine.records import METRICS_COLUMNS, StepRecord, history_row
from engine.regularization import Regularizer, make_regularizer
from engine.registry import LOSSES
from engine.tensor import Tensor

__all__ = ["Trainer", "METRICS_COLUMNS"]

EVAL_BATCH = 1024          # samples per forward pass in evaluate()
SMALL_STATE = 1 << 18      # buffers up to this many elements are snapshotted every step


class Trainer:
    """Trains a prepared project's model on its data, one mini-batch per ``step()``."""

    def __init__(self, project, prepared=None) -> None:
        if prepared is None:
            from engine.project import prepare
            prepared = prepare(project)
        self.project = project
        self.prepared = prepared
        self.dataset = prepared.dataset
        self.preprocessor = prepared.preprocessor
        training = project.training
        self.file = project.file
        self.seed = int(project.seed)
        self.task = self.dataset.task
        self.loss_name = training["loss"]
        self.loss_fn = getattr(prepared, "loss", None) or LOSSES.get(self.loss_name, self.file,
                                                                     "training.loss")()
        self.regularizer: Regularizer | None = make_regularizer(training.get("regularization"),
                                                                self.file)
        self._install_model(prepared.model)
        # Transform the data once here: steps only index into these arrays.
        self.x_train = self._prepare_inputs(self.dataset.x_train)
        self.y_train = self._prepare_targets(self.dataset.y_train)
        self.x_test = self._prepare_inputs(self.dataset.x_test)
        self.y_test = self._prepare_targets(self.dataset.y_test)
        self.n_train = len(self.x_train)
        if self.n_train == 0:
            raise ValueError("the training split is empty")
        self.batch_size = max(1, min(int(training["batch_size"]), self.n_train))
        self.steps_per_epoch = -(-self.n_train // self.batch_size)
        self.batch_transform = self._make_augmenter(training.get("augmentation"))
        self._clear_progress()

    # ----------------------------------------------------------------- set-up and state
    def _install_model(self, model) -> None:
        """Adopt ``model`` and give it a fresh optimizer (its weights move into a flat buffer)."""
        self.model = model
        self.model.train()
        if self.prepared.model is not model:
            # A copy, not an edit: callers may share the Prepared they passed in (the GUI does).
            self.prepared = dataclasses.replace(self.prepared, model=model)
        try:
            self.optimizer: Optimizer = make_optimizer(
                list(model.named_parameters()), self.project.training["optimizer"],
                file=self.file)
        except MemoryError:
            # Here, not at one caller: a Reset builds the new state beside the old one.
            raise ProjectError(self.file, "network", "not enough memory for the weights and the "
                               "optimizer's state; use fewer units or filters") from None
        self._buffers = [buffer for _, buffer in model.named_buffers()]
        self.snapshot_every = 1 if self.optimizer.buffer.size <= SMALL_STATE else 20

    def _make_augmenter(self, settings: dict | None):
        """Random shifts/rotations for image batches during training steps (never evaluation)."""
        if not settings or self.x_train.ndim != 4:
            return None
        from engine.augment import Augmenter
        return Augmenter.for_preprocessor(self.preprocessor, int(settings["max_shift"]),
                                          float(settings["max_degrees"]))

    def _prepare_inputs(self, x_raw: np.ndarray) -> np.ndarray:
        """Raw samples → network inputs (feature transforms, standardisation), contiguous."""
        # Standardise in the model's dtype: float64 runs are float64 from the raw samples on.
        x = (self.preprocessor.transform(x_raw, dtype=self.dtype) if len(x_raw)
             else np.asarray(x_raw))
        return np.ascontiguousarray(x, dtype=self.dtype)

    def _prepare_targets(self, y: np.ndarray) -> np.ndarray:
        """Integer labels for classification, ``(N, k)`` values for regression."""
        if self.task == "classification":
            return np.asarray(y, dtype=np.int64)
        y = np.asarray(y, dtype=self.dtype)
        # An empty test split has no rows to infer the width from: take it from the data.
        return y.reshape(len(y), self.dataset.n_targets or 1) if y.ndim != 2 else y

    def _clear_progress(self) -> None:
        """Back to step 0: no history, timers at zero, the shuffling generator re-seeded."""
        self.steps = 0
        self.epoch = 0
        self.samples_seen = 0
        self.history: list[dict] = []
        self.last_evaluation: dict | None = None
        self.training_seconds = 0.0
        self.evaluation_seconds = 0.0
        self.diverged = False
        self.diverged_step: int | None = None
        self._rng = np.random.default_rng([self.seed, 0x5EED])
        self._order = np.arange(self.n_train)
        self._cursor = 0
        self._snapshot = self.optimizer.save_state()

    def reset(self) -> None:
        """Re-initialise the weights from the seed (a freshly built model) and clear history.

        ``trainer.model`` is a new object afterwards; the current learning rate is kept.
        """
        from engine.graph import build_model
        learning_rate = self.optimizer.learning_rate
        model = build_model(self.project.network, tuple(self.preprocessor.input_shape),
                            self.seed, file=self.file, dtype=self.dtype)
        self._install_model(model)
        self.optimizer.learning_rate = learning_rate
        self._clear_progress()

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the model's weights and of the prepared inputs (the optimizer's)."""
        return self.optimizer.dtype

    @property
    def learning_rate(self) -> float:
        """The learning rate the next step uses."""
        return self.optimizer.learning_rate

    def set_learning_rate(self, learning_rate: float) -> None:
        """Change the learning rate from the next step on (checked against the declared limits)."""
        declared = {p.name: p for p in type(self.optimizer).params}["learning_rate"]
        self.optimizer.learning_rate = declared.validate(learning_rate, self.file,
                                                         "training.optimizer.learning_rate")

    def resume(self) -> None:
        """Allow steps again after a divergence (e.g. with a lower learning rate)."""
        self.diverged = False

    @property
    def samples_per_second(self) -> float:
        """Training samples per second spent in steps (evaluation and pauses excluded)."""
        return self.samples_seen / self.training_seconds if self.training_seconds else 0.0

    @property
    def active_seconds(self) -> float:
        """Time spent in steps and evaluation (pauses excluded)."""
        return self.training_seconds + self.evaluation_seconds

    # ----------------------------------------------------------------------- training
    def step(self, record: bool = False) -> StepRecord:
        """Train on the next mini-batch; with ``record`` also copy per-layer arrays."""
        # Overflow is detected and handled as divergence; numpy's warnings would only be noise.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._step(record)

    def _step(self, record: bool) -> StepRecord:
        start = time.perf_counter()
        if self.diverged:
            return self._idle_record(start)
        if self._cursor == 0:
            self._order = self._rng.permutation(self.n_train)
        indices = self._order[self._cursor:self._cursor + self.batch_size]
        x_batch, y_batch = self.x_train[indices], self.y_train[indices]
        if self.batch_transform is not None:
            x_batch = np.ascontiguousarray(self.batch_transform(x_batch, self._rng),
                                           dtype=self.dtype)
        saved_buffers = [b.data.copy() for b in self._buffers]
        optimizer = self.optimizer

        output = self.model.forward(Tensor(x_batch), record=True) if record \
            else self.model.forward(Tensor(x_batch))
        loss = self.loss_fn(output, y_batch)
        data_loss = float(loss.data)
        penalty = self.regularizer.penalty_flat(optimizer.weights) if self.regularizer else 0.0
        total = data_loss + penalty
        accuracy = (metrics.accuracy(output.data, y_batch)
                    if self.task == "classification" else None)
        if not math.isfinite(total):
            return self._diverge(start, indices, total, data_loss, penalty, accuracy,
                                 saved_buffers, restore_weights=False)
        if record:
            self._retain_preactivation_grads()
        optimizer.zero_grad()
        loss.backward()
        optimizer.gather_grads()
        if self.regularizer:
            self.regularizer.add_gradient_flat(optimizer.weights, optimizer.weight_grads)
        if not math.isfinite(float(optimizer.grad_flat.sum())):
            return self._diverge(start, indices, total, data_loss, penalty, accuracy,
                                 saved_buffers, restore_weights=False)
        optimizer.record_update = record
        optimizer.apply_update()
        if not math.isfinite(float(optimizer.flat.sum())):
            return self._diverge(start, indices, total, data_loss, penalty, accuracy,
                                 saved_buffers, restore_weights=True)

        self.steps += 1
        self.samples_seen += len(indices)
        if self.steps % self.snapshot_every == 0:
            np.copyto(self._snapshot[0], optimizer.buffer)
            self._snapshot = (self._snapshot[0], optimizer.step_count)
        epoch = self.epoch
        self._cursor += len(indices)
        epoch_end = self._cursor >= self.n_train
        if epoch_end:
            self._cursor = 0
            self.epoch += 1
        seconds = time.perf_counter() - start
        self.training_seconds += seconds
        result = StepRecord(self.steps, epoch, total, data_loss, penalty, accuracy,
                            self.learning_rate, len(indices), epoch_end, seconds)
        if record:
            self._fill_details(result, indices, x_batch, y_batch, output)
        return result

    def _fill_details(self, result: StepRecord, indices: np.ndarray, x_batch: np.ndarray,
                      y_batch: np.ndarray, output: Tensor) -> None:
        """Copy what step-through views show: activations, gradients, updates, moments."""
        result.recorded = True
        result.batch_indices = indices.copy()
        result.inputs = x_batch.copy()
        result.targets = y_batch.copy()
        result.output = output.data.copy()
        recorded = getattr(self.model, "recorded", None) or {}
        for layer_id, tensor in recorded.items():
            if layer_id not in self.model.layers:  # the model input is in result.inputs
                continue
            result.activations[layer_id] = tensor.data.copy()
            result.output_grads[layer_id] = self._output_grad(layer_id, tensor, y_batch)
            pre = getattr(self.model.layers[layer_id], "preactivation", None)
            if pre is not None:
                result.preactivations[layer_id] = pre.data.copy()
                result.preactivation_grads[layer_id] = (
                    pre.grad.copy() if pre.grad is not None else np.zeros_like(pre.data))
        for name in self.optimizer.names:
            result.param_grads[name] = self.optimizer.grad_for(name).copy()
            result.optimizer_state[name] = self.optimizer.state_for(name)
        result.updates = {name: delta.copy() for name, delta in self.optimizer.last_update.items()}

    def _retain_preactivation_grads(self) -> None:
        """Ask backward to keep each layer's pre-activation gradient (recorded steps only)."""
        for layer in self.model.layers.values():
            pre = getattr(layer, "preactivation", None)
            if pre is not None:
                pre.retain_grad()

    def _output_grad(self, layer_id: str, tensor: Tensor, y_batch: np.ndarray) -> np.ndarray:
        """d loss / d layer output, a copy.

        The fused sigmoid/softmax losses differentiate the logits and skip the network's output
        tensor, so its gradient is taken here through the loss's probability path instead.
        """
        if tensor.grad is not None:
            return tensor.grad.copy()
        if layer_id != self.model.output_id:
            return np.zeros_like(tensor.data)  # a layer the loss does not depend on
        leaf = Tensor(tensor.data.copy(), requires_grad=True)
        self.loss_fn(leaf, y_batch).backward()
        return leaf.grad if leaf.grad is not None else np.zeros_like(tensor.data)

    def _diverge(self, start: float, indices: np.ndarray, total: float, data_loss: float,
                 penalty: float, accuracy: float | None, saved_buffers: list[np.ndarray],
                 restore_weights: bool) -> StepRecord:
        """Stop training: put back the last finite weights and say so in the record."""
        if restore_weights:
            self.optimizer.load_state(self._snapshot)
        for buffer, saved in zip(self._buffers, saved_buffers):
            buffer.data[...] = saved
        self.diverged = True
        self.diverged_step = self.steps + 1
        seconds = time.perf_counter() - start
        self.training_seconds += seconds
        return StepRecord(self.steps, self.epoch, total, data_loss, penalty, accuracy,
                          self.learning_rate, len(indices), False, seconds, diverged=True)

    def _idle_record(self, start: float) -> StepRecord:
        """The record of a step refused because training has diverged."""
        return StepRecord(self.steps, self.epoch, float("nan"), float("nan"), 0.0, None,
                          self.learning_rate, 0, False, time.perf_counter() - start,
                          diverged=True)

    def run_epoch(self, should_stop: Callable[[], bool] | None = None) -> dict | None:
        """Step to the end of the current epoch, then evaluate and append a history row.

        Returns the row, or None when stopped early (divergence or ``should_stop()``).
        """
        while True:
            if should_stop is not None and should_stop():
                return None
            result = self.step()
            if result.diverged:
                return None
            if result.epoch_end:
                return self.record_history()

    def fit(self, epochs: int, on_epoch: Callable[[dict], None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> list[dict]:
        """Train ``epochs`` more epochs (fewer if stopped or diverged); return the history."""
        for _ in range(int(epochs)):
            row = self.run_epoch(should_stop)
            if row is None:
                break
            if on_epoch is not None:
                on_epoch(row)
        return self.history

    # --------------------------------------------------------------------- evaluation
    def record_history(self) -> dict:
        """Evaluate now and append a metrics.csv row (epoch, step, seconds, losses, accuracies)."""
        evaluation = self.evaluate()
        row = history_row(self.epoch, self.steps, self.active_seconds, evaluation)
        self.history.append(row)
        return row

    def evaluate(self, limit: int | None = None) -> dict:
        """Loss and accuracy (classification) or R² (regression) on the train and test splits.

        Keys: train_loss, test_loss, train_accuracy, test_accuracy, and for regression also
        train_r2, test_r2 (accuracies are then None). Metrics of an empty split are None.
        ``limit``: use only the first ``limit`` samples of each split (the splits are in random
        order), a cheap estimate for live curves on large data sets.
        """
        start = time.perf_counter()
        penalty = self.regularizer.penalty_flat(self.optimizer.weights) if self.regularizer else 0.0
        result: dict = {}
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for split, x, y in (("train", self.x_train, self.y_train),
                                ("test", self.x_test, self.y_test)):
                if limit is not None:
                    x, y = x[:limit], y[:limit]
                result.update(self._evaluate_split(split, x, y, penalty))
        ordered = {key: result[key] for key in ("train_loss", "test_loss", "train_accuracy",
                                                "test_accuracy", "train_r2", "test_r2")
                   if key in result}
        self.evaluation_seconds += time.perf_counter() - start
        self.last_evaluation = ordered
        return ordered

    def _evaluate_split(self, split: str, x: np.ndarray, y: np.ndarray, penalty: float) -> dict:
        """Loss and accuracy or R² of one split (all None when the split is empty)."""
        result: dict = {f"{split}_loss": None, f"{split}_accuracy": None}
        if self.task == "regression":
            result[f"{split}_r2"] = None
        if len(x) == 0:
            return result
        output = self.model.predict(x, batch_size=EVAL_BATCH)
        result[f"{split}_loss"] = float(np.mean(self.loss_fn.per_sample(output, y))) + penalty
        if self.task == "classification":
            result[f"{split}_accuracy"] = metrics.accuracy(output, y)
        else:
            result[f"{split}_r2"] = metrics.r2_score(output, y)
        return result
