"""Optimizers and regularizers: hand-computed steps, the flat buffer, and torch.optim parity."""
import math

import numpy as np
import pytest

from engine.errors import ProjectError
from engine.module import Parameter
from engine.optim import OPTIMIZERS, make_optimizer
from engine.regularization import L1, L2, is_regularized, make_regularizer


def _params(dtype=np.float32):
    return [("dense_1.weight", Parameter(np.array([[1.0, -2.0], [0.5, 0.0]], dtype=dtype))),
            ("dense_1.bias", Parameter(np.array([0.1, -0.1], dtype=dtype))),
            ("dense_2.weight", Parameter(np.array([[3.0], [-1.0]], dtype=dtype)))]


def _set_grads(named, grads):
    for (_, p), g in zip(named, grads):
        p.grad = np.asarray(g, dtype=p.data.dtype)


GRADS = [np.array([[0.5, -1.0], [2.0, 0.0]]), np.array([1.0, -0.5]), np.array([[0.25], [4.0]])]


def test_parameters_become_views_of_one_flat_buffer():
    named = _params()
    optimizer = make_optimizer(named, {"type": "sgd"})
    assert optimizer.flat.dtype == np.float32
    assert optimizer.size == 8
    for _, p in named:
        assert np.shares_memory(p.data, optimizer.flat)
    # Weights come first so regularizers see one contiguous slice.
    assert optimizer.weight_count == 6
    np.testing.assert_array_equal(np.sort(optimizer.weights), [-2.0, -1.0, 0.0, 0.5, 1.0, 3.0])
    named[0][1].data[0, 0] = 7.0
    assert 7.0 in optimizer.flat


