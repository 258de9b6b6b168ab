"""Needs (募集): create and update from plain, already validated data, and the verbs that change a need."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import Need, NeedField, NeedSkill, NeedStage, Organization, User
from hub.permissions import can_manage_need, require
from hub.services import audit
from hub.services.errors import Refused, StateError


@dataclass
class NeedData:
    """Everything a need says, independent of where it came from (JSONL, a web form, the API)."""

    external_id: str
    title: str
    stages: list[str]
    work_style: str
    hours_per_month: int
    start: date
    engagement_form: str
    org_lg_code: str | None = None  # how imports name the organization; apply_need takes the row itself
    description: str = ""
    talent_type: str | None = None  # None: the leading type of the stages
    required_skills: dict[str, int] = field(default_factory=dict)  # must-haves: item -> minimum level
    nice_to_have_skills: dict[str, int] = field(default_factory=dict)
    skill_weights: dict[str, float] = field(default_factory=dict)  # item -> weight; missing means 1.0
    fields: list[str] = field(default_factory=list)
    location_lg_code: str | None = None  # None: the organization's own code
    end: date | None = None
    budget_unit: str | None = None
    budget_max: int | None = None
    status: str = "open"


def apply_need(session: Session, need: Need | None, data: NeedData, organization: Organization) -> Need:
    """Create a need (need None) or update one so that it says exactly what `data` says; flushes nothing."""
    if need is None:
        need = Need(external_id=data.external_id)
        session.add(need)
    location = data.location_lg_code or organization.lg_code
    if location is None:
        raise ValueError(f"need {data.external_id}: a location is required for {organization.kind} organizations")
    need.organization = organization
    need.title = data.title
    need.description = data.description
    need.talent_type = data.talent_type
    need.work_style = data.work_style
    need.location_lg_code = location
    need.hours_per_month = data.hours_per_month
    need.start_date, need.end_date = data.start, data.end
    need.budget_unit, need.budget_max = data.budget_unit, data.budget_max
    need.engagement_form = data.engagement_form
    need.status = data.status

    keep_stages = set(data.stages)
    need.stages = [s for s in need.stages if s.stage_id in keep_stages] + [
        NeedStage(stage_id=s) for s in dict.fromkeys(data.stages) if s not in {x.stage_id for x in need.stages}]
    keep_fields = set(data.fields)
    need.fields = [f for f in need.fields if f.field_id in keep_fields] + [
        NeedField(field_id=f) for f in dict.fromkeys(data.fields) if f not in {x.field_id for x in need.fields}]

    by_skill = {row.skill_id: row for row in need.skills}
    skills = []
    for must, levels in ((True, data.required_skills), (False, data.nice_to_have_skills)):
        for skill_id, level in levels.items():
            row = by_skill.get(skill_id) or NeedSkill(skill_id=skill_id)
            row.min_level, row.must = level, must
            row.weight = data.skill_weights.get(skill_id, 1.0)
            skills.append(row)
    need.skills = skills
    return need


def need_text(need: Need) -> str:
    """Return the text the matcher embeds for a need: its title and description."""
    return compose_need_text(need.title, need.description)


def compose_need_text(title: str | None, description: str | None) -> str:
    return "\n".join(t.strip() for t in (title, description) if t and t.strip())


# --- verbs: each checks its rule, flushes, writes one audit event; the caller commits ----------------------

def _locked(session: Session, need: Need) -> Need:
    """The need reloaded under a row lock: two clicks on "publish" notify the experts once."""
    return session.get(Need, need.id, with_for_update=True, populate_existing=True)


def _matcher(matcher):
    if matcher is not None:
        return matcher
    from flask import current_app
    return current_app.extensions["hub.matcher"]


def save_need(session: Session, actor: User | None, need: Need | None, data: NeedData, organization: Organization,
              *, matcher=None) -> Need:
    """Create (need None) or update a need from the form, and embed its text now rather than on a later GET.

    `actor` None is the system (imports, the command line).
    """
    if actor is not None:
        # A need not yet created belongs to `organization`: ask as if it existed (no relationship set,
        # so the transient row never cascades into the session).
        require(can_manage_need(actor, need if need is not None else Need(organization_id=organization.id)))
    created = need is None
    need = apply_need(session, need, data, organization)
    if created and actor is not None:
        need.created_by_id = actor.id
    session.flush()
    _matcher(matcher).store_need_vector(session, need)
    audit.record(session, actor, "need.create" if created else "need.update", "need", need.id)
    return need


def publish_need(session: Session, actor: User | None, need: Need) -> list:
    """Open a draft to experts; the best-fitting ones who opted in are notified once the commit succeeded
    (by a background job when a queue is configured: then the list returned is empty)."""
    from hub.services import jobs, notifications
    if actor is not None:
        require(can_manage_need(actor, need))
    need = _locked(session, need)
    if need.status != "draft":
        raise StateError(_l("Only a draft can be published."), reason="not_draft")
    need.status = "open"
    need.published_at = utcnow()
    session.flush()
    if jobs.queue_configured():  # a fan-out to many experts is background work when there is a queue
        job = jobs.submit(session, actor, "notify.need_published", {"need_id": need.id}, audited=False)
        audit.record(session, actor, "need.publish", "need", need.id, notify_job=job.id)
        return []
    sent = notifications.notify_need_published(session, need)
    audit.record(session, actor, "need.publish", "need", need.id, notified=len(sent))
    return sent


def close_need(session: Session, actor: User | None, need: Need) -> Need:
    """Close a need (draft, open or filled): it leaves the lists of open needs; its history stays."""
    if actor is not None:
        require(can_manage_need(actor, need))
    need = _locked(session, need)
    if need.status == "closed":
        raise StateError(_l("This need is closed already."), reason="closed")
    need.status = "closed"
    session.flush()
    audit.record(session, actor, "need.close", "need", need.id)
    return need


def reopen_need(session: Session, actor: User | None, need: Need) -> Need:
    """Reopen a closed need: open again if it had been published, a draft otherwise."""
    if actor is not None:
        require(can_manage_need(actor, need))
    need = _locked(session, need)
    if need.status != "closed":
        raise StateError(_l("Only a closed need can be reopened."), reason="not_closed")
    need.status = "open" if need.published_at is not None else "draft"
    session.flush()
    audit.record(session, actor, "need.reopen", "need", need.id, status=need.status)
    return need


def set_weights(session: Session, actor: User | None, need: Need, values: dict[str, float] | None) -> Need:
    """Keep signal weights as the need's own (normalised to sum 1), or None for the hub's weights again."""
    if actor is not None:
        require(can_manage_need(actor, need))
    if values is not None:
        total = sum(float(v) for v in values.values())
        if any(float(v) < 0 for v in values.values()) or total <= 0:
            raise Refused(_l("At least one weight must be above zero."), reason="weights")
        values = {name: round(float(value) / total, 4) for name, value in values.items()}
    need.weights = values
    session.flush()
    audit.record(session, actor, "need.set_weights", "need", need.id, weights=values)
    return need
