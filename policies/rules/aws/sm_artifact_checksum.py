"""SM-ARTIFACT-SHA256: a SageMaker model says which artifact it serves (no anchor has this rule).

The checksum tag ties a running model to the packaged, scanned artifact; without it an audit cannot
tell what is deployed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from contracts.tags import ARTIFACT_SHA256
from policies.rule import PASS, Outcome, Rule, RuleContext, read, verdict

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    value = read(props, "tags", ARTIFACT_SHA256)
    if value is None:
        return verdict([f"tag {ARTIFACT_SHA256} is missing"])
    if not SHA256.match(str(value)):
        return verdict([f"tag {ARTIFACT_SHA256} is {value!r}, not a lowercase hex sha256"])
    return PASS


RULE = Rule(
    id="SM-ARTIFACT-SHA256",
    description="SageMaker models carry the sha256 of the artifact they serve.",
    severity="medium",
    remediation="Deploy through `slipstack package`; the stack tags the model with the manifest's sha256.",
    anchors=("Slipstack (no anchor): artifact checksums",),
    enforcement="M",
    resource_types=frozenset({t.SM_MODEL}),
    check=check,
)
