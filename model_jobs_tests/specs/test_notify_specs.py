"""`notify:` in environments.yaml: what it accepts, and each bad input's error (file, field, line,
what is allowed). A secret pasted where the name of its environment variable belongs is refused
without being repeated in the error."""

from __future__ import annotations

import pytest

from model_jobs.project import load_project
from model_jobs.specs.models import NotifySpec, SlackSpec, WebhookSpec
from model_jobs_tests.specs.spec_edits import edit, only_error, spec_errors

DEMO_NOTIFY = "    notify: {on: [failure], webhook: {url_env: MODEL_JOBS_PRD_WEBHOOK}}\n"
ENV_VAR_RULE = "must be the name of an environment variable (letters, digits and '_', e.g. MODEL_JOBS_PRD_WEBHOOK)"


def _notify(specs, block: str) -> int:
    """Replace prd's notify: block; returns its line."""
    return edit(specs, "environments.yaml", DEMO_NOTIFY, block)


def test_the_demo_notifies_from_prd_only(demo_project):
    environments = demo_project.specs.environments
    assert environments["marketing_prd"].notify == NotifySpec(
        on=["failure"], webhook=WebhookSpec(url_env="MODEL_JOBS_PRD_WEBHOOK")
    )
    assert environments["marketing_dev"].notify is None and environments["sandbox"].notify is None


def test_on_defaults_to_failure_and_both_destinations_may_be_given(specs):
    _notify(
        specs,
        "    notify:\n      webhook: {url_env: HOOK}\n"
        "      slack: {channel: '#data-alerts', token_env: SLACK_BOT_TOKEN}\n",
    )
    notify = load_project(specs).specs.environments["marketing_prd"].notify
    assert notify == NotifySpec(
        on=["failure"],
        webhook=WebhookSpec(url_env="HOOK"),
        slack=SlackSpec(channel="#data-alerts", token_env="SLACK_BOT_TOKEN"),
    )


@pytest.mark.parametrize(
    ("block", "field", "message"),
    [
        ("    notify: {on: [failure]}\n", "notify", "say where messages go: webhook, slack or both"),
        ("    notify: {}\n", "notify", "say where messages go: webhook, slack or both"),
        ("    notify: [failure]\n", "notify", "must be a mapping, got list"),
        (
            "    notify: {on: [failure, failure], webhook: {url_env: HOOK}}\n",
            "notify",
            "on lists a kind of run twice: failure, failure",
        ),
        ("    notify: {on: [], webhook: {url_env: HOOK}}\n", "notify.on", "must not be empty"),
        (
            "    notify: {on: [success], webhook: {url_env: HOOK}}\n",
            "notify.on.0",
            "Input should be 'failure' or 'skipped'",
        ),
        ("    notify: {on: failure, webhook: {url_env: HOOK}}\n", "notify.on", "must be a list, got str"),
        ("    notify: {webhook: {}}\n", "notify.webhook.url_env", "required field is missing"),
        (
            "    notify: {webhook: {url_env: 1}}\n",
            "notify.webhook.url_env",
            'must be a string, got int 1 (quote it in YAML, e.g. "2026.1")',
        ),
        ("    notify: {webhook: {url_env: MY-HOOK}}\n", "notify.webhook.url_env", ENV_VAR_RULE),
        ("    notify: {email: {to: a@b.c}}\n", "notify.email", "unknown field 'email'; allowed: on, webhook, slack"),
        ("    notify: {slack: {channel: '#data-alerts'}}\n", "notify.slack.token_env", "required field is missing"),
        (
            "    notify: {slack: {channel: Data Alerts, token_env: T}}\n",
            "notify.slack.channel",
            "'Data Alerts' is not allowed: use a channel name such as '#data-alerts' (lower-case) or a channel id "
            "such as C0123ABCD",
        ),
    ],
)
def test_a_bad_notify_block_is_refused_at_its_field(specs, block, field, message):
    line = _notify(specs, block)
    error = only_error(specs, "environments.yaml", f"environments.marketing_prd.{field}")
    assert error.message == message
    assert error.line == line


@pytest.mark.parametrize(
    ("block", "field"),
    [
        ("    notify: {webhook: {url_env: 'https://hooks.example.com/T0/B0/s3cr3t'}}\n", "webhook.url_env"),
        ("    notify: {webhook: {url: 'https://hooks.example.com/T0/B0/s3cr3t'}}\n", "webhook.url"),
        ("    notify: {slack: {channel: '#a', token_env: 'xoxb-1-s3cr3t'}}\n", "slack.token_env"),
    ],
)
def test_a_secret_written_into_the_spec_is_refused_and_not_repeated(specs, block, field):
    _notify(specs, block)
    errors = spec_errors(specs)
    assert f"environments.marketing_prd.notify.{field}" in [e.field for e in errors]
    assert not any("s3cr3t" in str(e) for e in errors), errors


def test_a_pasted_url_says_it_belongs_in_an_environment_variable(specs):
    _notify(specs, "    notify: {webhook: {url_env: 'https://hooks.example.com/s3cr3t'}}\n")
    error = only_error(specs, "environments.yaml", "environments.marketing_prd.notify.webhook.url_env")
    assert error.message == (
        f"{ENV_VAR_RULE} (this looks like the secret itself: put it in an environment variable instead)"
    )
