"""Before a run writes anything: do its sources still look as declared, what columns does the
model's output have and, for an incremental job, does the target exist and what is its state?

Usually one statement answers all of it (a probe, see `compile.sql.probe`). When that fails,
INFORMATION_SCHEMA says why: missing or changed sources are reported, every problem at once; a
missing target, or one without the watermark column, is a fact the run acts on; anything else is
the model query's own error, raised as the warehouse worded it. Nothing has been written then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from snowflake.connector.errors import ProgrammingError

from model_jobs.compile.compiled_project import ResolvedJob
from model_jobs.compile.run_statements import preflight_parts
from model_jobs.identifiers import TableName
from model_jobs.runtime.catalog import read_information_schema, run_probe
from model_jobs.runtime.source_check import check_sources
from model_jobs.runtime.statements import Statements
from model_jobs.specs.models import SourceSpec


@dataclass(frozen=True)
class TargetState:
    watermark: Any  # the highest watermark; meaningless when no row has one
    rows_with_watermark: int
    rows: int
    comment: str | None  # the table comment: which tag and SQL built the target (compile.sql.built_by)
    stages: str | None  # names of the target's staging tables, comma-separated (see incremental_sql)


@dataclass(frozen=True)
class Preflight:
    output: dict[str, str] | None  # the model output's columns; None when the probe failed
    target: dict[str, str] | None  # the target's columns; None when it does not exist or was not asked
    state: TargetState | None  # incremental jobs whose target has the watermark column
    # The columns of each source where this environment read it, by the name the SQL uses
    # (design-time): what `*` expands to and where unqualified names come from (compile/lineage).
    sources: dict[TableName, dict[str, str]] = field(default_factory=dict)


def preflight(statements: Statements, job: ResolvedJob, declared: dict[TableName, SourceSpec]) -> Preflight:
    relations, state = preflight_parts(job)
    try:
        probed = run_probe(statements, relations, state)
    except ProgrammingError as error:
        return _diagnose(statements, job, declared, error)
    count = len(job.sources)
    found = dict(zip([source.actual for source in job.sources], probed.columns[:count], strict=True))
    check_sources(job.sources, found, declared)
    sources = _by_design_name(job, found)
    if job.incremental is None:
        return Preflight(output=probed.columns[count], target=None, state=None, sources=sources)
    target = probed.columns[count + 1]
    return Preflight(output=probed.columns[count], target=target, state=TargetState(*probed.state), sources=sources)


def _by_design_name(job: ResolvedJob, found: dict[TableName, dict[str, str]]) -> dict[TableName, dict[str, str]]:
    return {source.design: found[source.actual] for source in job.sources if source.actual in found}


def _diagnose(
    statements: Statements, job: ResolvedJob, declared: dict[TableName, SourceSpec], error: ProgrammingError
) -> Preflight:
    tables = [source.actual for source in job.sources]
    if job.incremental is not None:
        tables.append(job.target)
    found = read_information_schema(statements, list(dict.fromkeys(tables)))
    check_sources(job.sources, found, declared)  # raises when a source is missing or changed
    if job.incremental is not None:
        target = found[job.target]
        sources = _by_design_name(job, found)
        if not target:
            return Preflight(output=None, target=None, state=None, sources=sources)
        if job.incremental.watermark not in target:
            return Preflight(output=None, target=target, state=None, sources=sources)
    raise error  # the sources and the target are as expected: the model query itself failed
