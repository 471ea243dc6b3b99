"""Dynamic int8 quantization of an ONNX model for edge targets, and what it costs in accuracy.

ONNX Runtime's `quantize_dynamic` rewrites the weight-carrying operators it knows (MatMul, Conv,
Attention, LSTM, Gather, ...; its `IntegerOpsRegistry`) to int8 weights with activations quantized at
run time. It does not touch the ONNX-ML operators that skl2onnx and onnxmltools emit for tree
ensembles and linear models (TreeEnsembleClassifier/Regressor, LinearClassifier/Regressor): for
those models there is nothing to quantize, and packaging says so instead of shipping an unchanged
model labelled "quantized".

The cost is measured on the reference sample against the unquantized ONNX model: label agreement
(classification), the largest absolute difference per output, and the task metric (the spec's
monitoring.quality metric, else accuracy / r2) computed against the reference labels, or against the
unquantized model's predictions when the sample has no label column.
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model_packaging.errors import QuantizationError, QuantizationNotApplicable

WEIGHT_TYPE = "QInt8"
# Metrics where a larger value is better; for the error metrics (mae, rmse) the cost is their relative growth.
HIGHER_IS_BETTER = {"accuracy", "precision", "recall", "f1", "roc_auc", "r2"}


@dataclass(frozen=True)
class QuantizationTolerance:
    """How much accuracy quantization may cost before packaging refuses the quantized model.

    `max_metric_cost`: absolute drop of a bounded metric (accuracy, precision, recall, f1, roc_auc, r2), or
    relative growth of an error metric (mae, rmse: 0.01 = 1 % worse). `min_label_agreement`: share of
    reference rows whose class label is unchanged. `max_abs_diff`: largest absolute change of any output
    value (None: reported only, since its scale depends on the model's outputs).
    """

    max_metric_cost: float = 0.01
    min_label_agreement: float = 0.99
    max_abs_diff: float | None = None


def quantizable_nodes(model_bytes: bytes) -> Counter[str]:
    """Operators in the default ONNX domain that dynamic quantization would rewrite, by type."""
    import onnx
    from onnxruntime.quantization.registry import IntegerOpsRegistry

    graph = onnx.load_from_string(model_bytes).graph
    return Counter(node.op_type for node in graph.node
                   if node.domain in ("", "ai.onnx") and node.op_type in IntegerOpsRegistry)


def quantize_dynamic_bytes(model_bytes: bytes, where: str) -> tuple[bytes, dict[str, int]]:
    """The int8-quantized model and the operator types it gained; refuses a model with nothing to quantize."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    proto = onnx.load_from_string(model_bytes)
    operators = sorted({node.op_type for node in proto.graph.node})
    candidates = quantizable_nodes(model_bytes)
    if not candidates:
        raise QuantizationNotApplicable(
            f"{where}: dynamic quantization does not apply to this model: its ONNX graph has only "
            f"{', '.join(operators[:8])}{' …' if len(operators) > 8 else ''}, and ONNX Runtime quantizes only "
            "weight-carrying operators (MatMul, Conv, Attention, LSTM, Gather), not the ONNX-ML tree-ensemble or "
            "linear operators. Package it without --quantize (model.quantize: false) to serve it unquantized"
        )
    before = Counter(node.op_type for node in proto.graph.node)
    with tempfile.TemporaryDirectory(prefix="slipstack-quantize-") as scratch:
        target = Path(scratch) / "quantized.onnx"
        root = logging.getLogger()
        level = root.level
        # quantize_dynamic logs a "consider pre-processing" warning on the root logger for every model.
        root.setLevel(logging.ERROR)
        try:
            quantize_dynamic(proto, target, weight_type=QuantType.QInt8)
        except Exception as error:  # the quantizer raises ValueError/RuntimeError/onnx errors alike
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise QuantizationError(
                f"{where}: ONNX Runtime could not quantize the model ({first}); package it without --quantize"
            ) from None
        finally:
            root.setLevel(level)
        quantized = target.read_bytes()
    after = Counter(node.op_type for node in onnx.load_from_string(quantized).graph.node)
    gained = {op: after[op] - before.get(op, 0) for op in sorted(after) if after[op] > before.get(op, 0)}
    if not gained:
        raise QuantizationNotApplicable(
            f"{where}: dynamic quantization left the model unchanged (its {dict(candidates)} operators have no "
            "constant weights to quantize); drop --quantize / set model.quantize: false"
        )
    return quantized, gained


def task_metric(name: str, truth: np.ndarray, labels: np.ndarray, scores: np.ndarray | None) -> float:
    """One of the spec's quality metrics, computed with scikit-learn."""
    from sklearn import metrics

    if name == "accuracy":
        return float(metrics.accuracy_score(truth, labels))
    if name in ("precision", "recall", "f1"):
        average = "binary" if len(np.unique(truth)) <= 2 else "macro"
        function = {"precision": metrics.precision_score, "recall": metrics.recall_score, "f1": metrics.f1_score}[name]
        return float(function(truth, labels, average=average, zero_division=0))
    if name == "roc_auc":
        assert scores is not None
        if scores.ndim == 2 and scores.shape[1] == 2:
            return float(metrics.roc_auc_score(truth, scores[:, 1]))
        return float(metrics.roc_auc_score(truth, scores, multi_class="ovr"))
    if name == "mae":
        return float(metrics.mean_absolute_error(truth, labels))
    if name == "rmse":
        return float(np.sqrt(metrics.mean_squared_error(truth, labels)))
    return float(metrics.r2_score(truth, labels))


def quantization_cost(unquantized: list[np.ndarray], quantized: list[np.ndarray], output_names: list[str],
                      task: str, metric: str | None, reference_labels: np.ndarray | None,
                      tolerance: QuantizationTolerance) -> dict[str, Any]:
    """Compare the quantized model with the unquantized one on the reference rows.

    Raw outputs are in signature order: classification gives labels then class probabilities.
    """
    classification = task == "classification"
    scores_before = np.asarray(unquantized[1]) if classification and len(unquantized) > 1 else None
    scores_after = np.asarray(quantized[1]) if classification and len(quantized) > 1 else None
    if metric is None or (metric == "roc_auc" and scores_before is None) or (
            classification != (metric in ("accuracy", "precision", "recall", "f1", "roc_auc"))):
        metric = "accuracy" if classification else "r2"
    before = np.asarray(unquantized[0]).reshape(len(unquantized[0]), -1)[:, 0]
    after = np.asarray(quantized[0]).reshape(len(quantized[0]), -1)[:, 0]
    if reference_labels is not None:
        truth, source = np.asarray(reference_labels), "reference labels"
    else:
        truth, source = before, "unquantized model's predictions"
    if metric == "roc_auc" and len(np.unique(truth)) < 2:
        metric = "accuracy"
    value_before = task_metric(metric, truth, before, scores_before)
    value_after = task_metric(metric, truth, after, scores_after)
    if metric in HIGHER_IS_BETTER:
        cost = value_before - value_after
    else:
        cost = (value_after - value_before) / max(abs(value_before), np.finfo(float).tiny)
    differences = {}
    for name, want, got in zip(output_names, unquantized, quantized, strict=False):
        want_f = np.asarray(want, dtype=np.float64)
        got_f = np.asarray(got, dtype=np.float64).reshape(want_f.shape)
        differences[name] = float(np.max(np.abs(want_f - got_f), initial=0.0))
    agreement = float(np.mean(before == after)) if classification else None
    return {
        "method": "dynamic", "weight_type": WEIGHT_TYPE, "rows": len(before),
        "metric": metric, "metric_against": source,
        "metric_unquantized": value_before, "metric_quantized": value_after, "metric_cost": float(cost),
        "label_agreement": agreement, "max_abs_diff": differences, "tolerance": asdict(tolerance),
    }


def refuse_costly(report: dict[str, Any], where: str) -> None:
    """Raise when the measured cost breaks the tolerance, saying by how much."""
    tolerance = report["tolerance"]
    problems = []
    cost_unit = "" if report["metric"] in HIGHER_IS_BETTER else " (relative)"
    if report["metric_cost"] > tolerance["max_metric_cost"]:
        problems.append(
            f"{report['metric']} on {report['rows']} reference rows (against the {report['metric_against']}) falls "
            f"from {report['metric_unquantized']:.6g} to {report['metric_quantized']:.6g}: a cost of "
            f"{report['metric_cost']:.6g}{cost_unit}, tolerance {tolerance['max_metric_cost']}"
        )
    agreement = report["label_agreement"]
    if agreement is not None and agreement < tolerance["min_label_agreement"]:
        problems.append(f"labels agree on {agreement:.2%} of rows, tolerance {tolerance['min_label_agreement']:.2%}")
    limit = tolerance["max_abs_diff"]
    if limit is not None:
        for name, diff in report["max_abs_diff"].items():
            if diff > limit:
                problems.append(f"output '{name}' changes by up to {diff:.6g}, tolerance {limit}")
    if problems:
        raise QuantizationError(
            f"{where}: the int8-quantized model costs too much accuracy: {'; '.join(problems)}. "
            "Package without --quantize (model.quantize: false) to serve the float model"
        )
