"""Shortlist -> contact request -> the expert accepts -> contact details -> engagement -> completion -> evaluation."""
from __future__ import annotations

from sqlalchemy import select

from hub.models import Engagement, ExpertSkill, Notification, ShortlistEntry
from hub.services import contact
from tests.support import post_form
from tests.web.needs_factories import expert, login, need, org, user


def _shortlisted(client, session):
    shiojiri = org(session)
    staff = user(session, "org_staff", shiojiri)
    row = need(session, shiojiri, skills={"backend_dev": 3, "frontend_dev": 2})
    person = expert(session, name="連絡 先子", skills={"backend_dev": 2, "frontend_dev": 3}, phone="090-1234-5678")
    login(client, staff)
    post_form(client, f"/needs/{row.id}/shortlist", {"expert_id": person.id}, form_url=f"/needs/{row.id}")
    entry = session.scalar(select(ShortlistEntry).where(ShortlistEntry.need_id == row.id))
    return staff, row, person, entry


def test_full_journey_from_contact_request_to_evaluation(app, client, session):
    staff, row, person, entry = _shortlisted(client, session)
    page = f"/needs/{row.id}"
    assert "090-1234-5678" not in client.get(page).get_data(as_text=True)

    before = person.updated_at
    response = post_form(client, f"{page}/shortlist/{entry.id}/contact", {f"c{entry.id}-message": "ぜひご相談を"},
                         form_url=page)
    assert response.status_code == 302
    session.refresh(entry)
    assert entry.state == "contacted" and entry.contacted_at and entry.message == "ぜひご相談を"
    assert person.updated_at >= before
    note = session.scalar(select(Notification).where(Notification.shortlist_entry_id == entry.id))
    assert note.kind == "contact_request" and note.user_id == person.user_id and note.mailed
    assert any("ぜひご相談を" in m.get_content() for m in app.extensions["hub.outbox"])
    html = client.get(page).get_data(as_text=True)
    assert "090-1234-5678" not in html and person.email not in html

    contact.respond(session, person.user, person, entry.id, accept=True)  # the expert's dashboard does this
    session.commit()
    html = client.get(page).get_data(as_text=True)
    assert "090-1234-5678" in html and person.email in html and "Start engagement" in html

    response = post_form(client, f"{page}/shortlist/{entry.id}/engagement",
                         {f"s{entry.id}-role": "開発リーダー", f"s{entry.id}-start": "2027-04-01",
                          f"s{entry.id}-end": "", f"s{entry.id}-hours_per_month": "20"}, form_url=page)
    assert response.status_code == 302
    engagement = session.scalar(select(Engagement).where(Engagement.need_id == row.id))
    assert (engagement.status, engagement.source, engagement.role, engagement.hours_per_month) == (
        "active", "need", "開発リーダー", 20)
    assert engagement.stage_ids == ["development"]

    response = post_form(client, f"{page}/engagements/{engagement.id}/complete",
                         {f"x{entry.id}-end": "2028-03-31", f"x{entry.id}-contribution": "予約システムを構築",
                          f"x{entry.id}-outcome": "利用者が倍増"}, form_url=page)
    assert response.status_code == 302 and "evaluate" in response.headers["Location"]
    session.refresh(engagement)
    assert engagement.status == "completed" and str(engagement.end_date) == "2028-03-31"

    # The record signal before and after the evaluation.
    engine = app.extensions["hub.matcher"]
    record_before = engine.rank(session, row, top_k=5).matches[0].signals["record"]
    evaluate = f"{page}/engagements/{engagement.id}/evaluate"
    form = client.get(evaluate).get_data(as_text=True)
    assert "Back-end development" in form and "Front-end development" in form
    response = post_form(client, evaluate, {
        "overall": "5", "skills-0-skill_id": "backend_dev", "skills-0-rating": "4",
        "skills-1-skill_id": "frontend_dev", "skills-1-rating": "2", "would_rehire": "yes", "comment": "助かりました"})
    assert response.status_code == 302
    session.refresh(engagement)
    assert engagement.evaluation.overall == 5 and engagement.evaluation.would_rehire is True
    skills = {s.skill_id: s for s in session.scalars(select(ExpertSkill).where(ExpertSkill.expert_id == person.id))}
    assert (skills["backend_dev"].source, skills["backend_dev"].level) == ("verified", 3)  # raised to the asked 3
    assert skills["backend_dev"].rating_mean == 4 and skills["backend_dev"].rating_count == 1
    assert skills["frontend_dev"].source == "rated" and skills["frontend_dev"].level == 3
    outcome = engine.rank(session, row, top_k=5)
    assert outcome.matches[0].signals["record"] > record_before
    assert outcome.matches[0].explanation.rating_count == 1
    html = client.get(page).get_data(as_text=True)
    assert "evaluated: 5 of 5" in html
    assert client.get(evaluate).status_code == 302  # only once


