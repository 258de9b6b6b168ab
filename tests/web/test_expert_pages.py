"""The expert side: section editor, track record, profile page permissions, contact answers, freshness."""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from hub.db import utcnow
from hub.models import AuditEvent, Engagement, Evaluation
from tests.support import post_form
from tests.web.web_accounts_support import (MATSUMOTO, SHIOJIRI, add_engagement, contact_request, forget_current_user,
                                            login, make_expert, make_need, make_org, make_staff)


def _as(client, email):
    """Return a fresh client (a fresh browser) signed in as `email`."""
    client = client.application.test_client()
    forget_current_user()
    login(client, email)
    forget_current_user()
    return client


def test_basics_section_saves_and_moves_updated_at(client, session):
    expert = make_expert(session, "hanako@example.jp")
    before = expert.updated_at
    client = _as(client, "hanako@example.jp")
    response = post_form(client, "/experts/me/profile/basics", {
        "name": "山田 花子", "talent_type": "X", "bio": "塩尻市で地域DXを推進。", "email": "hanako@example.jp",
        "phone": "090-0000-0000"})
    assert response.status_code == 302
    session.refresh(expert)
    assert expert.talent_type == "X" and expert.bio == "塩尻市で地域DXを推進。" and expert.phone == "090-0000-0000"
    assert expert.updated_at.replace(tzinfo=None) >= before.replace(tzinfo=None)
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "expert.update"))


def test_skills_grid_saves_levels_and_keeps_verified_rows(client, session, taxonomy):
    expert = make_expert(session, "hanako@example.jp", skills={"backend_dev": 2})
    expert.skills[0].source = "verified"
    session.flush()
    client = _as(client, "hanako@example.jp")
    page = client.get("/experts/me/profile/skills").get_data(as_text=True)
    assert page.count("<select") == len(taxonomy.item_ids)
    data = {f"skill_{item_id}": "0" for item_id in taxonomy.item_ids}
    data["skill_user_understanding"] = "3"
    response = post_form(client, "/experts/me/profile/skills", data)
    assert response.status_code == 302
    session.refresh(expert)
    assert expert.skill_levels == {"backend_dev": 0, "user_understanding": 3}


def test_work_section_resolves_the_home_municipality_by_name(client, session):
    expert = make_expert(session, "hanako@example.jp")
    client = _as(client, "hanako@example.jp")
    response = post_form(client, "/experts/me/profile/work", {
        "remote": "y", "onsite": "y", "home": "長野県塩尻市", "max_travel_km": "120",
        "travel_prefectures": ["13", "20"]})
    assert response.status_code == 302
    session.refresh(expert)
    assert expert.home_lg_code == SHIOJIRI and expert.prefecture_code == "20" and expert.max_travel_km == 120
    assert sorted(p.prefecture_code for p in expert.travel_prefectures) == ["13", "20"]


