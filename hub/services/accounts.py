"""Accounts: sign-up, passwords, reset tokens, staff approval, and the signed availability link.

Services take a Session, flush, never commit; views commit once.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from hub import limits, permissions
from hub.db import after_commit, utcnow
from hub.gazetteer import is_valid_lg_code, load_gazetteer
from hub.models import ExpertProfile, Organization, User
from hub.services import audit
from hub.services.errors import Refused, StateError
from hub.services.experts import ExpertData, apply_expert, generate_external_id
from hub.services.organizations import get_or_create_local_government

RESET_SALT = "hub.password-reset"
VERIFY_SALT = "hub.email-verify"
AVAILABILITY_SALT = "hub.availability-confirm"
# Checked when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password")


class EmailTaken(ValueError):
    """Another account already uses this email."""


class UnknownOrganization(ValueError):
    """No organization has this code, and it is not a local-government code either."""


class WrongPassword(ValueError):
    """The current password given to change it is not right."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    """Hash with Werkzeug's default scheme (scrypt), salted."""
    return generate_password_hash(password)


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def _new_user(session: Session, email: str, password: str, display_name: str, role: str,
              locale: str | None) -> User:
    password_hash = hash_password(password)  # first, so a taken e-mail answers as slowly as a new one
    if find_user(session, email) is not None:
        raise EmailTaken(email)
    user = User(email=normalize_email(email), password_hash=password_hash,
                display_name=display_name.strip(), role=role, locale=locale, is_active=True)
    session.add(user)
    return user


def sign_up_expert(session: Session, *, email: str, password: str, name: str, talent_type: str,
                   locale: str | None = None, listing_consent: bool = False) -> User:
    """Create an expert account and its (still empty) profile; experts need no approval.

    The profile is listed only when the expert ticked the consent to be listed (dated now).
    """
    user = _new_user(session, email, password, name, "expert", locale)
    user.approved_at = utcnow()
    data = ExpertData(external_id=generate_external_id(session), name=name.strip(), talent_type=talent_type,
                      email=normalize_email(email))
    expert = apply_expert(session, None, data)
    expert.user = user
    expert.availability_confirmed_at = utcnow()
    expert.listed = listing_consent
    expert.listing_consented_at = utcnow() if listing_consent else None
    session.flush()
    audit.record(session, user, "user.sign_up", "user", user.id, role="expert", expert_id=expert.id,
                 listing_consent=listing_consent)
    return user


class AmbiguousOrganization(ValueError):
    """A name that several local governments share (府中市 is in 東京都 and 広島県); `options` are their full names."""

    def __init__(self, name: str, options: list[str]):
        super().__init__(name)
        self.options = options


def resolve_organization(session: Session, text: str) -> Organization:
    """Return the organization staff name at sign-up: by the code the hub gave it, by its name (長野県松本市,
    松本市, まつもとし, 信越総合通信局), or by a local-government code; a local government gets its row on first use.

    Raise UnknownOrganization when nothing matches, AmbiguousOrganization when a name means several places.
    """
    text = text.strip()
    org = session.scalar(select(Organization).where(Organization.code == text))
    if org is not None:
        return org
    gazetteer = load_gazetteer()
    if text.isdigit():
        if is_valid_lg_code(text) and gazetteer.by_code(text) is not None:
            return get_or_create_local_government(session, text)
        raise UnknownOrganization(text)
    named = list(session.scalars(select(Organization).where(Organization.name == text, Organization.lg_code.is_(None))))
    if len(named) == 1:
        return named[0]
    places = gazetteer.find(text) if text else []
    if len(places) == 1:
        return get_or_create_local_government(session, places[0].lg_code)
    if len(places) > 1:
        raise AmbiguousOrganization(text, [p.full_name for p in places[:8]])
    raise UnknownOrganization(text)


def organization_suggestions(session: Session) -> list[tuple[str, str]]:
    """(name, reading) of every organization staff can sign up for: the 1,788 local governments by their full
    name (長野県松本市) with the reading in hiragana, then the bureaus and other organizations of the hub."""
    def hiragana(kana: str) -> str:
        return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in kana)

    places = [(p.full_name, hiragana(p.kana)) for p in load_gazetteer()]
    others = [(name, "") for name in session.scalars(
        select(Organization.name).where(Organization.lg_code.is_(None)).order_by(Organization.name))]
    return places + others


