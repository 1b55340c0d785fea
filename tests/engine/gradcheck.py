"""Gradient-check factory: every op, layer type and loss as a case, checked against central
differences in float64 (and reused in float32 to check that nothing upcasts)."""
from __future__ import annotations

from typing import Callable

import numpy as np

from engine import catalog
from engine.ops import basic
from engine.ops.activation import SigmoidOp, SoftmaxOp
from engine.ops.conv import Conv2d
from engine.ops.loss import (Huber, MeanSquaredError, ProbabilityBinaryCrossEntropy,
                             ProbabilityCrossEntropy, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy)
from engine.ops.nn import AddN, Concat, Dropout, Linear, dropout_mask
from engine.ops.norm import BatchNorm
from engine.ops.pool import AvgPool2d, MaxPool2d
from engine.registry import ACTIVATIONS, LAYERS, LOSSES
from engine.tensor import Tensor

catalog.load_all()

Case = tuple[Callable[[], Tensor], list[Tensor]]
Builder = Callable[[np.random.Generator, type], Case]


def leaf(rng: np.random.Generator, shape: tuple, dtype, low: float | None = None,
         high: float | None = None) -> Tensor:
    """A random tensor that requires a gradient (normal, or uniform in [low, high])."""
    if low is None:
        data = rng.standard_normal(shape)
    else:
        data = rng.uniform(low, high, size=shape)
    return Tensor(data.astype(dtype), requires_grad=True)


def analytic_gradients(fn: Callable[[], Tensor], leaves: list[Tensor],
                       out_grad: np.ndarray) -> list[np.ndarray]:
    """Gradients of sum(fn() * out_grad) with respect to each leaf, by backward."""
    for tensor in leaves:
        tensor.grad = None
    out = fn()
    out.backward(out_grad.astype(out.dtype))
    return [tensor.grad for tensor in leaves]


def numeric_gradients(fn: Callable[[], Tensor], leaves: list[Tensor], out_grad: np.ndarray,
                      eps: float = 1e-6) -> list[np.ndarray]:
    """The same gradients by central differences, one element at a time."""
    results = []
    for tensor in leaves:
        grad = np.zeros_like(tensor.data)
        flat = tensor.data.reshape(-1)
        for index in range(flat.size):
            saved = flat[index]
            flat[index] = saved + eps
            plus = float((fn().data * out_grad).sum())
            flat[index] = saved - eps
            minus = float((fn().data * out_grad).sum())
            flat[index] = saved
            grad.reshape(-1)[index] = (plus - minus) / (2 * eps)
        results.append(grad)
    return results


def run_case(builder: Builder, dtype=np.float64, seed: int = 0) -> tuple[Tensor, list, list]:
    """Build a case and return (output, leaves, analytic gradients)."""
    rng = np.random.default_rng(seed)
    fn, leaves = builder(rng, dtype)
    out = fn()
    out_grad = np.random.default_rng(seed + 1).standard_normal(out.shape)
    return out, leaves, analytic_gradients(fn, leaves, out_grad)


def check_case(builder: Builder, seed: int = 0, rtol: float = 1e-5, atol: float = 1e-7) -> None:
    """Assert analytic and numeric gradients agree in float64."""
    rng = np.random.default_rng(seed)
    fn, leaves = builder(rng, np.float64)
    out = fn()
    assert out.dtype == np.float64, f"output dtype {out.dtype}"
    out_grad = np.random.default_rng(seed + 1).standard_normal(out.shape)
    analytic = analytic_gradients(fn, leaves, out_grad)
    numeric = numeric_gradients(fn, leaves, out_grad)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        assert a is not None, f"leaf {i} got no gradient"
        assert a.shape == n.shape
        np.testing.assert_allclose(a, n, rtol=rtol, atol=atol, err_msg=f"leaf {i}")


# ---- op cases -------------------------------------------------------------------------------

def _binary(function, low=None, high=None, shapes=((3, 4), (3, 4))):
    def build(rng, dtype):
        a = leaf(rng, shapes[0], dtype, low, high)
        b = leaf(rng, shapes[1], dtype, low, high)
        return (lambda: function(a, b)), [a, b]
    return build


