"""Property tests of the API's write endpoints: whatever JSON arrives, a 2xx or a 4xx JSON answer, never a 500,
and a refused body changes nothing."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hub.models import AuditEvent, ShortlistEntry
from tests.web.api_support import api_as
from tests.web.needs_factories import expert, need, org, user

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=False),
                         st.text(max_size=20))
JSON = st.recursive(JSON_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                          st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                    max_leaves=8)
NEED_KEYS = ["title", "description", "stages", "talent_type", "required_skills", "fields", "work_style",
             "hours_per_month", "start", "end", "budget", "engagement_form", "external_id", "status"]
EXPERT_KEYS = ["name", "email", "talent_type", "roles", "skills", "bio", "fields", "home_lg_code", "work_styles",
               "max_travel_km", "hours_per_month", "available_from", "available_until", "fee", "schemes", "listed"]
PLAUSIBLE = {
    "hours_per_month": st.one_of(st.integers(-5, 800), st.text(max_size=3)),
    "start": st.one_of(st.dates().map(str), st.text(max_size=10)),
    "stages": st.lists(st.sampled_from(["development", "adoption", "nope"]), max_size=2),
    "work_style": st.sampled_from(["remote", "hybrid", "onsite", "resident", "nope"]),
}


def body_of(keys):
    return st.fixed_dictionaries({}, optional={key: PLAUSIBLE.get(key, JSON) for key in keys})


@pytest.fixture
def world(app, session):
    shiojiri = org(session)
    staff = user(session, "org_staff", shiojiri)
    hanako = expert(session, skills={"backend_dev": 3})
    row = need(session, shiojiri, skills={"backend_dev": 2})
    entry = ShortlistEntry(need_id=row.id, expert_id=hanako.id, state="accepted")
    session.add(entry)
    session.commit()
    return {"staff": api_as(app, session, staff), "expert": api_as(app, session, hanako.user), "need": row.external_id,
            "entry": entry.id}


def _answer_is_json(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert response.is_json, response.get_data(as_text=True)[:200]
    if response.status_code >= 400:
        assert set(response.get_json()) >= {"error", "message"}


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(body=st.one_of(body_of(NEED_KEYS), JSON))
def test_post_needs_never_5xx_and_refusals_write_nothing(world, session, body):
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    response = world["staff"].post("/api/v1/needs", json=body)
    _answer_is_json(response)
    if response.status_code != 201:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


@SETTINGS
@given(body=st.one_of(body_of(NEED_KEYS), JSON))
def test_patch_need_never_5xx(world, body):
    _answer_is_json(world["staff"].patch(f"/api/v1/needs/{world['need']}", json=body))


@SETTINGS
@given(body=st.one_of(body_of(["hours_per_month", "start", "end", "role"]), JSON))
def test_start_engagement_never_5xx_and_never_overbooks(world, session, body):
    response = world["staff"].post(f"/api/v1/shortlist/{world['entry']}/engagement", json=body)
    _answer_is_json(response)
    if response.status_code == 201:
        assert response.get_json()["hours_per_month"] <= 40


@SETTINGS
@given(body=st.one_of(body_of(EXPERT_KEYS), JSON))
def test_patch_own_profile_never_5xx(world, body):
    _answer_is_json(world["expert"].patch("/api/v1/experts/me", json=body))


@SETTINGS
@given(path=st.sampled_from(["/shortlist/{entry}/contact", "/shortlist/{entry}/respond", "/engagements/1/complete",
                             "/engagements/1/evaluation", "/needs/{need}/shortlist"]),
       body=JSON, raw=st.one_of(st.none(), st.binary(max_size=40)))
def test_other_writes_never_5xx(world, path, body, raw):
    url = "/api/v1" + path.format(**world)
    for who in ("staff", "expert"):
        if raw is None:
            response = world[who].post(url, json=body)
        else:
            response = world[who].post(url, data=raw, content_type="application/json")
        _answer_is_json(response)
