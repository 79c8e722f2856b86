"""``FlowtermApp``: the shell around the six tabs.

The app owns the state: the snapshot on screen, the selected ticker and the last build failure.
Workers compute (the file watcher posts ``DataChanged``; the build thread posts
``SnapshotReady`` or ``SnapshotFailed``) and only the message handlers here touch widgets. One
snapshot feeds every tab: the visible tab is redrawn when a snapshot arrives, a hidden tab when it
is shown. A failed build never blanks the screen: the last good snapshot stays and the header
says what went wrong.

Every key is a ``Binding`` with an id, declared once below; the footer, the help screen and the
command palette are generated from them, and ``[keys]`` in the user config remaps them by id.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingsMap, BindingType
from textual.containers import ScrollableContainer
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState, get_current_worker

from flowterm.themes import DEFAULT_THEME, THEMES, theme_name

from .header import FlowHeader
from .live import BuildRequest, BuildScheduler, describe_failure, watch_data_dir
from .messages import DataChanged, SnapshotFailed, SnapshotReady, TickerSelected
from .screens.help import KeyHelp
from .screens.text import printable, untrusted

if TYPE_CHECKING:
    from flowterm.core.snapshot import Snapshot

    from .tabs.base import TabView

#: The tabs in display order with their default keys (the tab classes may arrive in any order).
TAB_KEYS: dict[str, str] = {
    "regime": "1",
    "zones": "2",
    "flow": "3",
    "darkpool": "4",
    "tickers": "5",
    "convergence": "6",
}


#: The footer shows ``[ ]`` as one entry.
SESSION_KEYS = Binding.Group("Day", compact=True)


def _tab_binding(tab_id: str, key: str) -> Binding:
    title = tab_id.capitalize()
    return Binding(key, f"show_tab('{tab_id}')", title, show=False, id=f"tab.{tab_id}")


class ReportTabs(Widget):
    """The tabs, one pane per tab view, with the tab's key in its label."""

    def __init__(self, views: Sequence[tuple[TabView, str]]) -> None:
        super().__init__(id="report")
        self.views = views

    def compose(self) -> ComposeResult:
        first = self.views[0][0].TAB_ID if self.views else ""
        with TabbedContent(initial=first, id="tabs"):
            for view, key in self.views:
                label = f"{key} {view.TITLE}" if key else view.TITLE
                with TabPane(Content(label), id=view.TAB_ID):
                    yield view


