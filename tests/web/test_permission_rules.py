"""The rules of hub/permissions.py as people meet them: candidates, drafts, contact details, 403 pages and JSON."""
from __future__ import annotations

from flask import Blueprint

from hub import create_app, permissions
from hub.db import utcnow
from hub.models import ShortlistEntry
from hub.services.organizations import create_organization
from tests.support import TEST_DATABASE_URL
from tests.web.needs_factories import MATSUMOTO, expert, login, need, org, user


def _shinetsu_bureau(session):
    return create_organization(session, "bureau", "信越総合通信局", "20", code="BUREAU-SHINETSU")


def _need_with_accepted_contact(session):
    shiojiri = org(session)
    owner = user(session, "org_staff", shiojiri)
    row = need(session, shiojiri, skills={"backend_dev": 3})
    strong = expert(session, name="強い 候補", skills={"backend_dev": 4}, phone="090-1111-2222")
    accepted = expert(session, name="承諾 済子", skills={"backend_dev": 3}, phone="090-3333-4444")
    session.add(ShortlistEntry(need=row, expert=accepted, state="accepted", contacted_at=utcnow(),
                               responded_at=utcnow(), created_by_id=owner.id))
    session.flush()
    return owner, row, strong, accepted


def test_bureau_staff_of_the_region_see_the_candidates_read_only(client, session):
    owner, row, strong, accepted = _need_with_accepted_contact(session)
    login(client, user(session, "bureau_staff", _shinetsu_bureau(session)))
    html = client.get(f"/needs/{row.id}").get_data(as_text=True)
    assert "Ranked candidates" in html and "強い 候補" in html and "承諾 済子" in html
    assert "Add to shortlist" not in html and "Start engagement" not in html and "Keep these weights" not in html
    assert f'/needs/{row.id}/edit"' not in html and f'/needs/{row.id}/close"' not in html
    # The expert accepted contact by 塩尻市, not by the bureau: no e-mail or phone for the bureau.
    assert "090-3333-4444" not in html and accepted.email not in html
    assert "The expert accepted the contact request." in html
    assert client.get(f"/api/v1/needs/{row.id}/matches").status_code == 200


def test_the_owner_sees_contact_details_and_actions(client, session):
    owner, row, strong, accepted = _need_with_accepted_contact(session)
    login(client, owner)
    html = client.get(f"/needs/{row.id}").get_data(as_text=True)
    assert "090-3333-4444" in html and "Add to shortlist" in html and "Start engagement" in html


def test_staff_of_another_municipality_get_no_ranking_by_page_or_api(client, session):
    owner, row, strong, accepted = _need_with_accepted_contact(session)
    login(client, user(session, "org_staff", org(session, MATSUMOTO)))  # same bureau, another municipality
    html = client.get(f"/needs/{row.id}").get_data(as_text=True)
    assert "Ranked candidates" not in html and "強い 候補" not in html and "承諾 済子" not in html
    response = client.get(f"/api/v1/needs/{row.id}/matches")
    assert response.status_code == 403 and response.is_json
    assert response.get_json()["error"] == "Forbidden" and "強い 候補" not in response.get_data(as_text=True)
    response = client.get(f"/api/v1/needs/{row.external_id}/matches")
    assert response.status_code == 403


def test_bureau_staff_of_another_region_see_no_candidates(client, session):
    owner, row, *_ = _need_with_accepted_contact(session)
    kanto = create_organization(session, "bureau", "関東総合通信局", "13", code="BUREAU-KANTO")
    login(client, user(session, "bureau_staff", kanto))
    assert "Ranked candidates" not in client.get(f"/needs/{row.id}").get_data(as_text=True)
    assert client.get(f"/api/v1/needs/{row.id}/matches").status_code == 403


