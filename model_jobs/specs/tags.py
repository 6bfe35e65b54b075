"""Model tags: immutable SQL snapshots under models/<model>/tags/, listed in tags.lock.

tags.lock holds one JSON object per line, oldest first:
    {"tag": "2026.1", "sha256": "<hex>", "created": "2026-11-01T09:00:00Z", "message": "..."}
The newest tag is the last line; that is what a design-environment job with `tag: latest` runs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from model_jobs.errors import SpecFileError
from model_jobs.specs.collector import ErrorCollector
from model_jobs.specs.files import read_spec_file
from model_jobs.specs.models import TAG_NAME

LOCK_FILE = "tags.lock"
TAGS_DIR = "tags"
LOCK_FIELDS = ("tag", "sha256", "created", "message")


def sql_sha256(sql: str) -> str:
    return hashlib.sha256(sql.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Tag:
    name: str
    sql: str
    sha256: str
    created: str
    message: str
    path: Path


class _LockEntry(TypedDict):
    tag: str
    sha256: str
    created: str
    message: str
    line: int  # of tags.lock


def _read_lock(lock: Path, errors: ErrorCollector) -> list[_LockEntry]:
    entries: list[_LockEntry] = []
    seen: set[str] = set()
    try:
        text = read_spec_file(lock)
    except SpecFileError as exc:
        errors.add(lock, "", exc.message, exc.line)
        return entries
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.add(
                lock,
                "",
                f"broken line: {exc.msg}; each line must be a JSON object with {', '.join(LOCK_FIELDS)}",
                number,
            )
            continue
        if (
            not isinstance(entry, dict)
            or set(entry) != set(LOCK_FIELDS)
            or not all(isinstance(entry[k], str) for k in LOCK_FIELDS)
        ):
            errors.add(
                lock,
                "",
                f"broken line: expected a JSON object with exactly the string fields {', '.join(LOCK_FIELDS)}",
                number,
            )
            continue
        if not TAG_NAME.fullmatch(entry["tag"]) or entry["tag"] == "latest":
            errors.add(
                lock,
                "tag",
                f"{entry['tag']!r} is not a valid tag name: use letters, "
                "digits, '.', '_' and '-' ('latest' is reserved)",
                number,
            )
            continue
        if entry["tag"] in seen:
            errors.add(lock, "tag", f"tag {entry['tag']!r} is listed twice", number)
            continue
        seen.add(entry["tag"])
        entries.append(
            _LockEntry(
                tag=entry["tag"],
                sha256=entry["sha256"],
                created=entry["created"],
                message=entry["message"],
                line=number,
            )
        )
    return entries


def load_tags(model_dir: Path, errors: ErrorCollector) -> tuple[list[Tag], set[str]]:
    """Valid tags of one model, oldest first, and the names of tags that exist but are broken.
    Every mismatch between files and lock is an error."""
    lock = model_dir / LOCK_FILE
    tags_dir = model_dir / TAGS_DIR
    # The lock before the files: deploy writes a tag's file first and its lock line last, so a
    # deploy landing between the two reads adds at most a file without a line (ignored), never a
    # line without its file.
    entries = _read_lock(lock, errors) if lock.exists() else None
    files = {p.stem: p for p in sorted(tags_dir.glob("*.sql"))} if tags_dir.is_dir() else {}
    if entries is None:
        # A model without tags is fine until a job runs it: `model-jobs deploy` creates the first.
        _ignore_unlocked(files, errors)
        return [], set()
    tags: list[Tag] = []
    broken: set[str] = set()
    for entry in entries:
        path = files.pop(entry["tag"], None)
        if path is None:
            errors.add(lock, "tag", f"tag {entry['tag']!r} has no file {TAGS_DIR}/{entry['tag']}.sql", entry["line"])
            broken.add(entry["tag"])
            continue
        try:
            sql = read_spec_file(path)
        except SpecFileError as exc:
            errors.add(path, "", exc.message, exc.line)
            broken.add(entry["tag"])
            continue
        digest = sql_sha256(sql)
        if digest != entry["sha256"]:
            errors.add(
                path,
                "",
                f"tag {entry['tag']!r} was changed after it was created (sha256 "
                f"{digest[:12]}… but {LOCK_FILE} says {entry['sha256'][:12]}…); tags are "
                "immutable: restore the file and create a new tag instead",
            )
            broken.add(entry["tag"])
            continue
        tags.append(Tag(entry["tag"], sql, digest, entry["created"], entry["message"], path))
    _ignore_unlocked(files, errors)
    return tags, broken


def _ignore_unlocked(files: dict[str, Path], errors: ErrorCollector) -> None:
    """A tag exists once its lock line does: `deploy` writes the file first and the line last, so
    a file without a line is a deploy that never finished (or a file added by hand). It is left
    out, with a warning, rather than making every job of every model unloadable."""
    for name, path in files.items():
        errors.warn(
            path,
            f"tag file {name!r} is not recorded in {LOCK_FILE} (an interrupted deploy, or a file added by "
            "hand; tags are created by deploying): ignored. Delete it, or deploy again.",
        )


def lock_line(tag: str, sql: str, created: str, message: str) -> str:
    """One tags.lock line for a new tag (keys in a fixed order, so diffs stay readable)."""
    return json.dumps({"tag": tag, "sha256": sql_sha256(sql), "created": created, "message": message})
