"""EKS-LOGS: the control plane ships every log type (audit trail of who changed the cluster)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read_list, verdict

REQUIRED = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    enabled = {str(kind) for kind in read_list(props, "enabledClusterLogTypes")}
    missing = [kind for kind in REQUIRED if kind not in enabled]
    return verdict([f"enabledClusterLogTypes lacks {', '.join(missing)}"] if missing else [])


RULE = Rule(
    id="EKS-LOGS",
    description="EKS clusters enable all control-plane log types.",
    severity="medium",
    remediation="Set enabled_cluster_log_types to api, audit, authenticator, controllerManager, scheduler.",
    anchors=(
        "cdk-nag AwsSolutions-EKS2",
        "CKV_AWS_37",
    ),
    enforcement="M",
    resource_types=frozenset({t.EKS_CLUSTER}),
    check=check,
)
