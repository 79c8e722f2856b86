"""Print tapes (option and off-exchange prints) read as sums, once, and followed as they grow.

Every figure the report takes from a session's prints — the §2 flow decomposition, the §9.4
put/call ratios, the §3.2 dark-pool sums and the §3.5 volume by price — is a sum over prints,
so each print file is reduced to a small ``TapeSummary`` when it is read, and a session's figures
come from the summaries of its files added up (``fold``). A new part file is summarised alone;
rows appended to a CSV are parsed from the byte where the last read stopped and their summary is
added to the file's; files and bytes already read are not read again.

Two ways to summarise rows, with the same result:

- ``summarise_rows``: canonical rows through ``bucket_prints`` / ``classify_dark_prints``, then
  summed (the reference; small files, appended chunks, and anything the fast path sets aside);
- the fast path for big files (``STREAM_BYTES`` and up): one streaming pass over the raw
  columns that converts and checks the numbers row by row, but groups by the raw text of the
  few text columns (underlying, right, root, conditions; symbol) and normalises, validates and
  matches condition codes once per distinct value instead of once per print. Rows it cannot
  vouch for (a check failed, a value needs the lenient parsers, a blank-looking row) are read
  again through the canonical path, so rejects keep their line and reason.

A big file's rows are not kept in memory; ``rows`` reads them again, lazily, for a drill-down.

A CSV that a feed is appending to may end in half a row. In a live read an unterminated last
line waits while the file was modified less than ``QUIET_SECONDS`` ago (``TapeState.held_back``
asks for a re-check); otherwise — a quiet file, or a one-shot command — it is used, kept apart,
and parsed again with the rest when the file grows. A file replaced (another inode), truncated
or rewritten (its first bytes or the bytes before the read position changed) is read again from
the start.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Final, Literal

import polars as pl

from .catalog import DataFile
from .darkpool import (
    DARK_SUMS_SCHEMA,
    LEVELS_SCHEMA,
    DarkParams,
    classify_dark_prints,
    dark_levels,
    dark_sums,
    fold_sums,
    non_contemporaneous,
    spot_splits,
)
from .flow import (
    SUMMARY_KEYS,
    SUMMARY_SCHEMA,
    UNDERLYING_CLOSE,
    FlowParams,
    bucket_prints,
    empty_summary,
    fold_summaries,
    summarise_prints,
)
from .readers import (
    REJECT_SCHEMA,
    FileResult,
    canonical_of,
    collect_canonical,
    csv_data_start,
    empty_frame,
    failed_read,
    raw_lazy,
    read_file,
    timestamp_layouts,
)
from .schema import ET_ZONE, UTC_TS, Column, Kind, spec
from .sides import SideParams, has_condition, is_multi_leg, side_code
from .timeparse import LAYOUTS, to_date, to_utc
from .validate import (
    _DUPLICATE_KEYS,
    _RIGHTS,
    LINE,
    SYMBOL_PATTERN,
    VENDOR_REASON,
    _cannot_fail,
    _text,
)

#: The kinds read as sums.
TAPE_KINDS: Final = frozenset({Kind.OPTION_PRINTS, Kind.OFFEX_PRINTS})
#: Files at least this big are summarised in one streaming pass and their rows not kept.
STREAM_BYTES: Final = 8 * 1024 * 1024
#: A file whose rows were kept in memory stops keeping them past this many rows.
KEEP_ROWS: Final = 400_000
#: In a live read, an unterminated last line waits while the file changed this recently.
QUIET_SECONDS: Final = 1.0
#: How many bytes of a CSV's start (and before its read position) must be unchanged for an
#: append to be read incrementally.
_FINGERPRINT_BYTES: Final = 256
_HEAD_LIMIT: Final = 1 << 16
#: Rows read from the top of a CSV to learn its timestamp layouts.
LAYOUT_PROBE_ROWS: Final = 500
_ENGINE: Final[Literal["streaming"]] = "streaming"


@dataclass(frozen=True, slots=True)
class SpotMap:
    """Each symbol's spot on ``as_of`` (its last close on or before it). Given one, the
    off-exchange prints of the session are split above, below and at spot as they are read
    (§3.5, ``darkpool.spot_splits``) instead of kept as volume by exact price: the split is all
    that session's report needs, and the volume by price is the costliest sum of a tape."""

    as_of: date
    pairs: tuple[tuple[str, float], ...]

    @classmethod
    def of(cls, spots: pl.DataFrame, as_of: date) -> SpotMap:
        """From ``darkpool.spot_from_bars`` output."""
        rows = spots.select(pl.col("symbol").cast(pl.String), pl.col("spot").cast(pl.Float64))
        return cls(as_of, tuple(sorted((str(a), float(b)) for a, b in rows.iter_rows())))

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {"symbol": [a for a, _ in self.pairs], "spot": [b for _, b in self.pairs]},
            schema={"symbol": pl.String, "spot": pl.Float64},
        )


@dataclass(frozen=True, slots=True)
class TapeParams:
    """The settings a print summary depends on (a change means reading the tapes again)."""

    flow: FlowParams = field(default_factory=FlowParams)
    sides: SideParams = field(default_factory=SideParams)
    dark: DarkParams = field(default_factory=DarkParams)
    #: Split off-exchange volume against these spots while reading (None: keep it by price).
    spots: SpotMap | None = None

    @classmethod
    def of(cls, settings: Mapping[str, Any], spots: SpotMap | None = None) -> TapeParams:
        return cls(settings["flow"], settings["sides"], settings["darkpool"], spots)


#: Per session and symbol with a spot: the §3.5 volume above, below and at spot.
SPLITS_SCHEMA: Final = pl.Schema(
    {
        "session": pl.Date(),
        "symbol": pl.String(),
        "spot": pl.Float64(),
        "above": pl.Float64(),
        "below": pl.Float64(),
        "at": pl.Float64(),
    }
)


