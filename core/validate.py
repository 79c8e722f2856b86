"""Turn a raw frame of one kind into canonical columns plus a reject reason per row.

``canonicalise`` is a pure LazyFrame → LazyFrame step: it converts every column to its canonical
dtype, derives the columns FORMATS.md A.2 lists (premium, notional, OSI key, session) and adds
``_reject``: null for a good row, else the number of the first check the row fails (FORMATS.md
A.3). The check's message (``Canonical.reason``) is rendered only for rejected rows, because
building a string per row would cost more than reading the file. Nothing here raises on bad
content; a value that cannot be parsed becomes a reject, not an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from .schema import ET_ZONE, UTC_TS, Column, Kind, KindSpec, spec
from .timeparse import LAYOUTS, session_of, to_date, to_utc

REJECT = "_reject"
LINE = "_line"
#: A vendor scan may mark a row it knows is bad with its own reason in this column.
VENDOR_REASON = "_reason"
RAW_PREFIX = "_raw_"

#: How far after its session folder's date a chain snapshot may be stamped (a Friday close
#: downloaded over the weekend is still that Friday's chain).
CHAIN_GRACE_DAYS = 4

_RIGHTS = {"C": "C", "CALL": "C", "CALLS": "C", "P": "P", "PUT": "P", "PUTS": "P"}
_DIRECTIONS = {
    "1": 1,
    "+1": 1,
    "+": 1,
    "1.0": 1,
    "BULL": 1,
    "BULLISH": 1,
    "-1": -1,
    "-": -1,
    "-1.0": -1,
    "BEAR": -1,
    "BEARISH": -1,
}
_UPPER = {"underlying", "symbol", "key", "root", "series"}

#: Columns that name an instrument: their text must look like a ticker (letters, digits and the
#: punctuation real symbologies use: ``BRK.B``, ``BF-B``, ``^SPX``, ``$SPX.X``, ``O:SPY…``, the
#: space-padded OSI ``SPY   251001P00500000``). Anything else (formula text ``=cmd|…``, markup
#: ``[bold]``, escape sequences, U+FFFD from invalid UTF-8, a megabyte of text) is set aside.
SYMBOL_COLUMNS = ("underlying", "symbol", "key", "root")
SYMBOL_MAX = 32
SYMBOL_PATTERN = rf"^[A-Za-z0-9^$/_][A-Za-z0-9 .\-/^$_:#]{{0,{SYMBOL_MAX - 1}}}$"
#: A repeated print: the same trade id with the same time, instrument, price, size, venue and
#: conditions (a feed that delivered a row twice). A cancel repeats its trade's id with other
#: conditions, and some vendors' ids are unique only per symbol and venue: neither is a repeat.
_DUPLICATE_KEYS = {
    Kind.OPTION_PRINTS: (
        "trade_id",
        "ts",
        "underlying",
        "expiry",
        "strike",
        "right",
        "price",
        "size",
        "exchange",
        "conditions",
    ),
    Kind.OFFEX_PRINTS: ("trade_id", "ts", "symbol", "price", "size", "venue", "conditions"),
}


def _text(raw: pl.Expr) -> pl.Expr:
    """A raw value as stripped text, empty → null."""
    t = raw.cast(pl.String).str.strip_chars()
    return pl.when(t == "").then(None).otherwise(t)


def _number(raw: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype.is_numeric():
        return raw.cast(pl.Float64)
    cleaned = _text(raw).str.replace_all(r"[,$_]", "")
    return cleaned.cast(pl.Float64, strict=False)


def _convert(
    col: Column, raw: pl.Expr, src: pl.DataType, kind: Kind, layouts: tuple[str, ...]
) -> pl.Expr:
    """The canonical value of one column (null where the raw value cannot be parsed)."""
    target = col.dtype
    if col.timestamp:
        return to_utc(raw, src, layouts)
    if isinstance(target, pl.Date):
        return to_date(raw, src)
    if col.name == "right":
        return _text(raw).str.to_uppercase().replace_strict(_RIGHTS, default=None)
    if kind is Kind.INPUTS and col.name == "direction":
        return (
            _text(raw)
            .str.to_uppercase()
            .replace_strict(_DIRECTIONS, default=None, return_dtype=pl.Int64)
        )
    if target == pl.Float64:
        return _number(raw, src)
    if target == pl.Int64:
        f = _number(raw, src)
        return pl.when(f == f.floor()).then(f).otherwise(None).cast(pl.Int64, strict=False)
    text = _text(raw)
    # FINRA marks preferred shares with a lower-case "p" (BCpC ≠ BCPC): keep its symbols as
    # published; everywhere else symbols are upper-cased so "spy" and "SPY" are one name.
    keep_case = kind is Kind.SHORT_VOLUME and col.name == "symbol"
    return text.str.to_uppercase() if col.name in _UPPER and not keep_case else text


def _cannot_fail(col: Column, src: pl.DataType) -> bool:
    """True when converting ``src`` to the column's dtype cannot turn a value into null (a typed
    Parquet column), so the per-row "unparseable" check can be skipped."""
    if col.name in ("right", "direction"):
        return False
    if col.dtype == pl.String:
        return True  # any text is valid text; blank becomes null
    if src == pl.String:
        return False
    if col.timestamp:
        return isinstance(src, pl.Datetime | pl.Date)
    if isinstance(col.dtype, pl.Date):
        return isinstance(src, pl.Date | pl.Datetime)
    if col.dtype == pl.Float64:
        return src.is_numeric()
    if col.dtype == pl.Int64:
        return src.is_integer()
    return False


def _unparseable(col: Column, raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(condition, message): a value was given but could not be converted."""
    shown = _text(raw).str.slice(0, 40)
    if col.name == "right":
        msg = pl.format("unknown right '{}' (expected C or P)", shown)
    elif col.name == "direction":
        msg = pl.format("unknown direction '{}' (expected +1 or -1)", shown)
    elif col.timestamp:
        msg = pl.format("unparseable or non-existent {} '{}'", pl.lit(col.name), shown)
    else:
        msg = pl.format("unparseable {} '{}'", pl.lit(col.name), shown)
    return _text(raw).is_not_null() & pl.col(col.name).is_null(), msg


