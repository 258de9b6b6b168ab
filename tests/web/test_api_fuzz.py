"""Whatever a client sends to the JSON API, it answers JSON and never a 500 (property-based)."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.needs_factories import expert, login, need, org, user

ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@pytest.fixture
def staff_client(client, session):
    """Signed-in staff of an organization with one need; shared by every generated example of a test."""
    shiojiri = org(session)
    need(session, shiojiri, skills={"backend_dev": 3})
    expert(session, skills={"backend_dev": 4})
    login(client, user(session, "org_staff", shiojiri))
    return client


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(need_ref=st.one_of(ANY_TEXT, st.integers(-10, 10**12).map(str)),
       top=st.one_of(st.none(), ANY_TEXT, st.integers(-10, 10**6).map(str)))
def test_api_matches_never_answers_5xx(staff_client, need_ref, top):
    url = f"/api/v1/needs/{quote(need_ref, safe='')}/matches"
    if top is not None:
        url += f"?top={quote(top, safe='')}"
    response = staff_client.get(url)
    assert response.status_code < 500, (url, response.get_data(as_text=True)[:300])
    assert response.is_json


@pytest.mark.parametrize("path", ["/needs/99999999999", "/needs/%C2%B2", "/needs/2147483648/edit",
                                  "/experts/99999999999"])
def test_pages_with_out_of_range_ids_are_not_found(staff_client, path):
    assert staff_client.get(path).status_code == 404


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(
    st.sampled_from(["q", "page", "min_hours", "prefecture", "skill_1", "level_1", "talent_type", "work_style",
                     "scheme", "sort", "show", "within_budget", "w_skill", "w_place"]),
    st.one_of(ANY_TEXT, st.integers(-10**12, 10**20).map(str)), max_size=5))
def test_search_and_need_pages_never_answer_5xx(staff_client, params):
    from urllib.parse import urlencode
    query = urlencode(params)
    for path in ("/search/experts", "/needs/1"):
        response = staff_client.get(f"{path}?{query}")
        assert response.status_code < 500, (path, query)


def test_nul_characters_are_refused_with_400_not_stored(staff_client):
    page = staff_client.get("/search/experts?q=a%00b")
    assert page.status_code == 400 and "NUL" in page.get_data(as_text=True)
    assert staff_client.get("/api/v1/needs/1/matches?top=%00").status_code == 400
