"""Asset keys: how models, source tables and deployments are named in Dagster."""

from __future__ import annotations

from dagster import AssetKey

from model_jobs.identifiers import TableName


def model_key(model: str) -> AssetKey:
    return AssetKey([model])


def source_key(table: TableName) -> AssetKey:
    return AssetKey([part.lower() for part in table.parts])


def deployment_key(name: str) -> AssetKey:
    """A model's deployments (its tags going live) or a deployment declared in upstream.yaml."""
    return AssetKey(["deployments", name])


def job_event_key(job_name: str) -> AssetKey:
    """Successful runs of a Dagster job that Model Jobs are triggered by."""
    return AssetKey(["upstream_jobs", job_name])
