"""Helpers for tests that break a copy of the demo specs and read the errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_jobs.errors import SpecError, SpecErrors
from model_jobs.project import load_project
from model_jobs.specs.tags import lock_line


def edit(root: Path, rel: str, old: str | None = None, new: str | None = None, *, text: str | None = None) -> int:
    """Change one file under `root`: replace `old` (which must occur exactly once) by `new`, or
    rewrite the whole file with `text` (creating it if needed). Returns the 1-based line where the
    change starts, so tests can assert exact line numbers without hard-coding the demo layout."""
    path = root / rel
    if text is not None:
        assert old is None and new is None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return 1
    assert old is not None and new is not None
    content = path.read_text(encoding="utf-8")
    assert content.count(old) == 1, f"{old!r} must occur exactly once in {rel}"
    path.write_text(content.replace(old, new), encoding="utf-8")
    return content[: content.index(old)].count("\n") + 1


def line_of(root: Path, rel: str, needle: str) -> int:
    """1-based number of the one line of `rel` containing `needle`."""
    lines = (root / rel).read_text(encoding="utf-8").splitlines()
    found = [n for n, line in enumerate(lines, start=1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found} of {rel}"
    return found[0]


def add_tag(root: Path, model: str, tag: str, sql: str) -> None:
    """Create a new, correctly locked tag: it becomes the newest, so `latest` jobs run it."""
    (root / "models" / model / "tags" / f"{tag}.sql").write_text(sql, encoding="utf-8")
    with (root / "models" / model / "tags.lock").open("a", encoding="utf-8") as lock:
        lock.write(lock_line(tag, sql, "2026-12-01T09:00:00Z", f"test tag {tag}") + "\n")


def spec_errors(root: Path) -> list[SpecError]:
    with pytest.raises(SpecErrors) as info:
        load_project(root)
    assert info.value.errors, "SpecErrors raised without errors"
    return info.value.errors


def rel(root: Path, error: SpecError) -> str:
    return error.file.relative_to(root).as_posix()


def where(root: Path, errors: list[SpecError]) -> list[tuple[str, str]]:
    return [(rel(root, e), e.field) for e in errors]


def the_error(root: Path, errors: list[SpecError], file: str, field: str) -> SpecError:
    """The one error reported for `file` (relative to root) at `field`."""
    found = [e for e in errors if rel(root, e) == file and e.field == field]
    listing = "\n".join(str(e) for e in errors)
    assert len(found) == 1, f"expected one error at {file} {field!r}, got:\n{listing}"
    return found[0]


def only_error(root: Path, file: str, field: str) -> SpecError:
    """Load, expect exactly one error, at `file` / `field`, and return it."""
    errors = spec_errors(root)
    assert where(root, errors) == [(file, field)], "\n".join(str(e) for e in errors)
    return errors[0]
