"""Drift check benchmark: 1,000,000 rows x 20 numeric features against a reference profile.

Run with plain python from the repo root:  .venv/bin/python bench/drift_bench.py [--seeds 20]

Measures, side by side and in the same run:
- Slipstack: `slipstack drift`'s code path (Parquet in chunks -> partials -> check) in a child process:
  whole-process wall time, in-process check time, and the child's peak RSS.
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


def _child(python: str, code: str, *args: str) -> tuple[float, float, dict]:
    """(wall seconds, peak RSS MB, printed JSON) of a fresh interpreter running `code`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([python, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all children so far: run the smaller process first.
    return wall, max(peak, before) / 1024, json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--skip-evidently", action="store_true")
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

        ours_wall, ours_rss, ours = _child(
            sys.executable, OURS, str(work / "profile.json"), str(work / "current.parquet")
        )
        print(f"profile build (1M x 20, in-process): {profile_s:.2f} s, {len(profile_json) / 1024:.0f} KiB JSON")
        print(
            f"slipstack drift: whole process {ours_wall:.2f} s, check in-process {ours['check_s']:.2f} s, "
            f"peak RSS {ours_rss:.0f} MB, drifted {ours['drifted']}"
        )
        evidently_python = ROOT / ".venv-bench/bin/python"
        if not options.skip_evidently and not evidently_python.exists():
            print(f"evidently: {evidently_python} is missing (run `make bench-setup`); comparison skipped")
        elif not options.skip_evidently:
            ev_wall, ev_rss, ev = _child(
                str(evidently_python),
                EVIDENTLY,
                str(work / "reference.parquet"),
                str(work / "current.parquet"),
            )
            print(
                f"evidently DataDriftPreset: whole process {ev_wall:.2f} s, Report.run {ev['run_s']:.2f} s, "
                f"peak RSS {ev_rss:.0f} MB"
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
