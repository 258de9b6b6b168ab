"""An error page never crashes: the request's failed transaction is rolled back before the page renders, and
when even the page cannot render, a bare page still answers (never a traceback)."""
from __future__ import annotations

from datetime import date

import pytest

from hub import errors
from hub.db import get_session
from hub.models import Need
from tests.web.needs_factories import login, org, user

BOOM = "/test-only/database-error"


@pytest.fixture
def failing_app(app):
    """The app as in production (exceptions become the 500 page) with a view whose write fails in the database."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def database_error():
        session = get_session()
        organization = org(session)
        # Past the INTEGER column and its CHECK: PostgreSQL refuses it (out of range), SQLite by the CHECK.
        session.add(Need(external_id="BOOM", organization=organization, title="t", work_style="remote",
                         location_lg_code=organization.lg_code, hours_per_month=1, start_date=date(2027, 4, 1),
                         engagement_form="contract", budget_unit="month", budget_max=3_000_000_000))
        session.flush()
        return "unreachable"

    app.add_url_rule(BOOM, view_func=database_error)
    app.add_url_rule("/api/v1" + BOOM, endpoint="api_database_error", view_func=database_error)
    return app


def _signed_in_staff(client, session):
    staff = user(session, "org_staff", org(session))
    login(client, staff)
    return staff


def test_error_page_after_a_database_error_mid_request_is_the_500_page(failing_app):
    """Each request in its own app context and session, as in production: the page header then loads the
    user's organization from the database, which fails on PostgreSQL unless the failed transaction ended."""
    with failing_app.app_context():
        session = get_session()
        staff = user(session, "org_staff", org(session, "202029"))
        name, organization = staff.display_name, staff.organization.name
        session.commit()
    client = failing_app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie["_fresh"] = staff.get_id(), True
    response = client.get(BOOM + "?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in html and "Traceback" not in html
    assert name in html and organization in html  # the full page with its header: the session was rolled back
    assert client.get("/").status_code == 200  # and the next request works as usual


def test_error_page_in_json_for_the_api(failing_app, session):
    client = failing_app.test_client()
    _signed_in_staff(client, session)
    response = client.get("/api/v1" + BOOM)
    assert response.status_code == 500 and response.is_json
    assert response.get_json()["error"] == "Internal Server Error"


def test_error_page_falls_back_to_a_bare_page_when_the_template_fails(failing_app, session, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the template needs the database, which is gone")
    monkeypatch.setattr(errors, "render_template", broken)
    client = failing_app.test_client()
    response = client.get(BOOM)
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<h1>" in html and "Traceback" not in html
    assert client.get("/no-such-page").status_code == 404  # other codes fall back the same way


def test_error_page_renders_when_even_the_rollback_fails(failing_app, session, monkeypatch):
    client = failing_app.test_client()
    _signed_in_staff(client, session)

    def gone(self):
        raise ConnectionError("the database went away")
    monkeypatch.setattr(type(session), "rollback", gone)
    response = client.get(BOOM)
    assert response.status_code == 500
    assert "Traceback" not in response.get_data(as_text=True)