def _symbols(ks: KindSpec, present: tuple[str, ...]) -> list[tuple[pl.Expr, pl.Expr]]:
    """A symbol that cannot be a ticker (checked on the value as converted, so ``spy`` is fine)."""
    checks = []
    for name in SYMBOL_COLUMNS:
        if name not in present or name not in {c.name for c in ks.columns}:
            continue
        value = pl.col(name)
        long = value.str.len_chars() > 40
        shown = pl.when(long).then(value.str.slice(0, 40) + "…").otherwise(value)
        checks.append(
            (
                value.is_not_null() & ~value.str.contains(SYMBOL_PATTERN),
                pl.format("{} '{}' is not a ticker", pl.lit(name), shown),
            )
        )
    return checks


def _duplicates(kind: Kind, present: tuple[str, ...]) -> list[tuple[pl.Expr, pl.Expr]]:
    """A row repeating an earlier print of the same file (only files with a trade id)."""
    keys = _DUPLICATE_KEYS.get(kind)
    if keys is None or "trade_id" not in present:
        return []
    repeated = pl.col("trade_id").is_not_null() & ~pl.struct(list(keys)).is_first_distinct()
    return [
        (repeated, pl.format("duplicate of an earlier row (trade_id '{}')", pl.col("trade_id")))
    ]


def _et(ts: pl.Expr) -> pl.Expr:
    return ts.dt.convert_time_zone(ET_ZONE).dt.strftime("%Y-%m-%d %H:%M:%S")


def _positive(*names: str) -> list[tuple[pl.Expr, pl.Expr]]:
    return [
        (pl.col(n) <= 0, pl.format("{} ≤ 0 ({})", pl.lit(n), pl.col(n).cast(pl.String)))
        for n in names
    ]


def _non_negative(*names: str) -> list[tuple[pl.Expr, pl.Expr]]:
    return [
        (pl.col(n) < 0, pl.format("negative {} ({})", pl.lit(n), pl.col(n).cast(pl.String)))
        for n in names
    ]


def _finite(ks: KindSpec) -> list[tuple[pl.Expr, pl.Expr]]:
    return [
        (~pl.col(c.name).is_finite(), pl.lit(f"non-finite {c.name}"))
        for c in ks.columns
        if c.dtype == pl.Float64
    ]


def _ohlc() -> list[tuple[pl.Expr, pl.Expr]]:
    hi, lo = pl.col("high"), pl.col("low")
    top = pl.max_horizontal("open", "close")
    bottom = pl.min_horizontal("open", "close")
    return [
        *_positive("open", "high", "low", "close"),
        (hi < lo, pl.format("high {} below low {}", hi, lo)),
        (hi < top, pl.lit("high below open or close")),
        (lo > bottom, pl.lit("low above open or close")),
    ]


