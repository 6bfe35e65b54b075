"""Where Model Jobs write, and what may not be written: a table two jobs write (in any
environments), a table any job reads as a source, or a table in Snowflake's own databases.
Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from model_jobs.compile.resolve import SourceRead
from model_jobs.identifiers import TableName
from model_jobs.specs.collector import ErrorCollector
from model_jobs.specs.loader import JobEntry, SpecSet
from model_jobs.specs.models import EnvironmentSpec

# Databases Snowflake provides: account usage, shared samples. Nothing of ours belongs there.
SYSTEM_DATABASES = frozenset({"SNOWFLAKE", "SNOWFLAKE_SAMPLE_DATA"})

JobKey = tuple[str, str]  # (model, environment)


def _target(entry: JobEntry, env: EnvironmentSpec) -> TableName:
    target = entry.spec.target
    return TableName(
        target.database or env.target.database,
        target.schema_ or env.target.schema_,
        target.table or entry.model.upper(),
    )


def job_targets(specs: SpecSet) -> dict[JobKey, TableName]:
    return {(e.model, e.environment): _target(e, specs.environments[e.environment]) for e in specs.jobs}


def design_targets(targets: Mapping[JobKey, TableName], design_environment: str) -> dict[TableName, str]:
    """Each model's target in the design environment, from every job's target: the table other
    models name when they read it (and follow into their own environment)."""
    return {table: model for (model, env), table in targets.items() if env == design_environment}


def _refuse(errors: ErrorCollector, entry: JobEntry, message: str) -> None:
    errors.add(entry.file, f"jobs.{entry.environment}.target", message, entry.line("target") or entry.line())


def check_targets(specs: SpecSet, targets: Mapping[JobKey, TableName], errors: ErrorCollector) -> None:
    """What can be told from the specs alone: one job per table, no declared source, no system
    database."""
    writer: dict[TableName, JobEntry] = {}
    for entry in specs.jobs:
        target = targets[(entry.model, entry.environment)]
        if target.database in SYSTEM_DATABASES:
            _refuse(
                errors,
                entry,
                f"{target} is in {target.database}, a database Snowflake provides; write to a database of your own",
            )
        if target in specs.sources:
            _refuse(
                errors,
                entry,
                f"{target} is a source declared in sources.yaml; a job must not overwrite a table models read",
            )
        other = writer.setdefault(target, entry)
        if other is not entry:
            # Reported on both jobs: either one may be the one to change. Environments do not make
            # a difference: a sandbox job writing the prd table would overwrite prd.
            for this, that in ((entry, other), (other, entry)):
                _refuse(
                    errors,
                    this,
                    f"{target} is also the target of model {that.model!r} in "
                    f"{that.environment!r} ({that.file}:{that.line('target') or that.line()}); "
                    "each Model Job needs its own table",
                )


def check_targets_not_read(
    specs: SpecSet,
    targets: Mapping[JobKey, TableName],
    reads: Iterable[tuple[JobKey, SourceRead]],
    errors: ErrorCollector,
) -> None:
    """No job writes a table that a job reads as a source (after mapping). Reading another
    model's target is a dependency, not a source: those reads name the model's design target."""
    written = {target: key for key, target in targets.items()}
    models_tables = design_targets(targets, specs.design_environment)
    entries = {(e.model, e.environment): e for e in specs.jobs}
    reported: set[JobKey] = set()
    for (model, environment), source in reads:
        writer = written.get(source.actual)
        if writer is None or source.design in models_tables or writer in reported or source.actual in specs.sources:
            continue  # (a declared source is reported by check_targets already)
        reported.add(writer)
        how = f" (mapped from {source.design})" if source.actual != source.design else ""
        _refuse(
            errors,
            entries[writer],
            f"{source.actual} is read as a source by model {model!r} in "
            f"{environment!r}{how}; a job must not overwrite a table models read",
        )
