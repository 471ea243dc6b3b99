"""Cases for K8S-LABELS (advisory)."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.labels import RULE

ALL = {f"app.kubernetes.io/{k}": "v" for k in ("name", "instance", "version", "component", "part-of", "managed-by")}


def labelled(labels: object) -> dict:
    props = workload()
    props["metadata"]["labels"] = labels
    return props


CASES = [
    ("pass", "prod", "kubernetes:apps/v1:Deployment", labelled(ALL), []),
    (
        "two missing",
        "prod",
        "kubernetes:apps/v1:Deployment",
        labelled({k: v for k, v in ALL.items() if "version" not in k and "instance" not in k}),
        ["metadata.labels lacks app.kubernetes.io/instance, app.kubernetes.io/version"],
    ),
    ("missing", "prod", "kubernetes:apps/v1:Deployment", workload(), ["metadata.labels lacks " + ", ".join(ALL)]),
    ("unknown", "prod", "kubernetes:apps/v1:Deployment", labelled(UNKNOWN), [undecided("metadata.labels")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
