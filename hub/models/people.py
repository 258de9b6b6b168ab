"""Users, expert profiles and what an expert declares about themselves."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, SmallInteger,
                        String, Text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub import limits
from hub.db import Base, utcnow
from hub.limits import length_check, range_check
from skill_taxonomy import FEE_UNITS, SCHEMES, TALENT_TYPES  # noqa: F401  (the vocabularies live with the taxonomy)

ROLES = ("expert", "org_staff", "bureau_staff", "admin")
SKILL_SOURCES = ("self", "verified", "rated", "inferred")  # inferred: read from the text (推定)
EXPERT_STATUSES = ("active", "paused", "retired")
VISIBILITIES = ("public", "staff")
MAX_HOURS_PER_MONTH = limits.HOURS_PER_MONTH.high  # kept for the modules that import it from here


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role"),
        CheckConstraint("locale IS NULL OR locale IN ('ja', 'en')", name="locale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(limits.EMAIL), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(limits.NAME))
    role: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Staff wait for approval by an admin or their bureau; experts and admins are approved on creation.
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An account acts only once its e-mail is confirmed (accounts from before the check count as confirmed).
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Part of the id in every session and remember-me cookie: a password change bumps it and ends them all.
    auth_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # A refused staff sign-up: when and why (the reason is mailed to the person); the account is inactive.
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejection_reason: Mapped[str | None] = mapped_column(String(limits.REASON))

    organization: Mapped["Organization | None"] = relationship(back_populates="staff")  # noqa: F821
    expert: Mapped["ExpertProfile | None"] = relationship(back_populates="user")

    # The session-user protocol Flask-Login expects, by duck typing so models stay free of Flask.
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        """Flask-Login's alternative id: "<id>:<auth_version>", so older cookies stop naming anyone."""
        return f"{self.id}:{self.auth_version}"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


def _source_consent(context) -> datetime | None:
    """Date the consent of a listed row inserted without one: imports and the demo list what their source
    (the roster holder) collected consent for. Web sign-ups set both columns themselves."""
    return utcnow() if context.get_current_parameters().get("listed", True) else None


class ExpertProfile(Base):
    __tablename__ = "expert_profile"
    __table_args__ = (
        CheckConstraint(f"talent_type IN {TALENT_TYPES!r}", name="talent_type"),
        range_check("hours_per_month", limits.HOURS_PER_MONTH),
        range_check("max_travel_km", limits.TRAVEL_KM, nullable=True),
        CheckConstraint("available_until IS NULL OR available_from IS NULL OR available_until >= available_from",
                        name="available_period"),
        CheckConstraint(f"fee_unit IS NULL OR fee_unit IN {FEE_UNITS!r}", name="fee_unit"),
        range_check("fee_amount", limits.MONEY, nullable=True),
        CheckConstraint("(fee_unit IS NULL) = (fee_amount IS NULL)", name="fee_complete"),
        CheckConstraint(f"status IN {EXPERT_STATUSES!r}", name="status"),
        CheckConstraint(f"visibility IN {VISIBILITIES!r}", name="visibility"),
        CheckConstraint("home_lg_code IS NULL OR length(home_lg_code) = 6", name="home_lg_code_length"),
        length_check("bio", limits.BIO),
        # Listing needs consent (hub/services/privacy.py); a deleted profile is never listed and has no account.
        CheckConstraint("NOT listed OR listing_consented_at IS NOT NULL", name="listing_consent"),
        CheckConstraint("deleted_at IS NULL OR (NOT listed AND user_id IS NULL)", name="deleted_unlisted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(limits.EXTERNAL_ID), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), unique=True)
    name: Mapped[str] = mapped_column(String(limits.NAME))
    email: Mapped[str | None] = mapped_column(String(limits.EMAIL))
    phone: Mapped[str | None] = mapped_column(String(limits.PHONE))
    talent_type: Mapped[str] = mapped_column(String(2))
    bio: Mapped[str] = mapped_column(Text, default="")
    home_lg_code: Mapped[str | None] = mapped_column(String(6), index=True)
    prefecture_code: Mapped[str | None] = mapped_column(String(2), index=True)
    remote: Mapped[bool] = mapped_column(Boolean, default=True)
    onsite: Mapped[bool] = mapped_column(Boolean, default=False)
    resident: Mapped[bool] = mapped_column(Boolean, default=False)
    max_travel_km: Mapped[int | None] = mapped_column(Integer)
    hours_per_month: Mapped[int] = mapped_column(SmallInteger, default=0)
    available_from: Mapped[date | None] = mapped_column(Date)
    available_until: Mapped[date | None] = mapped_column(Date)
    fee_unit: Mapped[str | None] = mapped_column(String(8))
    fee_amount: Mapped[int | None] = mapped_column(Integer)
    fee_negotiable: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(8), default="active")
    # Consent to be listed for municipalities at all, and how widely the profile is shown.
    listed: Mapped[bool] = mapped_column(Boolean, default=True)
    listing_consented_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=_source_consent)
    visibility: Mapped[str] = mapped_column(String(8), default="staff")
    notify_opt_in: Mapped[bool] = mapped_column(Boolean, default=True)
    availability_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # Set when the expert deleted their account: personal data gone, the history kept under an anonymous profile.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User | None] = relationship(back_populates="expert")
    skills: Mapped[list["ExpertSkill"]] = relationship(back_populates="expert", cascade="all, delete-orphan",
                                                       order_by="ExpertSkill.skill_id")
    roles: Mapped[list["ExpertRole"]] = relationship(cascade="all, delete-orphan")
    fields: Mapped[list["ExpertField"]] = relationship(cascade="all, delete-orphan")
    stages_led: Mapped[list["ExpertStage"]] = relationship(cascade="all, delete-orphan")
    schemes: Mapped[list["ExpertScheme"]] = relationship(cascade="all, delete-orphan")
    travel_prefectures: Mapped[list["ExpertTravelPrefecture"]] = relationship(cascade="all, delete-orphan")
    engagements: Mapped[list["Engagement"]] = relationship(  # noqa: F821
        back_populates="expert", cascade="all, delete-orphan", order_by="Engagement.start_date.desc()")

    @property
    def role_ids(self) -> list[str]:
        return [r.role_id for r in self.roles]

    @property
    def field_ids(self) -> list[str]:
        return [f.field_id for f in self.fields]

    @property
    def stage_ids(self) -> list[str]:
        return [s.stage_id for s in self.stages_led]

    @property
    def scheme_ids(self) -> list[str]:
        return [s.scheme for s in self.schemes]

    @property
    def skill_levels(self) -> dict[str, int]:
        """The levels the expert declared or evaluations verified (not those read from the text)."""
        return {s.skill_id: s.level for s in self.skills if s.source != "inferred"}

    @property
    def inferred_skills(self) -> dict[str, int]:
        """Skills read from the profile's text (推定), waiting for the expert to confirm or correct them."""
        return {s.skill_id: s.level for s in self.skills if s.source == "inferred"}


