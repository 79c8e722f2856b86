"""The log: why the data is not all there (build failures, files that failed, rejected rows)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Footer, Static

from flowterm.core import fmt
from flowterm.core.snapshot import Snapshot

from .base import Overlay
from .table import FrameTable
from .text import untrusted


def problem_lines(snapshot: Snapshot | None, failure: str | None) -> list[Content]:
    """One line per build failure, file error and stale file; plain text (never markup)."""
    lines: list[Content] = []
    if failure is not None:
        lines.append(Content.assemble(("⚠ build failed: ", "bold $warn"), untrusted(failure)))
        lines.append(Content.styled("  the screen shows the last good snapshot", "$neutral"))
    if snapshot is None:
        return lines or [Content("no snapshot yet")]
    for error in snapshot.errors:
        lines.append(Content.assemble(("⚠ file: ", "bold $warn"), untrusted(error)))
    for rel in snapshot.stale:
        lines.append(
            Content.assemble(("⟲ last good rows kept: ", "$warn"), untrusted(rel)),
        )
    rows = snapshot.rejects.height
    files = snapshot.rejects["file"].n_unique() if rows else 0
    summary = (
        f"{fmt.num(snapshot.files, 0)} files read · {fmt.num(rows, 0)} rows rejected"
        f" in {fmt.num(files, 0)} files"
    )
    lines.append(Content.styled(summary, "bold" if rows else ""))
    return lines


class LogScreen(Overlay[None]):
    """Build failures and file errors as lines, then the rejected rows in a paged table."""

    def __init__(self, snapshot: Snapshot | None, failure: str | None) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.failure = failure

    def compose(self) -> ComposeResult:
        with Vertical(id="panel", classes="overlay wide"):
            yield Static(Content("Log: problems reading the data folder"), classes="overlay-title")
            yield Static(
                Content("\n").join(problem_lines(self.snapshot, self.failure)), id="log-problems"
            )
            if self.snapshot is not None and self.snapshot.rejects.height:
                yield Static(Content(""), id="log-status", classes="overlay-status")
                yield FrameTable(self.snapshot.rejects, id="log-table")
            yield Footer()

    def on_mount(self) -> None:
        for table in self.query(FrameTable):
            table.focus()

    @on(FrameTable.Paged)
    def _paged(self, event: FrameTable.Paged) -> None:
        self.query_one("#log-status", Static).update(Content(event.table.status()))
