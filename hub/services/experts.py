"""Expert profiles from plain, already validated data (imports and web forms alike), and the expert's verbs."""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import limits
from hub.db import utcnow
from hub.gazetteer import Gazetteer, load_gazetteer
from hub.models import (Engagement, EngagementField, EngagementStage, Evaluation, ExpertField, ExpertProfile,
                        ExpertRole, ExpertScheme, ExpertSkill, ExpertStage, ExpertTravelPrefecture, Organization,
                        User)
from hub.permissions import can_edit_expert, require
from hub.services import audit
from hub.services.errors import Refused, StateError
from hub.services.organizations import LocalGovernments, create_organization, get_or_create_local_government
from matching import needs_inference


@dataclass
class EngagementData:
    """One past or current engagement of an expert, as the interchange format describes it."""

    org_lg_code: str | None  # a local government, or None and `org` names another organization
    title: str
    start: date
    hours_per_month: int
    status: str  # proposed, active, completed or cancelled
    stages: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    role: str = ""
    contribution: str = ""
    end: date | None = None
    rating: float | None = None
    would_rehire: bool | None = None
    org: OrganizationData | None = None
    # None: not in the file, keep what the hub has (comment and skill_ratings belong to the evaluation).
    outcome: str | None = None
    has_outcome: bool = False
    comment: str | None = None
    skill_ratings: dict[str, int] | None = None


@dataclass
class OrganizationData:
    """An organization without a local-government code, named by its stable key (Organization.code)."""

    key: str
    kind: str
    name: str
    prefecture_code: str


@dataclass
class ExpertData:
    """Everything an expert declares, independent of where it came from (JSONL, CSV, a web form)."""

    external_id: str
    name: str
    talent_type: str
    email: str | None = None
    roles: list[str] = field(default_factory=list)
    skills: dict[str, int] = field(default_factory=dict)
    bio: str = ""
    fields: list[str] = field(default_factory=list)
    stages_led: list[str] = field(default_factory=list)
    home_lg_code: str | None = None
    remote: bool = True
    onsite: bool = False
    resident: bool = False
    max_travel_km: int | None = None
    travel_prefectures: list[str] = field(default_factory=list)
    hours_per_month: int = 0
    available_from: date | None = None
    available_until: date | None = None
    fee_unit: str | None = None
    fee_amount: int | None = None
    fee_negotiable: bool = True
    schemes: list[str] = field(default_factory=list)
    # None leaves the imported history alone (a web form edits the profile only); a list replaces it.
    engagements: list[EngagementData] | None = None
    # Profile columns the hub manages (status, listing, phone …) that a file named; absent ones are kept.
    extra_columns: dict = field(default_factory=dict)
    # Skill id -> (source, rating_mean, rating_count) where the file gave them; others keep the hub's.
    skill_sources: dict[str, tuple] = field(default_factory=dict)


def _replace_ids(current: list, wanted: list[str], attr: str, make) -> None:
    """Make a child collection hold exactly `wanted` ids, keeping rows that stay (no delete + re-insert)."""
    keep = set(wanted)
    current[:] = [row for row in current if getattr(row, attr) in keep]
    have = {getattr(row, attr) for row in current}
    current.extend(make(value) for value in dict.fromkeys(wanted) if value not in have)


