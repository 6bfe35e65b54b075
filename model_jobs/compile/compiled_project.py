"""Resolve every Model Job of a spec set into what it will run. Pure: no Dagster, no warehouse.

Checks that need the SQL live here: the tag's SQL parses, source mapping keys name something the
model reads, references to another model's target can follow it into each environment, and the
model graph has no cycles.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from sqlglot import exp

from model_jobs.compile.conditions import (
    ConditionResolver,
    Conditions,
    MaxAge,
    SourceRules,
    check_source_rules,
    warn_several_locations,
)
from model_jobs.compile.graphs import find_cycle
from model_jobs.compile.incremental import Incremental, resolve_incremental
from model_jobs.compile.reference_cache import ReferenceCache
from model_jobs.compile.references import ParsedSql
from model_jobs.compile.resolve import (
    SourceRead,
    UnresolvedUpstream,
    parsed_mapping,
    resolve_table,
)
from model_jobs.compile.sql import (
    create_or_replace_table_as,
    remap_tables,
    render,
    table_comment,
)
from model_jobs.compile.targets import check_targets, check_targets_not_read, design_targets, job_targets
from model_jobs.compile.triggers import Trigger, resolve_triggers
from model_jobs.errors import ModelSqlError
from model_jobs.identifiers import TableName
from model_jobs.specs.collector import ErrorCollector
from model_jobs.specs.loader import JobEntry, SpecSet
from model_jobs.specs.models import LATEST, EnvironmentSpec
from model_jobs.specs.tags import Tag


@dataclass(frozen=True)
class ResolvedJob:
    """One Model Job, ready to run: the tag, where it reads, where it writes."""

    model: str
    environment: str
    tag: Tag
    follows_latest: bool
    environment_spec: EnvironmentSpec
    target: TableName
    sources: tuple[SourceRead, ...]
    parsed: ParsedSql = field(repr=False, compare=False)
    incremental: Incremental | None = None
    conditions: Conditions = field(default_factory=Conditions)
    freshness: MaxAge | None = None  # how old its target may get before its freshness check fails

    @property
    def key(self) -> str:
        return f"{self.model}@{self.environment}"

    @property
    def upstream_models(self) -> tuple[str, ...]:
        return tuple(s.upstream_model for s in self.sources if s.upstream_model)

    # SQL is rendered on first use, not at load: loading a code location must stay fast.
    @cached_property
    def select_sql(self) -> str:
        return render(self._query)

    @property
    def query(self) -> exp.Expr:
        """The model query with this environment's tables, as a syntax tree."""
        return self._query

    @cached_property
    def _query(self) -> exp.Expr:
        return remap_tables(self.parsed, {s.design: s.actual for s in self.sources})

    @cached_property
    def create_sql(self) -> str:
        comment = table_comment(self.model, self.environment, self.tag.name, self.tag.sha256)
        return create_or_replace_table_as(self.target, self._query, comment)


@dataclass(frozen=True)
class CompiledProject:
    specs: SpecSet
    jobs: dict[tuple[str, str], ResolvedJob]
    triggers: dict[tuple[str, str], Trigger] = field(default_factory=dict)  # of the jobs that have one
    source_rules: SourceRules = field(default_factory=SourceRules)

    @cached_property
    def source_locations(self) -> dict[TableName, dict[str, TableName]]:
        """Each source table (not a model's target) by design-time location: the location its
        partition for each environment stands for, environments in environments.yaml's order.
        Where an environment's jobs read it from several locations, the one most of them read
        (then the first by name); load warns about it (see conditions.warn_several_locations)."""
        return {
            design: {env: _most_read(found[env]) for env in self.specs.environments if env in found}
            for design, found in sorted(self._source_reads.items())
        }

    @cached_property
    def _source_reads(self) -> dict[TableName, dict[str, list[TableName]]]:
        reads: dict[TableName, dict[str, list[TableName]]] = {}
        for (_, env), job in sorted(self.jobs.items()):
            for source in job.sources:
                if source.upstream_model is None and source.design not in self.design_targets:
                    reads.setdefault(source.design, {}).setdefault(env, []).append(source.actual)
        return reads

    def environments_of(self, model: str) -> list[str]:
        """Environments the model has jobs in, in the order environments.yaml lists them."""
        return [env for env in self.specs.environments if (model, env) in self.jobs]

    def job(self, model: str, environment: str) -> ResolvedJob:
        return self.jobs[(model, environment)]

    @cached_property
    def design_targets(self) -> dict[TableName, str]:
        return design_targets({key: job.target for key, job in self.jobs.items()}, self.specs.design_environment)

    @property
    def deployed_models(self) -> list[str]:
        return [m for m in self.specs.models if self.environments_of(m)]

    def model_order(self) -> list[str]:
        """Deployed models, upstream before downstream."""
        order: list[str] = []
        deps = _model_graph(self.jobs.values())

        def visit(model: str) -> None:
            if model in order:
                return
            for upstream in sorted(deps.get(model, ())):
                visit(upstream)
            order.append(model)

        for model in self.deployed_models:
            visit(model)
        return order

    def select(self, selection: list[str], environment: str) -> list[str]:
        """The models a selection names in one environment, upstream before downstream. `name`
        is one model; `+name` is that model and every model it reads, directly or not, in this
        environment. Raises ValueError naming what does not exist."""
        problems, chosen = [], set()
        for item in selection:
            name = item.removeprefix("+")
            if name not in self.specs.models:
                problems.append(f"unknown model {name!r}; known: {', '.join(self.specs.models)}")
            elif (name, environment) not in self.jobs:
                problems.append(f"model {name!r} has no job in {environment!r}")
            else:
                chosen |= self._upstream_of(name, environment) if item.startswith("+") else {name}
        if problems:
            raise ValueError("; ".join(problems))
        return [model for model in self.model_order() if model in chosen]

    def _upstream_of(self, model: str, environment: str) -> set[str]:
        found, todo = set(), [model]
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(self.jobs[(current, environment)].upstream_models)
        return found


