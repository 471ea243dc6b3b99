"""Errors of model packaging, rooted at `contracts.errors.SlipstackError`.

Each message says what is wrong, where (file, field, row) and how to fix it. Everything here is bad
input (exit 2) except a failed integrity check, which is a failing verdict on an artifact (exit 1).
"""

from __future__ import annotations

from contracts.errors import SlipstackError


class PackagingError(SlipstackError):
    """Root of the packaging errors: an input the user can fix."""

    exit_code = 2


class ModelFileError(PackagingError):
    """The model file is missing, unreadable, or not the framework/task/shape the spec declares."""


class ConversionError(PackagingError):
    """The model cannot be converted to ONNX (e.g. an estimator the converters do not support)."""


class ParityError(PackagingError):
    """The converted model's predictions differ from the original's by more than the tolerance."""


class ReferenceSampleError(PackagingError):
    """The reference sample is missing, unreadable, or lacks the signature's columns."""


class IntegrityError(PackagingError):
    """An artifact does not match its manifest or the expected digest: tampered, truncated or incomplete."""

    exit_code = 1


class PublishError(PackagingError):
    """Uploading an artifact to the artifact bucket failed; nothing was left behind under its key."""


class QuantizationError(PackagingError):
    """Quantization failed, or the quantized model costs more accuracy than the tolerance allows."""


class QuantizationNotApplicable(QuantizationError):
    """The model has no operators dynamic quantization rewrites (e.g. an ONNX tree ensemble)."""
