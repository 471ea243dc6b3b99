"""Five-field cron -> EventBridge: a table of expressions and their EventBridge forms, and what is refused.

Every row was checked against EventBridge's documented fields (day-of-week 1-7 from Sunday, one of
day-of-month/day-of-week '?', no steps in day-of-week, `#` and `L`). A second check re-reads each
converted expression with an EventBridge reading written from those documents and compares the days,
hours and minutes it matches with what the five-field expression matches.
"""

from __future__ import annotations

import re

import pytest

from deployment_spec.cron import CronError, parse, to_eventbridge

TABLE = [
    # every field form: plain values, '*', ranges, steps, stepped ranges, lists, names, '#', 'L', 'W'
    ("0 * * * *", "cron(0 * * * ? *)"),
    ("30 2 * * 1-5", "cron(30 2 ? * 2-6 *)"),
    ("*/15 9-17 * * MON-FRI", "cron(*/15 9-17 ? * 2-6 *)"),
    ("0 9 * * */2", "cron(0 9 ? * 1,3,5,7 *)"),  # Sun, Tue, Thu, Sat: not '*/3'
    ("0 9 * * 1-5/2", "cron(0 9 ? * 2,4,6 *)"),
    ("0 9 * * 5#3", "cron(0 9 ? * 6#3 *)"),  # third Friday: not '6#4'
    ("0 9 * * fri#1", "cron(0 9 ? * 6#1 *)"),
    ("0 9 * * 0#2", "cron(0 9 ? * 1#2 *)"),
    ("0 9 * * 5L", "cron(0 9 ? * 6L *)"),  # last Friday of the month
    ("0 0 L * *", "cron(0 0 L * ? *)"),
    ("0 0 LW * *", "cron(0 0 LW * ? *)"),
    ("0 0 15W * *", "cron(0 0 15W * ? *)"),
    ("0 12 * * 0", "cron(0 12 ? * 1 *)"),
    ("0 12 * * 7", "cron(0 12 ? * 1 *)"),  # 7 is Sunday too
    ("0 12 * * SUN", "cron(0 12 ? * 1 *)"),
    ("0 12 * * 0,6", "cron(0 12 ? * 1,7 *)"),
    ("0 12 * * 6-7", "cron(0 12 ? * 1,7 *)"),
    ("0 12 * * SAT,SUN", "cron(0 12 ? * 1,7 *)"),
    ("0 12 * * 0-6", "cron(0 12 ? * * *)"),
    ("0 0 * * WED", "cron(0 0 ? * 4 *)"),
    ("0 6 1 JAN,JUL *", "cron(0 6 1 1,7 ? *)"),
    ("0 6 1 */3 *", "cron(0 6 1 */3 ? *)"),
    ("0 6 1 FEB-APR *", "cron(0 6 1 2-4 ? *)"),
    ("5-55/10 * * * *", "cron(5,15,25,35,45,55 * * * ? *)"),
    ("0 0/6 * * *", "cron(0 0/6 * * ? *)"),
    ("0 */4 * * *", "cron(0 */4 * * ? *)"),
    ("0 0 */2 * *", "cron(0 0 */2 * ? *)"),
    ("0 0 1,15 * ?", "cron(0 0 1,15 * ? *)"),
    ("0,30 8,12-14 * * *", "cron(0,30 8,12-14 * * ? *)"),
    ("0 1-3,20 * * *", "cron(0 1-3,20 * * ? *)"),
    ("0 3 * * 1,3-5", "cron(0 3 ? * 2,4-6 *)"),
]


@pytest.mark.parametrize(("expression", "eventbridge"), TABLE)
def test_conversion_table(expression: str, eventbridge: str) -> None:
    assert to_eventbridge(expression) == eventbridge


# --- an EventBridge reading of the converted form, from AWS's documented field semantics -----------------

def _eventbridge_values(field: str, low: int, high: int) -> set[int] | None:
    if field in ("*", "?"):
        return None
    values: set[int] = set()
    for element in field.split(","):
        base, _, step = element.partition("/")
        if base == "*":  # `*/n`: from the field's first value
            start, end = low, high
        elif "-" in base:
            start, end = (int(v) for v in base.split("-"))
        else:
            start = int(base)
            end = high if step else start
        values |= set(range(start, end + 1, int(step or 1)))
    return values


def _cron_values(expression: str) -> list[set[int] | None]:
    schedule = parse(expression)
    fields = [schedule.minute, schedule.hour, schedule.day_of_month, schedule.month, schedule.day_of_week]
    return [None if f.values is None else set(f.values) for f in fields]


@pytest.mark.parametrize(("expression", "eventbridge"), [row for row in TABLE if not re.search(r"[LW#]", row[0])])
def test_converted_form_matches_the_same_times(expression: str, eventbridge: str) -> None:
    minute, hour, dom, month, dow, year = to_eventbridge(expression).removeprefix("cron(").removesuffix(")").split()
    assert year == "*" and "?" in (dom, dow)
    cron_minute, cron_hour, cron_dom, cron_month, cron_dow = _cron_values(expression)
    full = {"minute": set(range(60)), "hour": set(range(24)), "dom": set(range(1, 32)), "month": set(range(1, 13))}
    assert (_eventbridge_values(minute, 0, 59) or full["minute"]) == (cron_minute or full["minute"])
    assert (_eventbridge_values(hour, 0, 23) or full["hour"]) == (cron_hour or full["hour"])
    assert (_eventbridge_values(dom, 1, 31) or full["dom"]) == (cron_dom or full["dom"])
    assert (_eventbridge_values(month, 1, 12) or full["month"]) == (cron_month or full["month"])
    eventbridge_days = _eventbridge_values(dow, 1, 7)
    cron_days = None if cron_dow is None or len(cron_dow) == 7 else {day + 1 for day in cron_dow}
    assert eventbridge_days == cron_days


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 0 1 * 1", "restricts both day-of-month and day-of-week"),
        ("0 0 * * L", "uses L, W or # where cron does not allow it"),
        ("0 0 * * 1,5L", "uses L, W or # where cron does not allow it"),
        ("0 0 L,15 * *", "uses L, W or # where cron does not allow it"),
        ("0 0 * * 5#6", "the week after '#' must be 1-5"),
        ("0 0 * * 8#1", "day-of-week value 8 is outside 0-7"),
        ("*/0 * * * *", "minute step '/0' must be a whole number of at least 1"),
        ("0 0 5-1 * *", "day-of-month range '5-1' runs backwards"),
        ("0 0 * FOO *", "month value 'FOO' is not a number or a name"),
        ("61 * * * *", "minute value 61 is outside 0-59"),
        ("0 24 * * *", "hour value 24 is outside 0-23"),
        ("0 0 0 * *", "day-of-month value 0 is outside 1-31"),
        ("0 0 32W * *", "needs a day 1-31 before W"),
        ("? * * * *", "'?' is allowed only in day-of-month and day-of-week"),
        ("0 0 * *", "is not a five-field cron expression"),
        ("0 0 1,,2 * *", "has an empty element"),
    ],
)
def test_refused_expressions_name_the_field_and_value(expression: str, message: str) -> None:
    with pytest.raises(CronError, match=re.escape(message)):
        to_eventbridge(expression)


def test_eventbridge_extensions_are_flagged_for_kubernetes() -> None:
    assert parse("0 9 * * 5#3").uses_eventbridge_extensions
    assert parse("0 0 L * *").uses_eventbridge_extensions
    assert not parse("0 9 * JUL WED").uses_eventbridge_extensions
