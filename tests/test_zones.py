"""Expected-move zones (METHODOLOGY §4, §11.3): EM sources, anchoring, status, room, asymmetry."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

import polars as pl
import pytest

from flowterm.core import fmt
from flowterm.core import zones as z
from flowterm.core.schema import ET_ZONE, UTC_TS
from flowterm.core.wilder import atr
from flowterm.core.zones import ZoneParams

GOOD_FRIDAY = date(2026, 4, 3)
SESSION = date(2026, 4, 8)  # a Wednesday; its week's zone is anchored at Thursday 2026-04-02
ANCHOR_DAY = date(2026, 4, 2)
FRIDAY = date(2026, 4, 10)

# ------------------------------------------------------------------------------------------
# helpers: Black–Scholes (r = q = 0) for the §4.1 checks and synthetic chains
# ------------------------------------------------------------------------------------------


def _n(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def bs_price(spot: float, strike: float, years: float, vol: float, right: str) -> float:
    sd = vol * math.sqrt(years)
    d1 = math.log(spot / strike) / sd + 0.5 * sd
    d2 = d1 - sd
    if right == "C":
        return spot * _n(d1) - strike * _n(d2)
    return strike * _n(-d2) - spot * _n(-d1)


def _et(day: date, at: time) -> datetime:
    frame = pl.DataFrame({"t": [datetime.combine(day, at)]})
    utc = frame.select(pl.col("t").dt.replace_time_zone(ET_ZONE).dt.convert_time_zone("UTC"))
    moment: datetime = utc.item()
    return moment


def _years(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / (365 * 86400)


def _chain(
    underlying: str,
    spot: float,
    expiries: list[tuple[date, str]],
    *,
    vol: float = 0.20,
    day: date = ANCHOR_DAY,
    strikes: list[float] | None = None,
    quotes: bool = True,
) -> pl.DataFrame:
    """A closing chain (16:00 ET) priced by Black–Scholes with bid = ask = model value ∓ 0.05."""
    as_of = _et(day, time(16, 0))
    rows = []
    for expiry, root in expiries:
        at = time(9, 30) if root == "SPX" else time(16, 0)
        years = _years(as_of, _et(expiry, at))
        for strike in strikes or [spot - 10, spot - 5, spot, spot + 5, spot + 10]:
            for right in ("C", "P"):
                value = bs_price(spot, strike, years, vol, right)
                bid, ask = (value - 0.05, value + 0.05) if quotes else (None, None)
                rows.append(
                    (as_of, underlying, spot, expiry, strike, right, 100, vol, root, bid, ask, day)
                )
    return pl.DataFrame(
        rows,
        schema={
            "as_of": UTC_TS,
            "underlying": pl.String,
            "spot": pl.Float64,
            "expiry": pl.Date,
            "strike": pl.Float64,
            "right": pl.String,
            "open_interest": pl.Int64,
            "iv": pl.Float64,
            "root": pl.String,
            "bid": pl.Float64,
            "ask": pl.Float64,
            "session": pl.Date,
        },
        orient="row",
    )


def _bars(symbol: str, closes: dict[date, float]) -> pl.DataFrame:
    days = sorted(closes)
    return pl.DataFrame(
        {
            "date": days,
            "symbol": [symbol] * len(days),
            "open": [closes[d] for d in days],
            "high": [closes[d] + 1.0 for d in days],
            "low": [closes[d] - 1.0 for d in days],
            "close": [closes[d] for d in days],
        }
    )


def _sessions(last: date, count: int) -> list[date]:
    out: list[date] = []
    day = last
    while len(out) < count:
        if day.weekday() < 5 and day != GOOD_FRIDAY:
            out.append(day)
        day -= timedelta(days=1)
    return out[::-1]


def _history(symbol: str, anchor_close: float, last_close: float) -> pl.DataFrame:
    """30 sessions to 2026-04-08, closing ``anchor_close`` on 04-02 and ``last_close`` on 04-08."""
    closes = {d: anchor_close for d in _sessions(SESSION, 30)}
    closes[SESSION] = last_close
    return _bars(symbol, closes)


def _status_frame(low: float, high: float, closes: list[float | None]) -> pl.DataFrame:
    frame = pl.DataFrame(
        {"low": [low] * len(closes), "high": [high] * len(closes), "close": closes},
        schema={"low": pl.Float64, "high": pl.Float64, "close": pl.Float64},
    )
    return z.zone_status(frame.lazy()).collect()


# ------------------------------------------------------------------------------------------
# §4.3 status vectors, zone (6363, 6572.5, 6782)
# ------------------------------------------------------------------------------------------

STATUS_VECTORS = [
    (6800.0, z.ABOVE_CEILING, None),
    (6783.0, z.AT_CEILING, None),
    (6760.0, z.NEAR_CEILING, 0.9475),
    (6650.0, z.UPPER_HALF, 0.685),
    (6580.0, z.MID_RANGE, 0.518),
    (6450.0, z.LOWER_HALF, 0.208),
    (6380.0, z.NEAR_FLOOR, 0.041),
    (6363.5, z.AT_FLOOR, None),
    (6340.0, z.BELOW_FLOOR, None),
]


@pytest.mark.parametrize(("close", "status", "position"), STATUS_VECTORS)
def test_status_vectors(close: float, status: str, position: float | None) -> None:
    row = _status_frame(6363.0, 6782.0, [close]).row(0, named=True)
    assert row["status"] == status
    if position is not None:
        assert row["position"] == pytest.approx(position, abs=5e-4)


def test_status_distances_quoted_in_methodology() -> None:
    out = _status_frame(6363.0, 6782.0, [6800.0, 6783.0])
    above = (6800.0 - 6782.0) / 6782.0
    assert above == pytest.approx(0.00265, abs=5e-6)
    assert fmt.pct(-out["upside"][1], 4) == "+0.0147 %"


def test_status_edges() -> None:
    out = _status_frame(6363.0, 6782.0, [None, 0.0, -5.0])
    assert out["status"].to_list() == [None, None, None]
    assert out["upside"].to_list() == [None, None, None]
    bad = _status_frame(6782.0, 6363.0, [6500.0, None])
    assert bad["status"].to_list() == [z.INVALID_ZONE, z.INVALID_ZONE]
    assert bad["position"].to_list() == [None, None]
    flat = _status_frame(6500.0, 6500.0, [6500.0])
    assert flat["status"][0] == z.INVALID_ZONE
    missing = z.zone_status(
        pl.DataFrame({"low": [None], "high": [None], "close": [6500.0]}).lazy()
    ).collect()
    assert missing["status"][0] is None


def test_tolerance_is_a_param() -> None:
    frame = pl.DataFrame({"low": [6363.0], "high": [6782.0], "close": [6783.0]}).lazy()
    tight = z.zone_status(frame, params=ZoneParams(tol_at=0.0001)).collect()
    assert tight["status"][0] == z.ABOVE_CEILING


# ------------------------------------------------------------------------------------------
# §4.5 worked checks: room and the asymmetry ratio
# ------------------------------------------------------------------------------------------


def test_spx_fixture() -> None:
    row = _status_frame(6363.4, 6782.2, [6782.9]).row(0, named=True)
    assert row["upside"] * 100 == pytest.approx(-0.0103, abs=5e-5)
    assert row["downside"] * 100 == pytest.approx(-6.1847, abs=5e-5)
    assert fmt.pct(row["upside"]) == "−0.01 %"
    assert fmt.pct(row["downside"]) == "−6.18 %"
    assert row["status"] == z.AT_CEILING  # shown beside the ratio when upside < 0
    assert row["ratio_parity"] == pytest.approx(618.0)
    assert row["ratio"] == pytest.approx(599.3, abs=0.05)
    # analytic mode: |upside| 0.0103 % < 0.05 %, so the 599.3 is not printed as meaningful
    assert row["ratio_text"] == fmt.NOT_MEANINGFUL
    parity = ZoneParams(asymmetry_mode="parity")
    assert z.asymmetry_text(row["upside"], row["downside"], params=parity) == "618:1"
    wide = ZoneParams(min_upside_for_ratio=0.0001)
    assert z.asymmetry_text(row["upside"], row["downside"], params=wide) == "599.3:1"
    # displays 6363 / 6573 / 6782 / 6783 (mid rounds half-up)
    assert [fmt.num(v) for v in (6363.4, (6363.4 + 6782.2) / 2, 6782.2, 6782.9)] == [
        "6363",
        "6573",
        "6782",
        "6783",
    ]


def test_spx_displayed_integers_would_not_reproduce_the_report() -> None:
    row = _status_frame(6363.0, 6782.0, [6783.0]).row(0, named=True)
    assert fmt.pct(row["downside"]) == "−6.19 %"  # the report shows −6.18 %
    assert row["ratio_parity"] == pytest.approx(619.0)


@pytest.mark.parametrize(
    ("low", "high", "close", "upside", "downside"),
    [
        (20.448, 30.2526, 21.00, "+44.06 %", "−2.63 %"),
        (20.41, 30.296, 21.03, "+44.06 %", "−2.95 %"),
        (20.4, 30.3, 21.0, "+44.29 %", "−2.86 %"),  # the displayed levels do not reproduce it
    ],
)
def test_vix_fixtures(low: float, high: float, close: float, upside: str, downside: str) -> None:
    row = _status_frame(low, high, [close]).row(0, named=True)
    assert fmt.pct(row["upside"]) == upside
    assert fmt.pct(row["downside"]) == downside


def test_vix_fixture_displays() -> None:
    low, high, close = 20.448, 30.2526, 21.00
    assert [fmt.num(v, 1) for v in (low, (low + high) / 2, high, close)] == [
        "20.4",
        "25.4",
        "30.3",
        "21.0",
    ]


def test_parity_never_divides_by_a_displayed_zero() -> None:
    row = _status_frame(90.0, 100.0, [100.004]).row(0, named=True)
    assert fmt.pct(row["upside"]) == "0.00 %"
    assert row["ratio_parity"] is None
    parity = ZoneParams(asymmetry_mode="parity")
    assert z.asymmetry_text(row["upside"], row["downside"], params=parity) == "∞ (at ceiling)"
    assert z.asymmetry_text(row["upside"], row["downside"]) == "n/m"
    exact = _status_frame(90.0, 100.0, [100.0]).row(0, named=True)
    assert exact["ratio"] is None  # division by zero → null, never inf
    assert z.asymmetry_text(None, -0.1) == fmt.MISSING


def test_analytic_ratio_when_meaningful() -> None:
    row = _status_frame(6363.0, 6782.0, [6650.0]).row(0, named=True)
    assert row["ratio"] == pytest.approx(287.0 / 132.0)
    assert row["ratio_text"] == "2.2:1"


# ------------------------------------------------------------------------------------------
# §4.1 expected-move arithmetic
# ------------------------------------------------------------------------------------------


def test_straddle_vs_sigma_check() -> None:
    s, vol, years = 100.0, 0.20, 30 / 365
    straddle = bs_price(s, s, years, vol, "C") + bs_price(s, s, years, vol, "P")
    one_sigma = z.iv_expected_move(s, vol, years)
    assert straddle == pytest.approx(4.5743, abs=5e-5)
    assert one_sigma == pytest.approx(5.7338, abs=5e-5)
    assert straddle / one_sigma == pytest.approx(0.7978, abs=5e-5)
    assert 0.85 * straddle == pytest.approx(3.8882, abs=5e-5)
    k = math.sqrt(2 / math.pi)
    assert math.erf(0.85 * k / math.sqrt(2)) == pytest.approx(0.502, abs=5e-4)
    assert math.erf(1.25 * k / math.sqrt(2)) == pytest.approx(0.681, abs=5e-4)


def test_day_count_matters_at_short_horizons() -> None:
    assert z.iv_expected_move(6783.0, 0.16, 1 / 365) == pytest.approx(56.81, abs=0.005)
    assert z.iv_expected_move(6783.0, 0.16, 1 / 252) == pytest.approx(68.37, abs=0.005)


def test_expiry_timestamps_am_and_pm() -> None:
    frame = pl.DataFrame(
        {"expiry": [date(2026, 4, 17)] * 3, "root": ["SPX", "SPXW", None]},
        schema={"expiry": pl.Date, "root": pl.String},
    )
    got = frame.select(z.expiry_timestamp().alias("t"))["t"].to_list()
    assert got == [
        datetime(2026, 4, 17, 13, 30, tzinfo=got[0].tzinfo),  # 09:30 EDT
        datetime(2026, 4, 17, 20, 0, tzinfo=got[0].tzinfo),  # 16:00 EDT
        datetime(2026, 4, 17, 20, 0, tzinfo=got[0].tzinfo),
    ]
    winter = pl.DataFrame({"expiry": [date(2026, 1, 16)], "root": ["SPX"]})
    assert winter.select(z.expiry_timestamp()).item().hour == 14  # 09:30 EST


# ------------------------------------------------------------------------------------------
# zone periods and anchors
# ------------------------------------------------------------------------------------------


def test_weekly_period() -> None:
    assert z.zone_period(SESSION) == z.ZonePeriod(SESSION, date(2026, 4, 6), FRIDAY)
    good_friday_week = z.zone_period(date(2026, 3, 31), holidays={GOOD_FRIDAY})
    assert good_friday_week.horizon == ANCHOR_DAY
    daily = z.zone_period(SESSION, params=ZoneParams(horizon="daily"))
    assert daily == z.ZonePeriod(SESSION, SESSION, SESSION)


def test_params_validate() -> None:
    with pytest.raises(ValueError, match="horizon"):
        ZoneParams(horizon="monthly")
    with pytest.raises(ValueError, match="asymmetry_mode"):
        ZoneParams(asymmetry_mode="both")


# ------------------------------------------------------------------------------------------
# computed zones: straddle, iv, atr, user
# ------------------------------------------------------------------------------------------


def _zones(
    bars: pl.DataFrame,
    chain: pl.DataFrame | None = None,
    user: pl.DataFrame | None = None,
    *,
    session: date = SESSION,
    params: ZoneParams | None = None,
) -> pl.DataFrame:
    return z.session_zones(
        bars.lazy(),
        None if chain is None else chain.lazy(),
        None if user is None else user.lazy(),
        session=session,
        params=params or ZoneParams(),
        holidays={GOOD_FRIDAY},
    ).collect()


def test_weekly_zone_from_the_friday_straddle_of_the_anchor_chain() -> None:
    spot = 6575.3
    chain = _chain(
        "SPX",
        spot,
        [(date(2026, 4, 9), "SPXW"), (FRIDAY, "SPXW"), (date(2026, 4, 17), "SPXW")],
        strikes=[6565.0, 6570.0, 6575.0, 6580.0, 6585.0],
    )
    later = _chain("SPX", 7000.0, [(FRIDAY, "SPXW")], day=date(2026, 4, 7))  # not the anchor's
    row = _zones(_history("SPX", spot, 6773.37), pl.concat([chain, later])).row(0, named=True)
    years = _years(_et(ANCHOR_DAY, time(16, 0)), _et(FRIDAY, time(16, 0)))
    assert years == pytest.approx(8 / 365)
    straddle = bs_price(spot, 6575.0, years, 0.2, "C") + bs_price(spot, 6575.0, years, 0.2, "P")
    assert row["anchor_date"] == ANCHOR_DAY
    assert (row["expiry"], row["root"], row["atm_strike"]) == (FRIDAY, "SPXW", 6575.0)
    assert row["straddle_mid"] == pytest.approx(straddle)
    assert row["em"] == pytest.approx(0.85 * straddle)
    assert row["source"] == z.SOURCE_STRADDLE
    assert row["mid"] == spot
    assert row["low"] == pytest.approx(spot - 0.85 * straddle)
    assert row["high"] == pytest.approx(spot + 0.85 * straddle)
    assert row["em_iv"] == pytest.approx(spot * 0.2 * math.sqrt(years))
    assert row["close"] == 6773.37
    assert (row["session"], row["period_start"], row["horizon"]) == (
        SESSION,
        date(2026, 4, 6),
        FRIDAY,
    )


def test_am_settled_spx_root_is_before_the_friday_close() -> None:
    third_friday = date(2026, 4, 17)
    expiries = [(third_friday, "SPX"), (third_friday, "SPXW")]
    chain = _chain("SPX", 6575.0, expiries, day=SESSION)  # the anchor of the next week
    bars = _history("SPX", 6575.0, 6600.0)
    row = _zones(bars, chain, session=date(2026, 4, 13)).row(0, named=True)
    assert (row["expiry"], row["root"]) == (third_friday, "SPXW")
    daily = ZoneParams(horizon="daily")
    chain_thu = _chain("SPX", 6575.0, [(third_friday, "SPX"), (third_friday, "SPXW")], day=SESSION)
    row = _zones(_history("SPX", 6575.0, 6600.0), chain_thu, session=date(2026, 4, 9), params=daily)
    assert (row.row(0, named=True)["root"]) == "SPX"  # the Friday 09:30 expiry comes first


def test_iv_fallback_without_quotes() -> None:
    chain = _chain("QQQ", 588.0, [(FRIDAY, "QQQ")], quotes=False, vol=0.30)
    row = _zones(_history("QQQ", 588.0, 600.0), chain).row(0, named=True)
    assert row["source"] == z.SOURCE_IV
    assert row["straddle_mid"] is None
    assert row["em"] == pytest.approx(588.0 * 0.30 * math.sqrt(8 / 365))
    assert row["years"] == pytest.approx(8 / 365)


def test_iv_factor_is_a_param() -> None:
    chain = _chain("QQQ", 588.0, [(FRIDAY, "QQQ")], quotes=False, vol=0.30)
    params = ZoneParams(iv_factor=0.5)
    row = _zones(_history("QQQ", 588.0, 600.0), chain, params=params).row(0, named=True)
    assert row["em"] == pytest.approx(0.5 * 588.0 * 0.30 * math.sqrt(8 / 365))


def test_atr_fallback_for_symbols_without_options() -> None:
    closes = {d: 20.0 + (i % 3) for i, d in enumerate(_sessions(SESSION, 30))}
    bars = _bars("VIX", closes)
    row = _zones(bars).row(0, named=True)
    assert row["source"] == z.SOURCE_ATR
    expected_atr = (
        bars.filter(pl.col("date") <= ANCHOR_DAY).select(atr(14).alias("a"))["a"].to_list()[-1]
    )
    # five sessions from the anchor (Thursday 04-02, Good Friday closed) to Friday 04-10
    assert row["em"] == pytest.approx(expected_atr * math.sqrt(5))
    unscaled = _zones(bars, params=ZoneParams(atr_sqrt_sessions=False)).row(0, named=True)
    assert unscaled["em"] == pytest.approx(expected_atr)


def test_no_em_means_no_zone() -> None:
    bars = _bars("NEW", {ANCHOR_DAY: 10.0, SESSION: 11.0})  # too short for ATR, no options
    row = _zones(bars).row(0, named=True)
    assert row["anchor"] == 10.0
    assert (row["em"], row["low"], row["mid"], row["high"], row["source"]) == (None,) * 5
    assert row["status"] is None


def test_no_anchor_means_no_zone() -> None:
    bars = _bars("IPO", {date(2026, 4, 7): 10.0, SESSION: 11.0})  # listed this week
    row = _zones(bars).row(0, named=True)
    assert row["anchor"] is None
    assert row["low"] is None


def test_user_zone_overrides() -> None:
    chain = _chain("SPX", 6575.3, [(FRIDAY, "SPXW")])
    user = pl.DataFrame(
        {
            "date": [ANCHOR_DAY, date(2026, 3, 20), SESSION, date(2026, 4, 9)],
            "symbol": ["SPX", "SPY", "DXY", "SPX"],
            "low": [6363.4, 600.0, 99.0, 1.0],
            "mid": [None, 650.0, 100.0, 2.0],
            "high": [6782.2, 700.0, 98.0, 3.0],
        },
        schema_overrides={"mid": pl.Float64},
    )
    bars = pl.concat([_history("SPX", 6575.3, 6782.9), _history("SPY", 658.0, 678.0)])
    out = _zones(bars, chain, user)
    spx = out.filter(pl.col("symbol") == "SPX").row(0, named=True)
    assert spx["source"] == z.SOURCE_USER  # dated at the anchor; the 04-09 row is in the future
    assert (spx["low"], spx["high"]) == (6363.4, 6782.2)
    assert spx["mid"] == pytest.approx(6572.8)
    assert spx["em"] is None
    assert spx["straddle_mid"] is not None  # the model's working stays visible
    assert spx["ratio_parity"] == pytest.approx(618.0)
    spy = out.filter(pl.col("symbol") == "SPY").row(0, named=True)
    assert spy["source"] == z.SOURCE_ATR  # its user row is from an earlier period
    dxy = out.filter(pl.col("symbol") == "DXY").row(0, named=True)
    assert dxy["source"] == z.SOURCE_USER  # user-only symbol: a row of its own
    assert dxy["status"] == z.INVALID_ZONE  # high ≤ low


def test_variance_interpolation_between_bracketing_expiries() -> None:
    spot = 100.0
    thursday, monday = date(2026, 4, 9), date(2026, 4, 13)
    chain = _chain("IWM", spot, [(thursday, "IWM"), (monday, "IWM")], strikes=[100.0])
    bars = _history("IWM", spot, 101.0)
    plain = _zones(bars, chain).row(0, named=True)
    assert plain["expiry"] == monday
    params = ZoneParams(interpolate_variance=True)
    row = _zones(bars, chain, params=params).row(0, named=True)
    as_of = _et(ANCHOR_DAY, time(16, 0))
    t1 = _years(as_of, _et(thursday, time(16, 0)))
    t2 = _years(as_of, _et(monday, time(16, 0)))
    th = _years(as_of, _et(FRIDAY, time(16, 0)))

    def straddle(t: float) -> float:
        return bs_price(spot, 100.0, t, 0.2, "C") + bs_price(spot, 100.0, t, 0.2, "P")

    s1, s2 = straddle(t1), straddle(t2)
    expected = math.sqrt(s1 * s1 + (s2 * s2 - s1 * s1) * (th - t1) / (t2 - t1))
    assert row["straddle_mid"] == pytest.approx(expected)
    assert row["em"] == pytest.approx(0.85 * expected)
    assert row["years"] == pytest.approx(th)
    assert row["em_iv"] == pytest.approx(spot * 0.2 * math.sqrt(th))  # flat vol: exact


def test_interpolation_without_an_earlier_expiry_scales_from_the_snapshot() -> None:
    chain = _chain("IWM", 100.0, [(date(2026, 4, 13), "IWM")], strikes=[100.0])
    params = ZoneParams(interpolate_variance=True)
    row = _zones(_history("IWM", 100.0, 101.0), chain, params=params).row(0, named=True)
    as_of = _et(ANCHOR_DAY, time(16, 0))
    t2 = _years(as_of, _et(date(2026, 4, 13), time(16, 0)))
    th = _years(as_of, _et(FRIDAY, time(16, 0)))
    s2 = bs_price(100.0, 100.0, t2, 0.2, "C") + bs_price(100.0, 100.0, t2, 0.2, "P")
    assert row["straddle_mid"] == pytest.approx(s2 * math.sqrt(th / t2))


def test_atm_is_the_nearest_strike_with_both_rights() -> None:
    chain = _chain("SPY", 658.26, [(FRIDAY, "SPY")], strikes=[655.0, 658.0, 660.0])
    chain = chain.filter(~((pl.col("strike") == 658.0) & (pl.col("right") == "P")))
    table = z.atm_straddles(chain.lazy()).collect()
    assert table["atm_strike"].to_list() == [660.0]
    tie = _chain("SPY", 657.5, [(FRIDAY, "SPY")], strikes=[657.0, 658.0])
    assert z.atm_straddles(tie.lazy()).collect()["atm_strike"].to_list() == [657.0]


def test_crossed_or_missing_quotes_give_no_straddle() -> None:
    chain = _chain("SPY", 658.0, [(FRIDAY, "SPY")], strikes=[658.0]).with_columns(
        pl.when(pl.col("right") == "P")
        .then(pl.col("ask") + 1.0)  # a crossed put quote
        .otherwise(pl.col("bid"))
        .alias("bid")
    )
    table = z.atm_straddles(chain.lazy()).collect()
    assert table["straddle_mid"][0] is None
    assert table["atm_iv"][0] == pytest.approx(0.2)


def test_daily_horizon_anchors_at_the_prior_session() -> None:
    chain = _chain("SPY", 661.0, [(SESSION, "SPY"), (FRIDAY, "SPY")], day=date(2026, 4, 7))
    bars = _history("SPY", 658.0, 678.0).with_columns(
        pl.when(pl.col("date") == date(2026, 4, 7))
        .then(661.0)
        .otherwise(pl.col("close"))
        .alias("close")
    )
    row = _zones(bars, chain, params=ZoneParams(horizon="daily")).row(0, named=True)
    assert (row["anchor_date"], row["anchor"], row["expiry"]) == (date(2026, 4, 7), 661.0, SESSION)
    assert row["years"] == pytest.approx(1 / 365)
