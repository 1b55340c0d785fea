"""The Trainer on real projects: determinism, learning, records, evaluation, divergence, reset."""
import math

import numpy as np
import pytest

from engine import catalog
from engine.errors import ProjectError
from engine.metrics import accuracy, r2_score
from engine.project import parse_project, prepare
from engine.records import METRICS_COLUMNS
from engine.trainer import Trainer

catalog.load_all()


def make_trainer(seed: int = 3, data: dict | None = None, layers: list | None = None,
                 training: dict | None = None) -> Trainer:
    """A Trainer for a small 2-D project (XOR by default), built as a project file would be."""
    raw = {
        "layerlab": 1, "name": "test", "seed": seed,
        "data": data or {"source": "xor", "samples": 200, "noise": 0.0, "test_fraction": 0.25},
        "network": {"layers": layers or [
            {"type": "dense", "units": 8, "activation": "tanh"},
            {"type": "dense", "units": 8, "activation": "tanh"},
            {"type": "dense", "units": 1, "activation": "sigmoid"}]},
        "training": training or {"loss": "binary_crossentropy", "batch_size": 10,
                                 "optimizer": {"type": "adam", "learning_rate": 0.03}},
    }
    project = parse_project(raw)
    return Trainer(project, prepare(project))


REGRESSION = {"source": "plane", "samples": 200, "noise": 0.0, "test_fraction": 0.25}
LINEAR_NET = [{"type": "dense", "units": 4, "activation": "tanh"},
              {"type": "dense", "units": 1, "activation": "linear"}]


def weights(trainer: Trainer) -> dict[str, np.ndarray]:
    """Copies of every parameter."""
    return {name: p.data.copy() for name, p in trainer.model.named_parameters()}


def test_same_seed_same_run_and_other_seed_differs():
    first, second, other = make_trainer(seed=3), make_trainer(seed=3), make_trainer(seed=4)
    losses = [[t.step().loss for _ in range(40)] for t in (first, second, other)]
    assert losses[0] == losses[1]
    assert losses[0] != losses[2]
    for name, value in weights(first).items():
        np.testing.assert_array_equal(value, weights(second)[name])


def test_each_epoch_is_a_permutation_of_the_training_set():
    trainer = make_trainer()
    assert trainer.n_train == 150 and trainer.steps_per_epoch == 15
    for epoch in range(2):
        seen = []
        for i in range(trainer.steps_per_epoch):
            record = trainer.step(record=True)
            seen.append(record.batch_indices)
            assert record.epoch == epoch
            assert record.epoch_end == (i == trainer.steps_per_epoch - 1)
        np.testing.assert_array_equal(np.sort(np.concatenate(seen)), np.arange(150))
    assert trainer.epoch == 2 and trainer.steps == 30


def test_learns_xor_and_keeps_history_rows():
    trainer = make_trainer()
    before = trainer.evaluate()
    history = trainer.fit(30)
    after = trainer.evaluate()
    assert len(history) == 30
    assert after["train_loss"] < 0.5 * before["train_loss"]
    assert after["train_accuracy"] > 0.9 and after["test_accuracy"] > 0.85
    assert tuple(history[0]) == METRICS_COLUMNS
    assert [row["epoch"] for row in history] == list(range(1, 31))
    assert history[-1]["step"] == 30 * trainer.steps_per_epoch
    assert history[-1]["seconds"] >= history[0]["seconds"] > 0
    assert 0 < trainer.training_seconds <= trainer.active_seconds
    assert trainer.samples_seen == 30 * 150
    assert trainer.samples_per_second == pytest.approx(4500 / trainer.training_seconds)


def test_fit_calls_back_and_stops_on_request():
    trainer = make_trainer()
    rows = []
    trainer.fit(3, on_epoch=rows.append)
    assert len(rows) == 3
    calls = []
    trainer.fit(5, should_stop=lambda: len(calls) > 20 or calls.append(1))
    assert trainer.steps == 3 * trainer.steps_per_epoch + 21
    assert len(trainer.history) == 4  # one full epoch completed before the stop


