"""DATA-RESTRICTED-CLOUD: restricted data never lands on a cloud target (no anchor has this rule).

Slipstack knows a model's data classification from the spec and tags every resource with it; a
restricted model must stay on-prem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.tags import DATA_CLASSIFICATION
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    value = read(props, "tags", DATA_CLASSIFICATION)
    if isinstance(value, str) and value.strip().lower() == "restricted":
        return verdict(
            [f"tagged {DATA_CLASSIFICATION}=restricted on an AWS resource; restricted models deploy on-prem only"]
        )
    return verdict([])


RULE = Rule(
    id="DATA-RESTRICTED-CLOUD",
    description="Resources of restricted-data models are not created on AWS.",
    severity="critical",
    remediation="Deploy the model with targets: [onprem], or reclassify the data with its owner's sign-off.",
    anchors=("Slipstack (no anchor): data residency",),
    enforcement="M",
    type_prefix="aws:",
    check=check,
)
