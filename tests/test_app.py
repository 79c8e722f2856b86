"""The app shell, driven with Pilot at 80x24: tabs, keys, ticker sync, sessions, drill-down,
explain, help, quit, live updates, last good data and hostile text.

One real snapshot of the bundled data is built per module (about 5 s) and injected through the
constructor (``snapshot=``, ``watch=False``: no worker, no watcher) or by posting
``SnapshotReady``. Tests that need builds wait on the build workers; only the live tests poll
(with a timeout) for the file watcher.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from minifolder import HOSTILE, settle_builds
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TabbedContent

from flowterm.core.snapshot import Snapshot, build_snapshot
from flowterm.tui.app import FlowtermApp, known_binding_ids, ticker_choices
from flowterm.tui.header import FlowHeader, age_text
from flowterm.tui.live import BuildScheduler
from flowterm.tui.messages import DataChanged, SnapshotReady, TickerSelected
from flowterm.tui.screens.drill import DrillDownScreen
from flowterm.tui.screens.explain import ExplainScreen, explanation_content
from flowterm.tui.screens.help import HelpScreen
from flowterm.tui.screens.jump import JumpScreen, matches
from flowterm.tui.screens.log import LogScreen
from flowterm.tui.screens.table import FrameTable
from flowterm.tui.screens.text import printable
from flowterm.tui.tabs import TAB_CLASSES

DATA = Path(__file__).resolve().parents[1] / "data"
SESSION = "2026-04-08"
SIZE = (80, 24)
TAB_IDS = ("regime", "zones", "flow", "darkpool", "tickers", "convergence")

# Async tests run on asyncio through anyio's pytest plugin (anyio comes with watchfiles).
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# ------------------------------------------------------------------------------------------
# fixtures and helpers
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    return build_snapshot(DATA)


def frozen(snapshot: Snapshot, seconds: float = 240.0) -> Callable[[], float]:
    """A clock standing ``seconds`` after the newest file was written."""
    return lambda: snapshot.newest_mtime_ns / 1e9 + seconds


def make_app(snapshot: Snapshot, **kwargs: Any) -> FlowtermApp:
    options: dict[str, Any] = {"watch": False, "clock": frozen(snapshot), **kwargs}
    return FlowtermApp(snapshot=snapshot, **options)


def small_folder(root: Path) -> Path:
    """bars/, macro.csv, sectors.csv and one session of the bundled data (builds in ~1.5 s)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(DATA / "bars", root / "bars")
    shutil.copytree(DATA / SESSION, root / SESSION)
    for name in ("macro.csv", "sectors.csv"):
        shutil.copy(DATA / name, root / name)
    return root


def replace_file(path: Path, write: Callable[[Path], object]) -> None:
    """Write a new version of ``path`` beside the data folder and move it in at once (as a
    careful writer does; a file caught half-written is a different test)."""
    tmp = path.parents[2] / f"{path.name}.new"
    write(tmp)
    os.replace(tmp, path)


def screen_text(app: FlowtermApp) -> str:
    """What the terminal shows, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def text_of(screen: Any, selector: str) -> str:
    """The plain text of the ``Static`` at ``selector`` on ``screen``."""
    return str(screen.query_one(selector, Static).render())


def header_text(app: FlowtermApp) -> str:
    return app.query_one(FlowHeader).render().plain


async def settle(pilot: Pilot[None]) -> None:
    """Wait until no build runs or is pending and every message is handled."""
    assert isinstance(pilot.app, FlowtermApp)
    await settle_builds(pilot, rounds=50)


async def wait_until(
    pilot: Pilot[None], predicate: Callable[[], bool], timeout: float = 30.0
) -> None:
    """Poll ``predicate`` while the app runs (only for the file watcher, which has no end)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.1)


def active(app: FlowtermApp) -> str:
    return app.query_one(TabbedContent).active


# ------------------------------------------------------------------------------------------
# start, tabs, keys
# ------------------------------------------------------------------------------------------


