"""The model registry entry of one model: a SageMaker model package group.

Creates: `aws.sagemaker.ModelPackageGroup`. Each published version becomes a model package in it, with
its approval status, so the versions, which one is approved and which one a rollback returns to are
visible in SageMaker. The version this stack deploys is recorded in the group's tags and in the stack
outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class ModelPackageGroupArgs:
    group_name: str
    description: str
    deployed_version: str
    tags: dict[str, str] = field(default_factory=dict)


class ModelPackageGroup(pulumi.ComponentResource):
    group: aws.sagemaker.ModelPackageGroup

    def __init__(self, name: str, args: ModelPackageGroupArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:ModelPackageGroup", name, None, opts)
        self.group = aws.sagemaker.ModelPackageGroup(
            f"{name}-group",
            model_package_group_name=args.group_name,
            model_package_group_description=args.description[:1024],
            tags=args.tags,  # the deployed version is the model-version tag (contracts.tags.MODEL_VERSION)
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"name": self.group.model_package_group_name})
