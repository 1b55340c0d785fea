"""Neuron maths on the documented 2-2-1 network (numbers from test_stepthrough's reference)."""
import numpy as np
import pytest
from test_stepthrough import (ADAM2_DELTA_W1, ADAM2_M_W1, ADAM2_V_W1, B1, B2, DL_DH, DL_DP,
                              DL_DZ1, DL_DZ2, GRAD_B1, GRAD_B2, GRAD_W1, GRAD_W2, H, P,
                              SGD_DELTA_W2, TOL, W1, W2, Z1, Z2, hand_trainer, make_trainer,
                              sample_order)

from engine.neuron_math import MAX_TERMS, dense_layer_ids, explain_neuron
from engine.stepthrough import capture_step


def test_output_neuron_forward_backward_and_sgd_update():
    capture = capture_step(hand_trainer({"type": "sgd", "learning_rate": 0.5}))
    order = sample_order(capture)
    row = order.index("A")
    math = explain_neuron(capture, "dense_2", 0, row)
    np.testing.assert_allclose(math.inputs, H["A"], **TOL)
    np.testing.assert_allclose(math.weights, np.array(W2)[:, 0], **TOL)
    assert math.bias == pytest.approx(B2[0])
    assert math.preactivation == pytest.approx(Z2["A"], rel=1e-6)
    assert float(math.products.sum() + math.bias) == pytest.approx(Z2["A"], rel=1e-6)
    assert math.output == pytest.approx(P["A"], rel=1e-6)
    assert math.upstream == pytest.approx(DL_DP["A"], rel=1e-5)
    # sigmoid'(z) = p(1 - p); ∂L/∂z = (p - y)/N
    assert math.local == pytest.approx(P["A"] * (1 - P["A"]), rel=1e-5)
    assert math.delta == pytest.approx(DL_DZ2["A"], rel=1e-5)
    np.testing.assert_allclose(math.weight_grad_sample, np.array(H["A"]) * DL_DZ2["A"], **TOL)
    np.testing.assert_allclose(math.weight_grad, np.array(GRAD_W2)[:, 0], **TOL)
    np.testing.assert_allclose(math.weight_grad_data, math.weight_grad, **TOL)
    assert math.bias_grad == pytest.approx(GRAD_B2[0], rel=1e-5)
    np.testing.assert_allclose(math.weight_update, np.array(SGD_DELTA_W2)[:, 0], **TOL)
    np.testing.assert_allclose(math.weights_after, math.weights + math.weight_update, **TOL)
    text = math.to_text()
    assert "sigmoid(0.996776) = 0.730424" in text
    assert "Δ = −lr·g = −0.5·0.0685 = -0.034248" in text
    assert text.splitlines()[0] == f"Neuron dense_2[0], sample {row}"


def test_hidden_neuron_backprop_and_adam_update_on_the_second_step():
    trainer = hand_trainer({"type": "adam", "learning_rate": 0.1})
    first = capture_step(trainer)
    row = sample_order(first).index("B")
    math = explain_neuron(first, "dense_1", 1, row)
    assert math.input_names == ["x1", "x2"]
    np.testing.assert_allclose(math.inputs, [-1.0, 1.0])
    np.testing.assert_allclose(math.weights, np.array(W1)[:, 1], **TOL)
    assert math.bias == pytest.approx(B1[1])
    assert math.preactivation == pytest.approx(Z1["B"][1], rel=1e-6)
    assert math.output == pytest.approx(H["B"][1], rel=1e-6)
    assert math.upstream == pytest.approx(DL_DH["B"][1], rel=1e-5)
    assert math.local == pytest.approx(1 - H["B"][1] ** 2, rel=1e-5)   # tanh' = 1 - a²
    assert math.delta == pytest.approx(DL_DZ1["B"][1], rel=1e-5)
    np.testing.assert_allclose(math.weight_grad, np.array(GRAD_W1)[:, 1], **TOL)
    assert math.bias_grad == pytest.approx(GRAD_B1[1], rel=1e-5)

    second = capture_step(trainer)
    math = explain_neuron(second, "dense_1", 0, 0)
    np.testing.assert_allclose(math.moments["m"], np.array(ADAM2_M_W1)[:, 0], **TOL)
    np.testing.assert_allclose(math.moments["v"], np.array(ADAM2_V_W1)[:, 0], rtol=1e-5)
    # The moments before the second step are the first step's: m = 0.1·g₁, v = 0.001·g₁².
    np.testing.assert_allclose(math.moments_before["m"], 0.1 * np.array(GRAD_W1)[:, 0], **TOL)
    np.testing.assert_allclose(math.weight_update, np.array(ADAM2_DELTA_W1)[:, 0], **TOL)
    assert math.optimizer_step == 2
    text = math.to_text()
    assert "m̂ = m/(1−β1^2)" in text and "= 0.0980834" in text
    html = math.to_html()
    assert html.startswith("<h3>Neuron dense_1[0]") and "<h4>Optimizer</h4>" in html
    # The per-input table: a header, one row per input (x1, x2) and one for the bias.
    assert html.count("<tr>") == 4 and "<td align='right'>x2</td>" in html
    assert "<td align='right'>0.098083</td>" in html   # Δw of x1 → unit 0 on step 2


def test_regularization_term_is_shown_and_added_to_the_gradient():
    trainer = make_trainer([{"type": "dense", "units": 3, "activation": "relu"},
                            {"type": "dense", "units": 1, "activation": "sigmoid"}],
                           regularization={"type": "l2", "rate": 0.1})
    capture = capture_step(trainer)
    math = explain_neuron(capture, "dense_2", 0, 3)
    reg = math.weight_grad - math.weight_grad_data
    assert np.abs(reg).max() > 1e-4   # l2 adds a gradient proportional to the weights
    assert "(regularization)" in math.to_text()


def test_wide_layers_write_out_the_largest_terms_only():
    trainer = make_trainer([{"type": "flatten"}, {"type": "dense", "units": 10,
                                                  "activation": "softmax"}],
                           data={"source": "digits", "limit": 100},
                           loss="categorical_crossentropy")
    capture = capture_step(trainer)
    assert dense_layer_ids(capture) == ["dense_1"]
    math = explain_neuron(capture, "dense_1", 2, 1)
    assert len(math.inputs) == 64 and math.input_names[0] == "flatten_1[0]"
    shown = math.shown_terms()
    assert len(shown) == MAX_TERMS
    assert np.abs(math.products[shown]).min() >= np.sort(np.abs(math.products))[-MAX_TERMS]
    assert math.local is None   # softmax: no single local slope
    assert "more terms" in math.to_text() and "softmax couples the units" in math.to_text()
    assert math.delta == pytest.approx(float(capture.preactivation_grads["dense_1"][1, 2]))


def test_bad_choices_are_explained():
    capture = capture_step(hand_trainer({"type": "sgd", "learning_rate": 0.5}))
    with pytest.raises(ValueError, match="units 0 to 1"):
        explain_neuron(capture, "dense_1", 2)
    with pytest.raises(ValueError, match="samples 0 to 1"):
        explain_neuron(capture, "dense_1", 0, sample=5)
    with pytest.raises(KeyError):
        explain_neuron(capture, "nope", 0)
