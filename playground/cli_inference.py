"""``layerlab evaluate``, ``predict`` and ``datasets``: using a saved model, listing sources."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from engine.errors import ProjectError
from engine.fileio import check_output_path
from playground.imageio import is_image_path, read_grayscale

INPUT_SUFFIXES = ".csv, .npy, .png or .jpg"


# ----------------------------------------------------------------------------- evaluate
def evaluate_model(model_path: str, project_path: str) -> dict:
    """Loss and accuracy (or R²) of a saved model on both splits of a project's data."""
    from engine import metrics
    from engine.data import load_dataset
    from engine.modelfile import load_model
    from engine.project import load_project
    from engine.registry import LOSSES

    saved = load_model(model_path)
    project = load_project(project_path)
    dataset = load_dataset(project.data, project.seed, project.base_dir, project.file)
    _check_compatible(saved, dataset, model_path, project_path)
    loss = LOSSES.get(saved.project.training["loss"], model_path, "training.loss")()
    result: dict = {"model": str(model_path), "project": str(project_path),
                    "task": saved.task, "loss": saved.project.training["loss"],
                    "train_samples": int(len(dataset.x_train)),
                    "test_samples": int(len(dataset.x_test))}
    for split, x, y in (("train", dataset.x_train, dataset.y_train),
                        ("test", dataset.x_test, dataset.y_test)):
        if len(x) == 0:
            result[f"{split}_loss"] = None
            result[f"{split}_accuracy"] = None
            if saved.task == "regression":
                result[f"{split}_r2"] = None
            continue
        output = _raw_output(saved, x)
        if saved.task == "classification":
            target = np.asarray(y, dtype=np.int64)
            result[f"{split}_accuracy"] = metrics.accuracy(output, target)
        else:
            target = np.asarray(y, dtype=output.dtype).reshape(len(y), -1)
            result[f"{split}_accuracy"] = None
            result[f"{split}_r2"] = metrics.r2_score(output, target)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value = float(np.mean(loss.per_sample(output, target)))
        result[f"{split}_loss"] = value if np.isfinite(value) else None
    order = ["train_loss", "test_loss", "train_accuracy", "test_accuracy", "train_r2", "test_r2"]
    return {**{k: v for k, v in result.items() if k not in order},
            **{k: result[k] for k in order if k in result}}


def _raw_output(saved, x_raw: np.ndarray) -> np.ndarray:
    """The network's own output (what the loss measures), for raw samples."""
    dtype = saved.model.dtype
    x = saved.preprocessor.transform(np.asarray(x_raw, dtype=dtype), dtype=dtype)
    output = saved.model.predict(x)
    return output.reshape(len(output), -1)


def _check_compatible(saved, dataset, model_path: str, project_path: str) -> None:
    """The project's data must have the samples, task and classes the model was trained on."""
    expected = tuple(saved.preprocessor.raw_shape)
    if tuple(dataset.sample_shape) != expected:
        raise ProjectError(str(project_path), "data", f"the data gives samples of shape "
                           f"{tuple(dataset.sample_shape)} but the model {model_path} takes "
                           f"{expected}")
    if dataset.task != saved.task:
        raise ProjectError(str(project_path), "data", f"the data is for {dataset.task} but "
                           f"the model {model_path} does {saved.task}")
    if saved.task == "classification":
        classes = len(saved.class_names())
        found = int(dataset.n_classes or 0)
        if found > classes:
            raise ProjectError(str(project_path), "data", f"the data has {found} classes but "
                               f"the model {model_path} knows {classes}")


# ------------------------------------------------------------------------------ predict
def predict_command(model_path: str, inputs: list[str], output: str | None) -> tuple[str, int]:
    """Predict for the inputs; write the CSV to ``output`` (atomically) or return its text.

    Returns the CSV text and the number of rows. Everything is read and checked before
    anything is written.
    """
    from engine.modelfile import load_model

    saved = load_model(model_path)
    if output is not None:
        _check_output(Path(output), inputs)
    samples = read_inputs(saved, inputs)
    try:
        values = saved.predict(samples)
    except ValueError as error:
        raise ProjectError(inputs[0], "samples", f"{error}; the model {model_path} takes "
                           f"{_describe_input(saved)}") from None
    text = predictions_csv(saved, np.asarray(values))
    if output is not None:
        from engine.fileio import atomic_write_text
        atomic_write_text(output, text)
    return text, len(values)


