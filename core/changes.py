"""What changed since the prior session: the list a trader reads first in the morning.

Pure functions of two ``SessionState`` values (what the report showed on the session and on the
prior session) and the session's ``RegimeSnapshot`` (whose rules already carry their prior
state):

- zones crossed: the close moved across the floor, mid or ceiling of the session's zone
  between the prior close and this close;
- a new AT CEILING / ABOVE CEILING / AT FLOOR / BELOW FLOOR status (the prior session's status,
  as shown that day, was different);
- new flips among the top-flow names (naive and side-adjusted labels opposite today, not
  yesterday);
- ticker verdicts that changed;
- the convergence count and the inputs whose vote changed;
- regime rules whose state changed.

Every number in a change's text is formatted by ``core.fmt``; nothing here rounds a value it
compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Final

import polars as pl

from . import fmt
from .convergence import INPUT_SCHEMA, Count
from .regime import RegimeSnapshot, RuleResult


class ChangeKind(StrEnum):
    """What kind of change an item is (also its group in the report, in this order)."""

    REGIME = "regime"
    CONVERGENCE = "convergence"
    INPUT = "convergence input"
    ZONE_CROSSED = "zone crossed"
    ZONE_STATUS = "zone status"
    FLIP = "new flip"
    VERDICT = "verdict"


#: Zone statuses worth a line when they are new (§4.3).
EDGE_STATUSES: Final = ("ABOVE CEILING", "AT CEILING", "AT FLOOR", "BELOW FLOOR")
_STATUS_DIRECTION: Final = {"ABOVE CEILING": -1, "AT CEILING": -1, "AT FLOOR": 1, "BELOW FLOOR": 1}
_VERDICT_DIRECTION: Final = {"ACCUMULATION": 1, "DISTRIBUTION": -1}
_LEAN_DIRECTION: Final = {"BULL": 1, "BEAR": -1}
#: How the regime rules are named in a change line.
RULE_TITLES: Final = {
    "sell_america": "Sell America",
    "curve": "Curve 10Y−2Y",
    "metals_block": "Metals HARD BLOCK",
    "ma200": "200-day",
    "credit": "Credit",
    "ism": "ISM",
    "vix_gamma": "VIX / gamma",
}


@dataclass(frozen=True, slots=True)
class SessionState:
    """What the report showed for one session, as far as the change list compares it.

    ``zones``: symbol, status, low, mid, high, close; ``verdicts``: symbol, verdict;
    ``top``: underlying, flip, naive_label, adjusted_label; ``inputs``: the §10 inputs
    (``convergence.INPUT_SCHEMA``); ``count``: their count."""

    session: date
    zones: pl.DataFrame
    verdicts: pl.DataFrame
    top: pl.DataFrame
    inputs: pl.DataFrame
    count: Count


@dataclass(frozen=True, slots=True)
class Change:
    """One change: what it is about, its state before and after, and the line to print."""

    kind: ChangeKind
    #: A symbol, a rule or an input name.
    subject: str
    before: str | None
    after: str | None
    text: str
    #: +1 reads bullish, −1 bearish, 0 neither (the same cue as the app's arrows).
    direction: int


@dataclass(frozen=True, slots=True)
class Changes:
    """Every change between ``prior`` and ``session`` (none when there is no prior session)."""

    session: date
    prior: date | None
    items: tuple[Change, ...]

    def of(self, kind: ChangeKind) -> tuple[Change, ...]:
        return tuple(c for c in self.items if c.kind is kind)

    def counts(self) -> dict[ChangeKind, int]:
        """How many changes of each kind, in report order (kinds without a change left out)."""
        out = {k: len(self.of(k)) for k in ChangeKind}
        return {k: n for k, n in out.items() if n}

    @property
    def summary(self) -> str:
        """``3 zone crossed · 1 new flip`` (or ``no prior session`` / ``nothing changed``)."""
        if self.prior is None:
            return "no prior session"
        parts = [f"{fmt.num(n)} {kind.value}" for kind, n in self.counts().items()]
        return " · ".join(parts) if parts else "nothing changed"

    def frame(self) -> pl.DataFrame:
        """One row per change: kind, subject, before, after, direction, text."""
        return pl.DataFrame(
            [
                {
                    "kind": c.kind.value,
                    "subject": c.subject,
                    "before": c.before,
                    "after": c.after,
                    "direction": c.direction,
                    "text": c.text,
                }
                for c in self.items
            ],
            schema=CHANGE_SCHEMA,
        )


CHANGE_SCHEMA: Final = pl.Schema(
    {
        "kind": pl.String(),
        "subject": pl.String(),
        "before": pl.String(),
        "after": pl.String(),
        "direction": pl.Int8(),
        "text": pl.String(),
    }
)


def _rows(frame: pl.DataFrame, key: str) -> dict[str, dict[str, Any]]:
    """Rows by ``key`` (the first row of a repeated key wins)."""
    out: dict[str, dict[str, Any]] = {}
    if key not in frame.columns:
        return out
    for row in frame.iter_rows(named=True):
        name = row[key]
        if name is not None and str(name) not in out:
            out[str(name)] = row
    return out


def _number(x: Any) -> float | None:
    return None if x is None else float(x)


def zone_changes(today: pl.DataFrame, prior: pl.DataFrame) -> list[Change]:
    """Crossings of the session's zone levels between the two closes, then new edge statuses."""
    crossed: list[Change] = []
    status: list[Change] = []
    before = _rows(prior, "symbol")
    for symbol, row in sorted(_rows(today, "symbol").items()):
        old = before.get(symbol)
        if old is None:
            continue
        close, prior_close = _number(row.get("close")), _number(old.get("close"))
        if close is not None and prior_close is not None:
            for name in ("low", "mid", "high"):
                level = _number(row.get(name))
                if level is None:
                    continue
                word = {"low": "floor", "mid": "mid", "high": "ceiling"}[name]
                up = prior_close < level <= close
                down = prior_close > level >= close
                if up or down:
                    way = "upward" if up else "downward"
                    crossed.append(
                        Change(
                            ChangeKind.ZONE_CROSSED,
                            symbol,
                            fmt.num(prior_close, 2),
                            fmt.num(close, 2),
                            f"{symbol} crossed its zone {word} {fmt.num(level, 2)} {way} "
                            f"({fmt.num(prior_close, 2)} → {fmt.num(close, 2)})",
                            1 if up else -1,
                        )
                    )
        now, was = row.get("status"), old.get("status")
        if now in EDGE_STATUSES and now != was:
            status.append(
                Change(
                    ChangeKind.ZONE_STATUS,
                    symbol,
                    was,
                    now,
                    f"{symbol} new {now} (was {was or fmt.MISSING})",
                    _STATUS_DIRECTION[now],
                )
            )
    return crossed + status


