"""The dispatch pages through the test client (CSRF on): the request form keeps what was typed and shows the
refused rule, the bureau's steps, the ranked advisers with the named one first, the routing page's answer and
its pre-filled start, the follow-up page, and the bureau home of one region."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from hub.models import DispatchAssignment, DispatchRequest, Engagement
from hub.services import dispatch
from tests.hub.dispatch_support import IN_WINDOW, build, request_data, submitted, through
from tests.support import post_form
from tests.web.needs_factories import login
from tests.web.web_accounts_support import forget_current_user


@pytest.fixture
def w(app, session, monkeypatch):
    monkeypatch.setattr("hub.services.dispatch.today", lambda: IN_WINDOW)
    with app.test_request_context():
        world = build(session)
    for account in (world.muni_staff, world.business_staff, world.npo_staff, world.bureau_staff,
                    world.other_bureau_staff, world.admin):
        account.locale = "ja"  # the pages in Japanese, as most users see them
    session.commit()
    return world


def as_user(client, account):
    forget_current_user()
    login(client, account)
    return client


FORM = {"theme": "工場の設備データ活用", "purpose": "project_formation", "stage_id": "problem_identification",
        "field_ids": ["local_industry"], "description": "稼働データを活かしたい", "project": "",
        "wanted_from": "2026-11-10", "wanted_until": "2026-11-30", "days": "2", "online_hours": "0", "visits": "1",
        "named_expert_id": "", "recommender_id": ""}


def test_a_local_business_requests_with_its_recommender(client, session, w):
    as_user(client, w.business_staff)
    page = client.get("/dispatch/new").get_data(as_text=True)
    assert "塩尻市" in page and "推薦団体" in page  # the region's recommenders are offered
    response = post_form(client, "/dispatch/new", {**FORM, "recommender_id": str(w.shiojiri.id),
                                                   "named_expert_id": str(w.adviser.id)})
    assert response.status_code == 302
    row = session.scalar(select(DispatchRequest).where(DispatchRequest.theme == "工場の設備データ活用"))
    assert row.requester_id == w.business.id and row.recommender_id == w.shiojiri.id and row.state == "submitted"
    assert row.named_expert_id == w.adviser.id and row.bureau_id == "shinetsu"


def test_a_refused_rule_is_shown_and_the_form_keeps_what_was_typed(client, session, w, monkeypatch):
    as_user(client, w.business_staff)
    response = post_form(client, "/dispatch/new", {**FORM, "days": "4", "recommender_id": str(w.shiojiri.id)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "現地での支援は1件につき3日までです。" in html and 'value="工場の設備データ活用"' in html
    assert 'value="4"' in html
    response = post_form(client, "/dispatch/new", FORM)  # no recommender
    assert "推薦する市区町村または総合通信局が必要です" in response.get_data(as_text=True)
    monkeypatch.setattr("hub.services.dispatch.today", lambda: date(2027, 2, 1))
    response = post_form(client, "/dispatch/new", {**FORM, "recommender_id": str(w.shiojiri.id)})
    assert "今月は受付期間ではありません" in response.get_data(as_text=True)
    assert session.scalar(select(DispatchRequest.id)) is None


def test_the_bureau_walks_a_request_to_the_report_and_sees_the_named_adviser_first(app, client, session, w):
    with app.test_request_context():
        row = submitted(session, w, named_expert_id=w.adviser2.id)
    session.commit()
    as_user(client, w.bureau_staff)
    url = f"/dispatch/{row.id}"
    assert post_form(client, f"{url}/review", {}, form_url=url).status_code == 302
    assert post_form(client, f"{url}/approve", {}, form_url=url).status_code == 302
    html = client.get(url).get_data(as_text=True)
    named_at, best_at = html.index("申請者が希望したアドバイザー"), html.index("よく合うアドバイザー")
    assert named_at < html.index(f'id="adviser-{w.adviser2.id}"') < best_at  # the named adviser first, with fit
    assert html.count('class="explain"') >= 2  # the matcher's explanation, as on a need's page
    assert post_form(client, f"{url}/assign", {"expert_id": str(w.adviser2.id)}, form_url=url).status_code == 302
    session.expire_all()
    assert session.get(DispatchRequest, row.id).state == "assigned"
    assert session.scalar(select(Engagement.status).where(Engagement.dispatch_id == row.id)) == "active"
    post_form(client, f"{url}/schedule", {"day": "2026-10-01"}, form_url=url)
    post_form(client, f"{url}/done", {"day": "2026-10-01"}, form_url=url)
    session.expire_all()
    assert session.get(DispatchRequest, row.id).state == "done"
    home = client.get("/bureau/").get_data(as_text=True)  # 2026-10-05 is within the week: not overdue
    assert "期限を過ぎた報告はありません。" in home
    as_user(client, w.adviser2.user)
    assert post_form(client, f"{url}/report", {"report": "課題を整理した。"}, form_url=url).status_code == 302
    session.expire_all()
    assert session.get(DispatchRequest, row.id).state == "reported"


def test_a_refused_step_says_why_and_changes_nothing(app, client, session, w):
    with app.test_request_context():
        row = submitted(session, w)
    session.commit()
    as_user(client, w.bureau_staff)
    url = f"/dispatch/{row.id}"
    response = post_form(client, f"{url}/approve", {}, form_url=url, follow_redirects=True)
    assert "承認できるのは審査中の申請だけです。" in response.get_data(as_text=True)
    response = post_form(client, f"{url}/reject", {"reason": ""}, form_url=url, follow_redirects=True)
    assert "不承認の理由を入力してください。" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(DispatchRequest, row.id).state == "submitted"


def test_a_dispatch_step_needs_the_csrf_token(app, client, session, w):
    with app.test_request_context():
        row = submitted(session, w)
    session.commit()
    as_user(client, w.bureau_staff)
    assert client.post(f"/dispatch/{row.id}/review").status_code == 400
    session.expire_all()
    assert session.get(DispatchRequest, row.id).state == "submitted"


def reported(app, session, w):
    with app.test_request_context():
        row = through(session, w, submitted(session, w), "reported")
    session.commit()
    return row, session.scalar(select(Engagement.id).where(Engagement.dispatch_id == row.id))


def follow_up_form(engagement_id: int, overall: str, ratings: dict[str, str], **extra) -> dict:
    """The survey as the page posts it: every skill row of the one adviser, "" where not observed."""
    with_rows = {"answer": "実証を始めた", "advisers-0-engagement_id": str(engagement_id),
                 "advisers-0-overall": overall, "advisers-0-would_rehire": "yes", "advisers-0-comment": ""}
    for i, item in enumerate(ratings):
        with_rows[f"advisers-0-skills-{i}-skill_id"] = item
        with_rows[f"advisers-0-skills-{i}-rating"] = ratings[item]
    return {**with_rows, **extra}


def rows_of(session, row, engagement_id) -> dict[str, str]:
    engagement = session.get(Engagement, engagement_id)
    return {item: "" for item in dispatch.follow_up_skills(row, engagement)}


def test_the_requester_answers_the_follow_up_on_its_page_next_fiscal_year(app, client, session, w, monkeypatch):
    row, engagement_id = reported(app, session, w)
    as_user(client, w.business_staff)
    url = f"/dispatch/{row.id}/follow-up"
    assert "翌年度の2027-04-01から回答できます" in client.get(url).get_data(as_text=True)
    monkeypatch.setattr("hub.services.dispatch.today", lambda: date(2027, 4, 10))
    page = client.get(url).get_data(as_text=True)
    assert "助言 一郎" in page
    assert 'name="advisers-0-skills-0-rating"' in page and "顧客・ユーザー理解" in page  # a stage item, as a row
    ratings = rows_of(session, row, engagement_id) | {"user_understanding": "4", "business_strategy": "5"}
    response = post_form(client, url, follow_up_form(engagement_id, "5", ratings))
    assert response.status_code == 302
    session.expire_all()
    assert session.get(DispatchRequest, row.id).state == "followed_up"
    skills = {s.skill_id: s for s in session.get(Engagement, engagement_id).expert.skills}
    assert (skills["user_understanding"].source, skills["user_understanding"].level) == ("verified", 2)
    assert (skills["business_strategy"].source, skills["business_strategy"].level) == ("verified", 3)


def test_a_poor_follow_up_rating_verifies_nothing(app, client, session, w, monkeypatch):
    row, engagement_id = reported(app, session, w)
    monkeypatch.setattr("hub.services.dispatch.today", lambda: date(2027, 4, 10))
    as_user(client, w.business_staff)
    ratings = rows_of(session, row, engagement_id) | {"user_understanding": "2", "business_strategy": "1"}
    assert post_form(client, f"/dispatch/{row.id}/follow-up", follow_up_form(engagement_id, "2", ratings)) \
        .status_code == 302
    session.expire_all()
    skills = {s.skill_id: s for s in session.get(Engagement, engagement_id).expert.skills}
    assert "user_understanding" not in skills  # never claimed, poorly rated: kept on the evaluation only
    assert (skills["business_strategy"].source, skills["business_strategy"].rating_mean) == ("rated", 1)


def test_the_follow_up_keeps_what_was_typed_when_the_rating_is_missing(app, client, session, w, monkeypatch):
    row, engagement_id = reported(app, session, w)
    monkeypatch.setattr("hub.services.dispatch.today", lambda: date(2027, 4, 10))
    as_user(client, w.business_staff)
    ratings = rows_of(session, row, engagement_id) | {"user_understanding": "4"}
    response = post_form(client, f"/dispatch/{row.id}/follow-up",
                         follow_up_form(engagement_id, "", ratings, **{"advisers-0-comment": "丁寧な助言"}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "総合評価を選んでください。" in html
    assert "実証を始めた" in html and "丁寧な助言" in html
    assert '<option selected value="4">' in html or 'value="4" selected' in html  # the skill's rating kept
    session.expire_all()
    assert session.get(DispatchRequest, row.id).state == "reported"


def test_a_tampered_follow_up_rates_only_its_own_rows(app, client, session, w, monkeypatch):
    row, engagement_id = reported(app, session, w)
    monkeypatch.setattr("hub.services.dispatch.today", lambda: date(2027, 4, 10))
    as_user(client, w.business_staff)
    response = post_form(client, f"/dispatch/{row.id}/follow-up",
                         follow_up_form(engagement_id, "5", {"machine_learning": "5"}))
    assert response.status_code == 200 and "実証を始めた" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(DispatchRequest, row.id).state == "reported"
    assert "machine_learning" not in {s.skill_id for s in session.get(Engagement, engagement_id).expert.skills}


def test_another_organizations_staff_cannot_answer_the_follow_up(app, client, session, w, monkeypatch):
    row, engagement_id = reported(app, session, w)
    monkeypatch.setattr("hub.services.dispatch.today", lambda: date(2027, 4, 10))
    ratings = rows_of(session, row, engagement_id) | {"user_understanding": "5"}
    for outsider in (w.npo_staff, w.muni_staff, w.bureau_staff):  # another org, the recommender, the bureau
        as_user(client, outsider)
        assert client.get(f"/dispatch/{row.id}/follow-up").status_code in (403, 404)
        response = post_form(client, f"/dispatch/{row.id}/follow-up", follow_up_form(engagement_id, "5", ratings),
                             form_url="/dispatch/")
        assert response.status_code in (403, 404)
    session.expire_all()
    assert session.get(DispatchRequest, row.id).state == "reported"
    assert "user_understanding" not in {s.skill_id for s in session.get(Engagement, engagement_id).expert.skills}


def test_the_routing_page_answers_with_rules_and_starts_a_prefilled_request(client, w):
    as_user(client, w.business_staff)
    html = client.get("/dispatch/routing?what=工場IoT&requester_kind=business&months=1&days_per_month=2"
                      "&hours_per_month=16&onsite_days_per_month=2&has_budget=no").get_data(as_text=True)
    assert html.index("地域情報化アドバイザー派遣") < html.index("外部人材リストからの任用")  # fits first
    assert "現地での支援は1件につき3日まで。" in html and "報酬は依頼者が負担する（予算が必要）。" in html
    start = html.index('href="/dispatch/new?')
    link = html[start + 6:html.index('"', start + 6)].replace("&amp;", "&")
    form = client.get(link).get_data(as_text=True)
    assert 'value="工場IoT"' in form and 'name="days"' in form


def test_the_routing_start_of_a_need_prefills_the_need_form(client, w):
    as_user(client, w.muni_staff)
    html = client.get("/dispatch/routing?what=CIO補佐官&requester_kind=municipality&months=12&days_per_month=8"
                      "&hours_per_month=60&onsite_days_per_month=4&has_budget=yes").get_data(as_text=True)
    start = html.index('href="/needs/new?')
    link = html[start + 6:html.index('"', start + 6)].replace("&amp;", "&")
    assert "engagement_form=appointment" in link
    form = client.get(link).get_data(as_text=True)
    assert 'value="CIO補佐官"' in form and 'value="60"' in form


def test_the_bureau_home_shows_its_region_only_with_overdue_reports_and_the_purpose_mix(app, client, session, w):
    with app.test_request_context():
        ours = through(session, w, submitted(session, w, theme="報告待ちの案件"), "done")
        theirs = dispatch.submit(session, None, w.kanto_business, request_data(recommender_id=w.kanto.id,
                                 theme="関東の案件"), on=IN_WINDOW)
    ours.support_date = date(2026, 9, 1)  # a month ago: the report is overdue
    session.commit()
    as_user(client, w.bureau_staff)
    html = client.get("/bureau/").get_data(as_text=True)
    assert "報告待ちの案件" in html and "報告期限切れ" in html and "関東の案件" not in html
    assert "派遣の目的の内訳" in html and "事業の立ち上げ" in html
    as_user(client, w.other_bureau_staff)
    html = client.get("/bureau/").get_data(as_text=True)
    assert "関東の案件" in html and "報告待ちの案件" not in html
    assert theirs.id


def test_the_expert_navigation_shows_dispatch_to_advisers_only(app, client, session, w):
    def nav_has_dispatch(account) -> bool:
        as_user(client, account)
        html = client.get("/experts/dashboard").get_data(as_text=True)
        nav = html[html.index('class="main-nav"'):html.index("</nav>")]
        return 'href="/dispatch/"' in nav and "アドバイザー派遣" in nav

    for account in (w.adviser.user, w.non_adviser.user):
        account.locale = "ja"
    session.commit()
    assert nav_has_dispatch(w.adviser.user)  # holds the adviser scheme
    assert not nav_has_dispatch(w.non_adviser.user)
    with app.test_request_context():
        row = through(session, w, submitted(session, w), "approved")
    w.non_adviser.schemes = []
    session.add(DispatchAssignment(dispatch_id=row.id, expert_id=w.non_adviser.id))  # an earlier assignment
    session.commit()
    assert nav_has_dispatch(w.non_adviser.user)
