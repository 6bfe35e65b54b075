"""The SQL of a data diff: a target table against a query's rows, matched by key. Pure: one
statement built as a syntax tree from validated identifiers; tested by string equality.

Both sides are first grouped by the key, so a key that occurs several times cannot multiply rows
in the join: each side contributes one row per key, with how many rows had it. The join then
sorts every key into one kind:

- `removed`: only in the target (all its rows); `added`: only in the query's result;
- `changed` / `same`: one row on each side, compared column by column, NULL equal to NULL;
- `duplicate`: on both sides, but more than one row on one of them: not compared, reported;
- `null_key_old` / `null_key_new`: rows with a NULL in a key column, which match nothing.

The statement returns a few `count` rows (sums per kind, which `summarize` adds up into COUNTS),
then up to `samples` keys of each kind that is not `same`: rows of the query are never pulled out
beyond those keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from model_jobs.compile.sql import render
from model_jobs.identifiers import TableName, ident

OLD, NEW, PAIRS = "MJ_OLD", "MJ_NEW", "MJ_PAIRS"
ROWS, NULL_KEY, KIND, PART = "MJ_ROWS", "MJ_NULL_KEY", "MJ_KIND", "MJ_PART"
SAMPLE_KINDS = ("added", "removed", "changed", "duplicate")
# The figures of a diff (see `summarize`).
COUNTS = (
    "OLD_ROWS",
    "NEW_ROWS",
    "ADDED_KEYS",
    "ADDED_ROWS",
    "REMOVED_KEYS",
    "REMOVED_ROWS",
    "CHANGED",
    "SAME",
    "NOT_COMPARED_KEYS",
    "DUPLICATE_KEYS_OLD",
    "DUPLICATE_ROWS_OLD",
    "DUPLICATE_KEYS_NEW",
    "DUPLICATE_ROWS_NEW",
    "NULL_KEY_ROWS_OLD",
    "NULL_KEY_ROWS_NEW",
)


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def _changed(index: int) -> str:
    return f"MJ_CHANGED_{index}"


def _grouped(relation: exp.Expr, keys: Sequence[str], compared: Sequence[str]) -> exp.Select:
    """One row per key: the key, how many rows have it, whether it has a NULL, and the compared
    columns (ANY_VALUE: exact for the one-row keys that are compared; the others are not)."""
    null_key = exp.or_(*[exp.Is(this=_col(k), expression=exp.Null()) for k in keys])
    return (
        exp.select(
            *[_col(k) for k in keys],
            exp.alias_(exp.Count(this=exp.Star()), ident(ROWS)),
            exp.alias_(null_key, ident(NULL_KEY)),
            *[exp.alias_(exp.func("ANY_VALUE", _col(c)), ident(c)) for c in compared],
        )
        .from_(relation)
        .group_by(*[_col(k) for k in keys])
    )


def _kind(keys: Sequence[str], compared: Sequence[str]) -> exp.Expr:
    old_present = exp.Not(this=exp.Is(this=_col(ROWS, "O"), expression=exp.Null()))
    new_present = exp.Not(this=exp.Is(this=_col(ROWS, "N"), expression=exp.Null()))
    several = exp.or_(
        exp.GT(this=_col(ROWS, "O"), expression=exp.Literal.number(1)),
        exp.GT(this=_col(ROWS, "N"), expression=exp.Literal.number(1)),
    )
    differs = (
        exp.or_(*[exp.NullSafeNEQ(this=_col(c, "O"), expression=_col(c, "N")) for c in compared])
        if compared
        else exp.false()
    )
    both = exp.and_(old_present, new_present)
    case = (
        exp.Case()
        .when(exp.and_(both, several), exp.Literal.string("duplicate"))
        .when(exp.and_(both, differs), exp.Literal.string("changed"))
        .when(both, exp.Literal.string("same"))
        .when(exp.and_(old_present, _col(NULL_KEY, "O")), exp.Literal.string("null_key_old"))
        .when(old_present, exp.Literal.string("removed"))
        .when(_col(NULL_KEY, "N"), exp.Literal.string("null_key_new"))
        .else_(exp.Literal.string("added"))
    )
    return case


def diff_statement(
    target: TableName, query: exp.Expr, keys: Sequence[str], compared: Sequence[str], samples: int = 5
) -> str:
    """One statement. Its rows: (PART, KIND, several rows in the target, several in the result,
    keys, target rows, result rows, one changed count per compared column, then the key columns):
    PART 'count' rows hold sums per kind (NULL key columns), PART 'sample' rows up to `samples`
    keys per kind in SAMPLE_KINDS (NULL sums). Keys and compared columns must exist on both sides."""
    if not keys:
        raise ValueError("a data diff needs at least one key column")
    old = _grouped(target.to_sqlglot(), keys, compared)
    new = _grouped(_output(query), keys, compared)
    on = exp.and_(*[exp.EQ(this=_col(k, "O"), expression=_col(k, "N")) for k in keys])
    pairs = (
        exp.select(
            *[exp.alias_(exp.func("COALESCE", _col(k, "O"), _col(k, "N")), ident(k)) for k in keys],
            exp.alias_(_kind(keys, compared), ident(KIND)),
            exp.alias_(_col(ROWS, "O"), ident("OLD_ROWS")),
            exp.alias_(_col(ROWS, "N"), ident("NEW_ROWS")),
            *[
                exp.alias_(
                    exp.func(
                        "IFF",
                        exp.NullSafeNEQ(this=_col(c, "O"), expression=_col(c, "N")),
                        exp.Literal.number(1),
                        exp.Literal.number(0),
                    ),
                    ident(_changed(i)),
                )
                for i, c in enumerate(compared)
            ],
        )
        .from_(exp.Table(this=ident(OLD), alias=exp.TableAlias(this=ident("O"))))
        .join(exp.Table(this=ident(NEW), alias=exp.TableAlias(this=ident("N"))), on=on, join_type="FULL OUTER")
    )
    several_old = exp.GT(this=_col("OLD_ROWS"), expression=exp.Literal.number(1))
    several_new = exp.GT(this=_col("NEW_ROWS"), expression=exp.Literal.number(1))
    # Grouped by kind (and whether a side has several rows), the summary is a handful of rows of
    # sums: far cheaper per key than a column of conditional counts per figure. `summarize` adds
    # them up into COUNTS.
    groups = [
        _col(KIND),
        exp.alias_(several_old, ident("MJ_SEVERAL_OLD")),
        exp.alias_(several_new, ident("MJ_SEVERAL_NEW")),
    ]
    summary = (
        exp.select(
            exp.alias_(exp.Literal.string("count"), ident(PART)),
            *groups,
            exp.alias_(exp.Count(this=exp.Star()), ident("MJ_KEYS")),
            exp.alias_(exp.Sum(this=_col("OLD_ROWS")), ident("OLD_ROWS")),
            exp.alias_(exp.Sum(this=_col("NEW_ROWS")), ident("NEW_ROWS")),
            *[exp.alias_(exp.Sum(this=_col(_changed(i))), ident(_changed(i))) for i in range(len(compared))],
            *[exp.alias_(exp.Null(), ident(k)) for k in keys],
        )
        .from_(ident(PAIRS))
        .group_by(_col(KIND), several_old.copy(), several_new.copy())
    )
    order = [exp.Ordered(this=_col(k), nulls_first=False) for k in keys]
    window = exp.Window(this=exp.RowNumber(), partition_by=[_col(KIND)], order=exp.Order(expressions=order))
    sampled = (
        exp.select(
            exp.alias_(exp.Literal.string("sample"), ident(PART)),
            _col(KIND),
            *[exp.alias_(exp.Null(), ident(name)) for name in ("MJ_SEVERAL_OLD", "MJ_SEVERAL_NEW", "MJ_KEYS")],
            *[exp.alias_(exp.Null(), ident(name)) for name in ("OLD_ROWS", "NEW_ROWS")],
            *[exp.alias_(exp.Null(), ident(_changed(i))) for i in range(len(compared))],
            *[_col(k) for k in keys],
        )
        .from_(ident(PAIRS))
        .where(exp.In(this=_col(KIND), expressions=[exp.Literal.string(k) for k in SAMPLE_KINDS]))
        .qualify(exp.LTE(this=window, expression=exp.Literal.number(samples)))
    )
    statement = (
        exp.union(summary, sampled, distinct=False)
        .with_(ident(OLD), as_=old)
        .with_(ident(NEW), as_=new)
        .with_(ident(PAIRS), as_=pairs)
    )
    return render(statement)


@dataclass(frozen=True)
class DiffResult:
    counts: dict[str, int]  # COUNTS
    changed_by_column: list[int]  # per compared column, in order: keys whose value changed
    samples: dict[str, list[tuple[Any, ...]]]  # kind -> key values, as the rows of the statement give them


def summarize(rows: Sequence[Sequence[Any]], keys: int, compared: int) -> DiffResult:
    """The figures of `diff_statement`'s rows: its count rows added up, its sample rows by kind."""
    counts = dict.fromkeys(COUNTS, 0)
    changed = [0] * compared
    samples: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        part, kind, several_old, several_new, n, old_rows, new_rows = row[:7]
        if part == "sample":
            samples.setdefault(kind, []).append(tuple(row[7 + compared : 7 + compared + keys]))
            continue
        n, old_rows, new_rows = int(n), int(old_rows or 0), int(new_rows or 0)
        counts["OLD_ROWS"] += old_rows
        counts["NEW_ROWS"] += new_rows
        if kind == "added":
            counts["ADDED_KEYS"] += n
            counts["ADDED_ROWS"] += new_rows
        elif kind == "removed":
            counts["REMOVED_KEYS"] += n
            counts["REMOVED_ROWS"] += old_rows
        elif kind == "changed":
            counts["CHANGED"] += n
            changed = [total + int(v or 0) for total, v in zip(changed, row[7 : 7 + compared], strict=True)]
        elif kind == "same":
            counts["SAME"] += n
        elif kind == "duplicate":
            counts["NOT_COMPARED_KEYS"] += n
        elif kind == "null_key_old":
            counts["NULL_KEY_ROWS_OLD"] += old_rows
        elif kind == "null_key_new":
            counts["NULL_KEY_ROWS_NEW"] += new_rows
        if several_old and kind != "null_key_old":
            counts["DUPLICATE_KEYS_OLD"] += n
            counts["DUPLICATE_ROWS_OLD"] += old_rows
        if several_new and kind != "null_key_new":
            counts["DUPLICATE_KEYS_NEW"] += n
            counts["DUPLICATE_ROWS_NEW"] += new_rows
    return DiffResult(counts, changed, samples)


def _output(query: exp.Expr) -> exp.Subquery:
    return exp.Subquery(this=query.copy(), alias=exp.TableAlias(this=ident("MODEL_OUTPUT")))


def count_query_rows(query: exp.Expr) -> str:
    """How many rows a query returns: the whole diff when the target does not exist yet."""
    return render(exp.select(exp.Count(this=exp.Star())).from_(_output(query)))
