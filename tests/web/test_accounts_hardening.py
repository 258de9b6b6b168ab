"""Accounts hardened (issue 7, item 4): mailed links, trusted hosts, sessions ending on a password change, rate
limits, security headers, request size, the same answer for known and unknown e-mails, the password policy,
e-mail verification and the sign-up race. On SQLite and PostgreSQL (TEST_DATABASE_URL)."""
from __future__ import annotations

import io
import re
import socket
import uuid
from pathlib import Path

import pytest
from werkzeug.security import check_password_hash

from hub import create_app
from hub.config import load_config
from hub.extensions import limiter
from hub.mail import external_url
from hub.services import accounts
from tests.support import TEST_DATABASE_URL, csrf_token_from, post_form
from tests.web.web_accounts_support import (PASSWORD, confirm_email, forget_current_user, login, mailed_link,
                                            make_expert, make_user, user_by_email)

NEW_PASSWORD = "a brand new passphrase"
EXPERT_FORM = {"name": "佐藤 太郎", "email": "taro@example.jp", "talent_type": "XD", "password": PASSWORD,
               "confirm": PASSWORD}
HUB = Path(__file__).resolve().parents[2] / "hub"


def _outbox(app) -> list:
    return app.extensions.setdefault("hub.outbox", [])


def _signed_in(client) -> bool:
    forget_current_user()
    return client.get("/account/").status_code == 200


# --- links in mail and trusted hosts -----------------------------------------------------------------------
def test_a_forged_host_header_gets_400_and_no_mail(app, client, session):
    make_user(session, "hanako@example.jp")
    response = client.post("/account/reset", data={"email": "hanako@example.jp"},
                           headers={"Host": "attacker.example"})
    assert response.status_code == 400
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 400
    assert not _outbox(app)
    assert client.get("/", headers={"Host": "localhost:5000"}).status_code == 200  # loopback stays trusted


def test_mailed_links_come_from_public_url_even_for_a_trusted_other_host(app, client, session):
    """Even where the proxy lets another host name through, links in mail name PUBLIC_URL only."""
    app.config["TRUSTED_HOSTS"] = ["hub.test", "attacker.example"]
    app.config["PUBLIC_URL"] = "https://hub.example.jp/talent"
    make_user(session, "hanako@example.jp")
    session.commit()
    headers = {"Host": "attacker.example"}

    def post(url, data):
        token = csrf_token_from(client.get(url, headers=headers).get_data(as_text=True))
        assert client.post(url, data={**data, "csrf_token": token}, headers=headers).status_code == 302

    post("/account/reset", {"email": "hanako@example.jp"})
    post("/account/signup/expert", EXPERT_FORM)
    post("/account/signup/expert", {**EXPERT_FORM, "email": "hanako@example.jp"})
    mails = _outbox(app)
    assert [m["To"] for m in mails] == ["hanako@example.jp", "taro@example.jp", "hanako@example.jp"]
    for mail in mails:
        body = mail.get_content()
        assert "attacker.example" not in body
        assert re.findall(r"https?://\S+", body) and all(
            link.startswith("https://hub.example.jp/talent/account/") for link in re.findall(r"https?://\S+", body))


def test_external_url_uses_the_public_url_path(app):
    app.config["PUBLIC_URL"] = "https://hub.example.jp/talent/"
    with app.app_context():
        assert external_url("auth.login") == "https://hub.example.jp/talent/account/login"
        assert external_url("needs.detail", need_id=7) == "https://hub.example.jp/talent/needs/7"


