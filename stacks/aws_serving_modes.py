"""What each SageMaker serving mode needs from its data, read from the resolved spec.

- every mode: the SageMaker Model's container tells the handler which mode it serves
  (`SLIPSTACK_SERVING_MODE`), so it applies that mode's request caps (model_packaging/serving_contract.py);
- async: where callers upload requests, where results and failures land (defaults under the model's bucket),
  as S3 locations the execution role reads or writes and the invoker policy grants;
- batch: run-scoped input and output (one folder per scheduled time, so a run reads only its own files and
  never overwrites another run's results), and the mini-batch settings of CreateTransformJob, chosen so one
  CSV record gives one output line and no request exceeds the handler's batch caps.

`stacks/aws_model.py` composes the components from these; the IAM tests read the same locations back from
the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from contracts.artifact_layout import ARTIFACT_KEY_PREFIX
from contracts.errors import SlipstackError
from model_packaging.serving_contract import MODE_LIMITS, SERVING_MODE_ENV

ASYNC_INPUT_PREFIX = "async-inputs/"
ASYNC_RESULTS_PREFIX = "async-results/"
ASYNC_FAILURES_PREFIX = "async-failures/"
# EventBridge Scheduler fills this in per run (ISO 8601, e.g. 2026-12-02T02:00:00Z): batch producers drop a
# run's files under <input_uri><scheduled time>/ and find its predictions under <output_uri><scheduled time>/.
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
# SageMaker's MaxPayloadInMB bounds (CreateTransformJob): 0 means unlimited and is never chosen.
MAX_PAYLOAD_LIMIT_MB = 100
MEBIBYTE = 1024 * 1024


class ServingModeError(SlipstackError):
    """A mode setting that is valid on its own but cannot be deployed as written."""

    exit_code = 2


def serving_mode_environment(mode: str) -> dict[str, str]:
    """The container environment that selects the handler's per-mode request caps."""
    return {SERVING_MODE_ENV: mode}


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ending in "/"

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        return cls(bucket, prefix if not prefix or prefix.endswith("/") else prefix + "/")

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def objects_arn(self) -> str:
        """Every object under the prefix, as an IAM resource."""
        return f"arn:aws:s3:::{self.bucket}/{self.prefix}*"


@dataclass(frozen=True)
class AsyncLocations:
    input: S3Location
    output: S3Location
    failure: S3Location


def async_locations(
    input_uri: str | None, output_uri: str | None, failure_uri: str | None, bucket_name: str, source: str
) -> AsyncLocations:
    """The async prefixes, defaulting to the model's bucket; refuses prefixes that would share data."""
    locations = AsyncLocations(
        input=S3Location.parse(input_uri or f"s3://{bucket_name}/{ASYNC_INPUT_PREFIX}"),
        output=S3Location.parse(output_uri or f"s3://{bucket_name}/{ASYNC_RESULTS_PREFIX}"),
        failure=S3Location.parse(failure_uri or f"s3://{bucket_name}/{ASYNC_FAILURES_PREFIX}"),
    )
    named = (("input_uri", locations.input), ("output_uri", locations.output), ("failure_uri", locations.failure))
    for field, location in named:
        # Callers may write the input prefix: it must never reach the model artifacts or captured data.
        if location.bucket == bucket_name and (
            not location.prefix or location.prefix.startswith(f"{ARTIFACT_KEY_PREFIX}/")
        ):
            raise ServingModeError(
                f"{source}: serving.async_inference.{field}: '{location.uri}' would share the model's artifacts "
                f"(use a prefix of its own, e.g. s3://{bucket_name}/{ASYNC_INPUT_PREFIX})"
            )
    for index, (field, location) in enumerate(named):
        for other_field, other in named[index + 1 :]:
            if location.bucket == other.bucket and (
                location.prefix.startswith(other.prefix) or other.prefix.startswith(location.prefix)
            ):
                raise ServingModeError(
                    f"{source}: serving.async_inference.{field}: '{location.uri}' overlaps {other_field} "
                    f"'{other.uri}' (callers would read each other's requests and results; give each its own prefix)"
                )
    return locations


def run_scoped_uri(uri: str) -> str:
    """`s3://in/daily/` -> `s3://in/daily/<aws.scheduler.scheduled-time>/`, filled in by the scheduler per run."""
    return f"{uri.rstrip('/')}/{SCHEDULED_TIME}/"


@dataclass(frozen=True)
class MiniBatch:
    strategy: Literal["MultiRecord", "SingleRecord"]
    max_payload_mb: int


def min_csv_record_bytes(feature_count: int) -> int:
    """The shortest CSV record of a signature: one character per value, the commas and the newline."""
    return 2 * feature_count


def batch_mini_batch(feature_count: int, requested_mb: int, limits: dict[str, int] | None = None) -> MiniBatch:
    """MaxPayloadInMB and BatchStrategy such that no mini-batch exceeds the handler's batch caps.

    SageMaker packs whole records into a request up to MaxPayloadInMB (MiB); the most records a request can
    then hold is MaxPayloadInMB * 2^20 / (the shortest possible record), which must stay within the row cap,
    and the size itself within the byte cap. When even 1 MB could hold too many records, each record is
    sent alone (SingleRecord), which is always within the caps.
    """
    caps = limits or MODE_LIMITS["batch"]
    by_bytes = caps["max_bytes"] // MEBIBYTE
    by_rows = caps["max_rows"] * min_csv_record_bytes(feature_count) // MEBIBYTE
    size = min(requested_mb, by_bytes, by_rows, MAX_PAYLOAD_LIMIT_MB)
    if size < 1:
        return MiniBatch("SingleRecord", max(1, min(requested_mb, by_bytes)))
    return MiniBatch("MultiRecord", size)
