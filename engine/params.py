"""Declared parameters: each layer, loss, optimizer and data source lists its settings once.

Validation, the JSON Schema, the GUI's property forms and ``layerlab datasets`` are all
generated from these declarations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import ProjectError

# Hand-placed points beyond this would overflow float32 statistics (the playground frame is ±6).
MAX_COORDINATE = 1e6
KINDS = ("int", "float", "bool", "choice", "str", "list", "shape", "path", "points", "strings")


@dataclass(frozen=True)
class Param:
    """One setting: its kind, default, limits and a one-line help text.

    kind: ``int``, ``float``, ``bool``, ``choice`` (one of ``choices``), ``str``, ``path``
    (a file path, relative to the project file), ``shape`` (list of positive ints),
    ``strings`` (list of strings, optionally restricted to ``choices``), ``points``
    (list of ``[x1, x2, label]``), ``list`` (any JSON list).
    """

    name: str
    kind: str
    default: Any = None
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple = ()
    log_scale: bool = False
    required: bool = False
    nullable: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown Param kind {self.kind!r}")

    def validate(self, value: Any, file: str | None, where: str) -> Any:
        """Return ``value`` checked (and ints widened to floats) or raise ProjectError."""
        if value is None and self.nullable:
            return None
        kind = self.kind
        if kind == "bool":
            if not isinstance(value, bool):
                raise ProjectError(file, where, f"expected true or false, got {_show(value)}")
            return value
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise ProjectError(file, where, f"expected a whole number{self._range()}, got {_show(value)}")
            self._check_range(value, file, where)
            return value
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ProjectError(file, where, f"expected a number{self._range()}, got {_show(value)}")
            try:
                value = float(value)
            except OverflowError:  # a JSON integer with hundreds of digits
                value = float("inf") if value > 0 else float("-inf")
            if value != value or value in (float("inf"), float("-inf")):
                raise ProjectError(file, where, f"expected a finite number{self._range()}, got {value}")
            self._check_range(value, file, where)
            return value
        if kind == "choice":
            if value not in self.choices:
                allowed = ", ".join(str(c) for c in self.choices)
                raise ProjectError(file, where, f"{_show(value)} is not allowed; use one of: {allowed}")
            return value
        if kind in ("str", "path"):
            if not isinstance(value, str) or (kind == "path" and not value):
                raise ProjectError(file, where, f"expected a string, got {_show(value)}")
            return value
        if kind == "shape":
            if (not isinstance(value, list) or not value
                    or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)):
                raise ProjectError(file, where, f"expected a list of positive whole numbers, got {_show(value)}")
            return list(value)
        if kind == "strings":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ProjectError(file, where, f"expected a list of strings, got {_show(value)}")
            if self.choices:
                for i, item in enumerate(value):
                    if item not in self.choices:
                        allowed = ", ".join(self.choices)
                        raise ProjectError(file, f"{where}[{i}]", f"{_show(item)} is not allowed; use one of: {allowed}")
            if len(set(value)) != len(value):
                raise ProjectError(file, where, "each entry may appear only once")
            return list(value)
        if kind == "points":
            return _validate_points(value, file, where)
        if kind == "list":
            if not isinstance(value, list):
                raise ProjectError(file, where, f"expected a list, got {_show(value)}")
            return value
        raise AssertionError(kind)

    def _range(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            low = ">" if self.exclusive_minimum else ">="
            return f" {low} {_num(self.minimum)} and <= {_num(self.maximum)}"
        if self.minimum is not None:
            return f" {'>' if self.exclusive_minimum else '>='} {_num(self.minimum)}"
        if self.maximum is not None:
            return f" <= {_num(self.maximum)}"
        return ""

    def _check_range(self, value: float, file: str | None, where: str) -> None:
        low_bad = self.minimum is not None and (
            value <= self.minimum if self.exclusive_minimum else value < self.minimum)
        high_bad = self.maximum is not None and value > self.maximum
        if low_bad or high_bad:
            raise ProjectError(file, where, f"{_num(value)} is out of range; allowed: a value{self._range()}")

    def json_schema(self) -> dict:
        """This parameter as a JSON Schema fragment."""
        schema: dict[str, Any]
        if self.kind == "int":
            schema = {"type": "integer"}
        elif self.kind == "float":
            schema = {"type": "number"}
        elif self.kind == "bool":
            schema = {"type": "boolean"}
        elif self.kind == "choice":
            schema = {"enum": list(self.choices)}
        elif self.kind in ("str", "path"):
            schema = {"type": "string"}
        elif self.kind == "shape":
            schema = {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1}
        elif self.kind == "strings":
            items: dict[str, Any] = {"type": "string"}
            if self.choices:
                items = {"enum": list(self.choices)}
            schema = {"type": "array", "items": items, "uniqueItems": True}
        elif self.kind == "points":
            schema = {"type": "array", "items": {"type": "array", "items": {"type": "number"},
                                                 "minItems": 3, "maxItems": 3}}
        else:
            schema = {"type": "array"}
        if self.kind in ("int", "float"):
            if self.minimum is not None:
                schema["exclusiveMinimum" if self.exclusive_minimum else "minimum"] = self.minimum
            if self.maximum is not None:
                schema["maximum"] = self.maximum
        if self.nullable:
            schema = {"anyOf": [schema, {"type": "null"}]}
        if self.help:
            schema["description"] = self.help
        if self.default is not None:
            schema["default"] = self.default
        return schema


def _validate_points(value: Any, file: str | None, where: str) -> list:
    if not isinstance(value, list):
        raise ProjectError(file, where, f"expected a list of [x1, x2, label] points, got {_show(value)}")
    points = []
    for i, point in enumerate(value):
        if (not isinstance(point, list) or len(point) != 3
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point)):
            raise ProjectError(file, f"{where}[{i}]", f"expected [x1, x2, label] with numbers, got {_show(point)}")
        for axis in (0, 1):
            if not abs(point[axis]) <= MAX_COORDINATE:  # also catches huge JSON integers
                raise ProjectError(file, f"{where}[{i}][{axis}]", f"{_show(point[axis])} is out "
                                   f"of range; coordinates lie between -{MAX_COORDINATE:g} and "
                                   f"{MAX_COORDINATE:g}")
        if float(point[2]) != int(point[2]) or int(point[2]) < 0:
            raise ProjectError(file, f"{where}[{i}][2]", "the label must be a whole number >= 0")
        points.append([float(point[0]), float(point[1]), int(point[2])])
    return points


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _show(value: Any) -> str:
    import json
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_settings(params: tuple[Param, ...], given: dict, file: str | None, where: str,
                      ignore: tuple[str, ...] = ()) -> dict:
    """Check a settings object against declared params; fill defaults; reject unknown keys."""
    if not isinstance(given, dict):
        raise ProjectError(file, where, f"expected an object, got {_show(given)}")
    known = {p.name: p for p in params}
    for key in given:
        if key not in known and key not in ignore:
            allowed = ", ".join(sorted(list(known) + list(ignore))) or "none"
            raise ProjectError(file, _join(where, key), f"unknown field; allowed fields: {allowed}")
    result = {}
    for param in params:
        if param.name in given:
            result[param.name] = param.validate(given[param.name], file, _join(where, param.name))
        elif param.required:
            raise ProjectError(file, _join(where, param.name), f"missing; {param.help or 'required'}")
        else:
            result[param.name] = param.default
    for key in ignore:
        if key in given:
            result[key] = given[key]
    return result


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


@dataclass
class Registry:
    """Named classes of one family (layers, losses, ...), each with declared ``params``."""

    family: str
    entries: dict[str, type] = field(default_factory=dict)

    def register(self, name: str):
        """Class decorator: add the class under ``name`` and set its ``type_name``."""
        def decorate(cls):
            if name in self.entries:
                raise ValueError(f"{self.family} {name!r} registered twice")
            cls.type_name = name
            self.entries[name] = cls
            return cls
        return decorate

    def get(self, name: Any, file: str | None, where: str) -> type:
        """The class registered as ``name``, or a ProjectError listing the known names."""
        if not isinstance(name, str) or name not in self.entries:
            allowed = ", ".join(self.entries)
            raise ProjectError(file, where, f"unknown {self.family} {_show(name)}; use one of: {allowed}")
        return self.entries[name]

    def names(self) -> list[str]:
        """Registered names in declaration order."""
        return list(self.entries)