def flip_changes(today: pl.DataFrame, prior: pl.DataFrame) -> list[Change]:
    """Top-flow names that flip today and did not flip (or were not top names) yesterday."""
    before = {name for name, row in _rows(prior, "underlying").items() if row.get("flip")}
    out = []
    for name, row in _rows(today, "underlying").items():
        if not row.get("flip") or name in before:
            continue
        naive, adjusted = str(row.get("naive_label")), str(row.get("adjusted_label"))
        out.append(
            Change(
                ChangeKind.FLIP,
                name,
                None,
                f"{naive}/{adjusted}",
                f"{name} flips: naive {naive} vs side-adjusted {adjusted}",
                _LEAN_DIRECTION.get(adjusted, 0),
            )
        )
    return out


def verdict_changes(today: pl.DataFrame, prior: pl.DataFrame) -> list[Change]:
    """Tickers whose §11b verdict differs from the prior session's."""
    before = _rows(prior, "symbol")
    out = []
    for symbol, row in sorted(_rows(today, "symbol").items()):
        old = before.get(symbol)
        if old is None:
            continue
        now, was = row.get("verdict"), old.get("verdict")
        if now == was:
            continue
        out.append(
            Change(
                ChangeKind.VERDICT,
                symbol,
                was,
                now,
                f"{symbol} {was or fmt.MISSING} → {now or fmt.MISSING}",
                _VERDICT_DIRECTION.get(str(now), 0),
            )
        )
    return out


def _vote_text(vote: int | None) -> str:
    return "n/a" if vote is None else fmt.num(vote, 0, signed=True)


