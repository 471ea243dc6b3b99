"""Cases for SM-ASYNC-KMS: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sm_async_kms import RULE

CASES = [
    ("pass", "prod", None, {"asyncInferenceConfig": {"outputConfig": {"kmsKeyId": "k"}}}, []),
    (
        "no key",
        "prod",
        None,
        {"asyncInferenceConfig": {"outputConfig": {"s3OutputPath": "s3://b"}}},
        ["asyncInferenceConfig.outputConfig.kmsKeyId is not set"],
    ),
    ("missing = not applicable", "prod", None, {}, []),
    (
        "unknown",
        "prod",
        None,
        {"asyncInferenceConfig": {"outputConfig": UNKNOWN}},
        [undecided("asyncInferenceConfig.outputConfig")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sm_async_kms(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
