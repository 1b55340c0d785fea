"""What every exporter needs, read once from a SavedModel: preprocessing, layers, weights, output.

The three exporters (ONNX, numpy, PyTorch) never touch engine internals; they walk an
``ExportPlan``: the raw input shape, the feature transforms and standardisation, the layers in
topological order with their settings and weights, and how the output becomes what
``SavedModel.predict`` returns.
"""
from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.errors import ProjectError

# Layer types every exporter supports; anything else is refused before a file is written.
SUPPORTED_LAYERS = ("dense", "conv2d", "maxpool2d", "avgpool2d", "flatten", "dropout",
                    "batchnorm", "activation", "reshape", "add", "concat")
SUPPORTED_ACTIVATIONS = ("linear", "relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid",
                         "softmax")
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
TWO_D_SOURCES = ("circle", "xor", "gaussian", "spiral", "moons", "blobs", "plane",
                 "multigauss", "points")
LEAKY_RELU_SLOPE = 0.01
ELU_ALPHA = 1.0
BATCHNORM_EPS = 1e-5
_IGNORED_KEYS = ("type", "id", "inputs")
# Names a layer id must not take in generated code: the numpy module's functions and
# variables, the PyTorch module's imports, buffers and methods (nn.Module's public API).
RESERVED_NAMES = frozenset((
    "x", "w", "np", "nn", "torch", "F", "out", "self", "columns", "x1", "x2", "Path",
    "predict", "forward", "network", "preprocess", "load_weights", "load_model", "batch_size",
    "start", "make_features", "standardise", "dense", "conv2d", "maxpool2d", "avgpool2d",
    "flatten", "reshape", "batchnorm", "add", "concat", "relu", "leaky_relu", "elu", "gelu",
    "tanh", "sigmoid", "softmax", "input_mean", "input_std", "Model", "HERE", "CLASSES",
    "FEATURES", "WEIGHTS_FILE", "WEIGHTS_SAFETENSORS", "WEIGHTS_NPZ", "training",
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init",
    "children", "compile", "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr",
    "float", "get_buffer", "get_extra_state", "get_parameter", "get_submodule", "half", "ipu",
    "load_state_dict", "modules", "mtia", "named_buffers", "named_children", "named_modules",
    "named_parameters", "parameters", "register_backward_hook", "register_buffer",
    "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter",
    "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_",
    "set_extra_state", "set_submodule", "share_memory", "state_dict", "to", "to_empty",
    "train", "type", "xpu", "zero_grad"))


@dataclass
class Step:
    """One layer to export: its id, a safe identifier, kind, inputs, settings and weights."""

    id: str
    name: str
    kind: str
    inputs: list[str]
    settings: dict[str, Any]
    weights: dict[str, np.ndarray]
    input_shapes: list[tuple[int, ...]]
    output_shape: tuple[int, ...]

    @property
    def activation(self) -> str:
        """The activation applied after the layer's own work (``linear`` when none)."""
        if self.kind == "activation":
            return self.settings.get("function") or "linear"
        return self.settings.get("activation") or "linear"

    def same_padding(self) -> tuple[int, int, int, int]:
        """Conv padding as (top, bottom, left, right), matching the engine's output shape."""
        return conv_padding(self.input_shapes[0], self.output_shape, self.settings)


@dataclass
class ExportPlan:
    """Everything an exporter writes, independent of how the engine stores it."""

    name: str
    raw_shape: tuple[int, ...]
    features: list[str] | None
    mean: np.ndarray
    std: np.ndarray
    input_shape: tuple[int, ...]
    steps: list[Step]
    output_id: str
    output_shape: tuple[int, ...]
    task: str
    classes: list[str] | None
    two_column: bool
    final_activation: str | None
    names: dict[str, str] = field(default_factory=dict)

    @property
    def result_width(self) -> int:
        """Columns of the exported output (two for a one-unit classifier: ``1-p, p``)."""
        return 2 if self.two_column else int(np.prod(self.output_shape))

    @property
    def flattens_output(self) -> bool:
        """Whether the last layer's samples have more than one axis (predict flattens them)."""
        return len(self.output_shape) > 1

    def kinds(self) -> list[str]:
        """Layer kinds used, in first-use order."""
        return list(dict.fromkeys(step.kind for step in self.steps))

    def activations(self) -> list[str]:
        """Activations used (excluding ``linear``), in first-use order."""
        used = (step.activation for step in self.steps
                if step.kind in ("dense", "conv2d", "activation"))
        names = [name for name in dict.fromkeys(used) if name != "linear"]
        if self.final_activation and self.final_activation not in names:
            names.append(self.final_activation)
        return names

    def var(self, layer_id: str) -> str:
        """The identifier that holds ``layer_id``'s output in generated code."""
        return "x" if layer_id == "input" else self.names[layer_id]


