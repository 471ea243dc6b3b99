"""`python -m model_server.batch`: score files with a packaged model, the Kubernetes batch CronJob.

    python -m model_server.batch --model-dir DIR --input URI --output URI [--max-payload-mb N]

URIs: s3://bucket/prefix (or one key), file:///path, a plain path, or pvc://<claim>/<path> (read under
`serving_contract.BATCH_PVC_MOUNT_ROOT`, where the CronJob mounts the claim). The input is one file or
every .csv, .parquet and .jsonl file under the prefix/directory; each is read in chunks, so memory is
bounded by the chunk, not the file.

Every row is checked against the signature like a served request (column present, a number, finite,
missing only where the input is nullable, integral for integer inputs); a bad row is skipped and
reported with its file and row, never fatal. Good rows go through `request_path.Predictor`, the same
prediction and output encoding as the server, in mini-batches bounded by --max-payload-mb and the
server's row limit. Each input file gets one output file of the same format with the input row number
(`row`, 1-based, header excluded) and the signature's outputs (vector outputs as `<name>_<i>`
columns; JSONL keeps lists). Outputs are written to a temporary name (local) or key (S3) and moved to
the final one when complete, so a reader never sees a half-written file; `_summary.json` is written
last. Exit 0 when any row was scored, 1 when nothing could be scored or the model does not verify,
2 for bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contracts.errors import SlipstackError
from model_packaging.serving_contract import BATCH_PVC_MOUNT_ROOT

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl"}
SUMMARY_NAME = "_summary.json"
BAD_ROW_EXAMPLES = 1000
DEFAULT_CHUNK_ROWS = 50_000


class BatchError(SlipstackError):
    """Bad arguments or an unreadable location: nothing was scored."""

    exit_code = 2


class NothingScored(SlipstackError):
    """The job ran but no row could be scored (no input files, or every row was bad)."""

    exit_code = 1


class FileUnreadable(Exception):
    """One input file that cannot be read at all; reported, the job moves on to the next file."""


@dataclass(frozen=True)
class Location:
    """An input or output place: an S3 bucket + prefix, or a local path."""

    uri: str
    bucket: str | None = None
    key: str = ""
    path: Path | None = None

    @classmethod
    def parse(cls, uri: str, what: str) -> Location:
        if uri.startswith("s3://"):
            bucket, _, key = uri[len("s3://"):].partition("/")
            if not bucket:
                raise BatchError(f"--{what} {uri!r} names no bucket; use s3://bucket/prefix")
            return cls(uri, bucket=bucket, key=key)
        if uri.startswith("pvc://"):
            rest = uri[len("pvc://"):].strip("/")
            if not rest:
                raise BatchError(f"--{what} {uri!r} names no claim; use pvc://<claim>/<path>")
            return cls(uri, path=Path(BATCH_PVC_MOUNT_ROOT) / rest)
        if uri.startswith("file://"):
            return cls(uri, path=Path(uri[len("file://"):]))
        if "://" in uri:
            raise BatchError(f"--{what} {uri!r}: unsupported scheme; use s3://, file://, pvc:// or a path")
        return cls(uri, path=Path(uri))

    def join(self, relative: str) -> str:
        if self.bucket is not None:
            prefix = self.key.rstrip("/")
            return f"s3://{self.bucket}/{prefix + '/' if prefix else ''}{relative}"
        assert self.path is not None
        return str(self.path / relative)


@dataclass
class BadRow:
    file: str
    row: int
    reason: str


@dataclass
class FileResult:
    input: str
    output: str | None = None
    rows: int = 0
    scored: int = 0
    bad: int = 0
    error: str | None = None


@dataclass
class BatchSummary:
    model: str
    version: str
    digest: str
    files: list[FileResult] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    bad_row_count: int = 0

    @property
    def scored(self) -> int:
        return sum(f.scored for f in self.files)

    def add_bad(self, file: str, row: int, reason: str) -> None:
        self.bad_row_count += 1
        if len(self.bad_rows) < BAD_ROW_EXAMPLES:
            self.bad_rows.append(BadRow(file, row, reason))

    def to_json(self, seconds: float) -> str:
        return json.dumps({
            "model": self.model, "version": self.version, "digest": self.digest, "seconds": round(seconds, 3),
            "files": len(self.files), "rows": sum(f.rows for f in self.files), "scored": self.scored,
            "bad_rows": self.bad_row_count, "unreadable_files": sum(1 for f in self.files if f.error),
            "per_file": [f.__dict__ for f in self.files],
            "bad_row_examples": [b.__dict__ for b in self.bad_rows],
        }, indent=2) + "\n"


class Storage:
    """Lists, downloads and atomically publishes files on S3 or the local file system."""

    def __init__(self, s3_client: Any = None):
        self._s3 = s3_client

    def s3(self) -> Any:
        if self._s3 is None:
            import boto3

            self._s3 = boto3.client("s3")
        return self._s3

    def list_inputs(self, location: Location) -> list[tuple[str, str]]:
        """(uri, path relative to the location) of every input file, sorted."""
        if location.bucket is not None:
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                keys = [item["Key"] for page in self.s3().get_paginator("list_objects_v2").paginate(
                    Bucket=location.bucket, Prefix=location.key) for item in page.get("Contents", [])]
            except (BotoCoreError, ClientError) as error:
                raise BatchError(f"--input {location.uri}: cannot list ({error})") from None
            if location.key in keys and _kind(location.key):  # one object named exactly
                return [(f"s3://{location.bucket}/{location.key}", Path(location.key).name)]
            base = location.key.rstrip("/") + "/" if location.key else ""
            return [(f"s3://{location.bucket}/{key}", key[len(base):]) for key in sorted(keys)
                    if _kind(key) and key.startswith(base) and not Path(key).name.startswith((".", "_"))]
        assert location.path is not None
        if location.path.is_file():
            return [(str(location.path), location.path.name)] if _kind(location.path.name) else []
        if location.path.is_dir():
            return [(str(p), p.relative_to(location.path).as_posix()) for p in sorted(location.path.rglob("*"))
                    if p.is_file() and _kind(p.name) and not p.name.startswith((".", "_"))]
        raise BatchError(f"--input {location.uri}: no such file or directory")

    @contextlib.contextmanager
    def local_copy(self, uri: str, scratch: Path) -> Iterator[Path]:
        if not uri.startswith("s3://"):
            yield Path(uri)
            return
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, _, key = uri[len("s3://"):].partition("/")
        local = scratch / f"in-{uuid.uuid4().hex}{''.join(Path(key).suffixes)}"
        try:
            self.s3().download_file(bucket, key, str(local))
        except (BotoCoreError, ClientError) as error:
            raise FileUnreadable(f"cannot download ({error})") from None
        try:
            yield local
        finally:
            local.unlink(missing_ok=True)

    def publish(self, local: Path, uri: str) -> None:
        """Move a finished local file to `uri`: temporary name or key first, then the final one."""
        if uri.startswith("s3://"):
            bucket, _, key = uri[len("s3://"):].partition("/")
            parent, _, name = key.rpartition("/")
            temporary = f"{parent + '/' if parent else ''}_tmp/{uuid.uuid4().hex}-{name}"
            s3 = self.s3()
            s3.upload_file(str(local), bucket, temporary)
            try:
                s3.copy({"Bucket": bucket, "Key": temporary}, bucket, key)
            finally:
                s3.delete_object(Bucket=bucket, Key=temporary)
            return
        final = Path(uri)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary_path = final.with_name(f".{final.name}.{uuid.uuid4().hex}.partial")
        try:
            shutil.copyfile(local, temporary_path)
            os.replace(temporary_path, final)
        finally:
            temporary_path.unlink(missing_ok=True)


def _kind(name: str) -> str | None:
    return SUFFIXES.get(Path(name).suffix.lower())


def _output_name(relative: str) -> str:
    path = Path(relative)
    return path.with_name(f"{path.stem}.predictions{path.suffix}").as_posix()


def read_chunks(path: Path, kind: str, columns: list[str], chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The file as DataFrames of at most `chunk_rows` rows; bad JSONL lines arrive as rows of NaN + _error."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    try:
        if kind == "parquet":
            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
                yield batch.to_pandas()
        elif kind == "csv":
            # Signature columns read as text, so a stray word is one bad row instead of a file-wide type error.
            convert = pa_csv.ConvertOptions(column_types={name: pa.string() for name in columns},
                                            strings_can_be_null=True)
            reader = pa_csv.open_csv(path, read_options=pa_csv.ReadOptions(block_size=max(1 << 20, chunk_rows * 64)),
                                     convert_options=convert)
            buffered: list[pd.DataFrame] = []
            size = 0
            for batch in reader:
                buffered.append(batch.to_pandas())
                size += batch.num_rows
                if size >= chunk_rows:
                    yield pd.concat(buffered, ignore_index=True)
                    buffered, size = [], 0
            if buffered:
                yield pd.concat(buffered, ignore_index=True)
        else:
            records: list[dict[str, Any]] = []
            with path.open("r", encoding="utf-8") as lines:
                for line in lines:
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                        if not isinstance(record, dict):
                            raise ValueError("the line is not a JSON object")
                    except ValueError as error:
                        record = {"_error": f"not a JSON object of features ({error})"}
                    records.append(record)
                    if len(records) >= chunk_rows:
                        yield pd.DataFrame.from_records(records)
                        records = []
            if records:
                yield pd.DataFrame.from_records(records)
    except (pa.ArrowException, OSError, UnicodeDecodeError) as error:
        raise FileUnreadable(f"not a readable {kind} file ({error})") from None


def validate_chunk(frame: pd.DataFrame, inputs: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(matrix of every row, mask of good rows, reason per row ('' when good)), by the server's rules."""
    import numpy as np
    import pandas as pd

    rows = len(frame)
    matrix = np.empty((rows, len(inputs)), dtype=np.float64)
    reasons = [""] * rows
    errors = frame["_error"] if "_error" in frame.columns else None
    if errors is not None:
        for index in np.flatnonzero(errors.notna().to_numpy()):
            reasons[index] = str(errors.iloc[index])
    for column, feature in enumerate(inputs):
        name = feature["name"]
        raw = frame[name]
        # Booleans and text are not numbers for a numeric input, as in the server's request path.
        is_bool = raw.map(lambda v: isinstance(v, bool)).to_numpy() if raw.dtype == object else \
            np.zeros(rows, dtype=bool)
        numeric = pd.to_numeric(raw.where(~is_bool), errors="coerce").astype("float64")
        values = numeric.to_numpy()
        present = raw.notna().to_numpy()
        not_number = (present & np.isnan(values)) | is_bool
        infinite = np.isinf(values)
        missing = ~present
        bad = not_number | infinite | (missing & (not feature.get("nullable", False)))
        if feature["dtype"] in ("int64", "int32"):
            bad |= np.isfinite(values) & (values != np.round(values))
        for index in np.flatnonzero(bad):
            if reasons[index]:
                continue
            if not_number[index]:
                reasons[index] = f"input '{name}': {raw.iloc[index]!r} is not a number"
            elif infinite[index]:
                reasons[index] = f"input '{name}' is infinite"
            elif missing[index]:
                reasons[index] = f"input '{name}' is missing (the signature says nullable: false)"
            else:
                reasons[index] = f"input '{name}': {raw.iloc[index]!r} is not an integer ({feature['dtype']})"
        matrix[:, column] = values
    good = np.array([not reason for reason in reasons], dtype=bool)
    return matrix, good, reasons


