"""PyTorch export: ``model.py`` with ``class Model(nn.Module)`` and ``load_model()``.

The generated module needs only torch and numpy (safetensors when installed). Its layers mirror
the project one to one under the same ids, the preprocessing lives in buffers, and the weights
sit beside it as ``<stem>_weights.safetensors`` and ``<stem>_weights.npz`` (a fallback when
safetensors is missing); neither is ever unpickled.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from safetensors.numpy import save as safetensors_save

from engine.export.plan import (BATCHNORM_EPS, ELU_ALPHA, LEAKY_RELU_SLOPE, ExportPlan, Step,
                                pair, pool_stride)

_FUNCTIONAL = {
    "relu": "torch.relu({x})",
    "leaky_relu": f"F.leaky_relu({{x}}, {LEAKY_RELU_SLOPE})",
    "elu": f"F.elu({{x}}, {ELU_ALPHA})",
    "gelu": 'F.gelu({x}, approximate="tanh")',
    "tanh": "torch.tanh({x})",
    "sigmoid": "torch.sigmoid({x})",
    "softmax": "torch.softmax({x}, dim=-1)",
}
_MODULES = {
    "linear": "nn.Identity()",
    "relu": "nn.ReLU()",
    "leaky_relu": f"nn.LeakyReLU({LEAKY_RELU_SLOPE})",
    "elu": f"nn.ELU({ELU_ALPHA})",
    "gelu": 'nn.GELU(approximate="tanh")',
    "tanh": "nn.Tanh()",
    "sigmoid": "nn.Sigmoid()",
    "softmax": "nn.Softmax(dim=-1)",
}


def weights_paths(module_path: Path) -> tuple[Path, Path]:
    """The safetensors and npz weight files of the module at ``module_path``."""
    stem = module_path.stem + "_weights"
    return module_path.with_name(stem + ".safetensors"), module_path.with_name(stem + ".npz")


def pytorch_files(plan: ExportPlan, module_path: Path) -> dict[Path, bytes]:
    """The module's source and both weight files, keyed by where they are written."""
    safetensors_path, npz_path = weights_paths(module_path)
    state = torch_state(plan)
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    return {module_path: module_source(plan, safetensors_path.name, npz_path.name).encode(),
            safetensors_path: safetensors_save(state, metadata={"format": "pt"}),
            npz_path: buffer.getvalue()}


def torch_state(plan: ExportPlan) -> dict[str, np.ndarray]:
    """The generated Model's state_dict as arrays (Linear weights transposed to (out, in))."""
    state = {"input_mean": plan.mean.astype(np.float32),
             "input_std": plan.std.astype(np.float32)}
    for step in plan.steps:
        w, name = step.weights, step.name
        if step.kind == "dense":
            state[f"{name}.weight"] = np.ascontiguousarray(w["weight"].T, dtype=np.float32)
        elif step.kind == "conv2d":
            state[f"{name}.weight"] = np.ascontiguousarray(w["weight"], dtype=np.float32)
        elif step.kind == "batchnorm":
            state[f"{name}.weight"] = w["gamma"].astype(np.float32)
            state[f"{name}.bias"] = w["beta"].astype(np.float32)
            state[f"{name}.running_mean"] = w["running_mean"].astype(np.float32)
            state[f"{name}.running_var"] = w["running_var"].astype(np.float32)
            state[f"{name}.num_batches_tracked"] = np.zeros((), dtype=np.int64)
        if step.kind in ("dense", "conv2d") and "bias" in w:
            state[f"{name}.bias"] = w["bias"].astype(np.float32)
    return state


def module_source(plan: ExportPlan, safetensors_name: str, npz_name: str) -> str:
    """The generated module's text."""
    body = _model_class(plan)
    header = _header(plan, safetensors_name, npz_name)
    if "F." not in body:
        header = header.replace("import torch.nn.functional as F\n", "")
    return "\n".join([header, body, _loader()]) + "\n"


def _header(plan: ExportPlan, safetensors_name: str, npz_name: str) -> str:
    shape = ", ".join(str(n) for n in plan.raw_shape)
    returns = (f"(batch, {plan.result_width}) class probabilities"
               if plan.task == "classification" else "the predicted values")
    lines = [
        f'"""{plan.name}: a neural network trained in LayerLab, as a PyTorch module.',
        "",
        f"Model()(x) takes raw samples, a float32 tensor of shape (batch, {shape}), and returns",
        f"{returns}; Model.network(x) gives the last layer's output on already",
        "preprocessed inputs (use it with your own loss to train further).",
        "load_model() builds the model with the trained weights from",
        f"{safetensors_name} (or {npz_name}) beside this file.",
        "Needs torch and numpy only; no LayerLab.",
        '"""',
        "from pathlib import Path",
        "",
        "import numpy as np",
        "import torch",
        "import torch.nn.functional as F",
        "from torch import nn",
        "",
        "HERE = Path(__file__).resolve().parent",
        f"WEIGHTS_SAFETENSORS = HERE / {safetensors_name!r}",
        f"WEIGHTS_NPZ = HERE / {npz_name!r}",
    ]
    if plan.classes:
        lines.append(f"CLASSES = {list(plan.classes)!r}")
    if plan.features is not None:
        lines.append(f"FEATURES = {list(plan.features)!r}")
    return "\n".join(lines) + "\n"


