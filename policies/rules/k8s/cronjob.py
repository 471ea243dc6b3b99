"""K8S-CRONJOB: monitoring CronJobs give up on a missed start and never restart a finished pod forever."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import pod_spec
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    deadline = read(props, "spec", "startingDeadlineSeconds")
    if not isinstance(deadline, int) or isinstance(deadline, bool) or deadline <= 0:
        # Without it, a controller that was down counts every missed run and may refuse to start any.
        problems.append(f"spec.startingDeadlineSeconds is {deadline!r}, must be a positive number of seconds")
    restart = read(pod_spec(props), "restartPolicy")
    if restart not in ("Never", "OnFailure"):
        problems.append(f"restartPolicy is {restart!r}, must be Never or OnFailure")
    return verdict(problems)


RULE = Rule(
    id="K8S-CRONJOB",
    description="CronJobs set startingDeadlineSeconds and a restartPolicy of Never or OnFailure.",
    severity="low",
    remediation="Set starting_deadline_seconds (e.g. 600) and restartPolicy Never (the Job's backoffLimit retries).",
    anchors=("kube-score cronjob-has-deadline", "kube-score cronjob-restartpolicy"),
    enforcement="M",
    resource_types=frozenset({t.K8S_CRON_JOB}),
    check=check,
)
