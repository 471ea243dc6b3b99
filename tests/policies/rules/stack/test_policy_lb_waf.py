"""Cases for LB-WAF: correlated by the association's dependency on the load balancer."""

from policy_rule_cases import UNKNOWN, resource, stack_messages, undecided

from policies.rules.stack.lb_waf import RULE

LB = "aws:lb/loadBalancer:LoadBalancer"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
FAIL = "internet-facing application load balancer without a WAFv2 web ACL association"


def test_pass_with_association() -> None:
    stack = [resource(LB, "alb", {"internal": False}), resource(ASSOCIATION, "waf", {}, deps=("alb",))]
    assert stack_messages(RULE, stack) == []


def test_internal_and_network_balancers_are_not_applicable() -> None:
    stack = [resource(LB, "inner", {"internal": True}), resource(LB, "nlb", {"loadBalancerType": "network"})]
    assert stack_messages(RULE, stack) == []


def test_internet_facing_without_waf() -> None:
    assert stack_messages(RULE, [resource(LB, "alb", {"internal": False})]) == [("alb", FAIL)]


def test_association_of_another_balancer_does_not_count() -> None:
    stack = [resource(LB, "a", {}), resource(LB, "b", {}), resource(ASSOCIATION, "waf", {}, deps=("b",))]
    assert stack_messages(RULE, stack) == [("a", FAIL)]


def test_unknown() -> None:
    assert stack_messages(RULE, [resource(LB, "alb", {"internal": UNKNOWN})]) == [("alb", undecided("internal"))]


def test_mandatory_in_prod() -> None:
    assert (RULE.default_level("staging"), RULE.default_level("prod")) == ("advisory", "mandatory")
