"""The Dagster instance the commands share with `make dev` ($DAGSTER_HOME, else ./.dagster_home),
and what the commands read from it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import yaml
from dagster import AssetRecordsFilter, DagsterError, DagsterInstance

from model_jobs.compile.compiled_project import ResolvedJob
from model_jobs.defs.keys import model_key
from model_jobs.errors import ConfigurationError
from model_jobs.versioning.plan import Running

DAGSTER_HOME_DIR = ".dagster_home"


def dagster_home_path() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or Path(DAGSTER_HOME_DIR).resolve())


# The instance settings `make dev` starts with (default local storage otherwise). Written when
# dagster.yaml is missing or empty, or is an older copy written by model-jobs (its first line
# says so): an edited one whose first line was changed is kept.
SETTINGS_MARKER = "# Written by model-jobs"
DEV_INSTANCE_SETTINGS = f"""\
{SETTINGS_MARKER} for `make dev`; remove this line to keep your edits.
# One writer per Model Job: the run queue starts at most one run per value of the `model_job`
# tag (customers_dim@marketing_prd); runs of other Model Jobs, environments included, go ahead.
concurrency:
  runs:
    tag_concurrency_limits:
      - key: model_job
        value: {{applyLimitPerUniqueValue: true}}
        limit: 1
# Run monitoring fails runs that never got going, and runs past max_runtime_seconds: the default
# run launcher cannot tell that a run's process was killed, so that is what ends such a run.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_runtime_seconds: 21600
  poll_interval_seconds: 60
"""


def dagster_home() -> Path:
    """The instance's folder, created when missing, with DEV_INSTANCE_SETTINGS."""
    home = dagster_home_path()
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "dagster.yaml"
    current = settings.read_text(encoding="utf-8") if settings.exists() else ""
    if not current.strip() or (current.startswith(SETTINGS_MARKER) and current != DEV_INSTANCE_SETTINGS):
        settings.write_text(DEV_INSTANCE_SETTINGS, encoding="utf-8")
    return home


@contextlib.contextmanager
def open_instance() -> Iterator[DagsterInstance]:
    """The instance, created when there is none yet."""
    home = dagster_home()
    try:
        instance = DagsterInstance.from_config(str(home))
    except (DagsterError, yaml.YAMLError) as exc:
        raise ConfigurationError(
            f"the Dagster instance in {home} cannot be opened (DAGSTER_HOME; check {home / 'dagster.yaml'}): {exc}"
        ) from exc
    with instance:
        yield instance


@contextlib.contextmanager
def open_existing_instance() -> Iterator[DagsterInstance | None]:
    """The instance, or None when there is none yet (nothing has run): for commands that only read."""
    if not dagster_home_path().is_dir():
        yield None
        return
    with open_instance() as instance:
        yield instance


def running_state(instance: DagsterInstance, job: ResolvedJob) -> Running | None:
    """What the job's last materialization ran, from its metadata; None when it never ran."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=model_key(job.model), asset_partitions=[job.environment]), limit=1
    ).records
    materialization = records[0].asset_materialization if records else None
    if materialization is None:
        return None
    metadata = {key: entry.value for key, entry in materialization.metadata.items()}
    sources = metadata.get("sources_read")
    reads = sources if isinstance(sources, list) else []  # a JSON list of SourceRead.to_metadata()
    return Running(
        tag=_text(metadata.get("tag")),
        sha256=_text(metadata.get("sql_sha256")),
        sources=frozenset(s["read"] for s in reads if isinstance(s, dict) and "read" in s),
        target=_text(metadata.get("target")),
        run_id=records[0].run_id,
    )


def _text(value: object) -> str | None:
    # defs.assets writes these entries as text; a value of any other type is not one of ours.
    return value if isinstance(value, str) else None