def _unary(function, shape=(3, 4), low=None, high=None):
    def build(rng, dtype):
        x = leaf(rng, shape, dtype, low, high)
        return (lambda: function(x)), [x]
    return build


def _conv(shape, filters, kernel, stride, padding):
    def build(rng, dtype):
        x = leaf(rng, shape, dtype)
        w = leaf(rng, (filters, shape[1], kernel, kernel), dtype)
        b = leaf(rng, (filters,), dtype)
        return (lambda: Conv2d.apply(x, w, b, stride=stride, padding=padding)), [x, w, b]
    return build


def _batchnorm(shape, training):
    def build(rng, dtype):
        x = leaf(rng, shape, dtype)
        gamma = leaf(rng, (shape[1],), dtype, 0.5, 1.5)
        beta = leaf(rng, (shape[1],), dtype)
        mean = rng.standard_normal(shape[1]).astype(dtype)
        var = rng.uniform(0.5, 2.0, shape[1]).astype(dtype)
        return (lambda: BatchNorm.apply(x, gamma, beta, running_mean=mean.copy(),
                                        running_var=var.copy(), training=training)), [x, gamma, beta]
    return build


def _dropout(rng, dtype):
    x = leaf(rng, (4, 6), dtype)
    mask = dropout_mask((4, 6), 0.5, np.random.default_rng(3), dtype)
    return (lambda: Dropout.apply(x, mask=mask)), [x]


def _labels(rng, n, classes):
    return rng.integers(0, classes, size=n)


def _loss_op(op, kind):
    def build(rng, dtype):
        if kind == "logits_multi":
            x, options = leaf(rng, (5, 4), dtype), {"labels": _labels(rng, 5, 4)}
        elif kind == "logits_binary":
            x, options = leaf(rng, (6, 1), dtype, -4, 4), {"labels": _labels(rng, 6, 2)}
        elif kind == "probs_multi":
            x, options = leaf(rng, (5, 4), dtype, 0.05, 0.95), {"labels": _labels(rng, 5, 4)}
        elif kind == "probs_binary":
            x, options = leaf(rng, (6, 1), dtype, 0.05, 0.95), {"labels": _labels(rng, 6, 2)}
        else:
            x = leaf(rng, (5, 2), dtype, -3, 3)
            options = {"target": rng.standard_normal((5, 2)).astype(dtype)}
        return (lambda: op.apply(x, **options)), [x]
    return build


