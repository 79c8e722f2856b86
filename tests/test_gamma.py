"""Dealer gamma (METHODOLOGY §6): gamma vectors, units, expiry clock, toy chain, sweep, walls."""

from __future__ import annotations

import math
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, time, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowterm.core import gamma as g
from flowterm.core.gamma import (
    Direction,
    ExpirySet,
    GammaParams,
    GexUnit,
    SignMode,
)

SESSION = date(2026, 4, 8)  # a Wednesday, EDT
#: 16:00 ET on the session: 30 calendar days before a PM expiry on 2026-05-08 (no DST change).
CLOSE = datetime(2026, 4, 8, 20, 0, tzinfo=UTC)
TOY_T = 30 / 365
TOY_ROWS = [
    (95.0, "P", 3000, 0.25),
    (100.0, "P", 2000, 0.22),
    (100.0, "C", 1500, 0.20),
    (105.0, "C", 1000, 0.18),
]


def chain(
    rows: list[tuple[float, str, int, float | None]],
    *,
    spot: float = 100.0,
    as_of: datetime = CLOSE,
    expiry: date = SESSION + timedelta(days=30),
    underlying: str = "TOY",
    root: str | None = None,
    expiries: list[date] | None = None,
    roots: list[str] | None = None,
) -> pl.DataFrame:
    """A canonical chain snapshot frame (core/schema.py CHAIN) from (strike, right, OI, IV)."""
    n = len(rows)
    return pl.DataFrame(
        {
            "as_of": [as_of] * n,
            "underlying": [underlying] * n,
            "spot": [spot] * n,
            "expiry": expiries or [expiry] * n,
            "strike": [r[0] for r in rows],
            "right": [r[1] for r in rows],
            "open_interest": [r[2] for r in rows],
            "iv": [r[3] for r in rows],
            "root": roots or [root or underlying] * n,
            "session": [SESSION] * n,
        },
        schema={
            "as_of": pl.Datetime("ns", "UTC"),
            "underlying": pl.String,
            "spot": pl.Float64,
            "expiry": pl.Date,
            "strike": pl.Float64,
            "right": pl.String,
            "open_interest": pl.Int64,
            "iv": pl.Float64,
            "root": pl.String,
            "session": pl.Date,
        },
    )


TOY = chain(TOY_ROWS)
FIXED = GammaParams(fixed_t_years=TOY_T)


# ---------------------------------------------------------------------------------------------
# §6.1 gamma
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "k", "sigma", "t", "r", "q", "expected"),
    [
        (100, 100, 0.20, 1.0, 0.0, 0.0, 0.0198476),
        (50, 50, 0.25, 0.25, 0.0, 0.0, 0.0637062),
        (50, 50, 0.25, 0.25, 0.05, 0.01, 0.0630282),
    ],
)
def test_bs_gamma_vectors(
    s: float, k: float, sigma: float, t: float, r: float, q: float, expected: float
) -> None:
    assert g.bs_gamma(s, k, sigma, t, r=r, q=q) == pytest.approx(expected, abs=5e-8)


@pytest.mark.parametrize(
    ("s", "k", "sigma", "t"),
    [
        (100, 100, 0.2, 0.0),
        (100, 100, 0.2, -0.1),
        (100, 100, 0.0, 1.0),
        (100, 100, -0.2, 1.0),
        (0, 100, 0.2, 1.0),
        (-5, 100, 0.2, 1.0),
        (100, 0, 0.2, 1.0),
        (100, -1, 0.2, 1.0),
        (math.nan, 100, 0.2, 1.0),
        (100, 100, math.inf, 1.0),
    ],
)
def test_bs_gamma_degenerate_inputs_are_zero(s: float, k: float, sigma: float, t: float) -> None:
    assert g.bs_gamma(s, k, sigma, t) == 0.0
    frame = pl.DataFrame(
        {"s": [s], "k": [k], "v": [sigma], "t": [t]}, schema=dict.fromkeys("skvt", pl.Float64)
    )
    expr = g.bs_gamma_expr(pl.col("s"), pl.col("k"), pl.col("v"), pl.col("t"))
    assert frame.select(expr).item() == 0.0


def test_bs_gamma_expr_null_inputs_are_zero() -> None:
    frame = pl.DataFrame(
        {"s": [100.0], "k": [100.0], "v": [None], "t": [1.0]},
        schema=dict.fromkeys("skvt", pl.Float64),
    )
    expr = g.bs_gamma_expr(pl.col("s"), pl.col("k"), pl.col("v"), pl.col("t"))
    assert frame.select(expr).item() == 0.0


def test_gamma_second_form_cross_check() -> None:
    """Γ = K·e^{−rT}·φ(d2)/(S²σ√T) (§6.1) agrees with the first form."""
    s, k, v, t, r, q = 50.0, 55.0, 0.25, 0.25, 0.05, 0.01
    d2 = (math.log(s / k) + (r - q - v * v / 2) * t) / (v * math.sqrt(t))
    phi = math.exp(-d2 * d2 / 2) / math.sqrt(2 * math.pi)
    second = k * math.exp(-r * t) * phi / (s * s * v * math.sqrt(t))
    assert g.bs_gamma(s, k, v, t, r=r, q=q) == pytest.approx(second, rel=1e-12)


