"""Peak memory of reading a long label history for one window: every label kept vs only the window's.

Writes `--files` CSV files of `--rows-per-file` delayed labels (old request ids) plus one file holding the
labels of a `--window`-row predictions table, then, each in a fresh process, reads the labels as
`slipstack quality` does: all of them (`load_labels` without keys: the first release), and only the keys
of the window's predictions (`prediction_keys` first). Prints rows read, labels kept, seconds and peak RSS.

    .venv/bin/python bench/quality_labels_bench.py --files 20 --rows-per-file 200000 --window 10000
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
import pandas as pd
from monitoring.quality import QualitySettings, load_labels, prediction_keys
from monitoring.sources import CurrentData

labels, predictions, mode = sys.argv[1:4]
settings = QualitySettings(task="classification", metric="accuracy", threshold=0.5)
start = time.perf_counter()
wanted = None
if mode == "window":
    wanted = prediction_keys(CurrentData(predictions, [], view="predictions").chunks(), settings)
kept = load_labels(CurrentData(labels, []).chunks(), settings, wanted)
print(json.dumps({"mode": mode, "rows_read": kept.attrs["rows_read"], "kept": len(kept),
                  "seconds": round(time.perf_counter() - start, 2),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--rows-per-file", type=int, default=200_000)
    parser.add_argument("--window", type=int, default=10_000)
    args = parser.parse_args(argv)

    import numpy as np
    import pandas as pd

    folder = Path(tempfile.mkdtemp(prefix="quality-labels-bench-"))
    try:
        labels, predictions = folder / "labels", folder / "predictions.csv"
        labels.mkdir()
        rng = np.random.default_rng(0)
        for index in range(args.files):
            ids = [f"old-{index}-{i:07d}-0123456789abcdef" for i in range(args.rows_per_file)]
            pd.DataFrame({"inference_id": ids, "label": rng.integers(0, 2, args.rows_per_file)}).to_csv(
                labels / f"part-{index:03d}.csv", index=False)
        window_ids = [f"now-{i:07d}-0123456789abcdef" for i in range(args.window)]
        pd.DataFrame({"inference_id": window_ids, "label": rng.integers(0, 2, args.window)}).to_csv(
            labels / "part-now.csv", index=False)
        pd.DataFrame({"inference_id": window_ids, "prediction": rng.integers(0, 2, args.window)}).to_csv(
            predictions, index=False)
        for mode in ("all", "window"):
            done = subprocess.run([sys.executable, "-c", CHILD, str(labels), str(predictions), mode], cwd=REPO,
                                  capture_output=True, text=True, check=True)
            print(json.dumps(json.loads(done.stdout)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
