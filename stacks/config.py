"""The stack configuration (`stacks/Pulumi.<stack>.yaml`): which specs a stack deploys, where, and how.

Keys live in the `slipstack:` namespace of Pulumi config, plus the AWS provider's own `aws:region`:

    config:
      aws:region: eu-west-1
      slipstack:environment: prod
      slipstack:specs: [deployments/breast-cancer-screening.yaml]
      slipstack:targets: [aws, onprem]
      slipstack:kubernetes: {cluster: existing, context: onprem-prod}

Under the real CLI the program reads them through `pulumi.Config`; `slipstack plan` reads the same
file and hands the same values to the program under the mock engine.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import string
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from contracts.errors import SlipstackError
from deployment_spec.model import EnvironmentName, Target

NAMESPACE = "slipstack"


class StackConfigError(SlipstackError):
    exit_code = 2


class StackModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EksSettings(StackModel):
    kubernetes_version: str = Field(default="1.33", pattern=r"^1\.[0-9]{2}$", description="EKS control plane version.")
    node_instance_type: str = Field(default="m6i.large", description="EC2 type of the managed node group.")
    node_min: int = Field(default=2, ge=1, le=100, description="Fewest nodes.")
    node_max: int = Field(default=4, ge=1, le=1000, description="Most nodes.")
    node_desired: int = Field(default=2, ge=1, le=1000, description="Nodes at creation.")
    public_access_cidrs: list[str] = Field(
        default_factory=list,
        description="CIDRs allowed to reach the public API endpoint; empty keeps the endpoint private only.",
    )
    load_balancer_subnet_cidrs: list[str] = Field(
        default_factory=list,
        description="Address ranges of the ALB's subnets (aws.public_subnet_ids, else the private ones): the ALB "
        "sends to pod IPs, so the models' NetworkPolicies admit these ranges on the serving port. Required.",
    )
    vpc_cni_version: str | None = Field(
        default=None, pattern=r"^v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+$",
        description="VPC CNI add-on version (network policy enforcement is switched on; v1.14.0 or later has the "
        "network policy agent); unset: EKS's default for kubernetes_version, asked of EKS at preview/up time.",
    )

    @field_validator("vpc_cni_version")
    @classmethod
    def _cni_enforces_network_policies(cls, version: str | None) -> str | None:
        if version is not None:
            major, minor = (int(part) for part in version.removeprefix("v").split(".")[:2])
            if (major, minor) < (1, 14):
                raise ValueError(
                    f"{version} has no network policy agent, so the models' NetworkPolicies would not be enforced: "
                    "use v1.14.0-eksbuild.1 or later (aws eks describe-addon-versions --addon-name vpc-cni)"
                )
        return version
    api_reachable_from: Literal["public_cidrs", "vpc_runner"] | None = Field(
        default=None,
        description="Where `pulumi up` reaches the cluster's API from (the program creates Kubernetes objects "
        "in it): 'public_cidrs' (the deploying machines' public egress CIDRs, listed in public_access_cidrs) or "
        "'vpc_runner' (a CI runner inside the VPC, e.g. a self-hosted GitHub runner in the private subnets, "
        "whose security group the cluster's allows on 443; the endpoint stays private).",
    )

    @model_validator(mode="after")
    def _api_is_reachable(self) -> EksSettings:
        if self.api_reachable_from == "public_cidrs":
            if not self.public_access_cidrs:
                raise ValueError("api_reachable_from 'public_cidrs' needs public_access_cidrs (the runners' CIDRs)")
            for cidr in self.public_access_cidrs:
                network = ipaddress.ip_network(cidr, strict=False)
                if network.prefixlen < 16 or not network.is_global:
                    raise ValueError(f"public_access_cidrs: '{cidr}' is not a narrow public range (/16 or smaller, "
                                     "not private): list the deploying runners' egress CIDRs")
        elif self.api_reachable_from == "vpc_runner" and self.public_access_cidrs:
            raise ValueError("api_reachable_from 'vpc_runner' keeps the endpoint private: drop public_access_cidrs")
        return self


class MonitoringJobSettings(StackModel):
    image: str | None = Field(
        default=None,
        pattern=r"^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$",
        description="ECR image of the drift and quality Processing jobs, pinned by digest (...@sha256:<hex>); "
        "default: the stack's own slipstack/model-server repository, by image_digest.",
    )
    image_digest: str | None = Field(
        default=None,
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="Digest of the model-server image pushed to the stack's repository (CI sets it after the "
        "push: pulumi config set --path 'slipstack:aws.monitoring_job.image_digest' sha256:...); unset, the "
        "program asks ECR for the digest of the immutable tag at deploy time.",
    )
    instance_type: str = Field(
        default="ml.m5.large", pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$", description="Processing instance type."
    )
    shard_instances: int = Field(
        default=2, ge=1, le=100, description="Instances of the drift shard job (the capture objects are split "
        "between them by S3 key); the merge and quality jobs run on one."
    )
    tracing: bool = Field(default=True, description="X-Ray tracing of the jobs' state machines.")

    @field_validator("image")
    @classmethod
    def _by_digest(cls, image: str | None) -> str | None:
        if image is not None and "@sha256:" not in image:
            raise ValueError(f"'{image}' names a tag; jobs run images by digest (append @sha256:<digest>, or drop "
                             "image to use the stack's repository)")
        return image


# Secret settings: Pulumi config keys whose values are encrypted in the stack file (`pulumi config set --secret`).
# Only their presence is part of the StackConfig; the program reads the value itself, as a secret Output.
ALB_CLIENT_SECRET_KEY = "load_balancer_client_secret"
SECRET_KEYS: dict[str, str] = {
    ALB_CLIENT_SECRET_KEY: "the OIDC client secret of aws.load_balancer.authentication",
}
_HTTPS_URL = r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s]*)?$"


class OidcAuthenticationSettings(StackModel):
    issuer: str = Field(pattern=_HTTPS_URL, description="OIDC issuer URL (the `iss` of its tokens).")
    authorization_endpoint: str = Field(pattern=_HTTPS_URL, description="The IdP's authorization endpoint.")
    token_endpoint: str = Field(pattern=_HTTPS_URL, description="The IdP's token endpoint.")
    user_info_endpoint: str = Field(pattern=_HTTPS_URL, description="The IdP's user info endpoint.")
    client_id: str = Field(min_length=1, max_length=256, description="The ALB's client id at the IdP. The "
                           f"client secret is the secret setting slipstack:{ALB_CLIENT_SECRET_KEY}, never here.")
    scope: str = Field(default="openid", min_length=1, description="Scopes asked of the IdP.")


class CognitoAuthenticationSettings(StackModel):
    user_pool_arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:cognito-idp:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:userpool/[A-Za-z0-9_-]+$",
        description="ARN of the Cognito user pool.")
    user_pool_client_id: str = Field(pattern=r"^[A-Za-z0-9]{1,128}$", description="The pool's app client id.")
    user_pool_domain: str = Field(pattern=r"^[a-z0-9](-?[a-z0-9])*$", description="The pool's domain prefix.")


class LoadBalancerAuthentication(StackModel):
    """Callers authenticated by the ALB before any request reaches a model (listener rule action)."""

    type: Literal["oidc", "cognito"] = Field(
        description="'oidc' (authenticate-oidc) or 'cognito' (authenticate-cognito).")
    oidc: OidcAuthenticationSettings | None = Field(default=None, description="The identity provider (type oidc).")
    cognito: CognitoAuthenticationSettings | None = Field(default=None, description="The user pool (type cognito).")
    on_unauthenticated_request: Literal["deny", "authenticate"] = Field(
        default="deny", description="'deny': 401 to a caller without a session (API clients); 'authenticate': "
        "redirect to the login page (browsers).")
    session_timeout_seconds: int = Field(default=3600, ge=60, le=604800, description="Session cookie lifetime.")

    @model_validator(mode="after")
    def _settings_of_its_type(self) -> LoadBalancerAuthentication:
        chosen, other = ("oidc", "cognito") if self.type == "oidc" else ("cognito", "oidc")
        if getattr(self, chosen) is None:
            raise ValueError(f"type '{self.type}' needs its settings under {chosen}:")
        if getattr(self, other) is not None:
            raise ValueError(f"type '{self.type}' ignores {other}: remove it (or set type: {other})")
        return self


class LoadBalancerSettings(StackModel):
    authentication: LoadBalancerAuthentication | None = Field(
        default=None, description="Authenticate callers at the ALB (OIDC or Cognito) before they reach a model; "
        "with a WAF or instead of it, what an internet-facing ALB needs in front of confidential models.",
    )
    internal: bool = Field(
        default=False, description="An internal ALB in the private subnets even when public subnets are configured."
    )
    waf: bool = Field(
        default=True, description="A WAFv2 web ACL on an internet-facing ALB (managed rules and the specs' rate "
        "limits); confidential and restricted models are refused on an internet-facing ALB without it.",
    )


class AwsStackSettings(StackModel):
    vpc_id: str | None = Field(default=None, pattern=r"^vpc-[0-9a-f]{8,17}$", description="VPC of EKS and the ALB.")
    private_subnet_ids: list[str] = Field(default_factory=list, description="Private subnets (EKS nodes).")
    public_subnet_ids: list[str] = Field(default_factory=list, description="Public subnets (internet-facing ALB).")
    log_retention_days: int = Field(default=90, ge=1, le=3653, description="CloudWatch log retention.")
    artifact_retention_days: int = Field(
        default=365, ge=1, le=3653, description="Days before noncurrent artifact versions and captured data expire."
    )
    load_balancer: LoadBalancerSettings = Field(
        default_factory=LoadBalancerSettings, description="The EKS stack's application load balancer."
    )
    monitoring_job: MonitoringJobSettings = Field(
        default_factory=MonitoringJobSettings,
        description="The scheduled drift and quality jobs (SageMaker Processing run by Step Functions).",
    )


_SECRET_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
# Placeholders a group-name template may use; anything else is a typo that would bind a group nobody has.
GROUP_PLACEHOLDERS = ("namespace", "model", "environment")


class SecretKeySelector(StackModel):
    name: str = Field(pattern=_SECRET_NAME, max_length=63, description="Secret in the model's namespace.")
    key: str = Field(pattern=r"^[-._a-zA-Z0-9]+$", description="Key of the value in that secret.")


class ConfigMapKeySelector(StackModel):
    config_map: str = Field(pattern=_SECRET_NAME, max_length=63, description="ConfigMap in each model's namespace.")
    key: str = Field(default="ca.crt", pattern=r"^[-._a-zA-Z0-9]+$", description="Key of the PEM bundle in it.")


# In-cluster service names: no public CA can sign them, so a private CA bundle is the only way to verify them.
_IN_CLUSTER_HOST = re.compile(r"\.svc(\.cluster\.local)?$")
# Features the manifests use and the Kubernetes minor version that has them on by default.
FEATURE_MINIMUM_VERSIONS = {
    "lifecycle.preStop.sleep (graceful drain without a shell in the image)": (1, 30),
    "topologySpreadConstraints.matchLabelKeys and nodeTaintsPolicy": (1, 27),
    "CronJob timeZone": (1, 27),
}
# The oldest version the stack's manifests are written for (every feature above); older clusters are refused.
OLDEST_SUPPORTED_VERSION = (1, 27)


def kubernetes_version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


class AlertmanagerSettings(StackModel):
    """How the cluster's Alertmanager sends the e-mails the specs ask for (AlertmanagerConfig emailConfigs).

    No secret value is ever written here: the SMTP password is a reference to a secret in each model's
    namespace. Leave smarthost unset to use the SMTP settings of Alertmanager's global configuration.
    """

    smarthost: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9.-]+:[0-9]{1,5}$",
        description="SMTP relay as host:port (e.g. smtp.example.com:587); unset: Alertmanager's global smtp_smarthost.",
    )
    from_address: str | None = Field(
        default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Sender address of alert e-mails; unset: Alertmanager's global smtp_from.",
    )
    auth_username: str | None = Field(default=None, description="SMTP user name, when the relay needs a login.")
    auth_password_secret: SecretKeySelector | None = Field(
        default=None,
        description="Secret (in each model's namespace) and key holding the SMTP password; never the value itself.",
    )
    require_tls: bool = Field(default=True, description="Refuse to send mail unless the relay offers STARTTLS.")
    config_labels: dict[str, str] | None = Field(
        default=None,
        description="Labels the cluster's Alertmanager selects AlertmanagerConfigs by "
        "(alertmanagerConfigSelector); unset: the same as prometheus_rule_labels.",
    )


class KubernetesStackSettings(StackModel):
    cluster: Literal["existing", "eks"] = Field(
        default="existing", description="'existing': a cluster from kubeconfig; 'eks': the stack creates one."
    )
    context: str | None = Field(default=None, description="kubeconfig context of an existing cluster.")
    ingress_class_name: str = Field(default="nginx", description="IngressClass of the cluster's ingress controller.")
    ingress_namespace: str = Field(default="ingress-nginx", description="Namespace of the ingress controller.")
    prometheus_namespace: str = Field(default="monitoring", description="Namespace of Prometheus.")
    prometheus_rule_labels: dict[str, str] = Field(
        default_factory=lambda: {"release": "kube-prometheus-stack"},
        description="Labels Prometheus selects ServiceMonitors and PrometheusRules by.",
    )
    eks: EksSettings = Field(default_factory=EksSettings, description="Used when cluster is 'eks'.")
    artifact_store_uri: str = Field(
        default="s3://slipstack-artifacts", pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9._/-]*)?$",
        description="On-prem artifact store (s3://bucket[/prefix]) for models that have no AWS artifact bucket: "
        "packaged artifacts, and captured requests under <uri>/capture/<model>/<environment>/.",
    )
    artifact_store_endpoint: str | None = Field(
        default=None, pattern=r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$",
        description="HTTPS endpoint of an S3-compatible on-prem store (MinIO, Ceph RGW); unset: AWS S3. An "
        "in-cluster name (<service>.<namespace>.svc...) narrows the pods' egress to that namespace.",
    )
    artifact_store_cidrs: list[str] = Field(
        default_factory=lambda: ["0.0.0.0/0"],
        description="Address ranges of the artifact store outside the cluster (egress on its port); the default "
        "suits AWS S3, which has no fixed range.",
    )
    artifact_store_ca_bundle: ConfigMapKeySelector | None = Field(
        default=None,
        description="ConfigMap (in each model's namespace) and key with the PEM CA bundle that signs the on-prem "
        "store's certificate; mounted read-only and set as AWS_CA_BUNDLE in every container that reads the store. "
        "Required for an in-cluster endpoint (no public CA signs *.svc names).",
    )
    artifact_store_public_ca: bool = Field(
        default=False,
        description="Say that the on-prem store's certificate chains to a public CA, so no CA bundle is needed.",
    )
    artifact_store_kms_key_id: str | None = Field(
        default=None, min_length=1, max_length=256,
        description="Key id in the on-prem store's KMS (MinIO KES, Ceph RGW with Vault) that `slipstack deploy` "
        "encrypts published artifacts with (SSE-KMS); unset: SSE-S3, the store's own managed key.",
    )
    artifact_source: Literal["onprem_store", "aws"] = Field(
        default="onprem_store",
        description="Where an existing cluster's pods read a model that also runs on AWS: 'onprem_store' (the "
        "pipeline publishes the package to both stores) or 'aws' (the model's AWS artifact bucket, over "
        "aws_s3_cidrs, as aws_reader_role with the access key in aws_credentials_secret). Models that run only "
        "on-prem always read the on-prem store.",
    )
    aws_s3_cidrs: list[str] = Field(
        default_factory=list,
        description="With artifact_source 'aws': the address ranges the on-prem cluster reaches S3 of the stack's "
        "region at (the region's S3 ranges from ip-ranges.json, or a Direct Connect / interface endpoint range); "
        "the pods' egress on 443 is limited to them.",
    )
    aws_reader_role: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9+=,.@_-]{1,64}$",
        description="With artifact_source 'aws': name of an existing IAM role the on-prem pods act as. The stack "
        "attaches a least-privilege inline policy (the model's artifact and capture prefixes, its KMS key through "
        "S3); the role and who may assume it are prerequisites (docs/kubernetes.md).",
    )
    aws_credentials_secret: str = Field(
        default="aws-artifact-reader", pattern=_SECRET_NAME, max_length=63,
        description="With artifact_source 'aws': Secret in each model namespace whose `credentials` key is an "
        "AWS shared-credentials file that assumes aws_reader_role (role_arn + source_profile of an access key).",
    )
    minimum_version: str = Field(
        default="1.30", pattern=r"^1\.[0-9]{2}$",
        description="Oldest Kubernetes version of the cluster (an existing cluster; with cluster 'eks' the EKS "
        "version). The manifests use only features this version has: preStop sleep needs 1.30.",
    )
    ingress_namespace_labels: dict[str, str] | None = Field(
        default=None,
        description="Labels of the ingress controller's namespace that NetworkPolicies select it by; unset: "
        "kubernetes.io/metadata.name=<ingress_namespace>.",
    )
    prometheus_namespace_labels: dict[str, str] | None = Field(
        default=None,
        description="Labels of Prometheus's namespace that NetworkPolicies select it by; unset: "
        "kubernetes.io/metadata.name=<prometheus_namespace>.",
    )
    quota_headroom_percent: int = Field(
        default=25, ge=0, le=400,
        description="Room above the model's peak (all replicas, surge, canary, jobs) its ResourceQuota leaves for a "
        "cert-manager solver, a debug pod or a rollout retry.",
    )
    artifact_store_credentials_secret: str = Field(
        default="artifact-store-credentials", pattern=_SECRET_NAME, max_length=63,
        description="Secret in each model's namespace with an AWS-style `credentials` file for the store "
        "(existing clusters; on EKS the pod identity webhook supplies credentials instead).",
    )
    pushgateway_url: str | None = Field(
        default=None, pattern=r"^https?://[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.svc"
        r"(\.cluster\.local)?(:[0-9]{1,5})?/?$",
        description="In-cluster URL of the Prometheus Pushgateway the monitoring jobs push to "
        "(http://<service>.<namespace>.svc.cluster.local:<port>); unset: "
        "http://prometheus-pushgateway.<prometheus_namespace>.svc.cluster.local:9091.",
    )
    dask_scheduler_cidrs: list[str] = Field(
        default_factory=list,
        description="Address ranges of a Dask scheduler outside the cluster that specs name by host name "
        "(monitoring.drift.dask_scheduler); in-cluster names and IP addresses need none.",
    )
    deployer_groups: list[str] = Field(
        default_factory=lambda: ["{namespace}-deployers"],
        description="Identity-provider groups bound to each model's deployer Role; may use {namespace}, {model}, "
        "{environment}.",
    )
    viewer_groups: list[str] = Field(
        default_factory=lambda: ["{namespace}-viewers"],
        description="Identity-provider groups bound to each model's viewer Role; same placeholders.",
    )
    alertmanager: AlertmanagerSettings = Field(
        default_factory=AlertmanagerSettings, description="E-mail delivery of the models' alerts (Alertmanager)."
    )

    @field_validator("deployer_groups", "viewer_groups")
    @classmethod
    def _known_placeholders(cls, groups: list[str]) -> list[str]:
        for group in groups:
            fields = {name for _, name, _, _ in string.Formatter().parse(group) if name is not None}
            unknown = fields - set(GROUP_PLACEHOLDERS)
            if unknown:
                raise ValueError(
                    f"group '{group}' uses unknown placeholder(s) {sorted(unknown)}; allowed: "
                    + ", ".join("{" + name + "}" for name in GROUP_PLACEHOLDERS)
                )
        return groups

    @model_validator(mode="after")
    def _eks_api_reachable(self) -> KubernetesStackSettings:
        # The program creates Kubernetes objects in the cluster it creates: `pulumi up` must reach its API.
        if self.cluster == "eks" and self.eks.api_reachable_from is None:
            raise ValueError(
                "eks.api_reachable_from: say where the deployment reaches the EKS API from: 'public_cidrs' (with "
                "public_access_cidrs: the CI runners' egress CIDRs) or 'vpc_runner' (a runner inside the VPC)"
            )
        return self

    @field_validator("artifact_store_cidrs", "dask_scheduler_cidrs", "aws_s3_cidrs")
    @classmethod
    def _cidrs(cls, cidrs: list[str]) -> list[str]:
        for cidr in cidrs:
            try:
                ipaddress.ip_network(cidr)
            except ValueError:
                raise ValueError(f"'{cidr}' is not a CIDR range (e.g. 10.20.0.0/16)") from None
        return cidrs

    @model_validator(mode="after")
    def _store_is_verifiable_and_version_supported(self) -> KubernetesStackSettings:
        endpoint = self.artifact_store_endpoint
        if endpoint and self.artifact_store_ca_bundle is None:
            host = endpoint.removeprefix("https://").split("/")[0].rsplit(":", 1)[0]
            if _IN_CLUSTER_HOST.search(host):
                raise ValueError(
                    f"artifact_store_endpoint {endpoint} is an in-cluster name, which no public CA signs: set "
                    "artifact_store_ca_bundle: {config_map: <name>, key: ca.crt} (a ConfigMap with the store's CA "
                    "in each model namespace)"
                )
            if not self.artifact_store_public_ca:
                raise ValueError(
                    f"artifact_store_endpoint {endpoint} has no CA bundle: set artifact_store_ca_bundle: "
                    "{config_map: <name>, key: ca.crt} for a private CA, or artifact_store_public_ca: true if its "
                    "certificate chains to a public CA"
                )
        if self.cluster == "eks" and not self.eks.load_balancer_subnet_cidrs:
            raise ValueError(
                "eks.load_balancer_subnet_cidrs is empty: the ALB reaches the pods from its subnets, which the "
                "NetworkPolicies must admit on the serving port; list those subnets' CIDRs (aws ec2 describe-subnets)"
            )
        for cidr in self.eks.load_balancer_subnet_cidrs:
            try:
                ipaddress.ip_network(cidr)
            except ValueError:
                raise ValueError(f"eks.load_balancer_subnet_cidrs: '{cidr}' is not a CIDR range") from None
        version = kubernetes_version(self.eks.kubernetes_version if self.cluster == "eks" else self.minimum_version)
        if version < OLDEST_SUPPORTED_VERSION:
            needs = "; ".join(f"{name} needs 1.{v[1]}" for name, v in FEATURE_MINIMUM_VERSIONS.items() if version < v)
            field_name = "eks.kubernetes_version" if self.cluster == "eks" else "minimum_version"
            raise ValueError(
                f"{field_name} 1.{version[1]} is older than the oldest version the manifests support "
                f"(1.{OLDEST_SUPPORTED_VERSION[1]}): {needs}; upgrade the cluster and raise {field_name}"
            )
        return self

    def group_names(self, templates: list[str], namespace: str, model: str, environment: str) -> list[str]:
        return [t.format(namespace=namespace, model=model, environment=environment) for t in templates]


class StackConfig(StackModel):
    stack: str = Field(description="Stack name (dev, staging, prod, ...).")
    environment: EnvironmentName = Field(description="Which environment overrides of each spec apply.")
    specs: list[str] = Field(min_length=1, description="Spec files, relative to the project root.")
    targets: list[Target] = Field(min_length=1, description="Targets this stack provides: aws, onprem or both.")
    region: str = Field(default="eu-west-1", pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]$", description="AWS region.")
    aws: AwsStackSettings = Field(default_factory=AwsStackSettings, description="AWS settings.")
    kubernetes: KubernetesStackSettings = Field(
        default_factory=KubernetesStackSettings, description="Kubernetes settings."
    )
    tags: dict[str, str] = Field(default_factory=dict, description="Extra tags on every resource.")
    secrets: frozenset[str] = Field(
        default_factory=frozenset, description="The secret settings present (names only; values are never read here)."
    )

    @model_validator(mode="after")
    def _oidc_needs_its_client_secret(self) -> StackConfig:
        authentication = self.aws.load_balancer.authentication
        if authentication is not None and authentication.type == "oidc" and ALB_CLIENT_SECRET_KEY not in self.secrets:
            raise ValueError(
                f"aws.load_balancer.authentication: type 'oidc' needs its client secret as the secret setting "
                f"{NAMESPACE}:{ALB_CLIENT_SECRET_KEY} (pulumi config set --secret {NAMESPACE}:{ALB_CLIENT_SECRET_KEY} "
                "--stack <stack>)"
            )
        return self

    @field_validator("targets")
    @classmethod
    def _unique(cls, targets: list[str]) -> list[str]:
        if len(set(targets)) != len(targets):
            raise ValueError("a target is listed twice")
        return targets

    @model_validator(mode="after")
    def _aws_artifact_source_is_complete(self) -> StackConfig:
        # Each missing piece would show up only as an init container that cannot download: refuse it here.
        kube = self.kubernetes
        if kube.artifact_source != "aws":
            return self
        # The message starts with the setting it is about, so the stack-config reader points at its line.
        where = "kubernetes.artifact_source: 'aws'"
        if kube.cluster == "eks":
            raise ValueError(
                f"{where} is for an existing cluster; the stack's EKS cluster already reads the AWS bucket through "
                "its pod role: remove artifact_source"
            )
        if "aws" not in self.targets or "onprem" not in self.targets:
            raise ValueError(
                f"{where} needs both targets (aws and onprem): only a model that also runs on AWS has an AWS "
                "artifact bucket; add aws to slipstack:targets or remove artifact_source"
            )
        missing = [
            f"{name} ({fix})" for name, value, fix in (
                (f"{NAMESPACE}:kubernetes.aws_s3_cidrs", kube.aws_s3_cidrs,
                 "the ranges the cluster reaches S3 at, e.g. the region's S3 prefixes from ip-ranges.json"),
                (f"{NAMESPACE}:kubernetes.aws_reader_role", kube.aws_reader_role,
                 "the name of the existing IAM role the pods act as"),
            ) if not value
        ]
        if missing:
            raise ValueError(f"{where} is incomplete: set " + "; ".join(missing))
        return self


# Stack config keys (without the namespace) and the StackConfig field each fills.
CONFIG_KEYS: dict[str, str] = {
    "environment": "environment",
    "specs": "specs",
    "targets": "targets",
    "aws": "aws",
    "kubernetes": "kubernetes",
    "tags": "tags",
}


def stack_config_from_values(
    stack: str,
    values: Mapping[str, Any],
    source: str = "stack config",
    line_of: Callable[..., int] | None = None,
) -> StackConfig:
    """Build the StackConfig from engine-form keys ('slipstack:specs', 'aws:region', ...).

    `line_of(key, *path)` (the stack file's lines, when it was read from one) puts `:line` after `source`.
    """
    fields: dict[str, Any] = {"stack": stack}
    problems: list[str] = []

    def where(key: str, *path: str | int) -> str:
        return f"{source}:{line_of(key, *path)}" if line_of is not None else source

    for key, value in values.items():
        namespace, _, name = key.partition(":")
        if key == "aws:region":
            fields["region"] = value
        elif namespace == NAMESPACE:
            if name in SECRET_KEYS:
                fields.setdefault("secrets", set()).add(name)
            elif name in CONFIG_KEYS:
                fields[CONFIG_KEYS[name]] = value
            else:
                close = difflib.get_close_matches(name, list(CONFIG_KEYS), n=1)
                hint = f"did you mean '{NAMESPACE}:{close[0]}'? " if close else ""
                problems.append(
                    f"{where(key)}: {key}: unknown key ({hint}allowed: "
                    f"{', '.join(NAMESPACE + ':' + k for k in CONFIG_KEYS)})"
                )
    try:
        config = StackConfig.model_validate(fields)
    except ValidationError as error:
        for item in error.errors(include_url=False):
            parts: list[str | int] = list(item["loc"])
            message = str(item["msg"]).removeprefix("Value error, ")
            if not parts:  # a rule across settings: its message starts with the setting it is about
                parts = list(message.split(":", 1)[0].split("."))
                message = message.split(":", 1)[1].strip() if ":" in message else message
            loc = ".".join(str(part) for part in parts)
            key = f"{NAMESPACE}:{loc}" if parts and parts[0] != "region" else "aws:region"
            file_key = f"{NAMESPACE}:{parts[0]}" if parts and parts[0] != "region" else "aws:region"
            at = where(file_key, *parts[1:])
            if item["type"] == "missing":
                problems.append(f"{at}: {key}: required key is missing (add it under config:)")
                continue
            if not item["loc"]:
                problems.append(f"{at}: {key}: {message}")
                continue
            problems.append(f"{at}: {key}: {message} (got {item.get('input')!r})")
        config = None
    if problems or config is None:
        raise StackConfigError("\n".join(problems))
    return config
