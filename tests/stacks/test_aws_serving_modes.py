"""Serverless, async and batch on AWS, judged from the shipped `modes` stack's plan.

IAM: for each mode, every S3 request the service makes with the execution role (read from the rendered
endpoint configuration, transform request and invoker policy, never a hand-kept copy) is allowed by the
rendered role policy, and requests it never makes are denied. Failure: a failed transform job's real
EventBridge event matches the failure rule (checked by moto's TestEventPattern, not by us), which targets
the model's alert topic, and the scheduler retries, dead-letters to an encrypted queue and alarms.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from contracts import type_tokens as t
from stacks.aws_serving_modes import (
    MEBIBYTE,
    SCHEDULED_TIME,
    ServingModeError,
    async_locations,
    batch_mini_batch,
    min_csv_record_bytes,
)
from tests.stacks.iam_evaluation import Request, allowed, allowing_statements

RUN_TIME = "2026-12-02T02:00:00Z"  # what EventBridge Scheduler puts in place of <aws.scheduler.scheduled-time>


class Plan:
    def __init__(self, document: dict[str, Any]):
        self.resources = document["resources"]

    def named(self, name: str) -> dict[str, Any]:
        (found,) = [r for r in self.resources if r["name"] == name]
        return dict(found["inputs"])

    def of_type(self, token: str, prefix: str) -> list[dict[str, Any]]:
        return [r["inputs"] for r in self.resources if r["type"] == token and r["name"].startswith(prefix)]


@pytest.fixture(scope="module")
def plan(shipped_plan: Callable[[str], dict[str, Any]]) -> Plan:
    return Plan(shipped_plan("modes"))


def document(inputs: dict[str, Any], key: str = "policy") -> dict[str, Any]:
    value = inputs[key]
    return value if isinstance(value, dict) else json.loads(value)


def s3(action: str, uri: str, **context: str) -> Request:
    return Request(action, f"arn:aws:s3:::{uri.removeprefix('s3://')}", context)


def bucket_and_key(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def assert_exactly(policy: dict[str, Any], needed: list[Request], never: list[Request]) -> None:
    for request in needed:
        assert allowed([policy], request), f"the role may not {request.action} {request.resource} {request.context}"
    for request in never:
        assert not allowed([policy], request), f"the role may {request.action} {request.resource}, which it never needs"
    # No S3 grant without a use: every resource of an S3 statement is what some needed request touches.
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if not any(a.startswith("s3:") for a in actions):
            continue
        for resource in statement["Resource"]:
            users = [r for r in needed if r.action in actions and allowing_statements([{"Statement": [
                {**statement, "Resource": [resource]}]}], r)]
            assert users, f"{statement.get('Sid')}: {resource} is granted but nothing the service does needs it"


def model_data_url(plan: Plan, model: str) -> str:
    (model_inputs,) = plan.of_type(t.SM_MODEL, model)
    return str(model_inputs["primaryContainer"]["modelDataUrl"])


def common_never(model_data: str) -> list[Request]:
    bucket, _ = bucket_and_key(model_data)
    return [
        s3("s3:PutObject", model_data),  # never overwrite the model
        s3("s3:DeleteObject", model_data),
        s3("s3:GetObject", f"s3://{bucket}/models/another-model/0123/model.tar.gz"),
        s3("s3:GetObject", f"s3://{bucket}/data-capture/x.jsonl"),  # capture is off in these specs
        s3("s3:ListBucket", f"s3://{bucket}", **{"s3:prefix": ""}),
    ]


def test_serverless_role_reads_only_its_model(plan: Plan) -> None:
    model = "screening-serverless"
    data = model_data_url(plan, model)
    policy = document(plan.named(f"{model}-execution-policy"))
    assert_exactly(policy, needed=[s3("s3:GetObject", data)], never=common_never(data))


def test_serverless_endpoint_has_no_guardrails_isolation_or_capture(plan: Plan) -> None:
    (endpoint,) = plan.of_type(t.SM_ENDPOINT, "screening-serverless")
    assert "deploymentConfig" not in endpoint
    (model,) = plan.of_type(t.SM_MODEL, "screening-serverless")
    assert model["enableNetworkIsolation"] is False and "vpcConfig" not in model
    (config,) = plan.of_type(t.SM_ENDPOINT_CONFIG, "screening-serverless")
    assert "dataCaptureConfig" not in config and "serverlessConfig" in config["productionVariants"][0]


def test_async_role_reads_inputs_and_writes_results_and_failures(plan: Plan) -> None:
    model = "screening-async"
    data = model_data_url(plan, model)
    (config,) = plan.of_type(t.SM_ENDPOINT_CONFIG, model)
    output = config["asyncInferenceConfig"]["outputConfig"]
    key = output["kmsKeyId"]
    invoker = document(plan.named(f"{model}-invokers-policy"))
    (upload,) = [s for s in invoker["Statement"] if "s3:PutObject" in s["Action"]]
    input_object = upload["Resource"][0].replace("arn:aws:s3:::", "s3://").replace("*", "requests/0001.csv")
    result = f"{output['s3OutputPath']}0f6e-4b1c.out"
    failure = f"{output['s3FailurePath']}0f6e-4b1c-error.out"
    policy = document(plan.named(f"{model}-execution-policy"))
    topics = [output["notificationConfig"]["successTopic"], output["notificationConfig"]["errorTopic"]]
    assert_exactly(
        policy,
        needed=[s3("s3:GetObject", data), s3("s3:GetObject", input_object), s3("s3:PutObject", result),
                s3("s3:PutObject", failure)],
        never=[*common_never(data), s3("s3:PutObject", input_object), s3("s3:GetObject", result),
               s3("s3:GetObject", failure)],
    )
    for action in ("kms:Decrypt", "kms:GenerateDataKey"):
        assert allowed([policy], Request(action, key))
    for topic in topics:
        assert allowed([policy], Request("sns:Publish", topic))


def test_async_invoker_policy_covers_every_step_of_a_call(plan: Plan) -> None:
    model = "screening-async"
    (config,) = plan.of_type(t.SM_ENDPOINT_CONFIG, model)
    output = config["asyncInferenceConfig"]["outputConfig"]
    (endpoint,) = plan.of_type(t.SM_ENDPOINT, model)
    invoker = document(plan.named(f"{model}-invokers-policy"))
    bucket, _ = bucket_and_key(output["s3OutputPath"])
    request_object = f"s3://{bucket}/async-inputs/requests/0001.csv"
    endpoint_arn = f"arn:aws:sagemaker:eu-west-1:123456789012:endpoint/{endpoint['name']}"
    steps = [
        s3("s3:PutObject", request_object),  # 1. upload the body
        Request("kms:GenerateDataKey", output["kmsKeyId"]),  # ... encrypted with the bucket's key
        Request("sagemaker:InvokeEndpointAsync", endpoint_arn),  # 2. invoke with its location
        s3("s3:GetObject", f"{output['s3OutputPath']}0f6e.out"),  # 3. read the result
        s3("s3:GetObject", f"{output['s3FailurePath']}0f6e-error.out"),  # ... or the failure
        Request("kms:Decrypt", output["kmsKeyId"]),
    ]
    # The mock engine's endpoint ARN is the engine's; the policy names whatever the engine returned.
    (invoke,) = [s for s in invoker["Statement"] if s["Sid"] == "InvokeThisEndpoint"]
    steps[2] = Request("sagemaker:InvokeEndpointAsync", invoke["Resource"][0])
    for step in steps:
        assert allowed([invoker], step), step
    for never in (s3("s3:GetObject", model_data_url(plan, model)), s3("s3:PutObject", f"{output['s3OutputPath']}x"),
                  s3("s3:GetObject", f"s3://{bucket}/data-capture/x"), Request("kms:CreateGrant", output["kmsKeyId"])):
        assert not allowed([invoker], never), never
    # The invoker role is the application's: the policy is attached to it by name.
    (attachment,) = plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment", model)
    assert attachment["role"] == "slide-scanner-pipeline"


def test_async_topics_have_the_configured_subscribers(plan: Plan) -> None:
    subscriptions = plan.of_type("aws:sns/topicSubscription:TopicSubscription", "screening-async-async-")
    found = {(s["protocol"], s["endpoint"]) for s in subscriptions}
    assert found == {("sqs", "arn:aws:sqs:eu-west-1:123456789012:slide-scores-ready"),
                     ("email", "oncall-diagnostics@example.com")}


def transform_request(plan: Plan) -> dict[str, Any]:
    schedule = plan.named("screening-batch-batch-schedule")
    return dict(json.loads(schedule["target"]["input"]))


def test_batch_role_lists_and_reads_this_runs_input_and_writes_its_output(plan: Plan) -> None:
    model = "screening-batch"
    data = model_data_url(plan, model)
    request = transform_request(plan)
    input_uri = request["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"].replace(SCHEDULED_TIME, RUN_TIME)
    output_uri = request["TransformOutput"]["S3OutputPath"].replace(SCHEDULED_TIME, RUN_TIME)
    in_bucket, in_prefix = bucket_and_key(input_uri)
    policy = document(plan.named(f"{model}-execution-policy"))
    assert_exactly(
        policy,
        needed=[
            s3("s3:GetObject", data),
            # S3Prefix input: SageMaker lists the run's prefix, then reads each object under it.
            s3("s3:ListBucket", f"s3://{in_bucket}", **{"s3:prefix": in_prefix}),
            s3("s3:GetObject", f"{input_uri}biopsies.csv"),
            # One output object per input object: <output path><input name>.out
            s3("s3:PutObject", f"{output_uri}biopsies.csv.out"),
        ],
        never=[
            *common_never(data),
            s3("s3:PutObject", f"{input_uri}biopsies.csv"),
            s3("s3:GetObject", f"{output_uri}biopsies.csv.out"),
            s3("s3:ListBucket", f"s3://{in_bucket}", **{"s3:prefix": "screening/predictions/"}),
            s3("s3:GetObject", f"s3://{in_bucket}/other-team/export.csv"),
        ],
    )
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert allowed([policy], Request(action, request["TransformOutput"]["KmsKeyId"]))


def test_batch_runs_are_scoped_by_scheduled_time(plan: Plan) -> None:
    request = transform_request(plan)
    input_uri = request["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
    output_uri = request["TransformOutput"]["S3OutputPath"]
    assert input_uri == f"s3://diagnostics-ml-biopsy-exports/screening/input/{SCHEDULED_TIME}/"
    assert output_uri == f"s3://diagnostics-ml-biopsy-exports/screening/predictions/{SCHEDULED_TIME}/"
    # One CSV record in, one CSV line out.
    assert request["TransformInput"]["SplitType"] == "Line" and request["TransformInput"]["ContentType"] == "text/csv"
    assert request["TransformOutput"]["AssembleWith"] == "Line" and request["TransformOutput"]["Accept"] == "text/csv"
    assert request["BatchStrategy"] == "MultiRecord" and request["MaxPayloadInMB"] == 1


def test_batch_scheduler_retries_and_dead_letters_to_an_encrypted_queue(plan: Plan) -> None:
    schedule = plan.named("screening-batch-batch-schedule")
    target = schedule["target"]
    assert target["retryPolicy"] == {"maximumRetryAttempts": 3, "maximumEventAgeInSeconds": 3600}
    queue = plan.named("screening-batch-batch-dead-letters")
    key = plan.named("screening-batch-kms-key")
    assert queue["kmsMasterKeyId"] and queue["kmsMasterKeyId"] == schedule["kmsKeyArn"]
    assert target["deadLetterConfig"]["arn"].endswith(queue["name"])
    scheduler = document(plan.named("screening-batch-batch-scheduler-policy"))
    assert allowed([scheduler], Request("sqs:SendMessage", target["deadLetterConfig"]["arn"]))
    assert allowed([scheduler], Request("kms:GenerateDataKey", schedule["kmsKeyArn"]))
    assert not allowed([scheduler], Request("sqs:ReceiveMessage", target["deadLetterConfig"]["arn"]))
    assert key["enableKeyRotation"] is True


def test_batch_alarms_go_to_the_alert_topic(plan: Plan) -> None:
    topic = plan.named("screening-batch-alerts-topic")
    topic_arn = f"arn:aws:sns:eu-west-1:123456789012:{topic['name']}"
    alarms = {a["name"]: a for a in plan.of_type(t.CW_METRIC_ALARM, "screening-batch-batch-")}
    schedule = plan.named("screening-batch-batch-schedule")
    rule = plan.named("screening-batch-batch-failures")
    assert set(alarms) == {"screening-batch-staging-batch-target-errors", "screening-batch-staging-batch-dead-letters",
                           "screening-batch-staging-batch-failed-jobs"}
    target_errors = alarms["screening-batch-staging-batch-target-errors"]
    assert (target_errors["namespace"], target_errors["metricName"]) == ("AWS/Scheduler", "TargetErrorCount")
    assert target_errors["dimensions"] == {"ScheduleGroup": schedule["groupName"]}
    failed = alarms["screening-batch-staging-batch-failed-jobs"]
    assert (failed["namespace"], failed["metricName"], failed["dimensions"]) == (
        "AWS/Events", "MatchedEvents", {"RuleName": rule["name"]})
    dead = alarms["screening-batch-staging-batch-dead-letters"]
    assert dead["dimensions"] == {"QueueName": plan.named("screening-batch-batch-dead-letters")["name"]}
    for alarm in alarms.values():
        assert alarm["alarmActions"] == [topic_arn] and alarm["okActions"] == [topic_arn]
        assert alarm["threshold"] == 0 and alarm["comparisonOperator"] == "GreaterThanThreshold"


def test_a_failed_transform_job_reaches_the_alert_topic(plan: Plan) -> None:
    from moto.events.models import EventPattern

    rule = plan.named("screening-batch-batch-failures")
    (target,) = plan.of_type(t.CW_EVENT_TARGET, "screening-batch-batch-failures")
    assert target["arn"] == "arn:aws:sns:eu-west-1:123456789012:screening-batch-staging-alerts"
    job_name = transform_request(plan)["TransformJobName"].replace("<aws.scheduler.execution-id>", "0123456789abcdef")

    def event(status: str, name: str = job_name) -> dict[str, Any]:
        # The shape SageMaker sends (EventBridge "SageMaker Transform Job State Change").
        return {
            "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": "SageMaker Transform Job State Change", "source": "aws.sagemaker",
            "account": "123456789012", "time": RUN_TIME, "region": "eu-west-1",
            "resources": [f"arn:aws:sagemaker:eu-west-1:123456789012:transform-job/{name}"],
            "detail": {"TransformJobName": name, "TransformJobStatus": status,
                       "FailureReason": "ClientError: See job logs for more information"},
        }

    # moto's EventBridge pattern matcher (the one its PutEvents delivery uses), not ours.
    pattern = EventPattern.load(rule["eventPattern"])
    assert pattern.matches_event(event("Failed")) and pattern.matches_event(event("Stopped"))
    assert not pattern.matches_event(event("Completed"))
    assert not pattern.matches_event(event("Failed", "another-model-staging-0123456789abcdef"))
    # EventBridge may publish to the encrypted topic: the topic policy and the key policy let it.
    topic_policy = document(plan.named("screening-batch-alerts-policy"))
    def services(statement: dict[str, Any]) -> list[str]:
        principal = statement.get("Principal")
        return list(principal.get("Service") or []) if isinstance(principal, dict) else []

    assert any("events.amazonaws.com" in services(s) and s["Effect"] == "Allow" and s["Action"] == "sns:Publish"
               for s in topic_policy["Statement"])
    key_policy = document(plan.named("screening-batch-kms-key"))
    assert any("events.amazonaws.com" in services(s) and "kms:GenerateDataKey" in s["Action"]
               for s in key_policy["Statement"])


# --- mini-batch size and async prefixes (pure) -------------------------------------------------------


@pytest.mark.parametrize("features", [1, 2, 5, 10, 30, 100, 1000])
@pytest.mark.parametrize("requested", [1, 6, 50, 100])
def test_no_mini_batch_can_exceed_the_handler_caps(features: int, requested: int) -> None:
    caps = {"max_rows": 1_000_000, "max_bytes": 100 * 1000 * 1000}
    chosen = batch_mini_batch(features, requested, caps)
    assert 1 <= chosen.max_payload_mb <= requested
    payload = chosen.max_payload_mb * MEBIBYTE
    assert payload <= caps["max_bytes"]
    if chosen.strategy == "MultiRecord":
        assert payload // min_csv_record_bytes(features) <= caps["max_rows"]


def test_tight_row_caps_fall_back_to_one_record_per_request() -> None:
    chosen = batch_mini_batch(30, 6, {"max_rows": 10_000, "max_bytes": 6_000_000})
    assert chosen.strategy == "SingleRecord"
    assert batch_mini_batch(30, 6, {"max_rows": 1_000_000, "max_bytes": 100_000_000}).strategy == "MultiRecord"


def test_async_defaults_live_under_the_model_bucket() -> None:
    paths = async_locations(None, None, None, "m-dev-artifacts-eu-west-1", "spec.yaml")
    assert (paths.input.uri, paths.output.uri, paths.failure.uri) == (
        "s3://m-dev-artifacts-eu-west-1/async-inputs/", "s3://m-dev-artifacts-eu-west-1/async-results/",
        "s3://m-dev-artifacts-eu-west-1/async-failures/")


@pytest.mark.parametrize(
    ("input_uri", "output_uri", "message"),
    [
        ("s3://bkt/models/", None, "would share the model's artifacts"),
        ("s3://bkt/", None, "would share the model's artifacts"),
        ("s3://bkt/async-results/in/", None, "overlaps output_uri"),
        ("s3://shared/x/", "s3://shared/x/out/", "overlaps output_uri"),
    ],
)
def test_async_prefixes_that_would_share_data_are_refused(input_uri: str, output_uri: str | None, message: str) -> None:
    with pytest.raises(ServingModeError, match=message):
        async_locations(input_uri, output_uri, None, "bkt", "spec.yaml")
