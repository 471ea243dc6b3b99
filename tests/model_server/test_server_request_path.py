"""Signature checks of the request path, without a server."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model_server.request_path import RequestRejected, TensorInput, canonical_features

INPUTS = [{"name": "a", "dtype": "float64", "nullable": False}, {"name": "b", "dtype": "int64", "nullable": True}]


def _tensors(a: list, b: list, a_type: str = "FP64", b_type: str = "INT64") -> list[TensorInput]:
    return [TensorInput("a", [len(a)], a_type, a), TensorInput("b", [len(b), 1], b_type, [[v] for v in b])]


def test_valid_request_becomes_a_float_matrix_in_signature_order() -> None:
    matrix = canonical_features(list(reversed(_tensors([1.5, 2], [3, None]))), INPUTS)
    assert matrix.shape == (2, 2) and matrix[0].tolist() == [1.5, 3.0]
    assert math.isnan(matrix[1, 1])  # b is nullable


@pytest.mark.parametrize(("tensors", "message"), [
    (_tensors([1.0], [1])[:1], r"missing input\(s\) \['b'\]"),
    ([*_tensors([1.0], [1]), TensorInput("c", [1], "FP64", [1.0])], r"unknown input\(s\) \['c'\]"),
    (_tensors([1.0], [1], b_type="FP64"), "input 'b' has datatype FP64; the signature says int64"),
    (_tensors([float("nan")], [1]), "input 'a' row 0 is nan: .*nullable: false"),
    (_tensors([1.0, None], [1, 2]), "input 'a' row 1 is None"),
    (_tensors(["x"], [1]), "input 'a' row 0: 'x' is not a number"),
    (_tensors([1.0, 2.0], [1]), "input 'b' has 1 rows but 'a' has 2"),
    ([TensorInput("a", [1, 3], "FP64", [1, 2, 3]), TensorInput("b", [1], "INT64", [1])], "has shape \\[1, 3\\]"),
    ([TensorInput("a", [2], "FP64", [1.0]), TensorInput("b", [2], "INT64", [1, 2])], "holds 1 values"),
])
def test_bad_requests_are_rejected_with_the_input_named(tensors: list[TensorInput], message: str) -> None:
    with pytest.raises(RequestRejected, match=message) as caught:
        canonical_features(tensors, INPUTS)
    assert caught.value.status_code == 400


def test_too_many_rows_is_413() -> None:
    rows = list(np.zeros(11))
    with pytest.raises(RequestRejected, match="11 rows exceed the limit of 10") as caught:
        canonical_features(_tensors(rows, [1] * 11), INPUTS, max_rows=10)
    assert caught.value.status_code == 413
