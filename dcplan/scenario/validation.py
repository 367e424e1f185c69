"""Schema errors → Diagnostics at file:line:col, with "did you mean" suggestions.

pydantic reports errors by `loc`, a tuple that may include union branch tags
(`workloads, 0, training, tokens`). We map each loc back onto the data to
recover the real path, then onto the position index for line and column.
"""

from __future__ import annotations

import difflib
import re
import typing

from pydantic import BaseModel, ValidationError

from dcplan.diagnostics import Diagnostic
from dcplan.scenario.fields import Quantity, ceiling_of
from dcplan.scenario.loader import Positions
from dcplan.scenario.catalog_schema import ID_PATTERN
from dcplan.scenario.units import type_name

_EXPECTED_TYPES = {
    "float_type": "a number", "int_type": "a whole number", "string_type": "a string",
    "bool_type": "true or false", "list_type": "a list", "dict_type": "a mapping",
    "model_type": "a mapping", "model_attributes_type": "a mapping", "float_parsing": "a number",
    "int_parsing": "a whole number", "int_from_float": "a whole number", "finite_number": "a finite number",
}
_BOUNDS = {"greater_than": "greater than {gt}", "greater_than_equal": "at least {ge}",
           "less_than": "less than {lt}", "less_than_equal": "at most {le}"}
# Patterns as a user reads them, instead of the raw regex (fallback: the regex itself).
_PATTERN_NAMES = {
    ID_PATTERN: "a name of letters, digits and . _ + - (no spaces), starting with a letter or digit",
    r"^\s*[1-9][0-9]?\s*\+\s*[0-9][0-9]?\s*$": "an erasure code 'k+m' such as '8+3'",
}
# YAML 1.1 booleans that YAML 1.2 (and so dcplan) reads as strings.
_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}


def schema_diagnostics(error: ValidationError, data, positions: Positions, root: type[BaseModel]) -> list[Diagnostic]:
    out = []
    for err in error.errors(include_url=False):
        path = data_path(data, err["loc"], err["type"])
        out.append(_diagnostic(err, path, data, positions, root))
    return out


def data_path(data, loc: tuple, error_type: str) -> tuple:
    """Follow `loc` through the data, dropping union tags that are not keys."""
    path: list = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif last and error_type == "missing":
            path.append(part)
        # anything else is a union branch tag, not part of the user's path
    return tuple(path)


def _value_at(data, path: tuple):
    for part in path:
        data = data[part]
    return data


def _diagnostic(err: dict, path: tuple, data, positions: Positions, root) -> Diagnostic:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    found = err.get("input")
    hint = None
    key_position = False
    if kind == "missing":
        message = f"missing required field `{path[-1]}`"
    elif kind == "extra_forbidden":
        key_position = True
        allowed = allowed_keys(root, path[:-1], data)
        message = f"unknown key `{path[-1]}`"
        hint = _did_you_mean(str(path[-1]), allowed)
        if allowed and not hint:
            hint = "allowed here: " + ", ".join(sorted(allowed))
    elif kind in ("literal_error", "enum"):
        choices = _choices(str(ctx.get("expected", "")))
        message = f"expected one of {', '.join(choices)}; found {found!r}"
        hint = _did_you_mean(str(found), choices)
    elif kind == "union_tag_invalid":
        choices = _choices(str(ctx.get("expected_tags", "")))
        message = f"unknown type {ctx.get('tag')!r}; expected one of {', '.join(choices)}"
        hint = _did_you_mean(str(ctx.get("tag")), choices)
        path = path + ("type",)
    elif kind == "union_tag_not_found":
        message = "missing required field `type` (training, inference, cpu or storage)"
    elif kind == "quantity":
        message = str(ctx.get("reason", err["msg"]))
    elif kind in _EXPECTED_TYPES:
        message = f"expected {_EXPECTED_TYPES[kind]}, found {_describe(found)}"
        if kind == "bool_type" and isinstance(found, str) and found.lower() in _YAML11_BOOLS:
            hint = f"YAML 1.2 reads {found!r} as a string: write true or false"
    elif kind in _BOUNDS:
        # Bound checks run after unit conversion: show the bound in the field's unit and the
        # value as the user wrote it ('-12 MW'), not the converted float (-12000.0).
        unit = _field_unit(root, path, data)
        bound = {k: f"{v:g}" + (f" {unit}" if unit else "") if isinstance(v, (int, float)) else v
                 for k, v in ctx.items()}
        raw = _raw_value(data, path, found)
        shown = repr(raw) if isinstance(raw, str) else _describe(raw)
        message = f"must be {_BOUNDS[kind].format(**bound)}, found {shown}"
        why = _ceiling_reason(root, path, data) if kind in ("less_than", "less_than_equal") else None
        if why:
            message += f": {why}"
    elif kind == "too_short":
        message = f"needs at least {ctx.get('min_length')} entr{'y' if ctx.get('min_length') == 1 else 'ies'}"
    elif kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern")
        message = f"expected {_PATTERN_NAMES[pattern]}, found {found!r}" if pattern in _PATTERN_NAMES \
            else f"{_describe(found)} is not of the expected form ({pattern})"
    elif kind == "value_error":
        message = err["msg"].removeprefix("Value error, ")
    else:
        message = err["msg"]
    return positions.diagnostic(_code(kind), message, path, key=key_position, hint=hint)


