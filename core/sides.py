"""Trade-side classification (METHODOLOGY §1): who initiated each print, and why we think so.

flowterm labels options and off-exchange prints with the quote-position rule of §1.2 (``side``
BUY/SELL/UNKNOWN plus ``side_detail`` saying which branch decided), against the NBBO carried by
the print or, when the print has none, the quote in force at the print (as-of join). The classic
rules of §1.1 (quote, tick, reverse tick, Lee–Ready, EMO, CLNV) are here too, as ±1/null columns,
so the report can show how much the choice of rule matters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Final, Literal

import polars as pl

SETTINGS_SECTION: Final = "sides"

SideMode = Literal["bands", "strict"]


class Side(StrEnum):
    """Who initiated a print."""

    BUY = "BUY"
    SELL = "SELL"
    UNKNOWN = "UNKNOWN"


class Detail(StrEnum):
    """Which branch of the rule decided a print's side (for tracing a figure to its prints)."""

    AT_ASK = "at/above ask"
    AT_BID = "at/below bid"
    TO_ASK = "to ask"
    TO_BID = "to bid"
    MID = "mid"
    INSIDE = "inside"  # strict mode: strictly between bid and ask
    CROSSED = "crossed"
    LOCKED = "locked"
    NO_QUOTE = "no quote"
    STALE_QUOTE = "stale quote"
    ZERO_QUOTE = "zero quote"  # bid or ask ≤ 0
    MULTI_LEG = "multi-leg"
    TICK_UP = "tick up"  # dark-pool tick fallback
    TICK_DOWN = "tick down"


class QuoteSource(StrEnum):
    """Where a print's bid/ask came from."""

    PRINT = "print"
    QUOTES = "quotes"
    STALE = "stale"
    NONE = "none"


SIDE_DTYPE: Final = pl.Enum([s.value for s in Side])
DETAIL_DTYPE: Final = pl.Enum([d.value for d in Detail])
QUOTE_SOURCE_DTYPE: Final = pl.Enum([q.value for q in QuoteSource])
#: A ±1/null rule label (buyer-initiated +1, seller-initiated −1, unclassified null).
RULE_DTYPE: Final = pl.Int8()

#: CLNV's band width as defined by Chakrabarty et al. (2007) (§1.1, a definition, not a setting).
CLNV_BAND: Final = 0.3


def _detail(detail: Detail) -> pl.Expr:
    return pl.lit(detail.value, DETAIL_DTYPE)


def _source(source: QuoteSource) -> pl.Expr:
    return pl.lit(source.value, QUOTE_SOURCE_DTYPE)


def _side(side: Side) -> pl.Expr:
    return pl.lit(side.value, SIDE_DTYPE)


@dataclass(frozen=True, slots=True)
class SideParams:
    """The [P] parameters of trade-side classification (METHODOLOGY §1.2, §11.1)."""

    #: §1.2/§11.1 "bands" (at/above ask, at/below bid, and the 70/30 % bands) or "strict"
    #: (only at/above ask and at/below bid; everything inside the spread is UNKNOWN).
    mode: SideMode = "bands"
    #: §1.2 ε: absolute price tolerance in $ for "at ask"/"at bid"/"at mid" equality (tclf atol).
    price_tolerance: float = 1e-4
    #: §1.2 x = (P − B)/(A − B) at or above this → BUY "to ask" (CLNV upper band).
    upper_band: float = 0.70
    #: §1.2 x at or below this → SELL "to bid" (CLNV lower band).
    lower_band: float = 0.30
    #: §1.2 a quote older than this (seconds) when matched to a print is stale → UNKNOWN.
    quote_max_age_seconds: float = 1.0
    #: §1.2 multi-leg/complex condition codes are those starting with one of these prefixes
    #: (OPRA "MLET", "MLAT", "MLCT", "MLFT", "TLET", "TLAT", …) …
    multi_leg_prefixes: frozenset[str] = frozenset({"ML", "TL"})
    #: … or one of these OPRA codes (complex orders against single-leg and stock legs).
    multi_leg_codes: frozenset[str] = frozenset({"MESL", "MASL", "MFSL", "TESL", "TASL", "TFSL"})
    #: §1.2 equities/dark: classify what the quote rule leaves UNKNOWN with the tick test.
    dark_tick_fallback: bool = False

    def __post_init__(self) -> None:
        if self.mode not in ("bands", "strict"):
            raise ValueError(f"mode must be 'bands' or 'strict', not {self.mode!r}")
        if not 0.0 <= self.lower_band < self.upper_band <= 1.0:
            raise ValueError("need 0 ≤ lower_band < upper_band ≤ 1")
        if self.price_tolerance < 0 or self.quote_max_age_seconds < 0:
            raise ValueError("price_tolerance and quote_max_age_seconds must be ≥ 0")


