"""The Dagster code location: job_specs/ (or $MODEL_JOBS_SPECS_DIR) as assets.

An invalid spec raises here, so the code location refuses to load and shows every error,
rather than silently dropping a job.
"""

from model_jobs.defs.build import build_definitions
from model_jobs.project import load_project

defs = build_definitions(load_project())
