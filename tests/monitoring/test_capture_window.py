"""--since: only the hour partitions a window overlaps, found with per-hour listings, local and in S3."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from monitoring.capture_window import (
    CaptureWindow,
    format_duration,
    parse_duration,
    parse_instant,
    schedule_period,
    window_for_schedule,
)
from monitoring.errors import EmptyWindowError, InputDataError
from monitoring.sources import CurrentData
from tests.monitoring.capture_fixtures import capture_line, classifier_reply, hour_key, write_lines

UNTIL = datetime(2025, 1, 1, 0, 30, tzinfo=UTC)  # half past midnight on New Year: crosses day, month, year
LINE = capture_line("e", classifier_reply([1], [0.9], "application/json"))


def _hours(until: datetime, since: str) -> list[str]:
    return [f"{h:%Y-%m-%dT%H}" for h in CaptureWindow.ending_now(parse_duration(since), until).hours()]


def test_window_hours_at_boundaries() -> None:
    assert _hours(UTC_TEN := datetime(2025, 3, 1, 10, 5, tzinfo=UTC), "2h") == [
        "2025-03-01T08",
        "2025-03-01T09",
        "2025-03-01T10",
    ]
    assert _hours(UTC_TEN.replace(minute=0), "2h") == ["2025-03-01T08", "2025-03-01T09", "2025-03-01T10"]
    assert _hours(datetime(2025, 3, 1, 9, 59, 59, tzinfo=UTC), "2h") == [
        "2025-03-01T07",
        "2025-03-01T08",
        "2025-03-01T09",
    ]
    assert _hours(UNTIL, "90m") == ["2024-12-31T23", "2025-01-01T00"]
    assert len(_hours(UNTIL, "1d")) == 25


def test_durations_instants_and_schedules() -> None:
    assert parse_duration("1d12h") == timedelta(hours=36) and parse_duration("90m") == timedelta(minutes=90)
    for bad in ("", "2x", "h", "0h", "-1h"):
        with pytest.raises(InputDataError, match="--since"):
            parse_duration(bad)
    assert format_duration(timedelta(hours=97)) == "97h" and format_duration(timedelta(minutes=90)) == "90m"
    assert parse_instant("2025-01-01T00:30:00") == UNTIL == parse_instant("2025-01-01T01:30:00+01:00")
    with pytest.raises(InputDataError, match="ISO 8601"):
        parse_instant("yesterday", "--until")
    windows = {
        "0 * * * *": "2h",
        "*/15 * * * *": "2h",
        "0 */6 * * *": "7h",
        "0 3 * * *": "25h",
        "0 3 * * 1-5": "73h",
        "0 3 * * MON": "169h",
    }
    assert {cron: format_duration(window_for_schedule(cron)) for cron in windows} == windows
    assert schedule_period("0 0 1 * *") == timedelta(days=31)
    assert format_duration(window_for_schedule("0 3 * * *", timedelta(hours=72))) == "97h"


def _layout(root: Path) -> dict[str, Path]:
    """SageMaker's <endpoint>/<variant>/yyyy/mm/dd/hh/ layout with files around midnight on New Year."""
    files = {}
    for hour in ("2024/12/31/22", "2024/12/31/23", "2025/01/01/00", "2025/01/01/01"):
        for variant in ("AllTraffic", "Canary"):
            files[f"{variant}/{hour}"] = write_lines(root / "churn-prod" / variant / hour / "a.jsonl", [LINE])
    write_lines(root / "churn-prod" / "AllTraffic" / "2024/12/31/23" / "notes.txt", ["not capture"])
    return files


def test_local_directory_selects_hours_in_the_window(tmp_path: Path) -> None:
    files = _layout(tmp_path)
    window = CaptureWindow.ending_now(parse_duration("1h"), UNTIL)  # 23:30 to 00:30: hours 23 and 00
    source = CurrentData(str(tmp_path), [], view="predictions", window=window)
    expected = sorted(
        str(files[f"{v}/{h}"]) for v in ("AllTraffic", "Canary") for h in ("2024/12/31/23", "2025/01/01/00")
    )
    assert source.partitions() == expected
    frames = [frame for _, frame in source.chunks()]
    assert sum(len(f) for f in frames) == 4
    # The on-prem writer's layout: partitions directly under the prefix.
    write_lines(tmp_path / "onprem" / "2025/01/01/00" / "u1.jsonl", [LINE])
    write_lines(tmp_path / "onprem" / "2024/12/30/00" / "old.jsonl", [LINE])
    onprem = CurrentData(str(tmp_path / "onprem"), [], view="predictions", window=window)
    assert [Path(p).name for p in onprem.partitions()] == ["u1.jsonl"]


