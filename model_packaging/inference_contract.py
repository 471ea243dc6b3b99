"""The one inference contract both serving targets speak: request validation and response encoding.

The MLServer runtime on Kubernetes (model_server/runtime.py) and the SageMaker handler
(model_packaging/sagemaker_inference.py, shipped as code/inference.py) both call these functions, so a
caller gets the same answer, the same error message and the same status from either target.

Standard library and numpy only: every artifact carries a copy as `code/inference_contract.py`, and the
SageMaker framework containers have neither Slipstack nor (under network isolation) a way to install it.

Request forms (`parse_body`):
- a V2 (Open Inference Protocol) request `{"id"?, "inputs": [{name, shape, datatype, data}], "outputs"?}`;
- JSON `{"instances": [[...], ...]}` (rows in signature order) and `{"inputs": {name: [values...]}}`;
- CSV rows in signature order (`text/csv`), no header.
Every caller mistake is a `ClientError` with a 4xx status and a message naming the field, row or
line; messages never quote more than a few characters of what the caller sent (`_clip`).
Errors travel in the V2 error shape `{"error": message}` (`error_body`), which is MLServer's own.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

JSON = "application/json"
CSV = "text/csv"
# The V2 `data` of a tensor of shape [rows] or [rows, 1] is at most a list of lists; deeper nesting
# is refused before anything walks it (hundreds of levels used to overflow the stack: a 500).
MAX_DATA_DEPTH = 2
# A request id is echoed in the response body and MLServer's headers: it must be header-safe
# (visible ASCII, no CR/LF) and short enough not to bloat every response.
MAX_ID_LENGTH = 128
_ID = re.compile(r"^[!#-~]{1,128}$")  # visible ASCII without the double quote
_NAME = re.compile(r"^[A-Za-z0-9_.:\-]{1,256}$")
FLOAT32_MAX = float(np.finfo(np.float32).max)
_INT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_FLOAT_TYPES = {"FP16", "FP32", "FP64"}
_INT_TYPES = {"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"}
# Which V2 datatypes a signature dtype accepts: integers are exact in float64, so float features take
# them; an integer feature refuses floats rather than silently truncating them.
ACCEPTED_DATATYPES = {
    "float64": _FLOAT_TYPES | _INT_TYPES, "float32": _FLOAT_TYPES | _INT_TYPES,
    "int64": _INT_TYPES, "int32": _INT_TYPES, "bool": {"BOOL"},
}
V2_DATATYPES = {"float64": "FP64", "float32": "FP32", "int64": "INT64", "int32": "INT32", "bool": "BOOL",
                "string": "BYTES"}


NOT_UTF8_JSON = "the JSON body is not UTF-8; send JSON encoded as UTF-8"


class ClientError(ValueError):
    """A caller mistake; `status_code` is the 4xx to answer with."""

    def __init__(self, message: str, status_code: int = 400):
        super().__init__(message)
        self.message = message
        self.status_code = status_code


@dataclass(slots=True)
class TensorInput:
    """One request tensor, transport-neutral (MLServer's RequestInput, a JSON dict, a CSV column).

    Not frozen: a frozen dataclass pays object.__setattr__ per field, ~0.9 us a tensor, which was a tenth
    of a 30-input request's whole time in the server. Nothing changes a tensor after it is built.
    """

    name: str
    shape: Sequence[int]
    datatype: str
    data: Any


@dataclass(frozen=True)
class Request:
    """A parsed request: its tensors, the caller's id, the outputs asked for and the form it came in."""

    tensors: list[TensorInput]
    id: str | None = None
    outputs: list[str] | None = None
    form: str = "v2"  # v2 | instances | columns | csv


def _clip(value: Any, limit: int = 40) -> str:
    """A short, printable rendering of a caller's value: never the request echoed back."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _short(name: Any, limit: int = 40) -> str:
    text = str(name)
    return text if len(text) <= limit else text[:limit] + "…"


def error_body(message: str) -> dict[str, str]:
    """The V2 error shape, the same on both targets and for every 4xx."""
    return {"error": message}


def check_id(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ClientError(f"'id' must be a string, not {type(value).__name__}")
    if len(value) > MAX_ID_LENGTH:
        raise ClientError(f"'id' is {len(value):,} characters long; at most {MAX_ID_LENGTH} are allowed")
    if not _ID.match(value):
        raise ClientError("'id' may hold only visible ASCII characters (no spaces, quotes, CR/LF or non-ASCII), "
                          f"1-{MAX_ID_LENGTH} of them")
    return value


def check_requested_outputs(requested: Sequence[str] | None, available: Sequence[str]) -> list[str] | None:
    """The output names asked for, in the order asked, each one the signature has."""
    if requested is None:
        return None
    unknown = [name for name in requested if name not in available]
    if unknown:
        raise ClientError(f"unknown output(s) {[_short(n) for n in unknown[:5]]}; the signature's outputs are "
                          f"{list(available)}")
    if len(set(requested)) != len(requested):
        raise ClientError("an output is requested twice; name each output once")
    return list(requested)


def _too_deep(name: str) -> ClientError:
    return ClientError(f"input '{name}': tensor data is nested more than {MAX_DATA_DEPTH} lists deep; "
                       "send a flat list of values, or one list per row")


def _flat(data: Any, name: str) -> list[Any]:
    """The tensor's values as one flat list: `data` flat, or one list per row (MAX_DATA_DEPTH = 2 levels).

    Iterative, never recursive: data nested hundreds of levels deep is refused at the third level instead
    of overflowing the stack (once a 500 and thousands of log lines per request).
    """
    if type(data) is not list:
        raise ClientError(f"input '{name}': tensor data must be a JSON list")
    for value in data:
        if type(value) is list:
            break
    else:
        return data  # the common case: already flat
    flat: list[Any] = []
    for item in data:
        if type(item) is list:
            for value in item:
                if type(value) is list:
                    raise _too_deep(name)
            flat.extend(item)
        else:
            flat.append(item)
    return flat


# Names that passed _NAME once: a server sees the same few dozen signature names on every request, and the
# regular expression per tensor was a visible share of a 1-row request. Bounded, so odd names cannot grow it.
_VALID_NAMES: set[str] = set()


def _v2_tensors(raw: Any) -> list[TensorInput]:
    if not isinstance(raw, list) or not raw:
        raise ClientError("'inputs' must be a non-empty list of tensors {name, shape, datatype, data}")
    tensors = []
    valid = _VALID_NAMES
    for index, item in enumerate(raw):
        # One dict look-up per field in the common case; the exact message is worked out only on failure.
        if type(item) is not dict or len(item) < 4 or "data" not in item:
            _v2_tensor_error(index, item)
        name = item.get("name")
        shape = item.get("shape")
        datatype = item.get("datatype")
        if name not in valid:
            if not isinstance(name, str) or not _NAME.match(name):
                _v2_tensor_error(index, item)
            if len(valid) < 4096:
                valid.add(name)
        if type(shape) is not list or type(datatype) is not str or not (
                (len(shape) == 1 and type(shape[0]) is int) or all(type(d) is int for d in shape)):
            _v2_tensor_error(index, item)
        tensors.append(TensorInput(name, shape, datatype, item["data"]))
    return tensors


def _v2_tensor_error(index: int, item: Any) -> None:
    """Raise the message for the first thing wrong with inputs[index] (the slow path of _v2_tensors)."""
    if not isinstance(item, dict):
        raise ClientError(f"inputs[{index}] must be an object {{name, shape, datatype, data}}")
    missing = [key for key in ("name", "shape", "datatype", "data") if key not in item]
    if missing:
        raise ClientError(f"inputs[{index}] lacks {missing}; a V2 tensor has name, shape, datatype and data")
    name, shape, datatype = item["name"], item["shape"], item["datatype"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise ClientError(f"inputs[{index}].name must be a signature input name (letters, digits, _.:-)")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
        raise ClientError(f"inputs[{index}] ('{name}'): shape must be a list of integers")
    if not isinstance(datatype, str):
        raise ClientError(f"inputs[{index}] ('{name}'): datatype must be a string such as FP64")
    # Only subclasses of the JSON types get here (a decoder never makes them): judged like the plain ones.
    raise ClientError(f"inputs[{index}] ('{name}'): shape must be a list of integers and datatype a string")


def _requested(raw: Any) -> list[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(o, dict) and isinstance(o.get("name"), str) for o in raw):
        raise ClientError("'outputs' must be a list of {\"name\": ...} objects")
    return [o["name"] for o in raw]


def _row_tensors(rows: list[Any], inputs: Sequence[dict[str, Any]], where: str) -> list[TensorInput]:
    """Rows in signature order as one column tensor per input (the V2 form every check runs on)."""
    width = len(inputs)
    for index, row in enumerate(rows):
        if not isinstance(row, list):
            raise ClientError(f"{where} {index} must be a list of {width} values in signature order")
        if len(row) != width:
            raise ClientError(f"{where} {index} has {len(row)} values, the signature has {width} inputs")
        if any(isinstance(value, list) for value in row):
            raise ClientError(f"{where} {index} holds a nested list; each value must be a number")
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in inputs]
    return [TensorInput(f["name"], [len(rows)], V2_DATATYPES.get(f["dtype"], "FP64"), list(column))
            for f, column in zip(inputs, columns, strict=True)]


def parse_json(text: str | bytes) -> Any:
    if isinstance(text, (bytes, bytearray)):
        # JSON between systems is UTF-8 (RFC 8259); json.loads would guess UTF-16/32 from the first bytes and
        # report what it decoded as invalid JSON, so a body that is not UTF-8 is named as such first.
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise ClientError(NOT_UTF8_JSON) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ClientError("the JSON body is nested too deeply") from None
    except ValueError as error:
        # json's message gives line and column only, never the text around them.
        raise ClientError(f"the body is not valid JSON ({error})") from None


def check_v2_body(body: Any) -> None:
    """Raise the contract's ClientError for a body (raw text, or already decoded) that is not a well-formed V2
    request: the Kubernetes server words the errors of its own request parsing with it, as the handler does."""
    if isinstance(body, (str, bytes)):
        body = parse_json(body)
    v2_request(body)


def v2_request(body: Any) -> Request:
    """A decoded body as a V2 request (the only form the Kubernetes server speaks)."""
    if not isinstance(body, dict):
        raise ClientError("expected a JSON object: a V2 request {\"inputs\": [...]}, {\"instances\": [[...]]} or "
                          "{\"inputs\": {name: [...]}}")
    request_id = check_id(body.get("id"))
    outputs = _requested(body.get("outputs"))
    if body.get("inputs") is None:
        raise ClientError("the body has no 'inputs' or 'instances'")
    return Request(_v2_tensors(body["inputs"]), request_id, outputs, "v2")


def request_from_json(body: Any, inputs: Sequence[dict[str, Any]], max_rows: int) -> Request:
    """A decoded JSON body in any of the three JSON forms."""
    if not isinstance(body, dict):
        raise ClientError("expected a JSON object: a V2 request {\"inputs\": [...]}, {\"instances\": [[...]]} or "
                          "{\"inputs\": {name: [...]}}")
    request_id = check_id(body.get("id"))
    outputs = _requested(body.get("outputs"))
    if "instances" in body:
        rows = body["instances"]
        if not isinstance(rows, list):
            raise ClientError("'instances' must be a list of rows")
        _check_rows(len(rows), max_rows)
        return Request(_row_tensors(rows, inputs, "instance"), request_id, outputs, "instances")
    raw = body.get("inputs")
    if isinstance(raw, dict):
        names = [f["name"] for f in inputs]
        unknown = [_short(name) for name in raw if name not in names]
        if unknown:
            raise ClientError(f"unknown input(s) {unknown[:5]}; the signature's inputs are {names[:8]}"
                              f"{' …' if len(names) > 8 else ''}")
        tensors = []
        for feature in inputs:
            values = raw.get(feature["name"])
            if values is None:
                continue  # reported as missing by canonical_features, with the same message as V2
            if not isinstance(values, list):
                raise ClientError(f"inputs['{feature['name']}'] must be a list of values")
            tensors.append(TensorInput(feature["name"], [len(values)], V2_DATATYPES.get(feature["dtype"], "FP64"),
                                       values))
        return Request(tensors, request_id, outputs, "columns")
    if raw is None:
        raise ClientError("the body has no 'inputs' or 'instances'")
    return Request(_v2_tensors(raw), request_id, outputs, "v2")


def request_from_csv(text: str, inputs: Sequence[dict[str, Any]], max_rows: int) -> Request:
    rows: list[list[Any]] = []
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row:
            continue
        if len(rows) >= max_rows:  # stop reading: the rest would be parsed only to be refused
            raise ClientError(f"the CSV body holds more than {max_rows} rows, the limit per request; split the batch",
                              413)
        if len(row) != len(inputs):
            raise ClientError(f"CSV line {line} has {len(row)} values, the signature has {len(inputs)} inputs "
                              "(send rows in signature order, no header)")
        values: list[Any] = []
        for column, cell in enumerate(row):
            cell = cell.strip()
            if not cell:
                values.append(None)
                continue
            try:
                values.append(int(cell) if re.fullmatch(r"[+-]?\d+", cell) else float(cell))
            except ValueError:
                raise ClientError(f"CSV line {line}, column {column + 1} ('{inputs[column]['name']}'): "
                                  f"{_clip(cell)} is not a number (send rows in signature order, no header)") \
                    from None
        rows.append(values)
    return Request(_row_tensors(rows, inputs, "CSV row"), form="csv")


def _check_rows(rows: int, max_rows: int) -> None:
    if rows > max_rows:
        raise ClientError(f"{rows} rows exceed the limit of {max_rows} per request; split the batch", 413)


def parse_body(body: str | bytes, content_type: str | None, inputs: Sequence[dict[str, Any]], max_rows: int,
               max_bytes: int) -> Request:
    """A raw request body (SageMaker's invocation body) as a Request."""
    if content_type is None or not content_type.strip():
        raise ClientError(f"the request has no Content-Type; send {JSON} or {CSV}", 415)
    size = len(body)
    if size > max_bytes:
        raise ClientError(f"request body of {size:,} bytes exceeds the limit of {max_bytes:,} bytes; split the rows "
                          "into several smaller requests", 413)
    media = content_type.split(";")[0].strip().lower()
    if media == JSON:
        return request_from_json(parse_json(body), inputs, max_rows)
    if media == CSV:
        try:
            text = body.decode("utf-8") if isinstance(body, bytes) else body
        except UnicodeDecodeError:
            raise ClientError("the CSV body is not UTF-8") from None
        return request_from_csv(text, inputs, max_rows)
    raise ClientError(f"unsupported Content-Type {_clip(content_type)}; send {JSON} or {CSV}", 415)


_NUMBER_TYPES = {float, int}


def _raise_names(by_name: dict[str, TensorInput], inputs: Sequence[dict[str, Any]]) -> None:
    """Raise the message for request tensors whose names are not the signature's: unknown first, then missing."""
    expected = [feature["name"] for feature in inputs]
    known = set(expected)
    unknown = [_short(name) for name in by_name if name not in known]
    if unknown:
        raise ClientError(f"unknown input(s) {unknown[:5]}; the signature's inputs are {expected[:8]}"
                          f"{' …' if len(expected) > 8 else ''}")
    missing = [name for name in expected if name not in by_name]
    raise ClientError(f"missing input(s) {missing[:5]}{' …' if len(missing) > 5 else ''}; "
                      f"send one tensor of shape [rows] per signature input ({len(expected)} in all)")


def canonical_features(tensors: Sequence[TensorInput], inputs: Sequence[dict[str, Any]], max_rows: int,
                       model_dtype: str = "float64") -> np.ndarray:
    """The validated request as a [rows, features] float64 matrix in signature order.

    Every input of the signature must arrive as one tensor of shape [rows] or [rows, 1]; names,
    datatypes, row counts, missing values, value ranges (finite in `model_dtype`, the dtype the model
    computes in; integral and in range for integer inputs) and the row limit are checked, and each
    message names the offending input and row.

    This runs on every request, so the checks are per tensor (names, shapes, datatypes: cheap) and then
    on the whole matrix at once (types, finiteness, ranges); the per-value search for the first offender
    runs only when a check has failed.
    """
    by_name: dict[str, TensorInput] = {}
    for tensor in tensors:
        if tensor.name in by_name:
            raise ClientError(f"input '{_short(tensor.name)}' appears twice; send each signature input once")
        by_name[tensor.name] = tensor
    if len(by_name) != len(inputs):
        _raise_names(by_name, inputs)
    rows: int | None = None
    columns: list[list[Any]] = []
    checked_integral: list[int] = []  # columns whose values must be integers (the last check)
    for position, feature in enumerate(inputs):
        name = feature["name"]
        found = by_name.get(name)
        if found is None:  # as many tensors as inputs, so some other name is unknown
            _raise_names(by_name, inputs)
            raise AssertionError  # unreachable: _raise_names always raises
        tensor = found
        shape = tensor.shape if type(tensor.shape) is list else list(tensor.shape)
        if not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)) or shape[0] < 1:
            raise ClientError(f"input '{name}' has shape {_short(shape)}; expected [rows] or [rows, 1] with rows >= 1")
        if rows is None:
            rows = shape[0]
            _check_rows(rows, max_rows)
        elif shape[0] != rows:
            raise ClientError(f"input '{name}' has {shape[0]} rows but '{inputs[0]['name']}' has {rows}; "
                              "every input needs the same number of rows")
        if tensor.datatype not in ACCEPTED_DATATYPES.get(feature["dtype"], ()):
            allowed = ACCEPTED_DATATYPES.get(feature["dtype"], set())
            raise ClientError(f"input '{name}' has datatype {_short(tensor.datatype, 16)}; the signature says "
                              f"{feature['dtype']} (send one of {sorted(allowed)})")
        values = tensor.data
        # One value per input (a 1-row request) is the common case: no call, no scan.
        if type(values) is not list or len(values) != 1 or type(values[0]) is list:
            values = _flat(values, name)
        if len(values) != rows:
            raise ClientError(f"input '{name}' holds {len(values)} values but its shape {shape} says {rows}")
        columns.append(values)
        if feature["dtype"] in _INT_BOUNDS or tensor.datatype in _INT_TYPES:
            checked_integral.append(position)
    assert rows is not None
    sent = columns  # as the caller sent them, for messages
    # Plain numbers only: bool is an int subclass and strings would be parsed by numpy, so check the types.
    if not {type(v) for column in columns for v in column} <= _NUMBER_TYPES:
        for feature, values in zip(inputs, columns, strict=True):
            for index, value in enumerate(values):
                if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                    raise ClientError(f"input '{feature['name']}' row {index}: {_clip(value)} is not a number")
        columns = [[math.nan if v is None else v for v in values] for values in columns]
    try:
        # fromiter over the flattened columns: half of np.array's cost on a list of 1-value lists.
        matrix = np.fromiter(itertools.chain.from_iterable(columns), dtype=np.float64,
                             count=len(columns) * rows).reshape(len(columns), rows).T
    except OverflowError:
        for feature, values in zip(inputs, columns, strict=True):
            for index, value in enumerate(values):
                if isinstance(value, int) and abs(value) > 2**1023:
                    raise ClientError(f"input '{feature['name']}' row {index} is out of range for "
                                      f"{feature['dtype']}") from None
        raise
    # One reduction for the common case: the largest magnitude is finite only when every value is (NaN propagates).
    peak = float(np.abs(matrix).max())
    all_finite = math.isfinite(peak)
    if not all_finite:
        finite = np.isfinite(matrix)
        for column, feature in enumerate(inputs):
            bad = np.flatnonzero(~finite[:, column])
            if not bad.size:
                continue
            nan_ok = feature.get("nullable", False)
            offending = [int(r) for r in bad if not (nan_ok and np.isnan(matrix[r, column]))]
            if offending:
                row = offending[0]
                raise ClientError(
                    f"input '{feature['name']}' row {row} is {_clip(sent[column][row])}: missing, "
                    "NaN and infinite values are not allowed for this input (the signature says nullable: false)"
                )
    limit = FLOAT32_MAX if model_dtype == "float32" else math.inf
    if math.isfinite(limit) and (peak if all_finite else np.nanmax(np.abs(matrix), initial=0.0)) > limit:
        row, column = (int(i[0]) for i in np.nonzero(np.abs(np.nan_to_num(matrix)) > limit))
        raise ClientError(f"input '{inputs[column]['name']}' row {row} is beyond float32's range "
                          f"(±{FLOAT32_MAX:.6g}), the precision the model computes in")
    for column in checked_integral:
        feature = inputs[column]
        datatype = by_name[feature["name"]].datatype
        bounds = _INT_BOUNDS.get(feature["dtype"])
        if bounds is None and datatype not in _INT_TYPES:
            continue
        values = matrix[:, column]
        present = np.isfinite(values)
        fractional = present & (values != np.floor(np.nan_to_num(values)))
        if fractional.any():
            row = int(np.argmax(fractional))
            suffix = f"({feature['dtype']})" if bounds is not None else \
                f"but the tensor's datatype is {datatype}"
            raise ClientError(f"input '{feature['name']}' row {row}: {_clip(sent[column][row])} is not an "
                              f"integer{' ' if bounds is not None else ', '}{suffix}")
        if bounds is not None:
            outside = [i for i, v in enumerate(columns[column]) if v is not None and v == v
                       and not bounds[0] <= v <= bounds[1]]
            if outside:
                raise ClientError(f"input '{feature['name']}' row {outside[0]} is out of range for {feature['dtype']}")
    return np.ascontiguousarray(matrix)


