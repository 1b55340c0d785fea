"""Step-through training: one recorded mini-batch turned into an ordered list of stages.

``capture_step(trainer)`` runs ``trainer.step(record=True)`` and keeps, next to the StepRecord,
what the views need to explain it: the weights before and after, the per-sample loss, the true
gradient of the loss with respect to the network output (the Trainer's fused sigmoid/softmax +
cross-entropy path never materialises it) and the gradient with respect to each layer's
pre-activation. ``build_stages(capture)`` then lays the step out in the order it happened:

    batch → forward (per layer) → loss → backward (per layer, reversed) → update (per layer)

A capture and its stages hold only copies, so they may be built on the worker thread and read
on the GUI thread. Panels compute their display image and histogram lazily, once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from engine.graph import INPUT
from engine.model import layer_activation
from engine.probes import tile_images
from engine.records import StepRecord
from engine.registry import ACTIVATIONS
from engine.tensor import Tensor

STAGE_KINDS = ("batch", "forward", "loss", "backward", "update")
MAX_TILES = 64      # images shown in one tiled panel (samples of a batch or feature maps)
HISTOGRAM_BINS = 40


@dataclass(frozen=True)
class LayerInfo:
    """What the views need to know about one layer of the stepped model."""

    layer_id: str
    type_name: str
    activation: str | None
    inputs: tuple[str, ...]
    param_names: tuple[str, ...]     # full names, e.g. ("dense_1.weight", "dense_1.bias")
    output_shape: tuple[int, ...]


@dataclass(eq=False)  # holds arrays: compare by identity
class StepCapture:
    """One recorded step plus the derived arrays that explain it (all copies)."""

    record: StepRecord
    layers: list[LayerInfo]
    output_id: str
    task: str
    kind: str                                  # dataset kind: "2d", "image" or "vector"
    input_names: list[str]                     # names of the network's input features
    raw_inputs: np.ndarray | None              # the batch before preprocessing
    loss_name: str
    optimizer_name: str
    optimizer_settings: dict
    optimizer_step: int                        # the optimizer's step count t after the update
    regularization: dict | None = None         # the project's setting ({"type", "rate"})
    weights_before: dict[str, np.ndarray] = field(default_factory=dict)
    weights_after: dict[str, np.ndarray] = field(default_factory=dict)
    moments_before: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    sample_loss: np.ndarray | None = None      # data loss of each sample of the batch
    output_grads: dict[str, np.ndarray] = field(default_factory=dict)  # d loss / d layer output
    preactivation_grads: dict[str, np.ndarray] = field(default_factory=dict)  # d loss / d z

    @property
    def recorded(self) -> bool:
        """False when the step diverged and nothing was recorded."""
        return self.record.recorded

    def layer(self, layer_id: str) -> LayerInfo:
        """The LayerInfo of ``layer_id`` (KeyError when unknown)."""
        for info in self.layers:
            if info.layer_id == layer_id:
                return info
        raise KeyError(layer_id)

    def layer_input(self, layer_id: str) -> np.ndarray:
        """The batch a one-input layer read: the network input or another layer's output."""
        source = self.layer(layer_id).inputs[0]
        return self.record.inputs if source == INPUT else self.record.activations[source]


def layer_infos(model) -> list[LayerInfo]:
    """LayerInfo for every layer of a built model, in run order."""
    names = [name for name, _ in model.named_parameters()]
    infos = []
    for layer_id, layer in model.layers.items():
        own = tuple(name for name in names if name.split(".", 1)[0] == layer_id)
        infos.append(LayerInfo(layer_id, layer.type_name, layer_activation(layer),
                               tuple(model.inputs_of[layer_id]), own,
                               tuple(layer.output_shape)))
    return infos


def _input_names(trainer) -> list[str]:
    """Names of the network's input features (2-D transforms, CSV columns or pixels)."""
    width = int(np.prod(trainer.preprocessor.input_shape))
    features = getattr(trainer.preprocessor, "features", None)
    if features and len(features) == width:
        return list(features)
    names = list(getattr(trainer.dataset, "input_names", []) or [])
    return names if len(names) == width else [f"x{i + 1}" for i in range(width)]


