"""NYSE sessions, option expiries and Eastern-time clock arithmetic for the sample market.

Everything here is pure date arithmetic: no time-zone database is needed because the sample only
uses US Eastern time, whose daylight-saving rule (second Sunday of March to first Sunday of
November) is coded directly. Timestamps are integer nanoseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Final

#: NYSE full-day closures in the sample's range (early closes are ignored).
HOLIDAYS: Final = frozenset(
    {
        date(2025, 1, 1),
        date(2025, 1, 9),  # national day of mourning (President Carter)
        date(2025, 1, 20),
        date(2025, 2, 17),
        date(2025, 4, 18),
        date(2025, 5, 26),
        date(2025, 6, 19),
        date(2025, 7, 4),
        date(2025, 9, 1),
        date(2025, 11, 27),
        date(2025, 12, 25),
        date(2026, 1, 1),
        date(2026, 1, 19),
        date(2026, 2, 16),
        date(2026, 4, 3),  # Good Friday
        date(2026, 5, 25),
        date(2026, 6, 19),
        date(2026, 7, 3),
        date(2026, 9, 7),
        date(2026, 11, 26),
        date(2026, 12, 25),
        date(2027, 1, 1),
        date(2027, 1, 18),
        date(2027, 2, 15),
        date(2027, 3, 26),
        date(2027, 5, 31),
        date(2027, 6, 18),
        date(2027, 7, 5),
        date(2027, 9, 6),
        date(2027, 11, 25),
        date(2027, 12, 24),
        date(2028, 1, 17),
    }
)

NS_PER_SECOND: Final = 1_000_000_000
NS_PER_MINUTE: Final = 60 * NS_PER_SECOND
SECONDS_PER_YEAR: Final = 365 * 86400
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def is_session(day: date) -> bool:
    """True on an NYSE trading day (a weekday that is not a full-day holiday)."""
    return day.weekday() < 5 and day not in HOLIDAYS


def sessions_ending(last: date, count: int) -> list[date]:
    """The ``count`` trading days ending on ``last`` (inclusive), oldest first."""
    out: list[date] = []
    day = last
    while len(out) < count:
        if is_session(day):
            out.append(day)
        day -= timedelta(days=1)
    out.reverse()
    return out


def next_sessions(first: date, until: date) -> list[date]:
    """Trading days from ``first`` to ``until`` inclusive."""
    out: list[date] = []
    day = first
    while day <= until:
        if is_session(day):
            out.append(day)
        day += timedelta(days=1)
    return out


def previous_session(day: date) -> date:
    """The trading day before ``day``."""
    day -= timedelta(days=1)
    while not is_session(day):
        day -= timedelta(days=1)
    return day


def roll_back(day: date) -> date:
    """``day`` if it is a trading day, else the trading day before it (holiday expiries)."""
    while not is_session(day):
        day -= timedelta(days=1)
    return day


def third_friday(year: int, month: int) -> date:
    """The third Friday of a month (the standard monthly expiration date)."""
    first = date(year, month, 1)
    offset = (4 - first.weekday()) % 7
    return first + timedelta(days=offset + 14)


@lru_cache(maxsize=4096)
def monthly_expiry(year: int, month: int) -> date:
    """The monthly expiration: the third Friday, or the trading day before it if closed."""
    return roll_back(third_friday(year, month))


@lru_cache(maxsize=4096)
def is_monthly(day: date) -> bool:
    """True if ``day`` is its month's standard expiration date."""
    return day == monthly_expiry(day.year, day.month)


def weekly_expiries(start: date, end: date) -> list[date]:
    """Friday expiries (rolled back over holidays) with ``start`` <= expiry <= ``end``."""
    out: list[date] = []
    day = start - timedelta(days=7)
    day += timedelta(days=(4 - day.weekday()) % 7)
    while day <= end + timedelta(days=7):
        exp = roll_back(day)
        if start <= exp <= end and exp not in out:
            out.append(exp)
        day += timedelta(days=7)
    return out


def _second_sunday_march(year: int) -> date:
    first = date(year, 3, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


def _first_sunday_november(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7)


@lru_cache(maxsize=4096)
def et_offset_hours(day: date) -> int:
    """UTC offset of US Eastern time on ``day`` during market hours (-4 EDT, -5 EST)."""
    return -4 if _second_sunday_march(day.year) <= day < _first_sunday_november(day.year) else -5


@lru_cache(maxsize=4096)
def et_ns(day: date, hour: int, minute: int = 0, second: int = 0) -> int:
    """Nanoseconds since the epoch (UTC) of an Eastern wall-clock time on ``day``."""
    local = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)
    utc = local - timedelta(hours=et_offset_hours(day))
    return int((utc - _EPOCH).total_seconds()) * NS_PER_SECOND


def et_iso(day: date, hour: int, minute: int) -> str:
    """ISO-8601 text of an Eastern wall-clock time with its offset, e.g. ``...T09:35:00-04:00``."""
    off = et_offset_hours(day)
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00{off:+03d}:00"


def open_ns(day: date) -> int:
    """09:30 ET on ``day`` as UTC nanoseconds."""
    return et_ns(day, 9, 30)


def close_ns(day: date) -> int:
    """16:00 ET on ``day`` as UTC nanoseconds."""
    return et_ns(day, 16, 0)


@lru_cache(maxsize=4096)
def expiry_ns(expiry: date, root: str) -> int:
    """Expiration instant: 09:30 ET for AM-settled SPX monthlies (root ``SPX``), else 16:00 ET."""
    return et_ns(expiry, 9, 30) if root == "SPX" else close_ns(expiry)


def years_between(start_ns: int, end_ns: int) -> float:
    """Calendar time in years (365-day basis) from ``start_ns`` to ``end_ns``."""
    return (end_ns - start_ns) / (SECONDS_PER_YEAR * NS_PER_SECOND)


def first_session_of_month(year: int, month: int) -> date:
    """The first trading day of a month (ISM release day in the sample)."""
    day = date(year, month, 1)
    while not is_session(day):
        day += timedelta(days=1)
    return day
