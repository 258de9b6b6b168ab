"""The admin's users page (filters, approve, refuse with a reason, deactivate, reactivate) and audit page."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.db import utcnow
from hub.models import AuditEvent
from hub.permissions import PermissionDenied
from hub.services import accounts, audit
from hub.services.errors import Refused, StateError
from tests.support import post_form
from tests.web.web_accounts_support import forget_current_user
from tests.web.needs_factories import MATSUMOTO, login, org, user


def post(client, url: str, data: dict | None = None):
    """Post from the users page with its CSRF token, as the admin's browser does (each client its own request
    state: the tests share one app context)."""
    forget_current_user()
    return post_form(client, url, data or {}, form_url="/admin/users")


@pytest.fixture
def people(session):
    shiojiri = org(session)
    return {
        "admin": user(session, "admin", locale="ja"),
        "waiting": user(session, "org_staff", shiojiri, approved=False, locale="ja"),
        "staff": user(session, "org_staff", org(session, MATSUMOTO), locale="ja"),
        "expert": user(session, "expert", locale="ja"),
    }


def _events(session, action):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_users_page_filters_by_status_role_and_words(client, session, people):
    login(client, people["admin"])
    html = client.get("/admin/users?status=pending&lang=ja").get_data(as_text=True)
    assert people["waiting"].email in html and people["staff"].email not in html
    assert "承認待ち" in html or "承認" in html
    html = client.get("/admin/users?role=expert").get_data(as_text=True)
    assert people["expert"].email in html and people["waiting"].email not in html
    html = client.get("/admin/users?q=松本").get_data(as_text=True)  # the organization's name
    assert people["staff"].email in html and people["expert"].email not in html
    assert client.get("/admin/users?status=nonsense&page=-4&q=" + "x" * 500).status_code == 200


def test_users_page_pages(session, people):
    for _ in range(7):
        user(session, "expert")
    first = accounts.list_users(session, role="expert", per_page=5)
    second = accounts.list_users(session, role="expert", per_page=5, page=2)
    assert first.total == 8 and first.pages == 2 and len(first.users) == 5 and len(second.users) == 3
    assert not {u.id for u in first.users} & {u.id for u in second.users}
    assert accounts.list_users(session, role="expert", per_page=5, page=99).page == 2


def test_refusing_a_sign_up_needs_a_reason_closes_the_account_and_mails_why(app, client, session, people):
    login(client, people["admin"])
    waiting = people["waiting"]
    response = post(client, f"/admin/staff/{waiting.id}/reject", {"reason": "  "})
    assert response.status_code == 302
    session.refresh(waiting)
    assert waiting.is_active and waiting.rejected_at is None
    version = waiting.auth_version
    response = post(client, f"/admin/staff/{waiting.id}/reject",
                           data={"reason": "塩尻市の職員であることを確認できませんでした。",
                                 "back": "/admin/users?status=pending"})
    assert response.headers["Location"].endswith("/admin/users?status=pending")
    session.refresh(waiting)
    assert not waiting.is_active and waiting.rejected_at is not None and waiting.auth_version == version + 1
    assert waiting.rejection_reason == "塩尻市の職員であることを確認できませんでした。"
    mail = app.extensions["hub.outbox"][-1]
    assert mail["To"] == waiting.email and "確認できませんでした" in mail.get_content()
    assert "承認されませんでした" in mail["Subject"]
    [event] = _events(session, "user.reject")
    assert event.user_id == people["admin"].id and event.entity_id == str(waiting.id)
    with app.test_request_context(), pytest.raises(StateError):  # twice
        accounts.reject_staff(session, people["admin"], waiting, "again")


def test_refusing_is_for_approvers_and_not_for_approved_accounts(app, session, people):
    with app.test_request_context(), pytest.raises(PermissionDenied):
        accounts.reject_staff(session, people["staff"], people["waiting"], "no")
    with app.test_request_context(), pytest.raises(StateError):
        accounts.reject_staff(session, people["admin"], people["staff"], "already approved")
    with app.test_request_context(), pytest.raises(Refused):
        accounts.reject_staff(session, people["admin"], people["waiting"], "長" * 501)


def test_a_bad_back_target_goes_to_the_approvals_page(client, people):
    login(client, people["admin"])
    response = post(client, f"/admin/staff/{people['waiting'].id}/approve", {"back": "//evil.example/admin/users"})
    assert response.headers["Location"].endswith("/admin/staff")


def test_deactivation_ends_the_sessions_at_once_and_reactivation_lets_the_person_log_in(app, session, people):
    staff = people["staff"]
    officer = app.test_client()
    login(officer, staff)
    assert officer.get("/needs/new").status_code == 200
    admin = app.test_client()
    login(admin, people["admin"])
    assert post(admin, f"/admin/users/{staff.id}/deactivate").status_code == 302
    session.refresh(staff)
    assert not staff.is_active
    forget_current_user()
    response = officer.get("/needs/new")  # the same cookie now names nobody
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert post(admin, f"/admin/users/{staff.id}/reactivate").status_code == 302
    session.refresh(staff)
    assert staff.is_active
    forget_current_user()
    response = officer.get("/needs/new")  # the old cookie stays dead: the auth version moved
    assert response.status_code == 302
    assert [e.entity_id for e in _events(session, "user.deactivate")] == [str(staff.id)]
    assert [e.entity_id for e in _events(session, "user.reactivate")] == [str(staff.id)]


def test_an_admin_cannot_deactivate_themself_and_states_are_checked(app, client, session, people):
    admin = people["admin"]
    with pytest.raises(PermissionDenied):
        accounts.deactivate_user(session, admin, admin)
    login(client, admin)
    assert post(client, f"/admin/users/{admin.id}/deactivate").status_code == 403
    with app.test_request_context(), pytest.raises(StateError):
        accounts.reactivate_user(session, admin, people["staff"])
    accounts.deactivate_user(session, admin, people["staff"])
    with app.test_request_context(), pytest.raises(StateError):
        accounts.deactivate_user(session, admin, people["staff"])


def test_reactivating_a_refused_sign_up_puts_it_back_in_the_queue(session, people):
    admin, waiting = people["admin"], people["waiting"]
    accounts.reject_staff(session, admin, waiting, "確認できません")
    assert waiting not in accounts.pending_staff(session, admin)
    accounts.reactivate_user(session, admin, waiting)
    assert waiting.rejected_at is None and waiting.rejection_reason is None
    assert waiting in accounts.pending_staff(session, admin)


def test_audit_page_filters_by_actor_entity_verb_and_date_and_pages(client, session, people):
    admin = people["admin"]
    accounts.approve_staff(session, admin, people["waiting"])
    audit.record(session, None, "expert.remind_availability", "expert", 7)
    old = audit.record(session, people["staff"], "need.publish", "need", 3)
    old.created_at = utcnow() - timedelta(days=40)
    session.flush()
    login(client, admin)
    html = client.get(f"/admin/audit?actor={admin.email}&lang=ja").get_data(as_text=True)
    assert "<code>user.approve</code>" in html and "<code>need.publish</code>" not in html
    html = client.get("/admin/audit?actor=system").get_data(as_text=True)
    assert "<code>expert.remind_availability</code>" in html and "<code>user.approve</code>" not in html
    html = client.get("/admin/audit?entity=need").get_data(as_text=True)
    assert "<code>need.publish</code>" in html and "<code>user.approve</code>" not in html
    html = client.get("/admin/audit?verb=approve").get_data(as_text=True)
    assert "<code>user.approve</code>" in html and "<code>need.publish</code>" not in html
    since = (utcnow() - timedelta(days=2)).date().isoformat()
    html = client.get(f"/admin/audit?since={since}").get_data(as_text=True)
    assert "<code>user.approve</code>" in html and "<code>need.publish</code>" not in html
    until = (utcnow() - timedelta(days=30)).date().isoformat()
    html = client.get(f"/admin/audit?until={until}").get_data(as_text=True)
    assert "<code>need.publish</code>" in html and "<code>user.approve</code>" not in html
    for bad in ("since=2026-13-45", "entity=nothing", "page=abc", "until=0202-01-01"):
        assert client.get(f"/admin/audit?{bad}&lang=ja").status_code == 200
    for _ in range(4):
        audit.record(session, admin, "user.approve", "user", 1)
    page = audit.search_events(session, verb="user.approve", per_page=2)
    assert page.total == 5 and page.pages == 3 and len(page.events) == 2


# -- staff sign up by the organization's name ----------------------------------------------------------------

@pytest.mark.parametrize("typed", ["長野県松本市", "松本市", "まつもとし", "マツモトシ", "202029"])
def test_staff_sign_up_takes_the_organization_by_name_reading_or_code(session, typed):
    staff = accounts.sign_up_staff(session, email=f"{typed.encode().hex()[:12]}@city.example.jp",
                                   password="a long password 2026", name="松本 一郎", organization_code=typed)
    assert staff.organization.lg_code == "202029" and staff.organization.name == "長野県松本市"
    assert staff.approved_at is None


def test_staff_sign_up_by_name_names_the_places_a_shared_name_means(session):
    with pytest.raises(accounts.AmbiguousOrganization) as caught:
        accounts.resolve_organization(session, "府中市")
    assert set(caught.value.options) == {"東京都府中市", "広島県府中市"}
    with pytest.raises(accounts.UnknownOrganization):
        accounts.resolve_organization(session, "存在しない市")
    with pytest.raises(accounts.UnknownOrganization):
        accounts.resolve_organization(session, "123456")


def test_staff_sign_up_page_suggests_names_and_explains_a_shared_name(client):
    page = client.get("/account/signup/staff?lang=ja").get_data(as_text=True)
    assert 'list="organization-suggestions"' in page
    assert '<option value="長野県松本市" label="まつもとし">' in page
    response = post_form(client, "/account/signup/staff?lang=ja", {
        "name": "府中 花子", "email": "hanako@city.fuchu.example.jp", "organization_code": "府中市",
        "password": "a long password 2026", "confirm": "a long password 2026"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "東京都府中市" in page and "広島県府中市" in page
    assert 'value="府中市"' in page  # what was typed stays


def test_expert_sign_up_explains_x_and_d(client):
    page = client.get("/account/signup/expert?lang=ja").get_data(as_text=True)
    assert "X人材：地域社会の変革を主導する" in page and "D人材：デジタル技術の知識を持ち" in page
