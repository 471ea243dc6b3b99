"""One notification spec, proven on the plans: in every shipped stack, for every model whose environment has a
receiver configured (`monitoring.notifications`), every alert the stacks create reaches at least one receiver.

- On-prem: each PrometheusRule alert is walked through the AlertmanagerConfig of its namespace the way
  Alertmanager walks a routing tree (with the `namespace` matcher the Prometheus Operator adds to a namespaced
  config) and must end at a receiver that has an address (an e-mail `to`, or a webhook URL secret).
- AWS: each CloudWatch alarm's alarmActions (and each EventBridge target) that notifies must point at an SNS
  topic of the plan with at least one e-mail or SMS subscription; alarms whose only actions scale a fleet are
  autoscaling triggers, not alerts.

Bad input (a receiver without an address, an SMS route without a secret name) is refused by
`slipstack validate` before any plan exists.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts import type_tokens as t

STACKS = ("dev", "staging", "prod")
PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
ALERTMANAGER_CONFIG = "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
SCALING_ACTION = re.compile(r"^arn:aws:(autoscaling|application-autoscaling):")


def receivers_configured(stack: str, repo_root: Path) -> dict[str, bool]:
    """model -> whether its spec, resolved for the stack's environment, names anyone to notify."""
    from slipstack.plan.runner import find_project, read_stack_config
    from stacks.composition import load_stack_specs
    from stacks.config import stack_config_from_values

    config = stack_config_from_values(stack, read_stack_config(find_project(repo_root), stack))
    found = {}
    for resolved in load_stack_specs(config, repo_root):
        notifications = resolved.spec.monitoring.notifications
        found[resolved.name] = bool(notifications.emails or notifications.sms)
    return found


def _matches(matcher: dict[str, Any], labels: dict[str, str]) -> bool:
    value = labels.get(matcher["name"], "")
    operator = matcher.get("matchType", "=")
    if operator in ("=", "!="):
        return (value == matcher["value"]) == (operator == "=")
    if operator in ("=~", "!~"):
        return (re.fullmatch(matcher["value"], value) is not None) == (operator == "=~")
    raise AssertionError(f"unknown matchType in {matcher}")


