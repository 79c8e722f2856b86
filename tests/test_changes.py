"""What changed since the prior session (core/changes.py): each kind of change on small frames,
then the bundled sample's relief rally (data/SCENARIO.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from flowterm.core import fmt
from flowterm.core.changes import (
    ChangeKind,
    SessionState,
    convergence_changes,
    empty_state,
    flip_changes,
    regime_changes,
    verdict_changes,
    what_changed,
    zone_changes,
)
from flowterm.core.convergence import INPUT_SCHEMA, Count
from flowterm.core.regime import RegimeParams, RegimeSnapshot, Rule, RuleResult
from flowterm.core.snapshot import Snapshot, build_snapshot

DATA = Path(__file__).resolve().parents[1] / "data"
DAY, PRIOR = date(2026, 4, 8), date(2026, 4, 7)


def zones(*rows: tuple[str, str, float, float, float, float]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=["symbol", "status", "low", "mid", "high", "close"], orient="row"
    )


def test_a_close_across_a_zone_level_is_a_crossing_in_its_direction() -> None:
    today = zones(
        ("SPX", "AT CEILING", 6378.06, 6575.30, 6772.54, 6773.37),
        ("XOM", "lower half", 134.10, 142.91, 151.72, 141.20),
        ("AAPL", "lower half", 245.88, 258.59, 271.30, 256.80),
    )
    prior = zones(
        ("SPX", "upper half", 6378.06, 6575.30, 6772.54, 6606.88),
        ("XOM", "upper half", 134.10, 142.91, 151.72, 144.04),
        ("AAPL", "lower half", 245.88, 258.59, 271.30, 250.00),
    )
    changes = zone_changes(today, prior)
    crossed = [c for c in changes if c.kind is ChangeKind.ZONE_CROSSED]
    assert [(c.subject, c.direction) for c in crossed] == [("SPX", 1), ("XOM", -1)]
    assert crossed[0].text == (
        f"SPX crossed its zone ceiling {fmt.num(6772.54, 2)} upward (6606.88 → 6773.37)"
    )
    status = [c for c in changes if c.kind is ChangeKind.ZONE_STATUS]
    assert [(c.subject, c.before, c.after) for c in status] == [("SPX", "upper half", "AT CEILING")]


def test_a_status_held_since_yesterday_is_not_new_and_a_close_on_the_level_crosses_once() -> None:
    today = zones(("SPY", "AT FLOOR", 100.0, 105.0, 110.0, 100.0))
    assert zone_changes(today, zones(("SPY", "AT FLOOR", 100.0, 105.0, 110.0, 100.0))) == []
    # from exactly the mid (Monday's anchor) downward to the floor: the floor only
    crossing = zone_changes(today, zones(("SPY", "mid-range", 100.0, 105.0, 110.0, 105.0)))
    assert [(c.kind, c.subject, c.direction) for c in crossing] == [
        (ChangeKind.ZONE_CROSSED, "SPY", -1),
        (ChangeKind.ZONE_STATUS, "SPY", 1),
    ]
    assert "floor 100.00" in crossing[0].text
    # a symbol the prior session did not have is no change
    assert zone_changes(today, zones()) == []


def top(*rows: tuple[str, bool, str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=["underlying", "flip", "naive_label", "adjusted_label"], orient="row"
    )


def test_only_names_that_did_not_flip_yesterday_are_new_flips() -> None:
    today = top(
        ("NVDA", True, "BULL", "BEAR"),
        ("AMZN", True, "BEAR", "BULL"),
        ("SPY", False, "BEAR", "BEAR"),
    )
    prior = top(("NVDA", False, "BULL", "BULL"), ("AMZN", True, "BEAR", "BULL"))
    flips = flip_changes(today, prior)
    assert [(c.subject, c.direction, c.text) for c in flips] == [
        ("NVDA", -1, "NVDA flips: naive BULL vs side-adjusted BEAR")
    ]


def test_verdict_changes_name_both_verdicts() -> None:
    today = pl.DataFrame(
        {"symbol": ["AAPL", "XOM", "NEW"], "verdict": ["CONTESTED", "HEDGED", "ACCUMULATION"]}
    )
    prior = pl.DataFrame({"symbol": ["AAPL", "XOM"], "verdict": ["DISTRIBUTION", "HEDGED"]})
    changes = verdict_changes(today, prior)
    assert [(c.subject, c.before, c.after, c.text) for c in changes] == [
        ("AAPL", "DISTRIBUTION", "CONTESTED", "AAPL DISTRIBUTION → CONTESTED")
    ]


def inputs(*rows: tuple[str, int | None, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"name": n, "vote": v, "source": "computed", "detail": d} for n, v, d in rows],
        schema=INPUT_SCHEMA,
    )


def test_the_count_and_every_input_whose_vote_changed() -> None:
    today = inputs(
        ("Options net (§2)", -1, "Net −390.2M"), ("GEX regime (§6)", 1, "x"), ("New", 1, "")
    )
    prior = inputs(
        ("Options net (§2)", -1, "Net −485.8M"), ("GEX regime (§6)", -1, "y"), ("Gone", -1, "")
    )
    changes = convergence_changes(today, Count(2, 1, 0, 0), prior, Count(0, 3, 0, 0))
    assert changes[0].kind is ChangeKind.CONVERGENCE
    assert changes[0].text == "Convergence 0 vs 3 → 2 vs 1 (net −3 → +1)"
    assert changes[0].direction == 1
    moved = [(c.subject, c.before, c.after) for c in changes[1:]]
    assert moved == [
        ("GEX regime (§6)", "−1", "+1"),
        ("New", "absent", "+1"),
        ("Gone", "−1", "absent"),
    ]
    same = convergence_changes(today, Count(2, 1, 0, 0), today, Count(2, 1, 0, 0))
    assert same == []


def rule(rule: Rule, state: str | None, prior: str | None, vote: int | None = None) -> RuleResult:
    return RuleResult(
        rule=rule,
        subject="DXY",
        window=None,
        session=DAY,
        as_of=DAY,
        state=state,
        vote=vote,
        inputs=(),
        metrics=(),
        prior_state=prior,
        changed=None if prior is None and state is None else state != prior,
    )


def test_regime_rules_that_changed_state() -> None:
    snapshot = RegimeSnapshot(
        DAY,
        PRIOR,
        (rule(Rule.METALS_BLOCK, "NONE", "HARD"), rule(Rule.ISM, "NONE", "NONE")),
        RegimeParams(),
    )
    changes = regime_changes(snapshot)
    assert [(c.subject, c.before, c.after) for c in changes] == [
        ("Metals HARD BLOCK", "HARD", "NONE")
    ]
    assert changes[0].text == "Metals HARD BLOCK: HARD → NONE"


def test_no_prior_session_means_no_changes() -> None:
    state = empty_state(DAY)
    assert what_changed(state, None).items == ()
    assert what_changed(state, None).summary == "no prior session"
    nothing = what_changed(
        state,
        SessionState(PRIOR, state.zones, state.verdicts, state.top, state.inputs, state.count),
    )
    assert nothing.items == () and nothing.summary == "nothing changed"


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return build_snapshot(DATA)


def test_the_relief_rally_puts_the_indexes_at_their_ceilings_and_lifts_the_metals_block(
    snap: Snapshot,
) -> None:
    changes = snap.changes
    assert changes is not None and changes.prior == PRIOR
    new_status = {c.subject: c.after for c in changes.of(ChangeKind.ZONE_STATUS)}
    for index in ("SPX", "SPY", "QQQ", "IWM"):
        assert new_status[index] == "AT CEILING"
    regime = {c.subject: (c.before, c.after) for c in changes.of(ChangeKind.REGIME)}
    assert regime["Metals HARD BLOCK"] == ("HARD", "NONE")
    assert regime["Sell America (1d)"][1] == "SELL AMERICA"
    # the credit rule is compared with what the prior session showed: no spurious change
    assert not any(s.startswith("Credit") for s in regime)
    flips = {c.subject for c in changes.of(ChangeKind.FLIP)}
    top_flips = set(snap.flow.top.filter(pl.col("flip"))["underlying"].to_list())
    assert flips <= top_flips and {"NVDA", "GOOGL", "AVGO"} <= top_flips
    count = changes.of(ChangeKind.CONVERGENCE)
    before, now = snap.convergence_history[-2][1], snap.convergence
    assert [c.text for c in count] == (
        []
        if (before.bullish, before.bearish) == (now.bullish, now.bearish)
        else [
            f"Convergence {fmt.versus(before.bullish, before.bearish)} → "
            f"{fmt.versus(now.bullish, now.bearish)} (net {fmt.num(before.net, 0, signed=True)} → "
            f"{fmt.num(now.net, 0, signed=True)})"
        ]
    )
    frame = changes.frame()
    assert frame.height == len(changes.items)
    assert set(frame["kind"].to_list()) == {c.kind.value for c in changes.items}


def test_the_first_session_has_no_prior(snap: Snapshot) -> None:
    first = build_snapshot(DATA, snap.sessions[0])
    assert first.changes is not None and first.changes.prior is None and first.changes.items == ()