@settings(max_examples=150, deadline=None)
@given(
    s=st.floats(1.0, 10_000.0),
    k_ratio=st.floats(0.5, 1.5),
    sigma=st.floats(0.01, 2.0),
    t=st.floats(1e-5, 3.0),
    r=st.floats(-0.01, 0.1),
    q=st.floats(0.0, 0.05),
)
def test_bs_gamma_expr_matches_scalar(
    s: float, k_ratio: float, sigma: float, t: float, r: float, q: float
) -> None:
    k = s * k_ratio
    frame = pl.DataFrame({"s": [s], "k": [k], "v": [sigma], "t": [t]})
    expr = g.bs_gamma_expr(pl.col("s"), pl.col("k"), pl.col("v"), pl.col("t"), r=r, q=q)
    assert frame.select(expr).item() == pytest.approx(
        g.bs_gamma(s, k, sigma, t, r=r, q=q), rel=1e-9, abs=1e-300
    )


# ---------------------------------------------------------------------------------------------
# §6.2 units
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        (GexUnit.SHARES_PER_POINT, 6.3706),
        (GexUnit.SHARES_PER_PCT, 3.1853),
        (GexUnit.USD_PER_POINT, 318.53),
        (GexUnit.USD_PER_PCT, 159.27),
    ],
)
def test_units_per_contract(unit: GexUnit, expected: float) -> None:
    gamma = g.bs_gamma(50, 50, 0.25, 0.25)
    assert g.gex_per_contract(gamma, 50, unit=unit) == pytest.approx(expected, abs=5e-3)


@pytest.mark.parametrize("unit", list(GexUnit))
def test_units_through_the_chain(unit: GexUnit) -> None:
    one = chain([(50.0, "C", 1, 0.25)], spot=50.0)
    params = GammaParams(unit=unit, fixed_t_years=0.25)
    gex = g.contract_gex(one, params=params).collect()["gex"].item()
    assert gex == pytest.approx(g.gex_per_contract(g.bs_gamma(50, 50, 0.25, 0.25), 50, unit=unit))
    assert unit.label in {
        "shares per 1-point move",
        "shares per 1 % move",
        "$ per 1-point move",
        "$ per 1 % move",
    }


def test_spx_scale_check() -> None:
    gamma = g.bs_gamma(6783, 6800, 0.15, 7 / 365)
    assert gamma == pytest.approx(0.0028142, abs=5e-8)
    per_contract = g.gex_per_contract(gamma, 6783)
    assert per_contract == pytest.approx(129_481, abs=1.0)
    assert 1000 * per_contract == pytest.approx(129.5e6, rel=1e-3)


def test_default_unit_is_dollars_per_one_percent() -> None:
    assert GammaParams().unit is GexUnit.USD_PER_PCT
    assert GammaParams().unit.label == "$ per 1 % move"


# ---------------------------------------------------------------------------------------------
# §6.5 clock time, 0DTE, AM vs PM
# ---------------------------------------------------------------------------------------------


def test_zero_dte_numbers_scalar() -> None:
    six_half_hours = 6.5 * 3600 / g.SECONDS_PER_YEAR
    gamma = g.bs_gamma(6800, 6800, 0.15, six_half_hours)
    assert gamma == pytest.approx(0.014358, abs=5e-7)
    assert g.gex_per_contract(gamma, 6800) == pytest.approx(664_000, abs=500)
    assert g.bs_gamma(6800, 6800, 0.15, 1 / 262) == pytest.approx(0.006331, abs=5e-7)
    assert g.gex_per_contract(g.bs_gamma(6800, 6800, 0.15, 1 / 262), 6800) == pytest.approx(
        293_000, abs=500
    )
    assert g.gex_per_contract(g.bs_gamma(6800, 6800, 0.15, 1 / 365), 6800) == pytest.approx(
        346_000, abs=500
    )


def test_zero_dte_through_the_clock() -> None:
    """A snapshot at the 09:30 ET open of an SPXW expiry day has 6.5 h (calendar) to expiry."""
    open_et = datetime(2026, 4, 8, 13, 30, tzinfo=UTC)  # 09:30 EDT
    spx = chain(
        [(6800.0, "C", 1, 0.15)], spot=6800.0, as_of=open_et, expiry=SESSION, root="SPXW"
    ).with_columns(pl.lit("SPX").alias("underlying"))
    row = g.contract_gex(spx).collect().row(0, named=True)
    assert row["t_years"] == pytest.approx(6.5 / 24 / 365, rel=1e-12)
    assert row["gamma"] == pytest.approx(0.014358, abs=5e-7)
    assert row["gex"] == pytest.approx(664_000, abs=500)
    assert row["status"] == "ok"


