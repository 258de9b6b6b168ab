"""/api/v1/dispatch with tokens: the whole workflow from a business's request to the follow-up, each refused rule
as 409 with its reason (and nothing changed), field errors as 422, and the other region's bureau kept out."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from hub.models import AuditEvent, DispatchRequest, Engagement, Evaluation
from tests.hub.dispatch_support import IN_WINDOW, adviser, build, submitted, through
from tests.web.api_support import ApiClient, api_as

BODY = {"theme": "製造現場のデータ活用", "purpose": "project_formation", "stage_id": "problem_identification",
        "field_ids": ["local_industry"], "description": "工場の稼働データを活かす事業を形にしたい。",
        "wanted_from": "2026-11-10", "wanted_until": "2026-11-30", "days": 2, "online_hours": 0}


class Clock:
    """The day the dispatch rules are applied on; a test moves it (the window, the support, the next year)."""

    def __init__(self, day: date):
        self.day = day

    def __call__(self) -> date:
        return self.day


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock(IN_WINDOW)
    monkeypatch.setattr("hub.services.dispatch.today", clock)
    return clock


@pytest.fixture
def w(app, session, clock):
    with app.test_request_context():
        world = build(session)
    session.commit()
    return world


def count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(DispatchRequest))


def test_the_whole_workflow_through_the_api(app, session, w, clock):
    business = api_as(app, session, w.business_staff)
    bureau = api_as(app, session, w.bureau_staff)
    adviser_api = api_as(app, session, w.adviser.user)

    created = business.post("/api/v1/dispatch", json={**BODY, "recommender_id": w.shiojiri.id,
                                                      "named_expert_id": w.adviser.id})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    request_id = body["id"]
    assert body["state"] == "submitted" and body["bureau_id"] == "shinetsu" and body["recommender_id"] == w.shiojiri.id
    assert body["named_expert"] == w.adviser.external_id and body["hours"] == 16

    listed = bureau.get("/api/v1/dispatch?state=submitted").get_json()
    assert [r["id"] for r in listed["items"]] == [request_id] and listed["total"] == 1
    assert bureau.get("/api/v1/dispatch?purpose=other_purpose_x").status_code == 400
    assert bureau.get("/api/v1/dispatch?state=approved").get_json()["total"] == 0

    assert bureau.post(f"/api/v1/dispatch/{request_id}/review").get_json()["state"] == "under_review"
    assert bureau.post(f"/api/v1/dispatch/{request_id}/approve").get_json()["state"] == "approved"

    candidates = bureau.get(f"/api/v1/dispatch/{request_id}/candidates")
    assert candidates.status_code == 200
    ranked = candidates.get_json()
    assert ranked["named_expert"] == w.adviser.external_id and ranked["named_rank"] is not None
    assert {m["external_id"] for m in ranked["matches"]} >= {w.adviser.external_id}
    assert w.non_adviser.external_id not in {m["external_id"] for m in ranked["matches"]}  # the scheme filter
    assert all("explanation" in m for m in ranked["matches"])

    assigned = bureau.post(f"/api/v1/dispatch/{request_id}/assign", json={"expert": w.adviser.external_id})
    assert assigned.status_code == 200, assigned.get_json()
    assert assigned.get_json()["state"] == "assigned"
    assert assigned.get_json()["assignments"][0]["expert"] == w.adviser.external_id
    engagement = session.scalar(select(Engagement).where(Engagement.dispatch_id == request_id))
    assert engagement.status == "active" and engagement.hours_per_month == 16

    # The adviser now sees the request (and only through the assignment).
    assert adviser_api.get(f"/api/v1/dispatch/{request_id}").status_code == 200

    scheduled = bureau.post(f"/api/v1/dispatch/{request_id}/schedule", json={"day": "2026-11-12"})
    assert scheduled.get_json()["state"] == "scheduled"
    assert scheduled.get_json()["assignments"][0]["scheduled_on"] == "2026-11-12"
    future = bureau.post(f"/api/v1/dispatch/{request_id}/done", json={"day": "2026-11-12"})
    assert future.status_code == 409 and future.get_json()["reason"] == "future"
    clock.day = date(2026, 11, 13)
    done = bureau.post(f"/api/v1/dispatch/{request_id}/done", json={"day": "2026-11-12"})
    assert done.get_json()["state"] == "done" and done.get_json()["report_due"] == "2026-11-19"

    reported = adviser_api.post(f"/api/v1/dispatch/{request_id}/report", json={"report": "実証の計画を助言した。"})
    assert reported.status_code == 200 and reported.get_json()["state"] == "reported"

    answer = {"answer": "実証事業を始めた。", "overall": 5, "would_rehire": True, "comment": "的確だった"}
    early = business.post(f"/api/v1/dispatch/{request_id}/follow-up", json=answer)
    assert early.status_code == 409 and early.get_json()["reason"] == "follow_up_not_yet"
    clock.day = date(2027, 4, 2)
    followed = business.post(f"/api/v1/dispatch/{request_id}/follow-up", json=answer)
    assert followed.status_code == 200, followed.get_json()
    assert followed.get_json()["state"] == "followed_up" and followed.get_json()["follow_up"] == "実証事業を始めた。"
    evaluation = session.scalar(select(Evaluation).where(Evaluation.engagement_id == engagement.id))
    assert evaluation is not None and evaluation.overall == 5

    verbs = set(session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity == "dispatch_request", AuditEvent.entity_id == str(request_id))))
    assert {"dispatch_request.submit", "dispatch_request.review", "dispatch_request.approve",
            "dispatch_request.assign", "dispatch_request.schedule", "dispatch_request.done",
            "dispatch_request.report", "dispatch_request.follow_up"} <= verbs


@pytest.mark.parametrize("change, reason", [
    ({"days": 4}, "onsite_days"),
    ({"days": 0, "online_hours": 11}, "online_hours"),
    ({"days": 0, "online_hours": 0}, "no_support"),
    ({"recommender_id": None}, "recommendation_required"),
])
def test_a_refused_rule_is_409_with_its_reason_and_nothing_is_filed(app, session, w, change, reason):
    business = api_as(app, session, w.business_staff)
    before = count(session)
    answer = business.post("/api/v1/dispatch", json={**BODY, "recommender_id": w.shiojiri.id, **change})
    assert answer.status_code == 409, answer.get_json()
    assert answer.get_json()["reason"] == reason and answer.get_json()["error"] == "Conflict"
    assert answer.get_json()["message"]
    assert count(session) == before


def test_the_application_window_is_a_rule_too(app, session, w, clock):
    clock.day = date(2027, 1, 15)  # January: no window
    answer = api_as(app, session, w.muni_staff).post("/api/v1/dispatch", json=BODY)
    assert answer.status_code == 409 and answer.get_json()["reason"] == "window"
    assert "4, 5, 6" in answer.get_json()["message"]


def test_bad_bodies_are_422_with_field_errors(app, session, w):
    muni = api_as(app, session, w.muni_staff)
    before = count(session)
    wrong = muni.post("/api/v1/dispatch", json={**BODY, "purpose": "x", "days": "2", "stage_id": None})
    assert wrong.status_code == 422
    assert {"purpose", "days", "stage_id"} <= set(wrong.get_json()["fields"])
    backwards = muni.post("/api/v1/dispatch", json={**BODY, "wanted_until": "2026-11-01"})
    assert backwards.status_code == 422 and set(backwards.get_json()["fields"]) == {"wanted_until"}
    huge = muni.post("/api/v1/dispatch", json={**BODY, "named_expert_id": 2**40})
    assert huge.status_code == 422 and "named_expert_id" in huge.get_json()["fields"]
    nul = muni.post("/api/v1/dispatch", json={**BODY, "theme": "a\x00b", "description": "\x00"})
    assert nul.status_code == 422 and {"theme", "description"} <= set(nul.get_json()["fields"])
    assert muni.post("/api/v1/dispatch", data="not json", content_type="application/json").status_code == 400
    assert count(session) == before


def test_assigning_beyond_the_advisers_hours_is_409_with_the_remaining_hours(app, session, w):
    busy = adviser(session, "多忙 七子", hours=10)
    row = through(session, w, submitted(session, w), "approved")
    session.commit()
    bureau = api_as(app, session, w.bureau_staff)
    answer = bureau.post(f"/api/v1/dispatch/{row.id}/assign", json={"expert": busy.external_id})
    assert answer.status_code == 409
    body = answer.get_json()
    assert body["reason"] == "not_enough_hours" and body["remaining_hours"] == 10 and body["asked"] == 16
    session.expire_all()
    assert session.get(DispatchRequest, row.id).state == "approved"
    assert session.scalar(select(Engagement.id).where(Engagement.dispatch_id == row.id)) is None
    not_adviser = bureau.post(f"/api/v1/dispatch/{row.id}/assign", json={"expert": str(w.non_adviser.id)})
    assert not_adviser.status_code == 409 and not_adviser.get_json()["reason"] == "not_adviser"
    unknown = bureau.post(f"/api/v1/dispatch/{row.id}/assign", json={"expert": "T99999"})
    assert unknown.status_code == 422 and "expert" in unknown.get_json()["fields"]


def test_reject_needs_a_reason_and_a_second_move_is_a_state_error(app, session, w):
    row = submitted(session, w)
    session.commit()
    bureau = api_as(app, session, w.bureau_staff)
    assert bureau.post(f"/api/v1/dispatch/{row.id}/reject", json={"reason": "\x00"}).status_code == 422
    bare = bureau.post(f"/api/v1/dispatch/{row.id}/reject", json={})
    assert bare.status_code == 409 and bare.get_json()["reason"] == "reason_required"
    rejected = bureau.post(f"/api/v1/dispatch/{row.id}/reject", json={"reason": "今年度の予算枠を超えるため"})
    assert rejected.status_code == 200 and rejected.get_json()["state"] == "rejected"
    assert rejected.get_json()["decision_reason"] == "今年度の予算枠を超えるため"
    again = bureau.post(f"/api/v1/dispatch/{row.id}/approve")
    assert again.status_code == 409 and again.get_json()["reason"] == "state_rejected"
    # The requester reads the reason.
    seen = api_as(app, session, w.business_staff).get(f"/api/v1/dispatch/{row.id}").get_json()
    assert seen["decision_reason"] == "今年度の予算枠を超えるため"


def test_the_requester_withdraws_and_the_assigned_hours_are_released(app, session, w):
    row = through(session, w, submitted(session, w), "assigned")
    session.commit()
    business = api_as(app, session, w.business_staff)
    assert business.post(f"/api/v1/dispatch/{row.id}/approve").status_code == 403  # not the bureau's move
    cancelled = business.post(f"/api/v1/dispatch/{row.id}/cancel", json={"reason": "日程が合わなくなった"})
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    session.expire_all()
    assert session.scalar(select(Engagement.status).where(Engagement.dispatch_id == row.id)) == "cancelled"


def test_another_regions_bureau_is_refused_everything(app, session, w):
    row = submitted(session, w)
    session.commit()
    kanto = api_as(app, session, w.other_bureau_staff)
    assert kanto.get("/api/v1/dispatch").get_json()["total"] == 0
    assert kanto.get(f"/api/v1/dispatch/{row.id}").status_code == 404
    assert kanto.get(f"/api/v1/dispatch/{row.id}/candidates").status_code == 404
    for move, body in (("review", None), ("reject", {"reason": "x"}), ("cancel", {"reason": "x"}),
                       ("assign", {"expert": w.adviser.external_id})):
        answer = kanto.post(f"/api/v1/dispatch/{row.id}/{move}", json=body)
        assert answer.status_code == 404 and answer.get_json()["error"] == "Not Found", move
    session.expire_all()
    assert session.get(DispatchRequest, row.id).state == "submitted"
    # A bureau files no requests; nobody without a token gets in.
    assert kanto.post("/api/v1/dispatch", json=BODY).status_code == 403
    assert ApiClient(app.test_client(), None).get("/api/v1/dispatch").status_code == 401


def test_lists_page_like_the_other_lists(app, session, w):
    for n in range(3):
        submitted(session, w, theme=f"データ活用 {n}")
    session.commit()
    bureau = api_as(app, session, w.bureau_staff)
    first = bureau.get("/api/v1/dispatch?per_page=2").get_json()
    second = bureau.get("/api/v1/dispatch?per_page=2&page=2").get_json()
    assert first["total"] == 3 and first["pages"] == 2 and len(first["items"]) == 2 and len(second["items"]) == 1
    assert {r["id"] for r in first["items"]}.isdisjoint({r["id"] for r in second["items"]})
    assert bureau.get("/api/v1/dispatch?per_page=0").status_code == 400


def test_the_session_keeps_csrf_on_dispatch_writes(app, session, w):
    from tests.web.needs_factories import login
    row = submitted(session, w)
    session.commit()
    client = app.test_client()
    login(client, w.bureau_staff)
    answer = client.post(f"/api/v1/dispatch/{row.id}/review")
    assert answer.status_code == 400
    session.expire_all()
    assert session.get(DispatchRequest, row.id).state == "submitted"
