"""Service verbs: rules, one audit event each, the expert marked changed by one ORM event, mail after commit."""
from __future__ import annotations

import ast
import re
from datetime import date, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from hub.db import after_commit, utcnow
from hub.models import AuditEvent, Embedding, Engagement, ExpertField, ExpertProfile, ExpertSkill, Notification, ShortlistEntry
from hub.permissions import PermissionDenied
from hub.services import contact, engagements, needs as need_verbs
from hub.services.errors import Conflict, NotEnoughHours, StateError, conflicts_as
from hub.services.experts import update_profile
from tests.web.needs_factories import MATSUMOTO, expert, need, org, user

HUB = Path(__file__).resolve().parents[2] / "hub"


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _accepted_entry(session, staff, row, person) -> ShortlistEntry:
    entry = ShortlistEntry(need_id=row.id, expert_id=person.id, state="shortlisted")
    session.add(entry)
    session.flush()
    engagements.request_contact(session, staff, entry, "ご相談")
    contact.respond(session, person.user, person, entry.id, accept=True)
    return entry


# --- one naming scheme ---------------------------------------------------------------------------------

def test_every_audit_call_in_the_hub_names_its_action_entity_dot_verb():
    calls = []
    for path in HUB.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                action, entity = node.args[2], node.args[3]
                if isinstance(action, ast.Constant):
                    calls.append((path.name, action.value, entity.value if isinstance(entity, ast.Constant) else None))
                else:
                    for value in (v for v in ast.walk(action) if isinstance(v, ast.Constant)):
                        calls.append((path.name, value.value, None))
    assert len(calls) >= 20
    bad = [c for c in calls if not re.fullmatch(r"[a-z_]+\.[a-z_]+", c[1])
           or (c[2] is not None and not c[1].startswith(c[2] + "."))]
    assert bad == []


# --- the ORM event that marks an expert changed ------------------------------------------------------------

def test_a_changed_skill_field_or_contact_state_moves_updated_at_and_other_changes_do_not(session):
    person = expert(session, skills={"backend_dev": 2})
    shiojiri = org(session)
    row = need(session, shiojiri)
    old = utcnow() - timedelta(days=3)

    def reset():
        session.execute(update(ExpertProfile).where(ExpertProfile.id == person.id).values(updated_at=old))
        session.expire(person)

    def moved() -> bool:
        session.expire(person)
        stamp = person.updated_at
        return (stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)) > old

    reset()
    session.get(ExpertSkill, (person.id, "backend_dev")).level = 3
    session.flush()
    assert moved()

    reset()
    person.fields.append(ExpertField(field_id="mobility"))
    session.flush()
    assert moved()

    reset()
    entry = ShortlistEntry(need_id=row.id, expert_id=person.id, state="shortlisted")
    session.add(entry)
    session.flush()
    assert moved()

    reset()
    row.title = "別の題名"  # the need, not the expert
    entry.score = 0.5  # not the state
    session.flush()
    assert not moved()

    reset()
    entry.state = "contacted"
    session.flush()
    assert moved()


def test_no_service_sets_updated_at_by_hand():
    offenders = [str(p.relative_to(HUB)) for p in HUB.rglob("*.py")
                 if p.name != "changes.py" and re.search(r"\.updated_at\s*=[^=]", p.read_text(encoding="utf-8"))]
    assert offenders == []


# --- after the commit -------------------------------------------------------------------------------------

def test_after_commit_runs_once_on_commit_and_never_after_a_rollback(session):
    ran = []
    session.add(AuditEvent(action="x.y", entity="x", entity_id="1"))
    after_commit(session, ran.append, "rolled back")
    session.rollback()
    session.commit()
    assert ran == []
    session.add(AuditEvent(action="x.y", entity="x", entity_id="2"))
    after_commit(session, ran.append, "committed")
    assert ran == []
    session.commit()
    session.commit()
    assert ran == ["committed"]


