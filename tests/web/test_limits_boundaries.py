"""Each limit of hub/limits.py at its boundary, through the form, the importer and the API alike:
the limit itself is accepted, one over is refused with a clear error (never a 500, PostgreSQL included)."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from hub import limits
from hub.models import Engagement, ExpertProfile, Need
from hub.services import interchange
from tests.hub.test_interchange import expert as expert_line, jsonl, need as need_line
from tests.support import post_form
from tests.web.needs_factories import expert, login, need, org, user
from tests.web.test_needs_pages import NEED_FORM

TOO_BIG_BUDGET = 3_000_000_000  # the budget of the issue: past the INTEGER range, a 500 on PostgreSQL before


def _post_need(client, session, **changes):
    shiojiri = org(session)
    login(client, user(session, "org_staff", shiojiri))
    return post_form(client, "/needs/new", {**NEED_FORM, **changes})


def _saved_need(session):
    return session.scalar(select(Need).where(Need.organization_id.is_not(None)).order_by(Need.id.desc()))


# -- the need form ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "at_limit", "over", "stored"), [
    ("title", "題" * limits.TITLE, "題" * (limits.TITLE + 1), lambda n: len(n.title)),
    ("description", "説" * limits.DESCRIPTION, "説" * (limits.DESCRIPTION + 1), lambda n: len(n.description)),
    ("budget_max", str(limits.MONEY.high), str(limits.MONEY.high + 1), lambda n: n.budget_max),
    ("hours_per_month", str(limits.HOURS_PER_MONTH.high), str(limits.HOURS_PER_MONTH.high + 1),
     lambda n: n.hours_per_month),
    ("end", limits.DATES.high.isoformat(), (limits.DATES.high + timedelta(days=1)).isoformat(),
     lambda n: n.end_date.isoformat()),
])
def test_limits_need_form_accepts_the_limit_and_refuses_one_over(client, session, field, at_limit, over, stored):
    response = _post_need(client, session, **{field: over})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert _saved_need(session) is None
    response = post_form(client, "/needs/new", {**NEED_FORM, field: at_limit})
    assert response.status_code == 302
    value = stored(_saved_need(session))
    assert str(value) == at_limit or value == len(at_limit)


def test_limits_need_form_refuses_a_budget_of_three_billion_with_a_clear_error(client, session):
    response = _post_need(client, session, budget_max=str(TOO_BIG_BUDGET))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert str(limits.MONEY.high) in html  # the error names the range
    assert 'value="3000000000"' in html  # and keeps what was typed
    assert _saved_need(session) is None


def test_limits_need_form_refuses_a_start_before_the_sane_range(client, session):
    response = _post_need(client, session, start=(limits.DATES.low - timedelta(days=1)).isoformat())
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and limits.DATES.low.isoformat() in html
    assert _saved_need(session) is None


# -- the expert's profile and track record ----------------------------------------------------------------------

def _as_expert(client, session) -> ExpertProfile:
    profile = expert(session)
    login(client, profile.user)
    return profile


@pytest.mark.parametrize(("section", "data", "field", "bound"), [
    ("work", {"remote": "y", "onsite": "y", "home": ""}, "max_travel_km", limits.TRAVEL_KM),
    ("fee", {"fee_unit": "hour"}, "fee_amount", limits.MONEY),
    ("hours", {}, "hours_per_month", limits.HOURS_PER_MONTH),
])
def test_limits_profile_numbers_at_and_over_the_limit(client, session, section, data, field, bound):
    profile = _as_expert(client, session)
    url = f"/experts/me/profile/{section}"
    over = post_form(client, url, {**data, field: str(bound.high + 1)})
    assert over.status_code == 200 and str(bound.high) in over.get_data(as_text=True)
    assert post_form(client, url, {**data, field: str(bound.high)}).status_code == 302
    session.refresh(profile)
    assert getattr(profile, field) == bound.high


def test_limits_profile_bio_at_and_over_the_limit(client, session):
    profile = _as_expert(client, session)
    url = "/experts/me/profile/basics"
    data = {"name": "山田 花子", "talent_type": "XD"}
    over = post_form(client, url, {**data, "bio": "経" * (limits.BIO + 1)})
    assert over.status_code == 200 and str(limits.BIO) in over.get_data(as_text=True)
    assert post_form(client, url, {**data, "bio": "経" * limits.BIO}).status_code == 302
    session.refresh(profile)
    assert len(profile.bio) == limits.BIO


def test_limits_track_record_contribution_and_dates(client, session):
    profile = _as_expert(client, session)
    form = {"title": "AIオンデマンドバス", "organization": "塩尻市", "org_kind": "local", "org_prefecture": "",
            "role": "PM", "outcome": "", "start": "2021-04-01", "end": "2023-03-31", "hours_per_month": "30",
            "status": "completed"}
    over = post_form(client, "/experts/me/engagements/new", {**form, "contribution": "貢" * (limits.CONTRIBUTION + 1)})
    assert over.status_code == 200 and str(limits.CONTRIBUTION) in over.get_data(as_text=True)
    typo = post_form(client, "/experts/me/engagements/new", {**form, "start": "0202-04-01"})
    assert typo.status_code == 200 and limits.DATES.low.isoformat() in typo.get_data(as_text=True)
    assert session.scalar(select(Engagement).where(Engagement.expert_id == profile.id)) is None
    ok = post_form(client, "/experts/me/engagements/new", {**form, "contribution": "貢" * limits.CONTRIBUTION,
                                                            "start": limits.DATES.low.isoformat()})
    assert ok.status_code == 302
    saved = session.scalar(select(Engagement).where(Engagement.expert_id == profile.id))
    assert len(saved.contribution) == limits.CONTRIBUTION and saved.start_date == limits.DATES.low


# -- the importer -----------------------------------------------------------------------------------------------

def _need_errors(session, taxonomy, **changes):
    return interchange.import_needs(session, jsonl(need_line(**changes)), taxonomy).errors


def _expert_errors(session, taxonomy, **changes):
    return interchange.import_experts(session, jsonl(expert_line(**changes)), taxonomy).errors


def test_limits_import_refuses_a_budget_of_three_billion_with_a_line_error(session, taxonomy):
    errors = _need_errors(session, taxonomy, budget={"unit": "month", "max": TOO_BIG_BUDGET})
    assert [(e.line, e.field) for e in errors] == [(1, "budget.max")]
    assert f"{limits.MONEY.high}" in errors[0].message
    assert session.scalar(select(Need)) is None
    assert _need_errors(session, taxonomy, budget={"unit": "month", "max": limits.MONEY.high}) == []
    assert session.scalar(select(Need.budget_max)) == limits.MONEY.high


@pytest.mark.parametrize(("field", "over", "at_limit"), [
    ("description", "説" * (limits.DESCRIPTION + 1), "説" * limits.DESCRIPTION),
    ("title", "題" * (limits.TITLE + 1), "題" * limits.TITLE),
    ("hours_per_month", limits.HOURS_PER_MONTH.high + 1, limits.HOURS_PER_MONTH.high),
    ("start", (limits.DATES.low - timedelta(days=1)).isoformat(), limits.DATES.low.isoformat()),
    ("end", (limits.DATES.high + timedelta(days=1)).isoformat(), limits.DATES.high.isoformat()),
])
def test_limits_import_need_at_and_over_the_limit(session, taxonomy, field, over, at_limit):
    errors = _need_errors(session, taxonomy, **{field: over})
    assert [(e.line, e.field) for e in errors] == [(1, field)], errors
    assert _need_errors(session, taxonomy, **{field: at_limit}) == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"max_travel_km": limits.TRAVEL_KM.high + 1}, "max_travel_km"),
    ({"fee": {"unit": "hour", "amount": limits.MONEY.high + 1}}, "fee.amount"),
    ({"bio": "経" * (limits.BIO + 1)}, "bio"),
    ({"available_from": "1949-12-31"}, "available_from"),
])
def test_limits_import_expert_over_the_limit(session, taxonomy, changes, field):
    errors = _expert_errors(session, taxonomy, **changes)
    assert [(e.line, e.field) for e in errors] == [(1, field)], errors


def test_limits_import_expert_at_the_limits(session, taxonomy):
    history = {"org_lg_code": "202045", "title": "題" * limits.TITLE, "role": "役" * limits.ROLE,
               "contribution": "貢" * limits.CONTRIBUTION, "start": limits.DATES.low.isoformat(),
               "end": limits.DATES.high.isoformat(), "hours_per_month": limits.HOURS_PER_MONTH.high,
               "status": "completed"}
    errors = _expert_errors(session, taxonomy, max_travel_km=limits.TRAVEL_KM.high, bio="経" * limits.BIO,
                            fee={"unit": "month", "amount": limits.MONEY.high}, engagements=[history])
    assert errors == []
    profile = session.scalar(select(ExpertProfile))
    assert (profile.max_travel_km, profile.fee_amount) == (limits.TRAVEL_KM.high, limits.MONEY.high)
    assert len(profile.engagements[0].contribution) == limits.CONTRIBUTION


def test_limits_import_takes_what_the_forms_take(session, taxonomy):
    """The drift of the issue: a contribution the form accepted could not be imported again (4,000 vs 5,000)."""
    over = {"org_lg_code": "202045", "title": "t", "start": "2024-04-01", "end": "2025-03-31",
            "hours_per_month": 10, "status": "completed", "contribution": "貢" * (limits.CONTRIBUTION + 1)}
    errors = _expert_errors(session, taxonomy, engagements=[over])
    assert [e.field for e in errors] == ["engagements[0].contribution"]
    assert f"the limit is {limits.CONTRIBUTION}" in errors[0].message


# -- the API ----------------------------------------------------------------------------------------------------

def test_limits_api_top_at_and_over_the_limit(client, session):
    shiojiri = org(session)
    row = need(session, shiojiri, skills={"backend_dev": 2})
    expert(session, skills={"backend_dev": 3})
    login(client, user(session, "org_staff", shiojiri))
    assert client.get(f"/api/v1/needs/{row.external_id}/matches?top={limits.API_TOP.high}").status_code == 200
    over = client.get(f"/api/v1/needs/{row.external_id}/matches?top={limits.API_TOP.high + 1}")
    assert over.status_code == 400
    message = over.get_json()["fields"]["top"][0]
    assert str(limits.API_TOP.low) in message and str(limits.API_TOP.high) in message
    assert client.get(f"/api/v1/needs/{row.external_id}/matches?top=0").status_code == 400


def test_limits_declarations_are_consistent():
    assert limits.COMMITTED_HOURS.high == limits.HOURS_PER_MONTH.high
    assert limits.MONEY.high == 2**31 - 1  # the INTEGER columns the amounts live in
    assert TOO_BIG_BUDGET not in limits.MONEY and limits.MONEY.high in limits.MONEY
    assert date(2026, 12, 1) in limits.DATES
    assert json.dumps(limits.MONEY.high)  # a plain int, as the interchange format writes it
