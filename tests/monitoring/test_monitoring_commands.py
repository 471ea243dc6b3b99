"""The CLI glue: exit codes, `error:` messages, outputs written only for complete runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from contracts.errors import SlipstackError
from slipstack.commands.monitoring_commands import register


def _invoke(*args: str) -> tuple[int, str, str]:
    """Run like `slipstack.cli.main`: a SlipstackError becomes `error: ...` and its exit code."""
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, list(args))
    if isinstance(result.exception, SlipstackError):
        return result.exception.exit_code, result.stdout, f"{result.exception.label}: {result.exception}"
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def profile_path(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=20_000), "b": rng.normal(size=20_000)}).to_parquet(tmp_path / "ref.parquet")
    code, _, err = _invoke("profile", str(tmp_path / "ref.parquet"), "-o", str(tmp_path / "profile.json"))
    assert code == 0, err
    return tmp_path / "profile.json"


def test_drift_alert_exits_1_after_writing_outputs(tmp_path: Path, profile_path: Path) -> None:
    rng = np.random.default_rng(1)
    pd.DataFrame({"a": rng.normal(0.2, 1, 20_000), "b": rng.normal(size=20_000)}).to_csv(
        tmp_path / "cur.csv", index=False
    )
    code, _, err = _invoke(
        "drift",
        "--current",
        str(tmp_path / "cur.csv"),
        "--profile",
        str(profile_path),
        "-o",
        str(tmp_path / "r.json"),
        "--report",
        str(tmp_path / "r.html"),
        "--prometheus-textfile",
        str(tmp_path / "m.prom"),
        "--model",
        "churn",
    )
    assert code == 1 and err == "alert: drift over the alert threshold in 1 feature(s): a"
    assert json.loads((tmp_path / "r.json").read_text())["drifted_features"] == ["a"]
    assert (tmp_path / "r.html").exists() and 'model="churn"' in (tmp_path / "m.prom").read_text()


def test_no_drift_exits_0(tmp_path: Path, profile_path: Path) -> None:
    rng = np.random.default_rng(2)
    pd.DataFrame({"a": rng.normal(size=5000), "b": rng.normal(size=5000)}).to_parquet(tmp_path / "cur.parquet")
    code, out, _ = _invoke(
        "drift", "--current", str(tmp_path / "cur.parquet"), "--profile", str(profile_path), "--method", "psi"
    )
    assert code == 0 and json.loads(out)["status"] == "ok"


def test_bad_input_exits_2_without_outputs(tmp_path: Path, profile_path: Path) -> None:
    pd.DataFrame({"a": [1.0], "c": [2.0]}).to_csv(tmp_path / "cur.csv", index=False)
    code, _, err = _invoke(
        "drift", "--current", str(tmp_path / "cur.csv"), "--profile", str(profile_path), "-o", str(tmp_path / "r.json")
    )
    assert code == 2 and "lacks profiled column(s) ['b']" in err and "cur.csv" in err
    assert not (tmp_path / "r.json").exists()
    code, _, err = _invoke(
        "drift", "--current", str(tmp_path / "cur.csv"), "--profile", str(profile_path), "--method", "chi"
    )
    assert code == 2 and err.startswith("error: drift option method")


def test_quality_and_smoke_commands(tmp_path: Path) -> None:
    pd.DataFrame({"inference_id": ["a", "b", "c"], "prediction": [1, 0, 1]}).to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame({"inference_id": ["a", "b", "c"], "label": [1, 1, 1]}).to_csv(tmp_path / "l.csv", index=False)
    code, out, err = _invoke(
        "quality",
        "--predictions",
        str(tmp_path / "p.csv"),
        "--labels",
        str(tmp_path / "l.csv"),
        "--task",
        "classification",
        "--metric",
        "accuracy",
        "--threshold",
        "0.9",
    )
    assert code == 1 and "accuracy is 0.6667" in err
    assert json.loads(out)["joined_rows"] == 3
    (tmp_path / "outputs.json").write_text(json.dumps({"models": {"churn": {}}}))
    (tmp_path / "manifest.json").write_text(json.dumps({"files": []}))
    code, _, err = _invoke(
        "smoke", "--outputs", str(tmp_path / "outputs.json"), "--manifest", str(tmp_path / "manifest.json")
    )
    assert code == 2 and "no 'example' key" in err


def test_hostile_csv_gets_a_verdict_or_an_error_naming_column_and_rows(tmp_path: Path, profile_path: Path) -> None:
    rng = np.random.default_rng(5)
    rows = [f"{a},{b}" for a, b in zip(rng.normal(size=400), rng.normal(size=400), strict=True)]
    # "None" text (Python's str(None)) is a missing value; infinities are values beyond the reference range
    (tmp_path / "nones.csv").write_text("a,b\n" + "\n".join([*rows, "None,1.0", "inf,-inf", "0.5,None"]) + "\n")
    code, _, err = _invoke("drift", "--current", str(tmp_path / "nones.csv"), "--profile", str(profile_path),
                           "-o", str(tmp_path / "nones.json"))
    result = json.loads((tmp_path / "nones.json").read_text())
    by_name = {f["feature"]: f for f in result["features"]}
    assert by_name["a"]["infinite_values"] == 1 and by_name["b"]["infinite_values"] == 1
    assert by_name["a"]["missing_rate_current"] == pytest.approx(1 / 403)
    assert code in (0, 1) and "Traceback" not in err
    # text after the first block (pyarrow inferred a number column): the column and the row are named
    many = [f"{a},{b}" for a, b in zip(rng.normal(size=60_000), rng.normal(size=60_000), strict=True)]
    many[50_000] = "12 kg,0.1"
    (tmp_path / "mixed.csv").write_text("a,b\n" + "\n".join(many) + "\n")
    code, _, err = _invoke("drift", "--current", str(tmp_path / "mixed.csv"), "--profile", str(profile_path),
                           "--chunk-rows", "1000", "-o", str(tmp_path / "mixed.json"))
    assert code == 2 and "column 'a' should be numeric" in err and "rows 50001" in err and "'12 kg'" in err
    assert not (tmp_path / "mixed.json").exists()


def test_huge_categories_get_a_bounded_verdict(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    reference = pd.DataFrame({"city": rng.choice(["paris", "oslo", "rome"], 5_000)})
    reference.to_parquet(tmp_path / "ref.parquet")
    code, _, err = _invoke("profile", str(tmp_path / "ref.parquet"), "-o", str(tmp_path / "p.json"))
    assert code == 0, err
    current = pd.DataFrame({"city": [f"{'x' * 500}{i}" for i in range(50_000)]})  # 50k distinct huge labels
    current.to_parquet(tmp_path / "cur.parquet")
    code, _, err = _invoke("drift", "--current", str(tmp_path / "cur.parquet"), "--profile", str(tmp_path / "p.json"),
                           "-o", str(tmp_path / "out.json"))
    city = json.loads((tmp_path / "out.json").read_text())["features"][0]
    assert code == 1 and city["status"] == "alert" and city["unseen_categories"] == 50_000
    assert len(city["unseen_examples"]) == 10 and all(len(e) <= 80 for e in city["unseen_examples"])


def test_a_tiny_window_is_insufficient_data_and_exits_0(tmp_path: Path, profile_path: Path) -> None:
    pd.DataFrame({"a": [0.1, 0.5, -0.3], "b": [0.0, 0.2, 0.1]}).to_csv(tmp_path / "tiny.csv", index=False)
    code, _, err = _invoke("drift", "--current", str(tmp_path / "tiny.csv"), "--profile", str(profile_path),
                           "-o", str(tmp_path / "tiny.json"))
    result = json.loads((tmp_path / "tiny.json").read_text())
    assert code == 0 and result["status"] == "insufficient_data" and result["drifted_features"] == []
    assert "2 feature(s) had too little data" in err


def test_quality_with_declared_classes_and_no_positive_is_undefined_not_perfect(tmp_path: Path) -> None:
    ids = [f"r{i}" for i in range(40)]
    pd.DataFrame({"inference_id": ids, "prediction": [0] * 40}).to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame({"inference_id": ids, "label": [0] * 40}).to_csv(tmp_path / "l.csv", index=False)
    code, out, err = _invoke(
        "quality", "--predictions", str(tmp_path / "p.csv"), "--labels", str(tmp_path / "l.csv"),
        "--task", "classification", "--metric", "recall", "--threshold", "0.8", "--classes", "0,1",
    )  # fmt: skip
    result = json.loads(out)
    assert code == 0, err
    assert result["status"] == "insufficient_data" and result["value"] is None
    assert result["metrics"]["precision"] is None and "positive class '1'" in result["undefined"]["recall"]


def test_captured_csv_rows_are_read_in_the_signature_order_of_a_sorted_manifest(tmp_path: Path) -> None:
    """The manifest is written with sorted keys, which sorts the profile's features by name; a SageMaker capture's
    CSV rows are positional in the signature's order. Read in name order, every column would be another's."""
    from monitoring.profile import build_profile
    from tests.monitoring.capture_fixtures import capture_line, classifier_reply

    rng = np.random.default_rng(3)
    profile = build_profile(pd.DataFrame({"zeta": rng.normal(1000, 1, 5000), "alpha": rng.normal(0, 1, 5000)}))
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"reference_profile": profile.model_dump(mode="json"),
                                    "signature": {"inputs": [{"name": "zeta"}, {"name": "alpha"}]}}, sort_keys=True))
    reply = classifier_reply([0], [0.1], "application/json")
    lines = [capture_line(f"e{i}", reply, input_csv=f"{rng.normal(1000, 1):.6f},{rng.normal(0, 1):.6f}")
             for i in range(200)]
    (tmp_path / "capture").mkdir()
    (tmp_path / "capture" / "capture.jsonl").write_text("\n".join(lines) + "\n")
    code, _, err = _invoke("drift", "--current", str(tmp_path / "capture"), "--profile", str(manifest),
                           "-o", str(tmp_path / "r.json"))
    assert code == 0, err
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["status"] == "ok" and [f["feature"] for f in result["features"]] == ["zeta", "alpha"]


def test_duplicate_and_ragged_csv_columns_are_named_not_a_traceback(tmp_path: Path, profile_path: Path) -> None:
    rng = np.random.default_rng(7)
    rows = [f"{a},{b}" for a, b in zip(rng.normal(size=300), rng.normal(size=300), strict=True)]
    (tmp_path / "dup.csv").write_text("a,b,b\n" + "\n".join(f"{row},0.5" for row in rows) + "\n")
    code, _, err = _invoke("drift", "--current", str(tmp_path / "dup.csv"), "--profile", str(profile_path))
    assert code == 2 and "names column(s) ['b'] more than once" in err, err
    ragged = [*rows[:40], "0.1,0.2,0.3", *rows[40:]]  # data row 41 (file line 42) has a stray field
    (tmp_path / "ragged.csv").write_text("a,b\n" + "\n".join(ragged) + "\n")
    code, _, err = _invoke("drift", "--current", str(tmp_path / "ragged.csv"), "--profile", str(profile_path),
                           "-o", str(tmp_path / "r.json"))
    assert code == 2 and "ragged.csv:42: 3 field(s) where the header has 2" in err and "row 41" in err, err
    assert not (tmp_path / "r.json").exists()
    unbalanced = [*rows[:10], '"0.1,0.2', *rows[10:]]  # an opening quote that never closes swallows the rest
    (tmp_path / "quote.csv").write_text("a,b\n" + "\n".join(unbalanced) + "\n")
    code, _, err = _invoke("drift", "--current", str(tmp_path / "quote.csv"), "--profile", str(profile_path))
    assert code == 2 and "quote.csv:12:" in err and "unbalanced quote" in err, err
