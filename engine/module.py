"""Modules find their own parameters by walking their attributes."""
from __future__ import annotations

from typing import Iterator

import numpy as np

from engine.tensor import Tensor


class Parameter(Tensor):
    """A trainable tensor (``requires_grad`` is always on)."""

    __slots__ = ()

    def __init__(self, data: np.ndarray, name: str = "") -> None:
        super().__init__(data, requires_grad=True, name=name)


class Buffer:
    """Non-trainable state saved with a model (e.g. batchnorm running statistics)."""

    __slots__ = ("data",)

    def __init__(self, data: np.ndarray) -> None:
        self.data = data


class Module:
    """Base for layers and models: yields dotted parameter and buffer names."""

    training: bool = True

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) for this module and every sub-module, in attribute order."""
        for name, value in vars(self).items():
            full = f"{prefix}{name}"
            if isinstance(value, Parameter):
                yield full, value
            elif isinstance(value, Module):
                yield from value.named_parameters(full + ".")
            elif isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(item, Module):
                        yield from item.named_parameters(f"{prefix}{key}.")

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Buffer]]:
        """(dotted name, Buffer) for this module and every sub-module."""
        for name, value in vars(self).items():
            full = f"{prefix}{name}"
            if isinstance(value, Buffer):
                yield full, value
            elif isinstance(value, Module):
                yield from value.named_buffers(full + ".")
            elif isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(item, Module):
                        yield from item.named_buffers(f"{prefix}{key}.")

    def parameters(self) -> list[Parameter]:
        """All trainable parameters."""
        return [p for _, p in self.named_parameters()]

    def train(self, mode: bool = True) -> "Module":
        """Switch this module and its sub-modules between training and evaluation."""
        self.training = mode
        for value in vars(self).values():
            if isinstance(value, Module):
                value.train(mode)
            elif isinstance(value, dict):
                for item in value.values():
                    if isinstance(item, Module):
                        item.train(mode)
        return self

    def eval(self) -> "Module":
        """Switch to evaluation behaviour (dropout off, batchnorm uses running statistics)."""
        return self.train(False)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, keyed by dotted name."""
        state = {name: p.data.copy() for name, p in self.named_parameters()}
        state.update({name: b.data.copy() for name, b in self.named_buffers()})
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays into parameters and buffers in place (shapes must match)."""
        targets = dict(self.named_parameters())
        targets.update(self.named_buffers())
        missing = sorted(set(targets) - set(state))
        if missing:
            raise KeyError(f"missing weights: {', '.join(missing)}")
        for name, target in targets.items():
            value = np.asarray(state[name])
            if value.shape != target.data.shape:
                raise ValueError(f"{name}: expected shape {target.data.shape}, got {value.shape}")
            target.data[...] = value
