"""Batch normalisation over the batch (1-D samples) or over batch, height and width (images)."""
from __future__ import annotations

import numpy as np

from engine.tensor import Op

MOMENTUM = 0.1
EPS = 1e-5


class BatchNorm(Op):
    """gamma * (x - mean) / sqrt(var + eps) + beta, PyTorch's semantics.

    Training: batch statistics (biased variance) normalise, and the running statistics are
    updated in place with momentum 0.1 using the unbiased variance. Evaluation: the running
    statistics normalise. ``x`` is ``(N, F)`` or ``(N, C, H, W)``; gamma/beta are ``(F,)``/``(C,)``.

    One value per channel (a batch of one sample with 1-D features or 1x1 maps) has no batch
    variance; PyTorch raises there. Here such a batch is normalised with the running statistics
    and leaves them unchanged (as in evaluation), so the short last batch of an epoch cannot
    break training; ``prepare`` refuses a batch size that would make every batch like that.
    """

    def __init__(self, running_mean: np.ndarray, running_var: np.ndarray, training: bool,
                 momentum: float = MOMENTUM, eps: float = EPS) -> None:
        self.running_mean, self.running_var = running_mean, running_var
        self.training, self.momentum, self.eps = training, momentum, eps

    def forward(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
        if x.ndim == 2:
            self.axes, shape = (0,), (1, -1)
        elif x.ndim == 4:
            self.axes, shape = (0, 2, 3), (1, -1, 1, 1)
        else:
            raise ValueError(f"batchnorm takes (N, F) or (N, C, H, W) batches, got {x.shape}")
        self.gamma = gamma.reshape(shape)
        self.param_shape = gamma.shape
        count = x.size // x.shape[1] if x.shape[1] else 0
        self.batch_stats = self.training and count > 1
        if self.batch_stats:
            mean = x.mean(axis=self.axes, keepdims=True)
            centred = x - mean
            var = (centred * centred).mean(axis=self.axes, keepdims=True)
            self.inv_std = 1.0 / np.sqrt(var + self.eps)
            self.x_hat = centred * self.inv_std
            unbiased = var.reshape(-1) * (count / max(count - 1, 1))
            self.running_mean *= 1.0 - self.momentum
            self.running_mean += self.momentum * mean.reshape(-1)
            self.running_var *= 1.0 - self.momentum
            self.running_var += self.momentum * unbiased
        else:
            self.inv_std = (1.0 / np.sqrt(self.running_var + self.eps)).reshape(shape)
            self.x_hat = (x - self.running_mean.reshape(shape)) * self.inv_std
        return self.x_hat * self.gamma + beta.reshape(shape)

    def backward(self, grad: np.ndarray) -> tuple:
        x_hat, axes = self.x_hat, self.axes
        grad_beta = grad.sum(axis=axes).reshape(self.param_shape)
        grad_gamma = (grad * x_hat).sum(axis=axes).reshape(self.param_shape)
        grad_x = None
        if self.needs_grad[0]:
            grad_xhat = grad * self.gamma
            if self.batch_stats:
                # The batch statistics depend on x too: subtract their share of the gradient.
                mean_g = grad_xhat.mean(axis=axes, keepdims=True)
                mean_gx = (grad_xhat * x_hat).mean(axis=axes, keepdims=True)
                grad_x = (grad_xhat - mean_g - x_hat * mean_gx) * self.inv_std
            else:
                grad_x = grad_xhat * self.inv_std
        return grad_x, grad_gamma, grad_beta