def apply_expert(session: Session, expert: ExpertProfile | None, data: ExpertData, *,
                 organizations: LocalGovernments | None = None,
                 gazetteer: Gazetteer | None = None) -> ExpertProfile:
    """Create a profile (expert None) or update one so that it says exactly what `data` says.

    Skills keep their verification source and ratings when only the level changes. When
    `data.engagements` is a list, the expert's imported engagements (source "import") are
    replaced by it; engagements that came from needs or dispatches are never touched, and an
    incoming one equal to such an engagement (same organization, start and title) is skipped.
    Pass `organizations` to share one lg_code cache across many calls (bulk imports). Flushes nothing:
    callers that need ids flush.
    """
    gazetteer = gazetteer or load_gazetteer()
    if expert is None:
        expert = ExpertProfile(external_id=data.external_id)
        session.add(expert)
    for name, value in expert_columns(data, gazetteer).items():
        setattr(expert, name, value)

    by_skill = {row.skill_id: row for row in expert.skills}
    skills = []
    for skill_id, level in data.skills.items():
        row = by_skill.get(skill_id) or ExpertSkill(skill_id=skill_id, source="self", rating_count=0)
        row.level = level
        if row.source == "inferred":  # stated now (the skills editor, an import line): no longer a guess
            row.source = "self"
        skills.append(row)
    # Skills read from the text are derived data: kept until `infer_skills` reads the text again.
    skills += [row for row in expert.skills if row.source == "inferred" and row.skill_id not in data.skills]
    expert.skills = skills
    _replace_ids(expert.roles, data.roles, "role_id", lambda v: ExpertRole(role_id=v))
    _replace_ids(expert.fields, data.fields, "field_id", lambda v: ExpertField(field_id=v))
    _replace_ids(expert.stages_led, data.stages_led, "stage_id", lambda v: ExpertStage(stage_id=v))
    _replace_ids(expert.schemes, data.schemes, "scheme", lambda v: ExpertScheme(scheme=v))
    _replace_ids(expert.travel_prefectures, data.travel_prefectures, "prefecture_code",
                 lambda v: ExpertTravelPrefecture(prefecture_code=v))

    if data.engagements is not None:
        organizations = organizations or LocalGovernments(session, gazetteer)
        kept = [e for e in expert.engagements if e.source != "import"]
        seen = {(e.organization.lg_code if e.organization else None, e.start_date, e.title) for e in kept}
        new = []
        for item in data.engagements:
            if (item.org_lg_code, item.start, item.title) in seen:
                continue
            new.append(_engagement(item, organizations))
        expert.engagements = kept + new
    return expert


def expert_columns(data: ExpertData, gazetteer: Gazetteer) -> dict:
    """Return the profile's column values for `data` (the prefecture derived from the home code).

    Shared by apply_expert and the set-based bulk import, so both write the same thing.
    """
    place = gazetteer.by_code(data.home_lg_code) if data.home_lg_code else None
    return {
        "name": data.name, "email": data.email, "talent_type": data.talent_type, "bio": data.bio,
        "home_lg_code": data.home_lg_code, "prefecture_code": place.prefecture_code if place else None,
        "remote": data.remote, "onsite": data.onsite, "resident": data.resident,
        "max_travel_km": data.max_travel_km, "hours_per_month": data.hours_per_month,
        "available_from": data.available_from, "available_until": data.available_until,
        "fee_unit": data.fee_unit, "fee_amount": data.fee_amount, "fee_negotiable": data.fee_negotiable,
    } | data.extra_columns


def engagement_columns(item: EngagementData) -> dict:
    """Return an imported engagement's column values (the organization is resolved by the caller)."""
    return {"source": "import", "title": item.title, "role": item.role, "contribution": item.contribution,
            "start_date": item.start, "end_date": item.end, "hours_per_month": item.hours_per_month,
            "status": item.status}


def _engagement(item: EngagementData, organizations: LocalGovernments) -> Engagement:
    engagement = Engagement(
        organization=organizations.get(item.org_lg_code), **engagement_columns(item),
        stages=[EngagementStage(stage_id=s) for s in dict.fromkeys(item.stages)],
        fields=[EngagementField(field_id=f) for f in dict.fromkeys(item.fields)])
    if item.rating is not None:
        engagement.evaluation = Evaluation(overall=item.rating, would_rehire=item.would_rehire, comment="")
    return engagement


def expert_text(expert: ExpertProfile) -> str:
    """Return the text the matcher embeds for an expert: the bio and what their engagements were about."""
    return compose_expert_text(expert.bio, ((e.start_date, e.id or 0, e.status, e.title, e.role, e.contribution)
                                            for e in expert.engagements))


def compose_expert_text(bio: str | None, engagements: Iterable[tuple]) -> str:
    """Build the embedded text from plain values; `engagements` are (start, id, status, title, role, contribution).

    Shared by `expert_text` (ORM objects) and the matcher's bulk loader (plain rows), so both embed the same text.
    """
    parts = [bio.strip()] if bio and bio.strip() else []
    for _start, _id, status, title, role, contribution in sorted(engagements, key=lambda e: (e[0], e[1])):
        if status in ("proposed", "cancelled"):
            continue
        line = " / ".join(t.strip() for t in (title, role, contribution) if t and t.strip())
        if line:
            parts.append(line)
    return "\n".join(parts)


