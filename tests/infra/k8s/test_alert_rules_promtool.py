"""Every rendered PrometheusRule, judged by promtool: it loads, and every alert fires when it should and
stays silent when it should, on series shaped like what really produces them.

For each shipped stack the rules come from the plan (`slipstack plan`'s PrometheusRule inputs). The
input series are shaped like their producers:
- the server's request counters and latency histogram: labels and bucket bounds of a scrape of
  `slipstack serve`, taken in this test (with the target labels a ServiceMonitor scrape adds);
- drift gauges: what the rendered drift CronJob command pushes to a real Pushgateway, run here on
  traffic sent through the server and captured by it (shifted traffic, the reference traffic, and a
  window without traffic), read back from the Pushgateway;
- kube-state-metrics series (restarts, init containers, CronJob creation) with its label names.
promtool evaluates with `time()` starting at 0, so the published completion times are re-based onto
the test's timeline; their labels are kept.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts import metrics
from infra.k8s import model_monitoring as rules
from tests.infra.k8s.alert_sources import (
    REPO,
    Sample,
    container_command,
    parse_exposition,
    pushgateway,
    reference_rows,
    require_binary,
    run_rendered_job,
    scrape,
    serving,
    shifted_rows,
)

pytestmark = pytest.mark.slow

STACKS = ("dev", "staging", "prod")
PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
CRON_JOB = "kubernetes:batch/v1:CronJob"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
KSM = {"job": "kube-state-metrics"}
REQUESTS_PER_MINUTE = 600


# --- the real producers -----------------------------------------------------------------------------


@dataclass
class Produced:
    """What the real producers emitted for one model: scrape samples and drift pushes per stack."""

    scrape: list[Sample]
    # (stack, case) -> samples pushed by the rendered drift job; case: shifted | reference | no_data
    drift: dict[tuple[str, str], list[Sample]] = field(default_factory=dict)
    # the capture prefix of the reference traffic (what the server wrote)
    reference_capture: Path | None = None


def _captured_lines(directory: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in directory.rglob("*.jsonl") if not p.name.startswith("."))


def _capture(service: Any, rows: list[dict[str, float]], into: Path, expected_share: float) -> None:
    """Send `rows` through the server and move what it captured to `into` (a capture prefix of its own)."""
    before = _captured_lines(service.capture_dir) if service.capture_dir.exists() else 0
    assert before == 0
    service.infer(rows)
    deadline = time.monotonic() + 30
    wanted = max(1, int(len(rows) * expected_share * 0.5))
    while time.monotonic() < deadline:
        time.sleep(1)
        if service.capture_dir.exists() and _captured_lines(service.capture_dir) >= wanted:
            time.sleep(6)  # one more flush period: the rest of the buffer lands too
            break
    assert service.capture_dir.exists() and _captured_lines(service.capture_dir) >= wanted, "nothing captured"
    service.capture_dir.rename(into)


def _pushed(gateway: str, model: str, environment: str) -> list[Sample]:
    return [s for s in parse_exposition(scrape(f"{gateway}/metrics"))
            if s.name.startswith("slipstack_") and s.labels.get("model") == model
            and s.labels.get("environment") == environment]


def _delete_group(gateway: str, model: str, environment: str) -> None:
    import httpx

    httpx.delete(f"{gateway}/metrics/job/{metrics.PUSHGATEWAY_JOB}/model/{model}/environment/{environment}"
                 "/check/drift", timeout=10).raise_for_status()


@pytest.fixture(scope="module")
def produced(shipped_plan: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Produced]]:
    """Per model of the shipped stacks: a real scrape of its server and the real drift job's pushes."""
    from deployment_spec import load_spec

    workdir = tmp_path_factory.mktemp("alert-sources")
    found: dict[str, Produced] = {}
    jobs: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for stack in STACKS:
        for resource in shipped_plan(stack)["resources"]:
            if resource["type"] == CRON_JOB and resource["inputs"]["metadata"]["name"].endswith("-drift"):
                model = resource["inputs"]["metadata"]["name"].removesuffix("-drift")
                jobs.setdefault(model, []).append((stack, resource["inputs"]))

    def produce(spec_file: Path, gateway: str) -> None:
        loaded = load_spec(spec_file)
        resolved = loaded.for_environment("dev")
        model = resolved.name
        folder = workdir / model
        folder.mkdir()
        with serving(spec_file, folder) as service:
            share = resolved.spec.monitoring.capture.percentage / 100
            rows = reference_rows(model)
            features = [f.name for f in resolved.spec.model.signature.inputs]
            _capture(service, rows, folder / "reference", share)
            _capture(service, shifted_rows(model, features), folder / "shifted", share)
            service.infer()  # the example request, so the scrape also shows a cache hit or miss
            produced_model = Produced(parse_exposition(scrape(service.metrics_url)),
                                      reference_capture=folder / "reference")
        # A quiet window: the capture prefix holds only yesterday's traffic, nothing in the job's window.
        yesterday = folder / "quiet" / time.strftime("%Y/%m/%d/%H", time.gmtime(time.time() - 86400))
        yesterday.mkdir(parents=True)
        first = next(p for p in sorted((folder / "reference").rglob("*.jsonl")) if not p.name.startswith("."))
        (yesterday / first.name).write_bytes(first.read_bytes())
        manifest = REPO / "build" / "packages" / model / resolved.spec.model.version / "manifest.json"
        for stack, cron_job in jobs.get(model, []):
            command = container_command(cron_job)
            environment = command[command.index("--env") + 1]
            for case in ("shifted", "reference", "quiet"):
                run_rendered_job(command, {"--current": f"{folder / case}/", "--profile": str(manifest),
                                           "--pushgateway": gateway})
                produced_model.drift[(stack, "no_data" if case == "quiet" else case)] = _pushed(
                    gateway, model, environment)
                _delete_group(gateway, model, environment)
        found[model] = produced_model

    # Each spec's server, captures and jobs are independent (own port, folder and Pushgateway group): most of
    # their time is waiting for servers to start and captures to flush, so they run side by side.
    with pushgateway(workdir) as gateway, ThreadPoolExecutor(max_workers=3) as pool:
        for done in [pool.submit(produce, spec_file, gateway)
                     for spec_file in sorted((REPO / "deployments").glob("*.yaml"))]:
            done.result()
    yield found


