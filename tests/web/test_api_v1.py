"""The /api/v1 endpoints with tokens: the whole need-to-evaluation flow, lists, experts, errors, CSRF."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from hub.models import AuditEvent, Engagement, Need, ShortlistEntry
from tests.support import csrf_token_from
from tests.web.api_support import ApiClient, api_as
from tests.web.needs_factories import expert, login, need, org, user

NEED_BODY = {
    "title": "防災アプリの開発", "description": "避難所の混雑をアプリで住民に届けたい。",
    "stages": ["development"], "required_skills": {"backend_dev": 2}, "fields": ["disaster_prevention"],
    "work_style": "remote", "hours_per_month": 20, "start": "2027-04-01", "end": "2028-03-31",
    "budget": {"unit": "hour", "max": 9000}, "engagement_form": "contract",
}


def _world(app, session):
    shiojiri = org(session)
    owner = user(session, "org_staff", shiojiri)
    hanako = expert(session, name="山田 花子", skills={"backend_dev": 3}, hours=30)
    expert(session, name="佐藤 太郎", skills={"backend_dev": 2}, hours=40)
    session.commit()
    return api_as(app, session, owner), api_as(app, session, hanako.user), hanako


def test_api_whole_flow_from_a_new_need_to_an_evaluation(app, session):
    staff, expert_api, hanako = _world(app, session)

    created = staff.post("/api/v1/needs", json=NEED_BODY)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    ref = body["external_id"]
    assert body["status"] == "draft" and body["org_lg_code"] == "202151" and created.headers["Location"].endswith(ref)
    assert body["fields"] == ["disaster_prevention"] and body["required_skills"] == {"backend_dev": 2}
    assert staff.get(f"/api/v1/needs/{ref}").get_json()["title"] == "防災アプリの開発"

    patched = staff.patch(f"/api/v1/needs/{ref}", json={"hours_per_month": 25})
    assert patched.status_code == 200 and patched.get_json()["hours_per_month"] == 25
    assert patched.get_json()["title"] == NEED_BODY["title"]  # the other keys stay

    published = staff.post(f"/api/v1/needs/{ref}/publish")
    assert published.status_code == 200 and published.get_json()["status"] == "open"
    again = staff.post(f"/api/v1/needs/{ref}/publish")
    assert again.status_code == 409 and again.get_json()["reason"] == "not_draft"

    matches = staff.get(f"/api/v1/needs/{ref}/matches?top=5").get_json()
    assert hanako.external_id in [m["external_id"] for m in matches]

    entry = staff.post(f"/api/v1/needs/{ref}/shortlist", json={"expert": hanako.external_id})
    assert entry.status_code == 201 and entry.get_json()["state"] == "shortlisted"
    entry_id = entry.get_json()["id"]
    twice = staff.post(f"/api/v1/needs/{ref}/shortlist", json={"expert": hanako.external_id})
    assert twice.status_code in (201, 409)  # the verb keeps one entry either way
    listed = staff.get(f"/api/v1/needs/{ref}/shortlist").get_json()
    assert listed["total"] == 1 and listed["items"][0]["expert"] == hanako.external_id

    contacted = staff.post(f"/api/v1/shortlist/{entry_id}/contact", json={"message": "ご相談させてください。"})
    assert contacted.status_code == 200 and contacted.get_json()["state"] == "contacted"
    assert staff.post(f"/api/v1/shortlist/{entry_id}/respond", json={"accept": True}).status_code == 403
    answered = expert_api.post(f"/api/v1/shortlist/{entry_id}/respond", json={"accept": True})
    assert answered.status_code == 200 and answered.get_json()["state"] == "accepted"

    too_much = staff.post(f"/api/v1/shortlist/{entry_id}/engagement",
                          json={"hours_per_month": 31, "start": "2027-04-01", "end": "2028-03-31"})
    assert too_much.status_code == 409
    assert too_much.get_json()["remaining_hours"] == 30 and too_much.get_json()["reason"] == "not_enough_hours"
    started = staff.post(f"/api/v1/shortlist/{entry_id}/engagement",
                         json={"hours_per_month": 20, "start": "2027-04-01", "end": "2028-03-31", "role": "開発リーダー"})
    assert started.status_code == 201, started.get_json()
    engagement_id = started.get_json()["id"]
    assert started.get_json()["status"] == "active" and started.get_json()["hours_per_month"] == 20

    not_yet = staff.post(f"/api/v1/engagements/{engagement_id}/evaluation", json={"overall": 4})
    assert not_yet.status_code == 409 and not_yet.get_json()["reason"] == "not_completed"
    before = staff.post(f"/api/v1/engagements/{engagement_id}/complete", json={"end": "2020-01-01"})
    assert before.status_code == 422 and "end" in before.get_json()["fields"]
    done = staff.post(f"/api/v1/engagements/{engagement_id}/complete",
                      json={"end": "2028-03-31", "contribution": "アプリを公開", "outcome": "利用者1万人"})
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    wrong_skill = staff.post(f"/api/v1/engagements/{engagement_id}/evaluation",
                             json={"overall": 4, "skill_ratings": {"sre": 4}})
    assert wrong_skill.status_code == 422 and "skill_ratings.sre" in wrong_skill.get_json()["fields"]
    evaluated = staff.post(f"/api/v1/engagements/{engagement_id}/evaluation",
                           json={"overall": 5, "would_rehire": True, "skill_ratings": {"backend_dev": 5}})
    assert evaluated.status_code == 201 and evaluated.get_json()["skill_ratings"] == {"backend_dev": 5}
    assert staff.post(f"/api/v1/engagements/{engagement_id}/evaluation", json={"overall": 5}).status_code == 409

    closed = staff.post(f"/api/v1/needs/{ref}/close")
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"need.create", "need.update", "need.publish", "shortlist_entry.create", "shortlist_entry.contact",
            "shortlist_entry.accept", "engagement.start", "engagement.complete", "evaluation.create",
            "need.close", "api_token.create"} <= actions


def test_api_lists_need_filters_and_paging_follow_the_need_rules(app, session):
    shiojiri, matsumoto = org(session), org(session, "202029")
    own_draft = need(session, shiojiri, status="draft")
    other_draft = need(session, matsumoto, status="draft")
    for _ in range(3):
        need(session, matsumoto)
    staff = api_as(app, session, user(session, "org_staff", shiojiri))
    everything = staff.get("/api/v1/needs?per_page=100").get_json()
    assert "items" in everything, everything
    refs = {n["external_id"] for n in everything["items"]}
    assert own_draft.external_id in refs and other_draft.external_id not in refs
    assert everything["total"] == 4
    page = staff.get("/api/v1/needs?per_page=2&page=2").get_json()
    assert (page["page"], page["per_page"], page["pages"], len(page["items"])) == (2, 2, 2, 2)
    assert staff.get("/api/v1/needs?status=draft").get_json()["total"] == 1
    assert staff.get("/api/v1/needs?organization=202029").get_json()["total"] == 3
    assert staff.get("/api/v1/needs?mine=true").get_json()["total"] == 1
    assert staff.get("/api/v1/needs?stage=development").get_json()["total"] == 4
    bad = staff.get("/api/v1/needs?per_page=1000&status=nope")
    assert bad.status_code == 400 and {"per_page", "status"} <= set(bad.get_json()["fields"])
    assert staff.get(f"/api/v1/needs/{other_draft.external_id}").status_code == 404


def test_visible_needs_agrees_with_can_see_need(app, session):
    """The list's SQL form of the rule and the rule itself say the same for every role and need."""
    from hub import permissions
    from hub.models import Need as NeedModel
    from hub.models import NeedShare
    shiojiri, matsumoto = org(session), org(session, "202029")
    rows = [need(session, o, status=s) for o in (shiojiri, matsumoto) for s in ("draft", "open", "closed")]
    # A draft of 塩尻市 shared with 山形村 (共同任用): its staff see it, 松本市's do not.
    yamagata = org(session, "203611")
    rows[0].shares.append(NeedShare(organization_id=yamagata.id, hours_per_month=5, location_lg_code="203611"))
    session.flush()
    session.expire(rows[0])
    people = [user(session, "org_staff", shiojiri), user(session, "org_staff", shiojiri, approved=False),
              user(session, "org_staff", matsumoto), user(session, "org_staff", yamagata), user(session, "admin"),
              expert(session).user]
    for person in people:
        condition = permissions.visible_needs(person)
        listed = set(session.scalars(select(NeedModel.id).where(condition))) & {r.id for r in rows}
        assert listed == {r.id for r in rows if permissions.can_see_need(person, r)}, person.role


