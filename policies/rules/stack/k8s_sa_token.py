"""K8S-SA-TOKEN: pods get no API token unless they opt in.

The pod's own setting wins; when unset, the ServiceAccount's setting applies (CK_K8S_38 ignores
that level and misfires on pods whose ServiceAccount already disables the token).
"""

from __future__ import annotations

from collections.abc import Iterator

from contracts import type_tokens as t
from policies.pod_specs import metadata_text, namespace_of, pod_spec_path
from policies.rule import Outcome, Rule, RuleContext, StackResource, StackView, each, read


def _namespace(resource: StackResource) -> str:
    return namespace_of(resource.props)


def check(view: StackView, context: RuleContext) -> Outcome:
    accounts = {(_namespace(sa), metadata_text(sa.props, "name")): sa for sa in view.of_type(t.K8S_SERVICE_ACCOUNT)}

    def judge(workload: StackResource) -> Iterator[str]:
        path = pod_spec_path(workload.props)
        pod_setting = read(workload.props, *path, "automountServiceAccountToken")
        if pod_setting is False:
            return
        if pod_setting is True:
            yield "pod spec sets automountServiceAccountToken: true"
            return
        account_name = read(workload.props, *path, "serviceAccountName") or "default"
        key = (_namespace(workload), account_name if isinstance(account_name, str) else repr(account_name))
        account = accounts.get(key)
        if account is None or read(account.props, "automountServiceAccountToken") is not False:
            yield f"automountServiceAccountToken is unset on the pod and not false on ServiceAccount {account_name}"

    return each(
        [r for token in sorted(t.K8S_WORKLOADS) for r in view.of_type(token)],
        judge,
    )


RULE = Rule(
    id="K8S-SA-TOKEN",
    description="Pods do not mount a service account token unless they need the API.",
    severity="medium",
    remediation="Set automountServiceAccountToken: false on the pod spec or its ServiceAccount.",
    anchors=("CKV_K8S_38",),
    enforcement="M(p)",
    stack_check=check,
    stack_types=t.K8S_WORKLOADS,
)
