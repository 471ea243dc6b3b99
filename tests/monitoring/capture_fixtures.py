"""SageMaker data-capture records as the endpoint writes them, built from our servers' real replies."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from model_packaging.inference_contract import Request, encode_response
from model_packaging.signature import output_tensors

# The manifest's runtime.outputs of a binary classifier: the label first, then the probabilities.
CLASSIFIER_OUTPUTS = [
    {"name": "label", "index": 0, "dtype": "int64", "shape": []},
    {"name": "probabilities", "index": 1, "dtype": "float32", "shape": [2]},
]


def classifier_reply(labels: list[int], positive: list[float], accept: str) -> tuple[str, str]:
    """What the endpoint answered: inference.py's answer to an `instances` request (JSON or CSV, by the shared
    inference contract's encoder) or a V2 response."""
    probabilities = [[1.0 - p, p] for p in positive]
    raw = [np.asarray(labels), np.asarray(probabilities)]
    if accept == "v2":
        body = {"model_name": "m", "outputs": output_tensors(CLASSIFIER_OUTPUTS, raw)}
        return json.dumps(body), "application/json"
    media = "text/csv" if accept.startswith("text/csv") else "application/json"
    # Probabilities declared float64 here, so the reply carries the exact values the tests compare with
    # (a float32 signature would answer 0.699999988 for 0.7, as both servers do).
    tensors = output_tensors([{**o, "dtype": "float64"} if o["name"] == "probabilities" else o
                              for o in CLASSIFIER_OUTPUTS], raw)
    return encode_response(Request([], form="instances"), "m", None, tensors, media), media


def capture_line(
    event: str,
    reply: tuple[str, str],
    inference_id: str | None = None,
    encoding: str | None = None,
    inference_time: str = "2025-03-01T10:15:00Z",
    input_csv: str = "1,2",
) -> str:
    body, content_type = reply
    encoding = encoding or ("JSON" if "json" in content_type else "CSV")
    data = base64.b64encode(body.encode()).decode() if encoding == "BASE64" else body
    metadata: dict[str, Any] = {"eventId": event, "inferenceTime": inference_time}
    if inference_id is not None:
        metadata["inferenceId"] = inference_id
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": input_csv,
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": content_type,
                    "mode": "OUTPUT",
                    "data": data,
                    "encoding": encoding,
                },
            },
            "eventMetadata": metadata,
            "eventVersion": "0",
        }
    )


def hour_key(hour: datetime, name: str = "capture.jsonl") -> str:
    return f"{hour:%Y/%m/%d/%H}/{name}"


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
