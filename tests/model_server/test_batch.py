"""`python -m model_server.batch`: local files and moto S3, bad rows reported, atomic outputs, exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pandas as pd
import pytest
from moto import mock_aws

from model_packaging.manifest import read_manifest
from model_packaging.serving_contract import BATCH_MODULE, batch_command
from model_server.batch import SUMMARY_NAME, main, run
from model_server.request_path import Predictor

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reference(served_artifact: Path) -> pd.DataFrame:
    manifest = read_manifest(served_artifact)
    names = [f["name"] for f in manifest.signature["inputs"]]
    rng = np.random.default_rng(7)
    return pd.DataFrame(rng.normal(0, 0.05, size=(120, len(names))), columns=names)


def _expected(artifact: Path, frame: pd.DataFrame) -> np.ndarray:
    predictor = Predictor(artifact, read_manifest(artifact))
    return np.asarray(predictor.respond(frame.to_numpy(dtype=np.float64))[0]["data"])


def test_local_csv_parquet_jsonl_with_bad_rows(served_artifact: Path, reference: pd.DataFrame, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in"
    (source / "day=1").mkdir(parents=True)
    csv = reference.iloc[:50].astype(object)
    csv.iloc[3, 0] = "abc"  # data row 4: not a number
    csv.iloc[7, 2] = None  # data row 8: missing, not nullable
    csv.to_csv(source / "day=1" / "part.csv", index=False)
    reference.iloc[50:100].to_parquet(source / "part.parquet")
    lines = [json.dumps(r) for r in reference.iloc[100:].to_dict(orient="records")]
    lines.insert(2, "{not json")
    (source / "part.jsonl").write_text("\n".join(lines) + "\n")

    assert main(["--model-dir", str(served_artifact), "--input", str(source), "--output", f"file://{tmp_path}/out",
                 "--chunk-rows", "16", "--max-payload-mb", "1"]) == 0
    out = tmp_path / "out"
    scored_csv = pd.read_csv(out / "day=1" / "part.predictions.csv")
    good = [i for i in range(50) if i not in (3, 7)]
    assert list(scored_csv["row"]) == [i + 1 for i in good]
    assert np.allclose(scored_csv["progression"], _expected(served_artifact, reference.iloc[good]))
    scored_parquet = pd.read_parquet(out / "part.predictions.parquet")
    assert len(scored_parquet) == 50
    assert np.allclose(scored_parquet["progression"], _expected(served_artifact, reference.iloc[50:100]))
    scored_jsonl = pd.read_json(out / "part.predictions.jsonl", lines=True)
    assert len(scored_jsonl) == 20 and 3 not in set(scored_jsonl["row"])

    summary = json.loads((out / SUMMARY_NAME).read_text())
    assert (summary["rows"], summary["scored"], summary["bad_rows"]) == (121, 118, 3)
    bad = {(Path(b["file"]).name, b["row"]): b["reason"] for b in summary["bad_row_examples"]}
    assert "'abc' is not a number" in bad[("part.csv", 4)]
    assert "is missing" in bad[("part.csv", 8)]
    assert "not a JSON object" in bad[("part.jsonl", 3)]
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]  # no temporary left
    assert "part.csv row 4" in capsys.readouterr().err


def test_nothing_scored_exits_non_zero(served_artifact: Path, reference: pd.DataFrame, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    reference.drop(columns=[reference.columns[0]]).to_csv(tmp_path / "in" / "wrong.csv", index=False)
    assert main(["--model-dir", str(served_artifact), "--input", str(tmp_path / "in"),
                 "--output", str(tmp_path / "out")]) == 1
    summary = json.loads((tmp_path / "out" / SUMMARY_NAME).read_text())
    assert "missing column(s) ['age']" in summary["per_file"][0]["error"]
    assert not (tmp_path / "out" / "wrong.predictions.csv").exists()
    (tmp_path / "empty").mkdir()
    assert main(["--model-dir", str(served_artifact), "--input", str(tmp_path / "empty"),
                 "--output", str(tmp_path / "out2")]) == 1
    assert main(["--model-dir", str(served_artifact), "--input", "ftp://x/y", "--output", str(tmp_path)]) == 2


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="batch")
        yield client


def test_s3_input_and_output(served_artifact: Path, reference: pd.DataFrame, s3: Any, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    reference.to_parquet(buffer)
    s3.put_object(Bucket="batch", Key="in/2026/a.parquet", Body=buffer.getvalue())
    s3.put_object(Bucket="batch", Key="in/2026/b.csv", Body=reference.iloc[:10].to_csv(index=False).encode())
    s3.put_object(Bucket="batch", Key="in/notes.txt", Body=b"ignored")
    log = io.StringIO()
    summary = run(served_artifact, "s3://batch/in/", "s3://batch/out", s3_client=s3, log=log)
    assert summary.scored == 130 and summary.bad_row_count == 0
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="batch", Prefix="out/")["Contents"])
    assert keys == ["out/2026/a.predictions.parquet", "out/2026/b.predictions.csv", f"out/{SUMMARY_NAME}"]
    body = s3.get_object(Bucket="batch", Key="out/2026/a.predictions.parquet")["Body"].read()
    assert np.allclose(pd.read_parquet(io.BytesIO(body))["progression"], _expected(served_artifact, reference))


def test_cronjob_argv_runs_as_a_module(served_artifact: Path, reference: pd.DataFrame, tmp_path: Path) -> None:
    reference.iloc[:5].to_csv(tmp_path / "in.csv", index=False)
    command = batch_command(str(served_artifact), f"file://{tmp_path}/in.csv", f"file://{tmp_path}/out", 6)
    assert command[:3] == ["python", "-m", BATCH_MODULE]
    done = subprocess.run([sys.executable, *command[1:]], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "scored 5 of 5 rows" in done.stdout
    assert len(pd.read_csv(tmp_path / "out" / "in.predictions.csv")) == 5
