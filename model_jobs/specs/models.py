"""Typed, strict models of the spec files. Pure: no I/O, no Dagster, no warehouse."""

from __future__ import annotations

import keyword
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    NonNegativeInt,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    WithJsonSchema,
    model_validator,
)

from model_jobs.identifiers import (
    IDENTIFIER_PATTERN,
    IDENTIFIER_RULE,
    TableName,
    normalize_identifier,
    parse_location,
)
from model_jobs.specs.cron import CRON_RULE, check_cron, check_timezone

ENVIRONMENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MODEL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
TAG_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
LATEST = "latest"
# Dagster's own rule for owners (an e-mail address as dagster._core.utils.is_valid_email, or team:).
OWNER = re.compile(r"^(team:[A-Za-z0-9_ -]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,7})$")
# Names Dagster refuses for an asset's op (Python keywords and a few of its own), so no model may
# be called so; a test keeps this equal to dagster._core.definitions.utils.DISALLOWED_NAMES.
RESERVED_MODEL_NAMES = frozenset(
    {"context", "conf", "config", "meta", "arg_dict", "dict", "input_arg_dict", "output_arg_dict", "int", "str"}
    | {"float", "bool", "input", "output", "type", *keyword.kwlist}
)
GROUP_NAME = re.compile(r"^[A-Za-z0-9_]+$")
# Names of Dagster jobs and of deployments: Dagster's rule for names (jobs, asset key parts).
UPSTREAM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,127}$")

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


def _pattern(regex: re.Pattern[str], rule: str) -> AfterValidator:
    def check(value: str) -> str:
        if not regex.fullmatch(value):
            raise ValueError(f"{value!r} is not allowed: use {rule}")
        return value

    return AfterValidator(check)


def _editor_schema(pattern: str, rule: str, **extra: object) -> WithJsonSchema:
    """What the published JSON Schema (model_jobs.specs.json_schema) says about a string the
    validators here check: JSON Schema cannot run them, so it gets the same rule as a pattern.
    Only the schema changes; validation and its messages stay with the validators."""
    return WithJsonSchema({"type": "string", "pattern": pattern, "patternErrorMessage": f"use {rule}", **extra})


def _any_case(word: str) -> str:
    # JSON Schema patterns have no case-insensitive flag: spell each letter as [Xx].
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


_IDENTIFIER = IDENTIFIER_PATTERN.pattern.removeprefix("^").removesuffix("$")
# Base type, in any case, optionally followed by a size such as (10,2): what _column_type accepts.
_COLUMN_TYPE = r"^\s*(?:" + "|".join(_any_case(t) for t in sorted(TYPE_FAMILIES)) + r")(?:\s*\(.*\))?\s*$"


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


ENVIRONMENT_RULE = "lower-case letters, digits and '_'"
TAG_RULE = f"letters, digits, '.', '_' and '-' (or {LATEST!r})"
OWNER_RULE = "an e-mail address or 'team:<name>'"
GROUP_RULE = "letters, digits and '_'"

Identifier = Annotated[
    StrictStr, AfterValidator(normalize_identifier), _editor_schema(IDENTIFIER_PATTERN.pattern, IDENTIFIER_RULE)
]
EnvironmentName = Annotated[
    StrictStr, _pattern(ENVIRONMENT_NAME, ENVIRONMENT_RULE), _editor_schema(ENVIRONMENT_NAME.pattern, ENVIRONMENT_RULE)
]
# Checked against the folders under models/ when loading; the pattern is for editors only.
ModelName = Annotated[StrictStr, _editor_schema(MODEL_NAME.pattern, "lower-case letters, digits and '_'")]
TagRef = Annotated[
    StrictStr, _pattern(TAG_NAME, TAG_RULE), _editor_schema(TAG_NAME.pattern, TAG_RULE, examples=[LATEST])
]
Owner = Annotated[StrictStr, _pattern(OWNER, OWNER_RULE), _editor_schema(OWNER.pattern, OWNER_RULE)]
GroupName = Annotated[StrictStr, _pattern(GROUP_NAME, GROUP_RULE), _editor_schema(GROUP_NAME.pattern, GROUP_RULE)]
ColumnType = Annotated[
    StrictStr,
    AfterValidator(_column_type),
    _editor_schema(
        _COLUMN_TYPE,
        f"one of {', '.join(sorted(TYPE_FAMILIES))}, optionally sized, e.g. NUMBER(10,2)",
        examples=sorted(TYPE_FAMILIES),
    ),
]
TableRef = Annotated[
    StrictStr,
    AfterValidator(_table_name),
    _editor_schema(
        rf"^{_IDENTIFIER}\.{_IDENTIFIER}\.{_IDENTIFIER}$", f"DATABASE.SCHEMA.TABLE, each part {IDENTIFIER_RULE}"
    ),
]
Location = Annotated[
    StrictStr,
    AfterValidator(_location),
    _editor_schema(
        rf"^{_IDENTIFIER}(?:\.{_IDENTIFIER}){{0,2}}$",
        f"DATABASE, DATABASE.SCHEMA or DATABASE.SCHEMA.TABLE, each part {IDENTIFIER_RULE}",
    ),
]