OP_CASES: dict[str, Builder] = {
    "add": _binary(basic.add),
    "add_broadcast": _binary(basic.add, shapes=((3, 4), (4,))),
    "sub_broadcast": _binary(basic.sub, shapes=((3, 1), (1, 4))),
    "mul_broadcast": _binary(basic.mul, shapes=((2, 3, 4), (3, 1))),
    "div": _binary(basic.div, 0.5, 2.0),
    "add_scalar": _unary(lambda x: x + 2.5),
    "rsub_scalar": _unary(lambda x: 2.0 - x),
    "mul_scalar": _unary(lambda x: x * -1.5),
    "div_scalar": _unary(lambda x: x / 4.0),
    "rdiv_scalar": _unary(lambda x: 3.0 / x, low=0.5, high=2.0),
    "neg": _unary(lambda x: -x),
    "power_2": _unary(lambda x: x ** 2),
    "power_3": _unary(lambda x: x ** 3),
    "power_half": _unary(lambda x: x ** 0.5, low=0.5, high=2.0),
    "matmul": _binary(basic.matmul, shapes=((3, 4), (4, 2))),
    "matmul_batched": _binary(basic.matmul, shapes=((2, 3, 4), (4, 5))),
    "sum_all": _unary(lambda x: x.sum()),
    "sum_axis": _unary(lambda x: x.sum(axis=1), shape=(2, 3, 4)),
    "sum_keepdims": _unary(lambda x: x.sum(axis=(0, 2), keepdims=True), shape=(2, 3, 4)),
    "mean_all": _unary(lambda x: x.mean()),
    "mean_axis": _unary(lambda x: x.mean(axis=-1), shape=(2, 3, 4)),
    "reshape": _unary(lambda x: x.reshape(4, 3) * x.reshape(4, 3)),
    "transpose": _unary(lambda x: basic.transpose(x, (2, 0, 1)), shape=(2, 3, 4)),
    "exp": _unary(basic.exp),
    "log": _unary(basic.log, low=0.5, high=3.0),
    "maximum": _binary(basic.maximum),
    "used_twice": _unary(lambda x: x * x + x),
    "linear": lambda rng, dtype: (lambda x, w, b: ((lambda: Linear.apply(x, w, b)), [x, w, b]))(
        leaf(rng, (5, 3), dtype), leaf(rng, (3, 4), dtype), leaf(rng, (4,), dtype)),
    "dropout": _dropout,
    "add_n": lambda rng, dtype: (lambda a, b, c: ((lambda: AddN.apply(a, b, c)), [a, b, c]))(
        leaf(rng, (2, 3), dtype), leaf(rng, (2, 3), dtype), leaf(rng, (2, 3), dtype)),
    "concat": lambda rng, dtype: (lambda a, b: ((lambda: Concat.apply(a, b, axis=1)), [a, b]))(
        leaf(rng, (2, 3, 2, 2), dtype), leaf(rng, (2, 1, 2, 2), dtype)),
    "batchnorm_1d_train": _batchnorm((6, 3), True),
    "batchnorm_2d_train": _batchnorm((3, 2, 3, 3), True),
    "batchnorm_eval": _batchnorm((3, 2, 3, 3), False),
    "conv_valid": _conv((2, 2, 5, 5), 3, 3, 1, (0, 0, 0, 0)),
    "conv_same_odd": _conv((2, 2, 5, 4), 3, 3, 1, (1, 1, 1, 1)),
    "conv_same_even": _conv((1, 2, 4, 5), 2, 2, 1, (0, 1, 0, 1)),
    "conv_stride2_valid": _conv((2, 2, 7, 6), 2, 3, 2, (0, 0, 0, 0)),
    "conv_stride2_same": _conv((1, 2, 5, 5), 2, 3, 2, (1, 1, 1, 1)),
    "conv_kernel1": _conv((2, 3, 3, 3), 2, 1, 1, (0, 0, 0, 0)),
    "maxpool_2": _unary(lambda x: MaxPool2d.apply(x, pool=2, stride=2), shape=(2, 2, 4, 5)),
    "maxpool_3_stride2": _unary(lambda x: MaxPool2d.apply(x, pool=3, stride=2), shape=(2, 2, 7, 7)),
    "maxpool_2_stride1": _unary(lambda x: MaxPool2d.apply(x, pool=2, stride=1), shape=(1, 2, 4, 4)),
    "maxpool_1": _unary(lambda x: MaxPool2d.apply(x, pool=1, stride=1), shape=(1, 2, 3, 3)),
    "maxpool_2_stride3": _unary(lambda x: MaxPool2d.apply(x, pool=2, stride=3), shape=(1, 2, 7, 8)),
    "avgpool_2": _unary(lambda x: AvgPool2d.apply(x, pool=2, stride=2), shape=(2, 2, 5, 4)),
    "avgpool_3_stride2": _unary(lambda x: AvgPool2d.apply(x, pool=3, stride=2), shape=(1, 2, 7, 7)),
    "softmax_ce": _loss_op(SoftmaxCrossEntropy, "logits_multi"),
    "sigmoid_bce": _loss_op(SigmoidBinaryCrossEntropy, "logits_binary"),
    "probability_ce": _loss_op(ProbabilityCrossEntropy, "probs_multi"),
    "probability_bce": _loss_op(ProbabilityBinaryCrossEntropy, "probs_binary"),
    "mse": _loss_op(MeanSquaredError, "regression"),
    "huber": _loss_op(Huber, "regression"),
    "sigmoid_op": _unary(SigmoidOp.apply),
    "softmax_op": _unary(SoftmaxOp.apply),
}

for _name in ACTIVATIONS.names():
    OP_CASES[f"activation_{_name}"] = _unary(ACTIVATIONS.entries[_name].apply, shape=(4, 5))


