"""The thesis checklist: the analyst's own conditions, checked against the session's figures.

``flowterm.toml`` names the conditions a thesis needs, each about one thing the report shows —
a regime rule (§8), a convergence input (§10), a symbol's zone status (§4) or a ticker's verdict
(§11b) — and what it must be: one of some states, none of some states, or a vote::

    [thesis]
    name = "Long SPX into CPI"

    [[thesis.conditions]]
    rule = "metals_block"   # sell_america, curve, metals_block, ma200, credit, ism, vix_gamma
    states = ["NONE"]

    [[thesis.conditions]]
    input = "Dark pool (§3)"       # any input of the Convergence tab, computed or analyst
    vote = "not bearish"           # bullish, bearish, neutral, not bullish, not bearish

    [[thesis.conditions]]
    zone = "SPX"
    not_states = ["AT CEILING", "ABOVE CEILING"]
    label = "SPX has room to its ceiling"

Each condition is met, not met, or not available (the rule, input, symbol or verdict is missing
that session). Without conditions the checklist is every regime rule's own vote (a long thesis:
a bullish vote supports it, a bearish one argues against it), which is what it showed before
settings could name conditions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Literal

import polars as pl

from .changes import rule_title
from .regime import RegimeSnapshot, RuleResult

Vote = Literal["", "bullish", "bearish", "neutral", "not bullish", "not bearish"]

#: The vote a word asks for: the set of votes that meet it.
_VOTES: Final[dict[str, frozenset[int]]] = {
    "bullish": frozenset({1}),
    "bearish": frozenset({-1}),
    "neutral": frozenset({0}),
    "not bullish": frozenset({0, -1}),
    "not bearish": frozenset({0, 1}),
}

#: What a condition can be about, in the order a condition names it.
SUBJECTS: Final = ("rule", "input", "zone", "verdict")

#: A regime rule state with no vote of its own, read for a long thesis (as the app shows it).
STATE_MARKS: Final[dict[str, int]] = {"HARD": -1, "NONE": 1}

#: Schema of a checklist: one row per condition.
CHECKLIST_SCHEMA: Final = pl.Schema(
    {
        "key": pl.String(),
        #: The figure whose explanation backs the row (``Snapshot.explain``), if any.
        "figure": pl.String(),
        "label": pl.String(),
        "wanted": pl.String(),
        "actual": pl.String(),
        #: +1 met (supports the thesis), −1 not met (argues against it), 0 neutral, null n/a.
        "mark": pl.Int8(),
        "changed": pl.Boolean(),
        "prior": pl.String(),
    }
)


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition of the thesis: what it is about and what it must be."""

    rule: str = ""
    input: str = ""
    zone: str = ""
    verdict: str = ""
    #: The rule's window in sessions (change rules such as sell_america and curve: 1 or 5).
    window: int = 1
    #: The state must be one of these (rule state, zone status or verdict; case-insensitive).
    states: tuple[str, ...] = ()
    #: The state must be none of these.
    not_states: tuple[str, ...] = ()
    #: The vote must be this (rules with a §10 vote and convergence inputs).
    vote: Vote = ""
    #: How the checklist names the condition (default: what it is about).
    label: str = ""

    def __post_init__(self) -> None:
        named = [name for name in SUBJECTS if getattr(self, name)]
        if len(named) != 1:
            raise ValueError(
                "a condition names exactly one of rule, input, zone or verdict"
                + (f" (this one names {', '.join(named)})" if named else "")
            )
        if not (self.states or self.not_states or self.vote):
            raise ValueError(f"condition on {self.subject}: give states, not_states or vote")
        if self.vote and self.subject_kind in ("zone", "verdict"):
            raise ValueError(f"condition on {self.subject}: a {self.subject_kind} has no vote")
        if self.window < 1:
            raise ValueError(f"condition on {self.subject}: window must be at least 1")

    @property
    def subject_kind(self) -> str:
        return next(name for name in SUBJECTS if getattr(self, name))

    @property
    def subject(self) -> str:
        return str(getattr(self, self.subject_kind))

    @property
    def key(self) -> str:
        return f"{self.subject_kind}:{self.subject}"

    @property
    def title(self) -> str:
        if self.label:
            return self.label
        kind = self.subject_kind
        if kind == "zone":
            return f"{self.subject} zone"
        if kind == "verdict":
            return f"{self.subject} verdict"
        return self.subject

    @property
    def wanted(self) -> str:
        parts = []
        if self.states:
            parts.append(" or ".join(self.states))
        if self.not_states:
            parts.append("not " + " or ".join(self.not_states))
        if self.vote:
            parts.append(self.vote)
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class ThesisParams:
    """``[thesis]``: the checklist's name and conditions (none: every regime rule's vote)."""

    SETTINGS_SECTION: ClassVar[str] = "thesis"

    name: str = "Long thesis"
    conditions: tuple[Condition, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Observed:
    """What the session shows for a condition's subject: a state and a vote (None: n/a)."""

    state: str | None
    vote: int | None
    prior: str | None = None
    changed: bool | None = None
    figure: str | None = None


def rule_mark(result: RuleResult) -> int | None:
    """A rule's reading for a long thesis: its vote, else its state's mark, None when n/a."""
    if result.vote is not None:
        return result.vote
    if result.state is None:
        return None
    return STATE_MARKS.get(result.state, 0)


def _rule(regime: RegimeSnapshot, c: Condition) -> Observed:
    found = regime.get(c.rule, window=c.window) or regime.get(c.rule)
    if found is not None and found.window is not None and found.window != c.window:
        found = None
    if found is None or found.state is None:
        return Observed(None, None)
    from .snapshot import regime_key  # (snapshot imports this module)

    return Observed(
        found.state, rule_mark(found), found.prior_state, found.changed, regime_key(found)
    )


def _lookup(frame: pl.DataFrame, key: str, value: str, state: str) -> str | None:
    if frame.is_empty() or key not in frame.columns or state not in frame.columns:
        return None
    rows = frame.filter(pl.col(key).cast(pl.String).str.to_uppercase() == value.upper())
    if rows.is_empty():
        return None
    found = rows[state][0]
    return None if found is None else str(found)


def _input(inputs: pl.DataFrame, c: Condition) -> Observed:
    if inputs.is_empty() or "name" not in inputs.columns:
        return Observed(None, None)
    from .snapshot import input_keys  # (snapshot imports this module)

    keys = input_keys(inputs)
    for key, name, vote in zip(keys, inputs["name"], inputs["vote"], strict=True):
        if name is None or name.lower() != c.input.lower() or vote is None:
            continue
        words = {1: "bullish", -1: "bearish", 0: "neutral"}
        return Observed(words[int(vote)], int(vote), figure=f"convergence.input.{key}")
    return Observed(None, None)


def _met(c: Condition, seen: Observed) -> int | None:
    if seen.state is None:
        return None
    state = seen.state.upper()
    if c.states and state not in {s.upper() for s in c.states}:
        return -1
    if c.not_states and state in {s.upper() for s in c.not_states}:
        return -1
    if c.vote:
        if seen.vote is None:
            return None
        if seen.vote not in _VOTES[c.vote]:
            return -1
    return 1


def _row(**values: Any) -> dict[str, Any]:
    return {name: values.get(name) for name in CHECKLIST_SCHEMA}


def checklist(
    regime: RegimeSnapshot,
    inputs: pl.DataFrame,
    zones: pl.DataFrame,
    tickers: pl.DataFrame,
    /,
    *,
    params: ThesisParams,
) -> pl.DataFrame:
    """One row per condition (``CHECKLIST_SCHEMA``), in the order the settings give them.

    Without conditions: one row per regime rule, marked by the rule's own vote or state."""
    from .snapshot import regime_key  # (snapshot imports this module)

    rows: list[dict[str, Any]] = []
    if not params.conditions:
        for r in regime.rules:
            rows.append(
                _row(
                    key=regime_key(r),
                    figure=regime_key(r),
                    label=rule_title(r),
                    wanted="the rule's own vote",
                    actual=r.state,
                    mark=rule_mark(r),
                    changed=r.changed,
                    prior=r.prior_state,
                )
            )
        return pl.DataFrame(rows, schema=CHECKLIST_SCHEMA)
    for i, c in enumerate(params.conditions):
        kind = c.subject_kind
        if kind == "rule":
            seen = _rule(regime, c)
        elif kind == "input":
            seen = _input(inputs, c)
        elif kind == "zone":
            status = _lookup(zones, "symbol", c.zone, "status")
            seen = Observed(status, None, figure=f"zones.{c.zone.upper()}" if status else None)
        else:
            verdict = _lookup(tickers, "symbol", c.verdict, "verdict")
            seen = Observed(
                verdict, None, figure=f"tickers.{c.verdict.upper()}" if verdict else None
            )
        rows.append(
            _row(
                key=f"{i}:{c.key}",
                figure=seen.figure,
                label=c.title,
                wanted=c.wanted,
                actual=seen.state,
                mark=_met(c, seen),
                changed=seen.changed,
                prior=seen.prior,
            )
        )
    return pl.DataFrame(rows, schema=CHECKLIST_SCHEMA)


__all__ = [
    "CHECKLIST_SCHEMA",
    "STATE_MARKS",
    "Condition",
    "ThesisParams",
    "checklist",
    "rule_mark",
]
