"""The spec-level checks for combinations AWS (or the prod policy rules) would reject at deploy time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from deployment_spec import SpecError, load_spec

SPEC = Path(__file__).resolve().parent.parent / "stacks" / "specs" / "aws-online.yaml"


def problems(tmp_path: Path, environment: str, **sections: Any) -> list[str]:
    document = yaml.safe_load(SPEC.read_text())
    document.update(sections)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(document))
    try:
        load_spec(path).for_environment(environment)
    except SpecError as error:
        return [f"{p.path}: {p.message}" for p in error.problems]
    return []


def test_shipped_test_spec_is_valid(tmp_path: Path) -> None:
    assert problems(tmp_path, "prod") == []


def test_batch_on_aws_needs_s3(tmp_path: Path) -> None:
    found = problems(tmp_path, "dev", serving={"mode": "batch", "batch": {
        "schedule": "0 2 * * *", "input_uri": "pvc://data/in", "output_uri": "s3://b/out/"}},
        rollout={"strategy": "all_at_once"})
    assert found == ["serving.batch.input_uri: 'pvc://data/in' is not an s3:// URI; a SageMaker batch transform "
                     "reads and writes S3 only (use s3://bucket/prefix/, or deploy batch to onprem only)"]


def test_async_scale_to_zero_is_refused_in_prod_only(tmp_path: Path) -> None:
    serving = {"mode": "async", "replicas": {"min": 2, "max": 4}}
    assert problems(tmp_path, "staging", serving=serving, environments={}) == []
    assert any("scale_to_zero" in p for p in problems(tmp_path, "prod", serving=serving))


@pytest.mark.parametrize(
    ("serving", "expected"),
    [
        ({"replicas": {"min": 2, "max": 2}}, "serving.replicas.max: max 2 leaves autoscaling no room"),
        ({"replicas": {"min": 2, "max": 4}, "autoscaling": {"enabled": False}}, "serving.autoscaling.enabled"),
    ],
)
def test_prod_endpoints_must_autoscale(tmp_path: Path, serving: dict[str, Any], expected: str) -> None:
    document = yaml.safe_load(SPEC.read_text())
    document["environments"]["prod"]["serving"].update(serving)
    found = problems(tmp_path, "prod", environments=document["environments"])
    assert any(expected in p for p in found), found


def test_prod_needs_alarms_vpc_and_isolation_unless_exempted(tmp_path: Path) -> None:
    found = problems(tmp_path, "prod", monitoring={"alarms_enabled": False},
                     rollout={"strategy": "all_at_once", "auto_rollback": False},
                     security={"network_isolation": False})
    assert sorted(p.split(":")[0] for p in found) == ["monitoring.alarms_enabled", "security.network_isolation",
                                                      "security.vpc"]
    exempted = problems(tmp_path, "prod", security={"network_isolation": False, "exemptions": [
        {"rule": "SM-MODEL-VPC", "resource": "churn-score", "reason": "serverless endpoints have no VPC"},
        {"rule": "SM-MODEL-NETISO", "resource": "churn-score", "reason": "the model calls a feature store"},
    ]})
    assert exempted == []


def test_existing_aws_checks_still_apply(tmp_path: Path) -> None:
    found = problems(tmp_path, "dev", rollout={"strategy": "canary", "traffic_percent": 60})
    assert any("more than half the fleet" in p for p in found)
    found = problems(tmp_path, "dev", serving={"mode": "serverless"}, rollout={"strategy": "all_at_once"})
    assert any(p.startswith("security.vpc: serverless") for p in found)
    assert any(p.startswith("monitoring.capture.enabled") for p in found)


def test_onnx_models_are_refused_on_aws_only(tmp_path: Path) -> None:
    document = yaml.safe_load(SPEC.read_text())
    model = {**document["model"], "framework": "onnx", "framework_version": "1.18"}
    found = [p for p in problems(tmp_path, "dev", model=model) if p.startswith("model.")]
    assert found == ["model.framework: 'onnx' models cannot be served on the aws target: the SageMaker framework "
                     "containers ship no onnxruntime and cannot install it under network isolation. Package the "
                     "model from its training framework (model.framework: sklearn or xgboost; serving_format: onnx "
                     "still serves ONNX on onprem), or deploy it to onprem only (targets: [onprem])"]
    # Only the onnx rule is under test here: on onprem, this spec's SMS numbers would also need a gateway secret.
    onprem = problems(tmp_path, "dev", model=model, targets=["onprem"], environments={})
    onprem = [p for p in onprem if p.startswith("model.")]
    assert onprem == []


ROLLOUT_SPEC = """\
apiVersion: slipstack/v1
kind: ModelDeployment
metadata: {name: churn-score, owner: a@example.com, cost_centre: CC-1, data_classification: internal}
model:
  framework: sklearn
  framework_version: "1.9.1"
  task: classification
  artifact: model.joblib
  version: 1.0.0
  signature:
    inputs: [{name: tenure, dtype: float64}]
    outputs: [{name: label, dtype: int64}]
