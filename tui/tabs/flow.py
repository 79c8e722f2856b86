"""Flow tab: the options side decomposition (METHODOLOGY §2).

The market's four side buckets and the unknown premium, bullish, bearish and net, the unknown
share with its grade and the side rule in force, the naive and side-adjusted call/put ratios and
the flip rate; the top-flow names with their naive and adjusted labels and a flip marker; the
sectors; and every ticker's flow. Narrow: stacked; wide: side by side with more columns.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

import polars as pl
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from flowterm.core import fmt
from flowterm.core.flow import FlipRate, MarketFlow
from flowterm.core.snapshot import Snapshot

from ..cells import (
    FLAT,
    Palette,
    arrow,
    label_cell,
    line,
    money_cell,
    num_cell,
    number_cell,
    pct_cell,
    text_cell,
    word_style,
)
from .base import DrillDown, TabView, collect, first_present
from .table import Col, KeyedTable, Row

MARKET_COLUMNS = (
    Col("figure", "Market", sortable=False),
    Col("value", "Value", numeric=True, sortable=False),
    Col("note", "", sortable=False),
)
TOP_COLUMNS = (
    Col("rank", "#", numeric=True),
    Col("name", "Name"),
    Col("total", "Total", numeric=True),
    Col("calls", "Calls", numeric=True, wide_only=True),
    Col("puts", "Puts", numeric=True, wide_only=True),
    Col("naive", "Naive"),
    Col("net", "Net", numeric=True),
    Col("adjusted", "Adjusted"),
    Col("flip", "Flip"),
)
SECTOR_COLUMNS = (
    Col("sector", "Sector"),
    Col("tickers", "N", numeric=True),
    Col("total", "Total", numeric=True),
    Col("bullish", "Bullish", numeric=True, wide_only=True),
    Col("bearish", "Bearish", numeric=True, wide_only=True),
    Col("net", "Net", numeric=True),
    Col("adjusted", "Adj C/P", numeric=True),
    Col("grade", "Grade"),
)
TICKER_COLUMNS = (
    Col("symbol", "Sym"),
    Col("total", "Total", numeric=True),
    Col("calls_bought", "CB", numeric=True, wide_only=True),
    Col("calls_sold", "CS", numeric=True, wide_only=True),
    Col("puts_bought", "PB", numeric=True, wide_only=True),
    Col("puts_sold", "PS", numeric=True, wide_only=True),
    Col("unknown_share", "Unk", numeric=True),
    Col("net", "Net", numeric=True),
    Col("naive", "Naive C/P", numeric=True, wide_only=True),
    Col("adjusted", "Adj C/P", numeric=True),
    Col("grade", "Grade"),
    Col("largest", "Top bucket", wide_only=True),
)

#: (row key, label, bucket code for the drill-down, direction of the bucket).
_BUCKETS: Final = (
    ("calls_bought", "Calls bought (CB)", "CB", 1),
    ("calls_sold", "Calls sold (CS)", "CS", -1),
    ("puts_bought", "Puts bought (PB)", "PB", -1),
    ("puts_sold", "Puts sold (PS)", "PS", 1),
    ("unknown", "Unknown side (U)", "U", 0),
)
#: Bucket codes as words (largest bucket of a ticker).
BUCKET_WORDS: Final = {
    "CB": "calls bought",
    "CS": "calls sold",
    "PB": "puts bought",
    "PS": "puts sold",
    "U": "unknown",
}


class FlowTab(TabView):
    TAB_ID: ClassVar[str] = "flow"
    TITLE: ClassVar[str] = "Flow"

    DEFAULT_CSS = """
    FlowTab > VerticalScroll { height: 1fr; }
    FlowTab .pair { height: auto; layout: vertical; }
    FlowTab.-wide .pair { layout: horizontal; }
    FlowTab .pair > Vertical { height: auto; width: 1fr; }
    FlowTab.-wide #flow-market-box { width: 64; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="flow-title", classes="section-title")
            with Horizontal(classes="pair"):
                with Vertical(id="flow-market-box"):
                    yield KeyedTable(MARKET_COLUMNS, max_rows=16, id="flow-market")
                    yield Static(id="flow-rule", classes="note")
                with Vertical():
                    yield Static(id="flow-top-title", classes="section-title")
                    yield KeyedTable(TOP_COLUMNS, ticker_rows=True, max_rows=16, id="flow-top")
            yield Static("Sectors", classes="section-title")
            yield KeyedTable(
                SECTOR_COLUMNS, sort="total", reverse=True, max_rows=16, id="flow-sectors"
            )
            yield Static("Every ticker", classes="section-title")
            yield KeyedTable(
                TICKER_COLUMNS,
                sort="total",
                reverse=True,
                ticker_rows=True,
                max_rows=16,
                id="flow-tickers",
            )

    def render_snapshot(self, snapshot: Snapshot, palette: Palette, wide: bool) -> None:
        flow = snapshot.flow
        m = flow.market
        self.query_one("#flow-title", Static).update(
            Text(
                f"Options flow {snapshot.session.isoformat()} · total {fmt.money(m.total)} · "
                f"{fmt.num(m.prints_counted)} prints counted",
                end="",
            )
        )
        self.query_one("#flow-market", KeyedTable).sync(market_rows(m, flow.flip, palette))
        excluded = m.excluded_cancelled + m.excluded_late
        self.query_one("#flow-rule", Static).update(
            Text(
                f"Side rule {m.side_mode} · multi-leg {m.multi_leg} · "
                f"{fmt.num(excluded)} cancelled/late prints excluded · "
                "side ≠ intent (a put bought may hedge stock)",
                end="",
            )
        )
        flip = flow.flip
        self.query_one("#flow-top-title", Static).update(
            line(
                f"Top {fmt.num(flip.names)} by premium · flip rate ",
                (fmt.pct(flip.rate, 1, signed=False), palette.warning),
                f" ({fmt.num(flip.flips)} of {fmt.num(flip.names)})",
            )
        )
        self.query_one("#flow-top", KeyedTable).sync(
            [(r["underlying"], _top_row(r, palette)) for r in flow.top.iter_rows(named=True)]
        )
        self.query_one("#flow-sectors", KeyedTable).sync(
            [(r["sector"], _sector_row(r, palette)) for r in flow.sectors.iter_rows(named=True)]
        )
        self.query_one("#flow-tickers", KeyedTable).sync(
            [(r["underlying"], _ticker_row(r, palette)) for r in flow.tickers.iter_rows(named=True)]
        )

    def figure_for(self, snapshot: Snapshot, table: str, key: str) -> str | None:
        if table == "flow-market":
            return first_present(snapshot, key)
        if table == "flow-sectors":
            return first_present(snapshot, f"flow.sector.{key}")
        if table == "flow-top":
            return first_present(snapshot, f"flow.ticker.{key}", "flow.flip_rate")
        return first_present(snapshot, f"flow.ticker.{key}")

    def drill_for(self, snapshot: Snapshot, table: str, key: str) -> DrillDown | None:
        if snapshot.flow.market.prints_seen == 0:
            return None
        if table == "flow-market" and key == "flow.flip_rate":
            return DrillDown("Top-flow names: naive vs side-adjusted labels", snapshot.flow.top)
        # the session's prints are lazy: only the rows shown are collected
        counted = snapshot.option_prints.filter(pl.col("exclusion").is_null())
        if table == "flow-market":
            bucket = _MARKET_DRILL.get(key)
            if bucket is None:
                return DrillDown("Option prints counted in the market totals", collect(counted))
            label, codes = bucket
            return DrillDown(label, collect(counted.filter(pl.col("bucket").is_in(codes))))
        if table == "flow-sectors":
            sectors = snapshot.inputs.sectors
            if sectors.is_empty():
                return None
            names = sectors.filter(pl.col("sector") == key)["symbol"]
            return DrillDown(
                f"{key}: option prints counted",
                collect(counted.filter(pl.col("underlying").is_in(names))),
            )
        return DrillDown(
            f"{key}: option prints counted", collect(counted.filter(pl.col("underlying") == key))
        )


