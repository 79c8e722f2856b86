"""Dark-pool prints (METHODOLOGY §3) and DIX/DPI (§7): the §3.2–§3.5 and §7 vectors, sale
condition exclusions, fast tape, ladders, market totals and the DIX percentile."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from flowterm.core.darkpool import (
    SETTINGS_SECTION,
    DarkParams,
    classify_dark_prints,
    dark_days,
    dark_market,
    dix,
    dix_percentile,
    dpi,
    fast_tape,
    ladders,
    spot_from_bars,
    volume_by_spot,
)

UTC_NS = pl.Datetime("ns", "UTC")
DAY = date(2026, 3, 2)

# Quotes that put a print at 100.00 at the ask, at the bid, in the middle or nowhere.
QUOTE = {
    "ask": (99.90, 100.00),
    "bid": (100.00, 100.10),
    "mid": (99.90, 100.10),
    "unknown": (None, None),
}

DarkRow = tuple[str, str, float]  # (symbol, where, notional)


def dark_frame(
    rows: list[DarkRow],
    *,
    conditions: list[str | None] | None = None,
    sessions: list[date] | None = None,
    prices: list[float] | None = None,
) -> pl.LazyFrame:
    """Canonical off-exchange prints at 100.00 (unless ``prices``) with the given notional."""
    n = len(rows)
    days = sessions if sessions is not None else [DAY] * n
    price = prices if prices is not None else [100.0] * n
    return pl.LazyFrame(
        {
            "ts": [
                datetime.combine(d, datetime.min.time(), UTC) + timedelta(hours=15, seconds=i)
                for i, d in enumerate(days)
            ],
            "symbol": [r[0] for r in rows],
            "price": price,
            "size": [r[2] / p for r, p in zip(rows, price, strict=True)],
            "bid": [QUOTE[r[1]][0] for r in rows],
            "ask": [QUOTE[r[1]][1] for r in rows],
            "conditions": conditions if conditions is not None else ["@"] * n,
            "notional": [r[2] for r in rows],
            "session": days,
        },
        schema_overrides={
            "ts": UTC_NS,
            "bid": pl.Float64,
            "ask": pl.Float64,
            "size": pl.Float64,
            "conditions": pl.String,
            "notional": pl.Float64,
            "price": pl.Float64,
        },
    )


def days_of(rows: list[DarkRow], **kwargs: object) -> pl.DataFrame:
    return dark_days(classify_dark_prints(dark_frame(rows, **kwargs))).collect()  # type: ignore[arg-type]


# §3.2 -----------------------------------------------------------------------------------------

SECTION_3_2 = [
    ("XOM", "ask", 2.0e6),
    ("XOM", "bid", 3.5e6),
    ("XOM", "mid", 1.5e6),
    ("XOM", "ask", 1.0e6),
    ("XOM", "bid", 0.5e6),
    ("XOM", "unknown", 1.0e6),
]


def test_section_3_2_vector() -> None:
    row = days_of(SECTION_3_2).row(0, named=True)
    assert row["at_ask"] == pytest.approx(3.0e6)
    assert row["at_bid"] == pytest.approx(4.0e6)
    assert row["mid"] == pytest.approx(2.5e6)  # mid includes UNKNOWN
    assert row["total"] == pytest.approx(9.5e6)
    assert row["net"] == pytest.approx(-1.0e6)
    assert row["pct_at_bid"] == pytest.approx(4.0 / 9.5)  # 42.1 %
    assert round(row["pct_at_bid"] * 100, 1) == 42.1
    assert row["pct_at_bid_classified"] == pytest.approx(4.0 / 7.0)  # 57.1 %
    assert round(row["pct_at_bid_classified"] * 100, 1) == 57.1
    assert row["label"] == "DISTRIBUTION" and row["label_reason"] is None
    assert row["prints"] == 6 and row["excluded_prints"] == 0


def test_non_contemporaneous_sale_conditions_are_excluded_and_counted() -> None:
    rows = [*SECTION_3_2, ("XOM", "ask", 50e6), ("XOM", "ask", 60e6), ("XOM", "bid", 70e6)]
    conditions = ["@", None, "", "@ F", "@", "I", "W", "@ T", "Z,4"]
    row = days_of(rows, conditions=conditions).row(0, named=True)
    assert row["total"] == pytest.approx(9.5e6) and row["label"] == "DISTRIBUTION"
    assert row["excluded_prints"] == 3 and row["prints"] == 6
    keep_all = DarkParams(excluded_conditions=frozenset())
    classified = classify_dark_prints(dark_frame(rows, conditions=conditions), params=keep_all)
    assert dark_days(classified, params=keep_all).collect()["total"][0] == pytest.approx(189.5e6)


def test_accumulation_neutral_and_threshold_boundary() -> None:
    acc = days_of([("A", "ask", 5.5e6), ("A", "bid", 4.5e6)]).row(0, named=True)
    assert acc["ask_share_classified"] == pytest.approx(0.55) and acc["label"] == "ACCUMULATION"
    neutral = days_of([("B", "ask", 5.4e6), ("B", "bid", 4.6e6)]).row(0, named=True)
    assert neutral["label"] == "NEUTRAL"


def test_low_classified_share_is_unreliable() -> None:
    rows = [("C", "ask", 1.0e6), ("C", "mid", 4.1e6), ("C", "unknown", 4.0e6)]
    row = days_of(rows).row(0, named=True)
    assert row["classified_share"] < 0.20
    assert (row["label"], row["label_reason"]) == ("UNRELIABLE", "classified < min share")
    exactly = days_of([("D", "ask", 2.0e6), ("D", "mid", 8.0e6)]).row(0, named=True)
    assert exactly["label"] == "ACCUMULATION"  # 20 % classified is enough (inclusive)


# §3.3 fast tape -------------------------------------------------------------------------------


def _bars(symbol: str, closes: list[float], spans: list[float] | None = None) -> pl.LazyFrame:
    """Daily bars with the given closes; each bar's range is ``spans`` (default 1) around it."""
    widths = spans if spans is not None else [1.0] * len(closes)
    start = date(2026, 1, 5)
    return pl.LazyFrame(
        {
            "date": [start + timedelta(days=i) for i in range(len(closes))],
            "symbol": [symbol] * len(closes),
            "open": closes,
            "high": [c + w / 2 for c, w in zip(closes, widths, strict=True)],
            "low": [c - w / 2 for c, w in zip(closes, widths, strict=True)],
            "close": closes,
        }
    )


