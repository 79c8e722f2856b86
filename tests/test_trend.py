"""ADX(14) "Range" with +DI/−DI, labels and colours (METHODOLOGY §5 test vectors)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from flowterm.core import trend
from flowterm.core.trend import TrendParams, adx


def _bars(symbol: str, lows: list[float], highs: list[float], closes: list[float]) -> pl.DataFrame:
    n = len(closes)
    return pl.DataFrame(
        {
            "date": [date(2025, 1, 1) + timedelta(days=i) for i in range(n)],
            "symbol": [symbol] * n,
            "open": closes,
            "high": highs,
            "low": lows,
            "close": closes,
        }
    )


def _uptrend(symbol: str = "UP", n: int = 40) -> pl.DataFrame:
    lows = [10.0 + t for t in range(n)]
    return _bars(symbol, lows, [x + 1 for x in lows], [x + 0.5 for x in lows])


def _downtrend(symbol: str = "DN", n: int = 40) -> pl.DataFrame:
    lows = [60.0 - t for t in range(n)]
    return _bars(symbol, lows, [x + 1 for x in lows], [x + 0.5 for x in lows])


def _zigzag(symbol: str = "ZZ", n: int = 40) -> pl.DataFrame:
    closes = [10.0 if t % 2 == 0 else 10.5 for t in range(n)]
    return _bars(symbol, [c - 0.25 for c in closes], [c + 0.25 for c in closes], closes)


def _flat(symbol: str = "FL", n: int = 40) -> pl.DataFrame:
    return _bars(symbol, [10.0] * n, [10.0] * n, [10.0] * n)


def _run(*frames: pl.DataFrame) -> pl.DataFrame:
    return adx(pl.concat(frames).lazy()).collect()


def _last(out: pl.DataFrame, symbol: str) -> dict[str, object]:
    return out.filter(pl.col("symbol") == symbol).row(-1, named=True)


def test_uptrend() -> None:
    out = _run(_uptrend())
    last = _last(out, "UP")
    assert last["plus_di"] == pytest.approx(66.67, abs=0.005)
    assert last["minus_di"] == 0.0
    assert last["adx"] == pytest.approx(100.0, abs=0.005)
    assert last["trend_label"] == trend.DOMINANT
    assert last["trend_colour"] == trend.GREEN


def test_first_adx_at_bar_27_and_first_di_at_bar_14() -> None:
    out = _run(_uptrend())
    first_adx = out["adx"].is_not_null().arg_true()[0]
    first_di = out["plus_di"].is_not_null().arg_true()[0]
    assert first_adx == 27  # 2n − 1 with bar 0 the first bar
    assert first_di == 14
    assert out["trend_label"][26] is None


def test_mirror_downtrend_is_red() -> None:
    last = _last(_run(_downtrend()), "DN")
    assert last["plus_di"] == 0.0
    assert last["minus_di"] == pytest.approx(66.67, abs=0.005)
    assert last["adx"] == pytest.approx(100.0, abs=0.005)
    assert last["trend_colour"] == trend.RED


def test_zigzag_is_no_trend() -> None:
    last = _last(_run(_zigzag()), "ZZ")
    assert last["plus_di"] == pytest.approx(34.76, abs=0.005)
    assert last["minus_di"] == pytest.approx(31.91, abs=0.005)
    assert last["adx"] == pytest.approx(3.67, abs=0.005)
    assert last["trend_label"] == trend.NO_TREND


def test_flat_is_all_zero_and_grey() -> None:
    out = _run(_flat())
    last = _last(out, "FL")
    assert (last["plus_di"], last["minus_di"], last["dx"], last["adx"]) == (0.0, 0.0, 0.0, 0.0)
    assert last["trend_colour"] == trend.GREY
    assert not any(v in (float("inf"), float("-inf")) for v in out["plus_di"].drop_nulls())


def test_symbols_are_independent_and_input_order_does_not_matter() -> None:
    together = _run(_zigzag(), _uptrend(), _downtrend()).sort("symbol", "date")
    shuffled = adx(
        pl.concat([_uptrend(), _zigzag(), _downtrend()]).sample(fraction=1.0, seed=7).lazy()
    ).collect()
    alone = _run(_zigzag())
    assert shuffled.equals(together)
    zz = together.filter(pl.col("symbol") == "ZZ")
    assert zz["adx"].to_list() == alone["adx"].to_list()


def test_fewer_than_2n_bars_gives_null_adx() -> None:
    out = _run(_uptrend(n=27))
    assert out["adx"].null_count() == 27
    assert out["trend_label"].null_count() == 27


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (40.01, trend.DOMINANT),
        (40.0, trend.STRONG),
        (25.0, trend.STRONG),
        (24.99, trend.EMERGING),
        (20.0, trend.EMERGING),
        (19.99, trend.NO_TREND),
        (None, None),
    ],
)
def test_label_boundaries(value: float | None, label: str | None) -> None:
    got = pl.select(trend.trend_label(pl.lit(value, pl.Float64))).item()
    assert got == label


def test_labels_follow_params() -> None:
    params = TrendParams(dominant_above=90.0)
    got = pl.select(trend.trend_label(pl.lit(60.0), params=params)).item()
    assert got == trend.STRONG


def test_gap_uses_prior_close_in_true_range() -> None:
    frame = _uptrend()
    gapped = frame.with_columns(
        pl.when(pl.col("date") == date(2025, 1, 20))
        .then(pl.col(c) + 5)
        .otherwise(pl.col(c))
        .alias(c)
        for c in ("open", "high", "low", "close")
    )
    out = _run(gapped)
    assert out["adx"].drop_nulls().len() == 40 - 27
    assert (out["plus_di"].drop_nulls() > 0).all()
