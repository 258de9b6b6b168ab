"""Per-user API tokens: only a hash is stored; the token itself is shown once, when it is made."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub import limits
from hub.db import Base, utcnow


class ApiToken(Base):
    """A bearer token of one user for /api/v1.

    It acts as its user while the user is active, the token is not revoked, and the user's auth version is
    still the one the token was made under (a password change or reset ends every token, as it ends sessions).
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(limits.TOKEN_NAME))
    # SHA-256 of the token (hex): the token is 256 random bits, so a slow hash adds nothing; a unique index
    # finds it in one look-up.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the first characters, so the owner can tell tokens apart
    auth_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped["User"] = relationship()  # noqa: F821

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
