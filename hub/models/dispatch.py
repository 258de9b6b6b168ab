"""Adviser dispatch requests (地域情報化アドバイザー派遣) handled by the regional bureaus."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, SmallInteger, String, Text, false)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub import limits
from hub.db import Base, utcnow
from hub.limits import length_check, range_check

from skill_taxonomy import DISPATCH_PURPOSES, DISPATCH_STATES  # noqa: F401  (labels in enums.yaml)


class DispatchRequest(Base):
    __tablename__ = "dispatch_request"
    __table_args__ = (
        CheckConstraint(f"purpose IN {DISPATCH_PURPOSES!r}", name="purpose"),
        CheckConstraint(f"state IN {DISPATCH_STATES!r}", name="state"),
        # The scheme's own caps (3 days, 10 online hours) are data (dispatch_rules.yaml) checked by the verbs;
        # the database only keeps values sane, so a changed rule needs no migration.
        range_check("days", limits.DISPATCH_DAYS),
        range_check("online_hours", limits.DISPATCH_ONLINE_HOURS),
        range_check("visits", limits.DISPATCH_VISITS),
        CheckConstraint("wanted_until IS NULL OR wanted_until >= wanted_from", name="wanted_period"),
        length_check("description", limits.DESCRIPTION),
        length_check("report", limits.DESCRIPTION),
        length_check("follow_up", limits.DESCRIPTION),
        length_check("decision_reason", limits.COMMENT),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    # The municipality or bureau that recommends a request of an NPO, university, chamber or business.
    recommender_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
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
    team: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The project the support is for ("the same adviser for the same project once per fiscal year").
    project: Mapped[str] = mapped_column(String(limits.TITLE), default="", server_default="")
    named_expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert_profile.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    decision_reason: Mapped[str | None] = mapped_column(Text)  # why rejected or cancelled
    support_date: Mapped[date | None] = mapped_column(Date)  # the (last) day of the support; the report is due after
    report: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    follow_up_reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    followed_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    follow_up: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    requester: Mapped["Organization"] = relationship(foreign_keys=[requester_id])  # noqa: F821
    recommender: Mapped["Organization | None"] = relationship(foreign_keys=[recommender_id])  # noqa: F821
    named_expert: Mapped["ExpertProfile | None"] = relationship()  # noqa: F821
    fields: Mapped[list["DispatchField"]] = relationship(cascade="all, delete-orphan")
    assignments: Mapped[list["DispatchAssignment"]] = relationship(cascade="all, delete-orphan",
                                                                   order_by="DispatchAssignment.created_at")

    @property
    def field_ids(self) -> list[str]:
        return [f.field_id for f in self.fields]

    @property
    def project_key(self) -> str:
        """The project the rule "same adviser, same project, once a fiscal year" compares: named, or the theme."""
        return " ".join((self.project or self.theme).split()).casefold()


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

    expert: Mapped["ExpertProfile"] = relationship()  # noqa: F821
