"""`model-jobs deploy`: snapshot a model's working SQL as a new, immutable tag.

The design environment's job picks the new tag up if it says `tag: latest`; every other job keeps
its tag until its spec is edited (see promote.py). The deployment is reported to Dagster as a
materialization of the model's deployment asset, so sensors and the UI see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from model_jobs.compile.compiled_project import CompiledProject
from model_jobs.compile.references import parse_model_sql
from model_jobs.compile.targets import design_targets, job_targets
from model_jobs.errors import CommandError, ModelSqlError, SpecErrors, SpecFileError
from model_jobs.identifiers import TableName
from model_jobs.project import load_project
from model_jobs.specs.files import read_spec_file
from model_jobs.specs.loader import WORKING_SQL, SpecSet
from model_jobs.specs.models import LATEST, TAG_NAME
from model_jobs.specs.tags import LOCK_FILE, TAGS_DIR, lock_line, sql_sha256
from model_jobs.versioning.files import FileChanges

FIRST_TAG = "v1"


@dataclass(frozen=True)
class Deployment:
    model: str
    tag: str
    sha256: str
    created: str
    message: str
    tag_file: Path
    design_environment: str
    follows_latest: bool  # whether the design environment's job now runs this tag


def _details(exc: SpecErrors) -> str:
    return "\n".join(f"  - {e}" for e in exc.errors)


def load_valid_project(root: Path) -> CompiledProject:
    try:
        return load_project(root)
    except SpecErrors as exc:
        raise CommandError(f"job_specs must be valid first (run `model-jobs validate`):\n{_details(exc)}") from exc


def check_still_valid(root: Path, action: str) -> CompiledProject:
    """After writing: the specs must load as before, or the caller undoes its changes."""
    try:
        return load_project(root)
    except SpecErrors as exc:
        raise CommandError(f"{action} would make job_specs invalid, so nothing was changed:\n{_details(exc)}") from exc


def _known_tables(specs: SpecSet, model: str) -> set[TableName]:
    """Tables a model may read: declared sources and other models' design-environment targets."""
    return set(specs.sources) | {
        t for t, owner in design_targets(job_targets(specs), specs.design_environment).items() if owner != model
    }


def check_tag_name(name: str, existing: list[str], lock: Path) -> None:
    if name == LATEST:
        raise CommandError(f"'{LATEST}' is reserved: jobs use it to follow the newest tag; choose another name")
    if not TAG_NAME.fullmatch(name):
        raise CommandError(
            f"tag name {name!r} is not allowed: use letters, digits, '.', '_' and '-' (no spaces or slashes)"
        )
    if name in existing:
        raise CommandError(f"tag {name!r} already exists in {lock}; tags are immutable: choose a new name")


def deploy(
    root: Path, model: str, tag: str | None = None, message: str | None = None, now: datetime | None = None
) -> Deployment:
    """Create the tag; raises CommandError (and changes no file) when it should not be created."""
    specs = load_valid_project(root).specs
    if model not in specs.models:
        raise CommandError(f"unknown model {model!r}; known: {', '.join(specs.models) or '(none)'}")
    spec = specs.models[model]
    working = spec.directory / WORKING_SQL
    lock = spec.directory / LOCK_FILE
    if not working.is_file():
        raise CommandError(f"{working} is missing: write the model's SQL there, then deploy")
    try:
        sql = read_spec_file(working)
    except SpecFileError as exc:
        raise CommandError(f"{working}: {exc.message}") from exc
    try:
        parsed = parse_model_sql(sql)
    except ModelSqlError as exc:
        line = f":{exc.line}" if exc.line else ""
        raise CommandError(f"{working}{line}: {exc.message}; fix the SQL, then deploy") from exc
    unknown = [str(t) for t in parsed.tables if t not in _known_tables(specs, model)]
    if unknown:
        raise CommandError(
            f"{working}: reads tables that are neither sources nor models: {', '.join(unknown)}; "
            f"declare them in {root / 'sources.yaml'} (or fix the names), then deploy"
        )
    digest = sql_sha256(sql)
    newest = spec.newest_tag
    if newest is not None and newest.sha256 == digest:
        raise CommandError(f"nothing to deploy: {working} is identical to the newest tag {newest.name!r}")
    existing = [t.name for t in spec.tags]
    if tag is None:
        if existing:
            raise CommandError(f"name the new tag with --tag (model {model!r} has tags {', '.join(existing)})")
        tag = FIRST_TAG
    check_tag_name(tag, existing, lock)

    created = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    message = message or f"deployed from {WORKING_SQL}"
    tag_file = spec.directory / TAGS_DIR / f"{tag}.sql"
    lock_text = lock.read_text(encoding="utf-8") if lock.exists() else ""
    if lock_text and not lock_text.endswith("\n"):
        lock_text += "\n"
    changes = FileChanges()
    try:
        changes.write(tag_file, sql)
        changes.write(lock, lock_text + lock_line(tag, sql, created, message) + "\n")
        # E.g. a design job's source_mapping names a table the new SQL no longer reads.
        after = check_still_valid(root, f"deploying tag {tag!r}")
    except BaseException:
        changes.undo()
        raise
    design_job = after.jobs.get((model, after.specs.design_environment))
    return Deployment(
        model=model,
        tag=tag,
        sha256=digest,
        created=created,
        message=message,
        tag_file=tag_file,
        design_environment=after.specs.design_environment,
        follows_latest=design_job is not None and design_job.follows_latest,
    )
