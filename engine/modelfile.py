"""Model files: trained weights in safetensors, everything else needed for inference as JSON.

The safetensors metadata key ``layerlab`` holds a JSON object (format version, the project,
shapes, preprocessing, classes, task). Tensors are the model's parameters and buffers under
their dotted names (``dense_1.weight``) plus the preprocessing arrays under ``preprocess.*``.
Loading parses only JSON and raw little-endian arrays: nothing is unpickled or executed.
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import ProjectError, os_reason
from engine.fileio import atomic_write_bytes
from engine.graph import format_shape
from engine.params import _show

MODEL_FORMAT = 1
METADATA_KEY = "layerlab"
PREPROCESS_PREFIX = "preprocess."


@dataclass
class ModelParts:
    """What a model file is made from (a Trainer provides all of it)."""

    project: Any            # engine.project.Project
    model: Any              # engine.model.Model
    preprocessor: Any       # engine.data.preprocess.Preprocessor
    task: str
    classes: list[str] | None = None
    sample_shape: tuple[int, ...] | None = None
    kind: str | None = None
    input_names: list[str] = field(default_factory=list)
    target_names: list[str] = field(default_factory=list)

    @classmethod
    def from_prepared(cls, project: Any, prepared: Any, model: Any = None) -> "ModelParts":
        """Parts from a project and its ``Prepared`` (optionally with a different model)."""
        dataset = prepared.dataset
        return cls(project=project, model=model if model is not None else prepared.model,
                   preprocessor=prepared.preprocessor, task=dataset.task,
                   classes=list(dataset.classes) if dataset.classes else None,
                   sample_shape=tuple(dataset.sample_shape), kind=dataset.kind,
                   input_names=list(dataset.input_names),
                   target_names=list(dataset.target_names))


def _parts_of(source: Any) -> ModelParts:
    if isinstance(source, ModelParts):
        return source
    if hasattr(source, "project") and hasattr(source, "prepared"):
        # A Trainer: its current model (reset() replaces it) and its prepared data.
        return ModelParts.from_prepared(source.project, source.prepared,
                                        getattr(source, "model", None))
    raise TypeError(f"save_model needs a Trainer or ModelParts, got {type(source).__name__}")


def model_metadata(parts: ModelParts) -> dict:
    """The JSON stored under the ``layerlab`` metadata key."""
    project = parts.project.to_json()
    return {
        "format": MODEL_FORMAT,
        "layerlab_version": _layerlab_version(),
        "project": project,
        "task": parts.task,
        "classes": list(parts.classes) if parts.classes else None,
        "kind": parts.kind,
        "sample_shape": list(parts.sample_shape) if parts.sample_shape is not None else None,
        "input_shape": list(parts.model.input_shape),
        "output_shape": list(parts.model.output_shape),
        "output_id": parts.model.output_id,
        "last_activation": parts.model.last_activation,
        "input_names": list(parts.input_names),
        "target_names": list(parts.target_names),
        "preprocess": parts.preprocessor.to_json(),
        "dtype": np.dtype(parts.model.dtype).name,
    }


def _layerlab_version() -> str:
    """The running LayerLab's version, for the record in saved files."""
    import engine
    version = getattr(engine, "__version__", None)
    if version is None:
        # ``engine`` can be a namespace package when a folder named engine (tests/engine)
        # shadows it on sys.path; the installed distribution still knows its version.
        from importlib.metadata import PackageNotFoundError, version as dist_version
        try:
            version = dist_version("layerlab")
        except PackageNotFoundError:
            version = "unknown"
    return str(version)


def model_bytes(source: Any) -> bytes:
    """The model file's bytes for a Trainer or ModelParts."""
    from safetensors.numpy import save
    parts = _parts_of(source)
    tensors = {name: np.ascontiguousarray(value)
               for name, value in parts.model.state_dict().items()}
    for name, value in parts.preprocessor.to_arrays().items():
        tensors[PREPROCESS_PREFIX + name] = np.ascontiguousarray(value)
    metadata = json.dumps(model_metadata(parts), ensure_ascii=False, separators=(",", ":"))
    return save(tensors, metadata={METADATA_KEY: metadata})


