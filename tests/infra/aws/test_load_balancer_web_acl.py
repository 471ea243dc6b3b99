"""LoadBalancerWebAcl: managed rule groups first, then one host-scoped rate limit per model."""

from __future__ import annotations

from typing import Any

import pytest

from infra.aws.load_balancer_web_acl import MANAGED_RULE_GROUPS, HostRateLimit, web_acl_rules


def test_rules_in_priority_order_with_host_scoped_rate_limits() -> None:
    rules = web_acl_rules("ingress", [HostRateLimit("A.example.com", 500), HostRateLimit("b.example.com", 100)])
    assert [r["name"] for r in rules] == [*MANAGED_RULE_GROUPS, "rate-limit-0", "rate-limit-1"]
    assert [r["priority"] for r in rules] == [1, 2, 10, 11]
    first: Any = rules[2]["statement"]
    assert first["rate_based_statement"]["limit"] == 500
    assert first["rate_based_statement"]["scope_down_statement"]["byte_match_statement"]["search_string"] == (
        "a.example.com")


def test_a_rate_limit_waf_refuses_is_refused() -> None:
    with pytest.raises(ValueError, match="10 to 2,000,000,000"):
        web_acl_rules("ingress", [HostRateLimit("a.example.com", 5)])


def test_the_acl_is_associated_with_the_load_balancer(pulumi_run: Any) -> None:
    from infra.aws.load_balancer_web_acl import LoadBalancerWebAcl, LoadBalancerWebAclArgs

    lb = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/ingress/0123456789abcdef"
    run = pulumi_run(lambda: LoadBalancerWebAcl("waf", LoadBalancerWebAclArgs(
        name="ingress", load_balancer_arn=lb, rate_limits=[HostRateLimit("a.example.com", 100)])) and None)
    acl = run.one("aws:wafv2/webAcl:WebAcl")
    association = run.one("aws:wafv2/webAclAssociation:WebAclAssociation").inputs
    assert acl.inputs["scope"] == "REGIONAL" and acl.inputs["defaultAction"] == {"allow": {}}
    assert association == {"resourceArn": lb, "webAclArn": acl.outputs["arn"]}
