"""Predictions read from captured replies: every reply shape our servers give, and bad records."""

from __future__ import annotations

import json
import math

import pytest

from monitoring.capture_records import (
    MalformedRecord,
    predictions_from_csv,
    predictions_from_json,
    record_predictions,
    request_id,
)
from tests.monitoring.capture_fixtures import capture_line, classifier_reply


@pytest.mark.parametrize("accept", ["application/json", "text/csv", "v2"])
def test_binary_classifier_replies_give_label_and_positive_probability(accept: str) -> None:
    reply = classifier_reply([0, 1, 1], [0.2, 0.9, 0.6], accept)
    rows = record_predictions(json.loads(capture_line("evt-1", reply, inference_id="order-7")))
    assert [(r.request_id, r.row, r.request_rows, r.prediction) for r in rows] == [
        ("order-7", 0, 3, 0),
        ("order-7", 1, 3, 1),
        ("order-7", 2, 3, 1),
    ]
    assert [r.score for r in rows] == pytest.approx([0.2, 0.9, 0.6], abs=1e-6)  # V2 sends float32
    assert [r.key for r in rows] == ["order-7#0", "order-7#1", "order-7#2"]


def test_base64_reply_and_event_id_when_no_inference_id() -> None:
    line = capture_line("evt-9", classifier_reply([1], [0.7], "text/csv"), encoding="BASE64")
    (row,) = record_predictions(json.loads(line))
    assert (row.request_id, row.key, row.prediction, row.score) == ("evt-9", "evt-9", 1, 0.7)


def test_regressor_and_other_reply_shapes() -> None:
    regression = predictions_from_json({"value": [1.5, 2.5]})  # inference.py's reply of a regressor
    assert [p for p, _ in regression] == [1.5, 2.5] and all(math.isnan(s) for _, s in regression)
    v2 = {"outputs": [{"name": "value", "shape": [2, 1], "datatype": "FP64", "data": [3.0, 4.0]}]}
    assert [p for p, _ in predictions_from_json(v2)] == [3.0, 4.0]
    assert [p for p, _ in predictions_from_json({"predictions": ["cat", "dog"]})] == ["cat", "dog"]
    assert [p for p, _ in predictions_from_json([[0.5], [0.25]])] == [0.5, 0.25]
    assert [p for p, _ in predictions_from_json(7)] == [7]
    # A three-class classifier: label plus three probabilities, no binary score.
    multi = predictions_from_csv("2,0.1,0.2,0.7\n0,0.8,0.1,0.1\n")
    assert [p for p, _ in multi] == [2, 0] and all(math.isnan(s) for _, s in multi)
    assert [p for p, _ in predictions_from_csv("12.5\n-3\n")] == [12.5, -3]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"captureData": {"endpointInput": {}}, "eventMetadata": {"eventId": "e"}}, "no captureData.endpointOutput"),
        ({"captureData": {"endpointOutput": {"data": "1", "encoding": "CSV"}}}, "no eventMetadata"),
        (
            {"captureData": {"endpointOutput": {"data": "{x", "encoding": "JSON"}}, "eventMetadata": {"eventId": "e"}},
            "not JSON",
        ),
        (
            {
                "captureData": {"endpointOutput": {"data": "!!", "encoding": "BASE64"}},
                "eventMetadata": {"eventId": "e"},
            },
            "not valid base64",
        ),
        (
            {
                "captureData": {"endpointOutput": {"data": '{"error": "bad"}', "encoding": "JSON"}},
                "eventMetadata": {"eventId": "e"},
            },
            "not one list per output",
        ),
        (
            {"captureData": {"endpointOutput": {"data": "1", "encoding": "XML"}}, "eventMetadata": {"eventId": "e"}},
            "unknown endpointOutput encoding",
        ),
    ],
)
def test_unreadable_replies_are_malformed_records(record: dict, message: str) -> None:
    with pytest.raises(MalformedRecord, match=message):
        record_predictions(record)


def test_request_id_prefers_the_callers_inference_id() -> None:
    assert request_id({"eventMetadata": {"eventId": "e", "inferenceId": "i"}}) == "i"
    assert request_id({"eventMetadata": {"eventId": "e", "inferenceId": ""}}) == "e"
    with pytest.raises(MalformedRecord, match="neither inferenceId nor eventId"):
        request_id({"eventMetadata": {}})


def test_records_of_the_on_prem_capture_writer() -> None:
    from datetime import UTC, datetime

    import numpy as np

    from model_packaging.signature import output_tensors
    from model_server.request_capture import PendingRecord
    from model_server.request_capture import capture_line as on_prem_line
    from tests.monitoring.capture_fixtures import CLASSIFIER_OUTPUTS

    outputs = output_tensors(CLASSIFIER_OUTPUTS, [np.asarray([1, 0]), np.asarray([[0.25, 0.75], [0.5, 0.5]])])
    features = np.asarray([[1.0, 2.0], [3.0, np.nan]])
    pending = PendingRecord("req-42", ("a", "b"), features, outputs, datetime(2025, 3, 1, 10, tzinfo=UTC))
    rows = record_predictions(json.loads(on_prem_line(pending)))
    assert [(r.key, r.prediction, r.score) for r in rows] == [("req-42#0", 1, 0.75), ("req-42#1", 0, 0.5)]
