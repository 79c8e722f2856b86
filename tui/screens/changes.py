"""What changed since the prior session: the report's change list, as the app's view.

The lines are the Markdown report's own (``core.report.changes_section``), so the app and
``flowterm report`` print the same words and numbers. Each line keeps its arrow (▲ bullish,
▼ bearish, · neither) beside the colour, so it reads the same under ``NO_COLOR``.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Static

from flowterm.core.report import Line, changes_section
from flowterm.core.snapshot import Snapshot

from .base import Overlay
from .text import untrusted

#: A part's tone (+1 bullish, −1 bearish) → its theme variable.
_TONE_STYLE = {1: "$bull", -1: "$bear"}


def line_content(line: Line) -> Content:
    """One report line as plain ``Content`` (symbols in it are never markup)."""
    parts = [untrusted(text, _TONE_STYLE.get(tone or 0, "")) for text, tone in line.parts]
    body = Content.assemble(*parts)
    return Content.assemble("  • ", body) if line.bullet else body


def changes_lines(snapshot: Snapshot) -> tuple[str, list[Content]]:
    """The view's title and its lines."""
    section = changes_section(snapshot)
    return section.title, [line_content(line) for line in section.lines]


class _Lines(VerticalScroll):
    """The change list; j/k and the arrows scroll it."""

    def action_cursor_down(self) -> None:
        self.scroll_down()

    def action_cursor_up(self) -> None:
        self.scroll_up()


class ChangesScreen(Overlay[None]):
    """Zones crossed, new ceiling/floor statuses, new flips, verdict, convergence and regime
    changes since the prior session."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="changes.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="changes.page_up"),
    ]

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def compose(self) -> ComposeResult:
        title, lines = changes_lines(self.snapshot)
        session = self.snapshot.session.isoformat()
        with Vertical(id="panel", classes="overlay wide"):
            yield Static(untrusted(f"{session} · {title}"), classes="overlay-title")
            with _Lines(id="changes-lines"):
                yield Static(Content("\n").join(lines), id="changes-text")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one(_Lines).focus()

    def action_page(self, step: int) -> None:
        lines = self.query_one(_Lines)
        if step > 0:
            lines.scroll_page_down()
        else:
            lines.scroll_page_up()
