"""Load job_specs/ into a compiled project, or fail with every error at once."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
from collections.abc import Iterator
from pathlib import Path

from model_jobs.compile.compiled_project import CompiledProject, compile_project
from model_jobs.compile.reference_cache import ReferenceCache, default_cache_file
from model_jobs.errors import SpecErrors
from model_jobs.specs.loader import load_specs

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
