"""Property tests of the options flow sums (METHODOLOGY §2.1): the buckets add up to the total,
tickers add up to the market, and neither row order nor splitting the tape into parts matters."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowterm.core.flow import SUM_COLUMNS, MarketFlow, bucket_prints, market_flow, ticker_flow

Row = tuple[str, str, str, float]  # (underlying, right, side, premium)
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
PRICE = {"BUY": 1.10, "SELL": 1.00, "MID": 1.05, "NOQUOTE": 1.05}

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
REL = 1e-9

row = st.tuples(
    st.sampled_from(["AAA", "BBB", "CCC", "DDD"]),
    st.sampled_from(["C", "P"]),
    st.sampled_from(["BUY", "SELL", "MID", "NOQUOTE"]),
    st.floats(min_value=-1e6, max_value=5e9, allow_nan=False, allow_infinity=False),
)
condition = st.sampled_from([None, "AUTO", "CANC", "LATE", "MLET", "SLAN,MLAT", "ISOI"])
tape = st.lists(st.tuples(row, condition), max_size=40)


def _frame(prints: list[tuple[Row, str | None]]) -> pl.LazyFrame:
    """Canonical option prints placed at the ask (BUY), bid (SELL), mid or without a quote."""
    n = len(prints)
    sides = [p[0][2] for p in prints]
    return pl.LazyFrame(
        {
            "ts": [T0 + timedelta(milliseconds=i) for i in range(n)],
            "underlying": [p[0][0] for p in prints],
            "expiry": [date(2026, 4, 17)] * n,
            "strike": [100.0] * n,
            "right": [p[0][1] for p in prints],
            "price": [PRICE[s] for s in sides],
            "size": [10] * n,
            "bid": [None if s == "NOQUOTE" else 1.00 for s in sides],
            "ask": [None if s == "NOQUOTE" else 1.10 for s in sides],
            "multiplier": [100] * n,
            "conditions": [p[1] for p in prints],
            "premium": [p[0][3] for p in prints],
            "osi": [p[0][0] + p[0][1] for p in prints],
            "session": [date(2026, 3, 2)] * n,
        },
        schema_overrides={
            "ts": pl.Datetime("ns", "UTC"),
            "bid": pl.Float64,
            "ask": pl.Float64,
            "size": pl.Int64,
            "multiplier": pl.Int64,
            "conditions": pl.String,
            "premium": pl.Float64,
            "price": pl.Float64,
        },
    )


def _market(prints: list[tuple[Row, str | None]]) -> MarketFlow:
    return market_flow(bucket_prints(_frame(prints)))


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-3)


@SETTINGS
@given(tape)
def test_buckets_add_up_to_the_total(prints: list[tuple[Row, str | None]]) -> None:
    m = _market(prints)
    parts = m.calls_bought + m.calls_sold + m.puts_bought + m.puts_sold + m.unknown
    assert _close(parts, m.total)
    assert _close(m.unknown_calls + m.unknown_puts, m.unknown)
    assert _close(m.bullish - m.bearish, m.net)
    tickers = ticker_flow(bucket_prints(_frame(prints))).collect()
    for r in tickers.iter_rows(named=True):
        parts = sum(r[c] for c in ("calls_bought", "calls_sold", "puts_bought", "puts_sold"))
        assert _close(parts + r["unknown"], r["total"])


@SETTINGS
@given(tape)
def test_tickers_add_up_to_the_market(prints: list[tuple[Row, str | None]]) -> None:
    m = _market(prints)
    tickers = ticker_flow(bucket_prints(_frame(prints))).collect()
    for column in (*SUM_COLUMNS, "total", "net"):
        assert _close(float(tickers[column].sum()), getattr(m, column)), column
    assert int(tickers["prints"].sum()) == m.prints_counted


@SETTINGS
@given(tape, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(prints: list[tuple[Row, str | None]], rnd: object) -> None:
    shuffled = list(prints)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a, b = _market(prints), _market(shuffled)
    for field in MarketFlow.__slots__:  # type: ignore[attr-defined]
        x, y = getattr(a, field), getattr(b, field)
        if isinstance(x, float) or isinstance(y, float):
            assert _close(x, y), field
        else:
            assert x == y, field


@SETTINGS
@given(tape, st.lists(st.integers(min_value=0, max_value=40), max_size=3))
def test_splitting_into_part_frames_does_not_matter(
    prints: list[tuple[Row, str | None]], cuts: list[int]
) -> None:
    bounds = sorted({0, len(prints), *[min(c, len(prints)) for c in cuts]})
    parts = [_frame(prints[lo:hi]) for lo, hi in itertools.pairwise(bounds)]
    whole = ticker_flow(bucket_prints(_frame(prints))).collect()
    stacked_frames = parts or [_frame([])]
    stacked = ticker_flow(bucket_prints(pl.concat(stacked_frames))).collect()
    assert stacked["underlying"].to_list() == whole["underlying"].to_list()
    for column in (*SUM_COLUMNS, "total"):
        for x, y in zip(stacked[column].to_list(), whole[column].to_list(), strict=True):
            assert x == pytest.approx(y, rel=REL, abs=1e-3), column
