"""Cases for DATA-RESTRICTED-CLOUD: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.data_restricted_cloud import RULE

CASES = [
    ("pass", "prod", "aws:s3/bucket:Bucket", {"tags": {"slipstack:data-classification": "internal"}}, []),
    (
        "restricted",
        "prod",
        "aws:sagemaker/model:Model",
        {"tags": {"slipstack:data-classification": "Restricted"}},
        ["tagged slipstack:data-classification=restricted on an AWS resource; restricted models deploy on-prem only"],
    ),
    ("missing", "prod", "aws:s3/bucket:Bucket", {}, []),
    (
        "unknown",
        "prod",
        "aws:s3/bucket:Bucket",
        {"tags": {"slipstack:data-classification": UNKNOWN}},
        [undecided("tags.slipstack:data-classification")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_data_restricted_cloud(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
