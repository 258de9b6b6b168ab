"""Needs (募集) posted by organizations, and the shortlist built from the matcher's ranking."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Integer, SmallInteger,
                        String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub import limits
from hub.db import Base, utcnow
from hub.limits import length_check, range_check
from skill_taxonomy import ENGAGEMENT_FORMS, FEE_UNITS, TALENT_TYPES, WORK_STYLES  # noqa: F401

NEED_STATUSES = ("draft", "open", "filled", "closed")
SHORTLIST_STATES = ("shortlisted", "contacted", "offered", "accepted", "declined", "withdrawn")
# Why a need was closed (docs/state-changes.md); "filled" is also a status, set when an engagement starts.
CLOSE_REASONS = ("filled", "found_elsewhere", "cancelled", "no_fit", "other")


class Need(Base):
    __tablename__ = "need"
    __table_args__ = (
        CheckConstraint(f"talent_type IS NULL OR talent_type IN {TALENT_TYPES!r}", name="talent_type"),
        CheckConstraint(f"work_style IN {WORK_STYLES!r}", name="work_style"),
        CheckConstraint(f"engagement_form IN {ENGAGEMENT_FORMS!r}", name="engagement_form"),
        CheckConstraint(f"status IN {NEED_STATUSES!r}", name="status"),
        range_check("hours_per_month", limits.HOURS_PER_MONTH),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="period"),
        CheckConstraint(f"budget_unit IS NULL OR budget_unit IN {FEE_UNITS!r}", name="budget_unit"),
        range_check("budget_max", limits.MONEY, nullable=True),
        CheckConstraint("(budget_unit IS NULL) = (budget_max IS NULL)", name="budget_complete"),
        CheckConstraint("length(location_lg_code) = 6", name="location_lg_code_length"),
        length_check("description", limits.DESCRIPTION),
        CheckConstraint(f"close_reason IS NULL OR close_reason IN {CLOSE_REASONS!r}", name="close_reason"),
        length_check("close_note", limits.CLOSE_NOTE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(limits.EXTERNAL_ID), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title: Mapped[str] = mapped_column(String(limits.TITLE))
    description: Mapped[str] = mapped_column(Text, default="")
    # NULL means "from the stages": the leading type of the need's stages.
    talent_type: Mapped[str | None] = mapped_column(String(2))
    work_style: Mapped[str] = mapped_column(String(8))
    location_lg_code: Mapped[str] = mapped_column(String(6))
    hours_per_month: Mapped[int] = mapped_column(SmallInteger)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    budget_unit: Mapped[str | None] = mapped_column(String(8))
    budget_max: Mapped[int | None] = mapped_column(Integer)
    engagement_form: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8), default="draft", index=True)
    # Signal weights this need overrides (name -> weight); NULL uses the hub's weights.
    weights: Mapped[dict | None] = mapped_column(default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last close: why, in the officer's words, and when (kept after a reopen, for the record).
    close_reason: Mapped[str | None] = mapped_column(String(16))
    close_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    organization: Mapped["Organization"] = relationship(back_populates="needs")  # noqa: F821
    stages: Mapped[list["NeedStage"]] = relationship(cascade="all, delete-orphan")
    skills: Mapped[list["NeedSkill"]] = relationship(cascade="all, delete-orphan", order_by="NeedSkill.skill_id")
    fields: Mapped[list["NeedField"]] = relationship(cascade="all, delete-orphan")
    shortlist: Mapped[list["ShortlistEntry"]] = relationship(back_populates="need", cascade="all, delete-orphan")
    # A need asking for a team: the DSS roles to fill, each with its hours (they add up to hours_per_month).
    team_roles: Mapped[list["NeedRole"]] = relationship(cascade="all, delete-orphan", order_by="NeedRole.role_id")
    # A shared need (共同任用): the co-organizations beside `organization` (the lead, which posts it and
    # concludes the engagement), each with its share of the hours and the budget and its own site.
    shares: Mapped[list["NeedShare"]] = relationship(cascade="all, delete-orphan", order_by="NeedShare.organization_id")

    @property
    def stage_ids(self) -> list[str]:
        return [s.stage_id for s in self.stages]

    @property
    def field_ids(self) -> list[str]:
        return [f.field_id for f in self.fields]

    @property
    def role_hours(self) -> dict[str, int]:
        """DSS role -> hours per month, for a need asking for a team (empty otherwise)."""
        return {r.role_id: r.hours_per_month for r in self.team_roles}

    @property
    def co_organization_ids(self) -> list[int]:
        return [s.organization_id for s in self.shares]

    @property
    def lead_share(self) -> tuple[int, int | None]:
        """The lead organization's share: what the co-organizations' shares leave of the hours and budget."""
        hours = self.hours_per_month - sum(s.hours_per_month for s in self.shares)
        budget = (None if self.budget_max is None
                  else self.budget_max - sum(s.budget_max or 0 for s in self.shares))
        return hours, budget

    @property
    def required_skills(self) -> dict[str, int]:
        return {s.skill_id: s.min_level for s in self.skills if s.must}

    @property
    def nice_to_have_skills(self) -> dict[str, int]:
        return {s.skill_id: s.min_level for s in self.skills if not s.must}


class NeedStage(Base):
    __tablename__ = "need_stage"
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), primary_key=True)
    stage_id: Mapped[str] = mapped_column(String(40), primary_key=True)


class NeedSkill(Base):
    """A skill the need asks for: a must-have (required) or a nice-to-have."""

    __tablename__ = "need_skill"
    __table_args__ = (
        range_check("min_level", limits.REQUIRED_LEVEL),
        CheckConstraint(f"weight > {limits.SKILL_WEIGHT.low:g} AND weight <= {limits.SKILL_WEIGHT.high:g}",
                        name="weight", info={"limit": ("range", "weight", limits.SKILL_WEIGHT)}),
    )
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    min_level: Mapped[int] = mapped_column(SmallInteger)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    must: Mapped[bool] = mapped_column(Boolean, default=True)


class NeedField(Base):
    __tablename__ = "need_field"
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), primary_key=True)
    field_id: Mapped[str] = mapped_column(String(40), primary_key=True)


class NeedRole(Base):
    """A DSS role (skill_taxonomy roles) a team for the need must fill, with the hours it takes per month."""

    __tablename__ = "need_role"
    __table_args__ = (range_check("hours_per_month", limits.COMMITTED_HOURS),)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), primary_key=True)
    role_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    hours_per_month: Mapped[int] = mapped_column(SmallInteger)


class NeedShare(Base):
    """A co-organization of a shared need (共同任用): its share of the hours and the budget, and its site."""

    __tablename__ = "need_share"
    __table_args__ = (
        range_check("hours_per_month", limits.HOURS_PER_MONTH),
        range_check("budget_max", limits.MONEY, nullable=True),
        CheckConstraint("length(location_lg_code) = 6", name="location_lg_code_length"),
    )
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), primary_key=True, index=True)
    hours_per_month: Mapped[int] = mapped_column(SmallInteger)
    budget_max: Mapped[int | None] = mapped_column(Integer)  # in the need's budget unit; NULL when it has none
    location_lg_code: Mapped[str] = mapped_column(String(6))

    organization: Mapped["Organization"] = relationship()  # noqa: F821


class ShortlistEntry(Base):
    """An expert proposed for a need, with what the matcher said at the time (accountable ranking)."""

    __tablename__ = "shortlist_entry"
    __table_args__ = (
        UniqueConstraint("need_id", "expert_id"),
        CheckConstraint(f"state IN {SHORTLIST_STATES!r}", name="state"),
        length_check("message", limits.MESSAGE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(12), default="shortlisted")
    rank: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    signals: Mapped[dict | None] = mapped_column(default=None)
    explanation: Mapped[dict | None] = mapped_column(default=None)
    weights: Mapped[dict | None] = mapped_column(default=None)
    index_version: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    contacted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    need: Mapped[Need] = relationship(back_populates="shortlist")
    expert: Mapped["ExpertProfile"] = relationship()  # noqa: F821