def sign_up_staff(session: Session, *, email: str, password: str, name: str, organization_code: str,
                  locale: str | None = None) -> User:
    """Create a staff account tied to an organization (`organization_code`: its code or name, see
    resolve_organization); it waits for approval (approved_at NULL)."""
    org = resolve_organization(session, organization_code)
    role = "bureau_staff" if org.kind == "bureau" else "org_staff"
    user = _new_user(session, email, password, name, role, locale)
    user.organization = org
    session.flush()
    audit.record(session, user, "user.sign_up", "user", user.id, role=role, organization_id=org.id)
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the active user with this email and password, else None (the caller says nothing more)."""
    user = find_user(session, email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    user.last_login_at = utcnow()
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Set a new password and end every session and remember-me cookie of the account (auth_version)."""
    user.password_hash = hash_password(password)
    user.auth_version = (user.auth_version or 1) + 1
    session.flush()
    audit.record(session, user, "user.set_password", "user", user.id)


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Change a signed-in user's password after checking the current one; raise WrongPassword."""
    if not check_password_hash(user.password_hash, current):
        raise WrongPassword()
    set_password(session, user, new)


# -- e-mail verification -----------------------------------------------------------------------

def make_verify_token(secret_key: str, user: User) -> str:
    """Return a signed token confirming that `user` reads mail at their current address."""
    return _serializer(secret_key, VERIFY_SALT).dumps({"uid": user.id, "email": user.email})


def user_from_verify_token(session: Session, secret_key: str, token: str, max_age: int) -> User | None:
    """Return the active user a valid, unexpired token names (for the e-mail it was made for), else None."""
    try:
        payload = _serializer(secret_key, VERIFY_SALT).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    uid = payload.get("uid") if isinstance(payload, dict) else None
    user = session.get(User, uid) if isinstance(uid, int) else None
    if user is None or not user.is_active or user.email != payload.get("email"):
        return None
    return user


def verify_email(session: Session, user: User) -> bool:
    """Mark the account's e-mail confirmed; return False when it was already."""
    if user.verified_at is not None:
        return False
    user.verified_at = utcnow()
    session.flush()
    audit.record(session, user, "user.verify_email", "user", user.id)
    return True


def _serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


def make_reset_token(secret_key: str, user: User) -> str:
    """Return a token for a password reset; it dies after max_age or once the password changes."""
    return _serializer(secret_key, RESET_SALT).dumps({"uid": user.id, "ph": user.password_hash[-16:]})


def user_from_reset_token(session: Session, secret_key: str, token: str, max_age: int) -> User | None:
    """Return the user a valid, unexpired, unused reset token names, else None."""
    try:
        payload = _serializer(secret_key, RESET_SALT).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(payload, dict):
        return None
    user = session.get(User, payload.get("uid")) if isinstance(payload.get("uid"), int) else None
    if user is None or not user.is_active or user.password_hash[-16:] != payload.get("ph"):
        return None
    return user


def set_locale(session: Session, user: User, locale: str) -> None:
    if locale in ("ja", "en") and user.locale != locale:
        user.locale = locale
        session.flush()


# -- staff approval ---------------------------------------------------------------------------

def pending_staff(session: Session, approver: User) -> list[User]:
    """Return staff waiting for approval that `approver` may approve, oldest first."""
    query = (select(User).where(User.role.in_(permissions.STAFF_ROLES), User.approved_at.is_(None),
                                User.is_active.is_(True))
             .order_by(User.created_at, User.id))
    if not permissions.is_admin(approver):  # the same rule as permissions.can_approve, as a query
        if (bureau := permissions.bureau_of(approver)) is None:
            return []
        query = query.join(Organization, User.organization_id == Organization.id).where(
            Organization.bureau_id == bureau)
    return list(session.scalars(query))


