"""Drift partials on disk or in S3: one versioned JSON file per shard, merged by a final step.

A sharded drift check (several SageMaker Processing instances with `ShardedByS3Key`, or any set of
machines that split the input between them) runs in two steps:

1. every shard computes the `DataPartial` of its own files and writes it with `write_shard`
   (`slipstack drift ... --partials-out DIR_OR_S3_PREFIX`): no verdict, nothing published;
2. one merge step reads every shard file with `read_shards`, checks that all shards of the run are
   there and were computed against the same reference profile and feature selection, merges them and
   hands the result to the same `check_drift` a single run uses (`slipstack drift merge`).

The JSON form round-trips a partial exactly: counts are integers, floats are written by Python's
shortest round-tripping repr (non-finite values as the strings "inf", "-inf", "nan"), so a merge of
shards read back from JSON equals the in-memory merge bit for bit.

Each shard file records which shard it is (`index` of `count`, 1-based), so the merge can name a
shard whose file is missing instead of silently merging fewer rows.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from monitoring.drift import InputSummary
from monitoring.errors import InputDataError, MonitoringError
from monitoring.profile import ReferenceProfile
from monitoring.statistics import (
    CategoricalLayout,
    CategoricalPartial,
    DataPartial,
    FeatureLayout,
    FeaturePartial,
    Moments,
    NumericPartial,
)

PARTIALS_FORMAT = "slipstack-drift-partials"
# 2: numeric partials count infinite values, and discrete features by value (profile version 2)
PARTIALS_VERSION = 2
# Where SageMaker tells a Processing container which host it is and which hosts run the job.
SAGEMAKER_RESOURCE_CONFIG = Path("/opt/ml/config/resourceconfig.json")


class PartialsError(MonitoringError):
    """A shard's partials file is missing, unreadable, or does not belong to this run."""


@dataclass(frozen=True)
class ShardIdentity:
    """Which shard of how many this process computes (1-based)."""

    index: int
    count: int

    @property
    def file_name(self) -> str:
        return f"shard-{self.index}-of-{self.count}.json"


@dataclass(frozen=True)
class ShardPartial:
    """One shard's file, read back: its identity, what it read and its partial statistics."""

    source: str
    shard: ShardIdentity
    profile_fingerprint: str
    features: tuple[str, ...]
    summary: InputSummary
    partial: DataPartial


