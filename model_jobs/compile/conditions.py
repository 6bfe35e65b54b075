"""Conditions: what must hold for a Model Job to write, resolved per job and checked. Pure.

A job's conditions name sources by their design-time location; resolved, each names the location
the job reads in its environment, so conditions are always evaluated against what the job would
read. Sources that are another model's target are not conditions' business: their freshness is
that model's own `freshness:` check, and `changed_since_last_run` follows their materializations.

Also checked here, against the SQL and sources.yaml: each source's `loaded_at` and checks
(declared columns, one SELECT, unique names), and that a source measured per environment is read
from one location in each environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from model_jobs.compile.job_blocks import merged_block
from model_jobs.compile.resolve import SourceRead
from model_jobs.compile.source_sql import CheckSqlError, ParsedCheck, expression_columns, parse_check
from model_jobs.identifiers import TableName
from model_jobs.specs.collector import ErrorCollector
from model_jobs.specs.loader import SOURCES_FILE, JobEntry, SpecSet
from model_jobs.specs.models import (
    TYPE_FAMILIES,
    ConditionsSpec,
    ModelFreshnessSpec,
    Require,
    SourceSpec,
    duration_seconds,
)

TIME_FAMILIES = {"TIMESTAMP_NTZ", "TIMESTAMP_TZ", "TIMESTAMP_LTZ", "DATE"}


@dataclass(frozen=True)
class MaxAge:
    seconds: int
    text: str  # as written, for messages: "1d"

    @classmethod
    def parse(cls, text: str) -> MaxAge:
        return cls(duration_seconds(text), text)


@dataclass(frozen=True)
class FreshnessRule:
    source: SourceRead
    max_age: MaxAge


@dataclass(frozen=True)
class Conditions:
    """A job's conditions, each naming the locations it reads in its environment."""

    freshness: tuple[FreshnessRule, ...] = ()
    require: Require = "all"
    changed_since_last_run: bool = False
    data_quality: tuple[SourceRead, ...] = ()  # sources whose error-severity checks must pass

    def __bool__(self) -> bool:
        return bool(self.freshness or self.changed_since_last_run or self.data_quality)

    def describe(self) -> list[str]:
        """One line per condition, for descriptions and metadata."""
        lines = []
        if self.freshness:
            bounds = ", ".join(f"{r.source.actual} within {r.max_age.text}" for r in self.freshness)
            lines.append(f"sources fresh ({self.require}): {bounds}")
        if self.changed_since_last_run:
            lines.append("a source changed since the last materialization")
        if self.data_quality:
            lines.append("error checks pass on " + ", ".join(str(s.actual) for s in self.data_quality))
        return lines


@dataclass(frozen=True)
class SourceRules:
    """sources.yaml's freshness and checks, checked: the sources (by design-time location) that
    have a freshness, and each source's checks parsed."""

    checks: dict[TableName, tuple[ParsedCheck, ...]] = field(default_factory=dict)
    measured: frozenset[TableName] = frozenset()  # sources with a freshness (loaded_at or last_altered)
    rejected: frozenset[TableName] = frozenset()  # sources with errors of their own (reported)

    def error_checks(self, table: TableName) -> tuple[ParsedCheck, ...]:
        return tuple(c for c in self.checks.get(table, ()) if c.spec.severity == "error")


def _family(column_type: str) -> str:
    return TYPE_FAMILIES.get(column_type, column_type)


def check_source_rules(specs: SpecSet, errors: ErrorCollector) -> SourceRules:
    """Check every source's loaded_at, freshness_from and checks against its declared columns."""
    checks: dict[TableName, tuple[ParsedCheck, ...]] = {}
    measured, rejected = set(), set()
    # How sources.yaml spells each source, for error fields and lines: read once, not per source
    # (a search per source was quadratic: 4 s of a 1,000-model load).
    doc = specs.sources_document
    written = {table: key for key in (doc.data.get("sources", {}) if doc else {}) if (table := _table_or_none(key))}
    for table, spec in specs.sources.items():
        ok, parsed = _check_one_source(specs, table, spec, errors, written.get(table, str(table)))
        if not ok:
            rejected.add(table)
            continue
        checks[table] = parsed
        if spec.freshness_source:
            measured.add(table)
    return SourceRules(checks, frozenset(measured), frozenset(rejected))