# --------------------------------------------------------------------------------------------
# Condition codes


def has_condition(
    codes: Iterable[str] = (),
    *,
    prefixes: Iterable[str] = (),
    column: str = "conditions",
) -> pl.Expr:
    """True where the condition list (codes separated by commas, spaces, ``;`` or ``|``) holds one
    of ``codes`` or a code starting with one of ``prefixes``; case-insensitive; null → False."""
    alternatives = [re.escape(c) for c in sorted(codes)]
    alternatives += [re.escape(p) + r"[0-9A-Za-z]*" for p in sorted(prefixes)]
    if not alternatives:
        return pl.lit(False)
    pattern = r"(?i)(?:^|[\s,;|])(?:" + "|".join(alternatives) + r")(?:$|[\s,;|])"
    return pl.col(column).cast(pl.String).str.contains(pattern).fill_null(False)


def is_multi_leg(*, params: SideParams = SideParams()) -> pl.Expr:
    """True for prints whose conditions mark a multi-leg/complex order (§1.2)."""
    return has_condition(params.multi_leg_codes, prefixes=params.multi_leg_prefixes)


def _columns(frame: pl.LazyFrame) -> list[str]:
    return frame.collect_schema().names()


# --------------------------------------------------------------------------------------------
# NBBO


def attach_nbbo(
    prints: pl.LazyFrame,
    quotes: pl.LazyFrame | None = None,
    /,
    *,
    key: str = "osi",
    params: SideParams = SideParams(),
) -> pl.LazyFrame:
    """The prints with ``bid``/``ask`` completed from ``quotes`` and ``quote_source`` added.

    A print's own bid and ask win (§1.2: the NBBO carried with the print). A print missing
    either takes the latest quote of its ``key`` at or before its ``ts`` (as-of join backward,
    exact matches allowed); a quote older than ``quote_max_age_seconds`` is stale and dropped,
    so the print stays unquoted. Rows come back grouped: quoted prints first, then the rest.
    """
    has_quote = pl.col("bid").is_not_null() & pl.col("ask").is_not_null()
    if quotes is None:
        own = (
            pl.when(has_quote).then(_source(QuoteSource.PRINT)).otherwise(_source(QuoteSource.NONE))
        )
        return prints.with_columns(own.alias("quote_source"))
    quoted = prints.filter(has_quote).with_columns(_source(QuoteSource.PRINT).alias("quote_source"))
    unquoted = prints.filter(~has_quote)
    names = _columns(unquoted)
    latest = (
        quotes.select(
            pl.col("ts").alias("_quote_ts"),
            pl.col("key").cast(pl.String).alias("_quote_key"),
            pl.col("bid").alias("_quote_bid"),
            pl.col("ask").alias("_quote_ask"),
        )
        .drop_nulls(["_quote_ts", "_quote_key"])
        .sort("_quote_ts")
    )
    joined = (
        unquoted.with_columns(pl.col(key).cast(pl.String).alias("_print_key"))
        .sort("ts")
        .join_asof(
            latest,
            left_on="ts",
            right_on="_quote_ts",
            by_left="_print_key",
            by_right="_quote_key",
            strategy="backward",
            allow_exact_matches=True,
            check_sortedness=False,  # both sides sorted by time, so sorted within each key
        )
    )
    max_age = timedelta(seconds=params.quote_max_age_seconds)
    fresh = (pl.col("ts") - pl.col("_quote_ts")) <= max_age
    source = (
        pl.when(pl.col("_quote_ts").is_null())
        .then(_source(QuoteSource.NONE))
        .when(fresh)
        .then(_source(QuoteSource.QUOTES))
        .otherwise(_source(QuoteSource.STALE))
    )
    filled = joined.with_columns(
        pl.when(fresh).then(pl.col("_quote_bid")).otherwise(None).alias("bid"),
        pl.when(fresh).then(pl.col("_quote_ask")).otherwise(None).alias("ask"),
        source.alias("quote_source"),
    ).select(*names, "quote_source")
    return pl.concat([quoted, filled], how="vertical")


