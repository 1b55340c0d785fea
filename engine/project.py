"""Project files: read, validate (every error with its JSON path), write, and prepare to train.

The file format is fixed by SPEC.md. Every section is validated through the parameters its
registry entries declare, so a new layer, loss, optimizer or data source needs no change here.
Defaults are filled on load, so ``Project.to_json()`` is the explicit form of the file.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ProjectError, os_reason
from engine.fileio import atomic_write_text
from engine.graph import assign_ids, check_layer
from engine.preflight import check_batchnorm_batches, task_hint
from engine.params import Param, _show, validate_settings
from engine.registry import LOSSES, OPTIMIZERS, REGULARIZERS
from engine.summary import MemoryEstimate, available_memory, estimate_memory, human_bytes

FORMAT_VERSION = 1
TOP_LEVEL_FIELDS = ("layerlab", "name", "seed", "data", "network", "training")
TRAINING_FIELDS = ("loss", "optimizer", "batch_size", "epochs", "regularization", "augmentation")
DEFAULT_OPTIMIZER = "adam"
NO_REGULARIZATION = "none"

NAME = Param("name", "str", "Untitled", "the project's name (default: the file name without its "
             "extension)")
SEED = Param("seed", "int", 0, "seed for data generation, the train/test split, initial weights "
             "and shuffling", minimum=0, maximum=2**32 - 1)
BATCH_SIZE = Param("batch_size", "int", 32, "samples per training step", minimum=1,
                   maximum=65536)
AUGMENTATION_PARAMS = (
    Param("max_shift", "int", 2, "largest random shift of an image, in pixels", minimum=0,
          maximum=8),
    Param("max_degrees", "float", 10.0, "largest random rotation of an image, in degrees",
          minimum=0.0, maximum=45.0),
)
EPOCHS = Param("epochs", "int", 100, "passes over the training set", minimum=1,
               maximum=1_000_000)
LOSS_HELP = ("what training minimises; default: binary_crossentropy when the last layer ends in "
             "sigmoid, categorical_crossentropy when it ends in softmax, otherwise mse")


@dataclass
class Project:
    """A validated project: every section checked and its defaults filled."""

    name: str
    seed: int
    data: dict
    network: list[dict]
    training: dict
    path: Path | None = None
    base_dir: Path | None = None

    @property
    def file(self) -> str | None:
        """The project file as a string for error messages (None when never saved)."""
        return str(self.path) if self.path is not None else None

    def layer_ids(self) -> list[str]:
        """The id of every layer in file order (given ids, else ``<type>_<k>``)."""
        return assign_ids(self.network, self.file)

    def to_json(self) -> dict:
        """The project as a JSON-ready dict in the canonical key order (a deep copy)."""
        return {
            "layerlab": FORMAT_VERSION,
            "name": self.name,
            "seed": self.seed,
            "data": copy.deepcopy(self.data),
            "network": {"layers": copy.deepcopy(self.network)},
            "training": copy.deepcopy(self.training),
        }

    def to_text(self) -> str:
        """The project file's text: pretty JSON, short lists and objects kept on one line."""
        return pretty_json(self.to_json()) + "\n"


def load_project(path: str | Path) -> Project:
    """Read and validate a project file; any problem is a ProjectError naming the place."""
    path = Path(path)
    file = str(path)
    raw = read_json_file(path)
    project = parse_project(raw, file, path.absolute().parent)
    project.path = path
    return project


def read_json_file(path: Path) -> Any:
    """Parse a JSON file strictly: positions on syntax errors, no duplicate keys, no NaN."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ProjectError(file, "(file)", "file not found") from None
    except IsADirectoryError:
        raise ProjectError(file, "(file)", "is a folder, not a file") from None
    except PermissionError:
        raise ProjectError(file, "(file)", "permission denied; cannot read the file") from None
    except UnicodeDecodeError as error:
        raise ProjectError(file, "(file)", f"not UTF-8 text ({error.reason} at byte "
                                           f"{error.start})") from None
    except OSError as error:
        raise ProjectError(file, "(file)", f"cannot read the file: {os_reason(error)}") from None
    return parse_json_text(text, file)


def parse_json_text(text: str, file: str | None) -> Any:
    """``json.loads`` that reports ``line L, column C`` and rejects duplicate keys and NaN."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        raise ProjectError(file, f"line {error.lineno}, column {error.colno}",
                           f"invalid JSON: {error.msg}") from None
    except _StrictJSONError as error:
        raise ProjectError(file, "(file)", f"invalid JSON: {error}") from None
    except RecursionError:
        # Thousands of nested brackets exhaust the parser's stack; no project is that deep.
        raise ProjectError(file, "(file)", "invalid JSON: lists or objects are nested too "
                                           "deeply") from None


