"""Bad settings in the environment are messages, not tracebacks, and never break `--help`."""

from __future__ import annotations

import pytest
import snowflake.connector

from model_jobs.cli import build_parser, main


def test_a_port_that_is_not_a_number(monkeypatch, capsys):
    monkeypatch.setenv("MODEL_JOBS_LOCAL_SNOWFLAKE_PORT", "abc")
    build_parser()  # building the parser reads no setting
    assert main(["validate", "job_specs"]) == 1
    assert capsys.readouterr().err.strip() == (
        "model-jobs validate: MODEL_JOBS_LOCAL_SNOWFLAKE_PORT='abc' is not a TCP port number (1-65535)"
    )


def test_a_malformed_dagster_yaml(tmp_path, monkeypatch, capsys):
    (tmp_path / "dagster.yaml").write_text("storage: [[[\n")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    assert main(["plan"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"model-jobs plan: the Dagster instance in {tmp_path} cannot be opened")
    assert f"check {tmp_path / 'dagster.yaml'}" in err


def test_debug_shows_the_traceback(monkeypatch):
    monkeypatch.setenv("MODEL_JOBS_LOCAL_SNOWFLAKE_PORT", "abc")
    from model_jobs.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        main(["--debug", "validate", "job_specs"])


def test_commands_outside_dagster_resolve_credentials(monkeypatch):
    """seed connects outside a Dagster run: the credentials must be the values, not EnvVar
    placeholders (which reached the connector as dicts: "'dict' object has no attribute 'find'")."""
    from model_jobs.defs.resources import connection_outside_a_run

    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "xy12345")
    monkeypatch.setenv("SNOWFLAKE_USER", "loader")
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", "canary-Pw-1")
    seen = {}

    class Stop(Exception):
        pass

    def connect(**kwargs):
        seen.update(kwargs)
        raise Stop

    monkeypatch.setattr(snowflake.connector, "connect", connect)
    with pytest.raises(Stop), connection_outside_a_run():
        pass
    assert (seen["account"], seen["user"], seen["password"]) == ("xy12345", "loader", "canary-Pw-1")
