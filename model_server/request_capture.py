"""`RequestCapture`: a sample of served requests written where the on-prem drift job reads them.

SageMaker captures requests itself; MLServer does not, so on Kubernetes the runtime does it. Each
sampled request becomes one line in SageMaker's data-capture JSONL format (what
`monitoring.sources` reads):

    {"captureData": {"endpointInput":  {"observedContentType": "application/json", "mode": "INPUT",
                                        "data": "<V2 request JSON>", "encoding": "JSON"},
                     "endpointOutput": {... "mode": "OUTPUT", "data": "<V2 outputs JSON>" ...}},
     "eventMetadata": {"eventId": "<uuid>", "inferenceId": "<V2 request id>", "inferenceTime": "..."},
     "eventVersion": "0"}

The input written is the validated, canonical request (one [rows] FP64 tensor per signature input, in
signature order; a missing value as null), so every captured row has exactly the signature's features
whatever shape the client sent.

The request path only appends to a bounded in-memory buffer (no I/O, no JSON encoding). A
background thread writes a file every `flush_records` records or `flush_seconds` seconds to
`<uri>/<yyyy>/<mm>/<dd>/<hh>/<uuid>.jsonl` (UTC), on S3 with boto3 or in a local directory (written
to a temporary name, then renamed). Capture never fails or delays a prediction: a write that fails is
counted (failures, dropped records) and logged, and a full buffer drops new records, counted.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import random
import tempfile
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.errors import SlipstackError
from model_packaging import serving_contract as contract

logger = logging.getLogger("slipstack.capture")

EVENT_VERSION = "0"
JSON_CONTENT_TYPE = "application/json"


class CaptureSettingsError(SlipstackError):
    """A capture setting out of range or a destination that is not a directory or s3:// URI."""

    exit_code = 2


class CaptureSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    uri: str = Field(min_length=1, description="s3://bucket/prefix or a local directory.")
    percent: float = Field(default=100, gt=0, le=100, description="Share of requests captured.")
    flush_records: int = Field(default=contract.CAPTURE_DEFAULT_FLUSH_RECORDS, ge=1, le=1_000_000,
                               description="Write a file once this many records wait.")
    flush_seconds: float = Field(default=contract.CAPTURE_DEFAULT_FLUSH_SECONDS, gt=0, le=3600,
                                 description="Write a file at least this often while records wait.")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> CaptureSettings | None:
        """The settings from SLIPSTACK_CAPTURE_*; None when no destination is set (capture off)."""
        env = os.environ if environ is None else environ
        uri = env.get(contract.CAPTURE_URI_ENV, "").strip()
        if not uri:
            return None
        values: dict[str, Any] = {"uri": uri}
        variables = {"percent": contract.CAPTURE_PERCENT_ENV, "flush_records": contract.CAPTURE_FLUSH_RECORDS_ENV,
                     "flush_seconds": contract.CAPTURE_FLUSH_SECONDS_ENV}
        for field, name in variables.items():
            raw = env.get(name, "").strip()
            if raw:
                values[field] = raw
        if uri.startswith("s3://") and not uri[len("s3://"):].split("/", 1)[0]:
            raise CaptureSettingsError(f"{contract.CAPTURE_URI_ENV}={uri!r} names no bucket; use s3://bucket/prefix")
        if "://" in uri and not uri.startswith(("s3://", "file://")):
            raise CaptureSettingsError(f"{contract.CAPTURE_URI_ENV}={uri!r}: only s3:// URIs and local directories "
                                       "are supported")
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            first = error.errors()[0]
            field = str(first["loc"][0])
            raise CaptureSettingsError(f"{variables.get(field, field)}={values.get(field)!r}: {first['msg']} "
                                       "(percent 1-100, flush records 1-1,000,000, flush seconds 0-3600)") from None

    def environment(self) -> dict[str, str]:
        return {contract.CAPTURE_URI_ENV: self.uri, contract.CAPTURE_PERCENT_ENV: f"{self.percent:g}",
                contract.CAPTURE_FLUSH_RECORDS_ENV: str(self.flush_records),
                contract.CAPTURE_FLUSH_SECONDS_ENV: f"{self.flush_seconds:g}"}


@dataclass(frozen=True)
class PendingRecord:
    """What the request path hands over; encoded to JSON only in the writer thread."""

    inference_id: str | None
    input_names: tuple[str, ...]
    features: np.ndarray
    outputs: list[dict[str, Any]]
    captured_at: datetime


def _column(values: np.ndarray) -> list[float | None]:
    return [None if v != v else float(v) for v in values.tolist()]  # v != v: NaN (a nullable input left empty)


