"""Deterministic tar archives of an artifact directory, and their safe, verifying extraction.

Entries are sorted (manifest.json first, so a reader knows what to expect before the first model
byte), with mtime 0, uid/gid 0, empty owner names and fixed modes; gzip gets mtime 0 and no file
name. The same artifact therefore always gives byte-identical archives. Files are streamed in 1 MiB
chunks, so memory stays flat whatever the model size.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from model_packaging.errors import IntegrityError
from model_packaging.manifest import CHUNK_BYTES, MANIFEST_NAME, Manifest, parse_manifest


def _entries(directory: Path) -> list[str]:
    names = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())
    if MANIFEST_NAME in names:
        names.remove(MANIFEST_NAME)
        names.insert(0, MANIFEST_NAME)
    return names


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o644
    info.type = tarfile.REGTYPE
    return info


def write_archive(directory: Path, destination: Path, progress: Callable[[int], None] | None = None) -> str:
    """Write `directory` as a deterministic .tar or .tar.gz (by suffix); return the archive's sha256.

    Written to a temporary name next to `destination` and renamed, so a crash leaves no half archive.
    """
    temporary = destination.with_name(f".{destination.name}.partial")
    digest = hashlib.sha256()
    try:
        with temporary.open("wb") as raw:
            hashing = _HashingWriter(raw, digest)
            compressed: gzip.GzipFile | None = None
            if destination.name.endswith(".gz"):
                # Level 6 (gzip's default) keeps SageMaker's model.tar.gz small; mtime 0 and no
                # file name keep the bytes reproducible.
                compressed = gzip.GzipFile(filename="", mode="wb", fileobj=hashing, mtime=0)
            target: IO[bytes] = compressed if compressed is not None else hashing  # type: ignore[assignment]
            with tarfile.open(fileobj=target, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for name in _entries(directory):
                    path = directory / name
                    with path.open("rb") as handle:
                        tar.addfile(_tar_info(name, os.fstat(handle.fileno()).st_size),
                                    _ProgressReader(handle, progress))
            if compressed is not None:
                compressed.close()
        os.replace(temporary, destination)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return digest.hexdigest()


class _HashingWriter(io.RawIOBase):
    def __init__(self, raw: IO[bytes], digest: hashlib._Hash):
        self._raw, self._digest = raw, digest

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._digest.update(data)
        return self._raw.write(data)


class _ProgressReader:
    def __init__(self, handle: IO[bytes], progress: Callable[[int], None] | None):
        self._handle, self._progress = handle, progress

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        if self._progress is not None and data:
            self._progress(len(data))
        return data


def extract_verified(archive: Path, destination: Path) -> Manifest:
    """Extract `archive` into the new directory `destination`, hashing every member as it is written.

    Refuses links, devices, absolute or '..' paths and files the manifest does not list; raises
    `IntegrityError` naming the first file that does not match, and for a truncated archive. The
    caller owns `destination` and removes it on error.
    """
    destination.mkdir(parents=True, exist_ok=False)
    manifest: Manifest | None = None
    seen: set[str] = set()
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for member in tar:
                name = member.name
                if not member.isfile():
                    raise IntegrityError(f"{archive}: entry '{name}' is not a regular file (links and devices "
                                         "are refused); the archive was not written by `slipstack package`")
                parts = Path(name).parts
                if Path(name).is_absolute() or ".." in parts or not parts:
                    raise IntegrityError(f"{archive}: entry '{name}' points outside the artifact; refusing it")
                source = tar.extractfile(member)
                assert source is not None  # a regular file always has a data stream
                if name == MANIFEST_NAME:
                    if member.size > 64 * 1024 * 1024:
                        raise IntegrityError(f"{archive}: manifest.json is {member.size} bytes; refusing it")
                    data = source.read()
                    manifest = parse_manifest(data, f"{archive}:{MANIFEST_NAME}")
                    (destination / MANIFEST_NAME).write_bytes(data)
                    seen.add(name)
                    continue
                if manifest is None:
                    raise IntegrityError(f"{archive}: the first entry is '{name}', not manifest.json; "
                                         "the archive was not written by `slipstack package`")
                expected = manifest.files.get(name)
                if expected is None:
                    raise IntegrityError(f"{archive}: '{name}' is not listed in manifest.json (an added file)")
                target = destination / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest, size = hashlib.sha256(), 0
                with target.open("wb") as out:
                    while chunk := source.read(CHUNK_BYTES):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                if size != expected.size or digest.hexdigest() != expected.sha256:
                    raise IntegrityError(
                        f"{archive}: '{name}' does not match manifest.json (size {size} vs {expected.size}, "
                        f"sha256 {digest.hexdigest()[:12]}… vs {expected.sha256[:12]}…): tampered or corrupted"
                    )
                seen.add(name)
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, OSError, zlib_error()) as error:
        raise IntegrityError(
            f"{archive}: the archive is truncated or corrupt ({type(error).__name__}: {error}); download it again"
        ) from None
    if manifest is None:
        raise IntegrityError(f"{archive}: no manifest.json in the archive; it was not written by `slipstack package`")
    missing = sorted(set(manifest.files) - seen)
    if missing:
        raise IntegrityError(f"{archive}: '{missing[0]}' is listed in manifest.json but missing from the archive "
                             f"({len(missing)} missing): the archive is incomplete")
    return manifest


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error