@pytest.mark.parametrize(
    ("expiry", "root", "utc"),
    [
        # third Friday of March 2026, after the DST change (EDT = UTC−4)
        (date(2026, 3, 20), "SPX", datetime(2026, 3, 20, 13, 30, tzinfo=UTC)),
        (date(2026, 3, 20), "SPXW", datetime(2026, 3, 20, 20, 0, tzinfo=UTC)),
        # third Friday of January 2026 (EST = UTC−5)
        (date(2026, 1, 16), "SPX", datetime(2026, 1, 16, 14, 30, tzinfo=UTC)),
        (date(2026, 1, 16), "SPXW", datetime(2026, 1, 16, 21, 0, tzinfo=UTC)),
        # equities and ETFs are PM-settled
        (date(2026, 11, 20), "SPY", datetime(2026, 11, 20, 21, 0, tzinfo=UTC)),
    ],
)
def test_expiry_timestamps_am_vs_pm(expiry: date, root: str, utc: datetime) -> None:
    assert g.expiry_timestamp(expiry, root) == utc
    frame = pl.DataFrame({"expiry": [expiry], "root": [root]})
    assert frame.select(g.expiry_timestamp_expr()).item() == utc


def test_same_date_two_roots_two_times_to_expiry() -> None:
    third_friday = date(2026, 3, 20)
    as_of = datetime(2026, 3, 19, 20, 0, tzinfo=UTC)  # Thursday 16:00 EDT
    frame = chain(
        [(6800.0, "C", 1, 0.15), (6800.0, "C", 1, 0.15)],
        spot=6800.0,
        as_of=as_of,
        expiry=third_friday,
        roots=["SPX", "SPXW"],
    )
    out = g.contract_gex(frame).collect().sort("root")
    am, pm = out["t_years"].to_list()
    assert am == pytest.approx(17.5 * 3600 / g.SECONDS_PER_YEAR)
    assert pm == pytest.approx(24 * 3600 / g.SECONDS_PER_YEAR)
    assert g.time_to_expiry(as_of, third_friday, "SPX") == pytest.approx(am)
    assert g.time_to_expiry(as_of, third_friday, "SPXW") == pytest.approx(pm)


def test_floor_and_expired_contracts() -> None:
    expiry_ts = datetime(2026, 4, 8, 20, 0, tzinfo=UTC)
    near = chain([(100.0, "C", 10, 0.2)], as_of=expiry_ts - timedelta(minutes=1), expiry=SESSION)
    row = g.contract_gex(near).collect().row(0, named=True)
    assert row["t_years"] == pytest.approx(300 / g.SECONDS_PER_YEAR)  # 5-minute floor
    assert row["status"] == "ok"
    for as_of in (expiry_ts, expiry_ts + timedelta(minutes=5)):
        done = chain([(100.0, "C", 10, 0.2)], as_of=as_of, expiry=SESSION)
        row = g.contract_gex(done).collect().row(0, named=True)
        assert (row["status"], row["gamma"], row["gex"], row["t_years"]) == ("expired", 0, 0, None)
    assert g.time_to_expiry(expiry_ts, SESSION, "TOY") is None
    assert g.time_to_expiry(expiry_ts - timedelta(seconds=10), SESSION, "TOY") == pytest.approx(
        300 / g.SECONDS_PER_YEAR
    )


def test_dropped_contracts_are_counted() -> None:
    rows = [
        (100.0, "C", 10, 0.2),
        (100.0, "P", 10, None),
        (105.0, "C", 10, 0.0),
        (95.0, "P", 10, -0.1),
        (90.0, "X", 10, 0.2),
    ]
    frame = pl.concat(
        [
            chain(rows),
            chain([(100.0, "C", 10, 0.2)], expiry=SESSION, as_of=CLOSE + timedelta(hours=1)),
        ]
    ).with_columns(pl.col("as_of").max())
    out = g.contract_gex(frame).collect()
    assert out["status"].to_list() == [
        "ok",
        "missing_iv",
        "missing_iv",
        "missing_iv",
        "bad_input",
        "expired",
    ]
    assert out.filter(pl.col("status") != "ok")["gex"].to_list() == [0.0] * 5
    report = g.gamma_report(frame)["TOY"]
    assert report.counts == g.ContractCounts(total=6, used=1, expired=1, missing_iv=3, bad_input=1)


def test_rates_and_dividends_reach_the_chain() -> None:
    params = GammaParams(r=0.05, q=0.01, fixed_t_years=0.25)
    one = chain([(50.0, "C", 1, 0.25)], spot=50.0)
    gamma = g.contract_gex(one, params=params).collect()["gamma"].item()
    assert gamma == pytest.approx(0.0630282, abs=5e-8)