def test_config_reads_hosts_and_cookie_flags_from_the_environment():
    config = load_config({"TRUSTED_HOSTS": "hub.example.jp, .lg.jp ,", "SESSION_COOKIE_SECURE": "true",
                          "REMEMBER_COOKIE_SECURE": "1", "HSTS_SECONDS": "31536000",
                          "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/3", "MAX_CONTENT_LENGTH": "50000000",
                          "PUBLIC_URL": "https://hub.example.jp"})
    assert config["TRUSTED_HOSTS"] == ["hub.example.jp", ".lg.jp"]
    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True
    assert config["HSTS_SECONDS"] == 31536000 and config["MAX_CONTENT_LENGTH"] == 50_000_000
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"
    defaults = load_config({})
    assert defaults["SESSION_COOKIE_SECURE"] is False and defaults["TRUSTED_HOSTS"] is None
    assert defaults["RATELIMIT_STORAGE_URI"] == "memory://"


# --- a password change or reset ends every other session --------------------------------------------------
def test_changing_the_password_ends_every_other_session_and_remember_me_cookie(app, session):
    make_expert(session, "hanako@example.jp")
    session.commit()
    here, other, remembered = app.test_client(), app.test_client(), app.test_client()
    for client in (here, other):
        forget_current_user()
        login(client, "hanako@example.jp")
    forget_current_user()
    post_form(remembered, "/account/login", {"email": "hanako@example.jp", "password": PASSWORD, "remember": "y"})
    assert remembered.get_cookie("remember_token", domain="hub.test") is not None
    remembered.delete_cookie("session", domain="hub.test")  # the browser was closed: only the cookie is left
    assert _signed_in(remembered) and _signed_in(other)

    forget_current_user()
    response = post_form(here, "/account/", {"current": PASSWORD, "password": NEW_PASSWORD,
                                             "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/")
    assert _signed_in(here)  # this device carries on
    assert not _signed_in(other)
    remembered.delete_cookie("session", domain="hub.test")
    assert not _signed_in(remembered)
    forget_current_user()
    assert login(other, "hanako@example.jp", NEW_PASSWORD).status_code == 302


def test_a_password_reset_ends_every_session(app, client, session):
    make_user(session, "hanako@example.jp")
    session.commit()
    elsewhere = app.test_client()
    login(elsewhere, "hanako@example.jp")
    assert _signed_in(elsewhere)
    forget_current_user()
    post_form(client, "/account/reset", {"email": "hanako@example.jp"})
    link = mailed_link(app, "/account/reset/")
    forget_current_user()
    response = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.headers["Location"].endswith("/account/login")
    assert not _signed_in(elsewhere)


def test_the_password_change_page_checks_the_current_password_and_the_policy(client, session):
    user = make_user(session, "hanako@example.jp")
    login(client, "hanako@example.jp")
    forget_current_user()
    html = post_form(client, "/account/?lang=en", {"current": "not it at all", "password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD}).get_data(as_text=True)
    assert 'id="current-error"' in html and "This is not your current password." in html
    forget_current_user()
    html = post_form(client, "/account/?lang=en", {"current": PASSWORD, "password": "hanako@example.jp",
                                                   "confirm": "hanako@example.jp"}).get_data(as_text=True)
    assert 'id="password-error"' in html and "must not be your email address" in html
    assert _passwords_not_echoed(html)
    session.refresh(user)
    assert check_password_hash(user.password_hash, PASSWORD) and user.auth_version == 1  # unchanged


def _passwords_not_echoed(html: str) -> bool:
    tags = re.findall(r'<input[^>]*type="password"[^>]*>', html)
    return bool(tags) and all('value=""' in tag or "value=" not in tag for tag in tags)


# --- the password policy ----------------------------------------------------------------------------------
@pytest.mark.parametrize("password, message", [
    ("password1234", "one of the most common ones"),
    ("QWERTYUIOP", "one of the most common ones"),
    ("taro@example.jp", "must not be your email address"),
    ("short", "Use between 10 and 200 characters."),
])
def test_signup_refuses_weak_passwords_beside_the_field_and_keeps_the_rest(client, session, password, message):
    response = post_form(client, "/account/signup/expert?lang=en",
                         {**EXPERT_FORM, "password": password, "confirm": password})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and user_by_email(session, "taro@example.jp") is None
    error = re.search(r'id="password-error">([^<]+)<', html).group(1)
    assert message in error
    assert 'value="佐藤 太郎"' in html and 'value="taro@example.jp"' in html
    assert _passwords_not_echoed(html)


def test_the_policy_messages_are_translated(client):
    html = post_form(client, "/account/signup/expert?lang=ja",
                     {**EXPERT_FORM, "password": "password1234", "confirm": "password1234"}).get_data(as_text=True)
    error = re.search(r'id="password-error">([^<]+)<', html).group(1)
    assert "common" not in error and "。" in error


def test_the_common_password_list_ships_with_the_hub():
    from hub.passwords import common_passwords
    words = common_passwords()
    assert len(words) > 5000 and "password1234" in words and "1qaz2wsx3edc" in words
    assert all(word == word.lower() for word in words)


# --- the same answer for known and unknown e-mails; mail failures ----------------------------------------
def _flash(response) -> str:
    return re.search(r'class="flash flash-\w+"[^>]*>([^<]+)<', response.get_data(as_text=True)).group(1)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once closed


@pytest.mark.parametrize("smtp_down", [False, True])
def test_reset_answers_the_same_for_known_and_unknown_emails(app, client, session, smtp_down, caplog):
    if smtp_down:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_closed_port())
    make_user(session, "hanako@example.jp")
    session.commit()
    known = post_form(client, "/account/reset", {"email": "hanako@example.jp"})
    known_flash = _flash(client.get(known.headers["Location"]))
    unknown = post_form(client, "/account/reset", {"email": "nobody@example.jp"})
    unknown_flash = _flash(client.get(unknown.headers["Location"]))
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] and known_flash == unknown_flash
    assert [m["To"] for m in _outbox(app)] == ["hanako@example.jp"]
    if smtp_down:
        assert "could not be sent" in caplog.text


@pytest.mark.parametrize("smtp_down", [False, True])
def test_signup_answers_the_same_for_a_new_and_a_taken_email(app, client, session, smtp_down):
    if smtp_down:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_closed_port())
    make_user(session, "hanako@example.jp")
    session.commit()
    new = post_form(client, "/account/signup/expert", EXPERT_FORM)
    new_page = client.get(new.headers["Location"]).get_data(as_text=True)
    taken = post_form(client, "/account/signup/expert", {**EXPERT_FORM, "email": "hanako@example.jp"})
    taken_page = client.get(taken.headers["Location"]).get_data(as_text=True)
    assert new.status_code == taken.status_code == 302 and new.headers["Location"] == taken.headers["Location"]
    assert new_page.replace("taro@example.jp", "X") == taken_page.replace("hanako@example.jp", "X")
    to_new, to_owner = _outbox(app)
    assert to_new["To"] == "taro@example.jp" and "/account/verify/" in to_new.get_content()
    assert to_owner["To"] == "hanako@example.jp" and "/account/reset" in to_owner.get_content()
    assert user_by_email(session, "taro@example.jp") is not None