def _sigma_one_percent_closes(today_return: float) -> list[float]:
    """21 prior closes whose 20 log returns alternate ±a with sample σ = 1 %, then today."""
    a = 0.01 * math.sqrt(19 / 20)
    closes = [100.0]
    for i in range(20):
        closes.append(closes[-1] * math.exp(a if i % 2 == 0 else -a))
    closes.append(closes[-1] * math.exp(today_return))
    return closes


def test_section_3_3_sigma_rule() -> None:
    out = fast_tape(_bars("SPY", _sigma_one_percent_closes(-0.026))).collect()
    today = out.row(-1, named=True)
    assert today["sigma"] == pytest.approx(0.01, rel=1e-9)
    assert today["log_return"] == pytest.approx(-0.026, rel=1e-9)
    assert today["sigma_multiple"] == pytest.approx(2.6, rel=1e-9)
    assert today["rule_sigma"] is True and today["fast_tape"] == "FAST"
    calm = fast_tape(_bars("SPY", _sigma_one_percent_closes(-0.019))).collect().row(-1, named=True)
    assert calm["rule_sigma"] is False


def test_sigma_rule_needs_21_prior_closes() -> None:
    closes = _sigma_one_percent_closes(-0.026)[1:]  # 20 prior closes only
    today = fast_tape(_bars("SPY", closes)).collect().row(-1, named=True)
    assert today["sigma"] is None and today["rule_sigma"] is None
    assert today["rule_range"] is not None  # ATR(14) exists, so rule 2 decides
    assert today["fast_tape"] in ("FAST", "NORMAL")


