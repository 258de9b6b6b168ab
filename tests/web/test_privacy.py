"""Privacy (個人情報保護法): the data download, account deletion with the history kept anonymised, listing consent."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from hub.db import utcnow
from hub.models import (AuditEvent, DispatchAssignment, DispatchRequest, Embedding, Engagement, Evaluation,
                        EvaluationSkill, ExpertProfile, ExpertRole, ExpertSkill, Notification, ShortlistEntry, User)
from hub.permissions import PermissionDenied
from hub.services import audit, privacy
from tests.support import csrf_token_from, post_form
from tests.web import needs_factories as nf
from tests.web.web_accounts_support import (PASSWORD, SHIOJIRI, add_engagement, contact_request, forget_current_user,
                                            login, make_expert, make_org, make_staff)

EMAIL = "hanako@example.jp"
PRIVACY = "/experts/me/privacy"
DOWNLOAD = "/experts/me/privacy/download"
DELETE = "/experts/me/delete"


def _rich_expert(session):
    """An expert with something in every place personal data lives, and an organization's records about them."""
    expert = make_expert(session, EMAIL, name="山田 花子", bio="塩尻で地域交通のデータ活用を進めてきました。",
                         home_lg_code="202029", hours_per_month=40, skills={"backend_dev": 3}, roles=["data_scientist"],
                         fields=["mobility"], stages_led=["development"], schemes=["adviser"], max_travel_km=120,
                         travel_prefectures=["15"], available_from=date(2026, 1, 1), fee_unit="hour",
                         fee_amount=8000)
    expert.phone = "090-1111-2222"
    shiojiri = make_org(session, SHIOJIRI)
    staff = make_staff(session, "dx@city.shiojiri.lg.jp")
    need = nf.need(session, shiojiri, title="オンデマンド交通の導入支援")
    asked = contact_request(session, need, expert, state="accepted")
    asked.responded_at = utcnow()
    other_need = nf.need(session, shiojiri, title="窓口DXの伴走")
    pending = contact_request(session, other_need, expert, state="contacted")
    worked = Engagement(expert=expert, organization=shiojiri, need_id=need.id, source="need", title=need.title,
                        role="開発リーダー", contribution="", start_date=date(2025, 4, 1), end_date=date(2026, 3, 31),
                        hours_per_month=20, status="completed")
    worked.evaluation = Evaluation(overall=4.5, would_rehire=True, comment="山田さんの調整力に助けられました。",
                                   evaluator_id=staff.id,
                                   skill_ratings=[EvaluationSkill(skill_id="backend_dev", rating=4)])
    session.add(worked)
    imported = add_engagement(session, expert, status="completed", end=date(2024, 12, 31))
    session.add(Notification(user_id=expert.user_id, kind="contact_request", need_id=other_need.id,
                             shortlist_entry_id=pending.id))
    session.add(Embedding(owner_kind="expert", owner_id=expert.id, model="tfidf", content_hash="x", dim=1,
                          vector=b"\0\0\0\0"))
    audit.record(session, staff, "shortlist_entry.contact", "shortlist_entry", pending.id)
    session.add(DispatchRequest(requester=shiojiri, bureau_id=shiojiri.bureau_id, theme="庁内DX研修", purpose="seminar",
                                stage_id="development", wanted_from=date(2026, 5, 1), state="assigned",
                                assignments=[DispatchAssignment(expert_id=expert.id, note="山田さんに講師を依頼")]))
    session.flush()
    return expert, staff, need, asked, pending, worked, imported


def _signed_in(client, email=EMAIL):
    """Sign in and read the pages in English (the tests assert English source strings)."""
    with client.session_transaction() as cookie_session:
        cookie_session.clear()  # a new browser: whoever was signed in before is gone
    forget_current_user()
    login(client, email)
    forget_current_user()
    client.get("/?lang=en")
    return client


def _token(client) -> str:
    """A CSRF token of the signed-in session, from a page anyone signed in may open."""
    return csrf_token_from(client.get("/").get_data(as_text=True))


# -- download ------------------------------------------------------------------------------------

