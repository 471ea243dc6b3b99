"""Cross-field rules: each refuses what AWS or Kubernetes would reject later, naming the field to change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from deployment_spec import ModelDeployment
from deployment_spec.cross_checks import CROSS_CHECKS, run_cross_checks

BASE: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "fixtures" / "minimal.yaml").read_text())
VPC = {"subnet_ids": ["subnet-0a1b2c3d", "subnet-0b1c2d3e"], "security_group_ids": ["sg-0a1b2c3d"]}


def spec_with(**sections: Any) -> ModelDeployment:
    data = {**BASE, **sections}
    return ModelDeployment.model_validate(data)


def paths(spec: ModelDeployment, environment: str = "dev") -> dict[tuple[Any, ...], str]:
    return dict(run_cross_checks(spec, environment))


def test_minimal_spec_passes_every_check() -> None:
    assert run_cross_checks(spec_with(), "dev") == []


def test_every_check_has_a_docstring_or_name() -> None:
    assert len({check.__name__ for check in CROSS_CHECKS}) == len(CROSS_CHECKS)


def test_min_above_max() -> None:
    found = paths(spec_with(serving={"replicas": {"min": 3, "max": 2}}))
    assert found == {("serving", "replicas", "min"): "min 3 is greater than max 2 (min must be at most max)"}


def test_prod_needs_two_replicas_but_dev_does_not() -> None:
    spec = spec_with()
    assert paths(spec, "dev") == {}
    assert "prod needs at least 2 replicas" in paths(spec, "prod")[("serving", "replicas", "min")]
    serverless = paths(spec_with(serving={"mode": "serverless"}), "prod")
    assert ("serving", "replicas", "min") not in serverless  # serverless capacity is not instances


def test_serverless_refuses_vpc_isolation_capture_and_guardrails() -> None:
    found = paths(
        spec_with(
            serving={"mode": "serverless", "serverless": {"max_concurrency": 5, "provisioned_concurrency": 6}},
            security={"vpc": VPC},
            monitoring={"capture": {"enabled": True}},
            rollout={"strategy": "canary", "traffic_percent": 10, "extra_alarms": ["team-budget"]},
        )
    )
    assert set(found) == {
        ("security", "vpc"),
        ("security", "network_isolation"),
        ("rollout", "extra_alarms"),
        ("monitoring", "capture", "enabled"),
        ("rollout", "strategy"),
        ("serving", "serverless", "provisioned_concurrency"),
    }
    assert "cannot run in a VPC" in found[("security", "vpc")]


def test_batch_needs_its_section() -> None:
    assert ("serving", "batch") in paths(spec_with(serving={"mode": "batch"}))


@pytest.mark.parametrize(
    ("rollout", "message"),
    [
        ({"strategy": "canary", "traffic_percent": 60}, "canary of 60% is more than half the fleet"),
        ({"strategy": "canary"}, "canary needs traffic_percent"),
        ({"strategy": "linear", "traffic_percent": 5}, "linear step of 5% is outside 10-50%"),
        ({"strategy": "all_at_once", "traffic_percent": 5}, "applies to canary and linear only"),
    ],
)
def test_rollout_steps(rollout: dict[str, Any], message: str) -> None:
    assert message in paths(spec_with(rollout=rollout))[("rollout", "traffic_percent")]


def test_rollback_needs_an_alarm() -> None:
    spec = spec_with(monitoring={"alarms_enabled": False})
    assert "would watch no alarm" in paths(spec)[("rollout", "auto_rollback")]
    assert paths(spec_with(monitoring={"alarms_enabled": False}, rollout={"extra_alarms": ["team-alarm"]})) == {}


def test_restricted_data_stays_onprem() -> None:
    metadata = {**BASE["metadata"], "data_classification": "restricted"}
    assert ("targets",) in paths(spec_with(metadata=metadata, targets=["aws", "onprem"]))
    assert paths(spec_with(metadata=metadata, targets=["onprem"])) == {}


def test_drift_thresholds_and_features() -> None:
    found = paths(spec_with(monitoring={"drift": {"warn_threshold": 0.5, "alert_threshold": 0.2, "features": ["x9"]}}))
    assert set(found) == {("monitoring", "drift", "warn_threshold"), ("monitoring", "drift", "features", 0)}
    assert "'x9' is not an input" in found[("monitoring", "drift", "features", 0)]


def test_quality_metric_must_fit_the_task() -> None:
    found = paths(spec_with(monitoring={"quality": {"metric": "rmse", "threshold": 1.0}}))
    assert "does not measure a classification model" in found[("monitoring", "quality", "metric")]


def test_label_is_not_a_feature() -> None:
    model = {**BASE["model"], "label_column": "x1"}
    assert ("model", "label_column") in paths(spec_with(model=model))


def test_exposed_service_needs_a_reason() -> None:
    found = paths(spec_with(serving={"kubernetes": {"service_type": "LoadBalancer"}}))
    assert "add service_exposure_reason" in found[("serving", "kubernetes", "service_type")]
    reasoned = {"service_type": "LoadBalancer", "service_exposure_reason": "partner VPN has no ingress"}
    assert paths(spec_with(serving={"kubernetes": reasoned})) == {}


def test_tls_needs_one_certificate_source_onprem() -> None:
    tls = {"host": "m.example.com", "secret_name": "a", "cert_manager_issuer": "b"}
    assert ("security", "tls") in paths(spec_with(security={"tls": tls}, targets=["onprem"]))
    assert paths(spec_with(security={"tls": tls}, targets=["aws"])) == {}


def test_canary_candidate() -> None:
    candidate = {"version": "1.0.0", "artifact": "m.joblib"}
    found = paths(spec_with(rollout={"candidate": candidate}))
    assert set(found) == {("rollout", "candidate"), ("rollout", "candidate", "version")}