def _in_session(
    ts: str, session: date | None, grace_days: int = 0, day: pl.Expr | None = None
) -> list[tuple[pl.Expr, pl.Expr]]:
    """Rows stamped outside the session folder's date. ``day`` is the row's ET date; by default
    the ``session`` column, derived once from the timestamp."""
    if session is None:
        return []
    day = pl.col("session") if day is None else day
    last = session + timedelta(days=grace_days)
    outside = (day < pl.lit(session)) | (day > pl.lit(last))
    stamp = pl.col(ts).cast(pl.String) if ts == "date" else pl.format("{} ET", _et(pl.col(ts)))
    return [
        (outside, pl.format("{} {} is outside session {}", pl.lit(ts), stamp, pl.lit(str(session))))
    ]


Rules = Callable[[date | None], list[tuple[pl.Expr, pl.Expr]]]


def _option_rules(session: date | None) -> list[tuple[pl.Expr, pl.Expr]]:
    trade_day = pl.col("session")
    return [
        *_positive("price", "size", "strike", "multiplier"),
        *_non_negative("bid", "ask", "open_interest"),
        (
            pl.col("expiry") < trade_day,
            pl.format("expiry {} before trade date {}", pl.col("expiry"), trade_day),
        ),
        *_in_session("ts", session),
    ]


def _offex_rules(session: date | None) -> list[tuple[pl.Expr, pl.Expr]]:
    return [
        *_positive("price", "size"),
        *_non_negative("bid", "ask"),
        *_in_session("ts", session),
    ]


def _quote_rules(session: date | None) -> list[tuple[pl.Expr, pl.Expr]]:
    b, a = pl.col("bid"), pl.col("ask")
    return [
        *_non_negative("bid", "ask", "bid_size", "ask_size"),
        ((a > 0) & (b > a), pl.format("crossed quote (bid {} > ask {})", b, a)),
        *_in_session("ts", session),
    ]


def _chain_rules(session: date | None) -> list[tuple[pl.Expr, pl.Expr]]:
    snap_day = session_of(pl.col("as_of"))
    return [
        *_positive("spot", "strike"),
        *_non_negative("open_interest", "bid", "ask", "volume"),
        (
            pl.col("expiry") < snap_day,
            pl.format("expiry {} before snapshot date {}", pl.col("expiry"), snap_day),
        ),
        *_in_session("as_of", session, CHAIN_GRACE_DAYS, snap_day),
    ]


def _short_volume_rules(session: date | None) -> list[tuple[pl.Expr, pl.Expr]]:
    return [
        *_in_session("date", session, day=pl.col("date")),
        *_non_negative("short_volume", "total_volume", "short_exempt_volume"),
        (
            pl.col("short_volume") > pl.col("total_volume"),
            pl.format(
                "short volume {} exceeds total volume {}",
                pl.col("short_volume"),
                pl.col("total_volume"),
            ),
        ),
    ]


def _intraday_rules(session: date | None) -> list[tuple[pl.Expr, pl.Expr]]:
    return [*_ohlc(), *_non_negative("volume"), *_in_session("ts", session)]


def _daily_rules(_: date | None) -> list[tuple[pl.Expr, pl.Expr]]:
    return [*_ohlc(), *_non_negative("volume", "adj_close")]


def _zone_rules(_: date | None) -> list[tuple[pl.Expr, pl.Expr]]:
    return [
        *_positive("low", "high"),
        (
            pl.col("low") >= pl.col("high"),
            pl.format("zone low {} is not below high {}", pl.col("low"), pl.col("high")),
        ),
    ]


def _input_rules(_: date | None) -> list[tuple[pl.Expr, pl.Expr]]:
    return [
        (
            pl.col("expires") < pl.col("date"),
            pl.format("expires {} before date {}", pl.col("expires"), pl.col("date")),
        )
    ]


def _no_rules(_: date | None) -> list[tuple[pl.Expr, pl.Expr]]:
    return []


_RULES: dict[Kind, Rules] = {
    Kind.OPTION_PRINTS: _option_rules,
    Kind.OFFEX_PRINTS: _offex_rules,
    Kind.QUOTES: _quote_rules,
    Kind.CHAIN: _chain_rules,
    Kind.SHORT_VOLUME: _short_volume_rules,
    Kind.INTRADAY_BARS: _intraday_rules,
    Kind.DAILY_BARS: _daily_rules,
    Kind.MACRO: _no_rules,
    Kind.EVENTS: _no_rules,
    Kind.SECTORS: _no_rules,
    Kind.ZONES: _zone_rules,
    Kind.INPUTS: _input_rules,
}


