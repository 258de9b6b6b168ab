"""Accounts: sign-up, login/logout, password reset, approval, CSRF and the language of the pages."""
from __future__ import annotations

import re

from sqlalchemy import select

from hub.models import ExpertProfile, Organization
from tests.support import csrf_token_from, post_form
from tests.web.web_accounts_support import (PASSWORD, SHIOJIRI, confirm_email, forget_current_user, login, make_expert,
                                            make_staff, make_user, user_by_email)

EXPERT_FORM = {"name": "佐藤 太郎", "email": "taro@example.jp", "talent_type": "XD", "password": PASSWORD,
               "confirm": PASSWORD}


def test_signup_expert_creates_account_and_empty_profile(app, client, session):
    response = post_form(client, "/account/signup/expert", EXPERT_FORM)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/signup/sent")
    user = user_by_email(session, "taro@example.jp")
    assert user.role == "expert" and user.is_approved and not user.is_verified
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash
    expert = session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user.id))
    assert expert.name == "佐藤 太郎" and expert.talent_type == "XD" and expert.external_id.startswith("W")
    confirm_email(client, app)
    forget_current_user()
    assert login(client, "taro@example.jp").headers["Location"].endswith("/experts/me")
    assert client.get("/experts/me").status_code == 200


def test_signup_form_with_errors_keeps_what_was_typed(client, session):
    response = post_form(client, "/account/signup/expert", {**EXPERT_FORM, "confirm": "something else"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="佐藤 太郎"' in html and 'value="taro@example.jp"' in html
    assert 'id="confirm-error"' in html and 'aria-invalid="true"' in html
    assert user_by_email(session, "taro@example.jp") is None


def test_signup_with_a_taken_email_answers_the_same_and_mails_the_owner(app, client, session):
    make_user(session, "taro@example.jp")
    response = post_form(client, "/account/signup/expert", {**EXPERT_FORM, "email": "Taro@Example.jp"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/signup/sent")
    mail = app.extensions["hub.outbox"][-1]
    assert mail["To"] == "taro@example.jp" and "/account/reset" in mail.get_content()
    assert "/account/verify/" not in mail.get_content()


def test_staff_signup_creates_the_municipality_and_waits_for_approval(app, client, session):
    response = post_form(client, "/account/signup/staff", {
        "name": "塩尻 職員", "email": "dx@city.shiojiri.lg.jp", "organization_code": SHIOJIRI,
        "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/signup/sent")
    user = user_by_email(session, "dx@city.shiojiri.lg.jp")
    assert user.role == "org_staff" and user.approved_at is None
    org = session.scalar(select(Organization).where(Organization.code == SHIOJIRI))
    assert org.kind == "municipality" and user.organization_id == org.id
    confirm_email(client, app)
    forget_current_user()
    assert login(client, "dx@city.shiojiri.lg.jp").headers["Location"].endswith("/account/waiting")
    assert client.get("/account/waiting").status_code == 200
    assert client.get("/search/experts").status_code == 403


def test_staff_signup_with_an_unknown_code_keeps_the_form(client, session):
    response = post_form(client, "/account/signup/staff", {
        "name": "某 職員", "email": "x@example.jp", "organization_code": "999999", "password": PASSWORD,
        "confirm": PASSWORD})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="organization_code-error"' in html and 'value="999999"' in html


def test_login_gives_the_same_message_for_a_wrong_password_and_an_unknown_email(client, session):
    make_user(session, "hanako@example.jp")
    wrong_password = login(client, "hanako@example.jp", "not the password").get_data(as_text=True)
    unknown = login(client, "nobody@example.jp").get_data(as_text=True)
    message = re.compile(r'class="flash flash-error"[^>]*>([^<]+)<')
    assert message.search(wrong_password).group(1) == message.search(unknown).group(1)
    assert client.get("/experts/me").status_code == 302  # still anonymous


def test_login_and_logout_journey(client, session):
    make_expert(session, "expert@example.jp")
    response = login(client, "expert@example.jp")
    assert response.status_code == 302 and response.headers["Location"].endswith("/experts/me")
    page = client.get("/experts/me")
    assert page.status_code == 200
    assert client.get("/account/logout").status_code == 405  # logging out is a POST
    response = client.post("/account/logout", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert response.status_code == 302
    assert client.get("/experts/me").status_code == 302


def test_login_never_redirects_to_another_site(client, session):
    make_user(session, "admin@example.jp", "admin")
    response = post_form(client, "/account/login?next=https://evil.example/", {
        "email": "admin@example.jp", "password": PASSWORD})
    assert "evil.example" not in response.headers["Location"]


def test_csrf_rejects_a_post_without_a_token(client, session):
    make_user(session, "hanako@example.jp")
    response = client.post("/account/login", data={"email": "hanako@example.jp", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/experts/me").status_code == 302


def _reset_link(app) -> str:
    mail = app.extensions["hub.outbox"][-1]
    return re.search(r"https?://\S+/account/reset/\S+", mail.get_content()).group(0)


def test_password_reset_journey(app, client, session):
    make_user(session, "hanako@example.jp")
    response = post_form(client, "/account/reset", {"email": "hanako@example.jp"})
    assert response.status_code == 302
    link = _reset_link(app).replace("http://hub.test", "")
    response = post_form(client, link, {"password": "a brand new passphrase", "confirm": "a brand new passphrase"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/login")
    assert login(client, "hanako@example.jp", "a brand new passphrase").status_code == 302
    # The token dies with the old password.
    assert client.get(link).headers["Location"].endswith("/account/reset")


def test_password_reset_for_an_unknown_email_answers_the_same_and_sends_nothing(app, client, session):
    response = post_form(client, "/account/reset", {"email": "nobody@example.jp"})
    assert response.status_code == 302
    assert not app.extensions.get("hub.outbox")


def test_password_reset_token_expires(app, client, session):
    make_user(session, "hanako@example.jp")
    post_form(client, "/account/reset", {"email": "hanako@example.jp"})
    link = _reset_link(app).replace("http://hub.test", "")
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    assert client.get(link).headers["Location"].endswith("/account/reset")


def test_admin_approves_waiting_staff(client, session):
    waiting = make_staff(session, "dx@city.shiojiri.lg.jp", approved=False)
    make_user(session, "admin@example.jp", "admin")
    login(client, "admin@example.jp")
    page = client.get("/admin/staff")
    assert "dx@city.shiojiri.lg.jp" in page.get_data(as_text=True)
    response = post_form(client, f"/admin/staff/{waiting.id}/approve", {}, form_url="/admin/staff")
    assert response.status_code == 302
    session.refresh(waiting)
    assert waiting.is_approved


def test_bureau_staff_approve_only_their_own_region(client, session):
    from hub.services.organizations import create_organization
    shinetsu = create_organization(session, "bureau", "信越総合通信局", "20", code="BUREAU-SHINETSU")
    make_user(session, "bureau@soumu.go.jp", "bureau_staff", organization=shinetsu)
    nagano = make_staff(session, "dx@city.shiojiri.lg.jp", approved=False)  # Nagano: Shinetsu
    tokyo = make_staff(session, "dx@city.chiyoda.lg.jp", lg_code="131016", approved=False)  # Tokyo: Kanto
    login(client, "bureau@soumu.go.jp")
    html = client.get("/admin/staff").get_data(as_text=True)
    assert "dx@city.shiojiri.lg.jp" in html and "dx@city.chiyoda.lg.jp" not in html
    assert post_form(client, f"/admin/staff/{tokyo.id}/approve", {}, form_url="/admin/staff").status_code == 403
    assert post_form(client, f"/admin/staff/{nagano.id}/approve", {}, form_url="/admin/staff").status_code == 302


def test_municipality_staff_cannot_open_approvals(client, session):
    make_staff(session, "dx@city.shiojiri.lg.jp")
    login(client, "dx@city.shiojiri.lg.jp")
    assert client.get("/admin/staff").status_code == 403


def test_pages_are_japanese_by_default(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="ja">' in html and "DX人材ハブ" in html


def test_lang_parameter_switches_to_english_and_is_remembered(client):
    assert '<html lang="en">' in client.get("/?lang=en").get_data(as_text=True)
    html = client.get("/account/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Log in" in html
    assert '<html lang="ja">' in client.get("/?lang=ja").get_data(as_text=True)


def test_language_follows_accept_language_until_chosen(client):
    html = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "DX Talent Hub" in html
    client.get("/?lang=ja")
    assert '<html lang="ja">' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_a_signed_in_user_keeps_the_chosen_language_on_the_account(app, session):
    user = make_user(session, "hanako@example.jp")
    first = app.test_client()
    login(first, "hanako@example.jp")
    forget_current_user()
    first.get("/?lang=en")
    session.refresh(user)
    assert user.locale == "en"
    forget_current_user()
    second = app.test_client()  # another device: the language comes with the login
    login(second, "hanako@example.jp")
    forget_current_user()
    assert '<html lang="en">' in second.get("/").get_data(as_text=True)


def test_form_errors_are_translated(client):
    response = post_form(client, "/account/login?lang=ja", {"email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert 'id="email-error"' in html
    assert "This field is required" not in html
