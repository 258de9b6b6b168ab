"""Engagements (who worked where, doing what) and the evaluations that follow them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, SmallInteger, String,
                        Text, UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub import limits
from hub.db import Base, utcnow
from hub.limits import length_check, range_check

ENGAGEMENT_STATUSES = ("proposed", "active", "completed", "cancelled")
ENGAGEMENT_SOURCES = ("need", "dispatch", "import")
OPEN_PER_ENTRY = "status IN ('proposed', 'active')"
OWN_EVALUATION = "co_organization_id IS NULL"


class Engagement(Base):
    __tablename__ = "engagement"
    __table_args__ = (
        CheckConstraint(f"status IN {ENGAGEMENT_STATUSES!r}", name="status"),
        CheckConstraint(f"source IN {ENGAGEMENT_SOURCES!r}", name="source"),
        range_check("hours_per_month", limits.HOURS_PER_MONTH),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="period"),
        CheckConstraint("status != 'completed' OR end_date IS NOT NULL", name="completed_has_end"),
        # At most one running engagement per shortlist entry, however many officers click at once.
        Index("uq_engagement_open_per_shortlist_entry", "shortlist_entry_id", unique=True,
              postgresql_where=text(OPEN_PER_ENTRY), sqlite_where=text(OPEN_PER_ENTRY)),
        length_check("contribution", limits.CONTRIBUTION),
        length_check("outcome", limits.OUTCOME),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    need_id: Mapped[int | None] = mapped_column(ForeignKey("need.id", ondelete="SET NULL"), index=True)
    dispatch_id: Mapped[int | None] = mapped_column(ForeignKey("dispatch_request.id", ondelete="SET NULL"))
    # The shortlist entry an engagement from a need was started from (NULL for dispatches and imports).
    shortlist_entry_id: Mapped[int | None] = mapped_column(ForeignKey("shortlist_entry.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(limits.TITLE))
    role: Mapped[str] = mapped_column(String(limits.ROLE), default="")
    contribution: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    hours_per_month: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(10), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    expert: Mapped["ExpertProfile"] = relationship(back_populates="engagements")  # noqa: F821
    organization: Mapped["Organization"] = relationship()  # noqa: F821
    stages: Mapped[list["EngagementStage"]] = relationship(cascade="all, delete-orphan")
    fields: Mapped[list["EngagementField"]] = relationship(cascade="all, delete-orphan")
    # The engagement's own organization's evaluation; on a shared need each co-organization adds its own
    # (co_evaluations), so every organization that shared the work says how it went.
    evaluation: Mapped["Evaluation | None"] = relationship(
        back_populates="engagement", cascade="all, delete-orphan",
        primaryjoin="and_(Engagement.id == foreign(Evaluation.engagement_id), Evaluation.co_organization_id.is_(None))")
    co_evaluations: Mapped[list["Evaluation"]] = relationship(
        viewonly=True, order_by="Evaluation.co_organization_id",
        primaryjoin="and_(Engagement.id == foreign(Evaluation.engagement_id), "
                    "Evaluation.co_organization_id.is_not(None))")

    @property
    def stage_ids(self) -> list[str]:
        return [s.stage_id for s in self.stages]

    @property
    def field_ids(self) -> list[str]:
        return [f.field_id for f in self.fields]


class EngagementStage(Base):
    __tablename__ = "engagement_stage"
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), primary_key=True)
    stage_id: Mapped[str] = mapped_column(String(40), primary_key=True)


class EngagementField(Base):
    __tablename__ = "engagement_field"
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), primary_key=True)
    field_id: Mapped[str] = mapped_column(String(40), primary_key=True)


class Evaluation(Base):
    """The organization's evaluation after an engagement; it feeds past results and verified skills."""

    __tablename__ = "evaluation"
    __table_args__ = (
        range_check("overall", limits.RATING), length_check("comment", limits.COMMENT),
        # One evaluation by the engagement's organization, and one by each co-organization of a shared need.
        Index("uq_evaluation_own_per_engagement", "engagement_id", unique=True,
              postgresql_where=text(OWN_EVALUATION), sqlite_where=text(OWN_EVALUATION)),
        UniqueConstraint("engagement_id", "co_organization_id", name="uq_evaluation_engagement_id_co_organization_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    # NULL: the engagement's own organization; otherwise the co-organization of the shared need that evaluates.
    co_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    overall: Mapped[float] = mapped_column(Float)
    would_rehire: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    evaluator_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    engagement: Mapped[Engagement] = relationship(back_populates="evaluation")
    co_organization: Mapped["Organization | None"] = relationship()  # noqa: F821
    skill_ratings: Mapped[list["EvaluationSkill"]] = relationship(cascade="all, delete-orphan")


class EvaluationSkill(Base):
    __tablename__ = "evaluation_skill"
    __table_args__ = (range_check("rating", limits.RATING),)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    rating: Mapped[int] = mapped_column(SmallInteger)
