# mypy: disable-error-code="call-overload"
# (pulumi_kubernetes types each field as a TypedDict; manifests built as plain dicts cannot match them.)
"""Who hears about a model's alerts on-prem: an AlertmanagerConfig (Prometheus Operator CRD,
monitoring.coreos.com/v1alpha1) in the model's namespace.

- Receivers: `email` (one emailConfig per address of the spec's notifications; SMTP relay, sender and
  a password *reference* from the stack configuration) and `sms` (a webhook to the SMS gateway whose
  URL is read from a named secret, `urlSecret`, so the URL, which usually carries the gateway's
  token, never appears in a manifest or the plan).
- Routes: every alert of the model (matched on `model` and `environment`, which the PrometheusRule
  sets on each alert) goes to e-mail; `critical` alerts also page by SMS. Without e-mail addresses,
  SMS takes every severity, so no alert is left without a receiver.
- Grouping per model, environment and alert name, with the spec's group_wait / group_interval /
  repeat_interval.
- Inhibition: while the endpoint is down, its latency and error-rate alerts are noise (a server that
  answers nothing has neither), so a firing `ModelEndpointDown` silences them for the same model and
  environment.

The operator adds a `namespace="<this namespace>"` matcher to the route and inhibit rules of a
namespaced AlertmanagerConfig, which is why the PrometheusRule's alerts carry `namespace` too. The
labels make the cluster's Alertmanager select this object (its alertmanagerConfigSelector).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.k8s.model_monitoring import ENDPOINT_DOWN, ERROR_RATE_HIGH, LATENCY_HIGH, SEVERITIES

EMAIL_RECEIVER = "email"
SMS_RECEIVER = "sms"
# Alerts that an endpoint-down alert makes meaningless while it fires.
SILENCED_WHILE_DOWN = (LATENCY_HIGH, ERROR_RATE_HIGH)


@dataclass(frozen=True)
class SecretRef:
    name: str
    key: str


@dataclass(frozen=True)
class SmtpSettings:
    """Left unset, a field falls back to Alertmanager's global SMTP configuration."""

    smarthost: str | None = None
    from_address: str | None = None
    auth_username: str | None = None
    auth_password: SecretRef | None = None
    require_tls: bool = True


@dataclass(frozen=True)
class AlertTiming:
    group_wait: str = "30s"
    group_interval: str = "5m"
    repeat_interval: str = "4h"


@dataclass(frozen=True)
class ModelAlertRoutingArgs:
    name: str
    namespace: str
    model: str
    environment: str
    emails: list[str] = field(default_factory=list)
    # The SMS gateway's webhook URL lives in this secret (same namespace); None: no SMS receiver.
    sms_webhook: SecretRef | None = None
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    timing: AlertTiming = field(default_factory=AlertTiming)
    # Labels the cluster's Alertmanager selects AlertmanagerConfigs by.
    selector_labels: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.emails and self.sms_webhook is None:
            raise ValueError(f"AlertmanagerConfig {self.name}: no receiver (give e-mail addresses or an SMS webhook)")
        if any(not address.strip() for address in self.emails):
            raise ValueError(f"AlertmanagerConfig {self.name}: an e-mail receiver has an empty address")
        if self.smtp.auth_password is not None and not self.smtp.auth_username:
            raise ValueError(f"AlertmanagerConfig {self.name}: an SMTP password needs auth_username")


def _equal(name: str, value: str) -> dict[str, str]:
    return {"name": name, "value": value, "matchType": "="}


def receivers(args: ModelAlertRoutingArgs) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if args.emails:
        smtp = args.smtp
        base: dict[str, Any] = {"sendResolved": True, "requireTLS": smtp.require_tls}
        if smtp.smarthost:
            base["smarthost"] = smtp.smarthost
        if smtp.from_address:
            base["from"] = smtp.from_address
        if smtp.auth_username:
            base["authUsername"] = smtp.auth_username
        if smtp.auth_password:
            base["authPassword"] = {"name": smtp.auth_password.name, "key": smtp.auth_password.key}
        found.append({"name": EMAIL_RECEIVER, "emailConfigs": [{"to": address, **base} for address in args.emails]})
    if args.sms_webhook is not None:
        found.append({"name": SMS_RECEIVER, "webhookConfigs": [{
            "urlSecret": {"name": args.sms_webhook.name, "key": args.sms_webhook.key},
            # A text saying "resolved" is welcome news at 3 a.m.; it also closes the loop for the gateway.
            "sendResolved": True,
        }]})
    return found


def route(args: ModelAlertRoutingArgs) -> dict[str, Any]:
    """The model's route: e-mail for every severity, SMS in addition for critical alerts."""
    children: list[dict[str, Any]] = []
    if args.sms_webhook is not None:
        # `continue` lets a critical alert go on to the e-mail route after paging.
        children.append({"receiver": SMS_RECEIVER, "matchers": [_equal("severity", "critical")],
                         "continue": bool(args.emails)})
    if args.emails:
        children.append({"receiver": EMAIL_RECEIVER,
                         "matchers": [{"name": "severity", "value": "|".join(SEVERITIES), "matchType": "=~"}]})
    return {
        # Whatever no child takes (a severity added later) still reaches someone.
        "receiver": EMAIL_RECEIVER if args.emails else SMS_RECEIVER,
        "matchers": [_equal("model", args.model), _equal("environment", args.environment)],
        "groupBy": ["alertname", "model", "environment"],
        "groupWait": args.timing.group_wait,
        "groupInterval": args.timing.group_interval,
        "repeatInterval": args.timing.repeat_interval,
        "routes": children,
    }


def inhibit_rules(args: ModelAlertRoutingArgs) -> list[dict[str, Any]]:
    return [{
        "sourceMatch": [_equal("alertname", ENDPOINT_DOWN), _equal("model", args.model)],
        "targetMatch": [{"name": "alertname", "value": "|".join(SILENCED_WHILE_DOWN), "matchType": "=~"},
                        _equal("model", args.model)],
        "equal": ["model", "environment"],
    }]


class ModelAlertRouting(pulumi.ComponentResource):
    config: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: ModelAlertRoutingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:k8s:ModelAlertRouting", name, None, opts)
        self.config = k8s.apiextensions.CustomResource(
            f"{name}-alertmanager-config",
            api_version="monitoring.coreos.com/v1alpha1",
            kind="AlertmanagerConfig",
            metadata={"name": args.name, "namespace": args.namespace,
                      "labels": {**args.labels, **args.selector_labels}},
            spec={"route": route(args), "receivers": receivers(args), "inhibitRules": inhibit_rules(args)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
