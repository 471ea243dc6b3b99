"""Cases for SM-JOB-PUBLISH-PATH, on the drift state machine the component writes (shard, then merge)."""

import copy
import json
from typing import Any

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from infra.aws.model_drift_job import ModelDriftJobArgs, drift_steps
from infra.aws.processing_job_schedule import ProcessingJobScheduleArgs, state_machine_definition
from policies.rules.aws.sm_job_publish_path import RULE

KEY = "arn:aws:kms:eu-west-1:123456789012:key/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
ROLE = "arn:aws:iam::123456789012:role/m-prod-drift-job"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipstack/prod/model-server@sha256:" + "0" * 64


def drift_definition() -> dict[str, Any]:
    job = ModelDriftJobArgs(
        model="m", environment="prod", name_prefix="m-prod", account_id="123456789012", region="eu-west-1",
        image_uri=IMAGE, image_repository_arn="arn", kms_key_arn=KEY, topic_arn="arn", bucket_name="b",
        capture_prefix="data-capture/m-prod/primary/", profile_key="artifacts/m/1/manifest.json",
        schedule_expression="cron(0 * * * ? *)", schedule_cron="0 * * * *",
    )
    schedule = ProcessingJobScheduleArgs(
        name_prefix="m-prod-drift", job_prefix="m-prod-drift-0a1b2c3d", account_id="123456789012",
        region="eu-west-1", image_uri=IMAGE, image_repository_arn="arn", kms_key_arn=KEY, topic_arn="arn",
        artifact_bucket_arn="arn:aws:s3:::b", schedule_expression="cron(0 * * * ? *)", steps=drift_steps(job),
    )
    return state_machine_definition(schedule, ROLE, KEY, IMAGE)


def isolated(step: str, definition: dict[str, Any] | None = None, value: Any = True) -> dict[str, Any]:
    changed = copy.deepcopy(definition or drift_definition())
    network = changed["States"][step]["Parameters"]["NetworkConfig"]
    if value == "from input":
        del network["EnableNetworkIsolation"]
        network["EnableNetworkIsolation.$"] = "$.isolation"
    else:
        network["EnableNetworkIsolation"] = value
    return changed


def in_parallel(definition: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [definition]}}}


ISOLATED_MERGE = ("state MergePartials: the job publishes to CloudWatch (--cloudwatch) with "
                  "NetworkConfig.EnableNetworkIsolation true: isolation blocks every call, CloudWatch included, "
                  "so every run fails and its alarm never sees a value")
CASES = [
    ("as written: isolated shard, open merge", {"definition": json.dumps(drift_definition())}, []),
    ("isolated merge (the first release)", {"definition": json.dumps(isolated("MergePartials"))}, [ISOLATED_MERGE]),
    ("shard without isolation is not this rule's business",
     {"definition": json.dumps(isolated("ComputeShardPartials", value=False))}, []),
    ("inside a Parallel branch", {"definition": json.dumps(in_parallel(isolated("MergePartials")))},
     [ISOLATED_MERGE.replace("state MergePartials", "state Both.Branches[0].MergePartials")]),
    ("isolation from the input", {"definition": json.dumps(isolated("MergePartials", value="from input"))},
     ["state MergePartials: the job publishes to CloudWatch (--cloudwatch) and its "
      "NetworkConfig.EnableNetworkIsolation comes from the execution's input; it cannot be judged before the run "
      "(set it to false in the definition)"]),
    ("not JSON", {"definition": "{"}, ["definition is not JSON (Amazon States Language)"]),
    ("missing", {}, ["definition is not set"]),
    ("unknown", {"definition": UNKNOWN}, [undecided("definition")]),
]


@pytest.mark.parametrize(("props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, "prod") == expected
