"""Background jobs: long work (re-embedding, notification fan-out, reminders, imports) with its progress."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow

JOB_STATES = ("queued", "running", "finished", "failed")


class Job(Base):
    """One run of a registered job kind (hub/jobs.py); queued → running → finished | failed."""

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'finished', 'failed')", name="state"),
        CheckConstraint("progress >= 0", name="progress"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(12), default="queued")
    params: Mapped[dict] = mapped_column(default=dict)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[dict | None]
    error: Mapped[str | None] = mapped_column(String(2000))  # the first 2,000 characters of the failure
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
