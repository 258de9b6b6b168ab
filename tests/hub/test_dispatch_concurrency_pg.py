"""Dispatch under concurrency on PostgreSQL: two officers assigning at once, and advisers' hours under the lock."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.models import DispatchAssignment, DispatchRequest, Engagement, User
from hub.services import dispatch
from hub.services.errors import NotEnoughHours, Refused
from tests.hub.dispatch_support import build, through, submitted
from tests.hub.test_concurrency_pg import _run_at_once, scratch, scratch_url  # noqa: F401  (fixtures)
from tests.support import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"),
                                reason="needs PostgreSQL (row locks, concurrent connections); CI runs it there")


def _assign(app, factory, request_id: int, staff_id: int, expert_id: int):
    with app.test_request_context(), factory() as session:
        row, staff = session.get(DispatchRequest, request_id), session.get(User, staff_id)
        assignment = dispatch.assign(session, staff, row, expert_id)
        session.commit()
        return assignment.expert_id


def test_two_officers_assigning_at_once_assign_one_adviser(app, scratch):  # noqa: F811
    with app.test_request_context(), Session(scratch) as session:
        w = build(session)
        row = through(session, w, submitted(session, w), "approved")
        session.commit()
        ids = (row.id, w.bureau_staff.id, w.adviser.id, w.adviser2.id)
    factory = sessionmaker(scratch, expire_on_commit=False)
    results = _run_at_once(2, lambda i: _assign(app, factory, ids[0], ids[1], ids[2 + i]))
    assigned = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(assigned) == 1 and len(refused) == 1, results
    assert refused[0].reason == "team_not_asked"
    with Session(scratch) as session:
        assert session.scalar(select(func.count()).select_from(DispatchAssignment)
                              .where(DispatchAssignment.dispatch_id == ids[0])) == 1


def test_concurrent_assignments_never_overbook_an_adviser(app, scratch):  # noqa: F811
    """Four requests of 16 hours each at once on an adviser who offers 40: two fit."""
    with app.test_request_context(), Session(scratch) as session:
        w = build(session)
        w.adviser.hours_per_month = 40
        rows = [through(session, w, submitted(session, w, theme=f"案件{i}", project=f"事業{i}",
                                              wanted_from=date(2026, 11, 10)), "approved") for i in range(4)]
        session.commit()
        plan = [(row.id, w.bureau_staff.id, w.adviser.id) for row in rows]
        adviser_id = w.adviser.id
    factory = sessionmaker(scratch, expire_on_commit=False)
    results = _run_at_once(4, lambda i: _assign(app, factory, *plan[i]))
    assigned = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, NotEnoughHours)]
    assert len(assigned) == 2 and len(refused) == 2, results
    with Session(scratch) as session:
        assert session.scalar(select(func.sum(Engagement.hours_per_month)).where(
            Engagement.expert_id == adviser_id, Engagement.status == "active")) == 32
