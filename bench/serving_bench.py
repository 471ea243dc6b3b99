"""Serving benchmark: 1-row requests at concurrency 1 and 16 on 127.0.0.1, one load generator for all.

Servers, each serving the breast-cancer example (100-tree random forest, 30 features):
  plain-fastapi     FastAPI + joblib as the tutorials write it (sync endpoint, sklearn predict)
  mlserver-default  MLServer default settings with mlserver-sklearn (the joblib file)
  slipstack         `slipstack serve`'s path: MLServer + SlipstackRuntime (ONNX Runtime, 1 intra-op thread,
                    signature checks), inference in the server process (parallel_workers 0)
  slipstack-workers2  the same with MLServer's pool of 2 inference workers (for the choice of default)

Cache scenario (issue 11), `--scenarios cache`: `slipstack` with the prediction cache off and on, side by
side, 1-row requests at concurrency 16 where 80% of requests repeat one of 100 inputs and 20% are new
(the same request sequence for both); and the cache's memory at 10,000 entries (tracemalloc, in-process).

The load generator is a minimal asyncio HTTP/1.1 keep-alive client (one connection per concurrent
request), so its own cost is small and identical for every server. Bounded request counts.

    .venv/bin/python bench/serving_bench.py [--requests 2000] [--scenarios servers,cache]
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


async def _client(host: str, port: int, request: bytes | list[bytes], count: int, latencies: list[float],
                  errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for i in range(count):
            start = time.perf_counter()
            writer.write(request if isinstance(request, bytes) else request[i % len(request)])
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
    parser.add_argument("--scenarios", default="servers,cache", help="servers (issue 7), cache (issue 11)")
    args = parser.parse_args()
    scenarios = set(args.scenarios.split(","))
    if scenarios == {"cache"}:
        cache_bench(args.requests * 2)
        return
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
    if "cache" in scenarios:
        cache_bench(args.requests * 2)


def _repeat_workload(manifest: dict, total: int, seed: int) -> list[bytes]:
    """`total` 1-row V2 bodies: 80% one of 100 fixed inputs, 20% inputs never seen before."""
    import numpy as np

    rng = np.random.default_rng(seed)
    base = manifest["example"]["request"]
    row = np.array([t["data"][0] for t in base["inputs"]], dtype=float)

    def body(values: np.ndarray) -> bytes:
        return json.dumps({"inputs": [{**t, "data": [float(v)]} for t, v in zip(base["inputs"], values,
                                                                               strict=True)]}).encode()

    hot = [body(row * rng.uniform(0.9, 1.1, row.shape)) for _ in range(100)]
    return [hot[int(rng.integers(100))] if rng.random() < 0.8 else body(row * rng.uniform(0.9, 1.1, row.shape))
            for _ in range(total)]


async def _load_mixed(port: int, path: str, bodies: list[bytes], warmup: list[bytes], concurrency: int,
                      ) -> dict[str, float]:
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"

    def request(body: bytes) -> bytes:
        return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    def share(items: list[bytes], index: int) -> list[bytes]:
        return [request(b) for b in items[index::concurrency]]

    await asyncio.gather(*(_client("127.0.0.1", port, share(warmup, i), len(warmup) // concurrency, [], [])
                           for i in range(concurrency)))
    latencies: list[float] = []
    errors: list[int] = []
    start = time.perf_counter()
    await asyncio.gather(*(_client("127.0.0.1", port, share(bodies, i), len(bodies) // concurrency, latencies,
                                   errors) for i in range(concurrency)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies), "errors": len(errors), "req_per_s": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
    }


def cache_memory(manifest: dict, entries: int = 10_000) -> dict[str, float]:
    """Bytes the cache holds at `entries` entries of this model's outputs (tracemalloc, keys + entries)."""
    import gc
    import tracemalloc

    import numpy as np

    from model_server.prediction_cache import CacheSettings, PredictionCache

    names = [f["name"] for f in manifest["signature"]["inputs"]]
    outputs = manifest["example"]["expected_outputs"]
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(entries, len(names)))
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    cache = PredictionCache(CacheSettings(enabled=True, max_entries=entries), manifest["model"]["version"],
                            manifest["digest"], names)
    for i in range(entries):
        cache.put(cache.key(rows[i:i + 1]), outputs)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(cache) == entries
    return {"entries": entries, "bytes": held, "bytes_per_entry": held / entries,
            "payload_bytes_per_entry": len(json.dumps(outputs, separators=(",", ":")))}


def cache_bench(total: int) -> None:
    from contracts import metrics
    from deployment_spec import load_spec
    from model_packaging import serving_contract as contract
    from model_packaging.package import package_model

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="serving-cache-bench-") as scratch_name:
        scratch = Path(scratch_name)
        artifact = package_model(load_spec(REPO / "deployments/breast-cancer-screening.yaml").for_environment("dev"),
                                 scratch / "breast-cancer-screening").out
        manifest = json.loads((artifact / "manifest.json").read_text())
        bodies = _repeat_workload(manifest, total, seed=1)
        warmup = _repeat_workload(manifest, 16 * 20, seed=2)
        for name, enabled in (("slipstack-cache-off", "false"), ("slipstack-cache-on", "true")):
            ports = free_ports()
            env = {contract.CACHE_ENABLED_ENV: enabled, contract.CACHE_MAX_ENTRIES_ENV: "10000",
                   contract.CACHE_TTL_SECONDS_ENV: "300"}
            server = start_server(artifact, ports, scratch / f"{name}-work", extra_env=env)
            try:
                wait_ready(server, f"http://127.0.0.1:{ports.http}", timeout=120)
                results[name] = asyncio.run(_load_mixed(ports.http, "/v2/models/breast-cancer-screening/infer",
                                                        bodies, warmup, 16))
                if enabled == "true":
                    import httpx

                    scrape = httpx.get(f"http://127.0.0.1:{ports.metrics}/metrics").text
                    for line in scrape.splitlines():
                        if line.startswith((metrics.PROM_CACHE_HIT_RATE + "{", metrics.PROM_CACHE_ENTRIES + "{")):
                            results[name][line.split("{")[0].removeprefix("slipstack_prediction_cache_")] = \
                                float(line.rsplit(" ", 1)[1])
                print(name, results[name], flush=True)
            finally:
                stop_server(server)
        memory = cache_memory(manifest)
    print()
    print("1-row requests, concurrency 16, 80% repeats of 100 inputs (breast-cancer RF, ONNX):")
    print(f"{'server':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, run in results.items():
        print(f"{name:<22} {run['req_per_s']:>8.0f} {run['p50_ms']:>8.2f} {run['p99_ms']:>8.2f} {run['errors']:>7.0f}")
    off, on = results["slipstack-cache-off"], results["slipstack-cache-on"]
    print(f"cache on vs off: {on['req_per_s'] / off['req_per_s']:.2f}x throughput; hit rate "
          f"{on.get('hit_rate', float('nan')):.1%} (served, incl. warm-up)")
    print(f"cache memory at {memory['entries']:,} entries: {memory['bytes'] / 2**20:.2f} MiB "
          f"({memory['bytes_per_entry']:.0f} B/entry, outputs JSON {memory['payload_bytes_per_entry']} B)")
    (REPO / "bench" / "serving_cache_bench_results.json").write_text(
        json.dumps({"workload": "1-row, c16, 80% repeats of 100 inputs", **results, "memory": memory}, indent=2)
        + "\n")


if __name__ == "__main__":
    main()
