"""Cases for K8S-SECRET-ENV."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.secret_env import RULE

SECRET = {"secretKeyRef": {"name": "creds", "key": "token"}}
CASES = [
    ("file mount", "prod", "kubernetes:apps/v1:Deployment", workload({"env": [{"name": "MODEL", "value": "m"}]}), []),
    (
        "configmap env",
        "prod",
        "kubernetes:apps/v1:Deployment",
        workload({"env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}]}),
        [],
    ),
    (
        "secret env",
        "prod",
        "kubernetes:apps/v1:Deployment",
        workload({"env": [{"name": "TOKEN", "valueFrom": SECRET}]}),
        ["containers[0] model: env[0] TOKEN comes from a secret; mount the secret as a file"],
    ),
    (
        "secret envFrom",
        "prod",
        "kubernetes:batch/v1:CronJob",
        workload({"envFrom": [{"secretRef": {"name": "creds"}}]}, kind="CronJob"),
        ["containers[0] model: envFrom[0] loads a whole secret into the environment"],
    ),
    ("missing", "prod", "kubernetes:apps/v1:Deployment", workload(), []),
    ("unknown", "prod", "kubernetes:apps/v1:Deployment", workload({"env": UNKNOWN}), [undecided("env")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
