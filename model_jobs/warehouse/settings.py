"""Which warehouse the jobs use, decided from environment variables (no Dagster, no connection).

Without SNOWFLAKE_ACCOUNT everything runs on the embedded local Snowflake. With it, the
credentials are read from the variables named here; `defs.resources` hands those names to Dagster
(`EnvVar`), so secrets are resolved in the run worker and never land in definitions or logs.
"""

from __future__ import annotations

import json
import os

from model_jobs.errors import ConfigurationError

ACCOUNT_ENV = "SNOWFLAKE_ACCOUNT"
USER_ENV = "SNOWFLAKE_USER"
PASSWORD_ENV = "SNOWFLAKE_PASSWORD"
PRIVATE_KEY_ENV = "SNOWFLAKE_PRIVATE_KEY"
PRIVATE_KEY_PATH_ENV = "SNOWFLAKE_PRIVATE_KEY_PATH"
PRIVATE_KEY_PASSWORD_ENV = "SNOWFLAKE_PRIVATE_KEY_PASSWORD"


def uses_local_snowflake() -> bool:
    return not os.environ.get(ACCOUNT_ENV)


def credential_variables() -> dict[str, str]:
    """SnowflakeResource field -> the environment variable it is read from, for a real account.
    Raises ConfigurationError naming what is missing."""
    if not os.environ.get(USER_ENV):
        raise ConfigurationError(f"{ACCOUNT_ENV} is set but {USER_ENV} is not")
    fields = {"account": ACCOUNT_ENV, "user": USER_ENV}
    if os.environ.get(PRIVATE_KEY_ENV):
        fields["private_key"] = PRIVATE_KEY_ENV
    elif os.environ.get(PRIVATE_KEY_PATH_ENV):
        fields["private_key_path"] = PRIVATE_KEY_PATH_ENV
    elif os.environ.get(PASSWORD_ENV):
        fields["password"] = PASSWORD_ENV
    else:
        raise ConfigurationError(
            f"{ACCOUNT_ENV} is set but no credentials are: set {PASSWORD_ENV}, "
            f"{PRIVATE_KEY_ENV} or {PRIVATE_KEY_PATH_ENV}"
        )
    if os.environ.get(PRIVATE_KEY_PASSWORD_ENV) and "password" not in fields:
        fields["private_key_password"] = PRIVATE_KEY_PASSWORD_ENV
    return fields


def query_tag(**fields: str) -> str:
    """The JSON QUERY_TAG every statement of a run carries, so Snowflake's history says which
    Model Job sent it."""
    return json.dumps({"app": "model-jobs", **fields}, sort_keys=True)
