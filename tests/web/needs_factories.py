"""Factories for the municipality-side tests: organizations, staff, experts and needs, plus signing in."""
from __future__ import annotations

import itertools
from datetime import date

from hub.db import utcnow
from hub.models import ExpertProfile, ExpertSkill, Need, NeedSkill, NeedStage, User
from hub.services.organizations import get_or_create_local_government

_seq = itertools.count(1)

SHIOJIRI = "202151"
MATSUMOTO = "202029"
NAGANO = "202011"


def org(session, lg_code: str = SHIOJIRI):
    return get_or_create_local_government(session, lg_code)


def user(session, role: str, organization=None, *, approved: bool = True, locale: str | None = "en") -> User:
    n = next(_seq)
    account = User(email=f"{role}{n}@example.jp", password_hash="x", display_name=f"{role} {n}", role=role,
                   organization=organization, locale=locale, approved_at=utcnow() if approved else None,
                   verified_at=utcnow())
    session.add(account)
    session.flush()
    return account


def expert(session, *, name: str = "山田 花子", skills: dict[str, int] | None = None, hours: int = 40,
           home: str = MATSUMOTO, account: bool = True, opt_in: bool = True, phone: str | None = "090-0000-0000",
           **extra) -> ExpertProfile:
    n = next(_seq)
    owner = user(session, "expert", locale="ja") if account else None
    profile = ExpertProfile(
        external_id=f"T{n:05d}", user=owner, name=name, email=f"expert{n}@example.jp", phone=phone,
        talent_type=extra.pop("talent_type", "XD"), bio=extra.pop("bio", "地域交通のデジタル化とデータ活用の支援"),
        home_lg_code=home, prefecture_code=home[:2], remote=True, onsite=True, resident=False,
        max_travel_km=200, hours_per_month=hours, available_from=date(2026, 1, 1), notify_opt_in=opt_in,
        availability_confirmed_at=utcnow(), **extra)
    profile.skills = [ExpertSkill(skill_id=k, level=v) for k, v in (skills or {}).items()]
    session.add(profile)
    session.flush()
    return profile


def need(session, organization, *, status: str = "open", title: str = "オンデマンド交通の導入支援",
         skills: dict[str, int] | None = None, **extra) -> Need:
    n = next(_seq)
    row = Need(external_id=f"N{n:05d}", organization=organization, title=title,
               description=extra.pop("description", "AIオンデマンドバスの実証とデータ活用を進めたい。"),
               work_style=extra.pop("work_style", "hybrid"), location_lg_code=organization.lg_code,
               hours_per_month=extra.pop("hours_per_month", 20), start_date=date(2027, 4, 1),
               end_date=date(2028, 3, 31), engagement_form="contract", status=status, **extra)
    row.stages = [NeedStage(stage_id="development")]
    row.skills = [NeedSkill(skill_id=k, min_level=v, must=True) for k, v in (skills or {}).items()]
    session.add(row)
    session.flush()
    return row


def login(client, account: User) -> None:
    """Sign `account` in; the `session` fixture keeps one app context (and g) for all requests of a test,
    so Flask-Login's cached user of an earlier request is dropped too."""
    from flask import g, has_app_context
    if has_app_context():
        g.pop("_login_user", None)
    with client.session_transaction() as sess:
        sess["_user_id"] = account.get_id()
        sess["_fresh"] = True
