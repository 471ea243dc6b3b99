"""Cases for S3-POLICY-LOCKOUT."""

import json

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.s3_policy_lockout import RULE


def deny(**extra: object) -> dict:
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    }
    return {"policy": json.dumps({"Statement": [{**statement, **extra}]})}


CASES = [
    ("tls deny", "prod", None, deny(Condition={"Bool": {"aws:SecureTransport": "false"}}), []),
    ("narrow action", "prod", None, deny(Action="s3:DeleteBucket"), []),
    (
        "lockout",
        "prod",
        None,
        deny(),
        ["policy.Statement[0] denies all S3 actions to every principal without a Condition: a root-only lockout"],
    ),
    ("missing", "prod", None, {}, []),
    ("unknown", "prod", None, {"policy": UNKNOWN}, [undecided("policy")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
