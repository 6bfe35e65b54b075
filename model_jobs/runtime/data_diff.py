"""What running a Model Job's SQL (e.g. a tag about to be promoted) would do to its target: a
read-only data diff, pushed down to the warehouse.

Two statements: a probe for the columns of the target and of the new result (answered from
metadata), then the diff itself (`compile.data_diff`), which returns counts and a few sample keys.
Nothing is written; no row leaves the warehouse beyond the samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from snowflake.connector.errors import ProgrammingError

from model_jobs.compile.compiled_project import ResolvedJob
from model_jobs.compile.data_diff import COUNTS, SAMPLE_KINDS, count_query_rows, diff_statement, summarize
from model_jobs.errors import ModelJobsError
from model_jobs.identifiers import TableName
from model_jobs.runtime.catalog import read_information_schema, run_probe
from model_jobs.runtime.source_check import check_sources, type_family
from model_jobs.runtime.statements import Statements
from model_jobs.specs.models import SourceSpec


class DataDiffError(ModelJobsError):
    """A diff that cannot be computed as asked (a key column missing on one side)."""


@dataclass(frozen=True)
class SchemaDiff:
    only_in_target: dict[str, str] = field(default_factory=dict)  # column -> type: the new SQL no longer has them
    only_in_new: dict[str, str] = field(default_factory=dict)  # column -> type: the new SQL adds them
    retyped: dict[str, tuple[str, str]] = field(default_factory=dict)  # column -> (target type, new type)

    @property
    def empty(self) -> bool:
        return not (self.only_in_target or self.only_in_new or self.retyped)


@dataclass(frozen=True)
class DataDiff:
    job: ResolvedJob
    keys: tuple[str, ...]
    target_exists: bool
    schema: SchemaDiff
    counts: dict[str, int]  # COUNTS of compile.data_diff (NEW_ROWS only, when there is no target)
    changed_by_column: dict[str, int] = field(default_factory=dict)  # compared columns only
    not_compared: list[str] = field(default_factory=list)  # common columns whose type family changed
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # kind -> keys
    statements: int = 0  # how many statements the diff sent

    @property
    def identical(self) -> bool:
        c = self.counts
        return (
            self.target_exists
            and self.schema.empty
            and c["ADDED_ROWS"] == c["REMOVED_ROWS"] == c["CHANGED"] == c["NOT_COMPARED_KEYS"] == 0
            and c["NULL_KEY_ROWS_OLD"] == c["NULL_KEY_ROWS_NEW"] == 0
        )

    def to_json(self) -> dict[str, object]:
        return {
            "model": self.job.model,
            "environment": self.job.environment,
            "tag": self.job.tag.name,
            "target": str(self.job.target),
            "target_exists": self.target_exists,
            "keys": list(self.keys),
            "counts": {name.lower(): value for name, value in self.counts.items()},
            "changed_by_column": self.changed_by_column,
            "not_compared": self.not_compared,
            "schema": {
                "only_in_target": self.schema.only_in_target,
                "only_in_new": self.schema.only_in_new,
                "retyped": {c: {"target": old, "new": new} for c, (old, new) in self.schema.retyped.items()},
            },
            "samples": self.samples,
        }


def data_diff(
    statements: Statements,
    job: ResolvedJob,
    keys: Sequence[str],
    declared: dict[TableName, SourceSpec],
    samples: int = 5,
) -> DataDiff:
    """`job`'s SELECT (as mapped for its environment) against its target, matched by `keys`."""
    keys = tuple(keys)
    sent_before = len(statements.executed)
    try:
        probed = run_probe(statements, [job.target.to_sqlglot(), job.query])
    except ProgrammingError as error:
        return _without_target(statements, job, keys, declared, error, sent_before)
    target, new = probed.columns
    for side, columns in (("the target " + str(job.target), target), (f"tag {job.tag.name}'s result", new)):
        missing = [k for k in keys if k not in columns]
        if missing:
            raise DataDiffError(
                f"key column(s) {', '.join(missing)} not in {side}; its columns: {', '.join(columns)} "
                "(choose the key with --key)"
            )
    retyped = {c: (target[c], new[c]) for c in target if c in new and target[c] != new[c]}
    schema = SchemaDiff(
        only_in_target={c: t for c, t in target.items() if c not in new},
        only_in_new={c: t for c, t in new.items() if c not in target},
        retyped=retyped,
    )
    for key in keys:
        if type_family(target[key]) != type_family(new[key]):
            raise DataDiffError(
                f"key column {key} is {target[key]} in the target but {new[key]} in tag {job.tag.name}'s result: "
                "rows cannot be matched on it (choose another key with --key)"
            )
    common = [c for c in new if c in target and c not in keys]
    compared = [c for c in common if type_family(target[c]) == type_family(new[c])]
    rows = statements.execute("diff", diff_statement(job.target, job.query, keys, compared, samples)).fetchall()
    result = summarize(rows, len(keys), len(compared))
    found = {
        kind: [dict(zip(keys, values, strict=True)) for values in result.samples.get(kind, [])] for kind in SAMPLE_KINDS
    }
    return DataDiff(
        job=job,
        keys=keys,
        target_exists=True,
        schema=schema,
        counts=result.counts,
        changed_by_column={c: n for c, n in zip(compared, result.changed_by_column, strict=True) if n},
        not_compared=[c for c in common if c not in compared],
        samples={kind: sorted(keys_, key=_key_order) for kind, keys_ in found.items() if keys_},
        statements=len(statements.executed) - sent_before,
    )