def test_defaults_follow_the_declarations():
    assert make_optimizer(_params(), {"type": "sgd"}).learning_rate == pytest.approx(0.01)
    adam = make_optimizer(_params(), {"type": "adam"})
    assert adam.learning_rate == pytest.approx(0.001)
    assert adam.settings == {"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    assert make_optimizer(_params(), {"type": "adamw"}).settings["weight_decay"] == 0.01
    assert make_optimizer(_params(), {"type": "rmsprop"}).settings["rho"] == 0.99
    lr = {p.name: p for p in OPTIMIZERS.entries["adam"].params}["learning_rate"]
    assert lr.log_scale and lr.exclusive_minimum


def test_learning_rate_and_settings_stay_one_value():
    optimizer = make_optimizer(_params(), {"type": "adam", "learning_rate": 1})
    assert optimizer.learning_rate == 1.0 and isinstance(optimizer.learning_rate, float)
    optimizer.learning_rate = 0.25
    assert optimizer.settings["learning_rate"] == 0.25


def test_bad_settings_are_project_errors_with_a_place():
    with pytest.raises(ProjectError, match="training.optimizer.learning_rate"):
        make_optimizer(_params(), {"type": "adam", "learning_rate": -1.0})
    with pytest.raises(ProjectError, match="training.optimizer.nesterov"):
        make_optimizer(_params(), {"type": "sgd", "nesterov": True})
    with pytest.raises(ProjectError, match="training.optimizer.type"):
        make_optimizer(_params(), {"type": "lbfgs"})
    with pytest.raises(ProjectError, match="unknown field"):
        make_optimizer(_params(), {"type": "sgd", "beta1": 0.9})


def test_sgd_plain_and_momentum_by_hand():
    named = _params(np.float64)
    optimizer = make_optimizer(named, {"type": "sgd", "learning_rate": 0.1, "momentum": 0.9})
    w0 = named[0][1].data.copy()
    _set_grads(named, GRADS)
    optimizer.step()
    np.testing.assert_allclose(named[0][1].data, w0 - 0.1 * GRADS[0])
    _set_grads(named, GRADS)
    optimizer.step()
    # buffer = 0.9·g + g = 1.9·g
    np.testing.assert_allclose(named[0][1].data, w0 - 0.1 * GRADS[0] - 0.1 * 1.9 * GRADS[0])


def test_sgd_nesterov_by_hand():
    named = _params(np.float64)
    optimizer = make_optimizer(named, {"type": "sgd", "learning_rate": 0.1, "momentum": 0.5,
                                       "nesterov": True})
    b0 = named[1][1].data.copy()
    _set_grads(named, GRADS)
    optimizer.step()  # buffer = g; step = g + 0.5·g
    np.testing.assert_allclose(named[1][1].data, b0 - 0.1 * 1.5 * GRADS[1])


def test_adam_first_step_moves_each_weight_by_about_the_learning_rate():
    named = _params(np.float64)
    optimizer = make_optimizer(named, {"type": "adam", "learning_rate": 0.01})
    w0 = named[0][1].data.copy()
    _set_grads(named, GRADS)
    optimizer.step()
    g = GRADS[0]
    m = 0.1 * g
    v = 0.001 * g * g
    expected = w0 - 0.01 / 0.1 * m / (np.sqrt(v) / math.sqrt(0.001) + 1e-8)
    np.testing.assert_allclose(named[0][1].data, expected, rtol=1e-12)
    state = optimizer.state_for("dense_1.weight")
    np.testing.assert_allclose(state["m"], m)
    np.testing.assert_allclose(state["v"], v)


def test_rmsprop_and_adamw_by_hand():
    named = _params(np.float64)
    optimizer = make_optimizer(named, {"type": "rmsprop", "learning_rate": 0.01})
    b0 = named[1][1].data.copy()
    _set_grads(named, GRADS)
    optimizer.step()
    v = 0.01 * GRADS[1] ** 2
    np.testing.assert_allclose(named[1][1].data, b0 - 0.01 * GRADS[1] / (np.sqrt(v) + 1e-8))

    named = _params(np.float64)
    optimizer = make_optimizer(named, {"type": "adamw", "learning_rate": 0.1,
                                       "weight_decay": 0.5}, record_update=True)
    b0 = named[1][1].data.copy()
    _set_grads(named, GRADS)
    optimizer.step()
    adam_step = 0.1 * np.sign(GRADS[1])  # first Adam step is lr·sign(g) (ε aside)
    expected = b0 * (1 - 0.1 * 0.5) - adam_step
    np.testing.assert_allclose(named[1][1].data, expected, rtol=1e-6)
    np.testing.assert_allclose(optimizer.last_update["dense_1.bias"], expected - b0, rtol=1e-6)


def test_record_update_is_off_by_default_and_missing_grads_count_as_zero():
    named = _params()
    optimizer = make_optimizer(named, {"type": "sgd", "learning_rate": 1.0})
    before = [p.data.copy() for _, p in named]
    named[0][1].grad = np.ones((2, 2), dtype=np.float32)
    optimizer.step()
    assert optimizer.last_update == {}
    np.testing.assert_array_equal(named[0][1].data, before[0] - 1.0)
    np.testing.assert_array_equal(named[1][1].data, before[1])


def test_last_update_describes_the_last_step_only():
    named = _params()
    optimizer = make_optimizer(named, {"type": "sgd", "learning_rate": 1.0}, record_update=True)
    _set_grads(named, GRADS)
    optimizer.step()
    np.testing.assert_array_equal(optimizer.last_update["dense_1.bias"], -GRADS[1])
    optimizer.record_update = False
    _set_grads(named, GRADS)
    optimizer.step()
    assert optimizer.last_update == {}


def test_weight_views_follow_the_buffer_through_load_state():
    named = _params()
    optimizer = make_optimizer(named, {"type": "sgd", "learning_rate": 1.0})
    saved = optimizer.save_state()
    _set_grads(named, GRADS)
    optimizer.step()
    np.testing.assert_array_equal(optimizer.weight_grads,
                                  np.concatenate([GRADS[0].ravel(), GRADS[2].ravel()]))
    optimizer.load_state(saved)
    assert np.shares_memory(optimizer.weights, optimizer.flat)
    np.testing.assert_array_equal(np.sort(optimizer.weights), [-2.0, -1.0, 0.0, 0.5, 1.0, 3.0])
    assert not optimizer.weight_grads.any()


def test_save_and_load_state_round_trip():
    named = _params()
    optimizer = make_optimizer(named, {"type": "adam"})
    _set_grads(named, GRADS)
    optimizer.step()
    saved = optimizer.save_state()
    weights = named[2][1].data.copy()
    _set_grads(named, GRADS)
    optimizer.step()
    assert not np.array_equal(named[2][1].data, weights)
    optimizer.load_state(saved)
    np.testing.assert_array_equal(named[2][1].data, weights)
    assert optimizer.step_count == 1


def test_float64_parameters_keep_float64():
    optimizer = make_optimizer(_params(np.float64), {"type": "adam"})
    assert optimizer.flat.dtype == np.float64


def test_regularizers_touch_weights_only():
    assert is_regularized("conv2d_1.weight") and not is_regularized("dense_1.bias")
    assert not is_regularized("batchnorm_1.gamma")
    named = _params(np.float64)
    l2 = L2({"rate": 0.1})
    assert l2.penalty(named) == pytest.approx(0.1 * 0.5 * (1 + 4 + 0.25 + 9 + 1))
    l1 = L1({"rate": 0.1})
    assert l1.penalty(named) == pytest.approx(0.1 * (1 + 2 + 0.5 + 3 + 1))
    _set_grads(named, GRADS)
    l2.add_gradient(named)
    np.testing.assert_allclose(named[0][1].grad, GRADS[0] + 0.1 * named[0][1].data)
    np.testing.assert_allclose(named[1][1].grad, GRADS[1])
    _set_grads(named, GRADS)
    l1.add_gradient(named)
    np.testing.assert_allclose(named[2][1].grad, GRADS[2] + 0.1 * np.sign(named[2][1].data))
    # The flat path agrees with the per-parameter path.
    optimizer = make_optimizer(named, {"type": "sgd"})
    assert l2.penalty_flat(optimizer.weights) == pytest.approx(l2.penalty(named))
    assert make_regularizer(None) is None
    assert make_regularizer({"type": "l2", "rate": 0.0}) is None
    assert isinstance(make_regularizer({"type": "l1", "rate": 0.01}), L1)
    with pytest.raises(ProjectError, match="training.regularization.rate"):
        make_regularizer({"type": "l2", "rate": -1})


TORCH_CASES = [
    ({"type": "sgd", "learning_rate": 0.1}, "SGD", {"lr": 0.1}),
    ({"type": "sgd", "learning_rate": 0.05, "momentum": 0.9}, "SGD", {"lr": 0.05, "momentum": 0.9}),
    ({"type": "sgd", "learning_rate": 0.05, "momentum": 0.9, "nesterov": True}, "SGD",
     {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ({"type": "rmsprop", "learning_rate": 0.01, "rho": 0.9}, "RMSprop", {"lr": 0.01, "alpha": 0.9}),
    ({"type": "adam", "learning_rate": 0.01, "beta1": 0.8}, "Adam",
     {"lr": 0.01, "betas": (0.8, 0.999)}),
    ({"type": "adamw", "learning_rate": 0.01, "weight_decay": 0.1}, "AdamW",
     {"lr": 0.01, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("settings,torch_name,torch_args", TORCH_CASES,
                         ids=[case[0]["type"] + str(i) for i, case in enumerate(TORCH_CASES)])
def test_matches_torch_optim_over_several_steps(settings, torch_name, torch_args, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    shapes = {"dense_1.weight": (5, 4), "dense_1.bias": (4,), "conv2d_1.weight": (2, 1, 3, 3)}
    initial = {name: rng.normal(size=shape).astype(dtype) for name, shape in shapes.items()}
    named = [(name, Parameter(value.copy())) for name, value in initial.items()]
    optimizer = make_optimizer(named, settings)
    tensors = [torch.tensor(value.copy(), requires_grad=True) for value in initial.values()]
    reference = getattr(torch.optim, torch_name)(tensors, **torch_args)
    for _ in range(6):
        grads = [rng.normal(size=shape).astype(dtype) for shape in shapes.values()]
        _set_grads(named, grads)
        for tensor, g in zip(tensors, grads):
            tensor.grad = torch.tensor(g)
        optimizer.step()
        reference.step()
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    for (_, p), tensor in zip(named, tensors):
        np.testing.assert_allclose(p.data, tensor.detach().numpy(), rtol=tolerance, atol=tolerance)