# --- promtool test files ------------------------------------------------------------------------------


def _series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    rendered = ", ".join(f'{key}="{value}"' for key, value in sorted(labels.items()) if value != "")
    return {"series": f"{name}{{{rendered}}}", "values": values}


def _counter(per_minute: float, minutes: int) -> str:
    return f"0+{per_minute:g}x{minutes}"


def _gauge(value: float, minutes: int) -> str:
    return f"{value:g}x{minutes}"


@dataclass
class Case:
    name: str
    series: list[dict[str, str]]
    eval_minutes: int
    fires: bool
    extra_labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass
class RuleContext:
    rule: dict[str, Any]  # PrometheusRule inputs
    stack: str
    plan: dict[str, Any]
    produced: Produced

    @property
    def namespace(self) -> str:
        return str(self.rule["metadata"]["namespace"])

    @property
    def model(self) -> str:
        return str(self.rule["metadata"]["name"])

    def alert(self, name: str) -> dict[str, Any]:
        return next(r for g in self.rule["spec"]["groups"] for r in g["rules"] if r.get("alert") == name)

    def target(self) -> dict[str, str]:
        """The labels a ServiceMonitor scrape of the server pod adds."""
        return {"namespace": self.namespace, "service": self.model, "pod": f"{self.model}-7c9f8d6b5-x2x4q",
                "job": self.model, "endpoint": "metrics", "instance": "10.42.0.17:8082"}

    def init_container(self) -> str:
        for resource in self.plan["resources"]:
            inputs = resource["inputs"]
            if resource["type"] == DEPLOYMENT and inputs["metadata"]["namespace"] == self.namespace:
                return str(inputs["spec"]["template"]["spec"]["initContainers"][0]["name"])
        raise AssertionError(f"no Deployment in {self.namespace}")

    def scraped(self, name: str, path_regex: str = metrics.SERVER_INFERENCE_PATH_REGEX) -> list[Sample]:
        import re

        found = [s for s in self.produced.scrape
                 if s.name == name and re.fullmatch(path_regex, s.labels.get("path", ""))]
        assert found, f"the scrape of slipstack serve has no {name} sample on an inference path"
        return found