def _osi() -> pl.Expr:
    strike_milli = (pl.col("strike") * 1000).round(0, mode="half_away_from_zero").cast(pl.Int64)
    return pl.concat_str(
        pl.col("root"),
        pl.col("expiry").dt.strftime("%y%m%d"),
        pl.col("right"),
        strike_milli.cast(pl.String).str.zfill(8),
    )


def _derive(kind: Kind, session: date | None) -> list[pl.Expr]:
    """Defaults and derived columns, in dependency order (applied one step at a time)."""
    if kind is Kind.OPTION_PRINTS:
        return [
            pl.col("multiplier").fill_null(100),
            pl.col("root").fill_null(pl.col("underlying")),
            (pl.col("price") * pl.col("size") * pl.col("multiplier")).alias("premium"),
            _osi().alias("osi"),
            session_of(pl.col("ts")).alias("session"),
        ]
    if kind is Kind.OFFEX_PRINTS:
        return [
            (pl.col("price") * pl.col("size")).alias("notional"),
            session_of(pl.col("ts")).alias("session"),
        ]
    if kind in (Kind.QUOTES, Kind.INTRADAY_BARS):
        return [session_of(pl.col("ts")).alias("session")]
    if kind is Kind.CHAIN:
        # Outside a session folder, a snapshot stamped on a weekend (a Friday close downloaded
        # on Saturday) belongs to the Friday before it.
        stamped = session_of(pl.col("as_of"))
        weekend = pl.when(stamped.dt.weekday() == 6).then(1).when(stamped.dt.weekday() == 7)
        friday = stamped - pl.duration(days=weekend.then(2).otherwise(0))
        day = pl.lit(session) if session is not None else friday
        return [
            # IV of 0 or below marks "no IV" in chain exports: missing, not a reject.
            pl.when(pl.col("iv") > 0).then(pl.col("iv")).otherwise(None).alias("iv"),
            pl.col("root").fill_null(pl.col("underlying")),
            day.alias("session"),
        ]
    if kind is Kind.ZONES:
        return [pl.col("mid").fill_null((pl.col("low") + pl.col("high")) / 2)]
    return []


def _is_trailer(kind: Kind, present: list[str]) -> pl.Expr:
    """FINRA short-volume files end with a record-count line and no separators: not a row."""
    if kind is not Kind.SHORT_VOLUME:
        return pl.lit(False)
    others = [pl.col(RAW_PREFIX + n).is_null() for n in present if n != "date"]
    first = _text(pl.col(RAW_PREFIX + "date"))
    return first.str.contains(r"^\d{1,9}$") & pl.all_horizontal(others or [pl.lit(True)])


def _first_failure(checks: list[tuple[pl.Expr, pl.Expr]], offset: int) -> pl.Expr:
    """The number (``offset`` + position) of the first check a row fails, else null."""
    codes = [
        pl.when(cond.fill_null(False)).then(pl.lit(offset + i, pl.UInt16))
        for i, (cond, _) in enumerate(checks)
    ]
    return pl.coalesce(codes) if codes else pl.lit(None, pl.UInt16)


@dataclass(frozen=True, slots=True)
class Canonical:
    """A file in canonical form: the lazy frame and the messages of its checks."""

    #: Canonical and derived columns, ``_line``, the raw source columns (``_raw_<name>``) and
    #: ``_reject`` (null for a good row, else the index of the first failed check).
    frame: pl.LazyFrame
    #: One message expression per check, in check order (evaluate on rejected rows only).
    messages: tuple[pl.Expr, ...]
    #: The canonical columns the file itself supplies.
    present: tuple[str, ...]
    #: Check numbers that mean "a timestamp did not parse in the layouts tried".
    timestamp_checks: frozenset[int] = frozenset()

    def good(self) -> pl.LazyFrame:
        """The rows that pass every check, with only the canonical columns."""
        return self.frame.filter(pl.col(REJECT).is_null())

    def reason(self) -> pl.Expr:
        """The message of each row's failed check (null for good rows)."""
        code = pl.col(REJECT)
        options: list[pl.Expr] = [
            pl.when(code == i).then(msg) for i, msg in enumerate(self.messages)
        ]
        return pl.coalesce(options or [pl.lit(None, pl.String)]).cast(pl.String)

    def raw_text(self) -> pl.Expr:
        """The raw values of a row joined with commas, for showing a rejected row."""
        cols = [pl.col(RAW_PREFIX + n).cast(pl.String).fill_null("") for n in self.present]
        return pl.concat_str(cols, separator=",") if cols else pl.lit("")