def _check_output(path: Path, inputs: list[str]) -> None:
    """The -o target must be a file in an existing folder and not one of the inputs."""
    check_output_path(path, "-o")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ProjectError(str(path), "-o", "the folder does not exist; create it first")
    if path.is_dir():
        raise ProjectError(str(path), "-o", "is a folder; give a file name such as "
                                            "predictions.csv")
    if any(Path(item).resolve() == path.resolve() for item in inputs):
        raise ProjectError(str(path), "-o", "is also an input; choose another file name")


def _describe_input(saved) -> str:
    """What the model takes, for error messages."""
    shape = tuple(saved.preprocessor.raw_shape)
    if saved.kind == "image":
        return f"images of {shape[-2]}x{shape[-1]} pixels (samples of shape {shape})"
    names = saved.input_names or []
    if names and len(names) == int(np.prod(shape)):
        return f"{len(names)} feature columns: {', '.join(names)}"
    return f"samples of shape {shape}"


def read_inputs(saved, inputs: list[str]) -> np.ndarray:
    """Raw samples from one .csv, one .npy, or any number of image files."""
    images = [item for item in inputs if is_image_path(item)]
    if images and len(images) != len(inputs):
        raise ProjectError(next(i for i in inputs if not is_image_path(i)), "INPUT",
                           "mix of images and other files; give either image files or one "
                           f"{INPUT_SUFFIXES.replace(', .png or .jpg', '')} file")
    if images:
        return read_images(saved, images)
    if len(inputs) != 1:
        raise ProjectError(inputs[1], "INPUT", "give one .csv or .npy file (several inputs "
                                               "are allowed for images only)")
    path = Path(inputs[0])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(saved, path)
    if suffix == ".npy":
        return read_npy(saved, path)
    raise ProjectError(str(path), "INPUT", f"unsupported file type {suffix or '(none)'!r}; "
                                           f"use {INPUT_SUFFIXES}")


def read_images(saved, paths: list[str]) -> np.ndarray:
    """Image files turned into MNIST-style samples of the model's image size."""
    from engine.imageprep import prepare_image
    shape = tuple(saved.preprocessor.raw_shape)
    if saved.kind != "image" or len(shape) != 3 or shape[0] != 1:
        raise ProjectError(paths[0], "INPUT", "this model does not take images; it takes "
                                              f"{_describe_input(saved)}")
    # Read every file first: a bad one is reported before any work is done on the rest.
    grays = [read_grayscale(path) for path in paths]
    dtype = saved.model.dtype
    return np.stack([prepare_image(gray, shape[1], shape[2], dtype=dtype) for gray in grays])


def read_npy(saved, path: Path) -> np.ndarray:
    """A ``.npy`` batch (never unpickled); one sample without the batch axis is accepted."""
    if not path.is_file():
        raise ProjectError(str(path), "(file)", "file not found")
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as error:
        raise ProjectError(str(path), "(file)", f"not a plain numeric .npy array ({error})") from None
    except OSError as error:
        raise ProjectError(str(path), "(file)", f"cannot read the file: {error}") from None
    if array.dtype.kind not in "biuf":
        raise ProjectError(str(path), "dtype", f"expected numbers, got {array.dtype}")
    shape = tuple(saved.preprocessor.raw_shape)
    if array.shape == shape:
        array = array[None]
    elif saved.kind == "image" and shape[0] == 1 and array.shape == shape[1:]:
        array = array[None, None]
    if array.ndim < 2 or not np.all(np.isfinite(array)):
        problem = ("contains values that are not finite" if array.ndim >= 2
                   else f"has shape {array.shape}")
        raise ProjectError(str(path), "array", f"{problem}; the model takes "
                           f"{_describe_input(saved)}")
    return array


