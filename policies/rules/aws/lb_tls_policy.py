"""LB-TLS-POLICY: TLS listeners use a TLS 1.2+/1.3 forward-secret policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import NotApplicable, Outcome, Rule, RuleContext, read, verdict

ALLOWED_PREFIXES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-",
    "ELBSecurityPolicy-FS-1-2-Res-",
)


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if read(props, "protocol") not in ("HTTPS", "TLS"):
        return NotApplicable("not a TLS listener")
    policy = read(props, "sslPolicy")
    if isinstance(policy, str) and policy.startswith(ALLOWED_PREFIXES):
        return verdict([])
    return verdict([f"sslPolicy is {policy!r}; use ELBSecurityPolicy-TLS13-1-2-2021-06 or stricter"])


RULE = Rule(
    id="LB-TLS-POLICY",
    description="TLS listeners use a modern security policy.",
    severity="high",
    remediation="Set ssl_policy='ELBSecurityPolicy-TLS13-1-2-2021-06'.",
    anchors=(
        "CKV_AWS_103",
        "compliance-policies aws/lb/Listener/configureSecureTls",
    ),
    enforcement="M",
    resource_types=frozenset({t.LB_LISTENER}),
    check=check,
)
