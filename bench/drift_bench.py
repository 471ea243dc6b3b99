"""Drift check benchmark: 1,000,000 rows x 20 numeric features against a reference profile.

Run with plain python from the repo root:  .venv/bin/python bench/drift_bench.py [--seeds 20]

Measures, side by side and in the same run:
- Slipstack: `slipstack drift`'s code path (Parquet in chunks -> partials -> check) in a child process:
  whole-process wall time, CPU time (user + sys), in-process check time, and the child's peak RSS;
  then the `slipstack drift` command itself (CLI start-up, JSON output and the exit code included).
  `--repeat N` runs both N times and prints each run and the median: the machine is shared, so wall
  time can be inflated by other work while CPU time is not (the load average is printed too).
- Evidently's DataDriftPreset on the same data (reference 1,000,000 rows) in .venv-bench (built by
  `make bench-setup`; skipped with a note when it is absent), also in a child process: whole-process
  wall time and in-process `Report.run` time.
- Detection quality: a 0.1-sd mean shift in 5 of 20 features at the default settings (KS, Holm,
  p 0.05) over several seeds: how often the 5 are flagged, and the false-positive rate on the 15.
  Calibration at small windows and on other kinds of data: bench/drift_calibration_bench.py.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROWS, FEATURES, SHIFTED, SHIFT_SD = 1_000_000, 20, 5, 0.1

OURS = """
import json, sys, time
t0 = time.perf_counter()
from monitoring.drift import DriftSettings, accumulate, check_drift
from monitoring.profile import load_profile
from monitoring.sources import CurrentData
from pathlib import Path
profile = load_profile(Path(sys.argv[1]))
settings = DriftSettings()
source = CurrentData(sys.argv[2], list(profile.features))
result = check_drift(profile, accumulate(source.batches(), profile, settings), settings, source.summary)
print(json.dumps({"check_s": time.perf_counter() - t0, "drifted": result.drifted_features}))
"""

EVIDENTLY = """
import json, sys, time
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
reference = pd.read_parquet(sys.argv[1]); current = pd.read_parquet(sys.argv[2])
t0 = time.perf_counter()
snapshot = Report([DataDriftPreset()]).run(current, reference)
run_s = time.perf_counter() - t0
print(json.dumps({"run_s": run_s}))
"""


def _frame(seed: int, shifted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            f"f{i:02d}": rng.standard_normal(ROWS) + (SHIFT_SD if shifted and i < SHIFTED else 0.0)
            for i in range(FEATURES)
        }
    )


def _run(argv: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds user + sys, peak RSS MB, stdout) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in ok:
        raise SystemExit(f"{argv[:4]} exited {done.returncode}:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of children is the max over all children so far: run the smaller process first.
    return wall, cpu, max(after.ru_maxrss, before.ru_maxrss) / 1024, done.stdout


def _child(python: str, code: str, *args: str) -> tuple[float, float, float, dict]:
    """(wall seconds, CPU seconds, peak RSS MB, printed JSON) of a fresh interpreter running `code`."""
    wall, cpu, rss, out = _run([python, "-c", code, *args])
    return wall, cpu, rss, json.loads(out.strip().splitlines()[-1])


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each Slipstack measurement")
    options = parser.parse_args()

    from monitoring.drift import DriftSettings, check_drift
    from monitoring.profile import build_profile
    from monitoring.statistics import partial_from_frame

    with tempfile.TemporaryDirectory(prefix="drift-bench-") as scratch:
        work = Path(scratch)
        reference, current = _frame(0, False), _frame(1, True)
        reference.to_parquet(work / "reference.parquet")
        current.to_parquet(work / "current.parquet")
        started = time.perf_counter()
        profile = build_profile(reference)
        profile_s = time.perf_counter() - started
        profile_json = json.dumps(profile.model_dump(mode="json"))
        (work / "profile.json").write_text(profile_json)
        del reference, current

        print(f"profile build (1M x 20, in-process): {profile_s:.2f} s, {len(profile_json) / 1024:.0f} KiB JSON")
        walls, checks = [], []
        for run in range(options.repeat):
            load = _load_average()
            ours_wall, ours_cpu, ours_rss, ours = _child(
                sys.executable, OURS, str(work / "profile.json"), str(work / "current.parquet")
            )
            walls.append(ours_wall)
            checks.append(ours["check_s"])
            print(
                f"slipstack drift code path, run {run + 1}: whole process {ours_wall:.2f} s wall, {ours_cpu:.2f} s CPU "
                f"(user+sys), check in-process {ours['check_s']:.2f} s, peak RSS {ours_rss:.0f} MB, "
                f"load average {load}, drifted {ours['drifted']}"
            )
        ours_wall, ours = float(np.median(walls)), {"check_s": float(np.median(checks))}
        cli = [sys.executable, "-m", "slipstack", "drift", "--current", str(work / "current.parquet"),
               "--profile", str(work / "profile.json"), "--no-progress", "--output", str(work / "drift.json")]
        for run in range(options.repeat):
            load = _load_average()
            # Exit 1: the shifted features are an alert, as they should be.
            cli_wall, cli_cpu, cli_rss, _ = _run(cli, ok=(0, 1))
            status = json.loads((work / "drift.json").read_text())["status"]
            print(
                f"`slipstack drift` command, run {run + 1}: {cli_wall:.2f} s wall, {cli_cpu:.2f} s CPU (user+sys), "
                f"peak RSS {cli_rss:.0f} MB, load average {load}, status {status}"
            )
        evidently_python = ROOT / ".venv-bench/bin/python"
        if not options.skip_evidently and not evidently_python.exists():
            print(f"evidently: {evidently_python} is missing (run `make bench-setup`); comparison skipped")
        elif not options.skip_evidently:
            ev_wall, ev_cpu, ev_rss, ev = _child(
                str(evidently_python),
                EVIDENTLY,
                str(work / "reference.parquet"),
                str(work / "current.parquet"),
            )
            print(
                f"evidently DataDriftPreset: whole process {ev_wall:.2f} s wall, {ev_cpu:.2f} s CPU, "
                f"Report.run {ev['run_s']:.2f} s, peak RSS {ev_rss:.0f} MB"
            )
            print(
                f"ratio (evidently / slipstack): whole process {ev_wall / ours_wall:.1f}x, "
                f"in-process {ev['run_s'] / ours['check_s']:.1f}x"
            )

    settings = DriftSettings()
    hits = false_positives = 0
    for seed in range(options.seeds):
        profile = build_profile(_frame(1000 + seed, False))
        current = _frame(2000 + seed, True)
        result = check_drift(profile, partial_from_frame(current, profile.layouts()), settings)
        drifted = set(result.drifted_features)
        shifted = {f"f{i:02d}" for i in range(SHIFTED)}
        hits += len(drifted & shifted)
        false_positives += len(drifted - shifted)
    print(
        f"detection over {options.seeds} seeds (KS, Holm, p<0.05): shifted flagged "
        f"{hits}/{options.seeds * SHIFTED}, false positives {false_positives}/{options.seeds * (FEATURES - SHIFTED)} "
        f"({false_positives / (options.seeds * (FEATURES - SHIFTED)):.1%})"
    )


if __name__ == "__main__":
    main()
