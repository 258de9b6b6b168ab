"""Team proposals on the need page, shortlisting a whole team in one commit, and the need form's team roles and
co-organizations (shared needs), with other roles' accounts trying the same."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from hub.models import AuditEvent, Engagement, Evaluation, ExpertRole, Need, NeedRole, NeedShare, ShortlistEntry
from hub.services import engagements, teams
from tests.support import post_form
from tests.web.needs_factories import expert, login, need, org, user
from tests.web.test_authorization_matrix import NEED_FORM
from tests.web.web_accounts_support import forget_current_user


def page_in(client, url: str, lang: str) -> str:
    forget_current_user()  # the test's one app context would keep the first request's language
    return client.get(f"{url}?lang={lang}").get_data(as_text=True)

PM, ENG, SD = "ba_internal_operations", "backend_engineer", "service_designer"


def _team_world(session, *, budget: int | None = None):
    shiojiri = org(session)
    staff = user(session, "org_staff", shiojiri)
    row = need(session, shiojiri, skills={"project_management": 3, "backend_dev": 3, "user_understanding": 2},
               hours_per_month=60, budget_unit="hour" if budget else None, budget_max=budget)
    row.team_roles = [NeedRole(role_id=PM, hours_per_month=20), NeedRole(role_id=ENG, hours_per_month=20),
                      NeedRole(role_id=SD, hours_per_month=20)]
    people = {}
    for key, role, skills, fee in (("pm", PM, {"project_management": 4}, 6000),
                                   ("eng", ENG, {"backend_dev": 4}, 9000),
                                   ("sd", SD, {"user_understanding": 3, "value_discovery": 3}, None),
                                   ("eng2", ENG, {"backend_dev": 2}, 5000)):
        person = expert(session, name=f"チーム {key}", skills=skills, fee_unit="hour" if fee else None, fee_amount=fee)
        person.roles = [ExpertRole(role_id=role)]
        people[key] = person
    expert(session, name="役割なし", skills={"backend_dev": 4})  # declares no role: never in a team
    session.flush()
    return staff, row, people


def test_need_page_shows_team_proposals_with_members_coverage_and_gaps(app, client, session):
    staff, row, people = _team_world(session)
    login(client, staff)
    html = client.get(f"/needs/{row.id}?lang=en").get_data(as_text=True)
    assert 'id="teams-title"' in html and "Team proposals" in html
    first = html[html.index('id="team-1-title"'):html.index('id="team-2-title"') if 'id="team-2-title"' in html else None]
    for key in ("pm", "eng", "sd"):
        assert people[key].name in first
    assert "役割なし" not in html[html.index('id="teams-title"'):html.index('id="shortlist-title"')]
    assert "100<span" in first  # every required level reached
    assert "Shortlist this team" in first
    second = html[html.index('id="team-2-title"'):]
    assert people["eng2"].name in second and "level 2 of 3" in second  # the weaker team shows its gap
    ja = page_in(client, f"/needs/{row.id}", "ja")
    assert "チームの提案" in ja and "このチームを候補に残す" in ja


def test_shortlisting_a_team_adds_every_member_in_one_commit(app, client, session):
    staff, row, people = _team_world(session)
    login(client, staff)
    members = f"{people['pm'].id},{people['eng'].id},{people['sd'].id}"
    response = post_form(client, f"/needs/{row.id}/teams/shortlist", {"members": members},
                         form_url=f"/needs/{row.id}")
    assert response.status_code == 302
    entries = session.scalars(select(ShortlistEntry).where(ShortlistEntry.need_id == row.id)).all()
    assert {e.expert_id for e in entries} == {people[k].id for k in ("pm", "eng", "sd")}
    assert all(e.explanation and e.score and e.rank for e in entries)
    audits = session.scalars(select(AuditEvent.action).where(AuditEvent.action == "shortlist_entry.create")).all()
    assert len(audits) == 3
    # Again: nothing twice, nothing new.
    post_form(client, f"/needs/{row.id}/teams/shortlist", {"members": members}, form_url=f"/needs/{row.id}")
    assert session.scalar(select(func.count()).select_from(ShortlistEntry)
                          .where(ShortlistEntry.need_id == row.id)) == 3


def test_a_team_with_someone_not_ranked_writes_nothing(app, client, session):
    staff, row, people = _team_world(session)
    outsider = expert(session, name="圏外 太郎", skills={"backend_dev": 4})
    outsider.status = "paused"
    session.flush()
    login(client, staff)
    response = post_form(client, f"/needs/{row.id}/teams/shortlist",
                         {"members": f"{people['pm'].id},{outsider.id}"}, form_url=f"/needs/{row.id}")
    assert response.status_code == 302
    assert session.scalar(select(func.count()).select_from(ShortlistEntry)) == 0
    for bad in ("", "1,x", ",".join(["1"] * 11), "9" * 13):
        assert post_form(client, f"/needs/{row.id}/teams/shortlist", {"members": bad},
                         form_url=f"/needs/{row.id}").status_code == 400


def test_other_roles_cannot_shortlist_a_team(app, client, session):
    staff, row, people = _team_world(session)
    members = f"{people['pm'].id},{people['eng'].id}"
    for account in (user(session, "org_staff", org(session, "202029")),  # 松本市: same bureau
                    user(session, "org_staff", row.organization, approved=False),
                    user(session, "admin"), people["pm"].user):
        login(client, account)
        token_page = client.get("/needs/")
        assert token_page.status_code in (200, 302)
        response = client.post(f"/needs/{row.id}/teams/shortlist", data={"members": members})
        assert response.status_code in (400, 403)  # no CSRF token of the need page, or not allowed
    assert session.scalar(select(func.count()).select_from(ShortlistEntry)) == 0


def test_budget_rules_out_teams_whose_known_fees_exceed_it(app, client, session):
    staff, row, people = _team_world(session, budget=6500)  # 60 h x 6,500 yen = 390,000 yen/month
    login(client, staff)
    outcome = teams.propose(session, app.extensions["hub.matcher"], row)
    assert outcome.budget_per_month == 390000
    for team in outcome.result.teams:
        assert team.within_budget
    best = outcome.result.teams[0]
    assert people["eng"].id in best.expert_ids  # 20 h x 9,000 + 20 h x 6,000 = 300,000: within
    assert best.unknown_fees == 1


def test_need_form_saves_team_roles_split_evenly_and_co_organizations(app, client, session):
    shiojiri = org(session)
    staff = user(session, "org_staff", shiojiri)
    login(client, staff)
    form = {**NEED_FORM, "hours_per_month": "31", "team_roles": [PM, ENG],
            "shares-0-lg_code": "204323", "shares-0-hours_per_month": "10", "shares-0-budget_max": "2000",
            "shares-1-lg_code": "", "shares-1-hours_per_month": "", "shares-1-budget_max": ""}
    response = post_form(client, "/needs/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    row = session.scalar(select(Need).where(Need.title == NEED_FORM["title"]))
    assert row.role_hours == {PM: 16, ENG: 15}
    assert [(s.organization.lg_code, s.hours_per_month, s.budget_max, s.location_lg_code) for s in row.shares] == [
        ("204323", 10, 2000, "204323")]
    html = client.get(f"/needs/{row.id}/edit").get_data(as_text=True)
    assert 'selected value="204323"' in html or 'value="204323" selected' in html
    boxes = re.findall(r'<input[^>]*name="team_roles"[^>]*>', html)
    assert len(boxes) == 15 and sorted(re.search(r'value="([^"]+)"', b)[1] for b in boxes if "checked" in b) == [
        PM, ENG]
    page = page_in(client, f"/needs/{row.id}", "ja")
    assert "共同任用" in page and "木曽町" in page
    # Uneven hours (from an import) stay when the roles and hours stay; other roles are split evenly again.
    row.team_roles[0].hours_per_month, row.team_roles[1].hours_per_month = 21, 10
    session.commit()
    post_form(client, f"/needs/{row.id}/edit", form)
    session.expire_all()
    assert session.get(Need, row.id).role_hours == {PM: 21, ENG: 10}
    post_form(client, f"/needs/{row.id}/edit", {**form, "team_roles": [PM, ENG, SD]})
    session.expire_all()
    assert session.get(Need, row.id).role_hours == {PM: 11, ENG: 10, SD: 10}


def test_need_form_keeps_what_was_typed_when_shares_break_a_rule(app, client, session):
    shiojiri = org(session)
    login(client, user(session, "org_staff", shiojiri))
    form = {**NEED_FORM, "hours_per_month": "20", "team_roles": [PM],
            "shares-0-lg_code": "204323", "shares-0-hours_per_month": "25", "shares-0-budget_max": "",
            "shares-1-lg_code": "", "shares-1-hours_per_month": "", "shares-1-budget_max": ""}
    response = post_form(client, "/needs/new?lang=en", form, form_url="/needs/new?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A team needs at least two roles" in html
    form["team_roles"] = [PM, ENG]
    html = post_form(client, "/needs/new?lang=en", form, form_url="/needs/new?lang=en").get_data(as_text=True)
    assert "exceed the need&#39;s hours per month" in html or "exceed the need's hours per month" in html
    assert 'value="25"' in html and NEED_FORM["title"] in html
    assert session.scalar(select(func.count()).select_from(NeedShare)) == 0


def test_co_organization_staff_evaluate_on_the_need_page(app, client, session):
    shiojiri, kiso = org(session), org(session, "204323")
    lead, co_staff = user(session, "org_staff", shiojiri), user(session, "org_staff", kiso)
    row = need(session, shiojiri, skills={"backend_dev": 2})
    row.shares = [NeedShare(organization=kiso, hours_per_month=5, location_lg_code="204323")]
    person = expert(session, name="木曽 支援", skills={"backend_dev": 3})
    entry = ShortlistEntry(need=row, expert=person, state="accepted")
    session.add(entry)
    session.flush()
    with app.test_request_context():
        engagement = engagements.start_engagement(session, lead, entry, role="広域支援", start=date(2027, 4, 1),
                                                  end=None, hours_per_month=20)
        engagements.complete_engagement(session, lead, engagement, end=date(2027, 12, 31))
    session.commit()
    login(client, co_staff)
    page = client.get(f"/needs/{row.id}?lang=en").get_data(as_text=True)
    url = f"/needs/{row.id}/engagements/{engagement.id}/evaluate/{kiso.id}"
    assert 'id="candidates-title"' in page and url in page  # candidates read-only, and their own evaluation
    assert f'href="/needs/{row.id}/edit"' not in page
    response = post_form(client, url, {"overall": "5", "skills-0-skill_id": "backend_dev", "skills-0-rating": "4",
                                       "would_rehire": "yes", "comment": "木曽町でも"})
    assert response.status_code == 302
    done = session.scalar(select(Evaluation).where(Evaluation.co_organization_id == kiso.id))
    assert done.overall == 5 and done.engagement_id == engagement.id
    assert session.get(Engagement, engagement.id).evaluation is None  # the lead's evaluation is its own
    # The lead's staff do not evaluate in 木曽町's name.
    login(client, lead)
    assert client.get(url).status_code == 403
    # 木曽町's staff see their need among their own.
    login(client, co_staff)
    index = client.get("/needs/").get_data(as_text=True)
    assert row.title in index