# ---------------------------------------------------------------------------------------------
# §6.6 toy chain
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [FIXED, GammaParams()], ids=["fixed-T", "clock-T"])
def test_toy_chain_by_strike(params: GammaParams) -> None:
    """Calls +, puts − (sign pinned); the clock run has exactly 30 days to a 16:00 ET expiry."""
    by_strike = g.gex_by_strike(TOY, params=params).collect()
    got = {
        r["strike"]: (r["call_gex"], r["put_gex"], r["net_gex"])
        for r in by_strike.iter_rows(named=True)
    }
    expected = {
        95.0: (0.0, -1_259_053.24, -1_259_053.24),
        100.0: (1_043_226.61, -1_264_407.98, -221_181.37),
        105.0: (506_482.61, 0.0, 506_482.61),
    }
    assert set(got) == set(expected)
    for strike, values in expected.items():
        assert got[strike] == pytest.approx(values, abs=0.005)
    ticker = g.gex_by_ticker(TOY, params=params).collect().row(0, named=True)
    assert ticker["net_gex"] == pytest.approx(-973_752.00, abs=0.005)
    assert ticker["regime"] == "NEGATIVE"


def test_toy_chain_sweep_totals() -> None:
    profile = g.gex_profile(TOY, params=FIXED).collect()
    assert profile.height == 161
    assert profile["level"][0] == pytest.approx(80.0)
    assert profile["level"][-1] == pytest.approx(120.0)
    expected = {90: -1_266_540.7, 95: -1_671_531.9, 100: -973_752.0, 105: -33_528.7, 110: 194_107.8}
    for level, total in expected.items():
        row = profile.filter((pl.col("level") - level).abs() < 1e-9)
        assert row.height == 1
        assert row["gex"].item() == pytest.approx(total, abs=0.05)


def test_toy_chain_zero_gamma() -> None:
    zero = g.zero_gamma(TOY, params=FIXED)["TOY"]
    assert zero.zero_gamma == pytest.approx(105.283, abs=0.01)
    assert len(zero.roots) == 1
    assert zero.sweep == "crosses zero"
    assert zero.regime == "NEGATIVE"
    assert zero.gex_at_spot == pytest.approx(-973_752.00, abs=0.005)
    assert zero.vote == -1  # spot below zero gamma (§10)
    assert (zero.grid_lo, zero.grid_hi, zero.grid_points) == (80.0, 120.0, 161)
    assert zero.unit is GexUnit.USD_PER_PCT
    assert zero.params == FIXED


def test_toy_chain_walls_both_definitions() -> None:
    walls = g.gamma_walls(TOY, params=FIXED)["TOY"]
    assert walls.call_wall is not None and walls.call_wall.strike == 100.0
    assert walls.call_wall.gex == pytest.approx(1_043_226.61, abs=0.005)
    assert walls.put_wall is not None and walls.put_wall.strike == 100.0
    assert walls.put_wall.gex == pytest.approx(-1_264_407.98, abs=0.005)
    assert walls.call_wall_net is not None and walls.call_wall_net.strike == 105.0
    assert walls.put_wall_net is not None and walls.put_wall_net.strike == 95.0
    assert (walls.strike_lo, walls.strike_hi, walls.max_dte) == (80.0, 120.0, 30)


@pytest.mark.parametrize(
    ("width", "lo", "hi"), [(None, 105.0, 106.0), (1.0, 105.0, 106.0), (5.0, 105.0, 110.0)]
)
def test_toy_chain_nearest_positive_gamma(width: float | None, lo: float, hi: float) -> None:
    band = g.nearest_positive_band(TOY, width=width, params=FIXED)["TOY"]
    assert band is not None
    assert (band.lo, band.hi) == (lo, hi)
    assert band.net_gex == pytest.approx(506_482.61, abs=0.005)
    assert band.distance == pytest.approx(5.0)
    above = g.nearest_positive_band(TOY, direction=Direction.ABOVE, width=width, params=FIXED)
    assert above["TOY"] == band.__class__(**{**_fields(band), "direction": Direction.ABOVE})
    below = g.nearest_positive_band(TOY, direction=Direction.BELOW, width=width, params=FIXED)
    assert below["TOY"] is None


def _fields(obj: object) -> dict[str, object]:
    return {name: getattr(obj, name) for name in obj.__slots__}  # type: ignore[attr-defined]


def test_toy_chain_strike_band_total() -> None:
    band = g.strike_band_gex(TOY, k_lo=95, k_hi=100, params=FIXED).collect().row(0, named=True)
    assert band["net_gex"] == pytest.approx(-1_259_053.24 - 221_181.37, abs=0.01)
    assert band["contracts"] == 3
    none = g.strike_band_gex(TOY, k_lo=95, k_hi=100, expiries=ExpirySet.ZERO_DTE, params=FIXED)
    assert none.collect().row(0, named=True)["net_gex"] == 0.0


