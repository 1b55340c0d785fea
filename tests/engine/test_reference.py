"""Whole training runs against PyTorch: same initial weights, same batches, same weights after.

The Trainer records which samples each step used; PyTorch then replays exactly those batches
from the same starting weights with ``torch.optim``. Float64 runs must agree to ~1e-9 after
dozens of steps (the update rules are the same maths); float32 runs to float32 precision.
"""
from __future__ import annotations

import numpy as np
import pytest

from engine.project import parse_project, prepare
from engine.trainer import Trainer

torch = pytest.importorskip("torch")
F = torch.nn.functional

MLP = [{"type": "dense", "units": 6, "activation": "tanh"},
       {"type": "dense", "units": 5, "activation": "relu"}]
TORCH_ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid,
                     "linear": lambda z: z, "gelu": lambda z: F.gelu(z, approximate="tanh"),
                     "elu": F.elu, "leaky_relu": F.leaky_relu}
STEPS = 23  # five epochs of 70 samples in batches of 16, including short last batches


def make_trainer(data: dict, output: dict, optimizer: dict, regularization=None,
                 loss=None, dtype=np.float64, hidden=MLP) -> Trainer:
    """A Trainer for an MLP on ``data`` ending in ``output``, in ``dtype``."""
    training = {"optimizer": optimizer, "batch_size": 16, "regularization": regularization}
    if loss:
        training["loss"] = loss
    project = parse_project({"layerlab": 1, "seed": 3, "data": data,
                             "network": {"layers": hidden + [output]}, "training": training})
    return Trainer(project, prepare(project, dtype=dtype))


def torch_params(trainer: Trainer) -> dict:
    """Leaf tensors holding copies of the trainer's current parameters."""
    return {name: torch.tensor(p.data.copy(), requires_grad=True)
            for name, p in trainer.model.named_parameters()}


def torch_forward(trainer: Trainer, params: dict, x):
    """The MLP's forward pass in PyTorch: ``x @ W + b`` then each layer's activation."""
    for layer_id, layer in trainer.model.layers.items():
        x = x @ params[f"{layer_id}.weight"] + params[f"{layer_id}.bias"]
        fused = layer_id == trainer.model.output_id and layer.activation in ("sigmoid",
                                                                            "softmax")
        if not fused:  # the output's sigmoid/softmax is fused into the loss below
            x = TORCH_ACTIVATIONS[layer.activation](x)
    return x


def torch_loss(trainer: Trainer, logits, y):
    """The trainer's loss on pre-sigmoid/softmax logits, as PyTorch computes it."""
    name = trainer.loss_name
    if name == "binary_crossentropy":
        return F.binary_cross_entropy_with_logits(logits[:, 0], y.double().to(logits.dtype))
    if name == "categorical_crossentropy":
        return F.cross_entropy(logits, y)
    if name == "huber":
        return F.huber_loss(logits, y, delta=1.0)
    return F.mse_loss(logits, y)


def torch_optimizer(settings: dict, params: list):
    """``torch.optim`` configured like the project's optimizer settings."""
    kind, lr = settings["type"], settings["learning_rate"]
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=settings["momentum"],
                               nesterov=settings["nesterov"])
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=settings["rho"],
                                   eps=settings["epsilon"])
    betas = (settings["beta1"], settings["beta2"])
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=settings["epsilon"])
    return torch.optim.AdamW(params, lr=lr, betas=betas, eps=settings["epsilon"],
                             weight_decay=settings["weight_decay"])


def replay_in_torch(trainer: Trainer, steps: int) -> tuple[dict, dict, list, list]:
    """Train ``steps`` steps in LayerLab and replay the same batches in PyTorch.

    Returns both final parameter sets and both loss sequences (data loss plus penalty).
    """
    params = torch_params(trainer)
    optimizer = torch_optimizer(trainer.project.training["optimizer"], list(params.values()))
    regularization = trainer.project.training["regularization"]
    x_all = torch.tensor(trainer.x_train)
    y_all = torch.tensor(trainer.y_train)
    ours, theirs = [], []
    for _ in range(steps):
        record = trainer.step(record=True)
        ours.append(record.loss)
        batch = torch.tensor(record.batch_indices)
        optimizer.zero_grad()
        loss = torch_loss(trainer, torch_forward(trainer, params, x_all[batch]), y_all[batch])
        if regularization:
            weights = [p for name, p in params.items() if name.endswith(".weight")]
            rate = regularization["rate"]
            if regularization["type"] == "l2":
                loss = loss + 0.5 * rate * sum((w * w).sum() for w in weights)
            else:
                loss = loss + rate * sum(w.abs().sum() for w in weights)
        loss.backward()
        optimizer.step()
        theirs.append(float(loss.detach()))
    mine = {name: p.data for name, p in trainer.model.named_parameters()}
    return mine, {name: p.detach().numpy() for name, p in params.items()}, ours, theirs


