"""Excel out: the rows of the staff's expert list and need lists, gathered in a few grouped queries.

The rows hold plain values and vocabulary ids; hub/views/exports.py turns them into a `hub.tabular.Table`
with labels in the viewer's language. Which experts and needs: exactly those of the search page
(hub/services/search.py) and of the need lists (`need_list_query`), capped by `limits.EXPORT_ROWS`.
What a row may carry is asked of hub/permissions.py in batch: contact details only where
`contact_visible_ids` allows them, shortlist counts only where `can_see_candidates` does.
Every export is audited (`expert.export`, `need.export`) with its filters and its number of rows.
"""
from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, selectinload

from hub import limits, permissions
from hub.models import (Engagement, Evaluation, ExpertField, ExpertProfile, ExpertRole, ExpertScheme, ExpertSkill,
                        ExpertTravelPrefecture, Need, NeedShare, Organization, ShortlistEntry, User)
from hub.services import audit
from hub.services.availability import remaining_hours_by_expert
from hub.services.errors import Refused
from hub.services.search import Criteria, all_expert_ids, count_experts

_CHUNK = 5000  # ids per IN list, as in hub/services/availability.py
TOP_SKILLS = 5  # the "main skills" column: the highest declared levels
NEED_SCOPES = ("own", "open", "region")


class TooManyRows(Refused):
    """More rows match than one export may hold (limits.EXPORT_ROWS); nothing was written."""

    status = 422

    def __init__(self, count: int, limit: int):
        super().__init__(f"{count} rows match; an export holds at most {limit}", reason="too_many_rows")
        self.count, self.limit = count, limit


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start:start + _CHUNK])


def _grouped(session: Session, query_for_chunk, ids: Sequence[int]) -> dict[int, list[tuple]]:
    """expert or need id -> its rows (the first column is the id), one query per chunk of ids."""
    result: dict[int, list[tuple]] = defaultdict(list)
    for chunk in _chunks(ids):
        for row in session.execute(query_for_chunk(chunk)):
            result[row[0]].append(tuple(row[1:]))
    return result


# -- experts ------------------------------------------------------------------------------------------------------

@dataclass
class ExpertRow:
    id: int
    name: str
    talent_type: str
    home_lg_code: str | None
    prefecture_code: str | None
    remote: bool
    onsite: bool
    resident: bool
    max_travel_km: int | None
    hours_per_month: int
    remaining_this_month: int
    available_from: date | None
    available_until: date | None
    fee_unit: str | None
    fee_amount: int | None
    fee_negotiable: bool
    completed: int
    rating_mean: float | None
    email: str | None  # None unless the viewer may see the expert's contact
    phone: str | None
    contact_visible: bool
    travel_prefectures: list[str] = field(default_factory=list)
    field_ids: list[str] = field(default_factory=list)
    role_ids: list[str] = field(default_factory=list)
    scheme_ids: list[str] = field(default_factory=list)
    skills: list[tuple[str, int]] = field(default_factory=list)  # (item id, level), highest first


@dataclass
class ExpertExport:
    rows: list[ExpertRow]
    period: tuple[date, date]  # the days "remaining this month" counts


def export_experts(session: Session, actor: User, criteria: Criteria, *, filters: dict[str, Any],
                   today: date | None = None) -> ExpertExport:
    """Every expert the search finds for `criteria`, in its order, as rows; audited as `expert.export`.

    Raise TooManyRows above limits.EXPORT_ROWS (counted as the search page counts, before reading any row).
    """
    permissions.require(permissions.can_export_experts(actor))
    today = today or date.today()
    total = count_experts(session, criteria, today)
    if total > limits.EXPORT_ROWS:
        raise TooManyRows(total, limits.EXPORT_ROWS)
    ids = all_expert_ids(session, criteria, today)
    period = (today, month_end(today))
    rows = expert_rows(session, actor, ids, period)
    audit.record(session, actor, "expert.export", "expert", "list", filters=filters, rows=len(rows))
    return ExpertExport(rows, period)


