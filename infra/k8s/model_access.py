# mypy: disable-error-code="call-overload"
# (pulumi_kubernetes types each field as a TypedDict; manifests built as plain dicts cannot match them.)
"""Identity and access for one model's namespace: the pods' own ServiceAccount and RBAC for people.

- A dedicated ServiceAccount with token automount off: no model container calls the Kubernetes API.
  With `aws_role_arn` (EKS) it carries the IRSA annotation: the pod identity webhook then projects a
  token for STS alone (its own volume, unaffected by the automount setting) and the pods assume that role.
- A deployer Role that may roll out, scale and roll back the model's own workloads (named ones only),
  read their pods and logs, and read only the named secrets the model uses; no wildcards, no pods/exec,
  no bind/escalate/impersonate.
- A viewer Role with read access to everything of the model except secrets.
Both are bound to groups from the identity provider, never to individual users.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

READ = ["get", "list", "watch"]
# What a rollout, a rollback (kubectl rollout undo patches the Deployment) and a manual scale need.
CHANGE = ["get", "update", "patch"]


@dataclass(frozen=True)
class ModelAccessArgs:
    namespace: str
    service_account_name: str
    deployments: list[str]
    cron_jobs: list[str] = field(default_factory=list)
    autoscalers: list[str] = field(default_factory=list)
    # Secrets the deployers may read by name (TLS certificate, artifact-store credentials).
    secret_names: list[str] = field(default_factory=list)
    deployer_groups: list[str] = field(default_factory=list)
    viewer_groups: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    # The IAM role the pods assume on EKS (IRSA); None elsewhere (on-prem pods use a credentials secret).
    aws_role_arn: pulumi.Input[str] | None = None


ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"


def deployer_rules(args: ModelAccessArgs) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {"apiGroups": ["apps"], "resources": ["deployments", "replicasets"], "verbs": READ},
        {"apiGroups": ["apps"], "resources": ["deployments", "deployments/scale"],
         "resourceNames": sorted(args.deployments), "verbs": CHANGE},
        {"apiGroups": [""], "resources": ["pods", "pods/log", "services", "endpoints", "events"], "verbs": READ},
        {"apiGroups": ["batch"], "resources": ["cronjobs", "jobs"], "verbs": READ},
    ]
    if args.cron_jobs:
        rules.append(
            {"apiGroups": ["batch"], "resources": ["cronjobs"], "resourceNames": sorted(args.cron_jobs),
             "verbs": CHANGE}
        )
    if args.autoscalers:
        rules.append(
            {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"],
             "resourceNames": sorted(args.autoscalers), "verbs": CHANGE}
        )
    if args.secret_names:
        # resourceNames keeps this to the model's own secrets (Checkov CKV_K8S_157 / K8S-RBAC-ESCALATE).
        rules.append({"apiGroups": [""], "resources": ["secrets"], "resourceNames": sorted(args.secret_names),
                      "verbs": ["get"]})
    return rules


def viewer_rules() -> list[dict[str, Any]]:
    return [
        {"apiGroups": [""], "resources": ["pods", "pods/log", "services", "endpoints", "events", "configmaps"],
         "verbs": READ},
        {"apiGroups": ["apps"], "resources": ["deployments", "replicasets"], "verbs": READ},
        {"apiGroups": ["batch"], "resources": ["cronjobs", "jobs"], "verbs": READ},
        {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": READ},
        {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": READ},
        {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "networkpolicies"], "verbs": READ},
    ]


class ModelAccess(pulumi.ComponentResource):
    service_account: k8s.core.v1.ServiceAccount
    service_account_name: pulumi.Output[str]

    def __init__(self, name: str, args: ModelAccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:k8s:ModelAccess", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def metadata(object_name: str) -> dict[str, Any]:
            return {"name": object_name, "namespace": args.namespace, "labels": args.labels}

        account_metadata = metadata(args.service_account_name)
        if args.aws_role_arn is not None:
            account_metadata["annotations"] = {ROLE_ARN_ANNOTATION: args.aws_role_arn}
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=account_metadata,
            automount_service_account_token=False,
            opts=child,
        )
        self.service_account_name = self.service_account.metadata.apply(lambda m: m["name"])
        for role_name, rules, groups in (
            ("deployer", deployer_rules(args), args.deployer_groups),
            ("viewer", viewer_rules(), args.viewer_groups),
        ):
            role = k8s.rbac.v1.Role(f"{name}-{role_name}", metadata=metadata(f"model-{role_name}"), rules=rules,
                                    opts=child)
            if groups:
                k8s.rbac.v1.RoleBinding(
                    f"{name}-{role_name}-binding",
                    metadata=metadata(f"model-{role_name}"),
                    role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": f"model-{role_name}"},
                    subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}
                              for group in groups],
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[role]),
                )
        self.register_outputs({"service_account_name": self.service_account_name})