def approve_staff(session: Session, approver: User, user: User) -> None:
    """Approve a staff account; raise PermissionDenied unless permissions.can_approve."""
    permissions.require(permissions.can_approve(approver, user))
    if user.approved_at is None:
        user.approved_at = utcnow()
        session.flush()
        audit.record(session, approver, "user.approve", "user", user.id)


# -- availability re-confirmation -------------------------------------------------------------

def make_availability_token(secret_key: str, expert: ExpertProfile) -> str:
    return _serializer(secret_key, AVAILABILITY_SALT).dumps({"eid": expert.id})


def expert_from_availability_token(session: Session, secret_key: str, token: str,
                                   max_age: int) -> ExpertProfile | None:
    try:
        payload = _serializer(secret_key, AVAILABILITY_SALT).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    expert_id = payload.get("eid") if isinstance(payload, dict) else None
    return session.get(ExpertProfile, expert_id) if isinstance(expert_id, int) else None


def confirm_availability(session: Session, user: User | None, expert: ExpertProfile) -> None:
    """Mark the expert's availability as confirmed now; the matcher re-reads the expert."""
    expert.availability_confirmed_at = utcnow()  # the ORM event marks the expert changed for the index
    session.flush()
    audit.record(session, user, "expert.confirm_availability", "expert", expert.id)


def stale_experts(session: Session, stale_days: int) -> list[ExpertProfile]:
    """Return active, listed experts with an account whose availability is older than `stale_days`."""
    from datetime import timedelta
    cutoff = utcnow() - timedelta(days=stale_days)
    confirmed = func.coalesce(ExpertProfile.availability_confirmed_at, ExpertProfile.created_at)
    return list(session.scalars(
        select(ExpertProfile).where(ExpertProfile.status == "active", ExpertProfile.listed.is_(True),
                                    ExpertProfile.user_id.is_not(None), confirmed < cutoff)
        .order_by(ExpertProfile.id)))


REMINDER_INTERVAL_DAYS = 7  # one reminder a week at most, however often the command runs


def remind_stale_experts(session: Session, secret_key: str, stale_days: int, link_for) -> int:
    """Mail each stale expert a signed one-click confirmation link; return how many were mailed.

    `link_for(token)` builds the absolute URL. Reminders are audited, and an expert reminded within
    the last week is skipped. The mails go out once the caller's commit has stored the audit events.
    """
    from datetime import timedelta

    from flask_babel import force_locale
    from flask_babel import gettext as _

    from hub.db import after_commit
    from hub.mail import send_mail_or_log
    from hub.models import AuditEvent

    since = utcnow() - timedelta(days=REMINDER_INTERVAL_DAYS)
    recent = set(session.scalars(select(AuditEvent.entity_id).where(
        AuditEvent.action == "expert.remind_availability", AuditEvent.created_at >= since)))
    sent = 0
    for expert in stale_experts(session, stale_days):
        if str(expert.id) in recent or expert.user is None:
            continue
        link = link_for(make_availability_token(secret_key, expert))
        with force_locale(expert.user.locale or "ja"):
            after_commit(session, send_mail_or_log, expert.user.email,
                         _("Please confirm your availability on the DX Talent Hub"),
                         _("Hello %(name)s,\n\nyou offer %(hours)s hours per month on the DX Talent Hub. If that is "
                           "still right, one click confirms it:\n\n%(link)s\n\nIf it changed, log in and update your "
                           "hours. Unconfirmed availability ranks lower for municipalities.",
                           name=expert.name, hours=expert.hours_per_month, link=link))
        audit.record(session, None, "expert.remind_availability", "expert", expert.id)
        sent += 1
    return sent


# -- the admin's users page: refuse, deactivate, reactivate ---------------------------------------------------

USER_STATUSES = ("pending", "active", "inactive", "rejected")
USERS_PER_PAGE = 50


@dataclass(frozen=True)
class UserPage:
    """One page of the users list and how many there are in all."""

    users: list[User]
    total: int
    page: int
    pages: int