def test_api_need_bodies_are_checked_like_an_import_line(app, session):
    staff, _expert_api, _hanako = _world(app, session)
    bad = staff.post("/api/v1/needs", json={**NEED_BODY, "stages": ["nope"], "hours_per_month": "20",
                                            "budget": {"unit": "hour"}, "surprise": 1, "status": "open"})
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) >= {"status"}
    bad = staff.post("/api/v1/needs", json={**NEED_BODY, "stages": ["nope"], "hours_per_month": "20",
                                            "budget": {"unit": "hour"}, "surprise": 1})
    fields = bad.get_json()["fields"]
    assert {"stages[0]", "hours_per_month", "budget.max", "surprise"} <= set(fields), fields
    assert staff.post("/api/v1/needs", data="{not json", content_type="application/json").status_code == 400
    assert staff.post("/api/v1/needs", json=[1, 2]).status_code == 422
    assert staff.post("/api/v1/needs", data="x" * (3 * 1024 * 1024), content_type="application/json").status_code == 413
    assert session.scalar(select(Need.id).where(Need.title == NEED_BODY["title"])) is None


def test_api_small_bodies_refuse_wrong_types_with_field_errors(app, session):
    staff, expert_api, hanako = _world(app, session)
    row = session.scalar(select(Need))
    row = need(session, org(session))
    session.commit()
    for body, field in (({"expert": 12}, "expert"), ({}, "expert"), ({"expert": "x", "more": 1}, "more")):
        response = staff.post(f"/api/v1/needs/{row.external_id}/shortlist", json=body)
        assert response.status_code == 422 and field in response.get_json()["fields"], response.get_json()
    entry = ShortlistEntry(need_id=row.id, expert_id=hanako.id, state="contacted")
    session.add(entry)
    session.commit()
    for accept in (1, "yes", None):
        response = expert_api.post(f"/api/v1/shortlist/{entry.id}/respond", json={"accept": accept})
        assert response.status_code == 422 and "accept" in response.get_json()["fields"]
    assert expert_api.post(f"/api/v1/shortlist/{entry.id}/respond", data="[", content_type="application/json"
                           ).status_code == 400