def test_section_3_3_range_rule_is_inclusive() -> None:
    # 16 bars with TR 50 (ATR 50), then a bar with TR 90 → 90/50 = 1.8 → FAST.
    closes = [1000.0] * 16 + [1000.0]
    out = fast_tape(_bars("SPX", closes, [50.0] * 16 + [90.0])).collect()
    today = out.row(-1, named=True)
    assert today["true_range"] == pytest.approx(90.0)
    assert today["atr_prior"] == pytest.approx(50.0)
    assert today["tr_atr"] == pytest.approx(1.8)
    assert today["rule_range"] is True and today["rule_sigma"] is None
    assert today["fast_tape"] == "FAST"
    below = fast_tape(_bars("SPX", closes, [50.0] * 16 + [89.0])).collect().row(-1, named=True)
    assert below["fast_tape"] == "NORMAL"


def test_not_evaluated_without_history() -> None:
    out = fast_tape(_bars("NEW", [10.0, 10.5, 9.0])).collect()
    assert out["fast_tape"].cast(pl.String).to_list() == ["NOT_EVALUATED"] * 3


def test_fast_tape_makes_the_day_unreliable() -> None:
    closes = [1000.0] * 16 + [1000.0]
    bars = _bars("XOM", closes, [50.0] * 16 + [90.0])
    fast_day = date(2026, 1, 5) + timedelta(days=16)
    prints = dark_frame(SECTION_3_2, sessions=[fast_day] * len(SECTION_3_2))
    row = dark_days(classify_dark_prints(prints), fast_tape(bars)).collect().row(0, named=True)
    assert row["fast_tape"] == "FAST"
    assert (row["label"], row["label_reason"]) == ("UNRELIABLE", "fast tape")


# §3.4 ladders ---------------------------------------------------------------------------------


def _labelled_days(labels: str, symbol: str = "META") -> pl.LazyFrame:
    """Days labelled by letters: A accumulation, D distribution, N neutral, F fast tape."""
    names = {"A": "ACCUMULATION", "D": "DISTRIBUTION", "N": "NEUTRAL", "F": "UNRELIABLE"}
    start = date(2026, 3, 2)
    return pl.LazyFrame(
        {
            "session": [start + timedelta(days=i) for i in range(len(labels))],
            "symbol": [symbol] * len(labels),
            "label": [names[c] for c in labels],
            "label_reason": ["fast tape" if c == "F" else None for c in labels],
            "net": [float(i + 1) * 1e6 for i in range(len(labels))],
        }
    )


def test_section_3_4_ladder_breaks_on_fast_tape() -> None:
    out = ladders(_labelled_days("AADAAAFA")).collect()
    assert out.height == 1
    ladder = out.row(0, named=True)
    assert (ladder["label"], ladder["days"]) == ("ACCUMULATION", 3)
    assert (ladder["start"], ladder["end"]) == (date(2026, 3, 5), date(2026, 3, 7))  # days 4–6
    assert ladder["net"] == pytest.approx((4 + 5 + 6) * 1e6)
    assert ladder["active"] is False


def test_section_3_4_ladder_skips_fast_tape_when_asked() -> None:
    out = ladders(_labelled_days("AADAAAFA"), params=DarkParams(ladder_fast_tape="skip")).collect()
    ladder = out.row(0, named=True)
    assert (ladder["label"], ladder["days"]) == ("ACCUMULATION", 4)  # A4
    assert (ladder["start"], ladder["end"]) == (date(2026, 3, 5), date(2026, 3, 9))
    assert ladder["net"] == pytest.approx((4 + 5 + 6 + 8) * 1e6)
    assert ladder["active"] is True


def test_ladder_breaks_on_neutral_and_missing_sessions() -> None:
    assert ladders(_labelled_days("DDNDD")).collect().is_empty()
    gappy = _labelled_days("DDDDD").filter(pl.col("session") != date(2026, 3, 4))
    other = _labelled_days("NNNNN", symbol="SPY")  # SPY trades every session
    assert ladders(pl.concat([gappy, other])).collect().is_empty()  # D2, gap, D2
    full = ladders(pl.concat([_labelled_days("DDDDD"), other])).collect()
    assert full["days"].to_list() == [5] and full["label"].to_list() == ["DISTRIBUTION"]


