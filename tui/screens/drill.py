"""Drill-down: the prints behind an aggregate, paged and sortable."""

from __future__ import annotations

import polars as pl
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Footer, Static

from .base import Overlay
from .table import PAGE_ROWS, FrameTable
from .text import untrusted


class DrillDownScreen(Overlay[None]):
    """A title, a status line (rows, page, sort) and the paged table of ``frame``."""

    def __init__(self, title: str, frame: pl.DataFrame, *, page_rows: int = PAGE_ROWS) -> None:
        super().__init__()
        self.heading = title
        self.frame = frame
        self.page_rows = page_rows

    def compose(self) -> ComposeResult:
        with Vertical(id="panel", classes="overlay wide"):
            yield Static(untrusted(self.heading), classes="overlay-title")
            yield Static(Content(""), id="drill-status", classes="overlay-status")
            yield FrameTable(self.frame, page_rows=self.page_rows, id="drill-table")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one(FrameTable).focus()

    @on(FrameTable.Paged)
    def _paged(self, event: FrameTable.Paged) -> None:
        self.query_one("#drill-status", Static).update(Content(event.table.status()))
