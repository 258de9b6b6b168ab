"""Supply against demand: listed experts and their hours left this month, against the open needs and the
dispatch requests of the period and the hours they ask, by prefecture (or by municipality for a prefecture),
and a prefecture's talent pool. Every number is a GROUP BY in SQL; Python only lays the groups side by side.

Remote experts: a resident of a prefecture counts in its local supply whatever their work styles; an expert of
another prefecture counts there as an on-site visitor when they work on site (or resident) and list it as a
travel prefecture. Experts who work remotely could serve a remote need anywhere, so they are not spread over
the prefectures: they are one nationwide number beside the table ("remote-capable nationwide").
"""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hub.models import DispatchRequest, ExpertTravelPrefecture, Need, Organization
from hub.tabular import Column, Table

from .scope import (EXCLUDED_DISPATCH_STATES, Period, Scope, dispatch_hours, dispatch_query, municipality_name,
                    need_prefecture, open_needs_condition, prefecture_name, supply_subquery, travels_to)

OTHER = ""  # the row of organizations without a local-government code (NPOs, universities, businesses)

SUPPLY_COLUMNS = ("experts", "with_hours", "hours", "visitors", "visitor_hours", "supply_hours", "needs",
                  "need_hours", "dispatches", "dispatch_hours", "demand_hours", "gap")


def _columns(place_label) -> list[Column]:
    return [
        Column("place", place_label, width=16), Column("code", _l("Code"), width=8),
        Column("experts", _l("Listed experts")), Column("with_hours", _l("With hours left")),
        Column("hours", _l("Remaining hours")),
        Column("visitors", _l("On-site visitors")), Column("visitor_hours", _l("Visitors' remaining hours")),
        Column("supply_hours", _l("Supply (hours)")),
        Column("needs", _l("Open needs")), Column("need_hours", _l("Hours/month asked")),
        Column("dispatches", _l("Dispatch requests")), Column("dispatch_hours", _l("Dispatch hours asked")),
        Column("demand_hours", _l("Demand (hours)")), Column("gap", _l("Gap (hours)")),
    ]


def _residents(session: Session, supply, key, codes: list[str]) -> dict[str, tuple[int, int, int]]:
    """key -> (listed experts, with hours left, remaining hours) of the experts living there."""
    query = (select(key, func.count(), func.sum(case((supply.c.remaining > 0, 1), else_=0)),
                    func.sum(supply.c.remaining))
             .where(supply.c.prefecture_code.in_(codes)).group_by(key))
    return {k: (int(n), int(w or 0), int(h or 0)) for k, n, w, h in session.execute(query)}


def _visitors(session: Session, supply, codes: list[str]) -> dict[str, tuple[int, int]]:
    """prefecture -> (experts of other prefectures with hours left who work on site there, their hours)."""
    travel = ExpertTravelPrefecture
    query = (select(travel.prefecture_code, func.count(), func.sum(supply.c.remaining))
             .join(supply, supply.c.id == travel.expert_id)
             .where(travel.prefecture_code.in_(codes), supply.c.remaining > 0,
                    (supply.c.prefecture_code.is_(None)) | (supply.c.prefecture_code != travel.prefecture_code),
                    (supply.c.onsite.is_(True)) | (supply.c.resident.is_(True)))
             .group_by(travel.prefecture_code))
    return {k: (int(n), int(h or 0)) for k, n, h in session.execute(query)}


def _needs(session: Session, scope: Scope, period: Period, key) -> dict[str, tuple[int, int]]:
    query = (select(key, func.count(), func.sum(Need.hours_per_month))
             .where(open_needs_condition(scope, period)).group_by(key))
    return {k: (int(n), int(h or 0)) for k, n, h in session.execute(query)}


def _dispatches(session: Session, scope: Scope, period: Period, key) -> dict[str, tuple[int, int]]:
    query = (dispatch_query(scope, period, key, func.count(), func.sum(dispatch_hours()))
             .where(DispatchRequest.state.not_in(EXCLUDED_DISPATCH_STATES)).group_by(key))
    return {(k or OTHER): (int(n), int(h or 0)) for k, n, h in session.execute(query)}


def _row(place: str, code: str, residents=(0, 0, 0), visitors=(0, 0), needs=(0, 0), dispatches=(0, 0)) -> dict:
    supply_hours = residents[2] + visitors[1]
    demand_hours = needs[1] + dispatches[1]
    return {"place": place, "code": code, "experts": residents[0], "with_hours": residents[1],
            "hours": residents[2], "visitors": visitors[0], "visitor_hours": visitors[1],
            "supply_hours": supply_hours, "needs": needs[0], "need_hours": needs[1], "dispatches": dispatches[0],
            "dispatch_hours": dispatches[1], "demand_hours": demand_hours, "gap": supply_hours - demand_hours}


def supply_by_prefecture(session: Session, scope: Scope, period: Period, today: date,
                         locale: object = "ja") -> Table:
    """One row per prefecture of the scope (all of them, zeros included), in code order."""
    codes = list(scope.prefecture_codes)
    supply = supply_subquery(today)
    residents = _residents(session, supply, supply.c.prefecture_code, codes)
    visitors = _visitors(session, supply, codes)
    needs = _needs(session, scope, period, need_prefecture())
    dispatches = _dispatches(session, scope, period, Organization.prefecture_code)
    rows = [_row(prefecture_name(code, locale), code, residents.get(code, (0, 0, 0)), visitors.get(code, (0, 0)),
                 needs.get(code, (0, 0)), dispatches.get(code, (0, 0))) for code in codes]
    return Table("supply", _l("Supply and demand by prefecture"), _columns(_l("Prefecture")), rows,
                 note=_l("Supply: remaining hours this month of listed experts living there, plus on-site visitors "
                         "from other prefectures. Demand: hours per month of open needs posted in the period, plus "
                         "hours of dispatch requests. Gap = supply - demand."))


