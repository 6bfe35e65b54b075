"""Turn pydantic validation errors into spec errors that say what is allowed."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from model_jobs.specs import models as spec_models
from model_jobs.specs.collector import ErrorCollector
from model_jobs.specs.yaml_source import YamlDocument

SpecModel = TypeVar("SpecModel", bound=BaseModel)
Loc = tuple[int | str, ...]

_SPEC_MODEL_NAMES = {
    name for name, value in vars(spec_models).items() if isinstance(value, type) and issubclass(value, BaseModel)
}


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                # e.g. `IncrementalSpec | Literal[False]`: the spec model is the one with fields.
                models = [o for o in options if isinstance(o, type) and issubclass(o, BaseModel)]
                if len(models) != 1:
                    return annotation
                options = models
            annotation = options[0]
        else:
            return annotation


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The spec model class found by following `loc` from `root`, if any."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for name, f in current.model_fields.items() if part in (name, f.alias)), None)
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        elif typing.get_origin(current) is list:
            current = typing.get_args(current)[0]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def describe(error: ErrorDetails, root: type[BaseModel]) -> str:
    kind = error["type"]
    loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        parent = _model_at(root, loc[:-1])
        allowed = f"; allowed: {', '.join(_field_names(parent))}" if parent else ""
        return f"unknown field {loc[-1]!r}{allowed}"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_type":
        value = error.get("input")
        if value is None:
            return "is empty; a value is required"
        if isinstance(value, (bool, int, float)):
            # YAML reads 2026.1 as a number and yes/no as booleans; quoting keeps the text.
            return f'must be a string, got {type(value).__name__} {value!r} (quote it in YAML, e.g. "2026.1")'
        return f"must be a string, got {type(value).__name__}"
    if kind in ("dict_type", "model_type"):
        return f"must be a mapping, got {type(error.get('input')).__name__}"
    if kind == "list_type":
        return f"must be a list, got {type(error.get('input')).__name__}"
    if kind == "too_short":
        return "must not be empty"
    if kind in _WHAT_WAS_GIVEN:
        value = error.get("input")
        return f"{error['msg']}, got {type(value).__name__} {value!r}"
    message = error["msg"]
    return message.removeprefix("Value error, ")


# Errors of the discriminated unions in models.py: say what was given, not only what is allowed.
_WHAT_WAS_GIVEN = {"scalar", "bool_or_sources"}


def field_path(loc: Loc) -> str:
    parts = [str(p) for p in loc if p != "[key]"]
    return ".".join(parts)


def _is_union_member(part: int | str) -> bool:
    # pydantic names the member of a union an error came from: a model class, `literal[...]`, or
    # the tag of a discriminated union (models.py names those "~...").
    return isinstance(part, str) and (part.startswith(("literal[", "~")) or part in _SPEC_MODEL_NAMES)


def _as_written(root: type[BaseModel], loc: Loc) -> Loc:
    """The location as the file writes it: fields a model flattens into itself (its
    `__flattened_field__`, e.g. source_freshness's named sources) are not part of it."""
    kept: list[int | str] = []
    for part in loc:
        model = _model_at(root, tuple(kept))
        if model is not None and getattr(model, "__flattened_field__", None) == part:
            continue
        kept.append(part)
    return tuple(kept)


def _without_union_noise(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """For `section: {...} | false`, report what is wrong with the section, not also that it is
    not `false`; and drop the member names pydantic puts into the location."""
    kept: list[ErrorDetails] = []
    for error in errors:
        loc = tuple(error["loc"])
        literal_at = next((i for i, p in enumerate(loc) if isinstance(p, str) and p.startswith("literal[")), None)
        if literal_at is not None and any(
            e is not error and tuple(e["loc"])[:literal_at] == loc[:literal_at] for e in errors
        ):
            continue
        kept.append({**error, "loc": tuple(p for p in loc if not _is_union_member(p))})
    return kept


def parse_document(doc: YamlDocument, model: type[SpecModel], errors: ErrorCollector) -> SpecModel | None:
    """Validate a whole YAML document against `model`; record every error, return None on any."""
    if not isinstance(doc.data, dict):
        got = "an empty file" if doc.data is None else type(doc.data).__name__
        errors.add(doc.path, "", f"must be a mapping with fields {', '.join(_field_names(model))}; got {got}", 1)
        return None
    collisions = list(_same_name_in_another_case(doc, doc.data, ()))
    for path, message in collisions:
        errors.add(doc.path, field_path(path), message, doc.line_of(path))
    try:
        parsed = model.model_validate(doc.data)
    except ValidationError as exc:
        for error in _without_union_noise(exc.errors()):
            loc = _as_written(model, tuple(error["loc"]))
            line = doc.line_of(tuple(p for p in loc if p != "[key]"))
            errors.add(doc.path, field_path(loc), describe(error, model), line)
        return None
    return None if collisions else parsed


def _same_name_in_another_case(doc: YamlDocument, data: Any, path: Loc) -> Iterator[tuple[Loc, str]]:
    """Keys that differ only in case. Snowflake names (tables, locations, columns) are read
    upper-cased, so two such keys would silently become one, the last winning."""
    if isinstance(data, dict):
        first: dict[str, str] = {}
        for key in data:
            if not isinstance(key, str):
                continue
            other = first.setdefault(key.upper(), key)
            if other != key:
                line = doc.line_of((*path, other))
                yield (
                    (*path, key),
                    f"names the same as {other!r}" + (f" (line {line})" if line else "") + ": "
                    "names are not case-sensitive here, so write each once",
                )
        for key, value in data.items():
            yield from _same_name_in_another_case(doc, value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _same_name_in_another_case(doc, value, (*path, index))
