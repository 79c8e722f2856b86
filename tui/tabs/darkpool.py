"""Darkpool tab: off-exchange prints by side (METHODOLOGY §3) and DIX (§7).

Market totals against the prior session, DIX with its percentile, the top accumulation and
distribution names, and one row per symbol: notional, net, % at bid (of all and of classified
notional), label, fast-tape flag and the active ladder. Sorted by net (most sold first) by default,
so the sample's index distribution leads.
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from flowterm.core import fmt
from flowterm.core.snapshot import Snapshot

from ..cells import (
    DOWN,
    FLAT,
    UP,
    Palette,
    arrow,
    label_cell,
    line,
    lines,
    money_cell,
    num_cell,
    pct_cell,
    safe,
    text_cell,
    word_direction,
    word_style,
)
from .base import DrillDown, TabView, collect, first_present
from .table import Col, KeyedTable

COLUMNS = (
    Col("symbol", "Sym"),
    Col("total", "Notional", numeric=True),
    Col("at_ask", "At ask", numeric=True, wide_only=True),
    Col("at_bid", "At bid", numeric=True, wide_only=True),
    Col("mid", "Mid", numeric=True, wide_only=True),
    Col("net", "Net", numeric=True),
    Col("pct_at_bid", "%bid", numeric=True),
    Col("pct_at_bid_classified", "of cls", numeric=True),
    Col("label", "Label"),
    Col("fast_tape", "Tape"),
    Col("ladder", "Ladder"),
    Col("prints", "Prints", numeric=True, wide_only=True),
)

#: How many names the top accumulation / distribution lines list.
TOP_NAMES = 5


class DarkpoolTab(TabView):
    TAB_ID: ClassVar[str] = "darkpool"
    TITLE: ClassVar[str] = "Darkpool"

    DEFAULT_CSS = """
    DarkpoolTab #dark-summary { height: auto; padding: 0 1; }
    DarkpoolTab #dark-table { height: 1fr; max-height: 100%; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="dark-title", classes="section-title")
        yield Static(id="dark-summary")
        yield KeyedTable(COLUMNS, sort="net", reverse=False, ticker_rows=True, id="dark-table")

    def render_snapshot(self, snapshot: Snapshot, palette: Palette, wide: bool) -> None:
        today = snapshot.dark_days.filter(pl.col("session") == snapshot.session)
        market = snapshot.dark_market.filter(pl.col("session") == snapshot.session)
        m = market.row(0, named=True) if market.height else {}
        self.query_one("#dark-title", Static).update(
            Text(
                f"Dark pool {snapshot.session.isoformat()} · {fmt.num(m.get('symbols'))} symbols"
                f" · {fmt.num(m.get('prints'))} prints",
                end="",
            )
        )
        self.query_one("#dark-summary", Static).update(
            lines(
                [
                    *_market_lines(m, palette, wide),
                    _dix_line(snapshot, palette),
                    *_top_lines(today, palette, wide),
                ]
            )
        )
        ladders = {
            r["symbol"]: r
            for r in snapshot.dark_ladders.filter(pl.col("active")).iter_rows(named=True)
        }
        rows = [
            (r["symbol"], _row(r, ladders.get(r["symbol"]), palette, wide))
            for r in today.iter_rows(named=True)
        ]
        self.query_one("#dark-table", KeyedTable).sync(rows)

    def figure_for(self, snapshot: Snapshot, table: str, key: str) -> str | None:
        return first_present(snapshot, f"darkpool.{key}")

    def drill_for(self, snapshot: Snapshot, table: str, key: str) -> DrillDown | None:
        prints = snapshot.dark_prints.filter((pl.col("symbol") == key) & ~pl.col("excluded"))
        return DrillDown(f"{key}: off-exchange prints counted", collect(prints))


