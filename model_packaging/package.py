"""Build a packaged artifact from a trained model and its deployment spec.

One artifact serves both targets. Its files:

- the serving model file at the root (`model.onnx`, or the native file when `serving_format: native`),
  which MLServer serves on Kubernetes;
- the native model file (`model.joblib`, `model.ubj`) at the root as well, unless the model was trained
  as ONNX: `code/inference.py` loads it in the SageMaker scikit-learn/XGBoost containers, which ship
  that framework but not onnxruntime (the parity check proves both files give the same answers);
- `code/inference.py` and `code/requirements.txt` (no packages: network isolation forbids installing
  any at start): the SageMaker framework-container layout;
- `model-settings.json`: the MLServer layout (Slipstack's runtime), for Kubernetes and `slipstack serve`;
- `manifest.json`: versions, signature, every file's sha256 and size, the content digest, the
  reference profile and an example request with the outputs the model gives for it.

Everything is written into a hidden staging directory next to `--out` and renamed into place only
when complete, so a failure (bad model, conversion, parity) leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model_packaging.errors import (
    ConversionError,
    ModelFileError,
    PackagingError,
    ParityError,
    QuantizationNotApplicable,
    ReferenceSampleError,
)
from model_packaging.formats import MODEL_FILE_NAMES, format_module
from model_packaging.inference_contract import PROCESSING_FILE, load_processing, run_pipeline
from model_packaging.manifest import MANIFEST_NAME, FileEntry, Manifest, ModelIdentity, hash_file
from model_packaging.quantization import QuantizationTolerance
from model_packaging.serving_contract import MODE_LIMITS, RUNTIME_IMPLEMENTATION
from model_packaging.signature import example_request, output_tensors, v2_metadata

# Converted outputs must satisfy |converted - original| <= ABSOLUTE + RELATIVE * |original| on every
# reference row; class labels must agree exactly. ONNX tree ensembles compute in float32, whose
# rounding stays orders of magnitude inside this bound for models that convert correctly.
PARITY_ABSOLUTE = 1e-4
PARITY_RELATIVE = 1e-4
PARITY_MAX_ROWS = 10_000
# Shipped beside code/inference.py, which loads it from its own folder.
CONTRACT_FILE = "inference_contract.py"


@dataclass(frozen=True)
class PackageResult:
    manifest: Manifest
    out: Path


def read_reference_sample(path: Path, feature_names: list[str], where: str) -> Any:
    import pandas as pd

    if not path.is_file():
        raise ReferenceSampleError(
            f"{where}: model.reference_sample '{path}' does not exist; point it at a CSV or Parquet sample of "
            "training inputs (it is the parity check, the example request and the drift baseline)"
        )
    try:
        frame = pd.read_parquet(path) if path.suffix in (".parquet", ".pq") else pd.read_csv(path)
    except Exception as error:  # pandas raises parser-specific errors
        raise ReferenceSampleError(f"{path}: cannot read the reference sample ({type(error).__name__}: {error})") \
            from None
    missing = [name for name in feature_names if name not in frame.columns]
    if missing:
        raise ReferenceSampleError(
            f"{path}: the reference sample lacks signature input column(s) {missing[:5]}"
            f"{' …' if len(missing) > 5 else ''}; it must hold every model.signature.inputs column"
        )
    if frame.empty:
        raise ReferenceSampleError(f"{path}: the reference sample has no rows")
    return frame


def compare_outputs(original: list[np.ndarray], converted: list[np.ndarray], names: list[str],
                    label_outputs: set[str]) -> dict[str, Any]:
    """Per output: the largest absolute difference and how many rows break the tolerance."""
    report: dict[str, Any] = {}
    for name, want, got in zip(names, original, converted, strict=False):
        want_array, got_array = np.asarray(want), np.asarray(got).reshape(np.asarray(want).shape)
        if name in label_outputs:
            bad = want_array != got_array
            report[name] = {"mismatched_rows": int(bad.reshape(len(bad), -1).any(axis=1).sum()),
                            "max_abs_diff": float(np.max(np.abs(want_array.astype(float) - got_array.astype(float)),
                                                         initial=0.0))}
            continue
        want_f, got_f = want_array.astype(np.float64), got_array.astype(np.float64)
        diff = np.abs(want_f - got_f)
        bad = diff > PARITY_ABSOLUTE + PARITY_RELATIVE * np.abs(want_f)
        worst = int(np.argmax(diff.reshape(len(diff), -1).max(axis=1))) if diff.size else 0
        report[name] = {
            "max_abs_diff": float(diff.max(initial=0.0)),
            "mismatched_rows": int(bad.reshape(len(bad), -1).any(axis=1).sum()),
            "worst_row": worst,
            "worst_original": np.asarray(want_f[worst]).tolist(),
            "worst_converted": np.asarray(got_f[worst]).tolist(),
        }
    return report


def _raise_on_parity_failure(report: dict[str, Any], rows: int, where: str) -> None:
    failing = {name: entry for name, entry in report.items() if entry["mismatched_rows"]}
    if not failing:
        return
    parts = []
    for name, entry in failing.items():
        text = (f"output '{name}': {entry['mismatched_rows']} of {rows} rows differ, "
                f"by up to {entry['max_abs_diff']:.6g}")
        if "worst_row" in entry:
            text += (f" (reference row {entry['worst_row']}: original {entry['worst_original']}, "
                     f"ONNX {entry['worst_converted']})")
        parts.append(text)
    raise ParityError(
        f"{where}: the ONNX conversion does not reproduce the model on the reference sample: {'; '.join(parts)}. "
        f"Tolerance: labels exact, values within {PARITY_ABSOLUTE} + {PARITY_RELATIVE} x |value|. "
        "Serve the model as it is with model.serving_format: native, or retrain it on float32-representable inputs"
    )


# What SageMaker's framework container ships to load each native model file with.
CONTAINER_LIBRARIES = {"sklearn": ("scikit-learn", "joblib", "numpy"), "xgboost": ("xgboost", "numpy"),
                       "lightgbm": ("lightgbm", "numpy"), "pytorch": ("torch", "numpy")}


def _requirements(framework: str, native_file: str | None, versions: dict[str, str]) -> str:
    """code/requirements.txt: deliberately no packages, with the reason and the versions to match.

    The framework containers would pip-install this file at start; under network isolation (the secure
    default) that download fails, so inference.py needs nothing beyond what the container ships.
    """
    if native_file is None:
        return (
            "# Intentionally no packages. This artifact holds only an ONNX model, which no SageMaker framework\n"
            "# container can serve (none ships onnxruntime, and network isolation forbids installing it):\n"
            "# deploy it to the onprem target, where MLServer serves the ONNX file.\n"
        )
    built_with = ", ".join(
        f"{name}=={versions[name]}" for name in CONTAINER_LIBRARIES[framework] if name in versions
    )
    return (
        f"# Intentionally no packages. SageMaker's {framework} serving container already ships what\n"
        f"# code/inference.py needs to load {native_file}, and with network isolation (Slipstack's default)\n"
        "# it could not download anything at start. Choose the container by model.framework_version.\n"
        f"# Built with: {built_with}\n"
    )


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _replace_directory(staging: Path, out: Path) -> None:
    """Move the finished staging directory to `out`, replacing a previous artifact there."""
    if out.exists():
        if not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST_NAME).is_file()):
            raise PackagingError(
                f"{out}: exists and is not a packaged artifact; refusing to overwrite it (choose another --out)"
            )
        previous = out.with_name(f".{out.name}.previous-{os.getpid()}")
        os.replace(out, previous)
        os.replace(staging, out)
        shutil.rmtree(previous, ignore_errors=True)
    else:
        os.replace(staging, out)


def package_model(resolved: Any, out: Path, model_path: Path | None = None,
                  step: Callable[[str], None] | None = None, quantize: bool | None = None,
                  quantization_tolerance: QuantizationTolerance | None = None) -> PackageResult:
    """Package the model of `resolved` (a deployment_spec.ResolvedSpec) into the directory `out`.

    `quantize` (default: the spec's model.quantize) ships the ONNX model with int8 weights, refused when
    it does not apply or costs more than `quantization_tolerance` on the reference sample.
    """
    spec = resolved.spec
    section = spec.model
    where = str(resolved.source)
    say = step or (lambda _message: None)
    quantize = section.quantize if quantize is None else quantize
    if quantize and section.framework != "onnx" and section.serving_format == "native":
        raise QuantizationNotApplicable(
            f"{where}: quantization applies to the ONNX serving format, but model.serving_format is native; "
            "set model.serving_format: onnx, or package without --quantize (model.quantize: false)"
        )
    if model_path is None:
        if section.artifact.startswith("s3://"):
            raise ModelFileError(f"{where}: model.artifact is an s3:// URI; pass the local model file to package")
        model_path = resolved.resolve_path(section.artifact)
    if not model_path.is_file():
        raise ModelFileError(f"{model_path}: no such model file (model.artifact in {where}, or the MODEL argument)")
    if section.reference_sample is None:
        raise ReferenceSampleError(
            f"{where}: model.reference_sample is not set; packaging needs a sample of training inputs "
            "for the parity check, the example request and the drift baseline"
        )
    inputs = [feature.model_dump() for feature in section.signature.inputs]
    feature_names = [feature["name"] for feature in inputs]
    unsupported = [f["name"] for f in inputs if f["dtype"] == "string"]
    if unsupported:
        raise PackagingError(f"{where}: string inputs {unsupported} are not supported yet; encode them as numbers")
    frame = read_reference_sample(resolved.resolve_path(section.reference_sample), feature_names, where)
    features = frame[feature_names].to_numpy(dtype=np.float64, na_value=np.nan)

    processing, processing_path = _load_processing(resolved, section, where)

    say(f"loading {section.framework} model {model_path.name}")
    native = format_module(section.framework)
    model = native.load(model_path)
    native.check(model, feature_names, section.task, f"{model_path}")
    library_versions = {"python": platform.python_version(), "numpy": np.__version__, **native.library_versions()}

    parity_rows = features[:PARITY_MAX_ROWS]
    serving_format = "onnx" if section.framework == "onnx" or section.serving_format == "onnx" else section.framework
    parity: dict[str, Any] | None = None
    onnx_bytes: bytes | None = None
    if section.framework == "onnx":
        onnx_bytes = model_path.read_bytes()
        serving_model: Any = model
        serving_module = native
    elif serving_format == "onnx":
        say("converting to ONNX")
        onnx_bytes = native.to_onnx(model, len(feature_names))
        serving_module = format_module("onnx")
        try:
            serving_model = serving_module.session_from_bytes(onnx_bytes, "converted model")
        except ModelFileError as error:  # the converter wrote a graph ONNX Runtime refuses: still a conversion failure
            raise ConversionError(
                f"{model_path}: the {section.framework} model converted to ONNX does not load in ONNX Runtime "
                f"({error}); set model.serving_format: native in the spec to serve it as it is"
            ) from None
        library_versions.update(serving_module.library_versions())
        library_versions.update(_converter_versions(section.framework))
    else:
        serving_model, serving_module = model, native

    def served_predict(x: np.ndarray) -> Any:
        if serving_format != "onnx" or section.framework == "onnx":
            return serving_module.predict(serving_model, x, feature_names)
        try:
            return serving_module.predict(serving_model, x, feature_names)
        except Exception as error:  # ONNX Runtime fails on the converted graph: the conversion's fault, not the data's
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ConversionError(
                f"{model_path}: the {section.framework} model converted to ONNX fails in ONNX Runtime on the "
                f"reference sample ({first}); set model.serving_format: native in the spec to serve it as it is"
            ) from None

    raw = _pipeline(processing, processing_path, served_predict, parity_rows)
    outputs_spec = [o.model_dump() for o in section.signature.outputs]
    if len(outputs_spec) > len(raw):
        raise ModelFileError(
            f"{where}: model.signature.outputs lists {len(outputs_spec)} outputs but the model produces {len(raw)} "
            f"({'label, class probabilities' if section.task == 'classification' else 'the prediction'}); "
            "list only those"
        )
    runtime_outputs = [{"name": o["name"], "index": index, "dtype": o["dtype"], "shape": o["shape"]}
                       for index, o in enumerate(outputs_spec)]
    if section.class_labels:
        runtime_outputs.append(_label_names_output(section.class_labels, raw, outputs_spec, where))
    for output, value in zip(outputs_spec, raw, strict=False):
        declared = [d for d in output["shape"] if d != -1]
        actual = list(np.asarray(value).shape[1:])
        if output["shape"] and len(output["shape"]) == len(actual) and declared != [
            a for a, d in zip(actual, output["shape"], strict=True) if d != -1
        ]:
            raise ModelFileError(
                f"{where}: model.signature.outputs '{output['name']}' declares per-row shape {output['shape']} "
                f"but the model produces {actual}"
            )

    if serving_format == "onnx" and section.framework != "onnx":
        say("checking parity on the reference sample")
        original = _pipeline(processing, processing_path, lambda x: native.predict(model, x, feature_names),
                             parity_rows)
        labels = {o["name"] for o in outputs_spec[:1]} if section.task == "classification" else set()
        report = compare_outputs(original, raw, [o["name"] for o in outputs_spec], labels)
        _raise_on_parity_failure(report, len(parity_rows), where)
        parity = {"rows": len(parity_rows), "tolerance": {"absolute": PARITY_ABSOLUTE, "relative": PARITY_RELATIVE,
                                                          "labels": "exact"}, "outputs": report}

    quantization: dict[str, Any] | None = None
    if quantize:
        assert onnx_bytes is not None
        onnx_bytes, serving_model, raw, quantization = _quantize(
            onnx_bytes, raw, frame, parity_rows, feature_names, outputs_spec, spec,
            quantization_tolerance or QuantizationTolerance(), where, say)

    say("profiling the reference sample")
    from monitoring.profile import build_profile

    categorical = [f["name"] for f in inputs if f["categorical"]]
    profile = build_profile(frame[feature_names], categorical=categorical).model_dump(mode="json")

    first_row = [None if np.isnan(v) else float(v) for v in features[0]]
    example = {
        "request": example_request(inputs, first_row),
        "expected_outputs": output_tensors(runtime_outputs, [np.asarray(r)[:1] for r in raw]),
    }

    model_file = MODEL_FILE_NAMES[serving_format]
    native_file = None if section.framework == "onnx" else MODEL_FILE_NAMES[section.framework]
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp's 0700 would hide the artifact from the server's non-root user
    try:
        say("writing the artifact")
        if onnx_bytes is not None:
            (staging / model_file).write_bytes(onnx_bytes)
        if native_file is not None:
            # Always shipped, even beside model.onnx: the SageMaker containers serve this file.
            native.write_native(model, model_path, staging / native_file)
        code_source = Path(__file__).with_name("sagemaker_inference.py")
        (staging / "code").mkdir()
        shutil.copyfile(code_source, staging / "code" / "inference.py")
        # The handler's half of the one inference contract the MLServer runtime also runs.
        shutil.copyfile(Path(__file__).with_name(CONTRACT_FILE), staging / "code" / CONTRACT_FILE)
        if processing_path is not None:
            shutil.copyfile(processing_path, staging / PROCESSING_FILE)
        _write_text(staging / "code" / "requirements.txt",
                    _requirements(section.framework, native_file, library_versions))
        settings = {
            "name": spec.metadata.name,
            "implementation": RUNTIME_IMPLEMENTATION,
            "parameters": {"uri": ".", "version": section.version},
            # V2 metadata from the signature: what tritonclient and KServe/Seldon UIs build requests from.
            **v2_metadata(inputs, runtime_outputs, serving_format, section.version),
        }
        _write_text(staging / "model-settings.json", json.dumps(settings, indent=2, sort_keys=True) + "\n")
        files = {
            path.relative_to(staging).as_posix(): hash_file(path)
            for path in sorted(staging.rglob("*")) if path.is_file()
        }
        manifest = Manifest(
            model=ModelIdentity(name=spec.metadata.name, version=section.version, framework=section.framework,
                                framework_version=section.framework_version, task=section.task),
            format=serving_format,
            model_file=model_file,
            native_model_file=native_file,
            library_versions=dict(sorted(library_versions.items())),
            signature=section.signature.model_dump(mode="json"),
            runtime={"outputs": runtime_outputs, "input_dtype": "float32" if serving_format == "onnx" else "float64",
                     "limits": MODE_LIMITS,
                     **({"processing": PROCESSING_FILE} if processing_path is not None else {})},
            parity=parity,
            quantization=quantization,
            reference_profile=profile,
            example=example,
            files=dict[str, FileEntry](files),
        ).sealed()
        _write_text(staging / MANIFEST_NAME, manifest.to_json())
        _replace_directory(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return PackageResult(manifest=manifest, out=out)


def _quantize(onnx_bytes: bytes, raw: list[np.ndarray], frame: Any, rows: np.ndarray, feature_names: list[str],
              outputs_spec: list[dict[str, Any]], spec: Any, tolerance: QuantizationTolerance, where: str,
              say: Callable[[str], None]) -> tuple[bytes, Any, list[np.ndarray], dict[str, Any]]:
    """Quantize the ONNX model and measure its cost against the unquantized one on the reference rows."""
    from model_packaging.quantization import quantization_cost, quantize_dynamic_bytes, refuse_costly

    say("quantizing to int8")
    quantized_bytes, gained = quantize_dynamic_bytes(onnx_bytes, where)
    onnx_format = format_module("onnx")
    session = onnx_format.session_from_bytes(quantized_bytes, "quantized model")
    quantized_raw = onnx_format.predict(session, rows, feature_names)
    section = spec.model
    labels = None
    if section.label_column and section.label_column in frame.columns:
        labels = frame[section.label_column].to_numpy()[:len(rows)]
    metric = spec.monitoring.quality.metric if spec.monitoring.quality is not None else None
    report = quantization_cost(raw, quantized_raw, [o["name"] for o in outputs_spec], section.task, metric,
                               labels, tolerance)
    report["operators_added"] = gained
    report["model_bytes"] = {"unquantized": len(onnx_bytes), "quantized": len(quantized_bytes)}
    refuse_costly(report, where)
    return quantized_bytes, session, quantized_raw, report


LABEL_NAMES_OUTPUT = "label_name"


def _label_names_output(labels: list[str], raw: list[np.ndarray], outputs_spec: list[dict[str, Any]],
                        where: str) -> dict[str, Any]:
    """The class-name output beside the label index, checked against what the model gives."""
    if any(o["name"] == LABEL_NAMES_OUTPUT for o in outputs_spec):
        raise PackagingError(f"{where}: model.signature.outputs already has an output named '{LABEL_NAMES_OUTPUT}', "
                             "the name class_labels answer with; rename that output")
    if len(raw) > 1 and np.asarray(raw[1]).ndim == 2 and np.asarray(raw[1]).shape[1] != len(labels):
        raise PackagingError(f"{where}: model.class_labels lists {len(labels)} names but the model scores "
                             f"{np.asarray(raw[1]).shape[1]} classes; list one name per class, in class-index order")
    indices = np.asarray(raw[0]).reshape(-1)
    if indices.size and (not np.all(indices == np.round(indices)) or indices.min() < 0
                         or indices.max() >= len(labels)):
        raise PackagingError(f"{where}: the model's labels on the reference sample are not class indices "
                             f"0..{len(labels) - 1} (saw {indices.min()!r}..{indices.max()!r}); class_labels name "
                             "classes by index: train on integer-encoded classes")
    return {"name": LABEL_NAMES_OUTPUT, "index": 0, "dtype": "string", "shape": [], "labels": list(labels)}


def _load_processing(resolved: Any, section: Any, where: str) -> tuple[Any, Path | None]:
    """The spec's custom processing module, imported as the servers will import it."""
    if section.processing is None:
        return None, None
    path = resolved.resolve_path(section.processing)
    if not path.is_file():
        raise PackagingError(f"{where}: model.processing '{path}' does not exist; point it at a Python file "
                             "defining preprocess(features) and/or postprocess(outputs, features)")
    try:
        return load_processing(str(path)), path
    except Exception as error:  # whatever the module raises while it is imported
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise PackagingError(
            f"{path}: the processing module (model.processing in {where}) fails to import "
            f"({type(error).__name__}: {first}); make it import with only the standard library and numpy, "
            "which is all the SageMaker containers are sure to have"
        ) from None


def _pipeline(processing: Any, path: Path | None, predict: Callable[[np.ndarray], Any],
              rows: np.ndarray) -> list[np.ndarray]:
    if processing is None:
        return list(predict(rows))
    try:
        return run_pipeline(processing, predict, rows)
    except PackagingError:  # the model's own (a conversion that fails in ONNX Runtime), already worded
        raise
    except Exception as error:  # the user's code: any failure is a packaging error naming the file
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise PackagingError(
            f"{path}: the processing module fails on the reference sample ({type(error).__name__}: {first}); "
            "preprocess must return the [rows, features] matrix it was given (same shape) and postprocess "
            "as many outputs as the model gives, each of the same shape"
        ) from None


def _converter_versions(framework: str) -> dict[str, str]:
    if framework == "sklearn":
        import skl2onnx

        return {"skl2onnx": skl2onnx.__version__}
    if framework == "pytorch":
        return {}  # torch.onnx ships with torch, whose version is recorded already
    import onnxmltools

    return {"onnxmltools": onnxmltools.__version__}
