"""Forward and backward against PyTorch (float64 unless noted) for the numerical core."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from engine.registry import ACTIVATIONS, LOSSES
from engine.tensor import Tensor, no_grad
from gradcheck import build_layer

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _pair(rng, shape, dtype=np.float64):
    data = rng.standard_normal(shape).astype(dtype)
    return Tensor(data.copy(), requires_grad=True), torch.tensor(data, requires_grad=True)


def _backprop(ours: Tensor, theirs, rng) -> None:
    grad = rng.standard_normal(ours.shape)
    ours.backward(grad.astype(ours.dtype))
    theirs.backward(torch.tensor(grad, dtype=theirs.dtype))


def close(ours: np.ndarray, theirs, rtol: float = 1e-9, atol: float = 1e-10) -> None:
    """Assert an engine array matches a torch tensor."""
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=rtol, atol=atol)


def test_dense_matches_linear() -> None:
    rng = np.random.default_rng(0)
    layer = build_layer({"type": "dense", "units": 5, "activation": "linear"}, [(7,)], rng, np.float64)
    x, tx = _pair(rng, (6, 7))
    weight = torch.tensor(layer.weight.data, requires_grad=True)
    bias = torch.tensor(layer.bias.data, requires_grad=True)
    out, tout = layer.forward(x), F.linear(tx, weight.T, bias)
    close(out.data, tout)
    _backprop(out, tout, rng)
    close(x.grad, tx.grad)
    close(layer.weight.grad, weight.grad)
    close(layer.bias.grad, bias.grad)


CONV_SETTINGS = [
    (3, 1, "valid"), (3, 1, "same"), (5, 1, "same"), (2, 1, "same"), (4, 1, "same"),
    (3, 2, "valid"), (3, 2, "same"), (2, 2, "same"), (1, 1, "valid"), (4, 3, "same"),
]


@pytest.mark.parametrize("kernel,stride,padding", CONV_SETTINGS)
def test_conv2d_matches_torch(kernel: int, stride: int, padding: str) -> None:
    rng = np.random.default_rng(kernel * 10 + stride)
    shape = (3, 9, 8)
    spec = {"type": "conv2d", "filters": 4, "kernel_size": kernel, "stride": stride, "padding": padding}
    layer = build_layer(spec, [shape], rng, np.float64)
    layer.bias.data[...] = rng.standard_normal(4)
    x, tx = _pair(rng, (5,) + shape)
    weight = torch.tensor(layer.weight.data, requires_grad=True)
    bias = torch.tensor(layer.bias.data, requires_grad=True)
    if stride == 1 and padding == "same":
        with warnings.catch_warnings():  # torch warns that even kernels need a padded copy
            warnings.simplefilter("ignore", UserWarning)
            tout = F.conv2d(tx, weight, bias, padding="same")  # PyTorch's own "same"
    else:
        top, bottom, left, right = layer.pads
        tout = F.conv2d(F.pad(tx, (left, right, top, bottom)), weight, bias, stride=stride)
    out = layer.forward(x)
    assert out.shape[1:] == layer.output_shape == tuple(tout.shape[1:])
    close(out.data, tout)
    _backprop(out, tout, rng)
    close(x.grad, tx.grad)
    close(layer.weight.grad, weight.grad)
    close(layer.bias.grad, bias.grad)


def test_conv2d_float32_close_to_torch() -> None:
    rng = np.random.default_rng(5)
    layer = build_layer({"type": "conv2d", "filters": 16, "kernel_size": 3, "padding": "same"},
                        [(8, 12, 12)], rng, np.float32)
    x, tx = _pair(rng, (4, 8, 12, 12), np.float32)
    weight = torch.tensor(layer.weight.data, requires_grad=True)
    bias = torch.tensor(layer.bias.data, requires_grad=True)
    out, tout = layer.forward(x), F.conv2d(tx, weight, bias, padding=1)
    assert out.dtype == np.float32
    close(out.data, tout, rtol=1e-4, atol=1e-5)
    _backprop(out, tout, rng)
    close(x.grad, tx.grad, rtol=1e-4, atol=1e-4)
    close(layer.weight.grad, weight.grad, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("kind,pool,stride,size", [
    ("maxpool2d", 2, None, (7, 6)), ("maxpool2d", 3, 2, (9, 9)), ("maxpool2d", 2, 1, (5, 5)),
    ("avgpool2d", 2, None, (7, 6)), ("avgpool2d", 3, 2, (9, 8)), ("avgpool2d", 3, 1, (5, 6)),
])
def test_pools_match_torch(kind: str, pool: int, stride, size: tuple) -> None:
    rng = np.random.default_rng(pool)
    shape = (3,) + size
    layer = build_layer({"type": kind, "pool_size": pool, "stride": stride}, [shape], rng, np.float64)
    x, tx = _pair(rng, (4,) + shape)
    function = F.max_pool2d if kind == "maxpool2d" else F.avg_pool2d
    out, tout = layer.forward(x), function(tx, pool, stride or pool)
    assert out.shape[1:] == layer.output_shape
    close(out.data, tout)
    _backprop(out, tout, rng)
    close(x.grad, tx.grad)


def test_maxpool_ties_send_gradient_once() -> None:
    x = Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    tx = torch.ones((1, 1, 2, 2), dtype=torch.float64, requires_grad=True)
    out = build_layer({"type": "maxpool2d"}, [(1, 2, 2)], np.random.default_rng(0), np.float64).forward(x)
    out.backward(np.ones((1, 1, 1, 1)))
    F.max_pool2d(tx, 2).sum().backward()
    assert x.grad.sum() == 1.0
    close(x.grad, tx.grad)


@pytest.mark.parametrize("shape", [(8, 5), (6, 3, 4, 5)])
def test_batchnorm_train_eval_and_running_stats(shape: tuple) -> None:
    rng = np.random.default_rng(len(shape))
    layer = build_layer({"type": "batchnorm"}, [shape[1:]], rng, np.float64)
    torch_bn = (torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d)(shape[1]).double()
    gamma, beta = rng.uniform(0.5, 1.5, shape[1]), rng.standard_normal(shape[1])
    layer.gamma.data[...], layer.beta.data[...] = gamma, beta
    with torch.no_grad():
        torch_bn.weight.copy_(torch.tensor(gamma))
        torch_bn.bias.copy_(torch.tensor(beta))
    for step in range(3):
        x, tx = _pair(rng, shape)
        x.data += step
        tx.data += step
        layer.gamma.grad = layer.beta.grad = None
        torch_bn.zero_grad()
        out, tout = layer.forward(x), torch_bn(tx)
        close(out.data, tout)
        _backprop(out, tout, rng)
        close(x.grad, tx.grad, atol=1e-9)
        close(layer.gamma.grad, torch_bn.weight.grad)
        close(layer.beta.grad, torch_bn.bias.grad)
        close(layer.running_mean.data, torch_bn.running_mean)
        close(layer.running_var.data, torch_bn.running_var)
    layer.eval()
    torch_bn.eval()
    x, tx = _pair(rng, shape)
    out, tout = layer.forward(x), torch_bn(tx)
    close(out.data, tout)
    _backprop(out, tout, rng)
    close(x.grad, tx.grad)
    close(layer.gamma.grad, torch_bn.weight.grad)


TORCH_ACTIVATIONS = {
    "linear": lambda t: t,
    "relu": torch.relu,
    "leaky_relu": lambda t: F.leaky_relu(t, 0.01),
    "elu": lambda t: F.elu(t, 1.0),
    "gelu": lambda t: F.gelu(t, approximate="tanh"),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softmax": lambda t: torch.softmax(t, dim=-1),
}


@pytest.mark.parametrize("name", sorted(TORCH_ACTIVATIONS))
def test_activations_match_torch(name: str) -> None:
    assert set(TORCH_ACTIVATIONS) == set(ACTIVATIONS.names())
    rng = np.random.default_rng(1)
    x, tx = _pair(rng, (6, 7))
    x.data *= 4
    with torch.no_grad():
        tx *= 4
    entry = ACTIVATIONS.entries[name]
    out, tout = entry.apply(Tensor(x.data, requires_grad=True) * 1.0), TORCH_ACTIVATIONS[name](tx * 1.0)
    close(out.data, tout)
    close(entry.numpy(x.data), tout)
    _backprop(out, tout, rng)
    out2 = entry.apply(x) * 1.0
    grad = rng.standard_normal(out2.shape)
    out2.backward(grad)
    tx.grad = None
    (TORCH_ACTIVATIONS[name](tx) * torch.tensor(grad)).sum().backward()
    close(x.grad, tx.grad)


def test_activation_entries_record_their_own_op() -> None:
    x = Tensor(np.array([[-1.5, 0.0, 2.0]]), requires_grad=True)
    for name in ACTIVATIONS.names():
        entry = ACTIVATIONS.entries[name]
        out = entry.apply(x)
        if name == "linear":
            assert out is x
        else:
            assert type(out.op) is entry.op and out.op.inputs[0] is x
        np.testing.assert_allclose(out.data, entry.numpy(x.data), rtol=1e-12)


def test_extreme_logits_stay_finite() -> None:
    logits = np.array([[-1000.0], [1000.0], [0.0]], dtype=np.float32)
    x = Tensor(logits, requires_grad=True)
    loss = LOSSES.entries["binary_crossentropy"]()(ACTIVATIONS.entries["sigmoid"].apply(x), np.array([1, 0, 1]))
    loss.backward()
    expected = F.binary_cross_entropy_with_logits(torch.tensor(logits), torch.tensor([[1.0], [0.0], [1.0]]))
    assert np.isfinite(loss.data) and np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(loss.data, expected.item(), rtol=1e-6)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        ACTIVATIONS.entries["softmax"].numpy(np.array([[1e4, -1e4, 0.0]]))
        ACTIVATIONS.entries["sigmoid"].numpy(np.array([-1e4, 1e4]))


def _loss_pair(name, rng):
    if name == "categorical_crossentropy":
        logits, labels = rng.standard_normal((7, 4)) * 3, rng.integers(0, 4, 7)
        return logits, labels, lambda t: F.cross_entropy(t, torch.tensor(labels)), "softmax"
    if name == "binary_crossentropy":
        logits, labels = rng.standard_normal((7, 1)) * 3, rng.integers(0, 2, 7)
        target = torch.tensor(labels, dtype=torch.float64).reshape(7, 1)
        return logits, labels, lambda t: F.binary_cross_entropy_with_logits(t, target), "sigmoid"
    prediction, target = rng.standard_normal((7, 2)) * 2, rng.standard_normal((7, 2))
    function = F.mse_loss if name == "mse" else (lambda a, b: F.huber_loss(a, b, delta=1.0))
    return prediction, target, lambda t: function(t, torch.tensor(target)), "linear"


@pytest.mark.parametrize("name", ["mse", "huber", "binary_crossentropy", "categorical_crossentropy"])
def test_losses_match_torch(name: str) -> None:
    rng = np.random.default_rng(3)
    values, target, torch_loss, activation = _loss_pair(name, rng)
    loss = LOSSES.entries[name]()
    x = Tensor(values.copy(), requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    out = loss(ACTIVATIONS.entries[activation].apply(x), target)
    tout = torch_loss(tx)
    close(out.data, tout)
    out.backward()
    tout.backward()
    close(x.grad, tx.grad)
    # Without a recorded graph the loss falls back to the probability path: same value.
    with no_grad():
        probs = ACTIVATIONS.entries[activation].apply(Tensor(values))
        again = loss(probs, target)
    np.testing.assert_allclose(again.data, tout.item(), rtol=1e-7)
    np.testing.assert_allclose(loss.per_sample(probs.data, target).mean(), tout.item(), rtol=1e-7)


def test_probability_paths_match_torch() -> None:
    rng = np.random.default_rng(4)
    probs = rng.uniform(0.05, 0.95, (6, 1))
    labels = rng.integers(0, 2, 6)
    x, tx = Tensor(probs.copy(), requires_grad=True), torch.tensor(probs, requires_grad=True)
    out = LOSSES.entries["binary_crossentropy"]()(x, labels)
    tout = F.binary_cross_entropy(tx, torch.tensor(labels, dtype=torch.float64).reshape(6, 1))
    close(out.data, tout)
    out.backward()
    tout.backward()
    close(x.grad, tx.grad)
    dist = rng.dirichlet(np.ones(3), 5)
    labels = rng.integers(0, 3, 5)
    x, tx = Tensor(dist.copy(), requires_grad=True), torch.tensor(dist, requires_grad=True)
    out = LOSSES.entries["categorical_crossentropy"]()(x, labels)
    tout = F.nll_loss(torch.log(tx), torch.tensor(labels))
    close(out.data, tout)
    out.backward()
    tout.backward()
    close(x.grad, tx.grad)


@pytest.mark.parametrize("pool,stride", [(2, 2), (3, 2), (2, 1), (3, 3)])
def test_maxpool_tie_rule_matches_torch(pool: int, stride: int) -> None:
    rng = np.random.default_rng(pool * 10 + stride)
    values = rng.integers(0, 3, (3, 2, 9, 8)).astype(np.float64)  # many equal maxima
    layer = build_layer({"type": "maxpool2d", "pool_size": pool, "stride": stride}, [(2, 9, 8)],
                        rng, np.float64)
    x, tx = Tensor(values.copy(), requires_grad=True), torch.tensor(values, requires_grad=True)
    out, tout = layer.forward(x), F.max_pool2d(tx, pool, stride)
    close(out.data, tout)
    _backprop(out, tout, rng)
    close(x.grad, tx.grad)
