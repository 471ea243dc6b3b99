"""LB-WAF: an internet-facing application load balancer is protected by a WAFv2 web ACL.

A WebAclAssociation names the load balancer in `resourceArn`, so it depends on it: the rule
correlates the two by that dependency, never by the ARN (unknown at preview).
"""

from __future__ import annotations

from collections.abc import Iterator

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, StackResource, StackView, each, read


def check(view: StackView, context: RuleContext) -> Outcome:
    def judge(balancer: StackResource) -> Iterator[str]:
        if (read(balancer.props, "loadBalancerType") or "application") != "application":
            return
        if read(balancer.props, "internal") is True:
            return
        if not view.attached_to(balancer, t.WAFV2_WEB_ACL_ASSOCIATION):
            yield "internet-facing application load balancer without a WAFv2 web ACL association"

    return each(view.of_type(t.LB_LOAD_BALANCER), judge)


RULE = Rule(
    id="LB-WAF",
    description="Internet-facing application load balancers have a WAFv2 web ACL associated.",
    severity="high",
    remediation="Create an aws.wafv2.WebAcl (AWS managed rule groups) and a WebAclAssociation with the ALB's ARN.",
    anchors=("CKV2_AWS_28", "cdk-nag NIST.800.53.R5-ALBWAFEnabled"),
    enforcement="M(p)",
    stack_check=check,
    stack_types=frozenset({t.LB_LOAD_BALANCER}),
)
