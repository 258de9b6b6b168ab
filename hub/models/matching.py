"""What the matcher stores: text embeddings keyed by model and content, and learned weights."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow


class Embedding(Base):
    """A stored text vector: recomputed only when the owner's text or the model changes."""

    __tablename__ = "embedding"
    __table_args__ = (
        UniqueConstraint("owner_kind", "owner_id", "model"),
        CheckConstraint("owner_kind IN ('expert', 'need')", name="owner_kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(8))
    owner_id: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RankerWeights(Base):
    """Signal weights fitted by `flask train-ranker`; the newest version is used when present."""

    __tablename__ = "ranker_weights"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(32), unique=True)
    weights: Mapped[dict]
    metrics: Mapped[dict]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
