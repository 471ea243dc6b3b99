"""Cases for LB-PROTECTED-ENTRY: listener rule -> target group (classification tag), listener -> load balancer."""

from typing import Any

from policy_rule_cases import UNKNOWN, resource, stack_messages, undecided

from policies.rules.stack.lb_protected_entry import RULE

LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
RULE_TYPE = "aws:lb/listenerRule:ListenerRule"
TG = "aws:lb/targetGroup:TargetGroup"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
TAG = "slipstack:data-classification"
FAIL = ("forwards to tg (confidential model) from internet-facing load balancer alb, which has no WAFv2 web ACL, "
        "without an authenticate-oidc or authenticate-cognito action first")
FORWARD = {"type": "forward", "targetGroupArn": "arn"}
OIDC = {"type": "authenticate-oidc", "order": 1, "authenticateOidc": {"clientSecret": "[secret]"}}


def stack(classification: Any = "confidential", actions: list[Any] | None = None, internal: Any = False,
          waf: bool = False) -> list[Any]:
    found = [
        resource(LB, "alb", {"internal": internal, "loadBalancerType": "application"}),
        resource(LISTENER, "https", {"defaultActions": [{"type": "fixed-response"}]}, deps=("alb",)),
        resource(TG, "tg", {"tags": {TAG: classification}}),
        resource(RULE_TYPE, "rule", {"actions": actions or [FORWARD]}, deps=("https", "tg")),
    ]
    return found + ([resource(ASSOCIATION, "waf", {}, deps=("alb",))] if waf else [])


def test_confidential_behind_an_open_alb_without_waf_or_authentication() -> None:
    assert stack_messages(RULE, stack()) == [("rule", FAIL)]
    assert stack_messages(RULE, stack("restricted")) == [("rule", FAIL.replace("confidential", "restricted"))]


def test_a_waf_or_authentication_or_an_internal_alb_protects_it() -> None:
    assert stack_messages(RULE, stack(waf=True)) == []
    assert stack_messages(RULE, stack(actions=[OIDC, {**FORWARD, "order": 2}])) == []
    assert stack_messages(RULE, stack(actions=[{"type": "authenticate-cognito"}, FORWARD])) == []
    assert stack_messages(RULE, stack(internal=True)) == []


def test_public_and_internal_models_need_neither() -> None:
    assert stack_messages(RULE, stack("internal")) == []
    assert stack_messages(RULE, stack("public")) == []


def test_a_listener_default_forwarding_to_a_confidential_group() -> None:
    found = [resource(LB, "alb", {}), resource(TG, "tg", {"tags": {TAG: "confidential"}}),
             resource(LISTENER, "https", {"defaultActions": [FORWARD]}, deps=("alb", "tg"))]
    assert stack_messages(RULE, found) == [("https", FAIL)]


def test_unknown_classification_is_undecided() -> None:
    assert stack_messages(RULE, stack(UNKNOWN)) == [("rule", undecided(f"tags.{TAG}"))]


def test_mandatory_everywhere() -> None:
    assert (RULE.default_level("staging"), RULE.default_level("prod")) == ("mandatory", "mandatory")