def expert_rows(session: Session, viewer: User, ids: Sequence[int], period: tuple[date, date]) -> list[ExpertRow]:
    """The rows of these experts, in this order: about ten queries whatever their number."""
    P = ExpertProfile
    profiles = _grouped(session, lambda chunk: select(
        P.id, P.name, P.talent_type, P.home_lg_code, P.prefecture_code, P.remote, P.onsite, P.resident,
        P.max_travel_km, P.hours_per_month, P.available_from, P.available_until, P.fee_unit, P.fee_amount,
        P.fee_negotiable, P.email, P.phone).where(P.id.in_(chunk)), ids)
    skills = _grouped(session, lambda chunk: select(ExpertSkill.expert_id, ExpertSkill.skill_id, ExpertSkill.level)
                      .where(ExpertSkill.expert_id.in_(chunk), ExpertSkill.source != "inferred",
                             ExpertSkill.level > 0)
                      .order_by(ExpertSkill.expert_id, ExpertSkill.level.desc(), ExpertSkill.skill_id), ids)
    roles = _grouped(session, lambda chunk: select(ExpertRole.expert_id, ExpertRole.role_id)
                     .where(ExpertRole.expert_id.in_(chunk)), ids)
    fields = _grouped(session, lambda chunk: select(ExpertField.expert_id, ExpertField.field_id)
                      .where(ExpertField.expert_id.in_(chunk)), ids)
    schemes = _grouped(session, lambda chunk: select(ExpertScheme.expert_id, ExpertScheme.scheme)
                       .where(ExpertScheme.expert_id.in_(chunk)), ids)
    travel = _grouped(session, lambda chunk: select(ExpertTravelPrefecture.expert_id,
                                                    ExpertTravelPrefecture.prefecture_code)
                      .where(ExpertTravelPrefecture.expert_id.in_(chunk))
                      .order_by(ExpertTravelPrefecture.prefecture_code), ids)
    # The record as the profile page counts it: completed engagements, and the mean of the organizations' own
    # evaluations of the running and completed ones.
    E = Engagement
    record = _grouped(session, lambda chunk: select(
        E.expert_id, func.sum(case((E.status == "completed", 1), else_=0)), func.avg(Evaluation.overall))
        .outerjoin(Evaluation, (Evaluation.engagement_id == E.id) & Evaluation.co_organization_id.is_(None))
        .where(E.expert_id.in_(chunk), E.status.in_(("active", "completed"))).group_by(E.expert_id), ids)
    remaining = remaining_hours_by_expert(session, ids, *period)
    contact = permissions.contact_visible_ids(session, viewer, ids)

    rows = []
    for expert_id in ids:
        if expert_id not in profiles:
            continue
        (name, talent_type, home, prefecture, remote, onsite, resident, reach, hours, available_from,
         available_until, fee_unit, fee_amount, negotiable, email, phone) = profiles[expert_id][0]
        completed, mean = record[expert_id][0] if expert_id in record else (0, None)
        visible = expert_id in contact
        rows.append(ExpertRow(
            id=expert_id, name=name, talent_type=talent_type, home_lg_code=home, prefecture_code=prefecture,
            remote=remote, onsite=onsite, resident=resident, max_travel_km=reach, hours_per_month=hours,
            remaining_this_month=remaining.get(expert_id, 0), available_from=available_from,
            available_until=available_until, fee_unit=fee_unit, fee_amount=fee_amount,
            fee_negotiable=bool(negotiable), completed=int(completed or 0),
            rating_mean=round(float(mean), 2) if mean is not None else None,
            email=(email or None) if visible else None, phone=(phone or None) if visible else None,
            contact_visible=visible,
            travel_prefectures=[code for code, in travel.get(expert_id, ())],
            field_ids=sorted(f for f, in fields.get(expert_id, ())),
            role_ids=sorted(r for r, in roles.get(expert_id, ())),
            scheme_ids=sorted(s for s, in schemes.get(expert_id, ())),
            skills=[(skill, level) for skill, level in skills.get(expert_id, ())][:TOP_SKILLS]))
    return rows


