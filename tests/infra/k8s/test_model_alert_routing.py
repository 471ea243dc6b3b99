"""ModelAlertRouting (AlertmanagerConfig) and the PrometheusRule labels it routes on: receivers from the spec,
secrets only by reference, severity routes, grouping, and the endpoint-down inhibition."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from infra.k8s.model_alert_routing import (
    AlertTiming,
    ModelAlertRouting,
    ModelAlertRoutingArgs,
    SecretRef,
    SmtpSettings,
)
from infra.k8s.model_monitoring import (
    CACHE_HIT_RATIO,
    DriftAlerting,
    ModelMonitoringArgs,
    QualityAlerting,
    rule_groups,
)

ALERTMANAGER_CONFIG = "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig"
SMTP = SmtpSettings(smarthost="smtp.example.com:587", from_address="alerts@example.com",
                    auth_username="alerts", auth_password=SecretRef("smtp-relay", "password"))


def routing_args(**changes: Any) -> ModelAlertRoutingArgs:
    values: dict[str, Any] = dict(
        name="m", namespace="m-prod", model="m", environment="prod", emails=["a@example.com", "b@example.com"],
        sms_webhook=SecretRef("sms-gateway", "url"), smtp=SMTP,
        timing=AlertTiming("10s", "2m", "1h"), selector_labels={"release": "kube-prometheus-stack"},
    )
    values.update(changes)
    return ModelAlertRoutingArgs(**values)


def render(pulumi_run: Callable[..., Any], args: ModelAlertRoutingArgs) -> dict[str, Any]:
    run = pulumi_run(lambda: ModelAlertRouting("m-alert-routing", args) and None)
    config = run.one(ALERTMANAGER_CONFIG).inputs
    assert config["apiVersion"] == "monitoring.coreos.com/v1alpha1" and config["kind"] == "AlertmanagerConfig"
    assert config["metadata"]["namespace"] == "m-prod"
    return config


def matcher_matches(matcher: dict[str, Any], labels: dict[str, str]) -> bool:
    import re

    value = labels.get(matcher["name"], "")
    if matcher["matchType"] == "=":
        return value == matcher["value"]
    if matcher["matchType"] == "=~":
        return re.fullmatch(matcher["value"], value) is not None
    raise AssertionError(f"unexpected matchType {matcher}")


def receivers_for(route: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """Alertmanager's routing walk: a node matches, then its children in order until one without `continue`."""
    if not all(matcher_matches(m, labels) for m in route.get("matchers", [])):
        return []
    found: list[str] = []
    for child in route.get("routes", []):
        matched = receivers_for(child, labels)
        found += matched
        if matched and not child.get("continue", False):
            break
    return found or [route["receiver"]]


