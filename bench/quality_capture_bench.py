"""Quality-from-capture benchmark: captured replies parsed, joined with labels and scored.

Run with plain python from the repo root:  .venv/bin/python bench/quality_capture_bench.py [--requests 200000]

Writes `--requests` SageMaker data-capture records (single-row requests of a binary classifier,
replies alternating between inference.py's JSON and CSV forms and the V2 response) into hour
partitions spread over 48 hours, plus CSV labels for 90% of them, then times in this process:
- listing the window (`--since 2h` over the 48 hour partitions) and the whole prefix;
- the quality check of the whole capture (read + parse + join + metrics), rows per second, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model_packaging.sagemaker_inference import output_fn  # noqa: E402
from model_packaging.signature import output_tensors  # noqa: E402
from monitoring.capture_window import CaptureWindow, parse_duration  # noqa: E402
from monitoring.quality import QualitySettings, check_quality, load_labels  # noqa: E402
from monitoring.sources import CurrentData  # noqa: E402

OUTPUTS = [
    {"name": "label", "index": 0, "dtype": "int64", "shape": []},
    {"name": "probabilities", "index": 1, "dtype": "float32", "shape": [2]},
]


def _reply(kind: int, label: int, score: float) -> tuple[str, str]:
    if kind == 2:
        raw = [np.asarray([label]), np.asarray([[1 - score, score]])]
        return json.dumps({"model_name": "m", "outputs": output_tensors(OUTPUTS, raw)}), "application/json"
    accept = "application/json" if kind == 0 else "text/csv"
    return output_fn({"label": [label], "probabilities": [[1 - score, score]]}, accept)


def write_capture(root: Path, requests: int, until: datetime) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, requests)
    score = np.clip(truth * 0.3 + rng.uniform(0, 0.7, requests), 0, 0.999)
    hours = 48
    per_hour = -(-requests // hours)
    for hour in range(hours):
        moment = until - timedelta(hours=hour)
        folder = root / "capture" / "ep" / "AllTraffic" / f"{moment:%Y/%m/%d/%H}"
        folder.mkdir(parents=True, exist_ok=True)
        lines = []
        for i in range(hour * per_hour, min(requests, (hour + 1) * per_hour)):
            body, content_type = _reply(i % 3, int(score[i] > 0.5), float(score[i]))
            record = {
                "captureData": {
                    "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "1,2",
                                      "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": content_type, "mode": "OUTPUT", "data": body,
                                       "encoding": "JSON" if "json" in content_type else "CSV"},
                },
                "eventMetadata": {"eventId": f"e{i}", "inferenceId": f"r{i}", "inferenceTime": f"{moment:%FT%TZ}"},
                "eventVersion": "0",
            }  # fmt: skip
            lines.append(json.dumps(record))
        (folder / "capture.jsonl").write_text("\n".join(lines) + "\n")
    labelled = int(requests * 0.9)
    return pd.DataFrame({"inference_id": [f"r{i}" for i in range(labelled)], "label": truth[:labelled]})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200_000)
    options = parser.parse_args()
    until = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        labels_frame = write_capture(root, options.requests, until)
        labels_frame.to_csv(root / "labels.csv", index=False)
        settings = QualitySettings(task="classification", metric="roc_auc", threshold=0.9, score_column="score")

        start = time.perf_counter()
        everything = CurrentData(str(root / "capture"), [], view="predictions").partitions()
        list_all = time.perf_counter() - start
        start = time.perf_counter()
        window = CaptureWindow.ending_now(parse_duration("2h"), until)
        windowed = CurrentData(str(root / "capture"), [], view="predictions", window=window).partitions()
        list_window = time.perf_counter() - start

        start = time.perf_counter()
        labels = load_labels(CurrentData(str(root / "labels.csv"), []).chunks(), settings)
        source = CurrentData(str(root / "capture"), [], view="predictions")
        result = check_quality(source.chunks(), labels, settings, source.summary)
        elapsed = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "requests": options.requests,
        "files_total": len(everything),
        "files_in_2h_window": len(windowed),
        "list_whole_prefix_s": round(list_all, 4),
        "list_2h_window_s": round(list_window, 4),
        "quality_check_s": round(elapsed, 2),
        "rows_per_s": round(options.requests / elapsed),
        "joined_rows": result.joined_rows,
        "roc_auc": round(result.metrics["roc_auc"] or 0, 4),
        "peak_rss_mb": round(peak_mb),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