class FlowtermApp(App[None]):
    """The live report over one data folder."""

    CSS_PATH = "app.tcss"
    TITLE = "flowterm"
    #: ctrl+p jumps to a ticker; the command palette moves to ":".
    COMMAND_PALETTE_BINDING = "colon"
    #: Nothing is focused until the first snapshot is drawn; then the shown tab is.
    AUTO_FOCUS = None

    BINDINGS: ClassVar[list[BindingType]] = [
        *(_tab_binding(tab_id, key) for tab_id, key in TAB_KEYS.items()),
        Binding("question_mark", "help", "Help", id="app.help", tooltip="this list of keys"),
        Binding(
            "slash,ctrl+p",
            "jump",
            "Ticker",
            id="app.jump",
            tooltip="jump to a ticker; the selection follows across tabs",
        ),
        Binding(
            "enter",
            "drill_down",
            "Prints",
            id="app.drill",
            priority=True,
            tooltip="the prints behind the aggregate under the cursor",
        ),
        Binding(
            "e",
            "explain",
            "Explain",
            id="app.explain",
            tooltip="formula, parameters, inputs and source files of the figure under the cursor",
        ),
        Binding(
            "left_square_bracket",
            "session(-1)",
            "Previous day",
            id="session.previous",
            tooltip="the previous session",
            group=SESSION_KEYS,
        ),
        Binding(
            "right_square_bracket",
            "session(1)",
            "Next day",
            id="session.next",
            tooltip="the next session (the newest one follows new data)",
            group=SESSION_KEYS,
        ),
        Binding(
            "c",
            "changes",
            "Changes",
            id="app.changes",
            tooltip="what changed since the prior session",
        ),
        Binding("l", "log", "Log", id="app.log", tooltip="build failures and rejected rows"),
        Binding("j", "cursor('down')", "Down", show=False, id="cursor.down"),
        Binding("k", "cursor('up')", "Up", show=False, id="cursor.up"),
        Binding("t", "next_theme", "Theme", show=False, id="app.theme", tooltip="next theme"),
        Binding("colon", "command_palette", "Commands", show=False, id="app.commands"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        snapshot: Snapshot | None = None,
        watch: bool = True,
        theme: str | None = None,
        keymap: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        tabs: Sequence[type[TabView]] | None = None,
    ) -> None:
        """``snapshot`` starts the app on a prebuilt snapshot (no first build); ``watch=False``
        never watches the folder (tests: no worker at all when a snapshot is given). ``tabs``
        replaces the six tab classes (imported after the first frame when not given)."""
        super().__init__()
        if data_dir is None:
            if snapshot is not None:
                data_dir = snapshot.data_dir
            else:
                from flowterm.core.paths import bundled_data_dir

                data_dir = bundled_data_dir()
        self.data_dir = Path(data_dir)
        self.watching = watch
        self.clock = clock
        if tabs is None and snapshot is not None:
            from .tabs import TAB_CLASSES

            tabs = TAB_CLASSES
        #: The tab classes; None until imported after the first frame (see ``_start``).
        self.tab_classes: tuple[type[TabView], ...] | None = tuple(tabs) if tabs else None
        self.user_keymap = dict(keymap or {})
        for t in THEMES:
            self.register_theme(t)
        self.theme = theme_name(theme) if theme else DEFAULT_THEME
        #: The snapshot on screen (None until the first build).
        self.snapshot: Snapshot | None = None
        #: The ticker selected across tabs.
        self.selected: str | None = None
        #: The last build failure (plain text), cleared by the next good snapshot.
        self.failure: str | None = None
        self._initial = snapshot
        self._scheduler = BuildScheduler()
        self._views: dict[str, TabView] = {}
        #: Per tab: the snapshot it last drew and the ticker it last selected.
        self._drawn: dict[str, Snapshot] = {}
        self._synced: dict[str, str | None] = {}
        self._main: Screen[Any] | None = None
        #: Per tab: the widget that had the focus when the user left it.
        self._last_focus: dict[str, Widget] = {}

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield FlowHeader(clock=self.clock, log_key=self.key_for("app.log"), id="header")
        yield Static(untrusted(f"loading {self.data_dir} …"), id="loading")
        if self.tab_classes is not None:
            yield self._report_tabs(self.tab_classes)
        yield Footer(show_command_palette=False)

    def _report_tabs(self, classes: Sequence[type[TabView]]) -> ReportTabs:
        views = []
        for cls in classes:
            view = cls()
            self._views[cls.TAB_ID] = view
            views.append((view, self.key_for(f"tab.{cls.TAB_ID}")))
        tabs = ReportTabs(views)
        tabs.display = False  # until the first snapshot
        return tabs

    def key_for(self, binding_id: str) -> str:
        """How the first key of binding ``binding_id`` displays, after the user's keymap."""
        keys = self.user_keymap.get(binding_id)
        if keys is None:
            for binding in Binding.make_bindings(self.BINDINGS):
                if binding.id == binding_id:
                    return self.get_key_display(binding)
            return ""
        return self.get_key_display(Binding(keys.split(",")[0].strip(), ""))

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """``$bull``/``$bear``/``$neutral``/``$warn`` for themes that are not flowterm's."""
        colours = self.current_theme.to_color_system().generate()
        return {
            "bull": colours["success"],
            "bear": colours["error"],
            "neutral": colours["foreground-muted"],
            "warn": colours["warning"],
        }

    def on_mount(self) -> None:
        self._main = self.screen
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
        self.set_interval(5, self._refresh_header)
        if self._initial is not None:
            self._scheduler.inputs = self._initial.inputs
            self._show_snapshot(self._initial)
            self._warn_unknown_keys()
            self._start_watching()
        else:
            # import the tabs (Polars, core) and build once "loading…" has painted
            self.call_after_refresh(self._start)

    async def _start(self) -> None:
        if self.tab_classes is None:
            from .tabs import TAB_CLASSES

            self.tab_classes = tuple(TAB_CLASSES)
            await self.mount(self._report_tabs(self.tab_classes), before=self.query_one(Footer))
        self._warn_unknown_keys()
        self._scheduler.want(reread=True)
        self._maybe_build()
        self._start_watching()

    def _start_watching(self) -> None:
        if self.watching:
            self.run_worker(
                watch_data_dir(self, self.data_dir),
                name="watch",
                group="watch",
                exclusive=True,
                exit_on_error=False,
            )

    def _warn_unknown_keys(self) -> None:
        unknown = sorted(set(self.user_keymap) - known_binding_ids())
        if unknown:
            self.notify(
                printable("unknown key ids in [keys]: " + ", ".join(unknown)),
                severity="warning",
                markup=False,
            )

    # -- snapshots -------------------------------------------------------------------------

    def _maybe_build(self) -> None:
        request = self._scheduler.next_request()
        if request is not None:
            self._build(request)
        self._refresh_header()

    @work(thread=True, exclusive=True, group="build", exit_on_error=False)
    def _build(self, request: BuildRequest) -> None:
        """Build in a thread and post the result (never touches a widget)."""
        worker = get_current_worker()
        message: SnapshotReady | SnapshotFailed
        try:
            message = SnapshotReady(request.run(self.data_dir), build=request.id)
        except Exception as exc:
            message = SnapshotFailed(describe_failure(exc), build=request.id)
        if not worker.is_cancelled:
            self.post_message(message)
        if isinstance(message, SnapshotReady) and not worker.is_cancelled:
            # the figures' explanations are built on first use: build them here, beside the
            # screen update, so that `e` answers at once (a failure shows when `e` asks)
            with contextlib.suppress(Exception):
                len(message.snapshot.explanations)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == "build" and event.state in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self._scheduler.finished()
            self._maybe_build()
        elif worker.group == "watch" and event.state is WorkerState.ERROR:
            self.notify(
                printable(f"stopped watching {self.data_dir}: {worker.error}"),
                severity="warning",
                markup=False,
            )

    def on_data_changed(self, message: DataChanged) -> None:
        self._scheduler.want(reread=True)
        self._maybe_build()

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        self.failure = None
        if message.snapshot.inputs.held_back and self.watching:
            # a CSV ended in half a row: read it again once the writer has been quiet, so a
            # last line that never gets its newline is not lost
            from flowterm.core.tape import QUIET_SECONDS

            self.set_timer(QUIET_SECONDS + 0.05, self._recheck, name="recheck")
        if self._scheduler.should_show(message.snapshot, message.build):
            self._show_snapshot(message.snapshot)
        else:
            self._refresh_header()

    def _recheck(self) -> None:
        self._scheduler.want(reread=True)
        self._maybe_build()

    def on_snapshot_failed(self, message: SnapshotFailed) -> None:
        self._scheduler.forget(message.build)
        if message.error != self.failure:
            self.notify(
                printable(message.error), title="build failed", severity="error", markup=False
            )
        self.failure = message.error
        if self.snapshot is None:
            self.query_one("#loading", Static).update(
                Content.assemble(("cannot show ", "bold"), untrusted(self.data_dir), "\n\n")
                + untrusted(message.error)
            )
        self._refresh_header()

    def _show_snapshot(self, snapshot: Snapshot) -> None:
        """Replace the snapshot on screen in one step; hidden tabs redraw when shown."""
        first = self.snapshot is None
        with self.batch_update():
            self.snapshot = snapshot
            if first:
                self.query_one("#loading").display = False
                self.query_one(ReportTabs).display = True
            view = self.active_view
            if view is not None:
                self._sync_view(view)
            self._refresh_header()
        if first:
            self.call_after_refresh(self._focus_first)

    def _refresh_header(self) -> None:
        running = self._scheduler.running
        building: date | bool | None = False
        if running is not None or self._scheduler.pending:
            session = running.session if running is not None else self._scheduler.session
            showing = self.snapshot.session if self.snapshot is not None else None
            building = session if session is not None and session != showing else True
        self.query_one(FlowHeader).update_state(
            snapshot=self.snapshot,
            building=building,
            failure=self.failure,
            selected=self.selected,
        )

    # -- tabs and the selected ticker ------------------------------------------------------

    @property
    def active_view(self) -> TabView | None:
        tabs = self._main.query(TabbedContent) if self._main is not None else None
        return self._views.get(tabs.first().active) if tabs else None

    def _sync_view(self, view: TabView) -> None:
        """Bring ``view`` up to date: redraw it from a newer snapshot, or move its cursor."""
        snapshot, tab_id = self.snapshot, view.TAB_ID
        if snapshot is None:
            return
        if self._drawn.get(tab_id) is not snapshot:
            view.show(snapshot, self.selected)
            self._drawn[tab_id] = snapshot
            self._synced[tab_id] = self.selected
        elif self.selected is not None and self._synced.get(tab_id) != self.selected:
            view.select_ticker(self.selected)
            self._synced[tab_id] = self.selected

    def _focus_first(self) -> None:
        """Focus the shown tab once the first snapshot is drawn (unless a key already did)."""
        view = self.active_view
        focused = self.screen.focused
        if view is not None and (focused is None or focused not in self._views.values()):
            self._focus_view(view)

    def _focus_view(self, view: TabView) -> None:
        """Focus ``view`` at once (synchronously, so the pane being hidden cannot pull the focus
        back): the widget focused there last, else its first focusable non-container widget."""
        screen = self._main
        if screen is None or self.screen is not screen:
            return
        focused = screen.focused
        if focused is not None and view in focused.ancestors_with_self:
            return
        target = self._last_focus.get(view.TAB_ID)
        if target is None or not target.is_attached or view not in target.ancestors:
            candidates = [w for w in view.query("*") if w.focusable]
            plain = [
                w
                for w in candidates
                if isinstance(w, DataTable) or not isinstance(w, ScrollableContainer)
            ]
            target = next(iter(plain or candidates), None)
        if target is not None:
            screen.set_focus(target, scroll_visible=False)

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        view = self._views.get(event.pane.id or "")
        if view is None:
            return
        self._sync_view(view)
        focused = self.screen.focused
        if focused is None or not focused.display or focused in self._views.values():
            self._focus_view(view)

    def on_ticker_selected(self, message: TickerSelected) -> None:
        self.selected = message.symbol
        view = self.active_view
        if view is not None:
            self._synced[view.TAB_ID] = message.symbol
        self._refresh_header()

    def select_ticker(self, symbol: str | None) -> None:
        """Select ``symbol`` across tabs (the jump screen's result)."""
        if symbol is None:
            return
        self.selected = symbol
        view = self.active_view
        if view is not None and not _has_ticker_rows(view) and "tickers" in self._views:
            self.action_show_tab("tickers")  # TabActivated syncs it
        elif view is not None:
            view.select_ticker(symbol)
            self._synced[view.TAB_ID] = symbol
        self._refresh_header()

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "drill_down" and self.screen is not self._main:
            return False  # enter is a priority key: let overlays (inputs, lists) have it
        if (
            action in ("drill_down", "explain", "jump", "session", "changes")
            and self.snapshot is None
        ):
            return None
        if action == "session" and self.snapshot is not None:
            step = parameters[0] if parameters else 0
            index = self._wanted_index(self.snapshot)
            if not isinstance(step, int) or not 0 <= index + step < len(self.snapshot.sessions):
                return None
        return True

    def action_show_tab(self, tab_id: str) -> None:
        if tab_id not in self._views or self.snapshot is None:
            return
        tabs = self.query_one(TabbedContent)
        current, focused = self.active_view, self.screen.focused
        if current is not None and focused is not None and current in focused.ancestors:
            self._last_focus[current.TAB_ID] = focused
        tabs.active = tab_id
        self._focus_view(self._views[tab_id])

    def action_cursor(self, direction: str) -> None:
        """j/k: move the focused widget's cursor (tables, lists) down or up."""
        focused = self.screen.focused
        method = getattr(focused, f"action_cursor_{direction}", None)
        if callable(method):
            method()

    def action_jump(self) -> None:
        from .screens.jump import JumpScreen

        if self.snapshot is None:
            return
        self.push_screen(
            JumpScreen(ticker_choices(self.snapshot), selected=self.selected), self.select_ticker
        )

    def action_drill_down(self) -> None:
        from .screens.drill import DrillDownScreen

        view = self.active_view
        drill = view.drill_down() if view is not None else None
        if drill is None:
            self.notify("nothing to drill into under the cursor", markup=False)
            return
        self.push_screen(DrillDownScreen(drill.title, drill.frame))

    def action_explain(self) -> None:
        from .screens.explain import ExplainScreen

        view = self.active_view
        try:
            figure = view.focused_figure() if view is not None else None
            explanation = self.snapshot.explain(figure) if self.snapshot and figure else None
        except Exception as exc:  # explaining failed: say so, keep the app
            self.notify(printable(f"cannot explain: {describe_failure(exc)}"), markup=False)
            return
        if explanation is None:
            what = f" for {figure}" if figure else " under the cursor"
            self.notify(printable(f"no explanation{what}"), markup=False)
            return
        self.push_screen(ExplainScreen(explanation))

    def action_session(self, step: int) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        index = self._wanted_index(snapshot) + step
        if not 0 <= index < len(snapshot.sessions):
            self.bell()
            return
        latest = index == len(snapshot.sessions) - 1
        self._scheduler.session = None if latest else snapshot.sessions[index]
        self._scheduler.want(reread=False)
        self._maybe_build()

    def _wanted_index(self, snapshot: Snapshot) -> int:
        wanted = self._scheduler.session
        if wanted is None:
            return len(snapshot.sessions) - 1
        return snapshot.sessions.index(wanted) if wanted in snapshot.sessions else 0

    def action_changes(self) -> None:
        from .screens.changes import ChangesScreen

        if self.snapshot is not None:
            self.push_screen(ChangesScreen(self.snapshot))

    def action_log(self) -> None:
        from .screens.log import LogScreen

        self.push_screen(LogScreen(self.snapshot, self.failure))

    def action_next_theme(self) -> None:
        names = [t.name for t in THEMES]
        index = names.index(self.theme) + 1 if self.theme in names else 0
        self.theme = names[index % len(names)]
        self.notify(f"theme: {self.theme}", markup=False, timeout=2)

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen(self.help_sections()))

    # -- keys, help and the palette (all from the bindings) --------------------------------

    def help_sections(self) -> list[tuple[str, list[KeyHelp]]]:
        """Every key with an id: those in force on the main screen (the app's in declaration
        order, then the focused tab's), then those of the overlays."""
        from .screens.base import Overlay
        from .screens.jump import JumpScreen
        from .screens.table import FrameTable

        screen = self._main or self.screen
        order = {
            b.id: i for i, b in reversed(list(enumerate(Binding.make_bindings(self.BINDINGS))))
        }
        main: dict[str, list[str]] = {}
        local: dict[str, list[str]] = {}
        described: dict[str, Binding] = {}
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.id or not binding.description:
                continue
            group = main if active.node is self else local
            group.setdefault(binding.id, []).append(self.get_key_display(binding))
            described[binding.id] = binding
        main = dict(sorted(main.items(), key=lambda item: order.get(item[0], len(order))))
        panels = _class_bindings(Overlay, self._keymap)
        shared = {k.id for k in panels}
        jump = [k for k in _class_bindings(JumpScreen, self._keymap) if k.id not in shared]
        return [
            ("Main", _rows(main, described)),
            ("In tab", _rows(local, described)),
            ("Prints", _class_bindings(FrameTable, self._keymap)),
            ("Jump", jump),
            ("Panels", panels),
        ]

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        seen = set()
        for binding in Binding.make_bindings(self.BINDINGS):
            if binding.id in seen or binding.action == "command_palette":
                continue
            seen.add(binding.id)
            yield SystemCommand(
                binding.description,
                binding.tooltip or binding.description,
                partial(self.run_action, binding.action),
            )


