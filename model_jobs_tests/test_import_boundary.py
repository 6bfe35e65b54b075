"""Only model_jobs.defs (and what is built on it: demo, cli, definitions) may load Dagster.

`make lint` checks the same statically (import-linter contracts in pyproject.toml); this test
checks what actually happens at import time, third-party modules included: every module of the
pure packages is imported in a fresh interpreter, and none may bring `dagster` in with it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

PURE = ["errors", "identifiers", "text_table", "specs", "compile", "runtime", "versioning", "warehouse", "project"]
DAGSTER = ["dagster", "dagster_snowflake", "dagster_webserver"]

PROBE = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys
    import model_jobs
    packages, forbidden = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    names = []
    for package in packages:
        module = importlib.import_module(f"model_jobs.{package}")
        names.append(module.__name__)
        if hasattr(module, "__path__"):
            names += [m.name for m in pkgutil.walk_packages(module.__path__, f"{module.__name__}.")]
    offenders = {}
    for name in names:
        importlib.import_module(name)
        loaded = [f for f in forbidden if f in sys.modules]
        if loaded:  # the first module to bring one in is the one to fix
            offenders[name] = loaded
            break
    print(json.dumps({"checked": names, "offenders": offenders}))
    """
)


def test_pure_packages_do_not_load_dagster():
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(PURE), json.dumps(DAGSTER)],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout)
    assert report["offenders"] == {}
    # The walk found the modules (an empty walk would pass vacuously).
    assert {"model_jobs.runtime.materialize", "model_jobs.versioning.plan", "model_jobs.specs.loader"} <= set(
        report["checked"]
    )


@pytest.mark.slow  # imports all of Dagster in a fresh interpreter
def test_the_adapter_does_load_dagster():
    """The probe can fail: the same walk over model_jobs.defs finds Dagster."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(["defs"]), json.dumps(DAGSTER)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout)["offenders"]
