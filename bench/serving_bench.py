"""Serving benchmark: 1-row requests at concurrency 1 and 16 on 127.0.0.1, one load generator for all.

Servers, each serving the breast-cancer example (100-tree random forest, 30 features):
  plain-fastapi     FastAPI + joblib as the tutorials write it (sync endpoint, sklearn predict)
  mlserver-default  MLServer default settings with mlserver-sklearn (the joblib file)
  slipstack         `slipstack serve`'s path: MLServer + SlipstackRuntime (ONNX Runtime, 1 intra-op thread,
                    signature checks), inference in the server process (parallel_workers 0)
  slipstack-workers2  the same with MLServer's pool of 2 inference workers (for the choice of default)

Cache scenario (issue 11), `--scenarios cache`: `slipstack` with the prediction cache off and on, side by
side, 1-row requests at concurrency 16 where 80% of requests repeat one of 100 inputs and 20% are new
(the same random sequence for both; each new input is a value never sent before, however long the run);
and the cache's memory at 10,000 entries (tracemalloc, in-process).

The load generator is wrk (Debian package `wrk`, C, one thread) with bench/serving_load.lua: it costs a
fraction of what a Python client costs on the same 2 cores, and is the same for every server, in one run.
Each server and concurrency gets a 2 s warm-up, then `--repeat` measured runs of `--seconds` (c1 runs half
as long); the JSON keeps every run with the 1-minute load average at its start, and the medians.

    apt-get install -y wrk
    .venv/bin/python bench/serving_bench.py [--seconds 8] [--repeat 2] [--scenarios servers,cache]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from model_server.launch import free_port, free_ports, start_server, stop_server, wait_ready  # noqa: E402

WRK = "wrk"
_RUNS = 0

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


LOAD_SCRIPT = Path(__file__).with_name("serving_load.lua")
WARMUP_SECONDS = 2


def _wrk(url: str, bodies: list[bytes], concurrency: int, seconds: float, scratch: Path,
         template: bytes | None = None, repeat_share: float = 1.0, new_base: float = 1.0) -> dict[str, float]:
    """One wrk run (one thread: the load generator takes as little of the 2 cores as it can) and its figures."""
    bodies_file = scratch / "bodies.jsonl"
    bodies_file.write_bytes(b"\n".join(bodies) + b"\n")
    global _RUNS
    _RUNS += 1
    # Every wrk run counts its new inputs from 0: a base of its own keeps them new across runs (the warm-up's
    # would otherwise be hits in the measured run). 0.01 apart at steps of 1e-9: 10 million new inputs per run.
    env = {**os.environ, "BODIES_FILE": str(bodies_file), "REPEAT_SHARE": str(repeat_share), "SEED": "1",
           "NEW_BASE": repr(new_base + 0.01 * _RUNS), "NEW_STEP": "1e-9"}
    if template is not None:
        (scratch / "template.json").write_bytes(template)
        env["NEW_TEMPLATE"] = str(scratch / "template.json")
    load = list(os.getloadavg())  # the machine is shared: the figures are read beside it
    result = subprocess.run([WRK, "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s",
                             str(LOAD_SCRIPT), url], env=env, capture_output=True, text=True, check=True)
    line = next(line for line in result.stdout.splitlines() if line.startswith("SUMMARY "))
    summary = json.loads(line.removeprefix("SUMMARY "))
    figures = {"requests": summary["requests"], "errors": summary["non_2xx"] + summary["socket_errors"],
               "req_per_s": summary["requests"] / summary["duration_s"], "p50_ms": summary["p50_ms"],
               "p99_ms": summary["p99_ms"], "load_1m": round(load[0], 2)}
    if template is not None:
        figures["new_share"] = round(summary["new"] / max(summary["built"], 1), 3)  # of requests wrk built
    return figures


def _runs(url: str, bodies: list[bytes], concurrency: int, seconds: float, scratch: Path, repeat: int,
          **options: Any) -> dict[str, Any]:
    """`repeat` measured runs after a warm-up (lazy imports, allocator growth); medians, and every run kept."""
    _wrk(url, bodies, concurrency, WARMUP_SECONDS, scratch, **options)
    runs = [_wrk(url, bodies, concurrency, seconds, scratch, **options) for _ in range(repeat)]
    return {key: statistics.median(run[key] for run in runs) for key in ("req_per_s", "p50_ms", "p99_ms")} | {
        "requests": sum(run["requests"] for run in runs), "errors": sum(run["errors"] for run in runs),
        "runs": runs}


def _wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("error: bench/serving_bench.py drives every server with wrk, which is not installed; "
                         "install it (Debian: apt-get install -y wrk) and run again")
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each measured run at concurrency 16")
    parser.add_argument("--repeat", type=int, default=2, help="measured runs per server and concurrency")
    parser.add_argument("--scenarios", default="servers,cache", help="servers (issue 7), cache (issue 11)")
    args = parser.parse_args()
    global WRK
    WRK = _wrk_binary()
    scenarios = set(args.scenarios.split(","))
    if "servers" in scenarios:
        servers_bench(args.seconds, args.repeat)
    if "cache" in scenarios:
        cache_bench(args.seconds, args.repeat)


def _package(scratch: Path) -> tuple[Path, dict[str, Any]]:
    from deployment_spec import load_spec
    from model_packaging.package import package_model

    artifact = package_model(load_spec(REPO / "deployments/breast-cancer-screening.yaml").for_environment("dev"),
                             scratch / "breast-cancer-screening").out
    return artifact, json.loads((artifact / "manifest.json").read_text())


def servers_bench(seconds: float, repeat: int) -> None:
    model_file = REPO / "examples/artifacts/breast-cancer-screening/model.joblib"
    results: dict[str, Any] = {"load_generator": "wrk -t1 (bench/serving_load.lua)", "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="serving-bench-") as scratch_name:
        scratch = Path(scratch_name)
        artifact, manifest = _package(scratch)
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
                for concurrency, length in ((1, seconds / 2), (16, seconds)):
                    results[name][f"c{concurrency}"] = _runs(f"http://127.0.0.1:{port}{path}", [body], concurrency,
                                                            length, scratch, repeat)
                    print(name, concurrency, {k: v for k, v in results[name][f"c{concurrency}"].items()
                                              if k != "runs"}, flush=True)
            finally:
                stop_server(process)

        port = free_port()
        plain = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "plain_app:app", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning"], cwd=scratch / "plain", start_new_session=True,
            # sklearn warns on every list input to a DataFrame-trained model; the tutorials' app does
            # too, but printing thousands of warnings would only measure the terminal.
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
    print(f"{'server':<20} {'c1 req/s':>9} {'c1 p50':>8} {'c1 p99':>8} {'c16 req/s':>10} {'c16 p50':>8} {'c16 p99':>8}"
          f" {'load 1m':>12}")
    for name, runs in results.items():
        if not isinstance(runs, dict):
            continue
        one, sixteen = runs["c1"], runs["c16"]
        load = "/".join(f"{run['load_1m']:.1f}" for run in sixteen["runs"])
        print(f"{name:<20} {one['req_per_s']:>9.0f} {one['p50_ms']:>7.2f}m {one['p99_ms']:>7.2f}m "
              f"{sixteen['req_per_s']:>10.0f} {sixteen['p50_ms']:>7.2f}m {sixteen['p99_ms']:>7.2f}m {load:>12}")
    if "plain-fastapi" in results and "slipstack" in results:
        ratio = results["slipstack"]["c16"]["req_per_s"] / results["plain-fastapi"]["c16"]["req_per_s"]
        results["slipstack_vs_plain_c16"] = round(ratio, 2)
        print(f"slipstack vs plain FastAPI at concurrency 16: {ratio:.1f}x throughput, p99 "
              f"{results['slipstack']['c16']['p99_ms']:.1f} ms vs {results['plain-fastapi']['c16']['p99_ms']:.1f} ms")
    (REPO / "bench" / "serving_bench_results.json").write_text(json.dumps(results, indent=2) + "\n")


def _repeat_workload(manifest: dict[str, Any], seed: int) -> tuple[list[bytes], bytes, float]:
    """The cache scenario's bodies: 100 fixed 1-row inputs (the repeats), and a template whose first value
    the load generator sets to one never sent before (the new inputs), with that value's base."""
    import numpy as np

    rng = np.random.default_rng(seed)
    base = manifest["example"]["request"]
    row = np.array([t["data"][0] for t in base["inputs"]], dtype=float)

    def body(values: np.ndarray) -> bytes:
        return json.dumps({"inputs": [{**t, "data": [float(v)]} for t, v in zip(base["inputs"], values,
                                                                               strict=True)]}).encode()

    hot = [body(row * rng.uniform(0.9, 1.1, row.shape)) for _ in range(100)]
    fresh = row * rng.uniform(0.9, 1.1, row.shape)
    template = body(fresh).replace(json.dumps([float(fresh[0])]).encode(), b"[@VALUE@]", 1)
    assert b"@VALUE@" in template
    return hot, template, float(fresh[0])


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