NUMPY_DTYPES: dict[str, Any] = {"float64": np.float64, "float32": np.float32, "int64": np.int64,
                                "int32": np.int32, "bool": np.bool_}


def output_tensors(outputs: list[dict[str, Any]], raw: list[np.ndarray]) -> list[dict[str, Any]]:
    """Encode raw model outputs as V2 response tensors, cast to the dtypes the signature declares.

    `outputs` are the manifest's runtime.outputs entries: {name, index, dtype, shape}.
    """
    tensors = []
    for output in outputs:
        if "labels" in output:  # class names beside the class indices (the spec's model.class_labels)
            names = output["labels"]
            indices = np.asarray(raw[output["index"]]).reshape(-1).astype(np.int64)
            tensors.append({"name": output["name"], "shape": [len(indices)], "datatype": "BYTES",
                            "data": [names[i] for i in indices.tolist()]})
            continue
        value = np.asarray(raw[output["index"]]).astype(NUMPY_DTYPES.get(output["dtype"], np.float64), copy=False)
        if not output.get("shape") and value.ndim == 2 and value.shape[1] == 1:
            value = value.reshape(-1)  # a scalar per row: regressors in ONNX return [rows, 1]
        tensors.append({
            "name": output["name"],
            "shape": list(value.shape),
            "datatype": V2_DATATYPES[output["dtype"]],
            "data": value.ravel().tolist(),
        })
    return tensors


