"""Cases for IAM-OIDC-TRUST."""

import json

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.iam_oidc_trust import RULE

PROVIDER = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"


def trust(condition: dict | None) -> dict:
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{PROVIDER}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"assumeRolePolicy": json.dumps({"Statement": [statement]})}


BOTH = {"StringEquals": {f"{PROVIDER}:sub": "system:serviceaccount:m:m", f"{PROVIDER}:aud": "sts.amazonaws.com"}}
FIX = "; use StringEquals on <provider>:"

CASES = [
    ("pinned", "prod", None, trust(BOTH), []),
    (
        "service trust n/a",
        "prod",
        None,
        {
            "assumeRolePolicy": json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "sagemaker.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ]
                }
            )
        },
        [],
    ),
    (
        "aud only",
        "prod",
        None,
        trust({"StringEquals": {f"{PROVIDER}:aud": "sts.amazonaws.com"}}),
        [f"assumeRolePolicy.Statement[0] pins the sub claim not at all{FIX}sub"],
    ),
    (
        "sub wildcard",
        "prod",
        None,
        trust(
            {
                "StringLike": {f"{PROVIDER}:sub": "system:serviceaccount:*"},
                "StringEquals": {f"{PROVIDER}:aud": "sts.amazonaws.com"},
            }
        ),
        [f"assumeRolePolicy.Statement[0] pins the sub claim only with a wildcard{FIX}sub"],
    ),
    (
        "no condition",
        "prod",
        None,
        trust(None),
        [
            f"assumeRolePolicy.Statement[0] pins the aud claim not at all{FIX}aud",
            f"assumeRolePolicy.Statement[0] pins the sub claim not at all{FIX}sub",
        ],
    ),
    ("missing", "prod", None, {}, []),
    ("unknown", "prod", None, {"assumeRolePolicy": UNKNOWN}, [undecided("assumeRolePolicy")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
