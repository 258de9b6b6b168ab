"""The flow of needs: days from posting to the first contact request and to the first engagement (median and
mean over the needs of the period that got there), the share of needs filled among those concluded in the
period, and the contact requests declined. Medians come from window functions, so SQLite and PostgreSQL
give the same answer without reading the rows into Python.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from hub.models import Engagement, Need, ShortlistEntry
from hub.tabular import Column, Table

from .scope import Period, Scope, days_between, need_in_scope, published_needs_condition


def _first(column, *conditions):
    key = column.class_.need_id
    return select(key.label("need_id"), func.min(column).label("at")).where(*conditions).group_by(key).subquery()


def first_contacts():
    return _first(ShortlistEntry.contacted_at, ShortlistEntry.contacted_at.is_not(None))


def first_engagements():
    return _first(Engagement.created_at, Engagement.need_id.is_not(None), Engagement.source == "need")


def day_stats(session: Session, days_query) -> tuple[int, float | None, float | None]:
    """(count, mean, median) of the `days` column of a query, in SQL."""
    days = days_query.subquery()
    ranked = select(days.c.days, func.row_number().over(order_by=days.c.days).label("rn"),
                    func.count().over().label("n")).subquery()
    n, mean = session.execute(select(func.count(), func.avg(days.c.days))).one()
    median = session.scalar(select(func.avg(ranked.c.days)).where(
        or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)))
    return int(n), (None if mean is None else float(mean)), (None if median is None else float(median))


def days_to(session: Session, scope: Scope, period: Period, first) -> tuple[int, float | None, float | None]:
    """Days from publishing to the first event (`first`: need_id, at) over the period's needs that had one."""
    query = (select(days_between(first.c.at, Need.published_at).label("days"))
             .join(first, first.c.need_id == Need.id).where(published_needs_condition(scope, period)))
    return day_stats(session, query)


def filled_share(session: Session, scope: Scope, period: Period) -> tuple[int, int]:
    """(filled, concluded): needs of the scope closed in the period, or filled by an engagement started in
    it; filled when an engagement came from the need or it was closed as filled."""
    first = first_engagements()
    concluded = or_(and_(Need.status == "closed", Need.closed_at.is_not(None), period.holds(Need.closed_at)),
                    and_(Need.status == "filled", first.c.at.is_not(None), period.holds(first.c.at)))
    filled = or_(Need.status == "filled", Need.close_reason == "filled", first.c.at.is_not(None))
    n, done = session.execute(
        select(func.count(), func.sum(case((filled, 1), else_=0))).select_from(Need)
        .outerjoin(first, first.c.need_id == Need.id).where(need_in_scope(scope), concluded)).one()
    return int(done or 0), int(n)


def declined(session: Session, scope: Scope, period: Period) -> tuple[int, int]:
    """(declined, sent): contact requests sent in the period for needs of the scope, and how many the experts
    declined."""
    n, no = session.execute(
        select(func.count(), func.sum(case((ShortlistEntry.state == "declined", 1), else_=0)))
        .join(Need, Need.id == ShortlistEntry.need_id)
        .where(need_in_scope(scope), ShortlistEntry.contacted_at.is_not(None),
               period.holds(ShortlistEntry.contacted_at))).one()
    return int(no or 0), int(n)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


def flow(session: Session, scope: Scope, period: Period) -> Table:
    contact = days_to(session, scope, period, first_contacts())
    engagement = days_to(session, scope, period, first_engagements())
    filled, concluded = filled_share(session, scope, period)
    no, sent = declined(session, scope, period)
    rows = [
        {"key": "contact_median", "measure": _l("Days from posting to the first contact request (median)"),
         "value": _round(contact[2]), "basis": contact[0]},
        {"key": "contact_mean", "measure": _l("Days from posting to the first contact request (mean)"),
         "value": _round(contact[1]), "basis": contact[0]},
        {"key": "engagement_median", "measure": _l("Days from posting to the first engagement (median)"),
         "value": _round(engagement[2]), "basis": engagement[0]},
        {"key": "engagement_mean", "measure": _l("Days from posting to the first engagement (mean)"),
         "value": _round(engagement[1]), "basis": engagement[0]},
        {"key": "filled", "measure": _l("Needs filled (%), of those concluded in the period"),
         "value": _percent(filled, concluded), "basis": concluded, "count": filled},
        {"key": "declined", "measure": _l("Contact requests declined (%)"), "value": _percent(no, sent),
         "basis": sent, "count": no},
    ]
    return Table("flow", _l("From posting to engagement"), [
        Column("measure", _l("Measure"), width=48), Column("value", _l("Value")),
        Column("count", _l("Count")), Column("basis", _l("Out of"))], rows,
        note=_l("Days: over the needs posted in the period that got a contact request or an engagement. "
                "Concluded: closed in the period, or filled by an engagement started in it."))
