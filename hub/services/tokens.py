"""API tokens: make one (shown once), revoke one, and find the user a bearer token names.

A token is "dxh_" + 43 URL-safe characters (256 random bits). Only its SHA-256 is stored: the database, a
backup or a log of it never holds a usable token. A token acts as its user only while the user is active and
verified, the token is not revoked, and the user's auth version is the one the token was made under — so a
password change, a reset, deactivation or account deletion ends every token together with every session.
"""
from __future__ import annotations

import hashlib
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import limits
from hub.db import utcnow
from hub.models import ApiToken, User
from hub.permissions import can_manage_tokens, can_revoke_token, require
from hub.services import audit
from hub.services.errors import Refused, StateError

PREFIX = "dxh_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def live_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens that are not revoked, newest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def create_token(session: Session, actor: User | None, user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token for `user` (`actor` None: the command line); return the row and the token, shown once."""
    if actor is not None:
        require(can_manage_tokens(actor, user))
    name = " ".join(name.split())[:limits.TOKEN_NAME] or "API"
    session.execute(select(User.id).where(User.id == user.id).with_for_update())  # count and add one at a time
    live = session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    if live >= limits.API_TOKENS_PER_USER:
        raise Refused(_l("You have %(count)d tokens already; revoke one you no longer use first.",
                         count=limits.API_TOKENS_PER_USER), reason="too_many_tokens")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=hash_token(token), prefix=token[:len(PREFIX) + 6],
                   auth_version=user.auth_version or 1)
    session.add(row)
    session.flush()
    audit.record(session, actor, "api_token.create", "api_token", row.id, user_id=user.id)
    return row, token


def revoke_token(session: Session, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke a token at once; the row stays so that the owner's list and the audit trail can name it."""
    if actor is not None:
        require(can_revoke_token(actor, token))
    token = session.get(ApiToken, token.id, with_for_update=True, populate_existing=True)
    if token.revoked_at is not None:
        raise StateError(_l("This token was revoked already."), reason="revoked")
    token.revoked_at = utcnow()
    session.flush()
    audit.record(session, actor, "api_token.revoke", "api_token", token.id, user_id=token.user_id)
    return token


def token_from_header(value: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None when the header says something else."""
    scheme, _sep, token = (value or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(PREFIX) or len(token) > 200:
        return None
    return token


def find_token(session: Session, token: str) -> ApiToken | None:
    """The live token row whose user it may act as, or None; one indexed look-up, never a write."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = row.user
    if user is None or not user.is_active or user.verified_at is None or row.auth_version != user.auth_version:
        return None
    return row
