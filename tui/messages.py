"""Messages between the app, its workers and the tabs.

Workers compute and post; handlers on the app own the state. ``DataChanged`` and
``SnapshotReady`` collapse in the queue (``can_replace``): a burst of file events is handled once,
and when snapshots pile up only the newest is shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from flowterm.core.snapshot import Snapshot


class SnapshotReady(Message):
    """A snapshot was built (by the build worker, or posted directly by a test)."""

    def __init__(self, snapshot: Snapshot, *, build: int = 0) -> None:
        super().__init__()
        self.snapshot = snapshot
        #: The build request that produced it (0 when posted from outside the app).
        self.build = build

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)


class SnapshotFailed(Message):
    """A build failed; ``error`` is plain text (it may quote file contents: never markup)."""

    def __init__(self, error: str, *, build: int = 0) -> None:
        super().__init__()
        self.error = error
        self.build = build


class DataChanged(Message):
    """Files under the data folder changed (a burst of changes is one message)."""

    def __init__(self, paths: frozenset[Path] = frozenset()) -> None:
        super().__init__()
        self.paths = paths

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DataChanged)


class TickerSelected(Message):
    """A tab's cursor landed on a ticker row; the selection follows across tabs."""

    def __init__(self, symbol: str) -> None:
        super().__init__()
        self.symbol = symbol
