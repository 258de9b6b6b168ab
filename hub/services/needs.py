"""Create and update needs (募集) from plain, already validated data."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from hub.models import Need, NeedField, NeedSkill, NeedStage, Organization


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
    return "\n".join(t.strip() for t in (need.title, need.description) if t and t.strip())
