"""The thesis checklist (core.thesis): conditions from flowterm.toml, checked on a session."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from flowterm.core.settings import SettingsError, load_settings
from flowterm.core.snapshot import DEFAULTS, Snapshot, build_snapshot, regime_key
from flowterm.core.thesis import Condition, ThesisParams, checklist

DATA = Path(__file__).resolve().parents[1] / "data"

TOML = """
[thesis]
name = "Long SPX into CPI"

[[thesis.conditions]]
rule = "metals_block"
states = ["NONE"]

[[thesis.conditions]]
input = "dark pool (§3)"
vote = "not bearish"

[[thesis.conditions]]
zone = "SPX"
not_states = ["AT CEILING", "ABOVE CEILING"]
label = "SPX has room to its ceiling"

[[thesis.conditions]]
verdict = "NVDA"
states = ["CONTESTED", "ACCUMULATION"]

[[thesis.conditions]]
rule = "sell_america"
window = 5
vote = "not bearish"

[[thesis.conditions]]
zone = "NOSUCH"
states = ["mid-range"]
"""


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return build_snapshot(DATA)


def _params(tmp_path: Path, text: str) -> ThesisParams:
    path = tmp_path / "flowterm.toml"
    path.write_text(text, encoding="utf-8")
    params = load_settings(path, DEFAULTS)["thesis"]
    assert isinstance(params, ThesisParams)
    return params


def _check(snap: Snapshot, params: ThesisParams) -> pl.DataFrame:
    return checklist(snap.regime, snap.convergence_inputs, snap.zones, snap.tickers, params=params)


def test_conditions_are_read_from_flowterm_toml(tmp_path: Path) -> None:
    params = _params(tmp_path, TOML)
    assert params.name == "Long SPX into CPI"
    assert [c.subject_kind for c in params.conditions] == [
        "rule",
        "input",
        "zone",
        "verdict",
        "rule",
        "zone",
    ]
    assert params.conditions[0] == Condition(rule="metals_block", states=("NONE",))
    assert params.conditions[4].window == 5


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('rule = "ma200"\nzone = "SPX"\nstates = ["X"]', r"exactly one of .*names rule, zone"),
        ('states = ["X"]', "exactly one of rule, input, zone or verdict"),
        ('rule = "ma200"', "give states, not_states or vote"),
        ('zone = "SPX"\nvote = "bullish"', "a zone has no vote"),
        ('input = "x"\nvote = "up"', r"conditions\[1\]\.vote: 'up' is not one of"),
        ('rule = "ma200"\nstate = ["X"]', r"conditions\[1\]: unknown key state"),
        ('rule = "ma200"\nstates = "X"', r"conditions\[1\]\.states: expected a list"),
    ],
)
def test_a_bad_condition_is_named(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(SettingsError, match=r"\[thesis\] conditions\[1\]") as err:
        _params(tmp_path, f"[thesis]\n[[thesis.conditions]]\n{table}\n")
    assert err.match(message)


def test_each_condition_is_met_not_met_or_not_available(snap: Snapshot, tmp_path: Path) -> None:
    frame = _check(snap, _params(tmp_path, TOML))
    rows = {r["label"]: r for r in frame.iter_rows(named=True)}
    assert list(rows) == [
        "metals_block",
        "dark pool (§3)",
        "SPX has room to its ceiling",
        "NVDA verdict",
        "sell_america",
        "NOSUCH zone",
    ]
    # the sample's story: DXY closed ≤ 100 twice, so the metals block lifted
    metals = rows["metals_block"]
    assert (metals["actual"], metals["mark"], metals["changed"], metals["prior"]) == (
        "NONE",
        1,
        True,
        "HARD",
    )
    assert metals["figure"] == regime_key(snap.regime.get("metals_block"))
    # dark prints in SPY/QQQ/IWM at the bid: the dark-pool input votes bearish
    dark = rows["dark pool (§3)"]
    assert (dark["actual"], dark["mark"]) == ("bearish", -1)
    assert dark["figure"] is not None and dark["figure"] in snap.explanations
    # SPX closed at its ceiling: no room
    spx = rows["SPX has room to its ceiling"]
    assert (spx["actual"], spx["mark"], spx["wanted"]) == (
        "AT CEILING",
        -1,
        "not AT CEILING or ABOVE CEILING",
    )
    assert spx["figure"] == "zones.SPX"
    nvda = snap.tickers.filter(pl.col("symbol") == "NVDA")["verdict"][0]
    assert rows["NVDA verdict"]["actual"] == nvda
    assert rows["NVDA verdict"]["mark"] == (1 if nvda in ("CONTESTED", "ACCUMULATION") else -1)
    five_day = snap.regime.get("sell_america", window=5)
    assert five_day is not None
    assert rows["sell_america"]["actual"] == five_day.state
    assert rows["sell_america"]["mark"] == (-1 if five_day.vote == -1 else 1)
    missing = rows["NOSUCH zone"]
    assert missing["actual"] is None and missing["mark"] is None and missing["figure"] is None


def test_without_conditions_the_checklist_is_every_rules_vote(snap: Snapshot) -> None:
    frame = _check(snap, ThesisParams())
    assert frame["key"].to_list() == [regime_key(r) for r in snap.regime.rules]
    assert frame["actual"].to_list() == [r.state for r in snap.regime.rules]
    votes = [r.vote for r in snap.regime.rules]
    assert [m for m, v in zip(frame["mark"], votes, strict=True) if v is not None] == [
        v for v in votes if v is not None
    ]
