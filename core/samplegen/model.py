"""The in-memory result of a simulation, shared by the writer and the scenario figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from .bars import History
from .chains import ZoneCalibration
from .intraday import Paths


@dataclass(frozen=True, slots=True)
class SessionData:
    """The tape files of one session, as frames in their canonical dtypes."""

    day: date
    options: pl.DataFrame
    darkpool: pl.DataFrame
    chain: pl.DataFrame


@dataclass(frozen=True, slots=True)
class Market:
    """Everything generated, before writing."""

    history: History
    paths: Paths
    zones: list[ZoneCalibration]
    sessions: list[SessionData]
