"""Staff search over listed, active experts: words, skills, prefecture, remaining hours, type, work style."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from hub.models import Engagement, ExpertProfile, ExpertScheme, ExpertSkill
from hub.services.availability import committed_hours, remaining_hours_by_expert

PER_PAGE = 20
@dataclass
class Criteria:
    words: list[str]
    skills: dict[str, int]
    prefecture: str | None = None
    min_hours: int | None = None
    talent_type: str | None = None
    work_style: str | None = None
    scheme: str | None = None
    sort: str = "updated"


@dataclass
class Page:
    experts: list[ExpertProfile]
    remaining: dict[int, int]
    total: int
    page: int
    pages: int


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matching(criteria: Criteria, today: date):
    """SELECT the ids of the experts matching the criteria, and the order the criteria ask for."""
    conditions = [ExpertProfile.listed.is_(True), ExpertProfile.status == "active"]
    for word in criteria.words:
        pattern = _like(word)
        conditions.append(or_(
            ExpertProfile.name.ilike(pattern, escape="\\"), ExpertProfile.bio.ilike(pattern, escape="\\"),
            exists().where(Engagement.expert_id == ExpertProfile.id, or_(
                Engagement.title.ilike(pattern, escape="\\"), Engagement.role.ilike(pattern, escape="\\"),
                Engagement.contribution.ilike(pattern, escape="\\")))))
    for skill_id, level in criteria.skills.items():
        conditions.append(exists().where(ExpertSkill.expert_id == ExpertProfile.id,
                                         ExpertSkill.skill_id == skill_id, ExpertSkill.level >= level))
    if criteria.prefecture:
        conditions.append(ExpertProfile.prefecture_code == criteria.prefecture)
    if criteria.talent_type:
        # An XD expert answers a search for X or for D.
        conditions.append(ExpertProfile.talent_type.in_((criteria.talent_type, "XD")))
    if criteria.work_style in ("remote", "onsite", "resident"):
        conditions.append(getattr(ExpertProfile, criteria.work_style).is_(True))
    if criteria.scheme:
        conditions.append(exists().where(ExpertScheme.expert_id == ExpertProfile.id,
                                         ExpertScheme.scheme == criteria.scheme))

    committed = committed_hours(today, None)
    remaining_expr = ExpertProfile.hours_per_month - func.coalesce(committed.c.hours, 0)
    base = select(ExpertProfile.id).outerjoin(committed, committed.c.expert_id == ExpertProfile.id).where(
        and_(*conditions))
    if criteria.min_hours:
        base = base.where(remaining_expr >= criteria.min_hours)
    order = {"hours": (remaining_expr.desc(), ExpertProfile.id),
             "name": (ExpertProfile.name, ExpertProfile.id)}.get(
        criteria.sort, (ExpertProfile.updated_at.desc(), ExpertProfile.id))
    return base, order


def search_experts(session: Session, criteria: Criteria, page: int, today: date | None = None) -> Page:
    """Return one page of matching experts; remaining hours for the page in one grouped query.

    Every word must appear in the name, the bio or the title/role/contribution of an engagement
    (ILIKE, so it behaves alike on SQLite and PostgreSQL). Remaining hours are for today onwards.
    """
    today = today or date.today()
    base, order = _matching(criteria, today)
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(1, page), pages)
    ids = list(session.scalars(base.order_by(*order).limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    by_id = {e.id: e for e in session.scalars(
        select(ExpertProfile).where(ExpertProfile.id.in_(ids)).options(
            selectinload(ExpertProfile.skills), selectinload(ExpertProfile.roles),
            selectinload(ExpertProfile.fields), selectinload(ExpertProfile.stages_led),
            selectinload(ExpertProfile.schemes)))} if ids else {}
    remaining = remaining_hours_by_expert(session, ids, today) if ids else {}
    return Page([by_id[i] for i in ids], remaining, total, page, pages)


def count_experts(session: Session, criteria: Criteria, today: date | None = None) -> int:
    """How many experts match, as the search page counts them."""
    base, _order = _matching(criteria, today or date.today())
    return session.scalar(select(func.count()).select_from(base.subquery()))


def all_expert_ids(session: Session, criteria: Criteria, today: date | None = None) -> list[int]:
    """The ids of every matching expert in the search page's order (the Excel export; callers cap the count)."""
    base, order = _matching(criteria, today or date.today())
    return list(session.scalars(base.order_by(*order)))
