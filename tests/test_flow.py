"""Options flow side decomposition (METHODOLOGY §2, §11, §11b campaigns): buckets, totals,
ratios, grades, top-flow flips, exclusions, sectors and campaigns."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from flowterm.core.flow import (
    SETTINGS_SECTION,
    FlowParams,
    Grade,
    bucket_prints,
    campaigns,
    confidence_grade,
    flip_rate,
    flow_day,
    market_flow,
    market_totals,
    sector_flow,
    ticker_flow,
    top_flow,
)
from flowterm.core.sides import SideParams

UTC_NS = pl.Datetime("ns", "UTC")
SESSION = date(2026, 3, 2)
# 15:00 UTC = 10:00 ET
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

# How a print is placed against its quote (bid 1.00 / ask 1.10) to get each side.
PRICE = {"BUY": 1.10, "SELL": 1.00, "MID": 1.05, "NOQUOTE": 1.05}

Row = tuple[str, str, str, float]  # (underlying, right, side, premium)


def prints_frame(
    rows: list[Row],
    *,
    conditions: list[str | None] | None = None,
    multipliers: list[int | None] | None = None,
    sessions: list[date] | None = None,
    times: list[datetime] | None = None,
) -> pl.LazyFrame:
    """Canonical option prints; premium is given directly (price × size × multiplier)."""
    n = len(rows)
    side = [r[2] for r in rows]
    days = sessions if sessions is not None else [SESSION] * n
    stamps = times or [
        datetime.combine(d, T0.timetz()) + timedelta(milliseconds=i) for i, d in enumerate(days)
    ]
    return pl.LazyFrame(
        {
            "ts": stamps,
            "underlying": [r[0] for r in rows],
            "expiry": [date(2026, 4, 17)] * n,
            "strike": [100.0] * n,
            "right": [r[1] for r in rows],
            "price": [PRICE[s] for s in side],
            "size": [10] * n,
            "bid": [None if s == "NOQUOTE" else 1.00 for s in side],
            "ask": [None if s == "NOQUOTE" else 1.10 for s in side],
            "multiplier": multipliers if multipliers is not None else [100] * n,
            "conditions": conditions if conditions is not None else ["AUTO"] * n,
            "premium": [r[3] for r in rows],
            "osi": [f"{r[0]}{r[1]}" for r in rows],
            "session": days,
        },
        schema_overrides={
            "ts": UTC_NS,
            "bid": pl.Float64,
            "ask": pl.Float64,
            "multiplier": pl.Int64,
            "size": pl.Int64,
            "conditions": pl.String,
        },
    )


def report_day_rows(unknown_calls: float = 0.0, unknown_puts: float = 0.0) -> list[Row]:
    """§2.6 fixture: CB 4.0147B, PS 2.4296B, CS 4.0577B, PB 2.8946B (+ optional unknown)."""
    rows: list[Row] = [
        ("SPY", "C", "BUY", 4.0147e9),
        ("SPY", "P", "SELL", 2.4296e9),
        ("SPY", "C", "SELL", 4.0577e9),
        ("SPY", "P", "BUY", 2.8946e9),
    ]
    if unknown_calls:
        rows.append(("SPY", "C", "MID", unknown_calls))
    if unknown_puts:
        rows.append(("SPY", "P", "NOQUOTE", unknown_puts))
    return rows


def flow_of(rows: list[Row], **kwargs: object) -> pl.LazyFrame:
    return bucket_prints(prints_frame(rows, **kwargs))  # type: ignore[arg-type]


# §2.6 -----------------------------------------------------------------------------------------


def test_section_2_6_totals_are_summed_from_unrounded_parts() -> None:
    m = market_flow(flow_of(report_day_rows()))
    assert m.calls_bought == pytest.approx(4.0147e9, rel=1e-12)
    assert m.puts_sold == pytest.approx(2.4296e9, rel=1e-12)
    assert m.calls_sold == pytest.approx(4.0577e9, rel=1e-12)
    assert m.puts_bought == pytest.approx(2.8946e9, rel=1e-12)
    assert m.bullish == pytest.approx(6.4443e9, rel=1e-12)
    assert m.bearish == pytest.approx(6.9523e9, rel=1e-12)
    assert m.net == pytest.approx(-508.0e6, rel=1e-6)
    # The displayed parts (4.015 + 2.430) would give 6.445B: bullish is not built from them.
    assert m.bullish != pytest.approx(6.445e9, rel=1e-6)
    assert m.unknown == 0.0 and m.total == pytest.approx(13.3966e9, rel=1e-12)


# §2.2 -----------------------------------------------------------------------------------------


def test_section_2_2_ratios_without_unknown() -> None:
    m = market_flow(flow_of(report_day_rows()))
    # naive (classified only) = 8.0724 / 5.3242; with U = 0 flowterm's naive is the same number
    assert m.naive_call_put_classified == pytest.approx(1.516, abs=5e-4)
    assert m.naive_call_put == pytest.approx(m.naive_call_put_classified, rel=1e-12)
    assert m.adjusted_call_put == pytest.approx(0.927, abs=5e-4)
    # The report's own rounded side totals give the same two numbers.
    naive_from_report = (4.015 + 4.058) / (2.895 + 2.430)
    adjusted_from_report = 6.444 / 6.952
    assert naive_from_report == pytest.approx(1.516, abs=5e-4)
    assert adjusted_from_report == pytest.approx(0.927, abs=5e-4)


def test_section_2_2_naive_ratio_includes_unknown_side() -> None:
    m = market_flow(flow_of(report_day_rows(unknown_calls=1.0e9, unknown_puts=0.5e9)))
    calls = 4.0147e9 + 4.0577e9 + 1.0e9
    puts = 2.8946e9 + 2.4296e9 + 0.5e9
    assert m.unknown_calls == pytest.approx(1.0e9) and m.unknown_puts == pytest.approx(0.5e9)
    assert m.naive_call_put == pytest.approx(calls / puts, rel=1e-12)  # 1.5577…
    assert m.naive_call_put_classified == pytest.approx(8.0724 / 5.3242, rel=1e-12)
    assert m.adjusted_call_put == pytest.approx(6.4443 / 6.9523, rel=1e-12)  # unknown ignored
    assert m.unknown_share == pytest.approx(1.5e9 / (13.3966e9 + 1.5e9), rel=1e-12)


# §2.3 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("u", "grade"),
    [
        (0.0, Grade.HIGH),
        (0.09, Grade.HIGH),
        (0.10, Grade.HIGH),  # boundary inclusive
        (0.100001, Grade.MODERATE),
        (0.157, Grade.MODERATE),
        (0.25, Grade.MODERATE),
        (0.37, Grade.LOW),
        (0.49, Grade.LOW),
        (0.50, Grade.LOW),
        (0.500001, Grade.INSUFFICIENT),
        (0.60, Grade.INSUFFICIENT),
    ],
)
def test_section_2_3_grade_vectors(u: float, grade: Grade) -> None:
    assert confidence_grade(u, 1e9) is grade


def test_grade_needs_min_premium() -> None:
    assert confidence_grade(0.05, 9_999_999.0) is Grade.INSUFFICIENT
    assert confidence_grade(0.05, 10_000_000.0) is Grade.HIGH
    assert confidence_grade(None, 0.0) is Grade.INSUFFICIENT
    assert confidence_grade(0.05, 5e6, min_premium=1e6) is Grade.HIGH


def test_grade_from_prints_and_sign_robustness() -> None:
    # u = 9 % with the §2.6 totals: HIGH, but U ≈ 1.325B > |Net| = 0.508B → not sign-robust.
    unknown = 0.09 / 0.91 * 13.3966e9
    m = market_flow(flow_of(report_day_rows(unknown_calls=unknown)))
    assert m.unknown_share == pytest.approx(0.09)
    assert m.grade is Grade.HIGH
    assert m.net_sign_robust is False
    assert market_flow(flow_of(report_day_rows())).net_sign_robust is True


# Empty day and exclusions ---------------------------------------------------------------------


def test_empty_day() -> None:
    m = market_flow(flow_of([]))
    assert (m.total, m.bullish, m.bearish, m.net, m.unknown) == (0.0, 0.0, 0.0, 0.0, 0.0)
    assert m.unknown_share is None
    assert m.naive_call_put is None and m.adjusted_call_put is None
    assert m.naive_call_put_classified is None
    assert m.grade is Grade.INSUFFICIENT
    assert m.prints_seen == 0 and m.prints_counted == 0
    assert ticker_flow(flow_of([])).collect().is_empty()
    day = flow_day(prints_frame([]))
    assert day.flip.rate is None and day.flip.names == 0


def test_exclusions_are_counted_not_silently_dropped() -> None:
    rows: list[Row] = [
        ("AAA", "C", "BUY", 1e6),  # counted
        ("AAA", "C", "BUY", 2e6),  # cancelled
        ("AAA", "P", "BUY", 3e6),  # cancelled (in a list)
        ("AAA", "P", "SELL", 4e6),  # late
        ("AAA", "P", "SELL", 5e6),  # out of sequence
        ("AAA", "C", "BUY", 0.0),  # busted: zero premium
        ("AAA", "C", "BUY", -7e6),  # busted: negative premium
        ("AAA", "C", "BUY", 8e6),  # unknown multiplier
        ("AAA", "C", "BUY", 9e6),  # multi-leg → UNKNOWN by default
    ]
    conditions = ["AUTO", "CANC", "AUTO,CNCL", "LATE", "OSEQ", None, None, "AUTO", "MLET"]
    multipliers = [100, 100, 100, 100, 100, 100, 100, None, 100]
    frame = prints_frame(rows, conditions=conditions, multipliers=multipliers)
    m = market_flow(bucket_prints(frame))
    assert m.prints_seen == 9 and m.prints_counted == 2 and m.excluded == 7
    assert (m.excluded_cancelled, m.excluded_late) == (2, 2)
    assert m.excluded_non_positive_premium == 2
    assert m.excluded_unknown_multiplier == 1
    assert (m.excluded_multi_leg, m.multi_leg_unknown) == (0, 1)
    assert m.calls_bought == 1e6 and m.unknown == 9e6 and m.total == 10e6
    assert m.multi_leg == "unknown" and m.side_mode == "bands"

    excluding = FlowParams(multi_leg="exclude")
    m2 = market_flow(bucket_prints(frame, params=excluding), params=excluding)
    assert (m2.excluded_multi_leg, m2.multi_leg_unknown) == (1, 0)
    assert m2.unknown == 0.0 and m2.total == 1e6


def test_strict_mode_is_recorded_and_moves_band_prints_to_unknown() -> None:
    frame = prints_frame([("AAA", "C", "BUY", 1e6)]).with_columns(pl.lit(1.09).alias("price"))
    strict = SideParams(mode="strict")
    bands = market_flow(bucket_prints(frame))
    m = market_flow(bucket_prints(frame, side_params=strict), side_params=strict)
    assert bands.calls_bought == 1e6
    assert m.calls_bought == 0.0 and m.unknown == 1e6 and m.side_mode == "strict"


def test_prints_after_the_close_are_kept_and_marked() -> None:
    late_ts = datetime(2026, 3, 2, 21, 5, tzinfo=UTC)  # 16:05 ET
    frame = prints_frame([("SPX", "C", "BUY", 1e6), ("SPX", "C", "BUY", 2e6)], times=[T0, late_ts])
    m = market_flow(bucket_prints(frame))
    assert m.after_close == 1 and m.calls_bought == 3e6


def test_quotes_frame_feeds_the_side_rule() -> None:
    frame = prints_frame([("AAA", "C", "NOQUOTE", 1e6)])
    quotes = pl.LazyFrame(
        {"ts": [T0 - timedelta(milliseconds=200)], "key": ["AAAC"], "bid": [1.0], "ask": [1.06]},
        schema_overrides={"ts": UTC_NS},
    )
    assert market_flow(bucket_prints(frame)).unknown == 1e6
    assert market_flow(bucket_prints(frame, quotes)).calls_bought == 1e6


# Tickers and sectors --------------------------------------------------------------------------


def test_ticker_rows_and_largest_bucket() -> None:
    rows: list[Row] = [
        ("MSFT", "P", "BUY", 5e6),
        ("MSFT", "C", "BUY", 3e6),
        ("MSFT", "C", "MID", 4e6),
        ("XOM", "C", "SELL", 2e6),
    ]
    tickers = ticker_flow(flow_of(rows)).collect()
    assert tickers["underlying"].to_list() == ["MSFT", "XOM"]
    msft = tickers.row(0, named=True)
    assert msft["total"] == 12e6 and msft["net"] == -2e6 and msft["unknown_calls"] == 4e6
    assert msft["largest_bucket"] == "PB" and msft["largest_premium"] == 5e6
    assert msft["grade"] == "LOW"  # u = 1/3 and T ≥ $10M
    assert tickers.row(1, named=True)["grade"] == "INSUFFICIENT"  # T < $10M


def test_sectors_with_unmapped_and_duplicate_lines() -> None:
    rows: list[Row] = [
        ("AAPL", "C", "BUY", 1e6),
        ("MSFT", "P", "BUY", 2e6),
        ("ZZZ", "C", "BUY", 4e6),
    ]
    sectors = pl.LazyFrame(
        {"symbol": ["AAPL", "MSFT", "AAPL"], "sector": ["Tech", "Tech", "Consumer"]}
    )
    out = sector_flow(ticker_flow(flow_of(rows)), sectors).collect()
    assert out["sector"].to_list() == ["Other", "Tech"]
    assert out["total"].to_list() == [4e6, 3e6]
    assert out["tickers"].to_list() == [1, 2]
    assert out["net"].to_list() == [4e6, -1e6]
    renamed = sector_flow(ticker_flow(flow_of(rows)), params=FlowParams(unmapped_sector="n/a"))
    assert renamed.collect()["sector"].to_list() == ["n/a"]


def test_per_session_market_totals() -> None:
    rows: list[Row] = [("AAA", "C", "BUY", 1e6), ("AAA", "P", "BUY", 2e6)]
    days = [date(2026, 3, 2), date(2026, 3, 3)]
    out = market_totals(flow_of(rows, sessions=days)).collect()
    assert out["session"].to_list() == days
    assert out["total"].to_list() == [1e6, 2e6]


# §2.4 top flow and flip rate ------------------------------------------------------------------


def _sixteen_names_with_six_flips() -> list[Row]:
    rows: list[Row] = []
    for i in range(16):
        name = f"N{i:02d}"
        scale = (100 - i) * 1e6
        if i < 6:
            # calls dominate (naive BULL) but calls are sold and puts bought (adjusted BEAR)
            rows += [(name, "C", "SELL", 0.7 * scale), (name, "P", "BUY", 0.3 * scale)]
        elif i < 11:
            rows += [(name, "C", "BUY", 0.8 * scale), (name, "P", "SELL", 0.2 * scale)]
        else:
            # neutral naive (calls = puts): never a flip
            rows += [(name, "C", "SELL", 0.5 * scale), (name, "P", "BUY", 0.5 * scale)]
    rows.append(("SMALL", "C", "SELL", 1e6))  # 17th name, outside the top 16
    return rows


def test_section_2_4_flip_rate_six_of_sixteen() -> None:
    top = top_flow(ticker_flow(flow_of(_sixteen_names_with_six_flips()))).collect()
    assert top.height == 16 and "SMALL" not in top["underlying"].to_list()
    assert top["rank"].to_list() == list(range(1, 17))
    rate = flip_rate(top)
    assert (rate.flips, rate.names, rate.requested) == (6, 16, 16)
    assert rate.rate == pytest.approx(0.375)
    assert not rate.short
    flipped = top.filter(pl.col("flip"))
    assert set(flipped["naive_label"].cast(pl.String)) == {"BULL"}
    assert set(flipped["adjusted_label"].cast(pl.String)) == {"BEAR"}


def test_flip_rate_with_fewer_names_than_requested() -> None:
    rows = _sixteen_names_with_six_flips()[:10]  # N00..N04: five names, all flips
    rows += [("N10", "C", "BUY", 1e6)]
    rate = flip_rate(top_flow(ticker_flow(flow_of(rows))))
    assert (rate.flips, rate.names) == (5, 6)
    assert rate.rate == pytest.approx(5 / 6)
    assert rate.short


def test_top_flow_ties_by_symbol_and_delta_band() -> None:
    rows: list[Row] = [
        ("BBB", "C", "BUY", 5e6),
        ("AAA", "C", "BUY", 5e6),
        ("CCC", "C", "BUY", 5.25e6),
        ("CCC", "P", "BUY", 4.75e6),
    ]
    params = FlowParams(top_n=2)
    top = top_flow(ticker_flow(flow_of(rows)), params=params).collect()
    assert top["underlying"].to_list() == ["CCC", "AAA"]
    ccc = top.row(0, named=True)
    # calls − puts = 0.5M = exactly δ·T → NEUTRAL (strictly beyond the band is needed)
    assert ccc["naive_label"] == "NEUTRAL" and ccc["adjusted_label"] == "NEUTRAL"


def test_flow_day_bundles_everything() -> None:
    day = flow_day(prints_frame(_sixteen_names_with_six_flips()))
    assert day.flip.rate == pytest.approx(0.375)
    assert day.tickers.height == 17 and day.top.height == 16
    assert day.sectors["sector"].to_list() == ["Other"]
    assert day.market.total == pytest.approx(day.tickers["total"].sum())


# §11b campaigns -------------------------------------------------------------------------------


def _history(plan: dict[str, list[str | None]], premium: float = 1e9) -> pl.LazyFrame:
    """Ticker flow over consecutive sessions where ``plan[ticker][i]`` is the dominant side
    ("CB"/"CS"/"PB"/"PS") on session i, or None for no prints."""
    to_row = {"CB": ("C", "BUY"), "CS": ("C", "SELL"), "PB": ("P", "BUY"), "PS": ("P", "SELL")}
    base = date(2026, 2, 2)
    rows: list[Row] = []
    days: list[date] = []
    for ticker, buckets in plan.items():
        for i, bucket in enumerate(buckets):
            if bucket is None:
                continue
            right, side = to_row[bucket]
            rows += [(ticker, right, side, premium + i * 1e6), (ticker, "C", "MID", premium / 10)]
            days += [base + timedelta(days=i)] * 2
    return ticker_flow(flow_of(rows, sessions=days))


def test_campaign_of_consecutive_sessions() -> None:
    history = _history(
        {
            "MSFT": ["CB", "PB", "PB", "PB", "PB"],
            "XOM": ["PS", "PS", None, "PS", "PS"],  # a session without flow breaks the run
            "SPY": ["CS"] * 5,
        }
    )
    out = campaigns(history).collect()
    assert out["underlying"].to_list() == ["MSFT", "SPY"]
    msft = out.row(0, named=True)
    assert (msft["bucket"], msft["bucket_label"], msft["days"]) == ("PB", "puts bought", 4)
    assert (msft["start"], msft["end"]) == (date(2026, 2, 3), date(2026, 2, 6))
    assert msft["premium"] == pytest.approx(4e9 + (1 + 2 + 3 + 4) * 1e6)
    assert msft["active"] is True
    assert out.row(1, named=True)["days"] == 5
    longer = campaigns(history, params=FlowParams(campaign_min_days=5)).collect()
    assert longer["underlying"].to_list() == ["SPY"]


def test_campaign_that_ended_is_not_active() -> None:
    out = campaigns(_history({"AAA": ["CB", "CB", "CB", "PS"]})).collect()
    assert out["days"].to_list() == [3]
    assert out["active"].to_list() == [False]


def test_params_section_and_validation() -> None:
    assert SETTINGS_SECTION == "flow"
    assert replace(FlowParams(), top_n=5).top_n == 5
    with pytest.raises(ValueError, match="multi_leg"):
        FlowParams(multi_leg="drop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="grade"):
        FlowParams(grade_high_max=0.3)


def test_streaming_engine_and_categorical_underlying() -> None:
    frame = prints_frame(_sixteen_names_with_six_flips()).with_columns(
        pl.col("underlying").cast(pl.Categorical)
    )
    bucketed = bucket_prints(frame)
    streamed = ticker_flow(bucketed).collect(engine="streaming")
    in_memory = ticker_flow(bucketed).collect()
    assert streamed["underlying"].dtype == pl.String
    assert streamed["underlying"].to_list() == in_memory["underlying"].to_list()
    assert streamed["total"].to_list() == pytest.approx(in_memory["total"].to_list())
    assert market_totals(bucketed).collect(engine="streaming")["total"][0] == pytest.approx(
        float(in_memory["total"].sum())
    )


def test_every_param_field_can_be_set_from_flowterm_toml() -> None:
    """The settings loader maps ``[flow]``/``[sides]``/``[darkpool]`` keys onto these fields by
    name; every field must have a type it can read."""
    from flowterm.core import darkpool, flow, sides
    from flowterm.core.settings import apply_section

    for module, defaults in (
        (flow, FlowParams()),
        (sides, SideParams()),
        (darkpool, darkpool.DarkParams()),
    ):
        table = {
            name: sorted(value) if isinstance(value, frozenset) else value
            for name, value in ((f, getattr(defaults, f)) for f in defaults.__slots__)
        }
        assert apply_section(defaults, table, module.SETTINGS_SECTION) == defaults
