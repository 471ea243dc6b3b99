"""The SageMaker data-capture record: its request id, its decoded payloads, and the predictions it holds.

One JSONL line per request::

    {"captureData": {"endpointInput":  {"observedContentType", "mode", "data", "encoding"},
                     "endpointOutput": {"observedContentType", "mode", "data", "encoding"}},
     "eventMetadata": {"eventId", "inferenceId" (optional), "inferenceTime"}, "eventVersion": "0"}

`encoding` is CSV, JSON or BASE64 (then `observedContentType` says whether the bytes are JSON or CSV).
The on-prem capture writer writes the same records.

Predictions are read from ``endpointOutput`` in the reply shapes Slipstack's servers give:
- the SageMaker ``inference.py`` JSON reply ``{"<output 1>": [...], "<output 2>": [[...], ...]}``, one
  key per signature output in signature order (the first is the prediction: the label of a
  classifier, the value of a regressor);
- its CSV reply, one line per row: the outputs flattened in signature order (``label,p0,p1``);
- the V2 (Open Inference Protocol) response ``{"outputs": [{"name", "shape", "datatype", "data"}]}``;
- a bare JSON list of per-row values or ``{"predictions": [...]}``.
The score (ROC AUC's positive-class probability) is the second column of the first two-column output
(``probabilities`` of a binary classifier: P(second class)); other models have none.

A request may hold several rows: row ``i`` (0-based) of request ``R`` is keyed ``R`` when the request
holds one row and ``R#i`` when it holds several (see `monitoring.quality` for how labels match).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import math
from dataclasses import dataclass
from typing import Any

ROW_KEY_SEPARATOR = "#"


class MalformedRecord(ValueError):
    """One capture line that cannot be used; counted and reported, never fatal on its own."""


def decode_capture_data(record: Any, section: str) -> tuple[str, Any]:
    """("json", parsed payload) or ("csv", text) of ``captureData.<section>``."""
    try:
        part = record["captureData"][section]
        data = part["data"]
    except (KeyError, TypeError):
        raise MalformedRecord(f"no captureData.{section}.data") from None
    if not isinstance(part, dict):
        raise MalformedRecord(f"captureData.{section} is not an object")
    encoding = str(part.get("encoding", "CSV")).upper()
    content_type = str(part.get("observedContentType", "")).lower()
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, TypeError, ValueError):
            raise MalformedRecord(f"{section}.data is not valid base64 UTF-8") from None
        encoding = "JSON" if "json" in content_type else "CSV"
    if encoding == "JSON":
        try:
            return "json", json.loads(data) if isinstance(data, str) else data
        except json.JSONDecodeError as error:
            raise MalformedRecord(f"{section}.data is not JSON ({error.msg})") from None
    if encoding == "CSV":
        if not isinstance(data, str):
            raise MalformedRecord(f"CSV {section}.data is not a string")
        return "csv", data
    raise MalformedRecord(f"unknown {section} encoding {encoding!r} (expected CSV, JSON or BASE64)")


def event_id(record: Any) -> str | None:
    """The record's eventId, for naming it in messages."""
    metadata = record.get("eventMetadata") if isinstance(record, dict) else None
    value = metadata.get("eventId") if isinstance(metadata, dict) else None
    return str(value) if value else None


def request_id(record: Any) -> str:
    """``inferenceId`` when the caller set one (what labels are usually keyed by), else ``eventId``."""
    metadata = record.get("eventMetadata") if isinstance(record, dict) else None
    if not isinstance(metadata, dict):
        raise MalformedRecord("no eventMetadata: the request id (inferenceId or eventId) is unknown")
    for name in ("inferenceId", "eventId"):
        value = metadata.get(name)
        if value not in (None, ""):
            return str(value)
    raise MalformedRecord("eventMetadata has neither inferenceId nor eventId")


@dataclass(frozen=True)
class CapturedPrediction:
    """One row's prediction: the request, the row within it, the predicted value and the score."""

    request_id: str
    row: int
    request_rows: int
    prediction: Any
    score: float

    @property
    def key(self) -> str:
        """The join key labels must carry: the request id, or ``<id>#<row>`` in a multi-row request."""
        return self.request_id if self.request_rows == 1 else f"{self.request_id}{ROW_KEY_SEPARATOR}{self.row}"


def _scalar(value: Any, what: str) -> Any:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]  # a [rows, 1] tensor row
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise MalformedRecord(f"{what} is {str(value)[:60]}, not one value per row")


