"""Materialize every Model Job once, upstream models first, through Dagster (headless)."""

from __future__ import annotations

from dataclasses import dataclass

from dagster import DagsterInstance, Definitions, materialize

from model_jobs.compile.plan import CompiledProject
from model_jobs.defs.build import build_definitions

# The summary table is the demo's output; Dagster's per-event console log would bury it.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass(frozen=True)
class JobOutcome:
    model: str
    environment: str
    tag: str
    target: str
    rows: int | None
    error: str | None = None
    run: str = "full"  # "full", or for incremental jobs e.g. "incremental +3 ~2 -0"

    @property
    def ok(self) -> bool:
        return self.error is None


def materialize_job(
    defs: Definitions, project: CompiledProject, model: str, environment: str, instance: DagsterInstance
) -> JobOutcome:
    """Run one Model Job (one partition of one model asset) and report how it went."""
    job = project.job(model, environment)
    asset_def = defs.get_assets_def(model)
    result = materialize(
        [asset_def],
        partition_key=environment,
        resources=defs.resources,
        instance=instance,
        raise_on_error=False,
        run_config=QUIET,
    )
    if result.success:
        metadata = result.asset_materializations_for_node(asset_def.op.name)[0].metadata
        return JobOutcome(
            model, environment, job.tag.name, str(job.target), metadata["rows_written"].value, run=_how(metadata)
        )
    failure = next((e for e in result.all_events if e.is_step_failure), None)
    error = _root_cause(failure.step_failure_data.error) if failure else "run failed"
    return JobOutcome(model, environment, job.tag.name, str(job.target), None, error)


def _how(metadata) -> str:
    if "mode" not in metadata or metadata["mode"].value != "incremental":
        return "full"
    counts = (metadata[f"rows_{kind}"].value for kind in ("inserted", "updated", "deleted"))
    return "incremental {:+d} ~{} -{}".format(*counts)


def _root_cause(error) -> str:
    # Dagster wraps the exception raised in the asset; the innermost cause says what went wrong.
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def materialize_all(project: CompiledProject, instance: DagsterInstance) -> list[JobOutcome]:
    defs = build_definitions(project)
    return [
        materialize_job(defs, project, model, env, instance)
        for model in project.model_order()
        for env in project.environments_of(model)
    ]


def render_table(outcomes: list[JobOutcome]) -> str:
    header = ("model", "environment", "tag", "target", "rows", "run (+inserted ~updated -deleted)")
    rows = [
        (o.model, o.environment, o.tag, o.target, str(o.rows) if o.ok else "FAILED", o.run if o.ok else "")
        for o in outcomes
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()  # noqa: E731
    errors = [f"\n{o.model}@{o.environment} failed:\n{o.error}" for o in outcomes if not o.ok]
    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *map(line, rows), *errors])
