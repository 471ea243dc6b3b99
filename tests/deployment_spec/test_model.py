"""Field-level rules of the spec model: refusals that weaken the security profile, and pinned images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from deployment_spec import ModelDeployment

BASE: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "fixtures" / "minimal.yaml").read_text())


def errors_for(**sections: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        ModelDeployment.model_validate({**BASE, **sections})
    return str(caught.value)


def test_privileged_is_refused() -> None:
    assert "privileged containers are refused" in errors_for(serving={"kubernetes": {"privileged": True}})


def test_host_paths_are_refused() -> None:
    assert "host path volumes are refused" in errors_for(serving={"kubernetes": {"host_paths": ["/var/run"]}})


def test_latest_image_is_refused() -> None:
    assert "'latest' is not a pinned version" in errors_for(serving={"image": {"repository": "r/m", "tag": "latest"}})


def test_unknown_instance_family() -> None:
    assert "unknown instance family 'zz9'" in errors_for(serving={"instance_type": "ml.zz9.large"})
    assert "is not a SageMaker instance type" in errors_for(serving={"instance_type": "m5.large"})


def test_serverless_memory_steps() -> None:
    assert "1024" in errors_for(serving={"mode": "serverless", "serverless": {"memory_mb": 1500}})


def test_cron_schedule_form() -> None:
    assert "five-field cron" in errors_for(monitoring={"drift": {"schedule": "hourly"}})


def test_duplicate_signature_names() -> None:
    model = {**BASE["model"], "signature": {"inputs": [{"name": "a"}, {"name": "a"}], "outputs": [{"name": "y"}]}}
    assert "name 'a' appears twice" in errors_for(model=model)


def test_invoker_names_exactly_one_principal() -> None:
    assert "exactly one of" in errors_for(security={"invokers": [{}]})


def test_exemption_needs_a_reason() -> None:
    exemption = {"rule": "SM-MODEL-NETISO", "resource": "m", "reason": ""}
    assert "at least 10 characters" in errors_for(security={"exemptions": [exemption]})


def test_sms_numbers_are_e164() -> None:
    assert "sms" in errors_for(monitoring={"notifications": {"sms": ["0151 1234"]}})


def test_drift_window_and_quality_class_fields_have_bounds() -> None:
    assert "greater than or equal to 2" in errors_for(monitoring={"drift": {"min_window": 1}})
    assert "less than or equal to 1" in errors_for(monitoring={"drift": {"missing_rate_min_effect": 1.5}})
    quality = {"metric": "recall", "threshold": 0.8}
    message = errors_for(monitoring={"quality": {**quality, "classes": ["0", "1"], "positive_label": "yes"}})
    assert "positive_label 'yes' is not one of classes ['0', '1']" in message
    assert "name a class twice" in errors_for(monitoring={"quality": {**quality, "classes": ["a", "a"]}})
    assert "contain a comma" in errors_for(monitoring={"quality": {**quality, "classes": ["a,b", " c"]}})
    spec = ModelDeployment.model_validate(
        {**BASE, "monitoring": {"drift": {"min_window": 100}, "quality": {**quality, "max_dropped_share": 0.2}}}
    )
    assert spec.monitoring.drift.min_window == 100 and spec.monitoring.drift.missing_rate_min_effect == 0.01
    assert spec.monitoring.quality is not None and spec.monitoring.quality.max_dropped_share == 0.2
def test_unknown_instance_size_names_the_family_sizes() -> None:
    # CPU alarms and scaling targets are scaled by the vCPU count, which only the table knows.
    message = errors_for(serving={"instance_type": "ml.c5.3xlarge"})
    assert "unknown size '3xlarge' of ml.c5" in message
    assert "large, xlarge, 2xlarge, 4xlarge, 9xlarge, 18xlarge" in message


def test_every_accepted_instance_type_has_a_vcpu_count() -> None:
    from contracts.sagemaker_instances import KNOWN_FAMILIES, VCPUS, allowed_sizes, instance_family

    assert {instance_family(name) for name in VCPUS} == KNOWN_FAMILIES
    for name, vcpus in VCPUS.items():
        ModelDeployment.model_validate({**BASE, "serving": {"instance_type": name}})
        assert vcpus >= 2 and name.split(".")[2] in allowed_sizes(name)
    assert (VCPUS["ml.c5.xlarge"], VCPUS["ml.m5.large"], VCPUS["ml.c4.8xlarge"], VCPUS["ml.g5.48xlarge"]) == (
        4, 2, 36, 192)


def test_latency_threshold_between_histogram_bounds_is_refused_with_the_allowed_values() -> None:
    from contracts.metrics import LATENCY_THRESHOLDS_MS

    message = errors_for(monitoring={"latency_p99_ms": 220})
    assert "220 ms falls between the server's latency histogram bounds" in message
    assert "use 200 or 250" in message
    assert "allowed: " + ", ".join(map(str, LATENCY_THRESHOLDS_MS)) in message
    for allowed in (200, 250, 1000):
        ModelDeployment.model_validate({**BASE, "monitoring": {"latency_p99_ms": allowed}})
