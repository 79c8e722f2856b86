"""The two-line header: session and freshness, problems, and the regime in one line.

Line 1: ``flowterm │ Wed 2026-04-08 5/5 │ data 4m old │ ⟳ recomputing… │ ⚠ 3 problems (l)``
Line 2: ``Count ▼ 3 vs 9 │ Regime ▼ SELL AMERICA · ▼ BEAR STEEPENER · …``

Everything that comes from files (the error text, symbols) is plain ``Content``; colours are theme
variables, and each one travels with a word or an arrow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widget import Widget

from .screens.text import untrusted

if TYPE_CHECKING:
    from flowterm.core.regime import RegimeSnapshot
    from flowterm.core.snapshot import Snapshot

# flowterm.core (and Polars with it) is imported when the first snapshot is shown, not before
# the first frame: the header paints "loading…" without it.

SEPARATOR = (" │ ", "$neutral")

#: Rules in the one-line regime summary, most telling first: (rule, window, short name); the
#: window is 1 session for change rules, None for level rules; the name is the rule's subject
#: (``SPX``, ``HYG``) where None.
SUMMARY_RULES: tuple[tuple[str, int | None, str | None], ...] = (
    ("sell_america", 1, "Sell America"),
    ("curve", 1, "Curve"),
    ("metals_block", None, "Metals block"),
    ("ma200", None, None),
    ("credit", None, None),
    ("ism", None, "ISM"),
    ("vix_gamma", None, "VIX/gamma"),
)


def age_text(seconds: float) -> str:
    """A data age as a person says it: ``45s``, ``12m``, ``3h``, ``2d``."""
    from flowterm.core import fmt

    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return fmt.num(seconds // size, 0) + unit
    return fmt.num(seconds // 1, 0) + "s"


def vote_cue(vote: int | None) -> tuple[str, str]:
    """The arrow and the theme variable of a vote: ▲ bull, ▼ bear, • neutral, nothing n/a."""
    if vote is None:
        return "", "$neutral"
    if vote > 0:
        return "▲ ", "$bull"
    if vote < 0:
        return "▼ ", "$bear"
    return "• ", "$neutral"


def regime_parts(regime: RegimeSnapshot) -> Iterable[Content]:
    """One short piece per summary rule: arrow, name and state, coloured by the rule's vote
    (the name is left out when the state says it: ``SELL AMERICA``)."""
    for rule, window, name in SUMMARY_RULES:
        result = regime.get(rule, window=window) if window else regime.get(rule)
        if result is None or result.state is None:
            continue
        arrow, style = vote_cue(result.vote)
        label = name or result.subject
        text = result.state if label.upper() in result.state.upper() else f"{label} {result.state}"
        yield untrusted(arrow + text, style)


def problems(snapshot: Snapshot) -> tuple[int, int]:
    """(rejected rows, files with errors) of a snapshot."""
    return snapshot.rejects.height, len(snapshot.errors)


class FlowHeader(Widget):
    """Session, freshness, build state, problems and the regime, from the shown snapshot."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        log_key: str = "l",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._clock = clock
        self.log_key = log_key
        self.snapshot: Snapshot | None = None
        self.building: date | bool | None = False
        self.failure: str | None = None
        self.selected: str | None = None

    def update_state(
        self,
        *,
        snapshot: Snapshot | None,
        building: date | bool | None,
        failure: str | None,
        selected: str | None,
    ) -> None:
        """Show this state (``building``: False, True, or the session being built)."""
        self.snapshot, self.building, self.failure = snapshot, building, failure
        self.selected = selected
        self.set_class(failure is not None or self._problem_count() > 0, "-problem")
        self.refresh()

    def _problem_count(self) -> int:
        if self.snapshot is None:
            return 0
        rows, files = problems(self.snapshot)
        return rows + files

    def render(self) -> Content:
        return Content("\n").join([self._status_line(), self._regime_line()])

    def _status_line(self) -> Content:
        from flowterm.core import fmt

        parts: list[Content | str | tuple[str, str]] = [("flowterm", "bold $primary")]
        snap = self.snapshot
        if snap is None:
            parts += [SEPARATOR, ("loading…", "$neutral")]
        else:
            index = snap.sessions.index(snap.session) + 1 if snap.session in snap.sessions else 0
            parts += [
                SEPARATOR,
                (f"{snap.session:%a %Y-%m-%d}", "bold"),
                f" {index}/{len(snap.sessions)}",
                SEPARATOR,
                "data " + self._age(snap) + " old",
            ]
            if self.selected:
                parts += [SEPARATOR, untrusted(self.selected)]
        if self.building is not False and snap is not None:
            target = "" if self.building is True else f" {self.building:%Y-%m-%d}"
            parts += [SEPARATOR, (f"⟳ recomputing{target}…", "$neutral")]
        if self.failure is not None:
            first = self.failure.splitlines()[0] if self.failure else "failed"
            parts += [
                SEPARATOR,
                ("⚠ ", "bold $warn"),
                ("build failed: ", "$warn"),
                untrusted(first),
            ]
        elif snap is not None:
            rows, files = problems(snap)
            if rows or files:
                text = []
                if rows:
                    text.append(f"{fmt.num(rows, 0)} rejected")
                if files:
                    text.append(f"{fmt.num(files, 0)} file{'s' if files != 1 else ''} failed")
                parts += [
                    SEPARATOR,
                    ("⚠ " + ", ".join(text), "bold $warn"),
                    (f" ({self.log_key})", "$neutral"),
                ]
        return Content.assemble(*parts)

    def _age(self, snap: Snapshot) -> str:
        from flowterm.core import fmt

        if not snap.newest_mtime_ns:
            return fmt.MISSING
        return age_text(self._clock() - snap.newest_mtime_ns / 1e9)

    def _regime_line(self) -> Content:
        from flowterm.core import fmt

        snap = self.snapshot
        if snap is None:
            return Content("")
        count = snap.convergence
        arrow, style = vote_cue(count.bullish - count.bearish)
        return Content.assemble(
            ("Count ", "bold"),
            (f"{arrow}{fmt.versus(count.bullish, count.bearish)}", style),
            SEPARATOR,
            ("Regime ", "bold"),
            Content(" · ").join(regime_parts(snap.regime)),
        )
