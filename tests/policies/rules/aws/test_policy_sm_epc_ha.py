"""Cases for SM-EPC-HA: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.sm_epc_ha import RULE

CASES = [
    ("pass", "prod", None, {"productionVariants": [{"variantName": "a", "initialInstanceCount": 2}]}, []),
    ("serverless", "prod", None, {"productionVariants": [{"variantName": "a", "serverlessConfig": {}}]}, []),
    ("dev", "dev", None, {"productionVariants": [{"variantName": "a", "initialInstanceCount": 1}]}, []),
    (
        "one instance",
        "prod",
        None,
        {"productionVariants": [{"variantName": "a", "initialInstanceCount": 1}]},
        ["variant a: initialInstanceCount is 1, prod needs at least 2"],
    ),
    (
        "missing",
        "prod",
        None,
        {"productionVariants": [{"variantName": "a"}]},
        ["variant a: initialInstanceCount is None, prod needs at least 2"],
    ),
    (
        "unknown",
        "prod",
        None,
        {"productionVariants": [{"variantName": "a", "initialInstanceCount": UNKNOWN}]},
        [undecided("productionVariants.0.initialInstanceCount")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sm_epc_ha(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
