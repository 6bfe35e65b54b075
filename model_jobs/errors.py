"""Every error model-jobs raises on purpose, in one family.

A `ModelJobsError` is a problem the user can act on: its message says what is wrong, where (file,
line, field, table) and what to do. The command line prints it without a traceback (`--debug`
shows one); the Dagster adapter turns a `RunRefused` into a `Failure` that shows the message and
is not retried. Anything else that escapes is a bug and keeps its traceback.

    ModelJobsError
    ├── SpecErrors            job_specs/ is invalid (every problem at once)
    ├── CommandError          a command refused to act; no file was changed
    ├── ConfigurationError    an environment variable or setting is unusable
    └── RunRefused            a run stopped before changing its target
        ├── SourceSchemaMismatch
        └── IncrementalRunError
            ├── DuplicateKeys
            ├── SchemaChanged
            └── ApplyRolledBack

Errors raised while reading specs and turned into `SpecErrors` entries by the loader
(`InvalidIdentifier`, `ModelSqlError`, `SpecFileError`, `YamlLoadError`) derive from `ModelJobsError` too, so one
that escapes by mistake is still reported as a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class ModelJobsError(Exception):
    """Base of every error with a message meant for the user."""


@dataclass(frozen=True)
class SpecError:
    """One problem in job_specs/: file, line where known, field path, what is allowed."""

    file: Path
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class SpecErrors(ModelJobsError):
    """Raised with all spec errors at once, so one fix-and-rerun cycle sees everything."""

    def __init__(self, errors: list[SpecError]):
        self.errors = sorted(errors, key=lambda e: (str(e.file), e.line or 0, e.field, e.message))
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.errors)
        header = f"job_specs are invalid ({count} error{'s' if count != 1 else ''}):"
        return "\n".join([header, *(f"  - {e}" for e in self.errors)])


class CommandError(ModelJobsError):
    """A refused command: the message says which file and what to do; no file was changed."""


class ConfigurationError(ModelJobsError):
    """An environment variable or setting cannot be used as it is; the message names it."""


class RunRefused(ModelJobsError):
    """A Model Job run stopped before changing its target. Retrying does not help; the message
    says what to change."""


class SourceSchemaMismatch(RunRefused):
    """A source is missing or no longer has the columns declared; the message lists every problem."""


class IncrementalRunError(RunRefused):
    """An incremental run cannot apply its new rows as configured."""


class DuplicateKeys(IncrementalRunError):
    """New rows share a unique_key value, or have none: they cannot be matched to target rows."""


class SchemaChanged(IncrementalRunError):
    """The model's columns differ from the target's and on_schema_change does not allow it."""


class ApplyRolledBack(IncrementalRunError):
    """The warehouse refused the apply transaction, and it was rolled back: the target is as it
    was. Another run writing the same table at the same moment is the usual cause."""


class InvalidIdentifier(ModelJobsError, ValueError):
    """A spec value is not a usable Snowflake name (a ValueError, so pydantic reports it per field)."""


class ModelSqlError(ModelJobsError, ValueError):
    """A tag's SQL cannot be used: it does not parse, or reads a table it cannot map."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


class SpecFileError(ModelJobsError):
    """A spec or SQL file cannot be read as text: not a plain file, too large, not UTF-8."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


class YamlLoadError(SpecFileError):
    """A spec file is not readable YAML; `line` points at the problem."""


class AnotherRunWriting(RunRefused):
    """Another run of the same Model Job is writing its target; two writers could lose rows."""
