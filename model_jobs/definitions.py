"""The Dagster code location: job_specs/ (or $MODEL_JOBS_SPECS_DIR) as assets.

An invalid spec raises here, so the code location refuses to load and shows every error,
rather than silently dropping a job. Warnings (problems that do not stop loading) are logged.
"""

import logging

from model_jobs.defs.build import loadable_definitions
from model_jobs.project import load_project

project = load_project()
for warning in project.specs.warnings:
    logging.getLogger("model_jobs").warning("%s", warning)
defs = loadable_definitions(project)