def _rows(keys: Mapping[str, list[str]], bindings: Mapping[str, Binding]) -> list[KeyHelp]:
    return [
        KeyHelp(" ".join(dict.fromkeys(k)), bindings[i].description, bindings[i].tooltip, i)
        for i, k in keys.items()
    ]


def _class_bindings(cls: type[DOMNode], keymap: Mapping[str, str]) -> list[KeyHelp]:
    """The bindings of ``cls`` (with its bases) after ``keymap``, for the help screen."""
    bindings: BindingsMap = cls._merge_bindings()
    if keymap:
        bindings.apply_keymap(keymap)
    keys: dict[str, list[str]] = {}
    described: dict[str, Binding] = {}
    for _key, binding in bindings:
        if binding.id and binding.description:
            keys.setdefault(binding.id, []).append(_key_display(binding))
            described[binding.id] = binding
    return _rows(keys, described)


def _key_display(binding: Binding) -> str:
    from textual.keys import format_key

    return binding.key_display or format_key(binding.key)


def _has_ticker_rows(view: TabView) -> bool:
    return any(getattr(table, "ticker_rows", False) for table in view.query(DataTable))


def ticker_choices(snapshot: Snapshot) -> list[tuple[str, str]]:
    """Every ticker of the snapshot with its verdict, for the jump screen."""
    frame = snapshot.tickers
    if frame.is_empty() or "symbol" not in frame.columns:
        return []
    verdicts = frame["verdict"] if "verdict" in frame.columns else None
    out = []
    for i, symbol in enumerate(frame["symbol"]):
        if symbol is None:
            continue
        note = verdicts[i] if verdicts is not None else None
        out.append((str(symbol), "" if note is None else str(note)))
    return sorted(out)


def known_binding_ids() -> set[str]:
    """Every binding id declared by a widget, screen or app class (overlays included)."""
    from .screens import changes, drill, explain, help, jump, log  # noqa: F401 (bindings count)

    ids: set[str] = set()
    pending: list[type[DOMNode]] = [DOMNode]
    seen: set[type[DOMNode]] = set()
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        pending.extend(cls.__subclasses__())
        for binding in Binding.make_bindings(cls.__dict__.get("BINDINGS", [])):
            if binding.id:
                ids.add(binding.id)
    return ids


__all__ = ["FlowtermApp", "known_binding_ids", "ticker_choices"]
