"""Decide, per Model Job, which location each referenced table is read from. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from model_jobs.identifiers import TableName, parse_location

Via = Literal["model", "table mapping", "schema mapping", "database mapping", "as written"]


@dataclass(frozen=True)
class SourceRead:
    design: TableName  # the table as the tag's SQL names it
    actual: TableName  # the table this job reads
    via: Via
    upstream_model: str | None = None  # set when the table is another model's target

    def to_metadata(self) -> dict[str, str]:
        data = {"design": str(self.design), "read": str(self.actual), "via": self.via}
        if self.upstream_model:
            data["model"] = self.upstream_model
        return data


class UnresolvedUpstream(ValueError):
    def __init__(self, table: TableName, upstream: str):
        super().__init__(table, upstream)
        self.table = table
        self.upstream = upstream


def parsed_mapping(mapping: dict[str, str]) -> dict[tuple[str, ...], tuple[str, ...]]:
    return {parse_location(k): parse_location(v) for k, v in mapping.items()}


def resolve_table(
    table: TableName,
    mapping: dict[tuple[str, ...], tuple[str, ...]],
    design_targets: dict[TableName, str],
    env_targets: dict[str, TableName],
    model: str,
) -> SourceRead:
    """Where `table` is read from in one environment.

    Precedence: an explicit table-level mapping; then another model's design target, which
    follows that model into this environment; then schema-, then database-level mapping.
    """
    parts = table.parts
    if parts in mapping:
        return SourceRead(table, TableName(*mapping[parts]), "table mapping")
    upstream = design_targets.get(table)
    if upstream is not None and upstream != model:
        if upstream not in env_targets:
            raise UnresolvedUpstream(table, upstream)
        return SourceRead(table, env_targets[upstream], "model", upstream)
    if parts[:2] in mapping:
        database, schema = mapping[parts[:2]]
        return SourceRead(table, TableName(database, schema, table.table), "schema mapping")
    if parts[:1] in mapping:
        (database,) = mapping[parts[:1]]
        return SourceRead(table, TableName(database, table.schema, table.table), "database mapping")
    return SourceRead(table, table, "as written")