def test_toy_report_bundles_everything() -> None:
    report = g.gamma_report(TOY, params=FIXED)["TOY"]
    assert report.net_gex == pytest.approx(-973_752.00, abs=0.005)
    assert report.regime == "NEGATIVE"
    assert report.zero.zero_gamma == pytest.approx(105.283, abs=0.01)
    assert [z.expiry_set for z in report.zeros] == list(ExpirySet)
    assert report.walls.call_wall_net is not None and report.walls.call_wall_net.strike == 105.0
    assert report.nearest_positive_band is not None
    assert report.nearest_positive_band.lo == 105.0
    assert report.unit_label == "$ per 1 % move"
    assert report.session == SESSION
    assert report.by_strike.height == 3
    assert report.profiles.group_by("expiry_set").len()["len"].to_list() == [161] * 4
    assert set(report.profiles["expiry_set"]) == {str(s) for s in ExpirySet}


def test_zero_gamma_is_unit_independent() -> None:
    base = g.zero_gamma(TOY, params=FIXED)["TOY"].zero_gamma
    for unit in GexUnit:
        other = g.zero_gamma(TOY, params=GammaParams(fixed_t_years=TOY_T, unit=unit))["TOY"]
        assert other.zero_gamma == pytest.approx(base, abs=0.01)
        assert other.unit is unit


# ---------------------------------------------------------------------------------------------
# §6.3 sweep edge cases, Brent
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "sweep", "regime", "vote"),
    [
        ([(100.0, "C", 100, 0.2), (110.0, "C", 50, 0.2)], "all positive", "POSITIVE", 1),
        ([(100.0, "P", 100, 0.2), (90.0, "P", 50, 0.2)], "all negative", "NEGATIVE", -1),
    ],
)
def test_no_sign_change_gives_null_zero_gamma(
    rows: list[tuple[float, str, int, float]], sweep: str, regime: str, vote: int
) -> None:
    zero = g.zero_gamma(chain(rows), params=FIXED)["TOY"]
    assert zero.zero_gamma is None
    assert zero.roots == ()
    assert (zero.sweep, zero.regime, zero.vote) == (sweep, regime, vote)


def test_no_usable_contracts() -> None:
    zero = g.zero_gamma(chain([(100.0, "C", 100, None)]), params=FIXED)["TOY"]
    assert (zero.zero_gamma, zero.sweep, zero.regime, zero.gex_at_spot) == (
        None,
        "no gamma",
        None,
        0.0,
    )


def test_root_exactly_on_a_grid_point_counts_once() -> None:
    levels = [80.0 + 0.25 * i for i in range(161)]
    assert 100.0 in levels
    values = [x - 100.0 for x in levels]
    roots = g.grid_roots(levels, values, lambda x: x - 100.0)
    assert roots == (100.0,)


def test_grid_roots_touch_flat_runs_and_refinement() -> None:
    levels = [float(i) for i in range(7)]

    def f(x: float) -> float:
        return 0.0

    assert g.grid_roots(levels, [1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0], f) == (1.0,)  # touch
    # flat ends (underflowed tails) hold no roots; one crossing refined by Brent
    assert g.grid_roots([0.0, 1.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0], f) == ()
    line = [0.0, 0.0, 1.0, -1.0, 0.0, 0.0]
    roots = g.grid_roots([0.0, 1.0, 2.0, 3.0, 4.0, 5.0], line, lambda x: 2.5 - x, xtol=1e-9)
    assert roots == pytest.approx((2.5,))
    # a flat (not exactly zero) interior run between opposite signs holds one root
    tiny = [5.0, 1e-12, -1e-12, -5.0]
    roots = g.grid_roots([0.0, 1.0, 2.0, 3.0], tiny, lambda x: 1.5 - x, flat_rel=1e-9, xtol=1e-9)
    assert roots == pytest.approx((1.5,))


def test_zero_gamma_takes_root_nearest_spot_either_side() -> None:
    """Two crossings: below spot at ~95.9 and above it at ~105.3 — the nearer one wins."""
    rows = [(90.0, "C", 4000, 0.2), (97.0, "P", 6000, 0.2), (105.0, "C", 3000, 0.2)]
    zero = g.zero_gamma(chain(rows), params=FIXED)["TOY"]
    assert len(zero.roots) >= 2
    nearest = min(zero.roots, key=lambda r: abs(r - 100.0))
    assert zero.zero_gamma == nearest
    assert any(r < 100 for r in zero.roots) and any(r > 100 for r in zero.roots)
    profile = g.gex_profile(chain(rows), params=FIXED).collect()
    assert g.grid_roots(profile["level"].to_list(), profile["gex"].to_list(), lambda x: 0.0)


def test_brent_known_roots() -> None:
    assert g.brent(lambda x: x * x - 2.0, 0.0, 2.0, xtol=1e-12) == pytest.approx(math.sqrt(2))
    assert g.brent(math.cos, 1.0, 2.0, xtol=1e-12) == pytest.approx(math.pi / 2)
    assert g.brent(lambda x: x - 3.0, 3.0, 4.0) == 3.0
    assert g.brent(lambda x: x - 4.0, 3.0, 4.0) == 4.0
    with pytest.raises(ValueError, match="not bracketed"):
        g.brent(lambda x: x * x + 1.0, -1.0, 1.0)