OPTIMIZERS = [
    {"type": "sgd", "learning_rate": 0.1},
    {"type": "sgd", "learning_rate": 0.05, "momentum": 0.9},
    {"type": "sgd", "learning_rate": 0.05, "momentum": 0.8, "nesterov": True},
    {"type": "rmsprop", "learning_rate": 0.01, "rho": 0.9},
    {"type": "adam", "learning_rate": 0.02},
    {"type": "adam", "learning_rate": 0.01, "beta1": 0.5, "beta2": 0.9, "epsilon": 1e-6},
    {"type": "adamw", "learning_rate": 0.02, "weight_decay": 0.1},
]
MOONS = {"source": "moons", "samples": 100, "noise": 0.2, "test_fraction": 0.3}
SIGMOID = {"type": "dense", "units": 1, "activation": "sigmoid"}


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: "-".join(map(str, o.values())))
def test_mlp_training_matches_torch_float64(optimizer):
    trainer = make_trainer(MOONS, SIGMOID, optimizer)
    start = {name: p.data.copy() for name, p in trainer.model.named_parameters()}
    mine, theirs, our_losses, their_losses = replay_in_torch(trainer, STEPS)
    assert max(np.abs(mine[name] - start[name]).max() for name in mine) > 0.05  # it trained
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-10)
    for name in mine:
        np.testing.assert_allclose(mine[name], theirs[name], rtol=1e-8, atol=1e-10,
                                   err_msg=name)


@pytest.mark.parametrize("regularization", [{"type": "l2", "rate": 0.05},
                                            {"type": "l1", "rate": 0.01}])
@pytest.mark.parametrize("optimizer", [OPTIMIZERS[1], OPTIMIZERS[4]], ids=["momentum", "adam"])
def test_regularized_training_matches_torch(optimizer, regularization):
    trainer = make_trainer(MOONS, SIGMOID, optimizer, regularization)
    mine, theirs, our_losses, their_losses = replay_in_torch(trainer, STEPS)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-10)
    for name in mine:
        np.testing.assert_allclose(mine[name], theirs[name], rtol=1e-7, atol=1e-9,
                                   err_msg=name)


@pytest.mark.parametrize("data, output, loss", [
    ({"source": "blobs", "classes": 4, "samples": 100, "test_fraction": 0.3,
      "features": ["x1", "x2", "x1*x2", "sin(x1)"]},
     {"type": "dense", "units": 4, "activation": "softmax"}, None),
    ({"source": "multigauss", "samples": 100, "noise": 0.1, "test_fraction": 0.3},
     {"type": "dense", "units": 1, "activation": "linear"}, "mse"),
    ({"source": "plane", "samples": 100, "noise": 0.3, "test_fraction": 0.3},
     {"type": "dense", "units": 1, "activation": "linear"}, "huber"),
])
def test_other_losses_match_torch(data, output, loss):
    trainer = make_trainer(data, output, {"type": "adam", "learning_rate": 0.05}, loss=loss,
                           hidden=[{"type": "dense", "units": 6, "activation": "gelu"},
                                   {"type": "dense", "units": 4, "activation": "elu"}])
    mine, theirs, our_losses, their_losses = replay_in_torch(trainer, STEPS)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-10)
    for name in mine:
        np.testing.assert_allclose(mine[name], theirs[name], rtol=1e-8, atol=1e-10,
                                   err_msg=name)


def test_float32_training_stays_within_float32_precision_of_torch():
    trainer = make_trainer(MOONS, SIGMOID, OPTIMIZERS[4], {"type": "l2", "rate": 0.01},
                           dtype=np.float32)
    assert trainer.model.layers["dense_1"].weight.data.dtype == np.float32
    mine, theirs, our_losses, their_losses = replay_in_torch(trainer, STEPS)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-4)
    for name in mine:
        np.testing.assert_allclose(mine[name], theirs[name], rtol=1e-3, atol=1e-4,
                                   err_msg=name)


@pytest.mark.parametrize("activation", ["leaky_relu", "sigmoid", "linear", "elu", "gelu"])
def test_hidden_activations_match_torch(activation):
    hidden = [{"type": "dense", "units": 5, "activation": activation},
              {"type": "dense", "units": 4, "activation": activation}]
    trainer = make_trainer(MOONS, SIGMOID, {"type": "sgd", "learning_rate": 0.3,
                                            "momentum": 0.5}, hidden=hidden)
    mine, theirs, our_losses, their_losses = replay_in_torch(trainer, 12)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-10)
    for name in mine:
        np.testing.assert_allclose(mine[name], theirs[name], rtol=1e-8, atol=1e-10,
                                   err_msg=name)
