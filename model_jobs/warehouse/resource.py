"""The warehouse resource: dagster_snowflake.SnowflakeResource, configured from environment
variables. Without SNOWFLAKE_ACCOUNT it points the same connector at the embedded local Snowflake.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping

from dagster import EnvVar
from dagster_snowflake import SnowflakeResource

from model_jobs.warehouse.local_snowflake import HOST, configured_port

ACCOUNT_ENV = "SNOWFLAKE_ACCOUNT"
USER_ENV = "SNOWFLAKE_USER"
PASSWORD_ENV = "SNOWFLAKE_PASSWORD"
PRIVATE_KEY_ENV = "SNOWFLAKE_PRIVATE_KEY"
PRIVATE_KEY_PATH_ENV = "SNOWFLAKE_PRIVATE_KEY_PATH"
PRIVATE_KEY_PASSWORD_ENV = "SNOWFLAKE_PRIVATE_KEY_PASSWORD"


class WarehouseConfigError(RuntimeError):
    pass


def uses_local_snowflake() -> bool:
    return not os.environ.get(ACCOUNT_ENV)


def _snowflake_auth() -> dict:
    # EnvVar keeps the secret out of the definitions: Dagster resolves it in the run worker.
    if not os.environ.get(USER_ENV):
        raise WarehouseConfigError(f"{ACCOUNT_ENV} is set but {USER_ENV} is not")
    auth: dict = {"account": EnvVar(ACCOUNT_ENV), "user": EnvVar(USER_ENV)}
    if os.environ.get(PRIVATE_KEY_ENV):
        auth["private_key"] = EnvVar(PRIVATE_KEY_ENV)
    elif os.environ.get(PRIVATE_KEY_PATH_ENV):
        auth["private_key_path"] = EnvVar(PRIVATE_KEY_PATH_ENV)
    elif os.environ.get(PASSWORD_ENV):
        auth["password"] = EnvVar(PASSWORD_ENV)
    else:
        raise WarehouseConfigError(
            f"{ACCOUNT_ENV} is set but no credentials are: set {PASSWORD_ENV}, "
            f"{PRIVATE_KEY_ENV} or {PRIVATE_KEY_PATH_ENV}"
        )
    if os.environ.get(PRIVATE_KEY_PASSWORD_ENV) and "password" not in auth:
        auth["private_key_password"] = EnvVar(PRIVATE_KEY_PASSWORD_ENV)
    return auth


def snowflake_resource_from_env() -> SnowflakeResource:
    if not uses_local_snowflake():
        return SnowflakeResource(**_snowflake_auth())
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


def query_tag(**fields: str) -> str:
    return json.dumps({"app": "model-jobs", **fields}, sort_keys=True)


@contextlib.contextmanager
def job_connection(
    resource: SnowflakeResource,
    *,
    role: str,
    warehouse: str,
    session_parameters: Mapping[str, object],
    database: str | None = None,
    schema: str | None = None,
) -> Iterator:
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
        }
    )
    with scoped.get_connection() as connection:
        yield connection