def output_frame(tensors: list[dict[str, Any]], row_numbers: np.ndarray, kind: str) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    columns: dict[str, Any] = {"row": row_numbers}
    rows = len(row_numbers)
    for tensor in tensors:
        values = np.asarray(tensor["data"]).reshape(rows, -1)
        if values.shape[1] == 1:
            columns[tensor["name"]] = values[:, 0]
        elif kind == "jsonl":
            columns[tensor["name"]] = values.tolist()
        else:
            for i in range(values.shape[1]):
                columns[f"{tensor['name']}_{i}"] = values[:, i]
    return pd.DataFrame(columns)


class OutputWriter:
    """Appends output frames to one local file of the input's format."""

    def __init__(self, path: Path, kind: str):
        self.path, self.kind = path, kind
        self._parquet: Any = None
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        if self.kind == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.path, table.schema)
            self._parquet.write_table(table)
        elif self.kind == "csv":
            frame.to_csv(self.path, mode="a", header=self.rows == 0, index=False)
        else:
            with self.path.open("a", encoding="utf-8") as out:
                frame.to_json(out, orient="records", lines=True)
        self.rows += len(frame)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()


def score_file(predictor: Any, uri: str, relative: str, output: Location, storage: Storage, scratch: Path,
               summary: BatchSummary, rows_per_batch: int, chunk_rows: int) -> FileResult:
    result = FileResult(input=uri)
    kind = _kind(relative)
    assert kind is not None
    inputs = predictor.manifest.signature["inputs"]
    names = [feature["name"] for feature in inputs]
    local_out = scratch / f"out-{uuid.uuid4().hex}.{kind}"
    writer = OutputWriter(local_out, kind)
    try:
        with storage.local_copy(uri, scratch) as local:
            for chunk in read_chunks(local, kind, names, chunk_rows):
                first_row = result.rows + 1
                result.rows += len(chunk)
                missing = [name for name in names if name not in chunk.columns]
                if missing and kind == "jsonl":  # a key absent from every record of the chunk: rows, not the file
                    chunk = chunk.reindex(columns=[*chunk.columns, *missing])
                elif missing:
                    raise FileUnreadable(f"missing column(s) {missing[:5]}; the signature's inputs are "
                                         f"{names[:8]}{' …' if len(names) > 8 else ''}")
                matrix, good, reasons = validate_chunk(chunk, inputs)
                for index, reason in enumerate(reasons):
                    if reason:
                        summary.add_bad(uri, first_row + index, reason)
                result.bad += int((~good).sum())
                import numpy as np

                row_numbers = np.flatnonzero(good) + first_row
                scored = matrix[good]
                for start in range(0, len(scored), rows_per_batch):
                    part = scored[start:start + rows_per_batch]
                    writer.write(output_frame(predictor.respond(part), row_numbers[start:start + len(part)], kind))
                result.scored += len(scored)
        writer.close()
        if result.scored:
            result.output = output.join(_output_name(relative))
            storage.publish(local_out, result.output)
    except FileUnreadable as error:
        writer.close()
        result.error = f"{uri}: {error}"
        result.bad = result.rows
        result.scored = 0
    finally:
        local_out.unlink(missing_ok=True)
    return result


