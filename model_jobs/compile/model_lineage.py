"""Each model's column lineage as its asset definition shows it before any run. Pure but for a cache.

A model's definition shows one environment's tag: the design environment's (the SQL being worked
on), or the first environment in environments.yaml where the model has no job there. The columns
of what it reads are the ones sources.yaml declares, and an upstream model's output columns in the
same environment, computed the same way (upstream first). Each materialization records the
lineage of the tag its environment ran, over the columns its preflight probed (runtime/materialize).

Qualifying a query costs about a millisecond: too much for thousands of models at every load. The
result is a pure function of the SQL, the input columns, sqlglot and lineage.py, so it is cached on
disk under a key made of all of them, next to the reference cache (same directory and switch).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlglot

from model_jobs.compile import lineage as lineage_module
from model_jobs.compile.compiled_project import CompiledProject
from model_jobs.compile.lineage import QueryLineage, column_lineage
from model_jobs.compile.reference_cache import cache_directory, load_json, save_json
from model_jobs.identifiers import DIALECT, TableName


@dataclass(frozen=True)
class ModelLineage:
    environment: str  # whose tag the definition shows
    tag: str
    lineage: QueryLineage
    # Every environment's, the definition environment's included: where their tags differ, the
    # definition says so per column (defs/lineage.py).
    by_environment: dict[str, QueryLineage]


def default_lineage_cache_file() -> Path | None:
    directory = cache_directory()
    if directory is None:
        return None
    source = Path(lineage_module.__file__).read_bytes()
    version: str = sqlglot.__version__  # type: ignore[attr-defined]
    key = hashlib.sha256(version.encode() + b"\0" + source).hexdigest()[:16]
    return directory / f"column-lineage-{key}.json"


class LineageCache:
    """QueryLineage by sha256 of (SQL, input columns). Only an accelerator: an unreadable file or
    entry is computed again."""

    def __init__(self, path: Path | None):
        self.path = path
        self._entries: dict[str, str] = load_json(path)
        self._read: dict[str, QueryLineage] = {}
        self._dirty = False

    def lineage(self, sql: str, columns: Mapping[TableName, Sequence[str]]) -> QueryLineage:
        known = sorted([*table.parts, *names] for table, names in columns.items())
        key = hashlib.sha256(json.dumps([sql, known]).encode("utf-8")).hexdigest()
        if key in self._read:  # environments that run the same tag over the same columns share one
            return self._read[key]
        cached = self._entries.get(key)
        if isinstance(cached, str):
            try:
                self._read[key] = QueryLineage.from_json(cached)
                return self._read[key]
            except (ValueError, KeyError, TypeError, IndexError):
                pass  # corrupt or planted: computed again below
        # Parsed here, not through ParsedSql.expression: a tree kept per job from load to run
        # slows every later garbage collection (see reference_cache).
        try:
            result = column_lineage(sqlglot.parse_one(sql, read=DIALECT), columns)
        except Exception as exc:  # a flaw in lineage must not keep the code location from loading
            return QueryLineage((), f"column lineage could not be computed: {type(exc).__name__}: {exc}")
        self._entries[key] = result.to_json()
        self._read[key] = result
        self._dirty = True
        return result

    def save(self) -> None:
        if self.path is not None and self._dirty:
            self._dirty = not save_json(self.path, self._entries)


def definition_environment(project: CompiledProject, model: str) -> str:
    """The environment whose tag a model's definition shows."""
    design = project.specs.design_environment
    return design if (model, design) in project.jobs else project.environments_of(model)[0]


def definition_lineage(project: CompiledProject, cache: LineageCache | None = None) -> dict[str, ModelLineage]:
    """Every deployed model's lineage, in its definition environment and in each of its environments."""
    cache = cache or LineageCache(None)
    done: dict[tuple[str, str], QueryLineage] = {}

    def of(model: str, environment: str) -> QueryLineage:
        if (model, environment) not in done:
            job = project.job(model, environment)
            columns: dict[TableName, list[str]] = {}
            for source in job.sources:
                if source.upstream_model and (source.upstream_model, environment) in project.jobs:
                    names = of(source.upstream_model, environment).names
                else:
                    declared = project.specs.sources.get(source.design)
                    names = list(declared.columns) if declared and declared.columns else None
                if names is not None:
                    columns[source.design] = names
            done[(model, environment)] = cache.lineage(job.parsed.sql, columns)
        return done[(model, environment)]

    result = {}
    for model in project.model_order():  # upstream first: the model graph has no cycle
        environment = definition_environment(project, model)
        each = {env: of(model, env) for env in project.environments_of(model)}
        result[model] = ModelLineage(environment, project.job(model, environment).tag.name, each[environment], each)
    cache.save()
    return result
