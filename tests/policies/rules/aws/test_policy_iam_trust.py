"""Cases for IAM-TRUST: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.iam_trust import RULE

CASES = [
    (
        "pass",
        "prod",
        None,
        {
            "assumeRolePolicy": {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "sagemaker.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": "1"}},
                    }
                ]
            }
        },
        [],
    ),
    (
        "star",
        "prod",
        None,
        {
            "assumeRolePolicy": {
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]
            }
        },
        ["assumeRolePolicy.Statement[0] trusts Principal *"],
    ),
    (
        "no source account",
        "prod",
        None,
        {
            "assumeRolePolicy": {
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ]
            }
        },
        ["assumeRolePolicy.Statement[0] trusts sagemaker.amazonaws.com without an aws:SourceAccount condition"],
    ),
    ("missing", "prod", None, {}, []),
    ("unknown", "prod", None, {"assumeRolePolicy": UNKNOWN}, [undecided("assumeRolePolicy")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_iam_trust(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