def _check_one_source(
    specs: SpecSet, table: TableName, spec: SourceSpec, errors: ErrorCollector, key: str
) -> tuple[bool, tuple[ParsedCheck, ...]]:
    path = specs.root / SOURCES_FILE
    doc = specs.sources_document

    def add(loc: tuple[str | int, ...], message: str) -> None:
        errors.add(
            path,
            ".".join(["sources", key, *map(str, loc)]),
            message,
            doc.line_of(("sources", key, *loc)) if doc else None,
        )

    ok = True
    declared = spec.columns
    declared_text = ", ".join(declared) or "(none: declare them under columns)"
    if spec.loaded_at is not None:
        if spec.loaded_at not in declared:
            add(("loaded_at",), f"{spec.loaded_at} is not a declared column; declare it under columns with its type")
            ok = False
        elif _family(declared[spec.loaded_at]) not in TIME_FAMILIES:
            add(
                ("loaded_at",),
                f"{spec.loaded_at} is {declared[spec.loaded_at]}; loaded_at must be a TIMESTAMP_NTZ, TIMESTAMP_TZ, "
                "TIMESTAMP_LTZ or DATE column",
            )
            ok = False
    if spec.freshness_from == "column" and spec.loaded_at is None:
        add(("freshness_from",), "freshness_from: column reads the loaded_at column: name it with loaded_at")
        ok = False
    parsed: list[ParsedCheck] = []
    names: dict[str, int] = {}
    for index, check in enumerate(spec.checks):
        where = ("checks", index)
        missing = [c for c in check.columns if c not in declared]
        try:
            one = parse_check(check)
        except CheckSqlError as exc:
            add((*where, check.kind), f"{check.kind} {exc}")
            ok = False
            continue
        if check.expression is not None and one.tree is not None:
            missing += sorted(c for c in expression_columns(one.tree) if c not in declared)
        if missing:
            add(
                (*where, check.kind),
                f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not declared; "
                f"declared columns: {declared_text}",
            )
            ok = False
            continue
        if one.name in names:
            add(
                where,
                f"check name {one.name!r} is already used by check {names[one.name]} of this source; give one a name",
            )
            ok = False
            continue
        names[one.name] = index
        parsed.append(one)
    return ok, tuple(parsed)


def _table_or_none(key: object) -> TableName | None:
    try:
        return TableName.parse(key) if isinstance(key, str) else None
    except ValueError:
        return None


