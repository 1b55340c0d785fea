"""From a list of layer settings to a checked graph: ids, inputs, order, shapes, then a Model.

A project's layers form a chain unless a layer names its ``inputs``; the same list therefore
describes branches and skip connections. ``plan_network`` checks the graph and infers every
shape without allocating any weights (cheap enough to run on every edit in the GUI);
``build_model`` then creates the layers.
"""
from __future__ import annotations

import copy
import heapq
import math
import re
import zlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from engine.errors import ProjectError, ShapeError
from engine.params import _show, validate_settings
from engine.registry import LAYERS

INPUT = "input"
LAYER_KEYS = ("type", "id", "inputs")
ID_REGEX = "[A-Za-z_][A-Za-z0-9_]*"  # valid in weight names, ONNX and Python exports
ID_PATTERN = re.compile(ID_REGEX + r"\Z")


@dataclass(frozen=True)
class LayerPlan:
    """One layer of a checked network: where it came from, what feeds it, its output shape."""

    index: int                      # position in the project file's layer list
    layer_id: str
    type_name: str
    cls: type
    config: dict                    # validated settings, defaults filled (no type/id/inputs)
    inputs: tuple[str, ...]         # ids of the layers that feed it; "input" is the model input
    input_shapes: tuple[tuple[int, ...], ...]
    output_shape: tuple[int, ...]

    @property
    def where(self) -> str:
        """JSON path of this layer in the project file."""
        return f"network.layers[{self.index}]"


@dataclass(frozen=True)
class NetworkPlan:
    """A checked network: layers in topological order, the input shape and the output layer."""

    layers: tuple[LayerPlan, ...]
    input_shape: tuple[int, ...]
    output_id: str

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Shape of one output sample."""
        return self.by_id[self.output_id].output_shape

    @property
    def by_id(self) -> dict[str, LayerPlan]:
        """Layer plans keyed by id."""
        return {plan.layer_id: plan for plan in self.layers}

    def is_chain(self) -> bool:
        """True when every layer takes exactly the previous layer's output."""
        previous = INPUT
        for plan in sorted(self.layers, key=lambda p: p.index):
            if plan.inputs != (previous,):
                return False
            previous = plan.layer_id
        return True

    def known_param_count(self) -> int:
        """Parameters of the layers whose class can count them before building (see
        ``count_params`` in docs/ARCHITECTURE.md); a lower bound of the real total."""
        total = 0
        for plan in self.layers:
            counter = getattr(plan.cls, "count_params", None)
            if counter is not None:
                total += int(counter(plan.config, list(plan.input_shapes)))
        return total

    def activation_count(self) -> int:
        """Numbers produced by one forward pass of one sample (all layer outputs)."""
        return sum(math.prod(int(n) for n in plan.output_shape) for plan in self.layers)


def format_shape(shape: tuple[int, ...] | list[int]) -> str:
    """A shape as people read it: ``(1, 28, 28)``, ``(8,)``."""
    return str(tuple(int(n) for n in shape))


def assign_ids(layers: list[dict], file: str | None = None) -> list[str]:
    """The id of each layer: its ``id`` or ``<type>_<k>`` (k counts layers of that type)."""
    ids: list[str] = []
    seen: dict[str, int] = {}
    per_type: dict[str, int] = {}
    for index, layer in enumerate(layers):
        where = f"network.layers[{index}]"
        type_name = layer.get("type") if isinstance(layer, dict) else None
        per_type[str(type_name)] = per_type.get(str(type_name), 0) + 1
        given = layer.get("id") if isinstance(layer, dict) else None
        if given is None:
            layer_id = f"{type_name}_{per_type[str(type_name)]}"
        else:
            layer_id = check_id(given, file, f"{where}.id")
        if layer_id in seen:
            raise ProjectError(file, f"{where}.id" if given is not None else where,
                               f'duplicate id "{layer_id}" (network.layers[{seen[layer_id]}] '
                               "has it too); give each layer its own id")
        seen[layer_id] = index
        ids.append(layer_id)
    return ids


def check_id(value: Any, file: str | None, where: str) -> str:
    """Validate a user-given layer id (a name usable in weight files and exported code)."""
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise ProjectError(file, where, f"expected an id made of letters, digits and _ "
                                        f"(not starting with a digit), got {_show(value)}")
    if value == INPUT:
        raise ProjectError(file, where, '"input" names the network input; choose another id')
    return value


