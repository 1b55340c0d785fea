"""Diagnostics: norms and ratios equal the documented numbers; each warning fires when it should."""
import numpy as np
import pytest
from test_stepthrough import (B1, GRAD_B1, GRAD_B2, GRAD_W1, GRAD_W2, SGD_DELTA_B2,
                              SGD_DELTA_W2, W1, W2, hand_trainer, make_trainer)

from engine.diagnostics import (RULE_OF_THUMB, Diagnostics, LayerDiagnostics, dead_fraction,
                                diagnose, saturated_fraction, warnings_for)
from engine.stepthrough import capture_step


def test_norms_and_update_ratio_on_the_hand_network():
    capture = capture_step(hand_trainer({"type": "sgd", "learning_rate": 0.5}))
    result = diagnose(capture)
    assert result.step == 1 and list(result.layers) == ["dense_1", "dense_2"]
    first, second = result.layers["dense_1"], result.layers["dense_2"]
    grad_1 = np.sqrt(np.sum(np.square(GRAD_W1)) + np.sum(np.square(GRAD_B1)))
    assert first.grad_norm == pytest.approx(grad_1, rel=1e-5)
    weight_1 = np.sqrt(np.sum(np.square(W1)) + np.sum(np.square(B1)))
    assert first.weight_norm == pytest.approx(weight_1, rel=1e-6)
    assert first.update_ratio == pytest.approx(0.5 * grad_1 / first.weight_norm, rel=1e-5)
    update_2 = np.sqrt(np.sum(np.square(SGD_DELTA_W2)) + np.sum(np.square(SGD_DELTA_B2)))
    assert second.update_norm == pytest.approx(update_2, rel=1e-5)
    assert second.grad_norm == pytest.approx(
        np.sqrt(np.sum(np.square(GRAD_W2)) + np.sum(np.square(GRAD_B2))), rel=1e-5)
    assert second.weight_norm == pytest.approx(np.sqrt(1.0 + 0.25 + 0.04), rel=1e-6)
    assert np.sum(np.square(W2)) == pytest.approx(1.25)
    assert first.saturated_fraction == 0.0 and first.dead_fraction is None
    assert second.saturated_fraction is None     # the output layer is meant to be confident
    assert result.series("grad_norm") == {"dense_1": first.grad_norm,
                                          "dense_2": second.grad_norm}
    # lr 0.5 on this tiny net changes the weights by ~15% per step: that is flagged.
    assert any("dense_1: one step changed the weights" in w for w in result.warnings)


def test_dead_and_saturated_fractions():
    relu = np.array([[0, 1, 0, 0], [0, 2, 0, 3.0]])
    assert dead_fraction(relu) == 0.5
    maps = np.zeros((2, 4, 3, 3))
    maps[1, 2, 0, 1] = 0.5            # channel 2 fires once, channels 0, 1, 3 never
    assert dead_fraction(maps) == 0.75
    tanh = np.array([[0.99, -0.98, 0.2, 0.0]])
    assert saturated_fraction(tanh, "tanh") == 0.5
    sigmoid = np.array([0.01, 0.5, 0.99, 0.6])
    assert saturated_fraction(sigmoid, "sigmoid") == 0.5
    with pytest.raises(ValueError):
        saturated_fraction(tanh, "relu")


def tanh_net(**changes) -> tuple:
    """A 3-layer net with some weights rescaled before one recorded step."""
    trainer = make_trainer([{"type": "dense", "units": 8, "activation": changes.get("act", "tanh")},
                            {"type": "dense", "units": 8, "activation": "tanh"},
                            {"type": "dense", "units": 1, "activation": "sigmoid"}])
    params = dict(trainer.model.named_parameters())
    for name, factor in changes.get("scale", {}).items():
        params[name].data[...] *= factor
    for name, value in changes.get("set", {}).items():
        params[name].data[...] = value
    return trainer, diagnose(capture_step(trainer))


def test_healthy_network_has_no_warnings():
    _, result = tanh_net()
    assert result.warnings == []
    ratios = result.series("update_ratio")
    assert all(RULE_OF_THUMB / 10 < r < 0.1 for r in ratios.values())


def test_vanishing_gradients_are_named_with_the_layer():
    _, result = tanh_net(scale={"dense_2.weight": 1e-4})
    messages = [w for w in result.warnings if "vanishing" in w]
    assert len(messages) == 1 and messages[0].startswith("dense_1: vanishing gradients")
    assert result.layers["dense_1"].grad_norm < 1e-3 * result.layers["dense_3"].grad_norm


def test_dead_relu_and_saturated_tanh_warnings():
    _, result = tanh_net(act="relu", set={"dense_1.bias": -100.0})
    assert result.layers["dense_1"].dead_fraction == 1.0
    assert any("100% of the relu units are dead" in w for w in result.warnings)
    _, result = tanh_net(scale={"dense_1.weight": 200.0})
    assert result.layers["dense_1"].saturated_fraction > 0.5
    assert any("dense_1:" in w and "saturated" in w for w in result.warnings)


def test_exploding_warning_and_non_finite_gradients():
    diagnostics = Diagnostics(7, {
        "a": LayerDiagnostics("a", "relu", grad_norm=5e3, weight_norm=1.0, update_norm=1.0,
                              update_ratio=1.0),
        "b": LayerDiagnostics("b", "relu", grad_norm=float("nan")),
        "c": LayerDiagnostics("c", None, grad_norm=3e2, weight_norm=1.0, update_norm=1e-7,
                              update_ratio=1e-7)})
    found = warnings_for(diagnostics)
    assert found[0].startswith("a: exploding gradients (norm 5e+03)")
    assert found[1].startswith("b: the gradients are not finite")
    assert found[2].startswith("c: updates are tiny (1.0e-07 of the weights per step)")
    assert len(found) == 3