def test_two_signups_with_one_email_at_once_give_the_normal_answer(client, session, monkeypatch):
    """The loser of the race passes the "is it taken?" check, then its INSERT hits the unique e-mail."""
    make_user(session, "taro@example.jp")
    session.commit()
    monkeypatch.setattr(accounts, "find_user", lambda _session, _email: None)
    response = post_form(client, "/account/signup/expert", EXPERT_FORM)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/signup/sent")
    assert client.get("/account/signup/sent").status_code == 200


# --- e-mail verification ----------------------------------------------------------------------------------
def test_an_unverified_account_can_sign_in_but_only_sees_the_page_asking_to_verify(app, client, session):
    make_expert(session, "hanako@example.jp").user.verified_at = None
    session.commit()
    response = login(client, "hanako@example.jp")
    assert response.headers["Location"].endswith("/account/verify")
    for path in ("/experts/me", "/", "/search/experts", "/account/"):
        forget_current_user()
        assert client.get(path).headers["Location"].endswith("/account/verify"), path
    forget_current_user()
    api = client.get("/api/v1/needs/N1/matches")
    assert api.status_code == 403 and api.is_json
    forget_current_user()
    page = client.get("/account/verify?lang=en")
    assert page.status_code == 200 and "Send the link again" in page.get_data(as_text=True)
    forget_current_user()
    client.post("/account/verify/send", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    link = mailed_link(app, "/account/verify/")
    forget_current_user()
    assert client.get(link).status_code == 200  # GET only shows the button: link scanners confirm nothing
    session.expire_all()
    assert not user_by_email(session, "hanako@example.jp").is_verified
    forget_current_user()
    assert post_form(client, link, {}).headers["Location"].endswith("/experts/me")
    forget_current_user()
    assert client.get("/experts/me").status_code == 200


def test_a_verification_link_dies_with_age_and_with_a_changed_email(app, client, session):
    user = make_user(session, "hanako@example.jp", verified=False)
    token = accounts.make_verify_token(app.config["SECRET_KEY"], user)
    assert accounts.user_from_verify_token(session, "test", token, 60) is user
    assert accounts.user_from_verify_token(session, "test", token, -1) is None
    assert accounts.user_from_verify_token(session, "test", token + "x", 60) is None
    user.email = "other@example.jp"
    assert accounts.user_from_verify_token(session, "test", token, 60) is None
    assert client.get(f"/account/verify/{token}").headers["Location"].endswith("/account/login")


def test_signup_mails_a_link_and_the_link_confirms(app, client, session):
    post_form(client, "/account/signup/expert", EXPERT_FORM)
    assert not user_by_email(session, "taro@example.jp").is_verified
    confirm_email(client, app)
    session.expire_all()
    assert user_by_email(session, "taro@example.jp").is_verified


# --- security headers -------------------------------------------------------------------------------------
def test_pages_carry_a_strict_csp_and_the_other_security_headers(client):
    response = client.get("/")
    csp = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert csp["frame-ancestors"] == "'none'" and csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # the embedded default runs on http://


def test_hsts_and_secure_cookies_only_when_configured(connection):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": TEST_DATABASE_URL,
                      "EMBEDDING_BACKEND": "tfidf", "AUTO_MIGRATE": False, "SERVER_NAME": "hub.test",
                      "PUBLIC_URL": "https://hub.test", "HSTS_SECONDS": 3600, "SESSION_COOKIE_SECURE": True,
                      "RATELIMIT_ENABLED": False})
    response = app.test_client().get("/account/login", base_url="https://hub.test")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=3600")
    assert "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]


INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "on* attribute": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.I),
    "style element": re.compile(r"<style\b", re.I),
}


def test_no_template_or_static_file_needs_what_the_csp_forbids():
    files = [*HUB.glob("templates/**/*.html"), *HUB.glob("static/**/*.*")]
    assert len(files) > 20
    found = [f"{path.relative_to(HUB)}: {name}" for path in files for name, pattern in INLINE.items()
             if path.suffix != ".css" and pattern.search(path.read_text(encoding="utf-8"))]
    assert found == []


# --- request size -----------------------------------------------------------------------------------------
class CountingStream(io.RawIOBase):
    """A body of `size` bytes that counts what the app reads of it (seekable: the test client asks its size)."""

    def __init__(self, size: int):
        self.size, self.pos, self.read_bytes = size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = {0: offset, 1: self.pos + offset, 2: self.size + offset}[whence]
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, buffer) -> int:
        n = max(0, min(len(buffer), self.size - self.pos))
        buffer[:n] = b"a" * n
        self.pos += n
        self.read_bytes += n
        return n


@pytest.mark.parametrize("path, json", [("/account/login", False), ("/account/login", True),
                                        ("/api/v1/needs/N1/matches", True)])
def test_a_20_mb_post_gets_413_without_being_read(client, path, json):
    size = 20 * 1024 * 1024
    body = CountingStream(size)
    headers = {"Accept": "application/json"} if json else {"Accept-Language": "ja"}
    response = client.post(path, input_stream=body, content_length=size,
                           content_type="application/x-www-form-urlencoded", headers=headers)
    assert response.status_code == 413
    assert body.read_bytes < 64 * 1024
    if json:
        assert response.is_json and response.json["error"] == "Request Entity Too Large"
    else:
        html = response.get_data(as_text=True)
        assert "<h1>" in html and "Request Entity Too Large" not in html and "。" in html


