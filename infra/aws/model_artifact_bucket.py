"""The S3 bucket holding a model's artifacts, captured data and async/batch results.

Creates: `aws.s3.Bucket` and its settings as separate resources (pulumi-aws 7): BucketPublicAccessBlock
(all four flags), BucketOwnershipControls (BucketOwnerEnforced, so ACLs are off), BucketVersioning
(Enabled), BucketServerSideEncryptionConfiguration (SSE-KMS with the model's key and bucket keys, which
cut KMS request costs for captured data), BucketPolicy (denies any request without TLS),
BucketLifecycleConfiguration (captured data and noncurrent versions expire) and, when a log bucket is
given, BucketLogging (server access logs, required in prod).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.aws.bucket_baseline import declare_bucket_baseline, tls_only_bucket_policy


@dataclass(frozen=True)
class ModelArtifactBucketArgs:
    bucket_name: str
    kms_key_arn: pulumi.Input[str]
    # Prefixes (without leading '/', with trailing '/') whose objects expire: captured requests, results.
    expiring_prefixes: tuple[str, ...] = ()
    expire_after_days: int = 365
    # Where server access logs go; None leaves logging off (dev/staging may skip it, prod must not).
    access_log_bucket: pulumi.Input[str] | None = None
    access_log_prefix: str = ""
    tags: dict[str, str] = field(default_factory=dict)


class ModelArtifactBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: ModelArtifactBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:ModelArtifactBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(f"{name}-bucket", bucket=args.bucket_name, tags=args.tags, opts=child)
        baseline = declare_bucket_baseline(
            name,
            self.bucket,
            self,
            # SSE-KMS with the model's key; bucket keys cut the KMS requests captured data would cost.
            encryption_rule={
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": args.kms_key_arn,
                },
                "bucket_key_enabled": True,
            },
            policy=self.bucket.arn.apply(tls_only_bucket_policy),
        )
        on_bucket = pulumi.ResourceOptions(parent=self, depends_on=[self.bucket])
        rules: list[Any] = [
            {
                "id": "expire-noncurrent-versions",
                "status": "Enabled",
                "filter": {},
                "noncurrent_version_expiration": {"noncurrent_days": args.expire_after_days},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
            }
        ]
        for index, prefix in enumerate(args.expiring_prefixes):
            rules.append(
                {
                    "id": f"expire-{index}-{prefix.strip('/').replace('/', '-')}"[:255],
                    "status": "Enabled",
                    "filter": {"prefix": prefix},
                    "expiration": {"days": args.expire_after_days},
                }
            )
        # Lifecycle rules on noncurrent versions need versioning in place first.
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=rules,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket, baseline.versioning]),
        )
        if args.access_log_bucket is not None:
            aws.s3.BucketLogging(
                f"{name}-logging",
                bucket=self.bucket.id,
                target_bucket=args.access_log_bucket,
                target_prefix=args.access_log_prefix,
                opts=on_bucket,
            )
        self.name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"bucket": self.name, "arn": self.arn})
