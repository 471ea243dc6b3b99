"""The rule sets the pack is measured against, and how a rule names an anchor in them.

An anchor is one of:
- a Checkov id as Checkov spells it (`CKV_AWS_145`, `CKV2_AWS_28`, `CKV_K8S_35`, `CKV2_K8S_4`); the
  anchor test checks each against the installed Checkov's registries, including that the check
  applies to the Terraform/Kubernetes equivalent of the rule's resource types (`CHECKOV_TYPES`);
- `<set> <name>` for a rule set that has no registry to import (cdk-nag, awsguard, Pulumi's
  compliance-policies, kube-score, Polaris, the Pod Security Standards): the name must be in
  `NAMED_RULES`, which says where each name was read (repository, commit, file);
- free text starting with `AWS ` (AWS Config rules, AWS documentation) or `Slipstack`, for the
  meanings no rule set has: those are the pack's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from contracts import type_tokens as t

CHECKOV_ID = re.compile(r"^CKV2?_(AWS|K8S)_\d+$")
NAMED_SETS = ("cdk-nag", "awsguard", "compliance-policies", "kube-score", "Polaris", "PSS-B", "PSS-R")
OWN_PREFIXES = ("AWS ", "Slipstack")

CDK_NAG = "cdklabs/cdk-nag@ca6d1b54e1cf1c2e3c29d731e066f6d5ded710b5"
AWSGUARD = "pulumi/pulumi-policy-aws@4355f3be903b4e13396fbcc3f735cabec89db92a"
COMPLIANCE = "pulumi/compliance-policies@712a901751b66642c0824c0a445197a3c64e10e3"
KUBE_SCORE = "zegl/kube-score@06dedc9ccce58bff50a4f42a3ce0633dc72b0dfa"
POLARIS = "FairwindsOps/polaris@c0e23a233b2087272a7f524f1b922f4e3f2f9689"
PSS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"


@dataclass(frozen=True)
class NamedRule:
    """A rule of a set without an importable registry, and the file its name was read from."""

    source: str


def _cdk(rule_file: str, packs: str) -> NamedRule:
    return NamedRule(f"{CDK_NAG} src/rules/{rule_file}.ts, registered in src/packs/{packs}")


NAMED_RULES: dict[str, NamedRule] = {
    # cdk-nag: "<pack>-<rule>" exactly as cdk-nag reports it (AwsSolutions uses suffix ids).
    "cdk-nag AwsSolutions-EC23": _cdk("ec2/EC2RestrictedInbound", "aws-solutions.ts"),
    "cdk-nag AwsSolutions-EC27": _cdk("ec2/EC2SecurityGroupDescription", "aws-solutions.ts"),
    "cdk-nag AwsSolutions-EKS1": _cdk("eks/EKSClusterNoEndpointPublicAccess", "aws-solutions.ts"),
    "cdk-nag AwsSolutions-EKS2": _cdk("eks/EKSClusterControlPlaneLogs", "aws-solutions.ts"),
    "cdk-nag AwsSolutions-ELB2": _cdk("elb/ELBLoggingEnabled", "aws-solutions.ts"),
    "cdk-nag AwsSolutions-IAM4": _cdk("iam/IAMNoManagedPolicies", "aws-solutions.ts"),
    "cdk-nag AwsSolutions-IAM5": _cdk("iam/IAMNoWildcardPermissions", "aws-solutions.ts"),
    "cdk-nag AwsSolutions-KMS5": _cdk("kms/KMSBackingKeyRotationEnabled", "aws-solutions.ts"),
    "cdk-nag AwsSolutions-S1": _cdk("s3/S3BucketLoggingEnabled", "aws-solutions.ts"),
    "cdk-nag AwsSolutions-S2": _cdk("s3/S3BucketLevelPublicAccessProhibited", "aws-solutions.ts"),
    "cdk-nag AwsSolutions-S10": _cdk("s3/S3BucketSSLRequestsOnly", "aws-solutions.ts"),
    "cdk-nag AwsSolutions-SF1": _cdk("stepfunctions/StepFunctionStateMachineAllLogsToCloudWatch", "aws-solutions.ts"),
    "cdk-nag AwsSolutions-SF2": _cdk("stepfunctions/StepFunctionStateMachineXray", "aws-solutions.ts"),
    "cdk-nag AwsSolutions-SNS3": _cdk("sns/SNSTopicSSLPublishOnly", "aws-solutions.ts"),
    "cdk-nag NIST.800.53.R5-ALBHttpToHttpsRedirection": _cdk("elb/ALBHttpToHttpsRedirection", "nist-800-53-r5.ts"),
    "cdk-nag NIST.800.53.R5-ALBWAFEnabled": _cdk("elb/ALBWAFEnabled", "nist-800-53-r5.ts"),
    "cdk-nag NIST.800.53.R5-CloudWatchAlarmAction": _cdk("cloudwatch/CloudWatchAlarmAction", "nist-800-53-r5.ts"),
    "cdk-nag NIST.800.53.R5-CloudWatchLogGroupEncrypted": _cdk(
        "cloudwatch/CloudWatchLogGroupEncrypted", "nist-800-53-r5.ts"
    ),
    "cdk-nag NIST.800.53.R5-CloudWatchLogGroupRetentionPeriod": _cdk(
        "cloudwatch/CloudWatchLogGroupRetentionPeriod", "nist-800-53-r5.ts"
    ),
    "cdk-nag NIST.800.53.R5-EC2RestrictedCommonPorts": _cdk("ec2/EC2RestrictedCommonPorts", "nist-800-53-r5.ts"),
    "cdk-nag NIST.800.53.R5-EC2RestrictedSSH": _cdk("ec2/EC2RestrictedSSH", "nist-800-53-r5.ts"),
    "cdk-nag NIST.800.53.R5-ELBACMCertificateRequired": _cdk("elb/ELBACMCertificateRequired", "nist-800-53-r5.ts"),
    "cdk-nag NIST.800.53.R5-ELBDeletionProtectionEnabled": _cdk(
        "elb/ELBDeletionProtectionEnabled", "nist-800-53-r5.ts"
    ),
    "cdk-nag NIST.800.53.R5-IAMNoInlinePolicy": _cdk("iam/IAMNoInlinePolicy", "nist-800-53-r5.ts"),
    "cdk-nag NIST.800.53.R5-IAMPolicyNoStatementsWithAdminAccess": _cdk(
        "iam/IAMPolicyNoStatementsWithAdminAccess", "nist-800-53-r5.ts"
    ),
    "cdk-nag NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess": _cdk(
        "iam/IAMPolicyNoStatementsWithFullAccess", "nist-800-53-r5.ts"
    ),
    "cdk-nag NIST.800.53.R5-S3BucketReplicationEnabled": _cdk("s3/S3BucketReplicationEnabled", "nist-800-53-r5.ts"),
    "cdk-nag NIST.800.53.R5-S3BucketVersioningEnabled": _cdk("s3/S3BucketVersioningEnabled", "nist-800-53-r5.ts"),
    "cdk-nag NIST.800.53.R5-S3DefaultEncryptionKMS": _cdk("s3/S3DefaultEncryptionKMS", "nist-800-53-r5.ts"),
    "cdk-nag NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured": _cdk(
        "sagemaker/SageMakerEndpointConfigurationKMSKeyConfigured", "nist-800-53-r5.ts"
    ),
    "cdk-nag NIST.800.53.R5-SNSEncryptedKMS": _cdk("sns/SNSEncryptedKMS", "nist-800-53-r5.ts"),
    "cdk-nag NIST.800.53.R4-S3BucketDefaultLockEnabled": _cdk("s3/S3BucketDefaultLockEnabled", "nist-800-53-r4.ts"),
    "cdk-nag Serverless-EventBusDLQ": _cdk("eventbridge/EventBusDLQ", "serverless.ts"),
    "cdk-nag Serverless-SNSRedrivePolicy": _cdk("sns/SNSRedrivePolicy", "serverless.ts"),
    # awsguard: the policy names of @pulumi/awsguard.
    "awsguard alb-http-to-https-redirection": NamedRule(f"{AWSGUARD} src/network.ts"),
    "awsguard cmk-backing-key-rotation-enabled": NamedRule(f"{AWSGUARD} src/security.ts"),
    "awsguard elb-deletion-protection-enabled": NamedRule(f"{AWSGUARD} src/storage.ts"),
    "awsguard elb-logging-enabled": NamedRule(f"{AWSGUARD} src/compute.ts"),
    "awsguard s3-bucket-logging-enabled": NamedRule(f"{AWSGUARD} src/storage.ts"),
    "awsguard security-group-no-rule-management-conflicts": NamedRule(f"{AWSGUARD} src/network.ts"),
    # Pulumi compliance-policies: <provider>/<module>/<Resource>/<policy>, the repository's file layout.
    **{
        f"compliance-policies {path}": NamedRule(f"{COMPLIANCE} vendor-{path.split('/')[0]}/{path}.ts")
        for path in (
            "aws/ec2/SecurityGroup/disallowInboundHttpTraffic",
            "aws/ec2/SecurityGroup/disallowPublicInternetIngress",
            "aws/ec2/SecurityGroup/missingDescription",
            "aws/ec2/SecurityGroup/missingEgressRuleDescription",
            "aws/ec2/SecurityGroup/missingIngressRuleDescription",
            "aws/eks/Cluster/disallowApiEndpointPublicAccess",
            "aws/eks/Cluster/enableClusterEncryptionConfig",
            "aws/kms/Key/disallowBypassPolicyLockoutSafetyCheck",
            "aws/kms/Key/enableKeyRotation",
            "aws/kms/Key/missingDescription",
            "aws/lb/Listener/configureSecureTls",
            "aws/lb/Listener/disallowUnencryptedTraffic",
            "aws/lb/LoadBalancer/enableAccessLogging",
            "aws/s3/Bucket/configureServerSideEncryptionCustomerManagedKey",
            "aws/s3/Bucket/disallowPublicRead",
            "aws/s3/Bucket/enableReplicationConfiguration",
            "kubernetes/apps/v1/Deployment/configureMinimumReplicaCount",
            "kubernetes/apps/v1/Deployment/configureRecommendedLabels",
            "kubernetes/apps/v1/Deployment/enableReadOnlyRootFilesystem",
            "kubernetes/core/v1/Service/disallowLoadBalancer",
        )
    },
    # kube-score: check ids from README_CHECKS.md.
    **{
        f"kube-score {check}": NamedRule(f"{KUBE_SCORE} README_CHECKS.md")
        for check in (
            "container-ephemeral-storage-request-and-limit",
            "container-resources",
            "cronjob-has-deadline",
            "cronjob-restartpolicy",
            "deployment-has-host-podantiaffinity",
            "deployment-strategy",
            "horizontalpodautoscaler-has-target",
            "horizontalpodautoscaler-replicas",
            "ingress-targets-service",
            "pod-probes-identical",
            "service-targets-pod",
        )
    },
    # Polaris: check ids, one YAML file each.
    **{
        f"Polaris {check}": NamedRule(f"{POLARIS} pkg/config/checks/{check}.yaml")
        for check in (
            "cpuLimitsMissing",
            "hpaMaxAvailability",
            "hpaMinAvailability",
            "pdbMinAvailableGreaterThanHPAMinReplicas",
            "priorityClassNotSet",
            "rolebindingClusterAdminRole",
            "sensitiveContainerEnvVar",
            "topologySpreadConstraint",
        )
    },
    # Pod Security Standards: control names as the standard's tables title them.
    **{
        f"PSS-B {control}": NamedRule(f"{PSS} (Baseline)")
        for control in (
            "HostProcess",
            "Host Namespaces",
            "Privileged Containers",
            "Capabilities",
            "HostPath Volumes",
            "Host Ports",
            "AppArmor",
            "SELinux",
            "/proc Mount Type",
            "Seccomp",
            "Sysctls",
        )
    },
    **{
        f"PSS-R {control}": NamedRule(f"{PSS} (Restricted)")
        for control in (
            "Volume Types",
            "Privilege Escalation",
            "Running as Non-root",
            "Running as Non-root user",
            "Seccomp",
            "Capabilities",
        )
    },
}

# Checkov judges Terraform resources and Kubernetes kinds: the equivalents of the Pulumi types.
# pulumi-aws is bridged from the Terraform provider, so each token has exactly one Terraform name.
CHECKOV_TYPES: dict[str, frozenset[str]] = {
    t.S3_BUCKET: frozenset({"aws_s3_bucket"}),
    t.S3_BUCKET_V2: frozenset({"aws_s3_bucket"}),
    t.S3_PUBLIC_ACCESS_BLOCK: frozenset({"aws_s3_bucket_public_access_block"}),
    t.S3_OWNERSHIP_CONTROLS: frozenset({"aws_s3_bucket_ownership_controls"}),
    t.S3_BUCKET_ACL: frozenset({"aws_s3_bucket_acl"}),
    t.S3_BUCKET_POLICY: frozenset({"aws_s3_bucket_policy"}),
    t.S3_SSE: frozenset({"aws_s3_bucket_server_side_encryption_configuration"}),
    t.S3_VERSIONING: frozenset({"aws_s3_bucket_versioning"}),
    t.S3_LOGGING: frozenset({"aws_s3_bucket_logging"}),
    t.S3_LIFECYCLE: frozenset({"aws_s3_bucket_lifecycle_configuration"}),
    t.KMS_KEY: frozenset({"aws_kms_key"}),
    # Pulumi programs write policy documents as JSON in the role/policy props; Terraform modules
    # usually render the same documents with the aws_iam_policy_document data source.
    t.IAM_ROLE: frozenset({"aws_iam_role", "aws_iam_policy_document"}),
    t.IAM_POLICY: frozenset({"aws_iam_policy", "aws_iam_policy_document"}),
    t.IAM_ROLE_POLICY: frozenset({"aws_iam_role_policy", "aws_iam_policy_document"}),
    t.IAM_ROLE_POLICY_ATTACHMENT: frozenset({"aws_iam_role_policy_attachment"}),
    t.IAM_POLICY_ATTACHMENT: frozenset({"aws_iam_policy_attachment"}),
    t.IAM_GROUP_POLICY_ATTACHMENT: frozenset({"aws_iam_group_policy_attachment"}),
    t.IAM_USER_POLICY_ATTACHMENT: frozenset({"aws_iam_user_policy_attachment"}),
    t.IAM_USER: frozenset({"aws_iam_user"}),
    t.IAM_ACCESS_KEY: frozenset({"aws_iam_access_key"}),
    t.SM_MODEL: frozenset({"aws_sagemaker_model"}),
    t.SM_ENDPOINT_CONFIG: frozenset({"aws_sagemaker_endpoint_configuration"}),
    t.SM_ENDPOINT: frozenset({"aws_sagemaker_endpoint"}),
    t.SNS_TOPIC: frozenset({"aws_sns_topic"}),
    t.SNS_TOPIC_POLICY: frozenset({"aws_sns_topic_policy"}),
    t.SNS_SUBSCRIPTION: frozenset({"aws_sns_topic_subscription"}),
    t.CW_METRIC_ALARM: frozenset({"aws_cloudwatch_metric_alarm"}),
    t.CW_LOG_GROUP: frozenset({"aws_cloudwatch_log_group"}),
    t.CW_EVENT_TARGET: frozenset({"aws_cloudwatch_event_target"}),
    t.LB_LOAD_BALANCER: frozenset({"aws_lb", "aws_alb"}),
    t.LB_LISTENER: frozenset({"aws_lb_listener", "aws_alb_listener"}),
    t.LB_TARGET_GROUP: frozenset({"aws_lb_target_group", "aws_alb_target_group"}),
    t.EKS_CLUSTER: frozenset({"aws_eks_cluster"}),
    t.EKS_NODE_GROUP: frozenset({"aws_eks_node_group"}),
    t.EC2_SECURITY_GROUP: frozenset({"aws_security_group"}),
    t.EC2_SECURITY_GROUP_RULE: frozenset({"aws_security_group_rule"}),
    t.VPC_SG_INGRESS_RULE: frozenset({"aws_vpc_security_group_ingress_rule"}),
    t.VPC_SG_EGRESS_RULE: frozenset({"aws_vpc_security_group_egress_rule"}),
    t.SFN_STATE_MACHINE: frozenset({"aws_sfn_state_machine"}),
    t.SCHEDULER_SCHEDULE: frozenset({"aws_scheduler_schedule"}),
}


def _kubernetes_names(token: str) -> frozenset[str]:
    """A Kubernetes type as Checkov's two runners name it: the kind (Deployment) and the Terraform
    kubernetes provider resource (kubernetes_deployment, kubernetes_deployment_v1)."""
    kind = token.rsplit(":", 1)[-1]
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()
    return frozenset({kind, f"kubernetes_{snake}", f"kubernetes_{snake}_v1", f"kubernetes_{snake.replace('_', '')}"})


def checkov_types(token: str) -> frozenset[str]:
    if token.startswith("kubernetes:"):
        return _kubernetes_names(token)
    return CHECKOV_TYPES.get(token, frozenset())


def anchor_kind(anchor: str) -> str:
    """ "checkov", "named", "own", or "invalid"."""
    if CHECKOV_ID.match(anchor):
        return "checkov"
    if anchor.split(" ", 1)[0] in NAMED_SETS:
        return "named" if anchor in NAMED_RULES else "invalid"
    if anchor.startswith(OWN_PREFIXES):
        return "own"
    return "invalid"
