"""API tokens: made on the account page or by `flask create-token`, stored hashed, revoked, and ended with the account."""
from __future__ import annotations

from flask import g
from sqlalchemy import select

from hub.cli import create_token_command
from hub.models import ApiToken
from hub.services import accounts, tokens
from tests.support import post_form
from tests.web.api_support import ApiClient, token_for
from tests.web.needs_factories import expert, login, org, user


def _works(app, token: str) -> int:
    return ApiClient(app.test_client(), token).get("/api/v1/taxonomy").status_code


def test_token_is_stored_hashed_and_works_until_revoked(app, session):
    staff = user(session, "org_staff", org(session))
    token = token_for(session, staff)
    row = session.scalar(select(ApiToken).where(ApiToken.user_id == staff.id))
    assert token.startswith("dxh_") and token not in (row.token_hash, row.prefix) and len(row.token_hash) == 64
    assert row.token_hash == tokens.hash_token(token) and token.startswith(row.prefix)
    assert _works(app, token) == 200
    tokens.revoke_token(session, staff, row)
    session.commit()
    assert _works(app, token) == 401


def test_password_change_deactivation_and_unverified_end_tokens(app, session):
    first, second, third = (user(session, "org_staff", org(session)) for _ in range(3))
    changed, deactivated, unverified = token_for(session, first), token_for(session, second), token_for(session, third)
    accounts.set_password(session, first, "a long new password 2026")
    second.is_active = False
    third.verified_at = None
    session.commit()
    assert [_works(app, t) for t in (changed, deactivated, unverified)] == [401, 401, 401]


def test_account_page_makes_shows_once_and_revokes_a_token(app, client, session):
    staff = user(session, "org_staff", org(session))
    session.commit()
    login(client, staff)
    page = client.get("/account/").get_data(as_text=True)
    assert 'id="api-tokens"' in page and "/api/v1/openapi.json" in page
    made = post_form(client, "/account/tokens/", {"name": "人材プール連携"}, form_url="/account/")
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    html = made.get_data(as_text=True)
    token = html.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("dxh_") and _works(app, token) == 200
    listing = client.get("/account/").get_data(as_text=True)
    assert "人材プール連携" in listing and token not in listing  # shown once, then only its prefix
    row = session.scalar(select(ApiToken).where(ApiToken.user_id == staff.id))
    assert post_form(client, f"/account/tokens/{row.id}/revoke", {}, form_url="/account/").status_code == 302
    assert _works(app, token) == 401
    assert "人材プール連携" not in client.get("/account/").get_data(as_text=True)


def test_nobody_revokes_another_users_token(app, client, session):
    owner, other = user(session, "org_staff", org(session)), user(session, "expert")
    token = token_for(session, owner)
    row = session.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    login(client, other)
    assert post_form(client, f"/account/tokens/{row.id}/revoke", {}, form_url="/account/").status_code == 404
    assert _works(app, token) == 200


def test_create_token_command_prints_only_the_token(app, session):
    staff = user(session, "org_staff", org(session))
    session.commit()
    result = app.test_cli_runner().invoke(create_token_command, [staff.email.upper()])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and token.startswith("dxh_") and "shown only now" in result.stderr
    assert _works(app, token) == 200
    missing = app.test_cli_runner().invoke(create_token_command, ["nobody@example.jp"])
    assert missing.exit_code != 0 and missing.stdout == ""


def test_a_token_request_is_the_tokens_user_whatever_cookies_it_carries(app, client, session):
    staff, other = user(session, "org_staff", org(session)), expert(session).user
    token = token_for(session, other)
    login(client, staff)  # the session names the staff member ...
    response = client.get("/api/v1/experts/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200  # ... the token the expert: the token wins
    g.pop("_login_user", None)  # the `session` fixture shares g across requests; a real request starts afresh
    assert client.get("/api/v1/experts/me", headers={"Authorization": "Bearer dxh_forged"}).status_code == 401
