"""LB-PROTECTED-ENTRY: a confidential or restricted model behind an internet-facing ALB is protected at the ALB.

A target group whose tags classify its model as confidential or restricted may receive traffic from an
internet-facing application load balancer only if that load balancer has a WAFv2 web ACL, or if the
listener rule (or listener default) that forwards to it first authenticates the caller
(`authenticate-oidc` / `authenticate-cognito`). Listener rules and listeners reference their target groups
and load balancer by ARN, so they depend on them: the rule correlates by those dependencies, never by
ARNs (unknown at preview). A classification tag unknown at preview cannot be judged: the rule says so.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from contracts import tags
from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, StackResource, StackView, each, read, read_list

PROTECTED_CLASSES = ("confidential", "restricted")
AUTHENTICATE_ACTIONS = ("authenticate-oidc", "authenticate-cognito")


def _types(actions: Sequence[Any]) -> list[str]:
    return [str(read(action, "type")) for action in actions]


def check(view: StackView, context: RuleContext) -> Outcome:
    def judge(forwarder: StackResource) -> Iterator[str]:
        protected = []
        for group in view.referenced_by(forwarder, t.LB_TARGET_GROUP):
            classification = read(group.props, "tags", tags.DATA_CLASSIFICATION)
            if classification in PROTECTED_CLASSES:
                protected.append((group.name, classification))
        if not protected:
            return
        is_listener = forwarder.type == t.LB_LISTENER
        listeners = [forwarder] if is_listener else view.referenced_by(forwarder, t.LB_LISTENER)
        balancers = [b for listener in listeners for b in view.referenced_by(listener, t.LB_LOAD_BALANCER)]
        exposed = [b for b in balancers if read(b.props, "internal") is not True
                   and (read(b.props, "loadBalancerType") or "application") == "application"
                   and not view.attached_to(b, t.WAFV2_WEB_ACL_ASSOCIATION)]
        if not exposed:
            return
        key = "defaultActions" if is_listener else "actions"
        if any(kind in AUTHENTICATE_ACTIONS for kind in _types(read_list(forwarder.props, key))):
            return
        for group_name, classification in protected:
            yield (f"forwards to {group_name} ({classification} model) from internet-facing load balancer "
                   f"{exposed[0].name}, which has no WAFv2 web ACL, without an authenticate-oidc or "
                   "authenticate-cognito action first")

    return each(view.of_type(t.LB_LISTENER_RULE, t.LB_LISTENER), judge)


RULE = Rule(
    id="LB-PROTECTED-ENTRY",
    description="Confidential or restricted models behind an internet-facing ALB have a WAF or authentication.",
    severity="high",
    remediation="Associate a WAFv2 web ACL with the load balancer, or put an authenticate-oidc / "
    "authenticate-cognito action (order 1) before the forward in the listener rule; or use an internal ALB.",
    anchors=("Slipstack (no rule set has it): data classification of the target vs internet-facing entry",),
    enforcement="M",
    stack_check=check,
    stack_types=frozenset({t.LB_LISTENER_RULE, t.LB_LISTENER}),
)