class _StrictJSONError(ValueError):
    """Valid for Python's json module but not for LayerLab (duplicate keys, NaN)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise _StrictJSONError(f'the key "{key}" appears twice in one object')
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise _StrictJSONError(f"{name} is not a JSON number; write a finite number")


def parse_project(raw: Any, file: str | None = None, base_dir: str | Path | None = None
                  ) -> Project:
    """Validate a project dict (as read from JSON) and return it with defaults filled."""
    from engine import catalog
    catalog.load_all()
    if not isinstance(raw, dict):
        raise ProjectError(file, "(top level)", "expected a JSON object with the fields "
                           + ", ".join(TOP_LEVEL_FIELDS))
    _check_version(raw, file)
    for key in raw:
        if key not in TOP_LEVEL_FIELDS:
            raise ProjectError(file, key, "unknown field; allowed fields: "
                               + ", ".join(TOP_LEVEL_FIELDS))
    for key in ("data", "network"):
        if key not in raw:
            raise ProjectError(file, key, f"missing; a project needs a {key} section")
    name_default = Path(file).stem if file else NAME.default
    name = NAME.validate(raw.get("name", name_default), file, "name")
    seed = SEED.validate(raw.get("seed", SEED.default), file, "seed")
    data = parse_data(raw["data"], file)
    network = parse_network(raw["network"], file)
    training = parse_training(raw.get("training", {}), network, file)
    return Project(name=name, seed=seed, data=data, network=network, training=training,
                   path=Path(file) if file else None,
                   base_dir=Path(base_dir) if base_dir is not None else None)


def _check_version(raw: dict, file: str | None) -> None:
    if "layerlab" not in raw:
        raise ProjectError(file, "layerlab", f'missing; a LayerLab project file starts with '
                                             f'"layerlab": {FORMAT_VERSION}')
    version = raw["layerlab"]
    if isinstance(version, float) and version.is_integer():
        version = int(version)  # 1.0 is the same JSON number as 1
    if isinstance(version, bool) or not isinstance(version, int):
        raise ProjectError(file, "layerlab", f"expected the format version (a whole number), "
                                             f"got {_show(version)}")
    if version > FORMAT_VERSION:
        raise ProjectError(file, "layerlab", f"this file needs a newer LayerLab (format "
                                             f"{version}; this version reads {FORMAT_VERSION})")
    if version < FORMAT_VERSION:
        raise ProjectError(file, "layerlab", f"unknown format version {version}; this version "
                                             f"reads {FORMAT_VERSION}")


def parse_data(data: Any, file: str | None) -> dict:
    """Validate the ``data`` section through its source's declared parameters."""
    from engine.data import validate_data_settings
    settings = validate_data_settings(data, file)
    return {"source": settings.pop("source"), **settings}


def parse_network(network: Any, file: str | None) -> list[dict]:
    """Validate ``network.layers``: each layer's type, settings, ``id`` and ``inputs``."""
    if not isinstance(network, dict):
        raise ProjectError(file, "network", f'expected an object with "layers", got '
                                            f"{_show(network)}")
    for key in network:
        if key != "layers":
            raise ProjectError(file, f"network.{key}", "unknown field; allowed fields: layers")
    layers = network.get("layers")
    if not isinstance(layers, list) or not layers:
        raise ProjectError(file, "network.layers", "expected a non-empty list of layers, got "
                           + ("nothing" if layers is None else _show(layers)))
    result = []
    for index, layer in enumerate(layers):
        result.append(parse_layer(layer, file, f"network.layers[{index}]"))
    assign_ids(result, file)  # duplicate ids are a file error, found here rather than later
    return result


