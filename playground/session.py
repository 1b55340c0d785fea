"""The open project as a Qt-light model: spec dict, file path, dirty flag and undo stack.

Panels observe its signals and write through ``edit``; every edit is one QUndoCommand, so
undo/redo covers the network, data and training settings alike.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoCommand, QUndoStack

from engine.data.common import absolute_path
from engine.project import load_project, parse_project
from engine.resources import resource_path

SECTIONS = ("name", "seed", "data", "network", "training")
IDX_FILE_KEYS = ("images", "labels")

DEFAULT_PROJECT: dict[str, Any] = {
    "layerlab": 1,
    "name": "Untitled",
    "seed": 0,
    "data": {"source": "circle", "samples": 500, "noise": 0.1, "test_fraction": 0.5,
             "features": ["x1", "x2"]},
    "network": {"layers": [
        {"type": "dense", "units": 4, "activation": "tanh"},
        {"type": "dense", "units": 2, "activation": "tanh"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}]},
    "training": {"loss": "binary_crossentropy",
                 "optimizer": {"type": "adam", "learning_rate": 0.03},
                 "batch_size": 10, "epochs": 200},
}


def _merge_id(key: str) -> int:
    """A stable QUndoCommand id for a merge key (ids must be ints)."""
    return 1000 + (hash(key) & 0x3FFFFFFF)


class SectionEdit(QUndoCommand):
    """Replace one section of the spec; consecutive edits with one merge key collapse."""

    def __init__(self, session: "Session", section: str, before: Any, after: Any,
                 text: str, merge_key: str | None = None) -> None:
        super().__init__(text)
        self.session = session
        self.section = section
        self.before = before
        self.after = after
        self.merge_key = merge_key

    def id(self) -> int:  # noqa: A003 - Qt's name
        """Commands with the same merge key merge (slider drags make one undo step)."""
        return _merge_id(self.merge_key) if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        """Keep our ``before`` and take the newer ``after``."""
        if not isinstance(other, SectionEdit) or other.merge_key != self.merge_key \
                or other.section != self.section:
            return False
        self.after = other.after
        return True

    def redo(self) -> None:
        """Apply the new value."""
        self.session._replace_section(self.section, copy.deepcopy(self.after))

    def undo(self) -> None:
        """Put the old value back."""
        self.session._replace_section(self.section, copy.deepcopy(self.before))


class Session(QObject):
    """The project being edited; one signal per kind of change."""

    networkChanged = Signal()
    dataChanged = Signal()
    trainingChanged = Signal()
    learningRateChanged = Signal(float)
    nameChanged = Signal()
    projectReplaced = Signal()
    selectionChanged = Signal(int)
    dirtyChanged = Signal(bool)
    pathChanged = Signal(str)

    def __init__(self, spec: dict | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.spec: dict = copy.deepcopy(spec or DEFAULT_PROJECT)
        self.path: Path | None = None
        self.selected: int = -1

    @Slot(bool)
    def _on_clean_changed(self, clean: bool) -> None:
        self.dirtyChanged.emit(not clean)

    # ------------------------------------------------------------------ reading
    @property
    def layers(self) -> list[dict]:
        """The network's layer dicts (do not mutate: use ``set_layers``)."""
        return self.spec["network"]["layers"]

    @property
    def base_dir(self) -> Path | None:
        """Folder that relative data paths resolve against."""
        return self.path.parent if self.path else None

    @property
    def dirty(self) -> bool:
        """Whether there are unsaved changes."""
        return not self.undo_stack.isClean()

    def project(self):
        """The spec parsed into an engine Project (raises ProjectError)."""
        file = str(self.path) if self.path else None
        return parse_project(copy.deepcopy(self.spec), file, self.base_dir)

    def to_text(self) -> str:
        """The spec as saved-file text."""
        return self.project().to_text()

    # ------------------------------------------------------------------ editing
    def edit(self, section: str, value: Any, text: str, merge_key: str | None = None) -> None:
        """Replace a section through the undo stack (no-op when nothing changes)."""
        if section not in SECTIONS:
            raise KeyError(section)
        before = copy.deepcopy(self.spec[section])
        if before == value:
            return
        self.undo_stack.push(SectionEdit(self, section, before, copy.deepcopy(value), text,
                                         merge_key))

    def set_layers(self, layers: list[dict], text: str, select: int | None = None) -> None:
        """Replace the layer list (one undoable edit) and optionally select a layer."""
        network = copy.deepcopy(self.spec["network"])
        network["layers"] = copy.deepcopy(layers)
        self.edit("network", network, text)
        if select is not None:
            self.select(select)

    def set_data(self, data: dict, text: str, merge_key: str | None = None) -> None:
        """Replace the data settings (one undoable edit)."""
        self.edit("data", data, text, merge_key)

    def set_training(self, training: dict, text: str, merge_key: str | None = None) -> None:
        """Replace the training settings (one undoable edit)."""
        self.edit("training", training, text, merge_key)

    def select(self, index: int) -> None:
        """Select a layer by its position (-1 for none)."""
        index = index if 0 <= index < len(self.layers) else -1
        if index != self.selected:
            self.selected = index
            self.selectionChanged.emit(index)

    def _replace_section(self, section: str, value: Any) -> None:
        old = self.spec.get(section)
        self.spec[section] = value
        if section == "network":
            if self.selected >= len(self.layers):
                self.select(len(self.layers) - 1)
            self.networkChanged.emit()
        elif section == "data":
            self.dataChanged.emit()
        elif section == "training":
            old_rate = (old or {}).get("optimizer", {}).get("learning_rate")
            new_rate = value.get("optimizer", {}).get("learning_rate")
            only_rate = _without_rate(old) == _without_rate(value)
            if only_rate and new_rate is not None and new_rate != old_rate:
                # A rate change is applied to a running trainer, not a rebuild.
                self.learningRateChanged.emit(float(new_rate))
            else:
                self.trainingChanged.emit()
        else:
            self.nameChanged.emit()

    # ------------------------------------------------------------------ files
    def replace(self, spec: dict, path: Path | None) -> None:
        """Load a new project (clears undo history; not dirty)."""
        self.spec = copy.deepcopy(spec)
        self.path = Path(path) if path else None
        self.selected = -1
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.projectReplaced.emit()
        self.pathChanged.emit(str(self.path) if self.path else "")
        self.dirtyChanged.emit(False)

    def open(self, path: str | Path) -> None:
        """Read a project file (raises ProjectError) and make it the open project."""
        project = load_project(path)
        self.replace(project.to_json(), Path(path))

    def open_preset(self, preset: str | Path, search: Sequence[Path] = ()) -> list[str]:
        """Open a preset (a bundled name or a file's path) as a new, unsaved project.

        IDX files the preset names (MNIST is not bundled) are looked for by file name in the
        current folder, then in ``search``; found ones are stored as absolute paths so the
        project keeps working wherever it is saved. Returns the files still missing.
        """
        path = Path(preset) if Path(preset).suffix == ".json" else \
            resource_path("presets", f"{preset}.json")
        spec = load_project(path).to_json()
        located = locate_idx_files(spec["data"], [Path.cwd(), *search])
        if located is not None:
            spec["data"] = located
        self.replace(spec, None)
        return missing_idx_files(spec["data"], None)

    def new(self) -> None:
        """Start a new project from the default circle network."""
        self.replace(parse_project(copy.deepcopy(DEFAULT_PROJECT)).to_json(), None)

    def save(self, path: str | Path | None = None) -> Path:
        """Write the project (validated) to ``path`` or its current file."""
        from engine.fileio import atomic_write_text
        target = Path(path) if path else self.path
        if target is None:
            raise ValueError("no file name given")
        text = self.to_text()
        atomic_write_text(target, text)
        if target != self.path:
            self.path = target
            self.pathChanged.emit(str(target))
        self.undo_stack.setClean()
        return target


