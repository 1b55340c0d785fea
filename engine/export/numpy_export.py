"""numpy export: one readable module with ``predict(x)`` and its weights in an .npz beside it.

The module is written for a learner to read top to bottom: the preprocessing, one small
function per layer kind the model uses, then ``predict`` calling them layer by layer.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from engine.export import numpy_snippets as snippets
from engine.export.plan import ExportPlan, Step, pair, pool_stride


def weights_path(module_path: Path) -> Path:
    """Where the weights of the module at ``module_path`` go (``model.py`` -> ``model.npz``)."""
    return module_path.with_name(module_path.stem + ".npz")


def numpy_files(plan: ExportPlan, module_path: Path) -> dict[Path, bytes]:
    """The module's source and the .npz of weights, keyed by where they are written."""
    npz_path = weights_path(module_path)
    arrays = _arrays(plan)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    source = module_source(plan, npz_path.name)
    return {module_path: source.encode("utf-8"), npz_path: buffer.getvalue()}


def _arrays(plan: ExportPlan) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    if _standardises(plan):
        arrays["input.mean"] = plan.mean.astype(np.float32)
        arrays["input.std"] = plan.std.astype(np.float32)
    for step in plan.steps:
        for name, value in step.weights.items():
            arrays[f"{step.id}.{name}"] = np.ascontiguousarray(value, dtype=np.float32)
    return arrays


def _standardises(plan: ExportPlan) -> bool:
    return not (np.all(plan.mean == 0.0) and np.all(plan.std == 1.0))


def module_source(plan: ExportPlan, npz_name: str) -> str:
    """The generated module's text."""
    blocks = [_header(plan, npz_name)]
    if plan.features is not None:
        blocks.append("# Preprocessing, as during training.\n\n" + snippets.FEATURES.strip())
    if _standardises(plan):
        blocks.append(snippets.STANDARDISE)
    layer_code = [snippets.LAYERS[kind] for kind in plan.kinds() if kind in snippets.LAYERS]
    if layer_code:
        layer_code[0] = "# Layers: one function per kind this network uses.\n\n" + \
            layer_code[0].strip()
    blocks += layer_code
    activation_code = [snippets.ACTIVATIONS[name] for name in plan.activations()]
    if activation_code:
        activation_code[0] = "# Activations.\n\n" + activation_code[0].strip()
    blocks += activation_code
    blocks.append(_predict(plan))
    return "\n\n\n".join(block.strip("\n") for block in blocks) + "\n"


def _header(plan: ExportPlan, npz_name: str) -> str:
    shape = ", ".join(str(n) for n in plan.raw_shape)
    if plan.task == "classification":
        returns = f"(batch, {plan.result_width}) class probabilities, one column per class"
    else:
        returns = f"(batch, {plan.result_width}) predicted values"
    lines = [
        f'"""{plan.name}: a neural network trained in LayerLab, as plain numpy.',
        "",
        f"predict(x) takes raw samples as a float array of shape (batch, {shape}) and returns",
        f"{returns}.",
        f"It needs only numpy; the trained weights are in {npz_name} beside this file.",
        '"""',
        "from pathlib import Path",
        "",
        "import numpy as np",
        "",
        f"WEIGHTS_FILE = Path(__file__).resolve().parent / {npz_name!r}",
    ]
    if plan.classes:
        lines.append(f"CLASSES = {list(plan.classes)!r}")
    if plan.features is not None:
        lines.append(f"FEATURES = {list(plan.features)!r}")
    lines += [
        "",
        "",
        "def load_weights(path=WEIGHTS_FILE):",
        '    """Every weight array by name, e.g. "dense_1.weight" (no pickled objects)."""',
        "    with np.load(path, allow_pickle=False) as archive:",
        "        return {name: archive[name] for name in archive.files}",
    ]
    return "\n".join(lines)