#: Market row → (drill-down title, bucket codes).
_MARKET_DRILL: Final = {
    "flow.market.calls_bought": ("Calls bought at the ask (CB prints)", ("CB",)),
    "flow.market.calls_sold": ("Calls sold at the bid (CS prints)", ("CS",)),
    "flow.market.puts_bought": ("Puts bought at the ask (PB prints)", ("PB",)),
    "flow.market.puts_sold": ("Puts sold at the bid (PS prints)", ("PS",)),
    "flow.market.unknown": ("Unknown-side prints (U)", ("U",)),
    "flow.market.bullish": ("Bullish prints (CB + PS)", ("CB", "PS")),
    "flow.market.bearish": ("Bearish prints (CS + PB)", ("CS", "PB")),
}


def market_rows(m: MarketFlow, flip: FlipRate, palette: Palette) -> list[Row]:
    """The market decomposition, one row per figure (keyed by its explanation key)."""
    rows: list[Row] = []
    for key, label, _code, direction in _BUCKETS:
        value = getattr(m, key)
        note = "bullish" if direction > 0 else "bearish" if direction < 0 else "no side"
        rows.append(
            (
                f"flow.market.{key}",
                {
                    "figure": text_cell(label),
                    "value": money_cell(value, palette),
                    "note": text_cell(
                        f"{arrow(direction)} {note}", palette.vote(direction) if direction else ""
                    ),
                },
            )
        )
    for key, label, value, note in (
        ("bullish", "Bullish CB + PS", m.bullish, ""),
        ("bearish", "Bearish CS + PB", m.bearish, ""),
    ):
        rows.append(
            (
                f"flow.market.{key}",
                {
                    "figure": text_cell(label, Style(bold=True)),
                    "value": money_cell(value, palette),
                    "note": text_cell(note),
                },
            )
        )
    robust = "sign robust" if m.net_sign_robust else "unknown could flip it"
    rows.append(
        (
            "flow.market.net",
            {
                "figure": text_cell("Net", Style(bold=True)),
                "value": money_cell(m.net, palette, signed=True, tone=True),
                "note": text_cell(f"{arrow(m.net)} {robust}", palette.sign(m.net)),
            },
        )
    )
    grade = str(m.grade)
    rows.append(
        (
            "flow.market.unknown_share",
            {
                "figure": text_cell("Unknown share"),
                "value": pct_cell(m.unknown_share, palette, decimals=1, signed=False),
                "note": text_cell(grade, word_style(grade, palette)),
            },
        )
    )
    rows.append(
        (
            "flow.market.ratios",
            {
                "figure": text_cell("C/P naive · adjusted"),
                "value": number_cell(
                    f"{fmt.num(m.naive_call_put, 2)} · {fmt.num(m.adjusted_call_put, 2)}",
                    m.adjusted_call_put,
                ),
                "note": text_cell("naive incl. unknown"),
            },
        )
    )
    rows.append(
        (
            "flow.flip_rate",
            {
                "figure": text_cell("Flip rate (top names)"),
                "value": pct_cell(flip.rate, palette, decimals=1, signed=False),
                "note": text_cell(f"{fmt.num(flip.flips)} of {fmt.num(flip.names)} flip"),
            },
        )
    )
    return rows


