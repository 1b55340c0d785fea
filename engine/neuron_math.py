"""One dense neuron's forward formula and backpropagation, written out with the live numbers.

``explain_neuron(capture, layer_id, unit, sample)`` reads a ``StepCapture`` and returns a
``NeuronMath``: for sample n of the batch and unit j of a dense layer,

    z = Σ_i x_i·w_ij + b_j,   a = f(z)                                   (forward)
    ∂L/∂z = ∂L/∂a · f'(z),    ∂L/∂w_ij = Σ_n x_ni·∂L/∂z_nj (+ regularization)   (backward)
    Δw_ij from the optimizer's rule                                      (update)

The loss is the batch mean, so ∂L/∂a of one sample already carries the factor 1/N. Every value
is the engine's own (recorded by the Trainer or derived with its ops); ``to_text``/``to_html``
render them for people.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

from engine.registry import ACTIVATIONS
from engine.tensor import Tensor

MAX_TERMS = 8       # inputs written out; the rest are summed as "…"


def _num(value: float, digits: int = 4) -> str:
    """A number with ``digits`` significant digits (never "-0")."""
    return f"{float(value) + 0.0:.{digits}g}"


def _factor(value: float, digits: int = 4) -> str:
    """A number inside a product or sum: negatives in parentheses."""
    text = _num(value, digits)
    return f"({text})" if text.startswith("-") else text


@dataclass(eq=False)  # holds arrays: compare by identity
class NeuronMath:
    """The numbers behind one neuron for one sample of a recorded step."""

    layer_id: str
    unit: int
    sample: int
    batch_size: int
    activation: str
    input_names: list[str]
    inputs: np.ndarray                 # x_i of this sample
    weights: np.ndarray                # w_ij before the step
    bias: float
    preactivation: float               # z (as recorded)
    output: float                      # a = f(z)
    upstream: float                    # ∂L/∂a for this sample
    local: float | None                # f'(z) (None for softmax, which couples the units)
    delta: float                       # ∂L/∂z for this sample
    weight_grad: np.ndarray            # ∂L/∂w_ij over the batch, regularization included
    weight_grad_data: np.ndarray       # Σ_n x_ni·∂L/∂z_nj (the data part)
    bias_grad: float
    weight_update: np.ndarray          # Δw_ij applied
    bias_update: float
    weights_after: np.ndarray
    bias_after: float
    optimizer: str
    learning_rate: float
    optimizer_settings: dict
    optimizer_step: int
    regularized: bool = False          # the weights carry a regularization gradient
    moments: dict[str, np.ndarray] = field(default_factory=dict)        # after, per weight
    moments_before: dict[str, np.ndarray] = field(default_factory=dict)
    bias_moments: dict[str, float] = field(default_factory=dict)
    bias_moments_before: dict[str, float] = field(default_factory=dict)

    @property
    def products(self) -> np.ndarray:
        """x_i·w_ij, the terms of the weighted sum."""
        return self.inputs * self.weights

    @property
    def weight_grad_sample(self) -> np.ndarray:
        """This sample's share of the weight gradient: x_i·∂L/∂z."""
        return self.inputs * self.delta

    def shown_terms(self, max_terms: int = MAX_TERMS) -> np.ndarray:
        """Indices of the inputs to write out: all, or the largest |x_i·w_i| in input order."""
        if len(self.inputs) <= max_terms:
            return np.arange(len(self.inputs))
        return np.sort(np.argsort(-np.abs(self.products), kind="stable")[:max_terms])

    def lines(self, max_terms: int = MAX_TERMS) -> list[tuple[str, str]]:
        """(heading, line) pairs: the derivation in order, with the numbers filled in."""
        shown = self.shown_terms(max_terms)
        hidden = len(self.inputs) - len(shown)
        terms = " + ".join(f"{_num(self.inputs[i])}·{_factor(self.weights[i])}" for i in shown)
        if hidden:
            rest = float(self.products.sum() - self.products[shown].sum())
            terms += f" + … ({hidden} more terms: {_num(rest)})"
        act, z = self.activation, _num(self.preactivation, 6)
        rows = [("Forward", f"z = Σ x_i·w_i + b = {terms} + {_factor(self.bias)} = {z}"),
                ("Forward", f"a = {act}(z) = {act}({z}) = {_num(self.output, 6)}"),
                ("Backward", f"∂L/∂a = {_num(self.upstream, 6)}  (sample {self.sample} of "
                             f"{self.batch_size}: the batch mean gives each sample 1/"
                             f"{self.batch_size})")]
        if self.local is not None:
            rows += [("Backward", f"∂a/∂z = {act}'({z}) = {_num(self.local, 6)}"),
                     ("Backward", f"∂L/∂z = ∂L/∂a·∂a/∂z = {_num(self.upstream, 6)}·"
                                  f"{_factor(self.local, 6)} = {_num(self.delta, 6)}")]
        else:
            rows.append(("Backward", f"∂L/∂z = a·(∂L/∂a − Σ_k a_k·∂L/∂a_k) = "
                                     f"{_num(self.delta, 6)}  (softmax couples the units)"))
        for i in shown:
            batch = _num(self.weight_grad[i], 6)
            if self.regularized:
                batch = (f"{_num(self.weight_grad_data[i], 6)} + "
                         f"{_factor(self.weight_grad[i] - self.weight_grad_data[i])} "
                         f"(regularization) = {batch}")
            rows.append(("Gradient", f"∂L/∂w[{self._name(i)}] = x·∂L/∂z = {_num(self.inputs[i])}·"
                                     f"{_factor(self.delta)} = {_num(self.weight_grad_sample[i])} "
                                     f"(this sample); batch total {batch}"))
        rows.append(("Gradient", f"∂L/∂b = ∂L/∂z = {_num(self.delta)} (this sample); "
                                 f"batch total {_num(self.bias_grad, 6)}"))
        for i in shown:
            rows.append(("Update", f"w[{self._name(i)}]: {_num(self.weights[i], 6)} + "
                                   f"{_factor(self.weight_update[i], 6)} = "
                                   f"{_num(self.weights_after[i], 6)}"))
        rows.append(("Update", f"b: {_num(self.bias, 6)} + {_factor(self.bias_update, 6)} = "
                               f"{_num(self.bias_after, 6)}"))
        # The optimizer's rule in full for the largest term and for the bias.
        first = int(shown[np.argmax(np.abs(self.products[shown]))]) if len(shown) else None
        if first is not None:
            rows += [("Optimizer", text) for text in self._update_lines(
                f"w[{self._name(first)}]", float(self.weight_grad[first]),
                float(self.weight_update[first]),
                {k: float(v[first]) for k, v in self.moments.items()},
                {k: float(v[first]) for k, v in self.moments_before.items()})]
        rows += [("Optimizer", text) for text in self._update_lines(
            "b", self.bias_grad, self.bias_update, self.bias_moments, self.bias_moments_before)]
        return rows

    def _name(self, index: int) -> str:
        """The name of input ``index`` (a feature name or ``layer[i]``)."""
        return self.input_names[index] if index < len(self.input_names) else f"x{index}"

    def _update_lines(self, label: str, grad: float, delta: float,
                      moments: dict[str, float], before: dict[str, float]) -> list[str]:
        """The optimizer's rule for one parameter, with its numbers."""
        lr, s, t = self.learning_rate, self.optimizer_settings, self.optimizer_step
        g = _factor(grad)
        if self.optimizer == "sgd" and s.get("momentum", 0.0) > 0 and "momentum_buffer" in moments:
            rule = "−lr·(g + μ·b)" if s.get("nesterov") else "−lr·b"
            return [f"{label}: b = μ·b + g = {s['momentum']:g}·{_factor(before['momentum_buffer'])}"
                    f" + {g} = {_num(moments['momentum_buffer'])}",
                    f"{label}: Δ = {rule} = {_num(delta, 6)}  (lr = {lr:g})"]
        if self.optimizer == "sgd":
            return [f"{label}: Δ = −lr·g = −{lr:g}·{g} = {_num(delta, 6)}"]
        if self.optimizer == "rmsprop":
            rho, v = s["rho"], moments["square_avg"]
            return [f"{label}: v = ρ·v + (1−ρ)·g² = {rho:g}·{_factor(before['square_avg'])} + "
                    f"{1 - rho:.4g}·{g}² = {_num(v)}",
                    f"{label}: Δ = −lr·g/(√v + ε) = −{lr:g}·{g}/({_num(np.sqrt(v))} + "
                    f"{s['epsilon']:g}) = {_num(delta, 6)}"]
        if self.optimizer in ("adam", "adamw"):
            b1, b2 = s["beta1"], s["beta2"]
            m, v = moments["m"], moments["v"]
            m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
            decay = f" − lr·λ·{label}" if self.optimizer == "adamw" else ""
            return [f"{label}: m = β1·m + (1−β1)·g = {b1:g}·{_factor(before['m'])} + "
                    f"{1 - b1:.4g}·{g} = {_num(m)}",
                    f"{label}: v = β2·v + (1−β2)·g² = {b2:g}·{_factor(before['v'])} + "
                    f"{1 - b2:.4g}·{g}² = {_num(v)}",
                    f"{label}: m̂ = m/(1−β1^{t}) = {_num(m_hat)},  v̂ = v/(1−β2^{t}) = "
                    f"{_num(v_hat)}",
                    f"{label}: Δ = −lr·m̂/(√v̂ + ε){decay} = −{lr:g}·{_factor(m_hat)}/("
                    f"{_num(np.sqrt(v_hat))} + {s['epsilon']:g}) = {_num(delta, 6)}"]
        return [f"{label}: Δ = {_num(delta, 6)}"]

    def to_text(self, max_terms: int = MAX_TERMS) -> str:
        """The derivation as plain text, one line per step, grouped under headings."""
        out, heading = [f"Neuron {self.layer_id}[{self.unit}], sample {self.sample}"], None
        for section, line in self.lines(max_terms):
            if section != heading:
                out.append(f"{section}:")
                heading = section
            out.append(f"  {line}")
        return "\n".join(out)

    def to_html(self, max_terms: int = MAX_TERMS) -> str:
        """The derivation as HTML: the formulas as lines, the per-input numbers as a table."""
        parts = [f"<h3>Neuron {html.escape(self.layer_id)}[{self.unit}], "
                 f"sample {self.sample}</h3>"]
        heading = None
        for section, line in self.lines(max_terms):
            if section in ("Gradient", "Update"):
                continue  # the table below shows these numbers side by side
            if section != heading:
                if heading == "Backward":
                    parts.append("</div>" + self._html_table(max_terms))
                elif heading is not None:
                    parts.append("</div>")
                parts.append(f"<h4>{html.escape(section)}</h4>"
                             f"<div style='font-family: monospace'>")
                heading = section
            parts.append(f"{html.escape(line)}<br/>")
        if heading is not None:
            parts.append("</div>")
        return "".join(parts)

    def _html_table(self, max_terms: int) -> str:
        """Per input: x, w, x·w, this sample's and the batch's ∂L/∂w, Δw and the new w."""
        header = ("input", "x", "w", "x·w", "∂L/∂w (this sample)", "∂L/∂w (batch)", "Δw",
                  "new w")
        rows = [(self._name(i), self.inputs[i], self.weights[i], self.products[i],
                 self.weight_grad_sample[i], self.weight_grad[i], self.weight_update[i],
                 self.weights_after[i]) for i in self.shown_terms(max_terms)]
        rows.append(("bias b", "", self.bias, "", self.delta, self.bias_grad, self.bias_update,
                     self.bias_after))
        cells = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"]
        for row in rows:
            cells.append("<tr>" + "".join(
                f"<td align='right'>{html.escape(v if isinstance(v, str) else _num(v, 5))}</td>"
                for v in row) + "</tr>")
        hidden = len(self.inputs) - len(self.shown_terms(max_terms))
        note = f"<p>{hidden} smaller inputs not shown.</p>" if hidden else ""
        regularized = ("<p>The batch gradient of each weight includes regularization.</p>"
                       if self.regularized else "")
        return (f"<h4>Gradient and update, per input</h4><table border='1' cellspacing='0' "
                f"cellpadding='3'>{''.join(cells)}</table>{note}{regularized}")


