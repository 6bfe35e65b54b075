"""A job's block (trigger, conditions) over its file's `defaults:`, field by field. Pure."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from model_jobs.specs.loader import JobEntry

Block = TypeVar("Block", bound=BaseModel)
Origin = dict[str, tuple[str | int, ...]]


def merged_block(entry: JobEntry, name: str, model: type[Block]) -> tuple[Block | None, Origin]:
    """The job's `name` block over the defaults' and, for each field, the path in the file it came
    from (for error lines). A field the job sets to null removes the default's; the block set to
    null removes the whole default."""
    default: Block | None = getattr(entry.defaults, name)
    own: Block | None = getattr(entry.spec, name)
    if own is None and name in entry.spec.model_fields_set:
        return None, {}
    if default is None and own is None:
        return None, {}
    values: dict[str, object] = {}
    origin: Origin = {}
    for field in model.model_fields:
        if own is not None and field in own.model_fields_set:
            values[field], origin[field] = getattr(own, field), ("jobs", entry.environment, name, field)
        elif default is not None and field in default.model_fields_set:
            values[field], origin[field] = getattr(default, field), ("defaults", name, field)
    return model.model_validate(values), origin
