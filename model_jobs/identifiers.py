"""Snowflake identifiers as the specs may use them.

Spec values end up in SQL only as quoted identifiers, so they are restricted to the
unquoted-identifier alphabet and normalised to upper case: the quoted form then names the same
object Snowflake resolves for the unquoted form, and nothing a user types can escape the quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from model_jobs.errors import InvalidIdentifier

DIALECT = "snowflake"  # every statement is parsed and written in Snowflake's dialect
IDENTIFIER_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,254}$")
IDENTIFIER_RULE = "letters, digits, '_' and '$', starting with a letter or '_' (at most 255)"


def normalize_identifier_or_none(value: str) -> str | None:
    """The canonical spelling, or None when `value` is not a valid identifier."""
    try:
        return normalize_identifier(value)
    except InvalidIdentifier:
        return None


def normalize_identifier(value: str) -> str:
    """Validate one identifier and return its canonical (upper-case) spelling."""
    if not isinstance(value, str) or not IDENTIFIER_PATTERN.fullmatch(value):
        raise InvalidIdentifier(f"{value!r} is not a valid Snowflake identifier: use {IDENTIFIER_RULE}")
    return value.upper()


def ident(name: str) -> exp.Identifier:
    """A name as a quoted identifier: emitted exactly as validated, never interpreted."""
    return exp.to_identifier(name, quoted=True)


@dataclass(frozen=True, order=True)
class TableName:
    """A fully qualified table: DATABASE.SCHEMA.TABLE, each part normalised."""

    database: str
    schema: str
    table: str

    @classmethod
    def parse(cls, text: str) -> TableName:
        parts = text.split(".") if isinstance(text, str) else []
        if len(parts) != 3:
            raise InvalidIdentifier(f"{text!r} is not a table name: use DATABASE.SCHEMA.TABLE")
        return cls(*(normalize_identifier(p) for p in parts))

    @property
    def parts(self) -> tuple[str, str, str]:
        return (self.database, self.schema, self.table)

    def __str__(self) -> str:
        return ".".join(self.parts)

    def to_sqlglot(self, alias: str | None = None) -> exp.Table:
        table = exp.Table(
            this=ident(self.table),
            db=ident(self.schema),
            catalog=ident(self.database),
        )
        if alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        return table

    def sql(self) -> str:
        """The quoted, fully qualified name, ready to stand in a statement."""
        return self.to_sqlglot().sql(dialect=DIALECT)


def parse_location(text: str) -> tuple[str, ...]:
    """A database, schema or table location (1 to 3 dotted parts), normalised."""
    parts = text.split(".") if isinstance(text, str) else []
    if not 1 <= len(parts) <= 3:
        raise InvalidIdentifier(f"{text!r} is not a location: use DATABASE, DATABASE.SCHEMA or DATABASE.SCHEMA.TABLE")
    return tuple(normalize_identifier(p) for p in parts)