@dataclass(frozen=True, slots=True)
class TapeSummary:
    """A set of prints reduced to sums: ``flow.SUMMARY_SCHEMA`` for option prints;
    ``darkpool.DARK_SUMS_SCHEMA`` and ``LEVELS_SCHEMA`` for off-exchange prints."""

    sums: pl.DataFrame
    #: Volume by price in parts (one per file or appended chunk), not added up: every use sums
    #: them anyway, and a part read once is split against the spot once (``snapshot``).
    levels: tuple[pl.DataFrame, ...] = ()
    #: Instead of ``levels``, when read with a ``SpotMap``: the volume split against its spots
    #: (``SPLITS_SCHEMA``), for the spots' ``as_of``.
    splits: pl.DataFrame | None = None
    spots: SpotMap | None = None

    def levels_frame(self) -> pl.DataFrame:
        """The volume by price as one frame (parts added up)."""
        return fold_sums(list(self.levels), LEVELS_SCHEMA, ("session", "symbol", "price"))


def empty(kind: Kind) -> TapeSummary:
    if kind is Kind.OPTION_PRINTS:
        return TapeSummary(empty_summary())
    return TapeSummary(pl.DataFrame(schema=DARK_SUMS_SCHEMA))


#: Past this many parts, the small parts of the volume by price are added up into one.
_LEVEL_PARTS: Final = 16


def _compact(levels: Sequence[pl.DataFrame]) -> tuple[pl.DataFrame, ...]:
    parts = tuple(p for p in levels if p.height)
    if len(parts) <= _LEVEL_PARTS:
        return parts
    big = max(parts, key=lambda p: p.height)
    small = [p for p in parts if p is not big]
    merged = fold_sums(small, LEVELS_SCHEMA, ("session", "symbol", "price"))
    return (big, merged)


def _fold_splits(parts: Sequence[pl.DataFrame]) -> pl.DataFrame:
    frames = [p for p in parts if p.height]
    if len(frames) == 1:
        return frames[0]
    if not frames:
        return pl.DataFrame(schema=SPLITS_SCHEMA)
    return (
        pl.concat(frames)
        .group_by("session", "symbol", maintain_order=True)
        .agg(
            pl.col("spot").first(), pl.col("above").sum(), pl.col("below").sum(), pl.col("at").sum()
        )
        .cast(SPLITS_SCHEMA)
    )


def fold(kind: Kind, parts: Sequence[TapeSummary]) -> TapeSummary:
    """The summary of every print of ``parts`` (sums added up per key). Parts split against
    different spots (or some by price) cannot be added up: the split is then left out
    (``splits`` None) and the session's volume by price is read from its prints."""
    if kind is Kind.OPTION_PRINTS:
        return TapeSummary(fold_summaries([p.sums for p in parts]))
    sums = fold_sums([p.sums for p in parts], DARK_SUMS_SCHEMA, ("session", "symbol"))
    spots = {p.spots for p in parts}
    if parts and len(spots) == 1 and None not in spots:
        splits = [p.splits for p in parts if p.splits is not None]
        if len(splits) == len(parts):
            return TapeSummary(sums, (), _fold_splits(splits), parts[0].spots)
    return TapeSummary(sums, _compact([level for p in parts for level in p.levels]))


def summarise_rows(kind: Kind, rows: pl.LazyFrame, params: TapeParams, /) -> TapeSummary:
    """The summary of canonical good rows (the reference path)."""
    if kind is Kind.OPTION_PRINTS:
        bucketed = bucket_prints(rows, None, params=params.flow, side_params=params.sides)
        return TapeSummary(summarise_prints(bucketed).collect(engine=_ENGINE))
    classified = classify_dark_prints(rows, params=params.dark, side_params=params.sides)
    sums, levels = pl.collect_all(
        [dark_sums(classified).cast(DARK_SUMS_SCHEMA), dark_levels(classified)],
        engine=_ENGINE,
    )
    if params.spots is None:
        return TapeSummary(sums, (levels,))
    splits = spot_splits(levels.lazy(), params.spots.frame().lazy(), params=params.dark)
    frame = splits.select(SPLITS_SCHEMA.names()).cast(SPLITS_SCHEMA).collect()
    return TapeSummary(sums, (), frame, params.spots)


def fast_path_applies(kind: Kind, params: TapeParams) -> bool:
    """The fast path decides a print's side from its own quote only: not with the dark-pool
    tick-test fallback (which looks at other prints)."""
    return kind in TAPE_KINDS and not (
        kind is Kind.OFFEX_PRINTS and params.sides.dark_tick_fallback
    )


# ------------------------------------------------------------------------------------------
# the fast path
# ------------------------------------------------------------------------------------------

_RAW: Final = "_r_"
#: The text columns grouped by their raw value (normalised once per distinct value).
_KEYS: Final = {
    Kind.OPTION_PRINTS: ("underlying", "right", "root", "conditions"),
    Kind.OFFEX_PRINTS: ("symbol", "conditions"),
}


def _session_bounds(session: date) -> tuple[datetime, datetime, datetime]:
    """(start, end, close) of the ET ``session`` in UTC: a print is in the session when
    start ≤ ts < end (its ET date is the session), after the close when ts > close."""
    day = datetime(session.year, session.month, session.day)
    close = datetime.combine(session, UNDERLYING_CLOSE)
    frame = pl.DataFrame({"t": [day, day + timedelta(days=1), close]}).with_columns(
        pl.col("t").dt.replace_time_zone(ET_ZONE).dt.convert_time_zone("UTC").cast(UTC_TS)
    )
    start, end, at_close = frame["t"].to_list()
    return start, end, at_close


def _et_offset(session: date) -> timedelta | None:
    """The UTC offset of America/New_York over the whole of ``session`` (None on the days the
    clocks change)."""
    start, end, _ = _session_bounds(session)
    day = datetime(session.year, session.month, session.day)
    first = day - start.replace(tzinfo=None)
    last = day + timedelta(days=1) - end.replace(tzinfo=None)
    return first if first == last else None


def _naive_et(raw: pl.Expr, layouts: tuple[str, ...], session: date) -> pl.Expr | None:
    """Naive ET text stamped on ``session`` → UTC by the day's fixed offset (the canonical
    time-zone conversion per value is the costliest step of reading a CSV tape); a value on
    another day is null here (it is rejected, with its reason, by the canonical path). None
    when a layout carries an offset or the clocks change that day."""
    offset = _et_offset(session)
    if offset is None or not layouts or not all(x.startswith("naive:") for x in layouts):
        return None
    parsed = [raw.str.to_datetime(x[6:], strict=False, time_unit="ns") for x in layouts]
    naive = parsed[0] if len(parsed) == 1 else pl.coalesce(parsed)
    day = datetime(session.year, session.month, session.day)
    on_day = (naive >= pl.lit(day)) & (naive < pl.lit(day + timedelta(days=1)))
    utc = (naive - pl.lit(offset)).dt.replace_time_zone("UTC")
    return pl.when(on_day).then(utc).otherwise(None)


