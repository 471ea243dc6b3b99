"""Real MLServer on 127.0.0.1 with the cache and capture on: metrics scraped, captured files drift-checked."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from contracts import metrics as names
from model_packaging import serving_contract as contract
from model_server.errors import ServerStartError
from model_server.launch import free_ports, start_server, stop_server, wait_ready

pytestmark = pytest.mark.slow
MODEL = "diabetes-progression"
REPO = Path(__file__).resolve().parents[2]


def _metric(text: str, name: str) -> float:
    match = re.search(rf"^{name}\{{[^}}]*model_name=\"{MODEL}\"[^}}]*\}} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} not on the metrics endpoint"
    return float(match.group(1))


def test_cache_metrics_and_capture_through_the_real_server(served_artifact: Path, tmp_path: Path) -> None:
    capture_dir = tmp_path / "capture" / MODEL / "dev"
    ports = free_ports()
    env = {contract.CACHE_ENABLED_ENV: "true", contract.CACHE_MAX_ENTRIES_ENV: "100",
           contract.CACHE_TTL_SECONDS_ENV: "300", contract.CAPTURE_URI_ENV: str(capture_dir),
           contract.CAPTURE_PERCENT_ENV: "100", contract.CAPTURE_FLUSH_SECONDS_ENV: "0.5"}
    process = start_server(served_artifact, ports, tmp_path / "work", extra_env=env)
    manifest = json.loads((served_artifact / "manifest.json").read_text())
    url = f"http://127.0.0.1:{ports.http}{contract.infer_path(MODEL)}"
    try:
        wait_ready(process, f"http://127.0.0.1:{ports.http}")
        answers = []
        sent = []
        for i in range(10):  # 4 distinct inputs, each repeated: 4 misses, 6 hits
            body = copy.deepcopy(manifest["example"]["request"])
            for tensor in body["inputs"]:
                tensor["data"] = [tensor["data"][0] * (1 + (i % 4) / 10)]
            body["id"] = f"request-{i}"
            answer = httpx.post(url, json=body, timeout=10)
            assert answer.status_code == 200, answer.text
            answers.append(answer.json()["outputs"])
            sent.append([t["data"][0] for t in body["inputs"]])
        assert all(answers[i] == answers[i % 4] for i in range(10))  # a hit answers exactly what the model did
        metrics = httpx.get(f"http://127.0.0.1:{ports.metrics}{contract.METRICS_PATH}").text
        assert _metric(metrics, names.PROM_CACHE_HITS) == 6
        assert _metric(metrics, names.PROM_CACHE_MISSES) == 4
        assert _metric(metrics, names.PROM_CACHE_HIT_RATE) == pytest.approx(0.6)
        assert _metric(metrics, names.PROM_CACHE_ENTRIES) == 4
        assert _metric(metrics, names.PROM_CACHE_CORRUPT) == 0
        # Hits are answered at the front door, but inside MLServer's request metrics the alerts read.
        from infra.k8s.model_monitoring import MLSERVER_REQUESTS

        served = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                     if line.startswith(MLSERVER_REQUESTS + "{") and "/infer" in line and 'status_code="200"' in line)
        assert served == 10

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and sum(
                len(f.read_text().splitlines()) for f in capture_dir.rglob("*.jsonl")) < 10:
            time.sleep(0.2)
        metrics = httpx.get(f"http://127.0.0.1:{ports.metrics}{contract.METRICS_PATH}").text
        assert _metric(metrics, names.PROM_CAPTURE_RECORDS) == 10
    finally:
        stop_server(process)
    files = sorted(capture_dir.rglob("*.jsonl"))
    assert files and all(len(f.relative_to(capture_dir).parts) == 5 for f in files)  # yyyy/mm/dd/hh/uuid.jsonl
    assert not list(capture_dir.rglob(".*"))  # no half-written temporary left

    # The on-prem drift job's own command over the captured files.
    result = tmp_path / "drift.json"
    drift = subprocess.run(
        [sys.executable, "-m", "slipstack", "drift", "--current", str(capture_dir.parent.parent),
         "--profile", str(served_artifact / "manifest.json"), "--model", MODEL, "--env", "dev",
         "--no-progress", "--output", str(result)],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert drift.returncode in (0, 1), drift.stderr  # 1 = drift alert: 10 scaled rows may well drift
    report = json.loads(result.read_text())
    assert report["input"]["rows"] == 10 and report["input"]["malformed_records"] == 0
    from monitoring.sources import CurrentData

    features = [f["name"] for f in manifest["signature"]["inputs"]]
    frames = [frame for _, frame in CurrentData(str(capture_dir), features).chunks()]
    import pandas as pd

    captured = pd.concat(frames)
    assert list(captured.columns) == features
    assert sorted(map(tuple, captured.to_numpy().round(9))) == sorted(map(tuple, np.array(sent).round(9)))


def test_bad_cache_setting_refuses_to_serve(served_artifact: Path, tmp_path: Path) -> None:
    ports = free_ports()
    process = start_server(served_artifact, ports, tmp_path / "work",
                           extra_env={contract.CACHE_MAX_ENTRIES_ENV: "-5", contract.CACHE_ENABLED_ENV: "true"})
    try:
        # The model's own readiness: the server process may answer health checks while the model never loads.
        with pytest.raises(ServerStartError):
            wait_ready(process, f"http://127.0.0.1:{ports.http}", timeout=30, path=contract.model_ready_path(MODEL))
    finally:
        stop_server(process)
    assert f"{contract.CACHE_MAX_ENTRIES_ENV}='-5'" in (tmp_path / "work" / "mlserver.log").read_text()


def test_buffered_capture_is_written_when_the_server_stops(served_artifact: Path, tmp_path: Path) -> None:
    capture_dir = tmp_path / "capture"
    ports = free_ports()
    process = start_server(served_artifact, ports, tmp_path / "work", extra_env={
        contract.CAPTURE_URI_ENV: f"file://{capture_dir}", contract.CAPTURE_FLUSH_SECONDS_ENV: "600"})
    manifest = json.loads((served_artifact / "manifest.json").read_text())
    try:
        wait_ready(process, f"http://127.0.0.1:{ports.http}")
        for _ in range(3):
            answer = httpx.post(f"http://127.0.0.1:{ports.http}{contract.infer_path(MODEL)}",
                                json=manifest["example"]["request"], timeout=10)
            assert answer.status_code == 200
        assert not list(capture_dir.rglob("*.jsonl"))  # still buffered: no flush before 600 s or 1,000 records
    finally:
        stop_server(process, grace=15)
    (captured,) = capture_dir.rglob("*.jsonl")
    assert len(captured.read_text().splitlines()) == 3