def profile_fingerprint(profile: ReferenceProfile) -> str:
    """sha256 of the profile's canonical JSON: shards merge only if they used the same profile."""
    text = json.dumps(profile.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def detect_shard(
    index: int | None, count: int | None, resource_config: Path = SAGEMAKER_RESOURCE_CONFIG
) -> ShardIdentity:
    """The shard this process computes: explicit options, else SageMaker's host list, else 1 of 1.

    SageMaker names the hosts of a Processing job algo-1..algo-N and writes them, with the current
    host, to resourceconfig.json; the sorted position of the current host is the shard index.
    """
    if index is not None or count is not None:
        if index is None or count is None:
            raise InputDataError("--shard-index and --shard-count go together; pass both or neither")
        if not 1 <= index <= count:
            raise InputDataError(f"--shard-index {index} is outside 1..{count} (--shard-count)")
        return ShardIdentity(index, count)
    if resource_config.is_file():
        try:
            config = json.loads(resource_config.read_text(encoding="utf-8"))
            hosts = sorted(config["hosts"], key=lambda h: (len(h), h))  # algo-2 before algo-10
            return ShardIdentity(hosts.index(config["current_host"]) + 1, len(hosts))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InputDataError(
                f"{resource_config}: cannot tell which shard this host is ({error}); pass --shard-index and "
                "--shard-count"
            ) from None
    return ShardIdentity(1, 1)


# --- JSON form -----------------------------------------------------------------------------------


def _float_out(value: float) -> float | str:
    # JSON has no Infinity/NaN; repr-based strings keep them exact and the file valid JSON.
    return value if math.isfinite(value) else repr(value)


def _float_in(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{where}: {value!r} is not a number")
    if isinstance(value, str) and value not in ("inf", "-inf", "nan"):
        raise ValueError(f"{where}: {value!r} is not a number")
    return float(value)


def _int_in(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{where}: {value!r} is not a non-negative integer")
    return value


def _counts_in(value: Any, where: str) -> np.ndarray:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list of counts")
    return np.asarray([_int_in(v, f"{where}[{i}]") for i, v in enumerate(value)], dtype=np.int64)


def partial_to_json(partial: DataPartial) -> dict[str, Any]:
    """The JSON form of a partial; `partial_from_json` restores it exactly."""
    features: dict[str, Any] = {}
    for name, feature in partial.features.items():
        if isinstance(feature, NumericPartial):
            features[name] = {
                "kind": "numeric",
                "counts": [int(c) for c in feature.counts],
                "missing": int(feature.missing),
                "moments": {
                    "count": int(feature.moments.count),
                    "mean": _float_out(feature.moments.mean),
                    "m2": _float_out(feature.moments.m2),
                },
                "minimum": _float_out(feature.minimum),
                "maximum": _float_out(feature.maximum),
                "infinite": int(feature.infinite),
            }
        else:
            features[name] = {
                "kind": "categorical",
                "counts": [int(c) for c in feature.counts],
                "unseen": int(feature.unseen),
                "missing": int(feature.missing),
                "unseen_examples": list(feature.unseen_examples),
            }
    return {"rows": int(partial.rows), "features": features}


def partial_from_json(data: Any) -> DataPartial:
    """Parse the JSON form; raises ValueError naming the bad field."""
    if not isinstance(data, dict) or not isinstance(data.get("features"), dict):
        raise ValueError("partial: expected an object with 'rows' and 'features'")
    features: dict[str, FeaturePartial] = {}
    for name, item in data["features"].items():
        where = f"partial.features.{name}"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: expected an object")
        kind = item.get("kind")
        if kind == "numeric":
            moments = item.get("moments")
            if not isinstance(moments, dict):
                raise ValueError(f"{where}.moments: expected an object")
            features[name] = NumericPartial(
                counts=_counts_in(item.get("counts"), f"{where}.counts"),
                missing=_int_in(item.get("missing"), f"{where}.missing"),
                moments=Moments(
                    _int_in(moments.get("count"), f"{where}.moments.count"),
                    _float_in(moments.get("mean"), f"{where}.moments.mean"),
                    _float_in(moments.get("m2"), f"{where}.moments.m2"),
                ),
                minimum=_float_in(item.get("minimum"), f"{where}.minimum"),
                maximum=_float_in(item.get("maximum"), f"{where}.maximum"),
                infinite=_int_in(item.get("infinite"), f"{where}.infinite"),
            )
        elif kind == "categorical":
            examples = item.get("unseen_examples", [])
            if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
                raise ValueError(f"{where}.unseen_examples: expected a list of strings")
            features[name] = CategoricalPartial(
                counts=_counts_in(item.get("counts"), f"{where}.counts"),
                unseen=_int_in(item.get("unseen"), f"{where}.unseen"),
                missing=_int_in(item.get("missing"), f"{where}.missing"),
                unseen_examples=tuple(examples),
            )
        else:
            raise ValueError(f"{where}.kind: {kind!r} is neither 'numeric' nor 'categorical'")
    return DataPartial(_int_in(data.get("rows"), "partial.rows"), features)


def shard_document(
    partial: DataPartial, shard: ShardIdentity, profile: ReferenceProfile, summary: InputSummary
) -> dict[str, Any]:
    return {
        "format": PARTIALS_FORMAT,
        "version": PARTIALS_VERSION,
        "shard": {"index": shard.index, "count": shard.count},
        "profile_sha256": profile_fingerprint(profile),
        "features": list(partial.features),
        "input": summary.model_dump(mode="json"),
        "partial": partial_to_json(partial),
    }


# --- writing -------------------------------------------------------------------------------------


def shard_destination(partials_out: str, shard: ShardIdentity) -> str:
    """A `.json` path is used as given; a directory or S3 prefix gets `shard-<i>-of-<n>.json`."""
    if partials_out.endswith(".json"):
        return partials_out
    return partials_out.rstrip("/") + "/" + shard.file_name


def write_shard(document: dict[str, Any], destination: str, s3_client: Any = None) -> str:
    """Write one shard file atomically (temp file + rename locally; one PutObject in S3)."""
    text = json.dumps(document, allow_nan=False, separators=(",", ":")) + "\n"
    if destination.startswith("s3://"):
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, _, key = destination[len("s3://") :].partition("/")
        if not bucket or not key:
            raise InputDataError(f"--partials-out {destination}: give s3://bucket/prefix/")
        client = s3_client
        if client is None:
            import boto3

            client = boto3.client("s3")
        try:
            client.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType="application/json")
        except (BotoCoreError, ClientError) as error:
            raise PartialsError(f"{destination}: cannot write the shard's partials ({error})") from None
        return destination
    path = Path(destination)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise PartialsError(f"{destination}: cannot write the shard's partials ({error})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return str(path)


# --- reading and merging -------------------------------------------------------------------------


def _shard_sources(location: str, s3_client: Any) -> list[tuple[str, bytes | None]]:
    """(name, content) of every shard file under a directory or S3 prefix; content None = unreadable."""
    if location.startswith("s3://"):
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, _, prefix = location[len("s3://") :].partition("/")
        client = s3_client
        if client is None:
            import boto3

            client = boto3.client("s3")
        try:
            keys = sorted(
                item["Key"]
                for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                for item in page.get("Contents", [])
                if item["Key"].endswith(".json")
            )
            return [
                (f"s3://{bucket}/{key}", client.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in keys
            ]
        except (BotoCoreError, ClientError) as error:
            raise PartialsError(f"{location}: cannot read the shard partials ({error})") from None
    path = Path(location)
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*.json") if p.is_file() and not p.name.startswith("."))
    else:
        raise PartialsError(f"{location}: no such file or directory; pass the shards' --partials-out location")
    sources: list[tuple[str, bytes | None]] = []
    for file in files:
        try:
            sources.append((str(file), file.read_bytes()))
        except OSError:
            sources.append((str(file), None))
    return sources


def parse_shard(source: str, content: bytes | None) -> ShardPartial:
    """One shard file; a corrupt or foreign file raises PartialsError naming it."""
    hint = "rerun that shard (or delete the file if it does not belong to this run)"
    if content is None:
        raise PartialsError(f"{source}: cannot read this shard's partials file; {hint}")
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PartialsError(f"{source}: corrupt shard partials file, not valid JSON ({error}); {hint}") from None
    if not isinstance(data, dict) or data.get("format") != PARTIALS_FORMAT:
        raise PartialsError(f"{source}: not a Slipstack drift partials file (no format {PARTIALS_FORMAT!r}); {hint}")
    if data.get("version") != PARTIALS_VERSION:
        raise PartialsError(
            f"{source}: partials version {data.get('version')!r} is not supported (this slipstack reads "
            f"version {PARTIALS_VERSION}); run the shards and the merge with the same slipstack image"
        )
    try:
        shard = data["shard"]
        identity = ShardIdentity(_int_in(shard["index"], "shard.index"), _int_in(shard["count"], "shard.count"))
        if not 1 <= identity.index <= identity.count:
            raise ValueError(f"shard.index {identity.index} is outside 1..{identity.count}")
        features = data["features"]
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise ValueError("features: expected a list of names")
        summary = InputSummary.model_validate(data["input"])
        partial = partial_from_json(data["partial"])
        fingerprint = data["profile_sha256"]
        if not isinstance(fingerprint, str):
            raise ValueError("profile_sha256: expected a string")
    except (KeyError, TypeError, ValueError) as error:
        detail = f"missing field {error}" if isinstance(error, KeyError) else str(error).splitlines()[0]
        raise PartialsError(f"{source}: corrupt shard partials file ({detail}); {hint}") from None
    return ShardPartial(source, identity, fingerprint, tuple(features), summary, partial)


def _check_layout(shard: ShardPartial, layouts: dict[str, FeatureLayout]) -> None:
    if list(shard.partial.features) != list(layouts):
        raise PartialsError(
            f"{shard.source}: this shard covers features {list(shard.partial.features)}, the merge checks "
            f"{list(layouts)}; run the shards and the merge with the same --features (monitoring.drift.features)"
        )
    for name, layout in layouts.items():
        feature = shard.partial.features[name]
        expected = len(layout.categories) if isinstance(layout, CategoricalLayout) else layout.cells
        kind = "categorical" if isinstance(layout, CategoricalLayout) else "numeric"
        if feature.kind != kind or feature.counts.size != expected:
            raise PartialsError(
                f"{shard.source}: feature {name!r} does not match the reference profile ({feature.kind}, "
                f"{feature.counts.size} bins; profile: {kind}, {expected}); rerun the shards with this profile"
            )


def read_shards(
    location: str, profile: ReferenceProfile, layouts: dict[str, FeatureLayout], s3_client: Any = None
) -> list[ShardPartial]:
    """Every shard of one run, complete and consistent, sorted by shard index; else PartialsError."""
    sources = _shard_sources(location, s3_client)
    if not sources:
        raise PartialsError(
            f"{location}: no shard partials (*.json) found; did the shard step run and write its --partials-out here?"
        )
    shards = [parse_shard(source, content) for source, content in sources]
    fingerprint = profile_fingerprint(profile)
    for shard in shards:
        if shard.profile_fingerprint != fingerprint:
            raise PartialsError(
                f"{shard.source}: this shard was computed against a different reference profile than the one "
                "given to the merge; pass the same --profile to the shards and the merge"
            )
        _check_layout(shard, layouts)
    counts = {shard.shard.count for shard in shards}
    if len(counts) != 1:
        listing = ", ".join(f"{s.source} ({s.shard.index} of {s.shard.count})" for s in shards)
        raise PartialsError(
            f"{location}: shard files of different runs are mixed here ({listing}); give each run its own prefix"
        )
    count = counts.pop()
    by_index: dict[int, ShardPartial] = {}
    for shard in shards:
        if shard.shard.index in by_index:
            raise PartialsError(
                f"{location}: shard {shard.shard.index} of {count} appears twice ({by_index[shard.shard.index].source} "
                f"and {shard.source}); give each run its own prefix"
            )
        by_index[shard.shard.index] = shard
    missing = [i for i in range(1, count + 1) if i not in by_index]
    if missing:
        names = ", ".join(ShardIdentity(i, count).file_name for i in missing)
        raise PartialsError(
            f"{location}: shard(s) {missing} of {count} are missing (expected {names}); nothing was merged or "
            "published. Check the failed shard's logs and rerun the check"
        )
    return [by_index[i] for i in range(1, count + 1)]


def merge_shards(shards: list[ShardPartial], initial: DataPartial) -> tuple[DataPartial, InputSummary]:
    """Merge the shards' partials (in index order) and their input summaries."""
    from monitoring.sources import MALFORMED_EXAMPLES

    total = initial
    summary = InputSummary()
    for shard in shards:
        total = total.merge(shard.partial)
        summary.sources.extend(shard.summary.sources)
        summary.rows += shard.summary.rows
        summary.malformed_records += shard.summary.malformed_records
        room = MALFORMED_EXAMPLES - len(summary.malformed_examples)
        summary.malformed_examples.extend(shard.summary.malformed_examples[: max(room, 0)])
    summary.sources.sort()
    return total, summary