def _server_request_series(ctx: RuleContext, ok_per_minute: float, errors_per_minute: float,
                           minutes: int) -> list[dict[str, str]]:
    sample = ctx.scraped(metrics.SERVER_REQUESTS)[0]
    labels = {**sample.labels, **ctx.target()}
    series = [_series(metrics.SERVER_REQUESTS, {**labels, "status_code": "200"}, _counter(ok_per_minute, minutes))]
    if errors_per_minute:
        series.append(_series(metrics.SERVER_REQUESTS, {**labels, "status_code": "500"},
                              _counter(errors_per_minute, minutes)))
    return series


def _latency_series(ctx: RuleContext, observed_bucket: float, minutes: int) -> list[dict[str, str]]:
    """Every request of the window observed in the bucket whose upper bound is `observed_bucket`."""
    samples = ctx.scraped(metrics.SERVER_DURATION_BUCKET)
    series = []
    for sample in samples:
        if sample.labels.get("status_code") != "200":
            continue
        bound = float(sample.labels["le"])
        per_minute = REQUESTS_PER_MINUTE if bound >= observed_bucket else 0
        series.append(_series(metrics.SERVER_DURATION_BUCKET, {**sample.labels, **ctx.target()},
                              _counter(per_minute, minutes)))
    return series


def _cache_series(ctx: RuleContext, minutes: int) -> list[dict[str, str]]:
    """Half the look-ups hit the cache, with the counters' real labels."""
    found = []
    for name in (metrics.PROM_CACHE_HITS, metrics.PROM_CACHE_MISSES):
        sample = next((s for s in ctx.produced.scrape if s.name == name), None)
        assert sample is not None, f"the scrape of slipstack serve (cache on) has no {name}"
        found.append(_series(name, {**sample.labels, **ctx.target()}, _counter(100, minutes)))
    return found


def _retimed(samples: list[Sample], name: str, values: str) -> list[dict[str, str]]:
    chosen = [s for s in samples if s.name == name]
    assert chosen, f"the drift job pushed no {name}"
    return [_series(name, s.labels, values) for s in chosen]


def _pushed_as_is(samples: list[Sample], name: str, minutes: int) -> list[dict[str, str]]:
    return [_series(s.name, s.labels, _gauge(s.value, minutes)) for s in samples if s.name == name]


