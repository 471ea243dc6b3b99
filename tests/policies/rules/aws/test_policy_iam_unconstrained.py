"""Cases for IAM-UNCONSTRAINED (cloudsplaining's categories, as Checkov's CKV_AWS_287..289)."""

import json

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.iam_unconstrained import RULE

POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"


def doc(action: object, resource: object = "*", **extra: object) -> dict:
    return {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}]})}


CASES = [
    ("scoped", "prod", POLICY, doc(["s3:GetObject", "kms:CreateGrant"], "arn:aws:s3:::b/*"), []),
    ("registry token allowed", "prod", POLICY, doc("ecr:GetAuthorizationToken"), []),
    (
        "conditioned",
        "prod",
        POLICY,
        doc("s3:GetObject", Condition={"StringEquals": {"aws:ResourceAccount": "123456789012"}}),
        [],
    ),
    (
        "credentials",
        "prod",
        POLICY,
        doc("sts:AssumeRole"),
        ["on Resource * without a Condition, returns credentials: policy.Statement[0]: sts:AssumeRole"],
    ),
    (
        "exfiltration",
        "prod",
        POLICY,
        doc("s3:GetObject"),
        ["on Resource * without a Condition, reads data out: policy.Statement[0]: s3:GetObject"],
    ),
    (
        "resource exposure",
        "prod",
        POLICY,
        doc(["s3:PutBucketPolicy", "kms:PutKeyPolicy"]),
        [
            "on Resource * without a Condition, manages permissions or exposes resources: "
            "policy.Statement[0]: kms:PutKeyPolicy, policy.Statement[0]: s3:PutBucketPolicy"
        ],
    ),
    (
        "role inline",
        "prod",
        ROLE,
        {"inlinePolicies": [{"name": "x", "policy": doc("secretsmanager:GetSecretValue")["policy"]}]},
        [
            "on Resource * without a Condition, reads data out: "
            "inlinePolicies[0].Statement[0]: secretsmanager:GetSecretValue"
        ],
    ),
    ("missing", "prod", POLICY, {}, []),
    ("unknown", "prod", POLICY, {"policy": UNKNOWN}, [undecided("policy")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
