"""Download a packaged artifact, verify it, and move it into place: the Kubernetes init container.

    python -m model_packaging.fetch --uri s3://bucket/models/<name>/<digest>/model.tar.gz \
        --sha256 <digest> --dest /mnt/models/<name>

`--uri` is an s3:// URI (boto3) or a local path, of an archive (.tar/.tar.gz) or an artifact
directory. The archive is downloaded into a hidden scratch directory next to `--dest`, extracted
with every member hashed against manifest.json, the manifest's digest is checked against
`--sha256`, and only then is the result renamed to `--dest`. On any mismatch the process exits 1
(2 for bad arguments) with a message naming the file, and `--dest` is left untouched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from contracts.errors import SlipstackError
from model_packaging.archive import extract_verified
from model_packaging.errors import IntegrityError, PackagingError
from model_packaging.manifest import Manifest, normalise_digest
from model_packaging.verify import check_digest, verify_directory


def _download_s3(uri: str, target: Path) -> None:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise PackagingError(f"'{uri}' is not an s3://bucket/key URI")
    try:
        boto3.client("s3").download_file(bucket, key, str(target))
    except (BotoCoreError, ClientError) as error:
        raise PackagingError(f"cannot download {uri}: {error}") from None


def fetch(uri: str, expected_digest: str, dest: Path) -> Manifest:
    digest = normalise_digest(expected_digest)
    dest = dest.absolute()
    dest.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{dest.name}.fetch-", dir=dest.parent))
    try:
        staged = scratch / "artifact"
        if uri.startswith("s3://"):
            archive = scratch / "download"
            _download_s3(uri, archive)
            manifest = extract_verified(archive, staged)
            archive.unlink()
        else:
            source = Path(uri.removeprefix("file://"))
            if source.is_dir():
                shutil.copytree(source, staged)
                manifest = verify_directory(staged)
            elif source.is_file():
                manifest = extract_verified(source, staged)
            else:
                raise PackagingError(f"{source}: no such archive or artifact directory (--uri)")
        check_digest(manifest, uri, digest)
        staged.chmod(0o755)
        if dest.exists():
            # Replace a previous version: move it aside first so `dest` is never half-populated.
            os.replace(dest, scratch / "previous")
        os.replace(staged, dest)
        return manifest
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model_packaging.fetch", description=__doc__.splitlines()[0])
    parser.add_argument("--uri", required=True, help="s3://bucket/key or path of the packaged artifact")
    parser.add_argument("--sha256", required=True, help="expected artifact digest (manifest digest)")
    parser.add_argument("--dest", required=True, type=Path, help="directory to create, e.g. /mnt/models/<name>")
    args = parser.parse_args(argv)
    try:
        manifest = fetch(args.uri, args.sha256, args.dest)
    except SlipstackError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code if isinstance(error, IntegrityError) else 2
    print(f"fetched {manifest.model.name} {manifest.model.version} ({manifest.digest}) into {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