def test_contact_request_mail_goes_out_after_the_commit_only(app, session):
    shiojiri = org(session)
    staff = user(session, "org_staff", shiojiri)
    row = need(session, shiojiri)
    person = expert(session)
    entry = ShortlistEntry(need_id=row.id, expert_id=person.id, state="shortlisted")
    session.add(entry)
    session.commit()
    with app.test_request_context():
        engagements.request_contact(session, staff, entry, "一度目")
        assert app.extensions.get("hub.outbox", []) == []
        session.rollback()
        assert app.extensions.get("hub.outbox", []) == []
        entry = session.get(ShortlistEntry, entry.id)
        engagements.request_contact(session, staff, entry, "二度目")
        session.commit()
    outbox = app.extensions["hub.outbox"]
    assert len(outbox) == 1 and "二度目" in outbox[0].get_content()
    note = session.scalar(select(Notification).where(Notification.shortlist_entry_id == entry.id))
    session.refresh(note)
    assert note.mailed
    assert [e.entity_id for e in _events(session, "shortlist_entry.contact")] == [str(entry.id)]


# --- rules inside the verbs -------------------------------------------------------------------------------

def test_verbs_refuse_other_organizations_and_wrong_states(app, session):
    shiojiri, matsumoto = org(session), org(session, MATSUMOTO)
    staff, stranger = user(session, "org_staff", shiojiri), user(session, "org_staff", matsumoto)
    row = need(session, shiojiri, status="open", published_at=utcnow())
    with app.test_request_context():
        with pytest.raises(PermissionDenied):
            need_verbs.close_need(session, stranger, row)
        with pytest.raises(StateError) as refused:
            need_verbs.publish_need(session, staff, row)
        assert refused.value.reason == "not_draft"
        need_verbs.close_need(session, staff, row)
        with pytest.raises(StateError):
            need_verbs.close_need(session, staff, row)
        assert need_verbs.reopen_need(session, staff, row).status == "open"
        need_verbs.set_weights(session, staff, row, {"skill": 3, "semantic": 1})
        assert row.weights == {"skill": 0.75, "semantic": 0.25}
        with pytest.raises(Exception) as zero:
            need_verbs.set_weights(session, staff, row, {"skill": 0})
        assert zero.value.reason == "weights"
    assert [len(_events(session, a)) for a in ("need.close", "need.reopen", "need.set_weights")] == [1, 1, 1]


def test_an_expert_edits_only_their_own_profile(session):
    hanako, taro = expert(session), expert(session, name="佐藤 太郎")
    with pytest.raises(PermissionDenied):
        update_profile(session, taro.user, hanako, "visibility", listed=False)
    update_profile(session, hanako.user, hanako, "visibility", listed=False)
    assert hanako.listed is False and len(_events(session, "expert.update")) == 1


def test_saving_a_need_embeds_its_text_in_the_same_transaction(app, session):
    from hub.services.needs import NeedData
    shiojiri = org(session)
    staff = user(session, "org_staff", shiojiri)
    data = NeedData(external_id="WN1", title="窓口のデジタル化", description="書かない窓口を作りたい", stages=["development"],
                    work_style="remote", hours_per_month=10, start=date(2027, 4, 1), engagement_form="contract",
                    status="draft")
    with app.test_request_context():
        row = need_verbs.save_need(session, staff, None, data, shiojiri)
    assert row.created_by_id == staff.id
    assert session.scalar(select(func.count()).select_from(Embedding).where(
        Embedding.owner_kind == "need", Embedding.owner_id == row.id)) == 1
    assert [e.entity_id for e in _events(session, "need.create")] == [str(row.id)]


# --- capacity ----------------------------------------------------------------------------------------------

def test_start_refuses_more_hours_than_remain_and_names_them(app, session):
    shiojiri = org(session)
    staff = user(session, "org_staff", shiojiri)
    row = need(session, shiojiri)
    person = expert(session, hours=40)
    other = need(session, org(session, MATSUMOTO), title="別の案件")
    session.add(Engagement(expert_id=person.id, organization_id=other.organization_id, need_id=other.id,
                           source="need", title="別の案件", start_date=date(2027, 1, 1), end_date=None,
                           hours_per_month=30, status="active"))
    session.flush()
    with app.test_request_context():
        entry = _accepted_entry(session, staff, row, person)
        with pytest.raises(NotEnoughHours) as refused:
            engagements.start_engagement(session, staff, entry, role="", start=date(2027, 4, 1), end=None,
                                         hours_per_month=500)
        assert (refused.value.remaining, refused.value.asked) == (10, 500)
        assert "10" in str(refused.value.message) and person.name in str(refused.value.message)
        started = engagements.start_engagement(session, staff, entry, role="PM", start=date(2027, 4, 1), end=None,
                                               hours_per_month=10)
        assert started.shortlist_entry_id == entry.id
        with pytest.raises(StateError):
            engagements.start_engagement(session, staff, entry, role="PM", start=date(2027, 4, 1), end=None,
                                         hours_per_month=0)
    assert len(_events(session, "engagement.start")) == 1


