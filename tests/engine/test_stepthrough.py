"""Step-through stages on a hand-computed 2-2-1 network, and on real projects.

The reference numbers below come from a separate float64 numpy calculation of the same network
(written out in the comments), not from the engine:

    inputs   A = (1, -1) label 1,  B = (-1, 1) label 0   (already standardised: mean 0, std 1)
    W1 = [[0.5, -0.3], [0.2, 0.8]], b1 = [0.1, -0.1]     (dense_1, tanh)
    W2 = [[1.0], [-0.5]],           b2 = [0.2]           (dense_2, sigmoid)
    binary cross-entropy, mean over the batch of 2.
"""
import numpy as np
import pytest

from engine import catalog
from engine.project import parse_project, prepare
from engine.stepthrough import (STAGE_KINDS, as_image, build_stages, capture_step, stage_index)
from engine.trainer import Trainer

catalog.load_all()

W1 = [[0.5, -0.3], [0.2, 0.8]]
B1 = [0.1, -0.1]
W2 = [[1.0], [-0.5]]
B2 = [0.2]
# Forward, per sample (A, B)
Z1 = {"A": [0.4, -1.2], "B": [-0.2, 1.0]}
H = {"A": [0.3799489623, -0.833654607], "B": [-0.1973753202, 0.761594156]}
Z2 = {"A": 0.9967762658, "B": -0.3781723982}
P = {"A": 0.7304242821, "B": 0.4065677679}
SAMPLE_LOSS = {"A": 0.3141297053, "B": 0.521832255}
MEAN_LOSS = 0.41798098014641627
# Backward: dL/dp = -(y/p - (1-y)/(1-p))/2, dL/dz2 = (p - y)/2, dL/dh = dz2·W2ᵀ, dz1 = dh·(1-h²)
DL_DP = {"A": -0.6845336502, "B": 0.8425561892}
DL_DZ2 = {"A": -0.134787859, "B": 0.203283884}
DL_DH = {"A": [-0.134787859, 0.0673939295], "B": [0.203283884, -0.101641942]}
DL_DZ1 = {"A": [-0.11532972, 0.0205564961], "B": [0.1953645502, -0.0426870077]}
GRAD_W1 = [[-0.3106942702, 0.0632435038], [0.3106942702, -0.0632435038]]
GRAD_B1 = [0.0800348302, -0.0221305115]
GRAD_W2 = [[-0.0913357288], [0.2671863376]]
GRAD_B2 = [0.068496025]
# SGD, learning rate 0.5: Δ = -0.5·g
SGD_DELTA_W1 = [[0.1553471351, -0.0316217519], [-0.1553471351, 0.0316217519]]
SGD_DELTA_W2 = [[0.0456678644], [-0.1335931688]]
SGD_DELTA_B2 = [-0.0342480125]
# Adam, learning rate 0.1, second step (the first moves every parameter by about ±0.1):
ADAM2_M_W1 = [[-0.0508391792, 0.0097764873], [0.0508391792, -0.0097764873]]
ADAM2_V_W1 = [[1.4876871549e-04, 5.6641138610e-06], [1.4876871549e-04, 5.6641138610e-06]]
ADAM2_DELTA_W1 = [[0.0980833982, -0.0966650698], [-0.0980833982, 0.0966650698]]
ADAM2_DELTA_B1 = [-0.0808722271, 0.0763996297]
ADAM2_DELTA_W2 = [[0.0997172286], [-0.0992735312]]
ADAM2_DELTA_B2 = [-0.0847727446]
ADAM2_P = {"A": 0.754982102, "B": 0.2838664649}

TOL = dict(rtol=1e-5, atol=1e-6)  # float32 engine vs float64 reference


def hand_trainer(optimizer: dict, dtype=None) -> Trainer:
    """The documented 2-2-1 network on the two points, one batch = the whole training set."""
    raw = {"layerlab": 1, "name": "hand", "seed": 0,
           "data": {"source": "points", "points": [[1, -1, 1], [-1, 1, 0]], "test_fraction": 0},
           "network": {"layers": [{"type": "dense", "units": 2, "activation": "tanh"},
                                  {"type": "dense", "units": 1, "activation": "sigmoid"}]},
           "training": {"loss": "binary_crossentropy", "batch_size": 2, "optimizer": optimizer}}
    project = parse_project(raw)
    trainer = Trainer(project, prepare(project, dtype=dtype))
    params = dict(trainer.model.named_parameters())
    for name, value in (("dense_1.weight", W1), ("dense_1.bias", B1),
                        ("dense_2.weight", W2), ("dense_2.bias", B2)):
        params[name].data[...] = value
    return trainer