# §3.5 volume above/below spot -----------------------------------------------------------------


def test_section_3_5_vector() -> None:
    rows = [("QQQ", "mid", 101 * 3e6), ("QQQ", "mid", 99 * 5e6)]
    rows += [("QQQ", "mid", 100 * 1e6), ("QQQ", "mid", 102.5 * 1e6)]
    prints = dark_frame(rows, prices=[101.0, 99.0, 100.0, 102.5])
    spots = pl.LazyFrame({"symbol": ["QQQ"], "spot": [100.0]})
    row = volume_by_spot(prints, spots, as_of=DAY).collect().row(0, named=True)
    assert row["above"] == pytest.approx(4e6) and row["below"] == pytest.approx(5e6)
    assert row["pct_above"] == pytest.approx(0.40)
    assert row["pct_below"] == pytest.approx(0.50)
    assert row["pct_at"] == pytest.approx(0.10)
    assert row["sessions"] == 1


def test_volume_window_and_band() -> None:
    sessions = [date(2026, 2, 1) + timedelta(days=i) for i in range(17)]
    prices = [100.0] * 17
    prices[0] = 120.0  # outside the 15-session window
    prices[-1] = 100.04  # within b = 0.05 % of spot → at
    prices[-2] = 100.06  # above S·(1 + b)
    rows = [("IWM", "mid", p * 1000) for p in prices]  # 1,000 shares each
    prints = dark_frame(rows, sessions=sessions, prices=prices)
    spots = pl.LazyFrame({"symbol": ["IWM"], "spot": [100.0]})
    row = volume_by_spot(prints, spots, as_of=sessions[-1]).collect().row(0, named=True)
    assert row["sessions"] == 15
    assert row["pct_above"] == pytest.approx(1 / 15)
    assert row["pct_at"] == pytest.approx(14 / 15)
    short = volume_by_spot(prints, spots, as_of=sessions[4]).collect().row(0, named=True)
    assert short["sessions"] == 5  # "n=5 sessions"
    assert short["pct_above"] == pytest.approx(1 / 5)
    notional = DarkParams(volume_measure="notional")
    by_value = volume_by_spot(prints, spots, as_of=sessions[-1], params=notional).collect()
    assert by_value["pct_above"][0] == pytest.approx(100.06 / (100.06 + 100.04 + 13 * 100.0))


def test_spot_from_bars_takes_the_last_close() -> None:
    bars = _bars("SPY", [500.0, 505.0, 510.0])
    spots = spot_from_bars(bars, as_of=date(2026, 1, 6)).collect()
    assert spots.to_dicts() == [{"symbol": "SPY", "spot": 505.0}]


# Market totals --------------------------------------------------------------------------------


def test_market_totals_and_prior_session() -> None:
    day1, day2 = date(2026, 3, 2), date(2026, 3, 3)
    rows = [("A", "ask", 3e6), ("B", "bid", 1e6), ("A", "bid", 2e6), ("B", "bid", 2e6)]
    prints = dark_frame(rows, sessions=[day1, day1, day2, day2])
    out = dark_market(dark_days(classify_dark_prints(prints))).collect()
    assert out["session"].to_list() == [day1, day2]
    assert out["net"].to_list() == pytest.approx([2e6, -4e6])
    assert out["symbols"].to_list() == [2, 2]
    assert out["prev_net"].to_list()[0] is None
    assert out["net_change"].to_list()[1] == pytest.approx(-6e6)
    assert out["pct_at_bid"].to_list() == pytest.approx([0.25, 1.0])


# §7 DPI and DIX -------------------------------------------------------------------------------


def _short_volume() -> pl.LazyFrame:
    return pl.LazyFrame(
        {
            "date": [DAY] * 3,
            "symbol": ["AAA", "BBB", "CCC"],
            "short_volume": [4.0e6, 3.0e6, 0.5e6],
            "total_volume": [10.0e6, 5.0e6, 2.0e6],
        }
    )


