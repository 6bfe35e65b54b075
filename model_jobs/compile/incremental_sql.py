"""SQL of an incremental run. Pure: names in, statements out.

Column and table names are emitted as quoted identifiers by sqlglot; the only values are the
watermark cutoff, read from the target itself and rendered as a typed literal by sqlglot, and the
lookback, a number of seconds from a validated spec.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlglot import exp

from model_jobs.compile.sql import render, tables_of_schema
from model_jobs.identifiers import DIALECT, TableName, ident

OUTPUT = "MODEL_OUTPUT"  # alias of the model query inside the staging statement
STAGE_PREFIX = "MJ_STAGE_"


def _stage_prefix(target: TableName) -> str:
    # The target's name keeps stages of different jobs in one schema apart (cut so the whole
    # name stays within Snowflake's 255 characters).
    return f"{STAGE_PREFIX}{target.table[:200]}_"


def stage_table(target: TableName, created: datetime, suffix: str) -> TableName:
    """The staging table of one run, next to the target: MJ_STAGE_<TARGET>_<unix seconds>_<suffix>.
    The creation time in the name is how a later run knows a stage was left by a killed run."""
    return TableName(target.database, target.schema, f"{_stage_prefix(target)}{int(created.timestamp())}_{suffix}")


def stages_of(target: TableName) -> exp.Subquery:
    """The names of the target's staging tables, comma-separated, as a scalar subquery (schema
    and prefix are validated names, compared as string literals sqlglot escapes)."""
    names = exp.func("LISTAGG", exp.column("TABLE_NAME"), exp.Literal.string(","))
    staged = exp.func("STARTSWITH", exp.column("TABLE_NAME"), exp.Literal.string(_stage_prefix(target)))
    return tables_of_schema(target, names, staged)


def stale_stages(target: TableName, names: str | None, now: datetime, older_than: timedelta) -> list[TableName]:
    """Staging tables of this target created before `now - older_than`: left by runs that were
    killed before they could drop them. Names that do not parse are left alone."""
    stale = []
    pattern = re.compile(re.escape(_stage_prefix(target)) + r"([0-9]{1,12})_[0-9A-Z]+")
    for name in (names or "").split(","):
        match = pattern.fullmatch(name)
        if match and datetime.fromtimestamp(int(match.group(1)), tz=UTC) < now - older_than:
            stale.append(TableName(target.database, target.schema, name))
    return stale


def column(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def literal(value: object) -> exp.Expr:
    """A watermark value as an SQL literal (the value comes from the target, not a spec).

    Dates and timestamps are written as strings: compared with a date or timestamp column, both
    Snowflake and the embedded one read them as that column's type, which keeps the comparison
    a constant the warehouse can prune with (and avoids casts the embedded Snowflake rewrites
    into functions that only exist when the session has a current database). An SQL expression
    is kept as it is: `model-jobs render` passes a placeholder for the value a run reads."""
    if isinstance(value, exp.Expr):
        return value
    if isinstance(value, datetime):
        return exp.Literal.string(value.isoformat(sep=" "))
    if isinstance(value, date):
        return exp.Literal.string(value.isoformat())
    if isinstance(value, float) and not math.isfinite(value):
        # Snowflake's spelling of the special values, as strings it casts like the dates above;
        # written bare they would read as column names.
        return exp.Literal.string("NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def target_state(table: TableName, watermark: str) -> exp.Select:
    """One row: the target's highest watermark, how many rows have one, and its row count.

    Rows are counted apart from watermarks because an empty MAX is not always NULL on the way
    back (the embedded Snowflake returns a NULL timestamp as 1970-01-01)."""
    return exp.select(
        exp.alias_(exp.Max(this=column(watermark)), ident("WATERMARK")),
        exp.alias_(exp.Count(this=column(watermark)), ident("ROWS_WITH_WATERMARK")),
        exp.alias_(exp.Count(this=exp.Star()), ident("ROWS")),
    ).from_(table.to_sqlglot())


def create_stage(stage: TableName, query: exp.Expr, watermark: str, cutoff: object) -> str:
    """Materialize the model's new rows once: the cutoff filter sits right on the model query, so
    the warehouse can prune what it reads."""
    select = (
        exp.select("*")
        .from_(exp.Subquery(this=query.copy(), alias=exp.TableAlias(this=ident(OUTPUT))))
        .where(exp.GTE(this=column(watermark, OUTPUT), expression=literal(cutoff)))
    )
    return render(exp.Create(this=stage.to_sqlglot(), kind="TABLE", replace=True, expression=select))


def stage_stats(stage: TableName, watermark: str, unique_key: tuple[str, ...]) -> str:
    """One row: staged rows, their highest watermark, duplicated keys, rows with a NULL key."""
    keys = [column(k) for k in unique_key]
    duplicates = (
        exp.select(exp.Count(this=exp.Star()))
        .from_(
            exp.select(*keys)
            .from_(stage.to_sqlglot())
            .group_by(*keys)
            .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
            .subquery("D")
        )
        .subquery()
        if keys
        else exp.Literal.number(0)
    )
    null_keys = (
        exp.func("COUNT_IF", exp.or_(*[exp.Is(this=k.copy(), expression=exp.Null()) for k in keys]))
        if keys
        else exp.Literal.number(0)
    )
    return render(
        exp.select(
            exp.Count(this=exp.Star()),
            exp.Max(this=column(watermark)),
            duplicates,
            null_keys,
        ).from_(stage.to_sqlglot())
    )


def duplicate_keys(stage: TableName, unique_key: tuple[str, ...], limit: int = 10) -> str:
    keys = [column(k) for k in unique_key]
    count = exp.Count(this=exp.Star())
    return render(
        exp.select(*keys, exp.alias_(count, ident("DUPLICATES")))
        .from_(stage.to_sqlglot())
        .group_by(*keys)
        .having(exp.GT(this=count.copy(), expression=exp.Literal.number(1)))
        .order_by(exp.Ordered(this=column("DUPLICATES"), desc=True))
        .limit(limit)
    )


def _key_match(unique_key: tuple[str, ...], left: str, right: str) -> exp.Expr:
    return exp.and_(*[exp.EQ(this=column(k, left), expression=column(k, right)) for k in unique_key])


def merge(target: TableName, stage: TableName, columns: list[str], unique_key: tuple[str, ...]) -> str:
    updates = [exp.EQ(this=column(c, "T"), expression=column(c, "S")) for c in columns if c not in unique_key]
    when = [
        exp.When(
            matched=False,
            then=exp.Insert(
                this=exp.Tuple(expressions=[column(c) for c in columns]),
                expression=exp.Tuple(expressions=[column(c, "S") for c in columns]),
            ),
        )
    ]
    if updates:
        when.insert(0, exp.When(matched=True, then=exp.Update(expressions=updates)))
    statement = exp.Merge(
        this=target.to_sqlglot(alias="T"),
        using=stage.to_sqlglot(alias="S"),
        on=_key_match(unique_key, "T", "S"),
        whens=exp.Whens(expressions=when),
    )
    return render(statement)


def delete_matching(target: TableName, stage: TableName, unique_key: tuple[str, ...]) -> str:
    keys = exp.select(*[column(k) for k in unique_key]).distinct().from_(stage.to_sqlglot())
    return render(
        exp.Delete(
            this=target.to_sqlglot(alias="T"),
            using=[exp.Subquery(this=keys, alias=exp.TableAlias(this=ident("S")))],
            where=exp.Where(this=_key_match(unique_key, "T", "S")),
        )
    )


def insert(
    target: TableName,
    stage: TableName,
    columns: list[str],
    unless_present_on: tuple[str, ...] = (),
    cutoff: object = None,
    watermark: str | None = None,
) -> str:
    """INSERT the staged rows; with `unless_present_on`, skip rows whose columns already match a
    target row at or after the cutoff (what append re-reads must not be inserted twice)."""
    select = exp.select(*[column(c, "S") for c in columns]).from_(stage.to_sqlglot(alias="S"))
    if unless_present_on:
        if watermark is None:
            raise ValueError("insert: unless_present_on needs the watermark column the cutoff applies to")
        same = [exp.NullSafeEQ(this=column(c, "T"), expression=column(c, "S")) for c in unless_present_on]
        present = (
            exp.select(exp.Literal.number(1))
            .from_(target.to_sqlglot(alias="T"))
            .where(exp.and_(exp.GTE(this=column(watermark, "T"), expression=literal(cutoff)), *same))
        )
        select = select.where(exp.Not(this=exp.Exists(this=present)))
    into = exp.Schema(this=target.to_sqlglot(), expressions=[ident(c) for c in columns])
    return render(exp.Insert(this=into, expression=select))


def add_column(target: TableName, name: str, data_type: str) -> str:
    return render(
        exp.Alter(
            this=target.to_sqlglot(),
            kind="TABLE",
            actions=[exp.ColumnDef(this=ident(name), kind=exp.DataType.build(data_type, dialect=DIALECT))],
        )
    )


def drop_column(target: TableName, name: str) -> str:
    return render(
        exp.Alter(
            this=target.to_sqlglot(),
            kind="TABLE",
            actions=[exp.Drop(tables=[exp.Column(this=ident(name))], kind="COLUMN")],
        )
    )


def drop_table(table: TableName) -> str:
    return render(exp.Drop(tables=[table.to_sqlglot()], kind="TABLE", exists=True))