def test_api_experts_search_profile_and_own_profile(app, session):
    shiojiri = org(session)
    staff = api_as(app, session, user(session, "org_staff", shiojiri))
    hanako = expert(session, name="山田 花子", skills={"backend_dev": 3}, bio="オンデマンド交通の実証")
    expert(session, name="佐藤 太郎", skills={"frontend_dev": 2})
    session.commit()
    found = staff.get("/api/v1/experts?q=オンデマンド&skill_1=backend_dev&level_1=2").get_json()
    assert [e["external_id"] for e in found["items"]] == [hanako.external_id] and found["total"] == 1
    assert staff.get("/api/v1/experts?min_hours=9999").status_code == 400
    profile = staff.get(f"/api/v1/experts/{hanako.external_id}").get_json()
    assert profile["name"] == "山田 花子" and profile["email"] is None and profile["phone"] is None  # not accepted yet
    assert "notify_opt_in" not in profile and "visibility" not in profile  # the expert's own settings
    assert staff.get("/api/v1/experts/NOPE").status_code == 404

    own = api_as(app, session, hanako.user)
    assert own.get("/api/v1/experts").status_code == 403
    me = own.get("/api/v1/experts/me").get_json()
    assert me["external_id"] == hanako.external_id and me["email"] and me["notify_opt_in"] is True
    changed = own.patch("/api/v1/experts/me", json={"hours_per_month": 0, "bio": "新しい紹介文",
                                                    "work_styles": {"onsite": False}})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["hours_per_month"] == 0 and changed.get_json()["bio"] == "新しい紹介文"
    assert changed.get_json()["work_styles"] == {"remote": True, "onsite": False, "resident": False}
    bad = own.patch("/api/v1/experts/me", json={"hours_per_month": 745, "skills": {"sre": {"level": 4,
                                                                                        "source": "verified"}},
                                                  "external_id": "X", "roles": ["nope"]})
    assert bad.status_code == 422
    assert {"skills.sre", "external_id"} <= set(bad.get_json()["fields"]), bad.get_json()
    bad = own.patch("/api/v1/experts/me", json={"hours_per_month": 745, "roles": ["nope"]})
    assert {"hours_per_month", "roles[0]"} <= set(bad.get_json()["fields"])
    assert staff.get("/api/v1/experts/me").status_code == 403
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "expert.update")))
    assert [e.details["section"] for e in events] == ["api"]


