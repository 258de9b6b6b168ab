"""Remaining hours are derived from active engagements overlapping a period, for one expert or many at once."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from hub.models import Engagement, ExpertProfile
from hub.services import availability
from hub.services.organizations import get_or_create_local_government

PERIOD = (date(2027, 4, 1), date(2028, 3, 31))


@pytest.fixture
def org(session):
    return get_or_create_local_government(session, "202151")


def _expert(session, external_id: str, hours: int) -> ExpertProfile:
    expert = ExpertProfile(external_id=external_id, name=external_id, talent_type="D", hours_per_month=hours)
    session.add(expert)
    session.flush()
    return expert


def _engage(session, expert, org, start: date, end: date | None, hours: int, status: str = "active") -> Engagement:
    engagement = Engagement(expert=expert, organization=org, source="need", title=f"{status} {start}",
                            start_date=start, end_date=end, hours_per_month=hours, status=status)
    session.add(engagement)
    session.flush()
    return engagement


@pytest.fixture
def busy(session, org):
    """40 hours offered; of five engagements only the overlapping active and the open-ended active count."""
    expert = _expert(session, "BUSY", 40)
    counted = [
        _engage(session, expert, org, date(2027, 1, 1), date(2027, 6, 30), 10),  # active, overlaps the start
        _engage(session, expert, org, date(2025, 4, 1), None, 8),  # active, open-ended
    ]
    _engage(session, expert, org, date(2027, 1, 1), date(2027, 12, 31), 15, status="completed")
    _engage(session, expert, org, date(2028, 4, 1), date(2028, 9, 30), 5)  # active, after the period
    _engage(session, expert, org, date(2026, 1, 1), date(2027, 3, 31), 7)  # active, ends the day before
    _engage(session, expert, org, date(2027, 5, 1), date(2027, 5, 31), 3, status="proposed")
    return expert, counted


def test_services_availability_lists_concurrent_engagements(session, busy):
    expert, counted = busy
    found = availability.concurrent_engagements(session, expert, *PERIOD)
    assert [e.id for e in found] == [counted[1].id, counted[0].id]  # earliest start first


def test_services_availability_remaining_hours_subtracts_only_concurrent(session, busy):
    expert, _ = busy
    engagements = availability.concurrent_engagements(session, expert, *PERIOD)
    assert availability.remaining_hours(expert, engagements) == 40 - 10 - 8


def test_services_availability_open_ended_period_counts_future_engagements(session, busy):
    expert, _ = busy
    found = availability.concurrent_engagements(session, expert, PERIOD[0], None)
    assert sorted(e.hours_per_month for e in found) == [5, 8, 10]


def test_services_availability_period_boundaries_are_inclusive(session, org):
    expert = _expert(session, "EDGE", 20)
    _engage(session, expert, org, date(2028, 3, 31), date(2028, 6, 30), 4)  # starts on the last day
    _engage(session, expert, org, date(2026, 1, 1), date(2027, 4, 1), 6)  # ends on the first day
    assert availability.remaining_hours_by_expert(session, [expert.id], *PERIOD) == {expert.id: 10}


def test_services_availability_remaining_hours_never_below_zero(session, org):
    expert = _expert(session, "OVER", 10)
    _engage(session, expert, org, date(2027, 1, 1), None, 30)
    found = availability.concurrent_engagements(session, expert, *PERIOD)
    assert availability.remaining_hours(expert, found) == 0
    assert availability.remaining_hours_by_expert(session, [expert.id], *PERIOD) == {expert.id: 0}


def test_services_availability_by_expert_matches_one_by_one(session, org, busy):
    free = _expert(session, "FREE", 25)
    over = _expert(session, "OVER", 10)
    _engage(session, over, org, date(2027, 1, 1), None, 30)
    expected = {e.id: availability.remaining_hours(e, availability.concurrent_engagements(session, e, *PERIOD))
                for e in (busy[0], free, over)}
    assert availability.remaining_hours_by_expert(session, list(expected), *PERIOD) == expected
    assert expected == {busy[0].id: 22, free.id: 25, over.id: 0}
    everyone = availability.remaining_hours_by_expert(session, None, *PERIOD)
    assert {k: everyone[k] for k in expected} == expected


def test_services_availability_by_expert_is_one_query(session, app, org):
    experts = [_expert(session, f"Q{i}", 40) for i in range(30)]
    for expert in experts:
        _engage(session, expert, org, date(2027, 1, 1), None, 5)
    statements = []
    connection = session.connection()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    try:
        result = availability.remaining_hours_by_expert(session, [e.id for e in experts] + [10**9], *PERIOD)
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert set(result.values()) == {35} and len(result) == 30  # the unknown id is left out


def test_services_availability_rejects_reversed_period(session, busy):
    with pytest.raises(ValueError):
        availability.remaining_hours_by_expert(session, [busy[0].id], PERIOD[1], PERIOD[0])
    assert availability.remaining_hours_by_expert(session, [], *PERIOD) == {}
