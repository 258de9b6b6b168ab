"""The supply-and-demand dashboards (需給ダッシュボード) of the nation, a bureau's region and a prefecture.

`build` returns every table of one dashboard (`hub.tabular.Table`s, numbers aggregated in SQL); the views
draw the charts from them and serve each as CSV and all of them as one Excel workbook. Who may open which
scope is `hub.permissions.can_see_dashboard`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from hub.tabular import Table
from skill_taxonomy import Taxonomy

from . import dispatch_counts, flow, supply, unmet
from .scope import (BUREAU, KINDS, NATION, PREFECTURE, Period, Scope, default_period, month_of, quick_periods,
                    resolve)

__all__ = ["BUREAU", "KINDS", "NATION", "PREFECTURE", "Dashboard", "Period", "Scope", "TABLE_NAMES", "build",
           "default_period", "month_of", "quick_periods", "resolve"]

TABLE_NAMES = ("summary", "supply", "pool", "stage_field", "skills", "flow", "dispatch")


@dataclass
class Dashboard:
    scope: Scope
    period: Period
    today: date
    tables: dict[str, Table]
    by_prefecture: Table  # the prefecture rows behind the map (the supply table itself, but for a prefecture)

    def gaps(self) -> dict[str, float]:
        """Prefecture code -> gap in hours, for the map."""
        return {row["code"]: row["gap"] for row in self.by_prefecture.rows}


def build(session: Session, scope: Scope, period: Period, today: date, taxonomy: Taxonomy,
          locale: object = "ja", only: str | None = None) -> Dashboard:
    """Every table of the scope's dashboard (or only the one named, for its CSV)."""
    def wanted(name: str) -> bool:
        return only is None or only == name

    tables: dict[str, Table] = {}
    by_prefecture = supply.supply_by_prefecture(session, scope, period, today, locale)
    if wanted("summary"):
        tables["summary"] = supply.summary(by_prefecture, supply.remote_nationwide(session, today))
    if wanted("supply"):
        tables["supply"] = (supply.supply_by_municipality(session, scope, period, today, locale)
                            if scope.kind == PREFECTURE else by_prefecture)
    if scope.kind == PREFECTURE and wanted("pool"):
        tables["pool"] = supply.pool(session, scope, today)
    if wanted("stage_field"):
        tables["stage_field"] = unmet.stage_field(session, scope, period, taxonomy, locale)
    if wanted("skills"):
        tables["skills"] = unmet.skill_shortage(session, scope, period, today, taxonomy, locale)
    if wanted("flow"):
        tables["flow"] = flow.flow(session, scope, period)
    if wanted("dispatch"):
        tables["dispatch"] = dispatch_counts.by_purpose(session, scope, period, today, taxonomy, locale)
    return Dashboard(scope, period, today, tables, by_prefecture)