def select_outputs(tensors: list[dict[str, Any]], requested: list[str] | None) -> list[dict[str, Any]]:
    if requested is None:
        return tensors
    by_name = {tensor["name"]: tensor for tensor in tensors}
    return [by_name[name] for name in requested]


def v2_response(model_name: str, model_version: str | None, request_id: str | None,
                outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """A V2 inference response."""
    body: dict[str, Any] = {"model_name": model_name, "model_version": model_version, "outputs": outputs}
    if request_id is not None:
        body["id"] = request_id
    return body


def negotiate(accept: str | None, default: str = JSON) -> str:
    """The media type to answer with for an Accept header; 406 when neither JSON nor CSV is acceptable."""
    if accept is None or not accept.strip():
        return default
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media == "*/*":
            return default
        if media in (JSON, "application/*"):
            return JSON
        if media in ("text/*", CSV):
            return CSV
    raise ClientError(f"cannot answer with Accept {_clip(accept)}; this model answers {JSON} or {CSV}", 406)


def encode_response(request: Request, model_name: str, model_version: str | None, outputs: list[dict[str, Any]],
                    media: str) -> str:
    """The response body: V2 for a V2 request, {name: values} for the other forms, CSV rows for CSV."""
    if media == CSV:
        rows = outputs[0]["shape"][0] if outputs and outputs[0]["shape"] else 0
        columns = [np.asarray(o["data"]).reshape(rows, -1) for o in outputs]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for index in range(rows):
            writer.writerow([value for column in columns for value in column[index].tolist()])
        return out.getvalue()
    if request.form == "v2":
        return json.dumps(v2_response(model_name, model_version, request.id, outputs))
    return json.dumps({o["name"]: np.asarray(o["data"]).reshape(o["shape"]).tolist() for o in outputs})


# --- custom pre/post-processing (model.processing in the spec; code/processing.py in the artifact) -------
PROCESSING_FILE = "code/processing.py"


class ProcessingError(RuntimeError):
    """The custom processing module broke its contract (a server-side fault, never the caller's)."""


def load_processing(path: str) -> Any:
    """The custom processing module at `path`, imported from its file (it is no package of anyone's)."""
    import hashlib
    import importlib.util
    import sys

    with open(path, "rb") as handle:
        name = "slipstack_processing_" + hashlib.sha256(handle.read()).hexdigest()[:16]
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ProcessingError(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not (callable(getattr(module, "preprocess", None)) or callable(getattr(module, "postprocess", None))):
        raise ProcessingError(f"{path}: defines neither preprocess(features) nor postprocess(outputs, features)")
    sys.modules[name] = module
    return module


def run_pipeline(processing: Any, predict: Any, features: np.ndarray) -> list[np.ndarray]:
    """preprocess -> model -> postprocess, the same on both targets and in the packaging parity check.

    `preprocess(features)` gets a copy of the validated [rows, features] float64 matrix and returns one of the
    same shape (the model's inputs are the signature's); `postprocess(outputs, features)` gets the model's raw
    outputs (a list of arrays, signature order) and returns as many arrays of the same shapes.
    """
    if processing is None:
        return list(predict(features))
    given = features
    preprocess = getattr(processing, "preprocess", None)
    if callable(preprocess):
        given = np.asarray(preprocess(features.copy()), dtype=np.float64)
        if given.ndim == 2 and given.shape[0] == features.shape[0] and given.shape[1] != features.shape[1]:
            # The signature is the model's input: requests are checked against it, the parity check and the
            # ONNX graph take its width. A preprocess that adds or drops features would need a second signature.
            raise ProcessingError(
                f"preprocess changes the feature width: it returned {given.shape[1]} features for the signature's "
                f"{features.shape[1]}, and the model must take the signature's inputs. Adding or dropping features "
                "is not supported in preprocess: do it inside the model (an sklearn Pipeline step, a layer of the "
                "module), or let the callers send the model's own inputs and list those in model.signature.inputs"
            )
        if given.shape != features.shape:
            raise ProcessingError(f"preprocess returned shape {list(given.shape)} for input shape "
                                  f"{list(features.shape)}; it must keep [rows, features]")
    raw = [np.asarray(value) for value in predict(given)]
    postprocess = getattr(processing, "postprocess", None)
    if not callable(postprocess):
        return raw
    processed = [np.asarray(value) for value in postprocess(list(raw), features.copy())]
    if [v.shape for v in processed] != [v.shape for v in raw]:
        raise ProcessingError(f"postprocess returned shapes {[list(v.shape) for v in processed]} for model outputs "
                              f"of shapes {[list(v.shape) for v in raw]}; it must keep each output's shape")
    return processed