def dense_layer_ids(capture) -> list[str]:
    """Ids of the captured model's dense layers, in run order."""
    return [info.layer_id for info in capture.layers if info.type_name == "dense"]


def _local_gradient(activation: str, z: float, dtype) -> float:
    """f'(z) through the engine's own activation op (elementwise activations only)."""
    tensor = Tensor(np.array([z], dtype=dtype), requires_grad=True)
    ACTIVATIONS.entries[activation].apply(tensor).backward(np.ones(1, dtype=dtype))
    return float(tensor.grad[0])


def explain_neuron(capture, layer_id: str, unit: int, sample: int = 0) -> NeuronMath:
    """The forward and backward maths of ``unit`` of dense layer ``layer_id`` for ``sample``."""
    if not capture.recorded:
        raise ValueError("this step was not recorded (training diverged), so there is no maths")
    info = capture.layer(layer_id)
    if info.type_name != "dense":
        raise ValueError(f"{layer_id} is a {info.type_name} layer; pick a dense layer")
    record = capture.record
    units = info.output_shape[0]
    if not 0 <= unit < units:
        raise ValueError(f"{layer_id} has units 0 to {units - 1}, not {unit}")
    if not 0 <= sample < record.batch_size:
        raise ValueError(f"the batch has samples 0 to {record.batch_size - 1}, not {sample}")
    weight, bias = f"{layer_id}.weight", f"{layer_id}.bias"
    inputs = np.asarray(capture.layer_input(layer_id)[sample], dtype=np.float64)
    source = info.inputs[0]
    names = (list(capture.input_names) if source == "input"
             else [f"{source}[{i}]" for i in range(len(inputs))])
    activation = info.activation or "linear"
    z = float(record.preactivations[layer_id][sample, unit])
    delta_all = capture.preactivation_grads[layer_id][:, unit].astype(np.float64)
    local = None if activation == "softmax" else _local_gradient(
        activation, z, record.preactivations[layer_id].dtype)
    layer_inputs = np.asarray(capture.layer_input(layer_id), dtype=np.float64)
    state = record.optimizer_state
    return NeuronMath(
        layer_id=layer_id, unit=unit, sample=sample, batch_size=record.batch_size,
        activation=activation, input_names=names, inputs=inputs,
        weights=capture.weights_before[weight][:, unit].astype(np.float64),
        bias=float(capture.weights_before[bias][unit]), preactivation=z,
        output=float(record.activations[layer_id][sample, unit]),
        upstream=float(capture.output_grads[layer_id][sample, unit]), local=local,
        delta=float(delta_all[sample]),
        weight_grad=record.param_grads[weight][:, unit].astype(np.float64),
        weight_grad_data=layer_inputs.T @ delta_all,
        bias_grad=float(record.param_grads[bias][unit]),
        weight_update=record.updates[weight][:, unit].astype(np.float64),
        bias_update=float(record.updates[bias][unit]),
        weights_after=capture.weights_after[weight][:, unit].astype(np.float64),
        bias_after=float(capture.weights_after[bias][unit]),
        optimizer=capture.optimizer_name, learning_rate=record.learning_rate,
        optimizer_settings=dict(capture.optimizer_settings),
        optimizer_step=capture.optimizer_step,
        regularized=bool(capture.regularization),
        moments={k: v[:, unit].astype(np.float64) for k, v in state.get(weight, {}).items()},
        moments_before={k: v[:, unit].astype(np.float64)
                        for k, v in capture.moments_before.get(weight, {}).items()},
        bias_moments={k: float(v[unit]) for k, v in state.get(bias, {}).items()},
        bias_moments_before={k: float(v[unit])
                             for k, v in capture.moments_before.get(bias, {}).items()})
