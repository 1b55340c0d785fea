"""Bundled presets are valid projects; the progress reporter draws a throttled bar or lines."""
from __future__ import annotations

import io

import pytest

from engine.resources import resource_path
from playground.progress import Progress

PRESETS = sorted(path.stem for path in resource_path("presets").glob("*.json"))


def test_expected_presets_are_bundled() -> None:
    for name in ("circle", "xor", "gaussian", "spiral", "moons", "blobs", "regression",
                 "digits_mlp", "digits_cnn", "residual", "branches", "mnist_lenet"):
        assert name in PRESETS


@pytest.mark.parametrize("name", PRESETS)
def test_preset_loads_prepares_and_takes_a_step(name: str, tmp_path) -> None:
    from engine.project import load_project
    from engine.trainer import Trainer
    path = resource_path("presets", f"{name}.json")
    if name == "mnist_lenet":   # MNIST is not bundled: the preset beside a synthetic stand-in
        from tests.engine.test_mnist_preset import synthetic_mnist_preset
        path = synthetic_mnist_preset(tmp_path)
    project = load_project(path)
    trainer = Trainer(project)
    record = trainer.step()
    assert not record.diverged and record.loss == record.loss


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bar_is_throttled_and_carriage_returned() -> None:
    stream, clock = io.StringIO(), FakeClock()
    progress = Progress(stream, "bar", epochs=2, steps_per_epoch=10, clock=clock)
    for step in range(1, 10):
        clock.now = step * 0.01  # 100 steps/s: far faster than the redraw interval
        progress.step(1, step, 0.5, 0.75)
    assert stream.getvalue().count("\r") == 1
    clock.now = 1.0
    progress.step(1, 10, 0.25, 0.875)  # an epoch's last step always redraws
    text = stream.getvalue()
    assert text.count("\r") == 2 and "epoch 1/2" in text and "step 10/20" in text
    assert "loss 0.2500" in text and "acc 0.875" in text and "steps/s" in text
    progress.final("done")
    assert stream.getvalue().endswith("\ndone\n")


def test_lines_mode_thins_long_runs_and_quiet_prints_only_the_end() -> None:
    stream = io.StringIO()
    progress = Progress(stream, "lines", epochs=100, steps_per_epoch=5, metric="r2")
    for epoch in range(1, 101):
        progress.step(epoch, epoch * 5, 1.0, None)
        progress.epoch_end(epoch, epoch * 5, {"train_loss": 1.0, "test_loss": 2.0,
                                              "train_r2": 0.5, "test_r2": 0.25})
    lines = stream.getvalue().splitlines()
    assert 20 <= len(lines) <= 26 and lines[-1].startswith("epoch 100/100")
    assert "test_r2 0.2500" in lines[-1] and "\r" not in stream.getvalue()

    quiet = io.StringIO()
    progress = Progress(quiet, "quiet", epochs=3, steps_per_epoch=2)
    progress.step(1, 1, 0.5, 0.5)
    progress.epoch_end(1, 2, {})
    progress.final("final line")
    assert quiet.getvalue() == "final line\n"
