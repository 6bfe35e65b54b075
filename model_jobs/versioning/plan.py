"""`model-jobs plan`: what each Model Job runs now and what it will run next.

For every job: the tag it is configured to run, the tag running now (its last materialization in
the Dagster instance), the model's newest tag, and whether the SQL, the sources read or the target
change between the two. On request, the unified diff of the SQL: what a reviewer reads before
approving a promotion.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from model_jobs.compile.compiled_project import CompiledProject, ResolvedJob
from model_jobs.text_table import render_table


@dataclass(frozen=True)
class Running:
    """What a Model Job's last materialization ran (read from the Dagster instance by the caller)."""

    tag: str | None
    sha256: str | None
    sources: frozenset[str]
    target: str | None
    run_id: str | None


@dataclass(frozen=True)
class JobPlan:
    job: ResolvedJob
    newest_tag: str
    running: Running | None

    @property
    def sql_changes(self) -> bool:
        return self.running is None or self.running.sha256 != self.job.tag.sha256

    @property
    def sources_change(self) -> bool:
        return self.running is None or self.running.sources != frozenset(str(s.actual) for s in self.job.sources)

    @property
    def target_changes(self) -> bool:
        return self.running is None or self.running.target != str(self.job.target)

    @property
    def changes(self) -> list[str]:
        if self.running is None:
            return ["never run"]
        found = [
            name
            for name, changed in [
                ("sql", self.sql_changes),
                ("sources", self.sources_change),
                ("target", self.target_changes),
            ]
            if changed
        ]
        return found or ["none"]


RunningLookup = Callable[[ResolvedJob], Running | None]


def plan(
    project: CompiledProject,
    running_of: RunningLookup | None,
    environment: str | None = None,
    model: str | None = None,
) -> list[JobPlan]:
    """One plan per Model Job (optionally of one environment or model), upstream models first.
    `running_of` reads what a job last ran; None when there is no Dagster instance to ask."""
    plans = []
    for name in project.model_order():
        if model is not None and name != model:
            continue
        newest_tag = project.specs.models[name].newest_tag
        newest = newest_tag.name if newest_tag else "-"
        for env in project.environments_of(name):
            if environment is not None and env != environment:
                continue
            job = project.job(name, env)
            plans.append(JobPlan(job, newest, running_of(job) if running_of else None))
    return plans


def sql_diff(project: CompiledProject, plan_: JobPlan) -> str:
    job = plan_.job
    model = project.specs.models[job.model]
    running = plan_.running.tag if plan_.running else None
    if running is None:
        return f"(never run: {job.key} will run tag {job.tag.name} for the first time)\n"
    old = model.tag(running)
    if old is None:
        return f"(the running tag {running!r} is no longer in tags.lock; nothing to compare)\n"
    if old.sha256 == job.tag.sha256:
        return ""
    return "".join(
        difflib.unified_diff(
            old.sql.splitlines(keepends=True),
            job.tag.sql.splitlines(keepends=True),
            fromfile=f"{job.model}/tags/{old.name}.sql (running in {job.environment})",
            tofile=f"{job.model}/tags/{job.tag.name}.sql (configured)",
        )
    )


def render(
    project: CompiledProject, plans: list[JobPlan], with_diff: bool = False, instance_available: bool = True
) -> str:
    header = ("model job", "configured", "running", "newest", "changes")
    rows = []
    for p in plans:
        configured = f"{p.job.tag.name} (latest)" if p.job.follows_latest else p.job.tag.name
        running = (p.running.tag or "?") if p.running else ("-" if instance_available else "unknown")
        rows.append((p.job.key, configured, running, p.newest_tag, ", ".join(p.changes)))
    out = [render_table(header, rows)]
    if not instance_available:
        out.append("\n(no Dagster instance reachable: the running tags are unknown)")
    if with_diff:
        for p in plans:
            if p.running is not None and not p.sql_changes:
                continue
            diff = sql_diff(project, p)
            if diff:
                out += ["", f"== {p.job.key}", diff.rstrip("\n")]
    return "\n".join(out)