# --------------------------------------------------------------------------------------------
# The flowterm position rule (§1.2)


def _quote_problem(params: SideParams) -> pl.Expr:
    """The first quote-quality branch of §1.2 that applies (null when the quote is usable)."""
    bid, ask, eps = pl.col("bid"), pl.col("ask"), params.price_tolerance
    missing = bid.is_null() | ask.is_null()
    stale = pl.col("quote_source") == QuoteSource.STALE.value
    return (
        pl.when(missing & stale)
        .then(_detail(Detail.STALE_QUOTE))
        .when(missing)
        .then(_detail(Detail.NO_QUOTE))
        .when((bid <= 0) | (ask <= 0))
        .then(_detail(Detail.ZERO_QUOTE))
        .when(ask < bid - eps)
        .then(_detail(Detail.CROSSED))
        .when((ask - bid).abs() <= eps)
        .then(_detail(Detail.LOCKED))
        .otherwise(pl.lit(None, DETAIL_DTYPE))
    )


def quote_position() -> pl.Expr:
    """x = (P − B)/(A − B): 0 at the bid, 1 at the ask; null unless A > B (§1.2)."""
    bid, ask = pl.col("bid"), pl.col("ask")
    return pl.when(ask > bid).then((pl.col("price") - bid) / (ask - bid)).otherwise(None)


def _position_detail(params: SideParams, multi_leg: pl.Expr) -> pl.Expr:
    """The §1.2 table, top to bottom, as a ``side_detail`` value."""
    price, bid, ask, eps = pl.col("price"), pl.col("bid"), pl.col("ask"), params.price_tolerance
    spread = ask - bid
    problem = _quote_problem(params)
    decided = (
        pl.when(problem.is_not_null())
        .then(problem)
        .when(multi_leg)
        .then(_detail(Detail.MULTI_LEG))
        .when(price >= ask - eps)
        .then(_detail(Detail.AT_ASK))
        .when(price <= bid + eps)
        .then(_detail(Detail.AT_BID))
    )
    if params.mode == "strict":
        return decided.otherwise(_detail(Detail.INSIDE))
    # Bands compared in price space with the same ε, so x = 0.70 exactly is "to ask" despite
    # floating-point noise in (P − B)/(A − B).
    return (
        decided.when(price - bid >= params.upper_band * spread - eps)
        .then(_detail(Detail.TO_ASK))
        .when(price - bid <= params.lower_band * spread + eps)
        .then(_detail(Detail.TO_BID))
        .otherwise(_detail(Detail.MID))
    )


def side_code(params: SideParams) -> pl.Expr:
    """The §1.2 side of a print against its own ``bid``/``ask`` as +1 (BUY), −1 (SELL) or 0
    (UNKNOWN), for a print that is not multi-leg: the decision ``_position_detail`` and
    ``side_of_detail`` make, without the detail column (the tape summaries run it on millions
    of prints and only need the side)."""
    price, bid, ask, eps = pl.col("price"), pl.col("bid"), pl.col("ask"), params.price_tolerance
    spread = ask - bid
    unusable = (
        bid.is_null()
        | ask.is_null()
        | (bid <= 0)
        | (ask <= 0)
        | (ask < bid - eps)
        | ((ask - bid).abs() <= eps)
    )
    code = (
        pl.when(unusable)
        .then(pl.lit(0, pl.Int8))
        .when(price >= ask - eps)
        .then(pl.lit(1, pl.Int8))
        .when(price <= bid + eps)
        .then(pl.lit(-1, pl.Int8))
    )
    if params.mode == "strict":
        return code.otherwise(pl.lit(0, pl.Int8))
    return (
        code.when(price - bid >= params.upper_band * spread - eps)
        .then(pl.lit(1, pl.Int8))
        .when(price - bid <= params.lower_band * spread + eps)
        .then(pl.lit(-1, pl.Int8))
        .otherwise(pl.lit(0, pl.Int8))
    )


def side_of_detail(detail: pl.Expr) -> pl.Expr:
    """BUY/SELL/UNKNOWN from a ``side_detail`` value."""
    buy = [Detail.AT_ASK, Detail.TO_ASK, Detail.TICK_UP]
    sell = [Detail.AT_BID, Detail.TO_BID, Detail.TICK_DOWN]
    return (
        pl.when(pl.any_horizontal([detail == d.value for d in buy]))
        .then(_side(Side.BUY))
        .when(pl.any_horizontal([detail == d.value for d in sell]))
        .then(_side(Side.SELL))
        .otherwise(_side(Side.UNKNOWN))
    )


