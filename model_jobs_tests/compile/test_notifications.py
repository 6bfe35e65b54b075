"""Which message a failed or skipped run sends, and where: pure, by equality."""

from __future__ import annotations

import pytest

from model_jobs.compile.notifications import (
    Destination,
    Notification,
    RunOutcome,
    first_line,
    message_text,
    route,
    run_url,
)
from model_jobs.specs.models import EnvironmentSpec

UI = "http://127.0.0.1:3000"


def _environment(notify: dict | None) -> EnvironmentSpec:
    return EnvironmentSpec.model_validate(
        {"role": "R", "warehouse": "W", "target": {"database": "D", "schema": "S"}, "notify": notify}
    )


ENVIRONMENTS = {
    "marketing_dev": _environment(None),
    "marketing_prd": _environment(
        {
            "on": ["failure", "skipped"],
            "webhook": {"url_env": "PRD_HOOK"},
            "slack": {"channel": "#data-alerts", "token_env": "SLACK_BOT_TOKEN"},
        }
    ),
    "sandbox": _environment({"webhook": {"url_env": "SANDBOX_HOOK"}}),  # on: [failure] by default
}


def _outcome(environment: str, event: str = "failure") -> RunOutcome:
    return RunOutcome("run-1", event, "orders_enriched", environment, "2026.1", "column GONE is missing")


def test_a_prd_failure_goes_to_each_of_prd_destinations():
    outcome = _outcome("marketing_prd")
    url = f"{UI}/runs/run-1"
    assert route(outcome, ENVIRONMENTS, UI) == [
        Notification(outcome, Destination("webhook", "PRD_HOOK"), url),
        Notification(outcome, Destination("slack", "SLACK_BOT_TOKEN", "#data-alerts"), url),
    ]


def test_dev_is_silent_and_sandbox_reports_failures_only():
    assert route(_outcome("marketing_dev"), ENVIRONMENTS, UI) == []
    assert route(_outcome("sandbox", "skipped"), ENVIRONMENTS, UI) == []
    assert [n.destination for n in route(_outcome("sandbox"), ENVIRONMENTS, UI)] == [
        Destination("webhook", "SANDBOX_HOOK")
    ]
    assert route(_outcome("nowhere"), ENVIRONMENTS, UI) == []


def test_the_message_names_model_environment_tag_error_and_links_the_run():
    (notification, _) = route(_outcome("marketing_prd"), ENVIRONMENTS, "https://dagster.example.com/")
    assert notification.text == (
        "Model Job orders_enriched@marketing_prd failed (tag 2026.1): column GONE is missing\n"
        "https://dagster.example.com/runs/run-1"
    )
    assert notification.payload == {
        "text": notification.text,
        "event": "failure",
        "model": "orders_enriched",
        "environment": "marketing_prd",
        "model_job": "orders_enriched@marketing_prd",
        "tag": "2026.1",
        "detail": "column GONE is missing",
        "run_id": "run-1",
        "run_url": "https://dagster.example.com/runs/run-1",
    }
    assert Notification.from_json(notification.to_json()) == notification  # kept in the cursor for retries


def test_a_skip_and_an_unknown_tag_read_as_such():
    skipped = RunOutcome("r", "skipped", "m", "marketing_prd", None, "DATALAKE_PRD.RAW.ORDERS loaded 4d ago")
    assert (
        message_text(skipped, "u")
        == "Model Job m@marketing_prd skipped (tag unknown): DATALAKE_PRD.RAW.ORDERS loaded 4d ago\nu"
    )


def test_destinations_describe_the_variable_never_the_secret():
    assert Destination("webhook", "PRD_HOOK").describe() == "webhook $PRD_HOOK"
    assert Destination("slack", "T", "#a").describe() == "Slack #a (token from T)"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "model_jobs.errors.SourceSchemaMismatch: sources do not match; nothing was written:\n"
            "  - T: column X is missing\n  - U",
            "sources do not match; nothing was written: T: column X is missing",
        ),
        ("ValueError: bad value\nTraceback (most recent call last):\n  File ...", "bad value"),
        ("\n\n  Note: a colon in the text stays  \nmore", "Note: a colon in the text stays"),
        ("", ""),
        (None, ""),
        ("x" * 600, "x" * 499 + "…"),
    ],
)
def test_the_first_line_of_an_error(text, line):
    assert first_line(text) == line


def test_run_url():
    assert (
        run_url("http://127.0.0.1:3000/", "abc")
        == run_url("http://127.0.0.1:3000", "abc")
        == "http://127.0.0.1:3000/runs/abc"
    )
