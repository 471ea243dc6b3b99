"""STATEFUL-PROTECTED: prod's stateful resources (keys, buckets, endpoints, registries) are protected.

A protected resource cannot be deleted by `pulumi up`: a change that would destroy one (a model removed
from prod, a key renamed) fails at the engine instead of taking the key, the versioned bucket or the
live endpoint with it. The rule flags every stateful resource a deploy could delete, so removing the
protection is itself a visible, reviewed change. The types are contracts.stateful's, shared with the
stacks that set the option and the preview that lists their deletions first.
"""

from __future__ import annotations

from collections.abc import Iterator

from contracts.stateful import STATEFUL_TYPES
from policies.rule import NotApplicable, Outcome, Rule, RuleContext, StackResource, StackView, each


def check(view: StackView, context: RuleContext) -> Outcome:
    if context.environment != "prod":
        # dev and staging are rebuilt freely; protecting them would only make every teardown a two-step change
        return NotApplicable("only prod's stateful resources must survive a deploy")

    def judge(resource: StackResource) -> Iterator[str]:
        if not resource.options.get("protect"):
            yield f"{resource.type} is not protected: `pulumi up` would delete it (and its data) when the " \
                  "program stops declaring it"

    return each(view.of_type(*sorted(STATEFUL_TYPES)), judge)


RULE = Rule(
    id="STATEFUL-PROTECTED",
    description="Stateful resources (KMS keys, S3 buckets, SageMaker endpoints, registries, clusters, log groups, "
    "namespaces) carry the protect option, so a deploy cannot delete them.",
    severity="high",
    remediation="Set protect=True and retain_on_delete=True on the resource (stacks/protection.py does it for prod).",
    anchors=("Slipstack (no rule set has it): Pulumi protect/retainOnDelete on stateful prod resources",
             "AWS Well-Architected REL09"),
    enforcement="M(p)",
    stack_check=check,
    stack_types=frozenset(STATEFUL_TYPES),
)
