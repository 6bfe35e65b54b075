"""JSON Schemas of the spec files, generated from the spec models, for editor support.

Editors that speak the YAML language server (VS Code's YAML extension, JetBrains IDEs, Neovim,
…) read a first-line comment such as

    # yaml-language-server: $schema=../schemas/environments.schema.json

and then complete field names, show their descriptions and flag unknown fields, wrong types and
names that break a naming rule as you type. The schemas are written to `schemas/` by
`model-jobs schema`; a test keeps the committed copies equal to what the models generate.

A schema only describes each file on its own: whether a tag exists, an environment is defined or a
mapping matches what the SQL reads is still checked by `model-jobs validate`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from model_jobs.specs.models import EnvironmentsFile, JobsFile, ModelSpec, SourcesFile, UpstreamFile

DRAFT = "https://json-schema.org/draft/2020-12/schema"

SCHEMA_FILES: dict[str, type[BaseModel]] = {
    "environments.schema.json": EnvironmentsFile,
    "sources.schema.json": SourcesFile,
    "model.schema.json": ModelSpec,
    "jobs.schema.json": JobsFile,
    "upstream.schema.json": UpstreamFile,
}

# The spec file (relative to the specs folder) each model describes: the schema's title and
# description say which file it is for.
SPEC_FILES: dict[type[BaseModel], tuple[str, str]] = {
    EnvironmentsFile: ("environments.yaml", "The environments Model Jobs run in, and the design environment."),
    SourcesFile: ("sources.yaml", "Source tables by design-time location, with the columns models rely on."),
    ModelSpec: ("models/<model>/model.yaml", "A model's description, owners and Dagster asset group."),
    JobsFile: ("jobs/<model>.yaml", "A model's Model Jobs, one per environment, each pinned to a tag."),
    UpstreamFile: ("upstream.yaml", "Deployments and Dagster jobs outside job_specs that Model Jobs run after."),
}


class _SpecJsonSchema(GenerateJsonSchema):
    """Pydantic's generator, with constrained dict keys as `propertyNames`.

    For `dict[EnvironmentName, ...]` pydantic writes `patternProperties: {pattern: values}`, which
    lets any key that does not match through unchecked. The spec files reject such keys, so the
    schema says so: every key must match (`propertyNames`) and every value has the value schema
    (`additionalProperties`)."""

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        json_schema = super().dict_schema(schema)
        pattern_properties = json_schema.pop("patternProperties", None)
        if pattern_properties:
            ((pattern, values),) = pattern_properties.items()
            json_schema["propertyNames"] = {"pattern": pattern, **json_schema.get("propertyNames", {})}
            json_schema["additionalProperties"] = values
        return json_schema


def schema_for(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the spec file `model` describes."""
    schema = model.model_json_schema(by_alias=True, mode="validation", schema_generator=_SpecJsonSchema)
    spec_file, description = SPEC_FILES.get(model, (model.__name__, None))
    schema["title"] = f"model-jobs {spec_file}"
    if description:
        schema["description"] = description
    return {"$schema": DRAFT, **schema}


def render(model: type[BaseModel]) -> str:
    """The schema as it is written to disk: stable, so regenerating changes nothing."""
    return json.dumps(schema_for(model), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    """Write every spec file's schema into `directory`; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in SCHEMA_FILES.items():
        path = directory / name
        path.write_text(render(model), encoding="utf-8")
        written.append(path)
    return written


def main_schema(out_dir: Path) -> int:
    """`model-jobs schema [--out DIR]`: write the schemas and print one path per line."""
    for path in write_schemas(Path(out_dir)):
        print(path)
    return 0
