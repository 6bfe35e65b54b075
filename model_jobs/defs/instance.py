"""The Dagster instance the commands share with `make dev` ($DAGSTER_HOME, else ./.dagster_home),
and what the commands read from it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from dagster import AssetRecordsFilter, DagsterInstance

from model_jobs.compile.compiled_project import ResolvedJob
from model_jobs.defs.keys import model_key
from model_jobs.versioning.plan import Running

DAGSTER_HOME_DIR = ".dagster_home"


def dagster_home(create: bool = True) -> Path | None:
    home = Path(os.environ.get("DAGSTER_HOME") or Path(DAGSTER_HOME_DIR).resolve())
    if not create and not home.is_dir():
        return None
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").touch()  # an empty one: default local storage, without a warning
    return home


@contextlib.contextmanager
def open_instance(create: bool = True) -> Iterator[DagsterInstance | None]:
    """The instance; with create=False, None when there is none yet (nothing has run)."""
    home = dagster_home(create)
    if home is None:
        yield None
        return
    with DagsterInstance.from_config(str(home)) as instance:
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
    sources = metadata.get("sources_read") or []
    return Running(
        tag=metadata.get("tag"),
        sha256=metadata.get("sql_sha256"),
        sources=frozenset(s["read"] for s in sources if isinstance(s, dict) and "read" in s),
        target=metadata.get("target"),
        run_id=records[0].run_id,
    )
