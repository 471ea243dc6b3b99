"""SM-JOB-PUBLISH-PATH: a processing job that publishes CloudWatch metrics is not network-isolated.

SageMaker's network isolation cuts a job's container off from every network call, CloudWatch's
`PutMetricData` included: only the inputs and outputs SageMaker itself moves reach S3. A step that
publishes while isolated fails at its first call, every run, and the alarm on its metric never sees
a value (missing data is "not breaching"): the check is silently gone. Isolation stays right for the
steps that touch S3 only through their channels (the drift shards).

The rule reads the processing jobs a state machine starts (`createProcessingJob` tasks, also inside
Parallel and Map states): a job publishes when its container argv carries the job command's CloudWatch
flag (`contracts.metrics.CLOUDWATCH_PUBLISH_FLAG`). An isolation setting taken from the state's input at
run time (`EnableNetworkIsolation.$`) cannot be judged before the run: the rule says so, it never passes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from contracts import type_tokens as t
from contracts.metrics import CLOUDWATCH_PUBLISH_FLAG
from policies.rule import Outcome, Rule, RuleContext, read, verdict

PROCESSING_JOB_TASK = "arn:aws:states:::sagemaker:createProcessingJob"


def _states(states: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every state by its path (Parallel branches and Map item processors included)."""
    for name, state in states.items():
        if not isinstance(state, Mapping):
            continue
        path = f"{prefix}{name}"
        yield path, state
        for index, branch in enumerate(state.get("Branches") or []):
            if isinstance(branch, Mapping):
                yield from _states(branch.get("States") or {}, f"{path}.Branches[{index}].")
        for key in ("ItemProcessor", "Iterator"):
            inner = state.get(key)
            if isinstance(inner, Mapping):
                yield from _states(inner.get("States") or {}, f"{path}.{key}.")


def _problems(definition: Mapping[str, Any]) -> Iterator[str]:
    for path, state in _states(definition.get("States") or {}):
        if not str(state.get("Resource", "")).startswith(PROCESSING_JOB_TASK):
            continue
        request = state.get("Parameters") or state.get("Arguments") or {}
        if not isinstance(request, Mapping):
            continue  # a JSONata expression for the whole request: nothing static to read
        app = request.get("AppSpecification") or {}
        argv = [*(app.get("ContainerEntrypoint") or []), *(app.get("ContainerArguments") or [])]
        if CLOUDWATCH_PUBLISH_FLAG not in argv:
            continue
        network = request.get("NetworkConfig") or {}
        if "EnableNetworkIsolation.$" in network:
            yield (f"state {path}: the job publishes to CloudWatch ({CLOUDWATCH_PUBLISH_FLAG}) and its "
                   "NetworkConfig.EnableNetworkIsolation comes from the execution's input; it cannot be judged "
                   "before the run (set it to false in the definition)")
        elif network.get("EnableNetworkIsolation") is True:
            yield (f"state {path}: the job publishes to CloudWatch ({CLOUDWATCH_PUBLISH_FLAG}) with "
                   "NetworkConfig.EnableNetworkIsolation true: isolation blocks every call, CloudWatch included, "
                   "so every run fails and its alarm never sees a value")


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    text = read(props, "definition")
    if text is None:
        return verdict(["definition is not set"])
    try:
        definition = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return verdict(["definition is not JSON (Amazon States Language)"])
    if not isinstance(definition, Mapping):
        return verdict(["definition is not a JSON object (Amazon States Language)"])
    return verdict(_problems(definition))


RULE = Rule(
    id="SM-JOB-PUBLISH-PATH",
    description="Processing jobs that publish CloudWatch metrics are not network-isolated (isolation blocks the call).",
    severity="high",
    remediation="Set EnableNetworkIsolation false on the publishing step only (ProcessingStepArgs("
    "network_isolation=False)), in subnets with a CloudWatch monitoring endpoint or NAT; keep isolation on "
    "the steps that touch S3 only through their channels.",
    anchors=("AWS SageMaker NetworkConfig.EnableNetworkIsolation: no inbound or outbound network calls",),
    enforcement="M",
    resource_types=frozenset({t.SFN_STATE_MACHINE}),
    check=check,
)
