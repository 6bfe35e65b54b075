"""Column lineage as Dagster metadata, on each model's definition and on each materialization.

`dagster/column_lineage` (a TableColumnLineage in asset keys: an upstream model by its model, a
source by its design location) is what Dagster reads for column lineage; its UI draws it as a
graph in Dagster+ only. The open-source UI (1.13) lists it as JSON among a materialization's
metadata, and shows `dagster/column_schema` as the Columns table of the asset's overview: so each
column's description there says where the column comes from, linking the upstream asset, and a
person follows a column from asset to asset down to the raw table in any Dagster UI.

The overview shows the latest materialization's columns, with the definition's description of a
column where it has one. The definition's descriptions therefore hold for every environment: where
environments' tags give a column different origins, its description lists each one.
"""

from __future__ import annotations

from typing import Any

from dagster import AssetKey, MetadataValue, TableColumn, TableColumnDep, TableColumnLineage, TableSchema

from model_jobs.compile.compiled_project import CompiledProject, ResolvedJob
from model_jobs.compile.lineage import OutputColumn, QueryLineage
from model_jobs.compile.model_lineage import ModelLineage
from model_jobs.defs.keys import model_key, source_key
from model_jobs.identifiers import TableName

COLUMN_LINEAGE = "dagster/column_lineage"
COLUMN_SCHEMA = "dagster/column_schema"
UNRESOLVED = "column_lineage_unresolved"  # column -> why its origins are not (all) known


class _Keys(dict[TableName, AssetKey]):
    def __missing__(self, table: TableName) -> AssetKey:
        # Every table of the SQL is one of the job's sources; should sqlglot ever spell one
        # differently, it is still named by its location rather than failing the run.
        return source_key(table)


def asset_keys(job: ResolvedJob) -> dict[TableName, AssetKey]:
    """The asset key of each table the job's SQL names."""
    keys = _Keys()
    for s in job.sources:
        keys[s.design] = model_key(s.upstream_model) if s.upstream_model else source_key(s.design)
    return keys


def lineage_metadata(job: ResolvedJob, lineage: QueryLineage) -> dict[str, Any]:
    keys = asset_keys(job)
    deps: dict[str, dict[TableColumnDep, None]] = {}
    for column in lineage.columns:  # a name can repeat (`SELECT *` over a join): their origins merge
        found = deps.setdefault(column.name, {})
        found.update((TableColumnDep(asset_key=keys[o.table], column_name=o.column), None) for o in column.origins)
    metadata: dict[str, Any] = {
        COLUMN_LINEAGE: TableColumnLineage(deps_by_column={name: list(d) for name, d in deps.items()})
    }
    if unresolved := lineage.unresolved():
        metadata[UNRESOLVED] = MetadataValue.json(unresolved)
    return metadata


def origin_text(column: OutputColumn, keys: dict[TableName, AssetKey]) -> str:
    """Where a column comes from, in Markdown: `← [orders_enriched](/assets/orders_enriched) ORDER_TOTAL`."""
    by_key: dict[AssetKey, list[str]] = {}
    for origin in column.origins:
        by_key.setdefault(keys[origin.table], []).append(origin.column)
    parts = [
        f"[{key.to_user_string()}](/assets/{'/'.join(key.path)}) {', '.join(cols)}" for key, cols in by_key.items()
    ]
    text = f"← {'; '.join(parts)}" if parts else ""
    if column.unresolved:
        return f"{text}; origin unknown: {column.unresolved}" if text else f"origin unknown: {column.unresolved}"
    return text or "from no column (constants only)"


def materialization_schema(job: ResolvedJob, columns: dict[str, str], lineage: QueryLineage | None) -> TableSchema:
    """The columns a run wrote, with their types and, where known, their origins."""
    keys = asset_keys(job)
    described = {c.name: origin_text(c, keys) for c in lineage.columns} if lineage else {}
    return TableSchema(
        columns=[TableColumn(name, type, description=described.get(name)) for name, type in columns.items()]
    )


def definition_metadata(project: CompiledProject, model: str, shown: ModelLineage) -> dict[str, Any]:
    """The definition environment's lineage and columns (names only: a run knows their types), each
    column described for every environment that has it."""
    job = project.job(model, shown.environment)
    keys = asset_keys(job)
    # Most environments run the definition's lineage (the same tag over the same columns: one
    # object, see LineageCache); only the others are compared column by column.
    others = {env: lineage for env, lineage in shown.by_environment.items() if lineage is not shown.lineage}
    by_name = {env: {c.name: c for c in lineage.columns} for env, lineage in others.items()}
    same = [env for env in shown.by_environment if env not in others]
    columns = []
    for column in {c.name: c for c in shown.lineage.columns}.values():
        texts: dict[str, list[str]] = {origin_text(column, keys): [*same]}  # origin text -> environments
        for env, named in by_name.items():
            if column.name in named:
                text = origin_text(named[column.name], asset_keys(project.job(model, env)))
                texts.setdefault(text, []).append(env)
        if len(texts) == 1:
            description = next(iter(texts))
        else:
            description = "\n\n".join(
                f"{', '.join(f'{e} ({project.job(model, e).tag.name})' for e in envs)}: {text}"
                for text, envs in texts.items()
            )
        columns.append(TableColumn(column.name, "", description=description))
    return {
        "column_lineage_of": f"{shown.environment} (tag {shown.tag}); each materialization records its own",
        COLUMN_SCHEMA: TableSchema(columns=columns),
        **lineage_metadata(job, shown.lineage),
    }
