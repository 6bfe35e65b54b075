"""Load job_specs/ into a compiled project, or fail with every error at once."""

from __future__ import annotations

import os
from pathlib import Path

from model_jobs.compile.plan import CompiledProject, compile_project
from model_jobs.specs.loader import load_specs

SPECS_DIR_ENV = "MODEL_JOBS_SPECS_DIR"


def default_specs_dir() -> Path:
    return Path(os.environ.get(SPECS_DIR_ENV) or "job_specs")


def load_project(root: Path | None = None) -> CompiledProject:
    """Raises SpecErrors listing every problem; never drops a job silently."""
    specs, errors = load_specs(Path(root) if root is not None else default_specs_dir())
    if specs is None:
        errors.raise_if_any()
    project = compile_project(specs, errors)
    errors.raise_if_any()
    return project
