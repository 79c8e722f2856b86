"""Barchart unusual-options-activity CSV (FORMATS.md §12) → option prints.

Variant A (classic UOA page): ``Symbol,Price~,Type,Strike,Exp Date,DTE,Bid,Midpoint,Ask,Last,
Volume,Open Int,Vol/OI,IV,Last Trade`` (older: ``…,IV,Delta,Time``). Variant B (options-flow
export): ``Symbol,Price~,Type,Strike,Expires,DTE,Bid x Size,Ask x Size,Trade,Size,Side,Premium,
Volume,Open Int,IV,Delta,Code,*,Time``. Both end with a footer line ``Downloaded from
Barchart.com as of MM-DD-YYYY hh:mmam CDT`` which is not a row.

Mapping: ts = ``Last Trade``/``Time``; a time of day alone (``13:19 ET``) takes its date from the
footer (Central time, so the date is the download day there), else from a ``MM-DD-YYYY`` or
``YYYY-MM-DD`` in the file name, else from the session folder the file sits in; a date alone
(``08/27/20``: last traded on an earlier day) is midnight ET of that day. underlying = ``Symbol``
(``$SPX`` → ``SPX``; an option symbol ``AAPL|20200828|500.00C`` keeps its part before ``|``);
underlying_price = ``Price~``; right from ``Type`` (Call/Put); expiry from ``Exp Date``
(``MM/DD/YY``) or ``Expires`` (ISO, the date part); price = ``Last`` (A) or ``Trade`` (B);
**size = ``Size`` (B) or the day's ``Volume`` (A: a UOA row is a day summary, not one print, so
its premium is last price × day volume × 100)**; bid/ask = ``Bid``/``Ask`` or the price part of
``"0.16 x 1"``; IV ``"38.08%"`` → 0.3808; delta; open_interest = ``Open Int``; vendor_side =
``Side``; conditions = ``Code`` and ``*`` (``SLFT,ToOpen``). ``N/A`` and ``-`` are empty.

Sniff: the first line with content is a header starting ``Symbol`` with ``Type``, ``Strike``,
``DTE`` and ``Exp Date`` or ``Expires``, and either the ``Price~`` column or the Barchart
footer within the head.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Final

import polars as pl

from ..schema import Kind, normalise_header
from ..validate import LINE
from . import VendorFormat, register
from ._util import first_content_line, has_content, head_lines, head_text, lazy_rows, split_line
from ._util import stamp as zoned

NAME = "barchart-uoa"

_FOOTER: Final = re.compile(
    r"Downloaded\s+from\s+Barchart\.com\s+as\s+of\s+(\d{1,2})-(\d{1,2})-(\d{4})", re.IGNORECASE
)
_ZONE = r"\s*(?P<zone>ET|CT|EST|EDT|CST|CDT)?"
_CLOCK = r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[AaPp][Mm])?"
_TIME_ONLY: Final = re.compile(r"^" + _CLOCK + _ZONE + r"$")
_US_DATE: Final = re.compile(
    r"^(?P<mo>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{2}|\d{4})(?:[ T,]+" + _CLOCK + r")?" + _ZONE + r"$"
)
_ISO: Final = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]|$)")
_NAME_DATES: Final = (
    re.compile(r"(?<!\d)(?P<mo>\d{2})-(?P<d>\d{2})-(?P<y>\d{4})(?!\d)"),
    re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})(?!\d)"),
)
_SESSION_DIR: Final = re.compile(r"^(?P<y>\d{4})-?(?P<mo>\d{2})-?(?P<d>\d{2})$")
_EMPTY: Final = frozenset({"", "N/A", "NA", "-", "--", "NONE", "NULL"})

_OUT: Final = (
    "ts",
    "underlying",
    "underlying_price",
    "expiry",
    "strike",
    "right",
    "price",
    "size",
    "bid",
    "ask",
    "iv",
    "delta",
    "open_interest",
    "vendor_side",
    "conditions",
)


def _is_header(fields: list[str], head: str) -> bool:
    names = [normalise_header(f) for f in fields]
    return (
        names[:1] == ["symbol"]
        and {"type", "strike", "dte"} <= set(names)
        and ("exp_date" in names or "expires" in names)
        and ("Price~" in fields or _FOOTER.search(head) is not None)
    )


def sniff(path: Path, head: bytes) -> bool:
    lines = head_lines(head, 8)
    first = first_content_line(lines)
    return first is not None and _is_header(split_line(lines[first]), head_text(head))


def _year(text: str) -> int:
    return int(text) + 2000 if len(text) == 2 else int(text)


def _date(m: re.Match[str]) -> date | None:
    try:
        return date(_year(m["y"]), int(m["mo"]), int(m["d"]))
    except ValueError:
        return None


def file_date(path: Path, tail: str) -> date | None:
    """The day time-only values belong to: the footer's, else one in the file name, else the
    session folder's."""
    for source, patterns in ((tail, (_FOOTER,)), (path.name, _NAME_DATES)):
        for pattern in patterns:
            for m in pattern.finditer(source):
                if pattern is _FOOTER:
                    try:
                        return date(int(m[3]), int(m[1]), int(m[2]))
                    except ValueError:
                        continue
                found = _date(m)
                if found is not None:
                    return found
    folder = _SESSION_DIR.match(path.parent.name)
    return _date(folder) if folder is not None else None