def test_local_window_errors(tmp_path: Path) -> None:
    _layout(tmp_path)
    stale = CaptureWindow.ending_now(parse_duration("2h"), datetime(2025, 6, 1, tzinfo=UTC))
    with pytest.raises(
        EmptyWindowError, match=r"no capture files in the window 2025-05-31T22:00Z to 2025-06-01T00:00Z"
    ):
        CurrentData(str(tmp_path), [], window=stale).partitions()
    flat = write_lines(tmp_path / "flat" / "capture.jsonl", [LINE])
    with pytest.raises(InputDataError, match="no yyyy/mm/dd/hh/ hour partitions"):
        CurrentData(str(flat.parent), [], window=stale).partitions()
    with pytest.raises(InputDataError, match="not a directory"):
        CurrentData(str(flat), [], window=stale).partitions()


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="capture")
        yield client


def test_s3_prefix_is_listed_per_hour_not_whole(s3: Any) -> None:
    start = UNTIL - timedelta(days=4, minutes=30)
    for hour in range(24 * 5 + 2):  # five days of hourly files: the window must not list them all
        moment = start + timedelta(hours=hour)
        for variant in ("AllTraffic", "Canary"):
            s3.put_object(Bucket="capture", Key=f"dc/churn-prod/{variant}/{hour_key(moment)}", Body=LINE.encode())
    s3.put_object(Bucket="capture", Key="dc/churn-prod/AllTraffic/2025/01/01/00/ignore.txt", Body=b"x")
    requests: list[dict[str, Any]] = []
    s3.meta.events.register("provide-client-params.s3.ListObjectsV2", lambda params, **_: requests.append(params))
    window = CaptureWindow.ending_now(parse_duration("1h"), UNTIL)
    source = CurrentData("s3://capture/dc", [], view="predictions", s3_client=s3, window=window)
    assert source.partitions() == [
        "s3://capture/dc/churn-prod/AllTraffic/2024/12/31/23/capture.jsonl",
        "s3://capture/dc/churn-prod/AllTraffic/2025/01/01/00/capture.jsonl",
        "s3://capture/dc/churn-prod/Canary/2024/12/31/23/capture.jsonl",
        "s3://capture/dc/churn-prod/Canary/2025/01/01/00/capture.jsonl",
    ]
    listed = [(r["Prefix"], r.get("Delimiter")) for r in requests]
    # Discovery with delimiters down to the variants, then one listing per variant and hour.
    assert listed == [
        ("dc/", "/"),
        ("dc/churn-prod/", "/"),
        ("dc/churn-prod/AllTraffic/", "/"),
        ("dc/churn-prod/Canary/", "/"),
        ("dc/churn-prod/AllTraffic/2024/12/31/23/", None),
        ("dc/churn-prod/AllTraffic/2025/01/01/00/", None),
        ("dc/churn-prod/Canary/2024/12/31/23/", None),
        ("dc/churn-prod/Canary/2025/01/01/00/", None),
    ]
    assert sum(len(frame) for _, frame in source.chunks()) == 4


def test_s3_window_errors(s3: Any) -> None:
    s3.put_object(Bucket="capture", Key=f"dc/ep/v/{hour_key(UNTIL)}", Body=LINE.encode())
    s3.put_object(Bucket="capture", Key="flat/capture.jsonl", Body=LINE.encode())
    later = CaptureWindow.ending_now(parse_duration("2h"), UNTIL + timedelta(days=2))
    with pytest.raises(EmptyWindowError, match=r"s3://capture/dc/ep/v/"):
        CurrentData("s3://capture/dc/", [], s3_client=s3, window=later).partitions()
    with pytest.raises(InputDataError, match="no yyyy/mm/dd/hh/ hour partitions"):
        CurrentData("s3://capture/flat/", [], s3_client=s3, window=later).partitions()