def run(model_dir: Path, input_uri: str, output_uri: str, max_payload_mb: int = 6,
        chunk_rows: int = DEFAULT_CHUNK_ROWS, s3_client: Any = None, log: Any = None) -> BatchSummary:
    from model_packaging.verify import verify_directory
    from model_server.request_path import MAX_ROWS, Predictor

    out = sys.stdout if log is None else log
    started = time.monotonic()
    source = Location.parse(input_uri, "input")
    target = Location.parse(output_uri, "output")
    if not model_dir.is_dir():
        raise BatchError(f"--model-dir {model_dir}: not a directory; pass the fetched, packaged artifact")
    manifest = verify_directory(model_dir)
    predictor = Predictor(model_dir, manifest)
    # The server's row limit, and a payload cap like the SageMaker batch transform's MaxPayloadInMB.
    width = max(1, len(manifest.signature["inputs"]))
    rows_per_batch = max(1, min(MAX_ROWS, (max_payload_mb * 1024 * 1024) // (8 * width)))
    storage = Storage(s3_client)
    files = storage.list_inputs(source)
    summary = BatchSummary(manifest.model.name, manifest.model.version, manifest.digest)
    if not files:
        raise NothingScored(f"--input {input_uri}: no .csv, .parquet or .jsonl files to score")
    with tempfile.TemporaryDirectory(prefix="slipstack-batch-") as scratch_name:
        scratch = Path(scratch_name)
        for uri, relative in files:
            result = score_file(predictor, uri, relative, target, storage, scratch, summary, rows_per_batch,
                                chunk_rows)
            summary.files.append(result)
            state = f"error: {result.error}" if result.error else f"-> {result.output or '(no output: no good rows)'}"
            print(f"{uri}: {result.rows} rows, {result.scored} scored, {result.bad} bad {state}", file=out,
                  flush=True)
        summary_file = scratch / SUMMARY_NAME
        summary_file.write_text(summary.to_json(time.monotonic() - started))
        storage.publish(summary_file, target.join(SUMMARY_NAME))
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model_server.batch", description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", required=True, type=Path, help="The packaged (fetched) artifact directory.")
    parser.add_argument("--input", required=True, help="File, directory, s3:// prefix or pvc:// path to score.")
    parser.add_argument("--output", required=True, help="Directory, s3:// prefix or pvc:// path for outputs.")
    parser.add_argument("--max-payload-mb", type=int, default=6, help="Largest mini-batch sent to the model (MB).")
    parser.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS, help="Rows read at a time.")
    args = parser.parse_args(argv)
    if not 1 <= args.max_payload_mb <= 100 or args.chunk_rows < 1:
        print("error: --max-payload-mb must be 1-100 and --chunk-rows at least 1", file=sys.stderr)
        return 2
    try:
        summary = run(args.model_dir, args.input, args.output, args.max_payload_mb, args.chunk_rows)
    except SlipstackError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    examples = summary.bad_rows[:5]
    for bad in examples:
        print(f"bad row: {bad.file} row {bad.row}: {bad.reason}", file=sys.stderr)
    if summary.bad_row_count > len(examples):
        print(f"... {summary.bad_row_count - len(examples)} more bad rows in {SUMMARY_NAME}", file=sys.stderr)
    rows = sum(f.rows for f in summary.files)
    print(f"scored {summary.scored} of {rows} rows in {len(summary.files)} file(s); {summary.bad_row_count} bad; "
          f"summary {Location.parse(args.output, 'output').join(SUMMARY_NAME)}", flush=True)
    if summary.scored == 0:
        print("error: nothing could be scored (see the bad rows and file errors above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