def _key_order(key: dict[str, Any]) -> tuple[tuple[bool, Any], ...]:
    return tuple((value is None, value) for value in key.values())


def _without_target(
    statements: Statements,
    job: ResolvedJob,
    keys: tuple[str, ...],
    declared: dict[TableName, SourceSpec],
    error: ProgrammingError,
    sent_before: int,
) -> DataDiff:
    """The probe failed: a missing source is reported as a run reports it; a missing target means
    every row of the new result would be added; anything else is the query's own error."""
    tables = [*(s.actual for s in job.sources), job.target]
    found = read_information_schema(statements, list(dict.fromkeys(tables)))
    check_sources(job.sources, found, declared)  # raises when a source is missing or changed
    if found[job.target]:
        first_line = (str(error.msg or error).strip().splitlines() or [""])[0]
        raise DataDiffError(
            f"tag {job.tag.name}'s SELECT, mapped for {job.environment}, fails in the warehouse: {first_line}"
        ) from error
    (rows,) = statements.one("diff", count_query_rows(job.query))
    counts = dict.fromkeys(COUNTS, 0) | {"NEW_ROWS": int(rows), "ADDED_ROWS": int(rows)}
    return DataDiff(
        job=job,
        keys=keys,
        target_exists=False,
        schema=SchemaDiff(),
        counts=counts,
        statements=len(statements.executed) - sent_before,
    )


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def describe(diff: DataDiff) -> str:
    """The diff as a reviewer reads it: what promoting the SQL would do to the target."""
    job, c = diff.job, diff.counts
    new_side = f"tag {job.tag.name}'s result"
    lines = [f"{job.key}: tag {job.tag.name} against {job.target}, rows matched by {', '.join(diff.keys)}"]
    if not diff.target_exists:
        lines.append(
            f"  the target does not exist yet: all {_plural(c['NEW_ROWS'], 'row')} of {new_side} would be added"
        )
        return "\n".join(lines) + "\n"
    lines += [
        f"  {c['OLD_ROWS']:,} rows in the target, {c['NEW_ROWS']:,} in {new_side}",
        f"  + {_plural(c['ADDED_ROWS'], 'row')} added (keys only in the new result)",
        f"  - {_plural(c['REMOVED_ROWS'], 'row')} removed (keys only in the target)",
        f"  ~ {_plural(c['CHANGED'], 'row')} changed, {c['SAME']:,} unchanged",
    ]
    if diff.changed_by_column:
        lines.append("    by column: " + ", ".join(f"{col} {n:,}" for col, n in diff.changed_by_column.items()))
    if diff.not_compared:
        lines.append(f"    not compared (type changed): {', '.join(diff.not_compared)}")
    if c["NOT_COMPARED_KEYS"] or c["DUPLICATE_KEYS_OLD"] or c["DUPLICATE_KEYS_NEW"]:
        lines.append(
            f"  ! duplicate keys: {_plural(c['DUPLICATE_KEYS_OLD'], 'key')} ({c['DUPLICATE_ROWS_OLD']:,} rows) in the "
            f"target, {_plural(c['DUPLICATE_KEYS_NEW'], 'key')} ({c['DUPLICATE_ROWS_NEW']:,} rows) in the new result; "
            f"{_plural(c['NOT_COMPARED_KEYS'], 'key')} on both sides not compared"
        )
    if c["NULL_KEY_ROWS_OLD"] or c["NULL_KEY_ROWS_NEW"]:
        lines.append(
            f"  ! NULL in the key: {_plural(c['NULL_KEY_ROWS_OLD'], 'row')} in the target, "
            f"{_plural(c['NULL_KEY_ROWS_NEW'], 'row')} in the new result (matched with nothing; not counted above)"
        )
    schema = diff.schema
    if schema.empty:
        lines.append("  columns: the same")
    else:
        changes = [f"+ {col} {t}" for col, t in schema.only_in_new.items()]
        changes += [f"- {col} {t}" for col, t in schema.only_in_target.items()]
        changes += [f"{col} {old} -> {new}" for col, (old, new) in schema.retyped.items()]
        lines.append("  columns: " + ", ".join(changes))
    for kind, keys in diff.samples.items():
        shown = "; ".join(", ".join(f"{k}={v!r}" for k, v in key.items()) for key in keys)
        lines.append(f"  sample {kind}: {shown}")
    if diff.identical:
        lines.append("  no difference: promoting it would leave the target's rows as they are")
    return "\n".join(lines) + "\n"