def save_model(path: str | Path, trainer_or_parts: Any) -> None:
    """Write a model file atomically (weights, buffers, preprocessing and the project)."""
    atomic_write_bytes(path, model_bytes(trainer_or_parts))


@dataclass
class SavedModel:
    """A loaded model file, ready for inference on raw samples."""

    model: Any
    project: Any
    preprocessor: Any
    classes: list[str] | None
    task: str
    sample_shape: tuple[int, ...] | None = None
    kind: str | None = None
    input_names: list[str] = field(default_factory=list)
    target_names: list[str] = field(default_factory=list)
    metadata: dict = field(default_factory=dict, repr=False)
    path: Path | None = None

    def predict(self, x_raw: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Class probabilities (one column per class; a sigmoid unit gives ``1-p, p``) or
        regression values, for raw samples as the data source gives them."""
        # The preprocessor checks the sample shape and says what it expected.
        x = self.preprocessor.transform(np.asarray(x_raw, dtype=self.model.dtype),
                                        dtype=self.model.dtype)
        output = self.model.predict(np.asarray(x, dtype=self.model.dtype), batch_size)
        output = output.reshape(len(output), int(np.prod(self.model.output_shape)))
        if self.task != "classification":
            return output
        activation = self.model.last_activation
        if output.shape[1] == 1:
            # tanh form of the sigmoid: no overflow for large logits.
            p = output if activation == "sigmoid" else 0.5 * (1.0 + np.tanh(0.5 * output))
            return np.concatenate([1.0 - p, p], axis=1)
        if activation == "softmax":
            return output
        shifted = np.exp(output - output.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def predict_labels(self, x_raw: np.ndarray) -> np.ndarray:
        """Index of the most probable class for each sample (classification only)."""
        if self.task != "classification":
            raise ValueError("predict_labels needs a classification model")
        return np.argmax(self.predict(x_raw), axis=1)

    def class_names(self) -> list[str]:
        """The class names, or ``"0"``, ``"1"``, ... when the file has none."""
        if self.classes:
            return list(self.classes)
        units = int(np.prod(self.model.output_shape))
        return [str(k) for k in range(2 if units == 1 else units)]


def load_model(path: str | Path) -> SavedModel:
    """Read and check a model file; any problem is a ProjectError naming the file."""
    path = Path(path)
    file = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ProjectError(file, "(file)", "file not found") from None
    except IsADirectoryError:
        raise ProjectError(file, "(file)", "is a folder, not a model file") from None
    except OSError as error:
        raise ProjectError(file, "(file)", f"cannot read the file: {os_reason(error)}") from None
    saved = model_from_bytes(data, file)
    saved.path = path
    return saved


def model_from_bytes(data: bytes, file: str | None = None) -> SavedModel:
    """Parse model-file bytes (see ``load_model``)."""
    header = _read_header(data, file)
    metadata = _read_metadata(header, file)
    tensors = _read_tensors(data, file)
    return _assemble(metadata, tensors, file)


MAX_HEADER_BYTES = 100 * 1024 * 1024
# Parameters a damaged file may ask for beyond twice what it stores before loading refuses.
ALLOCATION_SLACK = 1 << 24


def _read_header(data: bytes, file: str | None) -> dict:
    """The safetensors JSON header (8-byte little-endian length, then JSON)."""
    if len(data) < 8:
        raise ProjectError(file, "(file)", "not a model file: too short to be safetensors")
    (length,) = struct.unpack("<Q", data[:8])
    if length > len(data) - 8 or length > MAX_HEADER_BYTES or length == 0:
        raise ProjectError(file, "(file)", "not a model file: no valid safetensors header "
                                           "(is this a safetensors file?)")
    try:
        header = json.loads(data[8:8 + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ProjectError(file, "(file)", "not a model file: the safetensors header is not "
                                           "valid JSON") from None
    if not isinstance(header, dict):
        raise ProjectError(file, "(file)", "not a model file: the safetensors header is not "
                                           "a JSON object")
    return header


def _read_metadata(header: dict, file: str | None) -> dict:
    """The ``layerlab`` metadata entry, parsed and version-checked."""
    metadata = header.get("__metadata__")
    if not isinstance(metadata, dict) or METADATA_KEY not in metadata:
        raise ProjectError(file, "metadata", 'not a LayerLab model: the safetensors metadata '
                                             'has no "layerlab" entry')
    try:
        info = json.loads(metadata[METADATA_KEY])
    except (TypeError, json.JSONDecodeError) as error:
        raise ProjectError(file, "metadata.layerlab", f"invalid JSON: {error}") from None
    except RecursionError:
        raise ProjectError(file, "metadata.layerlab", "invalid JSON: nested too deeply") \
            from None
    if not isinstance(info, dict):
        raise ProjectError(file, "metadata.layerlab", "expected a JSON object")
    version = info.get("format")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ProjectError(file, "metadata.layerlab.format", "missing or not a whole number")
    if version > MODEL_FORMAT:
        raise ProjectError(file, "metadata.layerlab.format", f"this model file needs a newer "
                           f"LayerLab (format {version}; this version reads {MODEL_FORMAT})")
    if version < 1:
        raise ProjectError(file, "metadata.layerlab.format", f"unknown format version {version}")
    for key in ("project", "task", "input_shape", "preprocess"):
        if key not in info:
            raise ProjectError(file, f"metadata.layerlab.{key}", "missing")
    return info


def _read_tensors(data: bytes, file: str | None) -> dict[str, np.ndarray]:
    """Every tensor in the file, via safetensors (which only reads raw arrays)."""
    from safetensors.numpy import load
    try:
        return load(data)
    except Exception as error:  # the Rust parser raises its own SafetensorError subclasses
        raise ProjectError(file, "(file)", f"corrupt safetensors data: {error}") from None


def _shape_field(info: dict, key: str, file: str | None, optional: bool = False):
    value = info.get(key)
    if value is None and optional:
        return None
    if (not isinstance(value, list) or not value
            or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in value)):
        raise ProjectError(file, f"metadata.layerlab.{key}", f"expected a list of positive "
                                                             f"whole numbers, got {value!r}")
    return tuple(value)


def _assemble(info: dict, tensors: dict[str, np.ndarray], file: str | None) -> SavedModel:
    """Rebuild the model from the stored project, then load and check every tensor."""
    from engine.data.preprocess import Preprocessor
    from engine.graph import build_model, plan_network
    from engine.project import parse_project

    def nested(error: ProjectError, prefix: str) -> ProjectError:
        return ProjectError(file, f"{prefix}.{error.where}", error.what)

    try:
        project = parse_project(info["project"], None, None)
    except ProjectError as error:
        raise nested(error, "metadata.layerlab.project") from None
    task = info["task"]
    if task not in ("classification", "regression"):
        raise ProjectError(file, "metadata.layerlab.task", f"expected classification or "
                                                           f"regression, got {task!r}")
    classes = info.get("classes")
    if classes is not None and (not isinstance(classes, list)
                                or not all(isinstance(c, str) for c in classes)):
        raise ProjectError(file, "metadata.layerlab.classes", "expected a list of names")
    input_shape = _shape_field(info, "input_shape", file)
    sample_shape = _shape_field(info, "sample_shape", file, optional=True)
    dtype_name = info.get("dtype", "float32")
    if dtype_name not in ("float32", "float64"):
        raise ProjectError(file, "metadata.layerlab.dtype", f"expected float32 or float64, "
                                                            f"got {dtype_name!r}")
    names = {key: _names_field(info, key, file) for key in ("input_names", "target_names")}
    if not isinstance(info["preprocess"], dict):
        raise ProjectError(file, "metadata.layerlab.preprocess", f"expected an object, got "
                                                                 f"{_show(info['preprocess'])}")
    pre_arrays = {name[len(PREPROCESS_PREFIX):]: value for name, value in tensors.items()
                  if name.startswith(PREPROCESS_PREFIX)}
    try:
        preprocessor = Preprocessor.from_saved(info["preprocess"], pre_arrays)
    except ProjectError as error:
        raise nested(error, "metadata.layerlab.preprocess") from None
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise ProjectError(file, "metadata.layerlab.preprocess",
                           f"cannot restore the preprocessing: {error}") from None
    if tuple(preprocessor.input_shape) != input_shape:
        raise ProjectError(file, "metadata.layerlab.input_shape",
                           f"the preprocessing gives {format_shape(preprocessor.input_shape)} "
                           f"but the file says {format_shape(input_shape)}")
    try:
        # Plan first (no allocation): a network needing far more weights than the file stores
        # is damaged, and building it could ask for absurd amounts of memory. Small gaps are
        # left to _load_weights, which names the missing tensors.
        needed = plan_network(project.network, input_shape, file).known_param_count()
        stored = sum(int(value.size) for value in tensors.values())
        if needed > max(2 * stored, ALLOCATION_SLACK):
            raise ProjectError(file, "tensors", f"the network needs {needed} parameters but "
                                                f"the file stores only {stored} values")
        model = build_model(project.network, input_shape, project.seed, file,
                            dtype=np.dtype(dtype_name))
    except ProjectError as error:
        if error.where == "tensors":
            raise
        raise nested(error, "metadata.layerlab.project") from None
    _load_weights(model, {k: v for k, v in tensors.items()
                          if not k.startswith(PREPROCESS_PREFIX)}, file)
    _check_outputs(model, task, classes, info, file)
    if sample_shape is None:  # optional in the file: the preprocessor knows the raw shape
        sample_shape = tuple(preprocessor.raw_shape)
    return SavedModel(model=model, project=project, preprocessor=preprocessor, classes=classes,
                      task=task, sample_shape=sample_shape, kind=info.get("kind"),
                      input_names=names["input_names"], target_names=names["target_names"],
                      metadata=info)


def _names_field(info: dict, key: str, file: str | None) -> list[str]:
    """An optional list of strings (input or target names); absent or null gives []."""
    value = info.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ProjectError(file, f"metadata.layerlab.{key}", f"expected a list of names, got "
                                                             f"{_show(value)}")
    return list(value)


def _load_weights(model: Any, weights: dict[str, np.ndarray], file: str | None) -> None:
    """Copy stored arrays into the model after checking names, shapes and dtypes."""
    targets = dict(model.named_parameters())
    targets.update(model.named_buffers())
    missing = [name for name in targets if name not in weights]
    if missing:
        raise ProjectError(file, "tensors", "missing tensors the network needs: "
                           + ", ".join(missing))
    extra = sorted(name for name in weights if name not in targets)
    if extra:
        raise ProjectError(file, "tensors", "tensors the network does not have: "
                           + ", ".join(extra))
    for name, target in targets.items():
        value = weights[name]
        if value.shape != target.data.shape:
            raise ProjectError(file, f"tensors.{name}",
                               f"has shape {format_shape(value.shape)}; the network needs "
                               f"{format_shape(target.data.shape)}")
        if not np.issubdtype(value.dtype, np.floating):
            raise ProjectError(file, f"tensors.{name}", f"expected floating-point numbers, "
                                                        f"got {value.dtype}")
        if not np.all(np.isfinite(value)):
            raise ProjectError(file, f"tensors.{name}", "contains NaN or infinite values")
        target.data[...] = value


def _check_outputs(model: Any, task: str, classes: list[str] | None, info: dict,
                   file: str | None) -> None:
    """The stored output shape and classes must agree with the rebuilt network."""
    stored = _shape_field(info, "output_shape", file, optional=True)
    if stored is not None and stored != tuple(model.output_shape):
        shown = format_shape(stored)
        raise ProjectError(file, "metadata.layerlab.output_shape",
                           f"the network gives {format_shape(model.output_shape)} but the file "
                           f"says {shown}")
    if task == "classification" and classes:
        units = int(np.prod(model.output_shape))
        if units != len(classes) and not (units == 1 and len(classes) == 2):
            raise ProjectError(file, "metadata.layerlab.classes",
                               f"{len(classes)} classes but the network has {units} outputs")
