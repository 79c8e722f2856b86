"""``flowterm import`` on the terminal: a progress bar by bytes, then what was written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from flowterm.core.importer import Imported, import_all, source_files


def _report(console: Console, item: Imported, into: Path) -> None:
    if item.skipped is not None:
        console.print(
            Text.assemble("  ", (str(item.source), "dim"), f" — not imported: {item.skipped}")
        )
        return
    kind = item.kind.value if item.kind else "?"
    console.print(
        Text.assemble(
            "  ",
            (str(item.source), "bold"),
            f" ({item.fmt}, {kind}): {item.rows_read:,} rows read, "
            f"{item.rows_rejected:,} set aside",
        )
    )
    for reason, count, first in item.reasons:
        console.print(Text(f"      {count:>6,} × {reason} (first at line {first})"))
    for target, rows in item.written:
        verb = "replaced" if target in item.replaced else "wrote"
        rel = (
            target.relative_to(into.resolve()) if target.is_relative_to(into.resolve()) else target
        )
        console.print(Text(f"      {verb} {rel} ({rows:,} rows)", style="green"))


def run_import(sources: list[Path], into: Path, session: date | None) -> int:
    """Import with a progress bar; returns the exit status."""
    console = Console(highlight=False, stderr=False)
    files = list(source_files(sources))
    total = sum(p.stat().st_size for p in files if p.exists())
    columns = (
        TextColumn("importing"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("import", total=total)
        results = import_all(
            files, into, session=session, progress=lambda _p, size: bar.advance(task, size)
        )
    console.print(Text.assemble(("flowterm import → ", "bold"), str(into)))
    for item in results:
        _report(console, item, into)
    imported = sum(1 for r in results if r.written)
    rejected = sum(r.rows_rejected for r in results)
    skipped = sum(1 for r in results if r.skipped)
    console.print(
        Text(f"\n{imported} files imported, {rejected:,} rows set aside, {skipped} not imported")
    )
    return 0 if rejected == 0 and skipped == 0 else 1
