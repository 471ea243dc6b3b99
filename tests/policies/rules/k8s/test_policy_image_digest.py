"""Cases for K8S-IMAGE-DIGEST: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.image_digest import RULE

CASES = [
    ("pass", "prod", None, workload({"image": "model:1@sha256:" + "a" * 64}), []),
    (
        "tag only",
        "prod",
        None,
        workload({"image": "model:1"}),
        ["containers[0] model: image model:1 has no @sha256 digest"],
    ),
    ("missing", "prod", None, workload(), ["containers[0] model: image None has no @sha256 digest"]),
    ("unknown", "prod", None, workload({"image": UNKNOWN}), [undecided("image")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_image_digest(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
