"""Asset keys: how models, source tables and deployments are named in Dagster."""

from __future__ import annotations

from dagster import AssetKey

from model_jobs.identifiers import TableName


def model_key(model: str) -> AssetKey:
    return AssetKey([model])


def source_key(table: TableName) -> AssetKey:
    return AssetKey([part.lower() for part in table.parts])


def deployment_key(model: str) -> AssetKey:
    return AssetKey(["deployments", model])
