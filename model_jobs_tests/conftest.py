"""Shared fixtures: one embedded Snowflake per test session, seeded with the demo data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance

from model_jobs.defs.resources import snowflake_resource_from_env
from model_jobs.demo.seed import seed
from model_jobs.project import load_project
from model_jobs.warehouse import local_snowflake
from model_jobs.warehouse.settings import ACCOUNT_ENV

REPO = Path(__file__).resolve().parents[1]
DEMO_SPECS = REPO / "job_specs"


@pytest.fixture(scope="session")
def demo_project():
    return load_project(DEMO_SPECS)


@pytest.fixture
def specs_copy(tmp_path) -> Path:
    """A writable copy of the demo specs, for tests that change them."""
    target = tmp_path / "job_specs"
    shutil.copytree(DEMO_SPECS, target)
    return target


@pytest.fixture(scope="session")
def local_snowflake_port(tmp_path_factory):
    """The embedded Snowflake, persisting to a temporary folder, reached over HTTP by the real
    connector exactly as in `make dev`."""
    saved = {k: os.environ.get(k) for k in (ACCOUNT_ENV, local_snowflake.PORT_ENV)}
    os.environ.pop(ACCOUNT_ENV, None)
    with local_snowflake.running_in_thread(data_dir=tmp_path_factory.mktemp("snowflake")) as port:
        os.environ[local_snowflake.PORT_ENV] = str(port)
        yield port
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def warehouse(local_snowflake_port, demo_project):
    """A connection to the seeded embedded Snowflake, for assertions on what runs wrote."""
    with snowflake_resource_from_env().get_connection() as connection:
        seed(connection, demo_project)
        yield connection


@pytest.fixture
def query(warehouse):
    def run(sql: str, params=None) -> list[tuple]:
        cursor = warehouse.cursor()
        cursor.execute(sql, params)
        return cursor.fetchall()

    return run


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as instance:
        yield instance


@pytest.fixture(scope="session", autouse=True)
def dagster_home(tmp_path_factory):
    """Commands that open the shared instance (demo, deploy, plan) use one of the tests' own, not
    ./.dagster_home of the checkout. Tests that need another set DAGSTER_HOME themselves."""
    saved = os.environ.get("DAGSTER_HOME")
    path = tmp_path_factory.mktemp("dagster_home")
    os.environ["DAGSTER_HOME"] = str(path)
    yield path
    if saved is None:
        os.environ.pop("DAGSTER_HOME", None)
    else:
        os.environ["DAGSTER_HOME"] = saved


@pytest.fixture(scope="session", autouse=True)
def reference_cache_dir(tmp_path_factory):
    """Keep the tests' table-reference cache out of the user's ~/.cache."""
    from model_jobs.compile.reference_cache import CACHE_DIR_ENV

    saved = os.environ.get(CACHE_DIR_ENV)
    path = tmp_path_factory.mktemp("reference-cache")
    os.environ[CACHE_DIR_ENV] = str(path)
    yield path
    if saved is None:
        os.environ.pop(CACHE_DIR_ENV, None)
    else:
        os.environ[CACHE_DIR_ENV] = saved


def pytest_collection_modifyitems(items):
    """Every test that uses the embedded Snowflake is a `warehouse` test, so `make test-fast`
    (-m "not warehouse and not e2e and not slow") can leave them out without a list to keep."""
    for item in items:
        if "local_snowflake_port" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.warehouse)
