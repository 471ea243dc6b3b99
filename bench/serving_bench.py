"""Serving benchmark: 1-row requests at concurrency 1 and 16 on 127.0.0.1, one load generator for all.

Servers, each serving the breast-cancer example (100-tree random forest, 30 features):
  plain-fastapi     FastAPI + joblib as the tutorials write it (sync endpoint, sklearn predict)
  mlserver-default  MLServer default settings with mlserver-sklearn (the joblib file)
  slipstack         `slipstack serve`'s path: MLServer + SlipstackRuntime (ONNX Runtime, 1 intra-op thread,
                    signature checks), inference in the server process (parallel_workers 0)
  slipstack-workers2  the same with MLServer's pool of 2 inference workers (for the choice of default)

The load generator is a minimal asyncio HTTP/1.1 keep-alive client (one connection per concurrent
request), so its own cost is small and identical for every server. Bounded request counts.

    .venv/bin/python bench/serving_bench.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from model_server.launch import free_port, free_ports, start_server, stop_server, wait_ready  # noqa: E402

PLAIN_APP = '''
import joblib
from fastapi import FastAPI
from pydantic import BaseModel

model = joblib.load({model!r})
app = FastAPI()


class Features(BaseModel):
    features: list[float]


@app.post("/predict")
def predict(item: Features):
    return {{"prediction": model.predict([item.features]).tolist()}}
'''


async def _client(host: str, port: int, request: bytes, count: int, latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for _ in range(count):
            start = time.perf_counter()
            writer.write(request)
            await writer.drain()
            header = await reader.readuntil(b"\r\n\r\n")
            status = int(header.split(b" ", 2)[1])
            length = 0
            for line in header.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def _load(port: int, path: str, body: bytes, concurrency: int, total: int) -> dict[str, float]:
    request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    latencies: list[float] = []
    errors: list[int] = []
    # Warm-up: the first requests pay for lazy imports and allocator growth.
    await asyncio.gather(*(_client("127.0.0.1", port, request, 20, [], []) for _ in range(concurrency)))
    start = time.perf_counter()
    await asyncio.gather(*(_client("127.0.0.1", port, request, total // concurrency, latencies, errors)
                           for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies), "errors": len(errors), "req_per_s": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
    }


def _wait_http(process: subprocess.Popen[bytes], url: str) -> None:
    wait_ready(process, url, path="/docs" if "plain" in url else "/v2/health/ready")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000, help="requests per run at concurrency 16")
    args = parser.parse_args()
    from deployment_spec import load_spec
    from model_packaging.package import package_model

    model_file = REPO / "examples/artifacts/breast-cancer-screening/model.joblib"
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="serving-bench-") as scratch_name:
        scratch = Path(scratch_name)
        artifact = package_model(load_spec(REPO / "deployments/breast-cancer-screening.yaml").for_environment("dev"),
                                 scratch / "breast-cancer-screening").out
        manifest = json.loads((artifact / "manifest.json").read_text())
        row = [t["data"][0] for t in manifest["example"]["request"]["inputs"]]
        v2_body = json.dumps(manifest["example"]["request"]).encode()
        sklearn_body = json.dumps({"inputs": [{"name": "input-0", "shape": [1, 30], "datatype": "FP64",
                                               "data": row}]}).encode()

        (scratch / "plain").mkdir()
        (scratch / "plain" / "plain_app.py").write_text(PLAIN_APP.format(model=str(model_file)))
        mls = scratch / "mlserver-default" / "model"
        mls.mkdir(parents=True)
        (mls / "model-settings.json").write_text(json.dumps({
            "name": "breast-cancer-screening", "implementation": "mlserver_sklearn.SKLearnModel",
            "parameters": {"uri": str(model_file)}}))

        def run(name: str, process: subprocess.Popen[bytes], port: int, ready: str, path: str, body: bytes) -> None:
            try:
                wait_ready(process, f"http://127.0.0.1:{port}", path=ready, timeout=120)
                results[name] = {}
                for concurrency, total in ((1, args.requests // 4), (16, args.requests)):
                    results[name][f"c{concurrency}"] = asyncio.run(_load(port, path, body, concurrency, total))
                    print(name, concurrency, results[name][f"c{concurrency}"], flush=True)
            finally:
                stop_server(process)

        port = free_port()
        plain = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "plain_app:app", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning"], cwd=scratch / "plain", start_new_session=True,
            # sklearn warns on every list input to a DataFrame-trained model; the tutorials' app does
            # too, but printing 2,500 warnings would only measure the terminal.
            env={**os.environ, "PYTHONWARNINGS": "ignore"})
        run("plain-fastapi", plain, port, "/docs", "/predict", json.dumps({"features": row}).encode())

        ports = free_ports()
        default = start_server(mls.parent, ports, scratch / "mls-work", parallel_workers=1,  # MLServer's default
                               plain_mlserver=True)
        run("mlserver-default", default, ports.http, "/v2/health/ready",
            "/v2/models/breast-cancer-screening/infer", sklearn_body)

        for name, workers in (("slipstack", 0), ("slipstack-workers2", 2)):
            ports = free_ports()
            server = start_server(artifact, ports, scratch / f"{name}-work", parallel_workers=workers)
            run(name, server, ports.http, "/v2/health/ready", "/v2/models/breast-cancer-screening/infer", v2_body)

    print()
    print(f"{'server':<20} {'c1 req/s':>9} {'c1 p50':>8} {'c1 p99':>8} {'c16 req/s':>10} {'c16 p50':>8} {'c16 p99':>8}")
    for name, runs in results.items():
        one, sixteen = runs["c1"], runs["c16"]
        print(f"{name:<20} {one['req_per_s']:>9.0f} {one['p50_ms']:>7.2f}m {one['p99_ms']:>7.2f}m "
              f"{sixteen['req_per_s']:>10.0f} {sixteen['p50_ms']:>7.2f}m {sixteen['p99_ms']:>7.2f}m")
    if "plain-fastapi" in results and "slipstack" in results:
        ratio = results["slipstack"]["c16"]["req_per_s"] / results["plain-fastapi"]["c16"]["req_per_s"]
        print(f"slipstack vs plain FastAPI at concurrency 16: {ratio:.1f}x throughput, p99 "
              f"{results['slipstack']['c16']['p99_ms']:.1f} ms vs {results['plain-fastapi']['c16']['p99_ms']:.1f} ms")
    (REPO / "bench" / "serving_bench_results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
