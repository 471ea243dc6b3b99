"""verify, fetch (the init container) and publish (against moto): tampering is caught, nothing half-written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from model_packaging.archive import write_archive
from model_packaging.errors import IntegrityError, PublishError
from model_packaging.fetch import fetch
from model_packaging.manifest import FileEntry, Manifest, ModelIdentity, hash_file, read_manifest
from model_packaging.publish import MIN_PART_BYTES, publish_artifact
from model_packaging.verify import verify_artifact

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def artifact(diabetes_artifact: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "artifact"
    shutil.copytree(diabetes_artifact, copy)
    return copy


def test_tampered_file_is_named(artifact: Path) -> None:
    with (artifact / "model.onnx").open("r+b") as handle:
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 1]))
    with pytest.raises(IntegrityError, match=r"model.onnx: sha256 .* does not match manifest.json"):
        verify_artifact(artifact)


def test_truncated_extra_and_altered_manifest(artifact: Path) -> None:
    data = (artifact / "code" / "requirements.txt").read_bytes()
    (artifact / "code" / "requirements.txt").write_bytes(data[:-3])
    with pytest.raises(IntegrityError, match="requirements.txt: .* bytes, manifest.json says"):
        verify_artifact(artifact)
    (artifact / "code" / "requirements.txt").write_bytes(data)
    (artifact / "evil.py").write_text("import os")
    with pytest.raises(IntegrityError, match="evil.py: not listed in manifest.json"):
        verify_artifact(artifact)
    (artifact / "evil.py").unlink()
    manifest = json.loads((artifact / "manifest.json").read_text())
    manifest["signature"]["inputs"][0]["nullable"] = True
    (artifact / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IntegrityError, match="manifest.json was altered"):
        verify_artifact(artifact)


def test_archive_round_trip_and_truncated_archive(artifact: Path, tmp_path: Path) -> None:
    digest = read_manifest(artifact).digest
    write_archive(artifact, tmp_path / "model.tar.gz")
    assert verify_artifact(tmp_path / "model.tar.gz", digest).digest == digest
    data = (tmp_path / "model.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(IntegrityError, match="truncated or corrupt"):
        verify_artifact(tmp_path / "cut.tar.gz")
    with pytest.raises(IntegrityError, match="is not the expected"):
        verify_artifact(tmp_path / "model.tar.gz", "0" * 64)


def test_tampered_member_inside_an_uncompressed_archive(artifact: Path, tmp_path: Path) -> None:
    write_archive(artifact, tmp_path / "model.tar")
    data = bytearray((tmp_path / "model.tar").read_bytes())
    offset = data.index(b"Intentionally no packages")  # inside code/requirements.txt's member data
    data[offset] = ord("O")
    (tmp_path / "model.tar").write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="'code/requirements.txt' does not match manifest.json"):
        verify_artifact(tmp_path / "model.tar")


def test_fetch_verifies_then_renames_and_leaves_nothing_on_mismatch(artifact: Path, tmp_path: Path) -> None:
    digest = read_manifest(artifact).digest
    write_archive(artifact, tmp_path / "model.tar.gz")
    models = tmp_path / "models"
    with pytest.raises(IntegrityError, match="is not the expected"):
        fetch(str(tmp_path / "model.tar.gz"), "f" * 64, models / "diabetes-progression")
    assert sorted(p.name for p in models.iterdir()) == []
    fetch(str(tmp_path / "model.tar.gz"), f"sha256:{digest}", models / "diabetes-progression")
    assert sorted(p.name for p in models.iterdir()) == ["diabetes-progression"]
    assert verify_artifact(models / "diabetes-progression", digest).digest == digest


def test_fetch_cli_exit_codes(artifact: Path, tmp_path: Path) -> None:
    write_archive(artifact, tmp_path / "model.tar.gz")
    run = subprocess.run([sys.executable, "-m", "model_packaging.fetch", "--uri", str(tmp_path / "model.tar.gz"),
                          "--sha256", "a" * 64, "--dest", str(tmp_path / "dest")],
                         capture_output=True, text=True, cwd=REPO, timeout=60)
    assert run.returncode == 1 and run.stderr.startswith("error: ") and "Traceback" not in run.stderr
    assert not (tmp_path / "dest").exists()


def _large_artifact(directory: Path, size: int) -> Path:
    """A synthetic artifact with an incompressible model file, large enough for multipart upload."""
    import os

    directory.mkdir()
    (directory / "model.onnx").write_bytes(os.urandom(size))
    manifest = Manifest(
        model=ModelIdentity(name="big-model", version="1.0.0", framework="onnx", framework_version="1.18",
                            task="regression"),
        format="onnx", model_file="model.onnx", library_versions={}, signature={"inputs": [], "outputs": []},
        reference_profile=None, example={}, files={"model.onnx": hash_file(directory / "model.onnx")},
    ).sealed()
    (directory / "manifest.json").write_text(manifest.to_json())
    return directory


@pytest.fixture
def bucket() -> object:
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(Bucket="slipstack-artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        key = boto3.client("kms", region_name="eu-west-1").create_key()["KeyMetadata"]["KeyId"]
        yield s3, key


def test_publish_multipart_content_addressed_pointer_last(bucket, tmp_path: Path) -> None:
    s3, key = bucket
    artifact = _large_artifact(tmp_path / "big", 2 * MIN_PART_BYTES + 1000)
    calls: list[str] = []
    s3.meta.events.register("before-call.s3.*", lambda model, **_: calls.append(model.name))
    result = publish_artifact(artifact, "slipstack-artifacts", key, client=s3, part_bytes=MIN_PART_BYTES)
    digest = read_manifest(artifact).digest
    assert result.archive_key == f"models/big-model/{digest}/model.tar.gz"
    assert calls.count("UploadPart") == 3
    assert calls[-1] == "PutObject" and "CompleteMultipartUpload" in calls
    head = s3.head_object(Bucket="slipstack-artifacts", Key=result.archive_key, ChecksumMode="ENABLED")
    assert head["ServerSideEncryption"] == "aws:kms" and head["ChecksumSHA256"]
    pointer_object = s3.get_object(Bucket="slipstack-artifacts", Key="models/big-model/current.json")
    pointer = json.loads(pointer_object["Body"].read())
    assert pointer["digest"] == digest and pointer["archive_key"] == result.archive_key
    # The published archive is what the init container fetches.
    s3.download_file("slipstack-artifacts", result.archive_key, str(tmp_path / "fetched.tar.gz"))
    assert verify_artifact(tmp_path / "fetched.tar.gz", digest).digest == digest


def test_interrupted_publish_leaves_nothing_and_keeps_the_pointer(bucket, tmp_path: Path) -> None:
    s3, key = bucket
    artifact = _large_artifact(tmp_path / "big", 2 * MIN_PART_BYTES + 1000)

    def drop_connection(params: dict, **_: object) -> None:
        if params.get("PartNumber") == 2:
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url="https://s3.eu-west-1.amazonaws.com")

    s3.meta.events.register("provide-client-params.s3.UploadPart", drop_connection)
    with pytest.raises(PublishError, match="nothing was left under models/big-model/"):
        publish_artifact(artifact, "slipstack-artifacts", key, client=s3, part_bytes=MIN_PART_BYTES)
    assert s3.list_objects_v2(Bucket="slipstack-artifacts").get("KeyCount") == 0
    assert s3.list_multipart_uploads(Bucket="slipstack-artifacts").get("Uploads", []) == []


def test_publish_refuses_an_artifact_that_does_not_verify(bucket, diabetes_artifact: Path, tmp_path: Path) -> None:
    s3, key = bucket
    copy = tmp_path / "artifact"
    shutil.copytree(diabetes_artifact, copy)
    (copy / "model-settings.json").write_text("{}")
    with pytest.raises(IntegrityError, match="model-settings.json"):
        publish_artifact(copy, "slipstack-artifacts", key, client=s3)
    assert s3.list_objects_v2(Bucket="slipstack-artifacts").get("KeyCount") == 0


def test_manifest_entries_are_strict() -> None:
    with pytest.raises(ValueError):
        FileEntry(sha256="nothex", size=1)


def test_publish_to_a_store_without_kms_under_a_prefix(bucket, tmp_path: Path) -> None:
    s3, _ = bucket
    artifact = _large_artifact(tmp_path / "small", 1000)
    result = publish_artifact(artifact, "slipstack-artifacts", None, client=s3, prefix="/team-a/")
    digest = read_manifest(artifact).digest
    assert result.archive_key == f"team-a/models/big-model/{digest}/model.tar.gz"
    for key in (result.archive_key, result.manifest_key, result.pointer_key):
        assert key.startswith("team-a/models/big-model/")
        assert s3.head_object(Bucket="slipstack-artifacts", Key=key)["ServerSideEncryption"] == "AES256"
    pointer = json.loads(s3.get_object(Bucket="slipstack-artifacts", Key=result.pointer_key)["Body"].read())
    assert pointer["archive_key"] == result.archive_key
