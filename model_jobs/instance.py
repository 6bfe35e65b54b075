"""The Dagster instance the commands share with `make dev`: $DAGSTER_HOME, else ./.dagster_home."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from dagster import DagsterInstance

DAGSTER_HOME_DIR = ".dagster_home"


def dagster_home(create: bool = True) -> Path | None:
    home = Path(os.environ.get("DAGSTER_HOME") or Path(DAGSTER_HOME_DIR).resolve())
    if not create and not home.is_dir():
        return None
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").touch()  # an empty one: default local storage, without a warning
    return home


@contextlib.contextmanager
def open_instance(create: bool = True) -> Iterator[DagsterInstance | None]:
    """The instance; with create=False, None when there is none yet (nothing has run)."""
    home = dagster_home(create)
    if home is None:
        yield None
        return
    with DagsterInstance.from_config(str(home)) as instance:
        yield instance