def _with_position_side(
    frame: pl.LazyFrame, multi_leg: pl.Expr, params: SideParams
) -> pl.LazyFrame:
    """``frame`` (after ``attach_nbbo``) with the §1.2 side, its detail and x."""
    detail = _position_detail(params, multi_leg)
    return frame.with_columns(
        quote_position().alias("quote_position"),
        detail.alias("side_detail"),
    ).with_columns(side_of_detail(pl.col("side_detail")).alias("side"))


def classify_options(
    prints: pl.LazyFrame,
    quotes: pl.LazyFrame | None = None,
    /,
    *,
    params: SideParams = SideParams(),
) -> pl.LazyFrame:
    """Option prints with ``side``, ``side_detail``, ``quote_position``, ``multi_leg`` and
    ``quote_source`` by the flowterm rule of §1.2 (no tick fallback: tick is the worst rule for
    options). Quotes, when given, are matched on the contract key ``osi`` = quotes ``key``."""
    names = _columns(prints)
    multi_leg = is_multi_leg(params=params) if "conditions" in names else pl.lit(False)
    nbbo = attach_nbbo(prints, quotes, key="osi", params=params)
    nbbo = nbbo.with_columns(multi_leg.alias("multi_leg"))
    return _with_position_side(nbbo, pl.col("multi_leg"), params)


def classify_dark(
    prints: pl.LazyFrame,
    quotes: pl.LazyFrame | None = None,
    /,
    *,
    params: SideParams = SideParams(),
) -> pl.LazyFrame:
    """Off-exchange prints with ``side``, ``side_detail``, ``quote_position`` and
    ``quote_source``: the §1.2 position rule against the NBBO at the reported timestamp
    (quotes ``key`` = ``symbol``), and the tick test for what it leaves UNKNOWN when
    ``dark_tick_fallback`` is on."""
    nbbo = attach_nbbo(prints, quotes, key="symbol", params=params)
    classified = _with_position_side(nbbo, pl.lit(False), params)
    if not params.dark_tick_fallback:
        return classified
    tick = tick_rule(key="symbol", params=params)
    fallback = (
        pl.when(pl.col("side") != Side.UNKNOWN.value)
        .then(pl.col("side_detail"))
        .when(tick == 1)
        .then(_detail(Detail.TICK_UP))
        .when(tick == -1)
        .then(_detail(Detail.TICK_DOWN))
        .otherwise(pl.col("side_detail"))
    )
    return classified.with_columns(fallback.alias("side_detail")).with_columns(
        side_of_detail(pl.col("side_detail")).alias("side")
    )


# --------------------------------------------------------------------------------------------
# The classic rules of §1.1, as ±1/null columns


def _sign(condition_up: pl.Expr, condition_down: pl.Expr) -> pl.Expr:
    return (
        pl.when(condition_up)
        .then(pl.lit(1, RULE_DTYPE))
        .when(condition_down)
        .then(pl.lit(-1, RULE_DTYPE))
        .otherwise(pl.lit(None, RULE_DTYPE))
    )


def previous_different_price(*, key: str, params: SideParams = SideParams()) -> pl.Expr:
    """P*: the most recent earlier price of the same ``key`` that differs from this one (§12)."""
    price = pl.col("price")
    before = price.shift(1)
    changed = (price - before).abs() > params.price_tolerance
    last = pl.when(changed).then(before).otherwise(None).forward_fill()
    return last.over(key, order_by="ts")


def next_different_price(*, key: str, params: SideParams = SideParams()) -> pl.Expr:
    """P**: the next later price of the same ``key`` that differs from this one (reverse tick)."""
    price = pl.col("price")
    after = price.shift(-1)
    changed = (price - after).abs() > params.price_tolerance
    following = pl.when(changed).then(after).otherwise(None).backward_fill()
    return following.over(key, order_by="ts")


def _mid() -> pl.Expr:
    """The midpoint, null for a missing or crossed quote (tclf ``_mid``; locked is allowed)."""
    bid, ask = pl.col("bid"), pl.col("ask")
    return pl.when(ask >= bid).then((ask + bid) / 2).otherwise(None)