def test_a_huge_text_field_in_a_multipart_form_gets_413(client):
    """Under the body limit, but one text field above MAX_FORM_MEMORY_SIZE: not kept in memory either."""
    body = (b'--b\r\nContent-Disposition: form-data; name="password"\r\n\r\n' + b"x" * 1_000_000
            + b"\r\n--b--\r\n")
    response = client.post("/account/login", data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413


# --- rate limits (the only tests with the limiter on) -----------------------------------------------------
def _limited_app(connection, **config):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": TEST_DATABASE_URL,
                      "EMBEDDING_BACKEND": "tfidf", "AUTO_MIGRATE": False, "MAIL_SERVER": None,
                      "SERVER_NAME": "hub.test", "PUBLIC_URL": "http://hub.test", "RATELIMIT_ENABLED": True,
                      **config})
    app.extensions["hub.sessionmaker"].configure(bind=connection, join_transaction_mode="create_savepoint")
    limiter.reset()
    return app


@pytest.fixture
def limited_app(connection):
    app = _limited_app(connection)
    yield app
    limiter.reset()


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def redis_limited_app(connection):
    if not _redis_reachable():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    app = _limited_app(connection, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/3",
                       RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex[:8]}")
    yield app
    limiter.reset()


def _thirty_wrong_passwords(app) -> list:
    from hub.db import get_session
    with app.app_context():
        session = get_session()
        make_user(session, "hanako@example.jp")
        session.commit()
    client = app.test_client()
    token = csrf_token_from(client.get("/account/login").get_data(as_text=True))
    statuses = [client.post("/account/login", data={"email": "hanako@example.jp", "password": f"wrong {i}",
                                                    "csrf_token": token}, headers={"Accept-Language": "ja"})
                for i in range(30)]
    right = client.post("/account/login", data={"email": "hanako@example.jp", "password": PASSWORD,
                                                "csrf_token": token})
    return statuses + [right]


@pytest.mark.parametrize("fixture", ["limited_app", "redis_limited_app"])
def test_the_30th_wrong_password_in_a_minute_gets_429(request, fixture):
    app = request.getfixturevalue(fixture)
    responses = _thirty_wrong_passwords(app)
    codes = [r.status_code for r in responses]
    assert codes[:10] == [200] * 10 and set(codes[10:]) == {429}  # even the right password, within the minute
    page = responses[29]
    html = page.get_data(as_text=True)
    assert "Retry-After" in page.headers and "<h1>" in html and "Too Many Requests" not in html and "。" in html


