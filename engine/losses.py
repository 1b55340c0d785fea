"""Loss functions by name: a scalar batch mean for training and per-sample values for probes.

Each entry has ``__call__(output, target) -> Tensor``, ``per_sample(output, target) -> ndarray``
and ``check(...)``, which says (in words for people) why a loss does not fit the data and the
network's last layer, or returns None. The cross-entropies take the fused, stable path from
the logits when the output was made by SigmoidOp / SoftmaxOp while recording; otherwise (e.g.
under no_grad) they treat the output as probabilities, clipped to [1e-7, 1 - 1e-7].
"""
from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from engine.ops import loss as ops
from engine.ops.activation import SigmoidOp, SoftmaxOp
from engine.params import Param
from engine.registry import LOSSES
from engine.tensor import Op, Tensor


class Loss:
    """Base for loss entries."""

    type_name: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()

    def __call__(self, output: Tensor, target: np.ndarray) -> Tensor:  # pragma: no cover
        """Scalar mean loss over the batch, recorded for backward."""
        raise NotImplementedError

    def per_sample(self, output: np.ndarray, target: np.ndarray) -> np.ndarray:  # pragma: no cover
        """Loss of each sample, shape ``(N,)``."""
        raise NotImplementedError

    @classmethod
    def check(cls, task: str, output_shape: tuple, last_activation: str | None,
              n_classes: int | None, n_targets: int | None) -> str | None:  # pragma: no cover
        """What is wrong with using this loss here, or None."""
        raise NotImplementedError


def _regression_target(output: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Targets in the output's dtype and shape (a (N,) target fits an (N, 1) output)."""
    target = np.asarray(target)
    if target.dtype != output.dtype:
        target = target.astype(output.dtype)
    return target.reshape(output.shape)


def _labels(target: np.ndarray) -> np.ndarray:
    return np.asarray(target).reshape(-1).astype(np.intp, copy=False)


def _check_regression(name: str, task: str, output_shape: tuple, n_targets: int | None,
                      last_activation: str | None = None) -> str | None:
    if task != "regression":
        return (f"{name} is a regression loss but the data is for classification; use "
                f"binary_crossentropy (two classes, one sigmoid unit) or categorical_crossentropy "
                f"(softmax over one unit per class)")
    wanted = n_targets or 1
    if tuple(output_shape) != (wanted,):
        return (f"the last layer gives shape {tuple(output_shape)} but the data has {wanted} "
                f"target value(s); end the network with a dense layer of {wanted} unit(s)")
    if last_activation == "softmax" and wanted == 1:
        return ("softmax over a single output unit always gives 1, so nothing can be learned; "
                "end with a linear activation (or tanh/sigmoid for bounded targets)")
    return None


class RegressionLoss(Loss):
    """Base of the regression losses: one op over output - target, averaged per sample."""

    op: ClassVar[type[Op]]

    @staticmethod
    def elementwise(diff: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        """The loss of each value from its error ``output - target``."""
        raise NotImplementedError

    def __call__(self, output: Tensor, target: np.ndarray) -> Tensor:
        """Mean loss over every value of the batch."""
        return self.op.apply(output, target=_regression_target(output.data, target))

    def per_sample(self, output: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Mean loss of each sample over its target values."""
        values = self.elementwise(output - _regression_target(output, target))
        return values.reshape(len(values), math.prod(values.shape[1:])).mean(axis=1)

    @classmethod
    def check(cls, task, output_shape, last_activation, n_classes, n_targets):
        """Regression with one output unit per target."""
        return _check_regression(cls.type_name, task, output_shape, n_targets, last_activation)


@LOSSES.register("mse")
class MeanSquaredError(RegressionLoss):
    """Mean squared error (regression)."""

    op = ops.MeanSquaredError

    @staticmethod
    def elementwise(diff: np.ndarray) -> np.ndarray:
        """The squared error."""
        return diff * diff


@LOSSES.register("huber")
class Huber(RegressionLoss):
    """Huber loss, delta 1: squared error near the target, absolute error far away (regression)."""

    op = ops.Huber
    elementwise = staticmethod(ops.huber_values)


@LOSSES.register("binary_crossentropy")
class BinaryCrossentropy(Loss):
    """Binary cross-entropy: one sigmoid unit, labels 0 and 1."""

    def __call__(self, output: Tensor, target: np.ndarray) -> Tensor:
        """Mean BCE, from the logits when the output came from a sigmoid op."""
        labels = np.asarray(target)
        op = output.op
        if isinstance(op, SigmoidOp):
            return ops.SigmoidBinaryCrossEntropy.apply(op.inputs[0], labels=labels)
        return ops.ProbabilityBinaryCrossEntropy.apply(output, labels=labels)

    def per_sample(self, output: np.ndarray, target: np.ndarray) -> np.ndarray:
        """BCE of each sample from its probability."""
        p = np.clip(output.reshape(len(output)), ops.EPS, 1.0 - ops.EPS)
        y = np.asarray(target).reshape(len(output)).astype(p.dtype)
        return -(y * np.log(p) + (1.0 - y) * np.log1p(-p))

    @classmethod
    def check(cls, task, output_shape, last_activation, n_classes, n_targets):
        """Two classes, one output unit, sigmoid last."""
        if task != "classification":
            return "binary_crossentropy needs class labels; for regression use mse or huber"
        if n_classes is not None and n_classes != 2:
            return (f"binary_crossentropy is for two classes but the data has {n_classes}; use "
                    f"categorical_crossentropy with a softmax dense layer of {n_classes} units")
        if tuple(output_shape) != (1,):
            return (f"binary_crossentropy needs one output unit, but the last layer gives shape "
                    f"{tuple(output_shape)}; end with a dense layer of 1 unit and sigmoid")
        if last_activation != "sigmoid":
            return (f"binary_crossentropy needs a sigmoid output (probabilities), but the last "
                    f"activation is {last_activation or 'none'}; set it to sigmoid")
        return None


@LOSSES.register("categorical_crossentropy")
class CategoricalCrossentropy(Loss):
    """Categorical cross-entropy: softmax over one unit per class, integer labels."""

    def __call__(self, output: Tensor, target: np.ndarray) -> Tensor:
        """Mean cross-entropy, from the logits when the output came from a softmax op."""
        labels = _labels(target)
        op = output.op
        if isinstance(op, SoftmaxOp):
            return ops.SoftmaxCrossEntropy.apply(op.inputs[0], labels=labels)
        return ops.ProbabilityCrossEntropy.apply(output, labels=labels)

    def per_sample(self, output: np.ndarray, target: np.ndarray) -> np.ndarray:
        """-log p[label] of each sample."""
        labels = _labels(target)
        picked = output[np.arange(len(output)), labels]
        return -np.log(np.clip(picked, ops.EPS, 1.0 - ops.EPS))

    @classmethod
    def check(cls, task, output_shape, last_activation, n_classes, n_targets):
        """One softmax output unit per class."""
        if task != "classification":
            return "categorical_crossentropy needs class labels; for regression use mse or huber"
        if n_classes is not None and tuple(output_shape) != (n_classes,):
            return (f"categorical_crossentropy needs one output unit per class ({n_classes}), but "
                    f"the last layer gives shape {tuple(output_shape)}; end with a dense layer of "
                    f"{n_classes} units and softmax")
        if last_activation != "softmax":
            return (f"categorical_crossentropy needs a softmax output (probabilities), but the "
                    f"last activation is {last_activation or 'none'}; set it to softmax")
        return None
