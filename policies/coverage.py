"""What the pack covers, meaning by meaning, against the best-known rule sets (issue #22's audit).

Each `Meaning` is one thing a rule set checks (or the pack checks on its own), for the resource
types Slipstack's plans contain: the anchors that state it, and either the rules that cover it or
a reasoned exemption when it conflicts with a deliberate design choice or cannot apply to a
model-serving deployment. `before` records the audit's verdict on the pack before issue #22
("full", "part", "none", or "own" for the pack's own meanings), so the coverage report can show
before and after. `docs/policy-coverage.md` is rendered from this table and the rules
(`python -m policies.coverage`); a test checks the file is current.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from contracts import type_tokens as t
from policies.anchors import NAMED_RULES, anchor_kind
from policies.catalog import all_rules
from policies.rule import Rule

Before = Literal["full", "part", "none", "own"]
DOC = Path(__file__).resolve().parents[1] / "docs" / "policy-coverage.md"

S3_BUCKETS = frozenset({t.S3_BUCKET, t.S3_BUCKET_V2})
IAM_DOCS = frozenset({t.IAM_POLICY, t.IAM_ROLE_POLICY, t.IAM_ROLE})
SG = frozenset({t.EC2_SECURITY_GROUP, t.EC2_SECURITY_GROUP_RULE, t.VPC_SG_INGRESS_RULE, t.VPC_SG_EGRESS_RULE})
WL = t.K8S_WORKLOADS
RBAC = frozenset({t.K8S_ROLE, t.K8S_CLUSTER_ROLE})
BINDINGS = frozenset({t.K8S_ROLE_BINDING, t.K8S_CLUSTER_ROLE_BINDING})


@dataclass(frozen=True)
class Meaning:
    group: str
    types: frozenset[str]
    meaning: str
    anchors: tuple[str, ...]
    before: Before
    rules: tuple[str, ...] = ()
    exemption: str = ""


def _m(
    group: str,
    types: Iterable[str],
    meaning: str,
    anchors: tuple[str, ...],
    before: Before,
    rules: tuple[str, ...] = (),
    exemption: str = "",
) -> Meaning:
    return Meaning(group, frozenset(types), meaning, anchors, before, rules, exemption)


MEANINGS: tuple[Meaning, ...] = (
    # --- S3
    _m(
        "S3",
        S3_BUCKETS | {t.S3_PUBLIC_ACCESS_BLOCK},
        "public access block with all four flags",
        ("cdk-nag AwsSolutions-S2", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"),
        "full",
        ("S3-PAB",),
    ),
    _m(
        "S3",
        {t.S3_BUCKET_ACL, t.S3_OWNERSHIP_CONTROLS},
        "no public ACL; ACLs disabled (BucketOwnerEnforced)",
        ("CKV_AWS_20", "compliance-policies aws/s3/Bucket/disallowPublicRead"),
        "full",
        ("S3-NO-ACL",),
    ),
    _m(
        "S3",
        S3_BUCKETS | {t.S3_BUCKET_POLICY},
        "bucket policy denies non-TLS requests",
        ("cdk-nag AwsSolutions-S10",),
        "full",
        ("S3-TLS-ONLY",),
    ),
    _m(
        "S3",
        {t.S3_BUCKET_POLICY},
        "bucket policy allows nothing to Principal *",
        ("CKV_AWS_70",),
        "full",
        ("S3-POLICY-PUBLIC",),
    ),
    _m(
        "S3",
        {t.S3_SSE},
        "default encryption SSE-KMS",
        ("cdk-nag NIST.800.53.R5-S3DefaultEncryptionKMS", "CKV_AWS_145"),
        "full",
        ("S3-SSE-KMS",),
    ),
    _m(
        "S3",
        {t.S3_SSE},
        "SSE with a customer-managed key (not aws/s3)",
        ("compliance-policies aws/s3/Bucket/configureServerSideEncryptionCustomerManagedKey",),
        "part",
        ("S3-SSE-KMS",),
    ),
    _m(
        "S3",
        {t.S3_SSE},
        "S3 Bucket Key with SSE-KMS",
        ("AWS docs: S3 Bucket Keys (fewer KMS calls, same key)",),
        "own",
        ("S3-BUCKET-KEY",),
    ),
    _m(
        "S3",
        {t.S3_VERSIONING},
        "versioning enabled",
        ("CKV_AWS_21", "cdk-nag NIST.800.53.R5-S3BucketVersioningEnabled"),
        "full",
        ("S3-VERSIONING",),
    ),
    _m(
        "S3",
        S3_BUCKETS,
        "server access logging",
        ("cdk-nag AwsSolutions-S1", "CKV_AWS_18", "awsguard s3-bucket-logging-enabled"),
        "full",
        ("S3-ACCESS-LOGS",),
    ),
    _m(
        "S3",
        S3_BUCKETS,
        "object lock by default",
        ("CKV_AWS_143", "cdk-nag NIST.800.53.R4-S3BucketDefaultLockEnabled"),
        "none",
        exemption=(
            "Design: captured inference data and drift results expire by lifecycle (and must be erasable on request, "
            "data-protection duty); Object Lock would forbid both. Versioning, KMS and the TLS/PAB rules protect the "
            "artifacts instead."
        ),
    ),
    _m(
        "S3",
        S3_BUCKETS,
        "cross-region replication",
        (
            "CKV_AWS_144",
            "cdk-nag NIST.800.53.R5-S3BucketReplicationEnabled",
            "compliance-policies aws/s3/Bucket/enableReplicationConfiguration",
        ),
        "none",
        exemption=(
            "Design: model data is confidential and pinned to its region (DATA-RESTRICTED-CLOUD, data residency); "
            "replicating it to a second region is what the pack forbids. Artifacts are rebuilt from the registry and "
            "versioned in place."
        ),
    ),
    _m("S3", S3_BUCKETS, "lifecycle configuration present", ("CKV2_AWS_61",), "none", ("S3-LIFECYCLE",)),
    _m(
        "S3",
        {t.S3_LIFECYCLE},
        "lifecycle aborts incomplete multipart uploads",
        ("CKV_AWS_300",),
        "none",
        ("S3-LIFECYCLE-ABORT",),
    ),
    _m(
        "S3",
        S3_BUCKETS,
        "event notifications",
        ("CKV2_AWS_62",),
        "none",
        exemption=(
            "Not applicable: no consumer reacts to object events; the drift and quality jobs read the capture on a "
            "schedule, and access is audited by server access logs (S3-ACCESS-LOGS)."
        ),
    ),
    _m(
        "S3",
        {t.S3_BUCKET_POLICY},
        "bucket policy does not lock out all but root",
        ("CKV_AWS_93",),
        "none",
        ("S3-POLICY-LOCKOUT",),
    ),
    # --- KMS
    _m(
        "KMS",
        {t.KMS_KEY},
        "rotation of symmetric keys",
        (
            "cdk-nag AwsSolutions-KMS5",
            "CKV_AWS_7",
            "awsguard cmk-backing-key-rotation-enabled",
            "compliance-policies aws/kms/Key/enableKeyRotation",
        ),
        "full",
        ("KMS-ROTATION",),
    ),
    _m(
        "KMS",
        {t.KMS_KEY},
        "key policy: no unconditioned Principal *, lockout safety check kept",
        ("CKV_AWS_33", "compliance-policies aws/kms/Key/disallowBypassPolicyLockoutSafetyCheck"),
        "full",
        ("KMS-POLICY",),
    ),
    _m("KMS", {t.KMS_KEY}, "key policy explicitly defined", ("CKV2_AWS_64",), "none", ("KMS-POLICY",)),
    _m("KMS", {t.KMS_KEY}, "key is enabled", ("CKV_AWS_227",), "none", ("KMS-ENABLED",)),
    _m(
        "KMS",
        {t.KMS_KEY},
        "key has a description",
        ("compliance-policies aws/kms/Key/missingDescription",),
        "none",
        ("KMS-DESCRIPTION",),
    ),
    # --- IAM
    _m(
        "IAM",
        IAM_DOCS,
        "no Action * on Resource *",
        ("CKV_AWS_62", "cdk-nag NIST.800.53.R5-IAMPolicyNoStatementsWithAdminAccess"),
        "full",
        ("IAM-NO-ADMIN",),
    ),
    _m(
        "IAM",
        IAM_DOCS,
        "no wildcard actions",
        ("cdk-nag AwsSolutions-IAM5", "CKV_AWS_63"),
        "full",
        ("IAM-WILDCARD-ACTION",),
    ),
    _m(
        "IAM",
        IAM_DOCS,
        "no Resource * on scopable actions",
        ("cdk-nag AwsSolutions-IAM5", "CKV_AWS_355"),
        "full",
        ("IAM-WILDCARD-RESOURCE",),
    ),
    _m(
        "IAM",
        IAM_DOCS,
        "no privilege escalation (iam:PassRole on *, iam:*)",
        ("CKV_AWS_286",),
        "full",
        ("IAM-PRIVESC",),
    ),
    _m(
        "IAM",
        IAM_DOCS,
        "no unconstrained credentials-exposure actions",
        ("CKV_AWS_287",),
        "part",
        ("IAM-UNCONSTRAINED",),
    ),
    _m("IAM", IAM_DOCS, "no unconstrained data-exfiltration actions", ("CKV_AWS_288",), "part", ("IAM-UNCONSTRAINED",)),
    _m(
        "IAM",
        IAM_DOCS,
        "no unconstrained permissions-management/resource-exposure actions",
        ("CKV_AWS_289",),
        "part",
        ("IAM-UNCONSTRAINED",),
    ),
    _m(
        "IAM",
        IAM_DOCS,
        "no unconstrained write actions (advisory)",
        ("CKV_AWS_290",),
        "part",
        ("IAM-WILDCARD-RESOURCE",),
    ),
    _m(
        "IAM",
        {t.IAM_ROLE, t.IAM_ROLE_POLICY_ATTACHMENT},
        "narrow, not AWS-managed, policies",
        ("cdk-nag AwsSolutions-IAM4",),
        "full",
        ("IAM-AWS-MANAGED",),
    ),
    _m(
        "IAM",
        {t.IAM_ROLE, t.IAM_ROLE_POLICY_ATTACHMENT},
        "AdministratorAccess / IAMFullAccess / *FullAccess never attached",
        ("CKV_AWS_274", "CKV2_AWS_56", "cdk-nag NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess"),
        "part",
        ("IAM-ADMIN-ATTACH",),
    ),
    _m(
        "IAM",
        {t.IAM_ROLE},
        "trust names principals; service trust pinned to the account",
        ("CKV_AWS_60", "CKV_AWS_61"),
        "full",
        ("IAM-TRUST",),
    ),
    _m(
        "IAM",
        {t.IAM_ROLE},
        "OIDC web-identity trust pins sub and aud claims (IRSA, GitHub OIDC)",
        ("CKV_AWS_393", "CKV_AWS_358"),
        "none",
        ("IAM-OIDC-TRUST",),
    ),
    _m(
        "IAM",
        {t.IAM_USER, t.IAM_ACCESS_KEY},
        "no IAM users or access keys",
        ("CKV_AWS_273", "CKV_AWS_40"),
        "full",
        ("IAM-NO-USERS",),
    ),
    _m(
        "IAM",
        {t.IAM_ROLE, t.IAM_ROLE_POLICY},
        "no inline policies",
        ("cdk-nag NIST.800.53.R5-IAMNoInlinePolicy",),
        "none",
        exemption=(
            "Design: each role's permissions are an inline RolePolicy written for that one role and deleted with it; "
            "a customer-managed policy could be attached elsewhere and outlive the role. The IAM-* rules judge the "
            "inline documents like any other."
        ),
    ),
    # --- SNS
    _m(
        "SNS",
        {t.SNS_TOPIC},
        "topic encrypted with KMS",
        ("cdk-nag NIST.800.53.R5-SNSEncryptedKMS", "CKV_AWS_26"),
        "full",
        ("SNS-KMS",),
    ),
    _m("SNS", {t.SNS_TOPIC_POLICY}, "topic policy not public", ("CKV_AWS_169",), "full", ("SNS-POLICY-PUBLIC",)),
    _m(
        "SNS",
        {t.SNS_TOPIC_POLICY},
        "topic policy: no cross-account access",
        ("CKV_AWS_385",),
        "none",
        ("SNS-POLICY-CROSS-ACCOUNT",),
    ),
    _m("SNS", {t.SNS_TOPIC}, "publishers must use TLS", ("cdk-nag AwsSolutions-SNS3",), "none", ("SNS-TLS-ONLY",)),
    _m(
        "SNS",
        {t.SNS_SUBSCRIPTION},
        "subscription redrive policy (DLQ)",
        ("cdk-nag Serverless-SNSRedrivePolicy",),
        "none",
        ("SNS-SUBSCRIPTION-DLQ",),
    ),
    # --- CloudWatch
    _m(
        "CW",
        {t.CW_METRIC_ALARM},
        "alarm actions enabled",
        ("cdk-nag NIST.800.53.R5-CloudWatchAlarmAction", "CKV_AWS_319"),
        "full",
        ("CW-ALARM-ACTIONS",),
    ),
    _m("CW", {t.CW_LOG_GROUP}, "log group retention set", ("CKV_AWS_66",), "full", ("CW-LOGGROUP",)),
    _m(
        "CW",
        {t.CW_LOG_GROUP},
        "log retention >= 365 days",
        ("CKV_AWS_338", "cdk-nag NIST.800.53.R5-CloudWatchLogGroupRetentionPeriod"),
        "part",
        (),
        exemption=(
            "Design: CW-LOGGROUP requires a finite retention and takes its length from the spec "
            "(observability.log_retention_days): inference logs may hold personal data, so how long they are kept "
            "is the data owner's decision (storage limitation), not a fixed year."
        ),
    ),
    _m(
        "CW",
        {t.CW_LOG_GROUP},
        "log group encrypted with KMS",
        ("CKV_AWS_158", "cdk-nag NIST.800.53.R5-CloudWatchLogGroupEncrypted"),
        "full",
        ("CW-LOGGROUP-KMS",),
    ),
    _m(
        "CW",
        {t.SM_ENDPOINT},
        "prod endpoint has 5XX and latency alarms",
        ("Slipstack (no anchor): endpoint alarms",),
        "own",
        ("CW-ENDPOINT-ALARMS",),
    ),
    # --- EKS
    _m(
        "EKS",
        {t.EKS_CLUSTER},
        "private API endpoint",
        (
            "cdk-nag AwsSolutions-EKS1",
            "CKV_AWS_38",
            "CKV_AWS_39",
            "compliance-policies aws/eks/Cluster/disallowApiEndpointPublicAccess",
        ),
        "full",
        ("EKS-PRIVATE-API",),
    ),
    _m(
        "EKS",
        {t.EKS_CLUSTER},
        "all control-plane log types",
        ("cdk-nag AwsSolutions-EKS2", "CKV_AWS_37"),
        "full",
        ("EKS-LOGS",),
    ),
    _m(
        "EKS",
        {t.EKS_CLUSTER},
        "secrets envelope-encrypted with KMS",
        ("CKV_AWS_58", "compliance-policies aws/eks/Cluster/enableClusterEncryptionConfig"),
        "full",
        ("EKS-SECRETS-KMS",),
    ),
    _m("EKS", {t.EKS_CLUSTER}, "supported Kubernetes version", ("CKV_AWS_339",), "none", ("EKS-VERSION",)),
    _m("EKS", {t.EKS_NODE_GROUP}, "node group: no SSH from 0.0.0.0/0", ("CKV_AWS_100",), "none", ("EKS-NODE-SSH",)),
    # --- Load balancers
    _m(
        "LB",
        {t.LB_LISTENER},
        "HTTP listeners only redirect to HTTPS",
        (
            "CKV_AWS_2",
            "awsguard alb-http-to-https-redirection",
            "cdk-nag NIST.800.53.R5-ALBHttpToHttpsRedirection",
            "compliance-policies aws/lb/Listener/disallowUnencryptedTraffic",
        ),
        "full",
        ("LB-HTTPS-ONLY",),
    ),
    _m(
        "LB",
        {t.LB_LISTENER},
        "TLS 1.2+ security policy",
        ("CKV_AWS_103", "compliance-policies aws/lb/Listener/configureSecureTls"),
        "full",
        ("LB-TLS-POLICY",),
    ),
    _m(
        "LB",
        {t.LB_LISTENER},
        "HTTPS listener has an ACM certificate",
        ("cdk-nag NIST.800.53.R5-ELBACMCertificateRequired",),
        "full",
        ("LB-ACM-CERT",),
    ),
    _m(
        "LB",
        {t.LB_LOAD_BALANCER},
        "access logs",
        (
            "cdk-nag AwsSolutions-ELB2",
            "CKV_AWS_91",
            "awsguard elb-logging-enabled",
            "compliance-policies aws/lb/LoadBalancer/enableAccessLogging",
        ),
        "full",
        ("LB-ACCESS-LOGS",),
    ),
    _m(
        "LB",
        {t.LB_LOAD_BALANCER},
        "deletion protection",
        (
            "CKV_AWS_150",
            "awsguard elb-deletion-protection-enabled",
            "cdk-nag NIST.800.53.R5-ELBDeletionProtectionEnabled",
        ),
        "full",
        ("LB-DELETION-PROT",),
    ),
    _m("LB", {t.LB_LOAD_BALANCER}, "drop invalid header fields", ("CKV_AWS_131",), "full", ("LB-ALB-HARDEN",)),
    _m("LB", {t.LB_LOAD_BALANCER}, "desync mitigation defensive/strictest", ("CKV_AWS_328",), "none", ("LB-DESYNC",)),
    _m(
        "LB",
        {t.LB_LOAD_BALANCER},
        "WAF web ACL on internet-facing ALB",
        ("CKV2_AWS_28", "cdk-nag NIST.800.53.R5-ALBWAFEnabled"),
        "none",
        ("LB-WAF",),
    ),
    _m(
        "LB",
        {t.LB_LISTENER_RULE, t.LB_LISTENER},
        "confidential model behind an internet-facing ALB: WAF or authentication",
        ("Slipstack (no rule set has it): data classification of the target vs internet-facing entry",),
        "own",
        ("LB-PROTECTED-ENTRY",),
    ),
    _m("LB", {t.LB_TARGET_GROUP}, "target group health check defined", ("CKV_AWS_261",), "none", ("LB-TG-HEALTH",)),
    _m(
        "LB",
        {t.LB_TARGET_GROUP},
        "no plain-HTTP target groups (TLS to targets)",
        ("CKV_AWS_378",),
        "none",
        ("LB-TG-TLS",),
    ),
    # --- Security groups
    _m(
        "SG",
        SG,
        "no ingress from 0.0.0.0/0 or ::/0 (beyond HTTPS 443 to a load balancer)",
        (
            "CKV_AWS_277",
            "cdk-nag AwsSolutions-EC23",
            "compliance-policies aws/ec2/SecurityGroup/disallowPublicInternetIngress",
        ),
        "none",
        ("SG-WORLD-INGRESS",),
    ),
    _m(
        "SG",
        SG,
        "no world-open port 80",
        ("CKV_AWS_260", "compliance-policies aws/ec2/SecurityGroup/disallowInboundHttpTraffic"),
        "none",
        ("SG-WORLD-INGRESS",),
    ),
    _m(
        "SG",
        SG,
        "no world-open 22/3389/common admin ports",
        (
            "CKV_AWS_24",
            "CKV_AWS_25",
            "cdk-nag NIST.800.53.R5-EC2RestrictedSSH",
            "cdk-nag NIST.800.53.R5-EC2RestrictedCommonPorts",
        ),
        "none",
        ("SG-ADMIN-PORTS",),
    ),
    _m("SG", SG, "no unrestricted egress", ("CKV_AWS_382",), "none", ("SG-OPEN-EGRESS",)),
    _m(
        "SG",
        SG,
        "description on group and rules",
        (
            "CKV_AWS_23",
            "cdk-nag AwsSolutions-EC27",
            "compliance-policies aws/ec2/SecurityGroup/missingDescription",
            "compliance-policies aws/ec2/SecurityGroup/missingIngressRuleDescription",
            "compliance-policies aws/ec2/SecurityGroup/missingEgressRuleDescription",
        ),
        "none",
        ("SG-DESCRIPTION",),
    ),
    _m(
        "SG", {t.EC2_SECURITY_GROUP}, "security group attached to a resource", ("CKV2_AWS_5",), "none", ("SG-ATTACHED",)
    ),
    _m(
        "SG",
        SG,
        "inline and standalone rules not mixed on one group",
        ("awsguard security-group-no-rule-management-conflicts",),
        "none",
        exemption=(
            "Not yet a rule: telling which group a standalone rule belongs to needs its securityGroupId, an output "
            "unknown at preview, and a dependency does not say whether the group is the rule's owner or its peer "
            "(referencedSecurityGroupId). Reviewed in the ALB component instead; open item of issue #22."
        ),
    ),
    # --- Step Functions, EventBridge
    _m(
        "SFN",
        {t.SFN_STATE_MACHINE},
        "log ALL events to CloudWatch",
        ("CKV_AWS_285", "cdk-nag AwsSolutions-SF1"),
        "none",
        ("SFN-LOGGING",),
    ),
    _m(
        "SFN",
        {t.SFN_STATE_MACHINE},
        "X-Ray tracing",
        ("CKV_AWS_284", "cdk-nag AwsSolutions-SF2"),
        "none",
        ("SFN-TRACING",),
    ),
    _m(
        "SFN",
        {t.SFN_STATE_MACHINE},
        "a processing job that publishes metrics is not network-isolated",
        ("AWS SageMaker NetworkConfig.EnableNetworkIsolation: no inbound or outbound network calls",),
        "own",
        ("SM-JOB-PUBLISH-PATH",),
    ),
    _m(
        "EVT",
        {t.SCHEDULER_SCHEDULE},
        "Scheduler schedule encrypted with a CMK",
        ("CKV_AWS_297",),
        "none",
        ("SCHED-KMS",),
    ),
    _m(
        "EVT",
        {t.SCHEDULER_SCHEDULE, t.CW_EVENT_TARGET},
        "event target has a DLQ (schedules: and a retry policy)",
        ("cdk-nag Serverless-EventBusDLQ",),
        "none",
        ("SCHED-DLQ",),
    ),
    # --- SageMaker (no rule set has SageMaker hosting rules beyond these two)
    _m(
        "SM",
        {t.SM_MODEL},
        "network isolation",
        ("CKV_AWS_370", "AWS Config sagemaker-model-isolation-enabled"),
        "full",
        ("SM-MODEL-NETISO",),
    ),
    _m(
        "SM",
        {t.SM_ENDPOINT_CONFIG},
        "endpoint config encrypted with KMS",
        ("CKV_AWS_98", "cdk-nag NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured"),
        "full",
        ("SM-EPC-KMS",),
    ),
    _m("SM", {t.SM_MODEL}, "model in a VPC", ("AWS docs: SageMaker VPC hosting",), "own", ("SM-MODEL-VPC",)),
    _m(
        "SM",
        {t.SM_ENDPOINT_CONFIG},
        "captured data encrypted; capture on in prod",
        ("AWS docs: SageMaker data capture encryption", "AWS docs: SageMaker data capture"),
        "own",
        ("SM-CAPTURE", "SM-CAPTURE-ENABLED"),
    ),
    _m(
        "SM",
        {t.SM_ENDPOINT_CONFIG},
        "async inference output encrypted",
        ("AWS docs: SageMaker asynchronous inference output encryption",),
        "own",
        ("SM-ASYNC-KMS",),
    ),
    _m(
        "SM",
        {t.SM_ENDPOINT_CONFIG},
        "two instances per prod variant",
        ("AWS Config sagemaker-endpoint-config-prod-instance-count",),
        "own",
        ("SM-EPC-HA",),
    ),
    _m(
        "SM",
        {t.SM_ENDPOINT},
        "blue/green rollout with auto-rollback alarms",
        ("AWS docs: SageMaker deployment guardrails (no rule set has it)",),
        "own",
        ("SM-ROLLBACK-ALARMS",),
    ),
    _m(
        "SM",
        {t.SM_MODEL},
        "artifact checksum pinned",
        ("Slipstack (no anchor): artifact checksums",),
        "own",
        ("SM-ARTIFACT-SHA256",),
    ),
    _m(
        "SM",
        {t.SM_MODEL},
        "execution role breaks no IAM rule",
        ("cdk-nag AwsSolutions-IAM4", "cdk-nag AwsSolutions-IAM5"),
        "own",
        ("SM-EXEC-ROLE",),
    ),
    _m(
        "SM",
        {t.SM_ENDPOINT_CONFIG},
        "capture kept while a drift job reads it",
        ("Slipstack (no anchor): capture vs drift",),
        "own",
        ("SM-CAPTURE-DRIFT",),
    ),
    _m(
        "SM",
        {t.AAS_TARGET, t.SM_ENDPOINT},
        "prod autoscaling capacity sane",
        ("AWS Config sagemaker-endpoint-config-prod-instance-count (derived for autoscaling)",),
        "own",
        ("AAS-SM-CAPACITY",),
    ),
    _m(
        "ALL",
        {t.KMS_KEY, t.S3_BUCKET, t.SM_ENDPOINT},
        "prod stateful resources protected from deletion",
        ("Slipstack (no rule set has it): Pulumi protect/retainOnDelete on stateful prod resources",),
        "own",
        ("STATEFUL-PROTECTED",),
    ),
    _m(
        "ALL",
        {t.S3_BUCKET, t.SM_ENDPOINT, t.SM_MODEL},
        "data residency: region allowed for the data class",
        ("Slipstack (no anchor): data residency",),
        "own",
        ("DATA-RESTRICTED-CLOUD",),
    ),
    # --- Kubernetes workloads
    _m(
        "K8S-WL",
        WL,
        "no host namespaces",
        ("PSS-B Host Namespaces", "CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"),
        "full",
        ("K8S-HOST-NS",),
    ),
    _m("K8S-WL", WL, "not privileged", ("PSS-B Privileged Containers", "CKV_K8S_16"), "full", ("K8S-PRIVILEGED",)),
    _m(
        "K8S-WL",
        WL,
        "no hostPath, no hostPort",
        ("PSS-B HostPath Volumes", "PSS-B Host Ports", "CKV_K8S_26", "CKV_K8S_27"),
        "full",
        ("K8S-HOST-VOL-PORT",),
    ),
    _m(
        "K8S-WL",
        WL,
        "no privilege escalation",
        ("PSS-R Privilege Escalation", "CKV_K8S_20"),
        "full",
        ("K8S-NO-PRIV-ESC",),
    ),
    _m(
        "K8S-WL",
        WL,
        "drop ALL capabilities",
        ("PSS-R Capabilities", "PSS-B Capabilities", "CKV_K8S_28", "CKV_K8S_37"),
        "full",
        ("K8S-CAPS",),
    ),
    _m(
        "K8S-WL",
        WL,
        "run as non-root",
        ("PSS-R Running as Non-root", "PSS-R Running as Non-root user", "CKV_K8S_23"),
        "full",
        ("K8S-NONROOT",),
    ),
    _m("K8S-WL", WL, "high UID (advisory)", ("CKV_K8S_40",), "full", ("K8S-HIGH-UID",)),
    _m(
        "K8S-WL",
        WL,
        "seccomp RuntimeDefault",
        ("PSS-R Seccomp", "PSS-B Seccomp", "CKV_K8S_31"),
        "full",
        ("K8S-SECCOMP",),
    ),
    _m(
        "K8S-WL",
        WL,
        "HostProcess/AppArmor/SELinux/procMount/sysctls/volume types at preview",
        (
            "PSS-B HostProcess",
            "PSS-B AppArmor",
            "PSS-B SELinux",
            "PSS-B /proc Mount Type",
            "PSS-B Sysctls",
            "PSS-R Volume Types",
        ),
        "part",
        ("K8S-PSS-EXTRA",),
    ),
    _m(
        "K8S-WL",
        WL,
        "read-only root filesystem",
        ("CKV_K8S_22", "compliance-policies kubernetes/apps/v1/Deployment/enableReadOnlyRootFilesystem"),
        "full",
        ("K8S-RO-ROOTFS",),
    ),
    _m(
        "K8S-WL",
        WL,
        "cpu/memory requests, memory limit",
        ("CKV_K8S_10", "CKV_K8S_12", "CKV_K8S_13", "kube-score container-resources"),
        "full",
        ("K8S-RESOURCES",),
    ),
    _m(
        "K8S-WL",
        WL,
        "cpu limit",
        ("CKV_K8S_11", "Polaris cpuLimitsMissing"),
        "none",
        exemption=(
            "Design: the pack does not require a CPU limit. CFS quotas throttle a latency-bound model server in bursts "
            "(p99 spikes) while the CPU request already guarantees its share; the stacks set a limit where the spec "
            "asks for one."
        ),
    ),
    _m(
        "K8S-WL",
        WL,
        "ephemeral-storage request/limit",
        ("kube-score container-ephemeral-storage-request-and-limit",),
        "none",
        ("K8S-EPHEMERAL-STORAGE",),
    ),
    _m("K8S-WL", WL, "readiness and liveness probes", ("CKV_K8S_8", "CKV_K8S_9"), "full", ("K8S-PROBES",)),
    _m(
        "K8S-WL",
        WL,
        "readiness probe differs from liveness",
        ("kube-score pod-probes-identical",),
        "none",
        ("K8S-PROBES",),
    ),
    _m("K8S-WL", WL, "image tag pinned, not latest", ("CKV_K8S_14",), "full", ("K8S-IMAGE-PIN",)),
    _m("K8S-WL", WL, "image by digest", ("CKV_K8S_43",), "full", ("K8S-IMAGE-DIGEST",)),
    _m("K8S-WL", WL, "service account token not mounted", ("CKV_K8S_38",), "full", ("K8S-SA-TOKEN",)),
    _m(
        "K8S-WL",
        WL | {t.K8S_SERVICE_ACCOUNT},
        "no default service account",
        ("CKV_K8S_41", "CKV_K8S_42"),
        "full",
        ("K8S-DEFAULT-SA",),
    ),
    _m("K8S-WL", WL, "not in the default namespace", ("CKV_K8S_21",), "full", ("K8S-NAMESPACE",)),
    _m(
        "K8S-WL",
        WL,
        "secrets as files, not env vars",
        ("CKV_K8S_35", "Polaris sensitiveContainerEnvVar"),
        "none",
        ("K8S-SECRET-ENV",),
    ),
    _m(
        "K8S-WL",
        {t.K8S_DEPLOYMENT, t.K8S_STATEFUL_SET},
        "prod: >= 2 replicas / HPA min >= 2, PDB allows disruption",
        (
            "compliance-policies kubernetes/apps/v1/Deployment/configureMinimumReplicaCount",
            "kube-score horizontalpodautoscaler-replicas",
            "Polaris hpaMinAvailability",
        ),
        "full",
        ("K8S-AVAILABILITY",),
    ),
    _m(
        "K8S-WL",
        {t.K8S_HPA},
        "HPA has a target; HPA min/max sane vs PDB",
        (
            "kube-score horizontalpodautoscaler-has-target",
            "Polaris hpaMaxAvailability",
            "Polaris pdbMinAvailableGreaterThanHPAMinReplicas",
        ),
        "part",
        ("K8S-HPA",),
    ),
    _m(
        "K8S-WL",
        {t.K8S_DEPLOYMENT, t.K8S_STATEFUL_SET},
        "pod anti-affinity / topology spread",
        ("kube-score deployment-has-host-podantiaffinity", "Polaris topologySpreadConstraint"),
        "none",
        ("K8S-SPREAD",),
    ),
    _m(
        "K8S-WL",
        {t.K8S_DEPLOYMENT},
        "RollingUpdate strategy",
        ("kube-score deployment-strategy",),
        "none",
        ("K8S-ROLLING-UPDATE",),
    ),
    _m(
        "K8S-WL",
        {t.K8S_CRON_JOB},
        "CronJob deadline + restartPolicy",
        ("kube-score cronjob-has-deadline", "kube-score cronjob-restartpolicy"),
        "none",
        ("K8S-CRONJOB",),
    ),
    _m("K8S-WL", WL, "priorityClass set", ("Polaris priorityClassNotSet",), "none", ("K8S-PRIORITY-CLASS",)),
    _m(
        "K8S-WL",
        WL,
        "recommended app.kubernetes.io labels",
        ("compliance-policies kubernetes/apps/v1/Deployment/configureRecommendedLabels",),
        "none",
        ("K8S-LABELS",),
    ),
    _m(
        "K8S-WL",
        {t.K8S_DEPLOYMENT},
        "artifact checksum pinned",
        ("Slipstack (no anchor): artifact checksums",),
        "own",
        ("K8S-ARTIFACT-SHA256",),
    ),
    # --- Kubernetes network and namespace
    _m(
        "K8S-NET",
        WL,
        "default-deny NetworkPolicy per namespace with workloads",
        ("CKV2_K8S_6",),
        "full",
        ("K8S-NETPOL",),
    ),
    _m(
        "K8S-NET",
        {t.K8S_SERVICE},
        "no LoadBalancer/NodePort Services",
        ("compliance-policies kubernetes/core/v1/Service/disallowLoadBalancer",),
        "full",
        ("K8S-SVC-EXPOSURE",),
    ),
    _m(
        "K8S-NET",
        {t.K8S_INGRESS},
        "TLS for every host; no nginx snippet annotations",
        ("CKV_K8S_153",),
        "full",
        ("K8S-INGRESS",),
    ),
    _m(
        "K8S-NET",
        {t.K8S_SERVICE, t.K8S_INGRESS},
        "Service selects a pod / Ingress targets a Service",
        ("kube-score service-targets-pod", "kube-score ingress-targets-service"),
        "none",
        ("K8S-SVC-TARGETS",),
    ),
    _m(
        "K8S-NS",
        {t.K8S_NAMESPACE},
        "namespace enforces Pod Security restricted",
        ("PSS-R Volume Types", "PSS-B HostProcess"),
        "own",
        ("K8S-NS-PSA",),
    ),
    # --- Kubernetes RBAC
    _m("K8S-RBAC", RBAC, "no wildcards in any rule", ("CKV_K8S_49",), "full", ("K8S-RBAC-WILDCARD",)),
    _m(
        "K8S-RBAC",
        RBAC,
        "no bind/escalate/impersonate, pods/exec, unscoped secrets",
        ("CKV_K8S_157", "CKV_K8S_158"),
        "full",
        ("K8S-RBAC-ESCALATE",),
    ),
    _m("K8S-RBAC", RBAC, "no modify services/status", ("CKV2_K8S_4",), "none", ("K8S-RBAC-ESCALATE",)),
    _m(
        "K8S-RBAC",
        RBAC | BINDINGS,
        "RoleBinding cannot escalate to other SAs",
        ("CKV2_K8S_1",),
        "part",
        ("K8S-RBAC-ESCALATE", "K8S-ROLEBINDING"),
    ),
    _m(
        "K8S-RBAC",
        BINDINGS,
        "RoleBinding not to cluster-admin",
        ("Polaris rolebindingClusterAdminRole",),
        "none",
        ("K8S-ROLEBINDING",),
    ),
)


def rules_by_id() -> dict[str, Rule]:
    return {rule.id: rule for rule in all_rules()}


def problems() -> list[str]:
    """Inconsistencies between the table, the anchors and the rules (empty when all is well)."""
    found = []
    rules = rules_by_id()
    for m in MEANINGS:
        label = f"{m.group} {m.meaning!r}"
        if not m.rules and not m.exemption.strip():
            found.append(f"{label}: neither a rule nor a reasoned exemption")
        for anchor in m.anchors:
            if anchor_kind(anchor) == "invalid":
                found.append(f"{label}: anchor {anchor!r} is not a Checkov id, a named rule of the table or own text")
        for rule_id in m.rules:
            rule = rules.get(rule_id)
            if rule is None:
                found.append(f"{label}: rule {rule_id} does not exist")
            elif not (rule.type_prefix or rule.judged_types & m.types):
                found.append(f"{label}: rule {rule_id} judges none of {sorted(m.types)}")
    cited = {rule_id for m in MEANINGS for rule_id in m.rules}
    found.extend(f"rule {rule_id} covers no meaning of the table" for rule_id in sorted(set(rules) - cited))
    return found


def uncovered(types: Iterable[str]) -> list[Meaning]:
    """Meanings of the given resource types with neither a rule nor a reasoned exemption."""
    wanted = set(types)
    return [m for m in MEANINGS if m.types & wanted and not m.rules and not m.exemption.strip()]


def counts() -> dict[str, dict[str, int]]:
    """Per group: applicable meanings of the external rule sets, covered before and after, own meanings."""
    table: dict[str, dict[str, int]] = {}
    for m in MEANINGS:
        row = table.setdefault(
            m.group, {"applicable": 0, "before_full": 0, "before_part": 0, "after_rule": 0, "after_exempt": 0, "own": 0}
        )
        if m.before == "own":
            row["own"] += 1
            continue
        row["applicable"] += 1
        row["before_full"] += m.before == "full"
        row["before_part"] += m.before == "part"
        if m.rules:
            row["after_rule"] += 1
        elif m.exemption:
            row["after_exempt"] += 1
    return table


def _enforcement(rule: Rule) -> str:
    return {"M": "mandatory", "M(p)": "mandatory in prod", "A": "advisory"}[rule.enforcement]


def render() -> str:
    rules = rules_by_id()
    lines = [
        "# Policy pack coverage",
        "",
        "Generated by `python -m policies.coverage` from `policies/coverage.py` (the meanings and their anchors),",
        "`policies/anchors.py` (where each named rule was read) and the rules themselves; a test checks this file",
        "is current. Anchor ids: `CKV_*` are Checkov's (checked against the installed Checkov),",
        "`cdk-nag <pack>-<rule>`, `awsguard <policy>`, `compliance-policies <path>`, `kube-score <check>`,",
        "`Polaris <check>`, `PSS-B/PSS-R <control>`",
        "(Pod Security Standards baseline/restricted). `AWS ...` and `Slipstack ...` mark meanings no rule set has.",
        "",
        "## Covered / applicable, per type group",
        "",
        "| group | applicable | before: full | before: part | after: rule | after: reasoned exemption | own meanings |",
        "|---|---|---|---|---|---|---|",
    ]
    total = {"applicable": 0, "before_full": 0, "before_part": 0, "after_rule": 0, "after_exempt": 0, "own": 0}
    for group, row in counts().items():
        lines.append(
            f"| {group} | {row['applicable']} | {row['before_full']} | {row['before_part']} | {row['after_rule']} "
            f"| {row['after_exempt']} | {row['own']} |"
        )
        for key in total:
            total[key] += row[key]
    lines.append(
        f"| all | {total['applicable']} | {total['before_full']} | {total['before_part']} | {total['after_rule']} "
        f"| {total['after_exempt']} | {total['own']} |"
    )
    by_type: dict[str, list[Meaning]] = {}
    for m in MEANINGS:
        for token in m.types:
            by_type.setdefault(token, []).append(m)
    lines += ["", "## Per resource type", ""]
    for token in sorted(by_type):
        lines += [f"### `{token}`", "", "| meaning | anchors | covered by | enforcement |", "|---|---|---|---|"]
        for m in by_type[token]:
            anchors = "<br>".join(m.anchors)
            if m.rules:
                covered = ", ".join(f"`{r}`" for r in m.rules)
                enforcement = ", ".join(_enforcement(rules[r]) for r in m.rules if r in rules)
                if m.exemption:
                    covered += f" (in part; {m.exemption})"
            else:
                covered, enforcement = f"exempt: {m.exemption}", "-"
            lines.append(f"| {m.meaning} | {anchors} | {covered} | {enforcement} |")
        lines.append("")
    lines += ["## Named rules and where they were read", "", "| anchor | source |", "|---|---|"]
    lines += [f"| {name} | {entry.source} |" for name, entry in sorted(NAMED_RULES.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--check":
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != render():
            print(f"{DOC} is out of date; run `python -m policies.coverage`", file=sys.stderr)
            return 1
        return 0
    temporary = DOC.with_suffix(".md.tmp")
    temporary.write_text(render(), encoding="utf-8")
    temporary.replace(DOC)
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