def test_evaluate_classification_matches_metrics():
    trainer = make_trainer()
    trainer.fit(2)
    result = trainer.evaluate()
    assert list(result) == ["train_loss", "test_loss", "train_accuracy", "test_accuracy"]
    output = trainer.model.predict(trainer.x_test)
    assert result["test_accuracy"] == pytest.approx(accuracy(output, trainer.y_test))
    expected = float(np.mean(trainer.loss_fn.per_sample(output, trainer.y_test)))
    assert result["test_loss"] == pytest.approx(expected, rel=1e-5)


def test_evaluate_regression_reports_r2():
    trainer = make_trainer(data=REGRESSION, layers=LINEAR_NET,
                           training={"loss": "mse", "batch_size": 10,
                                     "optimizer": {"type": "adam", "learning_rate": 0.02}})
    trainer.fit(20)
    result = trainer.evaluate()
    assert result["train_accuracy"] is None and result["test_accuracy"] is None
    output = trainer.model.predict(trainer.x_test)
    assert result["test_r2"] == pytest.approx(r2_score(output, trainer.y_test))
    assert result["train_r2"] > 0.9
    assert trainer.history[-1]["train_accuracy"] is None


def test_data_is_preprocessed_once():
    trainer = make_trainer(training={"loss": "binary_crossentropy", "batch_size": 10,
                                     "optimizer": {"type": "sgd"}})
    expected = trainer.preprocessor.transform(trainer.dataset.x_train)
    np.testing.assert_allclose(trainer.x_train, expected)
    assert trainer.x_train.dtype == np.float32 and trainer.y_train.dtype == np.int64