def supply_by_municipality(session: Session, scope: Scope, period: Period, today: date,
                           locale: object = "ja") -> Table:
    """A prefecture's municipalities with any expert living there or any demand, in code order; the
    prefecture's own needs and requests in its own row, organizations without a code in the last."""
    code = scope.key
    supply = supply_subquery(today)
    residents = _residents(session, supply, supply.c.home_lg_code, [code])
    needs = _needs(session, scope, period, Need.location_lg_code)
    dispatches = _dispatches(session, scope, period, Organization.lg_code)
    keys = sorted((set(residents) | set(needs) | set(dispatches)) - {OTHER, None})
    rows = [_row(municipality_name(k, locale), k, residents.get(k, (0, 0, 0)), (0, 0), needs.get(k, (0, 0)),
                 dispatches.get(k, (0, 0))) for k in keys]
    if OTHER in dispatches:
        rows.append(_row(_l("Other organizations"), "", needs=(0, 0), dispatches=dispatches[OTHER]))
    columns = [c for c in _columns(_l("Municipality")) if c.key not in ("visitors", "visitor_hours")]
    return Table("supply", _l("Supply and demand by municipality"), columns, rows,
                 note=_l("Supply: remaining hours this month of listed experts living in the municipality (the "
                         "pool table counts those who come from elsewhere). Demand: open needs posted in the period "
                         "and dispatch requests, by the requesting organization."))


POOL_KINDS = ("resident", "visitor", "remote")


def pool(session: Session, scope: Scope, today: date) -> Table:
    """A prefecture's talent pool (人材プール) by how each expert can serve it, each expert counted once:
    living there, else coming on site (travel prefecture), else working remotely."""
    code = scope.key
    supply = supply_subquery(today)
    how = case((supply.c.prefecture_code == code, "resident"),
               (travels_to(supply, [code]), "visitor"),
               (supply.c.remote.is_(True), "remote"), else_=None).label("how")
    grouped = select(how, supply.c.remaining).subquery()
    query = (select(grouped.c.how, func.count(), func.sum(case((grouped.c.remaining > 0, 1), else_=0)),
                    func.sum(grouped.c.remaining)).where(grouped.c.how.is_not(None)).group_by(grouped.c.how))
    counts = {k: (int(n), int(w or 0), int(h or 0)) for k, n, w, h in session.execute(query)}
    labels = {"resident": _l("Live in the prefecture"), "visitor": _l("Come on site from elsewhere"),
              "remote": _l("Work remotely from elsewhere")}
    rows = [{"how": labels[k], "kind": k, "experts": counts.get(k, (0, 0, 0))[0],
             "with_hours": counts.get(k, (0, 0, 0))[1], "hours": counts.get(k, (0, 0, 0))[2]} for k in POOL_KINDS]
    rows.append({"how": _l("Total"), "kind": "total", "experts": sum(r["experts"] for r in rows),
                 "with_hours": sum(r["with_hours"] for r in rows), "hours": sum(r["hours"] for r in rows)})
    return Table("pool", _l("Talent pool"), [
        Column("how", _l("How they serve the prefecture"), width=24), Column("experts", _l("Listed experts")),
        Column("with_hours", _l("With hours left")), Column("hours", _l("Remaining hours"))], rows,
        note=_l("Each listed expert counts once: living in the prefecture first, then coming on site (the "
                "prefecture is one of their travel prefectures), then working remotely."))


def remote_nationwide(session: Session, today: date) -> tuple[int, int]:
    """Listed experts anywhere who work remotely and have hours left this month, and their hours."""
    supply = supply_subquery(today)
    n, hours = session.execute(select(func.count(), func.sum(supply.c.remaining))
                               .where(supply.c.remote.is_(True), supply.c.remaining > 0)).one()
    return int(n), int(hours or 0)


def summary(supply_table: Table, remote: tuple[int, int]) -> Table:
    """The scope's totals (the sums of the supply table's columns) and the remote-capable experts."""
    totals = {key: sum(row[key] for row in supply_table.rows) for key in SUPPLY_COLUMNS}
    measures = [
        ("experts", _l("Listed experts living in the area")), ("with_hours", _l("Of them with hours left this month")),
        ("hours", _l("Their remaining hours this month")),
        ("visitors", _l("On-site visitors from elsewhere (with hours left)")),
        ("remote", _l("Remote-capable experts nationwide (with hours left)")),
        ("remote_hours", _l("Their remaining hours (nationwide)")),
        ("needs", _l("Open needs posted in the period")), ("need_hours", _l("Hours per month they ask")),
        ("dispatches", _l("Dispatch requests in the period")), ("dispatch_hours", _l("Hours they ask")),
        ("gap", _l("Gap (supply - demand, hours)")),
    ]
    values = totals | {"remote": remote[0], "remote_hours": remote[1]}
    return Table("summary", _l("Summary"), [Column("measure", _l("Measure"), width=40), Column("value", _l("Value"))],
                 [{"key": key, "measure": label, "value": values[key]} for key, label in measures],
                 note=_l("Remote-capable experts could serve a remote need anywhere; they are not part of the gap."))
