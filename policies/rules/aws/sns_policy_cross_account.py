"""SNS-POLICY-CROSS-ACCOUNT: a topic policy grants nothing to other AWS accounts (alerts name models and data)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.iam_documents import allows, parse_document
from policies.rule import Outcome, Rule, RuleContext, read, verdict

ACCOUNT = re.compile(r"^(?:arn:aws[a-z-]*:iam::)?(\d{12})(?::|$)")
TOPIC_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:sns:[^:]*:(\d{12}):")


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    topic = read(props, "arn")
    match = TOPIC_ACCOUNT.match(topic) if isinstance(topic, str) else None
    if match is None:
        return verdict([f"arn is {topic!r}, not a topic ARN: the topic's own account cannot be told apart"])
    own = match.group(1)
    problems = []
    for s in allows(parse_document(read(props, "policy"), "policy")):
        for principal in s.principals:
            if not principal.startswith("AWS:"):
                continue
            account = ACCOUNT.match(principal.removeprefix("AWS:"))
            if account is None or account.group(1) != own:
                problems.append(f"{s.where} grants {principal.removeprefix('AWS:')}, outside account {own}")
    return verdict(problems)


RULE = Rule(
    id="SNS-POLICY-CROSS-ACCOUNT",
    description="SNS topic policies grant AWS principals of the topic's own account only.",
    severity="high",
    remediation="Remove the other account's principal; deliver across accounts with an EventBridge bus instead.",
    anchors=("CKV_AWS_385",),
    enforcement="M",
    resource_types=frozenset({t.SNS_TOPIC_POLICY}),
    check=check,
)