def test_at_most_one_running_engagement_per_shortlist_entry_is_a_constraint(session):
    shiojiri = org(session)
    row = need(session, shiojiri)
    person = expert(session)
    entry = ShortlistEntry(need_id=row.id, expert_id=person.id, state="accepted")
    session.add(entry)
    session.flush()

    def engagement(status):
        return Engagement(expert_id=person.id, organization_id=shiojiri.id, need_id=row.id, shortlist_entry_id=entry.id,
                          source="need", title="t", start_date=date(2027, 4, 1), end_date=date(2027, 5, 1),
                          hours_per_month=1, status=status)
    session.add_all([engagement("completed"), engagement("cancelled"), engagement("active")])
    session.flush()
    with pytest.raises(Conflict):
        with conflicts_as(session, "twice"):
            session.add(engagement("proposed"))
            session.flush()


def test_the_start_form_shows_the_remaining_hours_and_keeps_what_was_typed(app, client, session):
    from tests.support import post_form
    from tests.web.needs_factories import login
    shiojiri = org(session)
    staff = user(session, "org_staff", shiojiri, locale="ja")
    row = need(session, shiojiri)
    person = expert(session, hours=40)
    with app.test_request_context():
        entry = _accepted_entry(session, staff, row, person)
    session.commit()
    login(client, staff)
    page = f"/needs/{row.id}"
    response = post_form(client, f"{page}/shortlist/{entry.id}/engagement",
                         {f"s{entry.id}-role": "開発リーダー", f"s{entry.id}-start": "2027-04-01",
                          f"s{entry.id}-end": "", f"s{entry.id}-hours_per_month": "500"}, form_url=page)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"{person.name}さんがこの期間に引き受けられるのは月40時間までです（500時間を指定）。" in html
    assert "開発リーダー" in html and 'value="500"' in html  # the form keeps what was typed
    assert session.scalar(select(func.count()).select_from(Engagement)) == 0


def test_a_refusal_or_denial_no_view_caught_is_409_or_403_never_500(app, client):
    from hub.services.errors import StateError as Refusal

    @app.get("/_test/refused")
    def _refused():
        raise Refusal("not now", reason="test")

    @app.get("/_test/denied")
    def _denied():
        raise PermissionDenied()

    assert client.get("/_test/refused").status_code == 409
    assert client.get("/_test/refused", headers={"Accept": "application/json"}).get_json()["reason"] == "test"
    assert client.get("/_test/denied").status_code == 403


def test_ranking_a_new_need_on_get_commits_nothing_in_the_request_and_stores_the_vector_aside(app, client, session):
    from sqlalchemy import event
    from sqlalchemy.orm import Session as OrmSession

    from tests.web.needs_factories import login
    shiojiri = org(session)
    staff = user(session, "org_staff", shiojiri)
    row = need(session, shiojiri, skills={"backend_dev": 2})
    expert(session, skills={"backend_dev": 3})
    session.commit()
    commits = []

    def count(s):
        commits.append("side" if s.info.get("hub.side") else "request")

    event.listen(OrmSession, "after_commit", count)
    try:
        login(client, staff)
        assert client.get(f"/needs/{row.id}").status_code == 200
        assert client.get(f"/api/v1/needs/{row.external_id}/matches").status_code == 200
    finally:
        event.remove(OrmSession, "after_commit", count)
    assert "request" not in commits and "side" in commits
    assert session.scalar(select(func.count()).select_from(Embedding).where(
        Embedding.owner_kind == "need", Embedding.owner_id == row.id)) == 1
