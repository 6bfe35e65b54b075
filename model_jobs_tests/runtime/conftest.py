"""The project runtime tests build: one model over a source table of the test's own."""

from __future__ import annotations

import pytest

from model_jobs_tests.runtime.incremental_project import new_project


@pytest.fixture
def p(tmp_path, warehouse):
    with new_project(tmp_path, warehouse) as project:
        yield project