def list_users(session: Session, *, role: str = "", status: str = "", words: str = "", page: int = 1,
               per_page: int = USERS_PER_PAGE) -> UserPage:
    """Return one page of accounts, newest first, narrowed by role, status and words of the name, e-mail or
    organization (the admin's users page)."""
    query = select(User).outerjoin(Organization, User.organization_id == Organization.id)
    if role in permissions.ROLES:
        query = query.where(User.role == role)
    if status == "pending":
        query = query.where(User.role.in_(permissions.STAFF_ROLES), User.approved_at.is_(None),
                            User.is_active.is_(True))
    elif status == "active":
        query = query.where(User.is_active.is_(True))
    elif status == "inactive":
        query = query.where(User.is_active.is_(False), User.rejected_at.is_(None))
    elif status == "rejected":
        query = query.where(User.rejected_at.is_not(None))
    for word in words.split()[:5]:
        like = f"%{word.lower()}%"
        query = query.where(func.lower(User.email).like(like) | func.lower(User.display_name).like(like)
                            | func.lower(func.coalesce(Organization.name, "")).like(like))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    users = list(session.scalars(query.order_by(User.created_at.desc(), User.id.desc())
                                 .limit(per_page).offset((page - 1) * per_page)))
    return UserPage(users, total, page, pages)


def reject_staff(session: Session, approver: User, user: User, reason: str) -> None:
    """Refuse a staff sign-up, saying why: the account closes (its sessions end) and the person is mailed the
    reason once the caller commits. Raise PermissionDenied unless permissions.can_approve, StateError when
    the account is approved or refused already, Refused without a reason."""
    permissions.require(permissions.can_approve(approver, user))
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_l("Say why the sign-up is refused: the person reads it in the mail."), reason="no_reason")
    if len(reason) > limits.REASON:
        raise Refused(_l("Keep the reason under %(n)d characters.", n=limits.REASON), reason="too_long")
    if user.approved_at is not None:
        raise StateError(_l("%(name)s is approved already: deactivate the account instead.",
                            name=user.display_name))
    if user.rejected_at is not None:
        raise StateError(_l("The sign-up of %(name)s was refused already.", name=user.display_name))
    user.rejected_at = utcnow()
    user.rejection_reason = reason
    _close(user)
    session.flush()
    audit.record(session, approver, "user.reject", "user", user.id, reason=reason)
    after_commit(session, _mail_rejection, user.email, user.locale, user.display_name, reason)


def deactivate_user(session: Session, actor: User, user: User) -> None:
    """Close an account: it can no longer log in, and every session and remember-me cookie ends at once
    (auth_version). Raise PermissionDenied unless permissions.can_change_activation, StateError when the
    account is inactive already."""
    permissions.require(permissions.can_change_activation(actor, user))
    if not user.is_active:
        raise StateError(_l("The account of %(name)s is deactivated already.", name=user.display_name))
    _close(user)
    session.flush()
    audit.record(session, actor, "user.deactivate", "user", user.id)


def reactivate_user(session: Session, actor: User, user: User) -> None:
    """Open a closed account again; a refused sign-up goes back to waiting for approval (old sessions stay
    ended: the auth version moved when it closed). StateError when the account is active."""
    permissions.require(permissions.can_change_activation(actor, user))
    if user.is_active:
        raise StateError(_l("The account of %(name)s is active already.", name=user.display_name))
    user.is_active = True
    was_rejected = user.rejected_at is not None
    user.rejected_at = user.rejection_reason = None
    session.flush()
    audit.record(session, actor, "user.reactivate", "user", user.id, was_rejected=was_rejected)


def _close(user: User) -> None:
    user.is_active = False
    user.auth_version = (user.auth_version or 1) + 1


def _mail_rejection(email: str, locale: str | None, name: str, reason: str) -> None:
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from hub.mail import send_mail_or_log

    with force_locale(locale or "ja"):
        send_mail_or_log(email, _("Your DX Talent Hub sign-up was not approved"),
                         _("Hello %(name)s,\n\nyour sign-up as staff on the DX Talent Hub was not approved, for this "
                           "reason:\n\n%(reason)s\n\nIf this is a mistake, reply to your regional bureau or the hub's "
                           "administrator.", name=name, reason=reason))
