"""Numerical edge cases: float64 end to end, huge logits, blank and constant inputs."""
from __future__ import annotations

import numpy as np
import pytest

from engine.modelfile import model_bytes, model_from_bytes
from engine.project import parse_project, prepare
from engine.trainer import Trainer


def project(data: dict, layers: list, **training):
    """A parsed project with batch size 16 unless given."""
    return parse_project({"layerlab": 1, "seed": 2, "data": data,
                          "network": {"layers": layers},
                          "training": {"batch_size": 16, **training}})


def test_float64_end_to_end():
    raw = project({"source": "spiral", "samples": 120, "noise": 0.1},
                  [{"type": "dense", "units": 8, "activation": "tanh"},
                   {"type": "batchnorm"}, {"type": "dropout", "rate": 0.2},
                   {"type": "dense", "units": 1, "activation": "sigmoid"}],
                  regularization={"type": "l2", "rate": 0.001})
    trainer = Trainer(raw, prepare(raw, dtype=np.float64))
    trainer.fit(3)
    record = trainer.step(record=True)
    assert trainer.optimizer.dtype == np.float64 and trainer.x_train.dtype == np.float64
    assert record.output.dtype == np.float64
    assert all(p.data.dtype == np.float64 for p in trainer.model.parameters())
    assert all(np.isfinite(row["train_loss"]) for row in trainer.history)
    assert trainer.history[-1]["train_loss"] < trainer.history[0]["train_loss"] + 0.05
    saved = model_from_bytes(model_bytes(trainer))
    assert saved.model.dtype == np.float64
    x = trainer.dataset.x_test
    np.testing.assert_array_equal(saved.predict(x)[:, 1],
                                  trainer.model.predict(trainer.x_test)[:, 0])


@pytest.mark.parametrize("output", [{"type": "dense", "units": 1, "activation": "sigmoid"},
                                    {"type": "dense", "units": 2, "activation": "softmax"}])
def test_huge_logits_give_finite_losses_and_gradients(output):
    trainer = Trainer(project({"source": "xor", "samples": 100}, [output]))
    weight = trainer.model.layers["dense_1"].weight
    weight.data[...] = np.where(weight.data >= 0, 1.0, -1.0) * 1e4  # logits of about ±1e4
    x = trainer.x_train
    logits = x @ weight.data
    assert np.abs(logits).max() > 1e4
    record = trainer.step(record=True)
    assert np.isfinite(record.loss) and record.loss > 100  # confidently wrong costs a lot
    grads = list(record.param_grads.values())
    assert all(np.all(np.isfinite(g)) for g in grads)
    # Cross-entropy gradients w.r.t. logits are bounded by 1 per sample, whatever the logit.
    assert max(np.abs(g).max() for g in grads) <= 2 * np.abs(x).max() + 1e-3
    assert not trainer.diverged
    assert all(np.isfinite(v) for v in trainer.evaluate().values() if v is not None)


def test_exact_cross_entropy_of_huge_logits():
    """Step losses come from the logits (not clipped probabilities): softplus(-z) for y = 1."""
    trainer = Trainer(project({"source": "xor", "samples": 100},
                              [{"type": "dense", "units": 1, "activation": "sigmoid"}],
                              batch_size=70, optimizer={"type": "sgd", "learning_rate": 1e-9}))
    trainer.model.layers["dense_1"].weight.data[...] = [[3000.0], [-3000.0]]
    z = (trainer.x_train @ trainer.model.layers["dense_1"].weight.data)[:, 0].astype(np.float64)
    y = trainer.y_train
    expected = np.mean(np.logaddexp(0.0, z) - y * z)
    assert trainer.step().loss == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("column", ["zeros", "constant"])
def test_blank_and_constant_features_train(tmp_path, column):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    x[:, 1] = 0.0 if column == "zeros" else 7.5
    if column == "zeros":
        x[:, 2] = 0.0
    np.savez(tmp_path / "d.npz", x=x, y=(x[:, 0] > 0).astype(np.int64))
    raw = project({"source": "npz", "path": str(tmp_path / "d.npz")},
                  [{"type": "dense", "units": 4, "activation": "relu"},
                   {"type": "dense", "units": 1, "activation": "sigmoid"}],
                  optimizer={"type": "adam", "learning_rate": 0.05})
    trainer = Trainer(raw)
    assert np.all(trainer.preprocessor.std[1:] == 1.0 if column == "zeros"
                  else trainer.preprocessor.std[1] == 1.0)
    np.testing.assert_allclose(trainer.x_train[:, 1], 0.0, atol=1e-6)
    trainer.fit(10)
    assert not trainer.diverged and trainer.evaluate()["train_accuracy"] > 0.8


def test_all_zero_images_train(tmp_path):
    np.savez(tmp_path / "blank.npz", x=np.zeros((20, 6, 6)), y=np.arange(20) % 2)
    raw = project({"source": "npz", "path": str(tmp_path / "blank.npz")},
                  [{"type": "conv2d", "filters": 2, "kernel_size": 3}, {"type": "batchnorm"},
                   {"type": "flatten"}, {"type": "dense", "units": 2, "activation": "softmax"}])
    trainer = Trainer(raw)
    trainer.fit(2)
    assert not trainer.diverged
    assert trainer.evaluate()["train_loss"] == pytest.approx(np.log(2), abs=0.05)


def test_empty_batches_flow_through_every_layer_and_probe():
    """A test split of zero images reaches conv, pools, batchnorm, dropout and the probes."""
    import warnings

    from engine import probes
    from engine.graph import build_model
    from engine.tensor import Tensor

    layers = [{"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same"},
              {"type": "conv2d", "filters": 3, "kernel_size": 3, "stride": 2},
              {"type": "batchnorm"}, {"type": "maxpool2d", "pool_size": 2},
              {"type": "dropout", "rate": 0.5}, {"type": "flatten"},
              {"type": "dense", "units": 4, "activation": "softmax"}]
    model = build_model(layers, (1, 8, 8), seed=0)
    empty = np.zeros((0, 1, 8, 8), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "mean of empty slice" either
        for training in (True, False):
            model.train(training)
            x = Tensor(empty, requires_grad=True)
            output = model.forward(x)
            output.sum().backward()
            assert output.shape == (0, 4) and x.grad.shape == empty.shape
        assert probes.layer_outputs(model, empty)["dense_1"].shape == (0, 4)
        report = probes.evaluate_confusion(model, empty, np.zeros(0, np.int64), 4)
        assert report.matrix.shape == (4, 4) and report.matrix.sum() == 0