def generate_external_id(session: Session) -> str:
    """Return a fresh external id for a web sign-up ("W" + 8 hex digits), unused so far.

    Random rather than sequential so that two sign-ups at the same moment do not race for one id.
    """
    while True:
        candidate = f"W{secrets.token_hex(4).upper()}"
        if session.scalar(select(ExpertProfile.id).where(ExpertProfile.external_id == candidate)) is None:
            return candidate


# --- verbs of the expert side: each checks its rule, flushes, writes one audit event; the caller commits ------

PROFILE_COLUMNS = frozenset({"phone", "listed", "visibility", "notify_opt_in", "status"})  # beyond ExpertData


def update_profile(session: Session, actor: User | None, expert: ExpertProfile, section: str,
                   data: ExpertData | None = None, *, confirm_availability: bool = False,
                   **columns: object) -> ExpertProfile:
    """Save one section of the profile editor: what `data` says (engagements left alone) and `columns`.

    Saving the hours confirms the availability (`confirm_availability`). `actor` None is the system.
    """
    if actor is not None:
        require(can_edit_expert(actor, expert))
    if unknown := set(columns) - PROFILE_COLUMNS:
        raise ValueError(f"not profile columns: {sorted(unknown)}")
    if data is not None:
        apply_expert(session, expert, data)
    for name, value in columns.items():
        setattr(expert, name, value)
    if confirm_availability:
        expert.availability_confirmed_at = utcnow()
    session.flush()
    audit.record(session, actor, "expert.update", "expert", expert.id, section=section)
    if data is not None:  # the text or the declared levels may have changed: read the text again
        infer_skills(session, [expert.id])
    return expert


def _matcher(matcher):
    if matcher is not None:
        return matcher
    from flask import current_app
    return current_app.extensions["hub.matcher"]


def infer_skills(session: Session, expert_ids: Iterable[int] | None = None, *, matcher=None,
                 audited: bool = True) -> int:
    """Read skills from the profile text of experts with few declared levels (all experts when None).

    Stored with source "inferred" at matching.profile_skills.TEXT_LEVEL, never over a row the expert
    or an evaluation wrote (a level 0 the expert set says "not held" and is never read again). Only
    differences are written, so reading an unchanged text again changes nothing. Returns the number
    of experts whose inferred skills changed; audited once as the system (`audited` False: the caller's
    own event covers it, as an import's one event per file does).
    """
    from hub.services.matching import load_expert_rows

    engine = _matcher(matcher)
    session.flush()
    ids = None if expert_ids is None else list(expert_ids)
    if ids == []:
        return 0
    rows = load_expert_rows(session, ids=ids, stale_days=engine.stale_days)
    read = engine.read_profile_skills(session, rows)
    changed = 0
    sparse = {r.id for r in rows.records if needs_inference(r.skills)}
    for expert in session.scalars(select(ExpertProfile).where(ExpertProfile.id.in_(sorted(sparse)))):
        wanted = read.get(expert.id, {})
        own = {row.skill_id for row in expert.skills if row.source != "inferred"}
        current = {row.skill_id: row for row in expert.skills if row.source == "inferred"}
        wanted = {item: level for item, level in wanted.items() if item not in own}
        if {k: r.level for k, r in current.items()} == wanted:
            continue
        for item, row in current.items():
            if item not in wanted:
                expert.skills.remove(row)
            else:
                row.level = wanted[item]
        for item, level in wanted.items():
            if item not in current:
                expert.skills.append(ExpertSkill(skill_id=item, level=level, source="inferred", rating_count=0))
        changed += 1
    session.flush()
    if changed and audited:
        audit.record(session, None, "expert.infer_skills", "expert", "-", experts=changed, read=len(sparse))
    return changed


