"""Current data, read in bounded memory: CSV, Parquet, SageMaker data-capture JSONL, or an S3 prefix.

Every reader yields (where, chunk) pairs of at most `chunk_rows` rows, so a drift check over a file
larger than RAM holds one chunk and the partial statistics, never the whole input. S3 objects are
downloaded one at a time into a temporary directory that is removed as soon as it has been read.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from monitoring.capture_records import MalformedRecord, decode_capture_data, event_id, record_predictions
from monitoring.capture_window import CaptureWindow, date_roots, hour_folder
from monitoring.drift import InputSummary
from monitoring.errors import CaptureRecordError, EmptyWindowError, InputDataError

DEFAULT_CHUNK_ROWS = 262_144
MALFORMED_EXAMPLES = 5

_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".csv.gz")
_CAPTURE = (".jsonl", ".jsonl.gz", ".json")

if TYPE_CHECKING:  # pandas loads only where a chunk is turned into a DataFrame (~0.4 s saved)
    import pandas as pd

Chunk = tuple[str, "pd.DataFrame"]
# What the drift check reads: Arrow record batches for Parquet and CSV (no pandas conversion on the
# hot path), pandas frames for capture records (their values are parsed in Python anyway).
Batch = tuple[str, "pa.RecordBatch | pd.DataFrame"]


def _kind(name: str) -> str | None:
    lowered = name.lower()
    for kind, suffixes in (("parquet", _PARQUET), ("csv", _CSV), ("capture", _CAPTURE)):
        if lowered.endswith(suffixes):
            return kind
    return None


@dataclass
class CurrentData:
    """An input location opened for chunked reading; `summary` fills in as chunks are read.

    `view` says what a capture record yields: its input rows (drift; columns = `feature_order`) or
    its predictions (quality; `CAPTURE_PREDICTION_COLUMNS`). CSV and Parquet files are read as they
    are in both views. With a `window`, a capture directory or prefix yields only the files of the
    hour partitions the window overlaps (see `monitoring.capture_window`).
    """

    location: str
    feature_order: list[str]
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    s3_client: Any = None
    on_rows: Callable[[int], None] | None = None
    summary: InputSummary = field(default_factory=InputSummary)
    view: Literal["inputs", "predictions"] = "inputs"
    window: CaptureWindow | None = None
    _listed: list[str] | None = field(default=None, init=False, repr=False)

    def chunks(self) -> Iterator[Chunk]:
        """Every chunk as a pandas DataFrame (profile building and the quality join read these)."""
        for where, batch in self.batches():
            yield where, batch if not isinstance(batch, pa.RecordBatch) else batch.to_pandas()

    def batches(self) -> Iterator[Batch]:
        """Every chunk of every partition, in partition order, one in memory at a time."""
        for partition in self.partitions():
            yield from self.partition_batches(partition)
        self.raise_if_unreadable()

    def raise_if_unreadable(self) -> None:
        """No usable row but malformed capture records: name the first, so the user can look at it."""
        if self.summary.rows == 0 and self.summary.malformed_records:
            raise CaptureRecordError(
                f"no readable capture record in {self.location}: {self.summary.malformed_records} malformed, "
                f"first: {self.summary.malformed_examples[0]}"
            )

    def is_capture(self) -> bool:
        """Whether the input is data-capture JSONL (every partition is a capture file)."""
        return all(_kind(partition) == "capture" for partition in self.partitions())

    def partitions(self) -> list[str]:
        """The files (local paths or s3://bucket/key URIs) the input consists of, sorted.

        A partition is the unit a distributed engine hands to one task; the single-process check
        reads the same partitions one after another. Listed once per instance.
        """
        if self._listed is None:
            if self.window is not None:
                self._listed = self._window_partitions()
            elif self.location.startswith("s3://"):
                self._listed = self._s3_partitions()
            else:
                self._listed = self._local_partitions()
        return self._listed

    def _local_partitions(self) -> list[str]:
        path = Path(self.location)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and _kind(p.name))
            if not files:
                raise InputDataError(
                    f"{path}: no .csv, .parquet or capture .jsonl files in this directory; check the path"
                )
            return [str(f) for f in files]
        if path.is_file():
            if _kind(path.name) is None:
                raise InputDataError(f"{path}: unknown file type; use .csv, .parquet or capture .jsonl files")
            return [str(path)]
        raise InputDataError(f"{path}: no such file or directory")

    def partition_batches(self, partition: str) -> Iterator[Batch]:
        """The chunks of one partition; counts rows and malformed records into `summary`."""
        if partition.startswith("s3://"):
            source = self._s3_partition_batches(partition)
        else:
            source = self._file_batches(Path(partition), partition)
        for where, batch in source:
            self.summary.rows += batch.num_rows if isinstance(batch, pa.RecordBatch) else len(batch)
            if self.on_rows is not None:
                self.on_rows(batch.num_rows if isinstance(batch, pa.RecordBatch) else len(batch))
            yield where, batch

    def _file_batches(self, file: Path, where: str) -> Iterator[Batch]:
        self.summary.sources.append(where)
        kind = _kind(file.name)
        if kind == "parquet":
            yield from _parquet_chunks(file, where, self.chunk_rows)
        elif kind == "csv":
            yield from _csv_chunks(file, where, self.chunk_rows)
        elif self.view == "predictions":
            yield from _capture_prediction_chunks(file, where, self.chunk_rows, self.summary)
        else:
            yield from _capture_chunks(file, where, self.feature_order, self.chunk_rows, self.summary)

    def _s3(self) -> Any:
        if self.s3_client is None:
            import boto3

            self.s3_client = boto3.client("s3")
        return self.s3_client

    def _s3_partitions(self) -> list[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, _, prefix = self.location[len("s3://") :].partition("/")
        try:
            keys = [
                item["Key"]
                for page in self._s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                for item in page.get("Contents", [])
                if _kind(item["Key"])
            ]
        except (BotoCoreError, ClientError) as error:
            raise InputDataError(f"{self.location}: cannot list the S3 prefix ({error})") from None
        if not keys:
            raise InputDataError(f"{self.location}: no .csv, .parquet or capture .jsonl objects under this prefix")
        return [f"s3://{bucket}/{key}" for key in sorted(keys)]

    def _window_partitions(self) -> list[str]:
        """Capture files of the hour partitions in the window: a few listings, never the whole prefix."""
        assert self.window is not None
        window = self.window
        if self.location.startswith("s3://"):
            files, roots = self._s3_window_files(window)
        else:
            path = Path(self.location)
            if not path.is_dir():
                raise InputDataError(
                    f"{self.location}: --since selects hour partitions of a capture directory or s3:// prefix; "
                    "this is not a directory (drop --since to read one file)"
                )
            top = str(path).rstrip("/") + "/"

            def folders(folder: str) -> list[str]:
                try:
                    return sorted(child.name for child in Path(folder).iterdir() if child.is_dir())
                except OSError:
                    return []

            roots = date_roots(folders, top)
            files = []
            for root in roots:
                for hour in window.hours():
                    hour_path = Path(root + hour_folder(hour))
                    if hour_path.is_dir():
                        files.extend(str(f) for f in hour_path.rglob("*") if f.is_file() and _kind(f.name) == "capture")
        if not roots:
            raise InputDataError(
                f"{self.location}: no yyyy/mm/dd/hh/ hour partitions under this location, so --since cannot select "
                "capture files; point at the capture prefix (SageMaker: <prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/) "
                "or drop --since"
            )
        if not files:
            raise EmptyWindowError(
                f"{self.location}: no capture files in the window {window.describe()} (searched the hour "
                f"partitions under {', '.join(roots)}); no traffic was captured then, or widen --since"
            )
        return sorted(files)

    def _s3_window_files(self, window: CaptureWindow) -> tuple[list[str], list[str]]:
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, _, prefix = self.location[len("s3://") :].partition("/")
        top = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        paginator = self._s3().get_paginator("list_objects_v2")

        def folders(folder: str) -> list[str]:
            return [
                common["Prefix"][len(folder) :].rstrip("/")
                for page in paginator.paginate(Bucket=bucket, Prefix=folder, Delimiter="/")
                for common in page.get("CommonPrefixes", [])
            ]

        try:
            roots = date_roots(folders, top)
            keys = [
                item["Key"]
                for root in roots
                for hour in window.hours()
                for page in paginator.paginate(Bucket=bucket, Prefix=root + hour_folder(hour))
                for item in page.get("Contents", [])
                if _kind(item["Key"]) == "capture"
            ]
        except (BotoCoreError, ClientError) as error:
            raise InputDataError(f"{self.location}: cannot list the S3 prefix ({error})") from None
        return [f"s3://{bucket}/{key}" for key in keys], [f"s3://{bucket}/{root}" for root in roots]

    def _s3_partition_batches(self, uri: str) -> Iterator[Batch]:
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, _, key = uri[len("s3://") :].partition("/")
        with tempfile.TemporaryDirectory(prefix="slipstack-drift-") as scratch:
            local = Path(scratch) / Path(key).name
            try:
                self._s3().download_file(bucket, key, str(local))
            except (BotoCoreError, ClientError) as error:
                raise InputDataError(f"{uri}: cannot download ({error})") from None
            yield from self._file_batches(local, uri)


def _parquet_chunks(file: Path, where: str, chunk_rows: int) -> Iterator[Batch]:
    try:
        reader = pq.ParquetFile(file)
        batches = reader.iter_batches(batch_size=chunk_rows)
        empty = True
        for batch in batches:
            empty = False
            yield where, batch
        if empty:  # still yielded so the columns are checked against the profile
            yield where, pa.RecordBatch.from_pylist([], schema=reader.schema_arrow)
    except (pa.ArrowException, OSError) as error:
        raise InputDataError(f"{where}: not a readable Parquet file ({error})") from None


# pyarrow's own null spellings plus Python's "None" (str(None) written by many pipelines): without
# it one "None" turns a numeric column into text and the whole file into a type error.
CSV_NULL_VALUES = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null", "none",
)


_CSV_COLUMN = re.compile(r"In CSV column #(\d+)")


def _csv_chunks(file: Path, where: str, chunk_rows: int) -> Iterator[Batch]:
    """Chunks of a CSV file; a column whose type changes after the first block is re-read as text.

    pyarrow infers each column's type from the first block. When a later block holds text in a
    column inferred as numbers, the file is reopened with that column as text and the rows already
    yielded are skipped: the drift check then names the column and the offending rows itself.
    """
    # About 64 bytes per row of a few numeric columns: the block size keeps chunks near chunk_rows
    # rows without knowing the row width in advance.
    options = pa_csv.ReadOptions(block_size=max(1 << 20, chunk_rows * 64))
    as_text: dict[str, pa.DataType] = {}
    yielded = 0
    while True:
        convert = pa_csv.ConvertOptions(
            null_values=list(CSV_NULL_VALUES), strings_can_be_null=True, column_types=as_text
        )
        names: list[str] = []
        try:
            reader = pa_csv.open_csv(file, read_options=options, convert_options=convert)
            names = list(reader.schema.names)
            seen, empty = 0, True
            for batch in reader:
                empty = False
                start = seen
                seen += batch.num_rows
                if seen <= yielded:
                    continue
                batch = batch.slice(max(0, yielded - start))
                yielded += batch.num_rows
                yield where, batch
            if empty:
                yield where, pa.RecordBatch.from_pylist([], schema=reader.schema)
            return
        except (pa.ArrowException, OSError) as error:
            column = _CSV_COLUMN.search(str(error))
            if column is not None and int(column.group(1)) < len(names) and names[int(column.group(1))] not in as_text:
                as_text[names[int(column.group(1))]] = pa.string()
                continue
            ragged = _CSV_FIELDS.search(str(error))
            if ragged is not None:
                raise InputDataError(_ragged_row_message(file, where, int(ragged.group(1)))) from None
            hint = "" if "Empty CSV" in str(error) else "; a column probably mixes numbers and text"
            raise InputDataError(f"{where}: cannot read CSV ({str(error)[:300]}){hint}") from None


_CSV_FIELDS = re.compile(r"Expected (\d+) columns, got (\d+)")


def _ragged_row_message(file: Path, where: str, expected: int) -> str:
    """Where a row's field count differs from the header's (pyarrow says only what the row holds)."""
    import csv

    with file.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        start = 1
        for row in reader:
            if len(row) != expected and reader.line_num > 1:
                lines = f"line {start}" if start == reader.line_num else f"lines {start}-{reader.line_num}"
                return (
                    f"{where}:{start}: {len(row)} field(s) where the header has {expected} ({lines}, row "
                    f"{max(1, start - 1)} of the data); fix that row: a stray delimiter, a missing field or an "
                    "unbalanced quote"
                )
            start = reader.line_num + 1
    return f"{where}: a row has a different number of fields than the header's {expected}; fix the file"


def _parse_number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MalformedRecord(f"value {str(value)[:40]!r} is not a number") from None


def _rows_from_payload(payload: Any, feature_order: list[str]) -> list[dict[str, Any]]:
    """Rows from a JSON request body: V2 inference request, {"instances": ...}, records, or one row."""
    width = len(feature_order)

    def positional(row: Any) -> dict[str, Any]:
        if not isinstance(row, list) or len(row) != width:
            raise MalformedRecord(f"expected a row of {width} values, got {str(row)[:60]}")
        return dict(zip(feature_order, row, strict=True))

    if (
        isinstance(payload, dict)
        and isinstance(payload.get("inputs"), list)
        and payload["inputs"]
        and all(isinstance(t, dict) and "data" in t for t in payload["inputs"])
    ):
        tensors = payload["inputs"]
        if len(tensors) == 1 and width > 1:  # one [n, k] tensor holding every feature
            flat = tensors[0]["data"]
            flat = [v for row in flat for v in row] if flat and isinstance(flat[0], list) else flat
            if len(flat) % width:
                raise MalformedRecord(f"tensor of {len(flat)} values is not a multiple of {width} features")
            return [positional(flat[i : i + width]) for i in range(0, len(flat), width)]
        columns = {t.get("name"): t["data"] for t in tensors}
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1:
            raise MalformedRecord("V2 inputs have different lengths")
        return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    if isinstance(payload, dict) and isinstance(payload.get("instances"), list):
        payload = payload["instances"]
    if isinstance(payload, dict):
        return [payload]
    if isinstance(payload, list) and payload:
        if all(isinstance(r, dict) for r in payload):
            return list(payload)
        if all(isinstance(r, list) for r in payload):
            return [positional(r) for r in payload]
        return [positional(payload)]
    raise MalformedRecord("JSON payload is neither a V2 request, a list of rows nor one row")


def capture_record_rows(record: Any, feature_order: list[str]) -> list[dict[str, Any]]:
    """The input rows of one SageMaker data-capture record (``captureData.endpointInput``)."""
    kind, data = decode_capture_data(record, "endpointInput")
    if kind == "json":
        return _rows_from_payload(data, feature_order)
    rows = []
    for values in csv.reader(io.StringIO(data)):
        if values:
            if len(values) != len(feature_order):
                raise MalformedRecord(f"expected {len(feature_order)} CSV values, got {len(values)}")
            rows.append(dict(zip(feature_order, values, strict=True)))
    return rows


def _typed_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    # CSV capture values arrive as text; columns that are all numbers become float, the rest stay text
    # and are judged against the profile (a text value in a numeric feature is reported there).
    import pandas as pd

    frame = pd.DataFrame.from_records(rows)
    for name in frame.columns:
        try:
            frame[name] = [_parse_number(v) for v in frame[name]]
        except MalformedRecord:
            continue
        frame[name] = frame[name].astype("float64")
    return frame


def _capture_records(
    file: Path, where: str, summary: InputSummary, parse: Callable[[Any], list[Any]]
) -> Iterator[list[Any]]:
    """`parse(record)` of every readable line; a malformed line is counted and named, never fatal."""
    import gzip

    opener = gzip.open if file.name.lower().endswith(".gz") else open
    try:
        with opener(file, "rt", encoding="utf-8", errors="strict") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                record: Any = None
                try:
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError as error:
                        raise MalformedRecord(f"not JSON ({error.msg})") from None
                    parsed = parse(record)
                except MalformedRecord as error:
                    summary.malformed_records += 1
                    if len(summary.malformed_examples) < MALFORMED_EXAMPLES:
                        event = event_id(record)
                        label = f"{where}:{number}" + (f" (eventId {event})" if event else "")
                        summary.malformed_examples.append(f"{label}: {error}")
                    continue
                yield parsed
    except (OSError, UnicodeDecodeError) as error:
        raise InputDataError(f"{where}: cannot read capture file ({error})") from None


def _capture_chunks(
    file: Path, where: str, feature_order: list[str], chunk_rows: int, summary: InputSummary
) -> Iterator[Chunk]:
    buffer: list[dict[str, Any]] = []
    for rows in _capture_records(file, where, summary, lambda record: capture_record_rows(record, feature_order)):
        buffer.extend(rows)
        if len(buffer) >= chunk_rows:
            yield where, _typed_frame(buffer)
            buffer = []
    if buffer:
        yield where, _typed_frame(buffer)


# The columns of a chunk of captured predictions (`view="predictions"`); `monitoring.quality` joins
# them with the labels by `request_id`, `row` and `request_rows` (see `CapturedPrediction.key`).
CAPTURE_PREDICTION_COLUMNS = ("request_id", "row", "request_rows", "prediction", "score")


def _prediction_frame(predictions: list[Any]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        {
            "request_id": pd.array([p.request_id for p in predictions], dtype="string"),
            "row": np.fromiter((p.row for p in predictions), np.int64, len(predictions)),
            "request_rows": np.fromiter((p.request_rows for p in predictions), np.int64, len(predictions)),
            "prediction": pd.Series([p.prediction for p in predictions]),
            "score": np.fromiter((p.score for p in predictions), np.float64, len(predictions)),
        }
    )


def _capture_prediction_chunks(file: Path, where: str, chunk_rows: int, summary: InputSummary) -> Iterator[Chunk]:
    buffer: list[Any] = []
    for predictions in _capture_records(file, where, summary, record_predictions):
        buffer.extend(predictions)
        if len(buffer) >= chunk_rows:
            yield where, _prediction_frame(buffer)
            buffer = []
    if buffer:
        yield where, _prediction_frame(buffer)
