"""A neuron's maths as HTML for the Neuron maths view: formulas as lines, numbers as a table.

The engine's ``NeuronMath.to_html`` suits a wide page; a dock is narrow, and Qt's rich text
breaks a number inside a cell that is too narrow ("0.009577" over two lines). Here every table
number has 4 significant digits, is monospace and never wraps (the browser scrolls instead),
and the headers break only where they have a line break.
"""
from __future__ import annotations

import html

from engine.neuron_math import MAX_TERMS, NeuronMath

DIGITS = 4
HEADER = ("input", "x", "w", "x·w", "∂L/∂w<br>(this sample)", "∂L/∂w<br>(batch)", "Δw",
          "new w")
HEADER_TIPS = ("the input feeding this weight", "the input's value for this sample",
               "the weight before the step", "this input's term of the weighted sum z",
               "x·∂L/∂z: this sample's share of the weight's gradient",
               "the gradient over the whole batch (regularization included)",
               "the change the optimizer applied", "the weight after the step")
CELL = "white-space: nowrap; font-family: monospace"


def number(value: float) -> str:
    """``value`` with DIGITS significant digits (never "-0")."""
    return f"{float(value) + 0.0:.{DIGITS}g}"


def _input_name(math: NeuronMath, index: int) -> str:
    """A feature name or ``layer[i]``, as the engine's own text names the input."""
    return math.input_names[index] if index < len(math.input_names) else f"x{index}"


def _cell(value) -> str:
    text = value if isinstance(value, str) else number(value)
    return f"<td align='right' style='{CELL}'>{html.escape(text)}</td>"


def gradient_table(math: NeuronMath, max_terms: int = MAX_TERMS) -> str:
    """Per input: x, w, x·w, this sample's and the batch's ∂L/∂w, Δw and the new w."""
    shown = math.shown_terms(max_terms)
    rows = [(_input_name(math, i), math.inputs[i], math.weights[i], math.products[i],
             math.weight_grad_sample[i], math.weight_grad[i], math.weight_update[i],
             math.weights_after[i]) for i in shown]
    rows.append(("bias b", "", math.bias, "", math.delta, math.bias_grad, math.bias_update,
                 math.bias_after))
    header = "".join(f"<th style='white-space: nowrap' title='{html.escape(tip)}'>{text}</th>"
                     for text, tip in zip(HEADER, HEADER_TIPS))
    body = "".join("<tr>" + "".join(_cell(value) for value in row) + "</tr>" for row in rows)
    hidden = len(math.inputs) - len(shown)
    note = f"<p>{hidden} smaller inputs not shown.</p>" if hidden else ""
    regularized = ("<p>The batch gradient of each weight includes regularization.</p>"
                   if math.regularized else "")
    return (f"<h4>Gradient and update, per input</h4>"
            f"<table border='1' cellspacing='0' cellpadding='3'><tr>{header}</tr>{body}</table>"
            f"{note}{regularized}")


def neuron_html(math: NeuronMath, max_terms: int = MAX_TERMS) -> str:
    """The derivation: forward and backward formulas, the per-input table, the optimizer rule."""
    parts = [f"<h3>Neuron {html.escape(math.layer_id)}[{math.unit}], sample {math.sample}</h3>"]
    heading = None
    for section, line in math.lines(max_terms):
        if section in ("Gradient", "Update"):
            continue  # the table shows these numbers side by side
        if section != heading:
            if heading is not None:
                parts.append("</div>")
            if heading == "Backward":
                parts.append(gradient_table(math, max_terms))
            parts.append(f"<h4>{html.escape(section)}</h4><div style='font-family: monospace'>")
            heading = section
        parts.append(f"{html.escape(line)}<br/>")
    if heading is not None:
        parts.append("</div>")
    if heading == "Backward":  # no optimizer lines: the table still belongs after the backward pass
        parts.append(gradient_table(math, max_terms))
    return "".join(parts)
