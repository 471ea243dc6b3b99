"""Cases for IAM-ADMIN-ATTACH."""


import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.iam_admin_attach import RULE

ROLE = "aws:iam/role:Role"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
GROUP = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"

CASES = [
    ("narrow managed", "prod", ATTACH, {"policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"}, []),
    (
        "customer managed named FullAccess",
        "prod",
        ATTACH,
        {"policyArn": "arn:aws:iam::123456789012:policy/S3FullAccess"},
        [],
    ),
    ("admin", "prod", ATTACH, {"policyArn": ADMIN}, [f"attaches {ADMIN}, which grants administration"]),
    (
        "iam full on group",
        "prod",
        GROUP,
        {"policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"},
        ["attaches arn:aws:iam::aws:policy/IAMFullAccess, which grants administration"],
    ),
    (
        "service full access on role",
        "prod",
        ROLE,
        {"managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"]},
        [
            "attaches arn:aws:iam::aws:policy/AmazonSageMakerFullAccess, "
            "which grants every action of a service on every resource"
        ],
    ),
    ("missing", "prod", ROLE, {}, []),
    ("unknown", "prod", ATTACH, {"policyArn": UNKNOWN}, [undecided("policyArn")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected


def test_mandatory_in_prod() -> None:
    assert (RULE.default_level("dev"), RULE.default_level("prod")) == ("advisory", "mandatory")
