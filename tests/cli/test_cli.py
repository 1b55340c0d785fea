"""The real ``layerlab`` command in a subprocess, on real files: outputs and exit codes."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import TINY_2D, TINY_DIGITS, TINY_REGRESSION, layerlab, write_project


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def circle_run(work: Path) -> Path:
    """Train the tiny 2-D project once (default output folder) for the tests that need a model."""
    project = write_project(work, "tiny.json", TINY_2D)
    result = layerlab("train", str(project), cwd=work)
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout.splitlines()[-1]
    return work / "runs" / "tiny"


@pytest.fixture(scope="module")
def digits_run(work: Path) -> Path:
    project = write_project(work, "digits.json", TINY_DIGITS)
    out = work / "digits_out"
    result = layerlab("train", str(project), "--out", str(out), "--quiet", cwd=work)
    assert result.returncode == 0, result.stderr
    return out


def test_train_writes_every_file_with_spec_fields(circle_run: Path) -> None:
    assert sorted(p.name for p in circle_run.iterdir()) == [
        "metrics.csv", "model.safetensors", "report.png", "summary.json"]
    summary = json.loads((circle_run / "summary.json").read_text())
    for key in ("epochs", "steps", "seconds", "samples_per_second", "diverged", "final"):
        assert key in summary
    assert summary["epochs"] == 2 and summary["steps"] == 12 and summary["diverged"] is False
    assert summary["samples_per_second"] > 0
    assert set(summary["final"]) == {"train_loss", "test_loss", "train_accuracy",
                                     "test_accuracy"}
    rows = list(csv.DictReader(io.StringIO((circle_run / "metrics.csv").read_text())))
    assert list(rows[0]) == ["epoch", "step", "seconds", "train_loss", "test_loss",
                             "train_accuracy", "test_accuracy"]
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert float(rows[-1]["test_accuracy"]) == pytest.approx(summary["final"]["test_accuracy"])
    assert (circle_run / "report.png").read_bytes()[:4] == b"\x89PNG"


def test_train_overrides_and_quiet_prints_one_line(work: Path) -> None:
    project = write_project(work, "reg.json", TINY_REGRESSION)
    out = work / "reg_out"
    result = layerlab("train", str(project), "--epochs", "2", "--seed", "5", "--out", str(out),
                      "--quiet", cwd=work)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 1 and "test R2" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["epochs"] == 2 and summary["seed"] == 5
    final = summary["final"]
    assert final["train_accuracy"] is None and final["test_accuracy"] is None
    assert isinstance(final["train_r2"], float) and isinstance(final["test_r2"], float)
    (work / "plane.csv").write_text("x1,x2\n1,2\n-3,0.5\n")
    result = layerlab("predict", str(out / "model.safetensors"), "plane.csv", cwd=work)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["prediction"] and len(rows) == 3 and float(rows[1][0]) == float(rows[1][0])


def test_evaluate_prints_json_metrics(circle_run: Path, work: Path) -> None:
    result = layerlab("evaluate", str(circle_run / "model.safetensors"), "tiny.json", cwd=work)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        assert isinstance(metrics[key], float)
    summary = json.loads((circle_run / "summary.json").read_text())
    assert metrics["test_accuracy"] == pytest.approx(summary["final"]["test_accuracy"])


def test_predict_csv_and_npy(circle_run: Path, work: Path) -> None:
    model = str(circle_run / "model.safetensors")
    (work / "points.csv").write_text("label,x2,x1\n1,0.0,0.0\n0,5.5,5.5\n0,-5,4\n")
    result = layerlab("predict", model, "points.csv", cwd=work)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["prediction", "0", "1"] and len(rows) == 4
    probabilities = np.array([[float(v) for v in row[1:]] for row in rows[1:]])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert [row[0] for row in rows[1:]] == [str(int(p)) for p in probabilities.argmax(axis=1)]

    np.save(work / "points.npy", np.array([[0.0, 0.0], [5.5, 5.5], [4, -5]], np.float32))
    result = layerlab("predict", model, "points.npy", "-o", "out.csv", cwd=work)
    assert result.returncode == 0, result.stderr
    from_npy = list(csv.reader(io.StringIO((work / "out.csv").read_text())))
    assert from_npy == rows  # same points, columns picked by name from the CSV


def test_predict_images(digits_run: Path, work: Path) -> None:
    from PIL import Image
    canvas = np.full((64, 48), 255, np.uint8)
    canvas[10:54, 20:28] = 0  # a dark "1" on white paper
    Image.fromarray(canvas).save(work / "one.png")
    Image.fromarray(255 - canvas).convert("RGB").save(work / "one.jpg")
    result = layerlab("predict", str(digits_run / "model.safetensors"), "one.png", "one.jpg",
                      "-o", "digits.csv", cwd=work)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO((work / "digits.csv").read_text())))
    assert rows[0][0] == "prediction" and len(rows[0]) == 11 and len(rows) == 3
    assert rows[1][0] in rows[0][1:]


def test_summary_of_project_and_model(circle_run: Path, work: Path) -> None:
    for target in ("tiny.json", str(circle_run / "model.safetensors")):
        result = layerlab("summary", target, cwd=work)
        assert result.returncode == 0, result.stderr
        assert "dense_1" in result.stdout and "dense_2" in result.stdout
        assert "Trainable params: 37" in result.stdout and "FLOPs" in result.stdout


def test_export_formats(circle_run: Path, work: Path) -> None:
    model = str(circle_run / "model.safetensors")
    result = layerlab("export", model, "--format", "numpy", "-o", "exported.py", cwd=work)
    assert result.returncode == 0, result.stderr
    assert (work / "exported.py").is_file()
    result = layerlab("export", model, "--format", "onnx", "-o", "exported.onnx", cwd=work)
    assert result.returncode == 0, result.stderr
    assert (work / "exported.onnx").stat().st_size > 0
    (work / "torch_export").mkdir()
    result = layerlab("export", model, "--format", "pytorch", "-o", "torch_export/model.py",
                      cwd=work)
    assert result.returncode == 0, result.stderr
    assert "class Model" in (work / "torch_export" / "model.py").read_text()


def test_datasets_version_and_help(work: Path) -> None:
    result = layerlab("datasets", cwd=work)
    assert result.returncode == 0
    for name in ("circle", "spiral", "blobs", "multigauss", "digits", "idx", "csv", "npz"):
        assert f"\n{name}  (" in "\n" + result.stdout
    result = layerlab("--version", cwd=work)
    assert result.returncode == 0 and result.stdout.strip().startswith("layerlab 0.")
    assert layerlab("train", "--help", cwd=work).returncode == 0


def test_diverging_project_exits_3_and_saves_weights(work: Path) -> None:
    project = json.loads(json.dumps(TINY_REGRESSION))
    project["training"].update(optimizer={"type": "sgd", "learning_rate": 10.0}, epochs=5)
    project["network"]["layers"][0]["activation"] = "relu"
    write_project(work, "diverge.json", project)
    result = layerlab("train", "diverge.json", "--out", "diverged", cwd=work)
    assert result.returncode == 3, result.stderr
    summary = json.loads((work / "diverged" / "summary.json").read_text())
    assert summary["diverged"] is True
    from engine.modelfile import load_model
    saved = load_model(work / "diverged" / "model.safetensors")
    assert all(np.all(np.isfinite(p.data)) for _, p in saved.model.named_parameters())


def test_gui_starts_offscreen_with_a_project(work: Path) -> None:
    pytest.importorskip("playground.app")
    write_project(work, "gui.json", TINY_2D)
    process = subprocess.Popen([sys.executable, "-m", "playground", "gui", "gui.json"], cwd=work,
                               env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Still running after a few seconds means the window came up and the event loop runs.
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=4)
    finally:
        process.kill()
        _, stderr = process.communicate()
    assert "Traceback" not in stderr


def test_ctrl_c_keeps_the_run_so_far(work: Path) -> None:
    import signal
    project = json.loads(json.dumps(TINY_DIGITS))
    project["training"]["epochs"] = 2_000
    write_project(work, "long.json", project)
    process = subprocess.Popen([sys.executable, "-m", "playground", "train", "long.json",
                                "--out", "interrupted"], cwd=work, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()  # an epoch line: training is under way
        assert first.startswith("epoch "), first
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    summary = json.loads((work / "interrupted" / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["epochs"] >= 1
    assert (work / "interrupted" / "model.safetensors").is_file()


def test_console_script_points_at_main() -> None:
    from importlib.metadata import entry_points
    scripts = {entry.name: entry.value for entry in entry_points(group="console_scripts")}
    assert scripts.get("layerlab") == "playground.cli:main"
