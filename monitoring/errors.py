"""Errors of the monitoring runtime, rooted at `contracts.errors.SlipstackError`.

Bad input (a file, column, record or option the user can fix) exits with 2; a failing verdict
(drift over the alert threshold, quality under its threshold, a failed smoke test) exits with 1.
"""

from __future__ import annotations

from contracts.errors import SlipstackError


class MonitoringError(SlipstackError):
    """Root of the monitoring errors; bad input unless a subclass says otherwise."""

    exit_code = 2


class ProfileError(MonitoringError):
    """A reference profile cannot be built, read or matched to the data."""


class InputDataError(MonitoringError):
    """The current data cannot be read, is empty, or does not match the profile."""


class CaptureRecordError(InputDataError):
    """No usable record in SageMaker data-capture input; names the first bad record."""


class VerdictError(MonitoringError):
    """A check ran and failed: drift over the alert threshold, quality too low, smoke test failed."""

    exit_code = 1


class DriftAlertError(VerdictError):
    """At least one feature drifted past the alert threshold."""

    label = "alert"


class QualityAlertError(VerdictError):
    """A quality metric fell below (or an error metric rose above) its threshold."""

    label = "alert"


class SmokeTestError(VerdictError):
    """A deployed endpoint did not answer the example request as expected."""


class NoLabelledPredictionsError(InputDataError):
    """No prediction of the window has its delayed label yet: the quality check has nothing to judge."""


class EmptyWindowError(InputDataError):
    """A capture directory or prefix holds no capture file in the requested time window."""
