"""What ``flowterm [DATA_DIR]`` prints until the interactive app lands (its own issue)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.text import Text

from flowterm.core.catalog import CatalogError, scan_catalog
from flowterm.core.schema import spec


def print_summary(data_dir: Path) -> int:
    """Describe the data folder; returns the exit status (2 when the folder is unusable)."""
    console = Console(highlight=False)
    try:
        catalog = scan_catalog(data_dir)
    except CatalogError as exc:
        console.print(Text(f"flowterm: {exc}", style="bold red"))
        return 2
    console.print(Text.assemble(("flowterm ", "bold"), str(catalog.root)))
    if catalog.sessions:
        first, last = catalog.sessions[0], catalog.sessions[-1]
        console.print(Text(f"{len(catalog.sessions)} sessions: {first} … {last}"))
    kinds: dict[str, int] = {}
    for f in catalog.files:
        kinds[spec(f.kind).title] = kinds.get(spec(f.kind).title, 0) + 1
    for title, n in sorted(kinds.items()):
        console.print(Text(f"  {title}: {n} files"))
    console.print(
        Text(
            "The interactive app is not part of this build yet; "
            "`flowterm validate` checks the folder file by file.",
            style="dim",
        )
    )
    return 0
