"""Dashboard numbers against hand-computed values on the small world of tests/hub/dashboard_support.py
(the docstring there lists every expert, need, contact request and dispatch request, and why it counts)."""
from __future__ import annotations

from datetime import date

import pytest

from hub.services import dashboard
from hub.services.dashboard import Period, flow, supply, unmet
from tests.hub import dashboard_support as world
from tests.hub.dashboard_support import TODAY

PERIOD = dashboard.default_period(TODAY)


@pytest.fixture
def built(session):
    return world.build(session)


def board(session, taxonomy, kind, key=""):
    return dashboard.build(session, dashboard.resolve(kind, key), PERIOD, TODAY, taxonomy, "ja")


def rows_by(table, key="code"):
    return {row[key]: row for row in table.rows}


def test_default_period_is_the_fiscal_year_to_date():
    assert PERIOD == Period(date(2026, 4, 1), date(2026, 12, 10))
    assert dashboard.default_period(date(2027, 2, 3)) == Period(date(2026, 4, 1), date(2027, 2, 3))
    assert dict(dashboard.quick_periods(TODAY))["last_fiscal_year"] == Period(date(2025, 4, 1), date(2026, 3, 31))


def test_supply_by_prefecture_of_a_bureau(session, taxonomy, built):
    table = board(session, taxonomy, "bureau", "shinetsu").tables["supply"]
    assert [row["code"] for row in table.rows] == ["15", "20"]
    nagano, niigata = rows_by(table)["20"], rows_by(table)["15"]
    # 長野: E1, E2, E7 live there (E6 paused); only E1 has hours left (40 - 10 = 30); E4 visits from 東京 (50 h).
    assert {k: nagano[k] for k in ("experts", "with_hours", "hours", "visitors", "visitor_hours", "supply_hours")} == {
        "experts": 3, "with_hours": 1, "hours": 30, "visitors": 1, "visitor_hours": 50, "supply_hours": 80}
    # N1 (20 h) and N2 (30 h); N3 is older than the period, N4 a draft. D1 8 h + D2 2 days × 8 + 2 h + D5 5 h.
    assert {k: nagano[k] for k in ("needs", "need_hours", "dispatches", "dispatch_hours", "demand_hours", "gap")} == {
        "needs": 2, "need_hours": 50, "dispatches": 3, "dispatch_hours": 31, "demand_hours": 81, "gap": -1}
    # 新潟: E3 (30 h); N5 (15 h) and N9 (5 h, published 01:00 on April 1st in Japan); D3 rejected.
    assert {k: niigata[k] for k in ("experts", "with_hours", "hours", "visitors", "needs", "need_hours",
                                    "dispatches", "gap")} == {
        "experts": 1, "with_hours": 1, "hours": 30, "visitors": 0, "needs": 2, "need_hours": 20, "dispatches": 0,
        "gap": 10}


def test_summary_and_remote_experts(session, taxonomy, built):
    table = board(session, taxonomy, "bureau", "shinetsu").tables["summary"]
    summary = {row["key"]: row["value"] for row in table.rows}
    # Remote with hours left anywhere: E1 30, E3 30, E4 50, E8 10 (E2 works on site only, E7 has no hours).
    assert summary == {"experts": 4, "with_hours": 2, "hours": 60, "visitors": 1, "remote": 4, "remote_hours": 120,
                       "needs": 4, "need_hours": 70, "dispatches": 3, "dispatch_hours": 31, "gap": 9}
    nation = {row["key"]: row["value"] for row in board(session, taxonomy, "nation").tables["summary"].rows}
    # The nation adds 東京: E4 and E8 live there (E5 unlisted), N6 (25 h); E4 is no visitor in its own prefecture.
    assert (nation["experts"], nation["with_hours"], nation["hours"], nation["needs"], nation["need_hours"]) == (
        6, 4, 120, 5, 95)


def test_prefecture_by_municipality_and_pool(session, taxonomy, built):
    tables = board(session, taxonomy, "prefecture", "20").tables
    municipalities = rows_by(tables["supply"])
    assert list(municipalities) == [world.NAGANO_CITY, world.MATSUMOTO, world.SHIOJIRI, ""]
    assert {k: municipalities[world.SHIOJIRI][k] for k in ("experts", "hours", "needs", "need_hours", "dispatches",
                                                           "dispatch_hours", "gap")} == {
        "experts": 1, "hours": 30, "needs": 1, "need_hours": 20, "dispatches": 2, "dispatch_hours": 26, "gap": -16}
    assert (municipalities[world.MATSUMOTO]["gap"], municipalities[world.NAGANO_CITY]["experts"]) == (-30, 1)
    assert (municipalities[""]["dispatches"], municipalities[""]["dispatch_hours"]) == (1, 5)  # the NPO
    pool = {row["kind"]: (row["experts"], row["with_hours"], row["hours"]) for row in tables["pool"].rows}
    # Living there: E1, E2, E7; coming on site: E4; remote from elsewhere: E3 (新潟), E8 (東京).
    assert pool == {"resident": (3, 1, 30), "visitor": (1, 1, 50), "remote": (2, 2, 40), "total": (6, 4, 120)}


