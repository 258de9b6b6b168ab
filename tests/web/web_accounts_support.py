"""Factories and helpers for the account, expert and search page tests."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from hub.db import utcnow
from hub.models import Engagement, ExpertProfile, Need, Organization, ShortlistEntry, User
from hub.services.accounts import hash_password
from hub.services.experts import ExpertData, apply_expert, generate_external_id
from hub.services.organizations import get_or_create_local_government
from tests.support import post_form

PASSWORD = "correct horse battery"
SHIOJIRI = "202151"
MATSUMOTO = "202029"
_HASH: dict[str, str] = {}


def _hash(password: str) -> str:
    # Hashing with scrypt is slow on purpose; the tests reuse one hash per password.
    if password not in _HASH:
        _HASH[password] = hash_password(password)
    return _HASH[password]


def make_user(session, email: str, role: str = "expert", *, organization: Organization | None = None,
              approved: bool = True, password: str = PASSWORD, name: str = "テスト 利用者",
              verified: bool = True) -> User:
    user = User(email=email, password_hash=_hash(password), display_name=name, role=role,
                organization=organization, approved_at=utcnow() if approved else None, is_active=True,
                verified_at=utcnow() if verified else None)
    session.add(user)
    session.flush()
    return user


def make_expert(session, email: str | None = None, *, name: str = "山田 花子", user: bool = True,
                **fields) -> ExpertProfile:
    data = ExpertData(external_id=generate_external_id(session), name=name, talent_type=fields.pop("talent_type", "D"),
                      email=email, hours_per_month=fields.pop("hours_per_month", 40), **fields)
    expert = apply_expert(session, None, data)
    expert.availability_confirmed_at = utcnow()
    if user:
        expert.user = make_user(session, email or f"{data.external_id.lower()}@example.jp", "expert", name=name)
    session.flush()
    return expert


def make_org(session, lg_code: str = SHIOJIRI) -> Organization:
    return get_or_create_local_government(session, lg_code)


def make_staff(session, email: str, lg_code: str = SHIOJIRI, approved: bool = True) -> User:
    return make_user(session, email, "org_staff", organization=make_org(session, lg_code), approved=approved)


def make_need(session, org: Organization, title: str = "オンデマンドバスの導入") -> Need:
    need = Need(external_id=f"N-{title[:8]}-{org.lg_code}", organization=org, title=title, description="",
                work_style="remote", location_lg_code=org.lg_code or SHIOJIRI, hours_per_month=20,
                start_date=date(2026, 4, 1), engagement_form="contract", status="open")
    session.add(need)
    session.flush()
    return need


def contact_request(session, need: Need, expert: ExpertProfile, state: str = "contacted") -> ShortlistEntry:
    entry = ShortlistEntry(need=need, expert=expert, state=state, contacted_at=utcnow(),
                           message="ぜひ一度お話を伺えませんか。")
    session.add(entry)
    session.flush()
    return entry


def add_engagement(session, expert: ExpertProfile, *, hours: int = 10, status: str = "active",
                   title: str = "庁内DX推進", start: date = date(2024, 4, 1), end: date | None = None,
                   lg_code: str = MATSUMOTO, source: str = "import") -> Engagement:
    engagement = Engagement(expert=expert, organization=make_org(session, lg_code), source=source, title=title,
                            role="CIO補佐官", contribution="業務改革の計画を作成", start_date=start, end_date=end,
                            hours_per_month=hours, status=status)
    session.add(engagement)
    session.flush()
    return engagement


def login(client, email: str, password: str = PASSWORD):
    return post_form(client, "/account/login", {"email": email, "password": password})


def user_by_email(session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email))


def forget_current_user() -> None:
    """Tests that use `session` share one app context (one `g`) across requests: drop what Flask-Login,
    Flask-Babel and Flask-WTF cache there, as a new request in production would start without it."""
    from flask import g
    g.pop("_login_user", None)
    g.pop("_flask_babel", None)
    g.pop("csrf_token", None)


def mailed_link(app, path: str) -> str:
    """The path of the last mailed link under `path` (e.g. "/account/verify/"), without scheme and host."""
    import re
    mail = app.extensions["hub.outbox"][-1]
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}\S+)", mail.get_content())
    assert match, f"the last mail has no {path} link"
    return match.group(1)


def confirm_email(client, app) -> None:
    """Follow the confirmation link of the last mail and press its button, as the new user would."""
    link = mailed_link(app, "/account/verify/")
    response = post_form(client, link, {})
    assert response.status_code == 302, response.status_code