def conv_padding(input_shape: tuple[int, ...], output_shape: tuple[int, ...],
                 settings: dict[str, Any]) -> tuple[int, int, int, int]:
    """Zero padding (top, bottom, left, right) that gives ``output_shape`` for this conv.

    'same' pads in total what the stride and kernel need, the smaller half first (like
    TensorFlow and our engine), so even kernels and strides pad one more at the bottom/right.
    """
    if settings.get("padding", "valid") != "same":
        return (0, 0, 0, 0)
    kh, kw = pair(settings["kernel_size"])
    sh, sw = pair(settings.get("stride", 1))
    pads = []
    for size, out, kernel, stride in ((input_shape[1], output_shape[1], kh, sh),
                                      (input_shape[2], output_shape[2], kw, sw)):
        total = max((out - 1) * stride + kernel - size, 0)
        pads.append((total // 2, total - total // 2))
    return (pads[0][0], pads[0][1], pads[1][0], pads[1][1])


def pair(value: Any) -> tuple[int, int]:
    """A kernel size or stride as (height, width)."""
    if isinstance(value, (list, tuple)):
        return int(value[0]), int(value[-1])
    return int(value), int(value)


def pool_stride(settings: dict[str, Any]) -> tuple[int, int]:
    """A pool's stride; without one it equals the pool size."""
    stride = settings.get("stride")
    return pair(stride if stride else settings["pool_size"])


def identifier(text: str, taken: set[str]) -> str:
    """A Python identifier for ``text`` (a layer id), unique among ``taken``."""
    name = re.sub(r"\W", "_", text) or "layer"
    if name[0].isdigit() or keyword.iskeyword(name) or hasattr(builtins, name) or \
            name in RESERVED_NAMES:
        name = f"layer_{name}"
    base, k = name, 2
    while name in taken:
        name = f"{base}_{k}"
        k += 1
    taken.add(name)
    return name


def build_plan(saved: Any) -> ExportPlan:
    """Read a SavedModel into an ExportPlan, or raise ProjectError naming what cannot export."""
    model = saved.model
    project = saved.project
    file = str(getattr(saved, "path", None) or getattr(project, "path", None) or "<model>")
    layers = getattr(model, "layers", None)
    if not isinstance(layers, dict) or not layers:
        raise ProjectError(file, "network", "the model has no layers to export")
    configs = _layer_configs(model, project, layers)
    state = {name: np.asarray(value) for name, value in model.state_dict().items()}
    weights: dict[str, dict[str, np.ndarray]] = {}
    for key, value in state.items():
        layer_id, _, param = key.rpartition(".")
        weights.setdefault(layer_id, {})[param] = value
    shapes: dict[str, tuple[int, ...]] = {"input": tuple(model.input_shape)}
    names: dict[str, str] = {}
    taken: set[str] = set()
    steps = []
    file_index = {p.layer_id: p.index for p in getattr(getattr(model, "plan", None), "layers",
                                                        None) or ()}
    for index, (layer_id, layer) in enumerate(layers.items()):
        kind = getattr(type(layer), "type_name", None) or configs[layer_id].get("type")
        where = f"network.layers[{file_index.get(layer_id, index)}]"
        if kind not in SUPPORTED_LAYERS:
            raise ProjectError(file, f"{where}.type", f"layer type {kind!r} cannot be exported")
        settings = _settings(type(layer), configs[layer_id], file, where)
        inputs = list(model.inputs_of[layer_id])
        step = Step(layer_id, identifier(layer_id, taken), kind, inputs, settings,
                    weights.get(layer_id, {}), [shapes[i] for i in inputs],
                    tuple(layer.output_shape))
        if step.activation not in SUPPORTED_ACTIVATIONS:
            raise ProjectError(file, where, f"activation {step.activation!r} cannot be exported")
        shapes[layer_id] = step.output_shape
        names[layer_id] = step.name
        steps.append(step)
    output_id = model.output_id
    last = next(step for step in steps if step.id == output_id)
    task = saved.task
    # Mirror SavedModel.predict: flatten each sample; a classifier whose last layer does not
    # end in sigmoid (one unit) or softmax gets it applied; one unit becomes 1-p, p.
    width = int(np.prod(last.output_shape))
    two_column = task == "classification" and width == 1
    final_activation = None
    if task == "classification":
        wanted = "sigmoid" if width == 1 else "softmax"
        final_activation = None if last.activation == wanted else wanted
    features, mean, std = preprocessing_of(saved, file)
    return ExportPlan(
        name=str(getattr(project, "name", "") or "model"),
        raw_shape=_raw_shape(features, model.input_shape),
        features=features, mean=mean, std=std, input_shape=tuple(model.input_shape),
        steps=steps, output_id=output_id, output_shape=last.output_shape, task=task,
        classes=list(saved.classes) if saved.classes else None,
        two_column=two_column, final_activation=final_activation, names=names)


def _raw_shape(features: list[str] | None, input_shape: tuple[int, ...]) -> tuple[int, ...]:
    return (2,) if features is not None else tuple(input_shape)


def _layer_configs(model: Any, project: Any, layers: dict[str, Any]) -> dict[str, dict]:
    """Each layer's settings keyed by layer id: the model's checked plan, else the file."""
    configs: dict[str, dict] = {}
    network_plan = getattr(model, "plan", None)
    for layer_plan in getattr(network_plan, "layers", None) or ():
        configs[layer_plan.layer_id] = dict(layer_plan.config, type=layer_plan.type_name)
    counts: dict[str, int] = {}
    for entry in list(getattr(project, "network", None) or []):
        if not isinstance(entry, dict):
            continue
        kind = entry.get("type", "layer")
        counts[kind] = counts.get(kind, 0) + 1
        configs.setdefault(str(entry.get("id") or f"{kind}_{counts[kind]}"), entry)
    for layer_id, layer in layers.items():
        own = getattr(layer, "config", None)
        if layer_id not in configs and isinstance(own, dict):
            configs[layer_id] = own
        if layer_id not in configs:
            raise ProjectError(None, "network", f"no settings found for layer {layer_id!r}")
    return configs


def _settings(layer_class: type, config: dict, file: str, where: str) -> dict[str, Any]:
    """The layer's settings with defaults filled from its declared params."""
    from engine.params import validate_settings
    params = getattr(layer_class, "params", None)
    if params is None:
        return {k: v for k, v in config.items() if k not in _IGNORED_KEYS}
    given = {k: v for k, v in config.items() if k not in _IGNORED_KEYS}
    return validate_settings(params, given, file, where)


def apply_features(raw: np.ndarray, features: list[str] | None) -> np.ndarray:
    """The engine's 2-D feature transforms, column by column, in the given order."""
    if features is None:
        return raw
    x1, x2 = raw[:, 0], raw[:, 1]
    table = {"x1": lambda: x1, "x2": lambda: x2, "x1^2": lambda: x1 * x1,
             "x2^2": lambda: x2 * x2, "x1*x2": lambda: x1 * x2,
             "sin(x1)": lambda: np.sin(x1), "sin(x2)": lambda: np.sin(x2)}
    return np.stack([table[name]() for name in features], axis=1)


def preprocessing_of(saved: Any, file: str) -> tuple[list[str] | None, np.ndarray, np.ndarray]:
    """Feature names (2-D data) and the standardisation mean/std, checked against transform.

    The mean and std are read from the preprocessor when it exposes them and otherwise
    recovered from ``transform`` itself (it is affine after the feature transforms); either
    way they are verified on random samples so the exported graph matches the engine.
    """
    pre = saved.preprocessor
    features = _features_of(saved, file)
    input_shape = tuple(saved.model.input_shape)
    if pre is None:
        return features, np.zeros(input_shape), np.ones(input_shape)
    raw_shape = _raw_shape(features, input_shape)
    mean = getattr(pre, "mean", None)
    std = getattr(pre, "std", None)
    if isinstance(mean, np.ndarray) and isinstance(std, np.ndarray):
        # Kept in the preprocessor's own shape ((F,) or (C, 1, 1)): it broadcasts on a batch.
        mean, std = mean.astype(np.float64), std.astype(np.float64)
    else:
        mean, std = _probe_affine(pre, features, raw_shape)
    rng = np.random.default_rng(0)
    probe = rng.uniform(-2.0, 2.0, size=(16, *raw_shape))
    expected = np.asarray(pre.transform(probe.astype(np.float32)), dtype=np.float64)
    derived = (apply_features(probe, features) - mean) / std
    if expected.shape != derived.shape or not np.allclose(expected, derived, rtol=1e-4,
                                                          atol=1e-4):
        raise ProjectError(file, "data", "the input preprocessing cannot be exported: it is "
                           "not feature transforms followed by standardisation")
    return features, mean, std


def _features_of(saved: Any, file: str) -> list[str] | None:
    pre = saved.preprocessor
    features = getattr(pre, "features", None) if pre is not None else None
    data = getattr(saved.project, "data", None) or {}
    if features is None and data.get("source") in TWO_D_SOURCES:
        features = data.get("features") or ["x1", "x2"]
    if features is None:
        return None
    features = list(features)
    unknown = [name for name in features if name not in FEATURES]
    if unknown:
        raise ProjectError(file, "data.features", f"cannot export feature {unknown[0]!r}")
    return features


def _probe_affine(pre: Any, features: list[str] | None,
                  raw_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Recover mean and std from two probes: transform(p) = (f(p) - mean) / std."""
    low = np.zeros((1, *raw_shape))
    high = np.ones((1, *raw_shape))
    t_low = np.asarray(pre.transform(low.astype(np.float32)), dtype=np.float64)[0]
    t_high = np.asarray(pre.transform(high.astype(np.float32)), dtype=np.float64)[0]
    f_low = apply_features(low, features)[0]
    f_high = apply_features(high, features)[0]
    scale = (t_high - t_low) / (f_high - f_low)
    std = 1.0 / scale
    mean = f_low - t_low * std
    return mean, std
