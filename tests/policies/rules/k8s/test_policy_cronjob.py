"""Cases for K8S-CRONJOB."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.cronjob import RULE


def cron(deadline: object = 600, restart: object = "Never") -> dict:
    props = workload(pod={"restartPolicy": restart}, kind="CronJob")
    props["spec"]["startingDeadlineSeconds"] = deadline
    return props


CASES = [
    ("pass", "prod", None, cron(), []),
    (
        "no deadline",
        "prod",
        None,
        cron(deadline=None),
        ["spec.startingDeadlineSeconds is None, must be a positive number of seconds"],
    ),
    ("always", "prod", None, cron(restart="Always"), ["restartPolicy is 'Always', must be Never or OnFailure"]),
    (
        "missing",
        "prod",
        None,
        workload(kind="CronJob"),
        [
            "spec.startingDeadlineSeconds is None, must be a positive number of seconds",
            "restartPolicy is None, must be Never or OnFailure",
        ],
    ),
    ("unknown", "prod", None, cron(deadline=UNKNOWN), [undecided("spec.startingDeadlineSeconds")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
