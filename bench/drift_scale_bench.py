"""Drift check at scale: 1M and 10M rows x 20 numeric features in 20 Parquet files (issue 10).

Run with plain python from the repo root:  .venv/bin/python bench/drift_scale_bench.py [--sizes 1,10]

For each size, side by side, each engine in its own child process:
- single process: `slipstack drift`'s local code path (Arrow batches -> partials -> check);
- Dask: the `--engine dask` code path with a LocalCluster of 2 worker processes; the client's peak
  RSS is sampled separately from the workers' (the client holds partials, never rows);
- Evidently's DataDriftPreset (/work/main/.venv-bench) on the same data read into pandas, with a
  10-minute limit; the larger size is attempted only if the smaller one projects under the limit.

Peak memory is sampled every 50 ms from /proc through psutil (the child and its descendants).
Data is generated under /tmp and deleted at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FEATURES, FILES, SHIFTED, SHIFT_SD = 20, 20, 5, 0.1
EVIDENTLY_LIMIT_S = 600

LOCAL = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from monitoring.drift import DriftSettings, accumulate, check_drift
from monitoring.profile import load_profile
from monitoring.sources import CurrentData
profile = load_profile(Path(sys.argv[1]))
settings = DriftSettings()
source = CurrentData(sys.argv[2], list(profile.features))
result = check_drift(profile, accumulate(source.batches(), profile, settings), settings, source.summary)
print(json.dumps({"check_s": time.perf_counter() - t0, "rows": result.rows, "drifted": result.drifted_features}))
"""

DASK = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from monitoring.distributed import ClusterSettings, dask_client, drift_partial_on_cluster
from monitoring.drift import DriftSettings, check_drift
from monitoring.profile import load_profile
from monitoring.sources import CurrentData
profile = load_profile(Path(sys.argv[1]))
settings = DriftSettings()
source = CurrentData(sys.argv[2], list(profile.features))
with dask_client(ClusterSettings(workers=2)) as client:
    t1 = time.perf_counter()
    partial, run = drift_partial_on_cluster(client, source, profile, settings)
    t2 = time.perf_counter()
result = check_drift(profile, partial, settings, source.summary)
print(json.dumps({"check_s": time.perf_counter() - t0, "cluster_start_s": t1 - t0, "merge_s": t2 - t1,
                  "rows": result.rows, "drifted": result.drifted_features,
                  "result_bytes": run.result_bytes, "largest_result_bytes": run.largest_result_bytes}))
"""

EVIDENTLY = """
import json, sys, time
from pathlib import Path
import pandas as pd
t0 = time.perf_counter()
from evidently import Report
from evidently.presets import DataDriftPreset
reference = pd.read_parquet(sys.argv[1])
current = pd.concat([pd.read_parquet(p) for p in sorted(Path(sys.argv[2]).glob("*.parquet"))], ignore_index=True)
t1 = time.perf_counter()
Report([DataDriftPreset()]).run(current, reference)
print(json.dumps({"run_s": time.perf_counter() - t1, "read_s": t1 - t0}))
"""


def _measure(command: list[str], timeout: float | None = None) -> dict:
    """Wall time, peak RSS of the process itself and of its descendants (summed per sample)."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc = psutil.Process(child.pid)
    own_peak = tree_peak = 0
    timed_out = False
    while child.poll() is None:
        try:
            own = proc.memory_info().rss
            others = 0
            for descendant in proc.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # a process may exit between listing and reading
                    others += descendant.memory_info().rss
            own_peak, tree_peak = max(own_peak, own), max(tree_peak, others)
        except psutil.Error:
            pass
        if timeout is not None and time.perf_counter() - started > timeout:
            for descendant in proc.children(recursive=True):
                descendant.kill()
            child.kill()
            timed_out = True
            break
        time.sleep(0.05)
    stdout, stderr = child.communicate()
    wall = time.perf_counter() - started
    report: dict = {"wall_s": wall, "own_peak_mb": own_peak / 2**20, "children_peak_mb": tree_peak / 2**20}
    if timed_out:
        report["timed_out"] = True
        return report
    if child.returncode not in (0,):
        raise RuntimeError(f"{command[:3]} failed ({child.returncode}): {stderr[-2000:]}")
    report.update(json.loads(stdout.strip().splitlines()[-1]))
    return report


