"""What every data source shares: the base class, the common parameters, path resolution."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from engine.data.dataset import Dataset
from engine.data.features import DEFAULT_FEATURES, FEATURE_NAMES
from engine.errors import ProjectError, os_reason
from engine.params import Param

NOISE_HELP = ("noise as a fraction: 0.5 is TensorFlow Playground's 50 (its slider's maximum); "
              "what it moves depends on the set")


class Source:
    """Base of data sources: declared params, a kind, and ``load`` returning a Dataset."""

    type_name: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()
    kind: ClassVar[str] = "vector"
    # The task when the source fixes it; None when the data decides (csv, npz).
    task: ClassVar[str | None] = None

    @classmethod
    def load(cls, settings: dict, seed: int, base_dir: Path | None,
             file: str | None) -> Dataset:
        """Build the dataset from validated ``settings`` (defaults filled); split with ``seed``."""
        raise NotImplementedError(f"data source {cls.__name__} does not define load()")

    @classmethod
    def help(cls) -> str:
        """The first line of the class docstring: the source's one-line help."""
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0].strip() if doc else ""


def samples_param(default: int) -> Param:
    """The ``samples`` setting of generated sets (how many points to draw)."""
    return Param("samples", "int", default, "number of points generated", minimum=10,
                 maximum=100_000)


def noise_param() -> Param:
    """The ``noise`` setting of generated 2-D sets (a fraction, 0.5 = Playground's 50)."""
    return Param("noise", "float", 0.0, NOISE_HELP, minimum=0.0, maximum=1.0)


def test_fraction_param(default: float) -> Param:
    """The ``test_fraction`` setting: the share of samples held out for testing."""
    return Param("test_fraction", "float", default,
                 "share of the samples held out as the test set (0 keeps them all for training)",
                 minimum=0.0, maximum=0.9)


def features_param() -> Param:
    """The ``features`` setting of 2-D sources: which transforms of (x1, x2) feed the network."""
    return Param("features", "strings", list(DEFAULT_FEATURES),
                 "inputs computed from each point (x1, x2): " + ", ".join(FEATURE_NAMES),
                 choices=FEATURE_NAMES)


def limit_param(maximum: int | None = None) -> Param:
    """The optional ``limit`` setting: use only the first N samples of a file."""
    return Param("limit", "int", None, "use only the first N samples (null: all)", minimum=1,
                 maximum=maximum, nullable=True)


def task_param() -> Param:
    """The optional ``task`` setting of table sources (null: decided from the target)."""
    return Param("task", "choice", None,
                 "classification or regression (null: strings or a few distinct whole numbers "
                 "mean classification)", choices=("classification", "regression"), nullable=True)


def make_rng(seed: int) -> np.random.Generator:
    """The one random generator a source draws from (generation first, then the split)."""
    return np.random.default_rng(seed)


def absolute_path(value: str, base_dir: Path | None) -> Path:
    """``value`` with ``~`` expanded, made absolute against the project folder (not checked)."""
    try:
        path = Path(value).expanduser()
    except RuntimeError:  # "~someone" with no such user: take the name literally
        path = Path(value)
    if not path.is_absolute():
        path = (Path(base_dir) if base_dir is not None else Path.cwd()) / path
    return path


def path_kind(path: Path, file: str | None, where: str) -> str:
    """``"file"``, ``"folder"`` or ``"missing"``; a path the system rejects is a ProjectError."""
    try:
        return "file" if path.is_file() else "folder" if path.is_dir() else "missing"
    except OSError as error:  # e.g. a name longer than the filesystem allows
        shown = str(path) if len(str(path)) <= 200 else str(path)[:197] + "..."
        raise ProjectError(file, where, f"cannot use the path {shown}: "
                                        f"{os_reason(error)}") from None


def _resolve_existing(value: str, base_dir: Path | None, file: str | None, where: str,
                      wanted: str) -> Path:
    """Resolve a settings path; ProjectError unless it is a ``wanted`` ("file" or "folder")."""
    path = absolute_path(value, base_dir)
    kind = path_kind(path, file, where)
    if kind != wanted:
        problem = (f"{wanted} not found" if kind == "missing"
                   else f"is a {kind}, not a {wanted}")
        raise ProjectError(file, where, f"{problem}: {path} (relative paths start at the "
                                        "project file's folder)")
    return path


def resolve_path(value: str, base_dir: Path | None, file: str | None, where: str) -> Path:
    """Resolve a settings path against the project folder; ProjectError if it is not a file."""
    return _resolve_existing(value, base_dir, file, where, "file")


def resolve_folder(value: str, base_dir: Path | None, file: str | None, where: str) -> Path:
    """Resolve a folder setting against the project folder; ProjectError if it is no folder."""
    return _resolve_existing(value, base_dir, file, where, "folder")


def split_counts(total: int, parts: int) -> list[int]:
    """Split ``total`` into ``parts`` counts that differ by at most one (earlier ones larger)."""
    return [total // parts + (1 if k < total % parts else 0) for k in range(parts)]


# Every sample becomes float32; larger magnitudes would turn into infinities on the way.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def beyond_float32(values: np.ndarray) -> np.ndarray:
    """Mask of finite values too large in magnitude to be stored as float32."""
    if values.dtype.kind != "f" or values.dtype.itemsize <= 4:
        return np.zeros(values.shape, dtype=bool)  # float16/32 always fit
    return np.isfinite(values) & (np.abs(values) > FLOAT32_MAX)