@settings(max_examples=200, deadline=None)
@given(
    root=st.floats(-50.0, 50.0),
    width_lo=st.floats(0.01, 30.0),
    width_hi=st.floats(0.01, 30.0),
    slope=st.floats(0.1, 5.0),
    cubic=st.floats(0.0, 2.0),
)
def test_brent_within_xtol(
    root: float, width_lo: float, width_hi: float, slope: float, cubic: float
) -> None:
    def f(x: float) -> float:
        return slope * (x - root) + cubic * (x - root) ** 3

    found = g.brent(f, root - width_lo, root + width_hi, xtol=0.01)
    assert abs(found - root) <= 0.01


def test_grid_size_follows_step() -> None:
    assert GammaParams().grid_points == 161
    assert GammaParams(sweep_max_step=0.001).grid_points == 401
    assert GammaParams(sweep_min_points=300).grid_points == 300


# ---------------------------------------------------------------------------------------------
# expiry sets, walls restrictions, bands
# ---------------------------------------------------------------------------------------------

ZERO_DTE, WEEKLY, MONTHLY, LATER = (
    date(2026, 4, 8),
    date(2026, 4, 10),
    date(2026, 4, 17),
    date(2026, 6, 30),
)
OPEN = datetime(2026, 4, 8, 14, 0, tzinfo=UTC)


def spx_chain() -> pl.DataFrame:
    """A small SPX chain: 0DTE, a weekly, the AM monthly (with its SPXW twin) and a later one."""
    expiries = [ZERO_DTE] * 2 + [WEEKLY] * 2 + [MONTHLY] * 4 + [LATER] * 2
    roots = ["SPXW"] * 4 + ["SPX", "SPX", "SPXW", "SPXW"] + ["SPXW"] * 2
    rows = [
        (6800.0, "C", 500, 0.12),
        (6750.0, "P", 700, 0.14),
        (6800.0, "C", 400, 0.13),
        (6700.0, "P", 900, 0.15),
        (6850.0, "C", 3000, 0.13),
        (6600.0, "P", 3000, 0.17),
        (6800.0, "C", 200, 0.13),
        (6700.0, "P", 100, 0.15),
        (6900.0, "C", 20000, 0.14),
        (6500.0, "P", 20000, 0.19),
    ]
    return chain(rows, spot=6783.0, as_of=OPEN, underlying="SPX", expiries=expiries, roots=roots)


def test_expiry_sets_select_the_right_contracts() -> None:
    contracts = g.contract_gex(spx_chain()).collect()
    for expiries, kept in [
        (ExpirySet.ALL, {ZERO_DTE, WEEKLY, MONTHLY, LATER}),
        (ExpirySet.ZERO_DTE, {ZERO_DTE}),
        (ExpirySet.EX_NEXT_EXPIRY, {WEEKLY, MONTHLY, LATER}),
        (ExpirySet.EX_NEXT_MONTHLY, {ZERO_DTE, WEEKLY, LATER}),
    ]:
        by_strike = g.gex_by_strike(spx_chain(), expiries=expiries).collect()
        expected = contracts.filter(pl.col("expiry").is_in(kept))["gex"].sum()
        assert by_strike["net_gex"].sum() == pytest.approx(expected, rel=1e-12)


def test_profiles_add_up_across_sets_and_match_spot() -> None:
    profiles = g.gex_profiles(spx_chain()).collect()
    wide = profiles.pivot(on="expiry_set", index="point", values="gex")
    zero_dte_plus_rest = wide["0dte"] + wide["ex_next_expiry"]  # next expiry is the 0DTE one
    assert (zero_dte_plus_rest - wide["all"]).abs().max() < 1e-6 * wide["all"].abs().max()
    at_spot = profiles.filter((pl.col("expiry_set") == "all") & (pl.col("point") == 80))
    net = g.gex_by_ticker(spx_chain()).collect()["net_gex"].item()
    assert at_spot["gex"].item() == pytest.approx(net, rel=1e-9)


def test_zero_dte_profile_is_empty_without_zero_dte() -> None:
    later = spx_chain().filter(pl.col("expiry") != ZERO_DTE)
    zero = g.zero_gamma(later, expiries=ExpirySet.ZERO_DTE)["SPX"]
    assert (zero.sweep, zero.zero_gamma, zero.expiry_set) == ("no gamma", None, ExpirySet.ZERO_DTE)
    profile = g.gex_profile(later, expiries=ExpirySet.ZERO_DTE).collect()
    assert profile.height == 161 and profile["gex"].abs().max() == 0.0