def read_csv(saved, path: Path) -> np.ndarray:
    """Feature columns (picked by name when the header has the model's input names)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ProjectError(str(path), "(file)", "file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ProjectError(str(path), "(file)", f"cannot read the file as text: {error}") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if row and any(c.strip() for c in row)]
    if not rows:
        raise ProjectError(str(path), "line 1", "the file is empty; expected a header line "
                                                "and one row per sample")
    header = [name.strip() for name in rows[0]]
    body = rows[1:]
    if not body:
        raise ProjectError(str(path), "line 2", "no data rows after the header")
    lengths = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
    ragged = np.flatnonzero(lengths != len(header))
    if ragged.size:
        first = int(ragged[0])
        raise ProjectError(str(path), f"line {first + 2}", f"{lengths[first]} values but the "
                                                           f"header has {len(header)} columns")
    columns = _choose_columns(saved, header, path)
    table = np.array(body, dtype=object)[:, columns]
    try:
        values = table.astype(np.float64)
    except ValueError:
        values = None
    if values is None or not np.all(np.isfinite(values)):
        line, column = _first_bad_cell(table)
        raise ProjectError(str(path), f"line {line + 2}, column \"{header[columns[column]]}\"",
                           f"{table[line, column]!r} is not a finite number")
    return values.reshape((len(values),) + tuple(saved.preprocessor.raw_shape))


def _choose_columns(saved, header: list[str], path: Path) -> list[int]:
    """Indices of the feature columns in ``header``."""
    width = int(np.prod(saved.preprocessor.raw_shape))
    names = list(saved.input_names or [])
    if len(names) == width and all(name in header for name in names):
        return [header.index(name) for name in names]
    if len(header) == width:
        return list(range(width))
    wanted = (", ".join(names) if len(names) == width and width <= 20
              else f"{width} numeric columns")
    raise ProjectError(str(path), "line 1", f"the header has {len(header)} columns; the model "
                                            f"takes {wanted}")


def _first_bad_cell(table: np.ndarray) -> tuple[int, int]:
    """Row and column of the first cell that is not a finite number (error path only)."""
    for (row, column), cell in np.ndenumerate(table):
        try:
            if np.isfinite(float(cell)):
                continue
        except ValueError:
            pass
        return row, column
    return 0, 0


def predictions_csv(saved, values: np.ndarray) -> str:
    """CSV text: ``prediction`` then one probability column per class (regression: values)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    values = values.reshape(len(values), -1)
    if saved.task == "classification":
        names = saved.class_names()
        writer.writerow(["prediction", *names])
        labels = np.asarray(names, dtype=object)[values.argmax(axis=1)]
        cells = np.char.mod("%.6g", values).astype(object)
        writer.writerows(np.column_stack([labels, cells]).tolist())
    else:
        targets = list(saved.target_names or [])
        if values.shape[1] == 1:
            writer.writerow(["prediction"])
        else:
            names = targets if len(targets) == values.shape[1] else range(values.shape[1])
            writer.writerow([f"prediction_{name}" for name in names])
        writer.writerows(np.char.mod("%.6g", values).tolist())
    return buffer.getvalue()


# ----------------------------------------------------------------------------- datasets
def describe_datasets() -> str:
    """``layerlab datasets``: each source, its kind and task, and its settings."""
    from engine.data import describe_sources
    lines = []
    for source in describe_sources():
        task = source.get("task") or "classification or regression"
        lines.append(f"{source['name']}  ({source['kind']}, {task})")
        if source.get("help"):
            lines.append(f"    {source['help']}")
        for param in source["params"]:
            lines.append("    " + _describe_param(param))
        lines.append("")
    return "\n".join(lines).rstrip()


def _describe_param(param: dict) -> str:
    """One setting: name, kind, default, allowed values and help."""
    facts = [param["kind"]]
    if param.get("required"):
        facts.append("required")
    elif param.get("default") is not None:
        facts.append(f"default {param['default']}")
    if "minimum" in param or "maximum" in param:
        low, high = param.get("minimum", "-inf"), param.get("maximum", "inf")
        facts.append(f"{low}..{high}")
    if param.get("choices"):
        facts.append("one of " + "|".join(str(c) for c in param["choices"]))
    text = f"{param['name']}: {', '.join(facts)}"
    return text + (f" - {param['help']}" if param.get("help") else "")
