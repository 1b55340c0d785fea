"""What the editor shows about a network: shapes, parameter counts, errors, readiness.

Runs on the GUI thread after each edit; data sets are loaded once per data setting and cached,
and ``plan_network`` allocates no weights, so this stays cheap.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import ProjectError

_LAYER_WHERE = re.compile(r"^network\.layers\[(\d+)\]")


@dataclass
class NodeInfo:
    """One layer as the canvas draws it."""

    index: int
    layer_id: str
    inputs: tuple[str, ...] = ()
    output_shape: tuple[int, ...] | None = None
    params: int | None = None
    error: str | None = None


@dataclass
class Analysis:
    """The network checked against the current data."""

    nodes: list[NodeInfo] = field(default_factory=list)
    input_shape: tuple[int, ...] | None = None
    error: str | None = None          # why training is disabled (None: ready)
    error_index: int | None = None    # the layer the error is about, if any
    project: object | None = None
    prepared: object | None = None


class Analyzer:
    """Checks a session's spec; caches the loaded data set between network edits."""

    def __init__(self) -> None:
        self._data_key: str | None = None
        self._dataset = None
        self._data_error: ProjectError | None = None

    @property
    def last_dataset(self):
        """The most recently loaded data set (None if it failed to load)."""
        return self._dataset

    def dataset(self, project):
        """The project's data set, loaded once per data settings (raises ProjectError)."""
        from engine.data import load_dataset
        key = json.dumps([project.data, project.seed, str(project.base_dir)], sort_keys=True)
        if key != self._data_key:
            self._data_key = key
            self._dataset, self._data_error = None, None
            try:
                self._dataset = load_dataset(project.data, project.seed, project.base_dir,
                                             project.file)
            except ProjectError as error:
                self._data_error = error
        if self._data_error is not None:
            raise self._data_error
        return self._dataset

    def analyse(self, session) -> Analysis:
        """Shapes and errors for every layer, and whether training can start."""
        from engine.graph import assign_ids
        result = Analysis()
        layers = session.layers
        try:
            ids = assign_ids(copy.deepcopy(layers))
        except ProjectError:
            ids = [str(layer.get("id") or f"{layer.get('type')}_{i + 1}")
                   for i, layer in enumerate(layers)]
        result.nodes = []
        for i, layer in enumerate(layers):
            # Without ``inputs`` a layer takes the previous layer's output.
            default = (ids[i - 1],) if i > 0 else ("input",)
            result.nodes.append(NodeInfo(i, ids[i], tuple(layer.get("inputs") or default)))
        try:
            project = session.project()
        except ProjectError as error:
            return _fail(result, error)
        result.project = project
        try:
            dataset = self.dataset(project)
            from engine.data.preprocess import Preprocessor
            preprocessor = Preprocessor.fit(dataset, project.data.get("features"))
        except (ProjectError, ValueError) as error:
            return _fail(result, error)
        result.input_shape = tuple(preprocessor.input_shape)
        self._plan(project, result)
        if result.error:
            return result
        try:
            from engine.project import prepare
            result.prepared = prepare(project)
        except (ProjectError, ValueError, MemoryError) as error:
            return _fail(result, error)
        return result

    def _plan(self, project, result: Analysis) -> None:
        from engine.graph import plan_network
        try:
            plan = plan_network(project.network, result.input_shape, project.file)
        except ProjectError as error:
            _fail(result, error)
            # Shapes up to the broken layer still help: plan the prefix before it.
            if result.error_index:
                try:
                    prefix = plan_network(project.network[:result.error_index],
                                          result.input_shape, project.file)
                    _fill(result, prefix)
                except ProjectError:
                    pass
            return
        _fill(result, plan)


def _fill(result: Analysis, plan) -> None:
    for layer_plan in plan.layers:
        if layer_plan.index >= len(result.nodes):
            continue
        node = result.nodes[layer_plan.index]
        node.layer_id = layer_plan.layer_id
        node.inputs = tuple(layer_plan.inputs)
        node.output_shape = tuple(layer_plan.output_shape)
        node.params = _count_params(layer_plan)


def _count_params(layer_plan) -> int | None:
    """Parameters of one planned layer, from the class's hook or by building it."""
    cls = layer_plan.cls
    counter = getattr(cls, "count_params", None)
    try:
        if counter is not None:
            return int(counter(layer_plan.config, list(layer_plan.input_shapes)))
        layer = cls(layer_plan.layer_id, layer_plan.config, list(layer_plan.input_shapes),
                    np.random.default_rng(0))
        return int(sum(p.data.size for _, p in layer.named_parameters()))
    except (ValueError, MemoryError):
        return None


def _fail(result: Analysis, error: Exception) -> Analysis:
    if isinstance(error, ProjectError):
        match = _LAYER_WHERE.match(error.where)
        if match:
            result.error_index = int(match.group(1))
            if result.error_index < len(result.nodes):
                result.nodes[result.error_index].error = error.what
        where = "" if error.where in ("(top level)",) else f"{error.where}: "
        result.error = f"{where}{error.what}"
    else:
        result.error = str(error)
    return result


def describe_path(path: Path | None) -> str:
    """A short label for a file path."""
    return path.name if path else "untitled"