# ---- loss entries (through LOSSES, fused and probability paths) ------------------------------

def _loss_entry(name, activation, width, classes=None):
    def build(rng, dtype):
        x = leaf(rng, (6, width), dtype, -3, 3)
        if classes:
            target = rng.integers(0, classes, size=6)
        else:
            target = rng.standard_normal((6, width)).astype(np.float32)
        loss = LOSSES.entries[name]()
        apply = ACTIVATIONS.entries[activation].apply
        return (lambda: loss(apply(x), target)), [x]
    return build


LOSS_CASES: dict[str, Builder] = {
    "loss_mse": _loss_entry("mse", "linear", 2),
    "loss_huber": _loss_entry("huber", "tanh", 3),
    "loss_bce_fused": _loss_entry("binary_crossentropy", "sigmoid", 1, classes=2),
    "loss_cce_fused": _loss_entry("categorical_crossentropy", "softmax", 4, classes=4),
}


# ---- layer cases: every registered type --------------------------------------------------

LAYER_SPECS: dict[str, tuple[dict, list[tuple]]] = {
    "dense_tanh": ({"type": "dense", "units": 3, "activation": "tanh"}, [(4,)]),
    "dense_softmax": ({"type": "dense", "units": 3, "activation": "softmax"}, [(4,)]),
    "conv2d_valid_relu": ({"type": "conv2d", "filters": 2, "kernel_size": 3, "activation": "elu"},
                          [(2, 5, 5)]),
    "conv2d_same_even": ({"type": "conv2d", "filters": 2, "kernel_size": 2, "padding": "same"},
                         [(1, 4, 5)]),
    "conv2d_same_stride2": ({"type": "conv2d", "filters": 2, "kernel_size": 3, "stride": 2,
                             "padding": "same", "activation": "gelu"}, [(2, 5, 6)]),
    "maxpool2d": ({"type": "maxpool2d", "pool_size": 2}, [(2, 4, 5)]),
    "avgpool2d_stride1": ({"type": "avgpool2d", "pool_size": 2, "stride": 1}, [(2, 3, 4)]),
    "flatten": ({"type": "flatten"}, [(2, 3, 2)]),
    "dropout": ({"type": "dropout", "rate": 0.3}, [(8,)]),
    "batchnorm_1d": ({"type": "batchnorm"}, [(3,)]),
    "batchnorm_image": ({"type": "batchnorm"}, [(2, 3, 3)]),
    "activation_sigmoid": ({"type": "activation", "function": "sigmoid"}, [(5,)]),
    "reshape": ({"type": "reshape", "shape": [1, 2, 3]}, [(6,)]),
    "add": ({"type": "add"}, [(3,), (3,), (3,)]),
    "concat_1d": ({"type": "concat"}, [(3,), (2,)]),
    "concat_image": ({"type": "concat"}, [(1, 3, 3), (2, 3, 3)]),
}


def build_layer(spec: dict, shapes: list[tuple], rng: np.random.Generator, dtype=np.float32,
                layer_id: str = "layer_1"):
    """Instantiate a registered layer type from a spec dict."""
    cls = LAYERS.entries[spec["type"]]
    return cls(layer_id, {k: v for k, v in spec.items() if k != "type"}, shapes, rng, dtype)


def _layer_case(spec, shapes):
    def build(rng, dtype):
        layer = build_layer(spec, shapes, rng, dtype)
        batch = 4
        inputs = [leaf(rng, (batch,) + tuple(s), dtype) for s in shapes]
        leaves = inputs + layer.parameters()
        for p in layer.parameters():  # random values so gamma/bias gradients are generic
            p.data[...] = rng.standard_normal(p.data.shape)

        def run():
            if spec["type"] == "dropout":
                layer.rng = np.random.default_rng(11)  # the same mask for every evaluation
            return layer.forward(*inputs)
        return run, leaves
    return build


LAYER_CASES: dict[str, Builder] = {f"layer_{name}": _layer_case(*spec)
                                   for name, spec in LAYER_SPECS.items()}

ALL_CASES: dict[str, Builder] = {**OP_CASES, **LOSS_CASES, **LAYER_CASES}