def _top_row(r: dict[str, Any], palette: Palette) -> dict[str, Text]:
    flip = bool(r.get("flip"))
    return {
        "rank": num_cell(r.get("rank"), 0),
        "name": text_cell(r["underlying"]),
        "total": money_cell(r.get("total"), palette),
        "calls": money_cell(r.get("calls"), palette),
        "puts": money_cell(r.get("puts"), palette),
        "naive": label_cell(_str(r.get("naive_label")), palette),
        "net": money_cell(r.get("net"), palette, signed=True, tone=True),
        "adjusted": label_cell(_str(r.get("adjusted_label")), palette),
        "flip": text_cell(
            "⇄ FLIP" if flip else FLAT,
            palette.warning if flip else palette.neutral,
            sort_value=int(flip),
        ),
    }


def _sector_row(r: dict[str, Any], palette: Palette) -> dict[str, Text]:
    grade = _str(r.get("grade"))
    return {
        "sector": text_cell(r["sector"]),
        "tickers": num_cell(r.get("tickers"), 0),
        "total": money_cell(r.get("total"), palette),
        "bullish": money_cell(r.get("bullish"), palette),
        "bearish": money_cell(r.get("bearish"), palette),
        "net": money_cell(r.get("net"), palette, signed=True, tone=True),
        "adjusted": num_cell(r.get("adjusted_call_put"), 2),
        "grade": text_cell(grade, word_style(grade, palette)),
    }


def _ticker_row(r: dict[str, Any], palette: Palette) -> dict[str, Text]:
    grade = _str(r.get("grade"))
    largest = _str(r.get("largest_bucket"))
    return {
        "symbol": text_cell(r["underlying"]),
        "total": money_cell(r.get("total"), palette),
        "calls_bought": money_cell(r.get("calls_bought"), palette),
        "calls_sold": money_cell(r.get("calls_sold"), palette),
        "puts_bought": money_cell(r.get("puts_bought"), palette),
        "puts_sold": money_cell(r.get("puts_sold"), palette),
        "unknown_share": pct_cell(r.get("unknown_share"), palette, decimals=1, signed=False),
        "net": money_cell(r.get("net"), palette, signed=True, tone=True),
        "naive": num_cell(r.get("naive_call_put"), 2),
        "adjusted": num_cell(r.get("adjusted_call_put"), 2),
        "grade": text_cell(grade, word_style(grade, palette)),
        "largest": text_cell(
            BUCKET_WORDS.get(largest or "", largest), word_style(largest, palette)
        ),
    }


def _str(value: object) -> str | None:
    return None if value is None else str(value)