DURATION = re.compile(r"^(\d{1,9})\s*(s|m|h|d)$")
MAX_DURATION_DAYS = 3650  # ten years: longer ones are mistakes, and overflow date arithmetic
DURATION_RULE = f"a number and a unit s, m, h or d, e.g. 2h or 30m (0s for none), at most {MAX_DURATION_DAYS}d"
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(value: str) -> int:
    match = DURATION.fullmatch(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a duration: use {DURATION_RULE}")
    seconds = int(match.group(1)) * _SECONDS[match.group(2)]
    if seconds > MAX_DURATION_DAYS * 86400:
        raise ValueError(f"{value!r} is too long: at most {MAX_DURATION_DAYS}d")
    return seconds


def _duration(value: str) -> str:
    duration_seconds(value)
    return value.strip()


Duration = Annotated[StrictStr, AfterValidator(_duration), _editor_schema(DURATION.pattern, DURATION_RULE)]


UPSTREAM_NAME_RULE = "letters, digits and '_', starting with a letter"
_ENV = ENVIRONMENT_NAME.pattern.removeprefix("^").removesuffix("$")


def _event_ref(name: re.Pattern[str], what: str) -> tuple[AfterValidator, WithJsonSchema]:
    """`name` or `name@environment`: what an event trigger listens to."""
    rule = f"{what} or {what}@environment ({what}: {UPSTREAM_NAME_RULE}; environment: {ENVIRONMENT_RULE})"

    def check(value: str) -> str:
        head, at, env = value.strip().partition("@")
        if not name.fullmatch(head) or (at and not ENVIRONMENT_NAME.fullmatch(env)):
            raise ValueError(f"{value!r} is not allowed: use {rule}")
        return value.strip()

    head = name.pattern.removeprefix("^").removesuffix("$")
    return AfterValidator(check), _editor_schema(rf"^{head}(@{_ENV})?$", rule)


Cron = Annotated[
    StrictStr,
    AfterValidator(check_cron),
    WithJsonSchema({"type": "string", "description": CRON_RULE, "examples": ["0 6 * * 1-5", "@daily"]}),
]
TimeZone = Annotated[
    StrictStr,
    AfterValidator(check_timezone),
    WithJsonSchema({"type": "string", "examples": ["UTC", "Europe/Berlin", "America/New_York"]}),
]
_MODEL_JOB_CHECK, _MODEL_JOB_SCHEMA = _event_ref(MODEL_NAME, "model")
_JOB_CHECK, _JOB_SCHEMA = _event_ref(UPSTREAM_NAME, "job")
_DEPLOYMENT_CHECK, _DEPLOYMENT_SCHEMA = _event_ref(UPSTREAM_NAME, "deployment")
ModelJobRef = Annotated[StrictStr, _MODEL_JOB_CHECK, _MODEL_JOB_SCHEMA]
JobRef = Annotated[StrictStr, _JOB_CHECK, _JOB_SCHEMA]
DeploymentRef = Annotated[StrictStr, _DEPLOYMENT_CHECK, _DEPLOYMENT_SCHEMA]
UpstreamName = Annotated[
    StrictStr, _pattern(UPSTREAM_NAME, UPSTREAM_NAME_RULE), _editor_schema(UPSTREAM_NAME.pattern, UPSTREAM_NAME_RULE)
]
WaitFor = Literal["any", "all"]

Strategy = Literal["append", "merge", "delete_insert"]
SchemaChangePolicy = Literal["fail", "append_new_columns", "full_refresh"]
SqlChangePolicy = Literal["full_refresh", "keep_rows"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TargetLocation(Strict):
    """Where an environment writes by default."""

    database: Identifier = Field(description="Default target database of the environment.")
    schema_: Identifier = Field(alias="schema", description="Default target schema of the environment.")


# The name of an environment variable: the spec names where a secret is, never the secret.
ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
ENV_VAR_RULE = "the name of an environment variable (letters, digits and '_', e.g. MODEL_JOBS_PRD_WEBHOOK)"


def _env_var_name(value: str) -> str:
    # Never echo the value: what does not look like a variable's name may be the secret itself.
    if not ENV_VAR.fullmatch(value):
        pasted = " (this looks like the secret itself: put it in an environment variable instead)"
        raise ValueError(f"must be {ENV_VAR_RULE}" + (pasted if ":" in value or "/" in value else ""))
    return value


EnvVarName = Annotated[StrictStr, AfterValidator(_env_var_name), _editor_schema(ENV_VAR.pattern, ENV_VAR_RULE)]
SLACK_CHANNEL = re.compile(r"^#?[a-z0-9][a-z0-9._-]{0,79}$|^[CGD][A-Z0-9]{6,}$")
SLACK_CHANNEL_RULE = "a channel name such as '#data-alerts' (lower-case) or a channel id such as C0123ABCD"
SlackChannel = Annotated[
    StrictStr, _pattern(SLACK_CHANNEL, SLACK_CHANNEL_RULE), _editor_schema(SLACK_CHANNEL.pattern, SLACK_CHANNEL_RULE)
]
NotifyEvent = Literal["failure", "skipped"]


def _failures_only() -> list[NotifyEvent]:
    return ["failure"]


class WebhookSpec(Strict):
    url_env: EnvVarName = Field(
        description="The environment variable holding the webhook's URL (a secret: it is read when a message "
        "is sent, never written in a spec). The message is POSTed as JSON with a `text` field."
    )


class SlackSpec(Strict):
    channel: SlackChannel = Field(description="The Slack channel the message goes to: '#name' or a channel id.")
    token_env: EnvVarName = Field(
        description="The environment variable holding the Slack bot token (xoxb-...; a secret: read when a "
        "message is sent, never written in a spec)."
    )


class NotifySpec(Strict):
    """Where to send a message when one of the environment's Model Jobs fails (or is skipped):
    a webhook, a Slack channel, or both."""

    on: list[NotifyEvent] = Field(
        default_factory=_failures_only,
        min_length=1,
        description="Which runs are reported: failure (default), skipped (conditions unmet), or both.",
    )
    webhook: WebhookSpec | None = Field(default=None, description="POST the message as JSON to a URL.")
    slack: SlackSpec | None = Field(default=None, description="Post the message to a Slack channel.")

    @model_validator(mode="after")
    def _somewhere(self) -> NotifySpec:
        if self.webhook is None and self.slack is None:
            raise ValueError("say where messages go: webhook, slack or both")
        if len(set(self.on)) != len(self.on):
            raise ValueError(f"on lists a kind of run twice: {', '.join(self.on)}")
        return self


class EnvironmentSpec(Strict):
    description: StrictStr | None = Field(default=None, description="What the environment is for.")
    role: Identifier = Field(description="Snowflake role the environment's jobs run as.")
    warehouse: Identifier = Field(description="Snowflake warehouse the environment's jobs run on.")
    target: TargetLocation = Field(description="Default database and schema for job targets.")
    notify: NotifySpec | None = Field(
        default=None,
        description="Where to send a message when one of this environment's Model Jobs fails (or is skipped); "
        "without it, the environment's runs notify no one.",
    )


class EnvironmentsFile(Strict):
    design_environment: EnvironmentName = Field(
        description="The environment models are developed in; only its jobs may use tag 'latest'."
    )
    environments: dict[EnvironmentName, EnvironmentSpec] = Field(
        min_length=1, description="Environments by name; names become Dagster partition keys."
    )


CHECK_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
CHECK_NAME_RULE = "lower-case letters, digits and '_', starting with a letter (at most 64)"
CheckName = Annotated[
    StrictStr, _pattern(CHECK_NAME, CHECK_NAME_RULE), _editor_schema(CHECK_NAME.pattern, CHECK_NAME_RULE)
]
Severity = Literal["error", "warn"]
FreshnessFrom = Literal["column", "last_altered"]
CHECK_KINDS = ("not_null", "unique", "accepted_values", "row_count", "expression", "sql")
TABLE_PLACEHOLDER = "{table}"


def _scalar_kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return None  # YAML's true/false are not values a column is compared with
    return {str: "~str", int: "~int", float: "~float"}.get(type(value))


# A string or a finite number: one error naming what was given, not one per member of the union.
Scalar = Annotated[
    Annotated[StrictStr, Tag("~str")]
    | Annotated[StrictInt, Tag("~int")]
    | Annotated[StrictFloat, Field(allow_inf_nan=False), Tag("~float")],
    Discriminator(
        _scalar_kind,
        custom_error_type="scalar",
        custom_error_message="must be a string or a finite number",
    ),
]


class AcceptedValues(Strict):
    column: Identifier = Field(description="The column whose non-NULL values must be in `values`.")
    values: list[Scalar] = Field(min_length=1, description="The values allowed (strings or numbers).")


class RowCountBounds(Strict):
    min: NonNegativeInt | None = Field(default=None, description="At least this many rows.")
    max: NonNegativeInt | None = Field(default=None, description="At most this many rows.")

    @model_validator(mode="after")
    def _bounded(self) -> RowCountBounds:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class CheckSpec(Strict):
    """One data-quality check on a source: exactly one kind, with an optional name and severity.
    Every check counts the rows that fail it; it passes when none do (row_count: when the count
    of rows is within bounds)."""

    not_null: list[Identifier] | None = Field(
        default=None, min_length=1, description="Columns that may not be NULL: fails on rows where any is."
    )
    unique: list[Identifier] | None = Field(
        default=None,
        min_length=1,
        description="Columns whose combination identifies a row: fails on rows sharing it with another row "
        "(rows with a NULL in these columns are not_null's concern and are not counted).",
    )
    accepted_values: AcceptedValues | None = Field(
        default=None, description="A column's non-NULL values must be one of a list."
    )
    row_count: RowCountBounds | None = Field(default=None, description="How many rows the table must have.")
    expression: StrictStr | None = Field(
        default=None,
        description="A condition over declared columns every row must meet, e.g. 'AMOUNT >= 0': fails on "
        "rows where it is false (NULL counts as met, as in a WHERE NOT (...)).",
    )
    sql: StrictStr | None = Field(
        default=None,
        description=f"One SELECT returning the failing rows; {TABLE_PLACEHOLDER} stands for the source's "
        "location in each environment (the only substitution made). Needs a name.",
    )
    name: CheckName | None = Field(
        default=None, description="The check's name in Dagster; derived from the check when not given."
    )
    severity: Severity = Field(
        default="error",
        description="error: a failure blocks Model Jobs whose conditions require data quality; warn: "
        "reported, never blocks.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> CheckSpec:
        given = [kind for kind in CHECK_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a check is exactly one of {', '.join(CHECK_KINDS)}"
                + (f" (this one is {' and '.join(given)})" if given else "")
            )
        if given == ["sql"] and self.name is None:
            raise ValueError("a sql check needs a name")
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in CHECK_KINDS if getattr(self, kind) is not None)

    @property
    def columns(self) -> list[str]:
        """The declared columns the check names (expressions and sql are checked where parsed)."""
        if self.not_null is not None:
            return list(self.not_null)
        if self.unique is not None:
            return list(self.unique)
        if self.accepted_values is not None:
            return [self.accepted_values.column]
        return []

    @property
    def check_name(self) -> str:
        if self.name:
            return self.name
        if self.not_null is not None or self.unique is not None:
            return _slug(f"{self.kind}_{'_'.join(self.columns)}")
        if self.accepted_values is not None:
            return _slug(f"accepted_values_{self.accepted_values.column}")
        if self.row_count is not None:
            return "row_count"
        return _slug(f"expression_{self.expression}")


def _slug(text: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]", "_", text.lower())).strip("_")[:64].rstrip("_")


class SourceSpec(Strict):
    description: StrictStr | None = Field(default=None, description="What the source holds.")
    columns: dict[Identifier, ColumnType] = Field(
        default_factory=dict,
        description="Columns the models rely on and their Snowflake types; every mapped location "
        "must still have them (compatible type) or the run fails before writing.",
    )
    loaded_at: Identifier | None = Field(
        default=None,
        description="A declared TIMESTAMP or DATE column saying when each row was loaded: the source's "
        "freshness is its newest value (TIMESTAMP_NTZ is read as UTC).",
    )
    freshness_from: FreshnessFrom | None = Field(
        default=None,
        description="column (default): freshness from loaded_at; last_altered: from Snowflake's "
        "INFORMATION_SCHEMA.TABLES.LAST_ALTERED (real Snowflake only: the embedded one always says 1970).",
    )
    checks: list[CheckSpec] = Field(
        default_factory=list,
        description="Data-quality checks, run per environment against the source's location there.",
    )

    @property
    def freshness_source(self) -> FreshnessFrom | None:
        """Where this source's freshness is read from, or None when it has none."""
        if self.freshness_from is not None:
            return self.freshness_from
        return "column" if self.loaded_at else None


class SourcesFile(Strict):
    sources: dict[TableRef, SourceSpec] = Field(
        default_factory=dict, description="Sources by design-time location DATABASE.SCHEMA.TABLE."
    )


class ModelSpec(Strict):
    description: StrictStr = Field(description="Shown as the asset description in Dagster.")
    owners: list[Owner] = Field(default_factory=list, description="E-mail addresses or 'team:<name>'.")
    group: GroupName = Field(default="model_jobs", description="Dagster asset group.")
    unique_key: list[Identifier] | None = Field(
        default=None,
        min_length=1,
        description="Output columns that identify one row: how `model-jobs diff` and `plan --data` match "
        "rows. A job's incremental unique_key, when it has one, is used first.",
    )


class JobTarget(Strict):
    database: Identifier | None = Field(default=None, description="Defaults to the environment's.")
    schema_: Identifier | None = Field(default=None, alias="schema", description="Defaults to the environment's.")
    table: Identifier | None = Field(default=None, description="Defaults to the model name, upper-cased.")


class IncrementalSpec(Strict):
    """Incremental materialization. Every field may come from the job file's `defaults:`; a job's
    own values override them field by field."""

    strategy: Strategy | None = Field(
        default=None,
        description="append: insert new rows; merge: upsert on unique_key; delete_insert: replace "
        "the rows of the keys that arrive.",
    )
    unique_key: list[Identifier] | None = Field(
        default=None, min_length=1, description="Output columns that identify a row (merge, delete_insert)."
    )
    watermark: Identifier | None = Field(
        default=None, description="Output column that grows with every change, e.g. UPDATED_AT."
    )
    lookback: Duration | None = Field(
        default=None,
        description="How far behind the target's watermark to re-read, for rows that arrive late. Default 0s.",
    )
    on_schema_change: SchemaChangePolicy | None = Field(
        default=None,
        description="When the model's columns differ from the target's: fail (default), add the new "
        "columns, or rebuild the whole target.",
    )
    on_sql_change: SqlChangePolicy | None = Field(
        default=None,
        description="When the job runs SQL other than the SQL that built its target (a new tag): "
        "full_refresh (default) rebuilds the target, so it holds exactly what the new SQL selects; "
        "keep_rows applies only new rows and keeps those the earlier SQL wrote (the run's metadata "
        "says so).",
    )


class ScheduleSpec(Strict):
    cron: Cron = Field(description=f"When the job runs: {CRON_RULE}.")
    timezone: TimeZone = Field(default="UTC", description="The time zone the cron is read in (IANA name).")


class EventSpec(Strict):
    """One event a Model Job runs after. Exactly one of the three fields."""

    model_job: ModelJobRef | None = Field(
        default=None,
        description="Another Model Job materialized successfully: model@environment, or the model "
        "alone for its job in this job's own environment.",
    )
    job: JobRef | None = Field(
        default=None,
        description="A Dagster job (any code location) succeeded: its name (any run), or name@environment "
        "(only runs of that partition). A model's name is its Model Jobs' asset job; other names are "
        "declared in upstream.yaml.",
    )
    deployment: DeploymentRef | None = Field(
        default=None,
        description="A deployment was reported: its name for a report in this job's own environment, or "
        "name@environment. A model's name is its tags going live (`model-jobs deploy`); other names "
        "are declared in upstream.yaml.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> EventSpec:
        given = [name for name in ("model_job", "job", "deployment") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "an event names exactly one of model_job, job or deployment"
                + (f" (this one names {' and '.join(given)})" if given else "")
            )
        return self


class TriggerSpec(Strict):
    """When a Model Job runs by itself. Given in `defaults:` and in a job, the job's fields win
    field by field (a field set to null there removes the default's)."""

    schedule: ScheduleSpec | None = Field(default=None, description="Run on a cron schedule.")
    on: list[EventSpec] | None = Field(
        default=None, min_length=1, description="Run when these events happen (see wait_for)."
    )
    wait_for: WaitFor | None = Field(
        default=None,
        description="any (default): every event starts a run; all: one run once every listed event has "
        "happened since the job's last triggered run.",
    )


Require = Literal["all", "any"]


def _bool_or_list(value: Any) -> str | None:
    return "~bool" if isinstance(value, bool) else "~list" if isinstance(value, list) else None


# true, false, or a list of sources: one error naming what was given, not one per member.
SourceList = Annotated[
    Annotated[StrictBool, Tag("~bool")] | Annotated[list[TableRef], Tag("~list")],
    Discriminator(
        _bool_or_list,
        custom_error_type="bool_or_sources",
        custom_error_message="use true, false, or a list of sources DATABASE.SCHEMA.TABLE",
    ),
]


class FreshnessBound(Strict):
    max_age: Duration = Field(description="How old the newest load may be, e.g. 6h or 1d.")


def _per_source_schema(schema: dict[str, Any]) -> None:
    # As written, per-source bounds are keyed by the source itself, not under `sources:`.
    schema["properties"].pop("sources", None)
    schema["patternProperties"] = {
        rf"^{_IDENTIFIER}\.{_IDENTIFIER}\.{_IDENTIFIER}$": {
            "type": "object",
            "properties": {"max_age": {"type": "string", "pattern": DURATION.pattern}},
            "required": ["max_age"],
            "additionalProperties": False,
        }
    }


class SourceFreshnessSpec(Strict):
    """`{max_age: 1d}` for every source the job reads that has a freshness (loaded_at or
    last_altered in sources.yaml), or `{DATABASE.SCHEMA.TABLE: {max_age: 6h}, ..., require: any}`
    for the sources named (by design-time location)."""

    model_config = ConfigDict(json_schema_extra=_per_source_schema)
    # The named bounds are written beside max_age and require, not under `sources:`: errors in
    # them are reported at the key as written (see pydantic_errors).
    __flattened_field__ = "sources"

    max_age: Duration | None = Field(default=None, description="The bound for every source the job reads.")
    sources: dict[TableRef, FreshnessBound] = Field(default_factory=dict, description="Bounds per source.")
    require: Require | None = Field(
        default=None, description="all (default): every named source must be fresh; any: one suffices."
    )

    @model_validator(mode="before")
    @classmethod
    def _sources_by_key(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        named = {k: v for k, v in data.items() if isinstance(k, str) and "." in k}
        rest = {k: v for k, v in data.items() if k not in named}
        return {**rest, "sources": named} if named else data

    @model_validator(mode="after")
    def _one_form(self) -> SourceFreshnessSpec:
        if (self.max_age is None) == (not self.sources):
            raise ValueError(
                "give either max_age (every source) or bounds per source, "
                "e.g. {DATALAKE_DEV.RAW.ORDERS: {max_age: 6h}}, not both"
                if self.sources
                else "give max_age (every source), or bounds per source, e.g. {DATALAKE_DEV.RAW.ORDERS: {max_age: 6h}}"
            )
        if self.require is not None and not self.sources:
            raise ValueError("require says how many of the named sources must be fresh: name sources, or remove it")
        return self


class ConditionsSpec(Strict):
    """What must hold for the job to run; unmet, a run is skipped (not failed) with the reason. Given
    in `defaults:` and in a job, the job's fields win field by field (null removes a default's)."""

    source_freshness: SourceFreshnessSpec | None = Field(
        default=None, description="The sources must have been loaded recently."
    )
    changed_since_last_run: StrictBool | None = Field(
        default=None,
        description="true: skip when no source changed (newest load, row count) since the job's last "
        "materialization in this environment.",
    )
    source_data_quality: SourceList | None = Field(
        default=None,
        description="true: the error-severity checks of every source the job reads must pass; or the "
        "sources (design-time location) whose checks must.",
    )


class ModelFreshnessSpec(Strict):
    max_age: Duration = Field(
        description="How old this environment's newest materialization may be before its freshness check fails."
    )


class JobDefaults(Strict):
    incremental: IncrementalSpec | None = Field(
        default=None, description="Incremental settings every job of this model starts from."
    )
    trigger: TriggerSpec | None = Field(default=None, description="The trigger every job of this model starts from.")
    conditions: ConditionsSpec | None = Field(
        default=None, description="The conditions every job of this model starts from."
    )
    freshness: ModelFreshnessSpec | None = Field(
        default=None, description="How fresh every job's target must stay (a check per environment)."
    )


class JobSpec(Strict):
    tag: TagRef = Field(description="The model tag this job runs; 'latest' only in the design environment.")
    source_mapping: dict[Location, Location] = Field(
        default_factory=dict,
        description="Design-time location -> location read by this job, at database, schema or "
        "table level (both sides with the same number of parts).",
    )
    target: JobTarget = Field(default_factory=JobTarget, description="Table this job materializes.")
    incremental: IncrementalSpec | Literal[False] | None = Field(
        default=None,
        description="Incremental settings over the defaults; false: this job always rebuilds its target.",
    )
    trigger: TriggerSpec | None = Field(
        default=None, description="When the job runs by itself (schedule, events); without one, it runs when launched."
    )
    conditions: ConditionsSpec | None = Field(
        default=None,
        description="What must hold for a run to write (sources fresh, changed, passing checks); unmet, "
        "the run is skipped with the reason. null: none, whatever the defaults say.",
    )
    freshness: ModelFreshnessSpec | None = Field(
        default=None, description="How fresh this job's target must stay: a freshness check on its partition."
    )


class JobsFile(Strict):
    model: ModelName = Field(description="The model these jobs run (a folder under models/).")
    defaults: JobDefaults = Field(default_factory=JobDefaults, description="Settings every job starts from.")
    jobs: dict[EnvironmentName, JobSpec] = Field(
        min_length=1, description="Model Jobs keyed by environment: at most one per environment."
    )


class UpstreamEntry(Strict):
    description: StrictStr | None = Field(default=None, description="What it is; shown in Dagster.")


class UpstreamFile(Strict):
    """Things outside job_specs/ that Model Jobs run after: named once, so triggers can be checked
    for typos and the deployments show in Dagster as assets."""

    deployments: dict[UpstreamName, UpstreamEntry | None] = Field(
        default_factory=dict,
        description="Deployments reported to Dagster (`model-jobs report-deployment` or its REST "
        "endpoint), by name; a model's own deployments need no entry.",
    )
    jobs: dict[UpstreamName, UpstreamEntry | None] = Field(
        default_factory=dict,
        description="Dagster jobs of other code locations (or this one) whose success may trigger Model "
        "Jobs, by job name; the models' own asset jobs need no entry.",
    )