def canonicalise(
    lf: pl.LazyFrame,
    kind: Kind,
    source: pl.Schema,
    /,
    *,
    session: date | None = None,
    symbol_hint: str | None = None,
    ragged: str | None = None,
    layouts: dict[str, tuple[str, ...]] | None = None,
    reason: str | None = None,
) -> Canonical:
    """Convert ``lf`` (columns already renamed to canonical names) into ``kind``'s schema.

    ``source`` is the schema of those columns as read; ``session`` is the date of the session
    folder the file sits in (rows stamped outside it are rejected); ``symbol_hint`` fills a
    missing ``symbol`` column (one bars file per symbol); ``ragged`` names a column of ``lf``
    that is non-null on rows with more fields than the header; ``layouts`` gives the timestamp
    layouts of text timestamp columns (``timeparse.detect_layouts``); ``reason`` names a column
    of ``lf`` holding a vendor reader's own reject reason (null for a good row). ``lf`` must
    carry ``_line``. Blank lines and FINRA trailer lines are dropped without a reject.
    """
    ks = spec(kind)
    present = tuple(c.name for c in ks.columns if c.name in source)
    keep = [pl.col(ragged).is_not_null().alias("_ragged")] if ragged else []
    if reason:
        keep.append(pl.col(reason).cast(pl.String).alias(VENDOR_REASON))
    raws = [pl.col(n).alias(RAW_PREFIX + n) for n in present]
    lf = lf.select(pl.col(LINE), *keep, *raws)
    blank = pl.all_horizontal([pl.col(RAW_PREFIX + n).is_null() for n in present])
    if reason:
        blank = blank & pl.col(VENDOR_REASON).is_null()
    lf = lf.filter(~blank & ~_is_trailer(kind, list(present)))

    checks: list[tuple[pl.Expr, pl.Expr]] = []
    if reason:
        checks.append((pl.col(VENDOR_REASON).is_not_null(), pl.col(VENDOR_REASON)))
    if ragged:
        checks.append((pl.col("_ragged"), pl.lit("row has more fields than the header")))
    values: list[pl.Expr] = []
    ts_checks: set[int] = set()
    for col in ks.columns:
        if col.name in source:
            raw = pl.col(RAW_PREFIX + col.name)
            fmt = (layouts or {}).get(col.name, LAYOUTS)
            value = _convert(col, raw, source[col.name], kind, fmt)
            if not _cannot_fail(col, source[col.name]):
                if col.timestamp:
                    ts_checks.add(len(checks))
                checks.append(_unparseable(col, raw))
        elif col.name == "symbol" and symbol_hint is not None:
            value = pl.lit(symbol_hint.upper(), pl.String)
        else:
            value = pl.lit(None, col.dtype)
        values.append(value.cast(col.dtype).alias(col.name))
    lf = lf.with_columns(values)
    # Parse checks look at the converted values before defaults and derived columns fill them.
    lf = lf.with_columns(_first_failure(checks, 0).alias(REJECT))
    for step in _derive(kind, session):
        lf = lf.with_columns(step)

    later: list[tuple[pl.Expr, pl.Expr]] = [
        (pl.col(c.name).is_null(), pl.lit(f"missing {c.name}"))
        for c in ks.columns
        if c.required and not c.nullable
    ]
    later += _finite(ks)
    later += _symbols(ks, present)
    later += _RULES[kind](session)
    later += _duplicates(kind, present)
    lf = lf.with_columns(pl.coalesce(pl.col(REJECT), _first_failure(later, len(checks))))
    checks += later
    if ragged:
        lf = lf.drop("_ragged")
    return Canonical(lf, tuple(msg for _, msg in checks), present, frozenset(ts_checks))


def output_columns(kind: Kind) -> list[str]:
    """The columns of a validated frame of ``kind``, in schema order."""
    return list(spec(kind).schema().names())


__all__ = [
    "LINE",
    "RAW_PREFIX",
    "REJECT",
    "UTC_TS",
    "Canonical",
    "canonicalise",
    "output_columns",
]
