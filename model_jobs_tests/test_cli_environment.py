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


def test_a_port_taken_by_another_program(monkeypatch, capsys):
    import socket

    from model_jobs.warehouse import local_snowflake

    with socket.socket() as other:  # listens, but is no Snowflake
        other.bind((local_snowflake.HOST, 0))
        other.listen()
        port = other.getsockname()[1]
        monkeypatch.setenv(local_snowflake.PORT_ENV, str(port))
        assert main(["seed"]) == 1
    assert capsys.readouterr().err.strip() == (
        f"model-jobs seed: port {port} on 127.0.0.1 is taken by another program, not the embedded Snowflake: "
        "stop it, or set MODEL_JOBS_LOCAL_SNOWFLAKE_PORT to a free port"
    )


def test_a_second_dev_on_the_same_instance_is_refused(tmp_path, monkeypatch, capsys):
    import subprocess
    import sys

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    first = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "model-jobs-dev.pid").write_text(str(first.pid))
        assert main(["dev"]) == 1
    finally:
        first.kill()
        first.wait()
    err = capsys.readouterr().err
    assert err.startswith(f"model-jobs dev: another `model-jobs dev` (pid {first.pid}) is running on {tmp_path}")
    # A lock left by a process that is gone does not count.
    assert (tmp_path / "model-jobs-dev.pid").read_text() == str(first.pid)


def test_the_dev_instance_monitors_runs(tmp_path, monkeypatch):
    """Killed runs do not stay STARTED forever: the instance `make dev` creates runs monitoring."""
    from model_jobs.defs.instance import open_instance

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    with open_instance() as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_max_runtime_seconds == 21600
        assert instance.run_monitoring_start_timeout_seconds == 180
    edited = tmp_path / "home" / "dagster.yaml"
    edited.write_text("run_monitoring: {enabled: false}\n")
    with open_instance() as instance:  # an edited file is kept
        assert not instance.run_monitoring_enabled
