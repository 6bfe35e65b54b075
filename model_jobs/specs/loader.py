"""Read job_specs/ into typed specs, checking what can be checked without parsing SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from model_jobs.errors import SpecError, SpecFileError
from model_jobs.identifiers import TableName
from model_jobs.specs.collector import ErrorCollector
from model_jobs.specs.models import (
    LATEST,
    MODEL_NAME,
    RESERVED_MODEL_NAMES,
    EnvironmentsFile,
    EnvironmentSpec,
    JobDefaults,
    JobsFile,
    JobSpec,
    ModelSpec,
    SourcesFile,
    SourceSpec,
    UpstreamFile,
)
from model_jobs.specs.pydantic_errors import parse_document
from model_jobs.specs.tags import Tag, load_tags
from model_jobs.specs.yaml_source import YamlDocument, load_yaml

ENVIRONMENTS_FILE = "environments.yaml"
SOURCES_FILE = "sources.yaml"
UPSTREAM_FILE = "upstream.yaml"
MODELS_DIR = "models"
JOBS_DIR = "jobs"
MODEL_FILE = "model.yaml"
WORKING_SQL = "model.sql"


@dataclass(frozen=True)
class Model:
    name: str
    spec: ModelSpec
    directory: Path
    tags: tuple[Tag, ...]  # valid tags, oldest first
    broken_tags: frozenset[str] = frozenset()  # exist, but failed their checks (already reported)

    @property
    def newest_tag(self) -> Tag | None:
        return self.tags[-1] if self.tags else None

    def tag(self, name: str) -> Tag | None:
        return next((t for t in self.tags if t.name == name), None)


@dataclass(frozen=True)
class JobEntry:
    """One Model Job as written: where it came from, so later checks can cite the line."""

    model: str
    environment: str
    spec: JobSpec
    document: YamlDocument
    defaults: JobDefaults = field(default_factory=JobDefaults)

    @property
    def file(self) -> Path:
        return self.document.path

    def line(self, *loc: str | int) -> int | None:
        return self.document.line_of(("jobs", self.environment, *loc))


@dataclass(frozen=True)
class SpecSet:
    root: Path
    design_environment: str
    environments: dict[str, EnvironmentSpec]
    sources: dict[TableName, SourceSpec]
    models: dict[str, Model]
    jobs: list[JobEntry] = field(default_factory=list)
    # (model, environment) of jobs written but rejected: their errors are already reported, so
    # checks that depend on them must not report a second, misleading "has no job" error.
    rejected_jobs: frozenset[tuple[str, str]] = frozenset()
    # Models whose job file was rejected as a whole (its errors are reported): by the `model:` it
    # names when it says, and by file name (the convention jobs/<model>.yaml) when it cannot.
    unreadable_job_files: frozenset[str] = frozenset()
    invalid_models: frozenset[str] = frozenset()  # model folders with errors of their own
    warnings: tuple[SpecError, ...] = ()  # problems that do not stop loading (see ErrorCollector.warn)
    upstream: UpstreamFile = field(default_factory=UpstreamFile)  # declared deployments and jobs
    upstream_document: YamlDocument | None = None  # where they are declared, for error lines
    upstream_rejected: bool = False  # upstream.yaml has errors (reported): its names are unknown
    sources_document: YamlDocument | None = None  # sources.yaml as read, for error lines
    sources_rejected: bool = False  # sources.yaml has errors (reported): checks against it stay quiet

    def jobs_of(self, model: str) -> list[JobEntry]:
        return [j for j in self.jobs if j.model == model]


def _document(path: Path, errors: ErrorCollector) -> YamlDocument | None:
    try:
        return load_yaml(path)
    except SpecFileError as exc:
        errors.add(path, "", exc.message, exc.line)
        return None


def _load_environments(root: Path, errors: ErrorCollector) -> EnvironmentsFile | None:
    path = root / ENVIRONMENTS_FILE
    if not path.is_file():
        errors.add(path, "", "missing: every job_specs folder needs environments.yaml")
        return None
    doc = _document(path, errors)
    if doc is None:
        return None
    parsed = parse_document(doc, EnvironmentsFile, errors)
    if parsed and parsed.design_environment not in parsed.environments:
        errors.add(
            path,
            "design_environment",
            f"{parsed.design_environment!r} is not an environment; allowed: {', '.join(parsed.environments)}",
            doc.line_of(("design_environment",)),
        )
    return parsed


def _load_sources(root: Path, errors: ErrorCollector) -> tuple[dict[TableName, SourceSpec] | None, YamlDocument | None]:
    """The declared sources; None when sources.yaml has errors (they are reported)."""
    path = root / SOURCES_FILE
    if not path.is_file():
        return {}, None
    doc = _document(path, errors)
    parsed = parse_document(doc, SourcesFile, errors) if doc else None
    if parsed is None:
        return None, doc
    return {TableName.parse(k): v for k, v in parsed.sources.items()}, doc


def _load_upstream(root: Path, errors: ErrorCollector) -> tuple[UpstreamFile | None, YamlDocument | None]:
    """The declared upstream names; None when upstream.yaml has errors (they are reported)."""
    path = root / UPSTREAM_FILE
    if not path.is_file():
        return UpstreamFile(), None
    doc = _document(path, errors)
    if doc is not None and doc.data is None:
        return UpstreamFile(), doc  # an empty file declares nothing, like a missing one
    parsed = parse_document(doc, UpstreamFile, errors) if doc else None
    return parsed, doc


def _load_models(root: Path, errors: ErrorCollector) -> tuple[dict[str, Model], set[str]]:
    """Valid models by name, and the names of model folders that exist but are invalid."""
    models: dict[str, Model] = {}
    invalid: set[str] = set()
    models_dir = root / MODELS_DIR
    for directory in sorted(p for p in models_dir.glob("*") if p.is_dir()) if models_dir.is_dir() else []:
        if directory.name in RESERVED_MODEL_NAMES:
            errors.add(
                directory,
                "",
                f"{directory.name!r} is a name Dagster reserves (a Python keyword or one of "
                "its own, such as context, config or input): rename the model folder",
            )
            invalid.add(directory.name)  # its jobs are checked once the folder has a usable name
            continue
        if not MODEL_NAME.fullmatch(directory.name):
            errors.add(
                directory, "", "model folder names must be lower-case letters, digits and '_', starting with a letter"
            )
            invalid.add(directory.name)
            continue
        meta_path = directory / MODEL_FILE
        tags, broken = load_tags(directory, errors)
        if not meta_path.is_file():
            errors.add(meta_path, "", f"missing: each model folder needs {MODEL_FILE} with a description")
            invalid.add(directory.name)
            continue
        doc = _document(meta_path, errors)
        spec = parse_document(doc, ModelSpec, errors) if doc else None
        if spec:
            models[directory.name] = Model(directory.name, spec, directory, tuple(tags), frozenset(broken))
        else:
            invalid.add(directory.name)
    return models, invalid


def _load_jobs(
    root: Path,
    environments: EnvironmentsFile | None,
    models: dict[str, Model],
    invalid_models: set[str],
    errors: ErrorCollector,
    unreadable: set[str],
) -> tuple[list[JobEntry], set[tuple[str, str]]]:
    jobs: list[JobEntry] = []
    rejected: set[tuple[str, str]] = set()
    where: dict[tuple[str, str], Path] = {}
    jobs_dir = root / JOBS_DIR
    for path in sorted(jobs_dir.glob("*.yaml")) if jobs_dir.is_dir() else []:
        doc = _document(path, errors)
        parsed = parse_document(doc, JobsFile, errors) if doc else None
        if doc is None or parsed is None:
            unreadable.add(path.stem)
            named = doc.data.get("model") if doc is not None and isinstance(doc.data, dict) else None
            if isinstance(named, str):
                unreadable.add(named)
            continue
        model = models.get(parsed.model)
        if parsed.model in invalid_models:
            # The model's own files carry the error; its jobs cannot be checked until they are fixed.
            rejected.update((parsed.model, env) for env in parsed.jobs)
            continue
        if model is None:
            unreadable.add(path.stem)
            errors.add(
                path,
                "model",
                f"unknown model {parsed.model!r}; known: {', '.join(models) or '(none)'}",
                doc.line_of(("model",)),
            )
            continue
        for env, spec in parsed.jobs.items():
            entry = JobEntry(parsed.model, env, spec, doc, parsed.defaults)
            if environments and env not in environments.environments:
                errors.add(
                    path,
                    f"jobs.{env}",
                    f"unknown environment {env!r}; allowed: {', '.join(environments.environments)}",
                    entry.line(),
                )
                continue
            if (parsed.model, env) in where:
                errors.add(
                    path,
                    f"jobs.{env}",
                    f"model {parsed.model!r} already has a job in "
                    f"environment {env!r} (in {where[(parsed.model, env)]}); one job per "
                    "environment",
                    entry.line(),
                )
                continue
            where[(parsed.model, env)] = path
            if not _check_tag(entry, model, environments, errors):
                rejected.add((parsed.model, env))
                continue
            jobs.append(entry)
    return jobs, rejected


def _check_tag(entry: JobEntry, model: Model, environments: EnvironmentsFile | None, errors: ErrorCollector) -> bool:
    tag = entry.spec.tag
    field_name = f"jobs.{entry.environment}.tag"
    if tag in model.broken_tags:
        return False  # the tag exists but is broken: its own error is reported
    if not model.tags:
        errors.add(
            entry.file,
            field_name,
            f"model {model.name!r} has no tags yet: create the first with `model-jobs deploy {model.name}`",
            entry.line("tag"),
        )
        return False
    if tag == LATEST:
        design = environments.design_environment if environments else None
        if environments is None or design not in environments.environments:
            return True  # which environment may follow 'latest' is unknown until that error is fixed
        if entry.environment != design:
            errors.add(
                entry.file,
                field_name,
                f"'latest' is only allowed in the design environment "
                f"({design}); pin a tag: {', '.join(t.name for t in model.tags)}",
                entry.line("tag"),
            )
            return False
        return True
    if model.tag(tag) is None:
        errors.add(
            entry.file,
            field_name,
            f"model {model.name!r} has no tag {tag!r}; allowed: "
            f"{', '.join(t.name for t in model.tags)}"
            + (" or 'latest'" if environments and entry.environment == environments.design_environment else ""),
            entry.line("tag"),
        )
        return False
    return True


def load_specs(root: Path) -> tuple[SpecSet | None, ErrorCollector]:
    """Load everything under `root`. Returns the specs (None if unusable) and all errors found."""
    errors = ErrorCollector()
    root = Path(root)
    if not root.is_dir():
        errors.add(root, "", "job_specs folder not found")
        return None, errors
    environments = _load_environments(root, errors)
    sources, sources_document = _load_sources(root, errors)
    upstream, upstream_document = _load_upstream(root, errors)
    models, invalid_models = _load_models(root, errors)
    unreadable: set[str] = set()
    jobs, rejected = _load_jobs(root, environments, models, invalid_models, errors, unreadable)
    if environments is None:
        return None, errors
    specs = SpecSet(
        root=root,
        design_environment=environments.design_environment,
        environments=dict(environments.environments),
        sources=sources or {},
        sources_document=sources_document,
        sources_rejected=sources is None,
        models=models,
        jobs=jobs,
        rejected_jobs=frozenset(rejected),
        unreadable_job_files=frozenset(unreadable),
        warnings=tuple(errors.warnings),
        upstream=upstream or UpstreamFile(),
        upstream_document=upstream_document,
        upstream_rejected=upstream is None,
        invalid_models=frozenset(invalid_models),
    )
    return specs, errors