def _closes() -> pl.LazyFrame:
    return pl.LazyFrame(
        {"date": [DAY] * 3, "symbol": ["AAA", "BBB", "CCC"], "close": [100.0, 50.0, 200.0]}
    )


def test_section_7_dpi() -> None:
    assert dpi(_short_volume()).collect()["dpi"].to_list() == pytest.approx([0.40, 0.60, 0.25])


def test_section_7_dix_is_dollar_weighted() -> None:
    row = dix(_short_volume(), _closes()).collect().row(0, named=True)
    # (400M + 150M + 100M) / (1000M + 250M + 400M)
    assert row["dix"] == pytest.approx(650 / 1650, rel=1e-12)
    assert round(row["dix"], 5) == 0.39394
    assert row["members"] == 3
    # The wrong alternatives differ: equal-weighted 0.41667, share-weighted 0.44118.
    equal = dix(_short_volume(), _closes(), params=DarkParams(dix_weighting="equal")).collect()
    share = dix(_short_volume(), _closes(), params=DarkParams(dix_weighting="share")).collect()
    assert equal["dix"][0] == pytest.approx(0.41667, abs=5e-6)
    assert share["dix"][0] == pytest.approx(0.44118, abs=5e-6)


def test_dix_member_set_and_missing_closes() -> None:
    members = pl.LazyFrame({"symbol": ["AAA", "BBB"]})
    row = dix(_short_volume(), _closes(), members).collect().row(0, named=True)
    assert row["dix"] == pytest.approx(550 / 1250) and row["members"] == 2
    no_ccc_close = _closes().filter(pl.col("symbol") != "CCC")
    assert dix(_short_volume(), no_ccc_close).collect()["members"][0] == 2
    other_day = _short_volume().with_columns(pl.lit(date(2026, 3, 3)).alias("date"))
    assert dix(other_day, _closes()).collect().is_empty()  # no close that day → no DIX


def test_dix_percentile_and_elevated() -> None:
    values = [0.40, 0.42, 0.44, None, 0.41, 0.46, 0.39]
    history = pl.LazyFrame(
        {"date": [DAY + timedelta(days=i) for i in range(7)], "dix": values},
        schema_overrides={"dix": pl.Float64},
    )
    out = dix_percentile(history).collect()
    assert out.height == 6  # the missing day is not a history value
    assert out["history"].to_list() == [1, 2, 3, 4, 5, 6]
    assert out["percentile"].to_list() == pytest.approx([1.0, 1.0, 1.0, 0.5, 1.0, 1 / 6])
    assert out["elevated"].to_list() == [True, True, True, False, True, False]
    short = dix_percentile(history, params=DarkParams(dix_percentile_window=3)).collect()
    assert short["history"].to_list() == [1, 2, 3, 3, 3, 3]
    assert short["percentile"][3] == pytest.approx(1 / 3)  # 0.41 vs (0.42, 0.44, 0.41)


def test_params_section_and_validation() -> None:
    assert SETTINGS_SECTION == "darkpool"
    assert replace(DarkParams(), ladder_min_days=4).ladder_min_days == 4
    with pytest.raises(ValueError, match="ladder_fast_tape"):
        DarkParams(ladder_fast_tape="ignore")  # type: ignore[arg-type]


def test_streaming_engine_and_categorical_symbols() -> None:
    prints = dark_frame(SECTION_3_2).with_columns(pl.col("symbol").cast(pl.Categorical))
    days = dark_days(classify_dark_prints(prints)).collect(engine="streaming")
    assert days["symbol"].to_list() == ["XOM"] and days["label"][0] == "DISTRIBUTION"
    tape = fast_tape(_bars("SPY", _sigma_one_percent_closes(-0.026))).collect(engine="streaming")
    assert tape["fast_tape"][-1] == "FAST"
    runs = ladders(_labelled_days("AADAAAFA")).collect(engine="streaming")
    assert runs["days"].to_list() == [3]
