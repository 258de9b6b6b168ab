"""Roster imports (hub/services/roster.py): the uploaded file until its job ends, and whose roster an expert is."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow


class RosterUpload(Base):
    """An uploaded roster waiting for its `roster.import` job: stored here so that a worker in another process
    (RQ) can read it; the job deletes the row when it ends."""

    __tablename__ = "roster_upload"
    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(8))  # xlsx or csv
    sheet: Mapped[str | None] = mapped_column(String(31))  # Excel's limit for a sheet name
    scheme: Mapped[str | None] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ExpertRosterSource(Base):
    """Which organization's roster created an expert; a bureau may update only the experts of its own roster.

    organization_id None: imported by an admin or from the command line.
    """

    __tablename__ = "expert_roster_source"
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="SET NULL"),
                                                        index=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