def quote_rule(*, params: SideParams = SideParams()) -> pl.Expr:
    """Harris (1989): +1 above the mid, −1 below, null at the mid (within ε) or without a quote."""
    price, mid, eps = pl.col("price"), _mid(), params.price_tolerance
    return _sign(price > mid + eps, price < mid - eps)


def tick_rule(*, key: str, params: SideParams = SideParams()) -> pl.Expr:
    """Tick test: +1 above P*, −1 below P*, null without an earlier different price."""
    price, prior = pl.col("price"), previous_different_price(key=key, params=params)
    return _sign(price > prior, price < prior)


def reverse_tick_rule(*, key: str, params: SideParams = SideParams()) -> pl.Expr:
    """Reverse tick test: +1 above P**, −1 below P**, null without a later different price."""
    price, later = pl.col("price"), next_different_price(key=key, params=params)
    return _sign(price > later, price < later)


def lee_ready(*, key: str, params: SideParams = SideParams()) -> pl.Expr:
    """Lee–Ready (1991): the quote rule, and the tick test where it cannot decide."""
    return pl.coalesce(quote_rule(params=params), tick_rule(key=key, params=params))


def emo(*, key: str, params: SideParams = SideParams()) -> pl.Expr:
    """EMO (2000): quote rule for prints at the ask XOR at the bid, tick test otherwise (tclf)."""
    price, eps = pl.col("price"), params.price_tolerance
    at_ask = ((price - pl.col("ask")).abs() <= eps).fill_null(False)
    at_bid = ((price - pl.col("bid")).abs() <= eps).fill_null(False)
    return (
        pl.when(at_ask ^ at_bid)
        .then(quote_rule(params=params))
        .otherwise(tick_rule(key=key, params=params))
    )


def clnv(*, key: str, params: SideParams = SideParams()) -> pl.Expr:
    """CLNV (2007): quote rule in the top or bottom 30 % of the spread (closed bands, XOR, as
    tclf), tick test in the middle 40 % and outside the quotes."""
    price, bid, ask, eps = pl.col("price"), pl.col("bid"), pl.col("ask"), params.price_tolerance
    upper_edge = (1 - CLNV_BAND) * ask + CLNV_BAND * bid
    lower_edge = CLNV_BAND * ask + (1 - CLNV_BAND) * bid
    in_upper = ((price >= upper_edge - eps) & (price <= ask + eps)).fill_null(False)
    in_lower = ((price >= bid - eps) & (price <= lower_edge + eps)).fill_null(False)
    return (
        pl.when(in_upper ^ in_lower)
        .then(quote_rule(params=params))
        .otherwise(tick_rule(key=key, params=params))
    )


def compare_rules(
    prints: pl.LazyFrame,
    /,
    *,
    key: str,
    params: SideParams = SideParams(),
) -> pl.LazyFrame:
    """The prints with every §1.1 rule side by side: ``price_before`` (P*), ``price_after``
    (P**), ``quote_rule``, ``tick_rule``, ``reverse_tick_rule``, ``lee_ready``, ``emo``,
    ``clnv`` (+1/−1/null), ordered by ``ts`` within ``key`` for the tick inputs."""
    return prints.with_columns(
        previous_different_price(key=key, params=params).alias("price_before"),
        next_different_price(key=key, params=params).alias("price_after"),
        quote_rule(params=params).alias("quote_rule"),
        tick_rule(key=key, params=params).alias("tick_rule"),
        reverse_tick_rule(key=key, params=params).alias("reverse_tick_rule"),
        lee_ready(key=key, params=params).alias("lee_ready"),
        emo(key=key, params=params).alias("emo"),
        clnv(key=key, params=params).alias("clnv"),
    )


__all__ = [
    "CLNV_BAND",
    "DETAIL_DTYPE",
    "QUOTE_SOURCE_DTYPE",
    "RULE_DTYPE",
    "SETTINGS_SECTION",
    "SIDE_DTYPE",
    "Detail",
    "QuoteSource",
    "Side",
    "SideMode",
    "SideParams",
    "attach_nbbo",
    "classify_dark",
    "classify_options",
    "clnv",
    "compare_rules",
    "emo",
    "has_condition",
    "is_multi_leg",
    "lee_ready",
    "next_different_price",
    "previous_different_price",
    "quote_position",
    "quote_rule",
    "reverse_tick_rule",
    "side_code",
    "side_of_detail",
    "tick_rule",
]