def cases_for(ctx: RuleContext, alert: str) -> list[Case]:
    """A firing case and a healthy case (or more) for one alert of the rendered rule."""
    minutes = 40
    if alert == rules.ENDPOINT_DOWN:
        up = {**ctx.target()}
        return [Case("all pods down", [_series("up", up, _gauge(0, minutes))], 15, True),
                Case("never scraped", [], 15, True, {"service": ctx.model}),
                Case("serving", [_series("up", up, _gauge(1, minutes))], 15, False)]
    if alert == rules.LATENCY_HIGH:
        threshold = float(ctx.alert(alert)["expr"].rsplit(">", 1)[1])
        bounds = sorted({float(s.labels["le"]) for s in ctx.scraped(metrics.SERVER_DURATION_BUCKET)})
        assert threshold in bounds, f"the p99 threshold {threshold}s is no bucket bound of the server: {bounds}"
        above = bounds[bounds.index(threshold) + 1]
        cache = _cache_series(ctx, minutes) if "cache_hit_rate" in ctx.alert(alert)["annotations"] else []
        annotations = {"cache_hit_rate": "50%"} if cache else {}
        return [Case(f"every request just over {threshold}s", _latency_series(ctx, above, minutes) + cache, 20,
                     True, annotations=annotations),
                # Inside the SLO up to the threshold itself: a bound, so the quantile cannot exceed it.
                Case(f"every request at most {threshold}s", _latency_series(ctx, threshold, minutes) + cache, 20,
                     False)]
    if alert == rules.ERROR_RATE_HIGH:
        percent = float(ctx.alert(alert)["expr"].rsplit(">", 1)[1])
        failing = REQUESTS_PER_MINUTE * percent * 2 / 100
        passing = REQUESTS_PER_MINUTE * percent / 2 / 100
        return [Case(f"{2 * percent:g}% 5xx", _server_request_series(ctx, REQUESTS_PER_MINUTE, failing, minutes),
                     20, True),
                Case(f"{percent / 2:g}% 5xx", _server_request_series(ctx, REQUESTS_PER_MINUTE, passing, minutes),
                     20, False)]
    if alert == rules.POD_RESTARTS:
        labels = {"namespace": ctx.namespace, "pod": ctx.target()["pod"], "container": "server", **KSM}
        return [Case("a restart a minute", [_series(rules.RESTARTS, labels, _counter(1, minutes))], 20, True,
                     {"pod": labels["pod"], "container": "server", **KSM}),
                Case("one restart long ago", [_series(rules.RESTARTS, labels, _gauge(1, minutes))], 20, False)]
    if alert == rules.INIT_FAILING:
        pod = ctx.target()["pod"]
        container = ctx.init_container()
        base = {"namespace": ctx.namespace, "pod": pod, "container": container, **KSM}
        waiting = {**base, "reason": "CrashLoopBackOff"}
        terminated = {**base, "reason": "Error"}
        healthy = [_series(rules.INIT_WAITING, waiting, _gauge(0, minutes)),
                   _series(rules.INIT_RESTARTS, base, _gauge(0, minutes)),
                   _series(rules.INIT_TERMINATED, terminated, _gauge(0, minutes))]
        return [Case("server pod in CrashLoopBackOff", [_series(rules.INIT_WAITING, waiting, _gauge(1, minutes))],
                     25, True, {"pod": pod}),
                Case("job pod init failed", [_series(rules.INIT_TERMINATED, terminated, _gauge(1, minutes))],
                     25, True, {"pod": pod}),
                Case("artifact fetched", healthy, 25, False)]
    drift = ctx.produced.drift
    if alert == rules.DRIFT_DETECTED:
        name = metrics.PROM_DRIFTED_FEATURES
        shifted = _pushed_as_is(drift[(ctx.stack, "shifted")], name, minutes)
        assert shifted and all(float(s["values"].split("x")[0]) > 0 for s in shifted), \
            "the drift job found no drift on traffic shifted by 2 sd"
        no_data = drift[(ctx.stack, "no_data")]
        assert not [s for s in no_data if s.name == name], "a run without rows must publish no verdict"
        return [Case("shifted traffic", shifted, 5, True),
                Case("reference traffic", _pushed_as_is(drift[(ctx.stack, "reference")], name, minutes), 5, False),
                Case("no traffic in the window", _pushed_as_is(no_data, metrics.PROM_DRIFT_STATUS, minutes), 5,
                     False)]
    if alert == rules.DRIFT_SCORE_WARNING:
        name = metrics.PROM_DRIFT_SCORE
        return [Case("shifted traffic", _pushed_as_is(drift[(ctx.stack, "shifted")], name, minutes), 5, True),
                Case("reference traffic", _pushed_as_is(drift[(ctx.stack, "reference")], name, minutes), 5, False)]
    if alert == rules.DRIFT_CHECK_STALE:
        expr = ctx.alert(alert)["expr"]
        stale = int(expr.split(">", 1)[1].split()[0]) // 60  # minutes
        long = stale + 60
        created = _series(rules.CRON_JOB_CREATED, {"namespace": ctx.namespace, "cronjob": f"{ctx.model}-drift",
                                                    **KSM}, _gauge(0, long))
        name = metrics.PROM_DRIFT_LAST_RUN
        # Hourly runs, each published at its start: the last completed run's time, re-based to promtool's clock.
        hourly = " ".join(str(60 * (minute // 60) * 60) for minute in range(long + 1))
        return [Case("deployed, never ran", [created], stale + 35, True),
                Case("ran once, then stopped", _retimed(drift[(ctx.stack, "reference")], name, _gauge(0, long)),
                     stale + 35, True),
                Case("deployed, first run not yet due", [created], stale - 5, False),
                Case("runs hourly over quiet windows (no_data)",
                     [created, *_retimed(drift[(ctx.stack, "no_data")], name, hourly)], long, False)]
    raise AssertionError(f"no promtool case for alert {alert}: add one (every alert needs a firing and a healthy case)")


def promtool_tests(ctx: RuleContext, rule_file: str) -> tuple[dict[str, Any], list[str]]:
    tests: list[dict[str, Any]] = []
    described: list[str] = []
    for alert in rules.alert_names(ctx.rule["spec"]["groups"]):
        definition = ctx.alert(alert)
        firing = [c for c in cases_for(ctx, alert) if c.fires]
        silent = [c for c in cases_for(ctx, alert) if not c.fires]
        assert firing and silent, alert
        for case in firing + silent:
            expected = []
            if case.fires:
                expected = [{
                    "exp_labels": {**case.extra_labels, **definition["labels"]},
                    "exp_annotations": {**definition["annotations"], **case.annotations},
                }]
            tests.append({
                "name": f"{ctx.stack} {ctx.model} {alert}: {case.name}",
                "interval": "1m",
                "input_series": case.series,
                "alert_rule_test": [{"eval_time": f"{case.eval_minutes}m", "alertname": alert,
                                     "exp_alerts": expected}],
            })
            described.append(f"{alert}: {'fires' if case.fires else 'silent'} on {case.name}")
    return {"rule_files": [rule_file], "evaluation_interval": "1m", "tests": tests}, described


def rendered_rules(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [r["inputs"] for r in plan["resources"] if r["type"] == PROMETHEUS_RULE]
    assert found, "the stack renders no PrometheusRule"
    return found


def write_rule_file(rule: dict[str, Any], folder: Path) -> Path:
    path = folder / f"{rule['metadata']['namespace']}.rules.yaml"
    path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}, sort_keys=False))
    return path


@pytest.mark.parametrize("stack", STACKS)
def test_promtool_checks_every_rendered_prometheus_rule(stack: str, shipped_plan: Any, tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    for rule in rendered_rules(shipped_plan(stack)):
        path = write_rule_file(rule, tmp_path)
        checked = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0, f"{stack} {path.name}:\n{checked.stdout}\n{checked.stderr}"
        assert "SUCCESS" in checked.stdout + checked.stderr


@pytest.mark.parametrize("stack", STACKS)
def test_every_alert_fires_and_stays_silent_under_promtool(
    stack: str, shipped_plan: Any, produced: dict[str, Produced], tmp_path: Path
) -> None:
    promtool = require_binary("promtool")
    plan = shipped_plan(stack)
    for rule in rendered_rules(plan):
        path = write_rule_file(rule, tmp_path)
        ctx = RuleContext(rule, stack, plan, produced[rule["metadata"]["name"]])
        document, described = promtool_tests(ctx, path.name)
        test_file = tmp_path / f"{rule['metadata']['namespace']}.test.yaml"
        test_file.write_text(yaml.safe_dump(document, sort_keys=False))
        result = subprocess.run([promtool, "test", "rules", test_file.name], cwd=tmp_path, capture_output=True,
                                text=True)
        assert result.returncode == 0, (
            f"{stack} {ctx.namespace}: promtool test rules failed\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
        assert len(described) >= 2 * len(rules.alert_names(rule["spec"]["groups"]))


def test_a_threshold_between_buckets_is_what_the_buckets_prevent(tmp_path: Path) -> None:
    """Why the spec's threshold must be a bound: with 0.1 and 0.25 buckets, a 0.2 s threshold fires on requests
    of 0.15 s (inside the SLO), because `histogram_quantile` interpolates inside the bucket."""
    promtool = require_binary("promtool")
    rule = {"groups": [{"name": "g", "rules": [{
        "alert": "P99", "expr": 'histogram_quantile(0.99, sum by (le) (rate(d_bucket[5m]))) > 0.2'}]}]}
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(rule))
    # Every request took 0.15 s: it lands in the (0.1, 0.25] bucket of the old default buckets.
    series = [{"series": f'd_bucket{{le="{le}"}}', "values": _counter(0 if le == "0.1" else 600, 30)}
              for le in ("0.1", "0.25", "+Inf")]
    test = {"rule_files": ["r.yaml"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": series,
        "alert_rule_test": [{"eval_time": "20m", "alertname": "P99", "exp_alerts": []}]}]}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(test))
    result = subprocess.run([promtool, "test", "rules", "t.yaml"], cwd=tmp_path, capture_output=True, text=True)
    # promtool says the alert fires although no request was slower than 0.15 s.
    assert result.returncode != 0 and "P99" in result.stdout + result.stderr


