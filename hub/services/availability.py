"""Remaining hours are derived, never typed: offered hours minus the hours of concurrent active engagements."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from hub.models import Engagement, ExpertProfile

_CHUNK = 5000  # ids per IN list: well under SQLite's and PostgreSQL's parameter limits


def active_during(start: date, end: date | None) -> ColumnElement[bool]:
    """Active engagements overlapping [start, end]; an engagement or period with no end runs on."""
    condition = and_(Engagement.status == "active",
                     or_(Engagement.end_date.is_(None), Engagement.end_date >= start))
    if end is not None:
        condition = and_(condition, Engagement.start_date <= end)
    return condition


def committed_hours(start: date, end: date | None, ids: list[int] | None = None):
    """Subquery (expert_id, hours): each expert's hours in active engagements overlapping [start, end].

    Outer-join it to ExpertProfile and subtract `coalesce(hours, 0)` from `hours_per_month` for the remaining
    hours in SQL (the search filter, the dashboards, `remaining_hours_by_expert`)."""
    query = select(Engagement.expert_id, func.sum(Engagement.hours_per_month).label("hours")).where(
        active_during(start, end))
    if ids is not None:
        query = query.where(Engagement.expert_id.in_(ids))
    return query.group_by(Engagement.expert_id).subquery()


def concurrent_engagements(session: Session, expert: ExpertProfile, start: date,
                           end: date | None = None) -> list[Engagement]:
    """Return the expert's active engagements overlapping the period, earliest first."""
    if end is not None and end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    return list(session.scalars(
        select(Engagement).where(Engagement.expert_id == expert.id, active_during(start, end))
        .order_by(Engagement.start_date, Engagement.id)))


def remaining_hours(expert: ExpertProfile, engagements: Sequence[Engagement]) -> int:
    """Return offered hours per month minus those the given engagements take, never below zero."""
    return max(0, expert.hours_per_month - sum(e.hours_per_month for e in engagements))


def remaining_hours_by_expert(session: Session, expert_ids: Iterable[int] | None, start: date,
                              end: date | None = None) -> dict[int, int]:
    """Return expert id -> remaining hours for the period, for many experts in one query.

    `expert_ids` None means every expert. Ids that do not exist are left out of the answer.
    Very long id lists are split into chunks of 5,000 ids (one query each).
    """
    if end is not None and end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    if expert_ids is None:
        batches: list[list[int] | None] = [None]
    else:
        ids = sorted(set(expert_ids))
        batches = [ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    result: dict[int, int] = {}
    for chunk in batches:
        for expert_id, offered, used in session.execute(_remaining_query(start, end, chunk)):
            result[expert_id] = max(0, int(offered) - int(used))
    return result


def _remaining_query(start: date, end: date | None, ids: list[int] | None):
    """SELECT id, offered, committed hours: a grouped sum of overlapping engagements, outer-joined."""
    committed = committed_hours(start, end, ids)
    query = select(ExpertProfile.id, ExpertProfile.hours_per_month)
    if ids is not None:
        query = query.where(ExpertProfile.id.in_(ids))
    return (query.add_columns(func.coalesce(committed.c.hours, 0))
            .outerjoin(committed, committed.c.expert_id == ExpertProfile.id))