def _predict(plan: ExportPlan) -> str:
    lines = [
        "def forward(x, w):",
        '    """The whole network on one batch of raw samples; w holds the weights by name."""',
    ]
    if plan.features is not None:
        lines.append("    x = make_features(x)")
    if _standardises(plan):
        lines.append('    x = standardise(x, w["input.mean"], w["input.std"])')
    for step in plan.steps:
        lines.append(f"    # {step.id}: {_describe(step)} -> {_shape_text(step.output_shape)}")
        core, activation = _call(plan, step)
        lines.append(wrap(f"    {step.name} = {core}"))
        if activation:
            lines.append(f"    {step.name} = {activation}({step.name})")
    result = plan.var(plan.output_id)
    if plan.flattens_output:
        lines.append("    # One row of numbers per sample.")
        lines.append(f"    out = {result}.reshape(len({result}), -1)")
        result = "out"
    if plan.final_activation:
        lines.append(f"    # The last layer gives scores; {plan.final_activation} turns them "
                     "into probabilities.")
        lines.append(f"    out = {plan.final_activation}({result})")
        result = "out"
    if plan.two_column:
        lines.append("    # One unit gives p(class 1); report both classes: 1 - p, p.")
        lines.append(f"    return np.concatenate([1 - {result}, {result}], axis=1)")
    else:
        lines.append(f"    return {result}")
    lines += [
        "",
        "",
        "_weights = None",
        "",
        "",
        "def predict(x, batch_size=256):",
        '    """Predictions for raw samples (see the top of this file), a few at a time."""',
        "    global _weights",
        "    if _weights is None:",
        "        _weights = load_weights()",
        "    x = np.asarray(x, dtype=np.float32)",
        "    # A few samples at a time keep the intermediate arrays small.",
        "    parts = [forward(x[start:start + batch_size], _weights)",
        "             for start in range(0, len(x), batch_size)]",
        "    return np.concatenate(parts) if parts else forward(x, _weights)",
    ]
    return "\n".join(lines) + "\n"


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(batch, " + ", ".join(str(n) for n in shape) + ")"


def _describe(step: Step) -> str:
    s = step.settings
    if step.kind == "dense":
        units = s.get("units")
        return f"dense, {units} unit{'' if units == 1 else 's'}, {step.activation}"
    if step.kind == "conv2d":
        return (f"conv2d, {s.get('filters')} filters {s.get('kernel_size')}x"
                f"{s.get('kernel_size')}, stride {s.get('stride', 1)}, "
                f"{s.get('padding', 'valid')} padding, {step.activation}")
    if step.kind in ("maxpool2d", "avgpool2d"):
        return f"{step.kind}, size {s.get('pool_size')}, stride {pool_stride(s)[0]}"
    if step.kind == "dropout":
        return f"dropout (rate {s.get('rate')}) does nothing at prediction time"
    if step.kind == "activation":
        return f"activation {step.activation}"
    if step.kind in ("add", "concat"):
        return f"{step.kind} of {', '.join(step.inputs)}"
    return step.kind


def _call(plan: ExportPlan, step: Step) -> tuple[str, str | None]:
    """The expression computing one layer's output, and the activation applied after it."""
    args = [plan.var(i) for i in step.inputs]
    x = args[0]
    w = step.weights
    lid = step.id
    kind = step.kind
    if kind == "dense":
        core = (f'dense({x}, w["{lid}.weight"], w["{lid}.bias"])' if "bias" in w
                else f'{x} @ w["{lid}.weight"]')
    elif kind == "conv2d":
        bias = f'w["{lid}.bias"]' if "bias" in w else "None"
        stride = pair(step.settings.get("stride", 1))
        core = (f'conv2d({x}, w["{lid}.weight"], {bias}, stride={stride}, '
                f"padding={step.same_padding()})")
    elif kind in ("maxpool2d", "avgpool2d"):
        core = (f"{kind}({x}, size={pair(step.settings['pool_size'])}, "
                f"stride={pool_stride(step.settings)})")
    elif kind == "flatten":
        core = f"flatten({x})"
    elif kind == "reshape":
        core = f"reshape({x}, {tuple(step.output_shape)})"
    elif kind == "dropout":
        core = x
    elif kind == "batchnorm":
        core = (f'batchnorm({x}, w["{lid}.gamma"], w["{lid}.beta"], '
                f'w["{lid}.running_mean"], w["{lid}.running_var"])')
    elif kind in ("add", "concat"):
        core = f"{kind}({', '.join(args)})"
    elif kind == "activation":
        core = x
    else:
        raise ValueError(f"layer type {kind!r} has no numpy form")
    if kind in ("dense", "conv2d") and step.activation != "linear":
        return core, step.activation
    if kind == "activation" and step.activation != "linear":
        return f"{step.activation}({x})", None
    return core, None


def wrap(line: str, width: int = 99) -> str:
    """Break a long ``name = call(a, b, ...)`` line after commas, aligned under the ``(``."""
    if len(line) <= width or "(" not in line:
        return line
    open_at = line.index("(")
    pieces, depth, start = [], 0, open_at + 1
    for i, char in enumerate(line):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 1:
            pieces.append(line[start:i + 1].strip())
            start = i + 1
    pieces.append(line[start:].strip())
    indent = " " * (open_at + 1)
    rows, current = [], line[:open_at + 1]
    for piece in pieces:
        joined = current + piece if current.endswith("(") else f"{current} {piece}"
        if len(joined) > width and not current.endswith("("):
            rows.append(current)
            current = indent + piece
        else:
            current = joined
    rows.append(current)
    return "\n".join(rows)