def test_download_holds_all_the_experts_data_and_nothing_of_others(client, session):
    expert, staff, need, asked, pending, worked, imported = _rich_expert(session)
    other = make_expert(session, "jiro@example.jp", name="鈴木 次郎", bio="他人の自己紹介です。")
    other.phone = "080-9999-8888"
    audit.record(session, other.user, "edit_profile", "expert", other.id)
    _signed_in(client)
    page = client.get(PRIVACY)
    assert page.status_code == 200 and DOWNLOAD in page.get_data(as_text=True)

    response = post_form(client, DOWNLOAD, {}, form_url=PRIVACY)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    data = json.loads(body)
    assert data["account"]["email"] == EMAIL and data["account"]["role"] == "expert"
    profile = data["profile"]
    assert profile["name"] == "山田 花子" and profile["phone"] == "090-1111-2222"
    assert profile["bio"].startswith("塩尻で") and profile["home_lg_code"] == "202029"
    assert profile["listed"] is True and profile["listing_consented_at"]
    assert profile["roles"] == ["data_scientist"] and profile["skills"] == {"backend_dev": 3}
    assert data["skills"] == [{"skill_id": "backend_dev", "level": 3, "source": "self", "rating_mean": None,
                               "rating_count": 0}]
    by_title = {e["title"]: e for e in data["engagements"]}
    assert set(by_title) == {"オンデマンド交通の導入支援", "庁内DX推進"}
    evaluation = by_title["オンデマンド交通の導入支援"]["evaluation"]
    assert evaluation["overall"] == 4.5 and evaluation["comment"] == "山田さんの調整力に助けられました。"
    assert evaluation["skill_ratings"] == {"backend_dev": 4} and evaluation["would_rehire"] is True
    assert by_title["庁内DX推進"]["contribution"] == "業務改革の計画を作成"
    requests = {r["id"]: r for r in data["contact_requests"]}
    assert requests[asked.id]["state"] == "accepted" and requests[asked.id]["responded_at"]
    assert requests[pending.id]["state"] == "contacted" and requests[pending.id]["message"]
    assert requests[asked.id]["organization"] == "長野県塩尻市"
    assert [n["kind"] for n in data["notifications"]] == ["contact_request"]
    assert [(d["theme"], d["requester"], d["note"]) for d in data["dispatch_assignments"]] == [
        ("庁内DX研修", "長野県塩尻市", "山田さんに講師を依頼")]
    actions = {(e["action"], e["by_you"]) for e in data["audit_events"]}
    assert ("expert.download_data", True) in actions and ("shortlist_entry.contact", False) in actions
    # Nothing of other people: not the other expert, not the staff who acted, no password hash.
    for foreign in ("鈴木 次郎", "jiro@example.jp", "他人の自己紹介", "080-9999-8888", "dx@city.shiojiri.lg.jp",
                    staff.display_name, expert.user.password_hash):
        assert foreign not in body
    assert ("expert", str(other.id)) not in {(e["entity"], e["entity_id"]) for e in data["audit_events"]}
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "expert.download_data", AuditEvent.entity_id == str(expert.id))) == 1


def test_download_is_a_post_under_csrf_for_the_signed_in_expert_only(client, session):
    make_expert(session, EMAIL)
    assert client.get(PRIVACY).status_code == 302  # anonymous: to the login page
    _signed_in(client)
    assert client.get(DOWNLOAD).status_code == 405  # a GET never writes the audit event
    assert client.post(DOWNLOAD).status_code == 400  # no CSRF token
    make_staff(session, "dx@city.shiojiri.lg.jp")
    _signed_in(client, "dx@city.shiojiri.lg.jp")
    assert client.get(PRIVACY).status_code == 403
    assert client.post(DOWNLOAD, data={"csrf_token": _token(client)}).status_code == 403


# -- deletion --------------------------------------------------------------------------------------

