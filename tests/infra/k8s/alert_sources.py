"""The real publishers of the series the PrometheusRule alerts on, run as the cluster runs them.

- `serving(spec)`: `slipstack serve` (the serving image's server) on 127.0.0.1, with request capture;
  `scrape(url)` reads its metrics endpoint as Prometheus would.
- `pushgateway()`: Debian's prometheus-pushgateway on 127.0.0.1.
- `run_rendered_job(cron_job, ...)`: the container command of a rendered CronJob (from the plan), with
  only the in-cluster locations swapped for local ones (capture prefix, model mount, Pushgateway).
- `parse_exposition(text)`: samples of a scrape, for promtool input series and assertions.

The tests start and stop every process themselves.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from model_server.launch import free_port

REPO = Path(__file__).resolve().parents[3]
CURL = re.compile(r"^curl .* -d '(?P<body>\{.*\})' (?P<url>http://127\.0\.0\.1:\d+/\S+)$", re.MULTILINE)
METRICS_PORT = re.compile(r"\(metrics :(?P<port>\d+)\)")


def require_binary(name: str) -> str:
    """The path of a Debian tool the test runs; fail (never skip) naming how to install it."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run `make system-deps` as root (it reads .ci/debian-packages), "
                    f"or `sudo apt-get install -y prometheus prometheus-alertmanager prometheus-pushgateway`")
    return found


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


@dataclass
class Serving:
    infer_url: str
    metrics_url: str
    request: dict[str, Any]
    capture_dir: Path

    def infer(self, rows: list[dict[str, float]] | None = None) -> None:
        """One request per row (the example request when no rows are given), as a client would send them."""
        with httpx.Client(timeout=10) as client:
            for row in rows or [{}]:
                body = json.loads(json.dumps(self.request))
                for item in body["inputs"]:
                    if item["name"] in row:
                        item["data"] = [float(row[item["name"]])]
                answer = client.post(self.infer_url, json=body)
                assert answer.status_code == 200, answer.text


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@contextlib.contextmanager
def serving(spec: Path, workdir: Path, environment_name: str = "dev") -> Iterator[Serving]:
    """`slipstack serve SPEC --capture DIR` until the block ends (then SIGTERM, and SIGKILL of its group)."""
    port = free_port()
    capture = workdir / "capture"
    stdout, stderr = workdir / "serve.out", workdir / "serve.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "slipstack", "serve", str(spec), "--environment", environment_name,
             "--port", str(port), "--capture", str(capture)],
            stdout=out, stderr=err, env=environment(), start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        match = None
        while match is None and time.monotonic() < deadline:
            assert process.poll() is None, f"slipstack serve exited early:\n{stderr.read_text()[-3000:]}"
            match = CURL.search(stdout.read_text(errors="replace"))
            time.sleep(0.2)
        assert match is not None, f"slipstack serve printed no request:\n{stdout.read_text()[-2000:]}"
        metrics_port = METRICS_PORT.search(stdout.read_text())
        assert metrics_port is not None, stdout.read_text()[-2000:]
        yield Serving(match["url"], f"http://127.0.0.1:{metrics_port['port']}/metrics",
                      json.loads(match["body"]), capture)
    finally:
        _stop(process)


def scrape(url: str) -> str:
    answer = httpx.get(url, timeout=10)
    answer.raise_for_status()
    return answer.text


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def parse_exposition(text: str) -> list[Sample]:
    from prometheus_client.parser import text_string_to_metric_families

    return [Sample(s.name, dict(s.labels), float(s.value))
            for family in text_string_to_metric_families(text) for s in family.samples]


@contextlib.contextmanager
def pushgateway(workdir: Path) -> Iterator[str]:
    binary = require_binary("prometheus-pushgateway")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (workdir / "pushgateway.log").open("wb") as log:
        # Debian's build persists to /var/lib/prometheus/pushgateway.data by default: a test's gateway starts
        # empty and keeps nothing (an empty --persistence.file keeps metrics in memory only).
        process = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file="],
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_http(f"{url}/-/ready", process)
        yield url
    finally:
        _stop(process)


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{process.args[0]} exited with {process.returncode}"
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def container_command(cron_job: dict[str, Any]) -> list[str]:
    return list(cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"])


def run_rendered_job(command: list[str], replace: dict[str, str], expect_exit: tuple[int, ...] = (0, 1)) -> str:
    """Run a rendered job command through the real CLI, swapping the values of the options in `replace`.

    Only locations change (where the capture data, the packaged model and the Pushgateway are on this
    machine); every other option is the rendered manifest's. Returns stderr.
    """
    argv = list(command)
    assert argv[0] == "slipstack", argv
    for option, value in replace.items():
        assert option in argv, f"the rendered command has no {option}: {argv}"
        argv[argv.index(option) + 1] = value
    finished = subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True, env=environment(),
                              timeout=300)
    assert finished.returncode in expect_exit, f"{argv} exited {finished.returncode}:\n{finished.stderr[-3000:]}"
    return finished.stderr


def reference_sample(model: str) -> Path:
    """The model's reference sample as its spec names it (several specs may share one trained model)."""
    from deployment_spec import load_spec

    for spec_file in sorted((REPO / "deployments").glob("*.yaml")):
        resolved = load_spec(spec_file).for_environment("dev")
        if resolved.name == model and resolved.spec.model.reference_sample:
            return resolved.resolve_path(resolved.spec.model.reference_sample)
    raise AssertionError(f"no spec in deployments/ names a reference sample for {model}")


def reference_rows(model: str) -> list[dict[str, float]]:
    import pandas as pd

    frame = pd.read_csv(reference_sample(model))
    return frame.to_dict(orient="records")


def shifted_rows(model: str, features: list[str], sd: float = 2.0) -> list[dict[str, float]]:
    """The reference rows with every listed feature moved by `sd` standard deviations: real input drift."""
    import pandas as pd

    frame = pd.read_csv(reference_sample(model))
    for feature in features:
        frame[feature] = frame[feature] + sd * frame[feature].std()
    return frame.to_dict(orient="records")
