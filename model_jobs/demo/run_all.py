"""`model-jobs demo`: materialize every Model Job once, upstream models first, and summarize."""

from __future__ import annotations

from collections.abc import Callable

from dagster import DagsterInstance

from model_jobs.compile.compiled_project import CompiledProject
from model_jobs.defs.build import build_definitions
from model_jobs.defs.headless import PartitionRun, run_partition
from model_jobs.text_table import render_table


def materialize_all(
    project: CompiledProject, instance: DagsterInstance, progress: Callable[[str], None] = lambda _line: None
) -> list[PartitionRun]:
    """Every Model Job once, upstream models first; `progress` hears one line as each ends."""
    defs = build_definitions(project)
    keys = [(model, env) for model in project.model_order() for env in project.environments_of(model)]
    runs = []
    for number, (model, env) in enumerate(keys, start=1):
        run = run_partition(defs, model, env, instance)
        outcome = f"{run.metadata['rows_written']} rows" if run.ok else "skipped" if run.skipped else "FAILED"
        progress(f"[{number}/{len(keys)}] {model}@{env}: {outcome}")
        runs.append(run)
    return runs


def _how(run: PartitionRun) -> str:
    """'full', or for an incremental run what it changed: 'incremental +3 ~2 -0'."""
    if run.metadata.get("mode") != "incremental":
        return "full"
    counts = (run.metadata[f"rows_{kind}"] for kind in ("inserted", "updated", "deleted"))
    return "incremental {:+d} ~{} -{}".format(*counts)


def summary(project: CompiledProject, runs: list[PartitionRun]) -> str:
    header = ("model", "environment", "tag", "target", "rows", "run (+inserted ~updated -deleted)")
    rows = []
    for run in runs:
        job = project.job(run.model, run.environment)
        outcome = str(run.metadata["rows_written"]) if run.ok else "skipped" if run.skipped else "FAILED"
        rows.append((run.model, run.environment, job.tag.name, str(job.target), outcome, _how(run) if run.ok else ""))
    skips = [f"\n{r.model}@{r.environment} skipped, conditions unmet: {r.skipped}" for r in runs if r.skipped]
    errors = [f"\n{r.model}@{r.environment} failed:\n{r.error}" for r in runs if r.error]
    return "\n".join([render_table(header, rows), *skips, *errors])