def confirm_skills(session: Session, actor: User | None, expert: ExpertProfile, levels: dict[str, int]) -> ExpertProfile:
    """The expert confirms or corrects skills read from their text: a level makes it their own, 0 says not held.

    Items that were not read from the text are refused (the skills editor changes those).
    """
    if actor is not None:
        require(can_edit_expert(actor, expert))
    inferred = {row.skill_id: row for row in expert.skills if row.source == "inferred"}
    if unknown := sorted(set(levels) - set(inferred)):
        raise Refused(_l("These skills were not read from your profile: %(items)s", items=", ".join(unknown)))
    for item, level in levels.items():
        if not limits.SKILL_LEVEL.low <= int(level) <= limits.SKILL_LEVEL.high:
            raise Refused(_l("A skill level is from %(low)d to %(high)d.", low=limits.SKILL_LEVEL.low,
                             high=limits.SKILL_LEVEL.high))
        row = inferred[item]
        row.level, row.source = int(level), "self"
    session.flush()
    audit.record(session, actor, "expert.confirm_skills", "expert", expert.id,
                 confirmed=sorted(i for i, v in levels.items() if v > 0),
                 declined=sorted(i for i, v in levels.items() if v == 0))
    return expert


@dataclass
class RecordData:
    """An engagement of the expert's own track record, as the form gives it (organization by code or name)."""

    org_kind: str  # "local" (a municipality or prefecture, by lg_code) or an organization kind
    title: str
    start: date
    hours_per_month: int
    status: str
    org_code: str | None = None
    org_name: str = ""
    org_prefecture: str | None = None
    role: str = ""
    contribution: str = ""
    outcome: str | None = None
    end: date | None = None
    stages: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)


def _record_organization(session: Session, data: RecordData) -> Organization:
    if data.org_kind == "local":
        return get_or_create_local_government(session, data.org_code)
    org = session.scalar(select(Organization).where(
        Organization.name == data.org_name, Organization.kind == data.org_kind,
        Organization.prefecture_code == data.org_prefecture))
    return org or create_organization(session, data.org_kind, data.org_name, data.org_prefecture)


def _editable_record(actor: User | None, expert: ExpertProfile, engagement: Engagement) -> None:
    if actor is not None:
        require(can_edit_expert(actor, expert))
    if engagement.expert_id != expert.id:
        raise Refused(_l("This engagement is not part of your record."), reason="not_own")
    if engagement.source != "import":
        raise StateError(_l("This engagement was recorded through the hub and cannot be edited here."),
                         reason="recorded_by_hub")


def save_record_engagement(session: Session, actor: User | None, expert: ExpertProfile,
                           engagement: Engagement | None, data: RecordData) -> Engagement:
    """Add (engagement None) or edit an engagement of the expert's own track record."""
    if engagement is None:
        if actor is not None:
            require(can_edit_expert(actor, expert))
    else:
        _editable_record(actor, expert, engagement)
    organization = _record_organization(session, data)  # before a half-filled engagement can be flushed
    created = engagement is None
    if created:
        engagement = Engagement(source="import")
    engagement.organization = organization
    engagement.title = data.title
    engagement.role = data.role
    engagement.contribution = data.contribution
    engagement.outcome = data.outcome or None
    engagement.start_date, engagement.end_date = data.start, data.end
    engagement.hours_per_month = data.hours_per_month
    engagement.status = data.status
    _replace_ids(engagement.stages, data.stages, "stage_id", lambda v: EngagementStage(stage_id=v))
    _replace_ids(engagement.fields, data.fields, "field_id", lambda v: EngagementField(field_id=v))
    if created:
        expert.engagements.append(engagement)
    session.flush()
    audit.record(session, actor, "engagement.create" if created else "engagement.update", "engagement",
                 engagement.id)
    infer_skills(session, [expert.id])  # the track record is part of the text skills are read from
    return engagement


def delete_record_engagement(session: Session, actor: User | None, expert: ExpertProfile,
                             engagement: Engagement) -> None:
    """Remove an engagement of the expert's own track record (never one recorded through the hub)."""
    _editable_record(actor, expert, engagement)
    engagement_id = engagement.id
    expert.engagements.remove(engagement)
    session.flush()
    audit.record(session, actor, "engagement.delete", "engagement", engagement_id)
