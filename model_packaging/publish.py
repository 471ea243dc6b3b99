"""Upload a verified artifact to the stack's artifact bucket under content-addressed keys.

Layout (see `serving_contract`): `models/<name>/<digest>/model.tar.gz` (the deterministic archive),
`models/<name>/<digest>/manifest.json`, and last the pointer `models/<name>/current.json`, all under
an optional key prefix (an on-prem store's `s3://bucket/prefix`). Every object is encrypted (SSE-KMS
with the given key; SSE-S3 on an S3-compatible store without a KMS, which then encrypts with its own
managed key) and sent with a SHA-256 checksum that S3 checks on arrival (per part for multipart
uploads); after the upload the stored checksum is read back and compared. The pointer is written
only when all of that succeeded, so an interrupted upload never becomes the deployed version, and
objects this run created are deleted again on failure.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model_packaging.archive import write_archive
from model_packaging.errors import PublishError
from model_packaging.serving_contract import ARCHIVE_NAME, MANIFEST_NAME, artifact_key, current_pointer_key
from model_packaging.verify import verify_directory

# S3 takes parts of 5 MiB to 5 GiB and at most 10,000 of them; 16 MiB parts keep memory bounded and
# cover artifacts up to ~156 GiB.
DEFAULT_PART_BYTES = 16 * 1024 * 1024
MIN_PART_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class PublishResult:
    bucket: str
    digest: str
    archive_key: str
    manifest_key: str
    pointer_key: str

    @property
    def archive_uri(self) -> str:
        return f"s3://{self.bucket}/{self.archive_key}"


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def encryption_arguments(kms_key_id: str | None) -> dict[str, str]:
    """SSE-KMS with `kms_key_id`; None: SSE-S3 (AES256), for stores whose only key is their own."""
    if kms_key_id:
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
    return {"ServerSideEncryption": "AES256"}


class _Uploader:
    def __init__(self, client: Any, bucket: str, kms_key_id: str | None, progress: Callable[[int], None] | None):
        self.client, self.bucket, self.kms_key_id, self.progress = client, bucket, kms_key_id, progress
        self.created: list[str] = []

    def _encryption(self) -> dict[str, str]:
        return encryption_arguments(self.kms_key_id)

    def put_bytes(self, key: str, body: bytes, content_type: str) -> None:
        checksum = _b64(hashlib.sha256(body).digest())
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type,
                               ChecksumSHA256=checksum, **self._encryption())
        self.created.append(key)
        self._confirm(key, checksum, len(body))

    def put_file(self, key: str, path: Path, part_bytes: int) -> None:
        size = path.stat().st_size
        if size <= part_bytes:
            self.put_bytes(key, path.read_bytes(), "application/gzip")
            if self.progress is not None:
                self.progress(size)
            return
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, ContentType="application/gzip",
                                                     ChecksumAlgorithm="SHA256", **self._encryption())
        upload_id = upload["UploadId"]
        parts: list[dict[str, Any]] = []
        part_digests = b""
        try:
            with path.open("rb") as handle:
                number = 1
                while chunk := handle.read(part_bytes):
                    digest = hashlib.sha256(chunk).digest()
                    part_digests += digest
                    answer = self.client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                     PartNumber=number, Body=chunk, ChecksumSHA256=_b64(digest))
                    parts.append({"PartNumber": number, "ETag": answer["ETag"], "ChecksumSHA256": _b64(digest)})
                    if self.progress is not None:
                        self.progress(len(chunk))
                    number += 1
            self.client.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                  MultipartUpload={"Parts": parts})
        except BaseException:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise
        self.created.append(key)
        # A multipart object's checksum is the sha256 of its parts' digests, suffixed with the part count.
        self._confirm(key, f"{_b64(hashlib.sha256(part_digests).digest())}-{len(parts)}", size)

    def _confirm(self, key: str, checksum: str, size: int) -> None:
        head = self.client.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        stored = head.get("ChecksumSHA256")
        # Compare the digest part only: S3 suffixes multipart checksums with "-<parts>", moto does not.
        if head.get("ContentLength") != size or (stored is not None and stored.split("-")[0] != checksum.split("-")[0]):
            raise PublishError(
                f"s3://{self.bucket}/{key}: stored object ({head.get('ContentLength')} bytes, checksum {stored}) "
                f"does not match what was sent ({size} bytes, checksum {checksum})"
            )
        wanted = self._encryption()["ServerSideEncryption"]
        if head.get("ServerSideEncryption") != wanted:
            stored_with = head.get("ServerSideEncryption")
            raise PublishError(f"s3://{self.bucket}/{key}: stored with encryption {stored_with!r}, not {wanted!r}")

    def remove_created(self) -> None:
        for key in reversed(self.created):
            # Best effort: the original error is the one to report.
            with contextlib.suppress(Exception):
                self.client.delete_object(Bucket=self.bucket, Key=key)


def publish_artifact(artifact: Path, bucket: str, kms_key_id: str | None, client: Any | None = None,
                     part_bytes: int = DEFAULT_PART_BYTES, progress: Callable[[int], None] | None = None,
                     prefix: str = "") -> PublishResult:
    """Verify `artifact` (a packaged directory), archive it and upload it; write the pointer last.

    `kms_key_id` None encrypts with SSE-S3; `prefix` is put before every key (no leading or trailing '/').
    """
    if part_bytes < MIN_PART_BYTES:
        raise PublishError(f"part size {part_bytes} is below S3's minimum of {MIN_PART_BYTES} bytes")
    manifest = verify_directory(artifact)
    if client is None:
        import boto3

        client = boto3.client("s3")
    from botocore.exceptions import BotoCoreError, ClientError

    name, digest = manifest.model.name, manifest.digest
    base = prefix.strip("/") + "/" if prefix.strip("/") else ""
    result = PublishResult(bucket, digest, base + artifact_key(name, digest, ARCHIVE_NAME),
                           base + artifact_key(name, digest, MANIFEST_NAME), base + current_pointer_key(name))
    uploader = _Uploader(client, bucket, kms_key_id, progress)
    try:
        with tempfile.TemporaryDirectory(prefix=".slipstack-publish-") as scratch:
            archive = Path(scratch) / ARCHIVE_NAME
            archive_sha256 = write_archive(artifact, archive)
            uploader.put_file(result.archive_key, archive, part_bytes)
            uploader.put_bytes(result.manifest_key, (artifact / MANIFEST_NAME).read_bytes(), "application/json")
        pointer = {
            "model": name, "version": manifest.model.version, "digest": digest,
            "archive_key": result.archive_key, "archive_sha256": archive_sha256, "manifest_key": result.manifest_key,
        }
        # Written last and in one PUT: readers see the old pointer or the new one, never a half state.
        client.put_object(Bucket=bucket, Key=result.pointer_key, Body=json.dumps(pointer, sort_keys=True).encode(),
                          ContentType="application/json", ChecksumSHA256=_b64(hashlib.sha256(
                              json.dumps(pointer, sort_keys=True).encode()).digest()),
                          **encryption_arguments(kms_key_id))
    except (BotoCoreError, ClientError) as error:
        uploader.remove_created()
        raise PublishError(f"uploading {artifact} to s3://{bucket} failed ({error}); nothing was left under "
                           f"{base}models/{name}/{digest}/ and the current version pointer is unchanged") from None
    except BaseException:
        uploader.remove_created()
        raise
    return result