def _without_rate(training: dict | None) -> str:
    """Training settings minus the learning rate, as comparable text."""
    if not training:
        return ""
    reduced = copy.deepcopy(training)
    reduced.get("optimizer", {}).pop("learning_rate", None)
    return json.dumps(reduced, sort_keys=True)


def missing_idx_files(data: dict, base_dir: Path | None) -> list[str]:
    """The files an ``idx`` data section names that do not exist; empty for other sources.

    Relative paths start at ``base_dir``, else the current folder, as the engine resolves them.
    """
    if data.get("source") != "idx":
        return []
    missing = []
    for key in IDX_FILE_KEYS:
        value = data.get(key)
        if isinstance(value, str) and not _is_file(absolute_path(value, base_dir)):
            missing.append(value)
    return missing


def _is_file(path: Path) -> bool:
    """Whether ``path`` is a file; a path the system rejects (too long, ...) is not."""
    try:
        return path.is_file()
    except OSError:
        return False


def locate_idx_files(data: dict, folders: Sequence[Path]) -> dict | None:
    """``data`` with absolute paths into the first folder that holds both IDX files.

    In each folder the path as written is tried, then the bare file name. None when the
    source is not ``idx`` or no folder has both; the other settings are kept.
    """
    if data.get("source") != "idx" or not all(isinstance(data.get(k), str)
                                              for k in IDX_FILE_KEYS):
        return None
    for folder in folders:
        base = Path(folder).expanduser().absolute()
        found = {}
        for key in IDX_FILE_KEYS:
            written = Path(data[key]).expanduser()
            path = next((p for p in (base / written, base / written.name) if p.is_file()), None)
            if path is None:
                break
            found[key] = str(path)
        else:
            return {**copy.deepcopy(data), **found}
    return None