def convergence_changes(
    today: pl.DataFrame, today_count: Count, prior: pl.DataFrame, prior_count: Count
) -> list[Change]:
    """The count, if it moved, then every input whose vote changed (or that appeared or went)."""
    out = []
    if (today_count.bullish, today_count.bearish) != (prior_count.bullish, prior_count.bearish):
        delta = today_count.net - prior_count.net
        out.append(
            Change(
                ChangeKind.CONVERGENCE,
                "count",
                prior_count.short,
                today_count.short,
                f"Convergence {fmt.versus(prior_count.bullish, prior_count.bearish)} → "
                f"{fmt.versus(today_count.bullish, today_count.bearish)} "
                f"(net {fmt.num(prior_count.net, 0, signed=True)} → "
                f"{fmt.num(today_count.net, 0, signed=True)})",
                (delta > 0) - (delta < 0),
            )
        )
    now, was = _rows(today, "name"), _rows(prior, "name")
    for name in [*now, *(n for n in was if n not in now)]:
        a, b = now.get(name), was.get(name)
        vote_now = None if a is None else a.get("vote")
        vote_was = None if b is None else b.get("vote")
        if a is not None and b is not None and vote_now == vote_was:
            continue
        after = "absent" if a is None else _vote_text(vote_now)
        before = "absent" if b is None else _vote_text(vote_was)
        detail = f" ({a.get('detail')})" if a is not None and a.get("detail") else ""
        out.append(
            Change(
                ChangeKind.INPUT,
                name,
                before,
                after,
                f"{name}: {before} → {after}{detail}",
                0 if vote_now is None else int(vote_now),
            )
        )
    return out


def rule_title(result: RuleResult) -> str:
    """``Sell America (1d)``, ``SPX 200-day``, ``Credit (HYG)``."""
    name = result.rule.value
    title = RULE_TITLES.get(name, name)
    if name == "ma200":
        title = f"{result.subject} {title}"
    elif name == "credit":
        title = f"{title} ({result.subject})"
    if result.window is not None:
        title += f" ({result.window}d)"
    return title


def regime_changes(regime: RegimeSnapshot) -> list[Change]:
    """Rules whose state on the session differs from the prior session's."""
    out = []
    for r in regime.rules:
        if not r.changed:
            continue
        out.append(
            Change(
                ChangeKind.REGIME,
                rule_title(r),
                r.prior_state,
                r.state,
                f"{rule_title(r)}: {r.prior_state or 'n/a'} → {r.state or 'n/a'}",
                0 if r.vote is None else r.vote,
            )
        )
    return out


def what_changed(
    today: SessionState, prior: SessionState | None, regime: RegimeSnapshot | None = None
) -> Changes:
    """Every change from ``prior`` to ``today``, grouped in ``ChangeKind`` order."""
    if prior is None:
        return Changes(today.session, None, ())
    items = [
        *(regime_changes(regime) if regime is not None else []),
        *convergence_changes(today.inputs, today.count, prior.inputs, prior.count),
        *zone_changes(today.zones, prior.zones),
        *flip_changes(today.top, prior.top),
        *verdict_changes(today.verdicts, prior.verdicts),
    ]
    order = list(ChangeKind)
    items.sort(key=lambda c: order.index(c.kind))
    return Changes(today.session, prior.session, tuple(items))


def empty_state(session: date) -> SessionState:
    """A state with nothing in it (a session the report cannot reconstruct)."""
    return SessionState(
        session,
        pl.DataFrame(schema={"symbol": pl.String, "status": pl.String}),
        pl.DataFrame(schema={"symbol": pl.String, "verdict": pl.String}),
        pl.DataFrame(schema={"underlying": pl.String, "flip": pl.Boolean}),
        pl.DataFrame(schema=INPUT_SCHEMA),
        Count(0, 0, 0, 0),
    )


__all__ = [
    "CHANGE_SCHEMA",
    "EDGE_STATUSES",
    "RULE_TITLES",
    "Change",
    "ChangeKind",
    "Changes",
    "SessionState",
    "convergence_changes",
    "empty_state",
    "flip_changes",
    "regime_changes",
    "rule_title",
    "verdict_changes",
    "what_changed",
    "zone_changes",
]