def check_layer(layer: Any, file: str | None, where: str) -> dict:
    """One layer dict validated: ``type``, then ``id``/``inputs`` if given, then every
    declared setting with its default filled (a new dict that shares nothing with the input)."""
    if not isinstance(layer, dict):
        raise ProjectError(file, where, f"expected a layer object, got {_show(layer)}")
    if "type" not in layer:
        raise ProjectError(file, f"{where}.type", "missing; use one of: "
                           + ", ".join(LAYERS.names()))
    cls = LAYERS.get(layer["type"], file, f"{where}.type")
    settings = validate_settings(cls.params, layer, file, where, ignore=LAYER_KEYS)
    result: dict[str, Any] = {"type": cls.type_name}
    if "id" in layer:
        result["id"] = check_id(layer["id"], file, f"{where}.id")
    if "inputs" in layer:
        inputs = layer["inputs"]
        if (not isinstance(inputs, list) or not inputs
                or not all(isinstance(name, str) and name for name in inputs)):
            raise ProjectError(file, f"{where}.inputs", 'expected a non-empty list of layer ids '
                               f'or "input", got {_show(inputs)}')
        result["inputs"] = list(inputs)
    # Defaults are shared objects in the declarations; each layer's copy must be its own.
    result.update((p.name, copy.deepcopy(settings[p.name])) for p in cls.params)
    return result


def plan_network(layers: list[dict], input_shape: tuple[int, ...],
                 file: str | None = None) -> NetworkPlan:
    """Check ids, inputs, cycles, unused outputs and shapes; return the layers in run order."""
    from engine import catalog
    catalog.load_all()
    if not isinstance(layers, list) or not layers:
        raise ProjectError(file, "network.layers", "expected a non-empty list of layers")
    input_shape = tuple(int(n) for n in input_shape)
    layers = [check_layer(layer, file, f"network.layers[{index}]")
              for index, layer in enumerate(layers)]
    classes = [LAYERS.entries[layer["type"]] for layer in layers]
    configs = [{p.name: layer[p.name] for p in cls.params}
               for cls, layer in zip(classes, layers)]
    ids = assign_ids(layers, file)
    inputs = _resolve_inputs(layers, ids, classes, file)
    order = _topological_order(ids, inputs, file)
    _check_all_used(ids, inputs, file)
    shapes: dict[str, tuple[int, ...]] = {INPUT: input_shape}
    plans = []
    for index in order:
        in_shapes = tuple(shapes[name] for name in inputs[index])
        cls = classes[index]
        try:
            out_shape = tuple(int(n) for n in cls.infer_shape(configs[index], list(in_shapes)))
        except ShapeError as error:
            shown = ", ".join(format_shape(s) for s in in_shapes)
            noun = "input shape" if len(in_shapes) == 1 else "input shapes"
            raise ProjectError(file, f"network.layers[{index}]",
                               f'{cls.type_name} layer "{ids[index]}" got {noun} {shown}: '
                               f"{error}") from None
        if any(n <= 0 for n in out_shape):
            raise ProjectError(file, f"network.layers[{index}]",
                               f'{cls.type_name} layer "{ids[index]}" would output shape '
                               f"{format_shape(out_shape)} from {format_shape(in_shapes[0])}; "
                               "the input is too small for these settings")
        shapes[ids[index]] = out_shape
        plans.append(LayerPlan(index, ids[index], cls.type_name, cls, configs[index],
                               tuple(inputs[index]), in_shapes, out_shape))
    return NetworkPlan(tuple(plans), input_shape, ids[-1])


def build_model(layers: list[dict], input_shape: tuple[int, ...], seed: int,
                file: str | None = None, dtype=np.float32,
                on_layer: Callable[[LayerPlan, int], None] | None = None):
    """Check the network (see ``plan_network``) and create its layers with seeded weights.

    Each layer draws from its own generator seeded by ``(seed, id)``, so adding or removing a
    layer leaves the initial weights of the others unchanged. ``on_layer(plan, params_so_far)``
    runs after each layer is created (``prepare`` uses it to stop before memory runs out).
    """
    from engine.model import Model
    plan = plan_network(layers, input_shape, file)
    created = {}
    total_params = 0
    for layer_plan in plan.layers:
        rng = layer_rng(seed, layer_plan.layer_id)
        try:
            layer = layer_plan.cls(layer_plan.layer_id, dict(layer_plan.config),
                                   [tuple(s) for s in layer_plan.input_shapes], rng, dtype=dtype)
        except MemoryError:
            raise ProjectError(file, layer_plan.where,
                               f'not enough memory to create layer "{layer_plan.layer_id}"; '
                               "use fewer units or filters") from None
        created[layer_plan.layer_id] = layer
        total_params += sum(int(p.data.size) for _, p in layer.named_parameters())
        if on_layer is not None:
            on_layer(layer_plan, total_params)
    return Model(plan, created, dtype=dtype)


