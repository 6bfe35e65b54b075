"""Send a notification (compile/notifications.py): the secret is read from its environment variable
at send time, and nothing this module raises or returns contains it.

Webhooks are POSTed here with the standard library; Slack messages go through a `post_slack`
function the caller gives (the Dagster adapter passes dagster-slack's client), so this module needs
no Dagster.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping

from model_jobs.compile.notifications import Notification
from model_jobs.errors import ModelJobsError

TIMEOUT_SECONDS = 5.0  # a receiver that does not answer in time is down: the sensor has others to serve
PostSlack = Callable[[str, str, str], None]  # (token, channel, text)


class DeliveryError(ModelJobsError):
    """A message was not delivered; the message says why, never the secret."""


class MissingSecret(DeliveryError):
    """The environment variable a destination names is unset or empty: sending again will not help
    until the process is restarted with it."""


def read_secret(notification: Notification, environ: Mapping[str, str]) -> str:
    name = notification.destination.secret_env
    value = environ.get(name, "").strip()
    if not value:
        raise MissingSecret(
            f"{name} is not set: {notification.outcome.environment}'s {notification.destination.kind} "
            f"notification for {notification.outcome.model_job} (run {notification.outcome.run_id}) was not sent; "
            f"set {name} where the Dagster daemon and code server run"
        )
    return value


def redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def post_webhook(url: str, payload: Mapping[str, object], timeout: float | None = None) -> None:
    if not url.startswith(("http://", "https://")):
        raise DeliveryError("the webhook URL must start with http:// or https://")
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json", "User-Agent": "model-jobs"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout or TIMEOUT_SECONDS) as response:
        response.read()


def deliver(notification: Notification, post_slack: PostSlack, environ: Mapping[str, str] | None = None) -> None:
    """Send one notification, or raise a DeliveryError saying why not (MissingSecret when its
    variable is unset). Every other error is turned into one, with the secret blanked out."""
    secret = read_secret(notification, os.environ if environ is None else environ)
    where = notification.destination.describe()
    try:
        if notification.destination.kind == "webhook":
            post_webhook(secret, notification.payload)
        else:
            post_slack(secret, notification.destination.channel or "", notification.text)
    except DeliveryError as exc:
        raise DeliveryError(f"{where}: {redact(str(exc), secret)}") from None
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"{where} answered HTTP {exc.code} {redact(str(exc.reason), secret)}") from None
    except Exception as exc:  # a receiver's failure must never stop the sensor: say what it was
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise DeliveryError(f"{where}: {type(exc).__name__}: {redact(str(reason), secret)}"[:500]) from None
