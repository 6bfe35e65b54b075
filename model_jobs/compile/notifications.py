"""Notifications per environment: which message a failed or skipped Model Job run sends, and where.
Pure: the Dagster sensor (defs/notifications.py) reads what runs ended and hands them here as
plain records; sending is runtime/delivery.py's.

A destination holds the *name* of the environment variable with its secret (a webhook's URL, a
Slack token), never the secret: it is read when the message is sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from model_jobs.specs.models import EnvironmentSpec

Event = Literal["failure", "skipped"]
UI_URL_ENV = "MODEL_JOBS_UI_URL"  # where links in messages point: the Dagster UI's base URL
DEFAULT_UI_URL = "http://127.0.0.1:3000"
MAX_DETAIL = 500  # characters of the error's first line (or the skip reason) in a message


@dataclass(frozen=True)
class RunOutcome:
    """A Model Job run that failed, or succeeded without writing because its conditions were unmet."""

    run_id: str
    event: Event
    model: str
    environment: str
    tag: str | None  # the model's tag the run ran (None: unknown)
    detail: str  # the error's first line, or why it was skipped

    @property
    def model_job(self) -> str:
        return f"{self.model}@{self.environment}"


@dataclass(frozen=True)
class Destination:
    kind: Literal["webhook", "slack"]
    secret_env: str  # the environment variable holding the webhook URL or the Slack token
    channel: str | None = None  # Slack only

    def describe(self) -> str:
        """Where a message goes, for tick messages and logs: never the secret, only its variable."""
        return f"Slack {self.channel} (token from {self.secret_env})" if self.channel else f"webhook ${self.secret_env}"


@dataclass(frozen=True)
class Notification:
    outcome: RunOutcome
    destination: Destination
    run_url: str

    @property
    def text(self) -> str:
        return message_text(self.outcome, self.run_url)

    @property
    def payload(self) -> dict[str, Any]:
        """The webhook's JSON body: `text` (what Slack-style receivers show) and each fact as a field."""
        outcome = self.outcome
        return {
            "text": self.text,
            "event": outcome.event,
            "model": outcome.model,
            "environment": outcome.environment,
            "model_job": outcome.model_job,
            "tag": outcome.tag,
            "detail": outcome.detail,
            "run_id": outcome.run_id,
            "run_url": self.run_url,
        }

    def to_json(self) -> dict[str, Any]:
        return {"outcome": asdict(self.outcome), "destination": asdict(self.destination), "run_url": self.run_url}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Notification:
        return cls(RunOutcome(**data["outcome"]), Destination(**data["destination"]), str(data["run_url"]))


# What Python prefixes an error's message with: `model_jobs.errors.SourceSchemaMismatch: `.
_EXCEPTION_PREFIX = re.compile(r"^(?:[A-Za-z_]\w*\.)+[A-Z]\w*: |^[A-Z]\w*(?:Error|Exception|Failure): ")


def first_line(text: str | None, limit: int = MAX_DETAIL) -> str:
    """The error's first line, shortened, without the exception's class name: the message is a
    summary, the run's page in the UI has the rest. A first line that only announces a list
    ("...; nothing was written:") is completed with the list's first item, which says what."""
    lines = [part.strip() for part in (text or "").splitlines() if part.strip()]
    if not lines:
        return ""
    line = _EXCEPTION_PREFIX.sub("", lines[0], count=1)
    if line.endswith(":") and len(lines) > 1:
        line = f"{line} {lines[1].lstrip('-* ').strip()}"
    return line if len(line) <= limit else line[: limit - 1] + "…"


def run_url(ui_base: str, run_id: str) -> str:
    return f"{ui_base.rstrip('/')}/runs/{run_id}"


def message_text(outcome: RunOutcome, url: str) -> str:
    tag = f"tag {outcome.tag}" if outcome.tag else "tag unknown"
    what = "failed" if outcome.event == "failure" else "skipped"
    return f"Model Job {outcome.model_job} {what} ({tag}): {outcome.detail}\n{url}"


def destinations(environment: EnvironmentSpec) -> list[Destination]:
    notify = environment.notify
    if notify is None:
        return []
    found = []
    if notify.webhook is not None:
        found.append(Destination("webhook", notify.webhook.url_env))
    if notify.slack is not None:
        found.append(Destination("slack", notify.slack.token_env, notify.slack.channel))
    return found


def route(outcome: RunOutcome, environments: Mapping[str, EnvironmentSpec], ui_base: str) -> list[Notification]:
    """The messages one outcome sends: to its environment's destinations, when the environment
    notifies about this kind of run; none otherwise (an environment without `notify:` is silent)."""
    environment = environments.get(outcome.environment)
    if environment is None or environment.notify is None or outcome.event not in environment.notify.on:
        return []
    url = run_url(ui_base, outcome.run_id)
    return [Notification(outcome, destination, url) for destination in destinations(environment)]


def notifying_environments(environments: Mapping[str, EnvironmentSpec]) -> dict[str, EnvironmentSpec]:
    return {name: env for name, env in environments.items() if env.notify is not None}
