"""From a shortlist entry to an evaluated engagement.

contact request (shortlisted -> contacted) -> the expert accepts or declines on their dashboard
(services/contact.py: -> accepted | declined) -> engagement started (status active) -> completed (end date, outcome) -> evaluation, which updates the
expert's record: per-skill ratings become `rating_mean`/`rating_count` on the expert's skills, and a
skill rated 3 or better is verified at (at least) the level the need asked for.

Every step that changes what the matcher sees of an expert touches `expert.updated_at`, so the
candidate index of every worker picks the change up on its next ranking.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import (Engagement, EngagementField, EngagementStage, Evaluation, EvaluationSkill, ExpertProfile,
                        ExpertSkill, ShortlistEntry, User)
from hub.services import audit
from hub.services.notifications import notify_contact_request

VERIFY_THRESHOLD = 3  # a per-skill rating at or above this confirms the skill at the level the need asked


class StateError(ValueError):
    """The entry or engagement is not in a state that allows this step (e.g. a second contact request)."""


def _touch(expert: ExpertProfile) -> None:
    expert.updated_at = utcnow()


def request_contact(session: Session, entry: ShortlistEntry, user: User | None, message: str = "") -> ShortlistEntry:
    """Ask a shortlisted expert for contact: state contacted, the expert notified in the app and by mail."""
    if entry.state != "shortlisted":
        raise StateError(f"contact can be requested only for a shortlisted expert, not in state {entry.state!r}")
    entry.state = "contacted"
    entry.message = message.strip() or None
    entry.contacted_at = utcnow()
    _touch(entry.expert)  # open contact requests feed the matcher's load spreading
    session.flush()
    notify_contact_request(session, entry, entry.expert)
    audit.record(session, user, "contact_request", "shortlist_entry", entry.id, need_id=entry.need_id,
                 expert_id=entry.expert_id)
    return entry


def engagement_of(session: Session, entry: ShortlistEntry) -> Engagement | None:
    """The engagement started from this shortlist entry (same need and expert), newest first."""
    return session.scalars(select(Engagement).where(
        Engagement.need_id == entry.need_id, Engagement.expert_id == entry.expert_id, Engagement.source == "need")
        .order_by(Engagement.id.desc())).first()


def start_engagement(session: Session, entry: ShortlistEntry, user: User | None, *, role: str, start: date,
                     end: date | None, hours_per_month: int) -> Engagement:
    """Start work with an expert who accepted contact: an active engagement that consumes their hours."""
    if entry.state != "accepted":
        raise StateError("an engagement can start only after the expert accepted contact")
    existing = engagement_of(session, entry)
    if existing is not None and existing.status in ("proposed", "active"):
        raise StateError("an engagement with this expert for this need is already running")
    need = entry.need
    engagement = Engagement(
        expert=entry.expert, organization_id=need.organization_id, need_id=need.id, source="need",
        title=need.title, role=role.strip(), start_date=start, end_date=end, hours_per_month=hours_per_month,
        status="active", stages=[EngagementStage(stage_id=s) for s in need.stage_ids],
        fields=[EngagementField(field_id=f) for f in need.field_ids])
    session.add(engagement)  # through `expert=`, so a loaded expert.engagements sees it at once
    _touch(entry.expert)
    session.flush()
    audit.record(session, user, "engagement_started", "engagement", engagement.id, need_id=need.id,
                 expert_id=entry.expert_id)
    return engagement


def complete_engagement(session: Session, engagement: Engagement, user: User | None, *, end: date,
                        contribution: str = "", outcome: str = "") -> Engagement:
    """Close an active engagement: it stops consuming hours and counts as completed work in the record."""
    if engagement.status != "active":
        raise StateError(f"only an active engagement can be completed (status {engagement.status!r})")
    if end < engagement.start_date:
        raise StateError("the end date is before the start of the engagement")
    engagement.status = "completed"
    engagement.end_date = end
    if contribution.strip():
        engagement.contribution = contribution.strip()
    engagement.outcome = outcome.strip() or None
    _touch(engagement.expert)
    session.flush()
    audit.record(session, user, "engagement_completed", "engagement", engagement.id)
    return engagement


def evaluate(session: Session, engagement: Engagement, user: User | None, *, overall: int,
             would_rehire: bool | None, comment: str = "", skill_ratings: dict[str, int] | None = None,
             asked_levels: dict[str, int] | None = None) -> Evaluation:
    """Store the organization's evaluation and fold it into the expert's record and verified skills.

    `asked_levels` (item -> level the need asked for) is the level a well-rated skill is verified at;
    without it the expert's own level is confirmed.
    """
    if engagement.status != "completed":
        raise StateError("an engagement can be evaluated once it is completed")
    if engagement.evaluation is not None:
        raise StateError("this engagement has been evaluated already")
    if not 1 <= overall <= 5:
        raise ValueError(f"overall must be 1-5, got {overall!r}")
    skill_ratings = skill_ratings or {}
    asked_levels = asked_levels or {}
    if bad := {k: v for k, v in skill_ratings.items() if not 1 <= int(v) <= 5}:
        raise ValueError(f"ratings must be 1-5, got {bad!r}")
    evaluation = Evaluation(engagement=engagement, overall=float(overall), would_rehire=would_rehire,
                            comment=comment.strip(), evaluator_id=user.id if user else None,
                            skill_ratings=[EvaluationSkill(skill_id=k, rating=int(v))
                                           for k, v in sorted(skill_ratings.items())])
    session.add(evaluation)
    expert = engagement.expert
    rows = {row.skill_id: row for row in expert.skills}
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
    _touch(expert)
    session.flush()
    audit.record(session, user, "evaluation_saved", "engagement", engagement.id, overall=overall,
                 skills=len(skill_ratings))
    return evaluation