def capture_step(trainer) -> StepCapture:
    """Train one recorded step on ``trainer`` and return everything needed to explain it."""
    before = {name: p.data.copy() for name, p in trainer.model.named_parameters()}
    moments = {name: trainer.optimizer.state_for(name) for name in trainer.optimizer.names}
    record = trainer.step(record=True)
    after = {name: p.data.copy() for name, p in trainer.model.named_parameters()}
    optimizer = trainer.optimizer
    capture = StepCapture(
        record=record, layers=layer_infos(trainer.model), output_id=trainer.model.output_id,
        task=trainer.task, kind=trainer.dataset.kind, input_names=_input_names(trainer),
        raw_inputs=None, loss_name=trainer.loss_name, optimizer_name=optimizer.type_name,
        optimizer_settings=dict(optimizer.settings), optimizer_step=optimizer.step_count,
        regularization=trainer.project.training.get("regularization"),
        weights_before=before, weights_after=after, moments_before=moments)
    if record.recorded:
        capture.raw_inputs = np.array(trainer.dataset.x_train[record.batch_indices])
        derive_gradients(capture, trainer.loss_fn)
    return capture


def derive_gradients(capture: StepCapture, loss_fn) -> None:
    """Fill the per-sample loss, the true output gradients and the pre-activation gradients.

    The Trainer's fused loss differentiates the logits directly, so the recorded gradient of a
    sigmoid/softmax output is zero; here the loss is differentiated again with respect to the
    output (the probability path) and through the activation, using the engine's own ops.
    """
    record = capture.record
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        capture.sample_loss = np.asarray(loss_fn.per_sample(record.output, record.targets))
        grads = dict(record.output_grads)
        output = Tensor(record.output.copy(), requires_grad=True)
        loss_fn(output, record.targets).backward()
        grads[capture.output_id] = output.grad
        capture.output_grads = grads
        for info in capture.layers:
            pre = record.preactivations.get(info.layer_id)
            if pre is None or info.activation is None:
                continue
            activation = ACTIVATIONS.entries[info.activation]
            z = Tensor(pre.copy(), requires_grad=True)
            if info.layer_id == capture.output_id:
                # The exact training path: activation and loss together (fused where it is).
                loss_fn(activation.apply(z), record.targets).backward()
            else:
                activation.apply(z).backward(grads[info.layer_id])
            capture.preactivation_grads[info.layer_id] = z.grad


# ----------------------------------------------------------------------------- display data
def as_image(values: np.ndarray, tile: str = "channels") -> np.ndarray:
    """A 2-D float64 array that shows ``values`` as a heatmap (rows as people read them).

    Vectors become one row; ``(N, F)`` batches rows = samples; ``(N, C, H, W)`` batches tile
    the first sample's channels (``tile="channels"``) or the samples' first channel
    (``tile="samples"``); conv weights ``(F, C, k, k)`` tile the filters (channels averaged).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 0:
        return values.reshape(1, 1)
    if values.ndim == 1:
        return values.reshape(1, -1)
    if values.ndim == 2:
        return values
    if values.ndim == 3:  # (C, H, W) or (N, H, W): tile the leading axis
        return tile_images(values[:MAX_TILES])
    if tile == "samples":
        return tile_images(values[:MAX_TILES, 0])
    if tile == "filters":
        return tile_images(values[:MAX_TILES].mean(axis=1))
    return tile_images(values[0, :MAX_TILES])


@dataclass(eq=False)  # holds arrays: compare by identity
class Panel:
    """One array of a stage, with its heatmap image, histogram and summary numbers."""

    name: str
    values: np.ndarray
    tile: str = "channels"
    symmetric: bool = False          # signed quantity: colour map centred on zero
    axes: str = ""                   # what the image's rows and columns are, for people

    @cached_property
    def image(self) -> np.ndarray:
        """The heatmap to draw (see ``as_image``)."""
        return as_image(self.values, self.tile)

    @cached_property
    def histogram(self) -> tuple[np.ndarray, np.ndarray]:
        """(counts, bin edges) over the finite values."""
        flat = np.asarray(self.values, dtype=np.float64).reshape(-1)
        flat = flat[np.isfinite(flat)]
        if flat.size == 0:
            return np.zeros(HISTOGRAM_BINS), np.linspace(-1.0, 1.0, HISTOGRAM_BINS + 1)
        low, high = float(flat.min()), float(flat.max())
        if high - low < 1e-12:
            low, high = low - 0.5, high + 0.5
        counts, edges = np.histogram(flat, bins=HISTOGRAM_BINS, range=(low, high))
        return counts.astype(np.float64), edges

    @cached_property
    def stats(self) -> dict[str, float]:
        """Mean, standard deviation, min, max and L2 norm of the values."""
        flat = np.asarray(self.values, dtype=np.float64).reshape(-1)
        if flat.size == 0:
            return {"mean": 0.0, "std": 0.0, "min": 0.0, "max": 0.0, "norm": 0.0}
        return {"mean": float(flat.mean()), "std": float(flat.std()), "min": float(flat.min()),
                "max": float(flat.max()), "norm": float(np.sqrt(np.dot(flat, flat)))}

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the raw values."""
        return tuple(np.shape(self.values))