def _market_lines(m: dict[str, Any], palette: Palette, wide: bool) -> list[Text]:
    if not m:
        return [Text("No off-exchange prints in this session.", end="")]
    net = m.get("net")
    first = line(
        "Total ",
        fmt.money(m.get("total")),
        f" (prior {fmt.money(m.get('prev_total'))}",
        f", {fmt.money(m.get('total_change'), signed=True)})" if wide else ")",
        " · Net ",
        (f"{fmt.money(net, signed=True)} {arrow(net)}", palette.sign(net)),
        f" (prior {fmt.money(m.get('prev_net'), signed=True)}",
        (f", {fmt.money(m.get('net_change'), signed=True)}", palette.sign(m.get("net_change")))
        if wide
        else "",
        ")",
    )
    second = line(
        "At bid ",
        fmt.pct(m.get("pct_at_bid"), 1, signed=False),
        f" (prior {fmt.pct(m.get('prev_pct_at_bid'), 1, signed=False)}) · ",
        fmt.pct(m.get("pct_at_bid_classified"), 1, signed=False),
        " of classified",
    )
    if wide:
        second.append(
            f" · at ask {fmt.money(m.get('at_ask'))} · at bid {fmt.money(m.get('at_bid'))}"
            f" · mid {fmt.money(m.get('mid'))}"
        )
    return [first, second]


def _dix_line(snapshot: Snapshot, palette: Palette) -> Text:
    dix = snapshot.dix.filter(pl.col("date") == snapshot.session)
    if dix.is_empty():
        return Text("DIX — (no short-volume file for this session)", end="")
    d = dix.row(0, named=True)
    elevated = bool(d.get("elevated"))
    return line(
        "DIX ",
        (fmt.pct(d.get("dix"), 1, signed=False), palette.bull if elevated else ""),
        f" · percentile {fmt.pct(d.get('percentile'), 0, signed=False)} of "
        f"{fmt.num(d.get('history'))} sessions",
        (f" · {UP} elevated", palette.bull) if elevated else " · not elevated",
    )


def _top_lines(today: pl.DataFrame, palette: Palette, wide: bool) -> list[Text]:
    out = []
    for label, descending, mark, style in (
        ("ACCUMULATION", True, UP, palette.bull),
        ("DISTRIBUTION", False, DOWN, palette.bear),
    ):
        top = today.filter(pl.col("label").cast(pl.String) == label).sort(
            "net", descending=descending
        )
        text = line((f"{mark} {label.capitalize() if wide else label[:5].capitalize()}: ", style))
        names = list(top.head(TOP_NAMES if wide else 3).iter_rows(named=True))
        if not names:
            text.append(fmt.MISSING)
        for i, r in enumerate(names):
            if i:
                text.append(" · ")
            text.append(safe(str(r["symbol"])))
            text.append(" ")
            text.append(fmt.money(r["net"], signed=True), style)
        out.append(text)
    return out


def _row(
    r: dict[str, Any], ladder: dict[str, Any] | None, palette: Palette, wide: bool
) -> dict[str, Text]:
    label = None if r.get("label") is None else str(r["label"])
    fast = str(r.get("fast_tape")) == "FAST"
    if ladder is not None:
        ladder_label = str(ladder["label"])
        direction = word_direction(ladder_label)
        words = f"{ladder_label} " if wide else ""
        ladder_cell = text_cell(
            f"{arrow(direction)} {words}{fmt.num(ladder['days'])}d",
            word_style(ladder_label, palette),
            sort_value=(direction or 0) * ladder["days"],
        )
    else:
        ladder_cell = text_cell(FLAT, palette.neutral, sort_value=0)
    return {
        "symbol": text_cell(r["symbol"]),
        "total": money_cell(r.get("total"), palette),
        "at_ask": money_cell(r.get("at_ask"), palette),
        "at_bid": money_cell(r.get("at_bid"), palette),
        "mid": money_cell(r.get("mid"), palette),
        "net": money_cell(r.get("net"), palette, signed=True, tone=True),
        "pct_at_bid": pct_cell(r.get("pct_at_bid"), palette, decimals=1, signed=False),
        "pct_at_bid_classified": pct_cell(
            r.get("pct_at_bid_classified"), palette, decimals=1, signed=False
        ),
        "label": label_cell(label, palette),
        "fast_tape": text_cell(
            "FAST" if fast else FLAT,
            palette.warning if fast else palette.neutral,
            sort_value=int(fast),
        ),
        "ladder": ladder_cell,
        "prints": num_cell(r.get("prints"), 0),
    }