def test_deletion_removes_every_personal_field_and_keeps_the_history(app, client, session):
    expert, staff, need, asked, pending, worked, imported = _rich_expert(session)
    session.commit()
    session.expire_all()  # compare with the values as the database returns them
    expert_id, user_id, created = expert.id, expert.user_id, expert.created_at
    user = session.get(User, user_id)
    approved_at, user_created, auth_version = user.approved_at, user.created_at, user.auth_version
    _signed_in(client)
    page = client.get(DELETE).get_data(as_text=True)
    assert "What is deleted" in page and "What is kept, anonymised" in page and privacy.DELETED_NAME in page

    response = post_form(client, DELETE, {"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    session.expire_all()

    expected_profile = {
        "id": expert_id, "external_id": lambda v: v.startswith("deleted-"), "user_id": None,
        "name": privacy.DELETED_NAME, "email": None, "phone": None, "talent_type": "D", "bio": "",
        "home_lg_code": None, "prefecture_code": "20", "remote": True, "onsite": False, "resident": False,
        "max_travel_km": None, "hours_per_month": 0, "available_from": None, "available_until": None,
        "fee_unit": None, "fee_amount": None, "fee_negotiable": True, "status": "retired", "listed": False,
        "listing_consented_at": None, "visibility": "staff", "notify_opt_in": False,
        "availability_confirmed_at": None, "created_at": created, "updated_at": lambda v: v is not None,
        "deleted_at": lambda v: v is not None,
    }
    row = session.get(ExpertProfile, expert_id)
    columns = [c.key for c in ExpertProfile.__table__.columns]
    assert set(columns) == set(expected_profile), "decide what deletion does with each new profile column"
    for name in columns:
        want, value = expected_profile[name], getattr(row, name)
        assert want(value) if callable(want) else value == want, name
    for collection in (row.skills, row.roles, row.fields, row.stages_led, row.schemes, row.travel_prefectures):
        assert collection == []

    expected_user = {
        "id": user_id, "email": f"deleted-{user_id}@deleted.invalid", "password_hash": "!",
        "display_name": privacy.DELETED_NAME, "role": "expert", "organization_id": None, "locale": None,
        "is_active": False, "approved_at": approved_at, "created_at": user_created, "last_login_at": None,
        "verified_at": None, "auth_version": auth_version + 1, "rejected_at": None, "rejection_reason": None,
    }
    account = session.get(User, user_id)
    columns = [c.key for c in User.__table__.columns]
    assert set(columns) == set(expected_user), "decide what deletion does with each new account column"
    for name in columns:
        assert getattr(account, name) == expected_user[name], name

    assert session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == user_id)) == 0
    assert session.scalar(select(func.count()).select_from(Embedding).where(
        Embedding.owner_kind == "expert", Embedding.owner_id == expert_id)) == 0
    # The organization's history stays, pointing to the anonymous profile.
    worked, imported = session.get(Engagement, worked.id), session.get(Engagement, imported.id)
    assert worked.expert_id == expert_id and worked.title == "オンデマンド交通の導入支援" and worked.role == "開発リーダー"
    assert worked.evaluation.overall == 4.5 and worked.evaluation.would_rehire is True
    assert worked.evaluation.comment == "" and [(r.skill_id, r.rating) for r in worked.evaluation.skill_ratings] == [
        ("backend_dev", 4)]
    assert imported.expert_id == expert_id and imported.title == "庁内DX推進"
    assert (imported.role, imported.contribution, imported.outcome) == ("", "", None)
    entries = {e.id: e for e in session.scalars(select(ShortlistEntry).where(ShortlistEntry.expert_id == expert_id))}
    assert set(entries) == {asked.id, pending.id}
    assert entries[asked.id].state == "accepted" and entries[pending.id].state == "declined"
    assert all(e.message is None for e in entries.values())
    assignment = session.scalar(select(DispatchAssignment).where(DispatchAssignment.expert_id == expert_id))
    assert assignment is not None and assignment.note is None
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "expert.delete_account")))
    assert [(e.user_id, e.entity, e.entity_id) for e in events] == [(user_id, "expert", str(expert_id))]
    assert session.scalar(select(func.count()).select_from(ExpertSkill).where(ExpertSkill.expert_id == expert_id)) == 0
    assert session.scalar(select(func.count()).select_from(ExpertRole).where(ExpertRole.expert_id == expert_id)) == 0

    # Signed out, cannot sign in again, and the e-mail is free for a new account.
    forget_current_user()
    assert client.get("/experts/me").status_code == 302
    response = login(client, EMAIL)
    assert response.status_code == 200 and "/experts/me" not in response.headers.get("Location", "")
    forget_current_user()
    response = post_form(client, "/account/signup/expert", {"name": "山田 花子", "email": EMAIL, "talent_type": "D",
                                                            "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    again = session.scalar(select(User).where(User.email == EMAIL))
    assert again.id != user_id and again.expert.id != expert_id


def test_wrong_password_or_no_confirmation_deletes_nothing(client, session):
    expert = make_expert(session, EMAIL)
    _signed_in(client)
    response = post_form(client, DELETE, {"password": "not my password", "confirm": "y"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "This is not your password." in html and 'id="password-error"' in html
    response = post_form(client, DELETE, {"password": PASSWORD})
    assert response.status_code == 200 and "Tick this box to confirm the deletion." in response.get_data(as_text=True)
    session.expire_all()
    assert expert.deleted_at is None and expert.name == "山田 花子" and expert.user.email == EMAIL
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "expert.delete_account")) == 0


def test_no_one_else_can_delete_an_account(client, session):
    expert = make_expert(session, EMAIL)
    other = make_expert(session, "jiro@example.jp", name="鈴木 次郎")
    staff = make_staff(session, "dx@city.shiojiri.lg.jp")
    for actor in (other.user, staff):
        with pytest.raises(PermissionDenied):
            privacy.delete_account(session, actor, expert, password=PASSWORD, confirmed=True)
        with pytest.raises(PermissionDenied):
            privacy.personal_data(session, actor, expert)
    _signed_in(client, "dx@city.shiojiri.lg.jp")
    assert client.get(DELETE).status_code == 403
    assert client.post(DELETE, data={"password": PASSWORD, "confirm": "y",
                                     "csrf_token": _token(client)}).status_code == 403
    # Another expert's POST deletes their own account only: the route names no one else.
    _signed_in(client, "jiro@example.jp")
    post_form(client, DELETE, {"password": PASSWORD, "confirm": "y", "expert_id": str(expert.id)})
    session.expire_all()
    assert expert.deleted_at is None and other.deleted_at is not None


def test_deletion_needs_csrf(app, client, session):
    make_expert(session, EMAIL)
    _signed_in(client)
    assert client.post(DELETE, data={"password": PASSWORD, "confirm": "y"}).status_code == 400
    session.expire_all()
    assert session.scalar(select(User).where(User.email == EMAIL)).is_active


def test_deleted_expert_is_gone_from_ranking_and_search_and_staff_pages_still_work(app, client, session):
    expert, staff, need, asked, pending, worked, imported = _rich_expert(session)
    need.hours_per_month = 10
    nf.expert(session, name="残る 候補", skills={"backend_dev": 3})
    matcher = app.extensions["hub.matcher"]
    before = matcher.rank(session, need, top_k=50)
    assert expert.id in {m.expert_id for m in before.result.matches}
    privacy.delete_account(session, expert.user, expert, password=PASSWORD, confirmed=True)
    session.commit()

    after = matcher.rank(session, need, top_k=50)  # the same engine: its index drops the deleted expert
    assert expert.id not in {m.expert_id for m in after.result.matches}
    assert sum(after.result.excluded.values()) == sum(before.result.excluded.values())  # not even as excluded
    assert session.scalar(select(func.count()).select_from(Embedding).where(
        Embedding.owner_kind == "expert", Embedding.owner_id == expert.id)) == 0  # and its text is not re-embedded
    fresh = type(matcher)(app.extensions["hub.taxonomy"], "tfidf")
    assert expert.id not in {m.expert_id for m in fresh.rank(session, need, top_k=50).result.matches}

    _signed_in(client, "dx@city.shiojiri.lg.jp")
    assert "退会した専門家" not in client.get("/search/experts").get_data(as_text=True)
    assert "山田 花子" not in client.get("/search/experts?q=山田").get_data(as_text=True)
    for url in (f"/needs/{need.id}", f"/needs/{pending.need_id}"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and privacy.DELETED_NAME in html and "山田 花子" not in html
    profile = client.get(f"/experts/{expert.id}")
    html = profile.get_data(as_text=True)
    assert profile.status_code == 200 and "This expert deleted their account on" in html
    assert "090-1111-2222" not in html and "山田" not in html
    response = client.get(f"/needs/{need.id}/engagements/{worked.id}/evaluate")
    assert response.status_code in (200, 302)


# -- consent to be listed -------------------------------------------------------------------------------

SIGNUP = {"name": "佐藤 太郎", "email": "taro@example.jp", "talent_type": "XD", "password": PASSWORD,
          "confirm": PASSWORD}


@pytest.mark.parametrize("consent", [False, True])
def test_signup_lists_only_with_the_consent_box_ticked(client, session, consent):
    page = client.get("/account/signup/expert?lang=en").get_data(as_text=True)
    assert 'name="listing_consent"' in page and "not your e-mail or phone" in page
    response = post_form(client, "/account/signup/expert", SIGNUP | ({"listing_consent": "y"} if consent else {}))
    assert response.status_code == 302
    expert = session.scalar(select(User).where(User.email == "taro@example.jp")).expert
    assert expert.listed is consent and (expert.listing_consented_at is not None) is consent


def test_withdrawing_consent_unlists_and_giving_it_lists_again(app, client, session):
    expert = make_expert(session, EMAIL, hours_per_month=40, skills={"backend_dev": 3})
    need = nf.need(session, make_org(session, SHIOJIRI), skills={"backend_dev": 2}, hours_per_month=10)
    matcher = app.extensions["hub.matcher"]
    assert expert.id in {m.expert_id for m in matcher.rank(session, need, top_k=50).result.matches}
    _signed_in(client)
    form = {"visibility": "staff", "status": "active", "notify_opt_in": "y"}
    url = "/experts/me/profile/visibility"
    assert "Without this consent nobody finds you." in client.get(url).get_data(as_text=True)
    assert post_form(client, url, form).status_code == 302
    session.expire_all()
    assert expert.listed is False and expert.listing_consented_at is None
    assert expert.id not in {m.expert_id for m in matcher.rank(session, need, top_k=50).result.matches}
    assert "You are not listed" in client.get(PRIVACY).get_data(as_text=True)

    assert post_form(client, url, form | {"listed": "y"}).status_code == 302
    session.expire_all()
    assert expert.listed is True and expert.listing_consented_at is not None
    assert expert.id in {m.expert_id for m in matcher.rank(session, need, top_k=50).result.matches}
    actions = list(session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.in_(("expert.consent_listing", "expert.withdraw_listing"))).order_by(AuditEvent.id)))
    assert actions == ["expert.withdraw_listing", "expert.consent_listing"]


def test_a_listed_profile_without_consent_is_refused_by_the_database(session):
    expert = make_expert(session, EMAIL)
    expert.listing_consented_at = None
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.flush()


def test_a_deleted_expert_can_be_asked_for_nothing_new(app, session):
    """Their shortlist entries stay in the organization's history, but no contact request or engagement starts."""
    from hub.services import engagements
    from hub.services.errors import StateError

    with app.test_request_context():  # refusals carry the user's language
        expert, staff, need, asked, _pending, _worked, _imported = _rich_expert(session)
        shortlisted = contact_request(session, nf.need(session, need.organization, title="防災DX"), expert,
                                      state="shortlisted")
        privacy.delete_account(session, expert.user, expert, password=PASSWORD, confirmed=True)
        with pytest.raises(StateError) as refused:
            engagements.request_contact(session, None, shortlisted)
        assert refused.value.reason == "deleted"
        with pytest.raises(StateError) as refused:
            engagements.start_engagement(session, None, asked, role="開発", start=date(2027, 4, 1), end=None,
                                         hours_per_month=10)
        assert refused.value.reason == "deleted"
