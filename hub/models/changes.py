"""One ORM event marks an expert changed for the candidate index (instead of each caller setting updated_at).

Every worker's index refreshes the experts whose `updated_at` moved (services/matching.py). Whatever the
matcher reads of an expert — the profile, skills, fields, stages led, schemes, travel prefectures,
engagements with their stages, fields and evaluations, and the state of shortlist entries (open contact
requests spread the load) — touches the expert when a row is added, changed or deleted.
"""
from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models.engagements import Engagement, EngagementField, EngagementStage, Evaluation, EvaluationSkill
from hub.models.needs import ShortlistEntry
from hub.models.people import (ExpertField, ExpertProfile, ExpertScheme, ExpertSkill, ExpertStage,
                               ExpertTravelPrefecture)

EXPERT_ROWS = (ExpertSkill, ExpertField, ExpertStage, ExpertScheme, ExpertTravelPrefecture, Engagement)
ENGAGEMENT_ROWS = (EngagementStage, EngagementField)


def _expert_of(session: Session, obj) -> ExpertProfile | int | None:
    """The expert (object or id) a changed row belongs to, or None when it is not the matcher's concern."""
    if isinstance(obj, EXPERT_ROWS):
        return obj.expert_id or getattr(obj, "expert", None)
    if isinstance(obj, ShortlistEntry):
        state = inspect(obj)
        if state.pending or state.deleted or state.attrs.state.history.has_changes():
            return obj.expert_id or obj.expert
        return None
    if isinstance(obj, ENGAGEMENT_ROWS + (Evaluation,)):
        engagement = obj.engagement if isinstance(obj, Evaluation) else None
        if engagement is None and obj.engagement_id is not None:
            engagement = session.get(Engagement, obj.engagement_id)
        return _expert_of(session, engagement) if engagement is not None else None
    if isinstance(obj, EvaluationSkill) and obj.evaluation_id is not None:
        evaluation = session.get(Evaluation, obj.evaluation_id)
        return _expert_of(session, evaluation) if evaluation is not None else None
    return None


@event.listens_for(Session, "before_flush")
def _touch_changed_experts(session: Session, _context, _instances) -> None:
    experts: set[ExpertProfile] = set()
    with session.no_autoflush:
        for obj in session.dirty:
            if isinstance(obj, ExpertProfile) and session.is_modified(obj):
                experts.add(obj)
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, ExpertProfile) or (obj in session.dirty and not session.is_modified(obj)):
                continue
            owner = _expert_of(session, obj)
            if isinstance(owner, int):
                owner = session.get(ExpertProfile, owner)
            if owner is not None:
                experts.add(owner)
        now = utcnow()
        for expert in experts:
            if expert not in session.deleted and inspect(expert).persistent:
                expert.updated_at = now
