"""Adviser dispatch requests of the period by purpose (研修・講演, 事業の立ち上げ, フォローアップ) and by
state, with the reports overdue under the rules file's deadline (as the bureau home counts them)."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func
from sqlalchemy.orm import Session

from hub.models import DispatchRequest
from hub.tabular import Column, Table
from skill_taxonomy import DISPATCH_PURPOSES, DISPATCH_STATES, Taxonomy

from .scope import Period, Scope, dispatch_query, report_overdue_condition


def counts(session: Session, scope: Scope, period: Period, today: date) -> dict[tuple[str, str], tuple[int, int]]:
    """(purpose, state) -> (requests, overdue reports) of the scope's requests submitted in the period."""
    query = dispatch_query(scope, period, DispatchRequest.purpose, DispatchRequest.state, func.count(),
                           func.sum(case((report_overdue_condition(today), 1), else_=0))).group_by(
        DispatchRequest.purpose, DispatchRequest.state)
    return {(purpose, state): (int(n), int(late or 0)) for purpose, state, n, late in session.execute(query)}


def by_purpose(session: Session, scope: Scope, period: Period, today: date, taxonomy: Taxonomy,
               locale: object = "ja") -> Table:
    """One row per purpose, a column per state, the total and the overdue reports; a total row last."""
    found = counts(session, scope, period, today)
    purposes, states = taxonomy.enums["dispatch_purposes"], taxonomy.enums["dispatch_states"]
    rows = []
    for purpose in DISPATCH_PURPOSES:
        row = {"purpose": purposes[purpose].name(locale), "purpose_id": purpose}
        for state in DISPATCH_STATES:
            row[state] = found.get((purpose, state), (0, 0))[0]
        row["total"] = sum(row[state] for state in DISPATCH_STATES)
        row["overdue"] = sum(found.get((purpose, state), (0, 0))[1] for state in DISPATCH_STATES)
        rows.append(row)
    total = {"purpose": _l("Total"), "purpose_id": "total"}
    for key in (*DISPATCH_STATES, "total", "overdue"):
        total[key] = sum(row[key] for row in rows)
    rows.append(total)
    columns = ([Column("purpose", _l("Purpose"), width=20)]
               + [Column(state, states[state].name(locale)) for state in DISPATCH_STATES]
               + [Column("total", _l("Total")), Column("overdue", _l("Reports overdue"))])
    return Table("dispatch", _l("Dispatch requests by purpose and state"), columns, rows,
                 note=_l("Requests submitted in the period, by the requester's prefecture. A report is overdue "
                         "when the support was done more than the rules' days ago and no report was filed."))