def parse_layer(layer: Any, file: str | None, where: str) -> dict:
    """One layer dict: ``type`` first, then ``id``/``inputs`` if given, then its settings."""
    return check_layer(layer, file, where)


def default_loss(network: list[dict]) -> str:
    """The loss used when a file names none: chosen from the last layer's activation."""
    last = network[-1] if network else {}
    activation = last.get("activation", last.get("function"))
    if activation == "sigmoid":
        return "binary_crossentropy"
    if activation == "softmax":
        return "categorical_crossentropy"
    return "mse"


def parse_training(training: Any, network: list[dict], file: str | None) -> dict:
    """Validate ``training``: loss, optimizer, batch_size, epochs, regularization."""
    if not isinstance(training, dict):
        raise ProjectError(file, "training", f"expected an object, got {_show(training)}")
    for key in training:
        if key not in TRAINING_FIELDS:
            raise ProjectError(file, f"training.{key}", "unknown field; allowed fields: "
                               + ", ".join(TRAINING_FIELDS))
    loss = training.get("loss", default_loss(network))
    LOSSES.get(loss, file, "training.loss")
    return {
        "loss": loss,
        "optimizer": parse_optimizer(training.get("optimizer", {"type": DEFAULT_OPTIMIZER}),
                                     file),
        "batch_size": BATCH_SIZE.validate(training.get("batch_size", BATCH_SIZE.default),
                                          file, "training.batch_size"),
        "epochs": EPOCHS.validate(training.get("epochs", EPOCHS.default), file,
                                  "training.epochs"),
        "regularization": parse_regularization(training.get("regularization"), file),
        "augmentation": parse_augmentation(training.get("augmentation"), file),
    }


def parse_augmentation(augmentation: Any, file: str | None) -> dict | None:
    """None (off) or ``{"max_shift": px, "max_degrees": deg}``: random moves of training images."""
    if augmentation is None:
        return None
    return validate_settings(AUGMENTATION_PARAMS, augmentation, file, "training.augmentation")


def parse_optimizer(optimizer: Any, file: str | None) -> dict:
    """``{"type": name, ...settings}`` with the optimizer's declared defaults filled."""
    where = "training.optimizer"
    if not isinstance(optimizer, dict):
        raise ProjectError(file, where, f'expected an object such as {{"type": "adam"}}, got '
                                        f"{_show(optimizer)}")
    if "type" not in optimizer:
        raise ProjectError(file, f"{where}.type", "missing; use one of: "
                           + ", ".join(OPTIMIZERS.names()))
    cls = OPTIMIZERS.get(optimizer["type"], file, f"{where}.type")
    settings = validate_settings(cls.params, optimizer, file, where, ignore=("type",))
    return {"type": cls.type_name, **{p.name: settings[p.name] for p in cls.params}}


def parse_regularization(regularization: Any, file: str | None) -> dict | None:
    """None (no penalty; also for ``{"type": "none"}``) or ``{"type": "l1"|"l2", ...}``."""
    where = "training.regularization"
    if regularization is None:
        return None
    if not isinstance(regularization, dict):
        raise ProjectError(file, where, f'expected null or an object such as {{"type": "l2", '
                                        f'"rate": 0.001}}, got {_show(regularization)}')
    kind = regularization.get("type")
    names = [NO_REGULARIZATION] + [n for n in REGULARIZERS.names() if n != NO_REGULARIZATION]
    if kind not in names:
        shown = "missing" if "type" not in regularization else f"unknown regularization " \
                                                               f"{_show(kind)}"
        raise ProjectError(file, f"{where}.type", f"{shown}; use one of: {', '.join(names)}")
    if kind == NO_REGULARIZATION:
        # A leftover rate is harmless here: the GUI keeps it while the penalty is switched off.
        validate_settings((Param("rate", "float"),), regularization, file, where,
                          ignore=("type",))
        return None
    cls = REGULARIZERS.get(kind, file, f"{where}.type")
    settings = validate_settings(cls.params, regularization, file, where, ignore=("type",))
    return {"type": cls.type_name, **{p.name: settings[p.name] for p in cls.params}}


