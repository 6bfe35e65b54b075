"""Deployments as Dagster events: one external asset per model, partitioned by environment."""

from __future__ import annotations

from dagster import AssetMaterialization, AssetSpec, DagsterInstance, StaticPartitionsDefinition

from model_jobs.compile.compiled_project import CompiledProject
from model_jobs.defs.keys import deployment_key
from model_jobs.versioning.deploy import Deployment


def deployment_specs(project: CompiledProject) -> list[AssetSpec]:
    environments = StaticPartitionsDefinition(list(project.specs.environments))
    return [
        AssetSpec(
            key=deployment_key(model),
            description=f"Tags of model {model!r} as they are deployed (`model-jobs deploy`): each "
            "materialization is one new tag, in the partition of the environment it went live in.",
            group_name="deployments",
            partitions_def=environments,
        )
        for model in project.deployed_models
    ]


def report_deployment(instance: DagsterInstance, deployment: Deployment) -> None:
    instance.report_runless_asset_event(
        AssetMaterialization(
            asset_key=deployment_key(deployment.model),
            partition=deployment.design_environment,
            description=deployment.message,
            metadata={
                "tag": deployment.tag,
                "sql_sha256": deployment.sha256,
                "created": deployment.created,
                "message": deployment.message,
                "design_environment_follows": deployment.follows_latest,
            },
        )
    )


def report_named_deployment(
    instance: DagsterInstance, name: str, environment: str, version: str | None, message: str | None
) -> None:
    """What `model-jobs report-deployment` and Dagster's REST endpoint record: a deployment of
    `name` went live in `environment`. The Model Jobs dispatcher starts the jobs waiting for it."""
    instance.report_runless_asset_event(
        AssetMaterialization(
            asset_key=deployment_key(name),
            partition=environment,
            description=message or f"{name} deployed in {environment}",
            metadata={
                **({"version": version} if version else {}),
                **({"message": message} if message else {}),
                "reported_by": "model-jobs report-deployment",
            },
        )
    )