def route_alert(route: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """Alertmanager's routing walk: children in order, stopping after the first match without `continue`;
    a node whose children all miss handles the alert itself."""
    if not all(_matches(m, labels) for m in route.get("matchers", [])):
        return []
    found: list[str] = []
    for child in route.get("routes", []):
        matched = route_alert(child, labels)
        found += matched
        if matched and not child.get("continue", False):
            break
    return found or [route["receiver"]]


def deliverable(receiver: dict[str, Any]) -> bool:
    emails = [c for c in receiver.get("emailConfigs", []) if c.get("to", "").strip()]
    webhooks = [c for c in receiver.get("webhookConfigs", [])
                if c.get("url") or (c.get("urlSecret") or {}).get("name")]
    return bool(emails or webhooks)


def onprem_unrouted(document: dict[str, Any], configured: dict[str, bool]) -> tuple[int, list[str]]:
    resources = document["resources"]
    configs = {r["inputs"]["metadata"]["namespace"]: r["inputs"] for r in resources if r["type"] == ALERTMANAGER_CONFIG}
    checked, unrouted = 0, []
    for rule in (r["inputs"] for r in resources if r["type"] == PROMETHEUS_RULE):
        namespace = rule["metadata"]["namespace"]
        model = rule["metadata"]["labels"]["slipstack.dev/model"]
        if not configured[model]:
            continue
        config = configs.get(namespace)
        if config is None:
            unrouted.append(f"{namespace}: receivers configured but no AlertmanagerConfig")
            continue
        spec = config["spec"]
        receivers = {r["name"]: r for r in spec["receivers"]}
        # The operator confines a namespaced config to its namespace's alerts (alertmanagerConfigMatcherStrategy).
        route = {**spec["route"], "matchers": [*spec["route"].get("matchers", []),
                                               {"name": "namespace", "value": namespace, "matchType": "="}]}
        for alert in (r for group in rule["spec"]["groups"] for r in group["rules"] if "alert" in r):
            checked += 1
            names = route_alert(route, {"alertname": alert["alert"], **alert["labels"]})
            if not [name for name in names if name in receivers and deliverable(receivers[name])]:
                unrouted.append(f"{namespace}: {alert['alert']} -> {names or 'no route'}")
    return checked, unrouted


def aws_unrouted(document: dict[str, Any], configured: dict[str, bool]) -> tuple[int, list[str]]:
    resources = document["resources"]
    topics = {r["inputs"]["name"] for r in resources if r["type"] == t.SNS_TOPIC}
    subscribers: dict[str, list[str]] = {}
    for sub in (r["inputs"] for r in resources if r["type"] == t.SNS_SUBSCRIPTION):
        if sub.get("protocol") in ("email", "sms") and str(sub.get("endpoint", "")).strip():
            subscribers.setdefault(sub["topic"], []).append(sub["endpoint"])

    def reaches_someone(arn: str) -> bool:
        return arn.startswith("arn:aws:sns:") and arn.rsplit(":", 1)[-1] in topics and bool(subscribers.get(arn))

    checked, unrouted = 0, []
    alerting: list[tuple[str, str, list[str]]] = []
    for resource in resources:
        inputs = resource["inputs"]
        model = (inputs.get("tags") or {}).get("slipstack:model")
        if resource["type"] == t.CW_METRIC_ALARM:
            actions = list(inputs.get("alarmActions") or [])
            if actions and all(SCALING_ACTION.match(a) for a in actions):
                continue  # scales a fleet (e.g. from zero); nobody is meant to be told
            alerting.append((resource["name"], model, actions))
        elif resource["type"] == EVENT_TARGET and str(inputs.get("arn", "")).startswith("arn:aws:sns:"):
            alerting.append((resource["name"], model, [inputs["arn"]]))
    for name, model, actions in alerting:
        if model is not None and not configured.get(model, False):
            continue
        checked += 1
        if not any(reaches_someone(arn) for arn in actions):
            unrouted.append(f"{name}: actions {actions} reach no subscribed topic")
    return checked, unrouted


@pytest.mark.parametrize("stack", STACKS)
def test_every_alert_reaches_a_receiver(
    shipped_plan: Callable[[str], dict[str, Any]], repo_root: Path, stack: str
) -> None:
    configured = receivers_configured(stack, repo_root)
    assert any(configured.values()), "the shipped specs name receivers in every stack"
    document = shipped_plan(stack)
    onprem_checked, onprem_missing = onprem_unrouted(document, configured)
    aws_checked, aws_missing = aws_unrouted(document, configured)
    assert onprem_missing == [] and aws_missing == []
    # Each target of the stack really was checked (a plan without alerts would pass vacuously).
    if "onprem" in document["targets"]:
        assert onprem_checked >= 5
    if "aws" in document["targets"]:
        assert aws_checked >= 5


def test_the_walk_finds_an_unrouted_alert() -> None:
    """The checker itself can fail: an alert of another severity, with e-mail only on warnings, is unrouted."""
    document = {"resources": [
        {"type": PROMETHEUS_RULE, "inputs": {
            "metadata": {"namespace": "m-prod", "labels": {"slipstack.dev/model": "m"}},
            "spec": {"groups": [{"name": "g", "rules": [
                {"alert": "A", "labels": {"severity": "critical", "model": "m", "namespace": "m-prod"}},
                {"alert": "B", "labels": {"severity": "warning", "model": "m"}}]}]}}},
        {"type": ALERTMANAGER_CONFIG, "inputs": {"metadata": {"namespace": "m-prod"}, "spec": {
            "route": {"receiver": "void", "matchers": [{"name": "model", "value": "m", "matchType": "="}],
                      "routes": [{"receiver": "email",
                                  "matchers": [{"name": "severity", "value": "warning", "matchType": "="}]}]},
            "receivers": [{"name": "void"}, {"name": "email", "emailConfigs": [{"to": "a@example.com"}]}]}}},
    ]}
    checked, missing = onprem_unrouted(document, {"m": True})
    # A goes to the empty "void" receiver; B lacks the namespace label the operator matches on.
    assert checked == 2
    assert missing == ["m-prod: A -> ['void']", "m-prod: B -> no route"]


SLIPSTACK = [sys.executable, "-m", "slipstack"]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("emails: [oncall-diagnostics@example.com]", 'emails: [""]',
     "monitoring.notifications.emails[0]: '' is not valid"),
    ('sms: ["+4915112345678"]', 'sms: ["015112345678"]', "monitoring.notifications.sms[0]: '015112345678' is not"),
    ("sms_webhook_secret: {name: sms-gateway, key: url}", "sms_webhook_secret: {key: url}",
     "monitoring.notifications.sms_webhook_secret.name: required field is missing"),
    ("    sms_webhook_secret: {name: sms-gateway, key: url}\n", "",
     "monitoring.notifications.sms_webhook_secret: SMS alerts on Kubernetes go through a webhook gateway"),
])
def test_validate_refuses_receivers_without_addresses(
    tmp_path: Path, repo_root: Path, old: str, new: str, expected: str
) -> None:
    text = (repo_root / "deployments" / "breast-cancer-screening.yaml").read_text()
    assert old in text
    spec = tmp_path / "spec.yaml"
    spec.write_text(text.replace(old, new).replace("../examples", str(repo_root / "examples")))
    result = subprocess.run([*SLIPSTACK, "validate", str(spec)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{spec}:" in result.stderr and expected in result.stderr, result.stderr
