"""Five-field cron expressions: parsing, and conversion to EventBridge's six-field `cron(...)` form.

Users write one syntax (minute hour day-of-month month day-of-week, as Kubernetes CronJobs take it) for
both targets. EventBridge differs in ways that silently change a schedule if a converter is careless:
day-of-week counts 1-7 from Sunday (cron counts 0-7, 0 and 7 both Sunday), one of day-of-month and
day-of-week must be `?`, day-of-week takes no `/` steps, and `#` (nth weekday) and `L` (last) exist
only there. So a day-of-week field is converted as the *set of days* it means, never by shifting the
digits in its text (`*/2` is Sun, Tue, Thu, Sat: `1,3,5,7`, not `*/3`; `5#3` is the third Friday: `6#3`).

`L` (last day of the month), `LW`, `<n>W` (nearest weekday) in day-of-month and `<n>L` (last <weekday>),
`<n>#<k>` (k-th <weekday>) in day-of-week are accepted because EventBridge runs them; Kubernetes does not,
so `deployment_spec.cross_checks` refuses them for the onprem target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


class CronError(ValueError):
    """An expression that is not valid five-field cron, or that EventBridge cannot express."""


@dataclass(frozen=True)
class _FieldSpec:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    names_start: int = 0


_FIELDS = (
    _FieldSpec("minute", 0, 59),
    _FieldSpec("hour", 0, 23),
    _FieldSpec("day-of-month", 1, 31),
    _FieldSpec("month", 1, 12, MONTH_NAMES, 1),
    _FieldSpec("day-of-week", 0, 7, DAY_NAMES, 0),
)
_DOM_SPECIAL = re.compile(r"^(L|LW|([0-9]{1,2})W)$")
_DOW_SPECIAL = re.compile(r"^([0-9A-Za-z]{1,3})(L|#([0-9]+))$")


@dataclass(frozen=True)
class CronField:
    """One parsed field: the text, the values it matches (None for `*`/`?`), and an EventBridge-only special."""

    text: str
    values: frozenset[int] | None
    special: str | None = None  # dom: L, LW, 15W; dow (already in EventBridge numbering): 6L, 6#3

    @property
    def restricted(self) -> bool:
        return self.values is not None or self.special is not None


@dataclass(frozen=True)
class CronSchedule:
    minute: CronField
    hour: CronField
    day_of_month: CronField
    month: CronField
    day_of_week: CronField

    @property
    def uses_eventbridge_extensions(self) -> bool:
        """`L`, `W` or `#`: EventBridge runs them, Kubernetes CronJobs do not."""
        return self.day_of_month.special is not None or self.day_of_week.special is not None


def _number(token: str, spec: _FieldSpec, expression: str) -> int:
    upper = token.upper()
    if spec.names and upper in spec.names:
        return spec.names.index(upper) + spec.names_start
    if not token.isdigit():
        allowed = f" or a name ({', '.join(spec.names)})" if spec.names else ""
        raise CronError(f"'{expression}': {spec.name} value '{token}' is not a number{allowed}")
    value = int(token)
    if not spec.low <= value <= spec.high:
        raise CronError(f"'{expression}': {spec.name} value {value} is outside {spec.low}-{spec.high}")
    return value


def _element(element: str, spec: _FieldSpec, expression: str) -> set[int]:
    base, slash, step_text = element.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) == 0:
            raise CronError(f"'{expression}': {spec.name} step '/{step_text}' must be a whole number of at least 1")
        step = int(step_text)
    if base == "*":
        start, end = spec.low, spec.high
    elif "-" in base:
        first, _, last = base.partition("-")
        start, end = _number(first, spec, expression), _number(last, spec, expression)
        if start > end:
            raise CronError(
                f"'{expression}': {spec.name} range '{base}' runs backwards (write the smaller value first; for a "
                "range across the end, a list such as 5,6,0)"
            )
    elif base:
        start = _number(base, spec, expression)
        end = spec.high if slash else start  # `a/n`: from a to the field's end, every n
    else:
        raise CronError(f"'{expression}': {spec.name} has an empty element in '{element}'")
    return set(range(start, end + 1, step))


def _field(text: str, spec: _FieldSpec, expression: str) -> CronField:
    if text == "?":
        if spec.name not in ("day-of-month", "day-of-week"):
            raise CronError(f"'{expression}': '?' is allowed only in day-of-month and day-of-week, not {spec.name}")
        return CronField(text, None)
    if text == "*":
        return CronField(text, None)
    if spec.name == "day-of-month" and (special := _DOM_SPECIAL.match(text.upper())):
        if special.group(2) is not None and not 1 <= int(special.group(2)) <= 31:
            raise CronError(f"'{expression}': day-of-month '{text}' needs a day 1-31 before W")
        return CronField(text, None, special=text.upper())
    if spec.name == "day-of-week" and (special := _DOW_SPECIAL.match(text)):
        day = _number(special.group(1), spec, expression) % 7
        if special.group(3) is not None:
            nth = int(special.group(3))
            if not 1 <= nth <= 5:
                raise CronError(f"'{expression}': day-of-week '{text}': the week after '#' must be 1-5")
            return CronField(text, None, special=f"{day + 1}#{nth}")
        return CronField(text, None, special=f"{day + 1}L")
    without_names = text.upper()
    for name in spec.names:
        without_names = without_names.replace(name, "")
    if any(mark in without_names for mark in ("L", "W", "#")):
        raise CronError(
            f"'{expression}': {spec.name} '{text}' uses L, W or # where cron does not allow it (day-of-month "
            "takes L, LW or <day>W alone; day-of-week takes <day>L or <day>#<1-5> alone)"
        )
    values: set[int] = set()
    for element in text.split(","):
        values |= _element(element, spec, expression)
    if spec.name == "day-of-week":
        values = {day % 7 for day in values}  # 7 is Sunday too
    return CronField(text, frozenset(values))


def parse(expression: str) -> CronSchedule:
    """Parse a five-field cron expression; a CronError names the field and the value that is wrong."""
    parts = expression.split()
    if len(parts) != 5:
        raise CronError(
            f"'{expression}' is not a five-field cron expression (minute hour day-of-month month day-of-week, "
            "e.g. '0 * * * *')"
        )
    fields = [_field(text, spec, expression) for text, spec in zip(parts, _FIELDS, strict=True)]
    return CronSchedule(*fields)


def _compact(values: frozenset[int] | set[int]) -> str:
    """Sorted values, runs of three or more written as ranges: {1,2,3,5} -> '1-3,5'."""
    ordered = sorted(values)
    parts: list[str] = []
    index = 0
    while index < len(ordered):
        end = index
        while end + 1 < len(ordered) and ordered[end + 1] == ordered[end] + 1:
            end += 1
        if end - index >= 2:
            parts.append(f"{ordered[index]}-{ordered[end]}")
        else:
            parts.extend(str(v) for v in ordered[index : end + 1])
        index = end + 1
    return ",".join(parts)


_SIMPLE = re.compile(r"^(\*(/[0-9]+)?|[0-9]+(/[0-9]+)?|[0-9]+-[0-9]+)$")


def _eventbridge_field(field: CronField, spec: _FieldSpec) -> str:
    if field.special is not None:
        return field.special
    if field.values is None:
        return "*"
    # One element with the same meaning in both syntaxes is kept as written (names as numbers); anything
    # else (a stepped range, a list holding a step) is written as the exact set of values it matches.
    text = field.text
    if spec.names:
        text = re.sub(r"[A-Za-z]{3}", lambda m: str(spec.names.index(m.group().upper()) + spec.names_start), text)
    if _SIMPLE.match(text):
        return text
    return _compact(field.values)


def to_eventbridge(expression: str) -> str:
    """Five-field cron -> EventBridge `cron(minutes hours day-of-month month day-of-week year)`."""
    schedule = parse(expression)
    dom, dow = schedule.day_of_month, schedule.day_of_week
    if dom.restricted and dow.restricted:
        raise CronError(
            f"'{expression}' restricts both day-of-month and day-of-week, which cron runs on either match and "
            "EventBridge cannot express (set one of them to '*')"
        )
    if dow.restricted:
        day_of_month = "?"
        if dow.special is not None:
            day_of_week = dow.special
        else:
            assert dow.values is not None
            days = {day + 1 for day in dow.values}  # cron 0 (Sunday) .. 6 -> EventBridge 1 (Sunday) .. 7
            day_of_week = "*" if len(days) == 7 else _compact(days)
    else:
        day_of_month = _eventbridge_field(dom, _FIELDS[2])
        day_of_week = "?"
    minute = _eventbridge_field(schedule.minute, _FIELDS[0])
    hour = _eventbridge_field(schedule.hour, _FIELDS[1])
    month = _eventbridge_field(schedule.month, _FIELDS[3])
    return f"cron({minute} {hour} {day_of_month} {month} {day_of_week} *)"
