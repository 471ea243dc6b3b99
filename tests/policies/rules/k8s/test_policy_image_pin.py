"""Cases for K8S-IMAGE-PIN: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.image_pin import RULE

CASES = [
    ("pass tag", "prod", None, workload({"image": "registry:5000/model:1.2.3"}), []),
    ("pass digest", "prod", None, workload({"image": "model@sha256:" + "a" * 64}), []),
    (
        "latest",
        "prod",
        None,
        workload({"image": "model:latest"}),
        ["containers[0] model: image model:latest has no tag or uses latest"],
    ),
    (
        "no tag",
        "prod",
        None,
        workload({"image": "registry:5000/model"}),
        ["containers[0] model: image registry:5000/model has no tag or uses latest"],
    ),
    ("missing", "prod", None, workload(), ["containers[0] model: image is not set"]),
    ("unknown", "prod", None, workload({"image": UNKNOWN}), [undecided("image")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_image_pin(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
