"""The SQL of a data diff: a target table against a query's rows, matched by key. Pure: one
statement built as a syntax tree from validated identifiers; tested by string equality.

Both sides are first grouped by the key, so a key that occurs several times cannot multiply rows
in the join: each side contributes one row per key, with how many rows had it. The join then
sorts every key into one kind:

- `removed`: only in the target (all its rows); `added`: only in the query's result;
- `changed` / `same`: one row on each side, compared column by column, NULL equal to NULL;
- `duplicate`: on both sides, but more than one row on one of them: not compared, reported;
- `null_key_old` / `null_key_new`: rows with a NULL in a key column, which match nothing.

The statement returns one `summary` row of counts, then up to `samples` keys of each kind that
is not `same`: rows of the query are never pulled out beyond those keys.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from model_jobs.compile.sql import render
from model_jobs.identifiers import TableName, ident

OLD, NEW, PAIRS, STATS = "MJ_OLD", "MJ_NEW", "MJ_PAIRS", "MJ_STATS"
ROWS, NULL_KEY, KIND = "MJ_ROWS", "MJ_NULL_KEY", "MJ_KIND"
SAMPLE_KINDS = ("added", "removed", "changed", "duplicate")
# The summary row's counts, in the order the statement returns them (after the kind and the keys).
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


def _count_if(condition: exp.Expr) -> exp.Expr:
    return exp.func("COUNT_IF", condition)


def _sum_if(condition: exp.Expr, value: exp.Expr) -> exp.Expr:
    return exp.func(
        "COALESCE", exp.Sum(this=exp.func("IFF", condition, value, exp.Literal.number(0))), exp.Literal.number(0)
    )


def _is(kind: str) -> exp.Expr:
    return exp.EQ(this=_col(KIND), expression=exp.Literal.string(kind))


def _is_not(kind: str) -> exp.Expr:
    return exp.NEQ(this=_col(KIND), expression=exp.Literal.string(kind))


def diff_statement(
    target: TableName, query: exp.Expr, keys: Sequence[str], compared: Sequence[str], samples: int = 5
) -> str:
    """One statement: a summary row (KIND 'summary', NULL keys, then COUNTS and a changed count
    per compared column), then up to `samples` rows per kind in SAMPLE_KINDS (the kind and its
    key, NULL counts). Keys and compared columns must exist on both sides."""
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
    old_rows, new_rows = _col("OLD_ROWS"), _col("NEW_ROWS")
    several_old = exp.GT(this=old_rows.copy(), expression=exp.Literal.number(1))
    several_new = exp.GT(this=new_rows.copy(), expression=exp.Literal.number(1))
    counts = {
        "OLD_ROWS": exp.func("COALESCE", exp.Sum(this=old_rows.copy()), exp.Literal.number(0)),
        "NEW_ROWS": exp.func("COALESCE", exp.Sum(this=new_rows.copy()), exp.Literal.number(0)),
        "ADDED_KEYS": _count_if(_is("added")),
        "ADDED_ROWS": _sum_if(_is("added"), new_rows.copy()),
        "REMOVED_KEYS": _count_if(_is("removed")),
        "REMOVED_ROWS": _sum_if(_is("removed"), old_rows.copy()),
        "CHANGED": _count_if(_is("changed")),
        "SAME": _count_if(_is("same")),
        "NOT_COMPARED_KEYS": _count_if(_is("duplicate")),
        "DUPLICATE_KEYS_OLD": _count_if(exp.and_(several_old, _is_not("null_key_old"))),
        "DUPLICATE_ROWS_OLD": _sum_if(exp.and_(several_old, _is_not("null_key_old")), old_rows.copy()),
        "DUPLICATE_KEYS_NEW": _count_if(exp.and_(several_new, _is_not("null_key_new"))),
        "DUPLICATE_ROWS_NEW": _sum_if(exp.and_(several_new, _is_not("null_key_new")), new_rows.copy()),
        "NULL_KEY_ROWS_OLD": _sum_if(_is("null_key_old"), old_rows.copy()),
        "NULL_KEY_ROWS_NEW": _sum_if(_is("null_key_new"), new_rows.copy()),
    }
    assert tuple(counts) == COUNTS
    summary = exp.select(
        exp.alias_(exp.Literal.string("summary"), ident(KIND)),
        *[exp.alias_(exp.Null(), ident(k)) for k in keys],
        *[exp.alias_(value, ident(name)) for name, value in counts.items()],
        *[exp.alias_(_sum_if(_is("changed"), _col(_changed(i))), ident(_changed(i))) for i in range(len(compared))],
    ).from_(ident(PAIRS))
    order = [exp.Ordered(this=_col(k), nulls_first=False) for k in keys]
    window = exp.Window(this=exp.RowNumber(), partition_by=[_col(KIND)], order=exp.Order(expressions=order))
    sampled = (
        exp.select(
            _col(KIND),
            *[_col(k) for k in keys],
            *[exp.alias_(exp.Null(), ident(name)) for name in COUNTS],
            *[exp.alias_(exp.Null(), ident(_changed(i))) for i in range(len(compared))],
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


def _output(query: exp.Expr) -> exp.Subquery:
    return exp.Subquery(this=query.copy(), alias=exp.TableAlias(this=ident("MODEL_OUTPUT")))


def count_query_rows(query: exp.Expr) -> str:
    """How many rows a query returns: the whole diff when the target does not exist yet."""
    return render(exp.select(exp.Count(this=exp.Star())).from_(_output(query)))