def _most_read(locations: list[TableName]) -> TableName:
    return min(set(locations), key=lambda loc: (-locations.count(loc), str(loc)))


def _model_graph(jobs: Iterable[ResolvedJob]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for job in jobs:
        graph.setdefault(job.model, set()).update(job.upstream_models)
    return graph


def _tag_of(specs: SpecSet, entry: JobEntry) -> Tag:
    model = specs.models[entry.model]
    tag = model.newest_tag if entry.spec.tag == LATEST else model.tag(entry.spec.tag)
    if tag is None:  # load_specs keeps only jobs whose tag exists (loader._check_tag)
        raise ValueError(f"job {entry.model}@{entry.environment}: model has no tag {entry.spec.tag!r}")
    return tag


def _check_mapping(entry: JobEntry, tag: Tag, parsed: ParsedSql, errors: ErrorCollector) -> bool:
    ok = True
    read = {prefix for table in parsed.tables for prefix in (table.parts[:1], table.parts[:2], table.parts)}
    for key, value in entry.spec.source_mapping.items():
        key_parts, value_parts = key.split("."), value.split(".")
        field_name = f"jobs.{entry.environment}.source_mapping.{key}"
        line = entry.line("source_mapping", key)
        if len(key_parts) != len(value_parts):
            levels = {1: "database", 2: "schema", 3: "table"}
            errors.add(
                entry.file,
                field_name,
                f"maps a {levels[len(key_parts)]} to a {levels[len(value_parts)]} ({value!r}); map like to like",
                line,
            )
            ok = False
        if tuple(key_parts) not in read:
            errors.add(
                entry.file,
                field_name,
                f"{key!r} is not read by model {entry.model!r} at tag "
                f"{tag.name!r}; it reads: {', '.join(map(str, parsed.tables)) or '(no tables)'}",
                line,
            )
            ok = False
    return ok


def compile_project(specs: SpecSet, errors: ErrorCollector, cache: ReferenceCache | None = None) -> CompiledProject:
    cache = cache or ReferenceCache(None)
    parsed_by_tag: dict[tuple[str, str], ParsedSql | None] = {}
    targets = job_targets(specs)
    model_of_design_target = design_targets(targets, specs.design_environment)

    check_targets(specs, targets, errors)
    rules = check_source_rules(specs, errors)
    conditions_of = ConditionResolver(specs, rules, errors)

    targets_by_env: dict[str, dict[str, TableName]] = {}
    for (model, env), target in targets.items():
        targets_by_env.setdefault(env, {})[model] = target

    jobs: dict[tuple[str, str], ResolvedJob] = {}
    for entry in specs.jobs:
        tag = _tag_of(specs, entry)
        cache_key = (entry.model, tag.name)
        if cache_key not in parsed_by_tag:
            try:
                parsed_by_tag[cache_key] = cache.parse(tag.sql)
            except ModelSqlError as exc:
                errors.add(tag.path, "", exc.message, exc.line)
                parsed_by_tag[cache_key] = None
        parsed = parsed_by_tag[cache_key]
        if parsed is None or not _check_mapping(entry, tag, parsed, errors):
            continue
        env_targets = targets_by_env[entry.environment]
        mapping = parsed_mapping(entry.spec.source_mapping)
        sources: list[SourceRead] = []
        for table in parsed.tables:
            try:
                sources.append(resolve_table(table, mapping, model_of_design_target, env_targets, entry.model))
            except UnresolvedUpstream as exc:
                if (exc.upstream, entry.environment) in specs.rejected_jobs:
                    continue  # the upstream job's own error is reported; this job is skipped
                errors.add(
                    entry.file,
                    f"jobs.{entry.environment}.source_mapping",
                    f"model "
                    f"{entry.model!r} reads {exc.table} (the target of model {exc.upstream!r}), "
                    f"but {exc.upstream!r} has no job in {entry.environment!r}: add one, or map "
                    f"{exc.table} to a table in source_mapping",
                    entry.line(),
                )
        incremental_ok, incremental = resolve_incremental(entry, errors)
        conditions = conditions_of.conditions(entry, tuple(sources))
        if len(sources) != len(parsed.tables) or not incremental_ok or conditions is None:
            continue
        jobs[(entry.model, entry.environment)] = ResolvedJob(
            model=entry.model,
            environment=entry.environment,
            tag=tag,
            follows_latest=entry.spec.tag == LATEST,
            environment_spec=specs.environments[entry.environment],
            target=targets[(entry.model, entry.environment)],
            sources=tuple(sources),
            parsed=parsed,
            incremental=incremental,
            conditions=conditions,
            freshness=conditions_of.freshness(entry),
        )

    cache.save()
    reads = [(key, s) for key, job in jobs.items() for s in job.sources]
    check_targets_not_read(specs, targets, reads, errors)
    warn_several_locations(reads, rules, specs, errors)
    if cycle := find_cycle(_model_graph(jobs.values())):
        cycle_start = specs.models[cycle[0]]
        errors.add(cycle_start.directory, "", f"models depend on each other in a cycle: {' -> '.join(cycle)}")
    # Checked over every job written (not only those that compiled), so a trigger naming a job
    # whose SQL has an error is not also reported as naming a job that does not exist.
    triggers = resolve_triggers(specs, [(e.model, e.environment) for e in specs.jobs], errors)
    return CompiledProject(specs, jobs, {key: t for key, t in triggers.items() if key in jobs}, rules)