def test_the_login_limit_per_address_holds_across_emails(limited_app):
    client = limited_app.test_client()
    token = csrf_token_from(client.get("/account/login").get_data(as_text=True))
    codes = [client.post("/account/login", data={"email": f"user{i}@example.jp", "password": "wrong",
                                                 "csrf_token": token}).status_code for i in range(21)]
    assert codes[:20] == [200] * 20 and codes[20] == 429
    other = limited_app.test_client()  # another address
    other_token = csrf_token_from(other.get("/account/login").get_data(as_text=True))
    assert other.post("/account/login", data={"email": "x@example.jp", "password": "wrong",
                                              "csrf_token": other_token},
                      environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200


def test_the_429_answer_is_json_for_json_clients(limited_app):
    client = limited_app.test_client()
    token = csrf_token_from(client.get("/account/login").get_data(as_text=True))
    for _ in range(10):
        client.post("/account/login", data={"email": "a@example.jp", "password": "x", "csrf_token": token})
    response = client.post("/account/login", data={"email": "a@example.jp", "password": "x", "csrf_token": token},
                           headers={"Accept": "application/json"})
    assert response.status_code == 429 and response.json["error"] == "Too Many Requests"


def test_signup_and_reset_are_limited_per_email(limited_app):
    client = limited_app.test_client()
    token = csrf_token_from(client.get("/account/reset").get_data(as_text=True))
    codes = [client.post("/account/reset", data={"email": "hanako@example.jp", "csrf_token": token},
                         environ_base={"REMOTE_ADDR": f"192.0.2.{i}"}).status_code for i in range(6)]
    assert codes == [302] * 5 + [429]  # five mails an hour to one address at most, from anywhere
    codes = [client.post("/account/signup/expert", data={**EXPERT_FORM, "password": "x", "csrf_token": token},
                         environ_base={"REMOTE_ADDR": f"198.51.100.{i}"}).status_code for i in range(6)]
    assert codes == [200] * 5 + [429]


def test_send_again_is_limited_per_account(limited_app):
    from hub.db import get_session
    with limited_app.app_context():
        session = get_session()
        make_user(session, "hanako@example.jp", verified=False)
        session.commit()
    client = limited_app.test_client()
    login(client, "hanako@example.jp")
    token = csrf_token_from(client.get("/account/verify").get_data(as_text=True))
    codes = [client.post("/account/verify/send", data={"csrf_token": token}).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]
    assert len(_outbox(limited_app)) == 3


# --- the sign-up race, for real (PostgreSQL: concurrent transactions) ----------------------------------------
@pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"), reason="concurrent transactions: PostgreSQL")
def test_two_concurrent_signups_with_one_email_both_get_the_normal_answer(engine, monkeypatch, caplog):
    """Both sign-ups pass the "is it taken?" check before either inserts (a barrier makes sure); the second
    INSERT waits on the unique e-mail until the first commits, then fails: it must answer like the first."""
    import threading

    from sqlalchemy import delete, select

    from hub.models import AuditEvent, ExpertProfile, User

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": TEST_DATABASE_URL,
                      "EMBEDDING_BACKEND": "tfidf", "AUTO_MIGRATE": False, "MAIL_SERVER": None,
                      "SERVER_NAME": "hub.test", "PUBLIC_URL": "http://hub.test", "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False})
    email = f"race-{uuid.uuid4().hex[:8]}@example.jp"
    barrier = threading.Barrier(2, timeout=20)
    real_find_user = accounts.find_user

    def find_then_wait(session, address):
        found = real_find_user(session, address)
        barrier.wait()
        return found

    monkeypatch.setattr(accounts, "find_user", find_then_wait)
    answers: list = []
    caplog.set_level("INFO")

    def sign_up() -> None:
        response = app.test_client().post("/account/signup/expert", data={**EXPERT_FORM, "email": email})
        answers.append((response.status_code, response.headers.get("Location")))

    threads = [threading.Thread(target=sign_up) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert answers == [(302, "/account/signup/sent")] * 2
        assert "lost a race" in caplog.text  # the IntegrityError really happened, and was answered
        with app.extensions["hub.sessionmaker"]() as session:
            users = session.scalars(select(User).where(User.email == email)).all()
            assert len(users) == 1
    finally:
        with app.extensions["hub.sessionmaker"]() as session:
            for user in session.scalars(select(User).where(User.email == email)):
                session.execute(delete(AuditEvent).where(AuditEvent.user_id == user.id))
                for expert in session.scalars(select(ExpertProfile).where(ExpertProfile.user_id == user.id)):
                    session.delete(expert)
                session.flush()
                session.delete(user)
            session.commit()
        app.extensions["hub.engine"].dispose()