class ExpertSkill(Base):
    """One DSS skill item of an expert: the self-assessed level and what evaluations verified."""

    __tablename__ = "expert_skill"
    __table_args__ = (
        range_check("level", limits.SKILL_LEVEL),
        CheckConstraint(f"source IN {SKILL_SOURCES!r}", name="source"),
        range_check("rating_mean", limits.RATING, nullable=True),
        CheckConstraint("rating_count >= 0", name="rating_count"),
    )

    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger)
    source: Mapped[str] = mapped_column(String(8), default="self")
    rating_mean: Mapped[float | None]
    rating_count: Mapped[int] = mapped_column(Integer, default=0)

    expert: Mapped[ExpertProfile] = relationship(back_populates="skills")


class ExpertRole(Base):
    __tablename__ = "expert_role"
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), primary_key=True)
    role_id: Mapped[str] = mapped_column(String(40), primary_key=True)


class ExpertField(Base):
    __tablename__ = "expert_field"
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), primary_key=True)
    field_id: Mapped[str] = mapped_column(String(40), primary_key=True)


class ExpertStage(Base):
    """A stage of a regional DX project the expert has led."""

    __tablename__ = "expert_stage"
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), primary_key=True)
    stage_id: Mapped[str] = mapped_column(String(40), primary_key=True)


class ExpertScheme(Base):
    __tablename__ = "expert_scheme"
    __table_args__ = (CheckConstraint(f"scheme IN {SCHEMES!r}", name="scheme"),)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), primary_key=True)
    scheme: Mapped[str] = mapped_column(String(16), primary_key=True)


class ExpertTravelPrefecture(Base):
    """A prefecture the expert will travel to regardless of distance."""

    __tablename__ = "expert_travel_prefecture"
    __table_args__ = (CheckConstraint("length(prefecture_code) = 2", name="prefecture_code_length"),)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), primary_key=True)
    prefecture_code: Mapped[str] = mapped_column(String(2), primary_key=True)


class Notification(Base):
    """An in-app message, e.g. a published need that fits the expert; mailed as well when possible."""

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    need_id: Mapped[int | None] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"))
    shortlist_entry_id: Mapped[int | None] = mapped_column(ForeignKey("shortlist_entry.id", ondelete="CASCADE"))
    engagement_id: Mapped[int | None] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    payload: Mapped[dict | None] = mapped_column(default=None)
    mailed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