def test_record_contents():
    trainer = make_trainer()
    before = weights(trainer)
    record = trainer.step(record=True)
    assert record.recorded and record.step == 1 and record.batch_size == 10
    assert record.inputs.shape == (10, 2) and record.targets.shape == (10,)
    assert record.output.shape == (10, 1)
    assert set(record.activations) == {"dense_1", "dense_2", "dense_3"}
    assert record.activations["dense_1"].shape == (10, 8)
    np.testing.assert_allclose(record.activations["dense_1"],
                               np.tanh(record.preactivations["dense_1"]), rtol=1e-5, atol=1e-6)
    assert record.output_grads["dense_3"].shape == (10, 1)
    names = set(before)
    assert set(record.param_grads) == names == set(record.updates) == set(record.optimizer_state)
    for name, value in weights(trainer).items():
        np.testing.assert_allclose(record.updates[name], value - before[name], atol=1e-7)
        assert record.param_grads[name].shape == value.shape
    assert set(record.optimizer_state["dense_1.weight"]) == {"m", "v"}
    # Backprop's deltas: through the fused sigmoid + BCE and through tanh.
    p, y = record.output[:, 0].astype(np.float64), record.targets
    np.testing.assert_allclose(record.preactivation_grads["dense_3"][:, 0], (p - y) / 10,
                               rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(record.output_grads["dense_3"][:, 0],
                               (p - y) / (p * (1 - p)) / 10, rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(record.preactivation_grads["dense_1"],
                               record.output_grads["dense_1"]
                               * (1 - record.activations["dense_1"] ** 2), rtol=1e-4, atol=1e-7)
    # Records are copies: later steps leave them alone.
    kept = record.activations["dense_2"].copy()
    trainer.step()
    np.testing.assert_array_equal(record.activations["dense_2"], kept)
    plain = trainer.step()
    assert not plain.recorded and plain.activations == {}


def test_regularization_penalty_is_part_of_the_loss():
    trainer = make_trainer(training={"loss": "binary_crossentropy", "batch_size": 10,
                                     "optimizer": {"type": "sgd", "learning_rate": 0.1},
                                     "regularization": {"type": "l2", "rate": 0.01}})
    ws = weights(trainer)
    expected = 0.5 * 0.01 * sum(float((w ** 2).sum()) for n, w in ws.items()
                                if n.endswith(".weight"))
    record = trainer.step(record=True)
    assert record.penalty == pytest.approx(expected, rel=1e-5)
    assert record.loss == pytest.approx(record.data_loss + record.penalty)
    # The bias update is the data gradient only; the weight update adds rate·w.
    for name, grad in record.param_grads.items():
        np.testing.assert_allclose(record.updates[name], -0.1 * grad, rtol=1e-5, atol=1e-8)


def test_divergence_skips_the_step_and_keeps_finite_weights():
    trainer = make_trainer(data=REGRESSION, layers=LINEAR_NET,
                           training={"loss": "mse", "batch_size": 10,
                                     "optimizer": {"type": "sgd", "learning_rate": 10.0}})
    record = None
    for _ in range(2000):
        record = trainer.step()
        if record.diverged:
            break
    assert record.diverged and trainer.diverged
    assert trainer.diverged_step == trainer.steps + 1
    assert all(np.isfinite(w).all() for w in weights(trainer).values())
    # The weights are finite (though huge): evaluation runs and says how bad they are.
    assert not math.isnan(trainer.evaluate()["train_loss"])
    steps = trainer.steps
    assert trainer.step().diverged and trainer.steps == steps  # refused until reset/resume
    assert trainer.fit(2) == trainer.history


def test_divergence_after_update_restores_the_last_weights():
    trainer = make_trainer()
    trainer.fit(1)
    before = weights(trainer)
    trainer.optimizer.learning_rate = float("inf")  # bypasses validation: weights become inf
    record = trainer.step()
    assert record.diverged
    for name, value in weights(trainer).items():
        np.testing.assert_array_equal(value, before[name])
    trainer.set_learning_rate(0.01)
    trainer.resume()
    assert not trainer.step().diverged


def test_set_learning_rate_is_checked():
    trainer = make_trainer()
    trainer.set_learning_rate(0.5)
    assert trainer.optimizer.learning_rate == 0.5 and trainer.step().learning_rate == 0.5
    with pytest.raises(ProjectError, match="learning_rate"):
        trainer.set_learning_rate(-1.0)


def test_reset_restores_the_initial_weights_and_clears_history():
    fresh = make_trainer()
    initial = weights(fresh)
    fresh_losses = [fresh.step().loss for _ in range(20)]
    trainer = make_trainer()
    trainer.fit(2)
    trainer.reset()
    assert trainer.steps == 0 and trainer.epoch == 0 and trainer.history == []
    assert trainer.training_seconds == 0.0
    for name, value in weights(trainer).items():
        np.testing.assert_array_equal(value, initial[name])
    assert [trainer.step().loss for _ in range(20)] == fresh_losses


def test_changed_learning_rate_is_what_step_through_captures():
    from engine.stepthrough import capture_step
    trainer = make_trainer()
    trainer.set_learning_rate(0.2)
    capture = capture_step(trainer)
    assert capture.record.learning_rate == 0.2
    assert capture.optimizer_settings["learning_rate"] == 0.2
    assert trainer.dtype == trainer.optimizer.dtype == trainer.x_train.dtype


def test_reset_keeps_prepared_in_step_with_the_new_model():
    raw_project = make_trainer().project
    prepared = prepare(raw_project)
    original = prepared.model
    trainer = Trainer(raw_project, prepared)
    assert trainer.prepared.model is trainer.model is original
    trainer.reset()
    assert trainer.model is not original and trainer.prepared.model is trainer.model
    assert trainer.prepared.dataset is prepared.dataset
    assert prepared.model is original  # the caller's Prepared is left as it was


def test_one_step_matches_torch():
    torch = pytest.importorskip("torch")
    trainer = make_trainer()
    start = weights(trainer)
    record = trainer.step(record=True)
    linears = [torch.nn.Linear(2, 8), torch.nn.Linear(8, 8), torch.nn.Linear(8, 1)]
    with torch.no_grad():
        for i, layer in enumerate(linears, 1):
            layer.weight.copy_(torch.from_numpy(start[f"dense_{i}.weight"].T))
            layer.bias.copy_(torch.from_numpy(start[f"dense_{i}.bias"]))
    net = torch.nn.Sequential(linears[0], torch.nn.Tanh(), linears[1], torch.nn.Tanh(),
                              linears[2])
    optimizer = torch.optim.Adam(net.parameters(), lr=0.03)
    logits = net(torch.from_numpy(record.inputs))[:, 0]
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, torch.from_numpy(record.targets.astype(np.float32)))
    loss.backward()
    optimizer.step()
    assert record.loss == pytest.approx(loss.item(), rel=1e-5)
    after = weights(trainer)
    for i, layer in enumerate(linears, 1):
        np.testing.assert_allclose(after[f"dense_{i}.weight"], layer.weight.detach().numpy().T,
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_batchnorm_dropout_network_in_both_dtypes(dtype):
    raw = {"layerlab": 1, "name": "digits", "seed": 1,
           "data": {"source": "digits", "test_fraction": 0.2},
           "network": {"layers": [
               {"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same",
                "activation": "relu"},
               {"type": "batchnorm"}, {"type": "maxpool2d", "pool_size": 2},
               {"type": "dropout", "rate": 0.2}, {"type": "flatten"},
               {"type": "dense", "units": 10, "activation": "softmax"}]},
           "training": {"loss": "categorical_crossentropy", "batch_size": 32,
                        "optimizer": {"type": "adamw", "learning_rate": 0.01},
                        "regularization": {"type": "l1", "rate": 0.0001}}}
    project = parse_project(raw)
    trainer = Trainer(project, prepare(project, dtype=dtype))
    assert trainer.x_train.dtype == dtype and trainer.optimizer.flat.dtype == dtype
    record = trainer.step(record=True)
    assert record.activations["conv2d_1"].shape == (32, 4, 8, 8)
    assert record.output_grads["maxpool2d_1"].shape == (32, 4, 4, 4)
    assert set(record.preactivations) == {"conv2d_1", "dense_1"}
    assert "batchnorm_1.gamma" in record.param_grads
    trainer.fit(3)
    assert trainer.history[-1]["test_accuracy"] > 0.8


def test_trainer_prepares_the_project_itself():
    raw = {"layerlab": 1, "name": "circle", "seed": 0,
           "data": {"source": "circle", "samples": 100},
           "network": {"layers": [{"type": "dense", "units": 1, "activation": "sigmoid"}]}}
    trainer = Trainer(parse_project(raw))
    assert trainer.step().step == 1 and trainer.task == "classification"


def test_non_finite_batch_keeps_weights_and_batchnorm_statistics():
    trainer = make_trainer(layers=[{"type": "dense", "units": 4, "activation": "relu"},
                                   {"type": "batchnorm"},
                                   {"type": "dense", "units": 1, "activation": "sigmoid"}])
    trainer.step()
    before = trainer.model.state_dict()
    trainer.x_train[:] = np.nan  # every batch now makes a NaN loss
    record = trainer.step()
    assert record.diverged and trainer.diverged_step == 2 and trainer.steps == 1
    after = trainer.model.state_dict()
    assert "batchnorm_1.running_mean" in after
    for name, value in after.items():
        np.testing.assert_array_equal(value, before[name])


def test_augmentation_setting_moves_training_images_only():
    """training.augmentation shifts/rotates training batches; evaluation sees the plain images."""
    from engine.project import parse_project
    raw = {"layerlab": 1, "seed": 3, "data": {"source": "digits", "limit": 200},
           "network": {"layers": [{"type": "flatten"},
                                  {"type": "dense", "units": 10, "activation": "softmax"}]},
           "training": {"batch_size": 20, "epochs": 1,
                        "augmentation": {"max_shift": 2, "max_degrees": 10}}}
    trainer = Trainer(parse_project(raw, "aug.json", None))
    assert trainer.batch_transform is not None
    record = trainer.step(record=True)
    plain = trainer.x_train[record.batch_indices]
    assert record.inputs.shape == plain.shape
    assert not np.allclose(record.inputs, plain)
    raw["training"]["augmentation"] = None
    assert Trainer(parse_project(raw, "aug.json", None)).batch_transform is None


def test_evaluate_limit_uses_the_first_samples_of_each_split():
    from engine.project import parse_project
    from engine.trainer import Trainer
    trainer = Trainer(parse_project({
        "layerlab": 1, "seed": 2, "data": {"source": "spiral", "samples": 400},
        "network": {"layers": [{"type": "dense", "units": 4, "activation": "tanh"},
                               {"type": "dense", "units": 1, "activation": "sigmoid"}]},
        "training": {"loss": "binary_crossentropy"}}))
    full = trainer.evaluate()
    assert trainer.evaluate(limit=10_000) == full
    part = trainer.evaluate(limit=50)
    output = trainer.model.predict(trainer.x_test[:50])
    expected = float(np.mean(trainer.loss_fn.per_sample(output, trainer.y_test[:50])))
    assert part["test_loss"] == pytest.approx(expected)
    assert part["test_loss"] != full["test_loss"]
