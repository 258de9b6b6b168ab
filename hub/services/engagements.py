"""From a shortlist entry to an evaluated engagement: the verbs of the municipality side.

shortlist (-> shortlisted) -> contact request (-> contacted) -> the expert accepts or declines on their
dashboard (services/contact.py: -> accepted | declined) -> engagement started (status active; the expert's
hours are committed, under a lock on the expert) -> completed (end date, outcome) -> evaluation, which
updates the expert's record: per-skill ratings become `rating_mean`/`rating_count` on the expert's skills,
and a skill rated 3 or better is verified at (at least) the level the need asked for.

Each verb takes the session and the acting user (None: the system), checks its rule, flushes and writes
one audit event; the caller commits. What the matcher sees of the expert is marked changed by the ORM event
in hub/models/changes.py.
"""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import matching
from hub.db import utcnow
from hub.models import (Engagement, EngagementField, EngagementStage, Evaluation, EvaluationSkill, ExpertProfile,
                        ExpertSkill, Need, ShortlistEntry, User)
from hub import permissions
from hub.permissions import can_manage_need, require
from hub.services import audit
from hub.services.availability import remaining_hours_by_expert
from hub.services.errors import NotEnoughHours, StateError
from hub.services.notifications import notify_contact_request, notify_engagement

VERIFY_THRESHOLD = 3  # a per-skill rating at or above this confirms the skill at the level the need asked
OPEN_ENGAGEMENT = ("proposed", "active")  # at most one per shortlist entry (a partial unique index)

__all__ = ["NotEnoughHours", "StateError", "complete_engagement", "engagement_of", "evaluate", "request_contact",
           "shortlist", "start_engagement"]


def _locked(session: Session, model, row_id: int):
    """Reload a row under a lock held to the commit (PostgreSQL; SQLite serialises writers)."""
    return session.get(model, row_id, with_for_update=True, populate_existing=True)


def _may_manage(actor: User | None, need: Need | None) -> None:
    if actor is not None:
        require(need is not None and can_manage_need(actor, need))


def shortlist(session: Session, actor: User | None, need: Need, match: matching.Match,
              result: matching.RankResult, *, rank: int | None = None) -> ShortlistEntry:
    """Keep a ranked expert on the need's shortlist with what the matcher said at the time."""
    from hub.services.matching import shortlist as keep_ranked
    _may_manage(actor, need)
    if need.status == "closed":
        raise StateError(_l("This need is closed."), reason="closed")
    entry = keep_ranked(session, need, match, result, actor, rank=rank)
    audit.record(session, actor, "shortlist_entry.create", "shortlist_entry", entry.id, need_id=need.id,
                 expert_id=entry.expert_id)
    return entry


def _refuse_deleted(entry: ShortlistEntry) -> None:
    """An expert who deleted their account keeps their history but can be asked for nothing new."""
    if entry.expert.deleted_at is not None:
        raise StateError(_l("This expert has deleted their account."), reason="deleted")


def request_contact(session: Session, actor: User | None, entry: ShortlistEntry, message: str = "") -> ShortlistEntry:
    """Ask a shortlisted expert for contact: state contacted; the expert is notified (mailed after the commit)."""
    _may_manage(actor, entry.need)
    entry = _locked(session, ShortlistEntry, entry.id)  # a double click sends one request, not two
    if entry.state != "shortlisted":
        raise StateError(_l("A contact request was already sent to this expert."), reason="contacted")
    _refuse_deleted(entry)
    entry.state = "contacted"
    entry.message = message.strip() or None
    entry.contacted_at = utcnow()
    session.flush()
    notify_contact_request(session, entry, entry.expert)
    audit.record(session, actor, "shortlist_entry.contact", "shortlist_entry", entry.id, need_id=entry.need_id,
                 expert_id=entry.expert_id)
    return entry


def engagement_of(session: Session, entry: ShortlistEntry) -> Engagement | None:
    """The engagement started from this shortlist entry (same need and expert), newest first."""
    return session.scalars(select(Engagement).where(
        Engagement.need_id == entry.need_id, Engagement.expert_id == entry.expert_id, Engagement.source == "need")
        .order_by(Engagement.id.desc())).first()


