"""SG-ATTACHED: every security group is used by something; an orphan group is a permission nobody reviews."""

from __future__ import annotations

from collections.abc import Iterator

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, StackResource, StackView, each
from policies.security_groups import SECURITY_GROUP_TYPES


def check(view: StackView, context: RuleContext) -> Outcome:
    def judge(group: StackResource) -> Iterator[str]:
        # Rules about the group do not use it; a load balancer, cluster or model that depends on it does.
        users = [r for r in view.attached.get(group.urn, []) if r.type not in SECURITY_GROUP_TYPES]
        if not any(group.urn in r.dependencies for r in users):
            yield "no resource uses this security group"

    return each(view.of_type(t.EC2_SECURITY_GROUP), judge)


RULE = Rule(
    id="SG-ATTACHED",
    description="Security groups are attached to a resource (load balancer, cluster, model, endpoint).",
    severity="low",
    remediation="Delete the unused group, or attach it where it was meant to be used.",
    anchors=("CKV2_AWS_5",),
    enforcement="A",
    stack_check=check,
    stack_types=frozenset({t.EC2_SECURITY_GROUP}),
)