def _clock(m: re.Match[str], day: date) -> str | None:
    hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
    if m["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if m["ampm"].upper() == "PM" else 0)
    try:
        return zoned(datetime(day.year, day.month, day.day, hour, minute, second), m["zone"])
    except ValueError:
        return None


def timestamp(value: str | None, day: date | None) -> str | None:
    """ISO text (with offset) of a Barchart time value; text it cannot read is returned as is,
    so the validator reports it."""
    if value is None or _ISO.match(value):
        return value
    m = _TIME_ONLY.match(value)
    if m is not None:
        return (_clock(m, day) if day is not None else None) or value
    m = _US_DATE.match(value)
    if m is not None:
        found = _date(m)
        if found is None:
            return value
        if m["h"] is None:
            return zoned(datetime(found.year, found.month, found.day), m["zone"])
        return _clock(m, found) or value
    return value


def expiry(value: str | None) -> str | None:
    """``08/28/20`` → ``2020-08-28``; ``2025-06-27T16:30:00-05:00`` → ``2025-06-27``."""
    if value is None:
        return None
    if _ISO.match(value):
        return value[:10]
    m = _US_DATE.match(value)
    if m is not None:
        found = _date(m)
        return found.isoformat() if found is not None else value
    return value


def percent(value: str | None) -> str | None:
    """``"38.08%"`` → ``"0.3808"`` (text without ``%`` is kept as is)."""
    if value is None or not value.endswith("%"):
        return value
    try:
        return repr(float(value[:-1].replace(",", "").strip()) / 100)
    except ValueError:
        return value


def _price_part(value: str | None) -> str | None:
    """``"0.16 x 1"`` → ``"0.16"``."""
    if value is None:
        return None
    return re.split(r"\s*[xX]\s*", value, maxsplit=1)[0].strip() or None


def _underlying(value: str | None) -> str | None:
    if value is None:
        return None
    return value.split("|", 1)[0].strip().lstrip("$^").upper() or None


def scan(path: Path) -> pl.LazyFrame:
    content = path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = [line.rstrip("\r") for line in content.split("\n")]
    first = first_content_line(lines[:8])
    if first is None:
        raise ValueError("no header line")
    fields = split_line(lines[first])
    if not _is_header(fields, content[-4096:] + content[:4096]):
        raise ValueError("not a Barchart options-activity header")
    names = ["star" if f == "*" else normalise_header(f) for f in fields]
    at: dict[str, int] = {}
    for i, name in enumerate(names):
        at.setdefault(name, i)
    day = file_date(path, content[-4096:])
    columns: dict[str, list[object]] = {LINE: [], **{n: [] for n in _OUT}}

    for number, line in enumerate(lines[first + 1 :], start=first + 2):
        if not has_content(line) or _FOOTER.search(line):
            continue
        row = split_line(line)

        def get(*keys: str, row: list[str] = row) -> str | None:
            for key in keys:
                i = at.get(key)
                if i is not None and i < len(row) and row[i].strip().upper() not in _EMPTY:
                    return row[i].strip()
            return None

        codes = [c for c in (get("code"), get("star")) if c is not None]
        values: dict[str, str | None] = {
            "ts": timestamp(get("time", "last_trade"), day),
            "underlying": _underlying(get("symbol")),
            "underlying_price": get("price"),
            "expiry": expiry(get("exp_date", "expires")),
            "strike": get("strike"),
            "right": get("type"),
            "price": get("trade", "last"),
            "size": get("size", "volume"),
            "bid": _price_part(get("bid_x_size", "bid")),
            "ask": _price_part(get("ask_x_size", "ask")),
            "iv": percent(get("iv")),
            "delta": get("delta"),
            "open_interest": get("open_int", "open_interest"),
            "vendor_side": get("side"),
            "conditions": ",".join(codes) or None,
        }
        columns[LINE].append(number)
        for name in _OUT:
            columns[name].append(values[name])
    schema: dict[str, pl.DataType] = {LINE: pl.Int64(), **{n: pl.String() for n in _OUT}}
    return lazy_rows(columns, schema)


FORMAT = register(
    VendorFormat(
        name=NAME,
        title="Barchart unusual options activity",
        kind=Kind.OPTION_PRINTS,
        suffixes=frozenset({".csv"}),
        sniff=sniff,
        scan=scan,
        columns=_OUT,
    )
)