async def test_opens_on_regime_with_everything_populated(snapshot: Snapshot) -> None:
    app = make_app(snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert active(app) == "regime"
        assert app.snapshot is snapshot
        assert not app.query_one("#loading").display
        text = header_text(app)
        assert f"{snapshot.session:%a %Y-%m-%d}" in text
        assert f"{len(snapshot.sessions)}/{len(snapshot.sessions)}" in text
        assert "data 4m old" in text
        count = snapshot.convergence
        assert f"{count.bullish} vs {count.bearish}" in text
        assert "Regime" in text and "SELL AMERICA" in text
        assert "⚠" not in text  # the bundled data is clean
        shown = screen_text(app)
        for number, view in enumerate(TAB_CLASSES, start=1):
            assert f"{number} {view.TITLE}" in shown
        assert app._drawn["regime"] is snapshot
        focused = app.focused
        assert focused is not None and app._views["regime"] in focused.ancestors
        assert not [w for w in app.workers if not w.is_finished]  # no worker, no watcher


async def test_tab_keys_show_each_tab_and_hidden_tabs_redraw_when_shown(
    snapshot: Snapshot,
) -> None:
    assert tuple(cls.TAB_ID for cls in TAB_CLASSES) == TAB_IDS
    app = make_app(snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert set(app._drawn) == {"regime"}  # hidden tabs wait until shown
        for number, tab_id in reversed(list(enumerate(TAB_IDS, start=1))):
            await pilot.press(str(number))
            await pilot.pause()
            assert active(app) == tab_id
            assert app._drawn[tab_id] is snapshot
            focused = app.focused
            assert focused is not None and app._views[tab_id] in focused.ancestors_with_self


async def test_keymap_remaps_bindings_by_id(snapshot: Snapshot) -> None:
    app = make_app(snapshot, keymap={"tab.zones": "z", "app.quit": "ctrl+q", "nope.x": "y"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "z Zones" in screen_text(app)
        await pilot.press("2")
        await pilot.pause()
        assert active(app) == "regime"
        await pilot.press("z")
        await pilot.pause()
        assert active(app) == "zones"
        await pilot.press("q")  # remapped away: q no longer quits
        await pilot.pause()
        assert app.is_running
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert isinstance(app.screen, HelpScreen)
        help_text = app.screen.plain()
        assert "z Zones tab.zones" in help_text
        assert "^q Quit app.quit" in help_text
        await pilot.press("escape")
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


def test_every_binding_has_an_id_and_the_ids_are_known() -> None:
    ids = known_binding_ids()
    for binding in Binding.make_bindings(FlowtermApp.BINDINGS):
        assert binding.id, binding
        assert binding.id in ids
    for binding_id in ("drill.sort", "drill.next_page", "overlay.close", "jump.next"):
        assert binding_id in ids


async def test_help_is_generated_from_the_bindings(snapshot: Snapshot) -> None:
    app = make_app(snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.plain()
        for binding in Binding.make_bindings(FlowtermApp.BINDINGS):
            assert binding.id is not None and binding.id in text
            assert binding.description in text
        for key in ("/ ^p", "[", "]", "?", "pgdn", "o", "esc q"):
            assert key in text.lower()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app._main


async def test_q_quits(snapshot: Snapshot) -> None:
    app = make_app(snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert not app.is_running


async def test_themes_cycle_and_every_colour_is_a_theme_variable(snapshot: Snapshot) -> None:
    from flowterm.themes import SEMANTIC, THEMES

    for theme in THEMES:
        assert set(SEMANTIC) <= set(theme.variables)
    tcss = (Path(__file__).resolve().parents[1] / "tui" / "app.tcss").read_text()
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|hsl\(", tcss)
    assert not re.search(r":\s*(red|green|blue|white|black|yellow|magenta|cyan)\b", tcss)
    app = make_app(snapshot, theme="light")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "flowterm-light"
        for theme in THEMES[2:] + THEMES[:1]:
            await pilot.press("t")
            await pilot.pause()
            assert app.theme == theme.name
            assert app.theme_variables["bull"] == theme.variables["bull"]
        app.theme = "textual-dark"  # a theme without the semantic variables still works
        await pilot.pause()
        assert app.theme_variables["bull"]


# ------------------------------------------------------------------------------------------
# tickers and sessions
# ------------------------------------------------------------------------------------------


async def test_ticker_jump_and_selection_follow_across_tabs(snapshot: Snapshot) -> None:
    symbols = [s for s, _ in ticker_choices(snapshot)]
    assert "NVDA" in symbols
    app = make_app(snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("3", "slash")
        await pilot.pause()
        assert isinstance(app.screen, JumpScreen)
        await pilot.press("n", "v", "d")
        await pilot.pause()
        assert app.screen.shown[0][0] == "NVDA"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app._main
        assert app.selected == "NVDA"
        assert "NVDA" in header_text(app)
        assert app._views["flow"].selected == "NVDA"
        for number in (4, 5, 2):
            await pilot.press(str(number))
            await pilot.pause()
            assert app.active_view is not None
            assert app.active_view.selected == "NVDA"

        # ctrl+p opens the same jump from any tab; Escape leaves the selection alone
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, JumpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.selected == "NVDA"

        # a tab's cursor landing on a ticker selects it everywhere
        await pilot.press("5")
        await pilot.pause()
        before = app.selected
        await pilot.press("j")
        await pilot.pause()
        assert app.selected is not None and app.selected != before
        moved = app.selected
        await pilot.press("4")
        await pilot.pause()
        assert app._views["darkpool"].selected == moved

        # the message a tab posts (bubbling up to the app) does the same
        view = app.active_view
        assert view is not None
        view.post_message(TickerSelected("AAPL"))
        await pilot.pause()
        assert app.selected == "AAPL" and "AAPL" in header_text(app)
        await pilot.press("3")
        await pilot.pause()
        assert app._views["flow"].selected == "AAPL"


async def test_jump_from_a_tab_without_ticker_rows_goes_to_tickers(snapshot: Snapshot) -> None:
    app = make_app(snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", "a", "m", "d", "enter")
        await pilot.pause()
        assert app.selected == "AMD"
        assert active(app) == "tickers"
        assert app._views["tickers"].selected == "AMD"


def test_jump_matches_prefix_first() -> None:
    choices = [("AMD", ""), ("AMZN", ""), ("CAMT", ""), ("SPY", "")]
    assert [s for s, _ in matches(choices, "am")] == ["AMD", "AMZN", "CAMT"]
    assert [s for s, _ in matches(choices, "")] == ["AMD", "AMZN", "CAMT", "SPY"]
    assert matches(choices, "zzz") == []


async def test_session_keys_move_between_sessions(snapshot: Snapshot) -> None:
    sessions = snapshot.sessions
    app = make_app(snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("]")  # already the newest: nothing to build
        await pilot.pause()
        assert not app._scheduler.busy
        await pilot.press("[")
        await settle(pilot)
        assert app.snapshot is not None and app.snapshot.session == sessions[-2]
        assert app.snapshot.inputs is snapshot.inputs  # moving between sessions reads nothing
        assert f"{sessions[-2]:%Y-%m-%d} {len(sessions) - 1}/{len(sessions)}" in header_text(app)
        assert app._drawn["regime"] is app.snapshot
        await pilot.press("]")
        await settle(pilot)
        assert app.snapshot.session == sessions[-1]
        assert app._scheduler.session is None  # back on the newest: follows new data


# ------------------------------------------------------------------------------------------
# drill-down, explain, log
# ------------------------------------------------------------------------------------------


async def test_enter_drills_down_into_the_prints(snapshot: Snapshot) -> None:
    app = make_app(snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DrillDownScreen)
        table = app.screen.query_one(FrameTable)
        assert 0 < table.row_count <= 200
        assert table.row_count == min(200, table.frame.height)
        status = text_of(app.screen, "#drill-status")
        assert status.startswith("rows 1–")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app._main


async def test_drill_down_pages_and_sorts_by_value(snapshot: Snapshot) -> None:
    frame = pl.DataFrame(
        {"symbol": [f"S{i % 7}" for i in range(1000)], "premium": [float(i) for i in range(1000)]}
    ).sample(fraction=1.0, shuffle=True, seed=1)
    app = make_app(snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(DrillDownScreen("[bold red]x prints", frame))
        await pilot.pause()
        table = app.screen.query_one(FrameTable)
        status = app.screen.query_one("#drill-status", Static)
        assert table.row_count == 200
        assert str(status.render()) == "rows 1–200 of 1000 · page 1/5"
        await pilot.press("pagedown")
        await pilot.pause()
        assert str(status.render()) == "rows 201–400 of 1000 · page 2/5"
        await pilot.press("right", "o", "o")  # premium, ascending then descending
        await pilot.pause()
        assert str(status.render()).endswith("sorted by premium ▼")
        assert table.get_row_at(0)[1].plain == "999"
        assert table.get_row_at(1)[1].plain == "998"
        await pilot.press("pagedown", "pagedown", "pagedown", "pagedown", "pagedown")
        await pilot.pause()
        assert table.page == 4
        assert table.get_row_at(table.row_count - 1)[1].plain == "0"
        await pilot.press("pageup")
        await pilot.pause()
        assert table.page == 3
        assert "[bold red]x prints" in screen_text(app)


async def test_e_explains_the_focused_figure(snapshot: Snapshot) -> None:
    app = make_app(snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("3", "e")
        await pilot.pause()
        assert isinstance(app.screen, ExplainScreen)
        expl = app.screen.explanation
        assert snapshot.explanations[expl.figure] is expl
        text = text_of(app.screen, "#explain-text")
        for part in (expl.title, expl.section, expl.formula, expl.display, *expl.sources):
            assert part in text
        for name in expl.params:
            assert name in text
        for name in expl.inputs:
            assert name in text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app._main


async def test_log_lists_rejects_and_errors(snapshot: Snapshot) -> None:
    rejects = pl.DataFrame(
        {"file": ["2026-04-08/options.csv"], "line": [7], "reason": ["bad"], "raw": ["x"]},
        schema=snapshot.rejects.schema,
    )
    broken = dataclasses.replace(
        snapshot, rejects=rejects, errors=("2026-04-08/chain.parquet: cannot read: bad footer",)
    )
    app = make_app(broken)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "⚠ 1 rejected, 1 file failed (l)" in header_text(app)
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LogScreen)
        problems = text_of(app.screen, "#log-problems")
        assert "2026-04-08/chain.parquet: cannot read: bad footer" in problems
        table = app.screen.query_one(FrameTable)
        assert [c.plain for c in table.get_row_at(0)] == ["2026-04-08/options.csv", "7", "bad", "x"]


async def test_c_shows_what_changed_since_the_prior_session(snapshot: Snapshot) -> None:
    from flowterm.core.report import changes_section
    from flowterm.tui.screens.changes import ChangesScreen

    section = changes_section(snapshot)
    assert snapshot.changes is not None and snapshot.changes.items
    app = make_app(snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ChangesScreen)
        title = text_of(app.screen, ".overlay-title")
        assert title == f"{SESSION} · What changed since 2026-04-07"
        shown = text_of(app.screen, "#changes-text").splitlines()
        # the report's lines, word for word (bullets marked), in the report's order
        assert shown == [("  • " if line.bullet else "") + line.text for line in section.lines]
        assert shown[0] == snapshot.changes.summary
        assert any("SPX" in line and "AT CEILING" in line for line in shown)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app._main


# ------------------------------------------------------------------------------------------
# live updates and last good data
# ------------------------------------------------------------------------------------------


async def test_posted_snapshots_replace_the_old_one_and_keep_the_place(
    snapshot: Snapshot,
) -> None:
    app = make_app(snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        for _ in range(3):
            await pilot.press("j")
        await pilot.pause()
        table = app.screen.focused
        assert isinstance(table, DataTable)
        row = table.cursor_row
        selected = app.selected
        assert row == 3 and selected is not None

        count = dataclasses.replace(snapshot.convergence, bullish=11, bearish=2)
        newer = dataclasses.replace(snapshot, convergence=count)
        older = dataclasses.replace(snapshot, convergence=dataclasses.replace(count, bullish=1))
        app.post_message(SnapshotReady(older))
        app.post_message(SnapshotReady(newer))  # collapses: only the newest is shown
        await pilot.pause()
        assert app.snapshot is newer
        assert "▲ 11 vs 2" in header_text(app)
        assert app._drawn["zones"] is newer
        assert app._drawn["regime"] is snapshot  # hidden: redrawn when shown
        assert table.cursor_row == row and app.selected == selected
        await pilot.press("1")
        await pilot.pause()
        assert app._drawn["regime"] is newer


async def test_burst_of_changes_is_one_build(tmp_path: Path) -> None:
    root = small_folder(tmp_path / "data")
    first = build_snapshot(root)
    app = FlowtermApp(snapshot=first, watch=False, clock=frozen(first))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(20):
            app.post_message(DataChanged())
        await pilot.pause()
        assert app._scheduler._ids == 1  # one build running ...
        for _ in range(20):
            app.post_message(DataChanged())  # ... and changes during it make one more
        await settle(pilot)
        assert app._scheduler._ids <= 2
        assert app.snapshot is not first
        assert app.snapshot is not None and app.snapshot.files == first.files


def test_scheduler_runs_one_build_at_a_time_with_the_newest_inputs(snapshot: Snapshot) -> None:
    s = BuildScheduler(snapshot.inputs)
    s.want(reread=True)
    first = s.next_request()
    assert first is not None and first.previous is snapshot.inputs and first.inputs is None
    s.want(reread=True)
    s.want(reread=True)
    assert s.next_request() is None  # one at a time
    s.finished()
    second = s.next_request()
    assert second is not None and second.previous is snapshot.inputs
    s.finished()
    assert s.next_request() is None  # both wishes were served by one build
    s.session = snapshot.sessions[0]
    s.want(reread=False)
    third = s.next_request()
    assert third is not None and third.inputs is snapshot.inputs and third.previous is None
    s.session = None  # the user moved on before it finished: not shown
    assert not s.should_show(snapshot, third.id)
    assert s.should_show(snapshot, 0)  # posted from outside: always shown


async def test_live_update_redraws_after_a_file_changes(tmp_path: Path) -> None:
    root = small_folder(tmp_path / "data")
    app = FlowtermApp(root, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        assert "loading" in screen_text(app)
        await wait_until(pilot, lambda: app.snapshot is not None)
        first = app.snapshot
        assert first is not None
        total = first.flow.market.total
        options = root / SESSION / "options.parquet"
        frame = pl.read_parquet(options)
        replace_file(options, lambda tmp: frame.head(frame.height // 2).write_parquet(tmp))
        await wait_until(
            pilot,
            lambda: (
                app.snapshot is not first
                and app.snapshot is not None
                and app.snapshot.flow.market.total != total
            ),
        )
        assert app.snapshot is not None
        assert app.snapshot.flow.market.total < total
        assert app._drawn["regime"] is app.snapshot
        assert "⚠" not in header_text(app)


async def test_corrupt_file_keeps_the_last_good_data(tmp_path: Path) -> None:
    root = small_folder(tmp_path / "data")
    app = FlowtermApp(root, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.snapshot is not None)
        good = app.snapshot
        assert good is not None
        options = root / SESSION / "options.parquet"
        truncated = options.read_bytes()[:200]
        replace_file(options, lambda tmp: tmp.write_bytes(truncated))
        await wait_until(pilot, lambda: app.snapshot is not good and not app._scheduler.busy)
        now = app.snapshot
        assert now is not None
        assert now.flow.market == good.flow.market  # the last good rows are still counted
        assert now.flow.tickers.equals(good.flow.tickers)
        assert f"{SESSION}/options.parquet" in now.stale
        assert "⚠" in header_text(app) and "1 file failed" in header_text(app)
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LogScreen)
        problems = text_of(app.screen, "#log-problems")
        assert f"{SESSION}/options.parquet" in problems
        assert "last good rows kept" in problems


async def test_failed_build_keeps_the_snapshot_and_says_why(tmp_path: Path) -> None:
    root = small_folder(tmp_path / "data")
    first = build_snapshot(root)
    app = FlowtermApp(snapshot=first, watch=False, clock=frozen(first))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        (root / "flowterm.toml").write_text("[flow]\nno_such_key = 1\n")
        app.post_message(DataChanged())
        await settle(pilot)
        assert app.snapshot is first
        assert app.failure is not None and "no_such_key" in app.failure
        assert "build failed" in header_text(app)
        assert app._drawn["regime"] is first
        (root / "flowterm.toml").unlink()
        app.post_message(DataChanged())
        await settle(pilot)
        assert app.failure is None and app.snapshot is not first
        assert "build failed" not in header_text(app)


async def test_unusable_folder_shows_the_error_instead_of_loading(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("[bold red]x\n")
    app = FlowtermApp(tmp_path, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.snapshot is None and app.failure is not None
        text = screen_text(app)
        assert "cannot show" in text and "build failed" in text


async def test_header_says_what_is_being_recomputed(snapshot: Snapshot) -> None:
    app = make_app(snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        header = app.query_one(FlowHeader)
        day = snapshot.sessions[-2]
        header.update_state(snapshot=snapshot, building=day, failure=None, selected=None)
        assert f"⟳ recomputing {day:%Y-%m-%d}…" in header.render().plain
        header.update_state(snapshot=snapshot, building=True, failure="[bold red]x", selected="[/")
        text = header.render().plain
        assert "⟳ recomputing…" in text and "build failed: [bold red]x" in text and "[/" in text


def test_age_text() -> None:
    assert [age_text(s) for s in (0, 59.9, 60, 3599, 3600, 86400 * 3)] == [
        "0s",
        "59s",
        "1m",
        "59m",
        "1h",
        "3d",
    ]


# ------------------------------------------------------------------------------------------
# hostile text
# ------------------------------------------------------------------------------------------


def hostile_folder(root: Path) -> Path:
    small_folder(root)
    session = root / SESSION
    lines = ["ts,underlying,expiry,strike,right,price,size,bid,ask,exchange"]
    for i, text in enumerate(HOSTILE):
        lines.append(f"{SESSION} 10:0{i}:00,{text},2026-04-17,100,C,1.25,10,1.20,1.30,{text}")
    lines.append(f"{SESSION} 10:09:00,SPY,2026-04-17,100,C,{HOSTILE[3]},10,1.20,1.30,x")  # reject
    (session / "options_hostile.csv").write_text("\n".join(lines) + "\n")
    dark = ["ts,symbol,price,size,bid,ask,venue"]
    for i, text in enumerate(HOSTILE):
        dark.append(f"{SESSION} 10:0{i}:00,{text},10.0,100,9.9,10.1,{text}")
    (session / "darkpool_hostile.csv").write_text("\n".join(dark) + "\n")
    (session / "options[bold red]x.parquet").write_bytes(b"PAR1 [link=file:///etc/passwd]x")
    return root


async def test_hostile_strings_render_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reading sets such symbols aside ("is not a ticker", tests/test_bad_input.py); they are let
    # through here to show that every renderer is safe on its own (defence in depth).
    from flowterm.core import validate

    monkeypatch.setattr(validate, "SYMBOL_PATTERN", r"^.+$")
    hostile = build_snapshot(hostile_folder(tmp_path / "data"), cache=None)
    symbols = set(hostile.tickers["symbol"].to_list())
    visible = [printable(h) for h in HOSTILE]  # ESC shows as ␛: visible, never sent
    assert hostile.rejects.height and hostile.errors

    app = make_app(hostile)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        seen = header_text(app)
        odd = sorted(s for s in symbols if "[" in s or "=" in s)
        assert len(odd) == len(HOSTILE)
        for number in range(1, 7):
            await pilot.press(str(number))
            await pilot.pause()
            seen += screen_text(app)
            for symbol in odd:  # each tab scrolls its row into view
                app.select_ticker(symbol)
                await pilot.pause()
                assert printable(symbol) in header_text(app)
                seen += screen_text(app)
        for symbol in odd:
            assert printable(symbol) in seen
        # the jump list shows hostile symbols as typed
        await pilot.press("slash", "left_square_bracket")
        await pilot.pause()
        assert isinstance(app.screen, JumpScreen)
        jump = screen_text(app)
        assert "[LINK=FILE:///ETC/PASSWD]X[/LINK]" in jump and "[BOLD RED]X" in jump
        await pilot.press("escape")
        # the log shows hostile file names, reasons and raw rows as they are
        await pilot.press("l")
        await pilot.pause()
        log = screen_text(app)
        assert "options[bold red]x.parquet" in log
        assert f"unparseable price '{HOSTILE[3]}'" in log
        await pilot.press("escape")
        # drill-down shows hostile venues verbatim
        prints = hostile.dark_prints.filter(pl.col("venue").is_in(HOSTILE)).collect()
        assert prints.height == len(HOSTILE)
        app.push_screen(DrillDownScreen(HOSTILE[2], prints.select("symbol", "venue", "price")))
        await pilot.pause()
        drill = screen_text(app)
        for text in visible:
            assert text in drill
        # explain shows hostile sources and names as they are
        key = next(k for k in hostile.explanations if "[" in k)
        app.pop_screen()
        app.push_screen(ExplainScreen(hostile.explanations[key]))
        await pilot.pause()
        assert printable(key) in screen_text(app)
        # nothing anywhere became a link or an escape sequence
        for strip in app.screen._compositor.render_strips():
            for segment in strip:
                assert segment.style is None or segment.style.link is None
                assert "\x1b" not in segment.text
    assert "\x1b" not in seen
    assert printable(key) in explanation_content(hostile.explanations[key]).plain
    assert printable("\x1b[2J") == "␛[2J"
