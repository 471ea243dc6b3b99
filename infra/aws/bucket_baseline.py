"""The settings every Slipstack bucket gets, declared as children of the component that owns the bucket.

pulumi-aws 7 splits a bucket's settings into separate resources; the artifact bucket and the access-log
bucket both need the same private baseline: all four public-access blocks, BucketOwnerEnforced (no ACLs),
versioning, default encryption and a bucket policy. Declaring them in one place keeps the two from drifting
apart (the policy pack checks each of them: S3-PAB, S3-NO-ACL, S3-VERSIONING, S3-SSE-KMS, S3-TLS-ONLY).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws


def deny_insecure_transport_statement(bucket_arn: str) -> dict[str, Any]:
    """The statement that refuses any request made without TLS, on the bucket and every object in it."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def tls_only_bucket_policy(bucket_arn: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [deny_insecure_transport_statement(bucket_arn)]})


@dataclass(frozen=True)
class BucketBaseline:
    public_access_block: aws.s3.BucketPublicAccessBlock
    versioning: aws.s3.BucketVersioning


def declare_bucket_baseline(
    name: str,
    bucket: aws.s3.Bucket,
    parent: pulumi.Resource,
    *,
    encryption_rule: aws.s3.BucketServerSideEncryptionConfigurationRuleArgsDict,
    policy: pulumi.Input[str],
) -> BucketBaseline:
    """Declare the private baseline of `bucket`, named `<name>-...`, as children of `parent`."""
    on_bucket = pulumi.ResourceOptions(parent=parent, depends_on=[bucket])
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access-block",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=on_bucket,
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=on_bucket
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=on_bucket
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption", bucket=bucket.id, rules=[encryption_rule], opts=on_bucket
    )
    aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=policy,
        # A policy put before the public access block could be judged public and rejected.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[bucket, public_access]),
    )
    return BucketBaseline(public_access_block=public_access, versioning=versioning)