def test_evaluation_form_with_errors_keeps_what_was_typed(client, session):
    staff, row, person, entry = _shortlisted(client, session)
    entry.state = "accepted"
    engagement = Engagement(expert_id=person.id, organization_id=row.organization_id, need_id=row.id, source="need",
                            title=row.title, start_date=row.start_date, end_date=row.end_date, hours_per_month=10,
                            status="completed")
    session.add(engagement)
    session.commit()
    url = f"/needs/{row.id}/engagements/{engagement.id}/evaluate"
    response = post_form(client, url, {"skills-0-skill_id": "backend_dev", "skills-0-rating": "4",
                                       "skills-1-skill_id": "frontend_dev", "skills-1-rating": "",
                                       "comment": "まだ途中の感想"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Choose an overall rating." in html
    assert "まだ途中の感想" in html and '<option selected value="4">' in html
    assert engagement.evaluation is None


def test_steps_in_the_wrong_state_are_refused(client, session):
    staff, row, person, entry = _shortlisted(client, session)
    page = f"/needs/{row.id}"
    response = post_form(client, f"{page}/shortlist/{entry.id}/engagement",
                         {f"s{entry.id}-role": "x", f"s{entry.id}-start": "2027-04-01",
                          f"s{entry.id}-hours_per_month": "10"}, form_url=page)
    assert response.status_code == 400 and session.scalar(select(Engagement)) is None
    post_form(client, f"{page}/shortlist/{entry.id}/contact", {}, form_url=page)
    response = post_form(client, f"{page}/shortlist/{entry.id}/contact", {}, form_url=page)
    assert response.status_code == 302
    assert session.scalar(select(Notification).where(Notification.kind == "contact_request")) is not None
    assert len(list(session.scalars(select(Notification).where(Notification.kind == "contact_request")))) == 1


def test_start_engagement_form_errors_keep_what_was_typed(client, session):
    staff, row, person, entry = _shortlisted(client, session)
    entry.state = "accepted"
    session.commit()
    page = f"/needs/{row.id}"
    response = post_form(client, f"{page}/shortlist/{entry.id}/engagement",
                         {f"s{entry.id}-role": "データ分析担当", f"s{entry.id}-start": "2027-04-01",
                          f"s{entry.id}-end": "2026-01-01", f"s{entry.id}-hours_per_month": "999"}, form_url=page)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'value="データ分析担当"' in html and 'value="999"' in html
    assert "The end must not be before the start." in html


def test_another_organization_cannot_contact_or_engage(client, session):
    staff, row, person, entry = _shortlisted(client, session)
    login(client, user(session, "org_staff", org(session, "202011")))
    page = f"/needs/{row.id}"
    assert post_form(client, f"{page}/shortlist/{entry.id}/contact", {}, form_url="/needs/").status_code == 403
    assert post_form(client, f"{page}/shortlist/{entry.id}/engagement", {}, form_url="/needs/").status_code == 403
    assert client.get(f"{page}/engagements/1/evaluate").status_code == 403
    login(client, person.user)
    assert post_form(client, f"{page}/shortlist/{entry.id}/contact", {}, form_url="/needs/").status_code == 403
    session.refresh(entry)
    assert entry.state == "shortlisted"