def layer_rng(seed: int, layer_id: str) -> np.random.Generator:
    """The random generator for one layer's initial weights (and dropout masks)."""
    return np.random.default_rng([int(seed), zlib.crc32(layer_id.encode("utf-8"))])


def _resolve_inputs(layers: list[dict], ids: list[str], classes: list[type],
                    file: str | None) -> list[list[str]]:
    """Each layer's input ids: as given, else the previous layer (or the model input)."""
    known = set(ids)
    result = []
    for index, layer in enumerate(layers):
        where = f"network.layers[{index}].inputs"
        given = layer.get("inputs")
        if given is None:
            names = [INPUT if index == 0 else ids[index - 1]]
        else:
            names = []
            for position, name in enumerate(given):
                if not isinstance(name, str) or (name != INPUT and name not in known):
                    listed = ", ".join([INPUT] + ids)
                    raise ProjectError(file, f"{where}[{position}]",
                                       f"unknown input {_show(name)}; known ids: {listed}")
                names.append(name)
        cls = classes[index]
        low, high = cls.min_inputs, cls.max_inputs
        if len(names) < low or (high is not None and len(names) > high):
            if high == low:
                need = f"exactly {low} input{'s' if low != 1 else ''}"
            elif high is None:
                need = f"at least {low} inputs"
            else:
                need = f"{low} to {high} inputs"
            article = "an" if cls.type_name[:1] in "aeiou" else "a"
            raise ProjectError(file, where, f"{article} {cls.type_name} layer takes {need}, "
                                            f"got {len(names)}")
        result.append(names)
    return result


def _topological_order(ids: list[str], inputs: list[list[str]], file: str | None) -> list[int]:
    """Layer indices so that each layer comes after its inputs (file order where free)."""
    position = {layer_id: index for index, layer_id in enumerate(ids)}
    waiting = [sum(1 for name in set(names) if name != INPUT) for names in inputs]
    users: dict[int, list[int]] = {index: [] for index in range(len(ids))}
    for index, names in enumerate(inputs):
        for name in set(names):
            if name != INPUT:
                users[position[name]].append(index)
    ready = [index for index, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        index = heapq.heappop(ready)
        order.append(index)
        for user in users[index]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, user)
    if len(order) < len(ids):
        cycle = _find_cycle(ids, inputs, set(order))
        names = " -> ".join(ids[i] for i in cycle + [cycle[0]])
        raise ProjectError(file, f"network.layers[{min(cycle)}].inputs",
                           f"the inputs form a cycle: {names}; a layer cannot depend on its "
                           "own output")
    return order


def _find_cycle(ids: list[str], inputs: list[list[str]], done: set[int]) -> list[int]:
    """One cycle among the layers not placed in order, as indices in data-flow direction."""
    position = {layer_id: index for index, layer_id in enumerate(ids)}
    start = min(set(range(len(ids))) - done)
    # Walk backwards along inputs that are themselves stuck; a walk in a finite set repeats.
    path: list[int] = []
    seen: dict[int, int] = {}
    node = start
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = next(position[name] for name in inputs[node]
                    if name != INPUT and position[name] not in done)
    cycle = list(reversed(path[seen[node]:]))
    first = cycle.index(min(cycle))  # start the message at the layer listed first in the file
    return cycle[first:] + cycle[:first]


def _check_all_used(ids: list[str], inputs: list[list[str]], file: str | None) -> None:
    """Every layer but the last must feed another: a dangling branch is almost always a slip."""
    used = {name for names in inputs for name in names}
    for index, layer_id in enumerate(ids[:-1]):
        if layer_id not in used:
            raise ProjectError(file, f"network.layers[{index}]",
                               f'the output of "{layer_id}" is never used; only the last layer '
                               f'("{ids[-1]}") is the network output. Name "{layer_id}" in a '
                               'later layer\'s "inputs" or remove it')

