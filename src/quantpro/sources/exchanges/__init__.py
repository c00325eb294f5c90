"""The exchanges' own derivatives data (docs/design.md §11): the series rules, the source, the planner."""

from __future__ import annotations

from quantpro.sources.exchanges.series import SeriesView, current_boundary, view_series
from quantpro.sources.exchanges.source import ExchangeSource

__all__ = ["ExchangeSource", "SeriesView", "current_boundary", "view_series"]