def _labels_for_capture(capture: Path, path: Path, correct: bool) -> None:
    """Delayed labels for every captured prediction: the model's own answer (correct) or its opposite."""
    import json

    lines = ["inference_id,label"]
    for file in sorted(capture.rglob("*.jsonl")):
        for line in file.read_text().splitlines():
            record = json.loads(line)
            outputs = json.loads(record["captureData"]["endpointOutput"]["data"])["outputs"]
            predicted = int(next(o for o in outputs if o["name"] == "label")["data"][0])
            lines.append(f"{record['eventMetadata']['inferenceId']},{predicted if correct else 1 - predicted}")
    path.write_text("\n".join(lines) + "\n")


def test_quality_alert_fires_and_stays_silent_on_the_quality_jobs_push(
    produced: dict[str, Produced], pulumi_run: Any, repo_root: Path, tmp_path: Path
) -> None:
    """No shipped spec names a labels source, so the quality CronJob and its alert are rendered here from the
    screening spec with one; the rendered job runs on the traffic the server captured."""
    from tests.stacks.test_kubernetes_model import program, quality_spec

    promtool = require_binary("promtool")
    labels_uri = "s3://breast-cancer-screening-staging-artifacts-eu-west-1/labels/"
    run = pulumi_run(program(quality_spec(tmp_path, repo_root, labels_uri), "staging", tmp_path), stack="staging")
    rule = run.one(PROMETHEUS_RULE).inputs
    job = next(c.inputs for c in run.of_type(CRON_JOB) if c.inputs["metadata"]["name"].endswith("-quality"))
    model = rule["metadata"]["name"]
    capture = produced[model].reference_capture
    assert capture is not None
    pushes: dict[str, list[Sample]] = {}
    with pushgateway(tmp_path) as gateway:
        for case, correct in (("labels agree", True), ("labels contradict", False)):
            labels = tmp_path / f"labels-{correct}.csv"
            _labels_for_capture(capture, labels, correct)
            run_rendered_job(container_command(job), {"--predictions": f"{capture}/", "--labels": str(labels),
                                                      "--pushgateway": gateway}, expect_exit=(0,))
            pushes[case] = [s for s in parse_exposition(scrape(f"{gateway}/metrics"))
                            if s.name == metrics.PROM_QUALITY]
    path = write_rule_file(rule, tmp_path)
    definition = next(r for g in rule["spec"]["groups"] for r in g["rules"] if r.get("alert") == rules.QUALITY_DEGRADED)
    metric = next(s for s in pushes["labels contradict"] if s.labels["metric"] == "roc_auc")
    tests = []
    for case, fires in (("labels contradict", True), ("labels agree", False)):
        expected = [{"exp_labels": {**{k: v for k, v in metric.labels.items() if v != ""}, **definition["labels"]},
                     "exp_annotations": definition["annotations"]}] if fires else []
        tests.append({"name": case, "interval": "1m",
                      "input_series": [_series(s.name, s.labels, _gauge(s.value, 10)) for s in pushes[case]],
                      "alert_rule_test": [{"eval_time": "5m", "alertname": rules.QUALITY_DEGRADED,
                                           "exp_alerts": expected}]})
    (tmp_path / "quality.test.yaml").write_text(yaml.safe_dump(
        {"rule_files": [path.name], "evaluation_interval": "1m", "tests": tests}))
    result = subprocess.run([promtool, "test", "rules", "quality.test.yaml"], cwd=tmp_path, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
