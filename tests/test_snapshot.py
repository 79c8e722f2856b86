"""build_snapshot on the bundled sample finds what the scenario planted (data/SCENARIO.md),
and its figures are traceable, settings-driven and independent of how files are split."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from flowterm.core import fmt
from flowterm.core.regime import Rule
from flowterm.core.settings import SettingsError
from flowterm.core.snapshot import Snapshot, SnapshotError, build_snapshot

DATA = Path(__file__).resolve().parents[1] / "data"
LAST = date(2026, 4, 8)


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return build_snapshot(DATA)


def test_latest_session_by_default(snap: Snapshot) -> None:
    assert snap.session == LAST
    assert snap.sessions == (
        date(2026, 4, 1),
        date(2026, 4, 2),
        date(2026, 4, 6),
        date(2026, 4, 7),
        LAST,
    )
    assert snap.rejects.is_empty() and snap.errors == ()


def test_index_etf_dark_prints_are_distribution_with_an_spy_ladder(snap: Snapshot) -> None:
    today = snap.dark_days.filter(pl.col("session") == LAST)
    labels = dict(today.select("symbol", pl.col("label").cast(pl.String)).iter_rows())
    assert {labels[s] for s in ("SPY", "QQQ", "IWM")} == {"DISTRIBUTION"}
    spy = snap.dark_ladders.filter((pl.col("symbol") == "SPY") & pl.col("active"))
    assert spy.row(0, named=True)["days"] >= 3
    assert str(spy.row(0, named=True)["label"]) == "DISTRIBUTION"


def test_megacap_call_selling_flips_and_rklb_is_bearish(snap: Snapshot) -> None:
    top = snap.flow.top
    flips = set(top.filter(pl.col("flip"))["underlying"].to_list())
    assert {"NVDA", "GOOGL", "AVGO"} <= flips
    for name in ("NVDA", "GOOGL", "AVGO"):
        row = top.filter(pl.col("underlying") == name).row(0, named=True)
        assert row["calls"] > row["puts"]  # naive: call-heavy
        assert row["net"] < 0  # side-adjusted: bearish
    rklb = snap.flow.tickers.filter(pl.col("underlying") == "RKLB").row(0, named=True)
    assert rklb["net"] < -0.25 * rklb["total"]
    assert rklb["puts_bought"] > rklb["puts_sold"] and rklb["calls_sold"] > rklb["calls_bought"]
    assert snap.flow.flip.rate == pytest.approx(snap.flow.flip.flips / 16)


def test_market_flow_is_net_bearish_with_moderate_confidence(snap: Snapshot) -> None:
    m = snap.flow.market
    assert m.net < 0
    assert m.grade == "MODERATE"
    assert m.bullish == pytest.approx(m.calls_bought + m.puts_sold)
    assert m.calls_bought + m.calls_sold + m.puts_bought + m.puts_sold + m.unknown == (
        pytest.approx(m.total)
    )


def test_indexes_close_at_their_zone_ceilings(snap: Snapshot) -> None:
    zones = snap.zones.filter(pl.col("symbol").is_in(["SPX", "SPY", "QQQ", "IWM"]))
    assert zones["status"].to_list() == ["AT CEILING"] * 4
    assert set(zones["source"].to_list()) == {"straddle"}


def test_dollar_below_100_lifts_the_metals_block(snap: Snapshot) -> None:
    block = snap.regime.get(Rule.METALS_BLOCK)
    assert block is not None
    assert block.state == "NONE" and block.prior_state == "HARD" and block.changed
    sell = snap.regime.get(Rule.SELL_AMERICA, window=1)
    assert sell is not None and sell.state == "SELL AMERICA"


def test_convergence_counts_its_inputs_and_keeps_history(snap: Snapshot) -> None:
    inputs = snap.convergence_inputs
    votes = inputs["vote"]
    c = snap.convergence
    assert (c.bullish, c.bearish) == ((votes == 1).sum(), (votes == -1).sum())
    assert set(inputs["source"].unique().to_list()) == {"computed", "analyst"}
    options = inputs.filter(pl.col("name") == "Options net (§2)").row(0, named=True)
    assert options["vote"] == -1
    dark = inputs.filter(pl.col("name") == "Dark pool (§3)").row(0, named=True)
    assert dark["vote"] == -1
    assert [d for d, _ in snap.convergence_history] == list(snap.sessions)
    assert snap.convergence_history_text.count("→") == len(snap.sessions) - 1
    assert snap.convergence_history[-1][1] == c


def test_every_headline_figure_explains_itself(snap: Snapshot) -> None:
    net = snap.explain("flow.market.net")
    assert net is not None
    assert net.section == "§2.1"
    assert net.value == snap.flow.market.net
    assert net.inputs["Bullish"] - net.inputs["Bearish"] == pytest.approx(net.value)
    assert net.display == fmt.money(snap.flow.market.net, signed=True)
    assert net.sources == ("2026-04-08/options.parquet",)
    assert "min_premium" in net.params
    spy = snap.explain("darkpool.SPY")
    assert spy is not None and spy.inputs["AtAsk"] - spy.inputs["AtBid"] == pytest.approx(spy.value)
    spx = snap.explain("zones.SPX")
    assert spx is not None and spx.value == "AT CEILING" and spx.sources
    assert snap.explain("gamma.SPX") is not None
    for explanation in snap.explanations.values():
        assert explanation.to_dict()["figure"] == explanation.figure


def test_explanations_are_built_once_on_first_use_from_any_thread() -> None:
    from concurrent.futures import ThreadPoolExecutor

    fresh = build_snapshot(DATA, cache=None)
    assert not fresh.explanations.ready  # the snapshot was ready without them
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(fresh.explain, ["flow.market.net"] * 8))
    assert fresh.explanations.ready
    assert all(e is found[0] for e in found)  # built once, shared
    assert found[0] is not None and found[0].value == fresh.flow.market.net


def test_an_earlier_session_sees_only_its_past() -> None:
    earlier = build_snapshot(DATA, date(2026, 4, 6))
    assert earlier.session == date(2026, 4, 6)
    assert [d for d, _ in earlier.convergence_history][-1] == date(2026, 4, 6)
    assert earlier.dark_days["session"].max() == date(2026, 4, 6)
    with pytest.raises(SnapshotError):
        build_snapshot(DATA, date(2026, 4, 3))


def _copy_sample(tmp_path: Path, sessions: tuple[str, ...]) -> Path:
    out = tmp_path / "data"
    out.mkdir(parents=True)
    for name in ("bars", *sessions):
        shutil.copytree(DATA / name, out / name)
    for name in ("macro.csv", "events.csv", "sectors.csv", "inputs.csv"):
        shutil.copy(DATA / name, out / name)
    return out


def test_splitting_a_session_into_part_files_changes_nothing(tmp_path: Path) -> None:
    whole = _copy_sample(tmp_path / "whole", ("2026-04-07", "2026-04-08"))
    split = _copy_sample(tmp_path / "split", ("2026-04-07", "2026-04-08"))
    day = split / "2026-04-08"
    prints = pl.read_parquet(day / "options.parquet").sample(fraction=1.0, shuffle=True, seed=7)
    (day / "options.parquet").unlink()
    half = prints.height // 2
    prints.head(half).write_parquet(day / "options_part1.parquet")
    prints.tail(prints.height - half).write_csv(day / "options_part2.csv")
    a, b = build_snapshot(whole), build_snapshot(split)
    assert b.flow.market.net == pytest.approx(a.flow.market.net, rel=1e-12)
    assert b.flow.market.total == pytest.approx(a.flow.market.total, rel=1e-12)
    assert b.flow.top["underlying"].to_list() == a.flow.top["underlying"].to_list()
    assert b.convergence == a.convergence


def test_settings_change_the_analysis_and_typos_are_named(tmp_path: Path) -> None:
    data = _copy_sample(tmp_path, ("2026-04-08",))
    (data / "flowterm.toml").write_text("[flow]\nmin_premium = 1e12\n", encoding="utf-8")
    assert build_snapshot(data).flow.market.grade == "INSUFFICIENT"
    (data / "flowterm.toml").write_text("[flow]\nmin_premum = 1e12\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"\[flow\] min_premum"):
        build_snapshot(data)


def test_a_rebuild_reuses_unchanged_files_and_keeps_the_last_good_rows(tmp_path: Path) -> None:
    data = _copy_sample(tmp_path, ("2026-04-08",))
    first = build_snapshot(data)
    # the drill-down frames are lazy (a full session is millions of prints)
    assert first.option_prints.collect().height == first.flow.market.prints_seen
    assert first.dark_prints.collect()["session"].unique().to_list() == [LAST]
    assert first.files == len(first.inputs.results) and first.newest_mtime_ns > 0
    options = data / "2026-04-08" / "options.parquet"
    good = options.read_bytes()
    # unchanged files are reused, not read again
    again = build_snapshot(data, previous=first.inputs)
    assert (
        again.inputs.results["2026-04-08/options.parquet"]
        is (first.inputs.results["2026-04-08/options.parquet"])
    )
    # a file that turns unreadable keeps its last good rows, and says so
    options.write_bytes(good[: len(good) // 2])
    broken = build_snapshot(data, previous=first.inputs)
    assert broken.stale == ("2026-04-08/options.parquet",)
    assert any("options.parquet" in e for e in broken.errors)
    assert broken.flow.market.net == first.flow.market.net
    # without a previous read the broken file is simply missing, and reported
    cold = build_snapshot(data)
    assert cold.flow.market.total == 0 and any("options.parquet" in e for e in cold.errors)