def _fast_value(
    col: Column, raw: pl.Expr, src: pl.DataType, layouts: tuple[str, ...], session: date
) -> pl.Expr:
    """The canonical value of a non-text column: the canonical conversion where it is a cast,
    a strict parse of text (no stripping or cleaning) where it is lenient. A value the strict
    parse misses is null here and the row goes to the canonical path."""
    if col.timestamp:
        if src == pl.String:
            fixed = _naive_et(raw, layouts, session)
            if fixed is not None:
                return fixed.cast(UTC_TS)
        return to_utc(raw, src, layouts).cast(UTC_TS)
    if isinstance(col.dtype, pl.Date):
        if src == pl.String:
            return raw.str.to_date("%Y-%m-%d", strict=False)
        return to_date(raw, src).cast(pl.Date)
    number = raw.cast(pl.Float64, strict=False) if src == pl.String else raw.cast(pl.Float64)
    if col.dtype == pl.Int64:
        whole = pl.when(number == number.floor()).then(number).otherwise(None)
        return whole.cast(pl.Int64, strict=False)
    return number


@dataclass(frozen=True, slots=True)
class _Fast:
    summary: TapeSummary
    #: Rows the reader produced (blank lines included).
    rows: int
    good_rows: int
    #: Rows to read through the canonical path (null: none).
    slow: pl.Expr | None


def _prepared(
    lf: pl.LazyFrame,
    schema: pl.Schema,
    kind: Kind,
    *,
    session: date,
    layouts: Mapping[str, tuple[str, ...]],
    params: TapeParams,
    repeated: pl.Series | None = None,
) -> tuple[pl.LazyFrame, list[str], bool]:
    """The raw rows (as ``_r_<name>``) with canonical values, ``_class`` (0 good as far as the
    numbers go, 1 needs the canonical path, 2 blank-looking), ``premium``/``notional``,
    ``_side`` and ``_after``; and the key columns, and whether text columns were left unread."""
    ks = spec(kind)
    names = schema.names()
    present = [c for c in ks.columns if c.name in names]
    keys = [k for k in _KEYS[kind] if k in names]
    unread = [c.name for c in present if c.name not in keys and c.dtype == pl.String]
    numeric = [c for c in present if c.name not in keys and c.dtype != pl.String]
    extras = [n for n in ("_extra", VENDOR_REASON) if n in names]
    frame = lf.select(
        pl.col(LINE),
        *[pl.col(n) for n in extras],
        *[pl.col(c.name).alias(_RAW + c.name) for c in present],
    )
    start, end, close = _session_bounds(session)
    values = [
        _fast_value(c, pl.col(_RAW + c.name), schema[c.name], layouts.get(c.name, LAYOUTS), session)
        .cast(c.dtype)
        .alias(c.name)
        for c in numeric
    ]
    frame = frame.with_columns(values)

    def v(name: str) -> pl.Expr:
        return pl.col(name) if name in names else pl.lit(None, ks.column(name).dtype)

    bad: list[pl.Expr] = [pl.col(n).is_not_null() for n in extras]
    for c in numeric:
        if not _cannot_fail(c, schema[c.name]):
            bad.append(pl.col(_RAW + c.name).is_not_null() & pl.col(c.name).is_null())
        if c.required and not c.nullable:
            bad.append(pl.col(c.name).is_null())
        if c.dtype == pl.Float64:
            bad.append(~pl.col(c.name).is_finite())
    if repeated is not None and repeated.len():
        # a trade id the file holds more than once: the canonical path decides which rows
        # repeat an earlier print (``validate._duplicates``), seeing all of them in file order
        bad.append(_id_hash(pl.col(_RAW + "trade_id")).is_in(repeated.implode()))
    for c in ks.columns:  # required columns the file lacks: every row is missing them
        if c.required and c.name not in names and c.name not in keys:
            bad.append(pl.lit(True))
    ts = pl.col("ts")
    bad += [ts < pl.lit(start, UTC_TS), ts >= pl.lit(end, UTC_TS)]
    if kind is Kind.OPTION_PRINTS:
        multiplier = v("multiplier").fill_null(100)
        bad += [
            v("price") <= 0,
            v("size") <= 0,
            v("strike") <= 0,
            multiplier <= 0,
            v("bid") < 0,
            v("ask") < 0,
            v("open_interest") < 0,
            v("expiry") < pl.lit(session),
        ]
        derived = [(v("price") * v("size") * multiplier).alias("premium")]
    else:
        bad += [v("price") <= 0, v("size") <= 0, v("bid") < 0, v("ask") < 0]
        derived = [(v("price") * v("size")).alias("notional")]
    read_raw = [pl.col(_RAW + c.name).is_null() for c in present if c.name not in unread]
    if VENDOR_REASON in extras:
        read_raw.append(pl.col(VENDOR_REASON).is_null())
    blank = pl.all_horizontal(read_raw)
    failed = pl.any_horizontal([b.fill_null(False) for b in bad])
    klass = pl.when(blank).then(pl.lit(2, pl.UInt8)).when(failed).then(pl.lit(1, pl.UInt8))
    frame = frame.with_columns(
        *derived,
        side_code(params.sides).alias("_side"),
        (ts > pl.lit(close, UTC_TS)).fill_null(False).alias("_after"),
        klass.otherwise(pl.lit(0, pl.UInt8)).alias("_class"),
    )
    return frame, keys, bool(unread)


def _id_hash(raw: pl.Expr) -> pl.Expr:
    """A trade id's hash, as the canonical path converts it (stripped text; empty is none)."""
    return _text(raw).hash(seed=0)


def _id_counts(lf: pl.LazyFrame, schema: pl.Schema, kind: Kind) -> pl.DataFrame | None:
    """How often each trade id (hashed) occurs in ``lf``; None when rows of ``kind`` are never
    duplicates (no trade id column)."""
    if kind not in _DUPLICATE_KEYS or "trade_id" not in schema.names():
        return None
    ids = _text(pl.col("trade_id"))
    return (
        lf.select(ids.alias("_id"))
        .filter(pl.col("_id").is_not_null())
        .group_by(pl.col("_id").hash(seed=0).alias("h"))
        .len("n")
        .collect(engine=_ENGINE)
    )