def sample_order(capture) -> list[str]:
    """Which documented sample ("A" or "B") each batch row is."""
    return ["A" if row[0] > 0 else "B" for row in capture.record.inputs]


def by_row(values: dict, order: list[str]) -> np.ndarray:
    """Documented per-sample values arranged in batch order."""
    return np.array([values[name] for name in order], dtype=np.float64)


def test_hand_network_forward_loss_and_backward_match_the_documented_numbers():
    capture = capture_step(hand_trainer({"type": "sgd", "learning_rate": 0.5}))
    order = sample_order(capture)
    record = capture.record
    np.testing.assert_allclose(record.inputs, [[1, -1], [-1, 1]] if order[0] == "A"
                               else [[-1, 1], [1, -1]], **TOL)
    stages = build_stages(capture)
    assert [s.kind for s in stages] == ["batch", "forward", "forward", "loss", "backward",
                                        "backward", "update", "update"]
    assert [s.layer_id for s in stages] == [None, "dense_1", "dense_2", None, "dense_2",
                                            "dense_1", "dense_1", "dense_2"]
    forward_1 = {p.name: p.values for p in stages[1].panels}
    np.testing.assert_allclose(forward_1["pre-activation z"], by_row(Z1, order), **TOL)
    np.testing.assert_allclose(forward_1["output a"], by_row(H, order), **TOL)
    forward_2 = {p.name: p.values for p in stages[2].panels}
    np.testing.assert_allclose(forward_2["pre-activation z"][:, 0], by_row(Z2, order), **TOL)
    np.testing.assert_allclose(forward_2["output a"][:, 0], by_row(P, order), **TOL)

    loss = stages[3]
    np.testing.assert_allclose(loss.per_sample, by_row(SAMPLE_LOSS, order), **TOL)
    assert record.loss == pytest.approx(MEAN_LOSS, rel=1e-6)

    backward_2 = {p.name: p.values for p in stages[4].panels}
    np.testing.assert_allclose(backward_2["∂L/∂output"][:, 0], by_row(DL_DP, order), **TOL)
    np.testing.assert_allclose(backward_2["∂L/∂z"][:, 0], by_row(DL_DZ2, order), **TOL)
    np.testing.assert_allclose(backward_2["∂L/∂weight"], GRAD_W2, **TOL)
    np.testing.assert_allclose(backward_2["∂L/∂bias"], GRAD_B2, **TOL)
    backward_1 = {p.name: p.values for p in stages[5].panels}
    np.testing.assert_allclose(backward_1["∂L/∂output"], by_row(DL_DH, order), **TOL)
    np.testing.assert_allclose(backward_1["∂L/∂z"], by_row(DL_DZ1, order), **TOL)
    np.testing.assert_allclose(backward_1["∂L/∂weight"], GRAD_W1, **TOL)
    np.testing.assert_allclose(backward_1["∂L/∂bias"], GRAD_B1, **TOL)


