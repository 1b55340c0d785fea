"""Export trained models to ONNX, a plain numpy module, or a PyTorch module; check the result.

``export_model`` builds every file in memory first (so a refusal writes nothing), then writes
each one atomically. ``verify_export`` runs what was written and returns the largest absolute
difference from ``SavedModel.predict``.
"""
from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import ProjectError
from engine.fileio import atomic_write_bytes, check_output_path
from engine.export.plan import ExportPlan, build_plan

FORMATS = ("onnx", "numpy", "pytorch")
DEFAULT_NAMES = {"onnx": "model.onnx", "numpy": "model.py", "pytorch": "model.py"}

__all__ = ["FORMATS", "DEFAULT_NAMES", "ExportPlan", "build_plan", "prepare_export",
           "export_model", "verify_export", "output_path"]


def output_path(fmt: str, out_path: str | Path) -> Path:
    """The main file to write: ``out_path`` itself, or the default name inside a folder."""
    check_output_path(out_path, "-o")
    path = Path(out_path)
    if path.is_dir():
        path = path / DEFAULT_NAMES[fmt]
    return path


def prepare_export(saved_model: Any, fmt: str, out_path: str | Path) -> dict[Path, bytes]:
    """Every file the export would write, with its bytes, without writing anything."""
    if fmt not in FORMATS:
        raise ProjectError(None, "--format", f"unknown format {fmt!r}; use one of: "
                           f"{', '.join(FORMATS)}")
    path = output_path(fmt, out_path)
    if fmt != "onnx" and path.suffix != ".py":
        raise ProjectError(str(path), "-o", f"the {fmt} export is a Python module: give a "
                           "file name ending in .py, e.g. model.py")
    saved = _load(saved_model)
    plan = build_plan(saved)
    if fmt == "onnx":
        from engine.export.onnx_export import onnx_bytes
        return {path: onnx_bytes(plan)}
    if fmt == "numpy":
        from engine.export.numpy_export import numpy_files
        return numpy_files(plan, path)
    from engine.export.pytorch_export import pytorch_files
    return pytorch_files(plan, path)


def export_model(saved_model: Any, fmt: str, out_path: str | Path) -> list[Path]:
    """Write ``saved_model`` (a SavedModel or a model file path) as ``fmt``; return the files.

    Raises ProjectError for an unknown format, a model file that is not a LayerLab model, or
    a model that cannot be exported; nothing is written then.
    """
    files = prepare_export(saved_model, fmt, out_path)
    for path in files:
        if not path.parent.is_dir():
            raise ProjectError(str(path), "-o", "the folder does not exist")
    for path, data in files.items():
        atomic_write_bytes(path, data)
    return list(files)


def verify_export(saved_model: Any, fmt: str, paths: list[Path], x_sample: np.ndarray) -> float:
    """Largest absolute difference between the exported model and ``SavedModel.predict``.

    Runs the ONNX file with onnxruntime, imports the numpy module from its path, or imports
    the PyTorch module and calls ``load_model()``; each needs its runtime installed.
    """
    saved = _load(saved_model)
    x = np.asarray(x_sample, dtype=np.float32)
    expected = np.asarray(saved.predict(x), dtype=np.float64)
    main = Path(paths[0])
    if fmt == "onnx":
        import onnxruntime
        session = onnxruntime.InferenceSession(str(main), providers=["CPUExecutionProvider"])
        got = session.run(["output"], {"input": x})[0]
    elif fmt == "numpy":
        got = _import_path(main).predict(x)
    elif fmt == "pytorch":
        import torch
        module = _import_path(main)
        with torch.no_grad():
            got = module.load_model()(torch.from_numpy(x)).numpy()
    else:
        raise ProjectError(None, "--format", f"unknown format {fmt!r}")
    got = np.asarray(got, dtype=np.float64)
    if got.shape != expected.shape:
        got = got.reshape(expected.shape) if got.size == expected.size else got
    if got.shape != expected.shape:
        raise ValueError(f"exported model gave shape {got.shape}, predict gave {expected.shape}")
    return float(np.max(np.abs(got - expected))) if expected.size else 0.0


def _import_path(path: Path):
    """Import a generated module from its file under a unique name (several may coexist)."""
    name = f"layerlab_export_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def _load(saved_model: Any) -> Any:
    """A SavedModel, loading it when given a path."""
    if isinstance(saved_model, (str, Path)):
        from engine.modelfile import load_model
        return load_model(Path(saved_model))
    return saved_model
