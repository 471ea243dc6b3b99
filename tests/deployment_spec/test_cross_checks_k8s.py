"""Kubernetes refusals: what the cluster would reject, or what weakens the restricted profile, is refused
by the spec before anything is planned."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from deployment_spec import ModelDeployment
from deployment_spec.cross_checks import run_cross_checks

BASE: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "fixtures" / "minimal.yaml").read_text())
DIGEST = "sha256:" + "a" * 64
TLS = {"host": "m.example.com", "secret_name": "m-tls"}


def spec_with(**sections: Any) -> ModelDeployment:
    return ModelDeployment.model_validate({**BASE, **sections})


def problems(spec: ModelDeployment, environment: str) -> dict[tuple[Any, ...], str]:
    return dict(run_cross_checks(spec, environment))


def onprem(**serving: Any) -> ModelDeployment:
    return spec_with(targets=["onprem"], serving={"replicas": {"min": 2, "max": 3}, **serving})


def test_prod_on_kubernetes_names_its_image_explicitly() -> None:
    assert "named explicitly" in problems(onprem(), "prod")[("serving", "image")]
    assert problems(onprem(), "staging") == {}
    # A tag is enough: the stack runs it by the digest the registry reports (stacks/server_image.py).
    tagged = onprem(image={"repository": "ghcr.io/acme/server", "tag": "1.2.0"})
    assert problems(tagged, "prod") == {}
    pinned = onprem(image={"repository": "ghcr.io/acme/server", "tag": "1.2.0", "digest": DIGEST})
    assert problems(pinned, "prod") == {}


def test_cpu_limit_below_request_is_refused() -> None:
    found = problems(onprem(resources={"cpu": "1", "cpu_limit": "500m"}), "dev")
    assert found == {("serving", "resources", "cpu_limit"): (
        "500m is below the CPU request 1 (Kubernetes rejects a limit below the request; raise cpu_limit or remove it)"
    )}
    assert problems(onprem(resources={"cpu": "500m", "cpu_limit": "0.5"}), "dev") == {}


def test_kubernetes_canary_needs_the_ingress() -> None:
    rollout = {"strategy": "canary", "traffic_percent": 10, "candidate": {"version": "9.9.9", "artifact": "x.joblib"}}
    found = problems(onprem(), "dev") | problems(spec_with(targets=["onprem"], rollout=rollout), "dev")
    assert "weighted at the TLS ingress" in found[("rollout", "candidate")]
    assert problems(spec_with(targets=["onprem"], rollout=rollout, security={"tls": TLS}), "dev") == {}


@pytest.mark.parametrize(
    ("serving", "expected"),
    [
        ({"kubernetes": {"privileged": True}}, "privileged containers are refused"),
        ({"kubernetes": {"host_paths": ["/var/lib"]}}, "host path volumes are refused"),
        ({"image": {"repository": "ghcr.io/acme/server", "tag": "latest"}}, "'latest' is not a pinned version"),
    ],
)
def test_field_level_refusals(serving: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError, match=expected):
        spec_with(serving=serving)


def test_load_balancer_needs_a_reason() -> None:
    found = problems(onprem(kubernetes={"service_type": "LoadBalancer"}), "dev")
    assert "add service_exposure_reason" in found[("serving", "kubernetes", "service_type")]
    reasoned = onprem(kubernetes={"service_type": "LoadBalancer",
                                  "service_exposure_reason": "the partner VPN terminates on the node network"})
    assert problems(reasoned, "dev") == {}


def test_validate_command_refuses_with_the_usual_shape(tmp_path: Path, repo_root: Path) -> None:
    text = (repo_root / "deployments" / "diabetes-progression.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("resources: {cpu: 250m, memory: 512Mi}",
                                "resources: {cpu: 250m, memory: 512Mi, cpu_limit: 100m}"))
    result = subprocess.run([sys.executable, "-m", "slipstack", "validate", str(bad)], capture_output=True,
                            text=True, timeout=60, cwd=repo_root)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{bad}:" in result.stderr
    assert "serving.resources.cpu_limit: 100m is below the CPU request 250m" in result.stderr
