"""Organizations: municipalities, prefectures, bureaus and other requesters."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub import limits
from hub.db import Base, utcnow
from skill_taxonomy import ORGANIZATION_KINDS  # noqa: F401


class Organization(Base):
    __tablename__ = "organization"
    __table_args__ = (
        CheckConstraint(f"kind IN {ORGANIZATION_KINDS!r}", name="kind"),
        CheckConstraint("lg_code IS NULL OR length(lg_code) = 6", name="lg_code_length"),
        CheckConstraint("length(prefecture_code) = 2", name="prefecture_code_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Code staff quote when they sign up: the lg_code for local governments, a hub code otherwise.
    code: Mapped[str] = mapped_column(String(limits.ORGANIZATION_CODE), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(limits.ORGANIZATION_NAME))
    lg_code: Mapped[str | None] = mapped_column(String(6), unique=True)
    prefecture_code: Mapped[str] = mapped_column(String(2), index=True)
    # Derived from the prefecture when saved (services/organizations.py); stored for regional queries.
    bureau_id: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    staff: Mapped[list["User"]] = relationship(back_populates="organization")  # noqa: F821
    needs: Mapped[list["Need"]] = relationship(back_populates="organization")  # noqa: F821
