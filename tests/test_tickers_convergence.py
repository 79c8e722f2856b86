"""Ticker verdicts (§11b) and the convergence count (§10), with METHODOLOGY's test vectors."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from flowterm.core.convergence import (
    INPUT_SCHEMA,
    Count,
    analyst_inputs,
    count,
    history_text,
)
from flowterm.core.tickers import TickerParams, divergence_days, votes


def _row(
    ret: float,
    label: str | None,
    fast: bool,
    net: float | None,
    grade: str | None,
    pb: float = 0.0,
    cb: float = 0.0,
) -> dict[str, object]:
    return {
        "symbol": "X",
        "session": date(2026, 4, 8),
        "ret": ret,
        "benchmark_ret": 0.0,
        "dp_label": label,
        "dp_fast": fast,
        "opt_net": net,
        "opt_grade": grade,
        "opt_puts_bought": pb,
        "opt_calls_bought": cb,
    }


def _verdict(**kw: object) -> dict[str, object]:
    return votes(pl.DataFrame([_row(**kw)]).lazy()).collect().row(0, named=True)


def test_all_negative_votes_are_distribution() -> None:
    out = _verdict(ret=-0.01, label="DISTRIBUTION", fast=False, net=-1e6, grade="HIGH")
    assert (out["l1_price"], out["l2_darkpool"], out["l3_options"]) == (-1, -1, -1)
    assert out["verdict"] == "DISTRIBUTION"


def test_fast_tape_silences_the_dark_pool_vote_and_flags_it() -> None:
    out = _verdict(ret=0.01, label="DISTRIBUTION", fast=True, net=2e6, grade="MODERATE")
    assert out["l2_darkpool"] == 0
    assert out["verdict"] == "ACCUMULATION"
    assert "FAST TAPE" in out["flags"]


def test_disagreeing_votes_are_contested() -> None:
    out = _verdict(ret=0.01, label="DISTRIBUTION", fast=False, net=-1e6, grade="LOW")
    assert (out["l1_price"], out["l2_darkpool"], out["l3_options"]) == (1, -1, 0)
    assert out["verdict"] == "CONTESTED"
    assert "LOW CONFIDENCE" in out["flags"]


def test_accumulation_with_put_buying_is_hedged() -> None:
    out = _verdict(
        ret=0.01, label="ACCUMULATION", fast=False, net=-1e6, grade="HIGH", pb=5e6, cb=1e6
    )
    assert out["verdict"] == "HEDGED"


def test_no_votes_is_no_signal_and_price_threshold_is_inclusive() -> None:
    assert _verdict(ret=0.001, label=None, fast=False, net=None, grade=None)["verdict"] == (
        "NO SIGNAL"
    )
    assert _verdict(ret=0.0025, label=None, fast=False, net=None, grade=None)["l1_price"] == 1
    assert _verdict(ret=-0.0025, label=None, fast=False, net=None, grade=None)["l1_price"] == -1


def test_relative_strength_flags() -> None:
    row = _row(ret=0.05, label=None, fast=False, net=None, grade=None)
    row["benchmark_ret"] = 0.025
    out = votes(pl.DataFrame([row]).lazy()).collect().row(0, named=True)
    assert out["relative_strength"] == pytest.approx(0.025)
    assert "RELATIVE STRENGTH" in out["flags"]


def test_divergence_days_count_label_against_return_over_the_window() -> None:
    labels = ["ACCUMULATION", "DISTRIBUTION", "NEUTRAL", "DISTRIBUTION", None] * 3
    rets = [-0.01, -0.02, 0.01, 0.03, 0.02] * 3
    history = pl.DataFrame(
        {
            "symbol": ["X"] * 15,
            "session": [date(2026, 3, d) for d in range(1, 16)],
            "ret": rets,
            "dp_label": labels,
        }
    )
    out = divergence_days(history.lazy(), params=TickerParams(divergence_window=10)).collect()
    # the last 10 sessions repeat the pattern twice: days 1 (A, −) and 4 (D, +) diverge
    assert out.row(0, named=True)["divergence_days"] == 4
    assert out.row(0, named=True)["divergence_window_sessions"] == 10


def test_convergence_count_vector() -> None:
    votes_ = [1] * 5 + [-1] * 9 + [0] * 2 + [None]
    inputs = pl.DataFrame(
        {
            "name": [f"i{i}" for i in range(len(votes_))],
            "vote": votes_,
            "source": ["computed"] * len(votes_),
            "detail": [""] * len(votes_),
        },
        schema=INPUT_SCHEMA,
    )
    c = count(inputs)
    assert (c.bullish, c.bearish, c.neutral, c.not_available) == (5, 9, 2, 1)
    assert c.net == -4
    assert c.agreement == pytest.approx(9 / 14)
    assert round(c.agreement * 100, 1) == 64.3


def test_history_text_and_empty_agreement() -> None:
    assert history_text([Count(16, 7, 0, 0), Count(14, 10, 0, 0), Count(13, 11, 0, 0)]) == (
        "16v7 → 14v10 → 13v11"
    )
    assert Count(0, 0, 3, 1).agreement is None


def test_analyst_inputs_respect_dates_and_expiry() -> None:
    csv = pl.DataFrame(
        {
            "date": [date(2026, 4, 1), date(2026, 4, 6), date(2026, 3, 1), date(2026, 4, 9)],
            "name": ["Tariffs", "Tariffs", "Buybacks", "Future"],
            "direction": [-1, 1, 1, -1],
            "note": ["old view", "new view", None, "not yet"],
            "expires": [None, None, date(2026, 4, 1), None],
        }
    )
    out = analyst_inputs(csv, session=date(2026, 4, 8))
    assert out.to_dicts() == [
        {"name": "Tariffs", "vote": 1, "source": "analyst", "detail": "new view"}
    ]
