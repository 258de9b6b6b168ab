"""Adviser dispatch requests (地域情報化アドバイザー派遣) handled by the regional bureaus."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, SmallInteger, String, Text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub import limits
from hub.db import Base, utcnow
from hub.limits import length_check

DISPATCH_PURPOSES = ("seminar", "project_formation", "follow_up")
DISPATCH_STATES = ("submitted", "under_review", "approved", "assigned", "scheduled", "done", "reported",
                   "followed_up", "rejected", "cancelled")


class DispatchRequest(Base):
    __tablename__ = "dispatch_request"
    __table_args__ = (
        CheckConstraint(f"purpose IN {DISPATCH_PURPOSES!r}", name="purpose"),
        CheckConstraint(f"state IN {DISPATCH_STATES!r}", name="state"),
        # Scheme rules: at most 3 days on site, at most 10 hours when only online.
        CheckConstraint("days BETWEEN 0 AND 3", name="days"),
        CheckConstraint("online_hours BETWEEN 0 AND 10", name="online_hours"),
        CheckConstraint("wanted_until IS NULL OR wanted_until >= wanted_from", name="wanted_period"),
        length_check("description", limits.DESCRIPTION),
        length_check("report", limits.DESCRIPTION),
        length_check("follow_up", limits.DESCRIPTION),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    bureau_id: Mapped[str] = mapped_column(String(16), index=True)
    theme: Mapped[str] = mapped_column(String(limits.TITLE))
    purpose: Mapped[str] = mapped_column(String(20))
    stage_id: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    wanted_from: Mapped[date] = mapped_column(Date)
    wanted_until: Mapped[date | None] = mapped_column(Date)
    visits: Mapped[int] = mapped_column(SmallInteger, default=1)
    days: Mapped[int] = mapped_column(SmallInteger, default=1)
    online_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    online_hours: Mapped[int] = mapped_column(SmallInteger, default=0)
    named_expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert_profile.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    report: Mapped[str | None] = mapped_column(Text)
    follow_up: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    requester: Mapped["Organization"] = relationship()  # noqa: F821
    fields: Mapped[list["DispatchField"]] = relationship(cascade="all, delete-orphan")
    assignments: Mapped[list["DispatchAssignment"]] = relationship(cascade="all, delete-orphan")


class DispatchField(Base):
    __tablename__ = "dispatch_field"
    dispatch_id: Mapped[int] = mapped_column(ForeignKey("dispatch_request.id", ondelete="CASCADE"),
                                             primary_key=True)
    field_id: Mapped[str] = mapped_column(String(40), primary_key=True)


class DispatchAssignment(Base):
    """An adviser assigned to a dispatch; team dispatch means several rows."""

    __tablename__ = "dispatch_assignment"
    __table_args__ = (length_check("note", limits.COMMENT),)
    dispatch_id: Mapped[int] = mapped_column(ForeignKey("dispatch_request.id", ondelete="CASCADE"),
                                             primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), primary_key=True)
    scheduled_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
