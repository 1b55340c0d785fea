"""A branched conv net (batchnorm, dropout, add, concat) against the same net in PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

from engine.graph import build_model
from engine.registry import LOSSES
from engine.tensor import Tensor

torch = pytest.importorskip("torch")
F = torch.nn.functional

# input (2, 9, 9) -> c1 -> b1 -> c2, add(b1, c2) -> concat(add, input) -> pool -> dropout ->
# c3 (stride 2) -> flatten -> dense softmax: every merge, a skip, and uneven "same" padding.
LAYERS = [
    {"type": "conv2d", "id": "c1", "filters": 4, "kernel_size": 3, "padding": "same",
     "activation": "relu"},
    {"type": "batchnorm", "id": "b1"},
    {"type": "conv2d", "id": "c2", "filters": 4, "kernel_size": 4, "padding": "same",
     "activation": "tanh"},
    {"type": "add", "id": "sum", "inputs": ["b1", "c2"]},
    {"type": "concat", "id": "join", "inputs": ["sum", "input"]},
    {"type": "maxpool2d", "id": "pool", "pool_size": 2},
    {"type": "dropout", "id": "drop", "rate": 0.3},
    {"type": "conv2d", "id": "c3", "filters": 3, "kernel_size": 3, "stride": 2,
     "padding": "same", "activation": "elu"},
    {"type": "flatten", "id": "flat"},
    {"type": "dense", "id": "out", "units": 5, "activation": "softmax"},
]
SHAPE = (2, 9, 9)


def torch_net(model, params: dict, x, training: bool, stats: dict):
    """The same graph written with torch.nn.functional (``stats``: running mean and var)."""
    def conv(layer_id, inputs):
        layer = model.layers[layer_id]
        top, bottom, left, right = layer.pads
        padded = F.pad(inputs, (left, right, top, bottom))
        return F.conv2d(padded, params[f"{layer_id}.weight"], params[f"{layer_id}.bias"],
                        stride=layer.stride)

    c1 = torch.relu(conv("c1", x))
    b1 = F.batch_norm(c1, stats["mean"], stats["var"], params["b1.gamma"], params["b1.beta"],
                      training=training, momentum=0.1, eps=1e-5)
    c2 = torch.tanh(conv("c2", b1))
    joined = torch.cat([b1 + c2, x], dim=1)
    pooled = F.max_pool2d(joined, 2)
    mask = model.layers["drop"].mask
    dropped = pooled * torch.tensor(mask) if training else pooled
    c3 = F.elu(conv("c3", dropped))
    return c3.flatten(1) @ params["out.weight"] + params["out.bias"]


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_branched_conv_net_forward_and_backward_match_torch(training):
    rng = np.random.default_rng(7)
    model = build_model(LAYERS, SHAPE, seed=11, dtype=np.float64)
    assert model.output_shape == (5,)
    # Non-trivial batchnorm state, so evaluation really uses the running statistics.
    model.layers["b1"].running_mean.data[...] = rng.normal(size=4)
    model.layers["b1"].running_var.data[...] = rng.random(4) + 0.5
    model.layers["b1"].gamma.data[...] = rng.normal(size=4)
    stats = {"mean": torch.tensor(model.layers["b1"].running_mean.data.copy()),
             "var": torch.tensor(model.layers["b1"].running_var.data.copy())}
    params = {name: torch.tensor(p.data.copy(), requires_grad=True)
              for name, p in model.named_parameters()}
    x_data = rng.normal(size=(6,) + SHAPE)
    labels = rng.integers(0, 5, size=6)

    model.train(training)
    x = Tensor(x_data.copy(), requires_grad=True)
    output = model.forward(x)
    loss = LOSSES.get("categorical_crossentropy", None, "")()(output, labels)
    loss.backward()

    tx = torch.tensor(x_data, requires_grad=True)
    logits = torch_net(model, params, tx, training, stats)
    their_loss = F.cross_entropy(logits, torch.tensor(labels))
    their_loss.backward()

    assert (model.layers["drop"].mask is not None) == training
    assert model.layers["c2"].pads == (1, 2, 1, 2) and model.layers["c3"].pads == (0, 1, 0, 1)
    np.testing.assert_allclose(output.data, torch.softmax(logits, 1).detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    assert float(loss.data) == pytest.approx(float(their_loss.detach()), rel=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-8, atol=1e-12)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, params[name].grad.numpy(), rtol=1e-8, atol=1e-12,
                                   err_msg=name)
    # Training updates the running statistics exactly as PyTorch does (unbiased variance).
    np.testing.assert_allclose(model.layers["b1"].running_mean.data, stats["mean"].numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(model.layers["b1"].running_var.data, stats["var"].numpy(),
                               rtol=1e-12)


def test_branched_conv_net_float32_close_to_torch():
    rng = np.random.default_rng(3)
    model = build_model(LAYERS, SHAPE, seed=2, dtype=np.float32)
    model.eval()
    x = rng.normal(size=(4,) + SHAPE).astype(np.float32)
    params = {name: torch.tensor(p.data.copy()) for name, p in model.named_parameters()}
    stats = {"mean": torch.zeros(4), "var": torch.ones(4)}
    ours = model.predict(x)
    assert ours.dtype == np.float32
    theirs = torch.softmax(torch_net(model, params, torch.tensor(x), False, stats), 1)
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-4, atol=1e-6)


def test_branched_conv_net_training_matches_torch_adam():
    """Eight Trainer steps (batchnorm in training mode, fresh dropout masks, L2, Adam) replayed
    in torch.optim.Adam with the same batches and masks: same weights and running statistics."""
    from engine.project import parse_project, prepare
    from engine.trainer import Trainer

    layers = [dict(layer) for layer in LAYERS]
    layers[-1]["units"] = 10
    raw = {"layerlab": 1, "seed": 4, "data": {"source": "digits", "limit": 100},
           "network": {"layers": layers},
           "training": {"batch_size": 24, "optimizer": {"type": "adam", "learning_rate": 0.01},
                        "regularization": {"type": "l2", "rate": 0.01}}}
    project = parse_project(raw)
    trainer = Trainer(project, prepare(project, dtype=np.float64))
    model = trainer.model
    assert model.input_shape == (1, 8, 8)
    params = {name: torch.tensor(p.data.copy(), requires_grad=True)
              for name, p in model.named_parameters()}
    stats = {"mean": torch.tensor(model.layers["b1"].running_mean.data.copy()),
             "var": torch.tensor(model.layers["b1"].running_var.data.copy())}
    optimizer = torch.optim.Adam(list(params.values()), lr=0.01)
    x_all, y_all = torch.tensor(trainer.x_train), torch.tensor(trainer.y_train)
    for _ in range(8):
        record = trainer.step(record=True)
        batch = torch.tensor(record.batch_indices)
        optimizer.zero_grad()
        logits = torch_net(model, params, x_all[batch], True, stats)  # this step's mask
        loss = F.cross_entropy(logits, y_all[batch])
        loss = loss + 0.005 * sum((p * p).sum() for name, p in params.items()
                                  if name.endswith(".weight"))
        loss.backward()
        optimizer.step()
        assert record.loss == pytest.approx(float(loss.detach()), rel=1e-10)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.data, params[name].detach().numpy(), rtol=1e-7,
                                   atol=1e-9, err_msg=name)
    np.testing.assert_allclose(model.layers["b1"].running_mean.data, stats["mean"].numpy(),
                               rtol=1e-9)
    np.testing.assert_allclose(model.layers["b1"].running_var.data, stats["var"].numpy(),
                               rtol=1e-9)