def _when(condition: pl.Expr, value: pl.Expr, zero: float | int = 0.0) -> pl.Expr:
    return pl.when(condition).then(value).otherwise(zero)


def _option_groups(frame: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    good = pl.col("_class") == 0
    premium = pl.col("premium")
    bad_premium = ~(premium.is_finite() & (premium > 0)).fill_null(False)
    counted = good & ~bad_premium
    side = pl.col("_side")
    return frame.group_by([_RAW + k for k in keys]).agg(
        pl.len().cast(pl.Int64).alias("_rows"),
        (pl.col("_class") == 1).sum().cast(pl.Int64).alias("_bad"),
        (pl.col("_class") == 2).sum().cast(pl.Int64).alias("_blank"),
        good.sum().cast(pl.Int64).alias("_good"),
        (good & bad_premium).sum().cast(pl.Int64).alias("_bad_premium"),
        (counted & pl.col("_after")).sum().cast(pl.Int64).alias("_after"),
        _when(counted & (side == 1), premium).sum().alias("_buy"),
        _when(counted & (side == -1), premium).sum().alias("_sell"),
        _when(counted & (side == 0), premium).sum().alias("_unknown"),
        _when(good, pl.col("size"), 0).sum().cast(pl.Int64).alias("volume"),
        _when(good, premium).sum().alias("premium_all"),
    )


def _ticker(value: pl.Expr) -> pl.Expr:
    """The (normalised) symbol could be a ticker; a value that cannot is set aside by the
    canonical path with its reason, so its rows take that path (``validate._symbols``)."""
    return value.is_null() | value.str.contains(SYMBOL_PATTERN)


def _key_text(groups: pl.DataFrame, name: str) -> pl.Expr:
    return _text(pl.col(_RAW + name)) if _RAW + name in groups.columns else pl.lit(None, pl.String)


def _option_summary(
    groups: pl.DataFrame, session: date, params: TapeParams
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(summary of the good rows, the groups with ``_key_ok``) from the raw-key groups."""
    flow, sides = params.flow, params.sides
    und = _key_text(groups, "underlying").str.to_uppercase()
    right = _key_text(groups, "right").str.to_uppercase().replace_strict(_RIGHTS, default=None)
    named = groups.with_columns(
        und.alias("underlying"),
        right.alias("right"),
        _key_text(groups, "root").str.to_uppercase().fill_null(und).alias("root"),
        _key_text(groups, "conditions").alias("conditions"),
    ).with_columns(
        (
            pl.col("underlying").is_not_null()
            & pl.col("right").is_not_null()
            & _ticker(pl.col("underlying"))
            & _ticker(pl.col("root"))
        ).alias("_key_ok")
    )
    cancelled = has_condition(flow.cancelled_conditions)
    late = has_condition(flow.late_conditions)
    multi = is_multi_leg(params=sides)
    kept = ~cancelled & ~late
    excluded_ml = multi & (flow.multi_leg == "exclude") & kept
    counted = kept & ~excluded_ml
    n_counted = pl.col("_good") - pl.col("_bad_premium")
    every_side = pl.col("_buy") + pl.col("_sell") + pl.col("_unknown")
    unknown = _when(counted, pl.when(multi).then(every_side).otherwise(pl.col("_unknown")))
    buy = _when(counted & ~multi, pl.col("_buy"))
    sell = _when(counted & ~multi, pl.col("_sell"))
    call, put = pl.col("right") == "C", pl.col("right") == "P"
    rows = named.filter(pl.col("_key_ok") & (pl.col("_good") > 0)).with_columns(
        pl.lit(session, pl.Date).alias("session"),
        _when(call, buy).alias("calls_bought"),
        _when(call, sell).alias("calls_sold"),
        _when(put, buy).alias("puts_bought"),
        _when(put, sell).alias("puts_sold"),
        _when(call, unknown).alias("unknown_calls"),
        _when(put, unknown).alias("unknown_puts"),
        unknown.alias("unknown"),
        _when(counted, n_counted, 0).alias("prints"),
        pl.col("_good").alias("prints_seen"),
        _when(cancelled, pl.col("_good"), 0).alias("excluded_cancelled"),
        _when(~cancelled & late, pl.col("_good"), 0).alias("excluded_late"),
        pl.lit(0, pl.Int64).alias("excluded_unknown_multiplier"),
        _when(kept, pl.col("_bad_premium"), 0).alias("excluded_non_positive_premium"),
        _when(excluded_ml, n_counted, 0).alias("excluded_multi_leg"),
        _when(counted & multi, n_counted, 0).alias("multi_leg_unknown"),
        _when(counted, pl.col("_after"), 0).alias("after_close"),
    )
    values = [pl.col(c).sum() for c in SUMMARY_SCHEMA.names() if c not in SUMMARY_KEYS]
    summary = rows.group_by(SUMMARY_KEYS, maintain_order=True).agg(values).cast(SUMMARY_SCHEMA)
    return summary, named


def _dark_groups(
    frame: pl.LazyFrame, keys: list[str], params: DarkParams, spots: SpotMap | None
) -> pl.LazyFrame:
    good = pl.col("_class") == 0
    notional, side = pl.col("notional"), pl.col("_side")
    aggs = [
        pl.len().cast(pl.Int64).alias("_rows"),
        (pl.col("_class") == 1).sum().cast(pl.Int64).alias("_bad"),
        (pl.col("_class") == 2).sum().cast(pl.Int64).alias("_blank"),
        good.sum().cast(pl.Int64).alias("_good"),
        _when(good & (side == 1), notional).sum().alias("_buy"),
        _when(good & (side == -1), notional).sum().alias("_sell"),
        _when(good & (side == 0), notional).sum().alias("_unknown"),
    ]
    if spots is not None:
        # §3.5 against the spot of the row's raw symbol (a raw symbol that differs from its
        # normalised form has no spot here: its rows go through the canonical path)
        spot_map = spots.frame().lazy().rename({"symbol": _RAW + "symbol", "spot": "_spot"})
        frame = frame.with_columns(pl.col(_RAW + "symbol").cast(pl.String)).join(
            spot_map, on=_RAW + "symbol", how="left"
        )
        measure = pl.col("size") if params.volume_measure == "shares" else notional
        price, spot, band = pl.col("price"), pl.col("_spot"), params.spot_band
        above = price > spot * (1 + band)
        below = price < spot * (1 - band)
        priced = good & spot.is_not_null()
        aggs += [
            _when(priced & above, measure).sum().alias("_above"),
            _when(priced & below, measure).sum().alias("_below"),
            _when(priced & ~above & ~below, measure).sum().alias("_at"),
            (good & spot.is_null()).sum().cast(pl.Int64).alias("_spotless"),
        ]
    return frame.group_by([_RAW + k for k in keys]).agg(aggs)


def _dark_levels_raw(frame: pl.LazyFrame, keys: list[str], params: DarkParams) -> pl.LazyFrame:
    """Volume by raw symbol and exact price of the good rows without an excluded condition."""
    kept = pl.col("_class") == 0
    if "conditions" in keys:
        kept = kept & ~has_condition(params.excluded_conditions, column=_RAW + "conditions")
    return (
        frame.filter(kept)
        .group_by(_RAW + "symbol", "price")
        .agg(pl.col("size").sum(), pl.col("notional").sum())
    )


def _dark_summary(
    groups: pl.DataFrame, levels: pl.DataFrame | None, session: date, params: TapeParams
) -> tuple[TapeSummary, pl.DataFrame]:
    symbol = _key_text(groups, "symbol").str.to_uppercase()
    named = groups.with_columns(
        symbol.alias("symbol"), _key_text(groups, "conditions").alias("conditions")
    ).with_columns((pl.col("symbol").is_not_null() & _ticker(pl.col("symbol"))).alias("_key_ok"))
    spots = params.spots
    if spots is not None:
        # a raw symbol whose spot was missed only because it is not written normalised: its
        # rows take the canonical path (as if its text were bad)
        known = [a for a, _ in spots.pairs]
        missed = (
            (pl.col("_spotless") > 0)
            & pl.col("symbol").is_in(known)
            & (pl.col("symbol") != pl.col(_RAW + "symbol").cast(pl.String))
        )
        named = named.with_columns((pl.col("_key_ok") & ~missed).alias("_key_ok"))
    excluded = non_contemporaneous(params=params.dark)
    rows = named.filter(pl.col("_key_ok") & (pl.col("_good") > 0)).with_columns(
        pl.lit(session, pl.Date).alias("session"),
        _when(~excluded, pl.col("_buy")).alias("at_ask"),
        _when(~excluded, pl.col("_sell")).alias("at_bid"),
        _when(~excluded, pl.col("_unknown")).alias("mid"),
        _when(~excluded, pl.col("_good"), 0).alias("prints"),
        _when(excluded, pl.col("_good"), 0).alias("excluded_prints"),
    )
    values = [pl.col(c).sum() for c in DARK_SUMS_SCHEMA.names() if c not in ("session", "symbol")]
    sums = (
        rows.group_by("session", "symbol", maintain_order=True).agg(values).cast(DARK_SUMS_SCHEMA)
    )
    if spots is not None or levels is None:
        assert spots is not None
        kept = rows.filter(~excluded)
        split = (
            kept.group_by("session", "symbol")
            .agg(pl.col("_above").sum(), pl.col("_below").sum(), pl.col("_at").sum())
            .join(spots.frame(), on="symbol", how="inner")
            .select(
                "session",
                "symbol",
                "spot",
                pl.col("_above").alias("above"),
                pl.col("_below").alias("below"),
                pl.col("_at").alias("at"),
            )
            .cast(SPLITS_SCHEMA)
        )
        return TapeSummary(sums, (), split, spots), named
    by_symbol = levels.with_columns(
        _text(pl.col(_RAW + "symbol")).str.to_uppercase().alias("symbol")
    ).filter(pl.col("symbol").is_not_null() & _ticker(pl.col("symbol")))
    if by_symbol.select((pl.col("symbol") != pl.col(_RAW + "symbol").cast(pl.String)).any()).item():
        by_symbol = by_symbol.group_by("symbol", "price").agg(
            pl.col("size").sum(), pl.col("notional").sum()
        )
    level_frame = by_symbol.select(
        pl.lit(session, pl.Date).alias("session"), "symbol", "price", "size", "notional"
    ).cast(LEVELS_SCHEMA)
    return TapeSummary(sums, (level_frame,)), named


def _fast(
    lf: pl.LazyFrame,
    schema: pl.Schema,
    source: DataFile,
    layouts: Mapping[str, tuple[str, ...]],
    params: TapeParams,
    repeated: pl.Series | None = None,
) -> _Fast:
    kind, session = source.kind, source.session
    assert session is not None
    frame, keys, unread = _prepared(
        lf, schema, kind, session=session, layouts=layouts, params=params, repeated=repeated
    )
    if kind is Kind.OPTION_PRINTS:
        (groups,) = pl.collect_all([_option_groups(frame, keys)], engine=_ENGINE)
        sums, named = _option_summary(groups, session, params)
        summary = TapeSummary(sums)
    elif params.spots is not None:
        (groups,) = pl.collect_all(
            [_dark_groups(frame, keys, params.dark, params.spots)], engine=_ENGINE
        )
        summary, named = _dark_summary(groups, None, session, params)
    else:
        groups, levels = pl.collect_all(
            [
                _dark_groups(frame, keys, params.dark, None),
                _dark_levels_raw(frame, keys, params.dark),
            ],
            engine=_ENGINE,
        )
        summary, named = _dark_summary(groups, levels, session, params)
    ok = pl.col("_key_ok")
    totals = named.select(
        pl.col("_rows").sum(),
        _when(ok, pl.col("_good"), 0).sum().alias("good"),
        (pl.col("_bad") + _when(~ok, pl.col("_good"), 0)).sum().alias("slow"),
        pl.col("_blank").sum(),
    ).row(0, named=True)
    slow_rows = int(totals["slow"] or 0) + (int(totals["_blank"] or 0) if unread else 0)
    slow: pl.Expr | None = None
    if slow_rows:
        # rows a check failed on, rows of a text value that normalises to nothing, and (when
        # some text columns were not read) rows that only look blank
        slow = pl.col("_class") == 1
        for k in keys:
            if k in ("underlying", "right", "symbol"):
                # the raw values of this column that normalise to nothing or to something that
                # cannot be a ticker (or, for a symbol split against spots, that are not
                # written as their spot's symbol)
                unusable = pl.col(k).is_null() | ~_ticker(pl.col(k))
                if k == "symbol" and params.spots is not None:
                    unusable = unusable | (~pl.col("_key_ok") & (pl.col("_good") > 0))
                values = named.filter(unusable)[_RAW + k].drop_nulls().unique()
                slow = slow | pl.col(_RAW + k).is_null() | pl.col(_RAW + k).is_in(values.to_list())
            elif k == "root":
                # a root given that cannot be a ticker (a missing root is the underlying)
                unusable = pl.col(_RAW + k).is_not_null() & ~_ticker(pl.col(k))
                values = named.filter(unusable)[_RAW + k].unique()
                slow = slow | pl.col(_RAW + k).is_in(values.to_list())
        if unread:
            slow = slow | (pl.col("_class") == 2)
    return _Fast(summary, int(totals["_rows"] or 0), int(totals["good"] or 0), slow)


def _slow_rows(
    lf: pl.LazyFrame,
    schema: pl.Schema,
    source: DataFile,
    layouts: Mapping[str, tuple[str, ...]],
    params: TapeParams,
    slow: pl.Expr,
    repeated: pl.Series | None = None,
) -> pl.LazyFrame:
    """The raw rows ``slow`` selects, with their original column names."""
    assert source.session is not None
    frame, _, _ = _prepared(
        lf,
        schema,
        source.kind,
        session=source.session,
        layouts=layouts,
        params=params,
        repeated=repeated,
    )
    names = schema.names()
    return frame.filter(slow).select(
        [
            pl.col(n) if n == LINE or n in ("_extra", VENDOR_REASON) else pl.col(_RAW + n).alias(n)
            for n in names
        ]
    )


@dataclass(frozen=True, slots=True)
class _Read:
    """Rows of one read (a file or a chunk of it)."""

    summary: TapeSummary
    frame: pl.DataFrame | None
    rejects: pl.DataFrame
    good_rows: int
    rows: int
    retried: bool
    #: The hashed trade ids of the rows read (None: the file has no trade id column).
    ids: pl.Series | None = None


def _read_streamed(
    source: DataFile,
    lf: pl.LazyFrame,
    schema: pl.Schema,
    layouts: Mapping[str, tuple[str, ...]],
    params: TapeParams,
    text: tuple[pl.LazyFrame, pl.Schema] | None = None,
) -> _Read:
    """The fast path over ``lf``, then the canonical path over the rows it set aside (read from
    ``text``, the same rows as text, when ``lf`` had the reader parse numbers)."""
    counts = _id_counts(lf, schema, source.kind)
    ids = None if counts is None else counts["h"]
    repeated = None if counts is None else counts.filter(pl.col("n") > 1)["h"]
    fast = _fast(lf, schema, source, layouts, params, repeated)
    if fast.slow is None:
        return _Read(
            fast.summary,
            None,
            pl.DataFrame(schema=REJECT_SCHEMA),
            fast.good_rows,
            fast.rows,
            False,
            ids,
        )
    rows = _slow_rows(lf, schema, source, layouts, params, fast.slow, repeated)
    if text is not None:
        # the set-aside rows as the file wrote them (a reject shows its raw text)
        lines = rows.select(LINE).collect()[LINE]
        lf, schema = text
        rows = lf.filter(pl.col(LINE).is_in(lines.implode()))
    good, rejects, retried = collect_canonical(
        canonical_of(source, rows, schema, layouts=layouts), source
    )
    summary = fold(source.kind, [fast.summary, summarise_rows(source.kind, good.lazy(), params)])
    return _Read(summary, None, rejects, fast.good_rows + good.height, fast.rows, retried, ids)


def _read_rows(
    source: DataFile,
    lf: pl.LazyFrame,
    schema: pl.Schema,
    layouts: Mapping[str, tuple[str, ...]],
    params: TapeParams,
    rows: int,
) -> _Read:
    """The canonical path over ``lf``, its rows kept."""
    good, rejects, retried = collect_canonical(
        canonical_of(source, lf, schema, layouts=layouts), source
    )
    summary = summarise_rows(source.kind, good.lazy(), params)
    counts = _id_counts(lf, schema, source.kind)
    ids = None if counts is None else counts["h"]
    return _Read(summary, good, rejects, good.height, rows, retried, ids)


# ------------------------------------------------------------------------------------------
# files: read whole, or followed as they grow
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsvCursor:
    """How far a CSV file has been read, and what it looked like there."""

    device: int
    inode: int
    #: Where the data rows begin (after the header).
    data_start: int
    #: Bytes read (through the end of the last row used).
    consumed: int
    #: Rows the reader produced from them (blank lines included): numbers the next line.
    records: int
    #: The file's first bytes (through the header, at most 64 KiB) ...
    head: bytes
    #: ... and the bytes just before ``consumed``: both must be unchanged to read on.
    edge: bytes
    #: An unterminated last line was left for the rest of it to arrive.
    held_back: bool = False


@dataclass(frozen=True, slots=True)
class TapeState:
    """A print file read for the report: its summary, and how to read it on or again."""

    params: TapeParams
    summary: TapeSummary
    good_rows: int
    #: The timestamp layouts learned from the top of the file (used for every later chunk).
    layouts: Mapping[str, tuple[str, ...]]
    #: The rows are not kept in memory (``rows`` reads them again).
    streamed: bool
    #: Some timestamps needed every layout (a re-read then tries them all).
    retried: bool = False
    cursor: CsvCursor | None = None
    #: The read before an unterminated last line was used: reading on starts from there, so
    #: the line is parsed again with the rest of it.
    before_tail: FileResult | None = None
    #: The hashed trade ids read so far (None: no trade id column): rows appended later that
    #: repeat one have the file read again whole, so a repeat is found as a full read finds it.
    ids: pl.Series | None = None

    @property
    def held_back(self) -> bool:
        return self.cursor is not None and self.cursor.held_back


#: A kept frame that grows by appends is made one chunk again: every append adds a chunk to
#: every column, and a day of appends would otherwise hold thousands of them (each costs
#: memory, and time in every later query). A small frame is copied at once (cheap); a big one
#: every ``_MAX_CHUNKS`` appends.
_MAX_CHUNKS: Final = 32
_SMALL_ROWS: Final = 50_000


def _bounded(frame: pl.DataFrame) -> pl.DataFrame:
    chunks = frame.n_chunks("first")
    if chunks > _MAX_CHUNKS or (chunks > 1 and frame.height <= _SMALL_ROWS):
        return frame.rechunk()
    return frame


def _tape_result(
    source: DataFile,
    read: _Read,
    params: TapeParams,
    layouts: Mapping[str, tuple[str, ...]],
    *,
    cursor: CsvCursor | None = None,
    before: FileResult | None = None,
    before_tail: FileResult | None = None,
) -> FileResult:
    """``read`` as a ``FileResult``, added to ``before`` (the same file read up to where
    ``read`` starts) when given."""
    kind = source.kind
    if before is None or before.tape is None:
        summary, good_rows, retried = read.summary, read.good_rows, read.retried
        frame = read.frame
        rejects = read.rejects
        streamed = frame is None
        ids = read.ids
    else:
        state = before.tape
        ids = read.ids
        if state.ids is not None and read.ids is not None:
            ids = pl.concat([state.ids, read.ids]).unique()
        elif state.ids is not None:
            ids = state.ids
        summary = fold(kind, [state.summary, read.summary])
        good_rows = state.good_rows + read.good_rows
        retried = state.retried or read.retried
        streamed = state.streamed or read.frame is None
        frame = None
        if not streamed and read.frame is not None:
            frame = _bounded(pl.concat([before.frame, read.frame], how="vertical_relaxed"))
        rejects = before.rejects
        if read.rejects.height:
            rejects = _bounded(pl.concat([rejects, read.rejects]))
    if frame is not None and frame.height > KEEP_ROWS:
        frame, streamed = None, True
    state = TapeState(
        params,
        summary,
        good_rows,
        dict(layouts),
        streamed,
        retried,
        cursor,
        before_tail,
        ids,
    )
    return FileResult(
        source, frame if frame is not None else empty_frame(kind), rejects, None, state
    )


def _read_whole(source: DataFile, params: TapeParams) -> FileResult:
    """A Parquet or vendor file, read completely."""
    if source.size < STREAM_BYTES or not fast_path_applies(source.kind, params):
        result = read_file(source)
        if result.error is not None:
            return result
        summary = summarise_rows(source.kind, result.frame.lazy(), params)
        state = TapeState(params, summary, result.frame.height, {}, streamed=False)
        return replace(result, tape=state)
    lf, schema = raw_lazy(source)
    layouts = timestamp_layouts(lf, schema, source.kind)
    read = _read_streamed(source, lf, schema, layouts, params)
    return _tape_result(source, read, params, layouts)


def _fingerprint(handle: Any, start: int, end: int) -> bytes:
    handle.seek(start)
    data: bytes = handle.read(end - start)
    return data


def _edge(handle: Any, data_start: int, consumed: int) -> bytes:
    return _fingerprint(handle, max(data_start, consumed - _FINGERPRINT_BYTES), consumed)


def _count_lines(handle: Any, start: int, end: int) -> int:
    handle.seek(start)
    count, left = 0, end - start
    while left > 0:
        block = handle.read(min(left, 1 << 22))
        if not block:
            break
        count += block.count(b"\n")
        left -= len(block)
    return count


def _last_newline(handle: Any, start: int, end: int) -> int:
    """The offset just after the last newline in [start, end), or ``start`` if none."""
    position = end
    while position > start:
        size = min(position - start, 1 << 16)
        handle.seek(position - size)
        block: bytes = handle.read(size)
        at = block.rfind(b"\n")
        if at >= 0:
            return position - size + at + 1
        position -= size
    return start


def _hold(live: bool, mtime_ns: int, now_ns: int | None) -> bool:
    """An unterminated last line waits in a live read of a file that changed just now."""
    if not live:
        return False
    now = time.time_ns() if now_ns is None else now_ns
    return now - mtime_ns < QUIET_SECONDS * 1e9


def _chunk(
    source: DataFile,
    handle: Any,
    start: int,
    end: int,
    first_line: int,
    layouts: Mapping[str, tuple[str, ...]],
    params: TapeParams,
) -> _Read:
    """Bytes [start, end) of a CSV's data rows, parsed (canonical path, rows kept)."""
    handle.seek(start)
    data = handle.read(end - start)
    rows = data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)
    if not data:
        return _Read(
            empty(source.kind),
            empty_frame(source.kind),
            pl.DataFrame(schema=REJECT_SCHEMA),
            0,
            0,
            False,
        )
    lf, schema = raw_lazy(source, data=data, first_line=first_line)
    return _read_rows(source, lf, schema, layouts, params, rows)


def _read_csv(
    source: DataFile,
    before: FileResult | None,
    params: TapeParams,
    *,
    live: bool,
    now_ns: int | None,
) -> FileResult:
    """A CSV print file: from where ``before`` stopped when the file only grew, else whole."""
    path = source.path
    st = os.stat(path)
    with open(path, "rb") as handle:
        resumed = _resume(source, before, params, st, handle)
        if resumed is not None and _repeats_an_id(source, resumed, st.st_size, handle):
            resumed = None  # an appended row repeats a trade id: read the file whole
        if resumed is not None:
            start_result = resumed
            assert start_result.tape is not None and start_result.tape.cursor is not None
            cursor = start_result.tape.cursor
            layouts = start_result.tape.layouts
            if st.st_size == cursor.consumed and not cursor.held_back:
                return replace(start_result, source=source)
            data_start, consumed, records = cursor.data_start, cursor.consumed, cursor.records
            head = cursor.head
        else:
            start_result = None
            head_bytes = _fingerprint(handle, 0, min(st.st_size, _HEAD_LIMIT))
            found = csv_data_start(source, head_bytes)
            data_start = found if found is not None else st.st_size
            head = head_bytes[:data_start]
            consumed, records = data_start, 0
            lf, schema = raw_lazy(source, n_rows=LAYOUT_PROBE_ROWS)
            layouts = timestamp_layouts(lf, schema, source.kind)
        end = st.st_size
        complete = _last_newline(handle, consumed, end)
        tail = end > complete
        hold = tail and _hold(live, st.st_mtime_ns, now_ns)
        header_line = source.detected.header_row + 2
        result = start_result
        if complete > consumed:
            if (
                start_result is None
                and complete - consumed >= STREAM_BYTES
                and fast_path_applies(source.kind, params)
            ):
                n_rows = None if complete == end else _count_lines(handle, consumed, complete)
                text = raw_lazy(source, n_rows=n_rows)
                try:  # the reader parses the numbers (fast) unless one does not parse
                    lf, schema = raw_lazy(source, n_rows=n_rows, typed=True)
                    read = _read_streamed(source, lf, schema, layouts, params, text)
                except pl.exceptions.PolarsError:
                    read = _read_streamed(source, *text, layouts, params)
            else:
                read = _chunk(
                    source, handle, consumed, complete, header_line + records, layouts, params
                )
            cursor = CsvCursor(
                st.st_dev,
                st.st_ino,
                data_start,
                complete,
                records + read.rows,
                head,
                _edge(handle, data_start, complete),
                held_back=hold,
            )
            result = _tape_result(source, read, params, layouts, cursor=cursor, before=result)
            consumed, records = complete, records + read.rows
        elif result is None or result.tape is None or result.tape.held_back != hold:
            empty_read = _Read(
                empty(source.kind),
                empty_frame(source.kind),
                pl.DataFrame(schema=REJECT_SCHEMA),
                0,
                0,
                False,
            )
            cursor = CsvCursor(
                st.st_dev,
                st.st_ino,
                data_start,
                consumed,
                records,
                head,
                _edge(handle, data_start, consumed),
                held_back=hold,
            )
            result = _tape_result(source, empty_read, params, layouts, cursor=cursor, before=result)
        if tail and not hold:
            read = _chunk(source, handle, complete, end, header_line + records, layouts, params)
            cursor = CsvCursor(
                st.st_dev,
                st.st_ino,
                data_start,
                end,
                records + read.rows,
                head,
                _edge(handle, data_start, end),
            )
            result = _tape_result(
                source, read, params, layouts, cursor=cursor, before=result, before_tail=result
            )
    assert result is not None
    return replace(result, source=source)


def _repeats_an_id(source: DataFile, resumed: FileResult, size: int, handle: Any) -> bool:
    """Rows after where ``resumed`` stopped hold a trade id read before."""
    state = resumed.tape
    if state is None or state.ids is None or state.cursor is None:
        return False
    start = state.cursor.consumed
    if size <= start or state.ids.is_empty():
        return False
    handle.seek(start)
    data = handle.read(size - start)
    lf, schema = raw_lazy(source, data=data, first_line=1)
    counts = _id_counts(lf, schema, source.kind)
    return counts is not None and bool(counts["h"].is_in(state.ids.implode()).any())


def _resume(
    source: DataFile,
    before: FileResult | None,
    params: TapeParams,
    st: os.stat_result,
    handle: Any,
) -> FileResult | None:
    """The read to go on from: ``before`` (or the read before its unterminated last line) when
    the file is the same file, grown or unchanged; None to read it from the start."""
    if before is None or before.error is not None or before.tape is None:
        return None
    state = before.tape
    if state.params != params or state.cursor is None:
        return None
    if before.source.detected != source.detected:
        return None
    cursor = state.cursor
    if (st.st_dev, st.st_ino) != (cursor.device, cursor.inode) or st.st_size < cursor.consumed:
        return None
    if _fingerprint(handle, 0, len(cursor.head)) != cursor.head:
        return None
    if _edge(handle, cursor.data_start, cursor.consumed) != cursor.edge:
        return None
    if state.before_tail is not None:
        if st.st_size == cursor.consumed:
            return before  # nothing new after the unterminated line: keep it
        return _resume(source, state.before_tail, params, st, handle)
    return before


def read_tape(
    source: DataFile,
    before: FileResult | None = None,
    /,
    *,
    params: TapeParams = TapeParams(),
    live: bool = False,
    now_ns: int | None = None,
) -> FileResult:
    """Read a print file for the report (``FileResult.tape`` holds its summary). ``before``
    is the last read of the same file: a CSV that only grew is read from where it stopped.
    ``live`` holds back an unterminated last line of a file that changed in the last
    ``QUIET_SECONDS`` (``now_ns`` is the clock, for tests). Never raises on bad content."""
    try:
        if source.detected.fmt == "csv":
            return _read_csv(source, before, params, live=live, now_ns=now_ns)
        return _read_whole(source, params)
    except (Exception, pl.exceptions.PanicException) as exc:  # I/O, truncated, undecodable
        return failed_read(source, exc)


def reusable(before: FileResult, source: DataFile, params: TapeParams) -> bool:
    """``before`` can stand for ``source`` as it is now without looking at the file: a file
    neither grown nor touched, read with the same settings, nothing held back."""
    state = before.tape
    return (
        state is not None
        and before.error is None
        and state.params == params
        and not state.held_back
        and before.source.size == source.size
        and before.source.mtime_ns == source.mtime_ns
        and before.source.detected == source.detected
    )


def rows(result: FileResult, /) -> pl.LazyFrame:
    """The good rows of a print file read by ``read_tape``: the rows kept in memory, or the
    file read again (as far as it was read) when they were not kept."""
    state = result.tape
    source = result.source
    if state is None or not state.streamed:
        return result.frame.lazy()
    layouts: Mapping[str, tuple[str, ...]] | None = (
        dict.fromkeys(state.layouts, LAYOUTS) if state.retried else state.layouts
    )
    if state.cursor is not None:
        lf, schema = raw_lazy(source, n_rows=state.cursor.records)
    else:
        lf, schema = raw_lazy(source)
    canonical = canonical_of(source, lf, schema, layouts=layouts or None)
    columns = [*empty_frame(source.kind).columns]
    return canonical.good().select(columns)


__all__ = [
    "KEEP_ROWS",
    "QUIET_SECONDS",
    "SPLITS_SCHEMA",
    "STREAM_BYTES",
    "TAPE_KINDS",
    "CsvCursor",
    "SpotMap",
    "TapeParams",
    "TapeState",
    "TapeSummary",
    "empty",
    "fast_path_applies",
    "fold",
    "read_tape",
    "reusable",
    "rows",
    "summarise_rows",
]
