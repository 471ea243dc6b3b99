"""A WAFv2 web ACL on an internet-facing application load balancer.

Creates: `aws.wafv2.WebAcl` (REGIONAL, default allow) with, in order,
1. AWS's managed common rule set (`AWSManagedRulesCommonRuleSet`: OWASP-style request checks),
2. AWS's known-bad-inputs rule set (`AWSManagedRulesKnownBadInputsRuleSet`: Log4Shell-style payloads),
3. one rate-based rule per model host: more than `limit` requests from one IP in 5 minutes to that
   host are blocked (each model's limit comes from its spec; the Host header scopes it);
and `aws.wafv2.WebAclAssociation` with the load balancer. Every rule publishes CloudWatch metrics and
sampled requests, so a block can be explained.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")


@dataclass(frozen=True)
class HostRateLimit:
    host: str
    requests_per_5_minutes: int  # WAF's bounds: 10 ... 2,000,000,000


@dataclass(frozen=True)
class LoadBalancerWebAclArgs:
    name: str
    load_balancer_arn: pulumi.Input[str]
    rate_limits: Sequence[HostRateLimit]
    tags: dict[str, str] = field(default_factory=dict)


def _visibility(metric: str) -> dict[str, object]:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric[:128], "sampled_requests_enabled": True}


def web_acl_rules(name: str, rate_limits: Sequence[HostRateLimit]) -> list[dict[str, object]]:
    """The ACL's rules in priority order (pure: the tests read the same from the plan)."""
    rules: list[dict[str, object]] = [
        {
            "name": group,
            "priority": priority,
            "override_action": {"none": {}},  # the group's own block actions apply
            "statement": {"managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}},
            "visibility_config": _visibility(f"{name}-{group}"),
        }
        for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1)
    ]
    for index, limit in enumerate(rate_limits):
        if not 10 <= limit.requests_per_5_minutes <= 2_000_000_000:
            raise ValueError(f"{limit.host}: a WAF rate limit is 10 to 2,000,000,000 requests per 5 minutes")
        rules.append({
            # Rule names allow letters, digits, '-' and '_' only: the host is in the scope-down statement.
            "name": f"rate-limit-{index}",
            "priority": 10 + index,
            "action": {"block": {}},
            "statement": {"rate_based_statement": {
                "limit": limit.requests_per_5_minutes,
                "aggregate_key_type": "IP",
                "scope_down_statement": {"byte_match_statement": {
                    "search_string": limit.host.lower(),
                    "field_to_match": {"single_header": {"name": "host"}},
                    "positional_constraint": "EXACTLY",
                    "text_transformations": [{"priority": 0, "type": "LOWERCASE"}],
                }},
            }},
            "visibility_config": _visibility(f"{name}-rate-{index}"),
        })
    return rules


class LoadBalancerWebAcl(pulumi.ComponentResource):
    web_acl: aws.wafv2.WebAcl

    def __init__(self, name: str, args: LoadBalancerWebAclArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:LoadBalancerWebAcl", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            name=args.name,
            description="Slipstack: managed common and known-bad-inputs rules, per-model rate limits",
            scope="REGIONAL",
            default_action={"allow": {}},
            rules=web_acl_rules(args.name, args.rate_limits),
            visibility_config=_visibility(args.name),
            tags=args.tags,
            opts=child,
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-association",
            resource_arn=args.load_balancer_arn,
            web_acl_arn=self.web_acl.arn,
            opts=child,
        )
        self.register_outputs({"web_acl_arn": self.web_acl.arn})
