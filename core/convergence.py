"""The convergence count (METHODOLOGY §10): bullish against bearish inputs.

Every input — computed by a layer or entered by the analyst in inputs.csv — votes +1, −1, 0
(neutral) or null (n/a, excluded). The count is "B vs R", net = B − R and agreement =
max(B, R) / (B + R). Its history across sessions reads "16v7 → 14v10 → 13v11".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

SETTINGS_SECTION = "convergence"


@dataclass(frozen=True, slots=True)
class ConvergenceParams:
    """Which series stand for "the market" in the §10 inputs (``[convergence]`` settings)."""

    #: The index whose zone, Range, 200-day average, RSI and doji vote. [§10]
    index_symbol: str = "SPX"
    #: The index ETFs whose dark-pool prints, summed, give the dark-pool vote. [§10, §3.2]
    dark_symbols: tuple[str, ...] = ("SPY", "QQQ", "IWM")
    #: The underlying whose spot vs zero gamma gives the GEX vote. [§10, §6.3]
    gamma_underlying: str = "SPX"
    #: The credit ETF whose zone status is the credit input. [§8.5]
    credit_symbol: str = "HYG"
    #: Sessions over which the Smart Money Index slope is taken. [§10: 5-day slope]
    smi_slope_sessions: int = 5
    #: RSI below this votes bullish, above ``rsi_overbought`` bearish. [§10: 30 / 70]
    rsi_oversold: float = 30.0
    rsi_overbought: float = 70.0
    #: DIX percentile at or above ``dix_high`` votes bullish, at or below ``dix_low`` bearish.
    dix_high: float = 0.80
    dix_low: float = 0.20
    #: Tape sessions shown in the history ("16v7 → 14v10 → 13v11").
    history_sessions: int = 10


#: Schema of the inputs frame: one row per input.
INPUT_SCHEMA = pl.Schema(
    {
        "name": pl.String(),
        "vote": pl.Int8(),
        #: "computed" or "analyst".
        "source": pl.String(),
        #: What the vote rests on, e.g. "Net −390.2M, grade MODERATE" or the analyst's note.
        "detail": pl.String(),
    }
)


@dataclass(frozen=True, slots=True)
class Count:
    """The count of one session."""

    bullish: int
    bearish: int
    neutral: int
    not_available: int

    @property
    def net(self) -> int:
        return self.bullish - self.bearish

    @property
    def agreement(self) -> float | None:
        """max(B, R) / (B + R); null when no input voted either way."""
        voted = self.bullish + self.bearish
        return max(self.bullish, self.bearish) / voted if voted else None

    @property
    def short(self) -> str:
        """The compact form used in the history: ``16v7``."""
        return f"{self.bullish}v{self.bearish}"


def count(inputs: pl.DataFrame, /) -> Count:
    """Count the votes of ``inputs`` (``INPUT_SCHEMA``)."""
    vote = inputs["vote"]
    return Count(
        bullish=int((vote == 1).sum()),
        bearish=int((vote == -1).sum()),
        neutral=int((vote == 0).sum()),
        not_available=int(vote.null_count()),
    )


def analyst_inputs(inputs_csv: pl.DataFrame, /, *, session: date) -> pl.DataFrame:
    """The analyst's inputs in force on ``session``: dated on or before it and not expired
    (``expires`` null or on/after the session); the latest entry per name wins."""
    live = inputs_csv.filter(
        (pl.col("date") <= session) & (pl.col("expires").is_null() | (pl.col("expires") >= session))
    )
    latest = live.sort("date").group_by("name", maintain_order=True).last()
    return latest.select(
        pl.col("name"),
        pl.col("direction").cast(pl.Int8).alias("vote"),
        pl.lit("analyst").alias("source"),
        pl.col("note").fill_null("").alias("detail"),
    ).sort("name")


def history_text(counts: list[Count]) -> str:
    """``16v7 → 14v10 → 13v11``, oldest first."""
    return " → ".join(c.short for c in counts)
