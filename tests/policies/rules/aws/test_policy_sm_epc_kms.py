"""Cases for SM-EPC-KMS: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sm_epc_kms import RULE

CASES = [
    ("pass", "prod", None, {"kmsKeyArn": "arn:k", "productionVariants": [{"instanceType": "ml.m5.large"}]}, []),
    ("nvme only", "prod", None, {"productionVariants": [{"variantName": "a", "instanceType": "ml.g5.xlarge"}]}, []),
    ("serverless only", "prod", None, {"productionVariants": [{"serverlessConfig": {"memorySizeInMb": 2048}}]}, []),
    (
        "no key",
        "prod",
        None,
        {"productionVariants": [{"variantName": "a", "instanceType": "ml.m5.large"}]},
        ["kmsKeyArn is not set; variants a (ml.m5.large) have EBS volumes to encrypt"],
    ),
    ("missing", "prod", None, {}, ["kmsKeyArn is not set; variants (none declared) have EBS volumes to encrypt"]),
    ("unknown", "prod", None, {"kmsKeyArn": UNKNOWN}, [undecided("kmsKeyArn")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sm_epc_kms(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
