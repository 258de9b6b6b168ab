"""The need page: ranked candidates with signal bars and explanations, filters and sliders, shortlisting."""
from __future__ import annotations

from sqlalchemy import select

from hub.models import ShortlistEntry
from tests.support import post_form
from tests.web.needs_factories import expert, login, need, org, user


def _setup(session):
    shiojiri = org(session)
    staff = user(session, "org_staff", shiojiri)
    row = need(session, shiojiri, skills={"backend_dev": 3, "frontend_dev": 2}, budget_unit="hour", budget_max=8000)
    strong = expert(session, name="強い 候補", skills={"backend_dev": 4, "frontend_dev": 3}, fee_unit="hour",
                    fee_amount=7000)
    weak = expert(session, name="弱い 候補", skills={"backend_dev": 1}, home="011002", fee_unit="hour",
                  fee_amount=20000)
    busy = expert(session, name="時間なし", skills={"backend_dev": 4}, hours=0)
    return staff, row, strong, weak, busy


def test_need_page_ranks_candidates_with_bars_explanation_and_exclusions(client, session):
    staff, row, strong, weak, busy = _setup(session)
    login(client, staff)
    html = client.get(f"/needs/{row.id}").get_data(as_text=True)
    assert html.index("強い 候補") < html.index("弱い 候補")
    assert "時間なし" not in html.split("Shortlist</h2>")[0] or "時間なし" not in html
    assert 'role="meter"' in html and "Skills" in html and "Track record" in html
    assert "Matched skills" in html and "Gaps" in html and "required" in html
    assert "h/month left of the 20 needed" in html
    assert "within budget" in html and "over budget" in html
    assert "no hours left in the period 1" in html  # the busy expert is excluded, and said so


def test_filters_and_sliders_rerank_without_javascript(client, session):
    staff, row, strong, weak, busy = _setup(session)
    login(client, staff)
    html = client.get(f"/needs/{row.id}?within_budget=y").get_data(as_text=True)
    assert "強い 候補" in html and "弱い 候補" not in html and "fee over the budget 1" in html
    html = client.get(f"/needs/{row.id}?prefecture=01").get_data(as_text=True)
    assert "弱い 候補" in html and "強い 候補" not in html and "home in another prefecture" in html
    html = client.get(f"/needs/{row.id}?min_hours=100").get_data(as_text=True)
    assert "No expert passes the filters" in html
    html = client.get(f"/needs/{row.id}?work_style=resident").get_data(as_text=True)
    assert "cannot work in this style or place" in html and "強い 候補" not in html
    # Sliders: only the place signal counts -> the nearby expert comes first; the sliders show the weights used.
    weights = "&".join(f"w_{n}={100 if n == 'place' else 0}" for n in
                       ("skill", "semantic", "availability", "place", "record", "fee", "type"))
    html = client.get(f"/needs/{row.id}?{weights}").get_data(as_text=True)
    assert html.index("強い 候補") < html.index("弱い 候補")
    assert 'name="w_place" min="0" max="100" step="1" value="100"' in html
    # All sliders at zero: an error beside the slider, the default ranking still shown.
    zeros = "&".join(f"w_{n}=0" for n in ("skill", "semantic", "availability", "place", "record", "fee", "type"))
    html = client.get(f"/needs/{row.id}?{zeros}").get_data(as_text=True)
    assert "At least one weight must be above zero." in html and "強い 候補" in html
    # A bad filter value never breaks the page.
    assert client.get(f"/needs/{row.id}?min_hours=lots&show=-3").status_code == 200


def test_show_more_lists_further_candidates(client, session):
    shiojiri = org(session)
    staff = user(session, "org_staff", shiojiri)
    row = need(session, shiojiri, skills={"backend_dev": 2})
    for i in range(13):
        expert(session, name=f"候補{i:02d}", skills={"backend_dev": 2 + i % 3})
    login(client, staff)
    html = client.get(f"/needs/{row.id}").get_data(as_text=True)
    assert html.count('class="card candidate"') == 10 and "show=20" in html
    html = client.get(f"/needs/{row.id}?show=20").get_data(as_text=True)
    assert html.count('class="card candidate"') == 13


def test_shortlist_stores_the_ranking_for_accountability(client, session):
    staff, row, strong, *_ = _setup(session)
    login(client, staff)
    response = post_form(client, f"/needs/{row.id}/shortlist", {"expert_id": strong.id}, form_url=f"/needs/{row.id}")
    assert response.status_code == 302
    entry = session.scalar(select(ShortlistEntry).where(ShortlistEntry.need_id == row.id))
    assert entry.expert_id == strong.id and entry.state == "shortlisted" and entry.rank == 1
    assert set(entry.signals) == {"skill", "semantic", "availability", "place", "record", "fee", "type"}
    assert entry.explanation["matched_skills"] and entry.weights["version"] and entry.index_version
    html = client.get(f"/needs/{row.id}").get_data(as_text=True)
    assert "On the shortlist" in html and "Send contact request" in html


def test_only_the_need_organization_may_see_candidates_or_shortlist(client, session):
    staff, row, strong, *_ = _setup(session)
    other = user(session, "org_staff", org(session, "202011"))
    login(client, other)
    html = client.get(f"/needs/{row.id}").get_data(as_text=True)
    assert "強い 候補" not in html and "Ranked candidates" not in html
    client.get(f"/needs/{row.id}")  # a page with a CSRF token
    response = post_form(client, f"/needs/{row.id}/shortlist", {"expert_id": strong.id}, form_url="/needs/")
    assert response.status_code == 403
    login(client, user(session, "admin"))
    assert "強い 候補" in client.get(f"/needs/{row.id}").get_data(as_text=True)


def test_slider_weights_can_be_kept_for_the_need(client, session):
    staff, row, strong, weak, busy = _setup(session)
    login(client, staff)
    page = f"/needs/{row.id}?w_skill=0&w_semantic=0&w_availability=0&w_place=50&w_record=0&w_fee=50&w_type=0"
    weights = {f"w_{n}": v for n, v in (("skill", 0), ("semantic", 0), ("availability", 0), ("place", 50),
                                         ("record", 0), ("fee", 50), ("type", 0))}
    assert post_form(client, f"/needs/{row.id}/weights", {**weights, "submit": "1"}, form_url=page).status_code == 302
    session.refresh(row)
    assert row.weights == {"skill": 0, "semantic": 0, "availability": 0, "place": 0.5, "record": 0, "fee": 0.5,
                           "type": 0}
    html = client.get(f"/needs/{row.id}").get_data(as_text=True)
    assert 'name="w_fee" min="0" max="100" step="1" value="50"' in html and "This need has its own weights." in html
    post_form(client, f"/needs/{row.id}/weights", {**weights, "reset": "1"}, form_url=f"/needs/{row.id}")
    session.refresh(row)
    assert row.weights is None
    login(client, user(session, "org_staff", org(session, "202011")))
    assert post_form(client, f"/needs/{row.id}/weights", weights, form_url="/needs/").status_code == 403