def lock_expert(session: Session, expert_id: int) -> ExpertProfile:
    """Load the expert under a row lock held to the end of the transaction: hours are committed one at a time.

    PostgreSQL: SELECT … FOR UPDATE. SQLite has no row locks; a write to the row takes the database's write
    lock at once (SQLite serialises writers), so a second start waits here and then reads what the first
    committed.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(ExpertProfile).where(ExpertProfile.id == expert_id)
                        .values(updated_at=ExpertProfile.updated_at), execution_options={"synchronize_session": False})
    return session.scalars(select(ExpertProfile).where(ExpertProfile.id == expert_id).with_for_update()
                           .execution_options(populate_existing=True)).one()


def start_engagement(session: Session, actor: User | None, entry: ShortlistEntry, *, role: str, start: date,
                     end: date | None, hours_per_month: int) -> Engagement:
    """Start work with an expert who accepted contact, committing their hours over the period.

    Raises NotEnoughHours (with the hours left) when the expert's remaining hours in [start, end] are fewer
    than asked, and StateError when the expert has not accepted or an engagement from this entry runs already.
    """
    need = entry.need
    _may_manage(actor, need)
    _refuse_deleted(entry)
    if entry.state != "accepted":
        raise StateError(_l("An engagement can start only once the expert has accepted, and only once at a time."),
                         reason="not_accepted")
    if end is not None and end < start:
        raise StateError(_l("The end comes before the start."), reason="period")
    expert = lock_expert(session, entry.expert_id)
    running = session.scalar(select(Engagement.id).where(
        Engagement.status.in_(OPEN_ENGAGEMENT),
        (Engagement.shortlist_entry_id == entry.id) | (
            (Engagement.need_id == need.id) & (Engagement.expert_id == expert.id) & (Engagement.source == "need"))))
    if running is not None:
        raise StateError(_l("An engagement can start only once the expert has accepted, and only once at a time."),
                         reason="running")
    left = remaining_hours_by_expert(session, [expert.id], start, end).get(expert.id, 0)
    if hours_per_month > left:
        raise NotEnoughHours(left, hours_per_month, expert.name)
    engagement = Engagement(
        expert=expert, organization_id=need.organization_id, need_id=need.id, shortlist_entry_id=entry.id,
        source="need", title=need.title, role=role.strip(), start_date=start, end_date=end,
        hours_per_month=hours_per_month, status="active", stages=[EngagementStage(stage_id=s) for s in need.stage_ids],
        fields=[EngagementField(field_id=f) for f in need.field_ids])
    session.add(engagement)  # through `expert=`, so a loaded expert.engagements sees it at once
    if need.status == "open":
        need.status = "filled"  # the need found its expert; closing or reopening it stays possible
    session.flush()
    notify_engagement(session, engagement, "started", actor)
    audit.record(session, actor, "engagement.start", "engagement", engagement.id, need_id=need.id,
                 expert_id=expert.id, hours_per_month=hours_per_month, remaining_before=left)
    return engagement


def _need_of(session: Session, engagement: Engagement) -> Need | None:
    return session.get(Need, engagement.need_id) if engagement.need_id is not None else None


def complete_engagement(session: Session, actor: User | None, engagement: Engagement, *, end: date,
                        contribution: str = "", outcome: str = "") -> Engagement:
    """Close an active engagement: it stops consuming hours and counts as completed work in the record."""
    _may_manage(actor, _need_of(session, engagement))
    if engagement.status != "active":
        raise StateError(_l("The engagement is not active, or the end is before its start."), reason="not_active")
    if end < engagement.start_date:
        raise StateError(_l("The engagement is not active, or the end is before its start."), reason="period")
    engagement.status = "completed"
    engagement.end_date = end
    if contribution.strip():
        engagement.contribution = contribution.strip()
    engagement.outcome = outcome.strip() or None
    session.flush()
    notify_engagement(session, engagement, "completed", actor)
    audit.record(session, actor, "engagement.complete", "engagement", engagement.id)
    return engagement


def _may_evaluate(session: Session, actor: User | None, engagement: Engagement) -> None:
    """A need's engagement is evaluated by its organization; a dispatch's by the requester (its follow-up)."""
    if actor is not None and engagement.source == "dispatch" and engagement.dispatch_id is not None:
        from hub.models import DispatchRequest
        from hub.permissions import can_answer_follow_up
        require(can_answer_follow_up(actor, session.get(DispatchRequest, engagement.dispatch_id)))
        return
    _may_manage(actor, _need_of(session, engagement))


def evaluate(session: Session, actor: User | None, engagement: Engagement, *, overall: int,
             would_rehire: bool | None, comment: str = "", skill_ratings: dict[str, int] | None = None,
             asked_levels: dict[str, int] | None = None, co_organization_id: int | None = None) -> Evaluation:
    """Store an organization's evaluation and fold it into the expert's record and verified skills.

    `asked_levels` (item -> level the need asked for) is the level a well-rated skill is verified at;
    without it the expert's own level is confirmed. `co_organization_id` names the co-organization of a
    shared need that evaluates (None: the engagement's own organization); each organization evaluates once.
    """
    need = _need_of(session, engagement)
    if co_organization_id is None:
        _may_evaluate(session, actor, engagement)
    elif need is None or co_organization_id not in need.co_organization_ids:
        raise StateError(_l("This organization does not share this need."), reason="not_shared")
    elif actor is not None:
        require(permissions.can_evaluate_for(actor, need, co_organization_id))
    if engagement.status != "completed":
        raise StateError(_l("Complete the engagement before evaluating it."), reason="not_completed")

    def evaluated() -> bool:
        return session.scalar(select(Evaluation.id).where(
            Evaluation.engagement_id == engagement.id,
            Evaluation.co_organization_id.is_(None) if co_organization_id is None
            else Evaluation.co_organization_id == co_organization_id)) is not None

    if evaluated():
        raise StateError(_l("This engagement has been evaluated already."), reason="evaluated")
    if not 1 <= overall <= 5:
        raise ValueError(f"overall must be 1-5, got {overall!r}")
    skill_ratings = skill_ratings or {}
    asked_levels = asked_levels or {}
    if bad := {k: v for k, v in skill_ratings.items() if not 1 <= int(v) <= 5}:
        raise ValueError(f"ratings must be 1-5, got {bad!r}")
    # Under the expert's lock: two evaluations of the same expert at once must not lose a rating.
    expert = lock_expert(session, engagement.expert_id)
    if evaluated():
        raise StateError(_l("This engagement has been evaluated already."), reason="evaluated")
    rows = {row.skill_id: row for row in session.scalars(
        select(ExpertSkill).where(ExpertSkill.expert_id == expert.id).execution_options(populate_existing=True))}
    evaluation = Evaluation(overall=float(overall), would_rehire=would_rehire,
                            comment=comment.strip(), evaluator_id=actor.id if actor else None,
                            skill_ratings=[EvaluationSkill(skill_id=k, rating=int(v))
                                           for k, v in sorted(skill_ratings.items())])
    if co_organization_id is None:
        evaluation.engagement = engagement
    else:  # beside the engagement's own evaluation, not in its place
        evaluation.engagement_id, evaluation.co_organization_id = engagement.id, co_organization_id
    session.add(evaluation)  # before expert.skills loads (an autoflush) below
    for skill_id, rating in sorted(skill_ratings.items()):
        row = rows.get(skill_id)
        if row is None:
            if rating < VERIFY_THRESHOLD:
                continue  # a weak rating of a skill never claimed: kept on the evaluation only
            row = ExpertSkill(skill_id=skill_id, level=asked_levels.get(skill_id, 1), source="rated", rating_count=0)
            expert.skills.append(row)
        count = row.rating_count or 0
        row.rating_mean = ((row.rating_mean or 0.0) * count + rating) / (count + 1)
        row.rating_count = count + 1
        if row.rating_mean >= VERIFY_THRESHOLD:
            row.level = max(row.level, asked_levels.get(skill_id, row.level))
            row.source = "verified"
        else:
            row.source = "rated"
    session.flush()
    notify_engagement(session, engagement, "evaluated", actor)
    audit.record(session, actor, "evaluation.create", "evaluation", evaluation.id, engagement_id=engagement.id,
                 overall=overall, skills=len(skill_ratings), co_organization_id=co_organization_id)
    return evaluation
