"""Where the specs a code location loaded came from: the git commit of job_specs/, if any."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _git(root: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def specs_commit(root: Path) -> str | None:
    """The commit job_specs/ is at, with '-dirty' when its files differ from that commit; None
    outside a git work tree."""
    commit = _git(root, "rev-parse", "HEAD")
    if not commit:
        return None
    changes = _git(root, "status", "--porcelain", "--", ".")
    return f"{commit}-dirty" if changes else commit
