"""IAM-OIDC-TRUST: a role assumed by web identity (IRSA, GitHub OIDC) pins both the audience and the subject.

With only `aud`, any service account in the cluster (or any repository on GitHub) can assume it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.iam_documents import allows, parse_document
from policies.rule import Outcome, Rule, RuleContext, read, verdict

WEB_IDENTITY = "sts:assumerolewithwebidentity"
# StringLike with a wildcard in `sub` is as open as no `sub` at all.
EXACT_OPERATORS = ("stringequals", "foranyvalue:stringequals", "forallvalues:stringequals")


def _claims(condition: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    exact: set[str] = set()
    loose: set[str] = set()
    for operator, block in condition.items():
        if not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            claim = str(key).rsplit(":", 1)[-1].lower()
            values = value if isinstance(value, list) else [value]
            wild = any(not isinstance(v, str) or "*" in v or "?" in v for v in values)
            (exact if str(operator).lower() in EXACT_OPERATORS and not wild else loose).add(claim)
    return exact, loose


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for s in allows(parse_document(read(props, "assumeRolePolicy"), "assumeRolePolicy")):
        federated = any(p.startswith("Federated:") for p in s.principals)
        if not federated or WEB_IDENTITY not in {a.lower() for a in s.actions}:
            continue
        exact, loose = _claims(s.condition if isinstance(s.condition, Mapping) else {})
        for claim in ("aud", "sub"):
            if claim not in exact:
                how = "only with a wildcard" if claim in loose else "not at all"
                problems.append(f"{s.where} pins the {claim} claim {how}; use StringEquals on <provider>:{claim}")
    return verdict(problems)


RULE = Rule(
    id="IAM-OIDC-TRUST",
    description="Web-identity trust (IRSA, GitHub OIDC) pins both aud and sub with StringEquals.",
    severity="critical",
    remediation=(
        "Add StringEquals <provider>:sub = system:serviceaccount:<namespace>:<name> "
        "(or repo:<org>/<repo>:...) and <provider>:aud."
    ),
    anchors=("CKV_AWS_393", "CKV_AWS_358"),
    enforcement="M",
    resource_types=frozenset({t.IAM_ROLE}),
    check=check,
)
