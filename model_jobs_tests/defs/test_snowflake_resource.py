"""dagster_snowflake is imported without Snowpark and snowflake.core, and still works whole."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from model_jobs.defs.snowflake_resource import DEFERRED_MODULES, SQL_EVENT_LOG
from model_jobs_tests.conftest import REPO

HEAVY = ("snowflake.snowpark", "snowflake.core")


def _resources_module() -> ast.Module:
    spec = importlib.util.find_spec("dagster_snowflake.resources")
    assert spec is not None and spec.origin is not None
    return ast.parse(Path(spec.origin).read_text(encoding="utf-8"))


def _in_fresh_interpreter(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_deferred_modules_are_those_dagster_snowflake_imports_at_its_top():
    """A new dagster_snowflake that imports another Snowpark or snowflake.core module at its top
    fails here, rather than loading slowly again (or, if it used one at import, breaking)."""
    tree = _resources_module()
    imported = {SQL_EVENT_LOG}  # not heavy by name: the next test checks how it is used
    for node in tree.body:  # module level only: imports inside functions are already lazy
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{a.name}" if node.module == "snowflake" else node.module for a in node.names]
            imported |= {n for n in names if n.startswith(HEAVY)}
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names if a.name.startswith(HEAVY)}
    assert imported == set(DEFERRED_MODULES)


def test_what_dagster_snowflake_takes_from_the_sql_event_log_appears_in_annotations_only():
    """A stand-in name works in an annotation; a new dagster_snowflake that calls it, subclasses
    it or checks against it at import would break or slow down: it fails here first."""
    tree = _resources_module()
    taken = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == SQL_EVENT_LOG
        for alias in node.names
    }
    assert taken == {"SqlDbConnection"}
    in_annotations = set()
    for node in ast.walk(tree):
        annotations = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            arguments += [a for a in (node.args.vararg, node.args.kwarg) if a]
            annotations = [node.returns, *(a.annotation for a in arguments)]
        elif isinstance(node, ast.AnnAssign):
            annotations = [node.annotation]
        for annotation in filter(None, annotations):
            in_annotations |= {id(n) for n in ast.walk(annotation)}
    uses = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in taken]
    assert uses, "dagster_snowflake no longer uses SqlDbConnection: drop it from DEFERRED_MODULES"
    assert all(id(n) in in_annotations for n in uses), [n.lineno for n in uses if id(n) not in in_annotations]


@pytest.mark.slow
def test_loading_the_code_location_imports_neither_snowpark_snowflake_core_nor_sql_storage():
    out = _in_fresh_interpreter(
        "import sys, model_jobs.definitions\n"
        f"print(sorted(m for m in sys.modules if m.startswith({HEAVY!r} + ('sqlalchemy', 'alembic'))))"
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
        f"from {SQL_EVENT_LOG} import SqlDbConnection\n"
        "assert r.SqlDbConnection.resolve() is SqlDbConnection\n"
        "print('ok')"
    )
    assert out.strip() == "ok"
