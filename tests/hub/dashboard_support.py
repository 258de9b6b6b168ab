"""A small world for the dashboard tests, every number of which the tests compute by hand.

Today is 2026-12-10; the default period is 2026-04-01 to 2026-12-10 (fiscal year to date, Japan time).
Bureau 信越 = 新潟 (15) + 長野 (20); 東京 (13) is elsewhere.

Experts (remaining hours this month, December 2026):
  E1 塩尻市 (20), 40 h, remote+onsite, an active 10 h engagement from October   -> 30 h; backend_dev 3
  E2 松本市 (20), 20 h, onsite only, an active 20 h engagement                 ->  0 h; backend_dev 4
  E3 新潟市 (15), 30 h, remote only                                             -> 30 h; frontend_dev 2,
     and backend_dev 4 read from the text only (inferred: never counted)
  E4 千代田区 (13), 50 h, remote+onsite, travels to 長野 (20)                    -> 50 h; backend_dev 2
  E5 千代田区, unlisted                                                          -> not listed
  E6 長野市 (20), paused                                                         -> not listed
  E7 長野市 (20), 16 h, available only from 2027-01                              ->  0 h
  E8 千代田区, 10 h, remote only, an engagement that ended in November           -> 10 h; backend_dev 3
Needs (published, UTC):
  N1 塩尻市 open 2026-05-01, 20 h, development × mobility, must backend_dev 3
  N2 松本市 open 2026-06-01, 30 h, development+operations × mobility+tourism, must backend_dev 2, frontend_dev 3
  N3 塩尻市 open 2026-03-15 (before the period), 10 h
  N4 塩尻市 draft
  N5 新潟市 open 2026-07-01, 15 h, awareness × tourism, must frontend_dev 2
  N6 千代田区 open 2026-07-01, 25 h (another region)
  N7 塩尻市 filled, published 2026-04-10, engagement started 2026-04-30 (20 days)
  N8 塩尻市 closed 2026-08-01 (no fit), published 2026-05-01
  N9 新潟市 open 2026-03-31 16:00 UTC = 2026-04-01 01:00 JST (in the period), 5 h, awareness × tourism
Contact requests: N1 on 05-03 (2 days; still waiting) and 05-05 (declined), N2 on 06-11 (10 days, accepted),
  N7 on 04-14 (4 days, accepted). Engagements from needs: N7 (E5) 04-30 = 20 days, N2 (E6) 06-16 = 15 days.
Dispatch requests (submitted):
  D1 塩尻市 seminar, submitted, 05-10, 1 day = 8 h
  D2 塩尻市 project formation, done on 11-20 with no report (overdue on 12-10), 06-01, 2 days + 2 h = 18 h
  D3 新潟市 seminar, rejected, 07-01
  D4 塩尻市 follow-up, cancelled, 2026-03-01 (before the period)
  D5 an NPO of 長野 seminar, reported, 09-01, online 5 h
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from hub.models import (DispatchRequest, Engagement, ExpertProfile, ExpertSkill, ExpertTravelPrefecture, Need,
                        NeedField, NeedSkill, NeedStage, ShortlistEntry)
from hub.services.organizations import create_organization, get_or_create_local_government

TODAY = date(2026, 12, 10)
SHIOJIRI, MATSUMOTO, NAGANO_CITY, NIIGATA_CITY, CHIYODA = "202151", "202029", "202011", "151009", "131016"


def at(month: int, day: int, year: int = 2026, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=timezone.utc)


def build(session) -> dict:
    orgs = {code: get_or_create_local_government(session, code)
            for code in (SHIOJIRI, MATSUMOTO, NAGANO_CITY, NIIGATA_CITY, CHIYODA, "200000")}
    npo = create_organization(session, "npo", "NPO法人 信州つなぐ", "20", code="NPO-20-TEST")
    session.flush()
    n = iter(range(1, 100))

    def expert(home, hours, *, remote=True, onsite=False, skills=(), **extra):
        profile = ExpertProfile(external_id=f"E{next(n)}", name="専門家", talent_type="D", home_lg_code=home,
                                prefecture_code=home[:2], remote=remote, onsite=onsite, hours_per_month=hours,
                                **extra)
        profile.skills = [ExpertSkill(skill_id=s, level=lv, source=src) for s, lv, src in skills]
        session.add(profile)
        session.flush()
        return profile

    e1 = expert(SHIOJIRI, 40, onsite=True, skills=[("backend_dev", 3, "self")])
    e2 = expert(MATSUMOTO, 20, remote=False, onsite=True, skills=[("backend_dev", 4, "verified")])
    e3 = expert(NIIGATA_CITY, 30, skills=[("frontend_dev", 2, "self"), ("backend_dev", 4, "inferred")])
    e4 = expert(CHIYODA, 50, onsite=True, skills=[("backend_dev", 2, "self")])
    e4.travel_prefectures = [ExpertTravelPrefecture(prefecture_code="20")]
    e5 = expert(CHIYODA, 40, listed=False, skills=[("backend_dev", 4, "self")])
    e6 = expert(NAGANO_CITY, 40, status="paused")
    expert(NAGANO_CITY, 16, available_from=date(2027, 1, 1))
    e8 = expert(CHIYODA, 10, skills=[("backend_dev", 3, "self")])

    def engagement(profile, hours, start, end=None, status="active", need=None, created=None):
        row = Engagement(expert_id=profile.id, organization_id=orgs[SHIOJIRI].id, source="need" if need else "import",
                         need_id=need.id if need else None, title="支援", start_date=start, end_date=end,
                         hours_per_month=hours, status=status, created_at=created or at(1, 5))
        session.add(row)
        return row

    engagement(e1, 10, date(2026, 10, 1))
    engagement(e2, 20, date(2026, 1, 1), date(2027, 3, 31))
    engagement(e8, 5, date(2026, 1, 1), date(2026, 11, 30))

    def need(code, status, published, hours=10, stages=("development",), fields=("mobility",), skills=(), **extra):
        row = Need(external_id=f"N{next(n)}", organization_id=orgs[code].id, title=f"募集 {code}",
                   work_style="hybrid", location_lg_code=code, hours_per_month=hours, start_date=date(2027, 1, 1),
                   engagement_form="contract", status=status, published_at=published, **extra)
        row.stages = [NeedStage(stage_id=s) for s in stages]
        row.fields = [NeedField(field_id=f) for f in fields]
        row.skills = [NeedSkill(skill_id=s, min_level=lv, must=True) for s, lv in skills]
        session.add(row)
        session.flush()
        return row

    n1 = need(SHIOJIRI, "open", at(5, 1), 20, skills=[("backend_dev", 3)])
    n2 = need(MATSUMOTO, "open", at(6, 1), 30, stages=("development", "operations"), fields=("mobility", "tourism"),
              skills=[("backend_dev", 2), ("frontend_dev", 3)])
    need(SHIOJIRI, "open", at(3, 15), 10)
    need(SHIOJIRI, "draft", None, 10)
    need(NIIGATA_CITY, "open", at(7, 1), 15, stages=("awareness",), fields=("tourism",), skills=[("frontend_dev", 2)])
    need(CHIYODA, "open", at(7, 1), 25, skills=[("backend_dev", 1)])
    n7 = need(SHIOJIRI, "filled", at(4, 10), 10)
    n8 = need(SHIOJIRI, "closed", at(5, 1), 10, closed_at=at(8, 1), close_reason="no_fit")
    need(NIIGATA_CITY, "open", datetime(2026, 3, 31, 16, tzinfo=timezone.utc), 5, stages=("awareness",),
         fields=("tourism",))

    def entry(need_row, profile, state, contacted=None):
        session.add(ShortlistEntry(need_id=need_row.id, expert_id=profile.id, state=state, contacted_at=contacted))

    entry(n1, e1, "contacted", at(5, 3))
    entry(n1, e4, "declined", at(5, 5))
    entry(n2, e8, "accepted", at(6, 11))
    entry(n7, e5, "accepted", at(4, 14))
    entry(n8, e3, "shortlisted")
    engagement(e5, 10, date(2026, 5, 1), date(2026, 10, 31), status="completed", need=n7, created=at(4, 30))
    engagement(e6, 10, date(2026, 7, 1), need=n2, created=at(6, 16))

    def dispatch(org, purpose, state, created, days=1, online=0, **extra):
        session.add(DispatchRequest(requester_id=org.id, bureau_id=org.bureau_id, theme=f"{purpose} {state}",
                                    purpose=purpose, stage_id="awareness", wanted_from=date(2026, 12, 1),
                                    days=days, online_hours=online, state=state, created_at=created, **extra))

    dispatch(orgs[SHIOJIRI], "seminar", "submitted", at(5, 10))
    dispatch(orgs[SHIOJIRI], "project_formation", "done", at(6, 1), days=2, online=2,
             support_date=date(2026, 11, 20))
    dispatch(orgs[NIIGATA_CITY], "seminar", "rejected", at(7, 1))
    dispatch(orgs[SHIOJIRI], "follow_up", "cancelled", at(3, 1))
    dispatch(npo, "seminar", "reported", at(9, 1), days=0, online=5, support_date=date(2026, 9, 20))
    session.flush()
    return {"orgs": orgs, "npo": npo}
