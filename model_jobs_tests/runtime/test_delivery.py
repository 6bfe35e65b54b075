"""Sending one notification: the secret is read at send time and never appears in what is raised;
every way a receiver can fail becomes a DeliveryError saying which destination and why."""

from __future__ import annotations

import socket

import pytest

from model_jobs.compile.notifications import Destination, Notification, RunOutcome
from model_jobs.runtime import delivery
from model_jobs.runtime.delivery import DeliveryError, MissingSecret, deliver

OUTCOME = RunOutcome("run-1", "failure", "customers_dim", "marketing_prd", "sprint-41", "boom")
WEBHOOK = Notification(OUTCOME, Destination("webhook", "HOOK"), "http://ui/runs/run-1")
SLACK = Notification(OUTCOME, Destination("slack", "TOKEN", "#alerts"), "http://ui/runs/run-1")


def _no_slack(token: str, channel: str, text: str) -> None:
    raise AssertionError("not a Slack destination")


@pytest.mark.parametrize("value", [None, "", "  "])
def test_an_unset_variable_names_itself_and_the_environment(value):
    environ = {} if value is None else {"HOOK": value}
    with pytest.raises(MissingSecret) as info:
        deliver(WEBHOOK, _no_slack, environ)
    assert str(info.value) == (
        "HOOK is not set: marketing_prd's webhook notification for customers_dim@marketing_prd (run run-1) was not "
        "sent; set HOOK where the Dagster daemon and code server run"
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_receiver_that_is_down_or_silent_or_a_bad_url_never_shows_the_secret(monkeypatch):
    port = _closed_port()
    with pytest.raises(DeliveryError) as info:
        deliver(WEBHOOK, _no_slack, {"HOOK": f"http://127.0.0.1:{port}/s3cr3t"})
    assert str(info.value).startswith("webhook $HOOK: URLError: [Errno 111] Connection refused")
    assert info.value.__cause__ is None and info.value.__suppress_context__  # no chained error holding the URL

    with pytest.raises(DeliveryError) as info:
        deliver(WEBHOOK, _no_slack, {"HOOK": "hooks.example.com/s3cr3t"})
    assert str(info.value) == "webhook $HOOK: the webhook URL must start with http:// or https://"

    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 0.2)
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        with pytest.raises(DeliveryError) as info:
            deliver(WEBHOOK, _no_slack, {"HOOK": f"http://127.0.0.1:{silent.getsockname()[1]}/s3cr3t"})
    assert "timed out" in str(info.value) and "s3cr3t" not in str(info.value)


def test_slack_gets_the_token_channel_and_text_and_its_errors_are_redacted():
    sent = []
    deliver(SLACK, lambda token, channel, text: sent.append((token, channel, text)), {"TOKEN": "xoxb-s3cr3t"})
    assert sent == [("xoxb-s3cr3t", "#alerts", SLACK.text)]

    def failing(token: str, channel: str, text: str) -> None:
        raise RuntimeError(f"invalid_auth for {token}")

    with pytest.raises(DeliveryError) as info:
        deliver(SLACK, failing, {"TOKEN": "xoxb-s3cr3t"})
    assert str(info.value) == "Slack #alerts (token from TOKEN): RuntimeError: invalid_auth for ***"
