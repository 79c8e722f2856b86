"""The six tabs of flowterm, in the order the app shows them."""

from __future__ import annotations

from .base import DrillDown, TabView
from .convergence import ConvergenceTab
from .darkpool import DarkpoolTab
from .flow import FlowTab
from .regime import RegimeTab
from .tickers import TickersTab
from .zones import ZonesTab

TAB_CLASSES: tuple[type[TabView], ...] = (
    RegimeTab,
    ZonesTab,
    FlowTab,
    DarkpoolTab,
    TickersTab,
    ConvergenceTab,
)

__all__ = [
    "TAB_CLASSES",
    "ConvergenceTab",
    "DarkpoolTab",
    "DrillDown",
    "FlowTab",
    "RegimeTab",
    "TabView",
    "TickersTab",
    "ZonesTab",
]
