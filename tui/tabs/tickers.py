"""Tickers tab: every ticker's verdict (METHODOLOGY §11b) and the selected ticker's card.

The list shows the verdict and the three votes (price, dark pool, options) of every ticker; the
card shows the ticker under the cursor: price, return and relative strength, the votes with what
they read, dealer gamma with its unit, zero gamma, walls and a GEX-by-strike chart in text bars,
the dark-pool ladder and the volume above/below spot, the options campaign and the divergence
days. Narrow: list and card side by side with a compact list; wide: more list columns, a taller
chart.
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Static

from flowterm.core import fmt
from flowterm.core.gamma import GammaReport
from flowterm.core.snapshot import Snapshot

from ..cells import (
    FLAT,
    Palette,
    arrow,
    diverging_bar,
    label_cell,
    line,
    lines,
    num_cell,
    pct_cell,
    plain,
    safe,
    text_cell,
    votes_cell,
    word_direction,
    word_style,
)
from .base import DrillDown, TabView, collect, first_present
from .table import Col, KeyedTable

COLUMNS = (
    Col("symbol", "Sym"),
    Col("verdict", "Verdict"),
    Col("votes", "P D O"),
    Col("ret", "Return", numeric=True, wide_only=True),
    Col("rs", "RS", numeric=True, wide_only=True),
    Col("divergence", "Div", numeric=True, wide_only=True),
    Col("flags", "Flags", wide_only=True, width=28),
)

_LAYERS = (
    ("l1_price", "price"),
    ("l2_darkpool", "dark"),
    ("l3_options", "options"),
)


class GexChart(Widget):
    """Net GEX by strike as text bars, drawn at paint time so the bars fit the real width."""

    DEFAULT_CSS = """
    GexChart { height: auto; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._report: GammaReport | None = None
        self._palette = Palette.plain()
        self._rows = 11

    def set_report(self, report: GammaReport | None, palette: Palette, *, rows: int) -> None:
        self._report, self._palette, self._rows = report, palette, rows
        self.display = report is not None
        self.refresh(layout=True)

    def lines(self, width: int) -> list[Text]:
        if self._report is None:
            return []
        return gex_chart(self._report, self._palette, rows=self._rows, width=width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Text:
        text = lines(self.lines(self.content_size.width))
        text.no_wrap, text.overflow = True, "crop"
        return text


class TickersTab(TabView):
    TAB_ID: ClassVar[str] = "tickers"
    TITLE: ClassVar[str] = "Tickers"

    DEFAULT_CSS = """
    TickersTab > Horizontal { height: 1fr; }
    TickersTab #tickers-table { width: auto; height: 1fr; max-height: 100%; }
    TickersTab #ticker-card-box { width: 1fr; height: 1fr; border-left: vkey $foreground 20%; }
    TickersTab #ticker-card { height: auto; padding: 0 1; }
    TickersTab #ticker-chart { margin-top: 1; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        #: The ticker the card shows.
        self._card: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield KeyedTable(COLUMNS, ticker_rows=True, id="tickers-table")
            with VerticalScroll(id="ticker-card-box"):
                yield Static(id="ticker-card")
                yield GexChart(id="ticker-chart")

    @property
    def card_symbol(self) -> str | None:
        return self._card

    def render_snapshot(self, snapshot: Snapshot, palette: Palette, wide: bool) -> None:
        table = self.query_one("#tickers-table", KeyedTable)
        rows = [(r["symbol"], _row(r, palette)) for r in snapshot.tickers.iter_rows(named=True)]
        table.sync(rows)
        symbol = self._selected if self._selected and table.has_key(self._selected) else None
        if symbol is not None and table.cursor_key != symbol:
            table.move_to(symbol)
        self._draw_card(symbol or table.cursor_key)

    def select_ticker(self, symbol: str) -> None:
        super().select_ticker(symbol)
        if self.is_mounted and self._snapshot is not None:
            self._draw_card(symbol)

    def row_highlighted(self, table: KeyedTable, key: str | None) -> None:
        if key is not None and key != self._card:
            self._draw_card(key)

    def _draw_card(self, symbol: str | None) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        self._card = symbol
        box = self.query_one("#ticker-card-box", VerticalScroll)
        box.border_title = plain(symbol) if symbol else None
        self.query_one("#ticker-card", Static).update(ticker_card(snapshot, symbol, self.palette))
        report = snapshot.gamma.get(symbol) if symbol is not None else None
        chart = self.query_one("#ticker-chart", GexChart)
        chart.set_report(report, self.palette, rows=21 if self.wide else 11)

    def figure_for(self, snapshot: Snapshot, table: str, key: str) -> str | None:
        return first_present(
            snapshot, f"tickers.{key}", f"darkpool.{key}", f"gamma.{key}", f"zones.{key}"
        )

    def drill_for(self, snapshot: Snapshot, table: str, key: str) -> DrillDown | None:
        options = collect(
            snapshot.option_prints.filter(
                (pl.col("underlying") == key) & pl.col("exclusion").is_null()
            )
        )
        if options.height:
            return DrillDown(f"{key}: option prints counted", options)
        dark = collect(snapshot.dark_prints.filter((pl.col("symbol") == key) & ~pl.col("excluded")))
        if dark.height:
            return DrillDown(f"{key}: off-exchange prints counted", dark)
        return None


def _row(r: dict[str, Any], palette: Palette) -> dict[str, Text]:
    verdict = r.get("verdict")
    flags = list(r.get("flags") or [])
    return {
        "symbol": text_cell(r["symbol"]),
        "verdict": label_cell(verdict, palette),
        "votes": votes_cell([r.get(k) for k, _ in _LAYERS], palette),
        "ret": pct_cell(r.get("ret"), palette, tone=True),
        "rs": pct_cell(r.get("relative_strength"), palette, tone=True),
        "divergence": num_cell(r.get("divergence_days"), 0),
        "flags": text_cell(", ".join(str(f) for f in flags) if flags else FLAT),
    }


# ------------------------------------------------------------------------------------------
# the card
# ------------------------------------------------------------------------------------------


def ticker_card(snapshot: Snapshot, symbol: str | None, palette: Palette) -> Text:
    """Everything the snapshot holds about ``symbol`` as lines of text (the GEX-by-strike
    chart is drawn below it by ``GexChart``)."""
    if symbol is None:
        return Text("No ticker selected.", end="")
    found = snapshot.tickers.filter(pl.col("symbol") == symbol)
    if found.is_empty():
        return plain(f"{symbol}: not in this session's tickers.")
    t = found.row(0, named=True)
    bold = Style(bold=True)
    out: list[Text] = []
    index = getattr(snapshot.settings.get("convergence"), "index_symbol", "index")
    ret, rs = t.get("ret"), t.get("relative_strength")
    out.append(
        line(
            (str(symbol), bold),
            "  ",
            fmt.num(t.get("close"), 2),
            "  ",
            (f"{fmt.pct(ret, 2)} {arrow(ret)}", palette.sign(ret)),
            "  RS ",
            (fmt.pct(rs, 2), palette.sign(rs)),
            f" vs {index}",
        )
    )
    verdict = t.get("verdict")
    verdict_line = line(
        "Verdict ",
        (
            f"{arrow(word_direction(verdict))} {verdict or fmt.MISSING}",
            word_style(verdict, palette) + bold,
        ),
    )
    for flag in t.get("flags") or []:
        verdict_line.append("  [")
        verdict_line.append(safe(str(flag)), word_style(_flag_word(str(flag)), palette))
        verdict_line.append("]")
    out.append(verdict_line)
    out.append(_votes_line(t, palette))
    out.append(Text(end=""))
    out.extend(_options_lines(snapshot, symbol, t, palette))
    out.extend(_dark_lines(snapshot, symbol, t, palette))
    out.append(Text(end=""))
    report = snapshot.gamma.get(symbol)
    if report is None:
        out.append(plain(f"Dealer gamma: no chain for {symbol} in this session."))
    else:
        out.extend(_gamma_lines(report, palette))
    return lines(out)


def _flag_word(flag: str) -> str:
    if flag.startswith(("ACCUMULATION", "DISTRIBUTION")):
        return flag.split()[0]
    if flag == "RELATIVE STRENGTH":
        return "BULL"
    if flag == "RELATIVE WEAKNESS":
        return "BEAR"
    return flag


def _votes_line(t: dict[str, Any], palette: Palette) -> Text:
    text = Text("Votes ", end="")
    for i, (key, name) in enumerate(_LAYERS):
        vote = t.get(key)
        if i:
            text.append("  ")
        text.append(f"{name} ")
        shown = fmt.MISSING if vote is None else f"{arrow(vote)} {fmt.num(vote, 0, signed=True)}"
        text.append(shown, palette.vote(vote))
    return text


def _options_lines(
    snapshot: Snapshot, symbol: str, t: dict[str, Any], palette: Palette
) -> list[Text]:
    net = t.get("opt_net")
    out = [
        line(
            "Options net ",
            (fmt.money(net, signed=True), palette.sign(net)),
            f" · total {fmt.money(t.get('opt_total'))}",
            " · grade ",
            (t.get("opt_grade") or fmt.MISSING, word_style(t.get("opt_grade"), palette)),
            f" · calls bought {fmt.money(t.get('opt_calls_bought'))}",
            f" · puts bought {fmt.money(t.get('opt_puts_bought'))}",
        )
    ]
    campaigns = snapshot.campaigns.filter(pl.col("underlying") == symbol).sort(
        ["active", "end"], descending=True
    )
    if campaigns.is_empty():
        out.append(Text("Campaign —", end=""))
    else:
        c = campaigns.row(0, named=True)
        code = str(c["bucket"])
        out.append(
            line(
                "Campaign ",
                (f"{c['bucket_label']}", word_style(code, palette)),
                f", day {fmt.num(c['days'])}, {fmt.money(c['premium'])}",
                f" ({c['start'].isoformat()} → {c['end'].isoformat()}",
                ", active)" if c["active"] else ", ended)",
            )
        )
    return out


def _dark_lines(snapshot: Snapshot, symbol: str, t: dict[str, Any], palette: Palette) -> list[Text]:
    label = t.get("dp_label")
    net = t.get("dp_net")
    if label is None and net is None:
        return [Text("Dark pool — no off-exchange prints for this symbol", end="")]
    first = line(
        "Dark pool ",
        (f"{arrow(word_direction(label))} {label or fmt.MISSING}", word_style(label, palette)),
        " · net ",
        (fmt.money(net, signed=True), palette.sign(net)),
    )
    if t.get("dp_fast"):
        first.append(" · FAST TAPE", palette.warning)
    ladders = snapshot.dark_ladders.filter(pl.col("symbol") == symbol).sort(
        ["active", "end"], descending=True
    )
    if ladders.height:
        lad = ladders.row(0, named=True)
        lab = str(lad["label"])
        first.append(" · ladder ")
        first.append(
            f"{lab} {fmt.num(lad['days'])}d{'' if lad['active'] else ' (ended)'}",
            word_style(lab, palette),
        )
        first.append(f" {fmt.money(lad['net'], signed=True)}")
    out = [first]
    days = t.get("divergence_days")
    window = t.get("divergence_window_sessions")
    out.append(
        Text(
            f"Divergence days {fmt.num(days)} of the last {fmt.num(window)} sessions"
            if days is not None
            else "Divergence days —",
            end="",
        )
    )
    spot = snapshot.dark_volume_by_spot.filter(pl.col("symbol") == symbol)
    if spot.height:
        v = spot.row(0, named=True)
        out.append(
            Text(
                f"Dark volume vs spot {fmt.num(v['spot'], 2)} ({fmt.num(v['sessions'])} sessions):"
                f" above {fmt.pct(v['pct_above'], 1, signed=False)} · at "
                f"{fmt.pct(v['pct_at'], 1, signed=False)} · below "
                f"{fmt.pct(v['pct_below'], 1, signed=False)}",
                end="",
            )
        )
    return out


def _gamma_lines(report: GammaReport, palette: Palette) -> list[Text]:
    unit = report.unit.label
    out = [
        line(
            "GEX ",
            (fmt.money(report.net_gex, signed=True), palette.sign(report.net_gex)),
            f" {unit} · ",
            (report.regime or fmt.MISSING, word_style(report.regime, palette)),
            f" · spot {fmt.num(report.spot, 2)}",
        )
    ]
    zero = report.zeros[0] if report.zeros else None
    if zero is None or zero.zero_gamma is None:
        out.append(
            Text(f"Zero gamma none in the sweep ({zero.sweep if zero else 'no sweep'})", end="")
        )
    else:
        others = len(zero.roots) - 1
        out.append(
            Text(
                f"Zero gamma {fmt.num(zero.zero_gamma, 2)}"
                + (f" (+{others} more roots)" if others > 0 else ""),
                end="",
            )
        )
    walls = report.walls
    call, put = walls.call_wall, walls.put_wall
    out.append(
        line(
            "Walls call ",
            (fmt.num(call.strike, 2) if call else fmt.MISSING, palette.bull),
            f" ({fmt.money(call.gex, signed=True)})" if call else "",
            " · put ",
            (fmt.num(put.strike, 2) if put else fmt.MISSING, palette.bear),
            f" ({fmt.money(put.gex, signed=True)})" if put else "",
            f" · call/put GEX, expiries ≤ {walls.max_dte} DTE" if walls.max_dte else "",
        )
    )
    band = report.nearest_positive_band
    if band is not None:
        out.append(
            Text(
                f"Nearest positive-gamma band {fmt.num(band.lo, 2)}–{fmt.num(band.hi, 2)} "
                f"({fmt.money(band.net_gex, signed=True)})",
                end="",
            )
        )
    return out


#: The chart's title, longest first: the first that fits the width is shown.
_CHART_TITLES = (
    "Net GEX by strike, all expiries (left of │ negative)",
    "Net GEX by strike, all expiries",
    "Net GEX by strike",
)


def gex_chart(report: GammaReport, palette: Palette, *, rows: int, width: int) -> list[Text]:
    """Net GEX by strike for the ``rows`` strikes nearest spot, highest strike on top, in
    ``width`` cells."""
    frame = report.by_strike
    if frame.is_empty():
        return [Text("GEX by strike: no strikes.", end="")]
    near = (
        frame.with_columns((pl.col("strike") - report.spot).abs().alias("_distance"))
        .sort("_distance")
        .head(rows)
        .sort("strike", descending=True)
    )
    strikes = near["strike"].to_list()
    nets = near["net_gex"].to_list()
    decimals = 0 if all(float(s).is_integer() for s in strikes) else 1
    scale = max((abs(v) for v in nets), default=0.0)
    labels = [fmt.num(s, decimals) for s in strikes]
    values = [fmt.money(v, signed=True) for v in nets]
    strike_w = max(len(x) for x in labels)
    value_w = max(len(x) for x in values)
    # strike, space, bars either side of the axis, space, value, " call wall"
    half = max(4, (width - strike_w - value_w - 3 - len(" call wall")) // 2)
    call = report.walls.call_wall.strike if report.walls.call_wall else None
    put = report.walls.put_wall.strike if report.walls.put_wall else None
    title = next((t for t in _CHART_TITLES if len(t) <= width), _CHART_TITLES[-1][: max(width, 0)])
    out = [Text(title, end="")]
    spot = line(
        "spot".rjust(strike_w),
        " ",
        ("─" * half + "┼" + "─" * half, palette.accent),
        f" {fmt.num(report.spot, 2)}",
    )
    spot_drawn = False
    for strike, label, net, shown in zip(strikes, labels, nets, values, strict=True):
        if not spot_drawn and strike < report.spot:
            out.append(spot)
            spot_drawn = True
        row = line(label.rjust(strike_w), " ")
        row.append_text(diverging_bar(net, scale, half, palette))
        row.append(" ")
        row.append(shown.rjust(value_w), palette.sign(net))
        if strike == call:
            row.append(" call wall", palette.bull)
        if strike == put:
            row.append(" put wall", palette.bear)
        out.append(row)
    if not spot_drawn:
        out.append(spot)
    return out