def test_unmet_stage_by_field(session, taxonomy, built):
    counts = unmet.stage_field_counts(session, dashboard.resolve("bureau", "shinetsu"), PERIOD)
    assert counts == {("development", "mobility"): 2, ("development", "tourism"): 1, ("operations", "mobility"): 1,
                      ("operations", "tourism"): 1, ("awareness", "tourism"): 2}
    table = board(session, taxonomy, "bureau", "shinetsu").tables["stage_field"]
    assert rows_by(table, "stage_id")["development"]["mobility"] == 2
    assert len(table.rows) == len(taxonomy.stages)


def test_skills_to_recruit(session, taxonomy, built):
    rows = board(session, taxonomy, "bureau", "shinetsu").tables["skills"].rows
    # frontend_dev: N2 (3) and N5 (2); level 2 or above with hours left in the pool: E3 only.
    # backend_dev: N1 (3) and N2 (2); level 2+: E1, E4 (visitor, remote), E8 (remote); E2 has no hours,
    # E3's level is only read from the text, E5 is unlisted.
    assert [(r["skill_id"], r["needs"], r["level"], r["experts"], r["shortage"]) for r in rows] == [
        ("frontend_dev", 2, 2, 1, 1), ("backend_dev", 2, 2, 3, -1)]
    prefecture = board(session, taxonomy, "prefecture", "15").tables["skills"].rows
    # 新潟's pool for frontend_dev (N5, level 2): E3 lives there.
    assert [(r["skill_id"], r["needs"], r["experts"]) for r in prefecture] == [("frontend_dev", 1, 1)]


def test_needs_behind_a_number(session, built):
    scope = dashboard.resolve("bureau", "shinetsu")
    from sqlalchemy import true
    found, total = unmet.needs_behind(session, scope, PERIOD, unmet.NeedFilter(stage="development", field="mobility"),
                                      true())
    assert total == 2 and {n.location_lg_code for n in found} == {world.SHIOJIRI, world.MATSUMOTO}
    found, total = unmet.needs_behind(session, scope, PERIOD, unmet.NeedFilter(skill="frontend_dev"), true())
    assert total == 2
    assert unmet.needs_behind(session, scope, PERIOD, unmet.NeedFilter(place="15"), true())[1] == 2
    assert unmet.needs_behind(session, scope, PERIOD, unmet.NeedFilter(), None) == ([], 0)


def test_flow(session, built):
    scope = dashboard.resolve("bureau", "shinetsu")
    # First contact: N1 after 2 days, N2 after 10, N7 after 4 -> median 4, mean 16/3.
    n, mean, median = flow.days_to(session, scope, PERIOD, flow.first_contacts())
    assert (n, round(mean, 3), median) == (3, 5.333, 4.0)
    # First engagement: N7 after 20 days, N2 after 15 -> median 17.5.
    assert flow.days_to(session, scope, PERIOD, flow.first_engagements()) == (2, 17.5, 17.5)
    # Concluded: N7 (filled by an engagement in the period) and N8 (closed, no fit).
    assert flow.filled_share(session, scope, PERIOD) == (1, 2)
    assert flow.declined(session, scope, PERIOD) == (1, 4)
    rows = {row["key"]: row for row in flow.flow(session, scope, PERIOD).rows}
    assert (rows["contact_median"]["value"], rows["contact_mean"]["value"], rows["filled"]["value"],
            rows["declined"]["value"], rows["declined"]["count"]) == (4.0, 5.3, 50.0, 25.0, 1)


def test_flow_without_any_need(session, taxonomy, built):
    rows = {row["key"]: row for row in board(session, taxonomy, "prefecture", "47").tables["flow"].rows}
    assert rows["contact_median"]["value"] is None and rows["filled"]["value"] is None


def test_dispatch_counts_by_purpose_and_state(session, taxonomy, built):
    rows = {row["purpose_id"]: row for row in board(session, taxonomy, "bureau", "shinetsu").tables["dispatch"].rows}
    assert (rows["seminar"]["submitted"], rows["seminar"]["rejected"], rows["seminar"]["reported"],
            rows["seminar"]["total"], rows["seminar"]["overdue"]) == (1, 1, 1, 3, 0)
    assert (rows["project_formation"]["done"], rows["project_formation"]["total"],
            rows["project_formation"]["overdue"]) == (1, 1, 1)
    assert rows["follow_up"]["total"] == 0  # D4 was cancelled before the period
    assert (rows["total"]["total"], rows["total"]["overdue"]) == (4, 1)
    # A week after the support the report is not yet overdue.
    early = dashboard.build(session, dashboard.resolve("bureau", "shinetsu"), PERIOD, date(2026, 11, 27), taxonomy)
    assert {r["purpose_id"]: r for r in early.tables["dispatch"].rows}["total"]["overdue"] == 0


def test_remaining_hours_agree_with_the_availability_service(session, built):
    """The dashboards' SQL rule and hub.services.availability give every listed expert the same hours."""
    from sqlalchemy import select
    from hub.services.availability import remaining_hours_by_expert
    first, last = dashboard.month_of(TODAY)
    sub = dashboard.scope.supply_subquery(TODAY)
    ours = dict(session.execute(select(sub.c.id, sub.c.remaining)).all())
    theirs = remaining_hours_by_expert(session, list(ours), first, last)
    available_later = {i for i, v in ours.items() if v == 0 and theirs[i] > 0}
    assert {i: v for i, v in ours.items() if i not in available_later} == {
        i: v for i, v in theirs.items() if i not in available_later}
    assert len(available_later) == 1  # E7: 16 h offered, but only from January
    assert supply.remote_nationwide(session, TODAY) == (4, 120)
