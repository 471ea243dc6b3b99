"""Cases for IAM-AWS-MANAGED: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.iam_aws_managed import RULE

CASES = [
    (
        "pass allowlisted",
        "prod",
        "aws:iam/role:Role",
        {"managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"]},
        [],
    ),
    (
        "role managed",
        "prod",
        "aws:iam/role:Role",
        {"managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"]},
        ["attaches AWS-managed policy arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"],
    ),
    (
        "attachment",
        "prod",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        ["attaches AWS-managed policy arn:aws:iam::aws:policy/AdministratorAccess"],
    ),
    ("missing", "prod", "aws:iam/role:Role", {}, []),
    (
        "unknown",
        "prod",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"policyArn": UNKNOWN},
        [undecided("policyArn")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_iam_aws_managed(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
