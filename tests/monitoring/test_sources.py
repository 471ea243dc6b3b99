from __future__ import annotations

import base64
import json
from pathlib import Path

import boto3
import numpy as np
import pandas as pd
import pytest
from moto import mock_aws

from monitoring.errors import CaptureRecordError, InputDataError
from monitoring.sources import CurrentData

FEATURES = ["a", "b"]


def _capture_line(encoding: str, data: str, content_type: str = "text/csv", event: str = "e1") -> str:
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": content_type,
                    "mode": "INPUT",
                    "data": data,
                    "encoding": encoding,
                },
                "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "1", "encoding": "CSV"},
            },
            "eventMetadata": {"eventId": event, "inferenceTime": "2024-01-01T00:00:00Z"},
            "eventVersion": "0",
        }
    )


def _read(location: str | Path, chunk_rows: int = 1000, **kwargs: object) -> tuple[pd.DataFrame, CurrentData]:
    data = CurrentData(str(location), FEATURES, chunk_rows=chunk_rows, **kwargs)  # type: ignore[arg-type]
    frames = [frame for _, frame in data.chunks()]
    return pd.concat(frames, ignore_index=True), data


def test_csv_and_parquet_are_read_in_chunks(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": np.arange(5000, dtype=float), "b": np.arange(5000) % 7})
    frame.to_csv(tmp_path / "part.csv", index=False)
    frame.to_parquet(tmp_path / "part.parquet")
    data = CurrentData(str(tmp_path / "part.parquet"), FEATURES, chunk_rows=1000)
    chunks = [f for _, f in data.chunks()]
    assert len(chunks) == 5 and all(len(c) == 1000 for c in chunks)
    both, data = _read(tmp_path)
    assert len(both) == 10_000 and data.summary.rows == 10_000 and len(data.summary.sources) == 2


def test_capture_csv_json_and_base64_records(tmp_path: Path) -> None:
    v2 = {"inputs": [{"name": "input-0", "shape": [2, 2], "datatype": "FP64", "data": [[5, 6], [7, 8]]}]}
    lines = [
        _capture_line("CSV", "1,2"),
        _capture_line("CSV", "3,4\n9,10"),
        _capture_line("JSON", json.dumps(v2), "application/json"),
        _capture_line(
            "BASE64", base64.b64encode(json.dumps([{"a": 11, "b": 12}]).encode()).decode(), "application/json"
        ),
        "{not json",
        _capture_line("CSV", "1,2,3", event="too-wide"),
    ]
    (tmp_path / "capture.jsonl").write_text("\n".join(lines) + "\n")
    frame, data = _read(tmp_path)
    assert frame["a"].tolist() == [1, 3, 9, 5, 7, 11]
    assert frame["b"].dtype == np.float64
    assert data.summary.malformed_records == 2
    assert data.summary.malformed_examples[0].startswith(f"{tmp_path / 'capture.jsonl'}:5: not JSON")
    assert "eventId too-wide" in data.summary.malformed_examples[1]


def test_all_malformed_capture_names_first_record(tmp_path: Path) -> None:
    (tmp_path / "c.jsonl").write_text('{"captureData": {}}\n')
    with pytest.raises(CaptureRecordError, match=r"c.jsonl:1: no captureData.endpointInput.data"):
        _read(tmp_path)


def test_unreadable_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="no such file"):
        _read(tmp_path / "absent.csv")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(InputDataError, match="no .csv, .parquet"):
        _read(tmp_path)
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputDataError, match="bad.parquet: not a readable Parquet"):
        _read(tmp_path / "bad.parquet")


@mock_aws
def test_s3_prefix() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="capture")
    s3.put_object(Bucket="capture", Key="model/2024/01/a.jsonl", Body=_capture_line("CSV", "1,2") + "\n")
    s3.put_object(Bucket="capture", Key="model/2024/01/b.csv", Body=b"a,b\n3,4\n")
    s3.put_object(Bucket="capture", Key="other/c.csv", Body=b"a,b\n5,6\n")
    frame, data = _read("s3://capture/model/", s3_client=s3)
    assert sorted(frame["a"].tolist()) == [1, 3]
    assert data.summary.sources == ["s3://capture/model/2024/01/a.jsonl", "s3://capture/model/2024/01/b.csv"]
    with pytest.raises(InputDataError, match="no .csv, .parquet or capture"):
        _read("s3://capture/nothing/", s3_client=s3)