@dataclass(eq=False)  # holds arrays: compare by identity
class Stage:
    """One moment of a training step, shown as a few panels with a caption."""

    index: int
    kind: str                         # one of STAGE_KINDS
    layer_id: str | None              # the layer to highlight (None: batch and loss)
    title: str
    caption: str
    panels: list[Panel]
    per_sample: np.ndarray | None = None     # the loss of each sample (loss stage)
    batch_indices: np.ndarray | None = None  # training-set rows of the batch (batch stage)
    points: np.ndarray | None = None         # raw 2-D points of the batch (batch stage)
    labels: np.ndarray | None = None         # their targets (batch stage)


# ---------------------------------------------------------------------------------- stages
def _formula(info: LayerInfo) -> str:
    """The layer's forward formula in words people read."""
    act = info.activation
    if info.type_name == "dense":
        inner = "x·W + b"
    elif info.type_name == "conv2d":
        inner = "conv(x, W) + b"
    elif info.type_name == "activation":
        inner = "x"
    else:
        return f"{info.type_name} of its input"
    return f"a = {act}({inner})" if act and act != "linear" else f"a = {inner}"


def _shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


def _batch_panel(name: str, values: np.ndarray, columns: str = "units", tile: str = "channels",
                 symmetric: bool = False) -> Panel:
    """A panel of a per-sample array ``(N, ...)`` with its layout described."""
    ndim = np.ndim(values)
    if ndim == 1:
        axes = "one value per sample"
    elif ndim == 2:
        axes = f"rows: samples · columns: {columns}"
    elif tile == "samples":
        axes = f"the first {min(len(values), MAX_TILES)} samples"
    else:
        axes = "the first sample's feature maps" if ndim == 4 else "the first sample"
    return Panel(name, values, tile=tile, symmetric=symmetric, axes=axes)


def _param_panel(name: str, values: np.ndarray, symmetric: bool = True) -> Panel:
    """A panel of a parameter-shaped array (weights, biases, their gradients or moments)."""
    ndim = np.ndim(values)
    axes = {0: "", 1: "one value per unit", 2: "rows: inputs · columns: units"}.get(
        ndim, "one tile per filter (input channels averaged)")
    return Panel(name, values, tile="filters", symmetric=symmetric, axes=axes)


def _param_label(name: str) -> str:
    return name.split(".", 1)[1] if "." in name else name


def shown_moments(capture: StepCapture, name: str) -> dict[str, np.ndarray]:
    """The optimizer's moments for one parameter, without plain SGD's unused momentum row."""
    moments = dict(capture.record.optimizer_state.get(name, {}))
    if capture.optimizer_name == "sgd" and not capture.optimizer_settings.get("momentum"):
        moments.pop("momentum_buffer", None)
    return moments


