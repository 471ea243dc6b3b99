"""Rehearsal on 127.0.0.1 with the real servers: a drift alert travels from shifted traffic to a pager.

`slipstack serve` answers (and captures) the traffic; Prometheus (Debian's) scrapes it and the Pushgateway
with the prod stack's rendered PrometheusRule loaded; the rendered drift CronJob command reads the capture
and pushes to the Pushgateway; Alertmanager runs the configuration the operator generates from the
rendered AlertmanagerConfig and delivers to a local webhook (standing in for the SMS gateway) and a local
SMTP sink (aiosmtpd). Healthy traffic must deliver nothing; shifted traffic must page by e-mail and SMS
within a bounded time.

Only what a laptop cannot have is changed: locations (capture prefix, model mount, Pushgateway, SMTP relay
and SMS URL point at the local servers), the SMTP relay's TLS (the sink speaks plain SMTP), and the
timings (1 s scrape and evaluation, 1 s group wait and interval instead of the spec's) so the rehearsal
takes seconds.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from infra.k8s.model_monitoring import DRIFT_DETECTED
from model_server.launch import free_port
from tests.infra.k8s.alert_sources import (
    REPO,
    container_command,
    pushgateway,
    reference_rows,
    require_binary,
    run_rendered_job,
    serving,
    shifted_rows,
    wait_http,
)
from tests.infra.k8s.alertmanager_operator import cluster_base, operator_config
from tests.infra.k8s.test_alert_routing_amtool import ALERTMANAGER_CONFIG, PROMETHEUS_RULE, by_namespace
from tests.infra.k8s.test_alert_rules_promtool import _captured_lines

pytestmark = pytest.mark.slow

STACK = "prod"
MODEL = "breast-cancer-screening"
NAMESPACE = f"{MODEL}-{STACK}"
DELIVERY_SECONDS = 30  # from the push to both notifications
QUIET_SECONDS = 8  # after a healthy push: several evaluations and group intervals, nothing may arrive


class Inbox:
    def __init__(self) -> None:
        self.webhooks: list[dict[str, Any]] = []
        self.emails: list[Any] = []
        self.lock = threading.Lock()


@contextlib.contextmanager
def webhook_receiver(inbox: Inbox) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with inbox.lock:
                inbox.webhooks.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sms"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def smtp_sink(inbox: Inbox) -> Iterator[str]:
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            with inbox.lock:
                inbox.emails.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        controller.stop()


@contextlib.contextmanager
def process(argv: list[str], log: Path, ready_url: str) -> Iterator[None]:
    with log.open("wb") as out:
        running = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_http(ready_url, running)
        yield
    finally:
        running.terminate()
        try:
            running.wait(timeout=15)
        except subprocess.TimeoutExpired:
            running.kill()
            running.wait(timeout=5)


def rehearsal_alertmanager_config(config: dict[str, Any], sms_url: str, smarthost: str) -> dict[str, Any]:
    secrets = {}
    for receiver in config["spec"]["receivers"]:
        for webhook in receiver.get("webhookConfigs", []):
            secrets[(webhook["urlSecret"]["name"], webhook["urlSecret"]["key"])] = sms_url
        for email in receiver.get("emailConfigs", []):
            if "authPassword" in email:
                secrets[(email["authPassword"]["name"], email["authPassword"]["key"])] = "relay-password"
    generated = operator_config(config, secrets, cluster_base(smarthost))

    def shorten(route: dict[str, Any]) -> None:
        for key, value in (("group_wait", "1s"), ("group_interval", "1s")):
            if key in route:
                route[key] = value
        for child in route.get("routes", []):
            shorten(child)

    shorten(generated["route"])
    for receiver in generated["receivers"]:
        for email in receiver.get("email_configs", []):
            email.update(smarthost=smarthost, require_tls=False)
            # The sink offers no AUTH; Alertmanager sends credentials only where the server offers it.
    return generated


def wait_for(predicate: Any, timeout: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.25)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def query(prometheus: str, expression: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": expression}, timeout=10).json()
    assert answer["status"] == "success", answer
    return list(answer["data"]["result"])


def capture(service: Any, rows: list[dict[str, float]], into: Path) -> None:
    service.infer(rows)
    wait_for(lambda: service.capture_dir.exists() and _captured_lines(service.capture_dir) >= len(rows) * 0.9,
             30, "capture of the traffic")
    time.sleep(6)  # one more flush period
    service.capture_dir.rename(into)


def drift_recipients(inbox: Inbox) -> list[str]:
    with inbox.lock:
        return sorted({address for tos, message in inbox.emails if DRIFT_DETECTED in str(message["Subject"])
                       for address in tos})


def test_shifted_traffic_pages_by_email_and_sms_and_healthy_traffic_sends_nothing(
    shipped_plan: Any, tmp_path: Path
) -> None:
    prometheus_binary = require_binary("prometheus")
    alertmanager_binary = require_binary("prometheus-alertmanager")
    plan = shipped_plan(STACK)
    rule = by_namespace(plan, PROMETHEUS_RULE)[NAMESPACE]
    routing = by_namespace(plan, ALERTMANAGER_CONFIG)[NAMESPACE]
    drift_job = next(r["inputs"] for r in plan["resources"] if r["type"] == "kubernetes:batch/v1:CronJob"
                     and r["inputs"]["metadata"]["name"] == f"{MODEL}-drift")
    emails = sorted(e["to"] for r in routing["spec"]["receivers"] for e in r.get("emailConfigs", []))
    assert emails
    manifest = REPO / "build" / "packages" / MODEL / "1.0.0" / "manifest.json"
    spec = REPO / "deployments" / f"{MODEL}.yaml"
    inbox = Inbox()
    features = list(reference_rows(MODEL)[0])
    with contextlib.ExitStack() as stack:
        sms_url = stack.enter_context(webhook_receiver(inbox))
        smarthost = stack.enter_context(smtp_sink(inbox))
        gateway = stack.enter_context(pushgateway(tmp_path))
        service = stack.enter_context(serving(spec, tmp_path))

        am_port = free_port()
        am_config = tmp_path / "alertmanager.yml"
        am_config.write_text(yaml.safe_dump(rehearsal_alertmanager_config(routing, sms_url, smarthost)))
        stack.enter_context(process(
            [alertmanager_binary, f"--config.file={am_config}", f"--storage.path={tmp_path / 'am-data'}",
             f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="],
            tmp_path / "alertmanager.log", f"http://127.0.0.1:{am_port}/-/ready"))

        rules_file = tmp_path / "rules.yaml"
        rules_file.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
        metrics_target = service.metrics_url.removeprefix("http://").removesuffix("/metrics")
        prom_port = free_port()
        prom_config = tmp_path / "prometheus.yml"
        prom_config.write_text(yaml.safe_dump({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(rules_file)],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
            "scrape_configs": [
                # What the ServiceMonitor's scrape adds as target labels.
                {"job_name": MODEL, "static_configs": [{"targets": [metrics_target], "labels": {
                    "namespace": NAMESPACE, "service": MODEL, "pod": f"{MODEL}-0", "endpoint": "metrics"}}]},
                {"job_name": "pushgateway", "honor_labels": True,
                 "static_configs": [{"targets": [gateway.removeprefix("http://")]}]},
            ],
        }))
        prometheus = f"http://127.0.0.1:{prom_port}"
        stack.enter_context(process(
            [prometheus_binary, f"--config.file={prom_config}", f"--storage.tsdb.path={tmp_path / 'prom-data'}",
             f"--web.listen-address=127.0.0.1:{prom_port}"], tmp_path / "prometheus.log", f"{prometheus}/-/ready"))
        wait_for(lambda: query(prometheus, f'up{{namespace="{NAMESPACE}", service="{MODEL}"}} == 1'), 30,
                 "Prometheus scraping slipstack serve")

        command = container_command(drift_job)
        local = {"--profile": str(manifest), "--pushgateway": gateway}

        # Healthy: the reference traffic. The verdict is published, seen by Prometheus, and nothing is sent.
        # Five passes over the reference: the captured share is then a window the check can judge (below its
        # minimum rows every feature is insufficient_data and no verdict is published, rightly).
        capture(service, reference_rows(MODEL) * 5, tmp_path / "healthy")
        run_rendered_job(command, {**local, "--current": f"{tmp_path / 'healthy'}/"})
        wait_for(lambda: query(prometheus, f'slipstack_drifted_features{{model="{MODEL}"}} == 0'), 20,
                 "the healthy verdict reaching Prometheus")
        time.sleep(QUIET_SECONDS)
        assert query(prometheus, "ALERTS") == [], "an alert fired on healthy traffic"
        assert inbox.webhooks == [] and inbox.emails == [], "healthy traffic sent a notification"

        # Shifted: every input moved by two standard deviations.
        capture(service, shifted_rows(MODEL, features) * 5, tmp_path / "shifted")
        run_rendered_job(command, {**local, "--current": f"{tmp_path / 'shifted'}/"})
        pushed = time.monotonic()
        wait_for(lambda: inbox.webhooks and drift_recipients(inbox) == emails, DELIVERY_SECONDS,
                 "the drift alert reaching the SMS webhook and every e-mail address")
        delivered = time.monotonic() - pushed

    sms = inbox.webhooks[0]
    assert sms["status"] == "firing"
    assert [a["labels"]["alertname"] for a in sms["alerts"]] == [DRIFT_DETECTED]
    assert sms["alerts"][0]["labels"]["severity"] == "critical"
    assert sms["receiver"] == f"{NAMESPACE}/{routing['metadata']['name']}/sms"
    assert drift_recipients(inbox) == emails
    # Shifted traffic also raises the PSI score warning: e-mail only, never the pager.
    assert all(DRIFT_DETECTED in str(w["alerts"][0]["labels"]["alertname"]) for w in inbox.webhooks)
    assert delivered < DELIVERY_SECONDS
    print(f"drift alert delivered {delivered:.1f} s after the push (loaded machine)")