# -- needs --------------------------------------------------------------------------------------------------------

def need_list_query(user: Any, scope: str, bureau_id: str | None = None) -> Select | None:
    """The needs of one of the staff's need lists, newest first, within visible_needs(user); None when the user
    has no such list.

    own     the needs of the user's organization and those shared with it, any status (the needs page's first list)
    open    open needs of other organizations (the needs page's second list; every organization for admins)
    region  open needs of the organizations of a bureau's region (the bureau home; admins: any or every region)
    """
    visible = permissions.visible_needs(user)
    if visible is None or scope not in NEED_SCOPES:
        return None
    own = permissions.visible_own_organization_id(user)
    query = select(Need).where(visible)
    if scope == "own":
        if own is None:
            return None
        shared_with_us = select(NeedShare.need_id).where(NeedShare.organization_id == own)
        return query.where((Need.organization_id == own) | Need.id.in_(shared_with_us)).order_by(
            Need.created_at.desc(), Need.id.desc())
    query = query.where(Need.status == "open")
    if scope == "open" and own is not None:
        shared_with_us = select(NeedShare.need_id).where(NeedShare.organization_id == own)
        query = query.where(Need.organization_id != own, Need.id.not_in(shared_with_us))
    if scope == "region":
        if not permissions.can_use_bureau_home(user):
            return None
        region = permissions.bureau_of(user) or bureau_id  # bureau staff: always their own region
        if region is not None:
            query = query.where(Need.organization_id.in_(select(Organization.id).where(
                Organization.bureau_id == region)))
    return query.order_by(Need.published_at.desc().nulls_last(), Need.id.desc())


@dataclass
class NeedRow:
    need: Need
    candidates: int | None  # None: the viewer may not see the need's candidates
    contacted: int | None
    engaged: int | None


def export_needs(session: Session, actor: User, scope: str, *, bureau_id: str | None = None,
                 filters: dict[str, Any]) -> list[NeedRow]:
    """The needs of one list as rows, with their shortlist and engagement counts; audited as `need.export`.

    Raise PermissionDenied when the user has no such list, TooManyRows above limits.EXPORT_ROWS.
    """
    permissions.require(permissions.can_export_needs(actor))
    query = need_list_query(actor, scope, bureau_id)
    permissions.require(query is not None)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if total > limits.EXPORT_ROWS:
        raise TooManyRows(total, limits.EXPORT_ROWS)
    needs = list(session.scalars(query.options(
        selectinload(Need.organization), selectinload(Need.stages), selectinload(Need.fields),
        selectinload(Need.skills), selectinload(Need.shares).selectinload(NeedShare.organization))))
    rows = need_rows(session, actor, needs)
    audit.record(session, actor, "need.export", "need", "list", filters=filters, rows=len(rows))
    return rows


def need_rows(session: Session, viewer: User, needs: Sequence[Need]) -> list[NeedRow]:
    """Count the shortlist entries, contact requests and engagements of each need in two grouped queries."""
    ids = [n.id for n in needs]
    S = ShortlistEntry
    shortlist = _grouped(session, lambda chunk: select(
        S.need_id, func.count(), func.sum(case((S.contacted_at.is_not(None), 1), else_=0)))
        .where(S.need_id.in_(chunk)).group_by(S.need_id), ids)
    engaged = _grouped(session, lambda chunk: select(Engagement.need_id, func.count())
                       .where(Engagement.need_id.in_(chunk), Engagement.status.in_(("active", "completed")))
                       .group_by(Engagement.need_id), ids)
    rows = []
    for need in needs:
        if permissions.can_see_candidates(viewer, need):  # organization and shares are loaded: no query
            count, contacted = shortlist[need.id][0] if need.id in shortlist else (0, 0)
            rows.append(NeedRow(need, int(count), int(contacted or 0),
                                int(engaged[need.id][0][0]) if need.id in engaged else 0))
        else:
            rows.append(NeedRow(need, None, None, None))
    return rows