class ConditionResolver:
    """Resolves each job's conditions, recording every problem with its file, field and line."""

    def __init__(self, specs: SpecSet, rules: SourceRules, errors: ErrorCollector) -> None:
        self.specs, self.rules, self.errors = specs, rules, errors
        self._said: set[tuple[object, ...]] = set()  # a mistake in `defaults:` is said once

    def _add(self, entry: JobEntry, path: tuple[str | int, ...], message: str) -> None:
        field_name = ".".join(map(str, path))
        if (entry.file, field_name, message) not in self._said:
            self._said.add((entry.file, field_name, message))
            self.errors.add(entry.file, field_name, message, entry.document.line_of(path))

    def conditions(self, entry: JobEntry, sources: tuple[SourceRead, ...]) -> Conditions | None:
        """The job's conditions (empty without any); None when they have errors (reported)."""
        spec, origin = merged_block(entry, "conditions", ConditionsSpec)
        if spec is None or self.specs.sources_rejected:
            return Conditions()  # none, or sources.yaml's own errors are reported: nothing to check against
        raw = {s.design: s for s in sources if s.upstream_model is None}
        ok = True
        freshness: list[FreshnessRule] = []
        require: Require = "all"
        if spec.source_freshness is not None:
            path = origin["source_freshness"]
            bound = spec.source_freshness
            require = bound.require or "all"
            if bound.max_age is not None:
                without = sorted(str(t) for t in raw if t not in self.rules.measured)
                if not raw:
                    self._add(entry, path, self._reads_no_source(entry, "source_freshness"))
                    ok = False
                elif without and not any(t in self.rules.rejected for t in raw):
                    self._add(
                        entry,
                        path,
                        f"source_freshness applies to every source {entry.model!r} reads, but "
                        f"{', '.join(without)} {'has' if len(without) == 1 else 'have'} no freshness: give "
                        f"{'it' if len(without) == 1 else 'them'} loaded_at (or freshness_from: last_altered) in "
                        f"{SOURCES_FILE}, or name the sources to check",
                    )
                    ok = False
                else:
                    age = MaxAge.parse(bound.max_age)
                    freshness = [FreshnessRule(s, age) for t, s in sorted(raw.items()) if t in self.rules.measured]
            for text, per_source in bound.sources.items():
                table = TableName.parse(text)
                text = _written_key(entry, path, table) or text
                if not self._reads(entry, table, sources, (*path, text)):
                    ok = False
                elif table in self.rules.rejected:
                    ok = False  # its own error in sources.yaml is reported
                elif table not in self.rules.measured:
                    self._add(
                        entry,
                        (*path, text),
                        f"{table} has no freshness: give it loaded_at "
                        f"(or freshness_from: last_altered) in {SOURCES_FILE}",
                    )
                    ok = False
                else:
                    freshness.append(FreshnessRule(raw[table], MaxAge.parse(per_source.max_age)))
        quality: list[SourceRead] = []
        if spec.source_data_quality is not None and spec.source_data_quality is not False:
            path = origin["source_data_quality"]
            if spec.source_data_quality is True:
                quality = [s for t, s in sorted(raw.items()) if self.rules.error_checks(t)]
                if not quality and not any(t in self.rules.rejected for t in raw):
                    self._add(
                        entry,
                        path,
                        self._reads_no_source(entry, "source_data_quality")
                        if not raw
                        else f"none of the sources {entry.model!r} reads ({', '.join(map(str, sorted(raw)))}) has "
                        f"error-severity checks in {SOURCES_FILE}",
                    )
                    ok = False
            else:
                for index, text in enumerate(spec.source_data_quality):
                    table = TableName.parse(text)
                    if not self._reads(entry, table, sources, (*path, index)) or table in self.rules.rejected:
                        ok = False
                    elif not self.rules.error_checks(table):
                        self._add(entry, (*path, index), f"{table} has no error-severity checks in {SOURCES_FILE}")
                        ok = False
                    else:
                        quality.append(raw[table])
        if spec.changed_since_last_run and not raw:
            self._add(
                entry,
                origin["changed_since_last_run"],
                f"changed_since_last_run: model {entry.model!r} reads no source table, only other models' targets "
                "(it runs after them: use a trigger on their Model Jobs instead)",
            )
            ok = False
        if not ok:
            return None
        return Conditions(tuple(freshness), require, bool(spec.changed_since_last_run), tuple(quality))

    def _reads_no_source(self, entry: JobEntry, what: str) -> str:
        about = {
            "source_freshness": "their freshness is their own models' `freshness:`",
            "source_data_quality": "checks are declared on source tables in sources.yaml",
        }[what]
        return f"{what}: model {entry.model!r} reads no source table, only other models' targets ({about})"

    def _reads(
        self, entry: JobEntry, table: TableName, sources: tuple[SourceRead, ...], path: tuple[str | int, ...]
    ) -> bool:
        """Whether the job reads `table` as a source table; if not, say so (and what it is)."""
        raw = sorted({s.design for s in sources if s.upstream_model is None})
        if table in raw:
            return True
        model = next((s.upstream_model for s in sources if s.design == table and s.upstream_model), None)
        if model is not None:
            self._add(
                entry,
                path,
                f"{table} is the target of model {model!r}, not a source table: conditions name source tables "
                f"(for how fresh {model!r} must be, give its jobs `freshness:`)",
            )
            return False
        read = ", ".join(map(str, raw)) or "(no source tables)"
        self._add(entry, path, f"model {entry.model!r} does not read {table}; it reads: {read}")
        return False

    def freshness(self, entry: JobEntry) -> MaxAge | None:
        spec, _ = merged_block(entry, "freshness", ModelFreshnessSpec)
        return MaxAge.parse(spec.max_age) if spec else None


def _written_key(entry: JobEntry, path: tuple[str | int, ...], table: TableName) -> str | None:
    """The key naming `table` at `path` in the job file, as written (names are read upper-cased)."""
    data: object = entry.document.data
    for part in path:
        data = data.get(part) if isinstance(data, dict) else None
    for key in data if isinstance(data, dict) else ():
        if _table_or_none(key) == table:
            return str(key)
    return None


def warn_several_locations(
    reads: list[tuple[tuple[str, str], SourceRead]], rules: SourceRules, specs: SpecSet, errors: ErrorCollector
) -> None:
    """A source with freshness or checks has one partition per environment in Dagster, standing
    for one location. Where the jobs of an environment read it from several, its partition shows
    the one most read; the jobs' conditions still use their own. Worth saying, not an error."""
    where: dict[tuple[TableName, str], dict[TableName, list[str]]] = {}
    for (model, env), source in reads:
        if source.upstream_model is None and (source.design in rules.measured or rules.checks.get(source.design)):
            where.setdefault((source.design, env), {}).setdefault(source.actual, []).append(model)
    for (design, env), locations in sorted(where.items()):
        if len(locations) > 1:
            shown = min(locations, key=lambda loc: (-len(locations[loc]), str(loc)))
            by = "; ".join(f"{loc} by {', '.join(sorted(models))}" for loc, models in sorted(locations.items()))
            errors.warn(
                specs.root / SOURCES_FILE,
                f"source {design} is read from several locations in {env!r} ({by}); its {env} partition in "
                f"Dagster (checks, freshness) shows {shown}, and each job's conditions use the location it reads",
            )
