"""Which capture files a time window covers, found by their hour partitions rather than a full listing.

Capture data is written in hour partitions (UTC):
- SageMaker: ``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl``;
- the on-prem capture writer: ``<prefix>/yyyy/mm/dd/hh/<uuid>.jsonl``.
A prefix only grows, so a scheduled job asks for the last ``--since`` hours instead of everything.
The window is widened to whole hours: a partition is read when its hour overlaps
``[until - since, until]`` (at 10:05 with ``--since 2h``: hours 08, 09 and 10), because a file in an
hour partition may hold any record of that hour.

Finding the files costs a few listings, not one per object: the folders above the partitions
(``<endpoint>/<variant>/``) are discovered with delimiter listings until a level holds year folders
(a "date root"), then only ``<root>/yyyy/mm/dd/hh/`` of each hour in the window is listed.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from monitoring.errors import InputDataError

HOUR = timedelta(hours=1)
# How deep date roots may sit under the given prefix: SageMaker adds <endpoint>/<variant>/, and a user
# may point at the bucket's capture prefix one level above the endpoints.
MAX_ROOT_DEPTH = 4
_YEAR = re.compile(r"^\d{4}$")
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


def parse_duration(text: str, option: str = "--since") -> timedelta:
    """'24h', '90m', '2d', '1d12h' as a timedelta; anything else is bad input naming the option."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None:
        raise InputDataError(f"{option} {text!r}: give a duration like 2h, 24h, 90m or 7d")
    days, hours, minutes = (int(part or 0) for part in match.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes)
    if duration <= timedelta(0):
        raise InputDataError(f"{option} {text!r}: the window must be longer than zero")
    return duration


def format_duration(duration: timedelta) -> str:
    """The shortest form `parse_duration` reads back: whole hours as 'Nh', else minutes."""
    minutes = math.ceil(duration.total_seconds() / 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def parse_instant(text: str, option: str = "--until") -> datetime:
    """An ISO 8601 time; without an offset it is UTC (capture partitions are UTC)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputDataError(f"{option} {text!r}: give an ISO 8601 time like 2025-03-01T10:00:00Z") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class CaptureWindow:
    """The capture hours a run reads: those overlapping ``[until - since, until]``."""

    since: timedelta
    until: datetime

    @classmethod
    def ending_now(cls, since: timedelta, until: datetime | None = None) -> CaptureWindow:
        return cls(since, (until or datetime.now(UTC)).astimezone(UTC))

    @property
    def start(self) -> datetime:
        return self.until - self.since

    def hours(self) -> list[datetime]:
        """Start of every hour partition the window overlaps, oldest first."""
        hour = self.start.replace(minute=0, second=0, microsecond=0)
        hours = []
        while hour <= self.until:
            hours.append(hour)
            hour += HOUR
        return hours

    def describe(self) -> str:
        return f"{self.start:%Y-%m-%dT%H:%MZ} to {self.until:%Y-%m-%dT%H:%MZ} (--since {format_duration(self.since)})"


def hour_folder(hour: datetime) -> str:
    """The partition path of an hour, ``yyyy/mm/dd/hh/``."""
    return f"{hour:%Y/%m/%d/%H}/"


def date_roots(list_folders: Callable[[str], list[str]], top: str) -> list[str]:
    """Folders under `top` (itself included) whose children are year folders, as `top`-based paths.

    `list_folders(path)` returns the names of the sub-folders of `path` (a key prefix or a directory
    ending in '/'). The walk stops descending at a date root and at MAX_ROOT_DEPTH levels, so its
    cost is one listing per endpoint/variant folder, never per object.
    """
    roots: list[str] = []
    level = [top]
    for _ in range(MAX_ROOT_DEPTH + 1):
        deeper: list[str] = []
        for folder in level:
            children = list_folders(folder)
            if any(_YEAR.fullmatch(name) for name in children):
                roots.append(folder)
            deeper.extend(f"{folder}{name}/" for name in children if not _YEAR.fullmatch(name))
        level = deeper
        if not level:
            break
    return sorted(roots)


# --- the window that matches a schedule -----------------------------------------------------------

_NAMES = {name: number for number, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])} | {
    name: number
    for number, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}


def _field_values(field: str, low: int, high: int) -> set[int] | None:
    """The values a cron field allows, or None for every value ('*' or '?')."""
    if field in ("*", "?"):
        return None
    values: set[int] = set()
    for part in field.upper().split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if body in ("*", "?"):
            first, last = low, high
        elif "-" in body:
            a, b = body.split("-", 1)
            first, last = int(_NAMES.get(a, a)), int(_NAMES.get(b, b))
        else:
            first = int(_NAMES.get(body, body))
            last = high if step_text else first
        values.update(range(first, last + 1, max(step, 1)))
    return values if values and values != set(range(low, high + 1)) else None


def _longest_gap(values: set[int], cycle: int) -> int:
    ordered = sorted(v % cycle for v in values)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    return max([*gaps, ordered[0] + cycle - ordered[-1]])


def schedule_period(cron: str) -> timedelta:
    """The longest time between two runs of a five-field cron schedule (an upper bound for odd ones)."""
    fields = cron.split()
    if len(fields) != 5:
        raise InputDataError(f"schedule {cron!r}: expected a five-field cron expression like '0 * * * *'")
    try:
        minutes, hours, days, months, weekdays = (
            _field_values(field, low, high)
            for field, (low, high) in zip(fields, [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)], strict=True)
        )
    except ValueError:
        raise InputDataError(f"schedule {cron!r}: a field is not a cron value") from None
    if days is not None or months is not None:
        return timedelta(days=31)  # monthly-ish: the longest month bounds every such schedule
    if weekdays is not None:
        return timedelta(days=_longest_gap({d % 7 for d in weekdays}, 7))
    if hours is not None:
        return timedelta(hours=_longest_gap(hours, 24))
    if minutes is not None:
        return timedelta(minutes=_longest_gap(minutes, 60))
    return timedelta(minutes=1)


def window_for_schedule(cron: str, extra: timedelta = timedelta(0)) -> timedelta:
    """The capture window of a job on `cron`: its period rounded up to hours, plus one hour, plus `extra`.

    The extra hour lets every hour partition be read complete by a later run (capture files land a
    few minutes after their hour ends): an hourly job reads 2h, a daily one 25h. `extra` is the label
    delay for the quality job, whose predictions are scored only once their labels have arrived.
    """
    period_hours = math.ceil(schedule_period(cron) / HOUR)
    return timedelta(hours=period_hours) + HOUR + extra
