"""Needs (募集): create and update from plain, already validated data, and the verbs that change a need."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub import limits
from hub.models import Need, NeedField, NeedRole, NeedShare, NeedSkill, NeedStage, Organization, User
from hub.models.needs import CLOSE_REASONS
from hub.permissions import can_manage_need, require
from hub.services import audit
from hub.services.errors import Refused, StateError
from hub.services.organizations import LocalGovernments


@dataclass
class ShareData:
    """A co-organization's share of a shared need (共同任用): hours and budget (in the need's unit), and its site."""

    org_lg_code: str
    hours_per_month: int
    budget_max: int | None = None
    location_lg_code: str | None = None  # None: the co-organization's own code


# Codes of what can be wrong with a need's team roles and shares; the form and the importer word them.
SHARE_PROBLEMS = ("roles_hours_sum", "share_is_lead", "share_twice", "shares_hours_over", "share_budget_without_budget",
                  "shares_budget_over")


def team_and_share_problems(data: "NeedData") -> list[tuple[str, int | None]]:
    """Return (problem code, index of the share or None) for the rules of team roles and shares.

    A team's role hours add up to the need's hours; a co-organization is not the lead and appears once; the
    co-organizations' shares leave the lead a share of at least zero hours and yen; a budget share needs a budget.
    """
    problems: list[tuple[str, int | None]] = []
    if data.team_roles and sum(data.team_roles.values()) != data.hours_per_month:
        problems.append(("roles_hours_sum", None))
    shares = data.shares or []
    seen: set[str] = set()
    for i, share in enumerate(shares):
        if share.org_lg_code == data.org_lg_code:
            problems.append(("share_is_lead", i))
        elif share.org_lg_code in seen:
            problems.append(("share_twice", i))
        seen.add(share.org_lg_code)
        if share.budget_max is not None and data.budget_max is None:
            problems.append(("share_budget_without_budget", i))
    if sum(s.hours_per_month for s in shares) > data.hours_per_month:
        problems.append(("shares_hours_over", None))
    if data.budget_max is not None and sum(s.budget_max or 0 for s in shares) > data.budget_max:
        problems.append(("shares_budget_over", None))
    return problems


def split_hours(hours: int, role_ids: list[str]) -> dict[str, int]:
    """Split a team's hours evenly over its roles (the first roles take the remainder), each at least 1."""
    if not role_ids:
        return {}
    base, extra = divmod(hours, len(role_ids))
    return {role: max(1, base + (1 if i < extra else 0)) for i, role in enumerate(role_ids)}


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
    # Added in format 2 of the interchange: None keeps what the hub has (a file in the older shape erases nothing).
    team_roles: dict[str, int] | None = None  # DSS role -> hours per month (a need asking for a team)
    shares: list[ShareData] | None = None     # co-organizations of a shared need


def share_sites(need: Need) -> list[str]:
    """The co-organizations' sites of a shared need (lg codes), beside the need's own location."""
    return [s.location_lg_code for s in need.shares]


def apply_need(session: Session, need: Need | None, data: NeedData, organization: Organization,
               co_organizations: Callable[[str], Organization] | None = None) -> Need:
    """Create a need (need None) or update one so that it says exactly what `data` says; flushes nothing.

    `co_organizations` resolves a share's lg code to its organization (created from the gazetteer when new).
    """
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

    if data.team_roles is not None:
        by_role = {row.role_id: row for row in need.team_roles}
        roles = []
        for role_id, hours in data.team_roles.items():
            row = by_role.get(role_id) or NeedRole(role_id=role_id)
            row.hours_per_month = hours
            roles.append(row)
        need.team_roles = roles
    if data.shares is not None and (data.shares or need.shares):
        resolve = co_organizations or LocalGovernments(session).get
        by_org = {row.organization_id: row for row in need.shares}
        shares = []
        for share in data.shares:
            org = resolve(share.org_lg_code)
            if org.id is None:
                session.flush()  # a co-organization new to the hub needs its id for the share's key
            row = by_org.get(org.id) or NeedShare(organization=org)
            row.hours_per_month, row.budget_max = share.hours_per_month, share.budget_max
            row.location_lg_code = share.location_lg_code or org.lg_code
            shares.append(row)
        need.shares = shares
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


def pending_requests(session: Session, need: Need) -> list:
    """Contact requests of the need still waiting for the expert's answer (closing withdraws them)."""
    from sqlalchemy import select

    from hub.models import ShortlistEntry
    return list(session.scalars(select(ShortlistEntry).where(ShortlistEntry.need_id == need.id,
                                                             ShortlistEntry.state == "contacted")
                                .order_by(ShortlistEntry.id)))


def close_need(session: Session, actor: User | None, need: Need, reason: str | None = None,
               note: str = "") -> Need:
    """Close a need (draft, open or filled) for a reason: it leaves the lists of open needs; its history stays.

    Contact requests still waiting for an answer are withdrawn, and their experts told.
    """
    from hub.services.shortlist import withdraw_quietly
    if actor is not None:
        require(can_manage_need(actor, need))
    if reason is not None and reason not in CLOSE_REASONS:
        raise Refused(_l("Choose why the need is closed."), reason="close_reason")
    if len(note.strip()) > limits.CLOSE_NOTE:
        raise Refused(_l("The note is too long."), reason="close_note")
    need = _locked(session, need)
    if need.status == "closed":
        raise StateError(_l("This need is closed already."), reason="closed")
    withdrawn = pending_requests(session, need)
    for entry in withdrawn:
        withdraw_quietly(session, entry)
    need.status = "closed"
    need.close_reason = reason
    need.close_note = note.strip() or None
    need.closed_at = utcnow()
    session.flush()
    audit.record(session, actor, "need.close", "need", need.id, reason=reason, withdrawn=len(withdrawn))
    return need


def reopen_need(session: Session, actor: User | None, need: Need) -> Need:
    """Reopen a closed need: open again if it had been published, a draft otherwise (the close reason stays
    on the record until the next close)."""
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
