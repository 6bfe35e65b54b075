"""Typed, strict models of the spec files. Pure: no I/O, no Dagster, no warehouse."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr

from model_jobs.identifiers import TableName, normalize_identifier, parse_location

ENVIRONMENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MODEL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
TAG_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
LATEST = "latest"
OWNER = re.compile(r"^(team:[A-Za-z0-9_ -]+|[^@\s]+@[^@\s]+\.[^@\s]+)$")
GROUP_NAME = re.compile(r"^[A-Za-z0-9_]+$")

# Column types a source may declare, grouped into the families Snowflake reports them as.
# Two types are compatible when they are in the same family.
TYPE_FAMILIES: dict[str, str] = {
    **dict.fromkeys(
        ["NUMBER", "DECIMAL", "NUMERIC", "INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT"],
        "NUMBER",
    ),
    **dict.fromkeys(["FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "DOUBLE PRECISION", "REAL"], "FLOAT"),
    **dict.fromkeys(["VARCHAR", "TEXT", "STRING", "CHAR", "CHARACTER", "NCHAR", "NVARCHAR"], "TEXT"),
    **dict.fromkeys(["BOOLEAN"], "BOOLEAN"),
    **dict.fromkeys(["DATE"], "DATE"),
    **dict.fromkeys(["TIME"], "TIME"),
    **dict.fromkeys(["TIMESTAMP", "TIMESTAMP_NTZ", "DATETIME"], "TIMESTAMP_NTZ"),
    **dict.fromkeys(["TIMESTAMP_TZ"], "TIMESTAMP_TZ"),
    **dict.fromkeys(["TIMESTAMP_LTZ"], "TIMESTAMP_LTZ"),
    **dict.fromkeys(["VARIANT", "OBJECT", "ARRAY"], "SEMI_STRUCTURED"),
    **dict.fromkeys(["BINARY", "VARBINARY"], "BINARY"),
}


def _pattern(regex: re.Pattern[str], rule: str):
    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"{value!r} is not allowed: use {rule}")
        return value

    return AfterValidator(check)


def _column_type(value: str) -> str:
    # NUMBER(38,0) and VARCHAR(100) are checked by their base type: sizes do not change meaning.
    base = re.sub(r"\s*\(.*\)\s*$", "", value.strip()).upper()
    if base not in TYPE_FAMILIES:
        raise ValueError(f"unknown column type {value!r}; allowed: {', '.join(sorted(TYPE_FAMILIES))}")
    return base


def _table_name(value: str) -> str:
    return str(TableName.parse(value))


def _location(value: str) -> str:
    return ".".join(parse_location(value))


Identifier = Annotated[StrictStr, AfterValidator(normalize_identifier)]
EnvironmentName = Annotated[StrictStr, _pattern(ENVIRONMENT_NAME, "lower-case letters, digits and '_'")]
TagRef = Annotated[
    StrictStr, _pattern(TAG_NAME, f"letters, digits, '.', '_' and '-' (or {LATEST!r})")
]
Owner = Annotated[StrictStr, _pattern(OWNER, "an e-mail address or 'team:<name>'")]
GroupName = Annotated[StrictStr, _pattern(GROUP_NAME, "letters, digits and '_'")]
ColumnType = Annotated[StrictStr, AfterValidator(_column_type)]
TableRef = Annotated[StrictStr, AfterValidator(_table_name)]
Location = Annotated[StrictStr, AfterValidator(_location)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TargetLocation(Strict):
    """Where an environment writes by default."""

    database: Identifier = Field(description="Default target database of the environment.")
    schema_: Identifier = Field(alias="schema", description="Default target schema of the environment.")


class EnvironmentSpec(Strict):
    description: StrictStr | None = Field(default=None, description="What the environment is for.")
    role: Identifier = Field(description="Snowflake role the environment's jobs run as.")
    warehouse: Identifier = Field(description="Snowflake warehouse the environment's jobs run on.")
    target: TargetLocation = Field(description="Default database and schema for job targets.")


class EnvironmentsFile(Strict):
    design_environment: EnvironmentName = Field(
        description="The environment models are developed in; only its jobs may use tag 'latest'."
    )
    environments: dict[EnvironmentName, EnvironmentSpec] = Field(
        min_length=1, description="Environments by name; names become Dagster partition keys."
    )


class SourceSpec(Strict):
    description: StrictStr | None = Field(default=None, description="What the source holds.")
    columns: dict[Identifier, ColumnType] = Field(
        default_factory=dict,
        description="Columns the models rely on and their Snowflake types; every mapped location "
        "must still have them (compatible type) or the run fails before writing.",
    )


class SourcesFile(Strict):
    sources: dict[TableRef, SourceSpec] = Field(
        default_factory=dict, description="Sources by design-time location DATABASE.SCHEMA.TABLE."
    )


class ModelSpec(Strict):
    description: StrictStr = Field(description="Shown as the asset description in Dagster.")
    owners: list[Owner] = Field(default_factory=list, description="E-mail addresses or 'team:<name>'.")
    group: GroupName = Field(default="model_jobs", description="Dagster asset group.")


class JobTarget(Strict):
    database: Identifier | None = Field(default=None, description="Defaults to the environment's.")
    schema_: Identifier | None = Field(default=None, alias="schema", description="Defaults to the environment's.")
    table: Identifier | None = Field(default=None, description="Defaults to the model name, upper-cased.")


class JobSpec(Strict):
    tag: TagRef = Field(description="The model tag this job runs; 'latest' only in the design environment.")
    source_mapping: dict[Location, Location] = Field(
        default_factory=dict,
        description="Design-time location -> location read by this job, at database, schema or "
        "table level (both sides with the same number of parts).",
    )
    target: JobTarget = Field(default_factory=JobTarget, description="Table this job materializes.")


class JobsFile(Strict):
    model: StrictStr = Field(description="The model these jobs run (a folder under models/).")
    jobs: dict[EnvironmentName, JobSpec] = Field(
        min_length=1, description="Model Jobs keyed by environment: at most one per environment."
    )
