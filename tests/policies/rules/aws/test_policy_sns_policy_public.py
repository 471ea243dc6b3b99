"""Cases for SNS-POLICY-PUBLIC: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sns_policy_public import RULE

CASES = [
    (
        "pass",
        "prod",
        None,
        {
            "policy": {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudwatch.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": "*",
                    }
                ]
            }
        },
        [],
    ),
    (
        "public",
        "prod",
        None,
        {"policy": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": "*"}]}},
        ["policy.Statement[0] allows Principal * without a Condition"],
    ),
    ("missing", "prod", None, {}, []),
    ("unknown", "prod", None, {"policy": UNKNOWN}, [undecided("policy")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sns_policy_public(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
