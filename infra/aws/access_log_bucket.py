"""The stack's access-log bucket: receives S3 server access logs and load balancer access logs.

Creates: `aws.s3.Bucket`, BucketPublicAccessBlock (all four flags), BucketOwnershipControls
(BucketOwnerEnforced: no ACLs), BucketVersioning, BucketServerSideEncryptionConfiguration (SSE-S3),
BucketPolicy (TLS only; log delivery by the S3 logging and ELB log services, for this account only)
and a BucketLifecycleConfiguration that expires logs after `retention_days`.

Why SSE-S3 and not the model's KMS key: S3 server access logging and ALB access logs can only be
delivered to buckets encrypted with SSE-S3 (AWS rejects SSE-KMS targets). Its encryption settings
resource cannot carry an exemption tag, so the pack's reasoned exemption is scoped to this component
type (policies/framework_exemptions.py): every stack passes without a per-stack policy config entry.
A log bucket does not log to itself (S3-ACCESS-LOGS exempts it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from contracts.type_tokens import ACCESS_LOG_BUCKET
from infra.aws.bucket_baseline import declare_bucket_baseline, deny_insecure_transport_statement

# Regions that predate the ELB log-delivery service principal deliver ALB logs from these accounts.
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "ca-central-1": "985666609251", "eu-central-1": "054676820928",
    "eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-west-3": "009996457667",
    "eu-north-1": "897822967062", "ap-south-1": "718504428378", "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887", "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
    "sa-east-1": "507241528517",
}
S3_LOG_PREFIX = "s3/"
ALB_LOG_PREFIX = "alb"


@dataclass(frozen=True)
class AccessLogBucketArgs:
    bucket_name: str
    account_id: pulumi.Input[str]
    region: str
    retention_days: int = 365
    tags: dict[str, str] = field(default_factory=dict)


def access_log_bucket_policy(bucket_arn: str, account: str, region: str) -> str:
    elb_principal: dict[str, str] = (
        {"AWS": f"arn:aws:iam::{ELB_LOG_ACCOUNTS[region]}:root"}
        if region in ELB_LOG_ACCOUNTS
        else {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    )
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                deny_insecure_transport_statement(bucket_arn),
                {
                    "Sid": "S3ServerAccessLogDelivery",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"{bucket_arn}/{S3_LOG_PREFIX}*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                },
                {
                    "Sid": "LoadBalancerAccessLogDelivery",
                    "Effect": "Allow",
                    "Principal": elb_principal,
                    "Action": "s3:PutObject",
                    "Resource": f"{bucket_arn}/{ALB_LOG_PREFIX}/AWSLogs/{account}/*",
                },
            ],
        }
    )


class AccessLogBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket

    def __init__(self, name: str, args: AccessLogBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(ACCESS_LOG_BUCKET, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            force_destroy=False,
            tags=dict(args.tags),
            opts=child,
        )
        declare_bucket_baseline(
            name,
            self.bucket,
            self,
            encryption_rule={"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}},
            policy=pulumi.Output.all(self.bucket.arn, args.account_id).apply(
                lambda values: access_log_bucket_policy(values[0], values[1], args.region)
            ),
        )
        on_bucket = pulumi.ResourceOptions(parent=self, depends_on=[self.bucket])
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=[
                {
                    "id": "expire-logs",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": args.retention_days},
                    "noncurrent_version_expiration": {"noncurrent_days": 30},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            opts=on_bucket,
        )
        self.register_outputs({"bucket": self.bucket.bucket, "arn": self.bucket.arn})