def test_unapproved_staff_do_not_see_their_organizations_drafts(client, session):
    shiojiri = org(session)
    need(session, shiojiri, status="draft", title="まだ下書きの募集")
    need(session, shiojiri, status="open", title="公開中の募集")
    waiting = user(session, "org_staff", shiojiri, approved=False)
    login(client, waiting)
    html = client.get("/needs/").get_data(as_text=True)
    assert "まだ下書きの募集" not in html and "公開中の募集" in html
    login(client, user(session, "org_staff", shiojiri))
    html = client.get("/needs/").get_data(as_text=True)
    assert "まだ下書きの募集" in html and "公開中の募集" in html


def test_unapproved_staff_are_told_they_wait_for_approval(client, session):
    login(client, user(session, "org_staff", org(session), approved=False))
    response = client.get("/search/experts")
    assert response.status_code == 403 and "waiting for approval" in response.get_data(as_text=True)


def test_permission_denied_is_a_403_page_or_403_json(connection):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": TEST_DATABASE_URL,
                      "EMBEDDING_BACKEND": "tfidf", "AUTO_MIGRATE": False, "MAIL_SERVER": None})
    app.extensions["hub.sessionmaker"].configure(bind=connection, join_transaction_mode="create_savepoint")
    probe = Blueprint("probe", __name__)

    @probe.route("/probe/denied")
    @probe.route("/api/v1/probe/denied")
    def denied():
        permissions.require(False, "No, not you.")

    app.register_blueprint(probe)
    client = app.test_client()
    page = client.get("/probe/denied?lang=en")
    assert page.status_code == 403 and "No, not you." in page.get_data(as_text=True) and not page.is_json
    api = client.get("/api/v1/probe/denied")
    assert api.status_code == 403 and api.get_json() == {"error": "Forbidden", "message": "No, not you."}


def test_an_inactive_account_is_not_signed_in(session):
    account = user(session, "admin")
    assert permissions.is_admin(account)
    account.is_active = False
    assert not permissions.is_signed_in(account) and not permissions.is_admin(account)


def test_candidates_rule_in_every_case(session):
    shiojiri, matsumoto = org(session), org(session, MATSUMOTO)
    open_need, draft = need(session, shiojiri), need(session, shiojiri, status="draft")
    shinetsu = _shinetsu_bureau(session)
    cases = {
        "owner": (user(session, "org_staff", shiojiri), True, True),
        "unapproved owner staff": (user(session, "org_staff", shiojiri, approved=False), False, False),
        "松本市": (user(session, "org_staff", matsumoto), False, False),
        "bureau of the region": (user(session, "bureau_staff", shinetsu), True, False),
        "unapproved bureau staff": (user(session, "bureau_staff", shinetsu, approved=False), False, False),
        "admin": (user(session, "admin"), True, True),
        "expert": (user(session, "expert"), False, False),
    }
    for name, (account, sees_open, sees_draft) in cases.items():
        assert permissions.can_see_candidates(account, open_need) is sees_open, name
        assert permissions.can_see_candidates(account, draft) is sees_draft, name
    assert [n for n, (a, *_x) in cases.items() if permissions.can_manage_need(a, open_need)] == ["owner"]


def test_approval_rule(session):
    shiojiri = org(session)
    waiting = user(session, "org_staff", shiojiri, approved=False)
    shinetsu = _shinetsu_bureau(session)
    kanto = create_organization(session, "bureau", "関東総合通信局", "13", code="BUREAU-KANTO")
    assert permissions.can_approve(user(session, "admin"), waiting)
    assert permissions.can_approve(user(session, "bureau_staff", shinetsu), waiting)
    assert not permissions.can_approve(user(session, "bureau_staff", kanto), waiting)
    assert not permissions.can_approve(user(session, "bureau_staff", shinetsu, approved=False), waiting)
    assert not permissions.can_approve(user(session, "org_staff", shiojiri), waiting)
    assert not permissions.can_approve(user(session, "admin"), user(session, "expert"))  # experts need no approval
    assert waiting.approved_at is None