def test_hand_network_sgd_update_is_minus_learning_rate_times_gradient():
    trainer = hand_trainer({"type": "sgd", "learning_rate": 0.5})
    capture = capture_step(trainer)
    stages = build_stages(capture)
    update_1 = {p.name: p.values for p in stages[stage_index(stages, "update", "dense_1")].panels}
    update_2 = {p.name: p.values for p in stages[stage_index(stages, "update", "dense_2")].panels}
    np.testing.assert_allclose(update_1["Δweight"], SGD_DELTA_W1, **TOL)
    np.testing.assert_allclose(update_2["Δweight"], SGD_DELTA_W2, **TOL)
    np.testing.assert_allclose(update_2["Δbias"], SGD_DELTA_B2, **TOL)
    # Plain SGD has no moments to show; the weights moved by exactly Δ.
    assert set(update_1) == {"Δweight", "Δbias"}
    np.testing.assert_allclose(capture.weights_after["dense_1.weight"],
                               np.array(W1) + np.array(SGD_DELTA_W1), **TOL)
    np.testing.assert_allclose(trainer.model.layers["dense_1"].weight.data,
                               capture.weights_after["dense_1.weight"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hand_network_adam_second_step_moments_and_update(dtype):
    trainer = hand_trainer({"type": "adam", "learning_rate": 0.1}, dtype=dtype)
    first = capture_step(trainer)
    np.testing.assert_allclose(first.record.updates["dense_1.weight"],
                               [[0.1, -0.1], [-0.1, 0.1]], atol=1e-6)
    capture = capture_step(trainer)
    assert capture.optimizer_step == 2
    order = sample_order(capture)
    stages = build_stages(capture)
    update_1 = {p.name: p.values for p in stages[stage_index(stages, "update", "dense_1")].panels}
    update_2 = {p.name: p.values for p in stages[stage_index(stages, "update", "dense_2")].panels}
    np.testing.assert_allclose(update_1["m (weight)"], ADAM2_M_W1, **TOL)
    np.testing.assert_allclose(update_1["v (weight)"], ADAM2_V_W1, rtol=1e-5, atol=1e-10)
    np.testing.assert_allclose(update_1["Δweight"], ADAM2_DELTA_W1, **TOL)
    np.testing.assert_allclose(update_1["Δbias"], ADAM2_DELTA_B1, **TOL)
    np.testing.assert_allclose(update_2["Δweight"], ADAM2_DELTA_W2, **TOL)
    np.testing.assert_allclose(update_2["Δbias"], ADAM2_DELTA_B2, **TOL)
    forward_2 = {p.name: p.values for p in stages[stage_index(stages, "forward", "dense_2")].panels}
    np.testing.assert_allclose(forward_2["output a"][:, 0], by_row(ADAM2_P, order), **TOL)
    assert forward_2["output a"].dtype == dtype


def make_trainer(layers: list, data: dict | None = None, loss: str = "binary_crossentropy",
                 regularization: dict | None = None) -> Trainer:
    """A small real project."""
    training = {"loss": loss, "batch_size": 16, "optimizer": {"type": "adam",
                                                              "learning_rate": 0.01}}
    if regularization:
        training["regularization"] = regularization
    raw = {"layerlab": 1, "name": "t", "seed": 5,
           "data": data or {"source": "spiral", "samples": 120},
           "network": {"layers": layers}, "training": training}
    project = parse_project(raw)
    return Trainer(project, prepare(project))


def test_softmax_output_gradient_is_the_true_one_not_the_fused_zero():
    trainer = make_trainer([{"type": "dense", "units": 6, "activation": "relu"},
                            {"type": "dense", "units": 3, "activation": "softmax"}],
                           data={"source": "blobs", "samples": 90, "classes": 3},
                           loss="categorical_crossentropy")
    capture = capture_step(trainer)
    record = capture.record
    probs, labels = record.output.astype(np.float64), record.targets
    onehot = np.eye(3)[labels]
    n = len(labels)
    # d mean(-log p_y) / dp = -onehot / (p·N);  through softmax: (p - onehot) / N.
    np.testing.assert_allclose(capture.output_grads["dense_2"], -onehot / probs / n, rtol=1e-4)
    np.testing.assert_allclose(capture.preactivation_grads["dense_2"], (probs - onehot) / n,
                               rtol=1e-4, atol=1e-7)
    # The hidden layer's recorded gradient is the engine's own and not zero.
    np.testing.assert_array_equal(capture.output_grads["dense_1"], record.output_grads["dense_1"])
    assert np.abs(capture.output_grads["dense_1"]).sum() > 0


def test_image_network_stages_tile_images_and_feature_maps():
    trainer = make_trainer([{"type": "conv2d", "filters": 4, "kernel_size": 3,
                             "activation": "relu"},
                            {"type": "maxpool2d", "pool_size": 2},
                            {"type": "flatten"},
                            {"type": "dense", "units": 10, "activation": "softmax"}],
                           data={"source": "digits", "limit": 200},
                           loss="categorical_crossentropy")
    capture = capture_step(trainer)
    stages = build_stages(capture)
    kinds = [s.kind for s in stages]
    assert kinds[0] == "batch" and kinds.count("forward") == 4 and kinds.count("backward") == 4
    # Only layers with parameters get an update stage.
    assert [s.layer_id for s in stages if s.kind == "update"] == ["conv2d_1", "dense_1"]
    batch = stages[0].panels[0]
    assert batch.values.shape == (16, 1, 8, 8)
    assert batch.image.shape == (4 * 9 - 1, 4 * 9 - 1)  # 16 digits tiled 4×4 with gaps
    conv = stages[stage_index(stages, "forward", "conv2d_1")].panels[-1]
    assert conv.image.shape == (2 * 7 - 1, 2 * 7 - 1)   # 4 feature maps of 6×6, first sample
    grads = stages[stage_index(stages, "backward", "conv2d_1")]
    weight_grad = next(p for p in grads.panels if p.name == "∂L/∂weight")
    assert weight_grad.values.shape == (4, 1, 3, 3) and weight_grad.image.shape == (7, 7)
    assert stages[0].points is None  # images have no 2-D points to plot


def test_batch_stage_points_are_the_raw_training_rows_and_every_kind_is_known():
    trainer = make_trainer([{"type": "dense", "units": 4, "activation": "tanh"},
                            {"type": "dense", "units": 1, "activation": "sigmoid"}],
                           regularization={"type": "l2", "rate": 0.01})
    capture = capture_step(trainer)
    stages = build_stages(capture)
    batch = stages[0]
    np.testing.assert_array_equal(batch.points, trainer.dataset.x_train[batch.batch_indices])
    np.testing.assert_array_equal(batch.labels, trainer.dataset.y_train[batch.batch_indices])
    assert {s.kind for s in stages} == set(STAGE_KINDS)
    assert [s.index for s in stages] == list(range(len(stages)))
    loss = stages[stage_index(stages, "loss")]
    assert capture.record.penalty > 0 and "regularization" in loss.caption
    # Panels are the record's own numbers, histograms count every value.
    for stage in stages:
        for panel in stage.panels:
            counts, edges = panel.histogram
            assert counts.sum() == np.size(panel.values) and len(edges) == len(counts) + 1
            assert panel.image.ndim == 2


def test_diverged_step_has_no_stages():
    trainer = make_trainer([{"type": "dense", "units": 1, "activation": "sigmoid"}])
    trainer.diverged = True
    capture = capture_step(trainer)
    assert not capture.recorded and build_stages(capture) == []


def test_as_image_shapes():
    assert as_image(np.arange(3.0)).shape == (1, 3)
    assert as_image(np.float32(2.0)).shape == (1, 1)
    assert as_image(np.zeros((5, 7))).shape == (5, 7)
    assert as_image(np.zeros((2, 3, 4, 4)), tile="samples").shape == (4, 9)
    assert as_image(np.zeros((2, 3, 4, 4))).shape == (9, 9)
    assert as_image(np.zeros((2, 3, 4, 4)), tile="filters").shape == (4, 9)


@pytest.mark.parametrize("layers, data, loss", [
    ([{"type": "dense", "units": 6, "activation": "gelu"},
      {"type": "dropout", "rate": 0.3},
      {"type": "dense", "units": 1, "activation": "linear"}],
     {"source": "plane", "samples": 80}, "huber"),
    ([{"type": "dense", "units": 5, "id": "a"},
      {"type": "batchnorm"},
      {"type": "activation", "function": "elu"},
      {"type": "dense", "units": 5, "activation": "leaky_relu", "id": "b", "inputs": ["input"]},
      {"type": "add", "inputs": ["activation_1", "b"]},
      {"type": "dense", "units": 1, "activation": "sigmoid"}],
     {"source": "xor", "samples": 80}, "binary_crossentropy"),
])
def test_other_architectures_step_through_end_to_end(layers, data, loss):
    from engine.diagnostics import diagnose
    from engine.neuron_math import dense_layer_ids, explain_neuron
    trainer = make_trainer(layers, data=data, loss=loss)
    capture = capture_step(trainer)
    stages = build_stages(capture)
    assert [s.layer_id for s in stages if s.kind == "forward"] == list(trainer.model.layers)
    for stage in stages:
        for panel in stage.panels:
            assert np.all(np.isfinite(panel.values)) and panel.image.ndim == 2
    # Through a linear or elementwise activation, dL/dz = dL/da · f'(z) (checked numerically).
    for info in capture.layers:
        if info.layer_id in capture.preactivation_grads and info.activation == "linear":
            np.testing.assert_allclose(capture.preactivation_grads[info.layer_id],
                                       capture.output_grads[info.layer_id], rtol=1e-6)
    assert set(diagnose(capture).layers) == set(trainer.model.layers)
    for layer_id in dense_layer_ids(capture):
        math = explain_neuron(capture, layer_id, 0, 1)
        assert math.preactivation == pytest.approx(
            float(math.products.sum() + math.bias), rel=1e-4, abs=1e-5)
        assert math.to_text()
