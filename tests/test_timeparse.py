"""Timestamps and dates (FORMATS.md A.2): naive means America/New_York; everything ends UTC ns."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from flowterm.core.timeparse import (
    parse_date_text,
    parse_timestamp_text,
    session_of,
    to_date,
    to_utc,
)

UTC_NS = pl.Datetime("ns", "UTC")


def _epoch_ns(*args: int) -> int:
    """UTC wall time → integer ns since the epoch, computed with the standard library."""
    return int(datetime(*args, tzinfo=UTC).timestamp()) * 1_000_000_000


def _ts(values: list[str]) -> pl.Series:
    out = pl.DataFrame({"t": values}, schema={"t": pl.String}).select(
        parse_timestamp_text(pl.col("t"))
    )
    assert out.schema["t"] == UTC_NS
    return out["t"]


def _ns(values: list[str]) -> list[int | None]:
    return _ts(values).dt.epoch("ns").to_list()


def _dates(values: list[str]) -> list[date | None]:
    return (
        pl.DataFrame({"d": values}, schema={"d": pl.String})
        .select(parse_date_text(pl.col("d")))["d"]
        .to_list()
    )


# 2026-04-08 13:30:00 UTC, the 09:30 ET open on a day in daylight-saving time.
OPEN_APR = _epoch_ns(2026, 4, 8, 13, 30, 0)


def test_naive_timestamp_in_april_is_edt() -> None:
    assert _ns(["2026-04-08 09:30:00"]) == [OPEN_APR]


def test_naive_timestamp_in_january_is_est() -> None:
    assert _ns(["2026-01-08 09:30:00"]) == [_epoch_ns(2026, 1, 8, 14, 30, 0)]


def test_naive_without_seconds() -> None:
    assert _ns(["2026-04-08 09:30"]) == [OPEN_APR]


@pytest.mark.parametrize(
    "text",
    [
        "2026-04-08T13:30:00Z",
        "2026-04-08 13:30:00Z",
        "2026-04-08T13:30:00+00:00",
        "2026-04-08T09:30:00-04:00",
        "2026-04-08T08:30:00-05:00",
        "2026-04-08T19:00:00+0530",
        "2026-04-08T19:00:00+05:30",
        "2026-04-08T09:30:00",  # T separator, naive → ET
        "  2026-04-08 09:30:00  ",  # surrounding spaces
    ],
)
def test_offsets_and_t_separator(text: str) -> None:
    assert _ns([text]) == [OPEN_APR]


def test_offset_wins_over_the_new_york_rule() -> None:
    # The same wall time with and without an offset lands on different instants.
    naive, utc = _ns(["2026-04-08 13:30:00", "2026-04-08 13:30:00Z"])
    assert utc == OPEN_APR
    assert naive == OPEN_APR + 4 * 3600 * 1_000_000_000


@pytest.mark.parametrize(
    "text",
    [
        "2026-04-08 09:30:00.5",
        "2026-04-08T09:30:00.500-04:00",
        "2026-04-08T13:30:00.500000Z",
    ],
)
def test_fractional_seconds_to_the_millisecond(text: str) -> None:
    assert _ns([text]) == [OPEN_APR + 500_000_000]


def test_fractional_seconds_to_the_microsecond() -> None:
    assert _ns(["2026-04-08T09:30:00.123456-04:00"]) == [OPEN_APR + 123_456_000]


@pytest.mark.parametrize(
    "text",
    [
        "2026-04-08 09:30:00.123456789",
        "2026-04-08T13:30:00.123456789Z",
        "1775655000123456789",  # ns epoch as text (every CSV column is read as text)
    ],
)
def test_fractional_seconds_kept_to_the_nanosecond(text: str) -> None:
    assert _ns([text]) == [OPEN_APR + 123_456_789]


@pytest.mark.parametrize(
    "text",
    [
        "1775655000",  # seconds
        "1775655000000",  # milliseconds
        "1775655000000000",  # microseconds
        "1775655000000000000",  # nanoseconds
    ],
)
def test_integer_epoch_text_unit_from_magnitude(text: str) -> None:
    assert OPEN_APR == 1_775_655_000 * 1_000_000_000  # the constant above, checked by hand
    assert _ns([text]) == [OPEN_APR]


@pytest.mark.parametrize(
    "value",
    [1_775_655_000, 1_775_655_000_000, 1_775_655_000_000_000, 1_775_655_000_000_000_000],
)
def test_integer_epoch_column_unit_from_magnitude(value: int) -> None:
    df = pl.DataFrame({"t": [value]}, schema={"t": pl.Int64})
    out = df.select(to_utc(pl.col("t"), pl.Int64()))
    assert out.schema["t"] == UTC_NS
    assert out["t"].dt.epoch("ns").to_list() == [OPEN_APR]


def test_integer_ns_epoch_column_keeps_nanoseconds() -> None:
    df = pl.DataFrame({"t": [OPEN_APR + 123_456_789]}, schema={"t": pl.Int64})
    out = df.select(to_utc(pl.col("t"), pl.Int64()))
    assert out["t"].dt.epoch("ns").to_list() == [OPEN_APR + 123_456_789]


def test_dst_gap_is_rejected_as_null() -> None:
    # 2026-03-08 02:00–03:00 does not exist in New York (clocks spring forward).
    assert _ns(["2026-03-08 02:30:00", "2026-03-08 03:30:00"]) == [
        None,
        _epoch_ns(2026, 3, 8, 7, 30, 0),  # 03:30 EDT
    ]


def test_ambiguous_fall_back_takes_the_earliest() -> None:
    # 2025-11-02 01:30 happens twice in New York; the first (EDT, UTC-4) is 05:30 UTC.
    assert _ns(["2025-11-02 01:30:00"]) == [_epoch_ns(2025, 11, 2, 5, 30, 0)]


@pytest.mark.parametrize("text", ["garbage", "", "2026-02-30 09:30:00", "25:00", "2026-04-08X"])
def test_unparseable_timestamp_is_null_not_an_error(text: str) -> None:
    assert _ns([text]) == [None]


def test_date_only_timestamp_is_midnight_new_york() -> None:
    assert _ns(["2026-04-08"]) == [_epoch_ns(2026, 4, 8, 4, 0, 0)]


def test_other_naive_layouts() -> None:
    assert _ns(["04/08/2026 09:30:00", "20260408 09:30:00", "04/08/2026 09:30"]) == [
        OPEN_APR,
        OPEN_APR,
        OPEN_APR,
    ]


def test_session_of_is_the_new_york_date() -> None:
    df = pl.DataFrame(
        {"t": ["2026-04-09T02:00:00Z", "2026-04-09T03:59:59Z", "2026-04-09T04:00:00Z"]}
    ).select(session_of(parse_timestamp_text(pl.col("t"))))
    assert df["t"].to_list() == [date(2026, 4, 8), date(2026, 4, 8), date(2026, 4, 9)]


def test_session_of_in_winter_uses_est() -> None:
    df = pl.DataFrame({"t": ["2026-01-09T04:30:00Z", "2026-01-09T05:00:00Z"]}).select(
        session_of(parse_timestamp_text(pl.col("t")))
    )
    assert df["t"].to_list() == [date(2026, 1, 8), date(2026, 1, 9)]


def test_to_utc_naive_datetime_column_is_new_york() -> None:
    df = pl.DataFrame({"t": [datetime(2026, 4, 8, 9, 30), datetime(2026, 1, 8, 9, 30)]})
    out = df.select(to_utc(pl.col("t"), df.schema["t"]))
    assert out.schema["t"] == UTC_NS
    assert out["t"].dt.epoch("ns").to_list() == [OPEN_APR, _epoch_ns(2026, 1, 8, 14, 30, 0)]


def test_to_utc_aware_datetime_column_is_converted() -> None:
    df = pl.DataFrame({"t": [datetime(2026, 4, 8, 8, 30)]}).with_columns(
        pl.col("t").dt.replace_time_zone("America/Chicago")
    )
    out = df.select(to_utc(pl.col("t"), df.schema["t"]))
    assert out.schema["t"] == UTC_NS
    assert out["t"].dt.epoch("ns").to_list() == [OPEN_APR]


def test_to_utc_naive_dst_gap_column_is_null() -> None:
    df = pl.DataFrame({"t": [datetime(2026, 3, 8, 2, 30)]})
    out = df.select(to_utc(pl.col("t"), df.schema["t"]))
    assert out["t"].to_list() == [None]


def test_to_utc_date_column_is_midnight_new_york() -> None:
    df = pl.DataFrame({"t": [date(2026, 4, 8)]})
    out = df.select(to_utc(pl.col("t"), pl.Date()))
    assert out["t"].dt.epoch("ns").to_list() == [_epoch_ns(2026, 4, 8, 4, 0, 0)]


def test_to_utc_text_column() -> None:
    df = pl.DataFrame({"t": ["2026-04-08 09:30:00", "nope"]})
    out = df.select(to_utc(pl.col("t"), pl.String()))
    assert out["t"].dt.epoch("ns").to_list() == [OPEN_APR, None]


@pytest.mark.parametrize(
    "text",
    [
        "2026-04-08",
        "20260408",
        "04/08/2026",
        " 2026-04-08 ",
        "2026-04-08 00:00:00",
        "2026-04-08T00:00:00Z",
    ],
)
def test_date_layouts(text: str) -> None:
    assert _dates([text]) == [date(2026, 4, 8)]


@pytest.mark.parametrize(
    "text", ["2016-01-04 00:00:00-05:00", "2016-01-04 00:00:00+00:00", "2016-01-04T00:00:00-05:00"]
)
def test_yfinance_tz_aware_date_keeps_its_written_date(text: str) -> None:
    assert _dates([text]) == [date(2016, 1, 4)]


@pytest.mark.parametrize("text", ["2026-02-30", "13/45/2026", "not a date", ""])
def test_bad_dates_are_null(text: str) -> None:
    assert _dates([text]) == [None]


def test_to_date_from_integer_column() -> None:
    df = pl.DataFrame({"d": [20260408, 20160104]}, schema={"d": pl.Int64})
    out = df.select(to_date(pl.col("d"), pl.Int64()))
    assert out["d"].to_list() == [date(2026, 4, 8), date(2016, 1, 4)]


def test_to_date_from_date_and_naive_datetime_columns() -> None:
    df = pl.DataFrame({"a": [date(2026, 4, 8)], "b": [datetime(2026, 4, 8, 23, 59)]})
    out = df.select(
        to_date(pl.col("a"), df.schema["a"]),
        to_date(pl.col("b"), df.schema["b"]),
    )
    assert out.row(0) == (date(2026, 4, 8), date(2026, 4, 8))


def test_to_date_from_new_york_aware_datetime_column() -> None:
    # yfinance index saved to Parquet: 2016-01-04 00:00:00-05:00 (America/New_York).
    df = pl.DataFrame({"d": [datetime(2016, 1, 4)]}).with_columns(
        pl.col("d").dt.replace_time_zone("America/New_York")
    )
    out = df.select(to_date(pl.col("d"), df.schema["d"]))
    assert out["d"].to_list() == [date(2016, 1, 4)]


def test_to_date_from_utc_midnight_matches_the_text_reading() -> None:
    text = "2016-01-04 00:00:00+00:00"
    df = pl.DataFrame({"d": [datetime(2016, 1, 4)]}).with_columns(
        pl.col("d").dt.replace_time_zone("UTC")
    )
    out = df.select(to_date(pl.col("d"), df.schema["d"]))
    assert out["d"].to_list() == _dates([text]) == [date(2016, 1, 4)]
