"""Keeping the app live: the file watcher, the build scheduler and the build itself.

Three layers collapse a burst of writes into one recompute:

1. ``watch_data_dir`` waits on ``watchfiles.awatch``, which groups the changes of a burst (it
   yields once no change arrived for ``step`` ms, or after ``debounce`` ms at most) and posts one
   ``DataChanged`` per group;
2. ``DataChanged`` replaces an older one still in the app's queue (``can_replace``);
3. ``BuildScheduler`` runs one build at a time: changes that arrive while a build runs only mark
   the folder dirty, and the next build starts when the running one ends. A steady stream of
   writes therefore yields a snapshot every build-time, never an endless run of cancelled builds.

Nothing here touches a widget: the watcher posts messages, the build returns a ``Snapshot`` (or
raises), and the app's handlers own the state.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Final

from textual.message_pump import MessagePump
from watchfiles import Change, DefaultFilter, awatch

from .messages import DataChanged

if TYPE_CHECKING:
    from flowterm.core.snapshot import Inputs, Snapshot

#: awatch's quiet period before it yields a group of changes (PERFORMANCE.md: 51 ms at 50).
STEP_MS: Final = 50
#: The longest awatch keeps grouping a continuous stream of changes before it yields.
DEBOUNCE_MS: Final = 800

#: Editors' and downloaders' temporary files: the finished file arrives under its own name.
_TEMPORARY: Final = re.compile(r"(^~\$|^\.~|\.(tmp|part|crdownload|partial|swp)$|~$)", re.I)


class DataFilter(DefaultFilter):
    """watchfiles' default filter, plus temporary and hidden files."""

    def __call__(self, change: Change, path: str) -> bool:
        name = Path(path).name
        if name.startswith(".") or _TEMPORARY.search(name):
            return False
        return super().__call__(change, path)


async def watch_data_dir(
    target: MessagePump,
    data_dir: Path,
    /,
    *,
    step_ms: int = STEP_MS,
    debounce_ms: int = DEBOUNCE_MS,
) -> None:
    """Post ``DataChanged`` to ``target`` for every group of changes under ``data_dir``.

    Runs until cancelled (the app runs it in an exclusive async worker)."""
    async for changes in awatch(
        data_dir, watch_filter=DataFilter(), step=step_ms, debounce=debounce_ms
    ):
        target.post_message(DataChanged(frozenset(Path(p) for _, p in changes)))


@dataclass(frozen=True, slots=True)
class BuildRequest:
    """One build: which session, and whether to read the folder again."""

    id: int
    #: The session to build; None for the latest one.
    session: date | None
    #: Reuse these inputs without reading the folder (moving between sessions).
    inputs: Inputs | None
    #: Read the folder again, reusing unchanged files and last good rows from these.
    previous: Inputs | None

    def run(self, data_dir: Path) -> Snapshot:
        """Build the snapshot (in a thread worker)."""
        from flowterm.core.snapshot import build_snapshot

        return build_snapshot(
            data_dir, self.session, inputs=self.inputs, previous=self.previous, live=True
        )


class BuildScheduler:
    """Decides when to build and with what; runs nothing itself and touches no widget.

    ``want`` records a wish (files changed, another session); ``next_request`` hands out a
    request when none is running; ``finished`` frees the slot. A snapshot built for a session
    the user has since left is not shown (``should_show``) but its inputs are kept for reuse.
    """

    def __init__(self, inputs: Inputs | None = None) -> None:
        self._ids = 0
        self.running: BuildRequest | None = None
        #: Files changed since the running (or last) build read the folder.
        self.dirty = False
        #: A build is wanted (for a new session, or because files changed).
        self.pending = False
        #: The session the user asked for; None follows the latest session.
        self.session: date | None = None
        #: The newest inputs read (passed on as ``previous`` or reused as ``inputs``).
        self.inputs: Inputs | None = inputs
        #: The session each started build was for, until its snapshot arrives.
        self._asked: dict[int, date | None] = {}

    def want(self, *, reread: bool) -> None:
        self.pending = True
        self.dirty = self.dirty or reread

    def next_request(self) -> BuildRequest | None:
        if self.running is not None or not self.pending:
            return None
        self._ids += 1
        reread = self.dirty or self.inputs is None
        request = BuildRequest(
            id=self._ids,
            session=self.session,
            inputs=None if reread else self.inputs,
            previous=self.inputs if reread else None,
        )
        self.running, self.pending, self.dirty = request, False, False
        self._asked[request.id] = request.session
        return request

    def finished(self) -> None:
        self.running = None

    def should_show(self, snapshot: Snapshot, build: int) -> bool:
        """Keep the snapshot's inputs; True unless build ``build`` was for a session the user
        has since left (a snapshot posted from outside, build 0, is always shown)."""
        self.inputs = snapshot.inputs
        if build not in self._asked:
            return True
        return self._asked.pop(build) == self.session

    def forget(self, build: int) -> None:
        """Build ``build`` ended without a snapshot."""
        self._asked.pop(build, None)

    @property
    def busy(self) -> bool:
        return self.running is not None or self.pending


def describe_failure(exc: BaseException) -> str:
    """A build failure as one plain-text message (it may quote file contents: never markup)."""
    from flowterm.core.catalog import CatalogError
    from flowterm.core.settings import SettingsError
    from flowterm.core.snapshot import SnapshotError

    if isinstance(exc, CatalogError | SettingsError | SnapshotError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


#: The clock the header reads the data's age against (seconds since the epoch).
Clock = Callable[[], float]
