"""Mock-engine tests of the AWS translation: per environment, per serving mode, and across model changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

SPEC = Path(__file__).parent / "specs" / "aws-online.yaml"


def write_spec(folder: Path, **sections: Any) -> Path:
    """The test spec with some sections replaced (e.g. serving={...}); returns the new file."""
    document = yaml.safe_load(SPEC.read_text())
    for key, value in sections.items():
        document[key] = value
    path = folder / f"{document['metadata']['name']}.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def write_manifest(project_root: Path, model: str, version: str, digest: str) -> None:
    folder = project_root / "build" / "packages" / model / version
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps({"digest": digest}))


def model_program(
    spec_path: Path, environment: str, project_root: Path, **config: Any
) -> Callable[[], dict[str, Any]]:
    """A Pulumi program deploying one spec on AWS in `environment`, as the composition would."""

    def program() -> dict[str, Any]:
        from deployment_spec import load_spec
        from stacks.aws_model import deploy_model_on_aws
        from stacks.config import StackConfig
        from stacks.context import StackContext

        stack_config = StackConfig.model_validate(
            {"stack": environment, "environment": environment, "specs": [str(spec_path)], "targets": ["aws"],
             **config}
        )
        context = StackContext(
            config=stack_config, project_root=project_root,
            account_id=pulumi.Output.from_input("123456789012"), region=stack_config.region,
        )
        return deploy_model_on_aws(load_spec(spec_path).for_environment(environment), context)

    return program


def policy_document(resource: Any, key: str = "policy") -> dict[str, Any]:
    value = resource.inputs[key]
    return value if isinstance(value, dict) else json.loads(value)


# --- environments ---------------------------------------------------------------------------------

from contracts import tags  # noqa: E402
from contracts import type_tokens as t  # noqa: E402
from contracts.artifact_layout import SAGEMAKER_ARCHIVE  # noqa: E402


def run_model(pulumi_run: Any, tmp_path: Path, environment: str, spec_path: Path | None = None, **config: Any) -> Any:
    return pulumi_run(model_program(spec_path or SPEC, environment, tmp_path, **config), stack=environment)


def test_prod_online_endpoint_has_every_guardrail(pulumi_run: Any, tmp_path: Path) -> None:
    run = run_model(pulumi_run, tmp_path, "prod")
    endpoint = run.one(t.SM_ENDPOINT)
    assert endpoint.inputs["name"] == "churn-score-prod"
    deployment = endpoint.inputs["deploymentConfig"]
    routing = deployment["blueGreenUpdatePolicy"]["trafficRoutingConfiguration"]
    assert routing == {"type": "CANARY", "canarySize": {"type": "CAPACITY_PERCENT", "value": 20},
                       "waitIntervalInSeconds": 900}
    assert deployment["blueGreenUpdatePolicy"]["terminationWaitInSeconds"] == 180
    watched = [alarm["alarmName"] for alarm in deployment["autoRollbackConfiguration"]["alarms"]]
    assert watched == ["churn-score-prod-latency-p99", "churn-score-prod-5xx-errors", "team-wide-error-budget"]
    alarms = {alarm.inputs["name"]: alarm.inputs for alarm in run.of_type(t.CW_METRIC_ALARM)}
    # Every alarm the rollback watches (except the spec's own) is created by this stack.
    assert set(watched[:2]) <= set(alarms)
    assert alarms["churn-score-prod-latency-p99"]["extendedStatistic"] == "p99"
    assert alarms["churn-score-prod-latency-p99"]["threshold"] == 300_000
    assert alarms["churn-score-prod-5xx-errors"]["threshold"] == 0.02
    assert "churn-score-prod-no-invocations" in alarms
    topic_arn = run.one(t.SNS_TOPIC)
    for alarm in alarms.values():
        assert alarm["actionsEnabled"] is True
        assert len(alarm["alarmActions"]) == 1 and alarm["alarmActions"] == alarm["okActions"]
    assert topic_arn.inputs["kmsMasterKeyId"].startswith("arn:aws:kms:")
    # NVMe family in prod: no key on the endpoint config, capture still encrypted.
    config = run.one(t.SM_ENDPOINT_CONFIG).inputs
    assert "kmsKeyArn" not in config
    assert config["productionVariants"][0]["instanceType"] == "ml.c5d.xlarge"
    assert config["productionVariants"][0]["initialInstanceCount"] == 2
    assert config["dataCaptureConfig"]["kmsKeyId"].startswith("arn:aws:kms:")
    assert config["dataCaptureConfig"]["initialSamplingPercentage"] == 30
    assert config["dataCaptureConfig"]["destinationS3Uri"] == "s3://churn-score-prod-artifacts-eu-west-1/data-capture/"
    model = run.one(t.SM_MODEL).inputs
    assert model["enableNetworkIsolation"] is True
    assert model["vpcConfig"]["subnets"] == ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60719"]
    assert model["primaryContainer"]["image"].endswith("sagemaker-scikit-learn:1.9-0-cpu-py3")
    assert model["primaryContainer"]["modelDataUrl"].endswith(f"/{SAGEMAKER_ARCHIVE}")
    # prod: access logging of the artifact bucket into the stack's log bucket.
    logging = run.one(t.S3_LOGGING).inputs
    assert logging["targetBucket"] == "slipstack-prod-access-logs-eu-west-1"
    assert run.outputs["endpoint_name"] == "churn-score-prod"
    assert run.outputs["region"] == "eu-west-1"
    assert run.outputs["invoke_url"].endswith("/endpoints/churn-score-prod/invocations")
    assert run.outputs["deployed_version"] == "1.2.0"
    assert run.outputs["model_package_group"] == "churn-score-prod"


def test_dev_uses_the_key_on_ebs_instances_and_skips_prod_only_parts(pulumi_run: Any, tmp_path: Path) -> None:
    run = run_model(pulumi_run, tmp_path, "dev")
    config = run.one(t.SM_ENDPOINT_CONFIG).inputs
    assert config["kmsKeyArn"].startswith("arn:aws:kms:")
    assert not run.of_type(t.S3_LOGGING)
    assert "churn-score-dev-no-invocations" not in {a.inputs["name"] for a in run.of_type(t.CW_METRIC_ALARM)}


@pytest.mark.parametrize(("environment", "bounds"), [("dev", (2, 3)), ("staging", (2, 3)), ("prod", (2, 8))])
def test_autoscaling_bounds_per_environment(
    pulumi_run: Any, tmp_path: Path, environment: str, bounds: tuple[int, int]
) -> None:
    run = run_model(pulumi_run, tmp_path, environment)
    target = run.one(t.AAS_TARGET).inputs
    assert (target["minCapacity"], target["maxCapacity"]) == bounds
    assert target["resourceId"] == f"endpoint/churn-score-{environment}/variant/primary"
    assert target["scalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    policies = {p.name: p.inputs for p in run.of_type(t.AAS_POLICY)}
    invocations = policies["churn-score-autoscaling-invocations"]["targetTrackingScalingPolicyConfiguration"]
    assert invocations["targetValue"] == 100
    assert (invocations["scaleInCooldown"], invocations["scaleOutCooldown"]) == (300, 60)
    assert "churn-score-autoscaling-cpu" in policies


def test_execution_role_is_least_privilege(pulumi_run: Any, tmp_path: Path) -> None:
    run = run_model(pulumi_run, tmp_path, "prod")
    role = run.named("churn-score-execution-role").inputs
    trust = json.loads(role["assumeRolePolicy"])["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                      "Action": "sts:AssumeRole",
                      "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]
    assert "managedPolicyArns" not in role or not role["managedPolicyArns"]
    statements = {s["Sid"]: s for s in policy_document(run.named("churn-score-execution-policy"))["Statement"]}
    for statement in statements.values():
        for action in statement["Action"]:
            assert "*" not in action, (statement["Sid"], action)
        if statement["Resource"] == "*":
            assert statement["Sid"] in {"EcrLoginHasNoResourceScope", "WriteMetricsInOwnNamespaces",
                                        "DescribeNetworkHasNoResourceScope"}
    bucket = "arn:aws:s3:::churn-score-prod-artifacts-eu-west-1"
    assert statements["ReadModelArtifacts"]["Resource"] == [f"{bucket}/models/churn-score/unpackaged-1.2.0/*"]
    assert statements["WriteCapturedDataAndResults"]["Resource"] == [f"{bucket}/data-capture/*"]
    assert statements["PullServingImage"]["Resource"] == [
        "arn:aws:ecr:eu-west-1:141502667606:repository/sagemaker-scikit-learn"
    ]
    assert statements["ReadRollbackAlarms"]["Resource"] == [
        "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:churn-score-prod-latency-p99",
        "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:churn-score-prod-5xx-errors",
    ]
    assert statements["WriteMetricsInOwnNamespaces"]["Condition"]["StringEquals"]["cloudwatch:namespace"]
    # The invoker policy: InvokeEndpoint on this endpoint only, attached to the spec's role by name.
    invoke = policy_document(run.one(t.IAM_POLICY))["Statement"]
    assert invoke == [{"Sid": "InvokeThisEndpoint", "Effect": "Allow", "Action": ["sagemaker:InvokeEndpoint"],
                       "Resource": ["arn:aws:sagemaker:eu-west-1:123456789012:endpoint/churn-score-prod"]}]
    assert run.one(t.IAM_ROLE_POLICY_ATTACHMENT).inputs["role"] == "churn-app"


def test_key_bucket_and_topic_are_locked_down(pulumi_run: Any, tmp_path: Path) -> None:
    run = run_model(pulumi_run, tmp_path, "staging")
    # The model's key (the stack's model-server repository has a key of its own).
    (key,) = [k for k in run.of_type(t.KMS_KEY) if not k.name.endswith("-model-server-kms-key")]
    assert key.inputs["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in policy_document(key)["Statement"]}
    # The execution role, and the drift job's role and scheduler role (the spec captures data).
    assert statements["RolesUseKey"]["Condition"]["ArnEquals"]["aws:PrincipalArn"] == [
        f"arn:aws:iam::123456789012:role/churn-score-staging-{role}"
        for role in ("sagemaker", "drift-job", "drift-sched")
    ]
    for statement in statements.values():
        assert statement["Principal"] != "*"
    assert run.named("churn-score-kms-alias").inputs["name"] == "alias/slipstack/churn-score-staging"
    sse = run.named("churn-score-artifacts-encryption").inputs["rules"][0]
    assert sse["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert sse["bucketKeyEnabled"] is True
    block = run.named("churn-score-artifacts-public-access-block").inputs
    assert all(block[flag] is True for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                                 "restrictPublicBuckets"))
    assert run.named("churn-score-artifacts-ownership").inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    deny = policy_document(run.named("churn-score-artifacts-policy"))["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    lifecycle = run.named("churn-score-artifacts-lifecycle").inputs["rules"]
    assert {"prefix": "data-capture/"} in [rule.get("filter") for rule in lifecycle]
    topic_policy = policy_document(run.named("churn-score-alerts-policy"))["Statement"]
    assert topic_policy[0]["Effect"] == "Deny"
    subscriptions = sorted(s.inputs["protocol"] for s in run.of_type(t.SNS_SUBSCRIPTION))
    assert subscriptions == ["email", "sms"]
    # Every AWS resource of the model carries its tags (stack-shared ones, "staging-...", serve all models).
    for resource in run.resources:
        if resource.custom and "tags" in resource.inputs and not resource.name.startswith("staging-"):
            assert resource.inputs["tags"][tags.MODEL] == "churn-score"
            assert resource.inputs["tags"][tags.COST_CENTRE] == "CC-1234"


def test_changed_model_gets_new_model_and_config_names(pulumi_run: Any, tmp_path: Path) -> None:
    write_manifest(tmp_path, "churn-score", "1.2.0", "a" * 64)
    first = run_model(pulumi_run, tmp_path, "staging")
    write_manifest(tmp_path, "churn-score", "1.2.0", "b" * 64)
    second = run_model(pulumi_run, tmp_path, "staging")
    third = run_model(pulumi_run, tmp_path, "staging")
    names = [
        (run.one(t.SM_MODEL).inputs["name"], run.one(t.SM_ENDPOINT_CONFIG).inputs["name"])
        for run in (first, second, third)
    ]
    assert names[0][0] != names[1][0] and names[0][1] != names[1][1]
    assert names[1] == names[2]  # the same content keeps its names: no needless rollout
    assert all(len(name) <= 63 for pair in names for name in pair)
    assert second.one(t.SM_ENDPOINT).inputs["name"] == first.one(t.SM_ENDPOINT).inputs["name"]
    assert second.one(t.SM_MODEL).inputs["tags"][tags.ARTIFACT_SHA256] == "b" * 64
    url = second.one(t.SM_MODEL).inputs["primaryContainer"]["modelDataUrl"]
    assert url == f"s3://churn-score-staging-artifacts-eu-west-1/models/churn-score/{'b' * 64}/{SAGEMAKER_ARCHIVE}"


def test_new_version_or_variant_setting_gets_new_config_name(pulumi_run: Any, tmp_path: Path) -> None:
    base = run_model(pulumi_run, tmp_path, "staging")
    bigger = write_spec(tmp_path, serving={"mode": "online", "instance_type": "ml.m5.xlarge",
                                            "replicas": {"min": 2, "max": 3}})
    changed = run_model(pulumi_run, tmp_path, "staging", bigger)
    assert base.one(t.SM_ENDPOINT_CONFIG).inputs["name"] != changed.one(t.SM_ENDPOINT_CONFIG).inputs["name"]


# --- serving modes --------------------------------------------------------------------------------


def test_serverless_mode(pulumi_run: Any, tmp_path: Path) -> None:
    spec = write_spec(
        tmp_path,
        serving={"mode": "serverless", "serverless": {"memory_mb": 3072, "max_concurrency": 20,
                                                      "provisioned_concurrency": 2}},
        rollout={"strategy": "all_at_once"},
        monitoring={"capture": {"enabled": False}},
        security={"network_isolation": False},
        environments={},
    )
    run = run_model(pulumi_run, tmp_path, "dev", spec)
    variant = run.one(t.SM_ENDPOINT_CONFIG).inputs["productionVariants"][0]
    assert variant["serverlessConfig"] == {"memorySizeInMb": 3072, "maxConcurrency": 20,
                                           "provisionedConcurrency": 2}
    assert "instanceType" not in variant
    assert "dataCaptureConfig" not in run.one(t.SM_ENDPOINT_CONFIG).inputs
    assert "vpcConfig" not in run.one(t.SM_MODEL).inputs
    # Provisioned concurrency is autoscaled (never the instance count: serverless has no instances).
    target = run.one(t.AAS_TARGET)
    assert target.inputs["scalableDimension"] == "sagemaker:variant:DesiredProvisionedConcurrency"
    assert target.inputs["resourceId"] == "endpoint/churn-score-dev/variant/primary"
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (2, 20)
    policy = run.one(t.AAS_POLICY)
    assert policy.inputs["scalableDimension"] == "sagemaker:variant:DesiredProvisionedConcurrency"
    tracking = policy.inputs["targetTrackingScalingPolicyConfiguration"]
    assert tracking["predefinedMetricSpecification"] == {
        "predefinedMetricType": "SageMakerVariantProvisionedConcurrencyUtilization"}
    assert tracking["targetValue"] == 0.7
    assert (tracking["scaleInCooldown"], tracking["scaleOutCooldown"]) == (300, 60)
    assert target.urn in policy.dependencies
    # Scaling registers against a variant that exists: the component waits for the endpoint.
    component = run.named("churn-score-concurrency-autoscaling")
    assert target.parent == component.urn
    assert run.one(t.SM_ENDPOINT).urn in component.dependencies
    alarms = {a.inputs["name"] for a in run.of_type(t.CW_METRIC_ALARM)}
    assert "churn-score-dev-cpu-utilisation" not in alarms and "churn-score-dev-5xx-errors" in alarms


@pytest.mark.parametrize("serverless", [{"max_concurrency": 20}, {"max_concurrency": 20, "provisioned_concurrency": 0}])
def test_serverless_without_provisioned_concurrency_has_nothing_to_scale(
    pulumi_run: Any, tmp_path: Path, serverless: dict[str, Any]
) -> None:
    spec = write_spec(
        tmp_path, serving={"mode": "serverless", "serverless": serverless}, rollout={"strategy": "all_at_once"},
        monitoring={"capture": {"enabled": False}}, security={"network_isolation": False}, environments={},
    )
    run = run_model(pulumi_run, tmp_path, "dev", spec)
    assert not run.of_type(t.AAS_TARGET) and not run.of_type(t.AAS_POLICY)


def test_async_mode(pulumi_run: Any, tmp_path: Path) -> None:
    spec = write_spec(
        tmp_path,
        serving={"mode": "async", "replicas": {"min": 2, "max": 4},
                 "async_inference": {"max_concurrent_invocations_per_instance": 8}},
        environments={},
    )
    run = run_model(pulumi_run, tmp_path, "staging", spec)
    output = run.one(t.SM_ENDPOINT_CONFIG).inputs["asyncInferenceConfig"]["outputConfig"]
    assert output["s3OutputPath"] == "s3://churn-score-staging-artifacts-eu-west-1/async-results/"
    assert output["kmsKeyId"].startswith("arn:aws:kms:")
    assert output["notificationConfig"]["successTopic"].endswith(":churn-score-staging-async-success")
    assert output["notificationConfig"]["errorTopic"].endswith(":churn-score-staging-async-error")
    assert all(topic.inputs["kmsMasterKeyId"] for topic in run.of_type(t.SNS_TOPIC))
    target = run.one(t.AAS_TARGET).inputs
    assert target["minCapacity"] == 0  # scale to zero
    names = {p.name for p in run.of_type(t.AAS_POLICY)}
    assert {"churn-score-autoscaling-backlog", "churn-score-autoscaling-from-zero"} <= names
    invoke = policy_document(run.one(t.IAM_POLICY))["Statement"][0]["Action"]
    assert "sagemaker:InvokeEndpointAsync" in invoke


def test_batch_mode(pulumi_run: Any, tmp_path: Path) -> None:
    spec = write_spec(
        tmp_path,
        serving={"mode": "batch", "instance_type": "ml.m5.xlarge",
                 "batch": {"schedule": "30 2 * * 1-5", "input_uri": "s3://landing/churn/in/",
                           "output_uri": "s3://landing/churn/out/", "instance_count": 2}},
        rollout={"strategy": "all_at_once"},
        monitoring={"capture": {"enabled": False}},
    )
    run = run_model(pulumi_run, tmp_path, "staging", spec)
    assert not run.of_type(t.SM_ENDPOINT) and not run.of_type(t.SM_ENDPOINT_CONFIG)
    schedule = run.one("aws:scheduler/schedule:Schedule").inputs
    assert schedule["scheduleExpression"] == "cron(30 2 ? * 2-6 *)"
    request = json.loads(schedule["target"]["input"])
    assert request["TransformJobName"] == "churn-score-staging-<aws.scheduler.execution-id>"
    assert request["TransformOutput"]["KmsKeyId"].startswith("arn:aws:kms:")
    assert request["TransformResources"] == {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2,
                                             "VolumeKmsKeyId": request["TransformOutput"]["KmsKeyId"]}
    assert request["ModelName"] == run.one(t.SM_MODEL).inputs["name"]
    trust = json.loads(run.named("churn-score-batch-scheduler-role").inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    scheduler = {s["Sid"]: s for s in policy_document(run.named("churn-score-batch-scheduler-policy"))["Statement"]}
    assert scheduler["PassExecutionRoleToSageMakerOnly"]["Resource"] == [
        "arn:aws:iam::123456789012:role/churn-score-staging-sagemaker"
    ]
    # The schedule's input is encrypted with the model's key, so the scheduler role must decrypt it.
    assert scheduler["DecryptScheduleInput"]["Action"] == ["kms:Decrypt"]
    assert scheduler["DecryptScheduleInput"]["Resource"] == [request["TransformOutput"]["KmsKeyId"]]
    execution = {s["Sid"]: s for s in policy_document(run.named("churn-score-execution-policy"))["Statement"]}
    assert "arn:aws:s3:::landing/churn/in/*" in execution["ReadModelArtifacts"]["Resource"]
    assert execution["WriteCapturedDataAndResults"]["Resource"] == ["arn:aws:s3:::landing/churn/out/*"]
    # A batch model has no endpoint; the engine drops a None stack output, as `pulumi stack output` shows.
    assert "endpoint_name" not in run.outputs and run.outputs["batch_schedule_arn"].startswith("arn:aws:scheduler:")


def test_unknown_framework_version_is_a_clear_error(tmp_path: Path) -> None:
    from stacks.aws_model import AwsTranslationError, serving_image_uri

    with pytest.raises(AwsTranslationError, match="no sklearn serving image for version 0.19.2"):
        serving_image_uri("sklearn", "0.19.2", "eu-west-1", "ml.m5.large")
    with pytest.raises(AwsTranslationError, match="no prebuilt 'onnx' serving image"):
        serving_image_uri("onnx", "1.18", "eu-west-1", "ml.m5.large")
