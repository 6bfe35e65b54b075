"""dagster_snowflake is imported without Snowpark and snowflake.core, and still works whole."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from model_jobs.defs.snowflake_resource import DEFERRED_MODULES
from model_jobs_tests.conftest import REPO

HEAVY = ("snowflake.snowpark", "snowflake.core")


def _in_fresh_interpreter(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_deferred_modules_are_those_dagster_snowflake_imports_at_its_top():
    """A new dagster_snowflake that imports another Snowpark or snowflake.core module at its top
    fails here, rather than loading slowly again (or, if it used one at import, breaking)."""
    spec = importlib.util.find_spec("dagster_snowflake.resources")
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    imported = set()
    for node in tree.body:  # module level only: imports inside functions are already lazy
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{a.name}" if node.module == "snowflake" else node.module for a in node.names]
            imported |= {n for n in names if n.startswith(HEAVY)}
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names if a.name.startswith(HEAVY)}
    assert imported == set(DEFERRED_MODULES)


@pytest.mark.slow
def test_loading_the_code_location_imports_neither_snowpark_nor_snowflake_core():
    out = _in_fresh_interpreter(
        f"import sys, model_jobs.definitions\nprint(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))"
    )
    assert out.strip() == "[]"


@pytest.mark.slow
def test_what_was_deferred_still_works_and_later_imports_get_the_real_modules():
    out = _in_fresh_interpreter(
        "import model_jobs.definitions\n"
        "import dagster_snowflake.resources as r\n"
        "import snowflake.core, snowflake.snowpark\n"
        "from snowflake.core.table import Table\n"
        "assert r.Root.resolve() is snowflake.core.Root\n"
        "assert r.Table.resolve() is Table\n"
        "assert r.snowpark.Session.resolve() is snowflake.snowpark.Session\n"
        "assert isinstance(snowflake.core.Root, type) and isinstance(snowflake.snowpark.Session, type)\n"
        "print('ok')"
    )
    assert out.strip() == "ok"