def test_walls_respect_strike_window_and_max_dte() -> None:
    far = chain(
        [(6850.0, "C", 100, 0.13), (5000.0, "P", 10**6, 0.4), (6700.0, "P", 80, 0.15)],
        spot=6783.0,
        as_of=OPEN,
        underlying="SPX",
        expiries=[MONTHLY, MONTHLY, MONTHLY],
        roots=["SPXW"] * 3,
    )
    walls = g.gamma_walls(pl.concat([far, spx_chain()]))["SPX"]
    # 5000 is outside 0.8·S; the huge 6900/6500 strikes expire in 83 days (> 30 DTE) ...
    assert walls.put_wall is not None and walls.put_wall.strike not in (5000.0, 6500.0)
    assert walls.call_wall is not None and walls.call_wall.strike != 6900.0
    within = g.contract_gex(spx_chain()).filter(pl.col("expiry") != LATER).collect()
    calls = within.filter(pl.col("right") == "C").group_by("strike").agg(pl.col("gex").sum())
    assert walls.call_wall.strike == calls.sort("gex")["strike"][-1]
    # ... and win once the DTE limit is off
    open_ended = g.gamma_walls(spx_chain(), params=GammaParams(wall_max_dte=None))["SPX"]
    assert open_ended.call_wall is not None and open_ended.call_wall.strike == 6900.0
    assert open_ended.put_wall is not None and open_ended.put_wall.strike == 6500.0


def test_band_width_scales_with_spot_and_keeps_spx_override() -> None:
    assert g.band_width("SPX", 6783.0) == 50.0
    assert g.band_width("SPX", 5000.0) == 50.0
    assert g.band_width("SPY", 678.0) == 5.0
    assert g.band_width("QQQ", 600.0) == 5.0
    assert g.band_width("AAPL", 250.0) == 2.0
    assert g.band_width("TOY", 100.0) == 1.0
    assert g.band_width("NDX", 24000.0, params=GammaParams(band_widths=(("NDX", 100.0),))) == 100


@settings(max_examples=100, deadline=None)
@given(spot=st.floats(0.5, 100_000.0))
def test_band_width_expr_matches_scalar(spot: float) -> None:
    frame = chain([(spot, "C", 1, 0.2)], spot=spot, underlying="XYZ")
    bands = g.gex_bands(frame, params=FIXED).collect()
    assert bands["width"].item() == pytest.approx(g.band_width("XYZ", spot), rel=1e-12)


