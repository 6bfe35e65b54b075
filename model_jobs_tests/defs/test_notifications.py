"""The notify sensor, evaluated with the real definitions on a real instance, against runs that
really failed or were skipped on the embedded Snowflake, and a webhook receiver this test starts."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dagster import DagsterInstance, DefaultSensorStatus, build_sensor_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

from model_jobs.compile.notifications import UI_URL_ENV
from model_jobs.defs.build import build_definitions
from model_jobs.defs.headless import run_partition
from model_jobs.defs.notifications import MAX_ATTEMPTS, NOTIFY_SENSOR, SLACK_API_URL_ENV
from model_jobs.project import load_project
from model_jobs_tests.specs.spec_edits import edit

HOOK_ENV = "TEST_NOTIFY_PRD_WEBHOOK"
SLACK_TOKEN_ENV = "TEST_NOTIFY_SLACK_TOKEN"
SECRET = "s3cr3t-hook-token"  # part of the webhook's URL: it must appear nowhere but in the request
SLACK_TOKEN = "xoxb-test-s3cr3t"


@dataclass
class Receiver:
    """A local HTTP server recording what is POSTed; `status` is what it answers."""

    port: int = 0
    status: int = 200
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def bodies(self, path_prefix: str = "/") -> list[dict]:
        return [json.loads(body) for path, _, body in self.received if path.startswith(path_prefix)]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append((self.path, dict(self.headers), body))
            if self.path.startswith("/slack/"):  # Slack's Web API answers JSON with `ok`
                reply = json.dumps({"ok": state.status == 200, "channel": "C1", "ts": "1.0"}).encode()
            else:
                reply = b"ok"
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass  # quiet: no access log on the test's stderr

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def notifying_specs(specs_copy):
    """prd notifies a webhook of failures and skips, and Slack of failures; dev stays silent.
    customers_dim fails in every environment (its source lacks a declared column); orders_enriched
    is skipped in prd (its orders are never a second old)."""
    edit(
        specs_copy,
        "environments.yaml",
        "    notify: {on: [failure], webhook: {url_env: MODEL_JOBS_PRD_WEBHOOK}}\n",
        f"    notify:\n      on: [failure, skipped]\n      webhook: {{url_env: {HOOK_ENV}}}\n"
        f'      slack: {{channel: "#data-alerts", token_env: {SLACK_TOKEN_ENV}}}\n',
    )
    edit(
        specs_copy,
        "sources.yaml",
        "      SIGNED_UP_AT: TIMESTAMP_NTZ\n",
        "      SIGNED_UP_AT: TIMESTAMP_NTZ\n      GONE: NUMBER\n",
    )
    edit(
        specs_copy,
        "jobs/orders_enriched.yaml",
        "    target: {database: ANALYTICS_PRD, schema: MARTS, table: ORDERS_ENRICHED}\n",
        "    target: {database: ANALYTICS_PRD, schema: MARTS, table: ORDERS_ENRICHED}\n"
        "    conditions: {source_freshness: {DATALAKE_DEV.RAW.ORDERS: {max_age: 1s}}}\n",
    )
    return specs_copy


def _tick(defs, instance, cursor):
    sensor = defs.resolve_sensor_def(NOTIFY_SENSOR)
    return sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=cursor, definitions=defs))


@contextlib.contextmanager
def _statements() -> Iterator[list[str]]:
    """The SQL statements the instance's storage runs meanwhile (Dagster's SQLite storages make an
    Engine per connection: a class-level listener sees them all)."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if not statement.startswith("PRAGMA"):  # SQLite reading its own schema, once per connection
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def test_a_prd_failure_and_skip_reach_prd_destinations_and_dev_stays_silent(
    warehouse, notifying_specs, tmp_path, receiver, monkeypatch, caplog
):
    monkeypatch.setenv(HOOK_ENV, receiver.url(f"/hooks/{SECRET}"))
    monkeypatch.setenv(SLACK_TOKEN_ENV, SLACK_TOKEN)
    monkeypatch.setenv(SLACK_API_URL_ENV, receiver.url("/slack/"))
    monkeypatch.setenv(UI_URL_ENV, "http://dagster.example:3000/")
    defs = build_definitions(load_project(notifying_specs))
    caplog.set_level(logging.DEBUG)
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        first = _tick(defs, instance, None)  # the first tick only sets the cursor
        assert first.skip_message == "started: reports runs that end from now on" and not receiver.received

        prd = run_partition(defs, "customers_dim", "marketing_prd", instance)
        dev = run_partition(defs, "customers_dim", "marketing_dev", instance)
        skipped = run_partition(defs, "orders_enriched", "marketing_prd", instance)
        assert prd.error and dev.error and skipped.skipped

        with _statements() as statements:
            data = _tick(defs, instance, first.cursor)
        # Its cost grows with the runs that ended, not the Model Jobs: two reads of run-status events,
        # one of their runs, one of each failed run's step failures.
        assert len(statements) == 2 + 1 + 2, statements
        assert data.run_requests == []
        hooks = receiver.bodies("/hooks/")
        assert [(b["model_job"], b["event"]) for b in hooks] == [
            ("customers_dim@marketing_prd", "failure"),
            ("orders_enriched@marketing_prd", "skipped"),
        ]
        failure = hooks[0]
        assert failure["tag"] == "sprint-41" and failure["run_id"] == prd.run_id
        assert failure["run_url"] == f"http://dagster.example:3000/runs/{prd.run_id}"
        # The error's first line, completed with the first item it announces; not a traceback.
        assert failure["detail"] == (
            "sources do not match what the model was built against; nothing was written: DATALAKE_PRD.CRM.CUSTOMERS "
            "(mapped from DATALAKE_DEV.RAW.CUSTOMERS): column GONE is missing (declared NUMBER in sources.yaml)"
        )
        assert failure["text"] == (
            f"Model Job customers_dim@marketing_prd failed (tag sprint-41): {failure['detail']}\n{failure['run_url']}"
        )
        assert hooks[1]["tag"] == "2026.1" and hooks[1]["detail"].startswith("DATALAKE_PRD.RAW.ORDERS loaded"), hooks[1]
        # The environment's `on` applies to each of its destinations: Slack gets the same two.
        slack = [(path, headers, body) for path, headers, body in receiver.received if path.startswith("/slack/")]
        assert [path for path, _, _ in slack] == ["/slack/chat.postMessage"] * 2
        assert slack[0][1]["Authorization"] == f"Bearer {SLACK_TOKEN}"
        assert b"data-alerts" in slack[0][2] and prd.run_id.encode() in slack[0][2]
        assert dev.run_id not in json.dumps(receiver.bodies("/hooks/")) + str(slack)

        assert data.skip_message.splitlines() == [
            f"sent to webhook ${HOOK_ENV}: customers_dim@marketing_prd failure (run {prd.run_id})",
            f"sent to Slack #data-alerts (token from {SLACK_TOKEN_ENV}): customers_dim@marketing_prd failure "
            f"(run {prd.run_id})",
            f"sent to webhook ${HOOK_ENV}: orders_enriched@marketing_prd skipped (run {skipped.run_id})",
            f"sent to Slack #data-alerts (token from {SLACK_TOKEN_ENV}): orders_enriched@marketing_prd skipped "
            f"(run {skipped.run_id})",
            f"not notified: customers_dim@marketing_dev failure (run {dev.run_id}): marketing_dev has no notify:",
        ]
        # The secrets are in the requests only: not in the tick, its cursor, or any log line.
        for text in (data.skip_message, data.cursor, caplog.text):
            assert SECRET not in text and SLACK_TOKEN not in text

        with _statements() as statements:
            again = _tick(defs, instance, data.cursor)  # nothing new: nothing sent twice
        assert len(statements) == 2
        assert len(receiver.received) == 4 and again.skip_message == "no Model Job failed or skipped"


