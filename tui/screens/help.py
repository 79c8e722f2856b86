"""Help: every key, generated from the bindings in force (so remapped keys show as remapped)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Footer, Static

from .base import Overlay

REMAP_HINT = (
    "Remap a key by its id under [keys] in ~/.config/flowterm/flowterm.toml, "
    'e.g. "app.quit" = "ctrl+q".'
)


@dataclass(frozen=True, slots=True)
class KeyHelp:
    """One binding as the help screen lists it."""

    keys: str
    description: str
    help: str
    id: str


def help_rows(sections: Sequence[tuple[str, Sequence[KeyHelp]]]) -> list[tuple[Text, ...]]:
    """Table rows: a title row per section, then key, action, id and help per binding."""
    rows: list[tuple[Text, ...]] = []
    for title, entries in sections:
        if not entries:
            continue
        rows.append((Text(title, style="bold underline"), Text(""), Text(""), Text("")))
        for entry in entries:
            rows.append(
                (
                    Text(" " + entry.keys, style="bold"),
                    Text(entry.description),
                    Text(entry.id, style="dim"),
                    Text(entry.help),
                )
            )
    return rows


class HelpScreen(Overlay[None]):
    """The key map, by where the keys work."""

    def __init__(self, sections: Sequence[tuple[str, Sequence[KeyHelp]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(id="panel", classes="overlay wide"):
            yield Static(Content("Keys"), classes="overlay-title")
            yield Static(Content(REMAP_HINT), classes="overlay-status")
            yield DataTable[Text](id="help-table", cursor_type="row", zebra_stripes=True)
            yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Action", "Id", "What it does")
        table.add_rows(help_rows(self.sections))
        table.focus()

    def plain(self) -> str:
        """Every row as text (for tests and screen readers)."""
        return "\n".join(" ".join(cell.plain for cell in row) for row in help_rows(self.sections))
