"""An XGBoost model packaged with serving_format: native and served by MLServer from its .ubj file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
import yaml

from model_packaging.serving_contract import infer_path
from model_server.launch import free_ports, start_server, stop_server, wait_ready

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples/artifacts/breast-cancer-screening"


def test_xgboost_native_artifact_serves_the_booster_predictions(tmp_path: Path) -> None:
    if not (EXAMPLE / "reference.csv").is_file():
        pytest.fail("example data missing: run `.venv/bin/python examples/train.py` first")
    import xgboost

    from deployment_spec import load_spec
    from model_packaging.package import package_model

    frame = pd.read_csv(EXAMPLE / "reference.csv")
    features = frame.drop(columns="target")
    model = xgboost.XGBClassifier(n_estimators=20, max_depth=3, random_state=0, n_jobs=1)
    model.fit(features, frame["target"])
    model.save_model(tmp_path / "model.ubj")
    data = yaml.safe_load((REPO / "deployments/breast-cancer-screening.yaml").read_text())
    data["model"].update(framework="xgboost", framework_version=".".join(xgboost.__version__.split(".")[:3]),
                         serving_format="native", artifact=str(tmp_path / "model.ubj"),
                         reference_sample=str(EXAMPLE / "reference.csv"))
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False))

    artifact = package_model(load_spec(spec).for_environment("dev"), tmp_path / "breast-cancer-screening").out
    manifest = json.loads((artifact / "manifest.json").read_text())
    assert manifest["format"] == "xgboost" and manifest["model_file"] == "model.ubj"
    assert manifest["parity"] is None and not (artifact / "model.onnx").exists()

    ports = free_ports()
    process = start_server(artifact, ports, tmp_path / "work")
    try:
        wait_ready(process, f"http://127.0.0.1:{ports.http}")
        url = f"http://127.0.0.1:{ports.http}{infer_path('breast-cancer-screening')}"
        rows = features.iloc[:3].to_numpy()
        request = {"inputs": [{"name": name, "shape": [3], "datatype": "FP64", "data": rows[:, i].tolist()}
                              for i, name in enumerate(features.columns)]}
        answer = httpx.post(url, json=request, timeout=10)
        assert answer.status_code == 200, answer.text
        label, probabilities = answer.json()["outputs"]
        assert label["data"] == model.predict(rows).tolist()
        assert probabilities["shape"] == [3, 2]
        assert np.allclose(np.reshape(probabilities["data"], (3, 2)), model.predict_proba(rows), atol=1e-6)
        # The packaged example request answers what the manifest recorded.
        example = httpx.post(url, json=manifest["example"]["request"], timeout=10).json()
        assert example["outputs"][0]["data"] == manifest["example"]["expected_outputs"][0]["data"]
        bad = copy.deepcopy(request)
        bad["inputs"][0]["data"][1] = None
        rejected = httpx.post(url, json=bad, timeout=10)
        assert rejected.status_code == 400 and "input 'mean_radius' row 1" in rejected.json()["error"]
        assert httpx.post(url, json=request, timeout=10).status_code == 200
    finally:
        stop_server(process)