def _choices(expected: str) -> list[str]:
    """pydantic's "'a', 'b' or 'c'" (or "1") → ['a', 'b', 'c']."""
    parts = re.split(r",\s*|\s+or\s+", expected)
    return [p.strip().strip("'") for p in parts if p.strip()]


def _code(kind: str) -> str:
    return {
        "missing": "missing-field", "extra_forbidden": "unknown-key", "literal_error": "bad-choice",
        "union_tag_invalid": "bad-choice", "union_tag_not_found": "missing-field", "quantity": "bad-quantity",
        "value_error": "bad-value", "too_short": "too-few", "string_pattern_mismatch": "bad-format",
    }.get(kind, "bad-type" if kind in _EXPECTED_TYPES else "bad-range" if kind in _BOUNDS else kind.replace("_", "-"))


def _describe(value) -> str:
    if isinstance(value, (dict, list)) or value is None:
        return type_name(value)
    if isinstance(value, bool):  # as written in YAML, not Python's True/False
        return f"a boolean ({str(value).lower()})"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type_name(value)} ({text})"


def _did_you_mean(word: str, choices) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        close = [c for c in choices if c.lower() == word.lower()]
    return f"did you mean `{close[0]}`?" if close else None


def _raw_value(data, path: tuple, default):
    """The value at `path` as read from the file (before unit conversion), else `default`."""
    try:
        return _value_at(data, path)
    except (KeyError, IndexError, TypeError):
        return default


def _field_unit(root: type[BaseModel], path: tuple, data) -> str:
    """The unit symbol of the quantity field at `path` ("kW"), or "" for other fields."""
    if not path or not isinstance(path[-1], str):
        return ""
    model = _model_at(root, path[:-1], data)
    field = model.model_fields.get(path[-1]) if model else None
    if field is None:
        return ""
    pending = [field.annotation, *field.metadata]
    while pending:
        item = pending.pop()
        if isinstance(item, Quantity):
            return item.unit.symbol
        pending.extend(typing.get_args(item))
    return ""


def _ceiling_reason(root: type[BaseModel], path: tuple, data) -> str | None:
    """Why the field at `path` has its ceiling (fields.Ceiling.why), also for values inside a field's
    dict (`catalog.prices.ID`, `objective.tco`): the nearest field along the path decides."""
    for end in range(len(path), 0, -1):
        name = path[end - 1]
        model = _model_at(root, path[:end - 1], data) if isinstance(name, str) else None
        field = model.model_fields.get(name) if model else None
        if field is not None:
            ceiling = ceiling_of(field)
            return ceiling.why if ceiling else None
    return None


def allowed_keys(root: type[BaseModel], path: tuple, data) -> list[str]:
    """Field names of the model that validates the mapping at `path`."""
    model = _model_at(root, path, data)
    return list(model.model_fields) if model else []


def _model_at(root: type[BaseModel], path: tuple, data) -> type[BaseModel] | None:
    """The model class that validates the mapping at `path`, if any."""
    annotation: object = root
    node = data
    for part in path:
        model = _model_for(annotation, node)
        if model is not None and isinstance(part, str) and part in model.model_fields:
            annotation = model.model_fields[part].annotation
        else:
            annotation = _item_type(annotation, part)
        node = node[part] if isinstance(node, (dict, list)) and _has(node, part) else None
        if annotation is None:
            return None
    return _model_for(annotation, node)


def _has(node, part) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


def _item_type(annotation, part):
    annotation = _strip(annotation)
    origin = typing.get_origin(annotation)
    if origin is list and isinstance(part, int):
        return typing.get_args(annotation)[0]
    if origin is dict:
        return typing.get_args(annotation)[1]
    if origin is typing.Union:
        for arg in typing.get_args(annotation):
            found = _item_type(arg, part)
            if found is not None:
                return found
    return None


def _strip(annotation):
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _model_for(annotation, node) -> type[BaseModel] | None:
    """The model class that validates `node`, choosing a union branch by `type`."""
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) is typing.Union:
        models = [m for m in (_model_for(a, node) for a in typing.get_args(annotation)) if m]
        if len(models) == 1:
            return models[0]
        wanted = node.get("type") if isinstance(node, dict) else None
        for model in models:
            field = model.model_fields.get("type")
            if field is not None and wanted in typing.get_args(field.annotation):
                return model
    return None
