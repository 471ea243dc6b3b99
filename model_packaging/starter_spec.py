"""`slipstack init`: a starter spec whose model section is inferred from the trained model and a sample.

The framework comes from the model file (its suffix, then what a joblib file holds), the inputs from the
sample's columns (the model's own training column names win when it kept them), their dtypes and
nullability from the sample's values, the task and the outputs from what the model returns on the sample,
through the same format modules `package` uses. So the signature is proven against the model before the
spec is written: a sample that does not fit the model is an error naming both files.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model_packaging.errors import ModelFileError, PackagingError, ReferenceSampleError
from model_packaging.formats import format_module

SUFFIX_FRAMEWORKS = {".ubj": "xgboost", ".json": "xgboost", ".txt": "lightgbm", ".pt": "pytorch",
                     ".pth": "pytorch", ".onnx": "onnx"}
LABEL_COLUMN_NAMES = ("target", "label", "y", "class")
_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


@dataclass(frozen=True)
class StarterIdentity:
    """What only the user knows: who owns the model, who pays for it, how sensitive its data is."""

    name: str
    owner: str
    cost_centre: str
    data_classification: str
    email: str


def detect_framework(path: Path) -> str:
    framework = SUFFIX_FRAMEWORKS.get(path.suffix.lower())
    if framework is not None:
        return framework
    import joblib

    try:
        model = joblib.load(path)
    except Exception as error:  # whatever the unpickler raises
        raise ModelFileError(
            f"{path}: cannot read the model ({type(error).__name__}: {error}); give a joblib file (sklearn, "
            "xgboost, lightgbm), .ubj/.json (xgboost), .txt (lightgbm), .pt (TorchScript) or .onnx"
        ) from None
    root = type(model).__module__.split(".")[0]
    frameworks = {"sklearn": "sklearn", "xgboost": "xgboost", "lightgbm": "lightgbm"}
    if root not in frameworks:
        raise ModelFileError(
            f"{path}: holds a {type(model).__module__}.{type(model).__name__}, which Slipstack cannot package; "
            "supported: scikit-learn, XGBoost and LightGBM models (joblib), TorchScript (.pt) and ONNX files"
        )
    return frameworks[root]


def _dtype(values: Any) -> str:
    kind = values.dtype.kind
    if kind == "b":
        return "bool"
    if kind in "iu":
        return "int64"
    if kind == "f":
        return "float64"
    raise ReferenceSampleError(f"column '{values.name}' holds {values.dtype} values; encode it as numbers")


def infer_model_section(model_path: Path, sample_path: Path, label_column: str | None = None) -> dict[str, Any]:
    """The spec's `model` section (framework, task, signature, reference sample), checked against the model."""
    from model_packaging.package import read_reference_sample

    framework = detect_framework(model_path)
    module = format_module(framework)
    model = module.load(model_path)
    frame = read_reference_sample(sample_path, [], str(sample_path))
    if label_column is None:
        label_column = next((c for c in frame.columns if str(c).lower() in LABEL_COLUMN_NAMES), None)
    elif label_column not in frame.columns:
        raise ReferenceSampleError(f"{sample_path}: --label '{label_column}' is not a column of the sample")
    trained = getattr(model, "feature_names_in_", None)
    if trained is not None:
        names = [str(name) for name in trained]
        missing = [name for name in names if name not in frame.columns]
        if missing:
            raise ReferenceSampleError(f"{sample_path}: lacks column(s) {missing[:5]} the model {model_path.name} "
                                       "was trained with; give a sample of its training inputs")
    else:
        names = [str(c) for c in frame.columns if c != label_column]
    bad = [name for name in names if not _COLUMN.match(name)]
    if bad:
        raise ReferenceSampleError(f"{sample_path}: column name(s) {bad[:5]} are not identifiers (letters, digits, "
                                   "'_'; not starting with a digit); rename them in the sample and in training")
    features = frame[names].to_numpy(dtype=np.float64, na_value=np.nan)
    task = "classification"
    for candidate in (() if framework == "onnx" else ("classification", "regression")):
        try:
            module.check(model, names, candidate, str(model_path))
        except ModelFileError as error:
            if "task:" in str(error):
                continue
            raise ModelFileError(f"{error} (inputs from the columns of {sample_path})") from None
        task = candidate
        break
    else:
        if framework != "onnx":
            raise ModelFileError(f"{model_path}: neither a classifier nor a regressor Slipstack can serve")
    if framework == "onnx":
        module.check(model, names, "regression", str(model_path))
    raw = module.predict(model, features[:100], names)
    if framework == "onnx":
        task = "classification" if len(raw) >= 2 else "regression"  # label + scores, or one value
    if task == "classification" and len(raw) > 1:
        outputs: list[dict[str, Any]] = [
            {"name": "label", "dtype": "int64"},
            {"name": "probabilities", "dtype": "float32", "shape": [int(np.asarray(raw[1]).shape[1])]},
        ]
    elif task == "classification":
        outputs = [{"name": "label", "dtype": "int64"}]
    else:
        outputs = [{"name": "prediction", "dtype": "float64"}]
    inputs = []
    for name in names:
        column = frame[name]
        entry: dict[str, Any] = {"name": name, "dtype": _dtype(column)}
        if column.isna().any():
            entry["nullable"] = True
        inputs.append(entry)
    versions = module.library_versions()
    version_key = {"sklearn": "scikit-learn", "xgboost": "xgboost", "lightgbm": "lightgbm", "pytorch": "torch",
                   "onnx": "onnx"}[framework]
    section: dict[str, Any] = {
        "framework": framework,
        "framework_version": re.match(r"\d+(\.\d+){0,2}", versions[version_key]).group(0),  # type: ignore[union-attr]
        "task": task,
        "artifact": None,  # relative paths are filled in by write_starter_spec
        "version": "0.1.0",
        "reference_sample": None,
    }
    if label_column is not None:
        section["label_column"] = label_column
    section["signature"] = {"inputs": inputs, "outputs": outputs}
    return section


def write_starter_spec(out: Path, model_path: Path, sample_path: Path, identity: StarterIdentity,
                       label_column: str | None = None) -> Path:
    """Write the starter spec to `out` (refusing to overwrite), validated by the spec loader first."""
    import yaml

    from deployment_spec import load_spec
    from deployment_spec.schema import SCHEMA_ID

    if out.exists():
        raise PackagingError(f"{out}: already exists; choose another --out or remove it")
    section = infer_model_section(model_path, sample_path, label_column)
    base = out.resolve().parent
    section["artifact"] = os.path.relpath(model_path.resolve(), base)
    section["reference_sample"] = os.path.relpath(sample_path.resolve(), base)
    document = {
        "apiVersion": "slipstack/v1",
        "kind": "ModelDeployment",
        "metadata": {"name": identity.name, "owner": identity.owner, "cost_centre": identity.cost_centre,
                     "data_classification": identity.data_classification},
        "model": section,
        "serving": {"mode": "online"},
        "monitoring": {"notifications": {"emails": [identity.email]}},
        "targets": ["onprem"],
    }
    header = (f"# yaml-language-server: $schema={SCHEMA_ID}\n"
              f"# Starter spec written by `slipstack init` from {model_path.name} and {sample_path.name}: the model\n"
              "# section was inferred and checked against the model; review serving, monitoring and security,\n"
              "# then `slipstack validate` and `slipstack package --spec` this file.\n")
    text = header + yaml.safe_dump(document, sort_keys=False, width=120)
    base.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".yaml", dir=base)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        load_spec(Path(temporary))  # the spec loader's own verdict before the file takes its name
        os.replace(temporary, out)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return out
