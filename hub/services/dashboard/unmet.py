"""Unmet demand: the open needs of the period by stage × field, and by DSS skill item against the experts of
the scope's pool with hours left who hold the item at the level asked, ranked by shortage (whom to recruit);
and the needs behind each number, for the list the dashboard links to.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from hub.models import ExpertSkill, Need, NeedField, NeedSkill, NeedStage
from hub.tabular import Column, Table
from skill_taxonomy import Taxonomy

from .scope import Period, Scope, in_pool, need_prefecture, open_needs_condition, supply_subquery


def stage_field_counts(session: Session, scope: Scope, period: Period) -> dict[tuple[str, str], int]:
    """(stage, field) -> open needs asking both; a need of two stages and two fields counts in four cells."""
    query = (select(NeedStage.stage_id, NeedField.field_id, func.count(func.distinct(Need.id)))
             .select_from(Need).join(NeedStage, NeedStage.need_id == Need.id)
             .join(NeedField, NeedField.need_id == Need.id)
             .where(open_needs_condition(scope, period)).group_by(NeedStage.stage_id, NeedField.field_id))
    return {(stage, field): int(n) for stage, field, n in session.execute(query)}


def stage_field(session: Session, scope: Scope, period: Period, taxonomy: Taxonomy, locale: object = "ja") -> Table:
    """One row per stage, one column per field: the open needs of the period asking both."""
    counts = stage_field_counts(session, scope, period)
    columns = [Column("stage", _l("Stage"), width=18)] + [
        Column(field_id, field.name(locale)) for field_id, field in taxonomy.fields.items()]
    rows = [{"stage": stage.name(locale), "stage_id": stage_id,
             **{field_id: counts.get((stage_id, field_id), 0) for field_id in taxonomy.fields}}
            for stage_id, stage in taxonomy.stages.items()]
    return Table("stage_field", _l("Open needs by stage and field"), columns, rows,
                 note=_l("A need of several stages or fields counts once in each of its cells."))


def skill_shortage(session: Session, scope: Scope, period: Period, today: date, taxonomy: Taxonomy,
                   locale: object = "ja") -> Table:
    """For each DSS item the open needs of the period require (must-haves): the needs asking it, the lowest
    level asked, and the experts of the scope's pool with hours left this month who hold it at that level or
    above (self-declared or verified, not read from text). Largest shortage (needs - experts) first."""
    asked = (select(NeedSkill.skill_id, func.count(func.distinct(Need.id)).label("needs"),
                    func.min(NeedSkill.min_level).label("level"))
             .join(Need, Need.id == NeedSkill.need_id)
             .where(open_needs_condition(scope, period), NeedSkill.must.is_(True))
             .group_by(NeedSkill.skill_id).subquery())
    supply = supply_subquery(today)
    # Count the pool's holders once per (item, level), then add up the levels each item asks: one pass over
    # the skill rows (joining the items asked to every skill row took 0.4 s at 10,000 experts on SQLite).
    pool = select(supply.c.id).where(supply.c.remaining > 0, in_pool(supply, scope))
    levels = (select(ExpertSkill.skill_id, ExpertSkill.level, func.count().label("n"))
              .where(ExpertSkill.expert_id.in_(pool), ExpertSkill.source != "inferred")
              .group_by(ExpertSkill.skill_id, ExpertSkill.level).subquery())
    holders = dict(session.execute(
        select(asked.c.skill_id, func.sum(levels.c.n))
        .join(levels, and_(levels.c.skill_id == asked.c.skill_id, levels.c.level >= asked.c.level))
        .group_by(asked.c.skill_id)).all())
    rows = []
    for skill_id, needs, level in session.execute(select(asked.c.skill_id, asked.c.needs, asked.c.level)):
        item = taxonomy.items.get(skill_id)
        experts = int(holders.get(skill_id) or 0)
        rows.append({"skill": item.name(locale) if item else skill_id, "skill_id": skill_id, "needs": int(needs),
                     "level": int(level), "experts": experts, "shortage": int(needs) - experts})
    rows.sort(key=lambda r: (-r["shortage"], -r["needs"], r["skill_id"]))
    return Table("skills", _l("Skills to recruit"), [
        Column("skill", _l("Skill"), width=30), Column("skill_id", _l("Skill ID"), width=14),
        Column("needs", _l("Open needs asking it")), Column("level", _l("Lowest level asked")),
        Column("experts", _l("Experts with hours left at that level")), Column("shortage", _l("Shortage"))], rows,
        note=_l("Must-have skills of open needs posted in the period. Experts: the pool of the area (living there, "
                "coming on site, or remote) with hours left this month. Shortage = needs - experts."))


@dataclass(frozen=True)
class NeedFilter:
    """Which open needs of the period a dashboard number stands for."""

    stage: str | None = None
    field: str | None = None
    skill: str | None = None
    place: str | None = None  # a prefecture code (20) or a local-government code (202151)

    def condition(self, scope: Scope, period: Period):
        conditions = [open_needs_condition(scope, period)]
        if self.place and len(self.place) == 2:
            conditions.append(need_prefecture() == self.place)
        elif self.place:
            conditions.append(Need.location_lg_code == self.place)
        if self.stage:
            conditions.append(exists().where(NeedStage.need_id == Need.id, NeedStage.stage_id == self.stage))
        if self.field:
            conditions.append(exists().where(NeedField.need_id == Need.id, NeedField.field_id == self.field))
        if self.skill:
            conditions.append(exists().where(NeedSkill.need_id == Need.id, NeedSkill.skill_id == self.skill,
                                             NeedSkill.must.is_(True)))
        return and_(*conditions)


def needs_behind(session: Session, scope: Scope, period: Period, wanted: NeedFilter, visible, *,
                 limit: int = 200) -> tuple[list[Need], int]:
    """The needs a number counts that the viewer may see (`visible`: permissions.visible_needs), newest
    first, at most `limit`, and how many there are."""
    if visible is None:
        return [], 0
    condition = and_(wanted.condition(scope, period), visible)
    total = session.scalar(select(func.count()).select_from(Need).where(condition))
    needs = list(session.scalars(select(Need).where(condition)
                                 .order_by(Need.published_at.desc(), Need.id.desc()).limit(limit)))
    return needs, int(total or 0)
