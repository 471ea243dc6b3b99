"""Packaging benchmark: hash and archive a ~1 GB artifact, next to `tar` + `sha256sum` on the same file.

Slipstack's path: sha256 of every file for the manifest (streamed), then the deterministic .tar with
the archive's own sha256 computed while writing (streamed). Peak memory of each step is measured in
a fresh subprocess (ru_maxrss), so it shows whether memory stays flat regardless of the file size.

    .venv/bin/python bench/packaging_bench.py [--size-mb 1024] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

STEP = r'''
import resource, sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
from model_packaging.manifest import FileEntry, Manifest, ModelIdentity, hash_file
from model_packaging.archive import write_archive
directory = Path({directory!r})
start = time.perf_counter()
entry = hash_file(directory / "model.onnx")
manifest = Manifest(model=ModelIdentity(name="big", version="1.0.0", framework="onnx", framework_version="1.18",
                    task="regression"), format="onnx", model_file="model.onnx", library_versions={{}},
                    signature={{}}, reference_profile=None, example={{}}, files={{"model.onnx": entry}}).sealed()
(directory / "manifest.json").write_text(manifest.to_json())
hashed = time.perf_counter()
write_archive(directory, Path({archive!r}))
done = time.perf_counter()
print(hashed - start, done - hashed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
'''


def _drop_cache_hint(path: Path) -> None:
    # Without root we cannot drop the page cache; reading the file once first makes every run start
    # from the same (cached) state, so the comparison is fair even if absolute disk speed is hidden.
    with path.open("rb") as handle:
        while handle.read(16 * 1024 * 1024):
            pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    args = parser.parse_args()
    size = args.size_mb * 1024 * 1024
    scratch = Path(tempfile.mkdtemp(prefix="packaging-bench-", dir=args.dir))
    try:
        artifact = scratch / "artifact"
        artifact.mkdir()
        with (artifact / "model.onnx").open("wb") as out:
            block = os.urandom(16 * 1024 * 1024)
            for _ in range(size // len(block)):
                out.write(block)
        _drop_cache_hint(artifact / "model.onnx")
        mb = size / 1e6

        run = subprocess.run([sys.executable, "-c", STEP.format(repo=str(REPO), directory=str(artifact),
                                                                   archive=str(scratch / "model.tar"))],
                             capture_output=True, text=True, check=True)
        hash_s, archive_s, rss_kb = run.stdout.split()
        ours = float(hash_s) + float(archive_s)
        (artifact / "manifest.json").unlink()

        start = time.perf_counter()
        subprocess.run(["tar", "-cf", str(scratch / "plain.tar"), "-C", str(artifact), "."], check=True)
        tar_s = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run(["sha256sum", str(artifact / "model.onnx")], check=True, capture_output=True)
        subprocess.run(["sha256sum", str(scratch / "plain.tar")], check=True, capture_output=True)
        sha_s = time.perf_counter() - start
        tools = tar_s + sha_s
        results = {
            "size_mb": round(mb), "slipstack": {"hash_s": float(hash_s), "archive_s": float(archive_s),
                                                "total_s": ours, "mb_per_s": mb / ours,
                                                "peak_rss_mb": int(rss_kb) / 1024},
            "tar_sha256sum": {"tar_s": tar_s, "sha256sum_s": sha_s, "total_s": tools, "mb_per_s": mb / tools},
        }
        print(json.dumps(results, indent=2))
        print(f"slipstack hash+archive: {mb / ours:.0f} MB/s, peak RSS {int(rss_kb) / 1024:.0f} MB; "
              f"tar + sha256sum (file and archive): {mb / tools:.0f} MB/s")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