def test_receivers_take_addresses_from_the_spec_and_secrets_only_by_reference(
    pulumi_run: Callable[..., Any]
) -> None:
    config = render(pulumi_run, routing_args())
    assert config["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    receivers = {r["name"]: r for r in config["spec"]["receivers"]}
    emails = receivers["email"]["emailConfigs"]
    assert [e["to"] for e in emails] == ["a@example.com", "b@example.com"]
    assert {(e["smarthost"], e["from"], e["authUsername"], e["requireTLS"]) for e in emails} == {
        ("smtp.example.com:587", "alerts@example.com", "alerts", True)}
    assert emails[0]["authPassword"] == {"name": "smtp-relay", "key": "password"}
    (webhook,) = receivers["sms"]["webhookConfigs"]
    assert webhook["urlSecret"] == {"name": "sms-gateway", "key": "url"}
    assert "url" not in webhook  # the gateway URL (and its token) stays in the secret
    assert "authPassword" not in json.dumps(receivers["sms"])


def test_critical_pages_and_mails_warnings_only_mail(pulumi_run: Callable[..., Any]) -> None:
    route = render(pulumi_run, routing_args())["spec"]["route"]
    assert (route["groupWait"], route["groupInterval"], route["repeatInterval"]) == ("10s", "2m", "1h")
    assert route["groupBy"] == ["alertname", "model", "environment"]
    alert = {"model": "m", "environment": "prod", "namespace": "m-prod"}
    assert receivers_for(route, {**alert, "severity": "critical"}) == ["sms", "email"]
    assert receivers_for(route, {**alert, "severity": "warning"}) == ["email"]
    # Another model's (or environment's) alerts are not this route's business.
    assert receivers_for(route, {**alert, "model": "other", "severity": "critical"}) == []
    assert receivers_for(route, {**alert, "environment": "dev", "severity": "critical"}) == []


@pytest.mark.parametrize(("emails", "sms", "critical", "warning"), [
    (["a@example.com"], False, ["email"], ["email"]),
    ([], True, ["sms"], ["sms"]),  # SMS alone takes every severity: nothing is left unrouted
])
def test_every_severity_reaches_the_receivers_there_are(
    pulumi_run: Callable[..., Any], emails: list[str], sms: bool, critical: list[str], warning: list[str]
) -> None:
    config = render(pulumi_run, routing_args(emails=emails, sms_webhook=SecretRef("sms-gateway", "url") if sms
                                             else None))
    route = config["spec"]["route"]
    alert = {"model": "m", "environment": "prod"}
    assert receivers_for(route, {**alert, "severity": "critical"}) == critical
    assert receivers_for(route, {**alert, "severity": "warning"}) == warning
    defined = {r["name"] for r in config["spec"]["receivers"]}
    assert {route["receiver"], *(child["receiver"] for child in route["routes"])} <= defined


def test_endpoint_down_silences_latency_and_errors_of_the_same_model(pulumi_run: Callable[..., Any]) -> None:
    (rule,) = render(pulumi_run, routing_args())["spec"]["inhibitRules"]
    down = {"alertname": "ModelEndpointDown", "model": "m", "environment": "prod"}
    assert all(matcher_matches(m, down) for m in rule["sourceMatch"])
    for silenced in ("ModelLatencyP99High", "ModelErrorRateHigh"):
        assert all(matcher_matches(m, {**down, "alertname": silenced}) for m in rule["targetMatch"])
    for kept in ("ModelDriftDetected", "ModelPodRestarts", "ModelQualityDegraded"):
        assert not all(matcher_matches(m, {**down, "alertname": kept}) for m in rule["targetMatch"])
    assert rule["equal"] == ["model", "environment"]


def test_smtp_left_unset_falls_back_to_alertmanager_globals(pulumi_run: Callable[..., Any]) -> None:
    config = render(pulumi_run, routing_args(smtp=SmtpSettings(), sms_webhook=None))
    (email,) = [r for r in config["spec"]["receivers"] if r["name"] == "email"]
    assert set(email["emailConfigs"][0]) == {"to", "sendResolved", "requireTLS"}


def test_routing_without_a_receiver_or_with_an_empty_address_is_refused() -> None:
    with pytest.raises(ValueError, match="no receiver"):
        routing_args(emails=[], sms_webhook=None)
    with pytest.raises(ValueError, match="empty address"):
        routing_args(emails=[" "])
    with pytest.raises(ValueError, match="auth_username"):
        routing_args(smtp=SmtpSettings(auth_password=SecretRef("smtp", "password")))


def test_every_alert_carries_the_labels_the_routes_match_on() -> None:
    args = ModelMonitoringArgs(
        name="m", namespace="m-prod", model="m", environment="prod", service_selector={"app": "m"},
        metrics_port_name="metrics", metrics_path="/metrics", latency_p99_ms=250, error_rate_percent=1,
        prometheus_labels={}, routing_labels={"team": "t"},
        drift=DriftAlerting("psi", 0.1, 0.2, 3 * 3600, "m-drift"),
        quality=QualityAlerting("f1", 0.9, True, "m-quality"),
        cache_enabled=True,
    )
    groups = rule_groups(args)
    alerts = [rule for group in groups for rule in group["rules"] if "alert" in rule]
    assert len(alerts) == 9
    for alert in alerts:
        assert alert["labels"]["namespace"] == "m-prod", alert["alert"]  # the operator's namespace matcher
        assert (alert["labels"]["model"], alert["labels"]["environment"]) == ("m", "prod")
        assert alert["labels"]["severity"] in ("critical", "warning")
    records = {rule["record"]: rule["expr"] for group in groups for rule in group["rules"] if "record" in rule}
    assert "slipstack_prediction_cache_hits_total" in records[CACHE_HIT_RATIO]
    assert "slipstack_prediction_cache_misses_total" in records[CACHE_HIT_RATIO]
    latency = next(a for a in alerts if a["alert"] == "ModelLatencyP99High")
    assert CACHE_HIT_RATIO in latency["annotations"]["cache_hit_rate"]
    no_cache = rule_groups(ModelMonitoringArgs(**{**args.__dict__, "cache_enabled": False}))
    assert CACHE_HIT_RATIO not in json.dumps(no_cache)