serving:
  mode: online
  instance_type: ml.m5.large
  replicas: {min: 4, max: 6}
rollout: {strategy: STRATEGY, traffic_percent: 25, bake_minutes: 5}
targets: [aws]
environments:
  staging:
    serving:
      replicas: {min: 1, max: 2}
"""


@pytest.mark.parametrize("strategy", ["canary", "linear"])
def test_a_step_above_half_the_fleet_of_an_overlay_is_refused_at_the_overlay_line(
    tmp_path: Path, strategy: str
) -> None:
    import subprocess
    import sys

    path = tmp_path / "churn.yaml"
    path.write_text(ROLLOUT_SPEC.replace("STRATEGY", strategy))
    result = subprocess.run([sys.executable, "-m", "slipstack", "validate", str(path)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    # 25% of 4 instances is one (fine in the base); of the staging overlay's one instance it is all of it.
    line = ROLLOUT_SPEC.splitlines().index("      replicas: {min: 1, max: 2}") + 1
    output = result.stdout + result.stderr
    assert f"{path}:{line}: environments.staging.serving.replicas.min: a 25% {strategy} step on 1 instance(s)" in output
    assert "SageMaker allows at most half" in output
    assert "1 problem(s)" in output  # the base (4 instances) passes


def test_a_step_that_fits_half_the_fleet_passes(tmp_path: Path) -> None:
    document = yaml.safe_load(ROLLOUT_SPEC.replace("STRATEGY", "canary"))
    document["environments"]["staging"]["serving"]["replicas"] = {"min": 2, "max": 2}
    path = tmp_path / "churn.yaml"
    path.write_text(yaml.safe_dump(document))
    # 25% of 2 is one instance, exactly half: what SageMaker accepts.
    load_spec(path).for_environment("staging")
    # Kubernetes weights canaries at the ingress, by traffic, not instances: the rule is AWS-only.
    document["targets"] = ["onprem"]
    document["environments"]["staging"]["serving"]["replicas"] = {"min": 1, "max": 2}
    path.write_text(yaml.safe_dump(document))
    load_spec(path).for_environment("staging")


def _vpc(**settings: Any) -> dict[str, Any]:
    document = yaml.safe_load(SPEC.read_text())
    return {**document["security"], "vpc": {**document["security"]["vpc"], **settings}}


def test_jobs_in_a_vpc_need_a_path_to_the_services_they_call(tmp_path: Path) -> None:
    assert problems(tmp_path, "staging", security=_vpc(egress="nat")) == [
        "security.vpc.egress: 'nat' needs the NAT gateway the subnets route through "
        "(nat_gateway_id: nat-...), or use egress: vpc_endpoints and the stack declares the endpoints the jobs need"
    ]
    assert problems(tmp_path, "staging", security=_vpc(egress="nat", nat_gateway_id="nat-0a1b2c3d4e5f60718")) == []
    found = problems(tmp_path, "staging", security=_vpc(egress="existing_vpc_endpoints",
                                                          existing_vpc_endpoint_services=["s3", "logs"]))
    assert found == [
        "security.vpc.existing_vpc_endpoint_services: the drift/quality jobs in these subnets call monitoring, "
        "ecr.api, ecr.dkr, sts and the VPC has no endpoint named for them (list every one of s3, monitoring, logs, "
        "ecr.api, ecr.dkr, sts, or use egress: vpc_endpoints)"
    ]
    # The default: the stack declares the endpoints (tests/stacks/test_aws_model.py checks them in the plan).
    assert problems(tmp_path, "staging") == []


def test_a_nat_path_is_named_at_its_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    document = yaml.safe_load(SPEC.read_text())
    document["security"]["vpc"]["egress"] = "nat"
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "egress: nat" in text)
    result = subprocess.run([sys.executable, "-m", "slipstack", "validate", str(path)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert f"{path}:{line}: security.vpc.egress: 'nat' needs the NAT gateway" in (
        result.stdout + result.stderr)