def _model_class(plan: ExportPlan) -> str:
    lines = ["", "class Model(nn.Module):",
             f'    """{plan.name}: the layers of the LayerLab project, under the same ids."""',
             "", "    def __init__(self):", "        super().__init__()",
             "        # Standardisation of the inputs with the training data's statistics.",
             f"        self.register_buffer(\"input_mean\", torch.zeros{tuple(plan.mean.shape)})",
             f"        self.register_buffer(\"input_std\", torch.ones{tuple(plan.std.shape)})"]
    for step in plan.steps:
        module = _module(step)
        if module:
            lines.append(f"        self.{step.name} = {module}")
        if step.kind == "conv2d" and _uneven(step):
            lines[-1] += "  # uneven 'same' padding: F.pad in network()"
    lines += ["", "    def preprocess(self, x):",
              '        """Feature transforms (2-D data) and standardisation of raw samples."""']
    if plan.features is not None:
        lines += ["        x1, x2 = x[:, 0], x[:, 1]",
                  "        columns = {",
                  '            "x1": x1, "x2": x2, "x1^2": x1 * x1, "x2^2": x2 * x2,',
                  '            "x1*x2": x1 * x2,',
                  '            "sin(x1)": torch.sin(x1), "sin(x2)": torch.sin(x2),',
                  "        }",
                  "        x = torch.stack([columns[name] for name in FEATURES], dim=1)"]
    lines += ["        return (x - self.input_mean) / self.input_std", "",
              "    def network(self, x):",
              '        """The layers, from preprocessed inputs to the last layer\'s output."""']
    for step in plan.steps:
        lines.append(f"        {step.name} = {_forward(plan, step)}")
    lines.append(f"        return {plan.var(plan.output_id)}")
    lines += ["", "    def forward(self, x):",
              '        """Raw samples in, what LayerLab\'s predict gives out."""',
              "        out = self.network(self.preprocess(x))"]
    if plan.flattens_output:
        lines.append("        out = out.flatten(1)  # one row of numbers per sample")
    if plan.final_activation:
        lines.append(f"        out = {_FUNCTIONAL[plan.final_activation].format(x='out')}"
                     "  # scores to probabilities")
    if plan.two_column:
        lines += ["        # One unit gives p(class 1); report both classes: 1 - p, p.",
                  "        return torch.cat([1 - out, out], dim=1)"]
    else:
        lines.append("        return out")
    return "\n".join(lines) + "\n"


def _module(step: Step) -> str | None:
    """The nn.Module constructor for a layer (None when it is pure arithmetic in forward)."""
    s, kind = step.settings, step.kind
    if kind == "dense":
        bias = "" if "bias" in step.weights else ", bias=False"
        return f"nn.Linear({step.input_shapes[0][0]}, {step.output_shape[0]}{bias})"
    if kind == "conv2d":
        top, bottom, left, right = step.same_padding()
        options = [f"kernel_size={_size(pair(s['kernel_size']))}"]
        if pair(s.get("stride", 1)) != (1, 1):
            options.append(f"stride={_size(pair(s.get('stride', 1)))}")
        # nn.Conv2d pads both sides alike; uneven 'same' padding goes through F.pad in forward.
        if top == bottom and left == right and (top or left):
            options.append(f"padding={_size((top, left))}")
        if "bias" not in step.weights:
            options.append("bias=False")
        return (f"nn.Conv2d({step.input_shapes[0][0]}, {step.output_shape[0]}, "
                f"{', '.join(options)})")
    if kind in ("maxpool2d", "avgpool2d"):
        name = "MaxPool2d" if kind == "maxpool2d" else "AvgPool2d"
        return (f"nn.{name}({_size(pair(s['pool_size']))}, "
                f"stride={_size(pool_stride(s))})")
    if kind == "flatten":
        return "nn.Flatten()"
    if kind == "dropout":
        return f"nn.Dropout({s.get('rate')})"
    if kind == "batchnorm":
        dims = "2d" if len(step.input_shapes[0]) == 3 else "1d"
        # eps and momentum are PyTorch's defaults, the same as LayerLab's.
        return f"nn.BatchNorm{dims}({step.input_shapes[0][0]}, eps={BATCHNORM_EPS})"
    if kind == "activation":
        return _MODULES[step.activation]
    return None


def _uneven(step: Step) -> bool:
    """Whether a conv's padding differs between the two sides of an axis."""
    top, bottom, left, right = step.same_padding()
    return top != bottom or left != right


def _size(value: tuple[int, int]) -> str:
    """A kernel size, stride or padding as PyTorch code: ``3`` when square, else ``(3, 4)``."""
    return str(value[0]) if value[0] == value[1] else str(tuple(value))


def _forward(plan: ExportPlan, step: Step) -> str:
    """The expression for one layer's output inside ``network``."""
    args = [plan.var(i) for i in step.inputs]
    x, kind, call = args[0], step.kind, f"self.{step.name}"
    if kind == "conv2d":
        top, bottom, left, right = step.same_padding()
        if _uneven(step):
            x = f"F.pad({x}, ({left}, {right}, {top}, {bottom}))"
        expression = f"{call}({x})"
    elif kind == "reshape":
        expression = f"{x}.reshape({x}.shape[0], {', '.join(map(str, step.output_shape))})"
    elif kind == "add":
        expression = " + ".join(args)
    elif kind == "concat":
        expression = f"torch.cat([{', '.join(args)}], dim=1)"
    else:
        expression = f"{call}({x})"
    if kind in ("dense", "conv2d") and step.activation != "linear":
        return _FUNCTIONAL[step.activation].format(x=expression)
    return expression


def _loader() -> str:
    return '''
def load_model():
    """Model with the trained weights, in evaluation mode (call .train() to go on training)."""
    model = Model()
    try:
        from safetensors.torch import load_file
    except ImportError:
        with np.load(WEIGHTS_NPZ, allow_pickle=False) as archive:
            state = {name: torch.from_numpy(archive[name]) for name in archive.files}
    else:
        state = load_file(str(WEIGHTS_SAFETENSORS))
    model.load_state_dict(state)
    return model.eval()
'''
