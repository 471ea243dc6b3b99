"""The ECR repository of the model-server image: the image the monitoring jobs (and the cluster) run.

Creates: `aws.kms.Key` + `aws.kms.Alias` (the repository's own customer-managed key, rotation on) and
`aws.ecr.Repository` with immutable tags (a tag names one image forever, so a tag and its digest can
never disagree), scan on push (every pushed image is checked for known CVEs before anything runs it)
and KMS encryption with that key. Pullers need no KMS permission: ECR decrypts layers through a grant
it holds on the key.

`image_reference(repository_url, digest)` is how consumers name the image: by digest, never by tag,
so a job runs exactly the bytes that were scanned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra.aws.model_kms_key import ModelKmsKey, ModelKmsKeyArgs

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def image_reference(repository_url: str, digest: str) -> str:
    """`<registry>/<repository>@sha256:<hex>`: the image by content, as Processing jobs and pods pull it."""
    if not DIGEST.fullmatch(digest):
        raise ValueError(f"image digest {digest!r} is not sha256:<64 hex digits>")
    return f"{repository_url}@{digest}"


@dataclass(frozen=True)
class ModelServerRepositoryArgs:
    repository_name: str  # e.g. "slipstack/model-server"
    account_id: pulumi.Input[str]
    region: str
    key_alias: str  # without "alias/"
    tags: dict[str, str] = field(default_factory=dict)


class ModelServerRepository(pulumi.ComponentResource):
    repository: aws.ecr.Repository
    key: ModelKmsKey

    def __init__(self, name: str, args: ModelServerRepositoryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:ModelServerRepository", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.key = ModelKmsKey(
            f"{name}-kms",
            ModelKmsKeyArgs(
                alias=args.key_alias,
                account_id=args.account_id,
                region=args.region,
                description=f"Slipstack: layers of the {args.repository_name} images",
                tags=args.tags,
            ),
            opts=child,
        )
        self.repository = aws.ecr.Repository(
            f"{name}-repository",
            name=args.repository_name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": self.key.arn}],
            # Jobs reference images by digest: deleting the repository with images in it would break them.
            force_delete=False,
            tags=args.tags,
            opts=child,
        )
        self.register_outputs({"arn": self.repository.arn, "repository_url": self.repository.repository_url})
