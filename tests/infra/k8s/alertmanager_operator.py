"""The Alertmanager configuration prometheus-operator generates from a namespaced AlertmanagerConfig.

What the operator does (its `alertmanager/amcfg.go`, matcher strategy `OnNamespace`, the default):
- every receiver is renamed `<namespace>/<config name>/<receiver>`; secret references (`urlSecret`,
  `authPassword`) are resolved from the namespace's secrets;
- the config's route becomes a child of the cluster's root route, with a `namespace="<namespace>"` matcher
  added and `continue: true` (so one namespace cannot swallow another's alerts); its child routes keep
  their own `continue`;
- inhibit rules get the same namespace matcher on source and target.
The cluster's own part (the root route, the global SMTP defaults) is the `base` the caller gives.
"""

from __future__ import annotations

from typing import Any


def _matcher(matcher: dict[str, str]) -> str:
    operator = matcher.get("matchType", "=")
    value = matcher["value"].replace("\\", "\\\\").replace('"', '\\"')
    return f'{matcher["name"]}{operator}"{value}"'


def operator_config(config: dict[str, Any], secrets: dict[tuple[str, str], str],
                    base: dict[str, Any]) -> dict[str, Any]:
    """`config`: the AlertmanagerConfig manifest; `secrets`: (secret name, key) -> value in its namespace."""
    namespace = config["metadata"]["namespace"]
    prefix = f"{namespace}/{config['metadata']['name']}/"
    in_namespace = f'namespace="{namespace}"'
    spec = config["spec"]

    def secret(reference: dict[str, str]) -> str:
        key = (reference["name"], reference["key"])
        assert key in secrets, f"secret {key} is not in namespace {namespace}"
        return secrets[key]

    receivers = []
    for receiver in spec["receivers"]:
        converted: dict[str, Any] = {"name": prefix + receiver["name"]}
        for email in receiver.get("emailConfigs", []):
            entry = {"to": email["to"], "send_resolved": email.get("sendResolved", False)}
            for source, target in (("from", "from"), ("smarthost", "smarthost"), ("authUsername", "auth_username")):
                if source in email:
                    entry[target] = email[source]
            if "authPassword" in email:
                entry["auth_password"] = secret(email["authPassword"])
            if "requireTLS" in email:
                entry["require_tls"] = email["requireTLS"]
            converted.setdefault("email_configs", []).append(entry)
        for webhook in receiver.get("webhookConfigs", []):
            url = webhook.get("url") or secret(webhook["urlSecret"])
            converted.setdefault("webhook_configs", []).append(
                {"url": url, "send_resolved": webhook.get("sendResolved", False)})
        receivers.append(converted)

    def route(source: dict[str, Any], top: bool) -> dict[str, Any]:
        converted: dict[str, Any] = {"receiver": prefix + source["receiver"]}
        matchers = [_matcher(m) for m in source.get("matchers", [])]
        if top:
            matchers.append(in_namespace)
        if matchers:
            converted["matchers"] = matchers
        for key, target in (("groupBy", "group_by"), ("groupWait", "group_wait"),
                            ("groupInterval", "group_interval"), ("repeatInterval", "repeat_interval")):
            if key in source:
                converted[target] = source[key]
        converted["continue"] = True if top else bool(source.get("continue", False))
        if source.get("routes"):
            converted["routes"] = [route(child, False) for child in source["routes"]]
        return converted

    inhibit = [{
        "source_matchers": [*(_matcher(m) for m in rule.get("sourceMatch", [])), in_namespace],
        "target_matchers": [*(_matcher(m) for m in rule.get("targetMatch", [])), in_namespace],
        "equal": list(rule.get("equal", [])),
    } for rule in spec.get("inhibitRules", [])]

    generated = {**base, "receivers": [*base.get("receivers", []), *receivers],
                 "inhibit_rules": [*base.get("inhibit_rules", []), *inhibit]}
    generated["route"] = {**base["route"], "routes": [route(spec["route"], True), *base["route"].get("routes", [])]}
    return generated


def cluster_base(smarthost: str = "smtp.cluster.example.com:587") -> dict[str, Any]:
    """The cluster's part: a root route to a receiver that drops what no namespace claims."""
    return {"global": {"smtp_smarthost": smarthost, "smtp_from": "alertmanager@cluster.example.com"},
            "route": {"receiver": "null", "group_by": ["namespace"]},
            "receivers": [{"name": "null"}]}