def test_api_taxonomy_names_every_vocabulary(app, session, taxonomy):
    staff = api_as(app, session, user(session, "expert"))
    answer = staff.get("/api/v1/taxonomy").get_json()
    assert {s["id"] for s in answer["skills"]} == set(taxonomy.items)
    assert {s["id"] for s in answer["stages"]} == set(taxonomy.stages)
    assert {"talent_types", "work_styles", "engagement_forms", "schemes", "fee_units"} <= set(answer["vocabularies"])
    assert all(term["ja"] and term["en"] for term in answer["roles"])


def test_openapi_document_lists_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    doc = spec.get_json()
    assert doc["openapi"].startswith("3.")
    documented = {(method.upper(), path) for path, item in doc["paths"].items() for method in item
                  if method in ("get", "post", "patch", "put", "delete")}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            routes |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_session_writes_keep_csrf_and_token_writes_need_none(app, client, session):
    shiojiri = org(session)
    owner = user(session, "org_staff", shiojiri)
    draft = need(session, shiojiri, status="draft")
    session.commit()
    login(client, owner)
    url = f"/api/v1/needs/{draft.external_id}/publish"
    refused = client.post(url)
    assert refused.status_code == 400 and refused.is_json and "CSRF" in refused.get_json()["message"]
    token = csrf_token_from(client.get(f"/needs/{draft.id}").get_data(as_text=True))
    assert client.post(url, headers={"X-CSRFToken": token}).status_code == 200
    other = need(session, shiojiri, status="draft")
    session.commit()
    assert api_as(app, session, owner).post(f"/api/v1/needs/{other.external_id}/publish").status_code == 200


def test_api_errors_without_or_with_a_bad_token(app, session):
    anonymous = ApiClient(app.test_client(), None)
    assert anonymous.get("/api/v1/needs").status_code == 401
    forged = ApiClient(app.test_client(), "dxh_not-a-real-token")
    response = forged.get("/api/v1/needs")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    garbage = app.test_client().get("/api/v1/needs", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert garbage.status_code == 401 and garbage.is_json
    assert json.loads(garbage.get_data())["error"] == "Unauthorized"


def test_api_json_with_a_nul_character_is_refused_before_any_write(app, session):
    """A NUL in a JSON text is a 422 naming the field, never a 500 (PostgreSQL text cannot hold it)."""
    staff, expert_api, _hanako = _world(app, session)
    before = session.scalar(select(func.count(Need.id)))
    for body, where in (({**NEED_BODY, "title": "防災\u0000アプリ"}, "title"),
                        ({**NEED_BODY, "fields": ["disaster_prevention", "a\u0000"]}, "fields.1")):
        response = staff.post("/api/v1/needs", data=json.dumps(body), content_type="application/json")
        assert response.status_code == 422, response.get_data(as_text=True)
        assert list(response.get_json()["fields"]) == [where]
    patched = expert_api.patch("/api/v1/experts/me", data='{"bio": "x\\u0000y"}', content_type="application/json")
    assert patched.status_code == 422 and patched.get_json()["fields"] == {"bio": ["must not contain a NUL character"]}
    assert session.scalar(select(func.count(Need.id))) == before


def test_api_json_nested_too_deep_is_a_4xx_not_a_500(app, session):
    """A 2 MB body of nested brackets exhausts the JSON parser's recursion: bad JSON (400), never a 500."""
    staff, _expert_api, _hanako = _world(app, session)
    for depth in (500, 5000, 100_000):
        response = staff.post("/api/v1/needs", data="[" * depth + "]" * depth, content_type="application/json")
        assert 400 <= response.status_code < 500 and response.is_json, (depth, response.status_code)