def capture_line(record: PendingRecord) -> str:
    """One data-capture JSONL line."""
    rows = int(record.features.shape[0])
    request = {"inputs": [{"name": name, "shape": [rows], "datatype": "FP64", "data": _column(record.features[:, i])}
                          for i, name in enumerate(record.input_names)]}
    if record.inference_id:
        request["id"] = record.inference_id  # type: ignore[assignment]
    metadata = {"eventId": str(uuid.uuid4()),
                "inferenceTime": record.captured_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    if record.inference_id:
        metadata["inferenceId"] = record.inference_id
    return json.dumps({
        "captureData": {
            "endpointInput": {"observedContentType": JSON_CONTENT_TYPE, "mode": "INPUT",
                              "data": json.dumps(request, separators=(",", ":")), "encoding": "JSON"},
            "endpointOutput": {"observedContentType": JSON_CONTENT_TYPE, "mode": "OUTPUT",
                               "data": json.dumps({"outputs": record.outputs}, separators=(",", ":")),
                               "encoding": "JSON"},
        },
        "eventMetadata": metadata,
        "eventVersion": EVENT_VERSION,
    }, separators=(",", ":"))


class CaptureDestination:
    """Writes one file of lines under `<uri>/<yyyy>/<mm>/<dd>/<hh>/<uuid>.jsonl`."""

    def __init__(self, uri: str, s3_client: Any = None):
        self.uri = uri.rstrip("/")
        self._s3 = s3_client
        if self.uri.startswith("file://"):
            self.uri = self.uri[len("file://"):]

    def relative_key(self, when: datetime) -> str:
        return f"{when:%Y/%m/%d/%H}/{uuid.uuid4()}.jsonl"

    def write(self, body: bytes, when: datetime) -> str:
        relative = self.relative_key(when)
        if self.uri.startswith("s3://"):
            bucket, _, prefix = self.uri[len("s3://"):].partition("/")
            key = f"{prefix}/{relative}" if prefix else relative
            if self._s3 is None:
                import boto3

                self._s3 = boto3.client("s3")
            # One PUT: an S3 object is visible only once complete, so the drift job never reads half a file.
            self._s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/jsonl")
            return f"s3://{bucket}/{key}"
        final = Path(self.uri) / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        # A dot-name the drift reader skips (.jsonl suffix only after the rename), then an atomic rename.
        handle, temporary = tempfile.mkstemp(prefix=".", suffix=".partial", dir=final.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(body)
            os.replace(temporary, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return str(final)


class RequestCapture:
    """Samples requests into a buffer; a daemon thread flushes it to the destination."""

    def __init__(self, settings: CaptureSettings, input_names: list[str], metrics: Any = None,
                 labels: tuple[str, str] = ("", ""), s3_client: Any = None,
                 sample: Callable[[], float] = random.random):
        self.settings = settings
        self.input_names = tuple(input_names)
        self.destination = CaptureDestination(settings.uri, s3_client)
        self._metrics = metrics
        self._labels = labels
        self._sample = sample
        self._buffer: list[PendingRecord] = []
        # Bounded: while the destination is down, memory stays within ten files' worth of records.
        self._max_buffered = settings.flush_records * 10
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._flush_lock = threading.Lock()
        self.written = 0
        self.failures = 0
        self.dropped = 0
        self.files: list[str] = []
        self._thread = threading.Thread(target=self._run, name="slipstack-capture", daemon=True)
        self._thread.start()
        # MLServer 1.7 never unloads models on shutdown: without this, a pod stopping would lose up to
        # flush_seconds of captured requests.
        atexit.register(self.close)

    def offer(self, inference_id: str | None, features: np.ndarray, outputs: list[dict[str, Any]]) -> bool:
        """Capture this request if it is sampled; never raises. True when it was buffered."""
        try:
            if self.settings.percent < 100 and self._sample() * 100 >= self.settings.percent:
                return False
            record = PendingRecord(inference_id, self.input_names, features, outputs, datetime.now(UTC))
            with self._lock:
                if len(self._buffer) >= self._max_buffered:
                    self._count_dropped(1)
                    return False
                self._buffer.append(record)
                full = len(self._buffer) >= self.settings.flush_records
            if full:
                self._wake.set()
            return True
        except Exception:  # capture must never cost a prediction
            logger.exception("request capture failed; the prediction is answered regardless")
            self._count_failure()
            return False

    def flush(self) -> int:
        """Write every buffered record now (one file); returns how many were written."""
        with self._flush_lock:
            with self._lock:
                pending, self._buffer = self._buffer, []
            if not pending:
                return 0
            try:
                body = ("\n".join(capture_line(record) for record in pending) + "\n").encode()
                self.files.append(self.destination.write(body, pending[0].captured_at))
            except Exception as error:
                logger.warning("capture: writing %d records to %s failed (%s); they are dropped",
                               len(pending), self.settings.uri, error)
                self._count_failure()
                self._count_dropped(len(pending))
                return 0
            self.written += len(pending)
            if self._metrics is not None:
                self._metrics.capture_records.labels(*self._labels).inc(len(pending))
            return len(pending)

    def close(self) -> None:
        """Stop the writer thread and write what is left."""
        atexit.unregister(self.close)
        self._stopped.set()
        self._wake.set()
        self._thread.join(timeout=30)
        self.flush()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self.settings.flush_seconds)
            self._wake.clear()
            if self._stopped.is_set():
                return
            self.flush()

    def _count_failure(self) -> None:
        self.failures += 1
        if self._metrics is not None:
            with contextlib.suppress(Exception):
                self._metrics.capture_failures.labels(*self._labels).inc()

    def _count_dropped(self, count: int) -> None:
        self.dropped += count
        if self._metrics is not None:
            with contextlib.suppress(Exception):
                self._metrics.capture_dropped.labels(*self._labels).inc(count)
