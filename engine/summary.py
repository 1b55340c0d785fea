"""A Keras/torchinfo-style table of a model's layers, shapes, parameters and cost."""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from engine.graph import INPUT, format_shape


@dataclass(frozen=True)
class SummaryRow:
    """One line of the summary: a layer (or the input) with its shape and parameter count."""

    layer_id: str
    type_name: str
    inputs: tuple[str, ...]
    output_shape: tuple[int, ...]
    params: int
    flops: int


@dataclass(frozen=True)
class ModelSummary:
    """Rows plus totals; ``to_dict`` is the JSON form, ``table`` the text form."""

    rows: tuple[SummaryRow, ...]
    trainable_params: int
    buffer_values: int
    flops_per_sample: int
    parameter_bytes: int
    activation_bytes_per_sample: int
    is_chain: bool

    def to_dict(self) -> dict:
        """JSON-ready form (used by ``layerlab summary --json`` style callers and the GUI)."""
        return {
            "layers": [{"id": r.layer_id, "type": r.type_name, "inputs": list(r.inputs),
                        "output_shape": list(r.output_shape), "params": r.params,
                        "flops": r.flops} for r in self.rows],
            "trainable_params": self.trainable_params,
            "buffer_values": self.buffer_values,
            "flops_per_sample": self.flops_per_sample,
            "parameter_bytes": self.parameter_bytes,
            "activation_bytes_per_sample": self.activation_bytes_per_sample,
        }


def summarize(model) -> ModelSummary:
    """Collect per-layer shapes, parameter counts and FLOPs of a built Model."""
    itemsize = np.dtype(model.dtype).itemsize
    rows = [SummaryRow(INPUT, "Input", (), tuple(model.input_shape), 0, 0)]
    for plan in model.plan.layers:
        layer = model.layers[plan.layer_id]
        params = sum(int(p.data.size) for _, p in layer.named_parameters())
        rows.append(SummaryRow(plan.layer_id, plan.type_name, plan.inputs, plan.output_shape,
                               params, int(layer.flops())))
    trainable = model.param_count()
    buffers = model.buffer_count()
    return ModelSummary(
        rows=tuple(rows),
        trainable_params=trainable,
        buffer_values=buffers,
        flops_per_sample=model.flops(),
        parameter_bytes=(trainable + buffers) * itemsize,
        activation_bytes_per_sample=model.plan.activation_count() * itemsize,
        is_chain=model.plan.is_chain(),
    )


def summary_table(model, title: str | None = None) -> str:
    """The text table printed by ``layerlab summary``: one row per layer, then totals."""
    info = summarize(model)
    header = ["Layer (id)", "Type", "Output shape", "Params"]
    if not info.is_chain:
        header.insert(2, "Inputs")
    body = []
    for row in info.rows:
        cells = [row.layer_id, row.type_name, format_shape(row.output_shape),
                 f"{row.params:,}"]
        if not info.is_chain:
            cells.insert(2, ", ".join(row.inputs))
        body.append(cells)
    widths = [max(len(header[i]), *(len(cells[i]) for cells in body)) for i in range(len(header))]
    numeric = {len(header) - 1}

    def line(cells: list[str]) -> str:
        parts = [cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
                 for i, cell in enumerate(cells)]
        return "  ".join(parts).rstrip()

    rule_width = sum(widths) + 2 * (len(widths) - 1)
    out = []
    if title:
        out.append(title)
    out += ["=" * rule_width, line(header), "-" * rule_width]
    out += [line(cells) for cells in body]
    out.append("=" * rule_width)
    out.append(f"Trainable params: {info.trainable_params:,}")
    if info.buffer_values:
        out.append(f"Non-trainable values (running statistics): {info.buffer_values:,}")
    flops = f"{info.flops_per_sample:,}"
    if info.flops_per_sample >= 1000:
        flops += f" ({human_count(info.flops_per_sample)})"
    out.append(f"FLOPs per sample: {flops}")
    out.append(f"Parameter memory: {human_bytes(info.parameter_bytes)}")
    out.append(f"Activation memory per sample: {human_bytes(info.activation_bytes_per_sample)}")
    out.append("=" * rule_width)
    return "\n".join(out)


def human_bytes(count: float) -> str:
    """``1536`` → ``1.5 KB`` (powers of 1024)."""
    value = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def human_count(count: float) -> str:
    """``1234567`` → ``1.23 M``."""
    value = float(count)
    for unit in ("", " K", " M", " G", " T"):
        if abs(value) < 1000 or unit == " T":
            return f"{value:.0f}{unit}" if unit == "" else f"{value:.2f}{unit}"
        value /= 1000
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class MemoryEstimate:
    """Rough training memory: parameters ×4 (weights, gradients, two optimizer moments) plus
    every layer's output for one batch ×3 (values, gradients, saved intermediates)."""

    parameter_bytes: int
    activation_bytes: int
    batch_size: int

    @property
    def total_bytes(self) -> int:
        """The whole estimate in bytes."""
        return self.parameter_bytes + self.activation_bytes

    def describe(self) -> str:
        """The estimate in words, for error messages and the GUI."""
        return (f"{human_bytes(self.total_bytes)} (parameters, gradients and optimizer "
                f"state {human_bytes(self.parameter_bytes)}; activations for batch_size "
                f"{self.batch_size} {human_bytes(self.activation_bytes)})")


PARAMETER_COPIES = 4
ACTIVATION_COPIES = 3


def estimate_memory(param_count: int, activation_count: int, batch_size: int,
                    itemsize: int = 4) -> MemoryEstimate:
    """Training memory for ``param_count`` weights and ``activation_count`` outputs per sample."""
    return MemoryEstimate(int(param_count) * itemsize * PARAMETER_COPIES,
                          int(activation_count) * int(batch_size) * itemsize * ACTIVATION_COPIES,
                          int(batch_size))


def available_memory() -> int | None:
    """Bytes of memory the system can still hand out (Linux MemAvailable), if known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as stream:
            for line in stream:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None
