"""Render a folder check (``flowterm validate``) for a person.

Every file name, reason and raw value comes from the user's files, so all of it goes through
``Text`` objects, never through console markup, and through ``printable``: Rich drops some
control characters but passes ESC, so a symbol ``"\x1b[2J"`` would otherwise clear the screen.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from flowterm.core.checkup import FileCheck, FolderCheck, Status, empty_data_file

from .screens.text import printable

_STYLE = {Status.CLEAN: "green", Status.REJECTED: "yellow", Status.UNUSABLE: "red"}


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _files_table(files: list[FileCheck], show_all: bool) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("file", overflow="fold")
    table.add_column("kind")
    table.add_column("rows", justify="right")
    table.add_column("rejected", justify="right")
    quiet_bars = [f for f in files if f.kind == "bars" and not (f.rows_rejected or f.error)]
    fold_bars = not show_all and len(quiet_bars) > 3
    for f in files:
        if fold_bars and f in quiet_bars:
            continue
        rejected = Text("unreadable" if f.error else f"{f.rows_rejected:,}")
        if f.problem or f.rows_rejected:
            rejected.stylize("bold yellow")
        table.add_row(Text(printable(f.rel)), Text(f.title), Text(f"{f.rows_read:,}"), rejected)
    if fold_bars:
        rows = sum(f.rows_read for f in quiet_bars)
        table.add_row(
            Text(f"+{len(quiet_bars)} clean bars files (--all)"),
            Text("daily bars"),
            Text(f"{rows:,}"),
            Text("0"),
        )
    return table


def _problems(console: Console, files: list[FileCheck]) -> None:
    bad = [f for f in files if f.rows_rejected or f.problem]
    if not bad:
        return
    console.print(Text("\nProblems", style="bold"))
    for f in bad:
        rel = printable(f.rel)
        if f.problem:
            console.print(Text.assemble("  ", (rel, "bold"), ": ", printable(f.problem)))
            continue
        rows = "row" if f.rows_rejected == 1 else "rows"
        console.print(Text.assemble("  ", (rel, "bold"), f": {f.rows_rejected:,} {rows} set aside"))
        for reason, count, first in f.reasons:
            console.print(Text(printable(f"    {count:>6,} × {reason} (first at line {first})")))
        for line, _reason, raw in f.samples:
            console.print(Text(printable(f"           line {line}: {raw[:60]}"), style="dim"))


def render_check(check: FolderCheck, *, show_all: bool = False) -> None:
    """Print ``check`` as tables and lists."""
    console = _console()
    console.print(Text.assemble(("flowterm validate ", "bold"), printable(check.root)))
    if check.status is Status.UNUSABLE:
        console.print(Text(printable(f"✗ {check.message}"), style="bold red"))
    else:
        span = f"{check.sessions[0]} … {check.sessions[-1]}" if check.sessions else "none"
        console.print(Text(f"sessions: {len(check.sessions)} ({span})"))
        console.print(_files_table(list(check.files), show_all))
        _problems(console, list(check.files))
    if check.skipped:
        console.print(Text("\nNot used", style="bold"))
        for s in check.skipped:
            style = "yellow" if s.unreadable or empty_data_file(s) else "dim"
            console.print(
                Text.assemble("  ", (printable(s.rel), style), " — ", printable(s.reason))
            )
    verdict = {
        Status.CLEAN: "clean",
        Status.REJECTED: "problems found",
        Status.UNUSABLE: "folder unusable",
    }[check.status]
    summary = (
        f"\n{len(check.files)} files, {check.rows_read:,} rows read, "
        f"{check.rows_rejected:,} rejected, {len(check.skipped)} not used: {verdict} "
        f"(exit {int(check.status)})"
    )
    console.print(Text(summary, style=_STYLE[check.status]))
