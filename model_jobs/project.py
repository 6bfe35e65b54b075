"""Load job_specs/ into a compiled project, or fail with every error at once."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
from collections.abc import Iterator
from pathlib import Path

from model_jobs.compile.compiled_project import CompiledProject, ResolvedJob, compile_project
from model_jobs.compile.reference_cache import ReferenceCache, default_cache_file
from model_jobs.errors import CommandError, SpecErrors
from model_jobs.specs.collector import ErrorCollector
from model_jobs.specs.loader import load_specs
from model_jobs.specs.models import LATEST

SPECS_DIR_ENV = "MODEL_JOBS_SPECS_DIR"


def specs_dir(path: str | Path | None = None) -> Path:
    """The specs folder: `path` when given, else $MODEL_JOBS_SPECS_DIR, else ./job_specs."""
    return Path(path or os.environ.get(SPECS_DIR_ENV) or "job_specs")


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    # Loading builds tens of thousands of small, long-lived objects (YAML nodes, spec models);
    # the cyclic collector would scan them again and again while they are still in use, which
    # was about 40% of the load time of 1,000 models. Collection resumes right after.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_project(root: str | Path | None = None) -> CompiledProject:
    """The specs under `root` (see `specs_dir`), compiled. Raises SpecErrors listing every
    problem; never drops a job silently."""
    with _gc_paused():
        specs, errors = load_specs(specs_dir(root))
        if specs is None:
            raise SpecErrors(errors.errors)  # load_specs returns None only after recording why
        project = compile_project(specs, errors, ReferenceCache(default_cache_file()))
    errors.raise_if_any()
    if len(errors.warnings) > len(specs.warnings):  # compiling found some too: say them all
        project = dataclasses.replace(project, specs=dataclasses.replace(specs, warnings=tuple(errors.warnings)))
    return project


def job_at_tag(project: CompiledProject, model: str, environment: str, tag: str | None) -> ResolvedJob:
    """The Model Job `model`@`environment` as it would be with tag `tag` (its configured tag when
    None): the tag's SQL with the job's source mapping and target, resolved as loading would.
    Raises CommandError naming what does not exist, SpecErrors when the job cannot run that tag
    (e.g. its source_mapping names a table the tag does not read)."""
    if model not in project.specs.models:
        raise CommandError(f"unknown model {model!r}; known: {', '.join(project.specs.models)}")
    if (model, environment) not in project.jobs:
        environments = ", ".join(project.environments_of(model)) or "(none)"
        raise CommandError(f"model {model!r} has no job in {environment!r}; it has jobs in: {environments}")
    job = project.job(model, environment)
    if tag is None or tag == job.tag.name:
        return job
    known = project.specs.models[model]
    if tag != LATEST and known.tag(tag) is None:
        names = ", ".join(t.name for t in known.tags) or "(none)"
        raise CommandError(f"model {model!r} has no tag {tag!r}; its tags: {names} (or latest)")
    entries = [
        dataclasses.replace(entry, spec=entry.spec.model_copy(update={"tag": tag}))
        if (entry.model, entry.environment) == (model, environment)
        else entry
        for entry in project.specs.jobs
    ]
    errors = ErrorCollector()
    with _gc_paused():
        compiled = compile_project(
            dataclasses.replace(project.specs, jobs=entries), errors, ReferenceCache(default_cache_file())
        )
    errors.raise_if_any()
    return compiled.job(model, environment)