def cache_bench(seconds: float, repeat: int) -> None:
    from contracts import metrics
    from model_packaging import serving_contract as contract

    results: dict[str, Any] = {"workload": "1-row, c16, 80% repeats of 100 inputs, 20% inputs never sent before",
                               "load_generator": "wrk -t1 (bench/serving_load.lua)"}
    with tempfile.TemporaryDirectory(prefix="serving-cache-bench-") as scratch_name:
        scratch = Path(scratch_name)
        artifact, manifest = _package(scratch)
        hot, template, new_base = _repeat_workload(manifest, seed=1)
        for name, enabled in (("slipstack-cache-off", "false"), ("slipstack-cache-on", "true")):
            ports = free_ports()
            env = {contract.CACHE_ENABLED_ENV: enabled, contract.CACHE_MAX_ENTRIES_ENV: "10000",
                   contract.CACHE_TTL_SECONDS_ENV: "300"}
            server = start_server(artifact, ports, scratch / f"{name}-work", extra_env=env)
            try:
                wait_ready(server, f"http://127.0.0.1:{ports.http}", timeout=120)
                results[name] = _runs(f"http://127.0.0.1:{ports.http}/v2/models/breast-cancer-screening/infer",
                                      hot, 16, seconds, scratch, repeat, template=template, repeat_share=0.8,
                                      new_base=new_base)
                if enabled == "true":
                    import httpx

                    scrape = httpx.get(f"http://127.0.0.1:{ports.metrics}/metrics").text
                    for line in scrape.splitlines():
                        if line.startswith((metrics.PROM_CACHE_HIT_RATE + "{", metrics.PROM_CACHE_ENTRIES + "{",
                                            metrics.PROM_CACHE_HITS + "{", metrics.PROM_CACHE_MISSES + "{")):
                            results[name][line.split("{")[0].removeprefix("slipstack_prediction_cache_")] = \
                                float(line.rsplit(" ", 1)[1])
                print(name, {k: v for k, v in results[name].items() if k != "runs"}, flush=True)
            finally:
                stop_server(server)
        memory = cache_memory(manifest)
    print()
    print("1-row requests, concurrency 16, 80% repeats of 100 inputs (breast-cancer RF, ONNX):")
    print(f"{'server':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'load 1m':>10}")
    for name in ("slipstack-cache-off", "slipstack-cache-on"):
        run = results[name]
        load = "/".join(f"{r['load_1m']:.1f}" for r in run["runs"])
        print(f"{name:<22} {run['req_per_s']:>8.0f} {run['p50_ms']:>8.2f} {run['p99_ms']:>8.2f} {run['errors']:>7.0f}"
              f" {load:>10}")
    off, on = results["slipstack-cache-off"], results["slipstack-cache-on"]
    results["cache_on_vs_off"] = round(on["req_per_s"] / off["req_per_s"], 2)
    print(f"cache on vs off: {on['req_per_s'] / off['req_per_s']:.2f}x throughput; hit rate "
          f"{on.get('hit_rate', float('nan')):.1%} (served, incl. warm-up)")
    print(f"cache memory at {memory['entries']:,} entries: {memory['bytes'] / 2**20:.2f} MiB "
          f"({memory['bytes_per_entry']:.0f} B/entry, outputs JSON {memory['payload_bytes_per_entry']} B)")
    (REPO / "bench" / "serving_cache_bench_results.json").write_text(
        json.dumps({**results, "memory": memory}, indent=2) + "\n")


if __name__ == "__main__":
    main()
