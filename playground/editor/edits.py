"""Pure edits of a layer list: insert, delete, duplicate, move, connect, disconnect.

Each returns a new list (the input is never mutated), so the session can push it as one
undoable edit. Explicit ``id``s are given to layers only when a connection needs to name them.
"""
from __future__ import annotations

import copy

from engine.graph import assign_ids
from engine.errors import ProjectError


def _ids(layers: list[dict]) -> list[str]:
    try:
        return assign_ids(copy.deepcopy(layers))
    except ProjectError:
        return [str(layer.get("id") or f"{layer.get('type')}_{i + 1}")
                for i, layer in enumerate(layers)]


def explicit_inputs(layers: list[dict]) -> list[dict]:
    """The same network with every ``id`` and ``inputs`` written out.

    Needed before any edit that changes order or wiring, because default ids count layers
    of a type in file order and default inputs follow the file order.
    """
    ids = _ids(layers)
    result = []
    for i, layer in enumerate(layers):
        layer = copy.deepcopy(layer)
        layer["id"] = ids[i]
        if not layer.get("inputs"):
            layer["inputs"] = [ids[i - 1]] if i > 0 else ["input"]
        result.append(layer)
    return result


def is_chain(layers: list[dict]) -> bool:
    """Whether the list is a plain chain (no explicit wiring)."""
    return not any("inputs" in layer for layer in layers)


def default_layer(cls) -> dict:
    """A new layer of a registered type with sensible settings filled in."""
    layer: dict = {"type": cls.type_name}
    for param in cls.params:
        if param.default is not None:
            layer[param.name] = copy.deepcopy(param.default)
        elif param.required or param.name in ("units", "filters", "function", "shape"):
            layer[param.name] = _fallback(param)
    return layer


def _fallback(param):
    if param.kind == "int":
        return 8 if param.name in ("units", "filters") else int(param.minimum or 1)
    if param.kind == "float":
        return float(param.minimum or 0.0)
    if param.kind == "choice":
        preferred = [c for c in ("relu", "tanh") if c in param.choices]
        return preferred[0] if preferred else param.choices[0]
    if param.kind == "shape":
        return [1]
    if param.kind == "bool":
        return False
    return ""


def insert_after(layers: list[dict], index: int, new_layer: dict) -> tuple[list[dict], int]:
    """Insert ``new_layer`` after position ``index`` (-1: at the end); returns (list, position).

    In a wired network the new layer takes over the selected layer's users.
    """
    if index < 0 or index >= len(layers):
        index = len(layers) - 1
    position = index + 1
    if is_chain(layers):
        result = copy.deepcopy(layers)
        result.insert(position, copy.deepcopy(new_layer))
        return result, position
    result = explicit_inputs(layers)
    source = result[index]["id"] if index >= 0 else "input"
    new = copy.deepcopy(new_layer)
    taken = {layer["id"] for layer in result}
    new["id"] = _fresh_id(new["type"], taken)
    new["inputs"] = [source]
    for layer in result:
        layer["inputs"] = [new["id"] if name == source else name for name in layer["inputs"]]
    result.insert(position, new)
    return result, position


def _fresh_id(type_name: str, taken: set[str]) -> str:
    k = 1
    while f"{type_name}_{k}" in taken:
        k += 1
    return f"{type_name}_{k}"


def delete(layers: list[dict], index: int) -> list[dict]:
    """Remove a layer; its users take its inputs instead."""
    if is_chain(layers):
        result = copy.deepcopy(layers)
        del result[index]
        return result
    result = explicit_inputs(layers)
    gone = result.pop(index)
    for layer in result:
        replaced: list[str] = []
        for name in layer["inputs"]:
            for item in (gone["inputs"] if name == gone["id"] else [name]):
                if item not in replaced:
                    replaced.append(item)
        layer["inputs"] = replaced
    return result


def duplicate(layers: list[dict], index: int) -> tuple[list[dict], int]:
    """A copy of the layer right after it, fed by the original."""
    new = copy.deepcopy(layers[index])
    new.pop("id", None)
    new.pop("inputs", None)
    return insert_after(layers, index, new)


def move(layers: list[dict], index: int, offset: int) -> tuple[list[dict], int]:
    """Swap a layer with its neighbour (reorder within the chain)."""
    target = index + offset
    if not 0 <= target < len(layers) or not 0 <= index < len(layers):
        return copy.deepcopy(layers), index
    if is_chain(layers):
        result = copy.deepcopy(layers)
        result[index], result[target] = result[target], result[index]
        return result, target
    # Wired networks: swap the positions and the wiring, like swapping in a chain.
    result = explicit_inputs(layers)
    first, second = sorted((index, target))
    a, b = result[first], result[second]
    if b["inputs"] == [a["id"]]:
        a_inputs = list(a["inputs"])
        a["inputs"], b["inputs"] = [b["id"]], a_inputs
        for layer in result:
            if layer is not a and layer is not b:
                layer["inputs"] = [b["id"] if n == a["id"] else a["id"] if n == b["id"] else n
                                   for n in layer["inputs"]]
    result[first], result[second] = b, a
    return result, target


def connect(layers: list[dict], source: int, target: int) -> list[dict]:
    """Feed layer ``source``'s output (-1: the model input) into layer ``target``.

    Merge layers (add, concat) gain an input; other layers have theirs replaced.
    """
    from engine.registry import LAYERS
    result = explicit_inputs(layers)
    name = "input" if source < 0 else result[source]["id"]
    layer = result[target]
    cls = LAYERS.entries.get(layer["type"])
    many = cls is not None and (cls.max_inputs is None or cls.max_inputs > 1)
    if many:
        if name not in layer["inputs"]:
            layer["inputs"] = list(layer["inputs"]) + [name]
    else:
        layer["inputs"] = [name]
    return result


def disconnect(layers: list[dict], source_id: str, target: int) -> list[dict]:
    """Remove the edge from ``source_id`` into layer ``target``."""
    result = explicit_inputs(layers)
    result[target]["inputs"] = [n for n in result[target]["inputs"] if n != source_id]
    return result