def _write_input(directory: Path, rows: int, seed: int) -> None:
    directory.mkdir(parents=True)
    per_file = rows // FILES
    rng = np.random.default_rng(seed)
    for index in range(FILES):
        frame = pd.DataFrame(
            {
                f"f{i:02d}": rng.standard_normal(per_file) + (SHIFT_SD if i < SHIFTED else 0.0)
                for i in range(FEATURES)
            }
        )
        frame.to_parquet(directory / f"part-{index:02d}.parquet", row_group_size=per_file)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,10", help="millions of rows, comma-separated")
    parser.add_argument("--skip-evidently", action="store_true")
    options = parser.parse_args()
    sizes = [int(float(s) * 1_000_000) for s in options.sizes.split(",")]

    from monitoring.profile import build_profile

    scratch = Path(tempfile.mkdtemp(prefix="drift-scale-bench-", dir="/tmp"))
    results: dict[int, dict[str, dict]] = {}
    try:
        rng = np.random.default_rng(0)
        reference = pd.DataFrame({f"f{i:02d}": rng.standard_normal(1_000_000) for i in range(FEATURES)})
        reference.to_parquet(scratch / "reference.parquet")
        (scratch / "profile.json").write_text(json.dumps(build_profile(reference).model_dump(mode="json")))
        del reference
        evidently_next = not options.skip_evidently
        for rows in sizes:
            current = scratch / f"current-{rows}"
            started = time.perf_counter()
            _write_input(current, rows, seed=rows)
            print(f"\n== {rows:,} rows x {FEATURES} features in {FILES} Parquet files "
                  f"(written in {time.perf_counter() - started:.1f} s, "
                  f"{sum(p.stat().st_size for p in current.iterdir()) / 2**20:.0f} MiB)", flush=True)
            row: dict[str, dict] = {}
            profile, data = str(scratch / "profile.json"), str(current)
            row["local"] = _measure([sys.executable, "-c", LOCAL, profile, data])
            print(f"single process : {row['local']['wall_s']:.2f} s wall, peak {row['local']['own_peak_mb']:.0f} MB, "
                  f"drifted {row['local']['drifted']}", flush=True)
            row["dask"] = _measure([sys.executable, "-c", DASK, profile, data])
            dask = row["dask"]
            print(f"dask 2 workers : {dask['wall_s']:.2f} s wall (cluster start {dask['cluster_start_s']:.2f} s, "
                  f"partials+merge {dask['merge_s']:.2f} s), client peak {dask['own_peak_mb']:.0f} MB, "
                  f"workers peak {dask['children_peak_mb']:.0f} MB (sum), "
                  f"{dask['result_bytes'] / 1024:.0f} KiB of partials to the client, drifted {dask['drifted']}",
                  flush=True)
            if evidently_next:
                row["evidently"] = _measure(
                    [str(ROOT / ".venv-bench/bin/python"), "-c", EVIDENTLY, str(scratch / "reference.parquet"), data],
                    timeout=EVIDENTLY_LIMIT_S,
                )
                ev = row["evidently"]
                if ev.get("timed_out"):
                    print(
                        f"evidently      : did not finish within {EVIDENTLY_LIMIT_S} s "
                        f"(peak {ev['own_peak_mb']:.0f} MB)"
                    )
                    evidently_next = False
                else:
                    print(f"evidently      : {ev['wall_s']:.2f} s wall (Report.run {ev['run_s']:.2f} s, "
                          f"read {ev['read_s']:.2f} s), peak {ev['own_peak_mb']:.0f} MB", flush=True)
                    projected = ev["wall_s"] * 10
                    if projected > EVIDENTLY_LIMIT_S * 1.2:
                        print(f"evidently      : larger sizes skipped (10x projects to {projected:.0f} s)")
                        evidently_next = False
            results[rows] = row
            shutil.rmtree(current)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print("\n== per-row cost (whole-process wall / rows)")
    for rows, row in results.items():
        cells = [
            f"{name} {r['wall_s'] / rows * 1e9:.0f} ns/row" for name, r in row.items() if "rows" in r or "run_s" in r
        ]
        print(f"{rows:>12,}: " + ", ".join(cells))
    if len(results) >= 2:
        small, large = sorted(results)[:1][0], sorted(results)[-1]
        print(f"== growth {small:,} -> {large:,} rows ({large / small:.0f}x the rows)")
        for name in ("local", "dask", "evidently"):
            a, b = results[small].get(name), results[large].get(name)
            if a and b and not a.get("timed_out") and not b.get("timed_out"):
                print(f"{name:10s}: wall x{b['wall_s'] / a['wall_s']:.1f}, peak memory "
                      f"{a['own_peak_mb']:.0f} -> {b['own_peak_mb']:.0f} MB")
        print(f"dask client peak: {results[small]['dask']['own_peak_mb']:.0f} MB -> "
              f"{results[large]['dask']['own_peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
