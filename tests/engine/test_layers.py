"""Layer declarations, shape inference and its messages, initialisation, FLOPs, modes, losses."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine import catalog, init
from engine.errors import ShapeError
from engine.layers import Layer
from engine.params import validate_settings
from engine.registry import ACTIVATIONS, LAYERS, LOSSES
from engine.tensor import Tensor, no_grad
from gradcheck import build_layer

catalog.load_all()


def test_every_layer_declares_params_and_help() -> None:
    assert LAYERS.names() == ["dense", "conv2d", "maxpool2d", "avgpool2d", "flatten", "reshape",
                              "dropout", "batchnorm", "activation", "add", "concat"]
    for name, cls in LAYERS.entries.items():
        assert issubclass(cls, Layer) and cls.type_name == name
        assert cls.__doc__ and cls.__doc__.strip().splitlines()[0]
        for param in cls.params:
            assert param.help, (name, param.name)


def test_declared_defaults_and_limits() -> None:
    dense = validate_settings(LAYERS.entries["dense"].params, {"units": 4}, None, "layer")
    assert dense == {"units": 4, "activation": "linear"}
    conv = validate_settings(LAYERS.entries["conv2d"].params, {"filters": 2}, None, "layer")
    assert conv == {"filters": 2, "kernel_size": 3, "stride": 1, "padding": "valid", "activation": "linear"}
    pool = validate_settings(LAYERS.entries["maxpool2d"].params, {}, None, "layer")
    assert pool == {"pool_size": 2, "stride": None}
    assert validate_settings(LAYERS.entries["dropout"].params, {}, None, "l") == {"rate": 0.5}
    with pytest.raises(Exception, match="units"):
        validate_settings(LAYERS.entries["dense"].params, {}, None, "layer")
    with pytest.raises(Exception, match="out of range"):
        validate_settings(LAYERS.entries["dropout"].params, {"rate": 1.0}, None, "layer")
    with pytest.raises(Exception, match="same"):
        validate_settings(LAYERS.entries["conv2d"].params, {"filters": 1, "padding": "full"}, None, "l")
    assert set(LAYERS.entries["dense"].params[1].choices) == set(ACTIVATIONS.names())


@pytest.mark.parametrize("spec,shapes,expected", [
    ({"type": "dense", "units": 7}, [(3,)], (7,)),
    ({"type": "conv2d", "filters": 4, "kernel_size": 3}, [(1, 28, 28)], (4, 26, 26)),
    ({"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same"}, [(2, 9, 8)], (4, 9, 8)),
    ({"type": "conv2d", "filters": 2, "kernel_size": 3, "stride": 2, "padding": "same"}, [(1, 9, 8)], (2, 5, 4)),
    ({"type": "conv2d", "filters": 2, "kernel_size": 3, "stride": 2}, [(1, 9, 8)], (2, 4, 3)),
    ({"type": "maxpool2d"}, [(3, 7, 6)], (3, 3, 3)),
    ({"type": "avgpool2d", "pool_size": 3, "stride": 1}, [(3, 7, 6)], (3, 5, 4)),
    ({"type": "flatten"}, [(3, 4, 5)], (60,)),
    ({"type": "reshape", "shape": [1, 8, 8]}, [(64,)], (1, 8, 8)),
    ({"type": "dropout"}, [(5,)], (5,)),
    ({"type": "batchnorm"}, [(2, 3, 3)], (2, 3, 3)),
    ({"type": "activation", "function": "relu"}, [(4,)], (4,)),
    ({"type": "add"}, [(4,), (4,)], (4,)),
    ({"type": "concat"}, [(4,), (2,), (1,)], (7,)),
    ({"type": "concat"}, [(1, 5, 5), (3, 5, 5)], (4, 5, 5)),
])
def test_infer_shape_matches_forward(spec: dict, shapes: list, expected: tuple) -> None:
    cls = LAYERS.entries[spec["type"]]
    config = cls.settings(spec)
    assert cls.infer_shape(config, shapes) == expected
    rng = np.random.default_rng(0)
    layer = build_layer(spec, shapes, rng, np.float32)
    inputs = [Tensor(rng.standard_normal((3,) + s).astype(np.float32)) for s in shapes]
    out = layer.forward(*inputs)
    assert out.shape == (3,) + expected and out.dtype == np.float32
    assert layer.output_shape == expected


@pytest.mark.parametrize("spec,shapes,words", [
    ({"type": "dense", "units": 2}, [(1, 8, 8)], ["(1, 8, 8)", "`flatten`"]),
    ({"type": "conv2d", "filters": 2}, [(64,)], ["(64,)", "`reshape`", "[1, 8, 8]"]),
    ({"type": "conv2d", "filters": 2, "kernel_size": 5}, [(1, 3, 3)], ["kernel_size 5", "(1, 3, 3)", "same"]),
    ({"type": "maxpool2d", "pool_size": 4}, [(1, 3, 3)], ["pool_size 4", "(1, 3, 3)"]),
    ({"type": "avgpool2d"}, [(10,)], ["(10,)", "`reshape`"]),
    ({"type": "reshape", "shape": [2, 5]}, [(9,)], ["(9,)", "(2, 5)", "same number"]),
    ({"type": "add"}, [(3,), (4,)], ["(3,), (4,)", "`concat`"]),
    ({"type": "add"}, [(3,)], ["at least 2 inputs"]),
    ({"type": "concat"}, [(1, 4, 4), (1, 5, 5)], ["(1, 4, 4), (1, 5, 5)", "height and width"]),
    ({"type": "concat"}, [(4,), (1, 2, 2)], ["`flatten`"]),
    ({"type": "batchnorm"}, [(2, 3)], ["(2, 3)"]),
    ({"type": "dense", "units": 2}, [(3,), (3,)], ["exactly 1 input"]),
    ({"type": "concat"}, [(3,)], ["concat takes at least 2 inputs, got 1"]),
    ({"type": "flatten"}, [(3,), (3,)], ["flatten takes exactly 1 input, got 2"]),
    ({"type": "batchnorm"}, [(3,), (3,)], ["exactly 1 input"]),
    ({"type": "reshape", "shape": [3]}, [], ["reshape takes exactly 1 input, got 0"]),
    ({"type": "dropout"}, [], ["exactly 1 input"]),
])
def test_shape_errors_name_shapes_and_fix(spec: dict, shapes: list, words: list) -> None:
    cls = LAYERS.entries[spec["type"]]
    with pytest.raises(ShapeError) as caught:
        cls.infer_shape(cls.settings(spec), shapes)
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))


@pytest.mark.parametrize("activation,scheme", [
    ("relu", "he"), ("leaky_relu", "he"), ("elu", "he"), ("gelu", "he"),
    ("tanh", "glorot"), ("sigmoid", "glorot"), ("softmax", "glorot"), ("linear", "glorot"),
])
def test_init_scheme_and_range(activation: str, scheme: str) -> None:
    assert init.scheme_for(activation) == scheme
    layer = build_layer({"type": "dense", "units": 200, "activation": activation}, [(300,)],
                        np.random.default_rng(0), np.float32)
    limit = math.sqrt(6 / 300) if scheme == "he" else math.sqrt(6 / 500)
    weight = layer.weight.data
    assert weight.dtype == np.float32 and np.abs(weight).max() <= limit
    assert np.abs(weight).max() > 0.99 * limit  # the full range is used
    assert abs(weight.std() - limit / math.sqrt(3)) < 0.01 * limit  # uniform's std
    assert not layer.bias.data.any()
    conv = build_layer({"type": "conv2d", "filters": 8, "kernel_size": 3, "activation": activation},
                       [(4, 6, 6)], np.random.default_rng(1), np.float32)
    conv_limit = math.sqrt(6 / 36) if scheme == "he" else math.sqrt(6 / (36 + 72))
    assert np.abs(conv.weight.data).max() <= conv_limit
    assert np.abs(conv.weight.data).max() > 0.95 * conv_limit


def test_init_is_reproducible_per_seed() -> None:
    a = build_layer({"type": "dense", "units": 3}, [(4,)], np.random.default_rng(7), np.float32)
    b = build_layer({"type": "dense", "units": 3}, [(4,)], np.random.default_rng(7), np.float32)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)


def test_parameter_names_and_shapes() -> None:
    rng = np.random.default_rng(0)
    dense = build_layer({"type": "dense", "units": 3}, [(5,)], rng, np.float32)
    assert [(n, p.shape) for n, p in dense.named_parameters()] == [("weight", (5, 3)), ("bias", (3,))]
    conv = build_layer({"type": "conv2d", "filters": 4, "kernel_size": 2}, [(3, 6, 6)], rng, np.float32)
    assert [(n, p.shape) for n, p in conv.named_parameters()] == [("weight", (4, 3, 2, 2)), ("bias", (4,))]
    bn = build_layer({"type": "batchnorm"}, [(3, 4, 4)], rng, np.float32)
    assert [n for n, _ in bn.named_parameters()] == ["gamma", "beta"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var"]
    for kind in ("flatten", "dropout", "add", "concat", "maxpool2d"):
        shapes = [(2, 4, 4), (2, 4, 4)] if kind in ("add", "concat") else [(2, 4, 4)]
        assert build_layer({"type": kind}, shapes, rng, np.float32).parameters() == []


def test_flops_per_sample() -> None:
    rng = np.random.default_rng(0)
    assert build_layer({"type": "dense", "units": 3}, [(5,)], rng).flops() == 2 * 5 * 3 + 3
    assert build_layer({"type": "dense", "units": 3, "activation": "relu"}, [(5,)], rng).flops() == 36
    conv = build_layer({"type": "conv2d", "filters": 4, "kernel_size": 3}, [(2, 6, 6)], rng)
    assert conv.flops() == 2 * 2 * 9 * 4 * 16 + 4 * 16
    assert build_layer({"type": "maxpool2d"}, [(2, 6, 6)], rng).flops() == 2 * 9 * 4
    assert build_layer({"type": "add"}, [(4,), (4,), (4,)], rng).flops() == 8
    assert build_layer({"type": "flatten"}, [(2, 6, 6)], rng).flops() == 0


def test_preactivation_and_activation_attributes() -> None:
    rng = np.random.default_rng(0)
    layer = build_layer({"type": "dense", "units": 4, "activation": "relu"}, [(3,)], rng)
    assert layer.activation == "relu" and layer.preactivation is None
    out = layer.forward(Tensor(rng.standard_normal((5, 3)).astype(np.float32)))
    np.testing.assert_array_equal(out.data, np.maximum(layer.preactivation.data, 0))
    conv = build_layer({"type": "conv2d", "filters": 2, "activation": "tanh"}, [(1, 5, 5)], rng)
    out = conv.forward(Tensor(rng.standard_normal((2, 1, 5, 5)).astype(np.float32)))
    np.testing.assert_allclose(out.data, np.tanh(conv.preactivation.data), rtol=1e-6)
    linear = build_layer({"type": "dense", "units": 2}, [(3,)], rng)
    out = linear.forward(Tensor(np.ones((1, 3), np.float32)))
    assert linear.preactivation is out


def test_dropout_train_and_eval() -> None:
    layer = build_layer({"type": "dropout", "rate": 0.25}, [(1000,)], np.random.default_rng(0))
    x = Tensor(np.ones((20, 1000), np.float32), requires_grad=True)
    out = layer.forward(x)
    kept = out.data != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(out.data[kept], 1 / 0.75, rtol=1e-6)
    out.backward(np.ones(out.shape, np.float32))
    np.testing.assert_array_equal(x.grad, out.data)  # the saved mask scales the gradient
    assert not np.array_equal(layer.forward(x).data, out.data)  # a fresh mask each step
    layer.eval()
    assert layer.forward(x) is x


def test_batchnorm_eval_uses_running_statistics() -> None:
    rng = np.random.default_rng(0)
    layer = build_layer({"type": "batchnorm"}, [(3,)], rng)
    x = rng.standard_normal((50, 3)).astype(np.float32) * 3 + 5
    for _ in range(120):  # 0.9**120: the start values have faded
        layer.forward(Tensor(x))
    np.testing.assert_allclose(layer.running_mean.data, x.mean(0), rtol=1e-3)
    np.testing.assert_allclose(layer.running_var.data, x.var(0, ddof=1), rtol=1e-3)
    layer.eval()
    before = layer.running_mean.data.copy()
    with no_grad():
        out = layer.forward(Tensor(x[:2]))
    np.testing.assert_array_equal(layer.running_mean.data, before)
    expected = (x[:2] - layer.running_mean.data) / np.sqrt(layer.running_var.data + 1e-5)
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-6)


def test_float64_layers() -> None:
    rng = np.random.default_rng(0)
    layer = build_layer({"type": "conv2d", "filters": 2, "padding": "same"}, [(1, 4, 4)], rng, np.float64)
    assert layer.weight.dtype == np.float64
    out = layer.forward(Tensor(rng.standard_normal((2, 1, 4, 4))))
    assert out.dtype == np.float64


@pytest.mark.parametrize("loss,args,problem", [
    ("mse", ("regression", (1,), "linear", None, 1), None),
    ("mse", ("regression", (1,), "linear", None, 2), "2 unit"),
    ("mse", ("classification", (2,), "softmax", 2, None), "binary_crossentropy"),
    ("huber", ("regression", (3,), "tanh", None, 3), None),
    ("binary_crossentropy", ("classification", (1,), "sigmoid", 2, None), None),
    ("binary_crossentropy", ("classification", (1,), "tanh", 2, None), "sigmoid"),
    ("binary_crossentropy", ("classification", (2,), "sigmoid", 2, None), "1 unit"),
    ("binary_crossentropy", ("classification", (1,), "sigmoid", 3, None), "categorical_crossentropy"),
    ("binary_crossentropy", ("regression", (1,), "sigmoid", None, 1), "mse"),
    ("categorical_crossentropy", ("classification", (3,), "softmax", 3, None), None),
    ("categorical_crossentropy", ("classification", (2,), "softmax", 3, None), "3 units"),
    ("categorical_crossentropy", ("classification", (3,), "linear", 3, None), "softmax"),
])
def test_loss_check_messages(loss: str, args: tuple, problem: str | None) -> None:
    result = LOSSES.entries[loss].check(*args)
    if problem is None:
        assert result is None
    else:
        assert result is not None and problem in result, result


def test_losses_per_sample_shapes() -> None:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), 6).astype(np.float32)
    assert LOSSES.entries["categorical_crossentropy"]().per_sample(probs, np.arange(6) % 3).shape == (6,)
    p = rng.uniform(0, 1, (6, 1)).astype(np.float32)
    values = LOSSES.entries["binary_crossentropy"]().per_sample(p, np.arange(6) % 2)
    assert values.shape == (6,) and values.dtype == np.float32
    for name in ("mse", "huber"):
        values = LOSSES.entries[name]().per_sample(p, rng.standard_normal((6, 1)))
        assert values.shape == (6,) and values.dtype == np.float32


@pytest.mark.parametrize("name", ["mse", "huber"])
def test_regression_losses_agree_with_their_per_sample_values(name: str) -> None:
    rng = np.random.default_rng(2)
    output = rng.standard_normal((5, 2)) * 2
    target = rng.standard_normal((5, 2))
    loss = LOSSES.entries[name]()
    per_sample = loss.per_sample(output, target)
    assert per_sample.shape == (5,)
    np.testing.assert_allclose(float(loss(Tensor(output), target).data), per_sample.mean(),
                               rtol=1e-12)
    diff = output - target
    if name == "mse":
        np.testing.assert_allclose(per_sample, (diff ** 2).mean(axis=1), rtol=1e-12)
    else:
        expected = np.where(np.abs(diff) <= 1, 0.5 * diff ** 2, np.abs(diff) - 0.5)
        np.testing.assert_allclose(per_sample, expected.mean(axis=1), rtol=1e-12)
    problem = LOSSES.entries[name].check("classification", (2,), "softmax", 2, None)
    assert problem is not None and problem.startswith(name)


def test_loss_keeps_float32_with_float64_targets() -> None:
    out = Tensor(np.ones((4, 2), np.float32), requires_grad=True)
    loss = LOSSES.entries["mse"]()(out, np.zeros((4, 2)))
    assert loss.dtype == np.float32 and loss.shape == ()
    loss.backward()
    assert out.grad.dtype == np.float32


def test_catalog_fills_every_registry() -> None:
    from engine.registry import OPTIMIZERS, REGULARIZERS, SOURCES
    catalog.load_all()
    assert {"sgd", "adam"} <= set(OPTIMIZERS.names())
    assert {"l1", "l2"} <= set(REGULARIZERS.names())
    assert {"spiral", "digits"} <= set(SOURCES.names())
    assert len(LOSSES.names()) == 4 and len(ACTIVATIONS.names()) == 8


def _channel_major(array: np.ndarray) -> np.ndarray:
    """The same values stored channel-major, as a conv output is."""
    return np.ascontiguousarray(array.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)


@pytest.mark.parametrize("spec", [
    {"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same"},
    {"type": "conv2d", "filters": 3, "kernel_size": 2, "stride": 2},
    {"type": "maxpool2d"}, {"type": "maxpool2d", "pool_size": 3, "stride": 1},
    {"type": "avgpool2d"}, {"type": "batchnorm"}, {"type": "flatten"},
    {"type": "activation", "function": "gelu"}, {"type": "reshape", "shape": [2, 3, 12]},
])
def test_memory_layout_does_not_change_results(spec: dict) -> None:
    rng = np.random.default_rng(0)
    data = rng.standard_normal((3, 2, 6, 6))
    results = []
    for layout in (np.ascontiguousarray, _channel_major):
        layer = build_layer(spec, [(2, 6, 6)], np.random.default_rng(1), np.float64)
        x = Tensor(layout(data), requires_grad=True)
        out = layer.forward(x)
        grad = np.random.default_rng(2).standard_normal(out.shape)
        out.backward(layout(grad) if grad.ndim == 4 else grad)
        results.append((out.data, x.grad, [p.grad for p in layer.parameters()]))
    (out_a, grad_a, params_a), (out_b, grad_b, params_b) = results
    np.testing.assert_allclose(out_a, out_b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad_a, grad_b, rtol=1e-12, atol=1e-12)
    for a, b in zip(params_a, params_b):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_large_inference_batches_run_in_bounded_sub_batches(monkeypatch) -> None:
    from engine.ops import conv as conv_ops
    rng = np.random.default_rng(0)
    layer = build_layer({"type": "conv2d", "filters": 3, "padding": "same"}, [(2, 5, 5)], rng, np.float64)
    x = rng.standard_normal((10, 2, 5, 5))
    whole = layer.forward(Tensor(x)).data
    per_sample = 2 * 9 * (5 + 2 + 1) * (5 + 2) * 8  # channels*k*k * padded rows (+1) * cols * bytes
    monkeypatch.setattr(conv_ops, "INFERENCE_COLUMN_BYTES", 3 * per_sample)
    sizes = []
    original = conv_ops.Conv2d._forward

    def spy(self, x, weight, bias):
        sizes.append(len(x))
        return original(self, x, weight, bias)
    monkeypatch.setattr(conv_ops.Conv2d, "_forward", spy)
    with no_grad():
        chunked = layer.forward(Tensor(x)).data
    assert sizes == [3, 3, 3, 1]
    np.testing.assert_allclose(chunked, whole, rtol=1e-12)
    sizes.clear()
    layer.forward(Tensor(x))  # recording: one batch, the columns are kept for backward
    assert sizes == [10]


def test_infer_shape_fills_defaults_itself() -> None:
    assert LAYERS.entries["conv2d"].infer_shape({"filters": 2}, [(1, 5, 5)]) == (2, 3, 3)
    assert LAYERS.entries["maxpool2d"].infer_shape({}, [(1, 5, 5)]) == (1, 2, 2)
    assert LAYERS.entries["dense"].infer_shape({"units": 4}, [(3,)]) == (4,)
