"""The warehouse resource: dagster_snowflake.SnowflakeResource, configured from environment
variables (see `warehouse.settings`). Without SNOWFLAKE_ACCOUNT it points the same connector at
the embedded local Snowflake.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import EnvVar

from model_jobs.defs.snowflake_resource import SnowflakeResource
from model_jobs.specs.models import EnvironmentSpec
from model_jobs.warehouse.local_snowflake import HOST, configured_port
from model_jobs.warehouse.settings import credential_variables, query_tag, uses_local_snowflake


def snowflake_resource_from_env(resolved: bool = False) -> SnowflakeResource:
    """The resource for the configured warehouse. `resolved`: with the credentials' values read
    now, for code that uses the resource outside a run (ticks, commands); definitions get EnvVars."""
    if not uses_local_snowflake():
        # EnvVar keeps the secret out of the definitions: Dagster resolves it in the run worker.
        # Any: every config field takes an EnvVar in place of its value, which the signature does not say.
        credentials: dict[str, Any] = {
            field: os.environ[name] if resolved else EnvVar(name) for field, name in credential_variables().items()
        }
        return SnowflakeResource(**credentials)
    # The embedded Snowflake accepts any credentials; these are not secrets.
    return SnowflakeResource(
        account="local",
        user="local",
        password="local",
        # The embedded Snowflake answers an internal error with HTTP 500, which the connector
        # retries until this many seconds have passed; without it a run would hang.
        network_timeout=60,
        additional_snowflake_connection_args={
            "host": HOST,
            "port": configured_port(),
            "protocol": "http",
            "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
        },
    )


def warehouse_for_ticks() -> SnowflakeResource:
    """The warehouse for schedule and sensor ticks that evaluate conditions: the runs' resource,
    configured the same way, with its credentials read from the environment. (A tick's
    `context.resources` hands dagster-snowflake's legacy connection wrapper instead, which
    `job_connection` cannot scope to an environment's role and warehouse.)"""
    return snowflake_resource_from_env(resolved=True)


@contextlib.contextmanager
def connection_outside_a_run() -> Iterator[Any]:
    """A connection for commands (seed) that run outside Dagster: the resource's EnvVar fields are
    resolved first, as Dagster would resolve them for a run."""
    with snowflake_resource_from_env().process_config_and_initialize().get_connection() as connection:
        yield connection


@contextlib.contextmanager
def job_connection(
    resource: SnowflakeResource,
    *,
    role: str,
    warehouse: str,
    session_parameters: Mapping[str, object],
    database: str | None = None,
    schema: str | None = None,
    read_only: bool = False,
) -> Iterator[Any]:
    """A connection as the environment's role, on its warehouse, with extra session parameters
    (QUERY_TAG), its current database and schema those of the job's target (every statement
    names its tables in full; the embedded Snowflake needs a current schema for MERGE): a copy
    of the configured resource, so credentials are handled by dagster-snowflake.
    """
    fields = {
        name: getattr(resource, name) for name in type(resource).model_fields if getattr(resource, name) is not None
    }
    extra = dict(fields.get("additional_snowflake_connection_args") or {})
    extra["session_parameters"] = {**extra.get("session_parameters", {}), **session_parameters}
    scoped = SnowflakeResource(
        **{
            **fields,
            "role": role,
            "warehouse": warehouse,
            "additional_snowflake_connection_args": extra,
            **({"database": database, "schema": schema} if database and schema else {}),
            # Nothing to commit: without autocommit dagster-snowflake sends a COMMIT on close.
            **({"autocommit": True} if read_only else {}),
        }
    )
    with scoped.get_connection() as connection:
        yield connection


@contextlib.contextmanager
def environment_connection(spec: EnvironmentSpec, **query_tag_fields: str) -> Iterator[Any]:
    """A read-only connection for commands that read an environment's tables (`model-jobs diff`,
    `plan --data`): its role and warehouse, a QUERY_TAG naming the command, nothing to commit."""
    with job_connection(
        snowflake_resource_from_env(resolved=True),
        role=spec.role,
        warehouse=spec.warehouse,
        session_parameters={"QUERY_TAG": query_tag(**query_tag_fields)},
        read_only=True,
    ) as connection:
        yield connection