def save_project(project: Project, path: str | Path) -> None:
    """Write the project atomically as pretty JSON in the canonical key order.

    Relative data paths are written as they are; they resolve against the new file's folder.
    ``project.path`` is left alone (the caller decides whether the project now lives there).
    """
    atomic_write_text(path, project.to_text())


def pretty_json(value: Any, indent: int = 0, width: int = 100, used: int = 0) -> str:
    """JSON with objects expanded, except values that fit on one line stay on one line.

    ``used`` is how many characters already precede the value on its line (indent and key).
    """
    compact = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if indent > 0 and used + len(compact) <= width:
        return compact
    pad = " " * (indent + 2)
    if isinstance(value, dict) and value:
        items = []
        for key, item in value.items():
            head = f"{pad}{json.dumps(key, ensure_ascii=False)}: "
            items.append(head + pretty_json(item, indent + 2, width, len(head)))
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and value:
        items = [pad + pretty_json(item, indent + 2, width, len(pad)) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return compact


# ----------------------------------------------------------------------------- preparing to train
@dataclass
class Prepared:
    """Everything training needs, built and checked: data, preprocessing, model and loss."""

    dataset: Any
    preprocessor: Any
    model: Any
    loss: Any
    memory: MemoryEstimate


def prepare(project: Project, dtype=None, memory_limit: int | None = None) -> Prepared:
    """Load the data, fit the preprocessor, build the model and check loss and memory.

    Every problem is a ProjectError with a JSON path, raised before any training starts.
    ``memory_limit`` (bytes) defaults to the memory currently available.
    """
    import numpy as np

    from engine.data import load_dataset
    from engine.data.preprocess import Preprocessor
    from engine.graph import build_model, plan_network

    dtype = np.dtype(dtype or np.float32)
    file = project.file
    dataset = load_dataset(project.data, project.seed, project.base_dir, file)
    preprocessor = Preprocessor.fit(dataset, project.data.get("features"))
    input_shape = tuple(preprocessor.input_shape)
    limit = available_memory() if memory_limit is None else int(memory_limit)
    batch_size = int(project.training["batch_size"])

    # Shapes first (no allocation), so a huge activation load (or, for layer classes that can
    # count their parameters, a huge weight) is refused before any weights exist; parameters
    # are then counted again as each layer is created.
    plan = plan_network(project.network, input_shape, file)
    check_batchnorm_batches(plan, min(batch_size, dataset.n_train), file)
    activations = plan.activation_count()

    def check(param_count: int, where: str, complete: bool) -> None:
        estimate = estimate_memory(param_count, activations, batch_size, dtype.itemsize)
        if limit is not None and estimate.total_bytes > limit:
            amount = ("about " if complete else "at least ") + estimate.describe()
            raise ProjectError(file, where, f"the network is too large for this computer: "
                               f"training needs {amount}, but only {human_bytes(limit)} of "
                               "memory is available; use fewer or smaller layers or a smaller "
                               "training.batch_size")

    countable = all(hasattr(layer.cls, "count_params") for layer in plan.layers)
    check(plan.known_param_count(), "network", complete=countable)
    model = build_model(project.network, input_shape, project.seed, file, dtype=dtype,
                        on_layer=lambda layer, count: check(count, layer.where, False))
    check(model.param_count() + model.buffer_count(), "network", complete=True)

    loss_cls = LOSSES.get(project.training["loss"], file, "training.loss")
    problem = loss_cls.check(dataset.task, tuple(model.output_shape), model.last_activation,
                             dataset.n_classes, dataset.n_targets)
    if problem:
        raise ProjectError(file, "training.loss", problem + task_hint(project.data, dataset))
    memory = estimate_memory(model.param_count() + model.buffer_count(), activations,
                             batch_size, dtype.itemsize)
    return Prepared(dataset, preprocessor, model, loss_cls(), memory)
