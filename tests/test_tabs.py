"""The six tabs on the bundled sample: what they show is core.fmt's rendering of the snapshot.

Each tab is mounted alone in a tiny harness app (no dependency on the app shell) with the real
snapshot, built once per module. Widget content is read from the DataTable cells and the Static
renderables, so the assertions compare exact strings.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import polars as pl
import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Static

from flowterm.core import fmt
from flowterm.core.provenance import Explanation
from flowterm.core.snapshot import Snapshot, build_snapshot
from flowterm.tui.cells import Palette, safe, zone_bar
from flowterm.tui.messages import TickerSelected
from flowterm.tui.tabs import (
    TAB_CLASSES,
    ConvergenceTab,
    DarkpoolTab,
    FlowTab,
    RegimeTab,
    TabView,
    TickersTab,
    ZonesTab,
)
from flowterm.tui.tabs.base import first_present
from flowterm.tui.tabs.regime import RuleBox, rule_key
from flowterm.tui.tabs.table import KeyedTable
from flowterm.tui.tabs.tickers import GexChart

DATA = Path(__file__).resolve().parents[1] / "data"
HOSTILE = ("[bold red]x", "[/", "[0]", "[link=file:///etc/passwd]x[/link]", "\x1b[2J")

T = TypeVar("T", bound=TabView)


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return build_snapshot(DATA)


class Harness(App[None]):
    """One tab, shown with ``snapshot``; records the TickerSelected messages it receives."""

    def __init__(self, tab: TabView, snapshot: Snapshot, selected: str | None = None) -> None:
        super().__init__()
        self.tab = tab
        self.snapshot = snapshot
        self.selected = selected
        self.selections: list[str] = []

    def compose(self) -> ComposeResult:
        yield self.tab

    def on_mount(self) -> None:
        self.tab.show(self.snapshot, self.selected)

    def on_ticker_selected(self, message: TickerSelected) -> None:
        self.selections.append(message.symbol)


def run(
    tab: T,
    snapshot: Snapshot,
    check: Callable[[T, Pilot[None], Harness], Awaitable[None]],
    *,
    size: tuple[int, int] = (80, 24),
    selected: str | None = None,
) -> None:
    async def main() -> None:
        app = Harness(tab, snapshot, selected)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await check(tab, pilot, app)

    asyncio.run(main())


def cell(tab: TabView, table: str, row: str, column: str) -> str:
    value = tab.query_one(f"#{table}", KeyedTable).get_cell(row, column)
    assert isinstance(value, Text)
    return value.plain


def static(tab: TabView, widget: str) -> str:
    content = tab.query_one(f"#{widget}", Static).content
    assert isinstance(content, Text)
    return content.plain


def today(frame: pl.DataFrame, snapshot: Snapshot, column: str = "session") -> pl.DataFrame:
    return frame.filter(pl.col(column) == snapshot.session)


# ------------------------------------------------------------------------------------------
# the interface
# ------------------------------------------------------------------------------------------


def test_tab_classes_in_order() -> None:
    assert [c.TAB_ID for c in TAB_CLASSES] == [
        "regime",
        "zones",
        "flow",
        "darkpool",
        "tickers",
        "convergence",
    ]
    assert [c.TITLE for c in TAB_CLASSES] == [
        "Regime",
        "Zones",
        "Flow",
        "Darkpool",
        "Tickers",
        "Convergence",
    ]
    assert all(issubclass(c, TabView) for c in TAB_CLASSES)


# ------------------------------------------------------------------------------------------
# zones
# ------------------------------------------------------------------------------------------


def test_zones_show_every_symbol_as_fmt_renders_it(snap: Snapshot) -> None:
    async def check(tab: ZonesTab, pilot: Pilot[None], app: Harness) -> None:
        table = tab.query_one("#zones-table", KeyedTable)
        assert table.row_count == snap.zones.height
        trend = {r["symbol"]: r for r in snap.trend.iter_rows(named=True)}
        for z in snap.zones.iter_rows(named=True):
            sym = z["symbol"]
            assert cell(tab, "zones-table", sym, "symbol") == sym
            assert cell(tab, "zones-table", sym, "close") == fmt.num(z["close"], 2)
            assert cell(tab, "zones-table", sym, "upside") == fmt.pct(z["upside"])
            assert cell(tab, "zones-table", sym, "downside") == fmt.pct(z["downside"])
            assert cell(tab, "zones-table", sym, "status") == z["status"]
            assert cell(tab, "zones-table", sym, "ratio") == z["ratio_text"]
            adx = trend[sym]["adx"]
            assert cell(tab, "zones-table", sym, "range").startswith(fmt.num(adx, 1))
        assert cell(tab, "zones-table", "SPX", "status") == "AT CEILING"
        # the story: the index ETFs at their ceilings lead the default order
        first = [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(4)]
        assert set(first) == {"SPX", "SPY", "QQQ", "IWM"}
        assert "4 at or above the ceiling" in static(tab, "zones-title")

    run(ZonesTab(), snap, check)


def test_zones_wide_shows_levels_and_trend_label(snap: Snapshot) -> None:
    async def check(tab: ZonesTab, pilot: Pilot[None], app: Harness) -> None:
        spx = snap.zones.filter(pl.col("symbol") == "SPX").row(0, named=True)
        t = snap.trend.filter(pl.col("symbol") == "SPX").row(0, named=True)
        assert cell(tab, "zones-table", "SPX", "low") == fmt.num(spx["low"], 2)
        assert cell(tab, "zones-table", "SPX", "mid") == fmt.num(spx["mid"], 2)
        assert cell(tab, "zones-table", "SPX", "high") == fmt.num(spx["high"], 2)
        assert cell(tab, "zones-table", "SPX", "trend") == (
            f"{t['trend_label']} {t['trend_colour']}"
        )

    run(ZonesTab(), snap, check, size=(160, 48))


def test_zones_narrow_hides_secondary_columns(snap: Snapshot) -> None:
    async def check(tab: ZonesTab, pilot: Pilot[None], app: Harness) -> None:
        table = tab.query_one("#zones-table", KeyedTable)
        keys = [c.value for c in table.columns]
        assert "low" not in keys and "trend" not in keys
        assert {"symbol", "close", "status", "ratio", "range", "bar"} <= set(keys)
        assert table.virtual_size.width <= 80

    run(ZonesTab(), snap, check)


def test_zones_sort_by_value_keeps_the_cursor_row(snap: Snapshot) -> None:
    async def check(tab: ZonesTab, pilot: Pilot[None], app: Harness) -> None:
        table = tab.query_one("#zones-table", KeyedTable)
        tab.select_ticker("NVDA")
        await pilot.pause()
        table.sort_by("downside", reverse=False)
        await pilot.pause()
        assert table.cursor_key == "NVDA"
        order = [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(3)]
        expected = snap.zones.sort("downside")["symbol"].head(3).to_list()
        assert order == expected
        table.sort_by("symbol", reverse=False)
        await pilot.pause()
        first = table.coordinate_to_cell_key((0, 0)).row_key.value
        assert first == sorted(snap.zones["symbol"])[0]
        assert table.cursor_key == "NVDA"

    run(ZonesTab(), snap, check)


def test_zone_bar_places_the_close() -> None:
    palette = Palette.plain()
    assert zone_bar(0.0, 9, palette.bull).plain == "├●──┼───┤"
    assert zone_bar(1.0, 9).plain == "├───┼──●┤"
    assert zone_bar(1.2, 9).plain == "├───┼──▶┤"
    assert zone_bar(-0.1, 9).plain == "├◀──┼───┤"
    assert zone_bar(None, 9).plain.strip() == fmt.MISSING


# ------------------------------------------------------------------------------------------
# flow
# ------------------------------------------------------------------------------------------


def test_flow_market_decomposition(snap: Snapshot) -> None:
    m = snap.flow.market

    async def check(tab: FlowTab, pilot: Pilot[None], app: Harness) -> None:
        def value(key: str) -> str:
            return cell(tab, "flow-market", key, "value")

        assert value("flow.market.net") == fmt.money(m.net, signed=True)
        assert value("flow.market.calls_bought") == fmt.money(m.calls_bought)
        assert value("flow.market.calls_sold") == fmt.money(m.calls_sold)
        assert value("flow.market.puts_bought") == fmt.money(m.puts_bought)
        assert value("flow.market.puts_sold") == fmt.money(m.puts_sold)
        assert value("flow.market.unknown") == fmt.money(m.unknown)
        assert value("flow.market.bullish") == fmt.money(m.bullish)
        assert value("flow.market.bearish") == fmt.money(m.bearish)
        assert value("flow.market.unknown_share") == fmt.pct(m.unknown_share, 1, signed=False)
        assert cell(tab, "flow-market", "flow.market.unknown_share", "note") == str(m.grade)
        assert value("flow.market.ratios") == (
            f"{fmt.num(m.naive_call_put, 2)} · {fmt.num(m.adjusted_call_put, 2)}"
        )
        assert value("flow.flip_rate") == fmt.pct(snap.flow.flip.rate, 1, signed=False)
        assert f"Side rule {m.side_mode}" in static(tab, "flow-rule")
        assert fmt.money(m.total) in static(tab, "flow-title")

    run(FlowTab(), snap, check)


def test_flow_top_names_naive_vs_adjusted_with_flips(snap: Snapshot) -> None:
    async def check(tab: FlowTab, pilot: Pilot[None], app: Harness) -> None:
        table = tab.query_one("#flow-top", KeyedTable)
        assert table.row_keys() == snap.flow.top["underlying"].to_list()
        flips = []
        for r in snap.flow.top.iter_rows(named=True):
            sym = r["underlying"]
            assert cell(tab, "flow-top", sym, "total") == fmt.money(r["total"])
            assert cell(tab, "flow-top", sym, "net") == fmt.money(r["net"], signed=True)
            assert cell(tab, "flow-top", sym, "naive").endswith(str(r["naive_label"]))
            assert cell(tab, "flow-top", sym, "adjusted").endswith(str(r["adjusted_label"]))
            if cell(tab, "flow-top", sym, "flip") == "⇄ FLIP":
                flips.append(sym)
        assert flips == ["NVDA", "AAPL", "AMZN", "GOOGL", "AVGO"]
        assert cell(tab, "flow-top", "NVDA", "naive") == "▲ BULL"
        assert cell(tab, "flow-top", "NVDA", "adjusted") == "▼ BEAR"
        rate = fmt.pct(snap.flow.flip.rate, 1, signed=False)
        assert f"flip rate {rate} (5 of 16)" in static(tab, "flow-top-title")

    run(FlowTab(), snap, check)


def test_flow_sectors_and_tickers(snap: Snapshot) -> None:
    async def check(tab: FlowTab, pilot: Pilot[None], app: Harness) -> None:
        for r in snap.flow.sectors.iter_rows(named=True):
            assert cell(tab, "flow-sectors", r["sector"], "net") == fmt.money(r["net"], signed=True)
        tickers = tab.query_one("#flow-tickers", KeyedTable)
        assert tickers.row_count == snap.flow.tickers.height
        for r in snap.flow.tickers.iter_rows(named=True):
            sym = r["underlying"]
            assert cell(tab, "flow-tickers", sym, "net") == fmt.money(r["net"], signed=True)
            assert cell(tab, "flow-tickers", sym, "grade") == str(r["grade"])

    run(FlowTab(), snap, check)


# ------------------------------------------------------------------------------------------
# darkpool
# ------------------------------------------------------------------------------------------


def test_darkpool_symbols_market_and_dix(snap: Snapshot) -> None:
    days = today(snap.dark_days, snap)
    market = today(snap.dark_market, snap).row(0, named=True)
    dix = today(snap.dix, snap, "date").row(0, named=True)

    async def check(tab: DarkpoolTab, pilot: Pilot[None], app: Harness) -> None:
        assert cell(tab, "dark-table", "SPY", "label") == "▼ DISTRIBUTION"
        for r in days.iter_rows(named=True):
            sym = r["symbol"]
            assert cell(tab, "dark-table", sym, "net") == fmt.money(r["net"], signed=True)
            assert cell(tab, "dark-table", sym, "total") == fmt.money(r["total"])
            assert cell(tab, "dark-table", sym, "pct_at_bid") == fmt.pct(
                r["pct_at_bid"], 1, signed=False
            )
            assert cell(tab, "dark-table", sym, "label").endswith(str(r["label"]))
        assert cell(tab, "dark-table", "SPY", "ladder") == "▼ 3d"
        assert cell(tab, "dark-table", "CVX", "fast_tape") == "FAST"
        summary = static(tab, "dark-summary")
        assert f"Total {fmt.money(market['total'])}" in summary
        assert f"Net {fmt.money(market['net'], signed=True)}" in summary
        assert f"prior {fmt.money(market['prev_net'], signed=True)}" in summary
        assert f"DIX {fmt.pct(dix['dix'], 1, signed=False)}" in summary
        assert (
            f"SPY {fmt.money(days.filter(pl.col('symbol') == 'SPY')['net'][0], signed=True)}"
            in (summary)
        )
        # the story: the most-sold names lead the default order
        table = tab.query_one("#dark-table", KeyedTable)
        first = [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(3)]
        assert first == ["SPY", "QQQ", "IWM"]

    run(DarkpoolTab(), snap, check)


# ------------------------------------------------------------------------------------------
# tickers
# ------------------------------------------------------------------------------------------


def test_tickers_card_for_nvda(snap: Snapshot) -> None:
    t = snap.tickers.filter(pl.col("symbol") == "NVDA").row(0, named=True)
    gex = snap.gamma["NVDA"]

    async def check(tab: TickersTab, pilot: Pilot[None], app: Harness) -> None:
        tab.select_ticker("NVDA")
        await pilot.pause()
        assert tab.card_symbol == "NVDA"
        assert tab.query_one("#tickers-table", KeyedTable).cursor_key == "NVDA"
        card = static(tab, "ticker-card")
        assert card.startswith("NVDA")
        assert f"Verdict · {t['verdict']}" in card
        assert cell(tab, "tickers-table", "NVDA", "verdict").endswith(t["verdict"])
        assert fmt.num(t["close"], 2) in card
        assert fmt.pct(t["ret"], 2) in card
        assert f"RS {fmt.pct(t['relative_strength'], 2)}" in card
        assert f"GEX {fmt.money(gex.net_gex, signed=True)} {gex.unit.label}" in card
        assert f"Options net {fmt.money(t['opt_net'], signed=True)}" in card
        assert f"Divergence days {fmt.num(t['divergence_days'])}" in card
        chart = tab.query_one("#ticker-chart", GexChart)
        drawn = chart.render().plain
        assert "Net GEX by strike" in drawn and "spot" in drawn
        assert "put wall" in drawn
        assert all(len(row) <= chart.content_size.width for row in drawn.splitlines())
        assert app.selections == []  # a programmatic selection does not echo back

    run(TickersTab(), snap, check)


def test_tickers_card_for_spx_shows_walls_zero_gamma_and_campaign(snap: Snapshot) -> None:
    rep = snap.gamma["SPX"]
    campaign = snap.campaigns.filter(pl.col("underlying") == "SPX").row(0, named=True)

    async def check(tab: TickersTab, pilot: Pilot[None], app: Harness) -> None:
        card = static(tab, "ticker-card")
        assert card.startswith("SPX")
        assert rep.zeros[0].zero_gamma is not None
        assert f"Zero gamma {fmt.num(rep.zeros[0].zero_gamma, 2)}" in card
        assert rep.walls.call_wall is not None and rep.walls.put_wall is not None
        assert f"call {fmt.num(rep.walls.call_wall.strike, 2)}" in card
        assert f"put {fmt.num(rep.walls.put_wall.strike, 2)}" in card
        assert f"{campaign['bucket_label']}, day {campaign['days']}" in card
        assert "call wall" in tab.query_one("#ticker-chart", GexChart).render().plain

    run(TickersTab(), snap, check, size=(160, 48), selected="SPX")


def test_tickers_card_shows_ladder_and_volume_by_spot(snap: Snapshot) -> None:
    spot = snap.dark_volume_by_spot.filter(pl.col("symbol") == "SPY").row(0, named=True)

    async def check(tab: TickersTab, pilot: Pilot[None], app: Harness) -> None:
        card = static(tab, "ticker-card")
        assert "ladder DISTRIBUTION 3d" in card
        assert f"above {fmt.pct(spot['pct_above'], 1, signed=False)}" in card
        assert f"below {fmt.pct(spot['pct_below'], 1, signed=False)}" in card

    run(TickersTab(), snap, check, selected="SPY")


def test_cursor_move_posts_ticker_selected_and_card_follows(snap: Snapshot) -> None:
    async def check(tab: TickersTab, pilot: Pilot[None], app: Harness) -> None:
        table = tab.query_one("#tickers-table", KeyedTable)
        table.focus()
        tab.select_ticker("NVDA")
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()
        below = snap.tickers["symbol"].to_list()
        expected = below[below.index("NVDA") + 1]
        assert table.cursor_key == expected
        assert tab.card_symbol == expected
        assert app.selections == [expected]

    run(TickersTab(), snap, check)


# ------------------------------------------------------------------------------------------
# convergence
# ------------------------------------------------------------------------------------------


def test_convergence_count_inputs_and_history(snap: Snapshot) -> None:
    c = snap.convergence

    async def check(tab: ConvergenceTab, pilot: Pilot[None], app: Harness) -> None:
        count = static(tab, "conv-count")
        assert f"{c.bullish} vs {c.bearish}" in count
        assert fmt.versus(c.bullish, c.bearish) in count
        assert f"agreement {fmt.pct(c.agreement, 1, signed=False)}" in count
        history = static(tab, "conv-history")
        assert snap.convergence_history_text in history
        assert fmt.history((h.bullish, h.bearish) for _, h in snap.convergence_history) in history
        bullish = tab.query_one("#conv-bullish", KeyedTable)
        bearish = tab.query_one("#conv-bearish", KeyedTable)
        assert bullish.row_count == c.bullish
        assert bearish.row_count == c.bearish
        inputs = snap.convergence_inputs
        for r in inputs.filter(pl.col("vote") == -1).iter_rows(named=True):
            expected = "✎ analyst" if r["source"] == "analyst" else r["source"]
            assert cell(tab, "conv-bearish", r["name"], "source") == expected
        assert "CPI event risk" in bearish.row_keys()  # an analyst input, beside the computed ones
        other = tab.query_one("#conv-other", KeyedTable)
        assert other.row_count == c.neutral + c.not_available

    run(ConvergenceTab(), snap, check)


# ------------------------------------------------------------------------------------------
# regime
# ------------------------------------------------------------------------------------------


def test_regime_boxes_and_checklist(snap: Snapshot) -> None:
    async def check(tab: RegimeTab, pilot: Pilot[None], app: Harness) -> None:
        boxes = {b.key: b for b in tab.query(RuleBox)}
        assert list(boxes) == list(RegimeTab.BOX_ORDER)

        def text(key: str) -> str:
            content = boxes[key].content
            assert isinstance(content, Text)
            return content.plain

        assert "▼ SELL AMERICA" in text("regime.sell_america")
        assert "changed, was NO" in text("regime.sell_america")
        assert "BEAR STEEPENER" in text("regime.curve")
        assert "▲ NONE" in text("regime.metals_block")
        assert "changed, was HARD" in text("regime.metals_block")
        assert "RECLAIM TENTATIVE" in text("regime.ma200")
        assert "STAGFLATION TILT" in text("regime.ism")
        assert "WTI 85.87 ← 98.70" in text("regime.dxy_oil")
        assert "US10Y 4.42 ← 4.38" in text("regime.rates")
        # an input older than the session keeps its date even when narrow
        assert "ISM_PMI 48.70 (04-01)" in text("regime.ism")
        checklist = tab.query_one("#regime-checklist", KeyedTable)
        assert checklist.row_keys() == [rule_key(r) for r in snap.regime.rules]
        assert cell(tab, "regime-checklist", "regime.sell_america.w1", "mark") == "✗"
        assert cell(tab, "regime-checklist", "regime.metals_block", "mark") == "✓"

    run(RegimeTab(), snap, check)


def test_regime_checklist_takes_its_conditions_from_settings(snap: Snapshot) -> None:
    from flowterm.core.thesis import Condition, ThesisParams

    params = ThesisParams(
        name="[bold red]Long",
        conditions=(
            Condition(rule="metals_block", states=("NONE",)),
            Condition(zone="SPX", not_states=("AT CEILING",), label="SPX room"),
            Condition(zone="NOSUCH", states=("mid-range",)),
        ),
    )
    shown = dataclasses.replace(snap, settings={**snap.settings, "thesis": params})

    async def check(tab: RegimeTab, pilot: Pilot[None], app: Harness) -> None:
        checklist = tab.query_one("#regime-checklist", KeyedTable)
        keys = checklist.row_keys()
        assert len(keys) == 3
        marks = [cell(tab, "regime-checklist", k, "mark") for k in keys]
        states = [cell(tab, "regime-checklist", k, "state") for k in keys]
        assert marks == ["✓", "✗", "?"]
        assert states == ["NONE", "AT CEILING", "n/a"]
        assert cell(tab, "regime-checklist", keys[1], "condition") == "SPX room"
        title = static(tab, "checklist-title")
        # the name comes from a file: shown literally, never as markup
        assert title.startswith("Thesis checklist · [bold red]Long: ✓ 1  ✗ 1")
        assert "(from [thesis] conditions)" in title
        checklist.focus()
        checklist.move_cursor(row=1)
        await pilot.pause()
        assert tab.focused_figure() == "zones.SPX"

    run(RegimeTab(), shown, check, size=(160, 48))


def test_regime_boxes_wide_date_every_input(snap: Snapshot) -> None:
    async def check(tab: RegimeTab, pilot: Pilot[None], app: Harness) -> None:
        boxes = {b.key: b for b in tab.query(RuleBox)}
        dxy_oil = boxes["regime.dxy_oil"].content
        sell = boxes["regime.sell_america"].content
        assert isinstance(dxy_oil, Text) and isinstance(sell, Text)
        assert "WTI 85.87 (04-08) ← 98.70 (04-07)" in dxy_oil.plain
        assert "DXY 99.62 (04-08) ← 101.58 (03-31)" in sell.plain  # the 5-session window

    run(RegimeTab(), snap, check, size=(160, 48))


def test_regime_box_focus_names_its_figure_and_inputs(snap: Snapshot) -> None:
    explanation = Explanation("regime.sell_america", "Sell America", "§8.1", "", None, "")
    extended = dataclasses.replace(
        snap, explanations={**snap.explanations, "regime.sell_america": explanation}
    )

    async def check(tab: RegimeTab, pilot: Pilot[None], app: Harness) -> None:
        tab.query_one("#box-regime-sell_america", RuleBox).focus()
        await pilot.pause()
        assert tab.focused_figure() == "regime.sell_america"
        drill = tab.drill_down()
        assert drill is not None
        assert set(drill.frame["input"]) == {"DXY", "US10Y", "SPX"}
        await pilot.press("right")
        assert isinstance(app.focused, RuleBox) and app.focused.key == "regime.curve"

    run(RegimeTab(), extended, check)


# ------------------------------------------------------------------------------------------
# select_ticker, focused_figure, drill_down on every tab
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tab_class", "table"),
    [
        (ZonesTab, "zones-table"),
        (FlowTab, "flow-top"),
        (FlowTab, "flow-tickers"),
        (DarkpoolTab, "dark-table"),
        (TickersTab, "tickers-table"),
    ],
)
def test_select_ticker_moves_the_cursor(
    snap: Snapshot, tab_class: type[TabView], table: str
) -> None:
    async def check(tab: TabView, pilot: Pilot[None], app: Harness) -> None:
        t = tab.query_one(f"#{table}", KeyedTable)
        tab.select_ticker("META")
        await pilot.pause()
        assert t.cursor_key == "META"
        tab.select_ticker("NOT-A-TICKER")
        await pilot.pause()
        assert t.cursor_key == "META"
        # a redraw keeps the place
        tab.show(snap, "META")
        await pilot.pause()
        assert t.cursor_key == "META"
        assert app.selections == []

    run(tab_class(), snap, check)


@pytest.mark.parametrize("tab_class", [ZonesTab, FlowTab, DarkpoolTab, TickersTab, ConvergenceTab])
def test_focused_figure_is_an_explanation_key(snap: Snapshot, tab_class: type[TabView]) -> None:
    async def check(tab: TabView, pilot: Pilot[None], app: Harness) -> None:
        tab.select_ticker("SPY")
        for table in tab.query(KeyedTable):
            table.focus()
            await pilot.pause()
            figure = tab.focused_figure()
            if table.id in ("flow-sectors", "flow-tickers"):
                assert figure is None or figure in snap.explanations
                continue
            assert figure in snap.explanations, (table.id, table.cursor_key)

    run(tab_class(), snap, check)


def test_focused_figures_name_the_row(snap: Snapshot) -> None:
    async def zones(tab: ZonesTab, pilot: Pilot[None], app: Harness) -> None:
        tab.query_one("#zones-table", KeyedTable).focus()
        tab.select_ticker("SPX")
        await pilot.pause()
        assert tab.focused_figure() == "zones.SPX"

    async def dark(tab: DarkpoolTab, pilot: Pilot[None], app: Harness) -> None:
        tab.select_ticker("SPY")
        await pilot.pause()
        assert tab.focused_figure() == "darkpool.SPY"

    async def flow(tab: FlowTab, pilot: Pilot[None], app: Harness) -> None:
        market = tab.query_one("#flow-market", KeyedTable)
        market.focus()
        await pilot.pause()
        market.move_to("flow.market.net")
        await pilot.pause()
        assert tab.focused_figure() == "flow.market.net"
        tab.query_one("#flow-top", KeyedTable).focus()
        await pilot.pause()
        # the name's own flow when core explains it, else the flip rate of the top names
        assert tab.focused_figure() == first_present(snap, "flow.ticker.SPX", "flow.flip_rate")

    async def conv(tab: ConvergenceTab, pilot: Pilot[None], app: Harness) -> None:
        first = tab.query_one("#conv-bullish", KeyedTable).cursor_key
        assert first is not None
        expected = first_present(snap, f"convergence.input.{first}", "convergence.count")
        assert tab.focused_figure() == expected

    async def tick(tab: TickersTab, pilot: Pilot[None], app: Harness) -> None:
        tab.select_ticker("SPX")
        await pilot.pause()
        assert tab.focused_figure() == first_present(snap, "tickers.SPX", "gamma.SPX")
        tab.select_ticker("SPY")
        await pilot.pause()
        assert tab.focused_figure() == first_present(snap, "tickers.SPY", "darkpool.SPY")

    run(ZonesTab(), snap, zones)
    run(DarkpoolTab(), snap, dark)
    run(FlowTab(), snap, flow)
    run(ConvergenceTab(), snap, conv)
    run(TickersTab(), snap, tick)


def test_regime_checklist_figure_and_inputs(snap: Snapshot) -> None:
    async def check(tab: RegimeTab, pilot: Pilot[None], app: Harness) -> None:
        checklist = tab.query_one("#regime-checklist", KeyedTable)
        checklist.focus()
        await pilot.pause()
        assert checklist.cursor_key == "regime.sell_america.w1"
        figure = tab.focused_figure()
        assert figure == first_present(snap, "regime.sell_america.w1", "regime.sell_america")
        drill = tab.drill_down()
        assert drill is not None and set(drill.frame["input"]) == {"DXY", "US10Y", "SPX"}

    run(RegimeTab(), snap, check)


def test_drill_down_flow_ticker_prints(snap: Snapshot) -> None:
    nvda = snap.flow.top.filter(pl.col("underlying") == "NVDA").row(0, named=True)

    async def check(tab: FlowTab, pilot: Pilot[None], app: Harness) -> None:
        tab.query_one("#flow-top", KeyedTable).focus()
        tab.select_ticker("NVDA")
        await pilot.pause()
        drill = tab.drill_down()
        assert drill is not None and "NVDA" in drill.title
        assert drill.frame.height > 0
        assert set(drill.frame["underlying"]) == {"NVDA"}
        assert drill.frame["exclusion"].null_count() == drill.frame.height
        assert drill.frame["premium"].sum() == pytest.approx(nvda["total"])

    run(FlowTab(), snap, check)


def test_drill_down_flow_market_bucket(snap: Snapshot) -> None:
    async def check(tab: FlowTab, pilot: Pilot[None], app: Harness) -> None:
        market = tab.query_one("#flow-market", KeyedTable)
        market.focus()
        market.move_to("flow.market.calls_bought")
        await pilot.pause()
        drill = tab.drill_down()
        assert drill is not None
        assert set(drill.frame["bucket"].cast(pl.String)) == {"CB"}
        assert drill.frame["premium"].sum() == pytest.approx(snap.flow.market.calls_bought)

    run(FlowTab(), snap, check)


def test_drill_down_darkpool_symbol_prints(snap: Snapshot) -> None:
    spy = today(snap.dark_days, snap).filter(pl.col("symbol") == "SPY").row(0, named=True)

    async def check(tab: DarkpoolTab, pilot: Pilot[None], app: Harness) -> None:
        tab.select_ticker("SPY")
        await pilot.pause()
        drill = tab.drill_down()
        assert drill is not None
        assert set(drill.frame["symbol"]) == {"SPY"}
        assert not drill.frame["excluded"].any()
        assert drill.frame["notional"].sum() == pytest.approx(spy["total"])

    run(DarkpoolTab(), snap, check)


def test_drill_down_tickers_and_zones(snap: Snapshot) -> None:
    async def tick(tab: TickersTab, pilot: Pilot[None], app: Harness) -> None:
        tab.select_ticker("TSLA")
        await pilot.pause()
        drill = tab.drill_down()
        assert drill is not None and set(drill.frame["underlying"]) == {"TSLA"}

    async def zones(tab: ZonesTab, pilot: Pilot[None], app: Harness) -> None:
        tab.select_ticker("SPX")
        await pilot.pause()
        drill = tab.drill_down()
        assert drill is not None and drill.frame["symbol"].to_list() == ["SPX"]

    run(TickersTab(), snap, tick)
    run(ZonesTab(), snap, zones)


# ------------------------------------------------------------------------------------------
# themes and hostile text
# ------------------------------------------------------------------------------------------


def test_theme_change_recolours_cells(snap: Snapshot) -> None:
    async def check(tab: DarkpoolTab, pilot: Pilot[None], app: Harness) -> None:
        before = tab.query_one("#dark-table", KeyedTable).get_cell("SPY", "net")
        assert isinstance(before, Text)
        app.theme = "solarized-light"
        await pilot.pause()
        await pilot.pause()
        after = tab.query_one("#dark-table", KeyedTable).get_cell("SPY", "net")
        assert isinstance(after, Text)
        assert after.plain == before.plain
        assert str(after.style) != str(before.style)
        assert after.style == tab.palette.bear

    run(DarkpoolTab(), snap, check)


def _hostile(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    names = frame[column].unique(maintain_order=True).head(len(HOSTILE)).to_list()
    mapping = dict(zip(names, HOSTILE, strict=False))
    return frame.with_columns(pl.col(column).replace(mapping))


def hostile_snapshot(snap: Snapshot) -> Snapshot:
    flow = dataclasses.replace(
        snap.flow,
        top=_hostile(snap.flow.top, "underlying"),
        tickers=_hostile(snap.flow.tickers, "underlying"),
        sectors=_hostile(snap.flow.sectors, "sector"),
    )
    return dataclasses.replace(
        snap,
        flow=flow,
        tickers=_hostile(snap.tickers, "symbol"),
        zones=_hostile(snap.zones, "symbol"),
        trend=_hostile(snap.trend, "symbol"),
        dark_days=_hostile(snap.dark_days, "symbol"),
        convergence_inputs=_hostile(snap.convergence_inputs, "name"),
    )


@pytest.mark.parametrize(
    ("tab_class", "tables"),
    [
        (ZonesTab, (("zones-table", "symbol"),)),
        (
            FlowTab,
            (("flow-top", "name"), ("flow-tickers", "symbol"), ("flow-sectors", "sector")),
        ),
        (DarkpoolTab, (("dark-table", "symbol"),)),
        (TickersTab, (("tickers-table", "symbol"),)),
        (
            ConvergenceTab,
            (("conv-bullish", "name"), ("conv-bearish", "name"), ("conv-other", "name")),
        ),
    ],
)
def test_hostile_names_print_literally(
    snap: Snapshot, tab_class: type[TabView], tables: tuple[tuple[str, str], ...]
) -> None:
    bad = hostile_snapshot(snap)

    async def check(tab: TabView, pilot: Pilot[None], app: Harness) -> None:
        seen: set[str] = set()
        for table_id, column in tables:
            table = tab.query_one(f"#{table_id}", KeyedTable)
            for key in table.row_keys():
                if key in HOSTILE:
                    assert cell(tab, table_id, key, column) == safe(key)
                    seen.add(key)
        assert seen == set(HOSTILE)
        for name in HOSTILE:
            tab.select_ticker(name)
            await pilot.pause()
        # the screen shows the literal text (ESC made visible), not its markup
        screen = "\n".join(
            "".join(segment.text for segment in strip)
            for strip in app.screen._compositor.render_strips()
        )
        assert "\x1b" not in screen
        assert "[0]" in screen or "[/" in screen or "[bold red]x" in screen

    run(tab_class(), bad, check, size=(160, 48))


def test_hostile_ticker_card(snap: Snapshot) -> None:
    bad = hostile_snapshot(snap)

    async def check(tab: TickersTab, pilot: Pilot[None], app: Harness) -> None:
        for name in HOSTILE:
            tab.select_ticker(name)
            await pilot.pause()
            assert tab.card_symbol == name
            assert static(tab, "ticker-card").startswith(safe(name))
        assert safe("\x1b[2J") == "␛[2J"

    run(TickersTab(), bad, check)


def test_show_before_mount_and_empty_selection(snap: Snapshot) -> None:
    tab = ConvergenceTab()
    tab.show(snap, None)  # not mounted yet: kept and drawn on mount
    assert tab.focused_figure() is None

    async def check(tab: ConvergenceTab, pilot: Pilot[None], app: Harness) -> None:
        assert fmt.versus(snap.convergence.bullish, snap.convergence.bearish) in static(
            tab, "conv-count"
        )

    run(tab, snap, check)


def empty_snapshot(snap: Snapshot) -> Snapshot:
    """Every frame of the snapshot with no rows (a folder with nothing in it yet)."""
    flow = dataclasses.replace(
        snap.flow,
        top=snap.flow.top.clear(),
        tickers=snap.flow.tickers.clear(),
        sectors=snap.flow.sectors.clear(),
    )
    return dataclasses.replace(
        snap,
        flow=flow,
        dark_days=snap.dark_days.clear(),
        dark_market=snap.dark_market.clear(),
        dark_ladders=snap.dark_ladders.clear(),
        dark_volume_by_spot=snap.dark_volume_by_spot.clear(),
        dix=snap.dix.clear(),
        zones=snap.zones.clear(),
        trend=snap.trend.clear(),
        gamma={},
        tickers=snap.tickers.clear(),
        campaigns=snap.campaigns.clear(),
        convergence_inputs=snap.convergence_inputs.clear(),
        convergence_history=(),
        option_prints=snap.option_prints.clear(),
        dark_prints=snap.dark_prints.clear(),
        explanations={},
    )


@pytest.mark.parametrize("tab_class", TAB_CLASSES)
def test_empty_snapshot_draws_and_then_fills(snap: Snapshot, tab_class: type[TabView]) -> None:
    empty = empty_snapshot(snap)

    async def check(tab: TabView, pilot: Pilot[None], app: Harness) -> None:
        for table in tab.query(KeyedTable):
            if table.id != "regime-checklist" and not table.id.startswith("flow-market"):
                assert table.row_count == 0, table.id
        assert tab.focused_figure() is None
        tab.show(snap, None)  # the next snapshot fills the same widgets
        await pilot.pause()
        assert any(table.row_count for table in tab.query(KeyedTable))

    run(tab_class(), empty, check)


def test_redraw_by_diff_keeps_the_cursor_row(snap: Snapshot) -> None:
    fewer = dataclasses.replace(snap, zones=snap.zones.filter(pl.col("symbol") != "SPX"))
    moved = snap.zones.with_columns(
        pl.when(pl.col("symbol") == "NVDA")
        .then(pl.lit("AT CEILING"))
        .otherwise(pl.col("status"))
        .alias("status")
    )

    async def check(tab: ZonesTab, pilot: Pilot[None], app: Harness) -> None:
        table = tab.query_one("#zones-table", KeyedTable)
        tab.select_ticker("NVDA")
        await pilot.pause()
        tab.show(fewer, None)
        await pilot.pause()
        assert not table.has_key("SPX")
        assert table.row_count == snap.zones.height - 1
        assert table.cursor_key == "NVDA"
        tab.show(dataclasses.replace(snap, zones=moved), None)
        await pilot.pause()
        assert table.has_key("SPX")
        assert cell(tab, "zones-table", "NVDA", "status") == "AT CEILING"
        assert table.cursor_key == "NVDA"

    run(ZonesTab(), snap, check)
