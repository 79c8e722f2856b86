"""Every tab of the app at 80x24 and 160x48, as SVG snapshots (pytest-textual-snapshot).

The app runs on one prebuilt snapshot of the bundled sample (``snapshot=``, ``watch=False``: no
worker, no watcher) with its clock frozen four minutes after the newest data file, so nothing on
screen depends on the time of the run. Regenerate the baselines with
``pytest tests/test_app_snapshots.py --snapshot-update`` and look at them before committing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, TabbedContent

from flowterm.core.snapshot import Snapshot, build_snapshot
from flowterm.tui.app import TAB_KEYS, FlowtermApp

DATA = Path(__file__).resolve().parents[1] / "data"
SIZES = {"80x24": (80, 24), "160x48": (160, 48)}
#: The ticker each tab shows selected (the story's flip name; None keeps the first row).
SELECTED = {"tickers": "NVDA"}


@pytest.fixture(scope="module")
def sample() -> Snapshot:
    """The bundled sample, built once (not named ``snapshot``: syrupy owns that fixture)."""
    return build_snapshot(DATA)


def frozen(snapshot: Snapshot) -> Callable[[], float]:
    return lambda: snapshot.newest_mtime_ns / 1e9 + 240.0


def _pending(app: FlowtermApp) -> bool:
    """Whether any widget still has messages to handle or a table still has to measure its
    cells (DataTable sizes its columns when idle: a screenshot before that is a different
    picture)."""
    for widget in app.screen.walk_children(with_self=True):
        if not widget._message_queue.empty():
            return True
        if isinstance(widget, DataTable) and (
            widget._require_update_dimensions or widget._updated_cells or widget._new_rows
        ):
            return True
    return not app._message_queue.empty()


async def settle(pilot: Pilot[None]) -> None:
    """Pause until nothing is pending twice in a row (the CPU-idle heuristic of
    ``Pilot.pause`` alone lets a busy machine take the picture too early)."""
    quiet = 0
    for _ in range(200):
        await pilot.pause()
        quiet = 0 if _pending(pilot.app) else quiet + 1  # type: ignore[arg-type]
        if quiet >= 2:
            break
    await pilot.wait_for_scheduled_animations()


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("tab", list(TAB_KEYS))
def test_tab(snap_compare: Callable[..., bool], sample: Snapshot, tab: str, size: str) -> None:
    app = FlowtermApp(snapshot=sample, watch=False, clock=frozen(sample))

    async def open_tab(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press(TAB_KEYS[tab])
        await settle(pilot)
        symbol = SELECTED.get(tab)
        if symbol is not None:
            app.select_ticker(symbol)
            await settle(pilot)
        assert app.query_one(TabbedContent).active == tab

    assert snap_compare(app, terminal_size=SIZES[size], run_before=open_tab)
