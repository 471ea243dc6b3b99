"""IAM-TRUST: a role trusts named principals, and service trust is pinned to our account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.iam_documents import allows, parse_document
from policies.rule import Outcome, Rule, RuleContext, read, verdict

# Confused-deputy guards: any of these condition keys pins a service principal to our account/resource.
SOURCE_KEYS = ("aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid")


def _has_source_guard(condition: Mapping[str, Any]) -> bool:
    for operator_block in condition.values():
        if isinstance(operator_block, Mapping) and any(k.lower() in SOURCE_KEYS for k in operator_block):
            return True
    return False


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for statement in allows(parse_document(read(props, "assumeRolePolicy"), "assumeRolePolicy")):
        if "*" in statement.principals or "AWS:*" in statement.principals:
            problems.append(f"{statement.where} trusts Principal *")
        services = [p.split(":", 1)[1] for p in statement.principals if p.startswith("Service:")]
        # EC2/EKS node trust cannot carry aws:SourceAccount (the instance profile has no source).
        guarded = [s for s in services if s not in ("ec2.amazonaws.com", "eks.amazonaws.com")]
        if guarded and not _has_source_guard(statement.condition):
            problems.append(f"{statement.where} trusts {', '.join(guarded)} without an aws:SourceAccount condition")
    return verdict(problems)


RULE = Rule(
    id="IAM-TRUST",
    description="Role trust policies name principals and pin service principals with aws:SourceAccount.",
    severity="critical",
    remediation="Add Condition StringEquals aws:SourceAccount = <account id> to the service trust.",
    anchors=(
        "CKV_AWS_60",
        "CKV_AWS_61",
    ),
    enforcement="M",
    resource_types=frozenset({t.IAM_ROLE}),
    check=check,
)