def test_a_section_with_errors_keeps_what_was_typed(client, session):
    make_expert(session, "hanako@example.jp")
    client = _as(client, "hanako@example.jp")
    response = post_form(client, "/experts/me/profile/work", {
        "onsite": "y", "home": "存在しない村", "max_travel_km": "80"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="存在しない村"' in html and 'value="80"' in html and 'id="home-error"' in html
    response = post_form(client, "/experts/me/profile/hours", {"hours_per_month": "many", "available_from": "2026-04-01"})
    html = response.get_data(as_text=True)
    assert 'value="many"' in html and 'value="2026-04-01"' in html and 'id="hours_per_month-error"' in html


def test_fee_needs_both_basis_and_amount_or_neither(client, session):
    expert = make_expert(session, "hanako@example.jp")
    client = _as(client, "hanako@example.jp")
    html = post_form(client, "/experts/me/profile/fee", {"fee_unit": "hour", "fee_amount": ""}).get_data(as_text=True)
    assert 'id="fee_amount-error"' in html
    assert post_form(client, "/experts/me/profile/fee", {"fee_unit": "day", "fee_amount": "60000",
                                                         "fee_negotiable": "y"}).status_code == 302
    session.refresh(expert)
    assert (expert.fee_unit, expert.fee_amount, expert.fee_negotiable) == ("day", 60000, True)
    assert post_form(client, "/experts/me/profile/fee", {"fee_unit": "", "fee_amount": ""}).status_code == 302
    session.refresh(expert)
    assert expert.fee_unit is None and expert.fee_amount is None


def test_expert_adds_edits_and_deletes_an_engagement(client, session):
    expert = make_expert(session, "hanako@example.jp")
    client = _as(client, "hanako@example.jp")
    form = {"title": "AIオンデマンドバス", "organization": "塩尻市", "org_kind": "local", "org_prefecture": "",
            "role": "プロジェクトマネージャー", "contribution": "住民説明会を12回開催", "outcome": "利用者月3,000人",
            "start": "2021-04-01", "end": "2023-03-31", "hours_per_month": "30", "status": "completed",
            "stages": ["development"], "fields": ["mobility"]}
    assert post_form(client, "/experts/me/engagements/new", form).status_code == 302
    engagement = session.scalar(select(Engagement).where(Engagement.expert_id == expert.id))
    assert engagement.organization.lg_code == SHIOJIRI and engagement.field_ids == ["mobility"]
    assert post_form(client, f"/experts/me/engagements/{engagement.id}/edit",
                     {**form, "role": "PM", "fields": ["mobility", "tourism"]}).status_code == 302
    session.refresh(engagement)
    assert engagement.role == "PM" and sorted(engagement.field_ids) == ["mobility", "tourism"]
    assert post_form(client, f"/experts/me/engagements/{engagement.id}/delete", {},
                     form_url="/experts/me/engagements").status_code == 302
    assert session.get(Engagement, engagement.id) is None


def test_a_completed_engagement_needs_an_end_date_and_keeps_the_form(client, session):
    make_expert(session, "hanako@example.jp")
    client = _as(client, "hanako@example.jp")
    html = post_form(client, "/experts/me/engagements/new", {
        "title": "観光DX", "organization": "塩尻市", "org_kind": "local", "start": "2022-04-01",
        "hours_per_month": "10", "status": "completed", "contribution": "観光客の動線を分析"}).get_data(as_text=True)
    assert 'id="end-error"' in html and "観光客の動線を分析" in html and 'value="観光DX"' in html


def test_an_expert_cannot_touch_another_experts_engagements(client, session):
    make_expert(session, "hanako@example.jp")
    other = make_expert(session, "taro@example.jp", name="佐藤 太郎")
    theirs = add_engagement(session, other)
    client = _as(client, "hanako@example.jp")
    assert client.get(f"/experts/me/engagements/{theirs.id}/edit").status_code == 404
    assert post_form(client, f"/experts/me/engagements/{theirs.id}/delete", {},
                     form_url="/experts/me/engagements").status_code == 404
    assert session.get(Engagement, theirs.id) is not None


def test_engagements_recorded_through_the_hub_are_read_only(client, session):
    expert = make_expert(session, "hanako@example.jp")
    hub_made = add_engagement(session, expert, source="need")
    client = _as(client, "hanako@example.jp")
    assert client.get(f"/experts/me/engagements/{hub_made.id}/edit").status_code == 403


def test_staff_and_other_roles_cannot_use_the_editor(client, session):
    make_staff(session, "dx@city.shiojiri.lg.jp")
    client = _as(client, "dx@city.shiojiri.lg.jp")
    assert client.get("/experts/me/profile/basics").status_code == 403


def test_anonymous_users_see_nothing_private(client, session):
    expert = make_expert(session, "hanako@example.jp", bio="秘密ではないが非公開")
    for url in (f"/experts/{expert.id}", "/experts/me", "/experts/me/profile/basics", "/search/experts"):
        response = client.get(url)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_profile_page_answers_the_municipalities_questions(client, session):
    expert = make_expert(session, "hanako@example.jp", home_lg_code=SHIOJIRI, onsite=True, max_travel_km=100,
                         fee_unit="hour", fee_amount=8000, stages_led=["development"], hours_per_month=40)
    done = add_engagement(session, expert, status="completed", end=date(2025, 3, 31), title="防災アプリ開発")
    done.fields = []
    from hub.models import EngagementField
    done.fields.append(EngagementField(field_id="disaster_prevention"))
    done.evaluation = Evaluation(overall=4.5, would_rehire=True, comment="住民目線で進めてくれた")
    add_engagement(session, expert, hours=15, status="active", title="県のデータ連携", lg_code="200000")
    make_staff(session, "dx@city.shiojiri.lg.jp")
    client = _as(client, "dx@city.shiojiri.lg.jp")
    html = client.get(f"/experts/{expert.id}?lang=en").get_data(as_text=True)
    assert "25 of 40 h/month free" in html  # remaining hours are computed from the active engagement
    assert "県のデータ連携" in html and "長野県" in html  # current engagement with another body
    assert "長野県塩尻市" in html and "100 km" in html  # place and reach
    assert "8,000" in html  # fee
    assert "4.5" in html and "住民目線で進めてくれた" in html and "Would rehire: 1 of 1" in html
    assert "CIO補佐官" in html and "業務改革の計画を作成" in html  # role and contribution
    assert "hanako@example.jp" not in html  # no accepted contact request yet


def test_contact_details_appear_only_after_the_expert_accepts(client, session):
    expert = make_expert(session, "hanako@example.jp")
    expert.phone = "090-1234-5678"
    shiojiri = make_org(session, SHIOJIRI)
    make_staff(session, "dx@city.shiojiri.lg.jp")
    make_staff(session, "dx@city.matsumoto.lg.jp", lg_code=MATSUMOTO)
    entry = contact_request(session, make_need(session, shiojiri), expert)

    client = _as(client, "dx@city.shiojiri.lg.jp")
    assert "090-1234-5678" not in client.get(f"/experts/{expert.id}").get_data(as_text=True)

    client = _as(client, "hanako@example.jp")
    dashboard = client.get("/experts/me").get_data(as_text=True)
    assert "ぜひ一度お話を伺えませんか。" in dashboard
    response = post_form(client, f"/experts/me/requests/{entry.id}", {"answer": "accept"}, form_url="/experts/me")
    assert response.status_code == 302
    session.refresh(entry)
    assert entry.state == "accepted" and entry.responded_at is not None

    client = _as(client, "dx@city.shiojiri.lg.jp")
    assert "090-1234-5678" in client.get(f"/experts/{expert.id}").get_data(as_text=True)
    client = _as(client, "dx@city.matsumoto.lg.jp")  # another organization: still hidden
    html = client.get(f"/experts/{expert.id}").get_data(as_text=True)
    assert "090-1234-5678" not in html and "hanako@example.jp" not in html


def test_expert_declines_a_request_and_cannot_answer_anothers(client, session):
    hanako = make_expert(session, "hanako@example.jp")
    taro = make_expert(session, "taro@example.jp", name="佐藤 太郎")
    need = make_need(session, make_org(session, SHIOJIRI))
    mine, theirs = contact_request(session, need, hanako), contact_request(session, need, taro)
    client = _as(client, "hanako@example.jp")
    assert post_form(client, f"/experts/me/requests/{theirs.id}", {"answer": "accept"},
                     form_url="/experts/me").status_code == 404
    assert post_form(client, f"/experts/me/requests/{mine.id}", {"answer": "decline"},
                     form_url="/experts/me").status_code == 302
    session.refresh(mine)
    session.refresh(theirs)
    assert mine.state == "declined" and theirs.state == "contacted"


def test_an_expert_cannot_see_another_experts_hidden_profile_or_contact(client, session):
    make_expert(session, "hanako@example.jp")
    other = make_expert(session, "taro@example.jp", name="佐藤 太郎")
    other.phone = "080-9999-9999"
    client = _as(client, "hanako@example.jp")
    assert client.get(f"/experts/{other.id}").status_code == 403  # visibility "staff" by default
    other.visibility = "public"
    session.flush()
    html = client.get(f"/experts/{other.id}").get_data(as_text=True)
    assert "佐藤 太郎" in html and "080-9999-9999" not in html and "taro@example.jp" not in html


def test_an_expert_sees_their_own_contact_details(client, session):
    expert = make_expert(session, "hanako@example.jp")
    client = _as(client, "hanako@example.jp")
    assert "hanako@example.jp" in client.get(f"/experts/{expert.id}").get_data(as_text=True)


def test_staff_waiting_for_approval_cannot_see_profiles(client, session):
    expert = make_expert(session, "hanako@example.jp")
    make_staff(session, "dx@city.shiojiri.lg.jp", approved=False)
    client = _as(client, "dx@city.shiojiri.lg.jp")
    assert client.get(f"/experts/{expert.id}").status_code == 403


def test_stale_availability_is_flagged_and_one_click_confirms_it(client, session):
    expert = make_expert(session, "hanako@example.jp")
    expert.availability_confirmed_at = utcnow() - timedelta(days=200)
    session.flush()
    client = _as(client, "hanako@example.jp")
    html = client.get("/experts/me").get_data(as_text=True)
    assert "/experts/me/availability" in html  # the banner's confirm button
    assert post_form(client, "/experts/me/availability", {}, form_url="/experts/me").status_code == 302
    session.refresh(expert)
    assert utcnow() - expert.availability_confirmed_at.replace(tzinfo=utcnow().tzinfo) < timedelta(minutes=1)
    assert "/experts/me/availability" not in client.get("/experts/me").get_data(as_text=True)


def test_profile_page_shows_stale_availability(client, session):
    expert = make_expert(session, "hanako@example.jp")
    expert.availability_confirmed_at = utcnow() - timedelta(days=200)
    make_staff(session, "dx@city.shiojiri.lg.jp")
    client = _as(client, "dx@city.shiojiri.lg.jp")
    assert "Availability not confirmed for over 90 days" in client.get(f"/experts/{expert.id}?lang=en").get_data(
        as_text=True)


def test_reminder_mail_carries_a_signed_link_that_confirms(app, client, session):
    expert = make_expert(session, "hanako@example.jp")
    expert.availability_confirmed_at = utcnow() - timedelta(days=200)
    fresh = make_expert(session, "taro@example.jp", name="佐藤 太郎")
    session.flush()
    result = app.test_cli_runner().invoke(args=["remind-availability"])
    assert result.exit_code == 0, result.output
    outbox = app.extensions["hub.outbox"]
    assert [m["To"] for m in outbox] == ["hanako@example.jp"]
    link = re.search(r"https?://\S+/experts/availability/\S+", outbox[0].get_content()).group(0)
    # A second run within the week sends nothing more.
    app.test_cli_runner().invoke(args=["remind-availability"])
    assert len(outbox) == 1
    response = client.get(link.split("//", 1)[1].split("/", 1)[1].join(["/", ""]))
    assert response.status_code == 200
    session.refresh(expert)
    assert utcnow() - expert.availability_confirmed_at.replace(tzinfo=utcnow().tzinfo) < timedelta(minutes=1)
    assert client.get("/experts/availability/not-a-token").status_code == 404
    assert fresh.id


def test_reminder_mails_only_after_the_commit(app, session, monkeypatch):
    """A reminder announces what its audit event records: no mail when the command's commit fails."""
    expert = make_expert(session, "hanako@example.jp")
    expert.availability_confirmed_at = utcnow() - timedelta(days=200)
    session.flush()

    def broken_commit(self):
        raise RuntimeError("the database went away")
    monkeypatch.setattr(type(session), "commit", broken_commit)
    result = app.test_cli_runner().invoke(args=["remind-availability"])
    assert result.exit_code != 0
    assert app.extensions.get("hub.outbox", []) == []


def test_dashboard_shows_remaining_hours_and_active_engagements(client, session):
    expert = make_expert(session, "hanako@example.jp", hours_per_month=40)
    add_engagement(session, expert, hours=25, title="県の人材育成")
    client = _as(client, "hanako@example.jp")
    html = client.get("/experts/me").get_data(as_text=True)
    forget_current_user()
    assert "県の人材育成" in html and re.search(r">15<small> / 40 h", client.get("/experts/me?lang=en").get_data(as_text=True))
