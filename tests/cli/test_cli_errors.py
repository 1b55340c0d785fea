"""Bad input: exit code 2, one ``layerlab: error: FILE: WHERE: WHAT`` line, nothing written."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import ERROR_LINE, TINY_2D, layerlab, tree, write_project


def assert_bad_input(result, *fragments: str) -> str:
    """Exit 2, exactly one stderr line in the SPEC's form, no traceback; return the line."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert re.match(ERROR_LINE, lines[0]), lines[0]
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def _variant(**changes) -> dict:
    project = json.loads(json.dumps(TINY_2D))
    for dotted, value in changes.items():
        target = project
        keys = dotted.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        target[keys[-1]] = value
    return project


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    """A real trained model (1 epoch) to misuse."""
    folder = tmp_path_factory.mktemp("model")
    write_project(folder, "p.json", _variant(training__epochs=1))
    result = layerlab("train", "p.json", "--out", "run", "--quiet", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder / "run" / "model.safetensors"


PROJECT_CASES = {
    "bad_json": ('{"layerlab": 1, "name": "x",,}', ["bad.json", "line 1", "JSON"]),
    "unknown_layer": (_variant(network__layers__0__type="dens"), ["network.layers[0].type",
                                                                  "dense"]),
    "out_of_range": (_variant(training__batch_size=0), ["training.batch_size", "range"]),
    "shape_mismatch": (_variant(data={"source": "digits", "limit": 100}), ["network.layers[0]",
                                                                         "flatten"]),
    "newer_version": (_variant(layerlab=99), ["layerlab"]),
}


@pytest.mark.parametrize("case", sorted(PROJECT_CASES))
def test_bad_project_for_train_writes_nothing(case: str, tmp_path: Path) -> None:
    content, fragments = PROJECT_CASES[case]
    path = tmp_path / "bad.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    before = tree(tmp_path)
    result = layerlab("train", "bad.json", cwd=tmp_path)
    assert_bad_input(result, "bad.json", *fragments)
    assert tree(tmp_path) == before  # no runs/ folder, no partial files


def test_missing_project_file(tmp_path: Path) -> None:
    assert_bad_input(layerlab("train", "nowhere.json", cwd=tmp_path), "nowhere.json",
                     "not found")
    assert_bad_input(layerlab("summary", "nowhere.json", cwd=tmp_path), "nowhere.json")
    assert tree(tmp_path) == set()


def test_bad_command_line_overrides_and_usage(tmp_path: Path) -> None:
    write_project(tmp_path, "p.json", TINY_2D)
    assert_bad_input(layerlab("train", "p.json", "--epochs", "0", cwd=tmp_path), "--epochs")
    assert_bad_input(layerlab("train", "p.json", "--seed", "-1", cwd=tmp_path), "--seed")
    assert_bad_input(layerlab("train", "p.json", "--epochs", "many", cwd=tmp_path))
    assert_bad_input(layerlab("train", cwd=tmp_path), "PROJECT")
    assert_bad_input(layerlab("frobnicate", cwd=tmp_path))
    (tmp_path / "taken").write_text("a file")
    assert_bad_input(layerlab("train", "p.json", "--out", "taken/run", cwd=tmp_path), "--out")
    assert tree(tmp_path) == {"p.json", "taken"}


def _corrupt(model_file: Path, folder: Path) -> dict[str, Path]:
    data = model_file.read_bytes()
    truncated = folder / "truncated.safetensors"
    truncated.write_bytes(data[: len(data) // 2])
    garbage = folder / "garbage.safetensors"
    garbage.write_bytes(b"\xff" * 8 + b"not a header at all")
    text = folder / "notes.safetensors"
    text.write_text("these are my notes, not a model")
    image = folder / "picture.safetensors"
    from PIL import Image
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(image, format="PNG")
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file
    with safe_open(str(model_file), "np") as handle:
        info = json.loads(handle.metadata()["layerlab"])
    info["format"] = 99
    newer = folder / "newer.safetensors"
    save_file(load_file(str(model_file)), str(newer), metadata={"layerlab": json.dumps(info)})
    return {"truncated": truncated, "garbage": garbage, "text": text, "image": image,
            "newer": newer}


@pytest.mark.parametrize("command", ["evaluate", "predict", "export", "summary"])
def test_corrupt_and_foreign_model_files(command: str, model_file: Path, tmp_path: Path) -> None:
    bad_models = _corrupt(model_file, tmp_path)
    write_project(tmp_path, "p.json", TINY_2D)
    (tmp_path / "in.csv").write_text("x1,x2\n0,0\n")
    before = tree(tmp_path)
    for name, path in bad_models.items():
        args = {"evaluate": [str(path), "p.json"], "predict": [str(path), "in.csv", "-o", "o.csv"],
                "export": [str(path), "--format", "onnx", "-o", "m.onnx"],
                "summary": [str(path)]}[command]
        assert_bad_input(layerlab(command, *args, cwd=tmp_path), path.name)
    assert tree(tmp_path) == before


def test_predict_bad_inputs(model_file: Path, tmp_path: Path) -> None:
    model = str(model_file)
    (tmp_path / "wrong.csv").write_text("a,b,c\n1,2,3\n")
    assert_bad_input(layerlab("predict", model, "wrong.csv", "-o", "o.csv", cwd=tmp_path),
                     "wrong.csv", "line 1")
    (tmp_path / "word.csv").write_text("x1,x2\n1,2\n3,oops\n")
    assert_bad_input(layerlab("predict", model, "word.csv", cwd=tmp_path), "word.csv",
                     "line 3", "oops")
    (tmp_path / "ragged.csv").write_text("x1,x2\n1,2\n3\n")
    assert_bad_input(layerlab("predict", model, "ragged.csv", cwd=tmp_path), "ragged.csv",
                     "line 3", "1 values")
    np.save(tmp_path / "wide.npy", np.zeros((3, 5), np.float32))
    assert_bad_input(layerlab("predict", model, "wide.npy", "-o", "o.csv", cwd=tmp_path),
                     "wide.npy")
    (tmp_path / "pickled.npy").write_bytes(b"\x93NUMPY garbage")
    assert_bad_input(layerlab("predict", model, "pickled.npy", cwd=tmp_path), "pickled.npy")
    from PIL import Image
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "digit.png")
    assert_bad_input(layerlab("predict", model, "digit.png", cwd=tmp_path), "digit.png",
                     "images")
    assert_bad_input(layerlab("predict", model, "data.txt", cwd=tmp_path), "data.txt")
    assert not (tmp_path / "o.csv").exists()


def test_evaluate_with_incompatible_project(model_file: Path, tmp_path: Path) -> None:
    write_project(tmp_path, "digits.json", {
        "layerlab": 1, "name": "d", "data": {"source": "digits", "limit": 50},
        "network": {"layers": [{"type": "flatten"},
                               {"type": "dense", "units": 10, "activation": "softmax"}]}})
    assert_bad_input(layerlab("evaluate", str(model_file), "digits.json", cwd=tmp_path),
                     "digits.json", "shape")


def test_folder_given_as_a_file(tmp_path: Path) -> None:
    assert_bad_input(layerlab("summary", str(tmp_path), cwd=tmp_path), "folder")


def test_internal_errors_are_one_line_unless_debugging(monkeypatch, capsys) -> None:
    import playground.cli_inference
    from playground.cli import main

    def broken() -> str:
        raise RuntimeError("simulated\nfailure")

    monkeypatch.setattr(playground.cli_inference, "describe_datasets", broken)
    monkeypatch.delenv("LAYERLAB_DEBUG", raising=False)
    assert main(["datasets"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "RuntimeError: simulated failure" in lines[0]
    monkeypatch.setenv("LAYERLAB_DEBUG", "1")
    assert main(["datasets"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_gui_refuses_bad_files_and_missing_display(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{")
    assert_bad_input(layerlab("gui", "broken.json", cwd=tmp_path), "broken.json")
    result = layerlab("gui", cwd=tmp_path, env={"DISPLAY": "", "WAYLAND_DISPLAY": "",
                                                "QT_QPA_PLATFORM": ""})
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert "no display" in result.stderr and "Traceback" not in result.stderr
