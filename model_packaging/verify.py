"""Re-hash a packaged artifact (a directory or a .tar/.tar.gz) against its manifest and digest.

`slipstack verify`, `slipstack publish` and the Kubernetes init container (`model_packaging.fetch`)
all call `verify_artifact`, so every deployment path refuses an artifact the same way.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from model_packaging.archive import extract_verified
from model_packaging.errors import IntegrityError
from model_packaging.manifest import MANIFEST_NAME, Manifest, hash_file, normalise_digest, read_manifest


def check_digest(manifest: Manifest, where: str, expected: str | None) -> None:
    actual = manifest.compute_digest()
    if manifest.digest != actual:
        raise IntegrityError(
            f"{where}: manifest.json was altered: its content hashes to {actual} but it records digest "
            f"{manifest.digest or '(none)'}; re-package the model"
        )
    if expected is not None and normalise_digest(expected) != actual:
        raise IntegrityError(
            f"{where}: artifact digest {actual} is not the expected {normalise_digest(expected)}: "
            "this is a different or altered artifact"
        )


def verify_directory(directory: Path, expected_digest: str | None = None,
                     progress: Callable[[int], None] | None = None) -> Manifest:
    manifest = read_manifest(directory)
    check_digest(manifest, str(directory), expected_digest)
    present = {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}
    present.discard(MANIFEST_NAME)
    for name in sorted(manifest.files):
        expected = manifest.files[name]
        path = directory / name
        if name not in present:
            raise IntegrityError(f"{path}: listed in manifest.json but missing; the artifact is incomplete")
        actual = hash_file(path, progress)
        if actual.size != expected.size:
            raise IntegrityError(f"{path}: {actual.size} bytes, manifest.json says {expected.size}: "
                                 "truncated or replaced")
        if actual.sha256 != expected.sha256:
            raise IntegrityError(f"{path}: sha256 {actual.sha256} does not match manifest.json "
                                 f"({expected.sha256}): the file was modified")
    extra = sorted(present - set(manifest.files))
    if extra:
        raise IntegrityError(f"{directory / extra[0]}: not listed in manifest.json ({len(extra)} unlisted file(s)); "
                             "an artifact holds exactly the files its manifest lists")
    return manifest


def verify_archive(archive: Path, expected_digest: str | None = None) -> Manifest:
    with tempfile.TemporaryDirectory(prefix=".slipstack-verify-", dir=archive.parent) as scratch:
        target = Path(scratch) / "artifact"
        manifest = extract_verified(archive, target)
        check_digest(manifest, str(archive), expected_digest)
        shutil.rmtree(target)
    return manifest


def verify_artifact(path: Path, expected_digest: str | None = None) -> Manifest:
    if path.is_dir():
        return verify_directory(path, expected_digest)
    if path.is_file():
        return verify_archive(path, expected_digest)
    raise IntegrityError(f"{path}: no such artifact (pass a packaged directory or its .tar/.tar.gz archive)")