def _score(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MalformedRecord(f"{what} {str(value)[:40]!r} is not a probability")
    return float(value) if math.isfinite(value) else math.nan


def _rows_of_tensor(tensor: dict[str, Any]) -> list[Any]:
    """A V2 output tensor's data as rows (its shape says how the flat data is cut)."""
    data, shape = tensor.get("data"), tensor.get("shape")
    name = tensor.get("name", "?")
    if not isinstance(data, list):
        raise MalformedRecord(f"V2 output {name!r} has no data list")
    if data and isinstance(data[0], list):  # some servers nest rows instead of flattening
        return data
    if isinstance(shape, list) and len(shape) == 2 and isinstance(shape[1], int) and shape[1] > 1:
        width = shape[1]
        if len(data) % width:
            raise MalformedRecord(f"V2 output {name!r}: {len(data)} values do not fit its shape {shape}")
        return [data[i : i + width] for i in range(0, len(data), width)]
    return data


def _from_columns(columns: list[tuple[str, list[Any]]]) -> list[tuple[Any, float]]:
    """(prediction, score) rows from named per-row outputs in signature order."""
    if not columns:
        raise MalformedRecord("the reply holds no output")
    name, values = columns[0]
    if not values:
        raise MalformedRecord(f"output {name!r} holds no rows")
    predictions = [_scalar(v, f"output {name!r}") for v in values]
    scores = [math.nan] * len(predictions)
    for other, rows in columns[1:]:
        if rows and all(isinstance(r, list) and len(r) == 2 for r in rows):
            if len(rows) != len(predictions):
                raise MalformedRecord(f"output {other!r} has {len(rows)} rows, {name!r} has {len(predictions)}")
            scores = [_score(r[1], f"output {other!r}") for r in rows]
            break
    return list(zip(predictions, scores, strict=True))


def predictions_from_json(payload: Any) -> list[tuple[Any, float]]:
    """(prediction, score) per row of a JSON reply (see the module docstring for the shapes)."""
    if isinstance(payload, dict) and isinstance(payload.get("outputs"), list):
        tensors = payload["outputs"]
        if not all(isinstance(t, dict) for t in tensors):
            raise MalformedRecord("V2 outputs are not tensor objects")
        return _from_columns([(str(t.get("name", i)), _rows_of_tensor(t)) for i, t in enumerate(tensors)])
    if isinstance(payload, dict) and isinstance(payload.get("predictions"), list):
        payload = payload["predictions"]
    if isinstance(payload, dict):
        if not payload or not all(isinstance(v, list) for v in payload.values()):
            raise MalformedRecord("JSON reply is an object but not one list per output")
        return _from_columns([(str(k), v) for k, v in payload.items()])
    if isinstance(payload, list):
        return _from_columns([("predictions", payload)])
    if isinstance(payload, (int, float, str)) and not isinstance(payload, bool):
        return [(payload, math.nan)]
    raise MalformedRecord(f"JSON reply {str(payload)[:60]} holds no predictions")


def predictions_from_csv(text: str) -> list[tuple[Any, float]]:
    """One line per row: the prediction first; ``label,p0,p1`` (a binary classifier) gives a score."""
    rows = []
    for values in csv.reader(io.StringIO(text)):
        if not values:
            continue
        prediction: Any = values[0].strip()
        if prediction == "":
            raise MalformedRecord("a CSV reply line has an empty prediction")
        try:
            number = float(prediction)
            prediction = int(number) if number.is_integer() and "." not in prediction else number
        except ValueError:
            pass  # a class name stays text
        score = math.nan
        if len(values) == 3:
            try:
                score = _score(float(values[2]), "CSV probability")
            except ValueError:
                raise MalformedRecord(f"CSV probability {values[2][:40]!r} is not a number") from None
        rows.append((prediction, score))
    if not rows:
        raise MalformedRecord("the CSV reply holds no rows")
    return rows


def record_predictions(record: Any) -> list[CapturedPrediction]:
    """Every row's prediction in one capture record; MalformedRecord if the reply cannot be read."""
    identity = request_id(record)
    kind, payload = decode_capture_data(record, "endpointOutput")
    rows = predictions_from_json(payload) if kind == "json" else predictions_from_csv(payload)
    return [CapturedPrediction(identity, i, len(rows), p, s) for i, (p, s) in enumerate(rows)]
