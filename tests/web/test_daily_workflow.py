"""Everyday use (issue 11): the shortlist as a workspace, closing with a reason, "filled", notifications for
staff and linked ones for experts, needs for experts, the compact card and the weights that are saved."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from hub.models import AuditEvent, Engagement, Need, Notification, ShortlistEntry
from hub.services import contact, engagements, notifications as notices, shortlist as shortlist_verbs
from hub.services.errors import Conflict, StateError
from hub.permissions import PermissionDenied
from tests.support import csrf_token_from, post_form
from tests.web.needs_factories import MATSUMOTO, expert, login, need, org, user

SKILLS = {"backend_dev": 3, "frontend_dev": 2}


@pytest.fixture
def world(session):
    shiojiri = org(session)
    staff = user(session, "org_staff", shiojiri)
    colleague = user(session, "org_staff", shiojiri)
    row = need(session, shiojiri, skills=SKILLS, created_by_id=staff.id, published_at=date(2026, 11, 1))
    person = expert(session, name="候補 一花", skills={"backend_dev": 4, "frontend_dev": 3})
    other = expert(session, name="候補 二郎", skills={"backend_dev": 3})
    session.commit()
    return {"org": shiojiri, "staff": staff, "colleague": colleague, "need": row, "expert": person, "other": other}


def actions(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def entry_of(session, need_id: int, expert_id: int) -> ShortlistEntry | None:
    return session.scalar(select(ShortlistEntry).where(ShortlistEntry.need_id == need_id,
                                                       ShortlistEntry.expert_id == expert_id))


# --- the shortlist as a workspace ---------------------------------------------------------------------------

def test_add_from_the_search_keeps_the_matchers_snapshot_and_returns_to_the_same_result(client, session, world):
    row, person = world["need"], world["expert"]
    login(client, world["staff"])
    search = client.get("/search/experts?q=").get_data(as_text=True)
    assert 'action="/needs/shortlist/add"' in search and f'id="expert-{person.id}"' in search
    token = csrf_token_from(search)
    response = client.post("/needs/shortlist/add", data={
        f"a{person.id}-csrf_token": token, "prefix": f"a{person.id}", f"a{person.id}-need_id": str(row.id),
        f"a{person.id}-expert_id": str(person.id), f"a{person.id}-back": "/search/experts?q=%E9%96%8B%E7%99%BA"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/search/experts?q=%E9%96%8B%E7%99%BA#expert-{person.id}")
    entry = entry_of(session, row.id, person.id)
    assert entry.state == "shortlisted" and entry.score is not None and entry.rank >= 1 and entry.explanation
    assert [e.entity_id for e in actions(session, "shortlist_entry.create")] == [str(entry.id)]

    # Twice: a clear message, no second row, no 500.
    response = client.post("/needs/shortlist/add", data={
        "csrf_token": token, "need_id": str(row.id), "expert_id": str(person.id), "back": "/search/experts"},
        follow_redirects=True)
    assert response.status_code == 200 and "is on the shortlist already" in response.get_data(as_text=True)
    assert session.scalar(select(ShortlistEntry.id).where(ShortlistEntry.need_id == row.id).offset(1)) is None


def test_add_from_a_profile_never_redirects_off_site(client, session, world):
    row, person = world["need"], world["other"]
    login(client, world["staff"])
    page = client.get(f"/experts/{person.id}").get_data(as_text=True)
    assert 'action="/needs/shortlist/add"' in page
    response = client.post("/needs/shortlist/add", data={
        "csrf_token": csrf_token_from(page), "need_id": str(row.id), "expert_id": str(person.id),
        "back": "//evil.example/phish"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/needs/{row.id}#shortlist")
    assert entry_of(session, row.id, person.id) is not None


def test_add_verb_refuses_other_organizations_closed_needs_and_doubles(app, session, world):
    row, person = world["need"], world["expert"]
    app.test_request_context().push()  # the refusals' messages are translated
    outsider = user(session, "org_staff", org(session, MATSUMOTO))
    with pytest.raises(PermissionDenied):
        shortlist_verbs.add_to_shortlist(session, outsider, row, person)
    shortlist_verbs.add_to_shortlist(session, world["staff"], row, person)
    with pytest.raises(Conflict):
        shortlist_verbs.add_to_shortlist(session, world["staff"], row, person)
    row.status = "closed"
    with pytest.raises(StateError):
        shortlist_verbs.add_to_shortlist(session, world["staff"], row, world["other"])


def test_shortlisting_from_the_ranking_returns_to_the_candidate_not_the_shortlist(client, session, world):
    row, person = world["need"], world["expert"]
    login(client, world["staff"])
    response = post_form(client, f"/needs/{row.id}/shortlist", {"expert_id": person.id}, form_url=f"/needs/{row.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#expert-{person.id}")


def test_withdraw_a_contact_request_tells_the_expert_and_closes_their_answer(app, client, session, world):
    row, person, staff = world["need"], world["expert"], world["staff"]
    app.test_request_context().push()  # the refusals' messages are translated
    entry = shortlist_verbs.add_to_shortlist(session, staff, row, person)
    engagements.request_contact(session, staff, entry, "ご相談")
    session.commit()
    login(client, staff)
    page = client.get(f"/needs/{row.id}").get_data(as_text=True)
    assert f"/shortlist/{entry.id}/withdraw" in page and "state-contacted" in page
    response = post_form(client, f"/needs/{row.id}/shortlist/{entry.id}/withdraw", {}, form_url=f"/needs/{row.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#entry-{entry.id}")
    session.refresh(entry)
    assert entry.state == "withdrawn" and entry.withdrawn_at is not None
    note = session.scalar(select(Notification).where(Notification.kind == "contact_withdrawn"))
    assert note.user_id == person.user_id and note.need_id == row.id and note.mailed
    assert len(actions(session, "shortlist_entry.withdraw")) == 1
    with pytest.raises(contact.NotAContactRequest):  # the expert can no longer accept
        contact.respond(session, person.user, person, entry.id, accept=True)
    with pytest.raises(StateError):  # and a second withdraw says why
        shortlist_verbs.withdraw(session, staff, entry)
    assert "state-withdrawn" in client.get(f"/needs/{row.id}").get_data(as_text=True)


def test_remove_an_entry_unless_a_request_waits_or_work_started(client, session, world):
    row, staff = world["need"], world["staff"]
    kept = shortlist_verbs.add_to_shortlist(session, staff, row, world["expert"])
    asked = shortlist_verbs.add_to_shortlist(session, staff, row, world["other"])
    engagements.request_contact(session, staff, asked)
    session.commit()
    login(client, staff)
    post_form(client, f"/needs/{row.id}/shortlist/{asked.id}/remove", {}, form_url=f"/needs/{row.id}")
    assert entry_of(session, row.id, world["other"].id) is not None  # refused: withdraw first
    response = post_form(client, f"/needs/{row.id}/shortlist/{kept.id}/remove", {}, form_url=f"/needs/{row.id}")
    assert response.status_code == 302
    session.expire_all()
    assert entry_of(session, row.id, world["expert"].id) is None
    assert [e.entity_id for e in actions(session, "shortlist_entry.delete")] == [str(kept.id)]


# --- closing, reopening, filled ------------------------------------------------------------------------------

def test_close_asks_for_a_reason_warns_about_pending_requests_and_withdraws_them(client, session, world):
    row, staff, person = world["need"], world["staff"], world["expert"]
    entry = shortlist_verbs.add_to_shortlist(session, staff, row, person)
    engagements.request_contact(session, staff, entry)
    session.commit()
    login(client, staff)
    page = client.get(f"/needs/{row.id}/close").get_data(as_text=True)
    assert "1 contact request is still waiting for an answer." in page and person.name in page
    response = client.post(f"/needs/{row.id}/close", data={"csrf_token": csrf_token_from(page), "reason": "bogus"})
    assert response.status_code == 400  # an invalid reason: the form again, nothing closed
    session.refresh(row)
    assert row.status == "open"
    response = client.post(f"/needs/{row.id}/close", data={"csrf_token": csrf_token_from(page),
                                                           "reason": "found_elsewhere", "note": "県の事業で対応"})
    assert response.status_code == 302
    session.refresh(row)
    session.refresh(entry)
    assert (row.status, row.close_reason, row.close_note) == ("closed", "found_elsewhere", "県の事業で対応")
    assert entry.state == "withdrawn"
    event = actions(session, "need.close")[0]
    assert event.details == {"reason": "found_elsewhere", "withdrawn": 1}
    assert "We found someone elsewhere" in client.get(f"/needs/{row.id}").get_data(as_text=True)
    response = post_form(client, f"/needs/{row.id}/reopen", {}, form_url=f"/needs/{row.id}")
    session.refresh(row)
    assert row.status == "open"


def test_an_engagement_fills_the_need_and_tells_the_expert_and_colleagues(app, session, world):
    row, staff, person = world["need"], world["staff"], world["expert"]
    entry = shortlist_verbs.add_to_shortlist(session, staff, row, person)
    shortlist_verbs.add_to_shortlist(session, world["colleague"], row, world["other"])  # she works on it too
    engagements.request_contact(session, staff, entry)
    contact.respond(session, person.user, person, entry.id, accept=True)
    engagement = engagements.start_engagement(session, staff, entry, role="開発", start=date(2027, 4, 1),
                                              end=None, hours_per_month=10)
    session.commit()
    assert row.status == "filled"
    started = list(session.scalars(select(Notification).where(Notification.engagement_id == engagement.id)))
    assert {n.user_id for n in started} == {person.user_id, world["colleague"].id}  # not the officer who acted
    assert all(n.payload["milestone"] == "started" for n in started)
    # The filled need leaves the open lists; closing still works, and a closed need reopens as open.
    from hub.services import needs as need_verbs
    need_verbs.close_need(session, staff, row, "filled")
    need_verbs.reopen_need(session, staff, row)
    assert row.status == "open"


# --- notifications -------------------------------------------------------------------------------------------

def test_staff_hear_of_an_answer_in_the_app_and_by_mail_after_the_commit(app, client, session, world):
    row, staff, person = world["need"], world["staff"], world["expert"]
    entry = shortlist_verbs.add_to_shortlist(session, staff, row, person)
    engagements.request_contact(session, staff, entry)
    session.commit()
    outbox = app.extensions.setdefault("hub.outbox", [])
    before = len(outbox)
    contact.respond(session, person.user, person, entry.id, accept=False)
    assert len(outbox) == before  # nothing mailed before the commit
    session.commit()
    note = session.scalar(select(Notification).where(Notification.kind == "contact_answered"))
    assert note.user_id == staff.id and note.payload["answer"] == "declined" and note.mailed
    assert any(person.name in m["Subject"] for m in outbox[before:])
    login(client, staff)
    html = client.get("/notifications/").get_data(as_text=True)
    assert f'href="/needs/{row.id}#shortlist"' in html and "declined your contact request" in html
    assert 'class="count-badge"' in html  # the header counts it

    # Mark read: a service verb, audited; a forged id marks nothing of anyone else.
    foreign = Notification(user_id=person.user_id, kind="need_published", need_id=row.id)
    session.add(foreign)
    session.commit()
    page = client.get("/notifications/").get_data(as_text=True)
    client.post("/notifications/read", data={"csrf_token": csrf_token_from(page), "id": str(foreign.id)})
    session.refresh(foreign)
    assert foreign.read_at is None
    client.post("/notifications/read", data={"csrf_token": csrf_token_from(page)})
    session.refresh(note)
    assert note.read_at is not None and actions(session, "notification.read")
    assert 'class="count-badge"' not in client.get("/notifications/").get_data(as_text=True)
    assert client.post("/notifications/read", data={"csrf_token": csrf_token_from(page), "id": "x"}).status_code == 400


def test_new_candidates_are_told_once_per_expert(app, session, world):
    with app.test_request_context():
        first = notices.notify_new_candidates(session, top_n=5)
        again = notices.notify_new_candidates(session, top_n=5)
    assert first and not again
    assert {n.user_id for n in first} == {world["staff"].id}
    assert set(first[0].payload["expert_ids"]) >= {world["expert"].id, world["other"].id}


def test_overdue_engagements_remind_the_staff_once(app, session, world):
    row, staff, person = world["need"], world["staff"], world["expert"]
    engagement = Engagement(expert=person, organization=world["org"], need_id=row.id, source="need",
                            title=row.title, role="開発", start_date=date(2025, 4, 1), end_date=date(2025, 9, 30),
                            hours_per_month=10, status="active")
    session.add(engagement)
    session.flush()
    with app.test_request_context():
        first = notices.notify_overdue_engagements(session, date(2026, 1, 1))
        again = notices.notify_overdue_engagements(session, date(2026, 1, 2))
    assert {n.user_id for n in first} == {staff.id} and not again  # who posted it; not every officer


def test_expert_notifications_link_their_need_and_needs_for_you_lists_fitting_open_needs(client, session, world):
    row, person = world["need"], world["expert"]
    closed = need(session, world["org"], skills=SKILLS, title="終了した募集", status="closed")
    session.add(Notification(user_id=person.user_id, kind="need_published", need_id=row.id))
    session.commit()
    login(client, person.user)
    dashboard = client.get("/experts/me").get_data(as_text=True)
    assert f'href="/needs/{row.id}"' in dashboard and 'href="/experts/me/needs"' in dashboard
    page = client.get("/experts/me/needs").get_data(as_text=True)
    assert row.title in page and closed.title not in page and f'id="need-{row.id}"' in page


# --- the page itself ------------------------------------------------------------------------------------------

def test_card_shows_what_the_person_led_and_did_and_folds_the_rest(client, session, world):
    from hub.models import ExpertField, ExpertStage
    person = world["expert"]
    person.stages_led = [ExpertStage(stage_id="development")]
    person.fields = [ExpertField(field_id="mobility")]
    session.add(Engagement(expert=person, organization=world["org"], source="import", title="AIオンデマンドバス",
                           role="プロジェクトマネージャー", contribution="住民説明会を12回開催し利用者を倍増",
                           start_date=date(2023, 4, 1), end_date=date(2024, 3, 31), hours_per_month=20,
                           status="completed"))
    session.commit()
    login(client, world["staff"])
    html = client.get(f"/needs/{world['need'].id}").get_data(as_text=True)
    card = html[html.index(f'id="expert-{person.id}"'):]
    card = card[:card.index("</details>")]
    assert "Led" in card and "Past role" in card
    assert "プロジェクトマネージャー" in card and "住民説明会を12回開催" in card
    assert '<details class="more">' in card  # signals and the full explanation fold away
    assert "(not asked for:" not in card  # the note is said once above the list


def test_weights_to_save_are_the_ones_shown_and_the_page_has_its_static_script(client, session, world):
    row = world["need"]
    login(client, world["staff"])
    html = client.get(f"/needs/{row.id}?w_skill=80&w_semantic=5&w_availability=5&w_place=5&w_record=5"
                      "&w_fee=0&w_type=0").get_data(as_text=True)
    assert '/static/js/weights.js' in html and "<script>" not in html
    keep = html[html.index('id="keep-weights"'):]
    assert 'name="w_skill" value="80"' in keep[:keep.index("</form>")]
    response = client.post(f"/needs/{row.id}/weights", data={
        "csrf_token": csrf_token_from(html), "w_skill": "80", "w_semantic": "5", "w_availability": "5",
        "w_place": "5", "w_record": "5", "w_fee": "0", "w_type": "0", "submit": "1"})
    assert response.status_code == 302
    session.refresh(row)
    assert row.weights["skill"] == 0.8


def test_compare_puts_the_shortlist_side_by_side(client, session, world):
    row, staff = world["need"], world["staff"]
    shortlist_verbs.add_to_shortlist(session, staff, row, world["expert"])
    shortlist_verbs.add_to_shortlist(session, staff, row, world["other"])
    session.commit()
    login(client, staff)
    assert 'href="/needs/%d/compare"' % row.id in client.get(f"/needs/{row.id}").get_data(as_text=True)
    html = client.get(f"/needs/{row.id}/compare").get_data(as_text=True)
    head = html[html.index("<thead>"):html.index("</thead>")]
    assert world["expert"].name in head and world["other"].name in head
    assert "Back-end development" in html and 'class="meets"' in html