def test_spx_bands_use_fifty_points() -> None:
    bands = g.gex_bands(spx_chain()).collect()
    assert set(bands["width"]) == {50.0}
    assert bands["lo"].to_list() == sorted(bands["lo"].to_list())
    assert all(lo % 50 == 0 for lo in bands["lo"])
    total = bands["net_gex"].sum()
    in_window = g.contract_gex(spx_chain()).collect()["gex"].sum()  # every strike is in 0.8–1.2·S
    assert total == pytest.approx(in_window, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# snapshots, sign mode, inputs, settings
# ---------------------------------------------------------------------------------------------


def test_latest_snapshot_per_underlying() -> None:
    older = chain(TOY_ROWS, as_of=CLOSE - timedelta(hours=2), spot=90.0)
    frame = pl.concat([older, TOY])
    by_ticker = g.gex_by_ticker(frame, params=FIXED).collect()
    assert by_ticker.height == 2  # one row per snapshot
    report = g.gamma_report(frame, params=FIXED)["TOY"]
    assert report.spot == 100.0
    assert report.net_gex == pytest.approx(-973_752.00, abs=0.005)


def test_several_underlyings_are_independent() -> None:
    frame = pl.concat([TOY, spx_chain()])
    reports = g.gamma_report(frame, params=FIXED)
    assert set(reports) == {"TOY", "SPX"}
    assert reports["TOY"].zero.zero_gamma == pytest.approx(105.283, abs=0.01)


def test_flow_sign_mode_uses_dealer_position() -> None:
    params = GammaParams(sign_mode=SignMode.FLOW, fixed_t_years=TOY_T)
    flipped = TOY.with_columns(
        pl.when(pl.col("right") == "C")
        .then(-pl.col("open_interest"))
        .otherwise(pl.col("open_interest"))
        .alias("dealer_position")
    )
    net = g.gex_by_ticker(flipped, params=params).collect()["net_gex"].item()
    assert net == pytest.approx(973_752.00, abs=0.005)
    with pytest.raises(ValueError, match="dealer_position"):
        g.contract_gex(TOY, params=params).collect()


def test_missing_columns_are_reported() -> None:
    with pytest.raises(ValueError, match="iv"):
        g.contract_gex(TOY.drop("iv"))


def test_root_and_session_default_when_absent() -> None:
    bare = TOY.drop("root", "session")
    out = g.contract_gex(bare, params=FIXED).collect()
    assert out["root"].to_list() == ["TOY"] * 4
    assert out["session"].to_list() == [SESSION] * 4


def test_params_defaults_match_methodology() -> None:
    p = GammaParams()
    assert (p.r, p.q, p.multiplier, p.sign_mode) == (0.0, 0.0, 100.0, SignMode.NAIVE)
    assert (p.pm_expiry_time, p.am_expiry_time, p.am_settled_roots) == (
        time(16),
        time(9, 30),
        ("SPX",),
    )
    assert p.t_min_seconds == 300.0 and p.fixed_t_years is None
    assert (p.sweep_lo, p.sweep_hi, p.sweep_max_step, p.root_xtol) == (0.8, 1.2, 0.0025, 0.01)
    assert (p.wall_lo, p.wall_hi, p.wall_max_dte) == (0.8, 1.2, 30)
    assert dict(p.band_widths) == {"SPX": 50.0}
    assert g.SETTINGS_SECTION == "gamma"
    with pytest.raises(FrozenInstanceError):
        p.r = 0.1  # type: ignore[misc]


def test_params_validation() -> None:
    with pytest.raises(ValueError, match="sweep_lo"):
        GammaParams(sweep_lo=1.1)
    with pytest.raises(ValueError, match="root_xtol"):
        GammaParams(root_xtol=0)


def test_load_params_maps_keys_to_fields() -> None:
    settings = {
        "gamma": {
            "r": 0.05,
            "q": 0,
            "unit": "shares_per_pct",
            "band_widths": {"SPX": 25, "NDX": 100},
            "wall_max_dte": False,
            "pm_expiry_time": "16:15",
            "am_settled_roots": ["SPX", "NDX"],
            "sweep_min_points": 201,
        },
        "regime": {"windows": [1]},
    }
    p = g.load_params(settings)
    assert p.r == 0.05 and p.q == 0.0
    assert p.unit is GexUnit.SHARES_PER_PCT
    assert p.band_widths == (("SPX", 25.0), ("NDX", 100.0))
    assert p.wall_max_dte is None
    assert p.pm_expiry_time == time(16, 15)
    assert p.am_settled_roots == ("SPX", "NDX")
    assert p.sweep_min_points == 201
    assert g.load_params({}) == GammaParams()


@pytest.mark.parametrize(
    "section",
    [{"nope": 1}, {"r": "high"}, {"unit": "furlongs"}, {"sweep_min_points": 1.5}, {"r": True}],
)
def test_load_params_rejects_bad_settings(section: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        g.load_params({"gamma": section})


def test_ten_thousand_contract_chain_vectorises() -> None:
    """A 10k-contract SPX chain × 161 levels in one pass; the profile at spot equals net GEX."""
    strikes = [5400.0 + 5 * i for i in range(541)]
    expiries = [SESSION + timedelta(days=d) for d in (0, 1, 2, 7, 9, 14, 16, 23, 30, 44)]
    rows, when, roots = [], [], []
    for e in expiries:
        for k in strikes:
            for right in "CP":
                m = math.log(k / 6783.0)
                rows.append((k, right, 100 + int(abs(k - 6783.0)) % 700, 0.15 - 0.6 * m + m * m))
                when.append(e)
                roots.append("SPX" if e == MONTHLY else "SPXW")
    big = chain(rows, spot=6783.0, as_of=OPEN, underlying="SPX", expiries=when, roots=roots)
    assert big.height > 10_000
    report = g.gamma_report(big)["SPX"]
    assert report.counts.used == big.height
    assert report.profiles.height == 4 * 161
    at_spot = report.profiles.filter((pl.col("expiry_set") == "all") & (pl.col("point") == 80))
    assert at_spot["gex"].item() == pytest.approx(report.net_gex, rel=1e-9)
    assert report.zero.gex_at_spot == pytest.approx(report.net_gex, rel=1e-9)
    for zero in report.zeros:
        assert all(0.8 * 6783.0 <= r <= 1.2 * 6783.0 for r in zero.roots)


def test_snapshots_without_a_valid_spot_or_rows_are_skipped() -> None:
    no_spot = chain(TOY_ROWS, spot=0.0)
    assert set(g.contract_gex(no_spot).collect()["status"]) == {"bad_input"}
    for frame in (no_spot, TOY.clear()):
        assert g.gamma_report(frame, params=FIXED) == {}
        assert g.zero_gamma(frame, params=FIXED) == {}
        assert g.gamma_walls(frame, params=FIXED) == {}
        assert g.nearest_positive_band(frame, params=FIXED) == {}
    assert g.gex_profile(TOY.clear()).collect().is_empty()


def test_frames_record_their_unit() -> None:
    params = GammaParams(unit=GexUnit.SHARES_PER_PCT, fixed_t_years=TOY_T)
    frames = [
        g.contract_gex(TOY, params=params),
        g.gex_by_strike(TOY, params=params),
        g.gex_by_expiry(TOY, params=params),
        g.gex_by_ticker(TOY, params=params),
        g.gex_profile(TOY, params=params),
        g.gex_bands(TOY, params=params),
        g.strike_band_gex(TOY, k_lo=90, k_hi=110, params=params),
    ]
    for frame in frames:
        assert set(frame.collect()["unit"]) == {"shares_per_pct"}
