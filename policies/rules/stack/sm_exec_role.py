"""SM-EXEC-ROLE: a SageMaker model's execution role is least-privilege.

The role is found through the model's dependencies (executionRoleArn comes from role.arn); its
inline policies and attached RolePolicy/RolePolicyAttachment resources are judged together.
"""

from __future__ import annotations

from collections.abc import Iterator

from contracts import type_tokens as t
from policies.iam_documents import allows, identity_statements
from policies.rule import Outcome, Rule, RuleContext, StackResource, StackView, each, read, read_list

FULL_ACCESS = "AmazonSageMakerFullAccess"


def check(view: StackView, context: RuleContext) -> Outcome:
    def judge(model: StackResource) -> Iterator[str]:
        roles = view.referenced_by(model, t.IAM_ROLE)
        if not roles:
            arn = read(model.props, "executionRoleArn")
            if arn is None:
                yield "executionRoleArn is not set"
            else:
                yield f"could not decide: execution role {arn} is not created in this stack, so it cannot be checked"
            return
        for role in roles:
            arns = list(read_list(role.props, "managedPolicyArns"))
            arns += [read(a.props, "policyArn") for a in view.attached_to(role, t.IAM_ROLE_POLICY_ATTACHMENT)]
            if any(isinstance(a, str) and a.endswith("/" + FULL_ACCESS) for a in arns):
                yield f"execution role {role.name} carries {FULL_ACCESS}"
            statements = identity_statements(role.props, t.IAM_ROLE)
            for policy in view.attached_to(role, t.IAM_ROLE_POLICY):
                statements += identity_statements(policy.props, t.IAM_ROLE_POLICY)
            for s in allows(statements):
                wildcards = [a for a in s.actions if "*" in a]
                if wildcards:
                    yield f"execution role {role.name}: {s.where} allows wildcard actions {', '.join(wildcards)}"
                if "iam:passrole" in {a.lower() for a in s.actions} and "*" in s.resources:
                    yield f"execution role {role.name}: {s.where} allows iam:PassRole on *"

    return each(view.of_type(t.SM_MODEL), judge)


RULE = Rule(
    id="SM-EXEC-ROLE",
    description="SageMaker execution roles carry no FullAccess policy and no wildcard or escalating grants.",
    severity="critical",
    remediation="Let the component build the role: S3 read on the artifact prefix, ECR pull, KMS decrypt, logs.",
    anchors=(
        "cdk-nag AwsSolutions-IAM4",
        "cdk-nag AwsSolutions-IAM5",
    ),
    enforcement="M",
    stack_check=check,
    stack_types=frozenset({t.SM_MODEL}),
)