def test_a_receiver_that_fails_is_retried_on_the_next_ticks_then_given_up(
    warehouse, notifying_specs, tmp_path, receiver, monkeypatch
):
    monkeypatch.setenv(HOOK_ENV, receiver.url(f"/hooks/{SECRET}"))
    monkeypatch.delenv(SLACK_TOKEN_ENV, raising=False)
    defs = build_definitions(load_project(notifying_specs))
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        cursor = _tick(defs, instance, None).cursor
        prd = run_partition(defs, "customers_dim", "marketing_prd", instance)
        receiver.status = 500
        lines = []
        for _ in range(MAX_ATTEMPTS):
            data = _tick(defs, instance, cursor)
            cursor = data.cursor
            lines.append(data.skip_message.splitlines())
        what = f"customers_dim@marketing_prd failure (run {prd.run_id})"
        missing = (
            f"not sent: {SLACK_TOKEN_ENV} is not set: marketing_prd's slack notification for "
            f"customers_dim@marketing_prd (run {prd.run_id}) was not sent; set {SLACK_TOKEN_ENV} where the Dagster "
            "daemon and code server run"
        )
        assert lines == [
            [
                f"not delivered (attempt 1 of 3, retried next tick): {what}: webhook ${HOOK_ENV} answered HTTP 500 "
                "Internal Server Error",
                missing,  # an unset variable is said once, not retried
            ],
            [
                f"not delivered (attempt 2 of 3, retried next tick): {what}: webhook ${HOOK_ENV} answered HTTP 500 "
                "Internal Server Error"
            ],
            [f"given up after 3 attempts: {what}: webhook ${HOOK_ENV} answered HTTP 500 Internal Server Error"],
        ]
        assert len(receiver.received) == MAX_ATTEMPTS and SECRET not in cursor

        # A receiver that is back gets what fails from now on; one that is down does not block it.
        receiver.status = 200
        dev = run_partition(defs, "customers_dim", "marketing_dev", instance)
        again = run_partition(defs, "customers_dim", "marketing_prd", instance)
        data = _tick(defs, instance, cursor)
        assert [b["run_id"] for b in receiver.bodies("/hooks/")[MAX_ATTEMPTS:]] == [again.run_id]
        assert data.skip_message.splitlines()[-1] == (
            f"not notified: customers_dim@marketing_dev failure (run {dev.run_id}): marketing_dev has no notify:"
        )


def test_one_running_sensor_when_an_environment_notifies_none_otherwise(demo_project, specs_copy):
    sensor = build_definitions(demo_project).resolve_sensor_def(NOTIFY_SENSOR)
    assert sensor.default_status == DefaultSensorStatus.RUNNING and not sensor.has_jobs  # it only sends
    assert (
        sensor.description
        == "Sends a message when a Model Job fails or is skipped, per environment (marketing_prd: failure)."
    )
    edit(
        specs_copy, "environments.yaml", "    notify: {on: [failure], webhook: {url_env: MODEL_JOBS_PRD_WEBHOOK}}\n", ""
    )
    defs = build_definitions(load_project(specs_copy))
    assert NOTIFY_SENSOR not in {s.name for s in defs.sensors}  # nothing to send: nothing to pay for
