"""Every rendered AlertmanagerConfig, as prometheus-operator turns it into Alertmanager's configuration,
judged by amtool: the configuration loads, and every alert of the model's rendered PrometheusRule reaches
e-mail and, when critical and the spec names SMS recipients, the SMS webhook too."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.k8s.model_alert_routing import EMAIL_RECEIVER, SMS_RECEIVER
from tests.infra.k8s.alert_sources import require_binary
from tests.infra.k8s.alertmanager_operator import cluster_base, operator_config

STACKS = ("dev", "staging", "prod")
PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
ALERTMANAGER_CONFIG = "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig"


def by_namespace(plan: dict[str, Any], type_token: str) -> dict[str, dict[str, Any]]:
    return {r["inputs"]["metadata"]["namespace"]: r["inputs"] for r in plan["resources"] if r["type"] == type_token}


def namespace_secrets(config: dict[str, Any]) -> dict[tuple[str, str], str]:
    """Values for the secrets the config references (the cluster holds the real ones)."""
    found: dict[tuple[str, str], str] = {}
    for receiver in config["spec"]["receivers"]:
        for webhook in receiver.get("webhookConfigs", []):
            found[(webhook["urlSecret"]["name"], webhook["urlSecret"]["key"])] = "https://sms-gateway.example.com/send"
        for email in receiver.get("emailConfigs", []):
            if "authPassword" in email:
                found[(email["authPassword"]["name"], email["authPassword"]["key"])] = "relay-password"
    return found


def alerts_of(rule: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for group in rule["spec"]["groups"] for r in group["rules"] if "alert" in r]


def expected_receivers(config: dict[str, Any], severity: str) -> list[str]:
    prefix = f"{config['metadata']['namespace']}/{config['metadata']['name']}/"
    present = {r["name"] for r in config["spec"]["receivers"]}
    wanted = ([SMS_RECEIVER] if severity == "critical" and SMS_RECEIVER in present else []) + (
        [EMAIL_RECEIVER] if EMAIL_RECEIVER in present else [])
    return [prefix + name for name in wanted]


@pytest.mark.parametrize("stack", STACKS)
def test_every_alert_reaches_email_and_critical_ones_the_sms_webhook(
    stack: str, shipped_plan: Any, tmp_path: Path
) -> None:
    amtool = require_binary("amtool")
    plan = shipped_plan(stack)
    configs = by_namespace(plan, ALERTMANAGER_CONFIG)
    rules = by_namespace(plan, PROMETHEUS_RULE)
    assert configs and set(configs) == set(rules), "every namespace with alerts has its routing, and back"
    checked = 0
    for namespace, config in configs.items():
        path = tmp_path / f"{namespace}.alertmanager.yaml"
        path.write_text(yaml.safe_dump(operator_config(config, namespace_secrets(config), cluster_base())))
        loaded = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True)
        assert loaded.returncode == 0, f"{stack} {namespace}:\n{loaded.stdout}\n{loaded.stderr}"
        for alert in alerts_of(rules[namespace]):
            labels = {"alertname": alert["alert"], **alert["labels"]}
            want = expected_receivers(config, labels["severity"])
            assert want, f"{alert['alert']} would reach nobody"
            routed = subprocess.run(
                [amtool, "config", "routes", "test", f"--config.file={path}", f"--verify.receivers={','.join(want)}",
                 *(f"{key}={value}" for key, value in sorted(labels.items()))],
                capture_output=True, text=True)
            assert routed.returncode == 0, (
                f"{stack} {namespace} {alert['alert']} ({labels['severity']}): expected {want}, amtool says "
                f"{routed.stdout.strip()} {routed.stderr.strip()}")
            checked += 1
    assert checked >= 5


def test_an_alert_without_the_namespace_label_reaches_nobody_of_the_model(shipped_plan: Any, tmp_path: Path) -> None:
    """Why every rule sets `namespace`: the operator confines the config to its namespace."""
    amtool = require_binary("amtool")
    plan = shipped_plan("prod")
    namespace, config = next(iter(by_namespace(plan, ALERTMANAGER_CONFIG).items()))
    path = tmp_path / "am.yaml"
    path.write_text(yaml.safe_dump(operator_config(config, namespace_secrets(config), cluster_base())))
    alert = alerts_of(by_namespace(plan, PROMETHEUS_RULE)[namespace])[0]
    labels = {k: v for k, v in {"alertname": alert["alert"], **alert["labels"]}.items() if k != "namespace"}
    routed = subprocess.run([amtool, "config", "routes", "test", f"--config.file={path}", "--verify.receivers=null",
                             *(f"{k}={v}" for k, v in sorted(labels.items()))], capture_output=True, text=True)
    assert routed.returncode == 0, routed.stdout + routed.stderr
