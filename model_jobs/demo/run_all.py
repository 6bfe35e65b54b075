"""Materialize every Model Job once, upstream models first, through Dagster (headless)."""

from __future__ import annotations

from dataclasses import dataclass

from dagster import DagsterInstance, materialize

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

    @property
    def ok(self) -> bool:
        return self.error is None


def materialize_all(project: CompiledProject, instance: DagsterInstance) -> list[JobOutcome]:
    defs = build_definitions(project)
    resources = defs.resources
    outcomes = []
    for model in project.model_order():
        asset_def = defs.get_assets_def(model)
        for env in project.environments_of(model):
            job = project.job(model, env)
            result = materialize([asset_def], partition_key=env, resources=resources, instance=instance,
                                 raise_on_error=False, run_config=QUIET)
            rows, error = None, None
            if result.success:
                event = result.asset_materializations_for_node(asset_def.op.name)[0]
                rows = event.metadata["rows_written"].value
            else:
                failure = next((e for e in result.all_events if e.is_step_failure), None)
                error = failure.step_failure_data.error.message.strip() if failure else "run failed"
            outcomes.append(JobOutcome(model, env, job.tag.name, str(job.target), rows, error))
    return outcomes


def render_table(outcomes: list[JobOutcome]) -> str:
    header = ("model", "environment", "tag", "target", "rows")
    rows = [(o.model, o.environment, o.tag, o.target, str(o.rows) if o.ok else "FAILED") for o in outcomes]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    errors = [f"\n{o.model}@{o.environment} failed:\n{o.error}" for o in outcomes if not o.ok]
    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *map(line, rows), *errors])