def build_stages(capture: StepCapture) -> list[Stage]:
    """The recorded step as ordered stages (empty when the step diverged)."""
    if not capture.recorded:
        return []
    record = capture.record
    stages: list[Stage] = []

    def add(kind: str, layer_id: str | None, title: str, caption: str, panels: list[Panel],
            **extra) -> None:
        stages.append(Stage(len(stages), kind, layer_id, title, caption, panels, **extra))

    image_input = np.ndim(record.inputs) == 4
    points = capture.raw_inputs if capture.kind == "2d" else None
    add("batch", None, f"Batch: {record.batch_size} samples",
        f"Step {record.step}, epoch {record.epoch + 1}: the mini-batch as the network sees it "
        f"(after feature transforms and standardisation), input shape "
        f"{_shape_text(record.inputs.shape)}.",
        [_batch_panel("inputs", record.inputs, "features",
                      tile="samples" if image_input else "channels")],
        batch_indices=record.batch_indices, points=points, labels=record.targets)

    for info in capture.layers:
        panels = []
        pre = record.preactivations.get(info.layer_id)
        shows_pre = pre is not None and info.activation not in (None, "linear")
        if shows_pre:
            panels.append(_batch_panel("pre-activation z", pre))
        panels.append(_batch_panel("output a" if shows_pre else "output",
                                   record.activations[info.layer_id]))
        add("forward", info.layer_id, f"Forward: {info.layer_id}",
            f"{info.layer_id} ({info.type_name}): {_formula(info)}; output "
            f"{_shape_text(record.activations[info.layer_id].shape)}.", panels)

    mean = float(np.mean(capture.sample_loss))
    add("loss", None, f"Loss: {record.loss:.4g}",
        f"{capture.loss_name}: mean over the batch {mean:.4g}, plus regularization "
        f"{record.penalty:.4g} = {record.loss:.4g}. The bars show each sample's loss.",
        [_batch_panel("network output", record.output, "outputs"),
         _batch_panel("loss per sample", capture.sample_loss)],
        per_sample=capture.sample_loss)

    for info in reversed(capture.layers):
        panels = [_batch_panel("∂L/∂output", capture.output_grads[info.layer_id],
                               symmetric=True)]
        if info.layer_id in capture.preactivation_grads and info.activation != "linear":
            panels.append(_batch_panel("∂L/∂z", capture.preactivation_grads[info.layer_id],
                                       symmetric=True))
        panels += [_param_panel(f"∂L/∂{_param_label(name)}", record.param_grads[name])
                   for name in info.param_names]
        add("backward", info.layer_id, f"Backward: {info.layer_id}",
            f"Gradient of the loss with respect to {info.layer_id}'s output"
            + (" and parameters" if info.param_names else "")
            + " (parameter gradients include regularization).", panels)

    for info in capture.layers:
        if not info.param_names:
            continue
        panels = []
        ratios = []
        for name in info.param_names:
            delta = record.updates[name]
            panels.append(_param_panel(f"Δ{_param_label(name)}", delta))
            for moment, values in shown_moments(capture, name).items():
                panels.append(_param_panel(f"{moment} ({_param_label(name)})", values,
                                           symmetric=moment not in ("v", "square_avg")))
            weight_norm = float(np.linalg.norm(capture.weights_before[name]))
            if weight_norm > 0:
                ratios.append(f"‖Δ{_param_label(name)}‖/‖{_param_label(name)}‖ = "
                              f"{float(np.linalg.norm(delta)) / weight_norm:.2e}")
        add("update", info.layer_id, f"Update: {info.layer_id}",
            f"{capture.optimizer_name} (learning rate {record.learning_rate:.3g}) moved "
            f"{info.layer_id}'s parameters by Δ" + (": " + ", ".join(ratios) if ratios else "")
            + " (about 1e-3 is healthy).", panels)
    return stages


def stage_index(stages: list[Stage], kind: str, layer_id: str | None = None) -> int:
    """Index of the first stage of ``kind`` (for ``layer_id`` when given); -1 when absent."""
    for stage in stages:
        if stage.kind == kind and (layer_id is None or stage.layer_id == layer_id):
            return stage.index
    return -1
